"""Lighting: switching at sunset/sunrise, night cut, energy, inventory proportions."""

from __future__ import annotations

import math
from datetime import UTC, datetime

import numpy as np
import pytest
from shapely.geometry import shape

from beffroi.core.registry import DemoAsset
from beffroi.domains.lighting.cabinet_programme import cabinet_programme
from beffroi.domains.lighting.demo.inventory import demo_inventory
from beffroi.domains.lighting.demo.simulator import simulate, switched_on
from beffroi.domains.lighting.sun import is_night

REMIREMONT = (6.59, 48.017)  # lon, lat


def _solar_day(lat: float, lon: float, year: int, month: int, day: int) -> tuple[float, float]:
    """(solar transit as a Julian day, half day length in days) by the textbook
    'sunrise equation' (Meeus-simplified), an algorithm independent of astral's NOAA
    implementation (they agree within ~1 min)."""
    jd = datetime(year, month, day, 12, tzinfo=UTC).timestamp() / 86400 + 2440587.5
    n = math.ceil(jd - 2451545.0 + 0.0008)
    j_star = n - lon / 360
    m = math.radians((357.5291 + 0.98560028 * j_star) % 360)
    c = 1.9148 * math.sin(m) + 0.02 * math.sin(2 * m) + 0.0003 * math.sin(3 * m)
    lam = math.radians((math.degrees(m) + c + 180 + 102.9372) % 360)
    transit = 2451545.0 + j_star + 0.0053 * math.sin(m) - 0.0069 * math.sin(2 * lam)
    decl = math.asin(math.sin(lam) * math.sin(math.radians(23.4397)))
    phi = math.radians(lat)
    cos_w = ((math.sin(math.radians(-0.833)) - math.sin(phi) * math.sin(decl))
             / (math.cos(phi) * math.cos(decl)))
    return transit, math.degrees(math.acos(cos_w)) / 360


def sunset_reference(lat: float, lon: float, year: int, month: int, day: int) -> float:
    transit, half = _solar_day(lat, lon, year, month, day)
    return (transit + half - 2440587.5) * 86400


def _cabinet(**props) -> DemoAsset:
    return DemoAsset("ARM-88383-001", "lighting.cabinet", "Armoire",
                     {"type": "Point", "coordinates": list(REMIREMONT)},
                     {"connected_power_kw": 5.0, **props}, metrics=("power.active",))


@pytest.mark.parametrize("date", [(2025, 1, 15), (2025, 3, 30), (2025, 6, 21), (2025, 10, 26),
                                  (2025, 12, 21)])
def test_lights_switch_at_sunset(date):
    lon, lat = REMIREMONT
    sunset = sunset_reference(lat, lon, *date)
    t = np.array([sunset - 120, sunset + 120])
    assert is_night(t, lat, lon).tolist() == [False, True]


def test_paris_summer_solstice_published_times():
    # Published: sunset in Paris on 21 June 2025 at 21:58 CEST (19:58 UTC), sunrise 05:47 CEST.
    t = np.array([datetime(2025, 6, 21, h, m, tzinfo=UTC).timestamp()
                  for h, m in ((19, 55), (20, 1), (3, 44), (3, 50))])
    assert is_night(t, 48.8566, 2.3522).tolist() == [False, True, True, False]


def test_burning_hours_match_night_length(year_of):
    lon, lat = REMIREMONT
    t = year_of(300)
    hours = switched_on(_cabinet(), t).sum() * 300 / 3600
    nights = 0.0
    for day in range(365):
        d = datetime.fromtimestamp(t[0] + day * 86400, UTC)
        nights += 24 * (1 - 2 * _solar_day(lat, lon, d.year, d.month, d.day)[1])
    assert hours == pytest.approx(nights, rel=0.01)
    assert 4000 < hours < 4450  # dusk-to-dawn at 48°N


def test_night_cut_follows_local_time_across_dst(year_of):
    cabinet = _cabinet(night_cut=True, cut_start="23:00", cut_end="05:00")
    # Local 22:30 and 23:30 in winter (UTC+1) and in November after the switch back.
    t = np.array([datetime(2025, 1, 10, 21, 30, tzinfo=UTC).timestamp(),
                  datetime(2025, 1, 10, 22, 30, tzinfo=UTC).timestamp(),
                  datetime(2025, 1, 11, 4, 30, tzinfo=UTC).timestamp(),   # 05:30 local
                  datetime(2025, 9, 10, 20, 30, tzinfo=UTC).timestamp(),  # 22:30 CEST
                  datetime(2025, 9, 10, 21, 30, tzinfo=UTC).timestamp()])  # 23:30 CEST
    assert switched_on(cabinet, t).tolist() == [1.0, 0.0, 1.0, 1.0, 0.0]
    year = year_of(600)
    saved = 1 - switched_on(cabinet, year).sum() / switched_on(_cabinet(), year).sum()
    assert 0.45 < saved < 0.6  # DOMAIN-FACTS: a 23:00–05:00 cut saves roughly 45–60 %


def test_energy_index_integrates_power(year_of):
    cabinet = _cabinet()
    t = year_of(3600)[: 24 * 60]
    power = simulate(cabinet, "power.active", t, np.random.default_rng(0))
    energy = simulate(cabinet, "energy.active_import", t, np.random.default_rng(1))
    assert np.all(np.diff(energy) >= 0)
    assert energy[-1] - energy[0] == pytest.approx(power[1:].sum(), rel=0.01)
    assert power.max() == pytest.approx(5.0, rel=0.1)


def test_inventory_in_proportion_and_consistent(communes):
    remiremont = communes["88383"]
    assets = demo_inventory(remiremont, np.random.default_rng(5))
    luminaires = [a for a in assets if a.kind == "lighting.luminaire"]
    cabinets = [a for a in assets if a.kind == "lighting.cabinet"]
    assert len(luminaires) == round(remiremont.population / 6)
    assert 50 <= len(luminaires) / len(cabinets) <= 90
    for cabinet in cabinets:
        fed = [a for a in luminaires if a.parent_ref == cabinet.ref]
        expected = sum(a.properties["power_w"] * (1 if a.properties["lamp_type"] == "led" else 1.15)
                       for a in fed) / 1000
        assert cabinet.properties["connected_power_kw"] == pytest.approx(expected, abs=0.01)
        programme, source = cabinet_programme(cabinet.properties)
        assert source == "stored" and programme.steps[-1].at == "sunrise"
    area = shape(remiremont.boundary)
    assert all(area.contains(shape(a.geometry)) for a in luminaires)
    lamp_types = {a.properties["lamp_type"] for a in luminaires}
    assert {"led", "sodium_hp"} <= lamp_types
