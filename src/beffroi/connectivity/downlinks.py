"""Commands out: hand due commands to devices, and take their acknowledgements back.

Channel, chosen per device at send time:

- the device has a DevEUI and its tenant has a LoRaWAN integration → that network
  server's downlink API (the integration named by the device property
  ``integration_id``, else the tenant's first one configured for downlinks);
- otherwise MQTT: ``beffroi/{tenant_id}/devices/{device_id}/down`` carries
  ``{"command_id", "action", "params", "expires_at"}``; the device answers on
  ``beffroi/{tenant_id}/devices/{device_id}/ack`` with
  ``{"command_id": N, "status": "ok"|"error", "error"?: "..."}``.

Network-server contracts (checked against their published definitions):

- ChirpStack v4 REST API (grpc-gateway over ``api.DeviceService``): ``Enqueue`` is
  ``post: "/api/devices/{queue_item.dev_eui}/queue", body: "*"`` in
  chirpstack/chirpstack ``api/proto/api/device.proto``, so the JSON body is
  ``{"queueItem": {"devEui", "confirmed", "fPort", "data": <base64>}}`` (proto3 JSON
  names), the API token goes in ``Authorization: Bearer``, and the answer
  ``EnqueueDeviceQueueItemResponse`` is ``{"id": "<uuid>"}``: that queue-item id is
  kept in ``correlation`` and matched against the ``queueItemId`` of the ``ack``
  (device confirmed, or timed out: ``acknowledged`` false) and ``txack`` (gateway
  accepted the transmission) integration events.
- The Things Stack v3, "Scheduling downlinks" with webhooks
  (thethingsindustries.com/docs/integrations/webhooks/scheduling-downlinks/):
  ``POST /api/v3/as/applications/{application_id}/webhooks/{webhook_id}/devices/{device_id}/down/push``
  with ``{"downlinks": [{"f_port", "frm_payload": <base64>, "priority": "NORMAL",
  "confirmed", "correlation_ids": ["beffroi:command:<id>"]}]}`` and the API key as
  bearer token. The Application Server echoes our correlation id in the
  ``downlink_queued`` / ``downlink_sent`` / ``downlink_ack`` / ``downlink_nack`` /
  ``downlink_failed`` messages (data formats page). The TTS device id is the device
  property ``tts_device_id``, else ``eui-<deveui>``.

Acknowledgement rules:

- Confirmed downlinks are acknowledged by the device's LoRaWAN ACK (ChirpStack
  ``ack`` with ``acknowledged`` true, TTS ``downlink_ack``) or its MQTT answer.
- Unconfirmed downlinks are acknowledged when the network server reports them
  transmitted (ChirpStack ``txack``, TTS ``downlink_sent``) — the most a LoRaWAN
  network can tell; over MQTT, when the broker accepted the QoS 1 publication.
- A confirmed downlink the device did not acknowledge: ChirpStack drops it from
  its queue, so Beffroi enqueues it again (retry with back-off, then failed);
  The Things Stack re-inserts a nacked downlink at the head of the queue itself
  (``handleDownlinkNack`` in lorawan-stack ``pkg/applicationserver``), so the
  command stays ``sent`` until acknowledged or expired.
- Network-server answers: 2xx → sent; 408, 425, 429, 5xx, timeouts and connection
  errors → retried with back-off; any other 4xx (bad key, unknown device…) → failed
  at once. The ``api_url`` is a tenant's choice: it is called through ``core.outbound``
  (public addresses only, no redirect) and errors give the HTTP status, never the
  server's words nor the socket's (a hostile admin must not map the network with them).
"""

from __future__ import annotations

import base64
import logging
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import orjson
from sqlalchemy import Connection, select

from ..core import outbound
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

MQTT_DOWN_TOPIC = "beffroi/{tenant_id}/devices/{device_id}/down"
MQTT_ACK_TOPIC = "beffroi/{tenant_id}/devices/{device_id}/ack"
HTTP_TIMEOUT_S = 10.0
TTS_CORRELATION = "beffroi:command:{id}"
_TTS_CORRELATION_RE = re.compile(r"^beffroi:command:(\d+)$")
TTS_EVENTS = ("downlink_ack", "downlink_nack", "downlink_failed", "downlink_sent",
              "downlink_queued")
# Publish (topic, payload) with QoS 1; raise on failure.
MqttPublish = Callable[[str, bytes], None]
log = logging.getLogger("beffroi.commands")


class SendError(Exception):
    """A hand-over that did not happen; ``retryable`` tells whether to try again."""

    def __init__(self, message: str, *, retryable: bool) -> None:
        super().__init__(message)
        self.message = message
        self.retryable = retryable


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
        elif integration.kind == "chirpstack":
            channel, correlation = "chirpstack", _send_chirpstack(client, integration, device,
                                                                  spec, row)
        elif integration.kind == "tts":
            channel, correlation = "tts", _send_tts(client, integration, device, spec, row)
        else:
            raise SendError(f"Serveur réseau « {integration.kind} » non pris en charge.",
                            retryable=False)
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
    """(spec, device, LoRaWAN integration or None) for a command about to be sent."""
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
    i = schema.integrations
    integrations = list(conn.execute(select(i).where(i.c.tenant_id == row.tenant_id,
                                                     i.c.kind.in_(("chirpstack", "tts")))
                                     .order_by(i.c.id)))
    if not integrations:
        return spec, device, None
    wanted = orjson.loads(device.properties or "{}").get("integration_id")
    if wanted is not None:
        integrations = [x for x in integrations if x.id == wanted] or integrations
    usable = [x for x in integrations if _downlink_config(x) is not None]
    if not usable:
        raise SendError(f"L'intégration LoRaWAN « {integrations[0].name} » n'est pas configurée "
                        "pour les commandes (api_url, api_key, et pour The Things Stack "
                        "application_id, webhook_id).", retryable=False)
    if spec.encoding(LorawanEncoding.transport) is None:
        raise SendError(f"L'action « {spec.label} » n'a pas d'encodage LoRaWAN : elle ne peut "
                        "pas être transmise à un équipement LoRaWAN.", retryable=False)
    return spec, device, usable[0]


def _downlink_config(integration: Any) -> dict[str, Any] | None:
    try:
        config = orjson.loads(integration.config or "{}")
    except orjson.JSONDecodeError:
        return None
    needed = ("api_url", "api_key") + (("application_id", "webhook_id")
                                       if integration.kind == "tts" else ())
    if not isinstance(config, dict) or not all(config.get(k) for k in needed):
        return None
    return config


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


def _encode(spec: CommandSpec, row: Any) -> tuple[int, str]:
    try:
        fport, data = lorawan_payload(spec, orjson.loads(row.params))
    except EncodingError as exc:
        raise SendError(str(exc), retryable=False) from None
    return fport, base64.b64encode(data).decode()


def _send_chirpstack(client: outbound.Client, integration: Any, device: Any, spec: CommandSpec,
                     row: Any) -> str | None:
    config = _downlink_config(integration) or {}
    fport, data = _encode(spec, row)
    url = f"{config['api_url'].rstrip('/')}/api/devices/{quote(device.dev_eui, safe='')}/queue"
    body = {"queueItem": {"devEui": device.dev_eui, "confirmed": spec.confirmed,
                          "fPort": fport, "data": data}}
    answer = _post(client, url, body, config["api_key"], "ChirpStack")
    queue_id = answer.get("id") if isinstance(answer, dict) else None
    return str(queue_id) if queue_id else None


def _send_tts(client: outbound.Client, integration: Any, device: Any, spec: CommandSpec,
              row: Any) -> str:
    config = _downlink_config(integration) or {}
    fport, data = _encode(spec, row)
    props = orjson.loads(device.properties or "{}")
    tts_device = props.get("tts_device_id") or f"eui-{device.dev_eui.lower()}"
    correlation = TTS_CORRELATION.format(id=row.id)
    url = (f"{config['api_url'].rstrip('/')}/api/v3/as/applications/"
           f"{quote(str(config['application_id']), safe='')}/webhooks/"
           f"{quote(str(config['webhook_id']), safe='')}/devices/"
           f"{quote(str(tts_device), safe='')}/down/push")
    body = {"downlinks": [{"f_port": fport, "frm_payload": data, "priority": "NORMAL",
                           "confirmed": spec.confirmed, "correlation_ids": [correlation]}]}
    _post(client, url, body, config["api_key"], "The Things Stack")
    return correlation


def _post(client: outbound.Client, url: str, body: dict[str, Any], api_key: str,
          server: str) -> Any:
    headers = {"Authorization": f"Bearer {api_key}", "Content-Type": "application/json",
               "Accept": "application/json", "User-Agent": "beffroi"}
    try:
        reply = outbound.post(client, url, content=orjson.dumps(body), headers=headers)
    except outbound.OutboundError as exc:
        raise SendError(f"{server} : {exc.message}.", retryable=exc.retryable) from None
    status = reply.status
    if reply.ok:
        try:
            return orjson.loads(reply.body) if reply.body else {}
        except orjson.JSONDecodeError:
            return {}
    if status in (408, 425, 429) or status >= 500:
        raise SendError(f"{server} indisponible (HTTP {status}).", retryable=True)
    reason = {401: "clé d'API refusée", 403: "clé d'API sans le droit d'envoyer des commandes",
              404: "équipement ou application inconnu du serveur réseau"}.get(
        status, "commande refusée")
    raise SendError(f"{server} : {reason} (HTTP {status}).", retryable=False)


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


def handle_chirpstack_event(db: Database, tenant_id: int, event: str, body: dict[str, Any],
                            now: int | None = None, registry: Registry | None = None
                            ) -> dict[str, Any] | None:
    """ChirpStack ``ack`` and ``txack`` integration events; other events are ignored.

    ``registry`` tells which actions are unconfirmed (acknowledged on ``txack``);
    without it every downlink is treated as confirmed.
    """
    if event not in ("ack", "txack") or not isinstance(body, dict):
        return None
    now = now_ms() if now is None else now
    queue_id = body.get("queueItemId")
    if not queue_id:
        return None
    c, d = schema.commands, schema.devices
    with db.read() as conn:
        row = conn.execute(select(c).where(c.c.tenant_id == tenant_id,
                                           c.c.channel == "chirpstack",
                                           c.c.correlation == str(queue_id))).first()
        if row is None:
            return None  # a downlink Beffroi did not enqueue
        device = conn.execute(select(d).where(d.c.tenant_id == tenant_id,
                                              d.c.id == row.device_id)).first()
    eui = str((body.get("deviceInfo") or {}).get("devEui") or "").lower()
    if eui and device is not None and device.dev_eui and eui != device.dev_eui:
        raise AckError(f"Événement ChirpStack pour le DevEUI {eui}, mais la commande {row.id} "
                       f"vise {device.dev_eui}.")
    confirmed = True
    if registry is not None:
        spec = command_specs(registry).get(row.action)
        confirmed = spec.confirmed if spec else True

    def step(conn: Connection, current: Any) -> Any:
        if event == "ack":
            if body.get("acknowledged"):
                return mark_acknowledged(db, conn, current, now, actor="chirpstack")
            return mark_failed(db, conn, current, now,
                               f"L'équipement n'a pas acquitté la commande (fCntDown "
                               f"{body.get('fCntDown', '?')}).", actor="chirpstack")
        if current.status == "requested":
            current = mark_sent(db, conn, current, now, channel="chirpstack", actor="chirpstack")
        if not confirmed:
            return mark_acknowledged(db, conn, current, now, actor="chirpstack")
        return current

    return _settle(db, tenant_id, row.id, step)


def _tts_command_id(body: dict[str, Any], message: Any) -> int | None:
    ids = list(body.get("correlation_ids") or [])
    if isinstance(message, dict):
        ids += message.get("correlation_ids") or []
        downlink = message.get("downlink")
        if isinstance(downlink, dict):
            ids += downlink.get("correlation_ids") or []
    for value in ids:
        match = _TTS_CORRELATION_RE.match(str(value))
        if match:
            return int(match.group(1))
    return None


def handle_tts_event(db: Database, tenant_id: int, body: dict[str, Any],
                     now: int | None = None) -> dict[str, Any] | None:
    """The Things Stack downlink messages; those without a Beffroi correlation are ignored."""
    if not isinstance(body, dict):
        return None
    kind = next((k for k in TTS_EVENTS if k in body), None)
    if kind is None:
        return None
    message = body[kind]
    command_id = _tts_command_id(body, message)
    if command_id is None:
        return None
    now = now_ms() if now is None else now
    with db.read() as conn:
        row = _load(conn, tenant_id, command_id)
    if row is None or row.channel not in (None, "tts"):
        return None
    # TTS omits false fields: no "confirmed" means an unconfirmed downlink.
    confirmed = bool(isinstance(message, dict) and (
        message.get("confirmed") or (message.get("downlink") or {}).get("confirmed")))

    def step(conn: Connection, current: Any) -> Any:
        if kind == "downlink_ack":
            return mark_acknowledged(db, conn, current, now, actor="tts")
        if kind == "downlink_failed":
            error = (message.get("error") or {}) if isinstance(message, dict) else {}
            text = error.get("message_format") or error.get("name") or "erreur non précisée"
            return mark_failed(db, conn, current, now,
                               f"The Things Stack n'a pas pu transmettre la commande : {text}",
                               retryable=False, actor="tts")
        if kind == "downlink_nack":
            # TTS puts a nacked downlink back at the head of its queue: wait for the next try.
            return note_error(db, conn, current, "Non acquittée par l'équipement ; The Things "
                              "Stack la renvoie.", actor="tts", event="nack")
        if current.status == "requested":
            current = mark_sent(db, conn, current, now, channel="tts",
                                correlation=TTS_CORRELATION.format(id=current.id), actor="tts")
        if kind == "downlink_sent" and not confirmed:
            return mark_acknowledged(db, conn, current, now, actor="tts")
        return current

    return _settle(db, tenant_id, command_id, step)
