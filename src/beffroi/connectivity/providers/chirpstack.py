"""ChirpStack v4, through its HTTP integration (events in) and its REST API (downlinks out).

Events: one POST per event, its type in the ``event`` query parameter (``up``, ``join``,
``status``, ``ack``, ``txack``, ``log``, ``location``, ``integration``), JSON encoding
(protobuf JSON mapping: zero values are omitted, so ``fCnt`` may be absent; ``object``
only when a codec is set in ChirpStack).

Downlinks: the REST API is grpc-gateway over ``api.DeviceService``; ``Enqueue`` is
``post: "/api/devices/{queue_item.dev_eui}/queue", body: "*"`` in chirpstack/chirpstack
``api/proto/api/device.proto``, so the JSON body is ``{"queueItem": {"devEui",
"confirmed", "fPort", "data": <base64>}}`` (proto3 JSON names), the API token goes in
``Authorization: Bearer``, and the answer ``EnqueueDeviceQueueItemResponse`` is
``{"id": "<uuid>"}``: that queue-item id is the correlation, matched against the
``queueItemId`` of the ``ack`` (device confirmed, or timed out: ``acknowledged`` false —
ChirpStack drops it from its queue, so Beffroi enqueues it again) and ``txack`` (the
gateway accepted the transmission) events.

Types (``base``): ``deviceInfo`` (object), ``deviceInfo.devEui`` (text), ``time``, ``data``
(base64) and ``fCnt`` (whole number) of the wrong type refuse the event, naming the field;
a ``deduplicationId`` that is not text, an ``fPort`` that is not a port, a ``gatewayId`` or
radio levels of another type are ignored and the uplink is stored.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from ...core import outbound
from ...core.errors import Invalid
from ..payloads import PayloadError
from .base import (
    ConfigKey,
    DeviceEvent,
    Downlink,
    DownlinkReport,
    Inbound,
    NetworkServer,
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

LABEL = "ChirpStack v4"
EVENTS = ("up", "join", "status", "ack", "txack", "log", "location", "integration")


def _device_eui(body: dict[str, Any], missing: str) -> str:
    return dev_eui(object_at(body.get("deviceInfo"), "deviceInfo").get("devEui"), missing,
                   "deviceInfo.devEui")


def uplink(body: dict[str, Any]) -> Uplink:
    eui = _device_eui(body, "événement ChirpStack sans « deviceInfo.devEui »")
    best = strongest(body.get("rxInfo"))
    radio = radio_levels(best)
    # fCnt is omitted when zero (protobuf JSON)
    radio["frame_counter"] = frame_counter(body.get("fCnt"), "fCnt") or 0.0
    obj = body.get("object")
    return Uplink(eui, instant(body.get("time"), "time"), flatten(obj) if obj else None,
                  from_base64(body.get("data"), "data"), f_port(body.get("fPort")), radio,
                  text_or_none(best.get("gatewayId")), body.get("deduplicationId"))


def _device(event: str, body: dict[str, Any]) -> DeviceEvent:
    eui = _device_eui(body, f"événement ChirpStack « {event} » sans « deviceInfo.devEui »")
    battery = None
    if event == "status" and not body.get("externalPowerSource") \
            and not body.get("batteryLevelUnavailable"):
        battery = body.get("batteryLevel", 0.0)  # omitted when 0 (protobuf JSON)
        if not isinstance(battery, int | float) or isinstance(battery, bool) \
                or not 0 <= battery <= 100:
            raise PayloadError("« batteryLevel » doit être un pourcentage de 0 à 100")
        battery = float(battery)
    return DeviceEvent(eui, battery, body.get("deduplicationId") if battery is not None else None)


def _report(event: str, body: dict[str, Any]) -> tuple[DownlinkReport, ...]:
    queue_id = body.get("queueItemId")
    if not queue_id:
        return ()  # a downlink Beffroi did not enqueue
    eui = str(object_at(body.get("deviceInfo"), "deviceInfo").get("devEui") or "").lower() \
        or None
    if event == "txack":
        return (DownlinkReport("transmitted", correlation=str(queue_id), dev_eui=eui),)
    if body.get("acknowledged"):
        return (DownlinkReport("acknowledged", correlation=str(queue_id), dev_eui=eui),)
    return (DownlinkReport("retry", correlation=str(queue_id), dev_eui=eui,
                           detail=f"L'équipement n'a pas acquitté la commande (fCntDown "
                                  f"{body.get('fCntDown', '?')})."),)


def parse(inbound: Inbound) -> ParsedEvent:
    event = inbound.query.get("event")
    if event not in EVENTS:
        raise Invalid(f"Événement ChirpStack « {event or ''} » inconnu : attendu "
                      + ", ".join(EVENTS) + " (paramètre ?event=).")
    body = json_object(inbound.body)
    if event == "up":
        return ParsedEvent("up", uplink=uplink(body))
    if event in ("join", "status"):
        return ParsedEvent(event, device=_device(event, body))
    if event in ("ack", "txack"):
        return ParsedEvent(event, reports=_report(event, body))
    return ParsedEvent(event)


def send(config: Mapping[str, str], target: Target, downlink: Downlink,
         http: outbound.Client) -> str | None:
    url = f"{config['api_url'].rstrip('/')}/api/devices/{quote(target.dev_eui, safe='')}/queue"
    body = {"queueItem": {"devEui": target.dev_eui, "confirmed": downlink.confirmed,
                          "fPort": downlink.f_port,
                          "data": base64.b64encode(downlink.payload).decode()}}
    answer = post_json(http, url, "ChirpStack", body, config["api_key"])
    queue_id = answer.get("id") if isinstance(answer, dict) else None
    return str(queue_id) if queue_id else None


NETWORK_SERVER = NetworkServer(
    key="chirpstack",
    label=LABEL,
    config_keys=(
        ConfigKey("api_url", "adresse du serveur ChirpStack (https://chirpstack.example.fr)",
                  url=True),
        ConfigKey("api_key", "clé d'API (jeton) autorisée à envoyer des commandes",
                  secret=True),
    ),
    parse=parse,
    send=send,
    endpoint_hint="?event=…",
)
