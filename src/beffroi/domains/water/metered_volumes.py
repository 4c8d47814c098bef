"""Volumes measured by meters over a period, read from the daily rollups.

A meter's volume over [start, end) comes from its index (``water.volume``): the daily
last readings, preceded by the last reading before the period (or the first reading of
the period), turned into volumes by ``counters.volume_deltas`` (roll-overs and meter
resets handled). A meter with no index but a flow (``water.flow``, m³/h) is integrated
from its hourly means. Days are the tenant's local days, as the rollups are.

A meter counts only when its data cover at least ``MIN_COVERAGE`` of the period:
a volume over half a year is not a yearly volume.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
from sqlalchemy import Connection, select

from ...core.access import TenantScope
from ...core.clock import DAY_MS, HOUR_MS
from ...storage import schema
from .counters import volume_deltas

MIN_COVERAGE = 0.9
BASELINE_LOOKBACK_MS = 7 * DAY_MS  # how far before the period a last index may be


@dataclass(frozen=True)
class MeterVolume:
    asset_id: int
    volume_m3: float | None  # None when the coverage is too low or there is no stream
    coverage: float  # share of the period's days (or hours) with data
    source: str  # "index", "flow" or "none"


def _index_volume(rows: list[tuple[int, float, float]], start: int, end: int
                  ) -> tuple[float, float]:
    """(volume, coverage) from daily (bucket, first, last) rows sorted by bucket."""
    before = [r for r in rows if r[0] < start]
    inside = [r for r in rows if start <= r[0] < end]
    if not inside:
        return 0.0, 0.0
    if before:
        t = [before[-1][0]] + [r[0] for r in inside]
        index = [before[-1][2]] + [r[2] for r in inside]
    else:
        t = [inside[0][0]] + [r[0] for r in inside]
        index = [inside[0][1]] + [r[2] for r in inside]
    volume = float(np.sum(volume_deltas(np.asarray(t, dtype=np.float64),
                                        np.asarray(index, dtype=np.float64))))
    return volume, len(inside) / max(1, round((end - start) / DAY_MS))


def meter_volumes(scope: TenantScope, conn: Connection, asset_ids: Iterable[int],
                  start: int, end: int) -> dict[int, MeterVolume]:
    """Volume of each meter over [start, end) (epoch ms, local midnights)."""
    ids = sorted(set(asset_ids))
    if not ids:
        return {}
    s = schema.streams
    streams: dict[int, dict[str, int]] = defaultdict(dict)
    for sid, asset_id, metric in conn.execute(
            select(s.c.id, s.c.asset_id, s.c.metric).where(
                scope.owns(s), s.c.asset_id.in_(ids),
                s.c.metric.in_(("water.volume", "water.flow")))):
        streams[asset_id][metric] = sid
    index_ids = [m["water.volume"] for m in streams.values() if "water.volume" in m]
    flow_ids = [m["water.flow"] for m in streams.values()
                if "water.flow" in m and "water.volume" not in m]
    daily: dict[int, list] = defaultdict(list)
    if index_ids:
        d = schema.rollups_daily
        for sid, bucket, first, last in conn.execute(
                select(d.c.stream_id, d.c.bucket, d.c.first, d.c.last).where(
                    scope.owns(d), d.c.stream_id.in_(index_ids),
                    d.c.bucket >= start - BASELINE_LOOKBACK_MS, d.c.bucket < end)
                .order_by(d.c.stream_id, d.c.bucket)):
            daily[sid].append((bucket, first, last))
    hourly: dict[int, tuple[float, int]] = {}
    if flow_ids:
        h = schema.rollups_hourly
        totals: dict[int, list[float]] = defaultdict(lambda: [0.0, 0])
        for sid, total, count in conn.execute(
                select(h.c.stream_id, h.c.sum, h.c.count).where(
                    scope.owns(h), h.c.stream_id.in_(flow_ids), h.c.bucket >= start,
                    h.c.bucket < end)):
            totals[sid][0] += total / count  # mean flow of the hour (m³/h) × 1 h
            totals[sid][1] += 1
        hourly = {sid: (v[0], v[1]) for sid, v in totals.items()}
    out = {}
    hours = max(1, round((end - start) / HOUR_MS))
    for asset_id in ids:
        metrics = streams.get(asset_id, {})
        if "water.volume" in metrics:
            volume, coverage = _index_volume(daily.get(metrics["water.volume"], []), start, end)
            source = "index"
        elif "water.flow" in metrics:
            volume, n = hourly.get(metrics["water.flow"], (0.0, 0))
            coverage, source = n / hours, "flow"
        else:
            out[asset_id] = MeterVolume(asset_id, None, 0.0, "none")
            continue
        coverage = min(1.0, coverage)
        out[asset_id] = MeterVolume(asset_id, volume if coverage >= MIN_COVERAGE else None,
                                    coverage, source)
    return out
