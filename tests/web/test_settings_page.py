"""The page « Paramètres du territoire » in Chromium: one form per group of settings (core's,
then each domain's), generated from the declarations; a group saves its changed keys, an
out-of-bounds value is refused beside its field with nothing saved, a declared setting goes
back to its default; agents and elected members read the settings without changing them."""

from __future__ import annotations

import pytest
from suite_apps import fresh_app

from beffroi.core.registry import Domain, PropertySpec, Setting, load_registry
from beffroi.core.settings import declared_settings

from .conftest import AT_DESK, LiveServer, assert_accessible, login, screenshot

ADMIN = "admin@cc-vosges.fr"
TARIFF = "lighting.tariff_eur_kwh"


# A domain the page has never heard of: its settings get their fields all the same.
DEMO = Domain(key="demo", label="Démonstration", settings=(
    Setting(PropertySpec("demo.threshold_m", "number", "Seuil de démonstration", unit="m",
                         minimum=0, maximum=3), 1.5, "Valeur d'essai.", verified=True),
    Setting(PropertySpec("demo.rounds", "list", "Tournées de démonstration",
                         entry_fields=(PropertySpec("day", "string", "Jour"),
                                       PropertySpec("km", "number", "Distance", unit="km")),
                         entry_label="Tournée"),
            [{"day": "lundi", "km": 12.5}], "Exemple de tournée."),
))


def _settings(page, server, territory) -> dict:
    """The territory's settings, as the API gives them (the page's session)."""
    answer = page.request.get(f"{server.url}/api/v1/tenants/{territory['tenant']}")
    assert answer.ok, answer.text()
    return answer.json()["settings"]


def _form(page, label: str):
    return page.locator("form.settings-group").filter(
        has=page.get_by_role("heading", name=label, exact=True))


def test_an_administrator_sees_every_group_with_defaults_and_sources(page, server, territory,
                                                                     web_registry, size):
    login(page, server, email=ADMIN, then="/parametres")
    page.get_by_role("heading", name="Paramètres du territoire — CC de la Porte des Vosges "
                     "Méridionales").wait_for()
    page.get_by_role("heading", name="Fonctionnement et astreinte").wait_for()
    headings = [d.label for d in web_registry.domains.values() if d.settings]
    for name in ("Fonctionnement et astreinte", "Publication et données ouvertes",
                 "Conservation des données", "Rapport d'impact", *headings):
        assert page.get_by_role("heading", name=name, exact=True).is_visible(), name
    # A domain's setting: its label and unit, its bounds, its default with its source.
    tariff = declared_settings(web_registry)[TARIFF]
    field = page.get_by_label(f"{tariff.spec.label} (€/kWh)", exact=True)
    assert field.input_value() == "0,25"
    hint = page.locator("#p-lighting-tariff_eur_kwh-hint").inner_text()
    assert "De 0 à 10\u00a0€/kWh." in hint
    assert ("Valeur par défaut : 0,25\u00a0€/kWh — source : " + tariff.source.rstrip(".")
            + " ; à vérifier.") in hint  # (not verified in its declaration)
    assert page.locator("#p-lighting-tariff_eur_kwh-origin").inner_text() == "Valeur par défaut"
    assert "à vérifier" not in page.locator("#p-risks-hubeau_enabled-hint").inner_text()
    # A core setting; the asset kinds open to anonymous readers, grouped by domain.
    delay = page.get_by_label("Délai avant de prévenir le suppléant d'astreinte (min)")
    assert delay.input_value() == "30"
    assert "De 1 à 1440\u00a0min." in page.locator("#p-escalation_delay_min-hint").inner_text()
    kinds = page.get_by_role("group", name="Types d'équipements consultables sans connexion")
    assert kinds.get_by_role("group", name="Éclairage public").get_by_label(
        "Armoire d'éclairage public").is_visible()
    # What the form cannot edit is shown with the way to change it.
    grid = page.locator("#p-water-ilp_grid-box")
    assert "PATCH /api/v1/tenants/" in grid.inner_text()
    # …as a table in French: its columns' labels and units, its rows' types of network
    assert grid.locator("thead th").all_inner_texts()[:3] == [
        "Type de réseau", "Type retenu tant que l'ILC est inférieur à (m³/km/j)",
        "Bon en dessous de (m³/km/j)"]
    assert [row.inner_text().split("\t") for row in grid.locator("tbody tr").all()] == [
        ["rural", "10", "1,5", "2,5", "4"], ["intermédiaire", "30", "3", "5", "8"],
        ["urbain", "—", "7", "10", "15"]]
    assert_accessible(page)
    screenshot(page, "parametres", size)


@AT_DESK
def test_a_core_and_a_domain_setting_are_saved_through_their_forms(page, server, territory,
                                                                   size):
    login(page, server, email=ADMIN, then="/parametres")
    general = _form(page, "Fonctionnement et astreinte")
    delay = general.get_by_label("Délai avant de prévenir le suppléant d'astreinte (min)")
    delay.fill("45")
    general.get_by_role("button", name="Enregistrer").click()
    status = general.get_by_role("status")
    status.filter(has_text="Enregistré").wait_for()
    assert status.inner_text() == ("Enregistré (1 paramètre) — Délai avant de prévenir le "
                                   "suppléant d'astreinte : 45\u00a0min.")
    assert page.locator("#p-escalation_delay_min-origin").inner_text() == "Valeur du territoire"

    lighting = _form(page, "Éclairage public")
    lighting.get_by_label("Prix de l'électricité (€/kWh)").fill("0,1635")
    lighting.get_by_label("Référence des économies").select_option("reference_year")
    lighting.get_by_label("Année de référence mesurée").fill("2019")
    lighting.get_by_role("button", name="Enregistrer").click()
    lighting.get_by_role("status").filter(has_text="3 paramètres").wait_for()
    settings = _settings(page, server, territory)
    assert settings["escalation_delay_min"] == 45
    assert settings[TARIFF] == 0.1635
    assert settings["lighting.savings_baseline"] == "reference_year"
    assert settings["lighting.reference_year"] == 2019
    # The page shows what is stored, once reloaded too.
    page.reload()
    assert page.get_by_label("Prix de l'électricité (€/kWh)").input_value() == "0,1635"
    assert page.get_by_label("Année de référence mesurée").input_value() == "2019"
    assert page.locator("#p-lighting-tariff_eur_kwh-origin").inner_text() == "Valeur du territoire"
    # Nothing changed: nothing sent.
    _form(page, "Éclairage public").get_by_role("button", name="Enregistrer").click()
    _form(page, "Éclairage public").get_by_role("status").filter(
        has_text="Aucune modification").wait_for()


@AT_DESK
def test_an_out_of_bounds_value_is_refused_beside_its_field_and_nothing_is_saved(
        page, server, territory, size):
    login(page, server, email=ADMIN, then="/parametres")
    general = _form(page, "Fonctionnement et astreinte")
    delay = general.get_by_label("Délai avant de prévenir le suppléant d'astreinte (min)")
    delay.fill("5000")
    general.get_by_label("Heure du récapitulatif quotidien").fill("06:45")
    general.get_by_role("button", name="Enregistrer").click()
    error = page.locator("#p-escalation_delay_min-error")
    error.wait_for()
    assert error.inner_text() == "nombre entier de minutes, de 1 à 1440"
    assert delay.get_attribute("aria-invalid") == "true"
    assert "p-escalation_delay_min-error" in delay.get_attribute("aria-describedby").split()
    assert page.evaluate("document.activeElement.id") == "p-escalation_delay_min"
    alert = general.get_by_role("alert")
    assert "Rien n'a été enregistré dans ce groupe." in alert.inner_text()
    assert ("Délai avant de prévenir le suppléant d'astreinte (min) : nombre entier de "
            "minutes, de 1 à 1440") in alert.inner_text()
    # What was typed stays; the API refused the whole request: the other change neither.
    assert delay.input_value() == "5000"
    assert general.get_by_label("Heure du récapitulatif quotidien").input_value() == "06:45"
    settings = _settings(page, server, territory)
    assert (settings["escalation_delay_min"], settings["digest_time"]) == (30, "07:30")
    assert_accessible(page)
    screenshot(page, "parametres-erreur", size)

    # A check across fields: the API names the end of the working hours, and so does the page.
    delay.fill("30")
    general.get_by_label("Heure du récapitulatif quotidien").fill("07:30")
    hours = general.get_by_role("group", name="Heures ouvrées")
    hours.get_by_label("Fin").fill("07:00")
    general.get_by_role("button", name="Enregistrer").click()
    page.locator("#p-working_hours-end-error").filter(has_text="après le début").wait_for()
    assert hours.get_by_label("Fin").get_attribute("aria-invalid") == "true"
    assert delay.get_attribute("aria-invalid") is None
    assert page.evaluate("document.activeElement.id") == "p-working_hours-end"
    assert _settings(page, server, territory)["working_hours"]["end"] == "18:00"

    # A domain's bound: the API's message, beside the field; then corrected and saved.
    lighting = _form(page, "Éclairage public")
    tariff = lighting.get_by_label("Prix de l'électricité (€/kWh)")
    tariff.fill("12")
    lighting.get_by_role("button", name="Enregistrer").click()
    page.locator("#p-lighting-tariff_eur_kwh-error").filter(has_text="maximum").wait_for()
    assert tariff.get_attribute("aria-invalid") == "true"
    assert _settings(page, server, territory)[TARIFF] == 0.25
    tariff.fill("0,2")
    lighting.get_by_role("button", name="Enregistrer").click()
    lighting.get_by_role("status").filter(has_text="Enregistré").wait_for()
    assert tariff.get_attribute("aria-invalid") is None
    assert page.locator("#p-lighting-tariff_eur_kwh-error").inner_text() == ""
    assert _settings(page, server, territory)[TARIFF] == 0.2


@AT_DESK
def test_a_declared_setting_goes_back_to_its_default(page, server, territory, web_registry,
                                                     size):
    default = declared_settings(web_registry)["water.price_eur_m3"].default
    login(page, server, email=ADMIN, then="/parametres")
    water = _form(page, "Eau potable")
    reset = water.get_by_role("button", name="Revenir à la valeur par défaut : Prix de l'eau "
                                           "perdue")
    assert reset.count() == 0  # (the default already)
    water.get_by_label("Prix de l'eau perdue (€/m³)").fill("3,5")
    water.get_by_role("button", name="Enregistrer").click()
    water.get_by_role("status").filter(has_text="Enregistré").wait_for()
    assert _settings(page, server, territory)["water.price_eur_m3"] == 3.5
    reset.click()
    water.get_by_role("status").filter(has_text="revenu à la valeur par défaut").wait_for()
    assert _settings(page, server, territory)["water.price_eur_m3"] == default
    field = water.get_by_label("Prix de l'eau perdue (€/m³)")
    assert field.input_value() == f"{default:g}".replace(".", ",")
    assert page.locator("#p-water-price_eur_m3-origin").inner_text() == "Valeur par défaut"
    assert page.evaluate("document.activeElement.id") == "p-water-price_eur_m3"
    assert reset.count() == 0


@AT_DESK
def test_published_kinds_round_trip(page, server, territory, size):
    login(page, server, email=ADMIN, then="/parametres")
    form = _form(page, "Publication et données ouvertes")
    kinds = form.get_by_role("group", name="Types d'équipements consultables sans connexion")
    kinds.get_by_label("Armoire d'éclairage public").check()
    kinds.get_by_label("Station hydrométrique").check()
    form.get_by_label("Publier les indicateurs d'impact du territoire").check()
    form.get_by_role("button", name="Enregistrer").click()
    form.get_by_role("status").filter(has_text="2 paramètres").wait_for()
    settings = _settings(page, server, territory)
    assert sorted(settings["published_kinds"]) == ["lighting.cabinet", "risks.gauge"]
    assert settings["impact.public_indicators"] is True
    page.reload()
    form = _form(page, "Publication et données ouvertes")
    kinds = form.get_by_role("group", name="Types d'équipements consultables sans connexion")
    assert kinds.get_by_label("Armoire d'éclairage public").is_checked()
    assert kinds.get_by_label("Station hydrométrique").is_checked()
    assert not kinds.get_by_label("Point lumineux").is_checked()
    kinds.get_by_label("Armoire d'éclairage public").uncheck()
    form.get_by_role("button", name="Enregistrer").click()
    form.get_by_role("status").filter(has_text="1 paramètre").wait_for()
    assert _settings(page, server, territory)["published_kinds"] == ["risks.gauge"]


@pytest.mark.parametrize("email", ["agent@cc-vosges.fr", "elu@cc-vosges.fr"])
@AT_DESK
def test_agents_and_elected_members_read_the_settings_without_forms(page, server, territory,
                                                                    size, email):
    login(page, server, email=email, then="/parametres")
    page.get_by_text("leur modification est réservée aux administrateurs du territoire"
                     ).wait_for()
    assert page.get_by_role("heading", name="Éclairage public", exact=True).is_visible()
    assert page.locator("form").count() == 0
    assert page.get_by_role("button", name="Enregistrer").count() == 0
    assert page.get_by_role("link", name="Paramètres", exact=True).count() == 0  # (header)
    values = page.locator("dl.settings-values").first.inner_text()
    assert "30\u00a0min" in values
    assert_accessible(page)


@AT_DESK
def test_a_domain_that_declares_a_setting_gets_its_field(page, web_db, territory, size):
    registry = load_registry()
    registry.register(DEMO)
    with LiveServer(fresh_app(web_db, registry)) as server:
        login(page, server, email=ADMIN, then="/parametres")
        form = _form(page, "Démonstration")
        field = form.get_by_label("Seuil de démonstration (m)")
        assert field.input_value() == "1,5"
        hint = page.locator("#p-demo-threshold_m-hint").inner_text()
        assert "De 0 à 3\u00a0m." in hint
        assert "Valeur par défaut : 1,5\u00a0m — source : Valeur d'essai." in hint
        assert "à vérifier" not in hint  # (verified in its declaration)
        # Entries declared field by field: a table, read-only, with how to change them.
        rounds = form.get_by_role("group", name="Tournées de démonstration")
        assert rounds.get_by_role("columnheader").all_inner_texts() == ["Jour", "Distance (km)"]
        assert rounds.get_by_role("row").nth(1).inner_text().split() == ["lundi", "12,5"]
        assert '"demo.rounds"' in page.locator("#p-demo-rounds-box").inner_text()
        field.fill("2,5")
        form.get_by_role("button", name="Enregistrer").click()
        form.get_by_role("status").filter(has_text="Enregistré").wait_for()
        assert _settings(page, server, territory)["demo.threshold_m"] == 2.5
        assert_accessible(page)
