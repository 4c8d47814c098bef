"""Measured consumption of cabinets, day by day, from their energy counters.

A cabinet's meter is its ``energy.active_import`` stream (a counter, kWh). As on the
asset page ("consumption per step"), the consumption of a local day is the difference
between the last reading of that day and the last reading before it, both read from
core's daily rollups (``rollups_daily.last``, days in the tenant's time zone). Then:

- a day without reading is not measured; the next reading's difference covers the whole
  gap, and is spread over the days of the gap in proportion to their expected
  consumption (evenly when none is expected), up to ``MAX_GAP_DAYS``;
- a negative difference (meter replaced or reset) is no consumption: the days it covers
  stay unmeasured;
- the first reading ever has nothing before it: its day is not measured.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime, timedelta
from itertools import chain
from zoneinfo import ZoneInfo

import numpy as np
from sqlalchemy import Connection, select

from ...core.clock import midnight_ms
from ...storage import schema

MAX_GAP_DAYS = 31


def readings_window(first: date, last: date, tz: ZoneInfo) -> tuple[int, int]:
    """[lo, hi) in epoch ms of the daily rollups ``daily_readings`` reads."""
    return (midnight_ms(first - timedelta(days=MAX_GAP_DAYS), tz),
            midnight_ms(last + timedelta(days=1), tz))


def read_rollups(conn: Connection, tenant_id: int, stream_ids: Iterable[int], first: date,
                 last: date, tz: ZoneInfo) -> np.ndarray:
    """The daily rollups ``daily_readings`` reads: (stream, bucket, last counter reading)
    rows by stream and bucket, as an (n, 3) array (ids and times are exact in float64)."""
    ids = sorted(set(stream_ids))
    r = schema.rollups_daily
    lo, hi = readings_window(first, last, tz)
    parts = [np.zeros((0, 3))]
    for chunk in (ids[i:i + 500] for i in range(0, len(ids), 500)):
        rows = conn.execute(select(r.c.stream_id, r.c.bucket, r.c.last).where(
            r.c.tenant_id == tenant_id, r.c.stream_id.in_(chunk), r.c.bucket >= lo,
            r.c.bucket < hi).order_by(r.c.stream_id, r.c.bucket))
        parts.append(np.fromiter(chain.from_iterable(rows), dtype=np.float64).reshape(-1, 3))
    return np.concatenate(parts)


def readings_of(rollups: np.ndarray, stream_ids: Iterable[int], tz: ZoneInfo
                ) -> dict[int, list[tuple[date, float]]]:
    """[(local day, last counter reading of the day)] of each of ``stream_ids`` from rows of
    ``read_rollups`` (which may hold other streams too)."""
    out: dict[int, list[tuple[date, float]]] = {sid: [] for sid in sorted(set(stream_ids))}
    days: dict[float, date] = {}  # every stream has the same buckets: convert each once
    for sid, bucket, value in rollups.tolist():
        readings = out.get(int(sid))
        if readings is None:
            continue
        day = days.get(bucket)
        if day is None:
            day = days[bucket] = datetime.fromtimestamp(bucket / 1000, tz).date()
        readings.append((day, value))
    return out


def daily_readings(conn: Connection, tenant_id: int, stream_ids: Iterable[int], first: date,
                   last: date, tz: ZoneInfo) -> dict[int, list[tuple[date, float]]]:
    """[(local day, last counter reading of the day)] per stream, from ``MAX_GAP_DAYS``
    before ``first`` to ``last``."""
    ids = sorted(set(stream_ids))
    if not ids:
        return {}
    return readings_of(read_rollups(conn, tenant_id, ids, first, last, tz), ids, tz)


def daily_consumption(readings: list[tuple[date, float]], first: date, last: date,
                      weights: Mapping[date, float] | None = None) -> dict[date, float]:
    """Measured kWh of the days from ``first`` to ``last`` that readings cover."""
    out: dict[date, float] = {}
    weights = weights or {}
    for (d0, v0), (d1, v1) in zip(readings, readings[1:], strict=False):
        span = (d1 - d0).days
        delta = v1 - v0
        if span < 1 or span > MAX_GAP_DAYS or delta < 0 or d1 < first:
            continue
        if span == 1:  # the usual case: the whole difference is that day's (share 1)
            if d1 <= last:
                out[d1] = delta
            continue
        days = [d0 + timedelta(days=i) for i in range(1, span + 1)]
        w = [max(weights.get(d, 0.0), 0.0) for d in days]
        total = sum(w)
        shares = [x / total for x in w] if total > 0 else [1 / span] * span
        for d, share in zip(days, shares, strict=True):
            if first <= d <= last:
                out[d] = delta * share
    return out
