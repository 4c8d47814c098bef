"""LoRaWAN network servers, one module each, registered like decoders.

A network server is a :class:`NetworkServer` (``providers/base.py``: the contract)
registered under the ``beffroi.network_servers`` entry-point group, exactly as a
third-party package would register its own::

    [project.entry-points."beffroi.network_servers"]
    loriot = "my_package.loriot:NETWORK_SERVER"

Its ``key`` is the kind of the integrations that use it and the end of their endpoint
(``POST /api/v1/integrations/{id}/{key}``). Nothing else in Beffroi names a network
server: creating an integration, checking its configuration, reading the events it posts
and sending it commands all go through the object found here.

Built-in servers are always available, even from a source tree where the entry points are
not installed; a third-party server cannot replace a built-in one, nor take a key that is
not 2 to 20 lower-case letters, digits or dashes.
"""

from __future__ import annotations

import logging
from functools import lru_cache

from ..entry_points import PluginGroup, discover
from .base import KEY_RE, NetworkServer

__all__ = ["NetworkServer", "get_provider", "providers", "reload"]

ENTRY_POINT_GROUP = "beffroi.network_servers"

log = logging.getLogger("beffroi.network_servers")


def _builtins() -> dict[str, NetworkServer]:
    from . import chirpstack, thingpark, tts

    return {p.key: p for p in (chirpstack.NETWORK_SERVER, tts.NETWORK_SERVER,
                               thingpark.NETWORK_SERVER)}


_GROUP = PluginGroup(
    ENTRY_POINT_GROUP, NetworkServer, "serveur réseau", "serveurs réseau", "serveur",
    key_error=lambda key: None if KEY_RE.match(key)
    else "2 à 20 minuscules, chiffres ou tirets")


@lru_cache(maxsize=1)
def _discover() -> dict[str, NetworkServer]:
    return discover(_GROUP, _builtins(), log)


def providers() -> dict[str, NetworkServer]:
    """Every known network server by key: the built-in ones and those of plug-ins."""
    return dict(_discover())


def get_provider(key: str) -> NetworkServer | None:
    return _discover().get(key)


def reload() -> None:
    """Forget the discovered plug-ins (after installing one, in tests)."""
    _discover.cache_clear()
