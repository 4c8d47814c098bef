"""Issue #16: the impact report — gross savings per domain against their baselines, site
visits avoided, the platform's footprint and the net figures — on a small territory written
here, every figure checked against a computation made in this file from the data it created
(night lengths from PyEphem, not from the code under test); the JSON route, the command line
and the open-data CSV agree; the report is reproducible, filtered by commune, and scoped."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import ephem
import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update
from suite_apps import fresh_app

import beffroi.core.impact.request as impact_request
from beffroi.cli.main import cli
from beffroi.core import assets, commands, devices, streams, tenants, users
from beffroi.core.access import CLI, open_scope
from beffroi.core.alerting import alerts
from beffroi.core.alerting.interventions import record_intervention
from beffroi.core.errors import Invalid
from beffroi.core.impact.open_data import COLUMNS, report_csv
from beffroi.core.impact.report import impact_report
from beffroi.core.impact.request import parse_period
from beffroi.core.observations import store_rows
from beffroi.core.registry import load_registry
from beffroi.storage import schema
from suite_accounts import bearer

PARIS = ZoneInfo("Europe/Paris")
A, B = "88383", "88001"  # two communes
START, END = date(2026, 3, 1), date(2026, 4, 30)  # 61 days, spring DST on 29 March
TODAY = datetime(2026, 12, 1, 12, tzinfo=UTC)  # the pinned clock: the period is over
YEAR_MS = 365.25 * 86_400_000
CAB_A, CAB_B = (48.0, 6.6), (48.1, 6.7)  # (lat, lon) on energy's 0.1° grid
LED_40 = {"category": "a", "lamp_type": "led", "power_w": 40, "flux_lm": 5200,
          "color_temperature_k": 3000}
SETTINGS = {"lighting.tariff_eur_kwh": 0.2, "water.energy_kwh_per_m3": 0.4,
            "water.reference_year": 2024,
            "buildings.reference_year": 2025, "buildings.tariff_eur_kwh": 0.2,
            "impact.trips_by_action": {"lighting.switch": {"km": 30}}}
# Defaults of the settings this file relies on (a change of default must show here).
GRID, TRIP_EUR_KM, TRIP_EUR_H, TRIP_KG_KM, WATER_PRICE = 0.052, 0.636, 40.0, 0.218, 2.1
LEAK_FLOW, USUAL_DAYS = 2.0, 90


def ms(day: date, clock: time = time(0)) -> int:
    return int(datetime.combine(day, clock, PARIS).timestamp() * 1000)


def days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


START_MS, END_MS = ms(START), ms(END + timedelta(days=1))
PERIOD_H = (END_MS - START_MS) / 3_600_000  # 1463 h: one hour lost on 29 March


def hours_between(a: datetime, b: datetime) -> float:
    return (b.timestamp() - a.timestamp()) / 3600


def cut_hours(day: date) -> float:
    """Hours of local day ``day`` within 23:00–05:00 (the cut_23_5 programme): real hours,
    daylight saving included."""
    at = lambda d, h: datetime.combine(d, time(h), PARIS)  # noqa: E731
    following = day + timedelta(days=1)
    return hours_between(at(day, 0), at(day, 5)) + hours_between(at(day, 23),
                                                                 at(following, 0))


def night_hours(lat: float, lon: float, first: date, last: date) -> float:
    """Hours between sunset and sunrise (upper limb 34' below the horizon) within the local
    days ``first``…``last``, from PyEphem."""
    start = datetime.combine(first, time(0), PARIS)
    end = datetime.combine(last + timedelta(days=1), time(0), PARIS)
    observer = ephem.Observer()
    observer.lat, observer.lon, observer.elevation = str(lat), str(lon), 0
    observer.pressure, observer.horizon = 0, "-0:34"
    sun = ephem.Sun()
    cursor, total = start - timedelta(days=1), 0.0
    while cursor < end:
        observer.date = ephem.Date(cursor.astimezone(UTC).replace(tzinfo=None))
        dusk = ephem.Date(observer.next_setting(sun, use_center=False)).datetime().replace(
            tzinfo=UTC)
        observer.date = ephem.Date(dusk.replace(tzinfo=None))
        dawn = ephem.Date(observer.next_rising(sun, use_center=False)).datetime().replace(
            tzinfo=UTC)
        lo, hi = max(dusk, start), min(dawn, end)
        if hi > lo:
            total += (hi - lo).total_seconds() / 3600
        cursor = dawn
    return total


# -- the territory ---------------------------------------------------------------------------
@pytest.fixture(scope="module")
def registry():
    """Every installed domain: the command line loads them all, the route must agree."""
    return load_registry()


@pytest.fixture(autouse=True)
def pinned_today(monkeypatch):
    monkeypatch.setattr(impact_request, "now_ms", lambda: int(TODAY.timestamp() * 1000))


def _square(lon: float, lat: float, half: float) -> dict:
    return {"type": "Polygon", "coordinates": [[
        [lon - half, lat - half], [lon + half, lat - half], [lon + half, lat + half],
        [lon - half, lat + half], [lon - half, lat - half]]]}


def _point(lat: float, lon: float) -> dict:
    return {"type": "Point", "coordinates": [lon, lat]}


@pytest.fixture
def land(db, registry):
    """Two communes; lighting (a cut cabinet without meter in A, a metered dusk-to-dawn one
    in B, a dark corridor), water (a repaired leak, remotely read meters, yearly volumes),
    a metered building with its reference year, a river gauge with alerts, devices,
    commands."""
    data: dict = {"rows": [], "assets": []}
    with db.write() as conn:
        t = tenants.create_tenant(db, conn, CLI, name="Communauté test", registry=registry)
        tid = t["id"]
        scope = open_scope(db, conn, CLI, tid)
        tenants.create_commune(scope, conn, {"insee": A, "name": "Remiremont"})
        tenants.create_commune(scope, conn, {"insee": B, "name": "Les Ableuvenettes"})

        def asset(ref, kind, commune, geometry, **extra):
            row = assets.create_asset(scope, conn, registry, {
                "ref": ref, "kind": kind, "name": ref, "commune": commune,
                "geometry": geometry, **extra})
            data["assets"].append((ref, commune))
            return row

        def stream(asset_id, metric):
            return streams.create_stream(scope, conn, registry, {
                "asset_id": asset_id, "metric": metric}).id

        # Lighting.
        cab_a = asset("ARM-A", "lighting.cabinet", A, _point(*CAB_A),
                      properties={"switching": "astronomical_clock",
                                  "programme": {"preset": "cut_23_5"}})
        for i in range(10):
            asset(f"ARM-A-L{i}", "lighting.luminaire", A,
                  _point(CAB_A[0], CAB_A[1] + 0.0001 * (i + 1)), parent_ref="ARM-A",
                  properties=LED_40)
        asset("TN-A", "lighting.dark_corridor", A, _square(CAB_A[1] + 0.0006, CAB_A[0], 0.002))
        cab_b = asset("ARM-B", "lighting.cabinet", B, _point(*CAB_B),
                      properties={"switching": "remote", "programme": {"preset": "dusk_to_dawn"}})
        for i in range(5):
            asset(f"ARM-B-L{i}", "lighting.luminaire", B,
                  _point(CAB_B[0], CAB_B[1] + 0.0001 * (i + 1)), parent_ref="ARM-B",
                  properties=LED_40)
        meter = stream(cab_b.id, "energy.active_import")
        data["rows"] += [(meter, ms(d, time(23, 30)), 1000.0 + 3.0 * i)
                         for i, d in enumerate(days(START - timedelta(days=1), END))]
        data["rows"] += [(meter, ms(d, time(23, 30)), 100.0 + 4.0 * i)  # 2025: 4 kWh a day
                         for i, d in enumerate(days(date(2025, 2, 28), date(2025, 4, 30)))]
        # Water: two services, their sectors, customer meters; yearly volumes.
        years_a = {"2024": {"produced_m3": 100000.0, "metered_consumption_m3": 70000.0,
                            "unmetered_consumption_m3": 1000.0, "service_volume_m3": 1000.0,
                            "mains_length_km": 20.0},
                   "2025": {"produced_m3": 95000.0, "metered_consumption_m3": 71000.0,
                            "unmetered_consumption_m3": 1000.0, "service_volume_m3": 1000.0,
                            "mains_length_km": 21.0}}
        srv_a = asset("SRV-A", "water.service", A, _point(48.0, 6.61),
                      properties={"years": years_a})
        sec_a = asset("SEC-A", "water.sector", A, _square(6.61, 48.0, 0.005),
                      parent_id=srv_a.id)
        srv_b = asset("SRV-B", "water.service", B, _point(48.1, 6.71), properties={
            "years": {"2025": {"produced_m3": 50000.0, "metered_consumption_m3": 40000.0,
                               "mains_length_km": 10.0}}})
        sec_b = asset("SEC-B", "water.sector", B, _square(6.71, 48.1, 0.005),
                      parent_id=srv_b.id)
        for ref, sector, commune, first, last in (
                ("MET-A1", sec_a, A, START, END), ("MET-A2", sec_a, A, date(2026, 4, 10),
                                                   date(2026, 4, 20)),
                ("MET-B", sec_b, B, date(2026, 2, 1), date(2026, 2, 20))):
            m = asset(ref, "water.meter", commune, _point(48.0, 6.611), parent_id=sector.id,
                      properties={"role": "customer"})
            sid = stream(m.id, "water.volume")
            data["rows"] += [(sid, ms(d, time(8)), 10.0 + 0.3 * i)
                             for i, d in enumerate(days(first, last))]
        onset = datetime(2026, 4, 1, tzinfo=PARIS)
        leak = alerts.raise_alert(db, conn, registry, tid, alerts.Trigger(
            key=alerts.detector_key("water.night_flow_leak", sec_a.id, "f1"),
            severity="warning", title="Fuite probable", at=ms(date(2026, 4, 3)),
            asset_id=sec_a.id, detector="water.night_flow_leak",
            details={"onset": onset.isoformat(), "extra_flow_m3h": LEAK_FLOW,
                     "lost_m3": 100}))
        record_intervention(scope, conn, registry, leak.id, {
            "step": "repaired", "repaired_on": "2026-04-11", "at": "2026-04-11",
            "cost_eur": 1200})
        # A building metered in 2025 (50 kWh a day) and 2026 (40 a day, 15 April missing).
        building = asset("BAT-B", "buildings.building", B, _point(48.1, 6.72),
                         properties={"usage": "mairie"})
        sid = stream(building.id, "energy.active_import")
        for year, per_day, missing in ((2025, 50.0, None), (2026, 40.0, date(2026, 4, 15))):
            first = date(year, 2, 28)
            data["rows"] += [(sid, ms(d, time(12)), 5000.0 + per_day * i)
                             for i, d in enumerate(days(first, date(year, 4, 30)))
                             if d != missing]
        # A river gauge: two crossings of its yellow height, one warned 6 hours ahead.
        gauge = asset("HYD-A", "risks.gauge", A, _point(48.0, 6.62),
                      properties={"level_yellow_m": 2.0})
        sid = stream(gauge.id, "hydro.level")
        high = {(datetime(2026, 3, 10, 14, tzinfo=UTC), 2): 2.5,
                (datetime(2026, 4, 5, 10, tzinfo=UTC), 1): 2.3}
        for t in range(START_MS, END_MS, 900_000):
            level = 1.0
            for (at, hours), value in high.items():
                if at.timestamp() * 1000 <= t < at.timestamp() * 1000 + hours * 3_600_000:
                    level = value
            data["rows"].append((sid, t, level))
        for key, asset_id, at in (("ahead", gauge.id, datetime(2026, 3, 10, 8, tzinfo=UTC)),
                                  ("early", gauge.id, datetime(2026, 4, 3, 9, tzinfo=UTC)),
                                  ("other", cab_a.id, datetime(2026, 4, 5, 9, tzinfo=UTC))):
            alerts.raise_alert(db, conn, registry, tid, alerts.Trigger(
                key=alerts.detector_key("test.alert", asset_id, key), severity="warning",
                title=f"Alerte {key}", at=int(at.timestamp() * 1000), asset_id=asset_id))
        store_rows(scope, conn, [(tid, s, t, v, 0) for s, t, v in data["rows"]], PARIS)
        # Devices: a LoRaWAN controller on ARM-B and a LoRaWAN sensor on the gauge (both in
        # service, their assets measured), another device on SEC-A since 1 April, one on
        # ARM-A registered after the period (left out).
        made = {}
        for name, asset_id, eui, gateway, since in (
                ("D1", cab_b.id, "a1b2c3d4e5f60001", "gw-2", None),
                ("D5", gauge.id, "a1b2c3d4e5f60005", "gw-1", None),
                ("D3", sec_a.id, None, None, ms(date(2026, 4, 1))),
                ("D4", cab_a.id, None, None, ms(date(2026, 5, 15)))):
            body = {"name": name, "asset_id": asset_id}
            if eui:
                body["dev_eui"] = eui
            made[name] = devices.create_device(scope, conn, body, registry).id
            values = {"last_gateway": gateway}
            if since is not None:
                values["created_at"] = since
            d = schema.devices
            conn.execute(update(d).where(d.c.tenant_id == tid, d.c.id == made[name])
                         .values(**values))
        # Commands on ARM-B: one acknowledged in the period (counted); one after it, one
        # recurring, one failed (not counted).
        c = schema.commands
        for _name, at, extra in (("ok", datetime(2026, 3, 15, 20, tzinfo=PARIS), {}),
                                ("after", datetime(2026, 5, 2, 20, tzinfo=PARIS), {}),
                                ("recurring", datetime(2026, 3, 20, 20, tzinfo=PARIS),
                                 {"recurrence": "daily 21:30"}),
                                ("failed", datetime(2026, 3, 21, 20, tzinfo=PARIS),
                                 {"status": "failed"})):
            row = commands.create_command(scope, conn, registry, {
                "asset_id": cab_b.id, "action": "lighting.switch", "params": {"state": "on"}})
            stamp = int(at.timestamp() * 1000)
            conn.execute(update(c).where(c.c.tenant_id == tid, c.c.id == row.id).values(
                **{"status": "acknowledged", "acknowledged_at": stamp, "finished_at": stamp,
                   **extra}))
        tenants.update_tenant(scope, conn, {"settings": SETTINGS}, registry)
        for email, role, communes in (("elu@cc.fr", "viewer", None),
                                      ("maire-a@cc.fr", "viewer", [A])):
            users.add_member(scope, conn, {"email": email, "role": role,
                                           "password": "password-123", "communes": communes})
        other = tenants.create_tenant(db, conn, CLI, name="Autre territoire", registry=registry)
        users.add_member(open_scope(db, conn, CLI, other["id"]), conn, {
            "email": "admin@autre.fr", "role": "tenant_admin", "password": "password-123"})
    data.update(tenant=tid, other=other["id"], db=db)
    return data


def report(land, registry, start=START, end=END, communes=None):
    db = land["db"]
    with db.read() as conn:
        scope = open_scope(db, conn, CLI, land["tenant"])
        return impact_report(scope, conn, registry, start, end, communes)


# -- the figures, computed here ----------------------------------------------------------------
def expected_lighting(month: tuple[date, date] | None = None, commune: str | None = None):
    first, last = month or (START, END)
    saved_a = 0.4 * sum(cut_hours(d) for d in days(first, last))
    saved_b = 0.2 * night_hours(*CAB_B, first, last) - 3.0 * len(days(first, last))
    return {None: saved_a + saved_b, A: saved_a, B: saved_b}[commune]


def expected_water_m3() -> float:
    ran_days = (ms(date(2026, 4, 11)) - ms(date(2026, 4, 1))) / 86_400_000
    return LEAK_FLOW * 24 * (USUAL_DAYS - ran_days)


def expected_messages(land) -> int:
    """Measurements of the period: every row written here in [start, end)."""
    return sum(1 for _, t, _ in land["rows"] if START_MS <= t < END_MS)


def expected_footprint(lorawan: int, others_days: float, messages: int, gateways: int,
                       asset_share: float = 1.0) -> dict:
    period_years = (END_MS - START_MS) / YEAR_MS
    devices_kg = lorawan * 5.0 / 8 * period_years + 20.0 / 10 * others_days / 365.25
    gateway_kwh = gateways * 10 / 1000 * PERIOD_H
    connectivity_kg = messages * 5e-8 + gateway_kwh * GRID + gateways * 50.0 / 8 * period_years
    hosting_kwh = 100 / 1000 * PERIOD_H * 1.58 * 1.0 * asset_share
    return {"devices": devices_kg, "connectivity": connectivity_kg,
            "connectivity_kwh": gateway_kwh, "hosting_kwh": hosting_kwh,
            "hosting": hosting_kwh * GRID,
            "kgco2e": devices_kg + connectivity_kg + hosting_kwh * GRID,
            "kwh": gateway_kwh + hosting_kwh, "eur": (gateway_kwh + hosting_kwh) * 0.25}


def expected_trips(with_commands: bool = True) -> dict:
    reading_trips = 2 * 1 * 61 / 365  # two meters read remotely, one manual reading a year
    km = (30.0 if with_commands else 0.0) + reading_trips * 1.0
    hours = (1.0 if with_commands else 0.0) + reading_trips * 0.1
    return {"trips": (1 if with_commands else 0) + reading_trips, "km": km, "hours": hours,
            "eur": km * TRIP_EUR_KM + hours * TRIP_EUR_H, "kgco2e": km * TRIP_KG_KM,
            "readings": reading_trips}


def _domain(r, key):
    return next(d for d in r["domains"] if d["domain"] == key)


def test_every_figure_matches_a_computation_made_from_the_data(land, registry):
    r = report(land, registry)
    assert r["tenant"] == {"id": land["tenant"], "name": "Communauté test", "siren": None}
    assert r["period"] == {"from": "2026-03-01", "to": "2026-04-30", "days": 61}
    assert r["communes"] is None
    assert [d["domain"] for d in r["domains"]] == ["buildings", "lighting", "risks", "water"]

    # Lighting: A saves its 23:00–05:00 cut, B the night minus its meter's 3 kWh a day.
    lighting = _domain(r, "lighting")
    kwh = expected_lighting()
    assert lighting["kwh"] == pytest.approx(kwh, abs=0.5)
    assert lighting["eur"] == pytest.approx(kwh * 0.2, abs=0.1)
    assert lighting["kgco2e"] == pytest.approx(kwh * GRID, abs=0.03)
    assert lighting["m3"] is None and lighting["quality"] == "estimated"
    assert lighting["coverage"]["share"] == 0.5  # B measured every day, A never
    assert "2 armoire(s), dont 1 avec compteur" in lighting["coverage"]["text"]
    assert lighting["baseline"].startswith("Allumage du coucher au lever")
    march, april = lighting["monthly"]
    assert (march["month"], april["month"]) == ("2026-03", "2026-04")
    assert march["kwh"] == pytest.approx(expected_lighting((START, date(2026, 3, 31))),
                                         abs=0.3)
    assert april["kwh"] == pytest.approx(expected_lighting((date(2026, 4, 1), END)), abs=0.3)
    by_commune = {c["insee"]: c for c in lighting["by_commune"]}
    assert by_commune[A]["name"] == "Remiremont"
    assert by_commune[A]["kwh"] == pytest.approx(expected_lighting(commune=A), abs=0.1)
    assert by_commune[B]["kwh"] == pytest.approx(expected_lighting(commune=B), abs=0.5)
    [darkness] = lighting["counts"]
    assert darkness["key"] == "lighting.darkness_hours" and darkness["unit"] == "h"
    assert darkness["value"] == pytest.approx(sum(cut_hours(d) for d in days(START, END)),
                                              abs=0.1)  # 61 × 6 h − the DST hour

    # Water: the leak ran 10 of the usual 90 days; 2 meters read remotely; no whole year.
    water = _domain(r, "water")
    m3 = expected_water_m3()
    early, losses = water["items"]
    assert early["key"] == "water.early_repairs"
    assert early["m3"] == pytest.approx(m3, abs=0.05)
    assert early["eur"] == pytest.approx(m3 * WATER_PRICE, abs=0.2)
    assert early["kwh"] == pytest.approx(m3 * 0.4, abs=0.05)
    assert early["kgco2e"] == pytest.approx(m3 * 0.4 * GRID, abs=0.01)
    assert losses["key"] == "water.losses_avoided" and losses["m3"] is None
    assert "aucune année civile entière" in losses["note"]
    assert (water["m3"], water["eur"], water["kwh"]) == (early["m3"], early["eur"],
                                                         early["kwh"])
    assert water["coverage"]["share"] == 1.0
    assert "2 compteur(s) d'abonné télérelevé(s)" in water["coverage"]["text"]
    assert [m["m3"] for m in water["monthly"]] == [None, early["m3"]]  # repaired in April
    assert [(c["insee"], c["m3"]) for c in water["by_commune"]] == [(A, early["m3"])]

    # Buildings: 59 days measured both years (15 and 16 April lack a reading), 10 kWh each.
    buildings = _domain(r, "buildings")
    assert buildings["kwh"] == pytest.approx(590.0)
    assert buildings["eur"] == pytest.approx(118.0)
    assert buildings["kgco2e"] == pytest.approx(590 * GRID)
    assert buildings["coverage"]["share"] == pytest.approx(59 / 61, abs=1e-3)
    assert [m["kwh"] for m in buildings["monthly"]] == [pytest.approx(310.0),
                                                        pytest.approx(280.0)]
    assert [(c["insee"], c["kwh"]) for c in buildings["by_commune"]] == [(B, 590.0)]
    assert "degrés-jours" in buildings["method"]

    # Risks: two crossings of the yellow height, the first warned 6 hours ahead.
    risks = _domain(r, "risks")
    assert {c["key"]: c["value"] for c in risks["counts"]} == {
        "risks.threshold_crossings": 2, "risks.alerts_ahead": 1, "risks.mean_lead_hours": 6.0}
    assert risks["kwh"] is None and risks["items"] == []

    # Site visits: one remote command (30 km by the territory's setting, 1 h), the manual
    # readings of the two meters read remotely.
    trips = expected_trips()
    visits = r["field_trips"]
    for name in ("trips", "km", "hours", "eur", "kgco2e"):
        assert visits[name] == pytest.approx(trips[name], abs=2e-3), name
    command, reading = visits["items"]
    assert (command["action"], command["trips"], command["km_per_trip"],
            command["hours_per_trip"]) == ("lighting.switch", 1, 30.0, 1.0)
    assert (reading["action"], reading["km_per_trip"], reading["hours_per_trip"]) == (
        "water.meter_reading", 1.0, 0.1)
    assert reading["trips"] == pytest.approx(trips["readings"], abs=1e-3)

    # Footprint: 2 LoRaWAN devices all along, the other one 30 days, 2 gateways heard.
    messages = expected_messages(land)
    want = expected_footprint(lorawan=2, others_days=30, messages=messages, gateways=2)
    parts = {p["key"]: p for p in r["footprint"]["parts"]}
    assert parts["devices"]["kgco2e"] == pytest.approx(want["devices"], abs=2e-3)
    assert [(x["label"][:9], x["count"]) for x in parts["devices"]["detail"]] == [
        ("Capteurs ", 2), ("Autres éq", 1), ("Équipemen", 3)]  # BAT-B, MET-A1, MET-A2
    assert parts["connectivity"]["detail"][0]["count"] == messages
    assert parts["connectivity"]["detail"][1]["count"] == 2
    assert parts["connectivity"]["kgco2e"] == pytest.approx(want["connectivity"], abs=2e-3)
    assert parts["connectivity"]["kwh"] == pytest.approx(want["connectivity_kwh"], abs=2e-3)
    assert parts["hosting"]["kwh"] == pytest.approx(want["hosting_kwh"], abs=2e-3)
    assert parts["hosting"]["kgco2e"] == pytest.approx(want["hosting"], abs=2e-3)
    for name in ("kgco2e", "kwh", "eur"):
        assert r["footprint"][name] == pytest.approx(want[name], abs=5e-3), name

    # Gross = domains + site visits; net = gross − footprint.
    gross = {"kwh": kwh + m3 * 0.4 + 590.0,
             "eur": kwh * 0.2 + m3 * WATER_PRICE + 118.0 + trips["eur"],
             "kgco2e": (kwh + m3 * 0.4 + 590.0) * GRID + trips["kgco2e"], "m3": m3}
    tolerance = {"kwh": 0.6, "eur": 0.4, "kgco2e": 0.05, "m3": 0.05}
    for name, value in gross.items():
        assert r["gross"][name] == pytest.approx(value, abs=tolerance[name]), name
        assert r["net"][name] == pytest.approx(value - want.get(name, 0.0) if name != "m3"
                                               else value, abs=tolerance[name]), name
    # Every gross figure is the sum of the report's own parts, to the rounding.
    assert r["gross"]["eur"] == pytest.approx(sum(d["eur"] or 0 for d in r["domains"])
                                              + visits["eur"], abs=2e-3)
    assert r["net"]["kgco2e"] == pytest.approx(r["gross"]["kgco2e"]
                                               - r["footprint"]["kgco2e"], abs=2e-3)

    # The annex lists every setting used, the territory's own values as such.
    used = {s["key"]: s for s in r["settings"]}
    assert used["lighting.tariff_eur_kwh"] | {"source": ""} == {
        "key": "lighting.tariff_eur_kwh", "label": "Prix de l'électricité", "value": 0.2,
        "unit": "€/kWh", "source": "", "verified": True, "default": False}
    assert used["impact.pue"]["value"] == 1.58 and used["impact.pue"]["default"] is True
    assert used["impact.pue"]["verified"] is False and "Uptime" in used["impact.pue"]["source"]
    assert used["impact.message_kgco2e"]["value"] == 5e-08  # never rounded away
    baseline = used["lighting.savings_baseline"]  # an enumeration: its code, and its label
    assert (baseline["value"], baseline["value_label"]) == (
        "dusk_to_dawn", "Allumage du coucher au lever à pleine puissance")
    assert {"water.usual_leak_duration_days", "buildings.reference_year",
            "impact.grid_kgco2e_per_kwh", "impact.trips_by_action"} <= set(used)
    assert r["data"]["from"] == "2026-03-01" and r["data"]["to"] == "2026-04-30"
    assert r["data"]["measurements"] == messages


def test_losses_avoided_against_the_reference_year_ilp(land, registry):
    """2025 against 2024 in A: (ILP 2024 − ILP 2025) × 365 × 21 km; B has no 2024 volumes."""
    r = report(land, registry, date(2025, 1, 1), date(2025, 12, 31))
    water = _domain(r, "water")
    ilp_2024 = (100000 - 72000) / (365 * 20)
    ilp_2025 = (95000 - 73000) / (365 * 21)
    avoided = (ilp_2024 - ilp_2025) * 365 * 21
    early, losses = water["items"]
    assert early["m3"] is None and "Aucune fuite réparée" in early["note"]
    assert losses["m3"] == pytest.approx(avoided, abs=1e-3)  # 29,400 − 22,000 = 7,400 m³
    assert losses["eur"] == pytest.approx(avoided * WATER_PRICE, abs=1e-3)
    assert losses["kwh"] == pytest.approx(avoided * 0.4, abs=1e-3)
    assert "SRV-B (2025)" in losses["note"]
    assert [(c["insee"], c["m3"]) for c in water["by_commune"]] == [(A, pytest.approx(avoided))]
    monthly = water["monthly"]
    assert [m["month"] for m in monthly] == [f"2025-{i:02d}" for i in range(1, 13)]
    assert monthly[1]["m3"] == pytest.approx(avoided * 28 / 365, abs=1e-3)
    assert sum(m["m3"] for m in monthly) == pytest.approx(avoided, abs=0.01)
    used = {s["key"]: s for s in r["settings"]}
    assert used["water.reference_year"]["value"] == 2024
    # The reference year itself is never compared with itself.
    again = report(land, registry, date(2024, 1, 1), date(2024, 12, 31))
    assert _domain(again, "water")["items"][1]["m3"] is None


def test_lighting_against_a_measured_reference_year(land, registry):
    """ARM-B used 4 kWh a day in March–April 2025 and 3 in 2026: 61 kWh saved, measured;
    ARM-A has no meter, so nothing to compare in A."""
    with land["db"].write() as conn:
        scope = open_scope(land["db"], conn, CLI, land["tenant"])
        tenants.update_tenant(scope, conn, {"settings": {
            "lighting.savings_baseline": "reference_year", "lighting.reference_year": 2025}},
            registry)
    lighting = _domain(report(land, registry), "lighting")
    assert lighting["kwh"] == pytest.approx(61.0)
    assert lighting["eur"] == pytest.approx(61 * 0.2) and lighting["quality"] == "measured"
    assert lighting["baseline"] == "Consommation mesurée de l'année de référence (2025)."
    assert [m["kwh"] for m in lighting["monthly"]] == [pytest.approx(31.0),
                                                       pytest.approx(30.0)]
    assert [(c["insee"], c["kwh"]) for c in lighting["by_commune"]] == [(B, 61.0), (A, None)]
    alone = _domain(report(land, registry, communes=[A]), "lighting")
    assert alone["kwh"] is None and "Comparaison impossible" in alone["coverage"]["text"]


def test_a_commune_filter_keeps_its_assets_only(land, registry):
    r = report(land, registry, communes=[A])
    assert r["communes"] == [{"insee": A, "name": "Remiremont"}]
    lighting = _domain(r, "lighting")
    assert lighting["kwh"] == pytest.approx(expected_lighting(commune=A), abs=0.1)
    assert [c["insee"] for c in lighting["by_commune"]] == [A]
    assert _domain(r, "water")["m3"] == pytest.approx(expected_water_m3(), abs=0.05)
    assert _domain(r, "buildings")["kwh"] is None  # its building is in B
    assert "0 bâtiment(s)" in _domain(r, "buildings")["coverage"]["text"]
    assert {c["key"]: c["value"] for c in _domain(r, "risks")["counts"]}[
        "risks.alerts_ahead"] == 1
    visits = r["field_trips"]  # the command was on ARM-B, in B
    assert [i["action"] for i in visits["items"]] == ["water.meter_reading"]
    assert visits["km"] == pytest.approx(expected_trips(with_commands=False)["km"], abs=1e-3)
    in_a = {ref for ref, commune in land["assets"] if commune == A}
    stream_assets = {"MET-A1", "MET-A2", "HYD-A"}  # A's assets that received data
    assert stream_assets <= in_a
    messages = expected_messages(land) - 61 - 60  # less ARM-B's meter and BAT-B's, in B
    want = expected_footprint(lorawan=1, others_days=30, messages=messages, gateways=1,
                              asset_share=len(in_a) / len(land["assets"]))
    parts = {p["key"]: p for p in r["footprint"]["parts"]}
    assert parts["connectivity"]["detail"][0]["count"] == messages  # not ARM-B's, BAT-B's
    assert [x["count"] for x in parts["devices"]["detail"]] == [1, 1, 2]
    for name in ("kgco2e", "kwh", "eur"):
        assert r["footprint"][name] == pytest.approx(want[name], abs=5e-3), name


def test_the_report_is_reproducible(land, registry):
    first, second = report(land, registry), report(land, registry)
    assert first.pop("generated_at") and second.pop("generated_at")
    assert first == second
    assert json.dumps(first, sort_keys=False) == json.dumps(second, sort_keys=False)


def test_a_failing_domain_is_reported_without_hiding_the_others(land, registry, monkeypatch):
    import beffroi.domains.risks.impact as risks_impact

    def broken(ctx, stream_id, threshold):
        raise RuntimeError("boom")

    monkeypatch.setattr(risks_impact, "crossings", broken)
    r = report(land, registry)
    risks = _domain(r, "risks")
    assert risks["counts"] == [] and "Calcul impossible" in risks["coverage"]["text"]
    assert _domain(r, "lighting")["kwh"] == pytest.approx(expected_lighting(), abs=0.5)


# -- the route, the command line and the CSV ----------------------------------------------------
@pytest.fixture
def client(land, registry):
    with TestClient(fresh_app(land["db"], registry)) as c:
        yield c


def _login(client, email):
    return bearer(client, email, "password-123")


def test_route_command_line_and_csv_give_the_same_figures(land, registry, client, tmp_path):
    viewer = _login(client, "elu@cc.fr")
    base = f"/api/v1/tenants/{land['tenant']}"
    params = {"from": "2026-03-01", "to": "2026-04-30"}
    answer = client.get(f"{base}/impact", headers=viewer, params=params)
    assert answer.status_code == 200, answer.text
    routed = answer.json()
    out = tmp_path / "rapport.json"
    run = CliRunner().invoke(cli, ["report", "impact", "--tenant", str(land["tenant"]),
                                   "--from", "2026-03-01", "--to", "2026-04-30", "--out",
                                   str(out), "--db", land["db"].url], prog_name="beffroi")
    assert run.exit_code == 0, run.output
    assert "écrit dans" in run.output
    written = json.loads(out.read_text(encoding="utf-8"))
    assert routed.pop("generated_at") and written.pop("generated_at")
    assert routed == written

    csv_answer = client.get(f"{base}/impact.csv", headers=viewer, params=params)
    assert csv_answer.status_code == 200
    assert csv_answer.headers["content-type"] == "text/csv; charset=utf-8"
    assert "attachment" in csv_answer.headers["content-disposition"]
    text = csv_answer.content.decode("utf-8")
    assert not text.startswith("\ufeff") and text.splitlines()[0] == ",".join(COLUMNS)
    rows = list(csv.DictReader(io.StringIO(text)))

    def number(cell):
        return None if cell == "" else float(cell)

    def figures(row):
        return {k: number(row[k]) for k in ("kwh", "eur", "kgco2e", "m3")}

    expected_rows = ([("gain", d["domain"], i["key"]) for d in routed["domains"]
                      for i in d["items"]]
                     + [("indicateur", d["domain"], c["key"]) for d in routed["domains"]
                        for c in d["counts"]]
                     + [("deplacement_evite", "", i["action"])
                        for i in routed["field_trips"]["items"]]
                     + [("empreinte", "", p["key"]) for p in routed["footprint"]["parts"]]
                     + [("total", "", k) for k in ("brut", "empreinte", "net")])
    assert sorted((r["rubrique"], r["domaine"], r["cle"]) for r in rows) == sorted(
        expected_rows)
    by_key = {(r["rubrique"], r["cle"]): r for r in rows}
    for d in routed["domains"]:
        for item in d["items"]:
            assert figures(by_key[("gain", item["key"])]) == {
                k: item[k] for k in ("kwh", "eur", "kgco2e", "m3")}
        for count in d["counts"]:
            assert number(by_key[("indicateur", count["key"])]["valeur"]) == count["value"]
    for part in routed["footprint"]["parts"]:
        assert figures(by_key[("empreinte", part["key"])]) == {
            "kwh": part["kwh"], "eur": part["eur"], "kgco2e": part["kgco2e"], "m3": None}
    assert figures(by_key[("total", "net")]) == routed["net"]
    assert figures(by_key[("total", "brut")]) == routed["gross"]
    assert all(r["siren"] == "" and r["periode_debut"] == "2026-03-01" and r["communes"] == ""
               for r in rows)
    # The command line writes the same CSV, byte for byte.
    out_csv = tmp_path / "rapport.csv"
    run = CliRunner().invoke(cli, ["report", "impact", "--tenant", str(land["tenant"]),
                                   "--from", "2026-03-01", "--to", "2026-04-30", "--out",
                                   str(out_csv), "--db", land["db"].url])
    assert run.exit_code == 0, run.output
    assert out_csv.read_bytes() == csv_answer.content
    assert report_csv(written | {"generated_at": "x"}) == text


def test_the_command_line_refuses_what_it_cannot_write(land, tmp_path):
    args = ["report", "impact", "--tenant", str(land["tenant"]), "--from", "2026-03-01",
            "--to", "2026-04-30", "--db", land["db"].url]
    run = CliRunner().invoke(cli, [*args, "--out", str(tmp_path / "rapport.txt")])
    assert run.exit_code == 2 and "« .txt »" in run.output and ".json, .csv ou .pdf" in run.output
    assert not (tmp_path / "rapport.txt").exists()
    run = CliRunner().invoke(cli, [*args[:5], "2026-02-30", *args[6:], "--out",
                                   str(tmp_path / "r.json")])
    assert run.exit_code == 1 and "illisible" in run.output
    run = CliRunner().invoke(cli, [*args, "--commune", "99999", "--out",
                                   str(tmp_path / "r.json")])
    assert run.exit_code == 1 and "99999" in run.output
    run = CliRunner().invoke(cli, ["report", "impact", "--tenant", "123456789", "--from",
                                   "2026-03-01", "--to", "2026-04-30", "--db",
                                   land["db"].url, "--out", str(tmp_path / "r.json")])
    assert run.exit_code == 1 and "introuvable" in run.output


def test_bad_requests_are_refused_with_french_field_errors(land, client, op_headers):
    base = f"/api/v1/tenants/{land['tenant']}"
    cases = [
        ({}, {"from", "to"}, "obligatoire"),
        ({"from": "2026-02-30", "to": "2026-03-31"}, {"from"}, "illisible"),
        ({"from": "01/03/2026", "to": "2026-03-31"}, {"from"}, "AAAA-MM-JJ"),
        ({"from": "2026-04-01", "to": "2026-03-01"}, {"to"}, "la fin doit"),
        ({"from": "2020-01-01", "to": "2025-12-31"}, {"to"}, "5 ans au plus"),
        # A year mistyped (« 20260 » typed in a date picker gives 0260): said on its field,
        # not as a period of 645 324 days on the end's.
        ({"from": "0260-03-01", "to": "2026-03-31"}, {"from"},
         "date de début du 01/03/0260 impossible : le 01/01/2000 au plus tôt"),
        ({"from": "0260-03-01", "to": "0260-03-31"}, {"from", "to"}, "date de fin du 31/03/0260"),
        ({"from": "2026-11-01", "to": "2026-12-01"}, {"to"}, "au plus tard le 30/11/2026"),
        ({"from": "2026-03-01", "to": "2026-03-31", "commune": "99999"}, {"commune"},
         "inconnu"),
    ]
    for params, fields, fragment in cases:
        answer = client.get(f"{base}/impact", headers=op_headers, params=params)
        assert answer.status_code == 422, (params, answer.text)
        assert answer.headers["content-type"] == "application/problem+json"
        errors = answer.json()["errors"]
        assert {e["field"] for e in errors} == fields, params
        assert any(fragment in e["message"] for e in errors), (params, errors)
        assert client.get(f"{base}/impact.csv", headers=op_headers,
                          params=params).status_code == 422
    # Exactly five years is allowed.
    assert client.get(f"{base}/impact", headers=op_headers,
                      params={"from": "2021-01-01", "to": "2025-12-31"}).status_code == 200
    with pytest.raises(Invalid):
        parse_period("2026-03-01", "2026-03-01", date(2026, 3, 1))  # today is not over


def test_scope_other_tenants_restricted_members_and_the_public(land, client, db):
    base = f"/api/v1/tenants/{land['tenant']}"
    params = {"from": "2026-03-01", "to": "2026-04-30"}
    stranger = _login(client, "admin@autre.fr")
    assert client.get(f"{base}/impact", headers=stranger, params=params).status_code == 404
    assert client.get(f"{base}/impact.csv", headers=stranger,
                      params=params).status_code == 404
    assert client.get(f"{base}/impact", params=params).status_code == 401
    # A commune-restricted member sees their commune only, and may not ask for another.
    mayor = _login(client, "maire-a@cc.fr")
    mine = client.get(f"{base}/impact", headers=mayor, params=params).json()
    assert mine["communes"] == [{"insee": A, "name": "Remiremont"}]
    assert [c["insee"] for c in _domain(mine, "lighting")["by_commune"]] == [A]
    assert _domain(mine, "buildings")["kwh"] is None
    refused = client.get(f"{base}/impact", headers=mayor, params={**params, "commune": B})
    assert refused.status_code == 422
    assert refused.json()["errors"] == [{"field": "commune", "message":
                                         f"code INSEE « {B} » inconnu dans votre périmètre"}]
    # A territory that publishes some equipment: the public reads it, not the report.
    with db.write() as conn:
        scope = open_scope(db, conn, CLI, land["tenant"])
        tenants.update_tenant(scope, conn, {"settings": {
            "published_kinds": ["lighting.cabinet"]}}, load_registry())
    assert client.get(f"{base}/impact", params=params).status_code == 401
    forbidden = client.get(f"{base}/impact", headers=stranger, params=params)
    assert forbidden.status_code == 403
    assert "membres du territoire" in forbidden.json()["detail"]


def test_impact_settings_are_validated_in_french(land, client, op_headers):
    base = f"/api/v1/tenants/{land['tenant']}"
    bad = client.patch(base, headers=op_headers, json={"settings": {
        "impact.pue": 0.5, "impact.trip_km": -1, "impact.server_share": 2,
        "impact.trips_by_action": {"lighting.switch": {"km": -3, "speed": 1},
                                   "nope.action": {"km": 1}}}})
    assert bad.status_code == 422
    errors = {e["field"]: e["message"] for e in bad.json()["errors"]}
    assert "minimum 1" in errors["impact.pue"]
    assert "minimum 0" in errors["impact.trip_km"]
    assert "maximum 1" in errors["impact.server_share"]
    assert errors["impact.trips_by_action.lighting.switch.km"] == "nombre de 0 à 10000 attendu"
    assert "champ inconnu" in errors["impact.trips_by_action.lighting.switch.speed"]
    unknown = client.patch(base, headers=op_headers, json={"settings": {
        "impact.trips_by_action": {"nope.action": {"km": 1}}}})
    assert unknown.json()["errors"] == [{"field": "impact.trips_by_action.nope.action",
                                         "message": "action inconnue (une commande ou un "
                                                    "déplacement déclaré par un domaine)"}]
    good = client.patch(base, headers=op_headers, json={"settings": {
        "impact.pue": 1.2, "impact.trips_by_action": {"water.meter_reading": {"km": 0.5}}}})
    assert good.status_code == 200
    shown = good.json()["settings"]
    assert shown["impact.pue"] == 1.2 and shown["impact.server_power_w"] == 100.0


def test_the_pdf_goes_through_the_report_module(land, tmp_path, monkeypatch):
    """``.pdf`` calls ``write_pdf(report, path)`` of ``beffroi.reports.impact_pdf``; without
    that module the command says so in French."""
    import sys
    import types

    import beffroi.cli.reports as reports_cli

    args = ["report", "impact", "--tenant", str(land["tenant"]), "--from", "2026-03-01",
            "--to", "2026-04-30", "--db", land["db"].url, "--out", str(tmp_path / "r.pdf")]
    monkeypatch.setattr(reports_cli, "PDF_MODULE", "beffroi_test_no_such_pdf_module")
    run = CliRunner().invoke(cli, args)
    assert run.exit_code == 1 and "rapport PDF n'est pas disponible" in run.output
    calls = []
    fake = types.ModuleType("beffroi_test_pdf")
    fake.write_pdf = lambda report, path: calls.append((report, path))
    monkeypatch.setitem(sys.modules, "beffroi_test_pdf", fake)
    monkeypatch.setattr(reports_cli, "PDF_MODULE", "beffroi_test_pdf")
    run = CliRunner().invoke(cli, args)
    assert run.exit_code == 0, run.output
    [(written, path)] = calls
    assert str(path) == str(tmp_path / "r.pdf")
    assert written["period"] == {"from": "2026-03-01", "to": "2026-04-30", "days": 61}
    assert written["net"]["kgco2e"] is not None


def test_impact_sources_are_checked_at_registration():
    from beffroi.core.impact.sources import DomainImpact, FieldTrip, ImpactSource
    from beffroi.core.registry import Domain, RegistryError, build_registry

    def compute(ctx):
        return DomainImpact("", "", None, "measured")  # never called

    good = ImpactSource("demo.savings", "Économies", compute,
                        trips=(FieldTrip("demo.visit", "Visite", km=2.0, hours=0.5),))
    registry = build_registry([Domain(key="demo", label="Démo", impacts=(good,))])
    assert registry.domains["demo"].impacts == (good,)
    bad = (ImpactSource("other.savings", "Économies", compute),
           ImpactSource("demo.visits", "Visites", compute, trips=(
               FieldTrip("demo.visit", "Visite", km=-1.0, hours=0.5),
               FieldTrip("demo.visit", "Visite", km=1.0, hours=0.5),
               FieldTrip("visit", "Visite", km=1.0, hours=0.5))),
           ImpactSource("demo.wrong", "Faux", "not a function"))
    with pytest.raises(RegistryError) as refused:
        build_registry([Domain(key="demo", label="Démo", impacts=bad)])
    text = str(refused.value)
    assert "(impacts[0].key) : clé « other.savings » hors de l'espace du domaine" in text
    assert "(impacts[1].trips[2].key) : clé « visit » hors de l'espace du domaine" in text
    assert "(impacts[1].trips[0].km) : nombre positif ou nul attendu" in text
    assert "(impacts[1].trips[1].key) : « demo.visit » déjà déclaré par ce domaine" in text
    assert "(impacts[2].compute) : fonction attendue" in text


def test_lighting_savings_start_with_the_platform_data(land, registry):
    """Before the territory's first lighting measurement (ARM-B's meter, from
    START − 1 year), the platform saved nothing: a period before it gives no figure, and a
    period straddling it counts only the days from it."""
    o, st, a = schema.observations, schema.streams, schema.assets
    with land["db"].read() as conn:  # the only lighting data: ARM-B's meter
        first_ms = conn.execute(
            select(func.min(o.c.t)).select_from(o.join(st, st.c.id == o.c.stream_id)
                                                .join(a, a.c.id == st.c.asset_id))
            .where(a.c.ref == "ARM-B", o.c.tenant_id == land["tenant"])).scalar()
    first_day = datetime.fromtimestamp(first_ms / 1000, PARIS).date()
    before = report(land, registry, first_day - timedelta(days=40),
                       first_day - timedelta(days=1))
    lighting = _domain(before, "lighting")
    assert lighting["kwh"] is None and lighting["eur"] is None
    assert "aucune économie n'est comptée" in lighting["coverage"]["text"]
    straddling = _domain(report(land, registry, first_day - timedelta(days=10),
                                   first_day + timedelta(days=9)), "lighting")
    counted = _domain(report(land, registry, first_day, first_day + timedelta(days=9)),
                      "lighting")
    assert straddling["kwh"] == pytest.approx(counted["kwh"]) and counted["kwh"] > 0
    assert "premier jour de données" in straddling["coverage"]["text"]
