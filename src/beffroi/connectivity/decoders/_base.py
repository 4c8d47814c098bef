"""The decoder contract and the byte-reading helpers shared by the built-in decoders.

Kept apart from the package ``__init__`` so that decoder modules (built-in or
third-party) can import it without importing every other decoder.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

DecodeFunction = Callable[[bytes, int | None], dict[str, float]]


class DecodeError(ValueError):
    """A payload that cannot be decoded; the message (French) says what and where.

    ``offset`` is the byte offset in the payload where the problem was found, when
    there is one.
    """

    def __init__(self, message: str, *, offset: int | None = None) -> None:
        super().__init__(message)
        self.offset = offset


@dataclass(frozen=True)
class Decoder:
    """A LoRaWAN payload format, as registered under the ``beffroi.decoders`` entry points."""

    key: str  # stable id stored as a device's "model", e.g. "cayenne-lpp"
    label: str  # French, shown to users
    decode: DecodeFunction  # (payload, fPort) -> flat {field: value}
    fields: Mapping[str, tuple[str, str]]  # field -> (suggested metric key, UCUM unit)


def hex_byte(value: int) -> str:
    return f"0x{value:02X}"


def require_payload(payload: bytes) -> bytes:
    """Refuse what is not bytes and the empty payload (nothing to decode)."""
    if not isinstance(payload, bytes | bytearray | memoryview):
        raise DecodeError(f"charge utile de type {type(payload).__name__} : des octets sont attendus")
    payload = bytes(payload)
    if not payload:
        raise DecodeError("charge utile vide : aucun octet à décoder", offset=0)
    return payload


def take(payload: bytes, offset: int, size: int, what: str) -> bytes:
    """``size`` bytes at ``offset``, or a DecodeError naming the truncated field."""
    available = max(len(payload) - offset, 0)
    if available < size:
        raise DecodeError(
            f"trame tronquée : {what} attend {size} octet(s) à l'offset {offset}, "
            f"{available} disponible(s) (charge utile de {len(payload)} octets)",
            offset=offset,
        )
    return payload[offset:offset + size]


def unsigned(data: bytes) -> int:
    return int.from_bytes(data, "big", signed=False)


def signed(data: bytes) -> int:
    return int.from_bytes(data, "big", signed=True)
