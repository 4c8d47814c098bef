"""Changing, deleting and creating an asset from the web pages (« Modifier », « Supprimer »,
« Nouvel équipement »), for agents and administrators; what the API refuses is said beside
its field, and an asset of another territory is never reachable."""

from __future__ import annotations

import re

import pytest

from beffroi.core import assets, tenants
from beffroi.core.access import CLI, open_scope

from .asset_fixtures import CABINET_PROPERTIES, equip_cabinet
from .conftest import AT_DESK, ON_PHONE, assert_accessible, login, screenshot
from .test_security_pages import STICKING_OUT


def _api_asset(page, server, territory, asset_id: int):
    """The asset as the API answers it (the browser's session): an independent reading."""
    response = page.request.get(
        f"{server.url}/api/v1/tenants/{territory['tenant']}/assets/{asset_id}")
    return response.status, (response.json() if response.ok else None)


def _open_edit(page, server, asset_id: int, email: str = "agent@cc-vosges.fr") -> None:
    login(page, server, email, then=f"/equipements/{asset_id}")
    page.locator("body[data-ready]").wait_for(state="attached")
    page.get_by_role("button", name="Modifier", exact=True).click()
    page.get_by_role("heading", name="Modifier l'équipement").wait_for()


@ON_PHONE
def test_an_agent_changes_the_name_a_number_and_a_choice(page, server, size, territory, web_db,
                                                         web_registry):
    cabinet = equip_cabinet(web_db, web_registry, territory)
    _open_edit(page, server, cabinet)
    form = page.locator("#edit-form")
    # The kind's properties, from its schema: units, bounds, French choices, dates.
    assert page.get_by_label("Puissance raccordée (kW)").input_value() == "12,5"
    assert "De 1 à 32." in form.inner_text()  # the circuits' bounds
    assert page.get_by_label("Mode d'allumage").locator("option:checked").inner_text() \
        == "horloge astronomique"
    assert page.get_by_label("Mise en service").input_value() == "2019-03-14"
    assert page.get_by_label("Extinction en cœur de nuit (ancien format)").is_checked()
    assert_accessible(page)
    assert page.evaluate(STICKING_OUT)["overflow"] <= 0
    screenshot(page, "equipement-modifier", size)

    page.get_by_label("Nom", exact=True).fill("Armoire de la place de l'Abbaye")
    page.get_by_label("Puissance raccordée (kW)").fill("1 234,5")
    page.get_by_label("Option tarifaire").select_option(label="éclairage public")
    patches = []
    page.on("request", lambda r: patches.append(r.url) if r.method == "PATCH" else None)
    # A repeated tap sends once: the button is disabled while the change is sent.
    page.get_by_role("button", name="Enregistrer les modifications").dblclick()
    page.get_by_role("status").filter(has_text="Modifications enregistrées").wait_for()
    page.get_by_role("heading", level=1, name="Armoire de la place de l'Abbaye").wait_for()
    assert page.locator("#edit-section").is_hidden()
    shown = page.locator("#properties").inner_text()
    assert "1 234,5 kW" in shown.replace("\u202f", " ").replace("\u00a0", " ")
    assert "éclairage public" in shown

    assert len(patches) == 1
    status, saved = _api_asset(page, server, territory, cabinet)
    assert status == 200
    assert saved["name"] == "Armoire de la place de l'Abbaye"
    assert saved["properties"] == {**CABINET_PROPERTIES, "connected_power_kw": 1234.5,
                                   "tariff_option": "public_lighting"}
    assert saved["geometry"] == {"type": "Point", "coordinates": [6.59, 48.02]}  # untouched


@AT_DESK
def test_a_refused_value_is_said_beside_its_field_and_nothing_is_stored(page, server, size,
                                                                      territory, web_db,
                                                                      web_registry):
    cabinet = equip_cabinet(web_db, web_registry, territory)
    _open_edit(page, server, cabinet)
    _, before = _api_asset(page, server, territory, cabinet)
    page.get_by_label("Nom", exact=True).fill("Armoire renommée")
    page.get_by_label("Nombre de départs (circuits)").fill("40")
    page.get_by_label("Longitude").fill("200")
    page.get_by_role("button", name="Enregistrer les modifications").click()

    circuits = page.get_by_label("Nombre de départs (circuits)")
    error = page.locator("#prop-circuits-error")
    error.wait_for()
    assert error.inner_text() == "40 est supérieur au maximum 32"
    assert circuits.get_attribute("aria-invalid") == "true"
    assert "prop-circuits-error" in circuits.get_attribute("aria-describedby")
    position_error = page.locator("#asset-position-error").inner_text()
    assert "hors WGS84" in position_error
    assert page.get_by_label("Longitude").get_attribute("aria-invalid") == "true"
    assert page.evaluate("document.activeElement.id") == "asset-lon"  # the first at fault
    assert "Rien n'a été enregistré" in page.locator("#edit-errors").inner_text()
    # What was typed stays, and nothing was stored.
    assert page.get_by_label("Nom", exact=True).input_value() == "Armoire renommée"
    assert circuits.input_value() == "40"
    assert page.get_by_label("Longitude").input_value() == "200"
    assert _api_asset(page, server, territory, cabinet)[1] == before
    assert_accessible(page)

    # Corrected, it goes through, and the messages go.
    circuits.fill("4")
    page.get_by_label("Longitude").fill("6,59")
    page.get_by_role("button", name="Enregistrer les modifications").click()
    page.get_by_role("status").filter(has_text="Modifications enregistrées").wait_for()
    saved = _api_asset(page, server, territory, cabinet)[1]
    assert saved["name"] == "Armoire renommée" and saved["properties"]["circuits"] == 4


@AT_DESK
def test_a_property_of_complex_type_is_shown_and_left_untouched(page, server, size, territory,
                                                               web_db, web_registry):
    areas = [{"activity": "Enseignement", "area_m2": 1200}, {"activity": "Bureaux",
                                                            "area_m2": 300.5}]
    with web_db.write() as conn:
        school = assets.create_asset(open_scope(web_db, conn, CLI, territory["tenant"]), conn,
                                     web_registry, {
            "ref": "BAT-ECOLE", "kind": "buildings.building", "name": "École du centre",
            "commune": "88383", "geometry": {"type": "Polygon", "coordinates": [[
                [6.59, 48.01], [6.591, 48.01], [6.591, 48.011], [6.59, 48.01]]]},
            "properties": {"usage": "ecole", "tertiary_areas": areas, "floor_area_m2": 1500,
                           "built_year": 1910}}).id
    _open_edit(page, server, school)
    box = page.locator('[data-api-field="properties.tertiary_areas"]')
    assert "Surfaces tertiaires par activité" in box.inner_text()
    assert "Modifiable par import ou par l'API" in box.inner_text()
    assert "Enseignement" in box.locator("table").inner_text()  # as the page shows it
    assert box.locator("input, select").count() == 0
    # A polygon is not moved here; a year is typed as such, never « 1 910 ».
    assert page.get_by_label("Longitude").count() == 0
    assert "modifiable par import ou par l'API" in page.locator(
        '[data-api-field="geometry"]').inner_text()
    assert page.get_by_label("Année de construction").input_value() == "1910"
    # A text of a declared format says it (the kind's schema, x-pattern-hint).
    hours = page.get_by_label("Heures d'ouverture")
    hint_id = hours.get_attribute("aria-describedby").split()[0]
    assert page.locator(f"#{hint_id}").inner_text().startswith("Format : jours abrégés")
    # A required property has no empty choice.
    assert page.get_by_label("Usage").locator('option[value=""]').count() == 0
    page.get_by_label("Surface de plancher (m²)").fill("1 480")
    page.get_by_label("Année de construction").fill("")  # emptied: the property goes
    page.get_by_role("button", name="Enregistrer les modifications").click()
    page.get_by_role("status").filter(has_text="Modifications enregistrées").wait_for()
    saved = _api_asset(page, server, territory, school)[1]
    assert saved["properties"] == {"usage": "ecole", "tertiary_areas": areas,
                                   "floor_area_m2": 1480}


@AT_DESK
def test_the_point_moves_by_a_click_on_the_map_and_by_its_fields(page, server, size, territory):
    cabinet = territory["cabinets"][1]
    _open_edit(page, server, cabinet, "admin@cc-vosges.fr")
    box = page.locator("#asset-map").bounding_box()
    page.mouse.click(box["x"] + box["width"] * 0.75, box["y"] + box["height"] * 0.25)
    lon = float(page.get_by_label("Longitude").input_value().replace(",", "."))
    lat = float(page.get_by_label("Latitude").input_value().replace(",", "."))
    assert lon > 6.6 and lat > 48.02  # east and north of the marker, at the map's centre
    assert "Point placé sur la carte" in page.locator("#edit-status").inner_text()
    page.get_by_role("button", name="Enregistrer les modifications").click()
    page.get_by_role("status").filter(has_text="position").wait_for()
    saved = _api_asset(page, server, territory, cabinet)[1]
    assert saved["geometry"]["coordinates"] == pytest.approx([lon, lat], abs=1e-6)
    assert saved["geometry"]["coordinates"] != [6.6, 48.02]

    page.get_by_role("button", name="Modifier", exact=True).click()
    page.get_by_label("Longitude").fill("6,612 5")
    page.get_by_label("Latitude").fill("48,031")
    page.get_by_role("button", name="Enregistrer les modifications").click()
    page.get_by_role("status").filter(has_text="position").wait_for()
    saved = _api_asset(page, server, territory, cabinet)[1]
    assert saved["geometry"] == {"type": "Point", "coordinates": [6.6125, 48.031]}
    assert "Latitude 48,031, longitude 6,6125" in page.locator("#position-text").inner_text()


@ON_PHONE
def test_an_asset_without_position_is_placed_on_the_territorys_map(page, server, size,
                                                                   territory, web_db,
                                                                   web_registry):
    with web_db.write() as conn:
        lantern = assets.create_asset(open_scope(web_db, conn, CLI, territory["tenant"]), conn,
                                      web_registry, {"ref": "PL-SANS-POSITION",
                                                     "kind": "lighting.luminaire",
                                                     "name": "Lanterne à placer"}).id
    login(page, server, then=f"/equipements/{lantern}")
    page.locator("body[data-ready]").wait_for(state="attached")
    assert page.locator("#asset-map").is_hidden()
    assert "Position non renseignée." in page.locator("#position-text").inner_text()
    page.get_by_role("button", name="Modifier", exact=True).click()
    territory_map = page.locator("#asset-map")
    territory_map.locator("path").first.wait_for()  # Remiremont's outline, the map fitted to it
    box = territory_map.bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    lon = float(page.get_by_label("Longitude").input_value().replace(",", "."))
    lat = float(page.get_by_label("Latitude").input_value().replace(",", "."))
    assert 6.55 < lon < 6.65 and 48.0 < lat < 48.05  # inside the commune
    page.get_by_role("button", name="Enregistrer les modifications").click()
    page.get_by_role("status").filter(has_text="position").wait_for()
    saved = _api_asset(page, server, territory, lantern)[1]
    assert saved["geometry"]["type"] == "Point"
    assert saved["geometry"]["coordinates"] == pytest.approx([lon, lat], abs=1e-6)
    assert page.locator("#asset-map .leaflet-interactive").count() == 1  # its marker now


@AT_DESK
def test_an_asset_is_changed_with_the_keyboard_only(page, server, size, territory):
    gauge = territory["gauge"]
    login(page, server, then=f"/equipements/{gauge}")
    page.locator("body[data-ready]").wait_for(state="attached")
    page.get_by_role("button", name="Modifier", exact=True).focus()
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "asset-name"  # the form's first field
    page.keyboard.press("Control+A")
    page.keyboard.type("Échelle du pont de la Moselle")
    for _ in range(40):  # to the river's field, by tabbing
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "prop-river":
            break
    assert page.evaluate("document.activeElement.id") == "prop-river"
    page.keyboard.type("Moselle")
    page.keyboard.press("Enter")  # sends the form
    page.get_by_role("status").filter(has_text="Modifications enregistrées").wait_for()
    assert page.evaluate("document.activeElement.id") == "edit-open"
    saved = _api_asset(page, server, territory, gauge)[1]
    assert saved["name"] == "Échelle du pont de la Moselle"
    assert saved["properties"] == {"river": "Moselle"}


@AT_DESK
def test_a_reader_sees_no_button_to_change_or_delete(page, server, size, territory):
    login(page, server, "elu@cc-vosges.fr", then=f"/equipements/{territory['cabinets'][0]}")
    page.locator("body[data-ready]").wait_for(state="attached")
    assert page.get_by_role("button", name="Modifier", exact=True).count() == 0
    assert page.get_by_role("button", name="Supprimer", exact=True).count() == 0
    assert page.locator("#edit-form").is_hidden()
    page.goto(f"{server.url}/equipements/nouveau")
    page.get_by_text("la création d'équipements est réservée").wait_for()
    assert page.locator("#create-form").is_hidden()
    page.goto(f"{server.url}/carte")
    page.locator("#summary").filter(has_text="équipement").wait_for()
    assert page.get_by_role("link", name="Nouvel équipement").count() == 0


@AT_DESK
def test_delete_asks_first_and_says_what_goes_with_it(page, server, size, territory):
    cabinet = territory["cabinets"][0]  # its energy stream holds a year of measurements
    login(page, server, then=f"/equipements/{cabinet}")
    page.locator("body[data-ready]").wait_for(state="attached")
    page.get_by_role("button", name="Supprimer", exact=True).click()
    dialog = page.get_by_role("dialog", name="Supprimer l'équipement ?")
    dialog.wait_for()
    text = dialog.inner_text()
    assert "« Armoire 1 — Remiremont » (ARM-88383-01)" in text
    assert "Ses mesures seront supprimées" in text and "Énergie active" in text
    assert_accessible(page)
    dialog.get_by_role("button", name="Annuler").click()
    assert dialog.is_hidden()
    assert page.evaluate("document.activeElement.id") == "delete-open"
    assert _api_asset(page, server, territory, cabinet)[0] == 200

    page.get_by_role("button", name="Supprimer", exact=True).click()
    dialog.get_by_role("button", name="Supprimer définitivement").click()
    page.wait_for_url(f"{server.url}/carte")
    assert _api_asset(page, server, territory, cabinet)[0] == 404


@AT_DESK
def test_an_asset_of_another_territory_is_never_shown_nor_changed(page, server, size, territory,
                                                                 web_db, web_registry):
    with web_db.write() as conn:
        other = tenants.create_tenant(web_db, conn, CLI, name="CC d'ailleurs",
                                      registry=web_registry)
        scope = open_scope(web_db, conn, CLI, other["id"])
        foreign = assets.create_asset(scope, conn, web_registry, {
            "ref": "SECRET-1", "kind": "lighting.cabinet", "name": "Armoire d'ailleurs",
            "geometry": {"type": "Point", "coordinates": [4.0, 49.0]}}).id
    login(page, server, then=f"/equipements/{foreign}")
    message = page.locator("#message")
    message.wait_for()
    assert "introuvable" in message.inner_text()
    assert "Armoire d'ailleurs" not in page.content()
    assert page.get_by_role("button", name="Modifier", exact=True).count() == 0
    # Nor through the API with the agent's session, on the other territory's address.
    csrf = page.request.get(f"{server.url}/api/v1/auth/csrf").json()["csrf_token"]
    answer = page.request.patch(f"{server.url}/api/v1/tenants/{other['id']}/assets/{foreign}",
                                data={"name": "Pris"}, headers={"X-CSRF-Token": csrf})
    assert answer.status in (403, 404)
    with web_db.read() as conn:
        row = open_scope(web_db, conn, CLI, other["id"]).asset(conn, foreign)
    assert row.name == "Armoire d'ailleurs"
    assert re.search(r"SECRET-1", page.content()) is None


@ON_PHONE
def test_an_agent_creates_an_asset_placed_by_a_point_with_its_properties(page, server, size,
                                                                         territory):
    login(page, server, then="/equipements/nouveau")
    page.locator("body[data-ready]").wait_for(state="attached")
    page.get_by_label("Type d'équipement").select_option(label="Point lumineux")
    page.get_by_label("Référence (obligatoire)").fill("PL-88383-0001")
    page.get_by_label("Nom", exact=True).fill("Lanterne rue des Prêtres")
    page.get_by_label("Commune").select_option(label="Remiremont (88383)")
    page.get_by_label("Longitude").fill("6,5912")
    page.get_by_label("Latitude").fill("48,0171")
    page.get_by_label("Puissance à pleine charge (W)").fill("35,5")
    page.get_by_label("Type de source").select_option(label="LED")
    page.get_by_label("Gradable").check()
    page.get_by_label("Date d'installation de la tête").fill("2024-05-02")
    hints = page.locator("#create-properties").inner_text()
    assert re.search(r"De 0 à 2[\s\u202f\u00a0]?000\u00a0W\.", hints), hints
    assert page.locator("#create-map .placed-point").count() == 1  # the point, placed
    assert_accessible(page)
    assert page.evaluate(STICKING_OUT)["overflow"] <= 0
    screenshot(page, "nouvel-equipement", size)
    page.get_by_role("button", name="Créer l'équipement").click()
    page.wait_for_url(re.compile(r".*/equipements/\d+$"))
    page.get_by_role("heading", level=1, name="Lanterne rue des Prêtres").wait_for()
    asset_id = int(page.url.rsplit("/", 1)[1])
    saved = _api_asset(page, server, territory, asset_id)[1]
    assert {k: saved[k] for k in ("ref", "kind", "name", "commune", "geometry")} == {
        "ref": "PL-88383-0001", "kind": "lighting.luminaire", "name": "Lanterne rue des Prêtres",
        "commune": "88383", "geometry": {"type": "Point", "coordinates": [6.5912, 48.0171]}}
    assert saved["properties"] == {"power_w": 35.5, "lamp_type": "led", "dimmable": True,
                                   "head_installed": "2024-05-02"}


@AT_DESK
def test_creation_says_what_goes_by_import_and_a_reference_already_used(page, server, size,
                                                                       territory):
    login(page, server, then="/carte")
    page.get_by_role("link", name="Nouvel équipement").click()
    page.wait_for_url(f"{server.url}/equipements/nouveau")
    page.locator("body[data-ready]").wait_for(state="attached")
    kind = page.get_by_label("Type d'équipement")
    kind.select_option(label="Surface éclairée")
    assert "à créer par import" in page.locator("#kind-note").inner_text()
    assert page.get_by_role("button", name="Créer l'équipement").count() == 0

    kind.select_option(label="Armoire d'éclairage public")
    page.get_by_label("Référence (obligatoire)").fill("ARM-88383-01")  # the territory's first cabinet's
    page.get_by_label("Nom", exact=True).fill("Armoire en double")
    page.get_by_label("Nombre de départs (circuits)").fill("0")
    page.get_by_role("button", name="Créer l'équipement").click()
    error = page.locator("#prop-circuits-error")
    error.wait_for()
    assert error.inner_text() == "0 est inférieur au minimum 1"
    page.get_by_label("Nombre de départs (circuits)").fill("2")
    page.get_by_role("button", name="Créer l'équipement").click()
    ref_error = page.locator("#asset-ref-error")
    ref_error.filter(has_text="existe déjà").wait_for()
    reference = page.get_by_label("Référence (obligatoire)")
    assert reference.get_attribute("aria-invalid") == "true"
    assert reference.evaluate("el => el === document.activeElement")
    assert page.get_by_label("Nom", exact=True).input_value() == "Armoire en double"
    assert page.locator("#prop-circuits-error").inner_text() == ""
    assert page.url == f"{server.url}/equipements/nouveau"
    assert_accessible(page)


@AT_DESK
def test_an_asset_with_attached_assets_is_not_deleted_and_says_why(page, server, size,
                                                                   territory, web_db,
                                                                   web_registry):
    cabinet = territory["cabinets"][2]
    with web_db.write() as conn:
        assets.create_asset(open_scope(web_db, conn, CLI, territory["tenant"]), conn,
                            web_registry, {"ref": "PL-1", "kind": "lighting.luminaire",
                                           "name": "Lanterne 1", "parent_id": cabinet})
    login(page, server, "admin@cc-vosges.fr", then=f"/equipements/{cabinet}")
    page.locator("body[data-ready]").wait_for(state="attached")
    page.get_by_role("button", name="Supprimer", exact=True).click()
    dialog = page.get_by_role("dialog", name="Supprimer l'équipement ?")
    assert "Il n'a aucune série de mesures." in dialog.inner_text()
    dialog.get_by_role("button", name="Supprimer définitivement").click()
    dialog.get_by_role("alert").filter(has_text="équipements rattachés").wait_for()
    assert page.url == f"{server.url}/equipements/{cabinet}"
    assert _api_asset(page, server, territory, cabinet)[0] == 200
