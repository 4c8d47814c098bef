"""Remote commands of public lighting: dimming and switching cabinets and luminaires.

LoRaWAN payload — Beffroi's own encoding, on FPort 10, for controllers that
implement it (a vendor's codec can be declared by another domain or added later):

| action                  | bytes                      |
|---|---|
| ``lighting.set_dimming`` | ``0x01``, level 0–100 (%)  |
| ``lighting.switch``      | ``0x02``, ``0x00`` off / ``0x01`` on |
| ``lighting.force_on``    | ``0x03``, hours 1–12: full power, back to the programme after |
| ``lighting.resume_programme`` | ``0x04``: back to the programme now |
| ``lighting.set_programme`` | ``0x05``, then per step: kind (0 fixed time, 1 sunset, 2 sunrise, 3 civil dusk, 4 civil dawn, 5 nautical dusk, 6 nautical dawn), minutes (uint16: since midnight for a fixed time, offset + 32768 for a sun event), level 0–100 |

Over MQTT the device receives the parameters as JSON instead.
"""

from collections.abc import Mapping
from typing import Any

from ...connectivity.lorawan import LorawanEncoding
from ...core.commands import CommandSpec
from ...core.registry import PropertySpec

FPORT = 10
TARGET_KINDS = ("lighting.cabinet", "lighting.luminaire")
# Why an asset without controller cannot receive a command (shown before anyone confirms).
NO_CONTROLLER = ("Aucun contrôleur télégéré n'est rattaché à cet équipement : la commande ne "
                 "pourrait pas lui être transmise (réglages à faire sur place).")


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
    encodings=(LorawanEncoding(encode_dimming),),
    no_device_reason=NO_CONTROLLER,
)

SWITCH = CommandSpec(
    key="lighting.switch",
    label="Allumer ou éteindre",
    asset_kinds=TARGET_KINDS,
    params=(PropertySpec("state", "enum", "État demandé", required=True, choices=("on", "off")),),
    encodings=(LorawanEncoding(encode_switch),),
    no_device_reason=NO_CONTROLLER,
)

SUN_CODES = {"sunset": 1, "sunrise": 2, "civil_dusk": 3, "civil_dawn": 4, "nautical_dusk": 5,
             "nautical_dawn": 6}
MAX_FORCE_HOURS = 12


def encode_force_on(params: Mapping[str, Any]) -> tuple[int, bytes]:
    return FPORT, bytes([0x03, int(params["hours"])])


def encode_resume(params: Mapping[str, Any]) -> tuple[int, bytes]:
    return FPORT, bytes([0x04])


def _programme_steps(params: Mapping[str, Any]) -> tuple[Any, ...]:
    from .cabinet_programme import parse_steps_text
    from .programmes import PRESETS

    if params.get("steps"):
        return parse_steps_text(params["steps"])
    return PRESETS[params["programme"]].steps


def encode_programme(params: Mapping[str, Any]) -> tuple[int, bytes]:
    """Steps of one night: a preset's default ones or explicit ``steps`` (variants stay
    with Beffroi, which pushes them in season)."""
    out = bytearray([0x05])
    for step in _programme_steps(params):
        if step.at in SUN_CODES:
            out += bytes([SUN_CODES[step.at]]) + (step.offset_min + 32768).to_bytes(2, "big")
        else:
            hours, minutes = step.at.split(":")
            out += bytes([0]) + (int(hours) * 60 + int(minutes)).to_bytes(2, "big")
        out.append(step.level)
    return FPORT, bytes(out)


def check_programme(params: Mapping[str, Any]) -> list[dict[str, str]]:
    from .programmes import ProgrammeError

    if ("programme" in params) == ("steps" in params):
        return [{"field": "programme", "message": "indiquez soit « programme » (programme "
                                                  "type), soit « steps » (étapes)"}]
    try:
        _programme_steps(params)
    except ProgrammeError as exc:
        return [{"field": "steps", "message": str(exc)}]
    return []


def _preset_keys() -> tuple[str, ...]:
    from .programmes import PRESETS

    return tuple(PRESETS)


FORCE_ON = CommandSpec(
    key="lighting.force_on",
    label="Allumage d'urgence",
    asset_kinds=("lighting.cabinet",),
    params=(PropertySpec("hours", "integer", "Durée", required=True, unit="h", minimum=1,
                         maximum=MAX_FORCE_HOURS),),
    encodings=(LorawanEncoding(encode_force_on),),
    ttl_s=900,  # an emergency that cannot be delivered within 15 minutes has failed
    no_device_reason=NO_CONTROLLER,
)

RESUME_PROGRAMME = CommandSpec(
    key="lighting.resume_programme",
    label="Reprendre le programme",
    asset_kinds=("lighting.cabinet",),
    encodings=(LorawanEncoding(encode_resume),),
    no_device_reason=NO_CONTROLLER,
)

SET_PROGRAMME = CommandSpec(
    key="lighting.set_programme",
    label="Charger un programme",
    asset_kinds=("lighting.cabinet",),
    params=(PropertySpec("programme", "enum", "Programme type", choices=_preset_keys()),
            PropertySpec("steps", "string", "Étapes (ex. « sunset=100 23:00=0 05:00=100 "
                                            "sunrise=0 »)")),
    encodings=(LorawanEncoding(encode_programme),),
    check=check_programme,
    no_device_reason=NO_CONTROLLER,
)

COMMANDS = (SET_DIMMING, SWITCH, FORCE_ON, RESUME_PROGRAMME, SET_PROGRAMME)
