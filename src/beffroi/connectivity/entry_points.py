"""Plug-ins found by entry point, keyed by their ``key`` (decoders, network servers).

Built-in ones always come first and cannot be replaced; each plug-in that cannot be used
(fails to load, is not of the expected type, has an invalid key or the key of another) is
logged in French and left out, never taking the others down.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from importlib.metadata import entry_points
from typing import Any


@dataclass(frozen=True)
class PluginGroup:
    """What a group holds and how its log messages name it."""

    group: str  # the entry-point group
    kind: type  # the type each entry point must designate
    noun: str  # « décodeur », « serveur réseau »
    plural: str  # « décodeurs », « serveurs réseau »
    builtin_noun: str  # as in « la clé d'un … intégré »
    key_error: Callable[[str], str | None] = lambda key: None  # why a key is refused


def discover(spec: PluginGroup, builtins: Mapping[str, Any],
             log: logging.Logger) -> dict[str, Any]:
    """The built-in plug-ins, then every usable one installed under ``spec.group``."""
    found = dict(builtins)
    for ep in sorted(entry_points(group=spec.group), key=lambda e: e.name):
        try:
            plugin = ep.load()
        except Exception:  # a broken plug-in must not take the others down
            log.exception("%s %r (%s) impossible à charger", spec.noun, ep.name, ep.value)
            continue
        if not isinstance(plugin, spec.kind):
            log.error("le point d'entrée %r (%s) ne désigne pas un objet %s", ep.name,
                      ep.value, spec.kind.__name__)
            continue
        if plugin.key in builtins:
            if plugin is not builtins[plugin.key]:
                log.error("le %s %r (%s) reprend la clé d'un %s intégré : ignoré", spec.noun,
                          ep.name, ep.value, spec.builtin_noun)
            continue
        why = spec.key_error(plugin.key)
        if why:
            log.error("le %s %r (%s) a une clé invalide %r (%s) : ignoré", spec.noun, ep.name,
                      ep.value, plugin.key, why)
            continue
        if plugin.key in found:
            log.error("deux %s déclarent la clé %r : %s ignoré", spec.plural, plugin.key,
                      ep.value)
            continue
        found[plugin.key] = plugin
    return found
