"""LoRaWAN in Beffroi: how a command becomes a downlink, and how uplink events read.

A domain declares the LoRaWAN payload of each action it offers beside the action itself::

    SWITCH = CommandSpec(key="lighting.switch", …,
                         encodings=(LorawanEncoding(encode_switch),))

where ``encode_switch(params) -> (fport, payload bytes)``. Core keeps the encoding with the
action without knowing what LoRaWAN is; the command dispatcher asks ``lorawan_payload`` for
the bytes of a command it hands to a network server, and refuses an action that has no
LoRaWAN encoding, or whose encoding fails or gives something a network server cannot send.

Uplink events of ChirpStack v4 and The Things Stack v3 are read into one ``LoraUplink``:
the device's DevEUI, the time, the network server's decoded object when it has one (else
the raw bytes for a Beffroi decoder), and the radio metadata of the best gateway.

- ChirpStack v4 integration event ``up`` (protobuf JSON mapping: zero values are
  omitted, so ``fCnt`` may be absent; ``object`` only when a codec is set).
- The Things Stack v3 webhook uplink message (``uplink_message`` with
  ``frm_payload``, ``decoded_payload``, ``rx_metadata``, ``f_cnt``; empty fields omitted).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from ..core.clock import parse_instant
from .payloads import PayloadError

# (params) -> (LoRaWAN FPort, FRMPayload bytes)
Encoder = Callable[[Mapping[str, Any]], tuple[int, bytes]]
MAX_FPORT = 223  # 224 is LoRaWAN's test port, 0 carries MAC commands only


@dataclass(frozen=True)
class LorawanEncoding:
    """The LoRaWAN payload of an action (``CommandSpec.encodings``)."""

    encode: Encoder
    transport: ClassVar[str] = "lorawan"


class EncodingError(ValueError):
    """A command that cannot be put in a LoRaWAN downlink (French)."""


def lorawan_payload(spec: Any, params: Mapping[str, Any]) -> tuple[int, bytes]:
    """(FPort, bytes) of a command of action ``spec`` with ``params``; EncodingError."""
    encoding = spec.encoding(LorawanEncoding.transport)
    if encoding is None:
        raise EncodingError(f"L'action « {spec.label} » n'a pas d'encodage LoRaWAN : elle ne "
                            "peut pas être transmise à un équipement LoRaWAN.")
    try:
        fport, data = encoding.encode(params)
    except Exception as exc:  # the domain's own code: whatever it raises is its refusal
        raise EncodingError(f"Encodage LoRaWAN de la commande impossible : {exc}") from None
    if not isinstance(fport, int) or isinstance(fport, bool) or not 1 <= fport <= MAX_FPORT \
            or not isinstance(data, bytes):
        raise EncodingError("Encodage LoRaWAN invalide (FPort 1 à 223 et octets attendus).")
    return fport, data


@dataclass
class LoraUplink:
    dev_eui: str
    time_ms: int | None
    fields: dict[str, float] | None  # the network server's decoded object, flattened
    payload: bytes
    f_port: int | None
    radio: dict[str, float] = field(default_factory=dict)  # rssi, snr, frame_counter
    gateway: str | None = None
    message_id: str | None = None  # deduplicationId / correlation id


def flatten(obj: Any, prefix: str = "") -> dict[str, float]:
    """Numeric leaves of a decoded object as ``a_b_c`` fields (booleans as 0/1)."""
    out: dict[str, float] = {}
    if isinstance(obj, dict):
        for key, value in obj.items():
            out.update(flatten(value, f"{prefix}{key}_" if isinstance(value, dict)
                               else f"{prefix}{key}"))
    elif isinstance(obj, bool):
        out[prefix] = 1.0 if obj else 0.0
    elif isinstance(obj, int | float):
        out[prefix] = float(obj)
    return out


def _b64(text: Any, what: str) -> bytes:
    if text in (None, ""):
        return b""
    try:
        return base64.b64decode(str(text), validate=True)
    except (binascii.Error, ValueError):
        raise PayloadError(f"« {what} » n'est pas du base64 valide") from None


def _time(text: Any) -> int | None:
    if not text:
        return None
    try:
        return parse_instant(str(text))
    except ValueError as exc:
        raise PayloadError(f"horodatage invalide : {exc}") from None


def _best(rx: list[dict[str, Any]], rssi_key: str = "rssi") -> dict[str, Any]:
    candidates = [r for r in rx if isinstance(r, dict)]
    return max(candidates, key=lambda r: r.get(rssi_key, -999), default={})


def chirpstack_up(body: dict[str, Any]) -> LoraUplink:
    info = body.get("deviceInfo") or {}
    dev_eui = str(info.get("devEui") or "").lower()
    if not dev_eui:
        raise PayloadError("événement ChirpStack sans « deviceInfo.devEui »")
    best = _best(body.get("rxInfo") or [])
    radio = {key: float(best[src]) for key, src in (("rssi", "rssi"), ("snr", "snr"))
             if isinstance(best.get(src), int | float)}
    radio["frame_counter"] = float(body.get("fCnt") or 0)  # omitted when zero (protobuf JSON)
    obj = body.get("object")
    return LoraUplink(dev_eui, _time(body.get("time")), flatten(obj) if obj else None,
                      _b64(body.get("data"), "data"), body.get("fPort"), radio,
                      best.get("gatewayId"), body.get("deduplicationId"))


def tts_uplink(body: dict[str, Any]) -> LoraUplink:
    ids = body.get("end_device_ids") or {}
    dev_eui = str(ids.get("dev_eui") or "").lower()
    if not dev_eui:
        raise PayloadError("message The Things Stack sans « end_device_ids.dev_eui »")
    up = body.get("uplink_message")
    if not isinstance(up, dict):
        raise PayloadError("message The Things Stack sans « uplink_message »")
    best = _best(up.get("rx_metadata") or [])
    radio = {key: float(best[key]) for key in ("rssi", "snr")
             if isinstance(best.get(key), int | float)}
    radio["frame_counter"] = float(up.get("f_cnt") or 0)
    decoded = up.get("decoded_payload")
    correlation = body.get("correlation_ids") or []
    return LoraUplink(dev_eui, _time(up.get("received_at") or body.get("received_at")),
                      flatten(decoded) if decoded else None,
                      _b64(up.get("frm_payload"), "frm_payload"), up.get("f_port"), radio,
                      (best.get("gateway_ids") or {}).get("gateway_id"),
                      correlation[0] if correlation else None)
