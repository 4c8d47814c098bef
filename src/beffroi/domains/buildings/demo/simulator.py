"""Simulated history of public buildings: electricity by occupancy, comfort and CO2.

Occupancy follows each usage's timetable (school days and zone B school holidays,
evenings and week-ends for halls and gyms). Electricity = standby + occupied load
(+ electric heating in winter), scaled so the annual intensity is typical of the
usage. Classroom CO2 rises towards an equilibrium set by the ventilation while
pupils are in and decays when they leave.
"""

from __future__ import annotations

import zlib

import numpy as np

from ....core.registry import DemoAsset
from ....demo.calendar import LocalTime, ar1_noise, local_time, seasonal, step_hours

OUTDOOR_CO2_PPM = 420.0
# Annual electricity intensity by usage, kWh/m²/year (orders of magnitude).
ELECTRICITY_KWH_M2 = {"mairie": 60, "ecole": 35, "creche": 60, "gymnase": 40,
                      "salle_polyvalente": 30, "bibliotheque": 60, "atelier": 40,
                      "piscine": 250, "autre": 40}
ELECTRIC_HEATING_KWH_M2 = 90
# Zone B school holidays as day-of-year ranges (approximate, shift by a few days
# from one year to the next): winter, spring, summer, Toussaint, Christmas.
SCHOOL_HOLIDAYS = ((45, 60), (101, 116), (186, 243), (291, 306), (354, 366), (0, 3))
# Equilibrium CO2 of a full room by ventilation (ppm).
CO2_EQUILIBRIUM = {"naturelle": 2000.0, "vmc_simple_flux": 1300.0, "vmc_double_flux": 950.0}


def school_holiday(lt: LocalTime) -> np.ndarray:
    out = np.zeros(len(lt.day_of_year), dtype=bool)
    for first, last in SCHOOL_HOLIDAYS:
        out |= (lt.day_of_year >= first) & (lt.day_of_year <= last)
    return out


def occupied(usage: str, lt: LocalTime) -> np.ndarray:
    """True when people are in the building, per its usage."""
    h, wd = lt.hour, lt.weekday
    weekday = wd < 5
    if usage == "ecole":  # no school on Wednesday nor during holidays
        lessons = ((h >= 8.5) & (h < 11.5)) | ((h >= 13.5) & (h < 16.5))
        return weekday & (wd != 2) & lessons & ~school_holiday(lt)
    if usage == "creche":
        return weekday & (h >= 7.5) & (h < 18.5)
    if usage in ("gymnase", "salle_polyvalente"):
        return ((h >= 17) & (h < 22) & weekday) | ((wd >= 5) & (h >= 9) & (h < 19))
    if usage == "piscine":
        return (h >= 10) & (h < 20) & (wd != 0)
    return weekday & (h >= 8) & (h < 17.5)


def electricity_kw(asset: DemoAsset, t_s: np.ndarray) -> np.ndarray:
    rng = np.random.default_rng(zlib.crc32(asset.ref.encode()))
    usage = asset.properties.get("usage", "autre")
    area = float(asset.properties.get("floor_area_m2") or 500)
    lt = local_time(t_s)
    occ = occupied(usage, lt).astype(np.float64)
    occ_share = max(occ.mean(), 0.05)
    # Standby is 30 % of the mean; occupied hours carry the rest.
    mean_kw = area * ELECTRICITY_KWH_M2.get(usage, 40) / 8766
    load = mean_kw * (0.3 + 0.7 * occ / occ_share)
    if asset.properties.get("heating") == "electrique":
        winter = np.clip(seasonal(lt.day_of_year), 0, None)  # 0 in summer, 1 mid-January
        load = load + area * ELECTRIC_HEATING_KWH_M2 / 8766 * 2 * winter * (0.7 + 0.3 * occ)
    return np.clip(load * (1 + ar1_noise(len(t_s), rng, 0.08, 0.7)), 0, None)


def room_co2(asset: DemoAsset, usage: str, t_s: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    lt = local_time(t_s)
    occ = occupied(usage, lt).astype(np.float64)
    step_h = step_hours(t_s)
    # First-order response with a 30-minute time constant, sampled at the step.
    alpha = 1 - np.exp(-step_h / 0.5)
    kernel = alpha * (1 - alpha) ** np.arange(max(1, int(np.ceil(4 / step_h))))
    level = np.convolve(occ, kernel)[: len(occ)]
    peak = CO2_EQUILIBRIUM.get(asset.properties.get("ventilation", "naturelle"), 1500.0)
    peak *= rng.uniform(0.85, 1.15)
    co2 = OUTDOOR_CO2_PPM + level * (peak - OUTDOOR_CO2_PPM)
    return np.clip(co2 + rng.normal(0, 25, len(t_s)), 380, 5000)


def room_temperature(t_s: np.ndarray, usage: str, rng: np.random.Generator) -> np.ndarray:
    lt = local_time(t_s)
    winter = seasonal(lt.day_of_year)
    occ = occupied(usage, lt)
    heated = np.where(occ, 20.0, 16.5)
    free_running = 22 - 4 * winter + 2 * np.cos(2 * np.pi * (lt.hour - 16) / 24)
    temp = np.where(winter > -0.2, np.maximum(heated, free_running - 3), free_running)
    return temp + ar1_noise(len(t_s), rng, 0.4, 0.8)


def simulate(asset: DemoAsset, metric: str, t_s: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    step_h = step_hours(t_s)
    if asset.kind == "buildings.building":
        if metric == "power.active":
            return np.round(electricity_kw(asset, t_s), 3)
        if metric == "energy.active_import":
            start = np.random.default_rng(zlib.crc32(asset.ref.encode()) + 1).uniform(1e4, 5e5)
            return np.round(start + np.cumsum(electricity_kw(asset, t_s) * step_h), 2)
        if metric == "water.volume":
            area = float(asset.properties.get("floor_area_m2") or 500)
            per_step = area * 0.3 / 8766 * step_h * rng.lognormal(0, 0.3, len(t_s))
            return np.round(rng.uniform(100, 5000) + np.cumsum(per_step), 3)
    if asset.kind == "buildings.room":
        usage = {"classe": "ecole", "dortoir": "creche"}.get(
            asset.properties.get("room_type", ""), "mairie")
        if metric == "air.co2":
            return np.round(room_co2(asset, usage, t_s, rng))
        if metric == "air.temperature":
            return np.round(room_temperature(t_s, usage, rng), 1)
        if metric == "air.humidity":
            return np.round(np.clip(45 + ar1_noise(len(t_s), rng, 8, 0.95), 15, 95), 1)
    raise ValueError(f"buildings simulator has no model for {metric!r} on {asset.kind!r}")
