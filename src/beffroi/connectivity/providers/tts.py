"""The Things Stack v3, through a custom webhook (events in and downlinks out).

Events: one POST per message, its type given by the key present (``uplink_message``,
``join_accept``, ``downlink_ack``, ``downlink_nack``, ``downlink_failed``,
``downlink_sent``, ``downlink_queued``, …); empty fields are omitted (no ``confirmed``
means false).

Downlinks, "Scheduling downlinks" with webhooks
(thethingsindustries.com/docs/integrations/webhooks/scheduling-downlinks/):
``POST /api/v3/as/applications/{application_id}/webhooks/{webhook_id}/devices/{device_id}/down/push``
with ``{"downlinks": [{"f_port", "frm_payload": <base64>, "priority": "NORMAL",
"confirmed", "correlation_ids": ["beffroi:command:<id>"]}]}`` and the API key as bearer
token. The Application Server echoes that correlation id in the ``downlink_queued`` /
``downlink_sent`` / ``downlink_ack`` / ``downlink_nack`` / ``downlink_failed`` messages
(data formats page), which name the command by its id. A nacked downlink is put back at
the head of the queue by The Things Stack itself (``handleDownlinkNack`` in lorawan-stack
``pkg/applicationserver``): the command stays ``sent``. The device id is the device
property ``tts_device_id``, else ``eui-<deveui>``.

Types (``base``): ``end_device_ids`` and ``uplink_message`` (objects), ``dev_eui`` (text),
``received_at``, ``frm_payload`` (base64) and ``f_cnt`` (whole number) of the wrong type
refuse the message, naming the field; ``correlation_ids`` that are not a list of texts, an
``f_port`` that is not a port, ``gateway_ids`` or radio levels of another type are ignored
and the uplink is stored.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from ...core import outbound
from ..payloads import PayloadError
from .base import (
    ConfigKey,
    DeviceEvent,
    Downlink,
    DownlinkReport,
    Inbound,
    NetworkServer,
    Outcome,
    ParsedEvent,
    Target,
    Uplink,
    dev_eui,
    f_port,
    flatten,
    frame_counter,
    from_base64,
    instant,
    json_object,
    object_at,
    post_json,
    radio_levels,
    strongest,
    text_or_none,
)

LABEL = "The Things Stack v3"
CORRELATION = "beffroi:command:{id}"
_CORRELATION_RE = re.compile(r"^beffroi:command:(\d{1,18})$")
UPLINK, JOIN = "uplink_message", "join_accept"
DOWNLINK_EVENTS: dict[str, Outcome] = {
    "downlink_ack": "acknowledged", "downlink_nack": "requeued", "downlink_failed": "failed",
    "downlink_sent": "transmitted", "downlink_queued": "queued"}
OTHER_EVENTS = ("location_solved", "service_data", "uplink_normalized",
                "downlink_queue_invalidated")


def _strings(value: Any) -> list[str]:
    """The texts of a list of correlation ids (anything else is no id)."""
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def _device_eui(body: dict[str, Any]) -> str:
    return dev_eui(object_at(body.get("end_device_ids"), "end_device_ids").get("dev_eui"),
                   "message The Things Stack sans « end_device_ids.dev_eui »",
                   "end_device_ids.dev_eui")


def uplink(body: dict[str, Any]) -> Uplink:
    eui = _device_eui(body)
    up = body.get("uplink_message")
    if up is None:
        raise PayloadError("message The Things Stack sans « uplink_message »",
                           field="uplink_message")
    up = object_at(up, "uplink_message")
    best = strongest(up.get("rx_metadata"))
    radio = radio_levels(best)
    radio["frame_counter"] = frame_counter(up.get("f_cnt"), "uplink_message.f_cnt") or 0.0
    decoded = up.get("decoded_payload")
    correlation = _strings(body.get("correlation_ids"))
    gateway = best.get("gateway_ids")
    if up.get("received_at"):
        received = instant(up.get("received_at"), "uplink_message.received_at")
    else:
        received = instant(body.get("received_at"), "received_at")
    return Uplink(eui, received, flatten(decoded) if decoded else None,
                  from_base64(up.get("frm_payload"), "uplink_message.frm_payload"),
                  f_port(up.get("f_port")), radio,
                  text_or_none(gateway.get("gateway_id")) if isinstance(gateway, dict) else None,
                  correlation[0] if correlation else None)


def _command_id(body: dict[str, Any], message: Any) -> int | None:
    ids = _strings(body.get("correlation_ids"))
    if isinstance(message, dict):
        ids += _strings(message.get("correlation_ids"))
        downlink = message.get("downlink")
        if isinstance(downlink, dict):
            ids += _strings(downlink.get("correlation_ids"))
    for value in ids:
        match = _CORRELATION_RE.match(str(value))
        if match:
            return int(match.group(1))
    return None


def _report(kind: str, body: dict[str, Any]) -> tuple[DownlinkReport, ...]:
    message = body[kind]
    command_id = _command_id(body, message)
    if command_id is None:
        return ()  # a downlink Beffroi did not push
    eui = str(object_at(body.get("end_device_ids"), "end_device_ids").get("dev_eui") or ""
              ).lower() or None
    detail = None
    if kind == "downlink_failed":
        error = message.get("error") if isinstance(message, dict) else None
        error = error if isinstance(error, dict) else {}
        text = error.get("message_format") or error.get("name") or "erreur non précisée"
        detail = f"The Things Stack n'a pas pu transmettre la commande : {text}"
    elif kind == "downlink_nack":
        detail = "Non acquittée par l'équipement ; The Things Stack la renvoie."
    return (DownlinkReport(DOWNLINK_EVENTS[kind], correlation=CORRELATION.format(id=command_id),
                           command_id=command_id, dev_eui=eui, detail=detail),)


def parse(inbound: Inbound) -> ParsedEvent:
    body = json_object(inbound.body)
    if UPLINK in body:
        return ParsedEvent("up", uplink=uplink(body))
    if JOIN in body:
        return ParsedEvent("join", device=DeviceEvent(_device_eui(body)))
    kind = next((k for k in DOWNLINK_EVENTS if k in body), None)
    if kind is not None:
        return ParsedEvent(kind, reports=_report(kind, body))
    kind = next((k for k in OTHER_EVENTS if k in body), None)
    if kind is None:
        raise PayloadError("message The Things Stack sans type reconnu (uplink_message, "
                           "join_accept, downlink_…)")
    return ParsedEvent(kind)


def send(config: Mapping[str, str], target: Target, downlink: Downlink,
         http: outbound.Client) -> str:
    device = target.properties.get("tts_device_id") or f"eui-{target.dev_eui.lower()}"
    correlation = CORRELATION.format(id=downlink.command_id)
    url = (f"{config['api_url'].rstrip('/')}/api/v3/as/applications/"
           f"{quote(str(config['application_id']), safe='')}/webhooks/"
           f"{quote(str(config['webhook_id']), safe='')}/devices/"
           f"{quote(str(device), safe='')}/down/push")
    body = {"downlinks": [{"f_port": downlink.f_port,
                           "frm_payload": base64.b64encode(downlink.payload).decode(),
                           "priority": "NORMAL", "confirmed": downlink.confirmed,
                           "correlation_ids": [correlation]}]}
    post_json(http, url, "The Things Stack", body, config["api_key"])
    return correlation


NETWORK_SERVER = NetworkServer(
    key="tts",
    label=LABEL,
    config_keys=(
        ConfigKey("api_url", "adresse du cluster (https://eu1.cloud.thethings.network)",
                  url=True),
        ConfigKey("api_key", "clé d'API de l'application (droit d'envoyer des downlinks)",
                  secret=True),
        ConfigKey("application_id", "identifiant de l'application"),
        ConfigKey("webhook_id", "identifiant du webhook"),
    ),
    parse=parse,
    send=send,
)
