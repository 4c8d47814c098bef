"""Commands out: hand due commands to devices, and take their acknowledgements back.

Channel, chosen per device at send time:

- the device has a DevEUI and its tenant has a LoRaWAN integration → that network
  server's downlink API (the integration named by the device property
  ``integration_id``, else the tenant's first one configured for downlinks), through its
  provider (``connectivity/providers``: ChirpStack, The Things Stack, ThingPark…) — the
  channel is the provider's key;
- otherwise MQTT: ``beffroi/{tenant_id}/devices/{device_id}/down`` carries
  ``{"command_id", "action", "params", "expires_at"}``; the device answers on
  ``beffroi/{tenant_id}/devices/{device_id}/ack`` with
  ``{"command_id": N, "status": "ok"|"error", "error"?: "..."}``.

A provider only hands a downlink over and reads the server's reports on it
(``DownlinkReport``); every change of a command's state is made here, through core's
state machine (``core.commands``), in one place for every network server:

- ``queued`` → ``sent`` (if the hand-over was not recorded yet);
- ``transmitted`` → ``sent``, and ``acknowledged`` for an unconfirmed action (sent over the
  air is the most a LoRaWAN network can tell); a confirmed one waits for its acknowledgement;
- ``acknowledged`` → ``acknowledged``;
- ``requeued`` (the server sends it again by itself) → stays ``sent``, the reason shown;
- ``retry`` (not acknowledged or not sent, and the server gave up) → Beffroi sends it again
  with back-off while attempts remain, then ``failed``;
- ``failed`` → ``failed`` at once.

Over MQTT, an unconfirmed command is acknowledged when the broker accepted the QoS 1
publication. Network-server answers: 2xx → sent; 408, 425, 429, 5xx, time-outs and
connection errors → retried with back-off; any other answer → failed at once. The
``api_url`` is a tenant's choice: it is called through ``core.outbound`` (public addresses
only, no redirect) and errors give the HTTP status, never the server's words nor the
socket's (a hostile admin must not map the network with them).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import orjson
from sqlalchemy import Connection, select

from ..core import outbound, storable
from ..core.clock import format_instant, now_ms
from ..core.commands import (
    FINISHED,
    CommandSpec,
    InvalidTransition,
    activate_due,
    claim_due,
    command_public,
    command_specs,
    mark_acknowledged,
    mark_failed,
    mark_sent,
    note_error,
    record_hand_over,
)
from ..core.registry import Registry
from ..storage import schema
from ..storage.database import Database
from .lorawan import EncodingError, LorawanEncoding, lorawan_payload
from .providers import providers
from .providers.base import Downlink, DownlinkReport, NetworkServer, SendError, Target

__all__ = ["AckError", "SendError", "apply_report", "dispatch_due", "handle_mqtt_ack"]

MQTT_DOWN_TOPIC = "beffroi/{tenant_id}/devices/{device_id}/down"
MQTT_ACK_TOPIC = "beffroi/{tenant_id}/devices/{device_id}/ack"
HTTP_TIMEOUT_S = 10.0
# Publish (topic, payload) with QoS 1; raise on failure.
MqttPublish = Callable[[str, bytes], None]
log = logging.getLogger("beffroi.commands")


class AckError(ValueError):
    """An acknowledgement that cannot be understood or does not match (French)."""


# -- sending ----------------------------------------------------------------------------------
def dispatch_due(db: Database, registry: Registry, now: int | None = None,
                 mqtt_publish: MqttPublish | None = None,
                 http: outbound.Client | None = None) -> list[dict[str, Any]]:
    """Activate due schedules, then hand every due command over; one outcome per command."""
    now = now_ms() if now is None else now
    activate_due(db, now)
    claimed = claim_due(db, now)
    if not claimed:
        return []
    specs = command_specs(registry)
    client = http or outbound.Client(timeout=HTTP_TIMEOUT_S)
    try:
        return [_dispatch_one(db, specs, row, now, mqtt_publish, client) for row in claimed]
    finally:
        if http is None:
            client.close()


def _dispatch_one(db: Database, specs: dict[str, CommandSpec], row: Any, now: int,
                  mqtt_publish: MqttPublish | None, client: outbound.Client) -> dict[str, Any]:
    device = None
    try:
        with db.read() as conn:
            spec, device, integration = _resolve(conn, specs, row)
        if integration is None:
            channel, correlation = "mqtt", _send_mqtt(row, device, mqtt_publish)
        else:
            provider, config = integration
            channel = provider.key
            correlation = _send_lorawan(provider, config, client, device, spec, row)
    except SendError as exc:
        with db.write() as conn:
            current = _load(conn, row.tenant_id, row.id, lock=True)
            if current.status == "requested":
                current = mark_failed(db, conn, current, now, exc.message,
                                      retryable=exc.retryable)
        return command_public(current)
    with db.write() as conn:
        current = _load(conn, row.tenant_id, row.id, lock=True)
        if current.status == "requested":
            current = mark_sent(db, conn, current, now, channel=channel, device_id=device.id,
                                correlation=correlation)
            if channel == "mqtt" and not spec.confirmed:
                current = mark_acknowledged(db, conn, current, now, actor="mqtt")
        else:
            # The device's answer overtook us, or a person cancelled meanwhile: still say
            # how it went out.
            log.info("command %s was %s when its hand-over completed", row.id, current.status)
            current = record_hand_over(conn, current, channel=channel, correlation=correlation)
    return command_public(current)


def _load(conn: Connection, tenant_id: int, command_id: int, *, lock: bool = False) -> Any:
    """A command; ``lock`` (in a write transaction): held until it commits (FOR UPDATE on
    PostgreSQL; SQLite has one writer), so that the dispatcher recording a hand-over and a
    device's acknowledgement read and change a command one after the other — otherwise the
    second one reads a state the first is changing, and its change is lost."""
    c = schema.commands
    query = select(c).where(c.c.tenant_id == tenant_id, c.c.id == command_id)
    return conn.execute(query.with_for_update() if lock else query).first()


def _resolve(conn: Connection, specs: dict[str, CommandSpec], row: Any) -> tuple:
    """(spec, device, (provider, config) or None) for a command about to be sent."""
    spec = specs.get(row.action)
    if spec is None:
        raise SendError(f"Action « {row.action} » inconnue de cette instance (domaine non chargé).",
                        retryable=False)
    d = schema.devices
    attached = list(conn.execute(select(d).where(d.c.tenant_id == row.tenant_id,
                                                 d.c.asset_id == row.asset_id).order_by(d.c.id)))
    device = next((x for x in attached if x.id == row.device_id), attached[0] if attached else None)
    if device is None:
        raise SendError("Aucun capteur ni actionneur n'est plus rattaché à l'équipement.",
                        retryable=False)
    if not device.dev_eui:
        return spec, device, None
    known = providers()
    i = schema.integrations
    integrations = list(conn.execute(select(i).where(i.c.tenant_id == row.tenant_id,
                                                     i.c.kind.in_(sorted(known)))
                                     .order_by(i.c.id)))
    if not integrations:
        return spec, device, None
    wanted = orjson.loads(device.properties or "{}").get("integration_id")
    if wanted is not None:
        integrations = [x for x in integrations if x.id == wanted] or integrations
    for integration in integrations:
        provider = known[integration.kind]
        config = _config(integration)
        if all(config.get(k.name) for k in provider.downlink_keys()):
            break
    else:
        first = integrations[0]
        missing = [k.name for k in known[first.kind].downlink_keys()
                   if not _config(first).get(k.name)]
        raise SendError(f"L'intégration LoRaWAN « {first.name} » n'est pas configurée pour "
                        f"les commandes (à renseigner : {', '.join(missing)}).",
                        retryable=False)
    if spec.encoding(LorawanEncoding.transport) is None:
        raise SendError(f"L'action « {spec.label} » n'a pas d'encodage LoRaWAN : elle ne peut "
                        "pas être transmise à un équipement LoRaWAN.", retryable=False)
    return spec, device, (provider, config)


def _config(integration: Any) -> dict[str, Any]:
    try:
        config = orjson.loads(integration.config or "{}")
    except orjson.JSONDecodeError:
        return {}
    return config if isinstance(config, dict) else {}


def _send_mqtt(row: Any, device: Any, mqtt_publish: MqttPublish | None) -> None:
    if mqtt_publish is None:
        raise SendError("Messagerie MQTT indisponible : la commande sera renvoyée.",
                        retryable=True)
    topic = MQTT_DOWN_TOPIC.format(tenant_id=row.tenant_id, device_id=device.id)
    payload = orjson.dumps({"command_id": row.id, "action": row.action,
                            "params": orjson.loads(row.params),
                            "expires_at": format_instant(row.expires_at)})
    try:
        mqtt_publish(topic, payload)
    except Exception as exc:  # the broker client's own errors
        raise SendError(f"Publication MQTT impossible : {exc}", retryable=True) from None
    return None


def _send_lorawan(provider: NetworkServer, config: dict[str, Any], client: outbound.Client,
                  device: Any, spec: CommandSpec, row: Any) -> str | None:
    try:
        fport, data = lorawan_payload(spec, orjson.loads(row.params))
    except EncodingError as exc:
        raise SendError(str(exc), retryable=False) from None
    target = Target(device.dev_eui, orjson.loads(device.properties or "{}"))
    downlink = Downlink(row.id, fport, data, spec.confirmed, row.expires_at)
    try:
        correlation = provider.send(config, target, downlink, client)
    except SendError:
        raise
    except Exception:  # a provider's own bug must fail this command, not the dispatcher
        log.exception("network server %r failed to send command %s", provider.key, row.id)
        raise SendError(f"{provider.label} : erreur interne du module d'envoi.",
                        retryable=False) from None
    return str(correlation)[:200] if correlation else None


# -- acknowledgements ---------------------------------------------------------------------------
def _settle(db: Database, tenant_id: int, command_id: int, step) -> dict[str, Any] | None:
    """Run ``step(conn, row)`` on a pending command; finished ones are left as they are."""
    with db.write() as conn:
        row = _load(conn, tenant_id, command_id, lock=True)
        if row is None:
            return None
        if row.status not in FINISHED:
            try:
                row = step(conn, row) or row
            except InvalidTransition:
                row = _load(conn, tenant_id, command_id)
        return command_public(row)


def handle_mqtt_ack(db: Database, tenant_id: int, device_id: int, payload: bytes,
                    now: int | None = None) -> dict[str, Any] | None:
    """A device's answer on its ack topic; AckError when it is unreadable or not its own."""
    now = now_ms() if now is None else now
    try:
        doc = orjson.loads(payload)
    except orjson.JSONDecodeError:
        raise AckError("Acquittement illisible : JSON attendu.") from None
    found = storable.duplicate_keys(payload, doc)
    if found:
        raise AckError(f"Acquittement ambigu : {storable.duplicate_reason(*found[0])}.")
    if not isinstance(doc, dict):
        raise AckError("Acquittement illisible : objet JSON attendu.")
    command_id, status = doc.get("command_id"), doc.get("status")
    if not isinstance(command_id, int) or isinstance(command_id, bool):
        raise AckError("Acquittement sans « command_id » entier.")
    if status not in ("ok", "error"):
        raise AckError("Acquittement : « status » doit valoir « ok » ou « error ».")
    with db.read() as conn:
        row = _load(conn, tenant_id, command_id)
    if row is None or row.device_id != device_id:
        raise AckError(f"Commande {command_id} inconnue pour ce capteur.")

    def step(conn: Connection, current: Any) -> Any:
        if status == "ok":
            return mark_acknowledged(db, conn, current, now, actor="device")
        reason = str(doc.get("error") or "sans précision")[:300]
        return mark_failed(db, conn, current, now, f"L'équipement a refusé la commande : {reason}",
                           retryable=False, actor="device")

    return _settle(db, tenant_id, command_id, step)


def _confirmed(specs: dict[str, CommandSpec], action: str) -> bool:
    spec = specs.get(action)
    return spec.confirmed if spec else True  # an unknown action waits for its device


def _reported(conn: Connection, specs: dict[str, CommandSpec], tenant_id: int, channel: str,
              report: DownlinkReport) -> Any | None:
    """The command a report is about, or None when it is not one Beffroi sent this way."""
    c, d = schema.commands, schema.devices
    if report.command_id is not None:
        row = _load(conn, tenant_id, report.command_id)
        return row if row is not None and row.channel in (None, channel) else None
    if report.correlation:
        return conn.execute(select(c).where(c.c.tenant_id == tenant_id, c.c.channel == channel,
                                            c.c.correlation == report.correlation)).first()
    if not report.dev_eui:
        return None
    device = conn.execute(select(d.c.id).where(d.c.tenant_id == tenant_id,
                                               d.c.dev_eui == report.dev_eui)).first()
    if device is None:
        return None
    sent = conn.execute(select(c).where(c.c.tenant_id == tenant_id, c.c.channel == channel,
                                        c.c.device_id == device.id, c.c.status == "sent")
                        .order_by(c.c.sent_at, c.c.id))
    return next((row for row in sent if report.outcome != "acknowledged"
                 or _confirmed(specs, row.action)), None)


def apply_report(db: Database, registry: Registry, tenant_id: int, channel: str,
                 report: DownlinkReport, now: int | None = None) -> dict[str, Any] | None:
    """A network server's report on one downlink, applied to the command it is about.

    Returns the command as it stands after it, or None for a downlink Beffroi did not send
    through ``channel`` (another application's, or another tenant's); AckError when the
    report is about another device than the command's. Reports that come again or late
    (a command already finished) change nothing.
    """
    now = now_ms() if now is None else now
    specs = command_specs(registry)
    d = schema.devices
    with db.read() as conn:
        row = _reported(conn, specs, tenant_id, channel, report)
        if row is None:
            return None
        device = conn.execute(select(d).where(d.c.tenant_id == tenant_id,
                                              d.c.id == row.device_id)).first()
    if report.dev_eui and device is not None and device.dev_eui \
            and report.dev_eui != device.dev_eui:
        raise AckError(f"Événement pour le DevEUI {report.dev_eui}, mais la commande {row.id} "
                       f"vise {device.dev_eui}.")
    confirmed = _confirmed(specs, row.action)

    def step(conn: Connection, current: Any) -> Any:
        outcome = report.outcome
        if outcome == "acknowledged":
            return mark_acknowledged(db, conn, current, now, actor=channel)
        if outcome in ("retry", "failed"):
            return mark_failed(db, conn, current, now, report.detail or "échec non précisé",
                               retryable=outcome == "retry", actor=channel)
        if outcome == "requeued":
            return note_error(db, conn, current, report.detail or "non acquittée",
                              actor=channel, event="nack")
        if current.status == "requested":  # queued or transmitted before we recorded it
            current = mark_sent(db, conn, current, now, channel=channel,
                                correlation=report.correlation, actor=channel)
        if outcome == "transmitted" and not confirmed:
            return mark_acknowledged(db, conn, current, now, actor=channel)
        return current

    return _settle(db, tenant_id, row.id, step)

