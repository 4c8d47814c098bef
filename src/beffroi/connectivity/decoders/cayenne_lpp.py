"""Cayenne Low Power Payload (myDevices), the standard data types.

A payload is a sequence of ``channel (1 byte) | type (1 byte) | value``; the type
fixes the value's size and resolution (myDevices' "Cayenne LPP" documentation,
types from the IPSO Smart Objects: LPP type = IPSO object id - 3200). All
multi-byte values are big-endian. Each value becomes the field
``<type>_<channel>`` (``temperature_3``); the accelerometer and the gyrometer give
one field per axis (``accelerometer_x_6``), the GPS gives ``latitude_<ch>``,
``longitude_<ch>`` and ``altitude_<ch>``. A type met twice on the same channel
keeps the last value. The fPort is not used.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from ._base import DecodeError, Decoder, hex_byte, require_payload, signed, take, unsigned


@dataclass(frozen=True)
class _Part:
    prefix: str  # field name before "_<channel>"
    size: int  # bytes
    is_signed: bool
    divisor: int  # raw value / divisor = value in ``unit``
    metric: str  # suggested Beffroi metric key
    unit: str  # UCUM


@dataclass(frozen=True)
class _Type:
    label: str  # French, for error messages
    parts: tuple[_Part, ...]

    @property
    def size(self) -> int:
        return sum(p.size for p in self.parts)


def _axes(prefix: str, divisor: int, metric: str, unit: str) -> tuple[_Part, ...]:
    return tuple(_Part(f"{prefix}_{axis}", 2, True, divisor, f"{metric}_{axis}", unit)
                 for axis in "xyz")


TYPES: dict[int, _Type] = {
    0x00: _Type("entrée numérique", (_Part("digital_input", 1, False, 1, "generic.state", "1"),)),
    0x01: _Type("sortie numérique", (_Part("digital_output", 1, False, 1, "generic.state", "1"),)),
    0x02: _Type("entrée analogique", (_Part("analog_input", 2, True, 100, "generic.value", "1"),)),
    0x03: _Type("sortie analogique", (_Part("analog_output", 2, True, 100, "generic.value", "1"),)),
    0x65: _Type("éclairement", (_Part("illuminance", 2, False, 1, "air.illuminance", "lx"),)),
    0x66: _Type("présence", (_Part("presence", 1, False, 1, "occupancy.presence", "1"),)),
    0x67: _Type("température", (_Part("temperature", 2, True, 10, "generic.temperature", "Cel"),)),
    0x68: _Type("humidité relative", (_Part("humidity", 1, False, 2, "air.humidity", "%"),)),
    0x71: _Type("accéléromètre", _axes("accelerometer", 1000, "device.acceleration", "[g]")),
    0x73: _Type("baromètre", (_Part("barometer", 2, False, 10, "air.pressure", "hPa"),)),
    0x86: _Type("gyromètre", _axes("gyrometer", 100, "device.angular_rate", "deg/s")),
    0x88: _Type("position GPS", (
        _Part("latitude", 3, True, 10_000, "device.latitude", "deg"),
        _Part("longitude", 3, True, 10_000, "device.longitude", "deg"),
        _Part("altitude", 3, True, 100, "device.altitude", "m"),
    )),
}

_PARTS: dict[str, _Part] = {p.prefix: p for t in TYPES.values() for p in t.parts}


def decode(payload: bytes, fport: int | None = None) -> dict[str, float]:
    payload = require_payload(payload)
    values: dict[str, float] = {}
    offset = 0
    while offset < len(payload):
        channel, code = take(payload, offset, 2, "l'en-tête (canal, type)")
        kind = TYPES.get(code)
        if kind is None:
            raise DecodeError(
                f"type de donnée Cayenne LPP inconnu {hex_byte(code)} à l'offset {offset + 1} "
                f"(canal {channel})", offset=offset + 1)
        data = take(payload, offset + 2, kind.size,
                    f"la valeur « {kind.label} » (type {hex_byte(code)}) du canal {channel}")
        at = 0
        for part in kind.parts:
            raw_bytes = data[at:at + part.size]
            raw = signed(raw_bytes) if part.is_signed else unsigned(raw_bytes)
            values[f"{part.prefix}_{channel}"] = raw / part.divisor
            at += part.size
        offset += 2 + kind.size
    return values


class ChannelFields(Mapping[str, tuple[str, str]]):
    """``<type>_<channel>`` -> (metric, unit) for every type and channel 0..255.

    Looking a name up is immediate; iterating lists the 256 channels of each type.
    """

    def __init__(self) -> None:
        self._names: tuple[str, ...] | None = None

    def __getitem__(self, name: str) -> tuple[str, str]:
        prefix, sep, channel = name.rpartition("_")
        part = _PARTS.get(prefix) if sep else None
        if part is None or not channel.isdigit() or str(int(channel)) != channel \
                or int(channel) > 255:
            raise KeyError(name)
        return part.metric, part.unit

    def __iter__(self) -> Iterator[str]:
        if self._names is None:
            self._names = tuple(f"{prefix}_{channel}" for prefix in _PARTS
                                for channel in range(256))
        return iter(self._names)

    def __len__(self) -> int:
        return 256 * len(_PARTS)


DECODER = Decoder(
    key="cayenne-lpp",
    label="Cayenne LPP (générique)",
    decode=decode,
    fields=ChannelFields(),
)
