"""The asset page: properties, map, latest values, charts over a period, commands."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from beffroi.core import assets
from beffroi.core.access import CLI, open_scope

from .asset_fixtures import command_ids, equip_cabinet, move_command
from .chart_checks import assert_french_numbers, assert_french_time_axis, ticks
from .conftest import AT_DESK, ON_PHONE, assert_accessible, login, screenshot
from .french_dates import short_date
from .map_fixtures import map_territory_fixture  # noqa: F401  (the map_territory fixture)

PARIS = ZoneInfo("Europe/Paris")
def _french_number(text: str) -> float:
    """« 136 590,312 » → 136590.312 (spaces, narrow or not, group the thousands)."""
    return float(re.sub(r"[\s\u202f\u00a0]", "", text).replace(",", "."))


def _total_kwh(text: str) -> float:
    """The total of a chart's summary: « Consommation totale … : 16 512,3 kWh »."""
    match = re.search(r"Consommation totale .*? : ([\d\u202f\u00a0 ]+(?:,\d+)?) kWh", text)
    assert match, text
    return _french_number(match.group(1))


def test_asset_page_shows_properties_latest_values_and_charts(page, server, size, territory,
                                                              web_db, web_registry):
    cabinet = equip_cabinet(web_db, web_registry, territory)
    with web_db.write() as conn:  # a programme of its own: an object holding a list of steps
        assets.update_asset(open_scope(web_db, conn, CLI, territory["tenant"]), conn,
                            web_registry, cabinet, {"properties": {"programme": {
                                "label": "Abaissement à 40 % de 23 h à 6 h", "steps": [
                                    {"at": "sunset", "level": 100}, {"at": "23:00", "level": 40},
                                    {"at": "06:00", "level": 100},
                                    {"at": "sunrise", "level": 0}]}}})
    login(page, server, then=f"/equipements/{cabinet}")
    page.get_by_role("heading", level=1, name="Armoire 1 — Remiremont").wait_for()
    props = page.locator("#properties")
    props.get_by_text("Armoire d'éclairage public").wait_for()
    text = props.inner_text()
    assert "Remiremont (88383)" in text
    assert "horloge astronomique" in text and "12,5 kW" in text and "Oui" in text
    assert "14 mars 2019" in text
    # The programme by its name, never as the code it is stored in.
    assert "Abaissement à 40 % de 23 h à 6 h" in text
    assert "[object" not in text and "steps" not in text and "sunset" not in text
    latest = page.locator("#latest")
    latest.get_by_text("Énergie active consommée (index)").wait_for()
    # The meter's last index, as created by the fixture (it depends on the hour the test runs).
    shown = re.search(r"([\d\u202f\u00a0 ]+,\d+) kWh", latest.inner_text())
    assert shown, latest.inner_text()
    assert _french_number(shown.group(1)) == pytest.approx(territory["energy_last_index"],
                                                          abs=0.0005)
    assert page.locator("#asset-map .leaflet-interactive").count() == 1  # the cabinet's marker

    page.locator("[data-chart-ready]").wait_for(state="attached")  # the week, by default
    # (and the page's other parts, which move the period's choices as they arrive: a click
    # meanwhile can miss the button on a loaded machine)
    page.locator("body[data-ready]").wait_for(state="attached")
    page.get_by_label("Année").check()
    page.locator('#charts[data-period="year"]').wait_for(state="attached")
    chart = page.locator(".chart").first
    assert chart.locator("canvas").count() == 1
    caption = chart.locator("figcaption").inner_text()
    assert "consommation par jour" in chart.locator("h3").inner_text()
    assert 15_000 < _total_kwh(caption) < 18_000  # ~16 600 kWh over the year
    assert "moyenne" in caption
    assert_accessible(page)
    screenshot(page, "equipement", size)

    page.get_by_label("Semaine").check()
    page.locator('#charts[data-period="week"]').wait_for(state="attached")
    caption = page.locator(".chart figcaption").first.inner_text()
    assert "par heure" in caption
    assert 100 < _total_kwh(caption) < 700  # a week of nights


@AT_DESK
def test_custom_period_and_keyboard(page, server, size, territory):
    login(page, server, then=f"/equipements/{territory['cabinets'][0]}")
    page.locator("[data-chart-ready]").wait_for(state="attached")
    # (and the page's other parts: arriving above the period's choices, they move them, and
    # a click while they did missed the button on a loaded machine)
    page.locator("body[data-ready]").wait_for(state="attached")
    # Ten days of the territory's year of energy (it ends at the current hour), from the date
    # the test runs at: the caption spans them, the last one whole (to the next midnight).
    today = datetime.now(PARIS).date()
    first, last = today - timedelta(days=30), today - timedelta(days=21)
    page.get_by_label("Personnalisée").check()
    page.get_by_label("Du", exact=True).fill(first.isoformat())
    page.get_by_label("Au", exact=True).fill(last.isoformat())
    page.get_by_label("Au", exact=True).press("Enter")
    page.locator('#charts[data-period="custom"]').wait_for(state="attached")
    caption = page.locator(".chart figcaption").first.inner_text()
    after = last + timedelta(days=1)
    assert f"du {short_date(first)}, 00:00 au {short_date(after)}, 00:00" in caption, caption
    midnights = [datetime.combine(d, datetime.min.time(), PARIS).timestamp()
                 for d in (first, after)]
    hours = round((midnights[1] - midnights[0]) / 3600)  # 239 to 241 across a clock change
    assert "par heure" in caption and f"({hours} valeurs)" in caption, caption


@ON_PHONE
def test_a_custom_period_to_correct_is_said_beside_its_dates(page, server, size, territory):
    """« Choisissez les deux dates de la période. » appeared in the page's alert at its top,
    screens above the form (3,677 px on a phone): now beside the dates, which it describes,
    the first date at fault marked and focused."""
    login(page, server, then=f"/equipements/{territory['cabinets'][0]}")
    page.locator("[data-chart-ready]").wait_for(state="attached")
    page.locator("body[data-ready]").wait_for(state="attached")
    page.get_by_label("Personnalisée").check()
    start, end = page.get_by_label("Du", exact=True), page.get_by_label("Au", exact=True)
    error = page.locator("#period-error")
    today = datetime.now(PARIS).date()
    early, late, later = (today.fromordinal(today.toordinal() - k).isoformat()
                          for k in (30, 20, 10))
    start.fill("")
    page.get_by_role("button", name="Afficher", exact=True).click()
    error.filter(has_text="Choisissez les deux dates de la période.").wait_for()
    assert page.evaluate("document.activeElement.id") == "from"
    assert start.get_attribute("aria-invalid") == "true"
    assert end.get_attribute("aria-invalid") is None
    for field in (start, end):
        assert "period-error" in field.get_attribute("aria-describedby").split()
    assert page.locator("#message").is_hidden()  # not the page's alert, far above
    # Beside the fields: within the period's form, just below the dates.
    assert page.locator("#custom-dates #period-error").count() == 1
    box, field_box = error.bounding_box(), start.bounding_box()
    assert 0 <= box["y"] - field_box["y"] < 250, (box, field_box)
    assert_accessible(page)

    # The start after the end: both dates marked, the first focused.
    start.fill(later)
    end.fill(late)
    end.press("Enter")
    error.filter(has_text="La date de fin doit suivre la date de début.").wait_for()
    assert page.evaluate("document.activeElement.id") == "from"
    assert start.get_attribute("aria-invalid") == end.get_attribute("aria-invalid") == "true"
    # A year mistyped (« 20260 » gives 0260): out of the picker's range, said so.
    start.fill(f"0260{early[4:]}")
    end.fill(late)
    page.get_by_role("button", name="Afficher", exact=True).click()
    error.filter(has_text="Date hors des limites : entre le 01/01/2000 et le ").wait_for()
    assert start.get_attribute("aria-invalid") == "true"
    assert end.get_attribute("aria-invalid") is None
    # Corrected: the message and the marks go, the curves come.
    start.fill(early)
    page.get_by_role("button", name="Afficher", exact=True).click()
    page.locator('#charts[data-period="custom"]').wait_for(state="attached")
    assert error.inner_text() == "" and error.is_hidden()
    assert start.get_attribute("aria-invalid") is None


@ON_PHONE
def test_sending_a_command_shows_its_progress(page, server, size, territory, web_db,
                                              web_registry):
    cabinet = equip_cabinet(web_db, web_registry, territory)
    tenant = territory["tenant"]
    login(page, server, then=f"/equipements/{cabinet}")
    # The page's other parts (latest values, panels, charts, alerts) fill in above the
    # forms: a click while they arrive can land on what moved under it.
    page.locator("body[data-ready]").wait_for(state="attached")
    form = page.locator('form[data-action="lighting.set_dimming"]')
    form.get_by_label("Niveau de gradation (%) (obligatoire)").fill("40")
    form.get_by_role("button", name="Régler la gradation…").click()
    dialog = page.get_by_role("dialog", name="Confirmer la commande")
    dialog.wait_for()
    assert "Niveau de gradation : 40 %" in dialog.inner_text()
    assert page.evaluate("document.activeElement.textContent") == "Annuler"
    dialog.get_by_role("button", name="Confirmer").click()
    row = page.locator("#command-list li").first
    row.locator(".command-status", has_text="demandée").wait_for()
    assert "Niveau de gradation : 40 %" in row.inner_text()
    assert row.get_by_role("button", name="Annuler la commande").count() == 1
    # no dispatcher in this server: move the command as it and the device would
    (command,) = command_ids(web_db, tenant, cabinet)
    move_command(web_db, tenant, command, "send")
    row.locator(".command-status", has_text="transmise").wait_for()
    assert row.get_by_role("button", name="Annuler la commande").count() == 0  # too late
    move_command(web_db, tenant, command, "acknowledge")
    row.locator(".command-status", has_text="acquittée").wait_for()
    assert "acquittée le" in row.inner_text()


@AT_DESK
def test_a_pending_command_can_be_cancelled(page, server, size, territory, web_db,
                                           web_registry):
    cabinet = equip_cabinet(web_db, web_registry, territory)
    login(page, server, then=f"/equipements/{cabinet}")
    # The page's other parts (latest values, panels, charts, alerts) fill in above the
    # forms: a click while they arrive can land on what moved under it.
    page.locator("body[data-ready]").wait_for(state="attached")
    form = page.locator('form[data-action="lighting.switch"]')
    form.get_by_role("button", name="Allumer ou éteindre…").click()
    page.get_by_role("dialog", name="Confirmer la commande").get_by_role(
        "button", name="Confirmer").click()
    row = page.locator("#command-list li").first
    row.locator(".command-status", has_text="demandée").wait_for()
    page.once("dialog", lambda dialog: dialog.accept())  # "Annuler cette commande ?"
    row.get_by_role("button", name="Annuler la commande").click()
    row.locator(".command-status", has_text="annulée").wait_for()
    assert "Annulée par un utilisateur." in row.inner_text()


@ON_PHONE
def test_a_cabinet_without_controller_offers_no_command_and_says_why(page, server, size,
                                                                     territory, web_db,
                                                                     web_registry):
    """Issue #13: cabinet 2 has no controller: no command form (nothing to confirm and see
    refused), the reason instead; cabinet 1, equipped, gets the forms."""
    equip_cabinet(web_db, web_registry, territory)
    login(page, server, then=f"/equipements/{territory['cabinets'][1]}")
    why = page.locator("#actions-unavailable")
    why.wait_for()
    assert "Aucune commande ne peut être envoyée à cet équipement" in why.inner_text()
    assert "Aucun contrôleur télégéré n'est rattaché" in why.inner_text()
    assert page.locator("form.action-form").count() == 0
    panel = page.locator(".lighting-panel")
    panel.locator("#lp-emergency-unavailable").wait_for()
    assert "Aucun contrôleur télégéré n'est rattaché à cet équipement" in panel.locator(
        "#lp-emergency-unavailable").inner_text()
    assert panel.get_by_role("button", name="Éclairage d'urgence").count() == 0
    assert_accessible(page)
    page.goto(f"{server.url}/equipements/{territory['cabinets'][0]}")
    page.locator('form[data-action="lighting.switch"]').wait_for()
    assert page.locator("form.action-form").count() == 5
    assert page.locator("#actions-unavailable").count() == 0
    page.locator(".lighting-panel").get_by_role("button", name="Éclairage d'urgence").wait_for()


@AT_DESK
def test_a_viewer_sees_no_command_form(page, server, size, territory):
    login(page, server, then=f"/equipements/{territory['cabinets'][1]}")
    page.locator("#actions-unavailable").wait_for()
    page.get_by_role("button", name="Se déconnecter").click()
    page.wait_for_url(f"{server.url}/connexion")
    login(page, server, "elu@cc-vosges.fr", then=f"/equipements/{territory['cabinets'][1]}")
    page.get_by_text("Votre rôle permet de consulter les commandes").wait_for()
    assert page.locator("form.action-form").count() == 0


def test_charts_use_french_dates_and_times(page, server, size, territory):
    """Issue #13: no "8am" nor "11/28/26" on the axes: 24 h clock, dd/mm, French months."""
    login(page, server, then=f"/equipements/{territory['cabinets'][0]}")
    page.locator("body[data-chart-ready]").wait_for(state="attached")
    chart = page.locator(f'.chart[data-stream-id="{territory["energy"]}"] .uplot')
    x, y = ticks(chart)  # a week, hour by hour
    assert_french_time_axis(x)
    assert re.search(r"\b\d{2}/\d{2}\b", x), x  # days as dd/mm (and hours as HH:00 if room)
    assert_french_numbers(y)
    page.locator("body[data-ready]").wait_for(state="attached")  # (nothing moves any more)
    page.get_by_label("Année").check()
    page.locator('#charts[data-period="year"]').wait_for(state="attached")
    x, _ = ticks(page.locator(f'.chart[data-stream-id="{territory["energy"]}"] .uplot'))
    assert_french_time_axis(x)
    assert re.search(r"janv\.|févr\.|mars|avr\.|mai|juin|juil\.|août|sept\.|oct\.|nov\.|déc\."
                     r"|\b\d{2}/\d{2}\b", x), x


@ON_PHONE
def test_the_position_of_a_line_or_a_surface_is_named_in_french(page, server, size,
                                                                 map_territory):
    """A water main is a line and a building a surface: said in French, not GeoJSON's
    « LineString » or « Polygon »."""
    for asset, text in ((map_territory["main"], "Tracé (ligne)."),
                        (map_territory["school"], "Surface (polygone).")):
        login(page, server, then=f"/equipements/{asset}")
        page.locator("#position-text", has_text=text).wait_for()


@ON_PHONE
def test_the_position_map_zooms_with_french_buttons(page, server, size, territory):
    """As on the other maps: Leaflet's own buttons are « Zoom in » and « Zoom out »."""
    login(page, server, then=f"/equipements/{territory['cabinets'][0]}")
    position = page.locator("#asset-map")
    position.get_by_role("button", name="Zoom avant").wait_for()
    assert position.get_by_role("button", name="Zoom arrière").is_visible()


@ON_PHONE
def test_an_unknown_asset_is_said_without_the_empty_sections_of_a_sheet(page, server, size,
                                                                         territory):
    login(page, server, then="/equipements/999999")
    page.get_by_role("alert").get_by_text("Équipement 999999 introuvable").wait_for()
    for name in ("Caractéristiques", "Dernières valeurs", "Courbes", "Alertes", "Commandes"):
        assert not page.get_by_role("heading", name=name, exact=True).is_visible(), name
    assert page.get_by_role("link", name="Carte", exact=True).first.is_visible()  # a way on
    assert_accessible(page)
