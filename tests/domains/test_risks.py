"""Risks: one regional hydrology, rating curve, weather with a heat wave."""

from __future__ import annotations

import numpy as np
import pytest

from beffroi.core.registry import DemoAsset
from beffroi.demo.calendar import local_time
from beffroi.domains.risks.demo.hydrology import rating_height
from beffroi.domains.risks.demo.inventory import GAUGED_RIVERS, demo_inventory
from beffroi.domains.risks.demo.simulator import simulate

# Météo-France heat-wave thresholds for the Vosges (88): IBMn 18 °C, IBMx 34 °C.
IBMN, IBMX = 18.0, 34.0


def _gauge(insee: str) -> DemoAsset:
    river, mean_flow = GAUGED_RIVERS[insee]
    return DemoAsset(f"HYD-{insee}", "risks.gauge", river, {"type": "Point",
                     "coordinates": [6.6, 48.0]}, {"mean_flow_m3s": mean_flow},
                     metrics=("hydro.level", "hydro.flow"))


def test_gauges_only_where_a_river_is_gauged(communes):
    for insee, commune in communes.items():
        kinds = [a.kind for a in demo_inventory(commune, np.random.default_rng(0))]
        assert kinds.count("risks.gauge") == (1 if insee in GAUGED_RIVERS else 0)
        assert kinds.count("risks.forest") == 1
    station = [a for a in demo_inventory(communes["88383"], np.random.default_rng(0))
               if a.kind == "risks.weather_station"]
    assert len(station) == 1


def test_thresholds_increase_and_follow_the_rating_curve(communes):
    gauge = next(a for a in demo_inventory(communes["88158"], np.random.default_rng(0))
                 if a.kind == "risks.gauge")
    p = gauge.properties
    assert p["level_yellow_m"] < p["level_orange_m"] < p["level_red_m"]
    mean_flow = p["mean_flow_m3s"]
    assert p["level_yellow_m"] == pytest.approx(0.3 + 1.2 * 4 ** 0.55, abs=0.01)
    assert rating_height(np.array([mean_flow]), mean_flow)[0] == pytest.approx(1.5)


def test_floods_are_regional_and_mean_flow_is_the_module(year_of):
    t = year_of(900)
    upstream = simulate(_gauge("88498"), "hydro.flow", t, np.random.default_rng(1))
    downstream = simulate(_gauge("88158"), "hydro.flow", t, np.random.default_rng(2))
    assert np.corrcoef(upstream, downstream)[0, 1] > 0.95
    assert upstream.mean() == pytest.approx(GAUGED_RIVERS["88498"][1], rel=0.25)
    assert downstream.max() > 3 * GAUGED_RIVERS["88158"][1]  # at least one real flood
    level = simulate(_gauge("88158"), "hydro.level", t, np.random.default_rng(2))
    assert np.allclose(level, rating_height(downstream, GAUGED_RIVERS["88158"][1]), atol=0.001)


def test_weather_has_seasons_and_a_heat_wave(year_of):
    station = DemoAsset("METEO-88383", "risks.weather_station", "Station",
                        {"type": "Point", "coordinates": [6.59, 48.01]})
    t = year_of(3600)
    temp = simulate(station, "air.temperature", t, np.random.default_rng(0))
    day = local_time(t).day
    days = np.unique(day)
    tmin = np.array([temp[day == d].min() for d in days])
    tmax = np.array([temp[day == d].max() for d in days])
    assert 7 < temp.mean() < 12  # annual mean of the Vosges piedmont
    ibmn = np.convolve(tmin, np.ones(3) / 3, "valid")
    ibmx = np.convolve(tmax, np.ones(3) / 3, "valid")
    alert = (ibmn >= IBMN) & (ibmx >= IBMX)
    assert alert.any(), "the simulated summer must hold a heat wave"
    alert_days = np.flatnonzero(alert)
    assert alert_days.min() > 150 and alert_days.max() < 250  # in summer only
    rain = simulate(station, "weather.precipitation", t, np.random.default_rng(0))
    assert 800 < rain.sum() < 1800  # mm/year on the Vosges piedmont
