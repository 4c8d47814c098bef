"""Remote commands of public lighting: dimming and switching cabinets and luminaires.

LoRaWAN payload — Beffroi's own encoding, on FPort 10, for controllers that
implement it (a vendor's codec can be declared by another domain or added later):

| action                  | bytes                      |
|---|---|
| ``lighting.set_dimming`` | ``0x01``, level 0–100 (%)  |
| ``lighting.switch``      | ``0x02``, ``0x00`` off / ``0x01`` on |

Over MQTT the device receives the parameters as JSON instead.
"""

from collections.abc import Mapping
from typing import Any

from ...core.commands import CommandSpec
from ...core.registry import PropertySpec

FPORT = 10
TARGET_KINDS = ("lighting.cabinet", "lighting.luminaire")


def encode_dimming(params: Mapping[str, Any]) -> tuple[int, bytes]:
    return FPORT, bytes([0x01, int(params["level"])])


def encode_switch(params: Mapping[str, Any]) -> tuple[int, bytes]:
    return FPORT, bytes([0x02, 1 if params["state"] == "on" else 0])


SET_DIMMING = CommandSpec(
    key="lighting.set_dimming",
    label="Régler la gradation",
    asset_kinds=TARGET_KINDS,
    params=(PropertySpec("level", "integer", "Niveau de gradation", required=True, unit="%",
                         minimum=0, maximum=100),),
    encode=encode_dimming,
)

SWITCH = CommandSpec(
    key="lighting.switch",
    label="Allumer ou éteindre",
    asset_kinds=TARGET_KINDS,
    params=(PropertySpec("state", "enum", "État demandé", required=True, choices=("on", "off")),),
    encode=encode_switch,
)

COMMANDS = (SET_DIMMING, SWITCH)
