"""LoRaWAN commands: how an action's parameters become the bytes of a downlink.

A domain declares the LoRaWAN payload of each action it offers beside the action itself::

    SWITCH = CommandSpec(key="lighting.switch", …,
                         encodings=(LorawanEncoding(encode_switch),))

where ``encode_switch(params) -> (fport, payload bytes)``. Core keeps the encoding with the
action without knowing what LoRaWAN is; the command dispatcher asks ``lorawan_payload`` for
the bytes of a command it hands to a network server, and refuses an action that has no
LoRaWAN encoding, or whose encoding fails or gives something a network server cannot send.

Uplink events are read by each network server's module (``connectivity/providers``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

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
