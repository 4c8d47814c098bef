"""Events posted by LoRaWAN network servers to an integration's endpoint.

- ChirpStack v4 HTTP integration: one POST per event, the event type in the
  ``event`` query parameter (``up``, ``join``, ``status``, ``ack``, ``txack``,
  ``log``, ``location``, ``integration``), JSON encoding.
- The Things Stack v3 webhook: one POST per message, its type given by the key
  present (``uplink_message``, ``join_accept``, ``downlink_ack``, ``downlink_nack``,
  ``downlink_failed``, ``downlink_sent``, ``downlink_queued``, …).

An uplink is stored like any other (``store_uplink``) with the radio metadata of
the best gateway, in one transaction with its receipt: a network server that
posts the same uplink again (retry after a time-out) gets the same answer and
nothing is stored twice. Readings come from the network server's decoded object
when it has one, else from the Beffroi decoder named by the device's ``model``.

Refusals are precise and counted: on the integration (unknown device, unreadable
event) and on the device when there is one (undecodable bytes). HTTP statuses:
401 bad secret, 404 device unknown in the tenant, 422 unreadable event, 409 event
posted to an integration of the other kind. An uplink whose bytes cannot be decoded
is answered 200 with its ``problems``: its radio metadata is kept.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, select, update

from ..core.clock import now_ms
from ..core.errors import BeffroiError, Conflict, Invalid, NotFound
from ..core.registry import Registry
from ..storage import schema
from ..storage.database import Database
from .decoders import DecodeError, get_decoder
from .downlinks import AckError, handle_chirpstack_event, handle_tts_event
from .integrations import record_event
from .lorawan import LoraUplink, chirpstack_up, tts_uplink
from .payloads import Payload, PayloadError, Reading, parse_json
from .uplink import UplinkError, decoder_suggestions, digest, record_rejection, store_uplink

CHIRPSTACK_EVENTS = ("up", "join", "status", "ack", "txack", "log", "location", "integration")
TTS_UPLINK, TTS_JOIN = "uplink_message", "join_accept"
TTS_DOWNLINK_EVENTS = ("downlink_ack", "downlink_nack", "downlink_failed", "downlink_sent",
                       "downlink_queued")
TTS_OTHER_EVENTS = ("location_solved", "service_data", "uplink_normalized",
                    "downlink_queue_invalidated")


class DeviceUnknown(NotFound):
    """No device of the tenant has this DevEUI."""


def handle_chirpstack(db: Database, registry: Registry, integration: Any, event: str | None,
                      raw: bytes, now: int | None = None) -> dict[str, Any]:
    """One ChirpStack integration event; returns what was done, raises a BeffroiError."""
    now = now_ms() if now is None else now
    with _refusals_counted(db, integration, now) as refusal:
        _require_kind(integration, "chirpstack")
        if event not in CHIRPSTACK_EVENTS:
            raise Invalid(f"Événement ChirpStack « {event or ''} » inconnu : attendu "
                          + ", ".join(CHIRPSTACK_EVENTS) + " (paramètre ?event=).")
        body = _object(raw)
        if event == "up":
            up = chirpstack_up(body)
            return _uplink(db, registry, integration, up, raw, now, refusal)
        if event in ("join", "status"):
            eui = str((body.get("deviceInfo") or {}).get("devEui") or "").lower()
            if not eui:
                raise PayloadError(f"événement ChirpStack « {event} » sans « deviceInfo.devEui »")
            battery = None
            if event == "status" and not body.get("externalPowerSource") \
                    and not body.get("batteryLevelUnavailable"):
                battery = body.get("batteryLevel", 0.0)  # omitted when 0 (protobuf JSON)
                if not isinstance(battery, int | float) or not 0 <= battery <= 100:
                    raise PayloadError("« batteryLevel » doit être un pourcentage de 0 à 100")
            return _device_event(db, registry, integration, event, eui, battery, body, raw, now,
                                 refusal)
        if event in ("ack", "txack"):
            command = handle_chirpstack_event(db, integration.tenant_id, event, body, now,
                                              registry=registry)
            _count(db, integration, now)
            return {"event": event, "command": command, "ignored": command is None}
    _count(db, integration, now)
    return {"event": event, "ignored": True}


def handle_tts(db: Database, registry: Registry, integration: Any, raw: bytes,
               now: int | None = None) -> dict[str, Any]:
    """One The Things Stack webhook message; returns what was done, raises a BeffroiError."""
    now = now_ms() if now is None else now
    with _refusals_counted(db, integration, now) as refusal:
        _require_kind(integration, "tts")
        body = _object(raw)
        if TTS_UPLINK in body:
            return _uplink(db, registry, integration, tts_uplink(body), raw, now, refusal)
        if TTS_JOIN in body:
            eui = str((body.get("end_device_ids") or {}).get("dev_eui") or "").lower()
            if not eui:
                raise PayloadError("message The Things Stack sans « end_device_ids.dev_eui »")
            return _device_event(db, registry, integration, "join", eui, None, body, raw, now,
                                 refusal)
        kind = next((k for k in TTS_DOWNLINK_EVENTS if k in body), None)
        if kind is not None:
            command = handle_tts_event(db, integration.tenant_id, body, now)
            _count(db, integration, now)
            return {"event": kind, "command": command, "ignored": command is None}
        kind = next((k for k in TTS_OTHER_EVENTS if k in body), None)
        if kind is None:
            raise PayloadError("message The Things Stack sans type reconnu (uplink_message, "
                               "join_accept, downlink_…)")
    _count(db, integration, now)
    return {"event": kind, "ignored": True}


# -- uplinks ------------------------------------------------------------------------------------
def _uplink(db: Database, registry: Registry, integration: Any, up: LoraUplink, raw: bytes,
            now: int, refusal: dict[str, Any]) -> dict[str, Any]:
    received = up.time_ms or now
    message = digest("lorawan", up.dev_eui, up.message_id) if up.message_id else digest(raw)
    with db.write() as conn:
        tenant, device = _tenant_and_device(conn, integration, up.dev_eui)
        refusal["device_id"] = device.id
        payload = _payload(up, device)
        result = store_uplink(db, registry, conn, tenant, device, payload, received_ms=received,
                              message_digest=message, check_receipt=True, radio=up.radio,
                              suggestions=decoder_suggestions(device.model))
        if up.gateway and not result.redelivered:
            d = schema.devices
            conn.execute(update(d).where(d.c.tenant_id == tenant.id, d.c.id == device.id)
                         .values(last_gateway=str(up.gateway)[:100]))
        record_event(db, conn, integration, now,
                     "; ".join(result.problems) if result.problems else None)
    return {"event": "up", "device_id": device.id, "stored": result.stored,
            "duplicates": result.duplicates, "redelivered": result.redelivered,
            "problems": result.problems}


def _payload(up: LoraUplink, device: Any) -> Payload:
    """Readings from the network server's decoded object, else from Beffroi's decoder.

    Bytes that cannot be decoded are a problem of this uplink, not a refusal: its radio
    metadata is still stored (coverage), and the device counts a rejected message.
    """
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


def _device_event(db: Database, registry: Registry, integration: Any, event: str, eui: str,
                  battery: float | None, body: dict[str, Any], raw: bytes, now: int,
                  refusal: dict[str, Any]) -> dict[str, Any]:
    """A join (the device is alive) or a status (its battery)."""
    with db.write() as conn:
        tenant, device = _tenant_and_device(conn, integration, eui)
        refusal["device_id"] = device.id
        stored = 0
        if battery is not None and device.asset_id is not None:
            message_id = body.get("deduplicationId")
            result = store_uplink(
                db, registry, conn, tenant, device, Payload(battery=float(battery)),
                received_ms=now, check_receipt=True,
                message_digest=digest("status", eui, message_id) if message_id else digest(raw))
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
def _require_kind(integration: Any, kind: str) -> None:
    if integration.kind != kind:
        other = "/chirpstack" if integration.kind == "chirpstack" else "/tts"
        raise Conflict(f"L'intégration {integration.id} est de type « {integration.kind} » : "
                       f"son adresse se termine par {other}.")


def _object(raw: bytes) -> dict[str, Any]:
    if not raw.strip():
        raise PayloadError("corps de requête vide : un événement JSON est attendu")
    doc = parse_json(raw)
    if not isinstance(doc, dict):
        raise PayloadError("objet JSON attendu")
    return doc


def _tenant_and_device(conn: Connection, integration: Any, eui: str) -> tuple[Any, Any]:
    t, d = schema.tenants, schema.devices
    tenant = conn.execute(select(t).where(t.c.id == integration.tenant_id)).first()
    device = conn.execute(select(d).where(d.c.tenant_id == integration.tenant_id,
                                          d.c.dev_eui == eui)).first()
    if device is None:
        raise DeviceUnknown(f"Aucun capteur de DevEUI {eui} dans ce territoire : créez-le "
                            "(API ou « beffroi device create --dev-eui ») pour recevoir ses "
                            "mesures.")
    return tenant, device


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
        error: BeffroiError = Invalid(f"Événement refusé : {exc}.")
        reason = str(exc)
    except BeffroiError as exc:  # unknown device, event or endpoint
        error, reason = exc, exc.detail
    else:
        return
    with db.write() as conn:
        record_event(db, conn, integration, now, error.detail)
    if refusal["device_id"] is not None:
        record_rejection(db, integration.tenant_id, refusal["device_id"], reason, now)
    raise error from None
