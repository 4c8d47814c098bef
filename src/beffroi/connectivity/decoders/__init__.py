"""LoRaWAN payload decoders: bytes of an uplink -> flat fields with float values.

A decoder is a :class:`Decoder` object registered under the ``beffroi.decoders``
entry-point group, exactly as a third-party package would register its own::

    [project.entry-points."beffroi.decoders"]
    my-sensor = "my_package.decoders:DECODER"

The device's ``model`` holds the decoder's ``key``. ``decode(payload, fport)``
returns ``{field: value}`` with stable snake_case field names and values in the
units of ``fields`` (SI/UCUM), or raises :class:`DecodeError` whose French
message says what is wrong and where (offset, byte, length).

Built-in decoders are always available, even from a source tree where the entry
points are not installed; a third-party decoder cannot replace a built-in one.
"""

from __future__ import annotations

import logging
from functools import lru_cache

from ..entry_points import PluginGroup, discover
from ._base import DecodeError, Decoder

__all__ = ["DecodeError", "Decoder", "decoders", "get_decoder"]

ENTRY_POINT_GROUP = "beffroi.decoders"

log = logging.getLogger("beffroi.decoders")


def _builtins() -> dict[str, Decoder]:
    from . import adeunis_pulse, cayenne_lpp, elsys

    return {d.key: d for d in (cayenne_lpp.DECODER, elsys.DECODER, adeunis_pulse.DECODER)}


_GROUP = PluginGroup(ENTRY_POINT_GROUP, Decoder, "décodeur", "décodeurs", "décodeur")


@lru_cache(maxsize=1)
def _discover() -> dict[str, Decoder]:
    return discover(_GROUP, _builtins(), log)


def decoders() -> dict[str, Decoder]:
    """Every known decoder by key: the built-in ones and those of installed plug-ins."""
    return dict(_discover())


def reload() -> None:
    """Forget the discovered plug-ins (after installing one, in tests)."""
    _discover.cache_clear()


def get_decoder(key: str) -> Decoder:
    known = _discover()
    try:
        return known[key]
    except KeyError:
        raise KeyError(f"décodeur inconnu « {key} » ; décodeurs disponibles : "
                       f"{', '.join(sorted(known))}") from None
