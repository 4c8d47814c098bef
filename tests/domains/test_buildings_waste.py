"""Issue #18, waste and anomalies: each detector of ``waste_detectors`` on a territory whose
series are written in ``buildings_waste_world`` (a normal school, a gymnasium lit at
night, a leaking cistern, a drifting standby, a school heated through its February
holidays, a classroom aired while heated), with pinned clocks; the kWh, m³ and € of each
alert against figures computed here from the series; and the plain functions on small
hand-made arrays (positive and negative cases)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import numpy as np
import orjson
import pytest
from sqlalchemy import select

from beffroi.core.access import CLI, open_scope
from beffroi.core.alerting.detectors import run_detector
from beffroi.core.registry import load_registry
from beffroi.core.tenants import update_tenant
from beffroi.domains.buildings import waste
from beffroi.domains.buildings.hourly_use import hourly_increments
from beffroi.domains.buildings.waste_detectors import (
    DETECTORS,
    DRIFT,
    NIGHT_WATER,
    OFF_HOURS,
    OVERHEATING,
    WINDOWS,
    heating_week_kwh,
)
from beffroi.storage import schema

from .buildings_waste_world import (
    GAS_KWH_M3,
    GAS_M3H,
    HEATED_C,
    WINDOW_ROOM_M2,
    make_world,
)

NOW = int(datetime(2026, 3, 27, 12, tzinfo=UTC).timestamp() * 1000)  # a Friday in term
# Midnight (Paris) ending the last day of the zone B winter holidays 2026 (14 Feb–1 Mar).
HOLIDAY_END = int(datetime(2026, 3, 1, 23, tzinfo=UTC).timestamp() * 1000)
WINTER = {date(2026, 2, 14) + timedelta(days=i) for i in range(16)}
WINDOW_DAYS = {date(2026, 3, 23), date(2026, 3, 24), date(2026, 3, 26)}
ELECTRICITY, GAS, WATER, SAVING = 0.25, 0.10, 4.52, 0.07  # the settings' defaults


@pytest.fixture(scope="module")
def registry():
    return load_registry(["generic", "buildings"])


@pytest.fixture
def world(db, registry):
    return make_world(db, registry, NOW, holidays=WINTER, public=set(), heated=WINTER,
                      window_days=WINDOW_DAYS)


def _run_all(db, registry, tenant, at):
    for detector in DETECTORS:
        assert run_detector(db, registry, tenant, detector.key, at) == "ok"


def _alerts(db, tenant):
    al = schema.alerts
    with db.read() as conn:
        return [(r.detector, r.asset_id, r.status, r.key, orjson.loads(r.details), r.title)
                for r in conn.execute(select(al).where(al.c.tenant_id == tenant)
                                      .order_by(al.c.id))]


def test_a_school_heated_through_its_holidays_then_a_term_week(db, registry, world):
    tenant = world["tenant"]
    _run_all(db, registry, tenant, HOLIDAY_END)
    [(key, asset, status, _, details, title)] = _alerts(db, tenant)
    assert (key, asset, status) == (OVERHEATING, world["CHAUFFEE"], "open")
    # The holiday week: every hour closed (setpoint 16 °C), the room at 20 °C.
    excess = HEATED_C - 16.0
    assert details["mean_excess_c"] == pytest.approx(excess)
    assert details["unoccupied_mean_c"] == pytest.approx(HEATED_C)
    assert details["occupied_mean_c"] is None
    heating = GAS_M3H * GAS_KWH_M3 * 168  # the gas meter's week, in kWh
    assert details["heating_estimate"] == "measured"
    assert details["heating_kwh_per_week"] == pytest.approx(heating)
    assert details["kwh_per_week"] == pytest.approx(round(heating * SAVING * excess, 1))
    assert details["eur_per_week"] == pytest.approx(round(heating * SAVING * excess * GAS, 2))
    assert "20 °C" in details["explanation"] and "16 °C" in details["explanation"]
    assert "du 23/02/2026 au 01/03/2026" in details["explanation"].lower()
    # Four weeks later, in term: the heated holiday is over (resolved), and what runs now
    # is found, each on its building, and nothing on the normal school.
    _run_all(db, registry, tenant, NOW)
    found = {(k, a, s) for k, a, s, *_ in _alerts(db, tenant)}
    room_key = f"room:{world['FENETRES-C1']}"
    assert found == {(OVERHEATING, world["CHAUFFEE"], "resolved"),
                     (OFF_HOURS, world["GYM"], "open"), (DRIFT, world["BIBLIO"], "open"),
                     (NIGHT_WATER, world["MAIRIE"], "open"),
                     (WINDOWS, world["FENETRES"], "open")}
    by_key = {k: d for k, _, s, _, d, _ in _alerts(db, tenant) if s == "open"}
    keys = {k: key for k, _, s, key, _, _ in _alerts(db, tenant) if s == "open"}
    assert keys[WINDOWS].endswith(room_key)

    # Gym: 16 kW lit 23:00–06:00, 7 nights, over a standby of 2 kW.
    lit = by_key[OFF_HOURS]
    assert lit["energy"] == "electricite" and lit["baseload_kw"] == pytest.approx(2.0)
    title = next(t for k, _, s, _, _, t in _alerts(db, tenant) if k == OFF_HOURS and s == "open")
    assert title.endswith("kWh d'électricité en une semaine")  # (not « de électricité »)
    assert "kWh d'électricité consommés" in lit["explanation"]
    assert lit["kwh_per_week"] == pytest.approx(16 * 7 * 7)
    assert lit["eur_per_week"] == pytest.approx(16 * 7 * 7 * ELECTRICITY)
    assert lit["night_share_pct"] == pytest.approx(100.0)
    # Library: its standby from 1.0 to 1.6 kW, every hour of the week.
    drift = by_key[DRIFT]
    assert (drift["baseload_before_kw"], drift["baseload_recent_kw"]) == pytest.approx((1, 1.6))
    assert drift["kwh_per_week"] == pytest.approx(0.6 * 168)
    assert drift["eur_per_week"] == pytest.approx(round(0.6 * 168 * ELECTRICITY, 2))
    # Mairie: 20 L/h every night, all week.
    leak = by_key[NIGHT_WATER]
    assert leak["leak_l_h"] == pytest.approx(20) and leak["kwh_per_week"] == 0
    assert leak["m3_per_week"] == pytest.approx(0.02 * 168)
    assert leak["eur_per_week"] == pytest.approx(round(0.02 * 168 * WATER, 2))
    # Classroom aired three lessons for an hour each while heated.
    aired = by_key[WINDOWS]
    assert aired["openings"] == 3 and aired["open_hours"] == pytest.approx(3)
    loss = 0.34e-3 * 10 * WINDOW_ROOM_M2 * 2.5 * (19 - 5) * 3
    assert aired["kwh_per_week"] == pytest.approx(round(loss, 1))
    assert aired["eur_per_week"] == pytest.approx(round(round(loss, 1) * GAS, 2))


def test_prices_come_from_the_tenant_settings(db, registry, world):
    tenant = world["tenant"]
    with db.write() as conn:
        scope = open_scope(db, conn, CLI, tenant)
        update_tenant(scope, conn, {"settings": {"buildings.tariff_eur_kwh": 0.2,
                                                 "buildings.water_price_eur_m3": 3.0}},
                      registry)
    _run_all(db, registry, tenant, NOW)
    by_key = {k: d for k, _, s, _, d, _ in _alerts(db, tenant) if s == "open"}
    assert by_key[OFF_HOURS]["eur_per_week"] == pytest.approx(16 * 7 * 7 * 0.2)
    assert by_key[NIGHT_WATER]["eur_per_week"] == pytest.approx(round(0.02 * 168 * 3.0, 2))


# ------------------------------------------------------------------ plain functions

def _week_hours(days: int = 14):
    """Hour of day and a day index for ``days`` days of hourly values (from midnight)."""
    n = days * 24
    return np.arange(n) % 24, np.arange(n) // 24


def test_off_hours_a_normal_week_and_lights_left_on():
    hour, day = _week_hours()
    weekday = day % 7
    occupied = (weekday < 5) & (hour >= 8) & (hour < 18)
    closed = waste.closed_hours(occupied)
    normal = np.where(occupied, 10.0, 2.0)
    seen = waste.off_hours_use(normal, closed, hour)
    assert seen.baseload_kw == 2.0 and seen.excess_kwh == 0 and not seen.flagged
    # Lights of 5 kW left on from 20:00 to 06:00 the second week.
    lights = (day >= 7) & ((hour >= 20) | (hour < 6))
    seen = waste.off_hours_use(normal + 5 * lights, closed, hour)
    counted = int((lights & closed).sum())
    assert seen.flagged and seen.excess_kwh == pytest.approx(5 * counted)
    # A cold week: the closed hours draw 60 % more than the fortnight's low: not waste.
    cold = normal * np.where(day >= 7, 1.6, 1.0)
    assert not waste.off_hours_use(cold, closed, hour).flagged
    # Too little measured: nothing said.
    blind = np.full(len(hour), np.nan)
    blind[-20:] = 2.0
    assert waste.off_hours_use(blind, closed, hour) is None


def test_closed_hours_keep_a_margin_around_openings():
    occupied = np.zeros(24, dtype=bool)
    occupied[8:18] = True
    closed = waste.closed_hours(occupied, 1)
    assert closed.tolist() == [True] * 7 + [False] * 12 + [True] * 5


def test_drift_needs_a_rise_of_its_own_size():
    n = waste.DRIFT_WEEKS * 168
    closed = np.ones(n, dtype=bool)
    flat = np.full(n, 1.0)
    assert not waste.baseload_drift(flat, closed).flagged
    risen = np.where(np.arange(n) >= n - 2 * 168, 1.5, 1.0)
    seen = waste.baseload_drift(risen, closed)
    assert seen.flagged and seen.extra_kwh_per_week == pytest.approx(0.5 * 168)
    small = np.where(np.arange(n) >= n - 2 * 168, 1.2, 1.0)  # +20 %: within the noise
    assert not waste.baseload_drift(small, closed).flagged
    tiny = np.where(np.arange(n) >= n - 2 * 168, 0.15, 0.1)  # +50 % but 50 W
    assert not waste.baseload_drift(tiny, closed).flagged


def test_night_water_must_never_reach_zero():
    hour, day = _week_hours(8)
    closed = np.ones(len(hour), dtype=bool)
    daytime = np.where((hour >= 8) & (hour < 18), 0.05, 0.0)
    assert not waste.night_water(daytime, closed, hour, day).flagged
    leak = daytime + 0.004
    seen = waste.night_water(leak, closed, hour, day)
    assert seen.flagged and seen.leak_m3h == pytest.approx(0.004)
    one_dry_night = leak.copy()
    one_dry_night[(day == 3) & (hour == 2)] = 0.0  # the cistern stopped one night
    assert not waste.night_water(one_dry_night, closed, hour, day).flagged


def test_overheating_against_each_setpoint():
    hour, day = _week_hours(7)
    occupied = (hour >= 8) & (hour < 17) & (day % 7 < 5)
    cold = np.ones(len(hour), dtype=bool)
    good = np.where(occupied, 19.5, 16.4)
    assert not waste.overheating(good, occupied, cold, 19, 16).flagged
    warm_class = np.where(occupied, 21.5, 16.0)
    seen = waste.overheating(warm_class, occupied, cold, 19, 16)
    assert seen.occupied_flagged and not seen.unoccupied_flagged
    assert seen.mean_excess_c == pytest.approx(2.5 * occupied.mean())
    # The same room in October's sun, out of the cold months: not heating, not said.
    assert waste.overheating(warm_class, occupied, ~cold, 19, 16) is None
    # A building whose own setpoints are higher.
    assert not waste.overheating(warm_class, occupied, cold, 21, 16).flagged


def test_window_openings_need_temperature_and_co2_falling_together():
    t = np.arange(8) * 3_600_000
    occupied = np.ones(8, dtype=bool)
    cold = np.ones(8, dtype=bool)
    temp = np.array([19.5, 17.5, 19.5, 17.5, 19.5, 17.5, 19.5, 19.5])
    co2 = np.array([1200, 600, 1200, 600, 1200, 600, 1200, 1200.0])
    seen = waste.window_openings(t, temp, t, co2, occupied, cold)
    assert seen.intervals == 3 and seen.open_hours == 3 and seen.flagged
    # The ventilation's boost alone (CO2 falls, not the temperature): nothing.
    assert not waste.window_openings(t, np.full(8, 19.5), t, co2, occupied, cold).flagged
    # Heating switched off at the end of the day (temperature falls, CO2 too) but the
    # room is empty: not an opening during lessons.
    assert not waste.window_openings(t, temp, t, co2, np.zeros(8, dtype=bool), cold).flagged


def test_hourly_increments_roll_over_and_gaps():
    hour = 3_600_000
    t = np.array([0, 1, 2, 3, 6, 7]) * hour
    index = np.array([9990.0, 9995.0, 3.0, 8.0, 20.0, 21.0])
    use = hourly_increments(t, index, 0, 7, rollover=10_000)
    # 9995 → 3 rolled over at 10 000: 8; the 3-hour gap (8 → 20) is not spread.
    assert use[[0, 1, 2, 6]].tolist() == [5.0, 8.0, 5.0, 1.0]
    assert np.isnan(use[3:6]).all()
    reset = hourly_increments(t[:3], np.array([50.0, 60.0, 2.0]), 0, 3)  # meter replaced
    assert reset[0] == 10.0 and np.isnan(reset[1])


def test_heating_energy_of_a_week_in_order_of_preference():
    props = {"heating": "gaz", "floor_area_m2": 660.0}
    assert heating_week_kwh(props, {"gaz": 5000.0}) == (5000.0, "measured")
    annual = {**props, "annual_energy": {"2024": {"gaz_kwh": 99_000}, "2025": {
        "gaz_kwh": 66_000}}, "heating_share_pct": 50}
    assert heating_week_kwh(annual, {}) == (pytest.approx(66_000 * 0.5 / 33), "annual")
    assert heating_week_kwh(props, {}) == (pytest.approx(660 * 100 / 33), "area")
    assert heating_week_kwh({"heating": "gaz"}, {}) == (None, None)


def test_every_heating_energy_has_a_price():
    """A school heated with fuel oil or wood gets its € at stake too (not an empty cell)."""
    from beffroi.domains.buildings.kinds import HEATING_ENERGY
    from beffroi.domains.buildings.settings import SETTINGS
    from beffroi.domains.buildings.waste_detectors import PRICE_SETTING

    defaults = {s.spec.name: s.default for s in SETTINGS}
    for energy in set(HEATING_ENERGY.values()):
        assert defaults[PRICE_SETTING[energy]] > 0, energy
    assert defaults[PRICE_SETTING["fioul"]] == pytest.approx(0.12)
