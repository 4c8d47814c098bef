"""One uplink from a device, whatever the way it came (MQTT, ChirpStack, The Things Stack).

Readings are mapped to streams of the asset the device is attached to, through
the device's ``mapping`` (payload field -> metric key), else a field already
named like a metric, else the metric its decoder suggests. Radio quality and
battery become streams too. Everything happens in one transaction with the
message's receipt, so a re-delivered message is recognised and stored once.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field
from typing import Any

import orjson
from sqlalchemy import Connection, delete, select, update

from ..core import observations
from ..core.access import Principal, TenantScope, find_tenant
from ..core.clock import format_instant
from ..core.devices import DEV_EUI_RE
from ..core.registry import Registry
from ..core.streams import ensure_stream
from ..storage import schema
from ..storage.database import Database
from .payloads import Payload

log = logging.getLogger("beffroi.uplink")

RADIO_METRICS = {"rssi": "radio.rssi", "snr": "radio.snr", "frame_counter": "radio.frame_counter"}


@dataclass
class UplinkResult:
    stored: int = 0
    duplicates: int = 0
    redelivered: bool = False  # the very same message was already processed
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


class UplinkError(ValueError):
    """The message cannot be attributed or read at all (French message)."""


def digest(*parts: bytes | str) -> str:
    h = hashlib.sha256()
    for part in parts:
        h.update(part.encode() if isinstance(part, str) else part)
        h.update(b"\0")
    return h.hexdigest()


def resolve_tenant(conn: Connection, ref: str) -> Any:
    tenant = find_tenant(conn, ref)
    if tenant is None:
        raise UplinkError(f"territoire « {ref} » inconnu")
    return tenant


def resolve_device(conn: Connection, tenant_id: int, ref: str) -> Any:
    """A device by its id or its DevEUI (any case, with or without separators)."""
    d = schema.devices
    text = str(ref).strip().lower().replace("-", "").replace(":", "")
    if DEV_EUI_RE.match(text):
        row = conn.execute(select(d).where(d.c.tenant_id == tenant_id, d.c.dev_eui == text)).first()
        if row is not None:
            return row
    if text.isdigit():
        row = conn.execute(select(d).where(d.c.tenant_id == tenant_id, d.c.id == int(text))).first()
        if row is not None:
            return row
    raise UplinkError(f"capteur « {ref} » inconnu dans ce territoire")


def device_scope(db: Database, tenant: Any, device: Any) -> TenantScope:
    principal = Principal(device_tenant_id=tenant.id, device_id=device.id)
    return TenantScope(db, principal, tenant, "device", kinds=frozenset())


def already_received(conn: Connection, tenant_id: int, message_digest: str) -> bool:
    r = schema.uplink_receipts
    return conn.execute(select(r.c.digest).where(r.c.tenant_id == tenant_id,
                                                 r.c.digest == message_digest)).first() is not None


def _metric_for(name: str, mapping: dict[str, str], registry: Registry,
                suggestions: dict[str, str]) -> str | None:
    candidates = [name]
    for sep in (":", "/"):
        if sep in name:
            candidates.append(name.rsplit(sep, 1)[1])
    for key in candidates:
        if key in mapping:
            return mapping[key]
    for key in candidates:
        if key in registry.metrics:
            return key
    for key in candidates:
        if key in suggestions:
            return suggestions[key]
    return None


def store_uplink(db: Database, registry: Registry, conn: Connection, tenant: Any, device: Any,
                 payload: Payload, *, received_ms: int, message_digest: str,
                 check_receipt: bool = True, radio: dict[str, float] | None = None,
                 suggestions: dict[str, str] | None = None) -> UplinkResult:
    """Store one uplink's readings.

    With ``check_receipt`` a message whose digest was already processed is skipped
    (a network server's retry, an MQTT re-delivery flagged DUP). An MQTT message not
    flagged DUP is always new, even if a device repeats the same bytes later.
    """
    result = UplinkResult(problems=list(payload.problems))
    if check_receipt and already_received(conn, tenant.id, message_digest):
        result.redelivered = True
        return result
    if device.asset_id is None:
        raise UplinkError(f"capteur {device.id} rattaché à aucun équipement : "
                          "associez-le à un équipement pour enregistrer ses mesures")
    scope = device_scope(db, tenant, device)
    mapping = orjson.loads(device.mapping or "{}")
    readings = [(r.name, r.value, r.time_ms) for r in payload.readings]
    for key, value in (radio or {}).items():
        readings.append((RADIO_METRICS[key], value, None))
    if payload.battery is not None:
        readings.append(("device.battery", payload.battery, None))
    items = []
    for name, value, time_ms in readings:
        metric = _metric_for(name, mapping, registry, suggestions or {})
        if metric is None or metric not in registry.metrics:
            result.problems.append(f"champ « {name} » associé à aucune mesure (configurez "
                                   "la correspondance du capteur)")
            continue
        stream_id = ensure_stream(scope, conn, registry, device.asset_id, metric,
                                  device_id=device.id)
        items.append({"stream_id": stream_id, "time": format_instant(time_ms or received_ms),
                      "value": value})
    # The device feeds streams of its asset: a swapped device takes its streams over.
    s = schema.streams
    if items:
        conn.execute(update(s).where(s.c.tenant_id == tenant.id,
                                     s.c.id.in_({i["stream_id"] for i in items}),
                                     s.c.device_id.is_distinct_from(device.id))
                     .values(device_id=device.id))
        report = observations.ingest(scope, conn, registry, items)
        result.stored, result.duplicates = report.stored, report.duplicates
        result.problems += [f"{items[r['index']]['time']} : {r['reason']}" for r in report.rejected]
    _remember(db, conn, tenant.id, message_digest, device.id, received_ms)
    d = schema.devices
    values: dict[str, Any] = {"last_seen": received_ms, "uplinks": d.c.uplinks + 1}
    if payload.battery is not None:
        values["battery"] = payload.battery
    if result.problems:
        values.update(rejected=d.c.rejected + 1, last_error="; ".join(result.problems)[:1000],
                      last_error_at=received_ms)
    conn.execute(update(d).where(d.c.tenant_id == tenant.id, d.c.id == device.id).values(**values))
    return result


def _remember(db: Database, conn: Connection, tenant_id: int, message_digest: str,
              device_id: int, at_ms: int) -> None:
    ph = "?" if db.is_sqlite else "%s"
    conn.exec_driver_sql(
        "INSERT INTO uplink_receipts (tenant_id, digest, device_id, received_at) "
        f"VALUES ({ph}, {ph}, {ph}, {ph}) ON CONFLICT (tenant_id, digest) "
        "DO UPDATE SET received_at = excluded.received_at",
        (tenant_id, message_digest, device_id, at_ms))


def prune_receipts(db: Database, older_than_ms: int) -> int:
    r = schema.uplink_receipts
    with db.write() as conn:
        return conn.execute(delete(r).where(r.c.received_at < older_than_ms)).rowcount


def record_rejection(db: Database, tenant_id: int, device_id: int | None, reason: str,
                     at_ms: int) -> None:
    """Count a message the device sent that could not be used, with its reason."""
    log.warning("uplink rejected (tenant %s, device %s): %s", tenant_id, device_id, reason)
    if device_id is None:
        return
    d = schema.devices
    with db.write() as conn:
        conn.execute(update(d).where(d.c.tenant_id == tenant_id, d.c.id == device_id).values(
            rejected=d.c.rejected + 1, last_error=reason[:1000], last_error_at=at_ms))
