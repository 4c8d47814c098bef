"""A public building's page writes its properties in French: enumerations by their labels
(schema ``x-enum-labels``), years without a thousands separator (``x-display: year``),
units as people write them (m², kWh/m², °C, %)."""

from __future__ import annotations

from beffroi.core import assets
from beffroi.core.access import CLI, open_scope

from .conftest import assert_accessible, login, screenshot

BUILDING = {
    "usage": "ecole", "floor_area_m2": 2450.5, "built_year": 1910,
    "heating": "pompe_a_chaleur", "hot_water": "electrique", "school_zone": "B",
    "heating_share_pct": 65, "cabs_2030_kwh_m2": 110, "setpoint_occupied_c": 19,
    "reference_year": 2019,
    "tertiary_areas": [{"activity": "Enseignement", "area_m2": 1200}],
    "opening_hours": "MON,TUE,THU,FRI 08:30-11:30,13:30-16:30",
}


def _building(db, registry, territory) -> tuple[int, int]:
    with db.write() as conn:
        scope = open_scope(db, conn, CLI, territory["tenant"])
        school = assets.create_asset(scope, conn, registry, {
            "ref": "BAT-ECOLE", "kind": "buildings.building", "name": "École Jules-Ferry",
            "commune": "88383", "properties": BUILDING,
            "geometry": {"type": "Point", "coordinates": [6.6, 48.02]}})
        meter = assets.create_asset(scope, conn, registry, {
            "ref": "BAT-ECOLE-GAZ", "kind": "buildings.meter", "name": "Compteur gaz école",
            "commune": "88383", "parent_id": school.id,
            "properties": {"energy": "gaz", "kwh_per_unit": 11.2, "meter_number": "GI123456"}})
    return school.id, meter.id


def test_building_page_writes_labels_years_and_units(page, server, size, territory, web_db,
                                                     web_registry):
    school, meter = _building(web_db, web_registry, territory)
    login(page, server, then=f"/equipements/{school}")
    page.get_by_role("heading", level=1, name="École Jules-Ferry").wait_for()
    props = page.locator("#properties")
    props.get_by_text("Bâtiment public").wait_for()
    text = props.inner_text()
    assert "école" in text and "ecole" not in text
    assert "pompe à chaleur (électricité)" in text and "pompe_a_chaleur" not in text
    assert "électricité (effet Joule)" in text
    assert "zone B" in text
    assert "1910" in text and "1 910" not in text.replace("\u202f", " ")
    assert "2019" in text
    assert "2\u202f450,5 m²" in text and "m2" not in text
    assert "110 kWh/m²" in text and "kW.h" not in text
    assert "19 °C" in text and "Cel" not in text
    assert "65 %" in text
    table = props.locator('[data-property="tertiary_areas"]')
    assert "Surface (m²)" in table.inner_text() and "1\u202f200" in table.inner_text()
    assert_accessible(page)
    screenshot(page, "batiment-proprietes", size)

    page.goto(f"{server.url}/equipements/{meter}")
    page.get_by_role("heading", level=1, name="Compteur gaz école").wait_for()
    page.locator("#properties").get_by_text("Compteur de bâtiment").wait_for()
    text = page.locator("#properties").inner_text()
    assert "gaz naturel" in text and "11,2 kWh/m³" in text
