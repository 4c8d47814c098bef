"""Adeunis PULSE (LoRaWAN, APP v3 and v4 frames): two pulse inputs for water, gas or
electricity meters.

Every uplink starts with a frame code and the Adeunis status byte (bits 7-5: frame
counter 0..7, bit 1: low battery, bit 0: configuration done; bit 2 means "hardware
error" on v3 and "timestamp appended" on v4, so it is not reported). Multi-byte
values are big-endian. Decoded frames (Adeunis PULSE technical reference manuals
and user guides; the v4 codec published in TheThingsNetwork/lorawan-devices,
vendor/adeunis/pulse_lib.js):

* 0x46 periodic data: index (uint32) of channel A then B -> ``pulse_count_a``,
  ``pulse_count_b``;
* 0x5A / 0x5B periodic data with history, channel A / B: the index at sending time
  (uint32) followed by 16-bit deltas to the earlier samples -> ``pulse_count_a`` or
  ``pulse_count_b`` (the history, without timestamps of its own, is left out);
* 0x47 flow alarm: flow (uint16, pulses per hour) of A then B -> ``flow_rate_a``,
  ``flow_rate_b``;
* 0x30 daily keep-alive: alarm flags (flow exceeded, tamper, leak, per channel) then the
  maximum flows of A and B and the minimum flows of A and B over the last 24 hours;
* 0x10, 0x11, 0x12 (configuration), 0x20 (network), 0x31 (registers), 0x33 (register
  write status): no measurement, only the status byte.

v4 products may append a 4-byte timestamp to 0x30, 0x46, 0x47, 0x5A and 0x5B; it is
accepted and not used (the reception time stands). Each frame also gives
``low_battery``, ``configuration_done`` and ``status_frame_counter``. The 0x48
frames (hourly history of older products, spread over several uplinks) and unknown
codes are refused. The fPort is not checked (Adeunis uses port 1).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from ._base import DecodeError, Decoder, hex_byte, require_payload, take, unsigned

TIMESTAMP_SIZE = 4
# Configuration (0x10-0x12), network (0x20), register values (0x31) and register write
# status (0x33): no measurement in them, only the status byte is decoded.
STATUS_ONLY = frozenset({0x10, 0x11, 0x12, 0x20, 0x31, 0x33})


def _status(payload: bytes) -> dict[str, float]:
    status = take(payload, 1, 1, "l'octet de statut")[0]
    return {
        "status_frame_counter": float(status >> 5),
        "low_battery": float((status >> 1) & 1),
        "configuration_done": float(status & 1),
    }


def _check_length(payload: bytes, code: int, size: int) -> None:
    """Fixed-size frame, possibly followed by a v4 timestamp."""
    if len(payload) not in (size, size + TIMESTAMP_SIZE):
        raise DecodeError(
            f"longueur inattendue pour la trame {hex_byte(code)} : {len(payload)} octets "
            f"({size}, ou {size + TIMESTAMP_SIZE} avec horodatage, attendus)", offset=size)


def _u(payload: bytes, offset: int, size: int, what: str) -> float:
    return float(unsigned(take(payload, offset, size, what)))


def _data(payload: bytes) -> dict[str, float]:
    values = {"pulse_count_a": _u(payload, 2, 4, "l'index de la voie A"),
              "pulse_count_b": _u(payload, 6, 4, "l'index de la voie B")}
    _check_length(payload, 0x46, 10)
    return values


def _data_with_history(payload: bytes, channel: str) -> dict[str, float]:
    values = {f"pulse_count_{channel}": _u(payload, 2, 4, f"l'index de la voie {channel.upper()}")}
    if (len(payload) - 6) % 2:
        raise DecodeError(
            f"trame tronquée : l'historique de la voie {channel.upper()} est fait de valeurs "
            f"de 2 octets, le dernier octet (offset {len(payload) - 1}) est isolé",
            offset=len(payload) - 1)
    return values


def _alarm(payload: bytes) -> dict[str, float]:
    values = {"flow_rate_a": _u(payload, 2, 2, "le débit de la voie A"),
              "flow_rate_b": _u(payload, 4, 2, "le débit de la voie B")}
    _check_length(payload, 0x47, 6)
    return values


def _keep_alive(payload: bytes) -> dict[str, float]:
    alarms = take(payload, 2, 1, "l'octet des alarmes")[0]
    values = {
        "flow_alarm_a": float(alarms & 1),
        "flow_alarm_b": float((alarms >> 1) & 1),
        "tamper_alarm_a": float((alarms >> 2) & 1),
        "tamper_alarm_b": float((alarms >> 3) & 1),
        "leak_alarm_a": float((alarms >> 4) & 1),
        "leak_alarm_b": float((alarms >> 5) & 1),
        "flow_max_24h_a": _u(payload, 3, 2, "le débit maximal sur 24 h de la voie A"),
        "flow_max_24h_b": _u(payload, 5, 2, "le débit maximal sur 24 h de la voie B"),
        "flow_min_24h_a": _u(payload, 7, 2, "le débit minimal sur 24 h de la voie A"),
        "flow_min_24h_b": _u(payload, 9, 2, "le débit minimal sur 24 h de la voie B"),
    }
    _check_length(payload, 0x30, 11)
    return values


_BODIES: dict[int, Callable[[bytes], dict[str, float]]] = {
    0x30: _keep_alive,
    0x46: _data,
    0x47: _alarm,
    0x5A: partial(_data_with_history, channel="a"),
    0x5B: partial(_data_with_history, channel="b"),
}


def decode(payload: bytes, fport: int | None = None) -> dict[str, float]:
    payload = require_payload(payload)
    code = payload[0]
    if code == 0x48:
        raise DecodeError("trame 0x48 (historique horaire en plusieurs messages) non prise en "
                          "charge par ce décodeur (seules 0x46, 0x5A et 0x5B donnent les index)",
                          offset=0)
    if code not in _BODIES and code not in STATUS_ONLY:
        raise DecodeError(f"code de trame Adeunis PULSE inconnu {hex_byte(code)} à l'offset 0",
                          offset=0)
    status = _status(payload)
    body = _BODIES.get(code)
    return (body(payload) if body else {}) | status


FIELDS: dict[str, tuple[str, str]] = {
    "pulse_count_a": ("generic.counter", "1"),
    "pulse_count_b": ("generic.counter", "1"),
    "flow_rate_a": ("generic.pulse_rate", "1/h"),
    "flow_rate_b": ("generic.pulse_rate", "1/h"),
    "flow_max_24h_a": ("generic.pulse_rate", "1/h"),
    "flow_max_24h_b": ("generic.pulse_rate", "1/h"),
    "flow_min_24h_a": ("generic.pulse_rate", "1/h"),
    "flow_min_24h_b": ("generic.pulse_rate", "1/h"),
    "flow_alarm_a": ("device.alarm", "1"),
    "flow_alarm_b": ("device.alarm", "1"),
    "tamper_alarm_a": ("device.alarm", "1"),
    "tamper_alarm_b": ("device.alarm", "1"),
    "leak_alarm_a": ("device.alarm", "1"),
    "leak_alarm_b": ("device.alarm", "1"),
    "low_battery": ("device.low_battery", "1"),
    "configuration_done": ("device.configuration_done", "1"),
    "status_frame_counter": ("device.status_frame_counter", "1"),
}

DECODER = Decoder(
    key="adeunis-pulse",
    label="Adeunis PULSE (interface impulsions, v3/v4)",
    decode=decode,
    fields=FIELDS,
)
