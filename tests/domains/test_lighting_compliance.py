"""Lighting: compliance with the arrêté du 27 décembre 2018 and luminaire inventory import."""

from __future__ import annotations

import csv
import io

import numpy as np
import orjson
import pytest
from click.testing import CliRunner
from sqlalchemy import select
from suite_apps import fresh_app

from beffroi.core import assets, tenants
from beffroi.core.access import CLI, open_scope
from beffroi.core.errors import Invalid
from beffroi.core.registry import load_registry
from beffroi.domains.lighting.cli import lighting
from beffroi.domains.lighting.compliance_report import commune_report, demo_report
from beffroi.domains.lighting.inventory_import import (
    completeness,
    import_luminaires,
    parse_luminaires,
)
from beffroi.storage import schema

INSEE = "88383"
CABINET = {"switching": "astronomical_clock", "night_cut": True, "cut_start": "23:00",
           "cut_end": "05:00"}
BASE = {"category": "a", "lamp_type": "led", "power_w": 30, "flux_lm": 3000,
        "color_temperature_k": 3000, "ulr_percent": 0.5, "cie_flux_code_3_percent": 98,
        "head_installed": "2021-05-01", "mast_height_m": 6, "built_up_area": True,
        "protected_area": "none", "lit_area_m2": 200}
# ref -> (properties over BASE, the one expected breach: rule, article, value, limit)
CASES = {
    "LUM-OK": ({}, None),
    "LUM-TC": ({"color_temperature_k": 4000},
               ("color_temperature", "art. 3, II, 3°", 4000, 3000)),
    "LUM-RESERVE": ({"category": "b", "color_temperature_k": 2700, "ulr_percent": 0,
                     "protected_area": "nature_reserve"},
                    ("color_temperature_nature_reserve", "art. 4, II", 2700, 2400)),
    "LUM-ULR": ({"ulr_percent": 2.0}, ("ulr_nominal", "art. 3, II, 1°", 2.0, 1.0)),
    "LUM-ULR-INST": ({"ulr_installed_percent": 5.0},
                     ("ulr_installed", "art. 3, II, 1°", 5.0, 4.0)),
    "LUM-PATRIMOINE": ({"category": "b", "color_temperature_k": 2200, "ulr_percent": 3.0,
                        "protected_area": "astronomical_site"},
                       ("ulr_heritage_protected", "art. 4, I", 3.0, 0.0)),
    "LUM-DENSITE": ({"built_up_area": False, "lit_area_m2": 100},
                    ("flux_density", "art. 3, II, 4°", 30.0, 25.0)),
    "LUM-EXTINCTION": ({"category": "e", "activity_related": True, "activity_end": "19:00",
                        "switch_off": "22:00"},
                       ("switch_off", "art. 2, IV", "22:00", "21:00")),
    "LUM-RALLUMAGE": ({"activity_related": True, "activity_start": "08:00",
                       "activity_end": "22:00"},
                      ("switch_on", "art. 2, I", "05:00", "07:00")),
    "LUM-MERCURE": ({"lamp_type": "mercury"},
                    ("mercury_lamp", "règlement (CE) n° 245/2009", "mercury", "interdite")),
}
INCOMPLETE = {"category": "a", "lamp_type": "led", "color_temperature_k": 3000}


@pytest.fixture(scope="session")
def registry():
    return load_registry(["generic", "lighting"])


def _point(x: float) -> dict:
    return {"type": "Point", "coordinates": [6.59 + x, 48.017]}


@pytest.fixture
def territory(db, registry) -> int:
    with db.write() as conn:
        t = tenants.create_tenant(db, conn, CLI, name="Communauté test", registry=registry)
        scope = open_scope(db, conn, CLI, t["id"])
        tenants.create_commune(scope, conn, {"insee": INSEE, "name": "Remiremont"})
        tenants.create_commune(scope, conn, {"insee": "88001", "name": "Autre"})
        assets.create_asset(scope, conn, registry, {
            "ref": "ARM-1", "kind": "lighting.cabinet", "name": "Armoire 1", "commune": INSEE,
            "geometry": _point(0), "properties": CABINET})
        for i, (ref, (props, _)) in enumerate([*CASES.items(), ("LUM-INCOMPLET", (None, None))]):
            assets.create_asset(scope, conn, registry, {
                "ref": ref, "kind": "lighting.luminaire", "name": f"Point {ref}",
                "commune": INSEE, "parent_ref": "ARM-1", "geometry": _point(i / 1000),
                "properties": INCOMPLETE if props is None else {**BASE, **props}})
    return t["id"]


def _report(db, tenant, commune=INSEE):
    with db.read() as conn:
        return commune_report(open_scope(db, conn, CLI, tenant), conn, commune)


def test_each_rule_is_broken_once_with_value_limit_and_article(db, territory):
    report = _report(db, territory)
    by_ref = {e["ref"]: e for e in report["luminaires"]}
    for ref, (_, expected) in CASES.items():
        entry = by_ref[ref]
        found = [(v["rule"], v["article"], v["value"], v["limit"]) for v in entry["violations"]]
        assert found == ([expected] if expected else []), ref
        assert entry["missing_data"] == [], ref
        assert entry["article5_missing"] == [], ref
        assert entry["compliant"] is (expected is None)
    counts = report["communes"][0]["counts"]
    assert report["communes"][0]["insee"] == INSEE
    assert counts["luminaires"] == len(CASES) + 1
    assert counts["compliant"] == 2  # LUM-OK and the incomplete one (nothing provably broken)
    assert counts["violations_by_rule"] == {expected[0]: 1 for _, expected in CASES.values()
                                            if expected}


def test_mercury_lamp_is_flagged(db, territory):
    entry = next(e for e in _report(db, territory)["luminaires"] if e["ref"] == "LUM-MERCURE")
    assert entry["lamp_type"] == "mercury"
    assert entry["violations"][0]["label"].startswith("Lampe à vapeur de mercure")


def test_missing_article5_data_and_rules_lacking_data(db, territory):
    entry = next(e for e in _report(db, territory)["luminaires"] if e["ref"] == "LUM-INCOMPLET")
    assert entry["article5_missing"] == ["ulr_percent", "cie_flux_code_3_percent", "power_w",
                                         "flux_lm", "head_installed", "mast_height_m",
                                         "built_up_area", "protected_area"]
    assert [(m["rule"], m["fields"]) for m in entry["missing_data"]] == [
        ("ulr_nominal", ["ulr_percent"]), ("flux_density", ["flux_lm", "lit_area_m2"])]
    assert entry["violations"] == []


def test_limits_can_be_overridden_per_call(db, territory):
    with db.read() as conn:
        report = commune_report(open_scope(db, conn, CLI, territory), conn, INSEE,
                                limits={"color_temperature_max_k": 4000})
    entry = next(e for e in report["luminaires"] if e["ref"] == "LUM-TC")
    assert entry["violations"] == []


def test_api_report_and_unknown_commune(db, registry, territory, operator):
    from fastapi.testclient import TestClient

    from suite_accounts import bearer
    with TestClient(fresh_app(db, registry)) as client:
        headers = bearer(client, operator["email"], operator["password"])
        url = f"/api/v1/tenants/{territory}/lighting/compliance"
        response = client.get(url, params={"commune": INSEE}, headers=headers)
        assert response.status_code == 200, response.text
        body = response.json()
        assert set(body) == {"source", "fields", "limits", "rules", "communes", "totals",
                             "zones", "luminaires"}
        assert body["fields"]["head_installed"] == {
            "label": "date d'installation de la tête", "article": "art. 5"}
        tc = next(e for e in body["luminaires"] if e["ref"] == "LUM-TC")
        assert tc["violations"] == [{
            "rule": "color_temperature", "article": "art. 3, II, 3°",
            "label": "Température de couleur supérieure au maximum", "value": 4000,
            "limit": 3000, "unit": "K", "detail": None}]
        assert body["communes"][0]["name"] == "Remiremont"
        unknown = client.get(url, params={"commune": "99999"}, headers=headers)
        assert unknown.status_code == 422
        assert unknown.headers["content-type"].startswith("application/problem+json")
        assert client.get(url, params={"commune": INSEE}).status_code == 401


def test_commune_restriction_hides_other_communes(db, territory, registry):
    with db.write() as conn:
        scope = open_scope(db, conn, CLI, territory)
        assets.create_asset(scope, conn, registry, {
            "ref": "LUM-AUTRE", "kind": "lighting.luminaire", "name": "Ailleurs",
            "commune": "88001", "geometry": _point(0), "properties": BASE})
    with db.read() as conn:
        restricted = open_scope(db, conn, CLI, territory)
        restricted.communes = frozenset({INSEE})
        report = commune_report(restricted, conn)
    assert {e["commune"] for e in report["luminaires"]} == {INSEE}
    assert "LUM-AUTRE" in {e["ref"] for e in _report(db, territory, None)["luminaires"]}


def test_cli_csv(db, territory):
    result = CliRunner().invoke(lighting, ["compliance", "--tenant", str(territory),
                                           "--commune", INSEE, "--db", db.url])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert rows[0].keys() >= {"commune", "ref", "constat", "regle", "article", "valeur",
                              "limite"}
    tc = [r for r in rows if r["ref"] == "LUM-TC"]
    assert [(r["constat"], r["regle"], r["article"], r["valeur"], r["limite"]) for r in tc] == [
        ("non-conformité", "color_temperature", "art. 3, II, 3°", "4000", "3000")]
    assert [r["constat"] for r in rows if r["ref"] == "LUM-OK"] == ["conforme"]
    incomplete = [r for r in rows if r["ref"] == "LUM-INCOMPLET"]
    assert {r["constat"] for r in incomplete} == {"données manquantes",
                                                  "données art. 5 manquantes"}
    as_json = CliRunner().invoke(lighting, ["compliance", "--tenant", str(territory),
                                            "--format", "json", "--db", db.url])
    assert as_json.exit_code == 0, as_json.output
    assert orjson.loads(as_json.stdout)["totals"]["luminaires"] == len(CASES) + 1


def test_demo_inventory_gets_a_report(communes):
    commune = communes[INSEE]
    from beffroi.domains.lighting.demo.inventory import demo_inventory
    demo = demo_inventory(commune, np.random.default_rng(1))
    report = demo_report(demo, commune.insee)
    totals = report["totals"]
    assert totals["luminaires"] == sum(a.kind == "lighting.luminaire" for a in demo) > 0
    # Old stock lacks some art. 5 data; the built-up status is known (on the luminaire or
    # from its lit area) for nearly all.
    assert 0 < totals["article5_incomplete"] < totals["luminaires"] / 2
    assert totals["article5_missing_by_field"].get("built_up_area", 0) < 0.1 * totals[
        "luminaires"]
    assert report["zones"]["lit_areas"] and report["zones"]["dark_corridors"]
    assert all(e["lit_area"] for e in report["luminaires"] if "built_up_area" in e["from_zones"])


GIS_CSV = (
    "Identifiant;Code INSEE;Armoire;X;Y;Catégorie;Type lampe;Puissance (W);Flux;"
    "Température couleur;ULR;Code flux CIE 3;Date pose;Hauteur de feu;Agglomération;"
    "Espace protégé;Observations\n"
    "PL-001;88383;;6,591;48,017;A;LED;45,5;5 850;3 000 K;0,8;97,5;15/03/2021;6;oui;non;RAS\n"
    "PL-002;88383;;6,592;48,018;a;Ballon fluo;125 W;6250;4000;15;;1985;8;Hors agglo;;\n"
    "PL-003;88383;;6,593;48,019;A;SHP;100;10000;2000;;;;;;;\n"
).encode("cp1252")


def test_import_maps_french_gis_columns_and_reports_completeness(db, registry, territory):
    inventory, mapping = parse_luminaires(GIS_CSV, "text/csv", "inventaire.csv")
    rows = inventory.rows
    assert inventory.encoding == "windows-1252" and inventory.lines == [2, 3, 4]
    assert mapping.renamed["Température couleur"] == "color_temperature_k"
    assert mapping.unmapped == ["Observations"]
    first = rows[0]
    assert first["ref"] == "PL-001" and first["kind"] == "lighting.luminaire"
    assert first["geometry"] == {"type": "Point", "coordinates": [6.591, 48.017]}
    assert first["properties"] == {
        "category": "a", "lamp_type": "led", "power_w": 45.5, "flux_lm": 5850,
        "color_temperature_k": 3000, "ulr_percent": 0.8, "cie_flux_code_3_percent": 97.5,
        "head_installed": "2021-03-15", "mast_height_m": 6, "built_up_area": True,
        "protected_area": "none", "Observations": "RAS"}
    assert rows[1]["properties"]["lamp_type"] == "mercury"
    assert rows[1]["properties"]["head_installed"] == "1985-01-01"
    assert rows[1]["properties"]["built_up_area"] is False
    report = completeness(rows)
    assert report["complete"] == 1 and report["incomplete"] == 2
    assert report["rows"][0] == {"row": 2, "ref": "PL-002",
                                 "missing": ["cie_flux_code_3_percent", "protected_area"]}
    assert report["missing_by_field"]["ulr_percent"] == 1
    with db.write() as conn:
        result = import_luminaires(open_scope(db, conn, CLI, territory), conn, registry,
                                   GIS_CSV, "text/csv", "inventaire.csv")
    assert result["import"]["errors"] == [] and result["import"]["created"] == 3
    entries = {e["ref"]: e for e in _report(db, territory)["luminaires"]}
    # Installed in 1985: art. 3 does not apply to it (from 2020), the mercury ban does.
    assert [v["rule"] for v in entries["PL-002"]["violations"]] == ["mercury_lamp"]


def test_luminaire_import_reports_file_lines_and_refuses_ambiguous_columns(db, registry,
                                                                          territory):
    """Columns were renamed by writing the CSV again: a quoted line break or a malformed
    record lost the line numbers, and two columns naming the ref kept the last silently."""
    text = ("Identifiant;Code INSEE;X;Y;Type lampe;Observations\n"      # 1
            'PL-101;88383;6,591;48,017;LED;"Mât penché,\nà redresser"\n'  # 2-3
            "PL-102;88383;6,592;48,018;LED;RAS;en trop\n"                # 4
            "PL-103;88383;6,593;48,019;Bof;RAS\n")                       # 5
    with db.write() as conn:
        result = import_luminaires(open_scope(db, conn, CLI, territory), conn, registry,
                                   text.encode(), "text/csv", "inventaire.csv")
    report = result["import"]
    assert report["encoding"] == "utf-8" and report["written"] is False
    assert [(e["line"], e["ref"], e["field"]) for e in report["errors"]] == [
        (4, None, ""), (5, "PL-103", "properties.lamp_type")]
    assert report["errors"][0]["message"].startswith("7 champs au lieu de 6")
    both = b"Identifiant;num_pl;X;Y\nPL-1;PL-2;6,5;48\n"
    with db.write() as conn, pytest.raises(Invalid, match="« Identifiant » et « num_pl »"):
        import_luminaires(open_scope(db, conn, CLI, territory), conn, registry, both,
                          "text/csv", "inventaire.csv")
    feature = {"type": "Feature", "geometry": {"type": "Point", "coordinates": [6.5, 48.0]},
               "properties": {"Identifiant": "PL-1", "num_pl": "PL-2"}}
    with db.write() as conn:
        result = import_luminaires(open_scope(db, conn, CLI, territory), conn, registry,
                                   orjson.dumps({"type": "FeatureCollection",
                                                 "features": [feature]}), "", "pl.geojson")
    assert [(e["row"], e["message"]) for e in result["import"]["errors"]] == [
        (1, "propriétés « Identifiant » et « num_pl » désignant toutes deux « ref »")]


def test_import_cli_dry_run(db, territory, tmp_path, monkeypatch, registry):
    import beffroi.core.registry as core_registry
    monkeypatch.setattr(core_registry, "load_registry", lambda *a, **k: registry)
    path = tmp_path / "inventaire.csv"
    path.write_bytes(GIS_CSV)
    result = CliRunner().invoke(lighting, ["import-luminaires", "--tenant", str(territory),
                                           str(path), "--dry-run", "--db", db.url])
    assert result.exit_code == 0, result.output
    assert "3 lignes lues, 3 valides" in result.output
    assert "1 points lumineux complets, 2 incomplets" in result.output
    assert "rien n'a été écrit" in result.output
    assert "PL-001" not in {e["ref"] for e in _report(db, territory)["luminaires"]}


# An export as the audit found it (UTF-8 with BOM, « ; »): the first number of each cell
# was stored — 2 W out of « 2x70 W », 1,5 lm out of « 1.500 » (French thousands), 3000 K
# out of « 3000-4000 » (a luminaire beyond the 3000 K limit passing it), 40 W out of
# « environ 40 » — and « 31/02/2012 » was reported as « 2012-02-31 ».
AUDIT_CSV = (
    "\ufeffidentifiant;nom;code_insee;armoire;longitude;latitude;type_lampe;puissance;flux;"
    "temperature_couleur;date_pose;hauteur\n"
    "PL-T-001;Rue A;88383;ARM-1;6,5901;48,0171;LED;2x70 W;1.500;3 000 K;15/03/2012;8\n"
    "PL-T-002;Rue B;88383;ARM-1;6,5902;48,0172;LED;70 W;12 500 lm;2 700 K;2012;8 m\n"
    "PL-T-003;Rue C;88383;ARM-1;6,5903;48,0173;LED;environ 40;4000;3000-4000;2012;8 m\n"
    "PL-T-004;Rue D;88383;ARM-1;6,5904;48,0174;LED;45,5;3000;3000K;31/02/2012;6\n"
).encode()
ONE_NUMBER = "un seul nombre attendu, comme « 1 500 » ou « 12,5 », suivi ou non de l'unité"
AUDIT_ERRORS = [
    (2, "PL-T-001", "properties.power_w",
     f"colonne « puissance », valeur « 2x70 W » : {ONE_NUMBER} « W »"),
    (2, "PL-T-001", "properties.flux_lm",
     "colonne « flux », valeur « 1.500 » : séparateur ambigu, écrivez 1500 ou 1,5"),
    (4, "PL-T-003", "properties.power_w",
     f"colonne « puissance », valeur « environ 40 » : {ONE_NUMBER} « W »"),
    (4, "PL-T-003", "properties.color_temperature_k",
     f"colonne « temperature_couleur », valeur « 3000-4000 » : {ONE_NUMBER} « K »"),
    (5, "PL-T-004", "properties.head_installed",
     "colonne « date_pose », valeur « 31/02/2012 » : date impossible ou illisible (attendu : "
     "JJ/MM/AAAA, AAAA-MM-JJ ou l'année seule AAAA)"),
]
PL_T_002 = {"lamp_type": "led", "power_w": 70, "flux_lm": 12500, "color_temperature_k": 2700,
            "head_installed": "2012-01-01", "mast_height_m": 8}


def _stored(db, tenant) -> dict[str, dict]:
    """Properties of the tenant's luminaires, by ref, as written in the database."""
    a = schema.assets
    with db.read() as conn:
        scope = open_scope(db, conn, CLI, tenant)
        return {r.ref: orjson.loads(r.properties) for r in conn.execute(
            select(a.c.ref, a.c.properties).where(scope.owns(a),
                                                  a.c.kind == "lighting.luminaire"))}


def test_a_cell_that_is_not_one_number_refuses_its_row_with_the_value_as_typed(
        db, registry, territory):
    with db.write() as conn:
        result = import_luminaires(open_scope(db, conn, CLI, territory), conn, registry,
                                   AUDIT_CSV, "text/csv", "lum.csv")
    report = result["import"]
    assert [(e["line"], e["ref"], e["field"], e["message"])
            for e in report["errors"]] == AUDIT_ERRORS
    assert (report["total"], report["valid"], report["written"]) == (4, 1, False)
    assert not {"PL-T-001", "PL-T-002", "PL-T-003", "PL-T-004"} & set(_stored(db, territory))


def test_partial_luminaire_import_writes_the_valid_rows_only(db, registry, territory):
    with db.write() as conn:
        result = import_luminaires(open_scope(db, conn, CLI, territory), conn, registry,
                                   AUDIT_CSV, "text/csv", "lum.csv", partial=True)
    report = result["import"]
    assert [(e["line"], e["ref"], e["field"], e["message"])
            for e in report["errors"]] == AUDIT_ERRORS
    assert (report["written"], report["created"], report["valid"]) == (True, 1, 1)
    stored = _stored(db, territory)
    assert stored["PL-T-002"] == PL_T_002
    assert not {"PL-T-001", "PL-T-003", "PL-T-004"} & set(stored)


@pytest.mark.parametrize(("column", "cell", "expected"), [
    ("puissance", "8", 8), ("puissance", "45,5", 45.5), ("puissance", "70 W", 70),
    ("puissance", "70w", 70), ("flux", "3 000", 3000), ("flux", "12\u202f500 lm", 12500),
    ("flux", "1 500,5", 1500.5), ("flux", "1.5", 1.5), ("flux", "1234.567", 1234.567),
    ("ulr", "0.500", 0.5), ("ulr", "0,8 %", 0.8), ("temperature_couleur", "3 000 K", 3000),
    ("temperature_couleur", "3000K", 3000), ("hauteur", "8 m", 8), ("hauteur", "6,5M", 6.5),
    ("surface_eclairee", "1 200 m²", 1200),
])
def test_a_numeric_cell_as_spreadsheets_write_it_is_read(column, cell, expected):
    inventory, _ = parse_luminaires(f"identifiant;{column}\nPL-1;{cell}\n".encode(),
                                    "text/csv", "lum.csv")
    (value,) = inventory.rows[0]["properties"].values()
    assert value == expected and type(value) is type(expected)


@pytest.mark.parametrize(("column", "cell", "reason"), [
    ("puissance", "2x70 W", f"{ONE_NUMBER} « W »"),
    ("puissance", "2 x 70", f"{ONE_NUMBER} « W »"),
    ("puissance", "environ 40", f"{ONE_NUMBER} « W »"),
    ("puissance", "40 40", f"{ONE_NUMBER} « W »"),
    ("puissance", "0,07 kW", f"{ONE_NUMBER} « W »"),
    ("flux", "1.500", "séparateur ambigu, écrivez 1500 ou 1,5"),
    ("flux", "12.250 lm", "séparateur ambigu, écrivez 12250 ou 12,25"),
    ("flux", "30 00", f"{ONE_NUMBER} « lm »"),
    ("temperature_couleur", "3000-4000", f"{ONE_NUMBER} « K »"),
    ("temperature_couleur", "3.000", "séparateur ambigu, écrivez 3000 ou 3"),
    ("temperature_couleur", "3000,5 K", "nombre entier attendu, comme « 3000 » ou « 3 000 K »"),
    ("hauteur", "8 mm", f"{ONE_NUMBER} « m »"),
    ("date_pose", "2012-02-30", "date impossible ou illisible (attendu : JJ/MM/AAAA, "
                                "AAAA-MM-JJ ou l'année seule AAAA)"),
])
def test_a_cell_that_is_not_one_number_is_refused_with_what_is_expected(column, cell, reason):
    inventory, _ = parse_luminaires(f"identifiant;{column}\nPL-1;{cell}\n".encode(),
                                    "text/csv", "lum.csv")
    assert inventory.rows[0]["properties"] == {}
    assert [e["message"] for e in inventory.cell_errors[0]] == [
        f"colonne « {column} », valeur « {cell} » : {reason}"]


def _import_cli(db, territory, tmp_path, monkeypatch, registry, *options):
    import beffroi.core.registry as core_registry
    monkeypatch.setattr(core_registry, "load_registry", lambda *a, **k: registry)
    path = tmp_path / "lum.csv"
    path.write_bytes(AUDIT_CSV)
    return CliRunner().invoke(lighting, ["import-luminaires", "--tenant", str(territory),
                                         str(path), *options, "--db", db.url])


def test_import_cli_partial_writes_valid_rows_and_exits_non_zero(db, territory, tmp_path,
                                                                 monkeypatch, registry):
    result = _import_cli(db, territory, tmp_path, monkeypatch, registry, "--partial")
    assert result.exit_code == 1, result.output
    assert "4 lignes lues, 1 valides, 3 en erreur ; 1 créées, 0 mises à jour." in result.stdout
    assert (f"ligne 2 (PL-T-001) — properties.power_w : colonne « puissance », valeur "
            f"« 2x70 W » : {ONE_NUMBER} « W »") in result.stderr
    assert "ligne 5 (PL-T-004) — properties.head_installed : colonne « date_pose », valeur " \
           "« 31/02/2012 »" in result.stderr
    assert "Import partiel : 3 ligne(s) refusée(s), non importées ; les lignes valides ont été écrites." \
        in result.stderr
    assert _stored(db, territory)["PL-T-002"] == PL_T_002


def test_import_cli_without_partial_writes_nothing_and_says_how_to(db, territory, tmp_path,
                                                                   monkeypatch, registry):
    result = _import_cli(db, territory, tmp_path, monkeypatch, registry)
    assert result.exit_code == 1, result.output
    assert "4 lignes lues, 1 valides, 3 en erreur ; 0 créées" in result.stdout
    assert "rien n'a été écrit (utilisez --partial pour importer les lignes valides)" \
        in result.stderr
    assert "PL-T-002" not in _stored(db, territory)
