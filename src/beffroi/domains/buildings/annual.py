"""Consumption of a public building per year and per energy (kWh), each with its source.

Two sources, per energy and year:

- **« saisi »** (entered): the building's ``annual_energy`` property,
  ``{"2023": {"electricite_kwh": 41000, "gaz_kwh": 98000}, ...}``, typed from the
  invoices. When present for an energy and a year, **the entry is authoritative**: an
  invoice covers the whole year and every supply point, where a meter may have missed
  days or not be connected to every supply. The measured figure is still reported next to
  it (``measured_kwh``, ``coverage``) so that a gap between the two shows.
- **« mesuré »** (measured): the sum of the building's meters, from core's daily rollups
  (local days of the tenant's time zone):
  - the building's own ``energy.active_import`` stream (electricity, kWh);
  - its ``buildings.meter`` children, each reading the stream ``ENERGY_METRIC`` gives for
    its energy: electricity (kWh), gas (``gas.volume``, m³ × the meter's
    ``kwh_per_unit``, else the tenant's ``buildings.gas_kwh_per_m3``), heat network
    (``energy.heat``, kWh). Water and PV production meters are not consumed energy and
    are left out.
  Each meter is an index counter: the last index of each day, differenced by
  ``core.counters`` (roll-over at the meter's ``rollover`` or inferred, replacement of the
  meter estimated from the neighbouring days, small back-steps kept). The quantity between
  two readings days apart is spread evenly over the days it covers (linear interpolation of
  the index), so a gap in the readings costs nothing to the yearly total; the first reading
  day of a series counts from that day's first index.
  The **coverage** of an energy is the share of the year's days measured by every one of
  its meters (a day inside a bridged gap is measured). The measured figure is the year's
  consumption only when the coverage reaches ``MIN_COVERAGE`` (90 %, as water's metered
  volumes); below, ``kwh`` stays empty rather than understate the year (nothing is
  extrapolated), and ``measured_kwh`` gives what was measured.

Energies are the décret's (``kinds.ENERGIES``: electricite, gaz, reseau_chaleur…).
"""

from __future__ import annotations

import calendar
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import numpy as np
import orjson
from sqlalchemy import Connection, and_, or_, select

from ...core.access import TenantScope
from ...core.clock import DAY_MS, local_day, midnight_ms
from ...core.counters import RESET, ROLLOVER, steps
from ...storage import schema
from .kinds import ENERGIES, ENERGY_METRIC
from .settings import GAS_KWH_PER_M3, tenant_value

BUILDING_KIND = "buildings.building"
METER_KIND = "buildings.meter"
MEASURED, ENTERED = "mesuré", "saisi"
MIN_COVERAGE = 0.9
MARGIN_DAYS = 7  # readings fetched around a period, to bridge a gap across its bounds
# Meter energies that are consumed energy, and their décret energy.
METER_ENERGY = {"electricite": "electricite", "gaz": "gaz", "reseau_chaleur": "reseau_chaleur"}
OWN_METRIC = "energy.active_import"  # a building's own electricity counter


@dataclass
class MeterDays:
    """kWh of each local day measured by one meter (the building's own stream or a
    ``buildings.meter``)."""

    asset_id: int
    ref: str
    name: str
    energy: str  # décret energy
    stream_id: int
    kwh_per_unit: float
    days: dict[date, float] = field(default_factory=dict)
    resets: list[date] = field(default_factory=list)
    rollovers: list[date] = field(default_factory=list)

    def period(self, first: date, last: date) -> tuple[float, int]:
        """(kWh, days measured) from ``first`` to ``last`` included."""
        values = [v for d, v in self.days.items() if first <= d <= last]
        return float(sum(values)), len(values)

    def public(self, first: date, last: date) -> dict[str, Any]:
        kwh, n = self.period(first, last)
        return {"asset_id": self.asset_id, "ref": self.ref, "name": self.name,
                "energy": self.energy, "kwh": round(kwh, 3),
                "coverage": round(n / ((last - first).days + 1), 4),
                "kwh_per_unit": self.kwh_per_unit,
                "resets": [d.isoformat() for d in self.resets if first <= d <= last],
                "rollovers": [d.isoformat() for d in self.rollovers if first <= d <= last]}


@dataclass(frozen=True)
class EnergyYear:
    """One energy of one building in one year."""

    energy: str
    kwh: float | None  # the year's figure: the entry, else the measure if covered enough
    source: str | None  # ENTERED, MEASURED, or None when neither gives the year
    entered_kwh: float | None
    measured_kwh: float | None  # what the meters measured (None without meter)
    coverage: float  # share of the year's days measured by all the energy's meters
    meters: tuple[dict[str, Any], ...] = ()

    def public(self) -> dict[str, Any]:
        return {"energy": self.energy, "kwh": _round(self.kwh), "source": self.source,
                "entered_kwh": _round(self.entered_kwh),
                "measured_kwh": _round(self.measured_kwh),
                "coverage": round(self.coverage, 4), "meters": list(self.meters)}


@dataclass(frozen=True)
class AnnualEnergy:
    """A building's consumption of one year, per energy."""

    building_id: int
    ref: str
    name: str
    commune: str | None
    year: int
    energies: tuple[EnergyYear, ...]

    @property
    def total_kwh(self) -> float | None:
        """Sum of the energies known for the year; None when none is."""
        known = [e.kwh for e in self.energies if e.kwh is not None]
        return float(sum(known)) if known else None

    @property
    def complete(self) -> bool:
        """Every energy of the building (entered or metered) is known for the year."""
        return bool(self.energies) and all(e.kwh is not None for e in self.energies)

    def kwh(self, energy: str) -> float | None:
        return next((e.kwh for e in self.energies if e.energy == energy), None)

    def public(self) -> dict[str, Any]:
        return {"building_id": self.building_id, "ref": self.ref, "name": self.name,
                "commune": self.commune, "year": self.year,
                "total_kwh": _round(self.total_kwh), "complete": self.complete,
                "energies": [e.public() for e in self.energies]}


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


def entered_years(properties: Mapping[str, Any]) -> dict[int, dict[str, float]]:
    """The hand entries of ``annual_energy``: {year: {energy: kWh}} (valid numbers only)."""
    stored = properties.get("annual_energy")
    out: dict[int, dict[str, float]] = {}
    if not isinstance(stored, Mapping):
        return out
    for year, figures in stored.items():
        if not (str(year).isdigit() and len(str(year)) == 4 and isinstance(figures, Mapping)):
            continue
        clean = {}
        for energy in ENERGIES:
            value = figures.get(f"{energy}_kwh")
            if isinstance(value, int | float) and not isinstance(value, bool) and value >= 0:
                clean[energy] = float(value)
        if clean:
            out[int(year)] = clean
    return out


def spread_days(rows: Iterable[tuple[date, float, float]], rollover: float | None = None,
                per_unit: float = 1.0) -> tuple[dict[date, float], list[date], list[date]]:
    """Daily quantities of an index counter from its daily (day, first, last) readings
    sorted by day: (quantity per day × ``per_unit``, days of a meter reset, days of a
    roll-over). The step between two reading days is spread evenly over the days it covers;
    the first day counts from its first index."""
    rows = list(rows)
    if not rows:
        return {}, [], []
    ordinals = [rows[0][0].toordinal() - 1] + [d.toordinal() for d, _, _ in rows]
    index = [rows[0][1]] + [last for _, _, last in rows]
    t = np.asarray(ordinals, dtype=np.float64) * DAY_MS
    found = steps(t, np.asarray(index, dtype=np.float64), rollover)
    out: dict[date, float] = {}
    resets, rolls = [], []
    for i, quantity in enumerate(found.delta):
        lo, hi = ordinals[i], ordinals[i + 1]
        share = float(quantity) * per_unit / (hi - lo)
        for o in range(lo + 1, hi + 1):
            out[date.fromordinal(o)] = share
        if found.kind[i] == RESET:
            resets.append(date.fromordinal(hi))
        elif found.kind[i] == ROLLOVER:
            rolls.append(date.fromordinal(hi))
    return out, resets, rolls


def _number(value: Any) -> float | None:
    if isinstance(value, int | float) and not isinstance(value, bool) and value > 0:
        return float(value)
    return None


def measured_days(scope: TenantScope, conn: Connection, buildings: Iterable[Any],
                  first: date, last: date) -> dict[int, list[MeterDays]]:
    """The meters of each building (asset rows) with their kWh per local day from ``first``
    to ``last`` (readings fetched ``MARGIN_DAYS`` around, so gaps across the bounds are
    spread too)."""
    rows = {b.id: b for b in buildings}
    out: dict[int, list[MeterDays]] = {bid: [] for bid in rows}
    if not rows:
        return out
    a, s = schema.assets, schema.streams
    gas_default = float(tenant_value(scope.settings, GAS_KWH_PER_M3))
    meters: list[tuple[int, MeterDays, float | None]] = []
    ids = sorted(rows)
    for chunk in (ids[i:i + 500] for i in range(0, len(ids), 500)):
        for st in conn.execute(
                select(s.c.id, s.c.asset_id, s.c.metric, a.c.id.label("aid"), a.c.ref,
                       a.c.name, a.c.kind, a.c.parent_id, a.c.properties)
                .join(a, and_(a.c.tenant_id == s.c.tenant_id, a.c.id == s.c.asset_id))
                .where(scope.owns(s), scope.asset_visible(a), or_(
                    and_(a.c.id.in_(chunk), s.c.metric == OWN_METRIC),
                    and_(a.c.kind == METER_KIND, a.c.parent_id.in_(chunk))))
                .order_by(a.c.id, s.c.id)):
            if st.kind == METER_KIND:
                props = orjson.loads(st.properties)
                energy = METER_ENERGY.get(props.get("energy"))
                if energy is None or ENERGY_METRIC.get(props["energy"]) != st.metric:
                    continue
                per_unit = _number(props.get("kwh_per_unit"))
                if per_unit is None:
                    per_unit = gas_default if energy == "gaz" else 1.0
                building, rollover = st.parent_id, _number(props.get("rollover"))
            elif st.kind == BUILDING_KIND:
                energy, per_unit, building, rollover = "electricite", 1.0, st.aid, None
            else:
                continue
            meters.append((building, MeterDays(st.aid, st.ref, st.name, energy, st.id,
                                               per_unit), rollover))
    if not meters:
        return out
    zone = scope.zone
    lo = midnight_ms(first - timedelta(days=MARGIN_DAYS), zone)
    hi = midnight_ms(last + timedelta(days=MARGIN_DAYS + 1), zone)
    d = schema.rollups_daily
    readings: dict[int, list[tuple[date, float, float]]] = defaultdict(list)
    sids = sorted({m.stream_id for _, m, _ in meters})
    for chunk in (sids[i:i + 500] for i in range(0, len(sids), 500)):
        for sid, bucket, first_v, last_v in conn.execute(
                select(d.c.stream_id, d.c.bucket, d.c.first, d.c.last).where(
                    scope.owns(d), d.c.stream_id.in_(chunk), d.c.bucket >= lo,
                    d.c.bucket < hi).order_by(d.c.stream_id, d.c.bucket)):
            if first_v is not None and last_v is not None:
                readings[sid].append((local_day(bucket, zone), float(first_v), float(last_v)))
    for building, meter, rollover in meters:
        days, resets, rolls = spread_days(readings.get(meter.stream_id, []), rollover,
                                          meter.kwh_per_unit)
        meter.days = {k: v for k, v in days.items() if first <= k <= last}
        meter.resets, meter.rollovers = resets, rolls
        out[building].append(meter)
    return out


def energy_period(meters: Iterable[MeterDays], first: date, last: date
                  ) -> dict[str, tuple[float, float]]:
    """Per energy, (kWh measured, coverage) from ``first`` to ``last``: coverage is the
    share of days measured by every meter of the energy."""
    span = (last - first).days + 1
    by_energy: dict[str, list[MeterDays]] = defaultdict(list)
    for m in meters:
        by_energy[m.energy].append(m)
    out = {}
    for energy, group in by_energy.items():
        kwh = sum(m.period(first, last)[0] for m in group)
        covered = set.intersection(*({d for d in m.days if first <= d <= last} for m in group))
        out[energy] = (float(kwh), len(covered) / span)
    return out


def year_of(row: Any, year: int, meters: list[MeterDays]) -> AnnualEnergy:
    """A building's year from its row and its measured meters (``measured_days``)."""
    first, last = date(year, 1, 1), date(year, 12, 31)
    entered = entered_years(orjson.loads(row.properties)).get(year, {})
    measured = energy_period(meters, first, last)
    energies = []
    for energy in ENERGIES:
        if energy not in entered and energy not in measured:
            continue
        m_kwh, coverage = measured.get(energy, (None, 0.0))
        if energy in entered:
            kwh, source = entered[energy], ENTERED
        elif coverage >= MIN_COVERAGE:
            kwh, source = m_kwh, MEASURED
        else:
            kwh, source = None, None
        energies.append(EnergyYear(
            energy, kwh, source, entered.get(energy), m_kwh, coverage,
            tuple(m.public(first, last) for m in meters if m.energy == energy)))
    return AnnualEnergy(row.id, row.ref, row.name, row.commune_insee, year, tuple(energies))


def building_year(scope: TenantScope, conn: Connection, building_row: Any,
                  year: int) -> AnnualEnergy:
    """A building's consumption of ``year`` per energy (row from ``scope.asset``)."""
    meters = measured_days(scope, conn, [building_row], date(year, 1, 1), date(year, 12, 31))
    return year_of(building_row, year, meters[building_row.id])


def building_years(scope: TenantScope, conn: Connection, building_row: Any,
                   years: Iterable[int]) -> dict[int, AnnualEnergy]:
    """Several years of one building, its readings read once."""
    years = sorted(set(years))
    if not years:
        return {}
    meters = measured_days(scope, conn, [building_row], date(years[0], 1, 1),
                           date(years[-1], 12, 31))[building_row.id]
    return {y: year_of(building_row, y, meters) for y in years}


def visible_buildings(scope: TenantScope, conn: Connection) -> list[Any]:
    """The buildings this scope sees (commune restriction applied), by name."""
    a = schema.assets
    return list(conn.execute(select(a).where(scope.asset_visible(), a.c.kind == BUILDING_KIND)
                             .order_by(a.c.name, a.c.id)))


def tenant_year(scope: TenantScope, conn: Connection, year: int) -> list[AnnualEnergy]:
    """The year of every building the scope sees."""
    rows = visible_buildings(scope, conn)
    meters = measured_days(scope, conn, rows, date(year, 1, 1), date(year, 12, 31))
    return [year_of(row, year, meters[row.id]) for row in rows]


def monthly_measured(meters: Iterable[MeterDays], year: int
                     ) -> list[tuple[str, float | None, float]]:
    """(``YYYY-MM``, kWh of every energy or None when a month is measured less than
    ``MIN_COVERAGE``, coverage) for each month of ``year``."""
    meters = list(meters)
    out = []
    for month in range(1, 13):
        first = date(year, month, 1)
        last = date(year, month, calendar.monthrange(year, month)[1])
        per_energy = energy_period(meters, first, last)
        if not per_energy:
            out.append((f"{year}-{month:02d}", None, 0.0))
            continue
        coverage = min(c for _, c in per_energy.values())
        kwh = sum(k for k, _ in per_energy.values())
        out.append((f"{year}-{month:02d}", kwh if coverage >= MIN_COVERAGE else None,
                    coverage))
    return out
