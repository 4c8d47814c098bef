"""Reading observations back: raw or aggregated series, and latest values."""

from __future__ import annotations

from itertools import chain
from typing import Any, Literal

import numpy as np
from sqlalchemy import Connection, func, select

from ..storage import schema
from .access import TenantScope
from .clock import format_instants
from .errors import Invalid
from .quality import BAD, QUALITY_NAMES
from .storable import as_id
from .streams import visible_streams

Step = Literal["raw", "1h", "1d"]
Agg = Literal["mean", "sum", "min", "max", "first", "last", "count"]
STEPS = ("raw", "1h", "1d")
AGGS = ("mean", "sum", "min", "max", "first", "last", "count")
MAX_RAW_POINTS = 100_000


def series(scope: TenantScope, conn: Connection, stream_id: int, start: int, end: int,
           step: str = "raw", agg: str = "mean") -> dict[str, Any]:
    """Points of one stream in [start, end): raw, or hourly/daily from the rollups."""
    scope.require("read")
    errors = []
    if step not in STEPS:
        errors.append({"field": "step", "message": "valeurs possibles : raw, 1h, 1d"})
    if agg not in AGGS:
        errors.append({"field": "agg", "message": "valeurs possibles : " + ", ".join(AGGS)})
    if end <= start:
        errors.append({"field": "to", "message": "la fin doit être postérieure au début"})
    if errors:
        raise Invalid("Paramètres de série invalides.", errors=errors)
    stream = scope.stream(conn, stream_id)
    ph = "?" if scope.db.is_sqlite else "%s"
    if step == "raw":
        rows = _fetch(
            conn,
            f"SELECT t, value, quality FROM observations WHERE tenant_id = {ph} AND stream_id = {ph} "
            f"AND t >= {ph} AND t < {ph} ORDER BY t LIMIT {MAX_RAW_POINTS + 1}",
            (scope.tenant_id, stream_id, start, end))
        if len(rows) > MAX_RAW_POINTS:
            raise Invalid(f"Plus de {MAX_RAW_POINTS} points bruts sur cette période : "
                          "utilisez step=1h ou step=1d.")
        times = format_instants([r[0] for r in rows])
        points = [[time, r[1], QUALITY_NAMES.get(r[2], "good")]
                  for time, r in zip(times, rows, strict=True)]
        columns = ["time", "value", "quality"]
    else:
        table = "rollups_hourly" if step == "1h" else "rollups_daily"
        expr = {"mean": "sum / count", "sum": "sum", "min": "min", "max": "max",
                "first": "first", "last": "last", "count": "count"}[agg]
        rows = _fetch(
            conn,
            f"SELECT bucket, {expr} FROM {table} WHERE tenant_id = {ph} AND stream_id = {ph} "
            f"AND bucket >= {ph} AND bucket < {ph} ORDER BY bucket",
            (scope.tenant_id, stream_id, start, end))
        buckets, values = zip(*rows, strict=True) if rows else ((), ())
        # Tuples are built in C by zip and serialised as JSON arrays all the same.
        points = list(zip(format_instants(buckets), values, strict=True))
        columns = ["time", "value"]
    return {"stream_id": stream.id, "metric": stream.metric, "unit": stream.unit,
            "step": step, "agg": None if step == "raw" else agg,
            "columns": columns, "points": points}


def stream_arrays(conn: Connection, tenant_id: int, stream_id: int, since: int, until: int
                  ) -> tuple[np.ndarray, np.ndarray]:
    """(times ms, values) of a stream's raw points in [since, until] that count (not the
    « bad » ones), in time order, for the domains' computations (no access check: the
    caller holds the tenant's scope)."""
    ph = "?" if conn.dialect.name == "sqlite" else "%s"
    # Plain DB-API tuples (_fetch): a SQLAlchemy result iterated fetches row by row, 1.5
    # to 2 times longer for a year of readings.
    rows = _fetch(conn, f"SELECT t, value FROM observations WHERE tenant_id = {ph} AND "
                        f"stream_id = {ph} AND t >= {ph} AND t <= {ph} AND quality < {ph} "
                        "ORDER BY t", (tenant_id, stream_id, since, until, BAD))
    # The rows' values in one flat array: np.asarray over rows probes each row for the
    # array protocols (failed attribute look-ups), ten times longer than reading them.
    data = np.fromiter(chain.from_iterable(rows), dtype=np.float64,
                       count=2 * len(rows)).reshape(-1, 2)
    return data[:, 0].astype(np.int64), data[:, 1]


def first_observation_ms(conn: Connection, tenant_id: int,
                         kind: str | None = None) -> int | None:
    """The instant of a territory's first measurement (None: none yet), of any stream or
    of the streams of one kind of asset; each stream's own first one read from its index,
    then the earliest."""
    s, o, a = schema.streams, schema.observations, schema.assets
    first_of_stream = (select(func.min(o.c.t)).where(o.c.tenant_id == s.c.tenant_id,
                                                     o.c.stream_id == s.c.id)
                       .scalar_subquery())
    firsts = select(first_of_stream.label("t")).where(s.c.tenant_id == tenant_id)
    if kind is not None:
        firsts = firsts.where(s.c.asset_id.in_(
            select(a.c.id).where(a.c.tenant_id == tenant_id, a.c.kind == kind)))
    firsts = firsts.subquery()
    return conn.execute(select(func.min(firsts.c.t))).scalar()


def _fetch(conn: Connection, sql: str, params: tuple) -> list[tuple]:
    """Rows as plain DB-API tuples: no SQLAlchemy row objects for long series.

    On PostgreSQL the results come in binary format, faster to decode than text.
    """
    dbapi = conn.connection.dbapi_connection
    cursor = dbapi.cursor() if conn.dialect.name == "sqlite" else dbapi.cursor(binary=True)
    try:
        cursor.execute(sql, params)
        return cursor.fetchall()
    finally:
        cursor.close()


def latest(scope: TenantScope, conn: Connection, *, stream_ids: list[int] | None = None,
           asset_ids: list[int] | None = None, kind: str | None = None) -> list[dict[str, Any]]:
    """Latest value of many streams in one query (kept on the stream row by ingest)."""
    scope.require("read")
    s, a = schema.streams, schema.assets
    query = visible_streams(scope).with_only_columns(
        s.c.id, s.c.asset_id, s.c.metric, s.c.unit, s.c.last_t, s.c.last_value)
    if stream_ids is not None:
        query = query.where(s.c.id.in_(stream_ids))
    if asset_ids is not None:
        query = query.where(s.c.asset_id.in_(asset_ids))
    if kind:
        query = query.where(a.c.kind == kind)
    rows = conn.execute(query.order_by(s.c.id)).all()
    # Rows are unpacked as tuples: attribute access on a SQLAlchemy row costs ~1 µs.
    stamped = iter(format_instants([r[4] for r in rows if r[4] is not None]))
    return [{"stream_id": sid, "asset_id": asset_id, "metric": metric, "unit": unit,
             "time": None if last_t is None else next(stamped), "value": value}
            for sid, asset_id, metric, unit, last_t, value in rows]


def parse_id_list(text: str | None, field: str) -> list[int] | None:
    if text is None or text == "":
        return None
    ids = [as_id(x) for x in text.split(",") if x.strip()]
    if None in ids:
        raise Invalid(f"« {field} » : liste d'identifiants séparés par des virgules attendue.",
                      errors=[{"field": field, "message": "entiers séparés par des virgules"}])
    return ids  # type: ignore[return-value]
