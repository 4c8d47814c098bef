"""Simulated water history: sector inflows with a real night minimum, meter indices.

Inflow = authorised consumption (≈ 150 L per inhabitant and day, shaped by a
daily profile with its minimum around 03:00 and a summer rise) + background
losses (≈ 20 % of the consumption, i.e. a rendement near 83 %). Sectors are
leak-free, except two: ``INJECTED_LEAK``, a main that broke a few weeks before the end of
the history and still runs — the leak the night-flow detector must find open — and
``REPAIRED_LEAK``, a leak of the spring, repaired after five weeks (``story`` records its
follow-up). The other sectors must raise no alert — ``WATERED`` too, a sector whose gardens
are watered at night every summer, which its operator declared as a seasonal use.
"""

from __future__ import annotations

import zlib

import numpy as np

from ....core.registry import DemoAsset
from ....demo.calendar import ar1_noise, local_time, seasonal, step_hours

LITRES_PER_INHABITANT_DAY = 150
BACKGROUND_LOSS_SHARE = 0.20

# Relative demand per local hour (mean 1): low at night, peaks at 08:00 and 19:00.
_PROFILE = np.array([0.45, 0.38, 0.34, 0.33, 0.36, 0.55, 1.00, 1.55, 1.65, 1.35, 1.15, 1.10,
                     1.20, 1.10, 0.95, 0.90, 0.95, 1.10, 1.35, 1.50, 1.40, 1.15, 0.85, 0.60])
DEMAND_PROFILE = _PROFILE / _PROFILE.mean()


def demand_shape(local_hour: np.ndarray) -> np.ndarray:
    """Daily demand profile, interpolated between hours (mean 1 over a day)."""
    return np.interp(local_hour, np.arange(25), np.append(DEMAND_PROFILE, DEMAND_PROFILE[0]))


def _asset_rng(asset: DemoAsset, salt: int = 0) -> np.random.Generator:
    return np.random.default_rng(zlib.crc32(asset.ref.encode()) + salt)


# Inlet meter -> (days before the end of the history the leak started, extra flow m³/h).
INJECTED_LEAK = {"CPT-88383-S2": (24.3, 2.4)}


# Inlet meter -> (days before the end its leak started, days before the end it was
# repaired, extra flow m³/h).
REPAIRED_LEAK = {"CPT-88383-S1": (160.4, 125.6, 3.0)}


# Inlet meter -> first and last day ("MM-DD") of its garden watering season, every year, and
# the timers' flow on a watering night as a share of the sector's mean consumption.
WATERED = {"CPT-88487-S1": ("06-01", "09-15", 0.10)}


def watering_flow(ref: str, t_s: np.ndarray, mean_m3h: float) -> np.ndarray:
    """The garden timers of the sector of inlet ``ref`` (m³/h): from 22:00 to 05:00 local on
    the nights of its season but rainy ones — one night in nine at least, and one in
    thirteen more (never more than eight dry nights in a row)."""
    out = np.zeros(len(t_s))
    if ref not in WATERED or not len(t_s):
        return out
    first, last, share = WATERED[ref]
    lt = local_time(t_s)
    evening = lt.day - (lt.hour < 12)  # the local day the night began on
    dates = evening.astype("datetime64[D]")
    months = dates.astype("datetime64[M]")
    month_day = ((months.astype(np.int64) % 12) + 1) * 100 + (dates - months).astype(np.int64) + 1
    season = (month_day >= int(first.replace("-", ""))) & (month_day <= int(last.replace("-", "")))
    rainy = (evening % 9 == 0) | (evening % 13 == 5)
    out[season & ~rainy & ((lt.hour >= 22) | (lt.hour < 5))] = share * mean_m3h
    return out


def leak_flow(ref: str, t_s: np.ndarray) -> np.ndarray:
    """The leaks of this inlet meter (m³/h): the injected one still running at the end, the
    repaired one between its onset and its repair."""
    out = np.zeros(len(t_s))
    if len(t_s) == 0:
        return out
    if ref in INJECTED_LEAK:
        out[t_s >= leak_onset_s(ref, t_s)] = INJECTED_LEAK[ref][1]
    if ref in REPAIRED_LEAK:
        onset, repaired = repaired_leak_s(ref, t_s[-1])
        out[(t_s >= onset) & (t_s < repaired)] = REPAIRED_LEAK[ref][2]
    return out


def repaired_leak_s(ref: str, last_s: float) -> tuple[float, float]:
    """(onset, repair) of the repaired leak of ``ref`` in a history ending at ``last_s``."""
    onset_days, repair_days, _ = REPAIRED_LEAK[ref]
    return float(last_s - onset_days * 86_400), float(last_s - repair_days * 86_400)


def leak_onset_s(ref: str, t_s: np.ndarray) -> float:
    """When the injected leak of ``ref`` starts in a history ``t_s`` (epoch s)."""
    return float(t_s[-1] - INJECTED_LEAK[ref][0] * 86_400)


def _pressure(t_s: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Service pressure (bar): lower when the day's demand draws the network down."""
    lt = local_time(t_s)
    return np.round(4.5 - 0.6 * (demand_shape(lt.hour) - 1) + rng.normal(0, 0.05, len(t_s)), 2)


# Acoustic loggers report each night the steadiest noise they heard (dB) and an alarm
# (0 none, 1 possible, 2 probable leak). The loggers of the sector with the injected leak
# hear it from its onset, louder the closer they are (a per-logger attenuation).
QUIET_DB, LEAK_DB = 18.0, 30.0
ALARM_POSSIBLE_DB, ALARM_PROBABLE_DB = 32.0, 40.0


def _logger_noise(asset: DemoAsset, t_s: np.ndarray) -> np.ndarray:
    # One generator per logger, whatever the metric, so that the alarm matches the noise.
    noise = QUIET_DB + _asset_rng(asset, 3).normal(0, 2.0, len(t_s))
    insee, _, number = (asset.parent_ref or "").removeprefix("SEC-").partition("-")
    inlet = f"CPT-{insee}-S{number}"
    if inlet in INJECTED_LEAK and len(t_s):
        closeness = _asset_rng(asset, 2).uniform(0.55, 1.0)
        noise[t_s >= leak_onset_s(inlet, t_s)] += LEAK_DB * closeness
    if inlet in REPAIRED_LEAK and len(t_s):
        closeness = _asset_rng(asset, 2).uniform(0.55, 1.0)
        onset, repaired = repaired_leak_s(inlet, t_s[-1])
        noise[(t_s >= onset) & (t_s < repaired)] += LEAK_DB * closeness
    return np.round(np.clip(noise, 0, 120), 1)


def inlet_flow(asset: DemoAsset, t_s: np.ndarray) -> np.ndarray:
    """Sector inflow in m³/h."""
    rng = _asset_rng(asset)
    people = float(asset.properties.get("population_served") or 500)
    daily_m3 = people * LITRES_PER_INHABITANT_DAY / 1000
    lt = local_time(t_s)
    shape = demand_shape(lt.hour)
    # +12 % at the end of July, on discretionary (daytime) use more than at night.
    summer = 1 - 0.12 * seasonal(lt.day_of_year) * np.minimum(shape, 1.0)
    consumption = daily_m3 / 24 * shape * summer
    losses = daily_m3 / 24 * BACKGROUND_LOSS_SHARE
    noise = 1 + ar1_noise(len(t_s), rng, 0.06, 0.8)
    return np.clip(consumption * noise + losses + leak_flow(asset.ref, t_s)
                   + watering_flow(asset.ref, t_s, daily_m3 / 24), 0, None)


def customer_daily_m3(asset: DemoAsset, t_s: np.ndarray) -> np.ndarray:
    """Volume used by one customer per step (daily readings)."""
    rng = _asset_rng(asset)
    category = asset.properties.get("customer_category", "domestic")
    base = {"domestic": 0.30, "non_domestic": 1.5, "public": 2.0}.get(category, 0.3)
    lt = local_time(t_s)
    use = base * (1 - 0.12 * seasonal(lt.day_of_year)) * rng.lognormal(0, 0.25, len(t_s))
    if category != "domestic":
        use = np.where(lt.weekday >= 5, use * 0.2, use)
    if rng.random() < 0.03 and len(t_s):  # a leak after the meter, until fixed
        start = rng.uniform(t_s[0], t_s[-1])
        use = use + np.where((t_s >= start) & (t_s < start + 45 * 86400), 0.5, 0.0)
    return use


def simulate(asset: DemoAsset, metric: str, t_s: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    step_h = step_hours(t_s)
    if asset.kind == "water.reservoir" and metric == "water.level":
        top = float(asset.properties.get("max_level_m") or 5.0)
        hour = local_time(t_s).hour
        # Filled at night on off-peak pumping, drawn down by the day's demand.
        level = top * (0.68 + 0.18 * np.cos(2 * np.pi * (hour - 6) / 24))
        return np.round(np.clip(level + ar1_noise(len(t_s), rng, 0.08, 0.9), 0.2, top), 3)
    if asset.kind == "water.meter":
        role = asset.properties.get("role")
        if metric == "water.flow":
            return np.round(inlet_flow(asset, t_s), 3)
        if metric == "water.volume":
            used = (customer_daily_m3(asset, t_s) if role == "customer"
                    else inlet_flow(asset, t_s) * step_h)
            start = _asset_rng(asset, 1).uniform(100, 50_000)
            return np.round(start + np.cumsum(used), 3)
        if metric == "water.pressure":
            return _pressure(t_s, rng)
    if asset.kind == "water.pressure_point" and metric == "water.pressure":
        return _pressure(t_s, rng)
    if asset.kind == "water.acoustic_logger":
        noise = _logger_noise(asset, t_s)
        if metric == "water.leak_noise":
            return noise
        if metric == "water.leak_alarm":
            return np.where(noise >= ALARM_PROBABLE_DB, 2.0,
                            np.where(noise >= ALARM_POSSIBLE_DB, 1.0, 0.0))
    raise ValueError(f"water simulator has no model for {metric!r} on {asset.kind!r}")
