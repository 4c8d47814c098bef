"""Lighting inventory: the kinds' art. 5 properties, zones (lit areas, trame noire) and
what they bring to the compliance report, their import, and the demo's cabinets."""

from __future__ import annotations

import zlib

import numpy as np
import orjson
import pytest
from click.testing import CliRunner
from sqlalchemy import select

from beffroi.core import assets, tenants
from beffroi.core.access import CLI, open_scope
from beffroi.core.properties import validate_properties
from beffroi.core.registry import load_registry
from beffroi.domains.lighting.cli import lighting
from beffroi.domains.lighting.compliance import (
    LightPoint,
    check_point,
    evaluate,
    night_times,
    programme_times,
)
from beffroi.domains.lighting.compliance_report import commune_report
from beffroi.domains.lighting.demo.inventory import DEVICE_MODEL, FAULTY_CABINETS, demo_inventory
from beffroi.domains.lighting.inventory_import import import_zones
from beffroi.domains.lighting.kinds import DARK_CORRIDOR, LIT_AREA, LUMINAIRE
from beffroi.domains.lighting.programmes import PRESETS, parse_programme
from beffroi.domains.lighting.zones import ZoneError, apply_zones, area_m2, make_zone
from beffroi.storage import schema

# 0.001° of longitude × 0.0005° of latitude at 48.017 25° N. By hand, on the WGS84
# ellipsoid: one degree of latitude there is 111 190.7 m, one of longitude 74 600.5 m, so
# 55.595 m × 74.600 m = 4 147.4 m².
RECT = {"type": "Polygon", "coordinates": [[[6.59, 48.017], [6.591, 48.017], [6.591, 48.0175],
                                            [6.59, 48.0175], [6.59, 48.017]]]}
RECT_M2 = 4147.4
INSIDE = [(6.5902, 48.0172), (6.5905, 48.0173), (6.5908, 48.0172)]
OUTSIDE = (6.595, 48.02)
LED = {"category": "e", "lamp_type": "led", "power_w": 40, "flux_lm": 40_000,
       "color_temperature_k": 3000, "ulr_percent": 0, "cie_flux_code_3_percent": 99,
       "head_installed": "2022-03-01", "mast_height_m": 6, "protected_area": "none"}


def _pt(ref, xy, **props) -> LightPoint:
    return LightPoint(ref, ref, "88383", {**LED, **props},
                      geometry={"type": "Point", "coordinates": list(xy)})


def _rules(entry) -> list[tuple[str, str]]:
    return [(v["rule"], v["article"]) for v in entry["violations"]]


# -- kinds -----------------------------------------------------------------------------------------
def test_luminaire_declares_the_article5_and_compliance_properties():
    names = {p.name for p in LUMINAIRE.properties}
    assert {"ulr_percent", "cie_flux_code_3_percent", "color_temperature_k", "power_w",
            "flux_lm", "head_installed", "category", "lamp_type", "built_up_area",
            "protected_area", "lit_area_m2", "ulr_installed_percent", "activity_related",
            "activity_start", "activity_end", "switch_on", "switch_off"} <= names
    assert LUMINAIRE.property("protected_area").choices == (
        "none", "astronomical_site", "nature_reserve", "national_park", "regional_park")
    _, errors = validate_properties(LUMINAIRE, {"protected_area": "zone bleue"})
    assert errors and "hors liste" in errors[0]["message"]
    assert LIT_AREA.geometry_types == DARK_CORRIDOR.geometry_types == ("Polygon",
                                                                       "MultiPolygon")


# -- zones -----------------------------------------------------------------------------------------
def test_area_of_a_polygon_in_square_metres():
    assert area_m2(RECT) == pytest.approx(RECT_M2, rel=1e-3)
    assert make_zone("Z", "lighting.lit_area", "Z", None, RECT).area_source == "computed"
    declared = make_zone("Z", "lighting.lit_area", "Z", None, RECT, {"declared_area_m2": 5000})
    assert (declared.area_m2, declared.area_source) == (5000, "declared")


def test_flux_density_of_a_lit_area_from_its_polygon():
    zone = make_zone("ZE-1", "lighting.lit_area", "Parking", "88383", RECT,
                     {"category": "e", "built_up_area": True})
    points = [_pt(f"L{i}", xy) for i, xy in enumerate(INSIDE)] + [_pt("L-OUT", OUTSIDE)]
    report = evaluate(points, zones=[zone])
    area = report["zones"]["lit_areas"][0]
    assert area["luminaires"] == 3 and area["flux_lm"] == 120_000
    assert area["density_lm_m2"] == pytest.approx(120_000 / RECT_M2, abs=0.1)  # 28.9
    assert (area["limit_lm_m2"], area["compliant"]) == (25.0, False)
    by_ref = {e["ref"]: e for e in report["luminaires"]}
    for i in range(3):
        entry = by_ref[f"L{i}"]
        assert entry["lit_area"] == "ZE-1"
        assert entry["from_zones"] == ["built_up_area"]  # the zone says "in built-up area"
        assert _rules(entry) == [("flux_density", "art. 3, II, 4°")]
        assert entry["violations"][0]["value"] == pytest.approx(28.9, abs=0.1)
        assert "ZE-1" in entry["violations"][0]["detail"]
    outside = by_ref["L-OUT"]
    assert outside["lit_area"] is None and outside["violations"] == []
    assert [m["fields"] for m in outside["missing_data"]] == [["lit_area_m2"]]
    assert "built_up_area" in outside["article5_missing"]


def test_a_luminaire_s_own_values_win_over_its_zones():
    zone = make_zone("ZE-1", "lighting.lit_area", "Parking", "88383", RECT,
                     {"category": "e", "built_up_area": False})
    own = _pt("L-OWN", INSIDE[0], lit_area_m2=4000, built_up_area=True)
    entry = evaluate([own], zones=[zone])["luminaires"][0]
    assert entry["from_zones"] == [] and entry["violations"] == []  # 10 lm/m² < 25


def test_a_nature_reserve_corridor_protects_the_luminaires_inside():
    corridor = make_zone("TN-1", "lighting.dark_corridor", "Réserve", "88383", RECT,
                         {"protected_area": "nature_reserve"})
    inside = _pt("L-IN", INSIDE[0], category="a", flux_lm=2000, lit_area_m2=400,
                 built_up_area=True, protected_area=None)
    report = evaluate([inside], zones=[corridor])
    entry = report["luminaires"][0]
    assert entry["dark_corridor"] == "TN-1" and entry["from_zones"] == ["protected_area"]
    # 3000 K in a nature reserve (≤ 2400 K) and its density against the outside value.
    assert _rules(entry) == [("color_temperature_nature_reserve", "art. 4, II")]
    assert report["zones"]["dark_corridors"][0]["luminaires"] == 1


def test_a_zone_that_is_not_a_polygon_is_refused_in_french():
    with pytest.raises(ZoneError, match="géométrie de type point refusée ici"):
        make_zone("Z", "lighting.lit_area", "Z", None, {"type": "Point",
                                                        "coordinates": [6.59, 48.0]})
    with pytest.raises(ZoneError, match="n'est pas un type de zone"):
        make_zone("Z", "lighting.cabinet", "Z", None, RECT)


def test_apply_zones_counts_flux_of_other_luminaires_too():
    zone = make_zone("ZE-1", "lighting.lit_area", "Rue", "88383", RECT,
                     {"category": "a", "built_up_area": True})
    points, figures = apply_zones([_pt("L0", INSIDE[0], category="a")], [zone],
                                  [_pt("L0", INSIDE[0]), _pt("L1", INSIDE[1])])
    assert figures["lit_areas"][0]["flux_lm"] == 80_000
    assert points[0].zone["lit_area"]["ref"] == "ZE-1"


# -- switching times from programmes ---------------------------------------------------------------
def test_switch_off_and_relight_read_from_programmes():
    assert night_times(PRESETS["cut_23_5"].steps) == (11 * 60, 5 * 60)
    assert night_times(PRESETS["dusk_to_dawn"].steps) == (1440, None)
    assert night_times(PRESETS["dim_50_22_6"].steps) == (1440, None)  # dimmed, still lit
    # The summer variant switches off at midnight: the latest of the year counts.
    assert programme_times(PRESETS["cut_23_5_summer_midnight"]) == (12 * 60, 5 * 60)
    custom = parse_programme({"steps": [{"at": "sunset", "level": 100},
                                        {"at": "22:30", "level": 0},
                                        {"at": "sunrise", "level": 0}]})
    assert programme_times(custom) == (10 * 60 + 30, None)


@pytest.mark.parametrize(("programme", "value"), [
    ({"preset": "cut_23_5"}, "23:00"),
    ({"preset": "cut_23_5_summer_midnight"}, "00:00"),
    ({"preset": "dim_50_22_6"}, "toute la nuit"),
    (None, "toute la nuit"),
])
def test_car_park_switch_off_comes_from_its_cabinet_programme(programme, value):
    cabinet = {"switching": "astronomical_clock"} | ({"programme": programme} if programme
                                                      else {})
    point = LightPoint("P", "P", "88383", {**LED, "activity_related": True,
                                           "activity_end": "20:00", "lit_area_m2": 4000,
                                           "built_up_area": True}, cabinet)
    entry = check_point(point)
    assert [(v["rule"], v["article"], v["value"], v["limit"]) for v in entry["violations"]] == [
        ("switch_off", "art. 2, IV", value, "22:00")]
    assert entry["violations"][0]["detail"].startswith(("programme de l'armoire",
                                                        "armoire sans programme"))


def test_technical_rules_apply_to_heads_installed_from_2020():
    old = LightPoint("O", "O", None, {**LED, "category": "a", "color_temperature_k": 4000,
                                      "head_installed": "2016-05-01", "lit_area_m2": 4000,
                                      "built_up_area": True})
    assert check_point(old)["violations"] == []
    unknown = LightPoint("U", "U", None, {k: v for k, v in old.properties.items()
                                          if k != "head_installed"})
    entry = check_point(unknown)
    assert entry["violations"] == []
    assert [(m["rule"], m["fields"]) for m in entry["missing_data"]] == [
        ("color_temperature", ["head_installed"])]
    mercury = LightPoint("M", "M", None, {**old.properties, "lamp_type": "mercury"})
    assert [v["rule"] for v in check_point(mercury)["violations"]] == ["mercury_lamp"]


# -- zones in the database and their import --------------------------------------------------------
ZONES_GEOJSON = orjson.dumps({"type": "FeatureCollection", "features": [
    {"type": "Feature", "geometry": RECT,
     "properties": {"Identifiant": "ZE-PARKING", "Nom": "Parking de la gare",
                    "Commune": "88383", "Catégorie": "E", "Agglomération": "oui"}},
]})
BAD_ZONES_CSV = (
    "Identifiant;Nom;Commune;geometry;Catégorie\n"
    'ZE-OK;Place;88383;"{""type"": ""Polygon"", ""coordinates"": [[[6.6, 48.0], [6.601, 48.0], '
    '[6.601, 48.001], [6.6, 48.0]]]}";a\n'
    'ZE-POINT;Lampadaire;88383;"{""type"": ""Point"", ""coordinates"": [6.6, 48.0]}";a\n'
).encode()


@pytest.fixture(scope="module")
def registry():
    return load_registry(["generic", "lighting"])


@pytest.fixture
def tenant(db, registry) -> int:
    with db.write() as conn:
        t = tenants.create_tenant(db, conn, CLI, name="Communauté test", registry=registry)
        scope = open_scope(db, conn, CLI, t["id"])
        tenants.create_commune(scope, conn, {"insee": "88383", "name": "Remiremont"})
        assets.create_asset(scope, conn, registry, {
            "ref": "ARM-1", "kind": "lighting.cabinet", "name": "Armoire", "commune": "88383",
            "geometry": {"type": "Point", "coordinates": [6.5901, 48.0171]},
            "properties": {"switching": "remote", "programme": {"preset": "cut_23_5"},
                           "circuits": 2, "tariff_option": "public_lighting"}})
        for i, (x, y) in enumerate(INSIDE):
            assets.create_asset(scope, conn, registry, {
                "ref": f"LUM-{i}", "kind": "lighting.luminaire", "name": f"Point {i}",
                "commune": "88383", "parent_ref": "ARM-1",
                "geometry": {"type": "Point", "coordinates": [x, y]}, "properties": LED})
    return t["id"]


def test_imported_lit_area_feeds_the_database_report(db, registry, tenant):
    with db.write() as conn:
        result = import_zones(open_scope(db, conn, CLI, tenant), conn, registry,
                              ZONES_GEOJSON, "application/geo+json", "zones.geojson")
    assert result["import"]["errors"] == [] and result["import"]["created"] == 1
    assert result["columns"]["renamed"]["Catégorie"] == "category"
    with db.read() as conn:
        report = commune_report(open_scope(db, conn, CLI, tenant), conn, "88383")
    area = report["zones"]["lit_areas"][0]
    assert (area["ref"], area["category"], area["built_up_area"]) == ("ZE-PARKING", "e", True)
    assert area["flux_lm"] == 120_000 and area["compliant"] is False
    assert {tuple(r for r, _ in _rules(e)) for e in report["luminaires"]} == {("flux_density",)}


def test_zone_import_refuses_a_point_with_a_french_error(db, registry, tenant):
    with db.write() as conn:
        result = import_zones(open_scope(db, conn, CLI, tenant), conn, registry,
                              BAD_ZONES_CSV, "text/csv", "zones.csv")
    errors = result["import"]["errors"]
    assert [(e["row"], e["ref"], e["field"]) for e in errors] == [(2, "ZE-POINT", "geometry")]
    assert "géométrie de type point refusée ici (attendu : polygone, multipolygone)" in errors[
        0]["message"]
    assert result["import"]["written"] is False
    with db.write() as conn:
        wrong = import_zones(open_scope(db, conn, CLI, tenant), conn, registry,
                             ZONES_GEOJSON, "application/geo+json", "z.geojson",
                             kind="lighting.cabinet")
    assert wrong["import"]["errors"][-1]["message"].endswith(
        "n'est pas une zone d'éclairage (surface-eclairee ou trame-noire)")


def test_import_zones_cli(db, tenant, tmp_path, monkeypatch, registry):
    import beffroi.core.registry as core_registry
    monkeypatch.setattr(core_registry, "load_registry", lambda *a, **k: registry)
    path = tmp_path / "trame.geojson"
    path.write_bytes(ZONES_GEOJSON.replace(b"ZE-PARKING", b"TN-1"))
    result = CliRunner().invoke(lighting, ["import-zones", "--tenant", str(tenant), "--type",
                                           "trame-noire", str(path), "--db", db.url])
    assert result.exit_code == 0, result.output
    assert "1 zones lues, 1 valides ; 1 créées" in result.output
    with db.read() as conn:
        report = commune_report(open_scope(db, conn, CLI, tenant), conn)
    assert [z["ref"] for z in report["zones"]["dark_corridors"]] == ["TN-1"]


_POLYGON = ('"{""type"": ""Polygon"", ""coordinates"": [[[6.6, 48.0], [6.601, 48.0], '
            '[6.601, 48.001], [6.6, 48.0]]]}"')
# One valid zone among refused ones: a point, a kind that is no lighting zone (it used to
# make the whole import a dry run, even a partial one), a French thousands dot.
MIXED_ZONES_CSV = (
    "Identifiant;Nom;Commune;type_zone;surface;geometry\n"
    f"ZE-OK;Place;88383;surface-eclairee;1 200 m²;{_POLYGON}\n"
    'ZE-POINT;Lampadaire;88383;surface-eclairee;;"{""type"": ""Point"", '
    '""coordinates"": [6.6, 48.0]}"\n'
    f"ZE-KIND;Autre;88383;armoire;;{_POLYGON}\n"
    f"ZE-SURF;Parking;88383;surface-eclairee;1.500;{_POLYGON}\n"
).encode()


def _zones(db, tenant) -> dict[str, dict]:
    a = schema.assets
    with db.read() as conn:
        scope = open_scope(db, conn, CLI, tenant)
        return {r.ref: orjson.loads(r.properties) for r in conn.execute(
            select(a.c.ref, a.c.properties).where(scope.owns(a), a.c.kind == "lighting.lit_area"))}


def _mixed_zone_errors(report) -> None:
    ours = [(e["line"], e["ref"], e["field"]) for e in report["errors"]
            if e["field"] != "kind" or "zone d'éclairage" in e["message"]]
    assert sorted(ours) == [(3, "ZE-POINT", "geometry"), (4, "ZE-KIND", "kind"),
                    (5, "ZE-SURF", "properties.declared_area_m2")]
    messages = {e["ref"]: e["message"] for e in report["errors"]}
    assert messages["ZE-SURF"] == ("colonne « surface », valeur « 1.500 » : séparateur ambigu, "
                                   "écrivez 1500 ou 1,5")
    assert any(e["message"] == "« armoire » n'est pas une zone d'éclairage (surface-eclairee "
               "ou trame-noire)" for e in report["errors"] if e["ref"] == "ZE-KIND")


def test_partial_zone_import_writes_the_valid_zones_and_refuses_the_others(db, registry, tenant):
    with db.write() as conn:
        result = import_zones(open_scope(db, conn, CLI, tenant), conn, registry,
                              MIXED_ZONES_CSV, "text/csv", "zones.csv")
    _mixed_zone_errors(result["import"])
    assert result["import"]["written"] is False and _zones(db, tenant) == {}
    with db.write() as conn:
        result = import_zones(open_scope(db, conn, CLI, tenant), conn, registry,
                              MIXED_ZONES_CSV, "text/csv", "zones.csv", partial=True)
    report = result["import"]
    _mixed_zone_errors(report)
    assert (report["total"], report["valid"], report["created"]) == (4, 1, 1)
    assert report["written"] is True
    assert _zones(db, tenant) == {"ZE-OK": {"declared_area_m2": 1200}}


def test_import_zones_cli_partial(db, tenant, tmp_path, monkeypatch, registry):
    import beffroi.core.registry as core_registry
    monkeypatch.setattr(core_registry, "load_registry", lambda *a, **k: registry)
    path = tmp_path / "zones.csv"
    path.write_bytes(MIXED_ZONES_CSV)
    command = ["import-zones", "--tenant", str(tenant), str(path), "--db", db.url]
    refused = CliRunner().invoke(lighting, command)
    assert refused.exit_code == 1, refused.output
    assert "4 zones lues, 1 valides ; 0 créées" in refused.stdout
    assert "utilisez --partial pour importer les lignes valides" in refused.stderr
    assert _zones(db, tenant) == {}
    result = CliRunner().invoke(lighting, [*command, "--partial"])
    assert result.exit_code == 1, result.output
    assert "4 zones lues, 1 valides ; 1 créées, 0 mises à jour." in result.stdout
    assert ("ligne 5 (ZE-SURF) — properties.declared_area_m2 : colonne « surface », valeur "
            "« 1.500 » : séparateur ambigu, écrivez 1500 ou 1,5") in result.stderr
    assert "Import partiel : 3 ligne(s) refusée(s), non importées ; les lignes valides ont été écrites." \
        in result.stderr
    assert list(_zones(db, tenant)) == ["ZE-OK"]


# -- the demo's cabinets ---------------------------------------------------------------------------
def _demo(communes):
    return {insee: demo_inventory(c, np.random.default_rng(zlib.crc32(f"lighting/{insee}"
                                                                      .encode())))
            for insee, c in communes.items()}


def test_demo_cabinets_programmes_devices_and_properties(communes, registry):
    demo = _demo(communes)
    everything = [a for items in demo.values() for a in items]
    cabinets = [a for a in everything if a.kind == "lighting.cabinet"]
    for asset in everything:
        _, errors = validate_properties(registry.asset_kinds[asset.kind], dict(asset.properties))
        assert errors == [], (asset.ref, errors)
    for cabinet in cabinets:
        parse_programme(cabinet.properties["programme"])  # raises if it does not
        assert (cabinet.device is not None) == (cabinet.properties["switching"] == "remote")
    euis = [c.device["dev_eui"] for c in cabinets if c.device]
    assert len(set(euis)) == len(euis) and all(len(e) == 16 for e in euis)
    assert {c.device["model"] for c in cabinets if c.device} == {DEVICE_MODEL}
    remote_88383 = [c for c in cabinets if c.device and c.ref.startswith("ARM-88383-")]
    assert remote_88383
    dimmable = [a for a in demo["88383"] if a.parent_ref == remote_88383[0].ref
                and a.properties.get("lamp_type") == "led" and a.properties.get("dimmable")]
    assert len(dimmable) > 20
    by_ref = {c.ref: c for c in cabinets}
    assert all(by_ref[ref].properties["switching"] != "remote" for ref in FAULTY_CABINETS)
    presets = {str(c.properties["programme"].get("preset", "custom")) for c in cabinets}
    assert {"cut_23_5", "cut_23_5_summer_midnight", "dim_50_22_6", "dusk_to_dawn",
            "custom"} <= presets
    kinds = {a.kind for a in everything}
    assert {"lighting.lit_area", "lighting.dark_corridor"} <= kinds
