"""What a building consumed hour by hour, per energy, from its index counters.

A building's counters are its own ``energy.active_import`` (electricity) and
``water.volume`` streams, and the index streams of its ``buildings.meter`` children
(``kinds.ENERGY_METRIC``: electricity, gas, heat network, water; PV production is not a
consumption and is left out). Several counters of one energy add up.

The use of an hour is the sum of the increments between consecutive readings whose interval
starts in that hour (hourly readings at HH:00 give the hour HH:00–HH+1:00). An interval
longer than ``MAX_INTERVAL_S`` is not spread over the hours it spans (they stay
unmeasured); an hour whose intervals cover less than ``MIN_COVERAGE`` of it is unmeasured
(NaN), one covered at least that much is scaled to the whole hour. A negative increment is
a roll-over when the meter's ``rollover`` index is known (the increment plus that index),
else a meter change or reset: that interval is unmeasured.

Gas meters count m³: converted to kWh with the meter's ``kwh_per_unit`` (the conversion
coefficient of the gas bill), else ``GAS_KWH_PER_M3``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import orjson
from sqlalchemy import Connection, and_, select

from ...core.series import stream_arrays
from ...storage import schema
from .kinds import ENERGY_METRIC

HOUR_MS = 3_600_000
MAX_INTERVAL_S = 2 * 3600
MIN_COVERAGE = 0.75
# Conversion coefficient of a French gas bill (PCS × pressure/altitude correction): about
# 11 kWh per m³ (GRDF invoices show 10.5 to 11.5) — an order of magnitude « à vérifier »,
# replaced by the meter's own ``kwh_per_unit``.
GAS_KWH_PER_M3 = 11.2
# Building streams counted without a meter asset: metric -> energy.
BUILDING_COUNTERS = {"energy.active_import": "electricite", "water.volume": "eau"}
CONSUMED = ("electricite", "gaz", "reseau_chaleur", "eau")


@dataclass(frozen=True)
class Counter:
    """One index stream of a building: its energy, unit factor to kWh (m³ for water) and
    roll-over index."""

    stream_id: int
    energy: str
    factor: float = 1.0
    rollover: float | None = None


def building_counters(conn: Connection, tenant_id: int, building_ids: Iterable[int]
                      ) -> dict[int, list[Counter]]:
    """The consumption counters of each building (its own streams and its meters')."""
    ids = sorted(set(building_ids))
    out: dict[int, list[Counter]] = {bid: [] for bid in ids}
    if not ids:
        return out
    a, s = schema.assets, schema.streams
    for sid, asset_id, metric in conn.execute(select(s.c.id, s.c.asset_id, s.c.metric).where(
            s.c.tenant_id == tenant_id, s.c.asset_id.in_(ids),
            s.c.metric.in_(tuple(BUILDING_COUNTERS))).order_by(s.c.id)):
        out[asset_id].append(Counter(sid, BUILDING_COUNTERS[metric]))
    for row in conn.execute(
            select(a.c.parent_id, a.c.properties, s.c.id.label("sid"), s.c.metric)
            .join(s, and_(s.c.tenant_id == a.c.tenant_id, s.c.asset_id == a.c.id))
            .where(a.c.tenant_id == tenant_id, a.c.kind == "buildings.meter",
                   a.c.parent_id.in_(ids)).order_by(s.c.id)):
        props = orjson.loads(row.properties or "{}")
        energy = props.get("energy")
        if energy not in CONSUMED or ENERGY_METRIC.get(energy) != row.metric:
            continue
        factor = 1.0
        if energy == "gaz":
            factor = float(props.get("kwh_per_unit") or GAS_KWH_PER_M3)
        rollover = props.get("rollover")
        out[row.parent_id].append(Counter(row.sid, energy, factor,
                                          float(rollover) if rollover else None))
    return out


def hourly_increments(t_ms: np.ndarray, index: np.ndarray, start_ms: int, hours: int,
                      rollover: float | None = None) -> np.ndarray:
    """Use per hour from ``start_ms`` (whole hours), NaN where unmeasured (module doc)."""
    use = np.zeros(hours)
    covered = np.zeros(hours)
    if len(t_ms) >= 2:
        dt = np.diff(t_ms) / 1000
        inc = np.diff(index)
        if rollover:
            inc = np.where(inc < 0, inc + rollover, inc)
        ok = (dt > 0) & (dt <= MAX_INTERVAL_S) & (inc >= 0)
        slot = (t_ms[:-1] - start_ms) // HOUR_MS
        ok &= (slot >= 0) & (slot < hours)
        np.add.at(use, slot[ok].astype(np.int64), inc[ok])
        np.add.at(covered, slot[ok].astype(np.int64), np.minimum(dt[ok], 3600) / 3600)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(covered >= MIN_COVERAGE, use / np.maximum(covered, 1e-9), np.nan)


def hourly_use(conn: Connection, tenant_id: int, counters: list[Counter], start_ms: int,
               hours: int) -> dict[str, np.ndarray]:
    """Use per hour and energy (kWh; m³ for "eau") over ``hours`` hours from ``start_ms``;
    an hour is measured for an energy when every counter of that energy measured it."""
    out: dict[str, np.ndarray] = {}
    end_ms = start_ms + hours * HOUR_MS
    for counter in counters:
        t_ms, index = stream_arrays(conn, tenant_id, counter.stream_id, start_ms, end_ms)
        use = hourly_increments(t_ms, index, start_ms, hours, counter.rollover) * counter.factor
        out[counter.energy] = out[counter.energy] + use if counter.energy in out else use
    return out


def series(conn: Connection, tenant_id: int, stream_id: int, since: int, until: int
           ) -> tuple[np.ndarray, np.ndarray]:
    """(times ms, values) of a gauge stream (room temperature, CO2)."""
    return stream_arrays(conn, tenant_id, stream_id, since, until)
