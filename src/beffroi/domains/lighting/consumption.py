"""Expected consumption of a cabinet: its luminaires × its programme, day by day.

The model (plain functions, no database):

- **power drawn at full output** of a luminaire = its ``power_w`` × a ballast factor by
  lamp type (``BALLAST_FACTOR``): 1.0 for LED (the power of an LED luminaire is the
  system power, driver included), 1.15 for discharge and fluorescent lamps, whose
  ``power_w`` is the lamp's and whose magnetic ballast adds losses (commonly 10 to 20 %
  of the lamp power; 1.15 is the value the demo inventory uses for the connected power).
  An unknown lamp type counts as a discharge lamp.
- **power at a dimmed level** (``power_share``): an LED driver draws power nearly in
  proportion to its output, so share = level / 100; a discharge lamp dimmed by a
  bi-power ballast or a voltage regulator loses less power than light, modelled as
  share = 0.2 + 0.8 × level / 100 (50 % of the light for 60 % of the power; an
  assumption, to refine with measurements). Level 0 draws nothing.
- **hours at each level** come from the cabinet's programme (``programmes.night_plan``,
  the very plans ``burn_hours`` adds up) at the cabinet's position, split at local
  midnight (Europe/Paris) so that they line up with the meters' daily readings.
- a cabinet without luminaires in the inventory falls back on its ``connected_power_kw``
  (already the power drawn, losses included), proportional to the level.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from typing import Any

import numpy as np

from ...core.clock import PARIS
from .inventory_values import as_number
from .programmes import Programme, night_plan

BALLAST_FACTOR = {"led": 1.0, "sodium_hp": 1.15, "sodium_lp": 1.15, "metal_halide": 1.15,
                  "mercury": 1.15, "fluorescent": 1.15}
DEFAULT_BALLAST = 1.15
DISCHARGE_FLOOR = 0.2  # share of the full power a discharge lamp still draws near level 0
# Positions are rounded to 0.1° for energy: sun events move by under 30 s (0.1° of
# longitude is 24 s; of latitude, well under a minute of night length in winter at 48° N),
# i.e. < 0.1 % of a night, and the cabinets of a whole intercommunality share a handful of
# computations.
ENERGY_GRID_DEG = 0.1


def ballast_factor(lamp_type: str | None) -> float:
    return BALLAST_FACTOR.get(lamp_type or "", DEFAULT_BALLAST)


def power_share(lamp_type: str | None, level: float) -> float:
    """Share of the full power drawn at ``level`` (0–100)."""
    if level <= 0:
        return 0.0
    x = min(level, 100) / 100
    return x if lamp_type == "led" else DISCHARGE_FLOOR + (1 - DISCHARGE_FLOOR) * x


@dataclass(frozen=True)
class CabinetLoad:
    """Full power (kW, losses included) of a cabinet's luminaires, by lamp type; or its
    connected power when the inventory lists no luminaire."""

    by_type: tuple[tuple[str, float], ...]
    connected_kw: float = 0.0

    @property
    def luminaires_listed(self) -> bool:
        return bool(self.by_type)

    @property
    def full_kw(self) -> float:
        return sum(kw for _, kw in self.by_type) if self.by_type else self.connected_kw

    def kw(self, level: float) -> float:
        """Power drawn (kW) when the programme sets ``level``."""
        if not self.by_type:
            return self.connected_kw * max(0.0, min(level, 100)) / 100
        return sum(kw * power_share(lamp, level) for lamp, kw in self.by_type)

    def kw_at(self, levels: np.ndarray) -> np.ndarray:
        """Vectorised ``kw`` over an array of levels."""
        out = np.zeros(len(levels))
        for level in np.unique(levels):
            out[levels == level] = self.kw(float(level))
        return out


def luminaire_kw(props: Mapping[str, Any]) -> float:
    """Full power drawn by one luminaire (kW, ballast included); 0 when unknown."""
    watts = as_number(props.get("power_w")) or 0.0
    return watts * ballast_factor(props.get("lamp_type")) / 1000


def cabinet_load(props: Mapping[str, Any], luminaires: Iterable[Mapping[str, Any]]) -> CabinetLoad:
    """The load of a cabinet from its luminaires' properties (``lamp_type``, ``power_w``)."""
    by_type: dict[str, float] = {}
    for lum in luminaires:
        kw = luminaire_kw(lum)
        if kw > 0:
            lamp = str(lum.get("lamp_type") or "unknown")
            by_type[lamp] = by_type.get(lamp, 0.0) + kw
    connected = as_number(props.get("connected_power_kw")) or 0.0
    return CabinetLoad(tuple(sorted(by_type.items())), connected)


@lru_cache(maxsize=1024)
def _year_hours(programme: Programme, lat: float, lon: float, year: int
                ) -> dict[date, dict[int, float]]:
    """Hours at each level on each local day of ``year`` (see ``daily_hours``)."""
    first, last = date(year, 1, 1), date(year, 12, 31)
    days: dict[date, dict[int, float]] = {}

    def add(day: date, level: int, ms: float) -> None:
        if first <= day <= last and ms > 0:
            hours = days.setdefault(day, {})
            hours[level] = hours.get(level, 0.0) + ms / 3_600_000

    night = first - timedelta(days=1)
    while night <= last:
        midnight = datetime.combine(night + timedelta(days=1), time(0), PARIS).timestamp() * 1000
        plan = night_plan(programme, night, lat, lon)
        for (t0, level), (t1, _) in zip(plan, plan[1:], strict=False):
            if level:
                add(night, level, min(t1, midnight) - t0)
                add(night + timedelta(days=1), level, t1 - max(t0, midnight))
        night += timedelta(days=1)
    return days


def _snap(x: float) -> float:
    return round(round(x / ENERGY_GRID_DEG) * ENERGY_GRID_DEG, 6)


def daily_hours(programme: Programme, lat: float, lon: float, first: date, last: date
                ) -> dict[date, dict[int, float]]:
    """Hours at each level (> 0) on each local day from ``first`` to ``last``: the evening
    of the night of that day and the morning of the night before. Days without light are
    absent. Positions are rounded to ``ENERGY_GRID_DEG``; whole years are computed once
    and cached (the values are shared: read only)."""
    out: dict[date, dict[int, float]] = {}
    for year in range(first.year, last.year + 1):
        for day, hours in _year_hours(programme, _snap(lat), _snap(lon), year).items():
            if first <= day <= last:
                out[day] = hours
    return out


def expected_daily_kwh(load: CabinetLoad, hours: Mapping[date, Mapping[int, float]],
                       first: date, last: date) -> dict[date, float]:
    """Expected kWh of each local day from ``first`` to ``last`` (0 for unlit days)."""
    per_level: dict[int, float] = {}
    out = {}
    day = first
    while day <= last:
        total = 0.0
        for level, h in hours.get(day, {}).items():
            if level not in per_level:
                per_level[level] = load.kw(level)
            total += per_level[level] * h
        out[day] = total
        day += timedelta(days=1)
    return out


@lru_cache(maxsize=16)
def _year_days(year: int) -> tuple[date, ...]:
    first = date(year, 1, 1)
    return tuple(first + timedelta(days=i) for i in range((date(year, 12, 31) - first).days + 1))


@lru_cache(maxsize=512)
def _year_kwh(load: CabinetLoad, programme: Programme, lat: float, lon: float, year: int
              ) -> tuple[float, ...]:
    """``expected_daily_kwh`` of each day of ``year``, in order (see ``daily_kwh``)."""
    first, last = date(year, 1, 1), date(year, 12, 31)
    kwh = expected_daily_kwh(load, _year_hours(programme, lat, lon, year), first, last)
    return tuple(kwh.values())


def daily_kwh(load: CabinetLoad, programme: Programme, lat: float, lon: float, first: date,
              last: date) -> dict[date, float]:
    """``expected_daily_kwh(load, daily_hours(programme, lat, lon, first, last), first,
    last)``, from whole years computed once and kept: each day's value depends on that
    day's hours only, and a load and a programme are values (frozen), so what is kept
    never needs invalidating. A new dict each call."""
    out: dict[date, float] = {}
    for year in range(first.year, last.year + 1):
        days = _year_days(year)
        start = (max(first, days[0]) - days[0]).days
        end = (min(last, days[-1]) - days[0]).days + 1
        kwh = _year_kwh(load, programme, _snap(lat), _snap(lon), year)
        out.update(zip(days[start:end], kwh[start:end], strict=True))
    return out
