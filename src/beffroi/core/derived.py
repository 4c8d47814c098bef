"""Derived metrics at ingest: values an asset kind computes from another metric it measures.

An asset kind declares them (``registry.DerivedMetric``: a waste container's fill level
from its sensor's distance and the container's height). Every entry point (API JSON and
CSV, MQTT, LoRaWAN network servers) stores observations through ``observations.ingest``,
which hands its valid rows to ``derived_rows`` and stores the rows it returns in the same
transaction, after the raw ones. The raw value is stored as it came, in its own stream:
a derived value is only added beside it (same instant, same quality), never in its place.

When an asset's properties change, ``rederive`` rewrites its derived streams from the raw
values (``assets.update_asset`` and the inventory import call it).

A value the domain cannot compute (``compute`` returns None: a property is missing, or it
raises), or that falls outside the target metric's plausible range, is not stored; the raw
one is, and the reason is logged once per batch and metric.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from typing import Any

import orjson
from sqlalchemy import Connection, and_, delete, select, update

from ..storage import schema
from .access import TenantScope
from .registry import DerivedMetric, Registry
from .streams import ensure_stream

log = logging.getLogger("beffroi.derived")


def derived_rows(scope: TenantScope, conn: Connection, registry: Registry, rows: list[tuple],
                 metric_of: Mapping[int, str]) -> list[tuple]:
    """Rows (tenant, stream, t, value, quality) derived from the given valid rows, whose
    streams' metrics ``metric_of`` gives; the target streams are created when missing."""
    if not registry.derived:
        return []
    sources = {key[1] for key in registry.derived}
    wanted = {sid for sid, metric in metric_of.items() if metric in sources}
    if not wanted:
        return []
    plans = _plans(scope, conn, registry, sorted({r[1] for r in rows} & wanted), metric_of)
    out: list[tuple] = []
    failed: dict[str, str] = {}
    for tenant_id, stream_id, t, value, quality in rows:
        for derivation, properties, target_id in plans.get(stream_id, ()):
            result = _compute(derivation, value, properties, registry, failed)
            if result is not None:
                out.append((tenant_id, target_id, t, result, quality))
    for target, reason in failed.items():
        log.warning("derived metric %s not computed for some values (tenant %s): %s",
                    target, scope.tenant_id, reason)
    return out


def _plans(scope: TenantScope, conn: Connection, registry: Registry, stream_ids: list[int],
           metric_of: Mapping[int, str]
           ) -> dict[int, list[tuple[DerivedMetric, dict[str, Any], int]]]:
    """For each source stream: (derivation, its asset's properties, target stream id)."""
    s, a = schema.streams, schema.assets
    plans: dict[int, list[tuple[DerivedMetric, dict[str, Any], int]]] = {}
    for start in range(0, len(stream_ids), 900):
        chunk = stream_ids[start:start + 900]
        for sid, asset_id, kind, properties in conn.execute(
                select(s.c.id, s.c.asset_id, a.c.kind, a.c.properties)
                .join(a, and_(a.c.tenant_id == s.c.tenant_id, a.c.id == s.c.asset_id))
                .where(scope.owns(s), s.c.id.in_(chunk))):
            derivations = registry.derived.get((kind, metric_of[sid]), ())
            if not derivations:
                continue
            props = orjson.loads(properties or "{}")
            plans[sid] = [(d, props, ensure_stream(scope, conn, registry, asset_id, d.target))
                          for d in derivations]
    return plans


def _compute(derivation: DerivedMetric, value: float, properties: dict[str, Any],
             registry: Registry, failed: dict[str, str]) -> float | None:
    try:
        result = derivation.compute(value, properties)
    except Exception as exc:  # a domain's bug must not lose the raw value
        failed[derivation.target] = f"{type(exc).__name__}: {exc}"
        return None
    if result is None:
        return None
    metric = registry.metrics[derivation.target]
    if (isinstance(result, bool) or not isinstance(result, int | float)
            or not math.isfinite(result)
            or (metric.minimum is not None and result < metric.minimum)
            or (metric.maximum is not None and result > metric.maximum)):
        failed[derivation.target] = f"value {result!r} outside the metric's range"
        return None
    return float(result)


def rederive(scope: TenantScope, conn: Connection, registry: Registry,
             asset_ids: list[int]) -> int:
    """Recompute the derived values of these assets from their raw values, after a change
    of the properties a derivation reads (a container's height corrected): each target
    stream is rewritten whole (values that can no longer be computed are gone), with its
    rollups and latest value. History raises no alert. Returns the values written."""
    from .observations import store_rows  # observations imports this module

    s, a, o = schema.streams, schema.assets, schema.observations
    kinds = {kind for kind, _ in registry.derived}
    written = 0
    tz = scope.zone
    for start in range(0, len(asset_ids), 900):
        chunk = asset_ids[start:start + 900]
        for asset_id, kind, properties in conn.execute(
                select(a.c.id, a.c.kind, a.c.properties).where(
                    scope.owns(a), a.c.id.in_(chunk), a.c.kind.in_(sorted(kinds)))):
            props = orjson.loads(properties or "{}")
            streams = dict(conn.execute(select(s.c.metric, s.c.id).where(
                scope.owns(s), s.c.asset_id == asset_id)).all())
            for (kind_key, source), derivations in registry.derived.items():
                if kind_key != kind or source not in streams:
                    continue
                raw = conn.execute(select(o.c.t, o.c.value, o.c.quality).where(
                    scope.owns(o), o.c.stream_id == streams[source]).order_by(o.c.t)).all()
                for d in derivations:
                    target = streams.get(d.target)
                    if target is None:
                        if not raw:
                            continue
                        target = ensure_stream(scope, conn, registry, asset_id, d.target)
                    _clear(scope, conn, target)
                    failed: dict[str, str] = {}
                    rows = [(scope.tenant_id, target, t, value, quality)
                            for t, v, quality in raw
                            if (value := _compute(d, v, props, registry, failed)) is not None]
                    if rows:
                        written += store_rows(scope, conn, rows, tz)
    return written


def _clear(scope: TenantScope, conn: Connection, stream_id: int) -> None:
    for table in (schema.observations, schema.rollups_hourly, schema.rollups_daily):
        conn.execute(delete(table).where(scope.owns(table), table.c.stream_id == stream_id))
    s = schema.streams
    conn.execute(update(s).where(scope.owns(s), s.c.id == stream_id)
                 .values(last_t=None, last_value=None))
