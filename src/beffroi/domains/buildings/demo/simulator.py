"""Simulated history of public buildings: electricity and water by occupancy, comfort and
CO2, and the demo's injected anomalies.

Occupancy is the product's own (``occupancy.occupied_mask``: opening hours by usage,
public holidays, zone B school holidays of the académie de Nancy-Metz), so that what the
simulator fills and what the detectors expect agree. Electricity = standby + occupied load
(+ electric heating, growing smoothly with the cold), scaled so the annual intensity is
typical of the usage. Water is drawn while the building is open, never at night. Rooms are
heated to the building's setpoints (19 °C occupied, 16 °C closed) in the cold season and
follow the outdoor temperature otherwise; classroom CO2 rises towards an equilibrium set
by the ventilation while pupils are in and decays when they leave.

Injected anomalies (``ANOMALIES``), each placed relative to the simulated period, and what
the detectors (``waste_detectors``) must find, and only them:
- ``HEATED_SCHOOL``: its classrooms kept at 20 °C day and night through the latest zone B
  winter holidays of the period (``heated_holiday``): « surchauffe » (its gas heating has
  no meter in the demo, so its electricity is untouched);
- ``LIT_GYM``: lit every night from 22:00 to 07:00 (``GYM_LIGHTING_W_M2``), all the
  period: « consommation hors occupation »;
- ``LEAKING_BUILDING``: a leaking toilet cistern (``CISTERN_LEAK_M3H``, 25 L/h) for the last
  ``LEAK_DAYS`` days: « écoulement d'eau permanent la nuit ».
"""

from __future__ import annotations

import zlib
from datetime import datetime

import numpy as np

from ....core.clock import PARIS
from ....core.registry import DemoAsset
from ....demo.calendar import LocalTime, ar1_noise, local_time, seasonal, step_hours
from ..occupancy import occupied_mask
from ..school_calendar import school_holidays

OUTDOOR_CO2_PPM = 420.0
# Annual electricity intensity by usage, kWh/m²/year (orders of magnitude).
ELECTRICITY_KWH_M2 = {"mairie": 60, "ecole": 35, "creche": 60, "gymnase": 40,
                      "salle_polyvalente": 30, "bibliotheque": 60, "atelier": 40,
                      "piscine": 250, "autre": 40}
ELECTRIC_HEATING_KWH_M2 = 90
WATER_M3_M2 = 0.3  # annual water use per m² (order of magnitude)
# Equilibrium CO2 of a full room by ventilation (ppm).
CO2_EQUILIBRIUM = {"naturelle": 2000.0, "vmc_simple_flux": 1300.0, "vmc_double_flux": 950.0}
ROOM_USAGE = {"classe": "ecole", "dortoir": "creche"}

HEATED_SCHOOL = "BAT-88429-03"  # École n°1 de Saint-Nabord (gas heating)
LIT_GYM = "BAT-88383-11"  # Gymnase de Remiremont
LEAKING_BUILDING = "BAT-88383-01"  # Mairie de Remiremont
ANOMALIES = {HEATED_SCHOOL: "heated_holiday", LIT_GYM: "lit_every_night",
             LEAKING_BUILDING: "leaking_cistern"}
GYM_LIGHTING_W_M2 = 8.0  # sports hall lighting (halogen-metal lamps)
CISTERN_LEAK_M3H = 0.025  # « suintement de chasse d'eau : 25 litres par heure »
LEAK_DAYS = 20
HOLIDAY_HEATING_C = 20.0
LEARNING_DAYS = 14  # history the detectors need before the heated holiday


def occupied(props: dict, t_s: np.ndarray) -> np.ndarray:
    """True when people are in the building (the product's occupancy)."""
    return occupied_mask(props, (np.asarray(t_s) * 1000).astype(np.int64))


def _local_midnight_s(day) -> float:
    return datetime(day.year, day.month, day.day, tzinfo=PARIS).timestamp()


def heated_holiday(first_s: float, last_s: float) -> tuple[float, float] | None:
    """(start, end) in epoch s of the latest zone B winter holidays whose fortnight and the
    week after it lie in [first_s, last_s] with ``LEARNING_DAYS`` before; None if none."""
    best = None
    for holiday in school_holidays("B"):
        if holiday.name != "Vacances d'hiver":
            continue
        start, end = _local_midnight_s(holiday.start), _local_midnight_s(holiday.end)
        if start >= first_s + LEARNING_DAYS * 86_400 and end + 7 * 86_400 <= last_s:
            best = (start, end)
    return best


def _heating_fraction(day_of_year: np.ndarray) -> np.ndarray:
    """0 in summer, 1 mid-January: grows smoothly (quadratically) from the first cold days,
    as the heating need does."""
    return np.clip((seasonal(day_of_year) + 0.6) / 1.6, 0, None) ** 2


_MEAN_HEATING = float(_heating_fraction(np.arange(365) + 0.5).mean())


def electricity_kw(asset: DemoAsset, t_s: np.ndarray) -> np.ndarray:
    rng = np.random.default_rng(zlib.crc32(asset.ref.encode()))
    usage = asset.properties.get("usage", "autre")
    area = float(asset.properties.get("floor_area_m2") or 500)
    lt = local_time(t_s)
    occ = occupied(asset.properties, t_s).astype(np.float64)
    occ_share = max(occ.mean(), 0.05)
    # Standby is 30 % of the mean; occupied hours carry the rest.
    mean_kw = area * ELECTRICITY_KWH_M2.get(usage, 40) / 8766
    load = mean_kw * (0.3 + 0.7 * occ / occ_share)
    if asset.properties.get("heating") == "electrique":
        need = _heating_fraction(lt.day_of_year) / _MEAN_HEATING
        load = load + area * ELECTRIC_HEATING_KWH_M2 / 8766 * need * (0.7 + 0.3 * occ)
    load = load * (1 + ar1_noise(len(t_s), rng, 0.08, 0.7))
    if asset.ref == LIT_GYM:  # the lights nobody switches off
        load = load + area * GYM_LIGHTING_W_M2 / 1000 * ((lt.hour >= 22) | (lt.hour < 7))
    return np.clip(load, 0, None)


def water_m3(asset: DemoAsset, t_s: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Water drawn per step: while open only (taps, toilets, cleaning), plus the leak."""
    area = float(asset.properties.get("floor_area_m2") or 500)
    occ = occupied(asset.properties, t_s)
    per_open_step = area * WATER_M3_M2 / max(occ.sum(), 1) * len(t_s) / 8766 * step_hours(t_s)
    use = np.where(occ, per_open_step * rng.lognormal(0, 0.3, len(t_s)), 0.0)
    if asset.ref == LEAKING_BUILDING and len(t_s):
        leaking = t_s >= t_s[-1] - LEAK_DAYS * 86_400
        use = use + np.where(leaking, CISTERN_LEAK_M3H * step_hours(t_s), 0.0)
    return use


def room_co2(asset: DemoAsset, usage: str, t_s: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    occ = occupied({"usage": usage}, t_s).astype(np.float64)
    step_h = step_hours(t_s)
    # First-order response with a 30-minute time constant, sampled at the step.
    alpha = 1 - np.exp(-step_h / 0.5)
    kernel = alpha * (1 - alpha) ** np.arange(max(1, int(np.ceil(4 / step_h))))
    level = np.convolve(occ, kernel)[: len(occ)]
    peak = CO2_EQUILIBRIUM.get(asset.properties.get("ventilation", "naturelle"), 1500.0)
    peak *= rng.uniform(0.85, 1.15)
    co2 = OUTDOOR_CO2_PPM + level * (peak - OUTDOOR_CO2_PPM)
    return np.clip(co2 + rng.normal(0, 25, len(t_s)), 380, 5000)


def outdoor_c(lt: LocalTime) -> np.ndarray:
    """Outdoor temperature of the Vosges foothills: 1 °C mid-January, 19 °C mid-July,
    ± 4 °C from dawn to mid-afternoon."""
    return 10 - 9 * seasonal(lt.day_of_year) + 4 * np.cos(2 * np.pi * (lt.hour - 15) / 24)


def room_temperature(asset: DemoAsset, t_s: np.ndarray, usage: str,
                     rng: np.random.Generator) -> np.ndarray:
    lt = local_time(t_s)
    occ = occupied({"usage": usage}, t_s)
    free_running = outdoor_c(lt) + 6  # the occupants', the sun's and the walls' heat
    heating_on = seasonal(lt.day_of_year) > -0.3  # about 20 October to 10 April
    target = np.where(occ, 19.3, 16.0)
    if asset.parent_ref == HEATED_SCHOOL and len(t_s):
        holiday = heated_holiday(float(t_s[0]), float(t_s[-1]))
        if holiday is not None:  # the programme left in « confort » through the holidays
            target = np.where((t_s >= holiday[0]) & (t_s < holiday[1]), HOLIDAY_HEATING_C,
                              target)
    temp = np.where(heating_on, np.maximum(target, free_running), free_running)
    # The room follows with a two-hour time constant (walls and air warm up, cool down).
    step_h = step_hours(t_s)
    alpha = 1 - np.exp(-step_h / 2)
    kernel = alpha * (1 - alpha) ** np.arange(max(1, int(np.ceil(12 / step_h))))
    padded = np.concatenate([np.full(len(kernel) - 1, temp[0]), temp])
    smooth = np.convolve(padded, kernel / kernel.sum(), mode="valid")
    return smooth + ar1_noise(len(t_s), rng, 0.3, 0.8)


def simulate(asset: DemoAsset, metric: str, t_s: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    step_h = step_hours(t_s)
    if asset.kind == "buildings.building":
        if metric == "power.active":
            return np.round(electricity_kw(asset, t_s), 3)
        if metric == "energy.active_import":
            start = np.random.default_rng(zlib.crc32(asset.ref.encode()) + 1).uniform(1e4, 5e5)
            return np.round(start + np.cumsum(electricity_kw(asset, t_s) * step_h), 2)
        if metric == "water.volume":
            start = rng.uniform(100, 5000)
            return np.round(start + np.cumsum(water_m3(asset, t_s, rng)), 3)
    if asset.kind == "buildings.room":
        usage = ROOM_USAGE.get(asset.properties.get("room_type", ""), "mairie")
        if metric == "air.co2":
            return np.round(room_co2(asset, usage, t_s, rng))
        if metric == "air.temperature":
            return np.round(room_temperature(asset, t_s, usage, rng), 1)
        if metric == "air.humidity":
            return np.round(np.clip(45 + ar1_noise(len(t_s), rng, 8, 0.95), 15, 95), 1)
    raise ValueError(f"buildings simulator has no model for {metric!r} on {asset.kind!r}")
