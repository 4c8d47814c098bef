"""A small regional hydrology for the demo: one rainfall series drives every gauge.

Rain is drawn per day from a fixed origin with a fixed seed, so all gauges and the
weather station of the territory see the same storms; river flow is baseflow
(high in winter, low at the end of summer) plus the rain routed through a
recession of a few days; the height follows a power-law rating curve.

Two events of the demo year are written in (``EVENTS``): the **winter flood** — two days of
heavy rain on snow from 17 January, then a flood wave on every gauge rising in about twelve
hours to some eight times the mean flow (past the yellow then the orange vigilance
thresholds of ``inventory.THRESHOLD_FLOWS``, below the red) and receding over days; and
the **August drought**: no rain from 1 to 25 August (the fire-weather episode).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from ....demo.calendar import seasonal

ORIGIN_DAY = 18_262  # 2020-01-01
# The winter flood: rain days (day of year, 1 = 1 January), then the flood wave.
FLOOD_RAIN_DAYS = (17, 18)
FLOOD_RAIN_MM = 45.0
FLOOD_START_DOY = 18.25  # 18 January, 06:00 UTC: the rise begins
FLOOD_RISE_H = 12.0
FLOOD_RECESSION_DAYS = 1.5
FLOOD_PEAK_FACTOR = 4.5  # extra flow at the peak, in mean flows (on the rain's own rise)
# The August drought (days of year, inclusive).
DRY_DAYS = (213, 237)
_SEED = 20_068_377
RECESSION_DAYS = 3.0


@lru_cache(maxsize=4)
def _daily_rain_and_runoff(last_day: int) -> tuple[np.ndarray, np.ndarray]:
    n = max(1, last_day - ORIGIN_DAY + 2)
    rng = np.random.default_rng(_SEED)
    days = np.arange(ORIGIN_DAY, ORIGIN_DAY + n)
    doy = (days - ORIGIN_DAY) % 365.25
    wet_chance = 0.45 + 0.1 * seasonal(doy)  # wetter winters
    rain = np.where(rng.random(n) < wet_chance, rng.gamma(0.8, 6.0, n), 0.0)
    # A handful of heavy storms (40–90 mm) feeding the real floods.
    storms = rng.random(n) < 1 / 120
    rain[storms] += rng.uniform(40, 90, storms.sum())
    doy_int = np.floor(doy).astype(np.int64) + 1
    rain[np.isin(doy_int, FLOOD_RAIN_DAYS)] += FLOOD_RAIN_MM
    rain[(doy_int >= DRY_DAYS[0]) & (doy_int <= DRY_DAYS[1])] = 0.0
    kernel = np.exp(-np.arange(int(RECESSION_DAYS * 6)) / RECESSION_DAYS)
    runoff = np.convolve(rain, kernel / kernel.sum())[:n]
    return rain, runoff


def daily_rain_mm(days: np.ndarray) -> np.ndarray:
    days = np.asarray(days, dtype=np.int64)
    rain, _ = _daily_rain_and_runoff(int(days.max()) if len(days) else ORIGIN_DAY)
    return rain[np.clip(days - ORIGIN_DAY, 0, len(rain) - 1)]


def river_flow(t_s: np.ndarray, mean_flow: float) -> np.ndarray:
    """Flow in m³/s at a gauge whose interannual mean flow is ``mean_flow``."""
    t = np.asarray(t_s, dtype=np.float64)
    if len(t) == 0:
        return np.zeros(0)
    day_f = t / 86400
    _, runoff = _daily_rain_and_runoff(int(day_f.max()) + 1)
    index = np.clip(day_f - ORIGIN_DAY, 0, len(runoff) - 1)
    routed = np.interp(index, np.arange(len(runoff)), runoff)
    doy = (day_f - ORIGIN_DAY) % 365.25
    base = 0.55 + 0.4 * seasonal(doy, coldest_day=40)
    # runoff averages ~3 mm/day; scaled so the mean flow comes out near the module.
    return mean_flow * (base + 0.45 * routed / 3.0 + flood_wave(doy))


def flood_wave(doy: np.ndarray) -> np.ndarray:
    """The winter flood's extra flow, in mean flows: a rise of FLOOD_RISE_H hours (a half
    cosine), then an exponential recession."""
    since_h = (np.asarray(doy, dtype=np.float64) + 1 - FLOOD_START_DOY) * 24
    rising = (since_h >= 0) & (since_h < FLOOD_RISE_H)
    falling = since_h >= FLOOD_RISE_H
    out = np.zeros_like(since_h)
    out[rising] = 0.5 * (1 - np.cos(np.pi * since_h[rising] / FLOOD_RISE_H))
    out[falling] = np.exp(-(since_h[falling] - FLOOD_RISE_H) / (24 * FLOOD_RECESSION_DAYS))
    return FLOOD_PEAK_FACTOR * out


def rating_height(flow: np.ndarray, mean_flow: float) -> np.ndarray:
    """Stage (m) from flow with h = 0.3 + 1.2 (Q / Qmean)^0.55 — a typical power law."""
    return 0.3 + 1.2 * np.power(np.clip(flow, 0, None) / mean_flow, 0.55)
