"""Events posted by LoRaWAN network servers to an integration's endpoint.

``POST /api/v1/integrations/{id}/{provider}``: the integration's secret opens it (checked
before the body is read, ``api.routes.integrations``); the network server's module
(``connectivity/providers``) reads the request into a ``ParsedEvent``; this module does
what it means, the same way for every network server:

- an uplink is stored like any other (``store_uplinks``) with the radio metadata of the
  best gateway, in one transaction with its receipt, shared with the other small writes
  waiting (the database's group writer; answered after the commit): a network server that posts the same
  uplink again (retry after a time-out) gets the same answer and nothing is stored twice.
  Readings come from the network server's decoded object when it has one, else from the
  Beffroi decoder named by the device's ``model``;
- a join marks the device alive; a battery level feeds ``device.battery``;
- reports on downlinks go to the command state machine (``downlinks.apply_report``).

Refusals are precise and counted: on the integration (unknown device, unreadable event)
and on the device when there is one (undecodable bytes). HTTP statuses: 401 bad secret (or
a report the network server should have signed and did not), 404 device unknown in the
tenant or network server unknown, 422 unreadable event, 409 event posted to an integration
of another kind. An uplink whose bytes cannot be decoded is answered 200 with its
``problems``: its radio metadata is kept.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import Connection, select, update

from ..core.clock import now_ms
from ..core.errors import BeffroiError, Conflict, Invalid, NotFound
from ..core.registry import Registry
from ..storage import schema
from ..storage.database import Database
from . import uplink
from .decoders import DecodeError, get_decoder
from .downlinks import AckError, apply_report
from .integrations import record_event, record_events
from .payloads import Payload, PayloadError, Reading
from .providers import base, get_provider
from .providers.base import DeviceEvent, Inbound, NetworkServer, ParsedEvent, Uplink
from .uplink import UplinkError, digest, record_rejection, store_uplink

log = logging.getLogger("beffroi.network_servers")


class DeviceUnknown(NotFound):
    """No device of the tenant has this DevEUI."""


def handle_event(db: Database, registry: Registry, integration: Any, key: str,
                 query: Mapping[str, str], raw: bytes,
                 now: int | None = None) -> dict[str, Any]:
    """One request posted to ``…/integrations/{id}/{key}``; returns what was done, raises a
    BeffroiError (French) when it is refused."""
    now = now_ms() if now is None else now
    with _refusals_counted(db, integration, now) as refusal:
        provider = _provider(integration, key)
        config = orjson.loads(integration.config or "{}")
        event = _parse(provider, Inbound(raw, query, config))
        if event.uplink is not None:
            result = _uplink(db, registry, integration, event.event, event.uplink, raw, now,
                             refusal)
        elif event.device is not None:
            result = _device_event(db, registry, integration, event.event, event.device, raw,
                                   now, refusal)
        else:
            result = None
        # An uplink posted again is not news: its ACK bit was applied the first time, and
        # would now acknowledge a later command.
        redelivered = result is not None and result.get("redelivered")
        commands = [apply_report(db, registry, integration.tenant_id, provider.key, report,
                                 now) for report in (() if redelivered else event.reports)]
    if result is None:
        _count(db, integration, now)
        matched = [c for c in commands if c is not None]
        return {"event": event.event, "command": matched[0] if matched else None,
                "ignored": not matched}
    if event.reports:
        result["command"] = next((c for c in commands if c is not None), None)
    return result


def _provider(integration: Any, key: str) -> NetworkServer:
    provider = get_provider(key)
    if provider is None:
        raise NotFound(f"Serveur réseau « {key[:40]} » inconnu de cette instance.")
    if integration.kind != key:
        raise Conflict(f"L'intégration {integration.id} est de type « {integration.kind} » : "
                       f"son adresse se termine par /{integration.kind}.")
    return provider


def _parse(provider: NetworkServer, inbound: Inbound) -> ParsedEvent:
    """The provider's reading of a request; its own refusals pass, its bugs become one."""
    try:
        return provider.parse(inbound)
    except (PayloadError, BeffroiError):
        raise
    except Exception:
        log.exception("network server %r could not read an event", provider.key)
        raise PayloadError(f"événement illisible pour le module {provider.label} (structure "
                           "inattendue)") from None


# -- uplinks ------------------------------------------------------------------------------------
def _uplink(db: Database, registry: Registry, integration: Any, event: str, up: Uplink,
            raw: bytes, now: int, refusal: dict[str, Any]) -> dict[str, Any]:
    """Store one uplink with the others waiting (the database's group writer): answered
    after the commit, in a transaction shared with the other small writes of the moment."""
    received = up.time_ms or now
    # A plug-in's id that is not text is ignored, as the built-in servers do (base.message_id)
    message_id = base.message_id(up.message_id)
    message = digest("lorawan", up.dev_eui, message_id) if message_id else digest(raw)
    device_id, outcome = db.group_commit.run(
        store_event_uplinks, EventUplink(registry, integration, event, up, received, message,
                                         now))
    refusal["device_id"] = device_id
    if isinstance(outcome, Exception):
        raise outcome
    return outcome


@dataclass(frozen=True)
class EventUplink:
    """An uplink posted by a network server, for the group writer."""

    registry: Registry
    integration: Any  # integrations row
    event: str
    up: Uplink
    received_ms: int
    digest: str
    now: int


def store_event_uplinks(db: Database, conn: Connection, events: Sequence[EventUplink]
                        ) -> list[tuple[int | None, dict[str, Any] | Exception]]:
    """Group-commit kind: many network-server uplinks in one transaction, in a few
    statements (devices looked up per tenant, ``store_uplinks`` once, one update of the
    gateways, one count per integration). Each result is (device id or None, the answer or
    the error that refuses the event); nothing of a refused event is written (its refusal
    is counted afterwards, in a transaction of its own)."""
    out: list[tuple[int | None, dict[str, Any] | Exception]] = [(None, {})] * len(events)
    t, d = schema.tenants, schema.devices
    tenant_ids = sorted({e.integration.tenant_id for e in events})
    tenants = {row.id: row for row in conn.execute(select(t).where(t.c.id.in_(tenant_ids)))}
    found: dict[tuple[int, str], Any] = {}
    for tenant_id in tenant_ids:
        euis = sorted({e.up.dev_eui for e in events if e.integration.tenant_id == tenant_id})
        for row in conn.execute(select(d).where(d.c.tenant_id == tenant_id,
                                                d.c.dev_eui.in_(euis))):
            found[(tenant_id, row.dev_eui)] = row
    accepted: dict[int, list[tuple[int, Any, uplink.Uplink]]] = {}
    for index, item in enumerate(events):
        device = found.get((item.integration.tenant_id, item.up.dev_eui))
        if device is None:
            out[index] = (None, _unknown_device(item.up.dev_eui))
            continue
        message = uplink.Uplink(tenants[device.tenant_id], device, _payload(item.up, device),
                                item.received_ms, item.digest, True, item.up.radio,
                                uplink.decoder_suggestions(device.model))
        accepted.setdefault(id(item.registry), []).append((index, device, message))
    gateways: list[tuple[str, int, int]] = []
    counts: dict[int, tuple[Any, int, int, list[str]]] = {}  # integration: row, n, at, errors
    for group in accepted.values():
        results = uplink.store_uplinks(db, events[group[0][0]].registry, conn,
                                       [message for _, _, message in group])
        for (index, device, _), result in zip(group, results, strict=True):
            item = events[index]
            if result.error:
                out[index] = (device.id, UplinkError(result.error))
                continue
            if item.up.gateway and not result.redelivered:
                gateways.append((str(item.up.gateway)[:100], device.tenant_id, device.id))
            row, n, at, errors = counts.get(item.integration.id, (item.integration, 0, 0, []))
            if result.problems:
                errors.append("; ".join(result.problems))
            counts[item.integration.id] = (row, n + 1, max(at, item.now), errors)
            out[index] = (device.id, {
                "event": item.event, "device_id": device.id, "stored": result.stored,
                "duplicates": result.duplicates, "redelivered": result.redelivered,
                "problems": result.problems})
    if gateways:
        ph = "?" if db.is_sqlite else "%s"
        conn.exec_driver_sql(f"UPDATE devices SET last_gateway = {ph} WHERE tenant_id = {ph} "
                             f"AND id = {ph}", gateways)
    for row, n, at, errors in counts.values():
        record_events(conn, row, at, n, errors)
    return out


def _payload(up: Uplink, device: Any) -> Payload:
    """Readings from the network server's decoded object, else from Beffroi's decoder.

    Bytes that cannot be decoded are a problem of this uplink, not a refusal: its radio
    metadata is still stored (coverage), and the device counts a rejected message.
    """
    if up.problems:
        return Payload(problems=list(up.problems))
    if up.fields:
        return Payload([Reading(name, value) for name, value in up.fields.items()])
    if not up.payload:
        return Payload()  # an empty frame (e.g. a MAC-only uplink): radio data only
    if not device.model:
        return Payload(problems=[f"trame {up.payload.hex()} non décodée : ni objet décodé par "
                                 "le serveur réseau, ni modèle (décodeur) indiqué pour le "
                                 "capteur"])
    try:
        decoder = get_decoder(device.model)
    except KeyError as exc:
        return Payload(problems=[f"trame {up.payload.hex()} non décodée : {exc.args[0]}"])
    try:
        fields = decoder.decode(up.payload, up.f_port)
    except DecodeError as exc:
        return Payload(problems=[f"trame {up.payload.hex()} indécodable ({decoder.label}) : "
                                 f"{exc}"])
    return Payload([Reading(name, value) for name, value in fields.items()])


def _device_event(db: Database, registry: Registry, integration: Any, event: str,
                  device_event: DeviceEvent, raw: bytes, now: int,
                  refusal: dict[str, Any]) -> dict[str, Any]:
    """A join (the device is alive) or a status (its battery)."""
    battery = device_event.battery
    with db.write() as conn:
        tenant, device = _tenant_and_device(conn, integration, device_event.dev_eui)
        refusal["device_id"] = device.id
        stored = 0
        if battery is not None and device.asset_id is not None:
            message_id = base.message_id(device_event.message_id)
            result = store_uplink(
                db, registry, conn, tenant, device, Payload(battery=float(battery)),
                received_ms=now, check_receipt=True,
                message_digest=digest("status", device_event.dev_eui, message_id)
                if message_id else digest(raw))
            stored = result.stored
        else:
            d = schema.devices
            values: dict[str, Any] = {"last_seen": now}
            if battery is not None:
                values["battery"] = float(battery)
            conn.execute(update(d).where(d.c.tenant_id == tenant.id, d.c.id == device.id)
                         .values(**values))
        record_event(db, conn, integration, now)
    return {"event": event, "device_id": device.id, "stored": stored, "battery": battery}


# -- helpers ------------------------------------------------------------------------------------
def _tenant_and_device(conn: Connection, integration: Any, eui: str) -> tuple[Any, Any]:
    t, d = schema.tenants, schema.devices
    tenant = conn.execute(select(t).where(t.c.id == integration.tenant_id)).first()
    device = conn.execute(select(d).where(d.c.tenant_id == integration.tenant_id,
                                          d.c.dev_eui == eui)).first()
    if device is None:
        raise _unknown_device(eui)
    return tenant, device


def _unknown_device(eui: str) -> DeviceUnknown:
    return DeviceUnknown(f"Aucun capteur de DevEUI {eui} dans ce territoire : créez-le "
                         "(API ou « beffroi device create --dev-eui ») pour recevoir ses "
                         "mesures.")


def _count(db: Database, integration: Any, now: int) -> None:
    with db.write() as conn:
        record_event(db, conn, integration, now)


@contextmanager
def _refusals_counted(db: Database, integration: Any, now: int) -> Iterator[dict[str, Any]]:
    """Turn a refused event into a precise API error, counted on the integration (and on
    the device when it is known) in a transaction of its own, since the event's own
    transaction is rolled back."""
    refusal: dict[str, Any] = {"device_id": None}
    try:
        yield refusal
    except (PayloadError, UplinkError, AckError) as exc:
        field = getattr(exc, "field", None)  # a PayloadError may name the field at fault
        error: BeffroiError = Invalid(f"Événement refusé : {str(exc).rstrip('.')}.", errors=[
            {"field": field, "message": str(exc)}] if field else None)
        reason = str(exc)
    except BeffroiError as exc:  # unknown device, event or endpoint, bad signature
        error, reason = exc, exc.detail
    else:
        return
    with db.write() as conn:
        record_event(db, conn, integration, now, error.detail)
    if refusal["device_id"] is not None:
        record_rejection(db, integration.tenant_id, refusal["device_id"], reason, now)
    raise error from None
