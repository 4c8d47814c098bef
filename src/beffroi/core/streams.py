"""Streams: one metric of one asset (SensorThings Datastream), unit in UCUM."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, and_, delete, select, update

from ..storage import schema
from .access import TenantScope
from .clock import format_instant, now_ms
from .errors import Conflict, Invalid, NotFound
from .registry import Registry
from .storable import is_id

STREAM_FIELDS = {"asset_id", "metric", "device_id"}


def stream_public(row: Any, registry: Registry | None = None) -> dict[str, Any]:
    metric = registry.metrics.get(row.metric) if registry else None
    return {
        "id": row.id, "asset_id": row.asset_id, "metric": row.metric,
        "label": metric.label if metric else row.metric,
        "unit": row.unit, "kind": row.kind, "device_id": row.device_id,
        "last_time": format_instant(row.last_t), "last_value": row.last_value,
    }


def visible_streams(scope: TenantScope):
    """A select of the streams whose asset the scope can see."""
    s, a = schema.streams, schema.assets
    return (select(s)
            .join(a, and_(a.c.tenant_id == s.c.tenant_id, a.c.id == s.c.asset_id))
            .where(scope.owns(s), scope.asset_visible(a)))


def list_streams(scope: TenantScope, conn: Connection, *, asset_id: int | None = None,
                 metric: str | None = None) -> list[Any]:
    scope.require("read")
    s = schema.streams
    query = visible_streams(scope).order_by(s.c.id)
    if asset_id is not None:
        query = query.where(s.c.asset_id == asset_id)
    if metric:
        query = query.where(s.c.metric == metric)
    return list(conn.execute(query))


def create_stream(scope: TenantScope, conn: Connection, registry: Registry, data: Any) -> Any:
    scope.require("write")
    if not isinstance(data, dict):
        raise Invalid("Objet JSON attendu.")
    errors = [{"field": k, "message": "champ inconnu"} for k in sorted(set(data) - STREAM_FIELDS)]
    metric = registry.metrics.get(data["metric"]) if isinstance(data.get("metric"), str) else None
    if metric is None:
        errors.append({"field": "metric", "message": f"mesure inconnue « {data.get('metric')} »"})
    asset_id = data.get("asset_id")
    if not is_id(asset_id):
        errors.append({"field": "asset_id", "message": "identifiant d'équipement attendu"})
    device_id = data.get("device_id")
    if device_id is not None:
        d = schema.devices
        if not is_id(device_id) or not conn.execute(
                select(d.c.id).where(scope.owns(d), d.c.id == device_id)).first():
            errors.append({"field": "device_id", "message": f"capteur {device_id} introuvable"})
    if errors:
        raise Invalid("Flux invalide.", errors=errors)
    scope.asset(conn, asset_id)  # 404 when not visible
    s = schema.streams
    if conn.execute(select(s.c.id).where(scope.owns(s), s.c.asset_id == asset_id,
                                         s.c.metric == metric.key)).first():
        raise Conflict(f"L'équipement {asset_id} a déjà un flux « {metric.key} ».")
    stream_id = scope.db.allocate_ids(conn, "streams")
    conn.execute(s.insert().values(tenant_id=scope.tenant_id, id=stream_id, asset_id=asset_id,
                                   metric=metric.key, unit=metric.unit, kind=metric.kind,
                                   device_id=device_id, created_at=now_ms()))
    scope.audit(conn, "create", "stream", stream_id, {"asset_id": asset_id, "metric": metric.key})
    return scope.stream(conn, stream_id)


def update_stream(scope: TenantScope, conn: Connection, stream_id: int, data: Any) -> Any:
    """Only the device feeding a stream can change; metric and asset are its identity."""
    scope.require("write")
    current = scope.stream(conn, stream_id)
    if not isinstance(data, dict) or set(data) - {"device_id"}:
        raise Invalid("Seul « device_id » est modifiable sur un flux.")
    if not data:  # an empty change (``{}``) changes nothing
        return current
    device_id = data.get("device_id")
    d = schema.devices
    if device_id is not None and (not is_id(device_id) or not conn.execute(
            select(d.c.id).where(scope.owns(d), d.c.id == device_id)).first()):
        raise Invalid("Capteur introuvable.", errors=[{"field": "device_id", "message": "introuvable"}])
    s = schema.streams
    conn.execute(update(s).where(scope.owns(s), s.c.id == stream_id).values(device_id=device_id))
    scope.audit(conn, "update", "stream", stream_id, data)
    return scope.stream(conn, stream_id)


def delete_stream(scope: TenantScope, conn: Connection, stream_id: int) -> None:
    scope.require("write")
    scope.stream(conn, stream_id)
    for table in (schema.observations, schema.rollups_hourly, schema.rollups_daily):
        conn.execute(delete(table).where(scope.owns(table), table.c.stream_id == stream_id))
    s = schema.streams
    conn.execute(delete(s).where(scope.owns(s), s.c.id == stream_id))
    scope.audit(conn, "delete", "stream", stream_id)


def get_stream(scope: TenantScope, conn: Connection, stream_id: int) -> Any:
    scope.require("read")
    return scope.stream(conn, stream_id)


def ensure_stream(scope: TenantScope, conn: Connection, registry: Registry, asset_id: int,
                  metric_key: str, device_id: int | None = None) -> int:
    """Id of the asset's stream for a metric, created if missing (imports, demo)."""
    s = schema.streams
    row = conn.execute(select(s.c.id).where(scope.owns(s), s.c.asset_id == asset_id,
                                            s.c.metric == metric_key)).first()
    if row:
        return row.id
    metric = registry.metrics.get(metric_key)
    if metric is None:
        raise NotFound(f"Mesure inconnue « {metric_key} ».")
    stream_id = scope.db.allocate_ids(conn, "streams")
    conn.execute(s.insert().values(tenant_id=scope.tenant_id, id=stream_id, asset_id=asset_id,
                                   metric=metric.key, unit=metric.unit, kind=metric.kind,
                                   device_id=device_id, created_at=now_ms()))
    return stream_id
