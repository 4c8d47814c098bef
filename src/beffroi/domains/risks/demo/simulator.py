"""Simulated history of gauges and the weather station.

Gauges share the regional hydrology (same storms everywhere, scaled by each
river's mean flow). The weather station follows the seasons and the day, with
an early-July heat wave that crosses the Vosges heat-wave thresholds (IBMn 18 °C,
IBMx 34 °C) so that later detectors have one to find, and a fire-weather spell in mid-August
(``FIRE_SPELL_DAYS``: warmer, drier air and a stronger wind, at the heart of the August
drought of ``hydrology``). The winter flood is in ``hydrology``.
"""

from __future__ import annotations

import numpy as np

from ....core.registry import DemoAsset
from ....demo.calendar import ar1_noise, local_time, seasonal, step_hours
from .hydrology import daily_rain_mm, rating_height, river_flow

ANNUAL_MEAN_C = 9.5
SEASONAL_AMPLITUDE_C = 8.5
HEAT_WAVE_DAYS = (185, 192)  # day-of-year range (early July)
HEAT_WAVE_EXTRA_C = 10.0  # on the daily mean
HEAT_WAVE_EXTRA_RANGE_C = 5.0  # hotter afternoons, warm nights
FIRE_SPELL_DAYS = (222, 232)  # day-of-year range (10–20 August)
FIRE_SPELL_EXTRA_C = 5.0
FIRE_SPELL_DRYING_PCT = 15.0  # relative humidity lower still
FIRE_SPELL_WIND_FACTOR = 2.0


def air_temperature(t_s: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    lt = local_time(t_s)
    season = -seasonal(lt.day_of_year)  # -1 mid-January, +1 mid-July
    in_wave = (lt.day_of_year >= HEAT_WAVE_DAYS[0]) & (lt.day_of_year <= HEAT_WAVE_DAYS[1])
    daily_range = 8 + 3 * season + np.where(in_wave, HEAT_WAVE_EXTRA_RANGE_C, 0.0)
    diurnal = 0.5 * daily_range * np.cos(2 * np.pi * (lt.hour - 15) / 24)
    heat = np.where(in_wave, HEAT_WAVE_EXTRA_C, 0.0) + np.where(
        _in_fire_spell(lt.day_of_year), FIRE_SPELL_EXTRA_C, 0.0)
    return (ANNUAL_MEAN_C + SEASONAL_AMPLITUDE_C * season + diurnal + heat
            + ar1_noise(len(t_s), rng, 2.5, 0.97))


def _in_fire_spell(day_of_year: np.ndarray) -> np.ndarray:
    return (day_of_year >= FIRE_SPELL_DAYS[0]) & (day_of_year <= FIRE_SPELL_DAYS[1])


def simulate(asset: DemoAsset, metric: str, t_s: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    if asset.kind == "risks.gauge":
        mean_flow = float(asset.properties.get("mean_flow_m3s") or 10.0)
        flow = river_flow(t_s, mean_flow) * (1 + ar1_noise(len(t_s), rng, 0.02, 0.95))
        if metric == "hydro.flow":
            return np.round(np.clip(flow, 0, None), 3)
        if metric == "hydro.level":
            return np.round(rating_height(flow, mean_flow), 3)
    if asset.kind == "risks.weather_station":
        step_h = step_hours(t_s)
        if metric == "air.temperature":
            return np.round(air_temperature(t_s, np.random.default_rng(7)), 1)
        if metric == "air.humidity":
            temp = air_temperature(t_s, np.random.default_rng(7))
            lt = local_time(t_s)
            humid = 95 - 2.2 * (temp - (ANNUAL_MEAN_C - SEASONAL_AMPLITUDE_C * seasonal(lt.day_of_year)))
            humid -= np.where(_in_fire_spell(lt.day_of_year), FIRE_SPELL_DRYING_PCT, 0.0)
            return np.round(np.clip(humid + rng.normal(0, 4, len(t_s)), 15, 100), 1)
        if metric == "weather.precipitation":
            days = np.floor(t_s / 86400).astype(np.int64)
            per_day = daily_rain_mm(days)
            steps_per_day = 24 / step_h
            # Rain falls in a few of the day's steps, not evenly.
            wet = rng.random(len(t_s)) < 0.35
            return np.round(np.where(wet, per_day / (steps_per_day * 0.35), 0.0), 1)
        if metric == "weather.wind_speed":
            lt = local_time(t_s)
            gusty = np.where(_in_fire_spell(lt.day_of_year), FIRE_SPELL_WIND_FACTOR, 1.0)
            return np.round(rng.weibull(2.0, len(t_s)) * 3.2 * gusty, 1)
    raise ValueError(f"risks simulator has no model for {metric!r} on {asset.kind!r}")
