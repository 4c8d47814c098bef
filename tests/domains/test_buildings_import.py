"""A commune's buildings and their meters imported from a spreadsheet (core CSV import):
French labels for enumerations and kinds, decimal commas and spaces between thousands,
lists of entries written as text, meters before or after their building, bad lines
reported with their line while the valid rest is kept with partial=true."""

from __future__ import annotations

import pytest

from beffroi.core import tenants
from beffroi.core.access import CLI
from beffroi.core.properties import check_value
from beffroi.core.registry import load_registry
from beffroi.domains.buildings.kinds import BUILDING, METER

HEADER = ("ref;kind;name;commune;lon;lat;parent_ref;usage;floor_area_m2;built_year;heating;"
          "hot_water;closed_school_holidays;opening_hours;tertiary_areas;energy;meter_number;"
          "kwh_per_unit")
LINES = [
    HEADER,  # line 1
    # 2: a meter before its building
    "CPT-ECOLE-GAZ;Compteur de bâtiment;Compteur gaz école;88383;;;BAT-ECOLE;;;;;;;;;"
    "Gaz naturel;GI 123 456;11,2",
    # 3
    'BAT-MAIRIE;Bâtiment public;Mairie;88383;6,5912;48,0178;;Mairie;1 250,5;1910;gaz naturel;'
    'Électricité (effet Joule);non;"MON,TUE,THU,FRI 08:00-12:00,13:30-17:30; WED 08:00-12:00";'
    '"Bureaux:1100 ; Salle de réunion:150,5";;;',
    # 4
    "CPT-MAIRIE-ELEC;buildings.meter;Compteur électricité mairie;88383;;;BAT-MAIRIE;;;;;;;;;"
    "électricité;09 123 456 789 012;",
    # 5
    "BAT-ECOLE;buildings.building;École Jules-Ferry;88383;6,5931;48,0165;;école;2\u00a0480;"
    "1932;Pompe à chaleur (électricité);pompe_a_chaleur;oui;;Enseignement:2480;;;",
    # 6: bad usage
    "BAT-GYM;Bâtiment public;Gymnase;88383;6,59;48,02;;gymnase municipal;900;1975;;;;;;;;",
    # 7: its meter is refused with it
    "CPT-GYM-EAU;Compteur de bâtiment;Compteur eau gymnase;88383;;;BAT-GYM;;;;;;;;;eau;;",
    # 8: a misspelt area
    "BAT-SALLE;Bâtiment public;Salle des fêtes;88383;6,59;48,02;;salle polyvalente;12O0;;;;;;;;;",
    # 9: opening hours in French
    'BAT-BIB;Bâtiment public;Bibliothèque;88383;6,59;48,02;;bibliothèque;120;;;;;'
    '"LUN 09:00-12:00";;;;',
    # 10: fuel oil is not a metered energy of this kind
    "CPT-FIOUL;Compteur de bâtiment;Cuve fioul;88383;;;BAT-MAIRIE;;;;;;;;;fioul;;",
    # 11: a year that is not one, an area that is not a number
    "BAT-ATELIER;Bâtiment public;Ateliers;88383;6,59;48,02;;atelier;300;vers 1950;;;;;"
    "Atelier:trois cents;;;",
]
CSV = ("\r\n".join(LINES) + "\r\n").encode("utf-8")


@pytest.fixture(scope="module")
def registry():
    return load_registry(["generic", "buildings"])


@pytest.fixture
def t(db, registry, client, op_headers):
    with db.write() as conn:
        tenant = tenants.create_tenant(db, conn, CLI, siren="200068377", registry=registry)
    return {"base": f"/api/v1/tenants/{tenant['id']}", "h": op_headers, "id": tenant["id"]}


def post(client, t, **params):
    return client.post(f"{t['base']}/assets/import", content=CSV, params=params,
                       headers={**t["h"], "content-type": "text/csv"})


def stored(client, t) -> dict[str, dict]:
    listing = client.get(f"{t['base']}/assets", headers=t["h"]).json()["features"]
    return {f["properties"]["ref"]: client.get(f"{t['base']}/assets/{f['id']}",
                                               headers=t["h"]).json() for f in listing}


EXPECTED_ERRORS = [
    (6, "BAT-GYM", "properties.usage"),
    (7, "CPT-GYM-EAU", "parent_ref"),
    (8, "BAT-SALLE", "properties.floor_area_m2"),
    (9, "BAT-BIB", "properties.opening_hours"),
    (10, "CPT-FIOUL", "properties.energy"),
    (11, "BAT-ATELIER", "properties.built_year"),
    (11, "BAT-ATELIER", "properties.tertiary_areas"),
]


def test_buildings_and_meters_spreadsheet_dry_run_then_partial(client, t):
    dry = post(client, t, dry_run="true", partial="true")
    report = dry.json()
    assert dry.status_code == 422 and report["written"] is False
    assert (report["total"], report["valid"], report["created"]) == (10, 4, 0), report["errors"]
    assert [(e["line"], e["ref"], e["field"]) for e in report["errors"]] == EXPECTED_ERRORS
    messages = {(e["ref"], e["field"]): e["message"] for e in report["errors"]}
    assert messages[("BAT-GYM", "properties.usage")].startswith(
        "« gymnase municipal » hors liste (attendu : mairie (mairie), école (ecole)")
    assert messages[("CPT-GYM-EAU", "parent_ref")] == "parent « BAT-GYM » rejeté dans ce fichier"
    assert messages[("BAT-SALLE", "properties.floor_area_m2")] == "« 12O0 » n'est pas un nombre"
    assert "ne respecte pas le format attendu" in messages[("BAT-BIB", "properties.opening_hours")]
    assert "production photovoltaïque (production_pv)" in messages[("CPT-FIOUL",
                                                                   "properties.energy")]
    assert messages[("BAT-ATELIER", "properties.built_year")] == "« vers 1950 » n'est pas un entier"
    assert messages[("BAT-ATELIER", "properties.tertiary_areas")].endswith(
        "entrée 1 : Surface « trois cents » n'est pas un nombre")
    assert stored(client, t) == {}

    # all-or-nothing by default: the same report, nothing written
    whole = post(client, t)
    assert whole.status_code == 422
    assert [(e["line"], e["ref"], e["field"]) for e in whole.json()["errors"]] == EXPECTED_ERRORS
    assert stored(client, t) == {}

    kept = post(client, t, partial="true")
    assert kept.status_code == 200, kept.text
    assert (kept.json()["created"], kept.json()["written"]) == (4, True)
    assets = stored(client, t)
    assert sorted(assets) == ["BAT-ECOLE", "BAT-MAIRIE", "CPT-ECOLE-GAZ", "CPT-MAIRIE-ELEC"]
    mairie, ecole = assets["BAT-MAIRIE"], assets["BAT-ECOLE"]
    assert mairie["kind"] == ecole["kind"] == "buildings.building"
    assert mairie["geometry"] == {"type": "Point", "coordinates": [6.5912, 48.0178]}
    assert mairie["properties"] == {
        "usage": "mairie", "floor_area_m2": 1250.5, "built_year": 1910, "heating": "gaz",
        "hot_water": "electrique", "closed_school_holidays": False,
        "opening_hours": "MON,TUE,THU,FRI 08:00-12:00,13:30-17:30; WED 08:00-12:00",
        "tertiary_areas": [{"activity": "Bureaux", "area_m2": 1100.0},
                           {"activity": "Salle de réunion", "area_m2": 150.5}]}
    assert ecole["properties"] == {
        "usage": "ecole", "floor_area_m2": 2480.0, "built_year": 1932,
        "heating": "pompe_a_chaleur", "hot_water": "pompe_a_chaleur",
        "closed_school_holidays": True,
        "tertiary_areas": [{"activity": "Enseignement", "area_m2": 2480.0}]}
    gas, elec = assets["CPT-ECOLE-GAZ"], assets["CPT-MAIRIE-ELEC"]
    assert gas["kind"] == "buildings.meter" and gas["parent_id"] == ecole["id"]
    assert gas["properties"] == {"energy": "gaz", "meter_number": "GI 123 456",
                                 "kwh_per_unit": 11.2}
    assert elec["parent_id"] == mairie["id"] and elec["geometry"] is None
    assert elec["properties"] == {"energy": "electricite", "meter_number": "09 123 456 789 012"}

    # the corrected lines, imported again, join the others (upsert by ref)
    fixed = "\r\n".join([HEADER, LINES[5].replace("gymnase municipal", "Gymnase"), LINES[6]])
    again = client.post(f"{t['base']}/assets/import", content=fixed.encode("utf-8"),
                        headers={**t["h"], "content-type": "text/csv"})
    assert again.status_code == 200, again.text
    assets = stored(client, t)
    assert assets["CPT-GYM-EAU"]["parent_id"] == assets["BAT-GYM"]["id"]
    assert assets["BAT-GYM"]["properties"]["usage"] == "gymnase"


@pytest.mark.parametrize("spec_name, text, expected", [
    ("floor_area_m2", "2 450,5", 2450.5),
    ("floor_area_m2", "1\u202f200\u202f000", 1_200_000.0),
    ("built_year", "1910", 1910),
    ("usage", "  SALLE   polyvalente ", "salle_polyvalente"),
    ("usage", "Crèche", "creche"),
    ("usage", "ECOLE", "ecole"),
    ("heating", "réseau de chaleur", "reseau_chaleur"),
    ("tertiary_areas", '[{"activity": "Bureaux", "area_m2": 10}]',
     [{"activity": "Bureaux", "area_m2": 10}]),
    ("tertiary_areas", "Bureaux:10;;Archives:2,5", [{"activity": "Bureaux", "area_m2": 10.0},
                                                   {"activity": "Archives", "area_m2": 2.5}]),
])
def test_text_cells_are_converted_to_the_declared_type(spec_name, text, expected):
    value, message = check_value(BUILDING.property(spec_name), text, from_text=True)
    assert message is None and value == expected


@pytest.mark.parametrize("spec_name, text, fragment", [
    ("floor_area_m2", "12 5", "« 12 5 » n'est pas un nombre"),
    ("built_year", "1 910,5", "n'est pas un entier"),
    ("usage", "école maternelle", "hors liste (attendu : mairie (mairie), école (ecole)"),
    ("tertiary_areas", "Bureaux:10:oui", "« Bureaux:10:oui » illisible : entrée 1 « Bureaux:10:oui » : 3 champs au lieu de 2"),
])
def test_bad_text_cells_are_refused_in_french(spec_name, text, fragment):
    value, message = check_value(BUILDING.property(spec_name), text, from_text=True)
    assert value is None and fragment in message


def test_api_values_keep_codes_only():
    """Labels are a convenience of text files: JSON documents give codes."""
    value, message = check_value(METER.property("energy"), "gaz naturel")
    assert value is None and message == ("« gaz naturel » hors liste (attendu : electricite, gaz, "
                                         "reseau_chaleur, eau, production_pv)")
