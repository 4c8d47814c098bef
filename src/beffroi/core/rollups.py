"""Hourly and daily rollups (count, min, max, sum, first, last), recomputed from raw.

Rollups are derived data: for every (stream, local day) an ingest touches, the
hours and the day are recomputed from the raw observations of that whole day (those
that count: not the « bad » ones, see quality.py),
so they stay exact whatever the arrival order or duplicates. Days are local
days of the tenant's time zone (Europe/Paris by default).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime, timedelta
from itertools import chain, repeat
from zoneinfo import ZoneInfo

import numpy as np
from sqlalchemy import Connection

from ..storage.database import Database
from .clock import HOUR_MS, midnight_ms
from .quality import BAD

_COLUMNS = "tenant_id, stream_id, bucket, count, min, max, sum, first, last"


def local_day_edges(start_ms: int, end_ms: int, tz: ZoneInfo) -> np.ndarray:
    """Local midnights (epoch ms) from the day holding ``start_ms`` to the one after ``end_ms``."""
    day = datetime.fromtimestamp(start_ms / 1000, tz).date()
    last = datetime.fromtimestamp(end_ms / 1000, tz).date()
    edges = []
    while day <= last + timedelta(days=1):
        edges.append(midnight_ms(day, tz))
        day += timedelta(days=1)
    return np.asarray(edges, dtype=np.int64)


def aggregate(v: np.ndarray, bucket_index: np.ndarray, start_of,
              prefix: tuple = ()) -> list[tuple]:
    """Aggregate time-sorted values by a sorted bucket index into rollup tuples, each
    starting with ``prefix`` (e.g. tenant and stream).

    ``start_of`` maps the array of distinct bucket indexes to bucket start times.
    """
    if len(v) == 0:
        return []
    # Where the (sorted) index changes: np.unique would sort it again, to the same result.
    starts = np.flatnonzero(np.diff(bucket_index, prepend=bucket_index[0] - 1))
    uniq = bucket_index[starts]
    ends = np.append(starts[1:], len(v))
    counts = ends - starts
    mins = np.minimum.reduceat(v, starts)
    maxs = np.maximum.reduceat(v, starts)
    sums = np.add.reduceat(v, starts)
    # zip builds each row once, in C (a generator adding the prefix to each row: twice as slow)
    return list(zip(*(repeat(p, len(uniq)) for p in prefix), start_of(uniq).tolist(),
                    counts.tolist(), mins.tolist(), maxs.tolist(), sums.tolist(),
                    v[starts].tolist(), v[ends - 1].tolist(), strict=True))


def rollup_rows(t: np.ndarray, v: np.ndarray, edges: np.ndarray, prefix: tuple = ()):
    """(hourly rows, daily rows) for sorted raw points lying within ``edges``, each row
    starting with ``prefix``."""
    hourly = aggregate(v, t // HOUR_MS, lambda hours: hours * HOUR_MS, prefix)
    day_index = np.searchsorted(edges, t, side="right") - 1
    daily = aggregate(v, day_index, lambda days: edges[days], prefix)
    return hourly, daily


def _upsert_sql(db: Database, table: str, merge: bool) -> str:
    """Upsert of rollup rows: a stored bucket is replaced, or with ``merge`` (rows of points
    all later than those stored) takes the new points in: counts and sums added, extremes
    compared, first kept, last new."""
    ph = ", ".join(["?" if db.is_sqlite else "%s"] * 9)
    if merge:
        least, greatest = ("min", "max") if db.is_sqlite else ("LEAST", "GREATEST")
        update = (f"count = {table}.count + excluded.count, "
                  f"min = {least}({table}.min, excluded.min), "
                  f"max = {greatest}({table}.max, excluded.max), "
                  f"sum = {table}.sum + excluded.sum, last = excluded.last")
    else:
        update = ("count = excluded.count, min = excluded.min, max = excluded.max, "
                  "sum = excluded.sum, first = excluded.first, last = excluded.last")
    return (f"INSERT INTO {table} ({_COLUMNS}) VALUES ({ph}) "
            f"ON CONFLICT (tenant_id, stream_id, bucket) DO UPDATE SET {update}")


def write_rollups(db: Database, conn: Connection, hourly: list[tuple], daily: list[tuple],
                  *, merge: bool = False) -> None:
    """Upsert (tenant, stream, bucket, count, min, max, sum, first, last) rows."""
    if hourly:
        conn.exec_driver_sql(_upsert_sql(db, "rollups_hourly", merge), hourly)
    if daily:
        conn.exec_driver_sql(_upsert_sql(db, "rollups_daily", merge), daily)


def refresh(db: Database, conn: Connection, tenant_id: int, tz: ZoneInfo,
            spans: dict[int, tuple[int, int]]) -> None:
    """Recompute rollups of the local days covering each stream's (min t, max t) span.

    Streams whose spans cover the same days are read back in one query.
    """
    groups: dict[tuple[int, int], list[int]] = defaultdict(list)
    edges_by_group: dict[tuple[int, int], np.ndarray] = {}
    for stream_id, (lo, hi) in spans.items():
        edges = local_day_edges(lo, hi, tz)
        key = (int(edges[0]), int(edges[-1]))
        groups[key].append(stream_id)
        edges_by_group[key] = edges
    ph = "?" if db.is_sqlite else "%s"
    hourly_rows: list[tuple] = []
    daily_rows: list[tuple] = []
    for (lo, hi), stream_ids in groups.items():
        rows = _read_raw(conn, ph, tenant_id, stream_ids, lo, hi)
        if not len(rows):
            continue
        sid = rows[:, 0].astype(np.int64)
        t = rows[:, 1].astype(np.int64)
        v = rows[:, 2]
        cuts = np.flatnonzero(np.diff(sid)) + 1
        for chunk_s, chunk_t, chunk_v in zip(np.split(sid, cuts), np.split(t, cuts),
                                             np.split(v, cuts), strict=True):
            hourly, daily = rollup_rows(chunk_t, chunk_v, edges_by_group[(lo, hi)],
                                        (tenant_id, int(chunk_s[0])))
            hourly_rows += hourly
            daily_rows += daily
    write_rollups(db, conn, hourly_rows, daily_rows)  # one statement per table


def _read_raw(conn: Connection, ph: str, tenant_id: int, stream_ids: Iterable[int],
              lo: int, hi: int) -> np.ndarray:
    ids = list(stream_ids)
    marks = ", ".join([ph] * len(ids))
    cursor = conn.connection.dbapi_connection.cursor()  # plain tuples: fast into numpy
    try:
        cursor.execute(
            f"SELECT stream_id, t, value FROM observations WHERE tenant_id = {ph} "
            f"AND stream_id IN ({marks}) AND t >= {ph} AND t < {ph} AND quality < {ph} "
            "ORDER BY stream_id, t",
            (tenant_id, *ids, lo, hi, BAD),
        )
        result = cursor.fetchall()
    finally:
        cursor.close()
    flat = chain.from_iterable(result)  # fromiter: twice as fast as asarray on tuples
    return np.fromiter(flat, dtype=np.float64, count=3 * len(result)).reshape(-1, 3)


def append(db: Database, conn: Connection, tenant_id: int, tz: ZoneInfo,
           series: dict[int, tuple[np.ndarray, np.ndarray]]) -> None:
    """Update rollups for points that all come after each stream's previous last time.

    The live case (and a forward backfill): the new points are aggregated alone and
    merged into the stored hour and day that already hold earlier points, so no
    raw data is read back. ``series`` holds each stream's sorted times and values.
    """
    if not series:
        return
    lo = min(t[0] for t, _ in series.values())
    hi = max(t[-1] for t, _ in series.values())
    edges = local_day_edges(int(lo), int(hi), tz)
    hourly_rows: list[tuple] = []
    daily_rows: list[tuple] = []
    for sid, (t, v) in series.items():
        hourly, daily = rollup_rows(t, v, edges, (tenant_id, sid))
        hourly_rows += hourly
        daily_rows += daily
    # Only the hour and the day holding a stream's previous last point can be stored
    # already: the upsert merges the new points into them, the database doing the read.
    write_rollups(db, conn, hourly_rows, daily_rows, merge=True)


def rebuild_daily(db: Database, conn: Connection, tenant_id: int, tz: ZoneInfo) -> int:
    """Rebuild a tenant's daily rollups from its hourly ones, e.g. after a time-zone change.

    Works from the hourly rollups because raw data may already have been purged;
    exact for time zones whose offset is a whole number of hours (all of metropolitan
    France and nearly all overseas territories). Returns the number of daily rows.
    """
    ph = "?" if db.is_sqlite else "%s"
    cursor = conn.connection.dbapi_connection.cursor()
    try:
        cursor.execute(f"SELECT stream_id, bucket, count, min, max, sum, first, last "
                       f"FROM rollups_hourly WHERE tenant_id = {ph} ORDER BY stream_id, bucket",
                       (tenant_id,))
        hours = cursor.fetchall()
    finally:
        cursor.close()
    conn.exec_driver_sql(f"DELETE FROM rollups_daily WHERE tenant_id = {ph}", (tenant_id,))
    if not hours:
        return 0
    data = np.array(hours, dtype=np.float64)
    edges = local_day_edges(int(data[:, 1].min()), int(data[:, 1].max()), tz)
    rows: list[tuple] = []
    cuts = np.flatnonzero(np.diff(data[:, 0])) + 1
    for chunk in np.split(data, cuts):
        day = np.searchsorted(edges, chunk[:, 1].astype(np.int64), side="right") - 1
        uniq, starts = np.unique(day, return_index=True)
        ends = np.append(starts[1:], len(day)) - 1
        rows += zip([tenant_id] * len(uniq), [int(chunk[0, 0])] * len(uniq),
                    edges[uniq].tolist(),
                    np.add.reduceat(chunk[:, 2], starts).astype(np.int64).tolist(),
                    np.minimum.reduceat(chunk[:, 3], starts).tolist(),
                    np.maximum.reduceat(chunk[:, 4], starts).tolist(),
                    np.add.reduceat(chunk[:, 5], starts).tolist(),
                    chunk[starts, 6].tolist(), chunk[ends, 7].tolist(), strict=True)
    write_rollups(db, conn, [], rows)
    return len(rows)
