"""What a domain declares to offer actions on its equipment: ``CommandSpec``
(``Domain.commands``), validated and run by ``commands.py``'s state machine.

Declarations only, light to import.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from .registry import PropertySpec

class Encoding(Protocol):
    """How one transport that carries bytes turns an action's parameters into its payload.

    Declared by that transport, not by core: ``connectivity.lorawan.LorawanEncoding`` (an
    FPort and bytes for LoRaWAN network servers). Core only keeps them with the action and
    says which transports an action can use; the transport reads its own.
    """

    transport: str  # "lorawan"


NO_DEVICE_REASON = ("Aucun capteur ni actionneur n'est rattaché à cet équipement : la commande "
                    "ne pourrait pas être transmise.")


@dataclass(frozen=True)
class CommandSpec:
    """An action a domain offers on some asset kinds, declared as data."""

    key: str  # dotted with the domain: "lighting.set_dimming"
    label: str  # French
    asset_kinds: tuple[str, ...]
    params: tuple[PropertySpec, ...] = ()
    # Byte encodings for the transports that need one (LoRaWAN); MQTT carries the
    # parameters as JSON and needs none.
    encodings: tuple[Encoding, ...] = ()
    ttl_s: int = 3600  # validity once due: past it, an unacknowledged command expires
    confirmed: bool = True  # wait for the device's acknowledgement
    max_attempts: int = 3
    # Checks across parameters, after each is valid on its own: clean params ->
    # [{field, message}] errors (e.g. "one of A or B").
    check: Callable[[Mapping[str, Any]], list[dict[str, str]]] | None = None
    # French: why an asset without device cannot receive it ("Aucun contrôleur…").
    no_device_reason: str = NO_DEVICE_REASON

    def param(self, name: str) -> PropertySpec | None:
        for spec in self.params:
            if spec.name == name:
                return spec
        return None

    def encoding(self, transport: str) -> Any | None:
        """This action's encoding for ``transport``, if it declares one."""
        return next((e for e in self.encodings if e.transport == transport), None)
