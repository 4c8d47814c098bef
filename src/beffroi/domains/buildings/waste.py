"""Waste in public buildings, computed on hourly series (plain functions, no database).

What each function sees, and why its thresholds are what they are:

- ``off_hours_use``: consumption while the building is closed (nights, week-ends, school
  and public holidays, from ``occupancy``), beyond its baseload. The baseload is the
  ``BASELOAD_QUANTILE`` (10 %) quantile of its closed hours over the last
  ``BASELOAD_DAYS`` (the analysed week and the one before): what it draws when nothing
  runs (fridges, servers, ventilation, frost protection). A low quantile, not the median,
  so that a fault that runs most closed hours (a gymnasium lit every night) does not
  become the baseload; two weeks, so that two Sundays are in and the baseload follows the
  season (heating switched on). Hours within ``OCCUPANCY_MARGIN_H`` of an opening are not
  counted (pre-heating, cleaning). The week's excess is the energy of its closed hours
  above the baseload; flagged when it is at least ``EXCESS_RATIO`` times the baseload's
  energy over those hours (closed hours drawing on average twice the baseload: a cold
  week or a thermostat's cycles do not, lights or heating left on do) and at least
  ``MIN_EXCESS_KWH``.
- ``baseload_drift``: the baseload of each of the last ``DRIFT_WEEKS`` weeks; the median of
  the last ``DRIFT_RECENT_WEEKS`` against the median of the weeks before; flagged when it
  rose by ``DRIFT_RATIO`` (30 %) and ``MIN_DRIFT_KW``. The extra baseload runs every hour
  of the week. (Heating energies are compared outside the heating season only: the
  detector skips them, see ``waste_detectors``.)
- ``night_water``: the minimum hourly water use of each of the last ``LEAK_NIGHTS`` nights
  (``NIGHT_HOURS``, closed hours only); a building whose night minimum never reaches zero
  (``MIN_LEAK_M3H``, 2 L/h: a dripping tap is 1 to 4 L/h, a leaking cistern about 25 L/h)
  leaks; the leak is the median of those minima, running every hour of the week.
- ``overheating``: mean temperature of the building's rooms over the cold months
  (``COLD_MONTHS``: heating surely runs; a warm room in October may be the sun) against
  its setpoints (19 °C occupied, 16 °C unoccupied by default, art. R.241-26 and R.241-27
  of the code de l'énergie), flagged beyond ``OVERHEAT_TOLERANCE_C`` (sensor accuracy and
  the occupants' own heat).
- ``window_openings``: in an occupied room of the cold months, intervals where the
  temperature falls by at least ``WINDOW_TEMP_DROP_C_H`` and the CO2 by at least
  ``WINDOW_CO2_DROP_PPM_H`` per hour together (fresh outdoor air pouring in while the
  heating runs); flagged from ``MIN_WINDOW_HOURS`` a week (a 5-minute airing every hour,
  which the CO2 rules recommend, does not reach it).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

WEEK_H = 168
BASELOAD_QUANTILE = 0.10
BASELOAD_DAYS = 14
OCCUPANCY_MARGIN_H = 1
EXCESS_RATIO = 1.0
MIN_EXCESS_KWH = 20.0  # ≈ 5 € of electricity a week: below, not worth a visit
MIN_CLOSED_HOURS = 24  # measured closed hours needed in the week

DRIFT_WEEKS = 8
DRIFT_RECENT_WEEKS = 2
DRIFT_RATIO = 0.30
MIN_DRIFT_KW = 0.2

LEAK_NIGHTS = 7
NIGHT_HOURS = (1, 2, 3, 4)  # local hours 01:00–05:00: nobody draws water
MIN_LEAK_M3H = 0.002

COLD_MONTHS = (11, 12, 1, 2, 3)
OVERHEAT_TOLERANCE_C = 1.0
MIN_COLD_HOURS = 48

WINDOW_TEMP_DROP_C_H = 1.5
WINDOW_CO2_DROP_PPM_H = 300.0
MAX_PAIR_S = 2 * 3600  # two readings further apart say nothing of an opening
MIN_WINDOW_HOURS = 2.0


def closed_hours(occupied: np.ndarray, margin: int = OCCUPANCY_MARGIN_H) -> np.ndarray:
    """Hours at least ``margin`` hours away from any occupied hour."""
    near = occupied.astype(bool).copy()
    for k in range(1, margin + 1):
        near[k:] |= occupied[:-k]
        near[:-k] |= occupied[k:]
    return ~near


@dataclass(frozen=True)
class OffHours:
    baseload_kw: float
    closed_hours: int  # closed hours of the week (measured or not)
    measured_hours: int
    closed_kwh: float  # use of the week's closed hours, scaled to all of them
    excess_kwh: float  # above the baseload, scaled likewise
    night_share: float  # share of the excess between 22:00 and 06:00 local
    flagged: bool


def off_hours_use(use: np.ndarray, closed: np.ndarray, local_hour: np.ndarray
                  ) -> OffHours | None:
    """``use`` per hour over ``BASELOAD_DAYS`` days (the analysed week last), ``closed``
    and ``local_hour`` aligned with it; None when too little is measured."""
    measured = ~np.isnan(use)
    history = use[closed & measured]
    week = np.zeros(len(use), dtype=bool)
    week[-WEEK_H:] = True
    sel = week & closed & measured
    if len(history) < 2 * MIN_CLOSED_HOURS or sel.sum() < MIN_CLOSED_HOURS:
        return None
    base = float(np.quantile(history, BASELOAD_QUANTILE))
    total_closed = int((week & closed).sum())
    scale = total_closed / int(sel.sum())
    above = use[sel] - base
    excess = float(above.sum()) * scale
    night = np.isin(local_hour[sel], (22, 23, 0, 1, 2, 3, 4, 5))
    positive = np.clip(above, 0, None)
    night_share = float(positive[night].sum() / positive.sum()) if positive.sum() > 0 else 0.0
    flagged = excess >= max(MIN_EXCESS_KWH, EXCESS_RATIO * base * total_closed)
    return OffHours(base, total_closed, int(sel.sum()), float(use[sel].sum()) * scale,
                    excess, night_share, flagged)


@dataclass(frozen=True)
class Drift:
    weekly_kw: list[float | None]  # baseload of each week, oldest first
    before_kw: float
    recent_kw: float
    flagged: bool

    @property
    def extra_kwh_per_week(self) -> float:
        return (self.recent_kw - self.before_kw) * WEEK_H


def baseload_drift(use: np.ndarray, closed: np.ndarray) -> Drift | None:
    """``use`` and ``closed`` per hour over ``DRIFT_WEEKS`` weeks (oldest first)."""
    weekly: list[float | None] = []
    for w in range(DRIFT_WEEKS):
        part = slice(len(use) - (DRIFT_WEEKS - w) * WEEK_H, len(use) - (DRIFT_WEEKS - w - 1)
                     * WEEK_H)
        values = use[part][closed[part] & ~np.isnan(use[part])]
        weekly.append(float(np.quantile(values, BASELOAD_QUANTILE))
                      if len(values) >= MIN_CLOSED_HOURS else None)
    recent = [v for v in weekly[-DRIFT_RECENT_WEEKS:] if v is not None]
    before = [v for v in weekly[:-DRIFT_RECENT_WEEKS] if v is not None]
    if len(recent) < DRIFT_RECENT_WEEKS or len(before) < (DRIFT_WEEKS - DRIFT_RECENT_WEEKS) // 2:
        return None
    r, b = float(np.median(recent)), float(np.median(before))
    return Drift(weekly, b, r, r >= b * (1 + DRIFT_RATIO) and r - b >= MIN_DRIFT_KW)


@dataclass(frozen=True)
class NightWater:
    minima_m3h: list[float]  # each night's minimum, oldest first
    leak_m3h: float
    flagged: bool

    @property
    def m3_per_week(self) -> float:
        return self.leak_m3h * WEEK_H


def night_water(use_m3: np.ndarray, closed: np.ndarray, local_hour: np.ndarray,
                local_day: np.ndarray) -> NightWater | None:
    """Night minima of the last ``LEAK_NIGHTS`` nights of hourly water use (m³); None when
    one of them has no measured closed night hour."""
    sel = closed & np.isin(local_hour, NIGHT_HOURS) & ~np.isnan(use_m3)
    days = np.unique(local_day[np.isin(local_hour, NIGHT_HOURS)])[-LEAK_NIGHTS:]
    if len(days) < LEAK_NIGHTS:
        return None
    minima = []
    for day in days:
        values = use_m3[sel & (local_day == day)]
        if len(values) == 0:
            return None
        minima.append(float(values.min()))
    leak = float(np.median(minima))
    return NightWater(minima, leak, min(minima) >= MIN_LEAK_M3H)


@dataclass(frozen=True)
class Overheat:
    cold_hours: int
    occupied_mean_c: float | None
    unoccupied_mean_c: float | None
    mean_excess_c: float  # degrees above the setpoint of each hour, averaged over the hours
    occupied_flagged: bool
    unoccupied_flagged: bool

    @property
    def flagged(self) -> bool:
        return self.occupied_flagged or self.unoccupied_flagged


def overheating(temp_c: np.ndarray, occupied: np.ndarray, cold: np.ndarray,
                setpoint_occupied: float, setpoint_unoccupied: float) -> Overheat | None:
    """Hourly mean room temperature of a building against its setpoints."""
    h = cold & ~np.isnan(temp_c)
    if h.sum() < MIN_COLD_HOURS:
        return None
    setpoint = np.where(occupied, setpoint_occupied, setpoint_unoccupied)
    excess = float(np.clip(temp_c[h] - setpoint[h], 0, None).mean())
    occ, unocc = h & occupied, h & ~occupied
    occ_mean = float(temp_c[occ].mean()) if occ.sum() >= 6 else None
    unocc_mean = float(temp_c[unocc].mean()) if unocc.sum() >= 24 else None
    return Overheat(
        int(h.sum()), occ_mean, unocc_mean, excess,
        occ_mean is not None and occ_mean > setpoint_occupied + OVERHEAT_TOLERANCE_C,
        unocc_mean is not None and unocc_mean > setpoint_unoccupied + OVERHEAT_TOLERANCE_C)


@dataclass(frozen=True)
class Openings:
    intervals: int
    open_hours: float
    first_ms: int | None
    flagged: bool


def window_openings(t_ms: np.ndarray, temp_c: np.ndarray, co2_t_ms: np.ndarray,
                    co2_ppm: np.ndarray, occupied: np.ndarray, cold: np.ndarray) -> Openings:
    """Intervals between consecutive temperature readings (``occupied`` and ``cold``: one
    bool per reading, true at both ends) where temperature and CO2 (interpolated at the
    temperature's times) fall together."""
    if len(t_ms) < 2 or len(co2_t_ms) < 2:
        return Openings(0, 0.0, None, False)
    co2 = np.interp(t_ms, co2_t_ms, co2_ppm, left=np.nan, right=np.nan)
    dt_h = np.diff(t_ms) / 3_600_000
    ok = (dt_h > 0) & (dt_h <= MAX_PAIR_S / 3600) & occupied[:-1] & occupied[1:] \
        & cold[:-1] & cold[1:]
    with np.errstate(invalid="ignore", divide="ignore"):
        dtemp = np.diff(temp_c) / dt_h
        dco2 = np.diff(co2) / dt_h
    hit = ok & (dtemp <= -WINDOW_TEMP_DROP_C_H) & (dco2 <= -WINDOW_CO2_DROP_PPM_H)
    hours = float(dt_h[hit].sum())
    first = int(t_ms[:-1][hit][0]) if hit.any() else None
    return Openings(int(hit.sum()), hours, first, hours >= MIN_WINDOW_HOURS)
