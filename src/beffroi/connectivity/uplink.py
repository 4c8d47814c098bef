"""One uplink from a device, whatever the way it came (MQTT, ChirpStack, The Things Stack).

Readings are mapped to streams of the asset the device is attached to, through
the device's ``mapping`` (payload field -> metric key), else a field already
named like a metric, else the metric its decoder suggests. Radio quality and
battery become streams too. Everything happens in one transaction with the
message's receipt, so a re-delivered message is recognised and stored once.

``store_uplinks`` stores a whole batch of messages (the MQTT worker's, or network-server
events grouped by the database's group writer) with one observation store per tenant: stream lookups, rollups, receipts and device
counters cost a few statements per batch instead of a dozen per message.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field
from typing import Any

import orjson
from sqlalchemy import Connection, case, or_, select, update

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
    error: str | None = None  # the uplink could not be stored at all

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
    row = resolve_devices(conn, tenant_id, [ref]).get(ref)
    if row is None:
        raise UplinkError(f"capteur « {ref} » inconnu dans ce territoire")
    return row


def resolve_devices(conn: Connection, tenant_id: int, refs: list[str]) -> dict[str, Any]:
    """Devices of a tenant by id or DevEUI, in one query; unknown refs are left out.
    A DevEUI made of digits only is looked up as a DevEUI first."""
    d = schema.devices
    wanted = {ref: str(ref).strip().lower().replace("-", "").replace(":", "") for ref in refs}
    euis = sorted({t for t in wanted.values() if DEV_EUI_RE.match(t)})
    ids = sorted({int(t) for t in wanted.values() if t.isdigit() and len(t) < 19})
    by_eui, by_id = {}, {}
    for chunk in range(0, max(len(euis), len(ids)), 400):
        clause = or_(d.c.dev_eui.in_(euis[chunk:chunk + 400]), d.c.id.in_(ids[chunk:chunk + 400]))
        for row in conn.execute(select(d).where(d.c.tenant_id == tenant_id, clause)):
            by_id[row.id] = row
            if row.dev_eui:
                by_eui[row.dev_eui] = row
    out = {}
    for ref, text in wanted.items():
        row = by_eui.get(text) or (by_id.get(int(text)) if text.isdigit() and len(text) < 19
                                   else None)
        if row is not None:
            out[ref] = row
    return out


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


@dataclass
class Uplink:
    """One message of a device, read but not yet stored."""

    tenant: Any  # tenants row
    device: Any  # devices row
    payload: Payload
    received_ms: int
    digest: str
    # With check_receipt a message whose digest was already processed is skipped (a
    # network server's retry, an MQTT re-delivery flagged DUP). An MQTT message not
    # flagged DUP is always new, even if a device repeats the same bytes later.
    check_receipt: bool = True
    radio: dict[str, float] | None = None
    suggestions: Any = None  # field -> metric suggested by the device's decoder


def store_uplink(db: Database, registry: Registry, conn: Connection, tenant: Any, device: Any,
                 payload: Payload, *, received_ms: int, message_digest: str,
                 check_receipt: bool = True, radio: dict[str, float] | None = None,
                 suggestions: Any = None) -> UplinkResult:
    """Store one uplink's readings; UplinkError when it cannot be attributed."""
    [result] = store_uplinks(db, registry, conn, [Uplink(
        tenant, device, payload, received_ms, message_digest, check_receipt, radio,
        suggestions)])
    if result.error:
        raise UplinkError(result.error)
    return result


def ingest_scope(db: Database, tenant: Any) -> TenantScope:
    """The uplink pipeline's view of a tenant: it writes the streams of devices it has
    resolved itself (from the topic or the DevEUI); device writes are not audited."""
    return TenantScope(db, Principal(device_tenant_id=tenant.id), tenant, "agent")


def store_uplinks(db: Database, registry: Registry, conn: Connection,
                  uplinks: list[Uplink]) -> list[UplinkResult]:
    """Store many uplinks in the caller's transaction, the readings of a tenant's uplinks
    stored together (``observations.ingest_many``); one result per uplink, in order
    (``error`` set when it cannot be stored), with its own ``stored``/``duplicates``.
    """
    results = [UplinkResult(problems=list(u.payload.problems)) for u in uplinks]
    _mark_redelivered(conn, uplinks, results)
    by_tenant: dict[int, list[int]] = {}
    for i, u in enumerate(uplinks):
        if results[i].redelivered:
            continue
        if u.device.asset_id is None:
            results[i].error = (f"capteur {u.device.id} rattaché à aucun équipement : "
                                "associez-le à un équipement pour enregistrer ses mesures")
            continue
        by_tenant.setdefault(u.tenant.id, []).append(i)
    for _, indexes in sorted(by_tenant.items()):  # one lock order for every transaction
        _store_tenant(db, registry, conn, uplinks, results, indexes)
    done = [(u, r) for u, r in zip(uplinks, results, strict=True)
            if not r.redelivered and not r.error]
    if done:
        _remember(db, conn, [(u.tenant.id, u.digest, u.device.id, u.received_ms)
                             for u, _ in done])
        _update_devices(db, conn, done)
    return results


def _mark_redelivered(conn: Connection, uplinks: list[Uplink],
                      results: list[UplinkResult]) -> None:
    checked = [i for i, u in enumerate(uplinks) if u.check_receipt]
    if not checked:
        return
    r = schema.uplink_receipts
    known: set[tuple[int, str]] = set()
    for tenant_id in {uplinks[i].tenant.id for i in checked}:
        digests = sorted({uplinks[i].digest for i in checked if uplinks[i].tenant.id == tenant_id})
        for chunk in range(0, len(digests), 500):
            known.update((tenant_id, d) for (d,) in conn.execute(select(r.c.digest).where(
                r.c.tenant_id == tenant_id, r.c.digest.in_(digests[chunk:chunk + 500]))))
    seen: set[tuple[int, str]] = set()
    for i, u in enumerate(uplinks):
        key = (u.tenant.id, u.digest)
        if u.check_receipt and (key in known or key in seen):
            results[i].redelivered = True
        seen.add(key)


def _store_tenant(db: Database, registry: Registry, conn: Connection, uplinks: list[Uplink],
                  results: list[UplinkResult], indexes: list[int]) -> None:
    tenant = uplinks[indexes[0]].tenant
    scope = ingest_scope(db, tenant)
    s = schema.streams
    asset_ids = sorted({uplinks[i].device.asset_id for i in indexes})
    streams: dict[tuple[int, str], tuple[int, int | None]] = {}
    for chunk in range(0, len(asset_ids), 500):
        for row in conn.execute(select(s.c.id, s.c.asset_id, s.c.metric, s.c.device_id).where(
                s.c.tenant_id == tenant.id, s.c.asset_id.in_(asset_ids[chunk:chunk + 500]))):
            streams[(row.asset_id, row.metric)] = (row.id, row.device_id)
    items: dict[int, list[dict[str, Any]]] = {i: [] for i in indexes}  # per uplink
    takeovers: dict[int, set[int]] = {}  # device -> streams it now feeds
    for i in indexes:
        u, result = uplinks[i], results[i]
        device = u.device
        mapping = orjson.loads(device.mapping or "{}")
        readings = [(r.name, r.value, r.time_ms) for r in u.payload.readings]
        readings += [(RADIO_METRICS[key], value, None) for key, value in (u.radio or {}).items()]
        if u.payload.battery is not None:
            readings.append(("device.battery", u.payload.battery, None))
        for name, value, time_ms in readings:
            at = u.received_ms if time_ms is None else time_ms
            if not observations.time_in_bounds(at):  # checked before it is formatted
                result.problems.append(f"« {name} » : {observations.OUT_OF_BOUNDS}")
                continue
            metric = _metric_for(name, mapping, registry, u.suggestions or {})
            if metric is None or metric not in registry.metrics:
                result.problems.append(f"champ « {name} » associé à aucune mesure (configurez "
                                       "la correspondance du capteur)")
                continue
            key = (device.asset_id, metric)
            if key not in streams:
                streams[key] = (ensure_stream(scope, conn, registry, device.asset_id, metric,
                                              device_id=device.id), device.id)
            stream_id, feeder = streams[key]
            if feeder != device.id:  # a swapped device takes its asset's streams over
                takeovers.setdefault(device.id, set()).add(stream_id)
                streams[key] = (stream_id, device.id)
            items[i].append({"stream_id": stream_id, "time": format_instant(at), "value": value})
    for device_id, stream_ids in takeovers.items():
        conn.execute(update(s).where(s.c.tenant_id == tenant.id, s.c.id.in_(sorted(stream_ids)))
                     .values(device_id=device_id))
    # One observation batch per uplink, all stored together: each uplink's counts are its own.
    fed = [i for i in indexes if items[i]]
    reports = observations.ingest_many(conn, registry, [(scope, items[i]) for i in fed])
    for i, report in zip(fed, reports, strict=True):
        if isinstance(report, Exception):
            raise report
        for rejected in report.rejected:
            results[i].problems.append(f"{items[i][rejected['index']]['time']} : "
                                       f"{rejected['reason']}")
        results[i].stored = report.stored
        results[i].duplicates = report.duplicates


def _update_devices(db: Database, conn: Connection,
                    done: list[tuple[Uplink, UplinkResult]]) -> None:
    """Last seen, battery, counters of each device, in one statement per batch."""
    per_device: dict[tuple[int, int], dict[str, Any]] = {}
    for u, result in done:
        state = per_device.setdefault((u.tenant.id, u.device.id), {
            "last_seen": None, "battery": None, "uplinks": 0, "rejected": 0, "error": None,
            "error_at": None})
        state["uplinks"] += 1
        if state["last_seen"] is None or u.received_ms >= state["last_seen"]:
            state["last_seen"] = u.received_ms
            if u.payload.battery is not None:
                state["battery"] = u.payload.battery
        if result.problems:
            state["rejected"] += 1
            state["error"] = "; ".join(result.problems)[:1000]
            state["error_at"] = u.received_ms
    ph = "?" if db.is_sqlite else "%s"
    conn.exec_driver_sql(
        f"UPDATE devices SET last_seen = {ph}, battery = COALESCE({ph}, battery), "
        f"uplinks = uplinks + {ph}, rejected = rejected + {ph}, "
        f"last_error = COALESCE({ph}, last_error), "
        f"last_error_at = COALESCE({ph}, last_error_at) WHERE tenant_id = {ph} AND id = {ph}",
        [(st["last_seen"], st["battery"], st["uplinks"], st["rejected"], st["error"],
          st["error_at"], tenant_id, device_id)
         for (tenant_id, device_id), st in per_device.items()])


def _remember(db: Database, conn: Connection, receipts: list[tuple[int, str, int, int]]) -> None:
    """Receipts (tenant, digest, device, time) of processed messages."""
    ph = "?" if db.is_sqlite else "%s"
    conn.exec_driver_sql(
        "INSERT INTO uplink_receipts (tenant_id, digest, device_id, received_at) "
        f"VALUES ({ph}, {ph}, {ph}, {ph}) ON CONFLICT (tenant_id, digest) "
        "DO UPDATE SET received_at = excluded.received_at",
        receipts)


def record_rejection(db: Database, tenant_id: int, device_id: int | None, reason: str,
                     at_ms: int) -> None:
    """Count a message the device sent that could not be used, with its reason: its last
    error unless one of a message received later (``at_ms``) is already stored (a batch's
    refusals are recorded after the errors found while storing it)."""
    log.warning("uplink rejected (tenant %s, device %s): %s", tenant_id, device_id, reason)
    if device_id is None:
        return
    d = schema.devices
    latest = or_(d.c.last_error_at.is_(None), d.c.last_error_at <= at_ms)
    with db.write() as conn:
        conn.execute(update(d).where(d.c.tenant_id == tenant_id, d.c.id == device_id).values(
            rejected=d.c.rejected + 1,
            last_error=case((latest, reason[:1000]), else_=d.c.last_error),
            last_error_at=case((latest, at_ms), else_=d.c.last_error_at)))


class _Suggestions:
    """Field -> metric suggested by a device's decoder, looked up lazily (a decoder such
    as Cayenne LPP names thousands of possible fields)."""

    def __init__(self, fields) -> None:
        self._fields = fields

    def __contains__(self, name: str) -> bool:
        return self._fields.get(name) is not None

    def __getitem__(self, name: str) -> str:
        return self._fields[name][0]


def decoder_suggestions(model: str | None):
    """Field -> metric suggested by the decoder named by a device's model (empty if none)."""
    if not model:
        return {}
    try:
        from .decoders import get_decoder

        return _Suggestions(get_decoder(model).fields)
    except (KeyError, ImportError):
        return {}
