"""Lighting energy: expected consumption (inventory × programme) against independent
references, measured consumption from a cabinet's meter, and the gap over time."""

from __future__ import annotations

from datetime import date, time, timedelta

import pytest
from fastapi.testclient import TestClient
from suite_apps import fresh_app

from beffroi.core.access import CLI, open_scope
from beffroi.core.registry import load_registry
from beffroi.domains.lighting.consumption import (
    CabinetLoad,
    cabinet_load,
    daily_hours,
    power_share,
)
from beffroi.domains.lighting.energy import cabinet_energy, load_cabinets
from beffroi.domains.lighting.meters import daily_consumption
from beffroi.domains.lighting.programmes import PRESETS, burn_hours
from suite_accounts import bearer

from .lighting_fixtures import (
    LED_40,
    REMIREMONT,
    SODIUM_100,
    add_cabinet,
    ephem_night_hours,
    local_ms,
    make_territory,
    store,
    year_bounds,
)


@pytest.fixture(scope="module")
def registry():
    return load_registry(["generic", "lighting"])


def test_dusk_to_dawn_led_year_matches_pyephem_night_length(db, registry):
    """10 LED luminaires of 40 W burning from sunset to sunrise at Remiremont over 2027:
    0.4 kW × the hours of night that fall in 2027 (local time), from PyEphem."""
    tenant = make_territory(db, registry)
    cab = add_cabinet(db, registry, tenant, "ARM-1", "dusk_to_dawn", [LED_40] * 10)
    night = ephem_night_hours(*REMIREMONT, *year_bounds(2027))
    assert 4_250 < night < 4_330  # ~4,290 h of night a year at 48° N
    with TestClient(fresh_app(db, registry)) as client:
        h = bearer(client, "elu@cc.fr", "password-123")
        url = f"/api/v1/tenants/{tenant}/lighting/cabinets/{cab['id']}/energy"
        answer = client.get(url, headers=h, params={"from": "2027-01-01", "to": "2027-12-31",
                                                     "step": "month"})
        assert answer.status_code == 200, answer.text
        body = answer.json()
    assert [p["period"] for p in body["points"]] == [f"2027-{m:02d}" for m in range(1, 13)]
    assert body["totals"]["expected_kwh"] == pytest.approx(0.4 * night, rel=0.002)
    assert body["model"] == {"luminaires": 10, "full_power_kw": 0.4,
                             "source": "inventaire des points lumineux"}
    assert body["metered"] is False
    assert body["points"][0]["measured_kwh"] is None and body["points"][0]["gap_kwh"] is None
    # December nights are the longest: January and December dwarf June.
    by = {p["period"]: p["expected_kwh"] for p in body["points"]}
    assert by["2027-12"] > 2 * by["2027-06"]


def test_ballast_and_dimming_model():
    """Sodium 100 W + LED 40 W under "50 % from 22:00 to 06:00": a sodium lamp draws
    1.15 × 100 W at full output and 1.15 × 100 × 0.6 W at 50 %; the LED 40 W and 20 W."""
    load = cabinet_load({}, [SODIUM_100, LED_40])
    assert load.full_kw == pytest.approx(0.155)
    assert load.kw(50) == pytest.approx(0.115 * 0.6 + 0.020)
    assert power_share("led", 0) == power_share("sodium_hp", 0) == 0
    # No luminaire listed: the cabinet's connected power, in proportion to the level.
    bare = cabinet_load({"connected_power_kw": 3.0}, [])
    assert (bare.full_kw, bare.kw(50), bare.luminaires_listed) == (3.0, 1.5, False)
    # Hours split at local midnight: the days of January hold the mornings of the nights
    # of 31 December..30 January and the evenings of 1..31 January, 22:00-06:00 at 50 %:
    # as many dimmed hours as burn_hours counts over the nights of 31 December..30 January.
    lat, lon = REMIREMONT
    days = daily_hours(PRESETS["dim_50_22_6"], lat, lon, date(2027, 1, 1), date(2027, 1, 31))
    dimmed = sum(hours.get(50, 0.0) for hours in days.values())
    reference = burn_hours(PRESETS["dim_50_22_6"], date(2026, 12, 31), date(2027, 1, 30),
                           round(lat, 1), round(lon, 1))
    assert dimmed == pytest.approx(reference[50], abs=0.05)
    assert dimmed == pytest.approx(8 * 31, abs=0.05)
    assert set(days) == {date(2027, 1, d) for d in range(1, 32)}


def test_measured_from_counter_days_gaps_and_resets(db, registry):
    """Daily readings at 23:30 local: 10 kWh a day, a 3-day gap spread over its days, a
    meter reset that is no consumption, the gap against expected per day and per month."""
    tenant = make_territory(db, registry)
    cab = add_cabinet(db, registry, tenant, "ARM-1", "dusk_to_dawn", [LED_40] * 10, meter=True)
    readings, value = [], 1000.0
    day = date(2026, 12, 31)
    while day <= date(2027, 2, 10):
        if day in (date(2027, 1, 10), date(2027, 1, 11), date(2027, 1, 12)):
            value += 10  # consumed, but no reading on those days
        elif day == date(2027, 1, 20):
            value = 5.0  # meter replaced: the index starts again
            readings.append((local_ms(day, time(23, 30)), value))
        else:
            value += 10
            readings.append((local_ms(day, time(23, 30)), value))
        day += timedelta(days=1)
    store(db, tenant, cab["meter"], readings)
    with db.read() as conn:
        scope = open_scope(db, conn, CLI, tenant)
        days = cabinet_energy(scope, conn, cab["id"], date(2027, 1, 1), date(2027, 1, 31), "day")
        months = cabinet_energy(scope, conn, cab["id"], date(2027, 1, 1), date(2027, 2, 10),
                                "month")
    points = {p["period"]: p for p in days["points"]}
    assert points["2027-01-01"]["measured_kwh"] == 10.0
    # The reading of the 13th covers the 10th to the 13th: 40 kWh spread in proportion to
    # the expected consumption of each day (nights barely change in 4 days).
    gap_days = [points[f"2027-01-{d}"]["measured_kwh"] for d in (10, 11, 12, 13)]
    assert sum(gap_days) == pytest.approx(40.0, abs=0.05)
    assert all(9.9 <= v <= 10.1 for v in gap_days)
    assert points["2027-01-20"]["measured_kwh"] is None  # reset: not consumption
    assert points["2027-01-20"]["gap_kwh"] is None
    assert points["2027-01-21"]["measured_kwh"] == 10.0
    # Gap of a day = measured − expected, in kWh and % of expected.
    p = points["2027-01-05"]
    assert p["gap_kwh"] == pytest.approx(p["measured_kwh"] - p["expected_kwh"], abs=0.11)
    assert p["gap_percent"] == pytest.approx(100 * p["gap_kwh"] / p["expected_kwh"], abs=0.6)
    jan, feb = months["points"]
    assert (jan["days"], jan["measured_days"], jan["measured_kwh"]) == (31, 30, 300.0)
    # February 1-10 only (the range ends on the 10th).
    assert (feb["period"], feb["days"], feb["measured_days"]) == ("2027-02", 10, 10)
    assert feb["measured_kwh"] == 100.0
    assert months["totals"]["measured_kwh"] == 400.0
    # The gap compares with the expected consumption of the measured days only.
    jan_expected_measured = jan["measured_kwh"] - jan["gap_kwh"]
    assert jan_expected_measured < jan["expected_kwh"]


def test_daily_consumption_plain_function():
    d = date(2027, 3, 1)
    readings = [(d, 100.0), (d + timedelta(days=1), 104.0), (d + timedelta(days=3), 112.0)]
    weights = {d + timedelta(days=2): 1.0, d + timedelta(days=3): 3.0}
    out = daily_consumption(readings, d, d + timedelta(days=3), weights)
    assert out == {d + timedelta(days=1): 4.0, d + timedelta(days=2): 2.0,
                   d + timedelta(days=3): 6.0}


def test_cabinet_without_luminaire_falls_back_on_connected_power(db, registry):
    tenant = make_territory(db, registry)
    cab = add_cabinet(db, registry, tenant, "ARM-1", "cut_23_5", [],
                      extra={"connected_power_kw": 2.0})
    with db.read() as conn:
        scope = open_scope(db, conn, CLI, tenant)
        [cabinet] = load_cabinets(scope, conn, ids=[cab["id"]])
        body = cabinet_energy(scope, conn, cab["id"], date(2027, 1, 1), date(2027, 12, 31),
                              "month")
    assert cabinet.load == CabinetLoad((), 2.0)
    night = ephem_night_hours(*REMIREMONT, *year_bounds(2027))
    # cut_23_5: 6 h less each of the 365 nights of 2027, all inside the night at 48° N.
    assert body["totals"]["expected_kwh"] == pytest.approx(2.0 * (night - 6 * 365), rel=0.003)
    assert body["model"]["source"] == "puissance raccordée de l'armoire"


def test_bad_requests_are_refused_field_by_field(db, registry):
    tenant = make_territory(db, registry)
    cab = add_cabinet(db, registry, tenant, "ARM-1", None, [LED_40])
    luminaire = cab["luminaires"][0]
    with TestClient(fresh_app(db, registry)) as client:
        h = bearer(client, "elu@cc.fr", "password-123")
        url = f"/api/v1/tenants/{tenant}/lighting/cabinets/{cab['id']}/energy"
        bad = client.get(url, headers=h, params={"from": "2027-13-01", "to": "hier",
                                                 "step": "week"})
        assert bad.status_code == 422
        assert bad.headers["content-type"].startswith("application/problem+json")
        assert {e["field"] for e in bad.json()["errors"]} == {"from", "to", "step"}
        assert "AAAA-MM-JJ" in bad.json()["errors"][0]["message"]
        backwards = client.get(url, headers=h, params={"from": "2027-02-01", "to": "2027-01-01"})
        assert backwards.status_code == 422 and backwards.json()["errors"][0]["field"] == "to"
        too_long = client.get(url, headers=h, params={"from": "2020-01-01", "to": "2027-01-01"})
        assert too_long.status_code == 422
        not_cabinet = client.get(
            f"/api/v1/tenants/{tenant}/lighting/cabinets/{luminaire}/energy", headers=h)
        assert not_cabinet.status_code == 404
        assert client.get(url).status_code == 401
        default = client.get(url, headers=h)
        assert default.status_code == 200 and default.json()["step"] == "month"
