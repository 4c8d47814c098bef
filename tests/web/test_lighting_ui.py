"""The lighting interface (issue #6): compliance report (printable), cabinet panel of the
asset page (schedule timeline, programme editor, emergency lighting, energy), colour
temperature on the map, lighting dashboard."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

import pytest
from suite_apps import fresh_app

from beffroi.core import assets, devices
from beffroi.core.access import CLI, open_scope
from beffroi.core.alerting import alerts
from beffroi.core.clock import now_ms
from beffroi.core.registry import (
    Domain,
    MapClass,
    MapStyle,
    Page,
    RegistryError,
    build_registry,
)

from .chart_checks import assert_french_numbers, assert_french_time_axis, ticks
from .conftest import AT_DESK, ON_PHONE, assert_accessible, login, open_menu, screenshot, wait_for
from .test_map import open_map, popup, search

FULL = {"category": "a", "lamp_type": "led", "power_w": 40, "flux_lm": 4800, "ulr_percent": 0,
        "cie_flux_code_3_percent": 95, "head_installed": "2021-05-01", "mast_height_m": 6,
        "built_up_area": True, "protected_area": "none", "lit_area_m2": 400}


@pytest.fixture(name="lighting")
def lighting_fixture(web_db, web_registry, territory) -> dict:
    """Cabinet 1 becomes remote-managed (with a controller) and feeds three luminaires,
    one of them too cold (4 000 K, art. 3); a mercury lamp in the other commune."""
    db, reg = web_db, web_registry
    cabinet = territory["cabinets"][0]
    with db.write() as conn:
        scope = open_scope(db, conn, CLI, territory["tenant"])
        assets.update_asset(scope, conn, reg, cabinet, {"properties": {
            "switching": "remote", "connected_power_kw": 3.2}})
        devices.create_device(scope, conn, {"name": "Contrôleur armoire 1",
                                            "dev_eui": "70b3d57ed0000001",
                                            "asset_id": cabinet}, reg)
        made = {}
        for ref, lon, props, commune in (
                ("LUM-88383-0001", 6.591, {**FULL, "color_temperature_k": 4000}, "88383"),
                ("LUM-88383-0002", 6.592, {**FULL, "color_temperature_k": 2200}, "88383"),
                ("LUM-88383-0003", 6.593, {"category": "a", "lamp_type": "led",
                                           "color_temperature_k": 2700}, "88383"),
                ("LUM-88413-0001", 6.62, {"category": "a", "lamp_type": "mercury"}, "88413")):
            made[ref] = assets.create_asset(scope, conn, reg, {
                "ref": ref, "kind": "lighting.luminaire", "name": f"Point lumineux {ref[-4:]}",
                "commune": commune, "parent_id": cabinet if commune == "88383" else None,
                "geometry": {"type": "Point", "coordinates": [lon, 48.021]},
                "properties": props}).id
        failure = alerts.raise_alert(db, conn, reg, territory["tenant"], alerts.Trigger(
            key=f"lighting.dark_at_night:{cabinet}", severity="warning",
            title="Armoire éteinte la nuit", at=now_ms() - 7_200_000, asset_id=cabinet,
            detector="lighting.dark_at_night"))
    return {**territory, "cabinet": cabinet, "luminaires": made, "failure": failure.id}


@AT_DESK
def test_compliance_report_lists_breaches_and_prints(page, server, size, lighting):
    login(page, server, email="elu@cc-vosges.fr", then="/eclairage/conformite")
    page.locator("body[data-ready]").wait_for(state="attached")
    page.get_by_role("heading", level=1, name="Conformité de l'éclairage public").wait_for()
    remiremont = page.locator('section.commune-report[data-insee="88383"]')
    row = remiremont.locator('tr[data-rule="color_temperature"]')
    assert row.count() == 1
    text = row.inner_text()
    assert "LUM-88383-0001" in text and "art. 3, II, 3°" in text
    assert "4\u202f000 K" in text and "3\u202f000 K" in text
    other = page.locator('section.commune-report[data-insee="88413"]')
    assert "Lampe à vapeur de mercure" in other.inner_text()
    assert "température de couleur (K)" in other.inner_text()  # art. 5 completeness
    assert_accessible(page)
    screenshot(page, "eclairage-conformite", size)

    page.get_by_label("Commune").select_option("88413")
    page.wait_for_url("**/eclairage/conformite?commune=88413")
    page.locator('section.commune-report[data-insee="88383"]').wait_for(state="detached")
    assert page.locator("section.commune-report").count() == 1

    page.emulate_media(media="print")
    assert page.locator("#site-header").is_hidden()
    assert page.get_by_role("button", name="Imprimer").is_hidden()
    colour = page.evaluate("getComputedStyle(document.querySelector('main')).color")
    assert colour == "rgb(0, 0, 0)"
    assert page.evaluate("getComputedStyle(document.querySelector('.commune-report'))"
                         ".breakBefore") == "page"
    screenshot(page, "eclairage-conformite-impression", size)


def panel_editor(page):
    return page.get_by_role("region", name="Modifier le programme")


def _api(page, server, path: str):
    response = page.request.get(f"{server.url}/api/v1{path}")
    assert response.ok, response.text()
    return response.json()


@AT_DESK
def test_cabinet_panel_saves_a_preset_and_the_timeline_follows(page, server, size, lighting):
    t, cabinet = lighting["tenant"], lighting["cabinet"]
    login(page, server, then=f"/equipements/{cabinet}")
    panel = page.locator(".lighting-panel")
    page.locator(".lighting-panel[data-timeline-ready]").wait_for(state="attached")
    assert panel.locator("svg line.off").count() == 0  # dusk to dawn by default
    assert "aucun programme enregistré" in panel.locator("#lp-current").inner_text()
    assert "Pleine puissance (100 %)" in panel.locator("#lp-burn").inner_text()
    # Issue #13: the energy chart of the last 30 days speaks French (days as dd/mm).
    x, y = ticks(panel.locator("#lp-energy-plot .uplot"))
    assert_french_time_axis(x)
    assert_french_numbers(y)
    assert_accessible(page)

    panel_editor(page).get_by_label("Choisir un programme").select_option(label="Extinction de 23 h à 5 h")
    page.get_by_role("button", name="Enregistrer").click()
    status = panel.locator("#lp-form-status")
    status.get_by_text("Programme enregistré et envoyé au contrôleur").wait_for()
    stored = _api(page, server, f"/tenants/{t}/lighting/cabinets/{cabinet}/programme")
    assert stored["source"] == "stored" and stored["programme"]["key"] == "cut_23_5"
    assert stored["last_push"]["steps"] == "sunset=100 23:00=0 05:00=100 sunrise=0"
    # Every night of the timeline goes dark at 23:00 and relights at 05:00.
    panel.locator("svg line.off").first.wait_for(state="attached")
    offs = panel.locator("svg line.off")
    assert offs.count() == 7
    assert {offs.nth(i).get_attribute("data-from") for i in range(7)} == {"23:00"}
    assert {offs.nth(i).get_attribute("data-to") for i in range(7)} == {"05:00"}
    assert "23:00 : extinction ; 05:00 : pleine puissance" in panel.locator(
        "#lp-nights-summary").inner_text()
    assert "Extinction de 23 h à 5 h" in panel.locator("#lp-current").inner_text()
    assert "commande n°" in panel.locator("#lp-push").inner_text()
    page.locator("#command-list").get_by_text("Charger un programme").wait_for()
    screenshot(page, "eclairage-armoire", size)


@AT_DESK
def test_programme_editor_shows_the_api_errors_next_to_the_fields(page, server, size, lighting):
    cabinet = lighting["cabinet"]
    login(page, server, then=f"/equipements/{cabinet}")
    panel = page.locator(".lighting-panel[data-timeline-ready]")
    panel.wait_for(state="attached")
    panel_editor(page).get_by_label("Choisir un programme").select_option("custom")
    page.get_by_role("button", name="Ajouter une étape").first.click()
    level = page.get_by_label("Niveau de l'étape 3 (%)")
    assert level.evaluate("e => e === document.activeElement") is False
    page.get_by_label("Heure de l'étape 3").fill("22:30")
    level.fill("150")
    page.get_by_role("button", name="Enregistrer").click()
    error = page.locator("#lp-steps-2-level-err")
    error.get_by_text("niveau entier de 0 (éteint) à 100 (plein feu)").wait_for()
    assert level.get_attribute("aria-invalid") == "true"
    assert "Programme invalide." in page.locator("#lp-form-error").inner_text()
    assert_accessible(page)
    screenshot(page, "eclairage-armoire-erreur", size)

    # Corrected, previewed (not saved): the timeline shows 50 % from 22:30.
    level.fill("50")
    page.get_by_role("button", name="Aperçu").click()
    page.locator('svg rect.lit[data-level="50"][data-from="22:30"]').first.wait_for()
    assert level.get_attribute("aria-invalid") is None
    assert "non enregistré" in page.locator("#lp-nights-note").inner_text()
    # Issue #13: the status says what happened, not "[object Object]".
    status = page.locator("#lp-form-status")
    status.get_by_text("Aperçu affiché ci-dessus (non enregistré).").wait_for()
    assert "[object Object]" not in page.locator(".lighting-panel").inner_text()

    # A seasonal variant with a wrong date: the message sits under its field.
    page.get_by_role("button", name="Ajouter une variante saisonnière").click()
    page.get_by_label("Du (MM-JJ)").fill("13-01")
    page.get_by_role("button", name="Aperçu").click()
    page.locator("#lp-v0-start-err").get_by_text("date « MM-JJ » attendue").wait_for()
    page.get_by_label("Du (MM-JJ)").fill("01-01")
    page.get_by_label("Au (MM-JJ, inclus)").fill("12-31")
    page.get_by_label("Niveau de l'étape 3 de la variante 1 (%)").fill("0")
    page.get_by_role("button", name="Enregistrer").click()
    page.locator("#lp-form-status").get_by_text("Programme enregistré").wait_for()
    # All year long (the variant), the night now ends at 22:30.
    page.locator('svg rect.lit[data-to="22:30"]').nth(6).wait_for()
    assert "(modifié)" in page.locator("#lp-current").inner_text()

    # The variant restricted to Friday and Saturday evenings, by keyboard.
    page.locator("#lp-form-status").get_by_text("Programme enregistré").wait_for()
    for day in ("vendredi", "samedi"):
        box = page.locator("#lp-v0-weekdays").get_by_label(day)
        box.focus()
        page.keyboard.press("Space")
        assert box.is_checked()
    page.get_by_role("button", name="Enregistrer").click()
    page.locator("#lp-form-status").get_by_text("Programme enregistré").wait_for()
    stored = _api(page, server, f"/tenants/{lighting['tenant']}/lighting/cabinets/"
                                f"{lighting['cabinet']}/programme")
    assert stored["programme"]["variants"][0]["weekdays"] == [5, 6]


@ON_PHONE
def test_emergency_lighting_button(page, server, size, lighting):
    t, cabinet = lighting["tenant"], lighting["cabinet"]
    login(page, server, then=f"/equipements/{cabinet}")
    page.locator(".lighting-panel[data-timeline-ready]").wait_for(state="attached")
    override = page.locator("#lp-override")
    override.get_by_text("Aucun éclairage d'urgence en cours.").wait_for()
    page.get_by_label("Durée (heures, de 1 à 12)").fill("2")
    page.get_by_label("Motif").fill("Accident RD 57, demande des pompiers")
    page.get_by_role("button", name="Éclairage d'urgence").click()
    dialog = page.get_by_role("dialog", name="Confirmer l'éclairage d'urgence")
    assert "pendant 2 h" in dialog.inner_text()
    assert_accessible(page)
    dialog.get_by_role("button", name="Allumer").click()
    override.get_by_text("Éclairage d'urgence demandé").wait_for()
    status = _api(page, server, f"/tenants/{t}/lighting/cabinets/{cabinet}/override")
    assert status["pending"] is True
    page.locator("#command-list").get_by_text("Allumage d'urgence").wait_for()

    page.get_by_label("Durée (heures, de 1 à 12)").fill("20")
    page.get_by_role("button", name="Éclairage d'urgence").click()
    dialog.get_by_role("button", name="Allumer").click()
    page.locator("#lp-hours-err").get_by_text("durée en heures, de 1 à 12").wait_for()
    screenshot(page, "eclairage-urgence", size)


def test_map_colours_luminaires_by_colour_temperature(page, server, size, lighting):
    open_map(page, server)
    page.get_by_label("Température de couleur").check()
    page.wait_for_url("**/carte?couleur=lighting.color_temperature")
    legend = page.locator("#legend-style")
    legend.wait_for()
    assert page.locator("#legend-status").is_hidden()
    lines = legend.locator("li").all_inner_texts()
    assert lines[:4] == ["2 400 K ou moins (ambrée) (1)", "2 401 à 3 000 K (blanc chaud) (1)",
                         "Plus de 3 000 K (blanc froid) (1)", "Température non renseignée (1)"]
    assert lines[4] == "Autre équipement (non concerné)"
    assert legend.locator("svg polygon").count() >= 2  # triangle and diamond: shapes, not colour alone
    result = search(page, "LUM-88383-0001")
    assert "Plus de 3 000 K (blanc froid)" in result.inner_text()
    result.click()
    text = popup(page, "Point lumineux 0001").inner_text()
    assert "Température de couleur : 4\u202f000 K — Plus de 3 000 K (blanc froid)" in text
    marker = page.locator(".asset-shape[title^='Point lumineux 0001']")
    assert "Plus de 3 000 K" in marker.get_attribute("title")
    assert_accessible(page)
    screenshot(page, "carte-temperature-couleur", size)

    page.get_by_label("État (alertes, capteurs)").check()
    page.locator("#legend-status").wait_for()
    assert legend.is_hidden()
    page.goto(f"{server.url}/carte?couleur=lighting.color_temperature")
    wait_for(page, "window.beffroiMap && window.beffroiMap.ready !== null")
    assert page.locator("body[data-colouring='lighting.color_temperature']").count() == 1


def _kwh(value: float) -> str:
    """The dashboard's kWh: French digit groups (narrow no-break space), no decimals from
    100 kWh up, one below (a month with a single day of readings, say)."""
    if abs(value) < 100:
        tenth = Decimal(str(value)).quantize(Decimal("0.1"), ROUND_HALF_UP)  # as Intl rounds
        return f"{tenth.normalize():f}".replace(".", ",") + " kWh"
    whole = int(Decimal(str(value)).quantize(Decimal(1), ROUND_HALF_UP))
    return f"{whole:,}".replace(",", "\u202f") + " kWh"


def test_dashboard_shows_the_figures_of_the_api(page, server, size, lighting):
    t = lighting["tenant"]
    login(page, server, email="elu@cc-vosges.fr", then="/eclairage")
    page.locator("body[data-ready]").wait_for(state="attached")
    open_menu(page)
    nav = page.get_by_role("navigation", name="Menu principal")
    assert nav.get_by_role("link", name="Éclairage").get_attribute("aria-current") == "page"
    s = _api(page, server, f"/tenants/{t}/lighting/summary")
    assert page.locator(f"body[data-ready='{s['year']}-']").count() == 1
    energy = s["energy"]
    # The fixture holds the last 366 days of hourly readings: the year before is always
    # measured; the current one is not yet in the first hour of 1 January (Paris time).
    assert energy["previous_year_kwh"]
    assert energy["year_kwh"] or not energy["coverage"]["year"]["days"]
    figures = {
        "year_kwh": energy["year_kwh"], "previous_year_kwh": energy["previous_year_kwh"],
        "expected_kwh": energy["expected_kwh"], "savings_kwh": s["savings"]["kwh"],
        "failures": s["failures"]["open"], "non_compliances": s["non_compliances"]["luminaires"],
        "inventory": s["luminaires"],
    }
    for key, value in figures.items():
        shown = page.locator(f'[data-figure="{key}"] dd').get_attribute("data-value")
        assert (float(shown) if shown else None) == value, key
    if energy["year_kwh"]:
        assert page.locator('[data-figure="year_kwh"] dd').inner_text().startswith(
            _kwh(energy["year_kwh"]))
    assert s["failures"]["open"] == 1 and s["non_compliances"]["luminaires"] == 2
    for month in energy["months"]:
        row = page.locator(f'tr[data-month="{month["month"]}"]').inner_text()
        for value in (month["kwh"], month["previous_kwh"]):
            if value is not None:
                assert _kwh(value) in row, (month, row)
        change = page.locator(f'tr[data-month="{month["month"]}"] td[data-value]')
        assert change.get_attribute("data-value") == (
            "" if month["change_pct"] is None else str(month["change_pct"]))
        if month["change_pct"] is None:
            assert "%" not in change.inner_text()
    # Issue #13: the year is compared with the same days of the year before only, and
    # "whole year" is said only of a complete year (the fixture holds 366 days of readings).
    comparison, covered = energy["comparison"], energy["coverage"]["previous_year"]
    year_text = page.locator('[data-figure="year_kwh"] dd').inner_text()
    if not energy["coverage"]["year"]["days"]:
        assert "aucune mesure" in year_text
    elif comparison["change_pct"] is None:
        days = comparison["days"]
        assert (f"comparaison impossible : {days} jour{'s' if days > 1 else ''} "
                f"relevé{'s' if days > 1 else ''} sur les deux périodes") in year_text
        assert "%" not in year_text
    else:
        assert f"par rapport aux mêmes jours de {s['year'] - 1}" in year_text
    previous_text = page.locator('[data-figure="previous_year_kwh"] dd').inner_text()
    assert ("année entière" in previous_text) is covered["complete"]
    if not covered["complete"] and covered["days"]:
        n = covered["days"]
        assert f"{n} jour{'s' if n > 1 else ''} relevé{'s' if n > 1 else ''}" in previous_text
    failures = page.locator("#failures")
    assert failures.get_by_role("link", name="ARM-88383-01").get_attribute(
        "href") == f"/equipements/{lighting['cabinet']}"
    assert page.locator("#months-plot canvas").count() >= 1
    _, y = ticks(page.locator("#months-plot .uplot"))
    assert_french_numbers(y)
    assert_accessible(page)
    screenshot(page, "eclairage-tableau-de-bord", size)

    page.get_by_label("Commune").select_option("88413")
    page.locator(f"body[data-ready='{s['year']}-88413']").wait_for(state="attached")
    assert page.locator('[data-figure="non_compliances"] dd').get_attribute("data-value") == "1"
    assert "Aucune panne en cours." in failures.inner_text()
    page.get_by_role("link", name="rapport de conformité").click()
    page.wait_for_url("**/eclairage/conformite?commune=88413")
    page.locator("body[data-ready]").wait_for(state="attached")
    assert page.get_by_label("Commune").input_value() == "88413"


def test_domains_add_pages_panels_and_map_styles_through_their_domain_object(web_db,
                                                                            web_registry):
    from fastapi.testclient import TestClient

    client = TestClient(fresh_app(web_db, web_registry))
    ui = client.get("/interface.json").json()
    assert {"path": "/eclairage", "label": "Éclairage", "domain": "lighting"} in ui["nav"]
    assert "/eclairage/conformite" not in [n["path"] for n in ui["nav"]]  # linked, not in the menu
    [panel] = [p for p in ui["panels"] if p["domain"] == "lighting"]
    assert panel["asset_kinds"] == ["lighting.cabinet"]
    module = client.get(panel["module"])
    assert module.status_code == 200 and "javascript" in module.headers["content-type"]
    [style] = [s for s in ui["map_styles"] if s["key"] == "lighting.color_temperature"]
    assert style["property"] == "color_temperature_k"
    assert [c["maximum"] for c in style["classes"]] == [2400, 3000, None]
    shell = client.get("/eclairage/conformite")
    assert shell.status_code == 200 and "/static/domains/lighting/conformite.js" in shell.text
    assert client.get("/static/js/common.js").status_code == 200  # core's files still served

    with pytest.raises(RegistryError, match="sans dossier web_dir"):
        build_registry([Domain(key="x", label="X", pages=(Page("/x", "x.html"),))])
    with pytest.raises(RegistryError, match=r"map_styles\[0\]\.key.*« colour » hors de l'espace du domaine"):
        build_registry([Domain(key="x", label="X", map_styles=(MapStyle(
            "colour", "Couleur", ("x.thing",), "colour", (MapClass("Rouge", "#ce0500"),)),))])
    with pytest.raises(RegistryError, match=r"domaine « y », page « /a » \(pages\[0\]\.path\) : « /a » déjà déclaré par le domaine « x »"):
        build_registry([Domain(key="x", label="X", web_dir="/tmp", pages=(Page("/a", "a.html"),)),
                        Domain(key="y", label="Y", web_dir="/tmp", pages=(Page("/a", "b.html"),))])
