"""Issue #18: décret tertiaire on a small territory built here — a town hall of 1,200 m²
(gas heating, reference 2021, yearly entries), a school group of two buildings on one site
(600 + 500 m², one with an absolute 2030 target), a workshop too small, a hall forced in by
hand; a weather station whose temperatures give the degree days (imported by the CLI).
Targets, raw and climate-corrected progress and the linear path are checked against
values computed here; the signature's line against numpy's least squares; the routes
against another tenant (404) and a member limited to one commune. The clock is pinned."""

from __future__ import annotations

import calendar
from datetime import date, datetime, time, timedelta

import numpy as np
import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient
from sqlalchemy import select
from suite_apps import fresh_app

from beffroi.core import assets, streams, tenants, users
from beffroi.core.access import CLI, open_scope
from beffroi.core.clock import PARIS
from beffroi.core.observations import store_rows
from beffroi.core.registry import load_registry
from beffroi.domains.buildings import decret, decret_routes
from beffroi.domains.buildings.cli import buildings
from beffroi.storage import schema
from suite_accounts import bearer

R, V = "88383", "88498"
TODAY = date(2025, 6, 15)
NOW = int(datetime.combine(TODAY, time(10), PARIS).timestamp() * 1000)
DJU_REF = 3000.0
# Every day of a year: Tn = A[year], Tx = Tn + 4 (2024: Tn = the month's number).
A = {2021: 6.0, 2022: 8.0, 2023: 7.0}
ENTRIES = {2021: (50_000, 150_000), 2022: (48_000, 130_000), 2023: (47_000, 120_000),
           2024: (45_000, 100_000)}  # town hall: (electricity, gas) kWh


def _tn(d: date) -> float:
    return float(d.month) if d.year == 2024 else A[d.year]


def _days(year: int):
    d = date(year, 1, 1)
    while d.year == year:
        yield d
        d += timedelta(days=1)


def _dju(year: int) -> float:  # Météo, base 18: 18 − (Tn + Tn + 4)/2
    return sum(18 - (_tn(d) + 2) for d in _days(year))


@pytest.fixture
def world(db, tmp_path, monkeypatch):
    monkeypatch.setattr(decret, "now_ms", lambda: NOW)
    monkeypatch.setattr(decret_routes, "now_ms", lambda: NOW)
    registry = load_registry(["generic", "buildings", "risks"])
    with db.write() as conn:
        t = tenants.create_tenant(db, conn, CLI, name="CC", registry=registry)
        other = tenants.create_tenant(db, conn, CLI, name="Autre", registry=registry)
        scope = open_scope(db, conn, CLI, t["id"])
        for insee in (R, V):
            tenants.create_commune(scope, conn, {"insee": insee, "name": f"Commune {insee}"})

        def building(ref, insee, props):
            return assets.create_asset(scope, conn, registry, {
                "ref": ref, "kind": "buildings.building", "name": ref, "commune": insee,
                "properties": props, "geometry": {"type": "Point", "coordinates": [6.6, 48.3]}})

        ids = {}
        ids["MAIRIE"] = building("MAIRIE", R, {
            "usage": "mairie", "floor_area_m2": 1200, "heating": "gaz", "reference_year": 2021,
            "weather_station_ref": "METEO",
            "annual_energy": {str(y): {"electricite_kwh": e, "gaz_kwh": g}
                              for y, (e, g) in ENTRIES.items()}}).id
        ids["ECOLE-A"] = building("ECOLE-A", V, {
            "usage": "ecole", "site": "Groupe scolaire", "reference_year": 2022,
            "tertiary_areas": [{"activity": "Enseignement", "area_m2": 600}],
            "cabs_2030_kwh_m2": 90, "heating_share_pct": 70,
            "annual_energy": {"2022": {"gaz_kwh": 90_000}, "2023": {"gaz_kwh": 85_000},
                              "2024": {"gaz_kwh": 70_000}}}).id
        ids["ECOLE-B"] = building("ECOLE-B", V, {
            "usage": "ecole", "site": "Groupe scolaire", "floor_area_m2": 500}).id
        ids["ATELIER"] = building("ATELIER", R, {"usage": "atelier", "floor_area_m2": 300}).id
        ids["SALLE"] = building("SALLE", R, {"usage": "salle_polyvalente",
                                             "floor_area_m2": 200, "tertiary_decree": True}).id
        ids["GRAND"] = building("GRAND", R, {"usage": "gymnase", "floor_area_m2": 1500,
                                             "tertiary_decree": False}).id
        assets.create_asset(scope, conn, registry, {
            "ref": "METEO", "kind": "risks.weather_station", "name": "Station", "commune": R,
            "geometry": {"type": "Point", "coordinates": [6.6, 48.3]}})
        meter = assets.create_asset(scope, conn, registry, {
            "ref": "MAIRIE-ELEC", "kind": "buildings.meter", "name": "Compteur", "commune": R,
            "parent_ref": "MAIRIE", "properties": {"energy": "electricite"},
            "geometry": {"type": "Point", "coordinates": [6.6, 48.3]}})
        sid = streams.create_stream(scope, conn, registry,
                                    {"asset_id": meter.id, "metric": "energy.active_import"}).id
        index, rows = 1000.0, []
        for d in [date(2023, 12, 31), *_days(2024)]:
            index += 20 + 5 * (18 - (_tn(d) + 2)) if d.year == 2024 else 0
            rows.append((t["id"], sid, int(datetime.combine(d, time(23), PARIS).timestamp()
                                            * 1000), index, 0))
        store_rows(scope, conn, rows, PARIS)
        users.add_member(scope, conn, {"email": "v@cc.fr", "role": "viewer",
                                       "password": "password-123", "communes": [V]})
        users.add_member(scope, conn, {"email": "all@cc.fr", "role": "viewer",
                                       "password": "password-123"})
        users.add_member(open_scope(db, conn, CLI, other["id"]), conn, {
            "email": "x@autre.fr", "role": "tenant_admin", "password": "password-123"})
    # Temperatures through the import command (Tn at 05:00, Tx at 15:00 local).
    path = tmp_path / "meteo.csv"
    path.write_text("date,tmin_c,tmax_c\n" + "".join(
        f"{d.isoformat()},{_tn(d)},{_tn(d) + 4}\n" for y in (2021, 2022, 2023, 2024)
        for d in _days(y)), encoding="utf-8")
    result = CliRunner().invoke(buildings, ["import-temperatures", "--tenant", str(t["id"]),
                                            "--station", "METEO", "--csv", str(path),
                                            "--db", db.url])
    assert result.exit_code == 0, result.output
    assert "1461 jours importés" in result.output
    return {"tenant": t["id"], "ids": ids, "registry": registry}


def _set_reference(db, tenant, registry):
    with db.write() as conn:
        tenants.update_tenant(open_scope(db, conn, CLI, tenant), conn,
                              {"settings": {"buildings.dju_reference": DJU_REF}}, registry)


def _trajectory(db, world, ref):
    with db.read() as conn:
        scope = open_scope(db, conn, CLI, world["tenant"])
        return decret.trajectory(scope, conn, scope.asset(conn, world["ids"][ref]), TODAY)


def test_subjects(db, world):
    with db.read() as conn:
        found = decret.subjects(open_scope(db, conn, CLI, world["tenant"]), conn)
    by_ref = {ref: found[i] for ref, i in world["ids"].items()}
    assert {r for r, s in by_ref.items() if s["subject"]} == {"MAIRIE", "ECOLE-A", "ECOLE-B",
                                                              "SALLE"}
    assert by_ref["ECOLE-A"]["area_m2"] == 600 and by_ref["ECOLE-A"]["group_area_m2"] == 1100
    assert "Groupe scolaire" in by_ref["ECOLE-B"]["reason"]
    # French numbers: « 1 100 m² tertiaires ≥ 1 000 m² » (narrow no-break spaces).
    assert "1\u202f100 m² tertiaires ≥ 1\u202f000 m²" in by_ref["ECOLE-A"]["reason"]
    assert by_ref["ATELIER"]["group_area_m2"] == 300
    assert "forcé" in by_ref["GRAND"]["reason"] and not by_ref["GRAND"]["subject"]


def test_trajectory_raw_and_corrected(db, world):
    _set_reference(db, world["tenant"], world["registry"])
    found = _trajectory(db, world, "MAIRIE")
    ref_kwh = sum(ENTRIES[2021])
    assert found["reference"]["year"] == 2021 and found["reference"]["kwh"] == ref_kwh
    assert [(t["year"], t["kind"], t["kwh"]) for t in found["targets"]] == [
        (2030, "relative", ref_kwh * 0.6), (2040, "relative", ref_kwh * 0.5),
        (2050, "relative", ref_kwh * 0.4)]

    def fixed(year):
        elec, gas = ENTRIES[year]
        heat = 0.85 * gas  # gas heating, no share entered: 85 % of the gas
        return elec + gas - heat + heat * DJU_REF / _dju(year)

    assert found["reference"]["dju"] == round(_dju(2021), 1)
    assert found["reference"]["corrected_kwh"] == round(fixed(2021), 1)
    assert [y["year"] for y in found["years"]] == [2022, 2023, 2024]
    for item in found["years"]:
        year = item["year"]
        assert item["kwh"] == sum(ENTRIES[year])
        assert item["kwh_m2"] == round(sum(ENTRIES[year]) / 1200, 2)
        assert item["corrected_kwh"] == round(fixed(year), 1)
        assert item["compared"] == "corrigée"
        assert item["change_pct"] == round((fixed(year) - fixed(2021)) / fixed(2021) * 100, 1)
        path = fixed(2021) * (1 - 0.4 * (year - 2021) / 9)
        assert item["path_kwh"] == round(path, 1)
        assert item["on_track"] is (fixed(year) <= path)
    # Corrected to the normal climate, 2022 (a mild year) is behind its path, 2023 and 2024
    # ahead of it; raw, 2022 would have looked on track (178,000 ≤ 182,222 kWh).
    assert [y["on_track"] for y in found["years"]] == [False, True, True]
    assert sum(ENTRIES[2022]) <= 200_000 * (1 - 0.4 / 9)


def test_absolute_target_and_raw_without_reference_dju(db, world):
    found = _trajectory(db, world, "ECOLE-A")  # no reference DJU set: raw comparison
    assert found["targets"][0] == {"year": 2030, "reduction_pct": 40.0, "cabs_kwh_m2": 90.0,
                                   "kind": "absolue", "kwh": 54_000.0, "kwh_m2": 90.0}
    assert found["targets"][1]["kind"] == "relative"
    assert found["targets"][1]["kwh"] == 90_000 * 0.5
    y2024 = found["years"][-1]
    assert y2024["compared"] == "brute" and y2024["corrected_kwh"] is None
    path = 90_000 + (54_000 - 90_000) * (2024 - 2022) / 8
    assert y2024["path_kwh"] == round(path, 1) and y2024["on_track"] is (70_000 <= path)
    assert y2024["change_pct"] == round((70_000 - 90_000) / 90_000 * 100, 1)
    missing = _trajectory(db, world, "ECOLE-B")
    assert missing["reference"] is None and "Année de référence à choisir" in \
        missing["message"]


def test_signature_fit(db, world):
    with db.read() as conn:
        scope = open_scope(db, conn, CLI, world["tenant"])
        from beffroi.domains.buildings.signature import energy_signature
        found = energy_signature(scope, conn, scope.asset(conn, world["ids"]["MAIRIE"]), 2024)
    x, y = [], []
    for m in range(1, 13):
        n = calendar.monthrange(2024, m)[1]
        x.append(n * (18 - (m + 2)))
        y.append(n * (20 + 5 * (18 - (m + 2))))
    assert [mo["dju"] for mo in found["months"]] == [round(v, 2) for v in x]
    assert [mo["kwh"] for mo in found["months"]] == pytest.approx(y)
    slope, intercept = np.polyfit(x, y, 1)
    r2 = np.corrcoef(x, y)[0, 1] ** 2
    assert found["fit"]["slope"] == pytest.approx(slope, abs=1e-4)
    assert found["fit"]["intercept"] == pytest.approx(intercept, abs=1e-3)
    assert found["fit"]["r2"] == pytest.approx(r2, abs=1e-4)
    assert found["fit"]["points"] == 12


@pytest.fixture
def client(db, world):
    with TestClient(fresh_app(db, world["registry"])) as c:
        headers = {email: bearer(c, email, "password-123")
                   for email in ("v@cc.fr", "all@cc.fr", "x@autre.fr")}
        yield c, headers, f"/api/v1/tenants/{world['tenant']}"


def test_routes_scope_and_errors(db, world, client):
    c, h, base = client
    ids = world["ids"]
    everything = c.get(f"{base}/buildings/decret", headers=h["all@cc.fr"])
    assert everything.status_code == 200, everything.text
    assert [b["ref"] for b in everything.json()["buildings"]] == [
        "ECOLE-A", "ECOLE-B", "MAIRIE", "SALLE"]
    mairie = next(b for b in everything.json()["buildings"] if b["ref"] == "MAIRIE")
    assert mairie["reference_kwh"] == 200_000 and mairie["last_year"]["year"] == 2024
    limited = c.get(f"{base}/buildings/decret", headers=h["v@cc.fr"]).json()["buildings"]
    assert [b["ref"] for b in limited] == ["ECOLE-A", "ECOLE-B"]
    assert limited[0]["group_area_m2"] == 1100
    for path in ("trajectory", "signature?year=2024", "annual?year=2024"):
        ok = c.get(f"{base}/buildings/{ids['MAIRIE']}/{path}", headers=h["all@cc.fr"])
        assert ok.status_code == 200, ok.text
        assert c.get(f"{base}/buildings/{ids['MAIRIE']}/{path}",
                     headers=h["v@cc.fr"]).status_code == 404
        assert c.get(f"{base}/buildings/{ids['MAIRIE']}/{path}",
                     headers=h["x@autre.fr"]).status_code in (403, 404)
    assert c.get(f"{base}/buildings/decret", headers=h["x@autre.fr"]).status_code in (403, 404)
    annual = c.get(f"{base}/buildings/{ids['MAIRIE']}/annual?year=2024",
                   headers=h["all@cc.fr"]).json()
    elec = next(e for e in annual["energies"] if e["energy"] == "electricite")
    assert elec["source"] == "saisi" and elec["kwh"] == 45_000
    assert elec["measured_kwh"] == pytest.approx(sum(20 + 5 * (18 - (_tn(d) + 2))
                                                     for d in _days(2024)))
    bad = c.get(f"{base}/buildings/{ids['MAIRIE']}/annual?year=24", headers=h["all@cc.fr"])
    assert bad.status_code == 422 and "quatre chiffres" in bad.text
    future = c.get(f"{base}/buildings/{ids['MAIRIE']}/signature?year=2031",
                   headers=h["all@cc.fr"])
    assert future.status_code == 422 and "de 2000 à 2025" in future.text
    station = c.get(f"{base}/buildings/999999/trajectory", headers=h["all@cc.fr"])
    assert station.status_code == 404


def test_temperatures_an_observation_could_not_hold_refuse_the_file(db, world, tmp_path):
    """Days before 2000 or in the future are refused as by every other entry point: the
    station's latest reading must not become a day of year 9999."""
    s = schema.streams
    with db.read() as conn:
        before = conn.execute(select(s.c.id, s.c.last_t, s.c.last_value).where(
            s.c.tenant_id == world["tenant"], s.c.metric == "air.temperature")).all()
    path = tmp_path / "hors-limites.csv"
    path.write_text("date;tmin_c;tmax_c\n2024-06-01;2,5;10,1\n1900-01-01;1;2\n9999-01-01;1;2\n",
                    encoding="utf-8")
    result = CliRunner().invoke(buildings, ["import-temperatures", "--tenant",
                                            str(world["tenant"]), "--station", "METEO",
                                            "--csv", str(path), "--db", db.url])
    assert result.exit_code == 2, result.output
    assert "4 mesure(s) hors limites, fichier refusé" in result.output
    for day in ("1900-01-01 (Tn", "1900-01-01 (Tx", "9999-01-01 (Tn", "9999-01-01 (Tx"):
        assert day in result.output
    assert "2024-06-01" not in result.output
    with db.read() as conn:
        assert conn.execute(select(s.c.id, s.c.last_t, s.c.last_value).where(
            s.c.tenant_id == world["tenant"], s.c.metric == "air.temperature")).all() == before
        o = schema.observations
        assert conn.execute(select(o.c.t).where(o.c.tenant_id == world["tenant"],
                                                o.c.stream_id == before[0].id,
                                                o.c.value == 10.1)).all() == []
