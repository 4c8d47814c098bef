"""The single registration point through which domains extend Beffroi.

A domain package exposes one ``Domain`` object (``core.domain``) and declares it under the
``beffroi.domains`` entry-point group. Core never imports a domain by name: the built-in
domains are discovered exactly like a third-party one would be, and core's own declarations
(``devices``: the metrics every connected device reports about itself) are loaded by the
same loader from ``CORE_DOMAINS`` and registered by the same ``Registry.register``, like
Datasette's default plugins.

``Registry.register`` checks everything once, before taking anything (``core.registration``):
a wrong declaration is refused at start with every error found, each naming the domain, the
element and the field.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from typing import Any

from .domain import (
    ALL_GEOMETRIES,
    AssetKind,
    DemoAsset,
    DemoCommune,
    DemoInventory,
    DemoSpec,
    DerivedMetric,
    DeriveFunction,
    Domain,
    GeometryType,
    MapClass,
    MapStyle,
    MarkerShape,
    Metric,
    Page,
    Panel,
    PropertySpec,
    PropertyType,
    Setting,
    Simulator,
    StreamKind,
)

__all__ = [
    "ALL_GEOMETRIES", "CORE_DOMAINS", "AssetKind", "DemoAsset", "DemoCommune", "DemoInventory",
    "DemoSpec", "DeriveFunction", "DerivedMetric", "Domain", "GeometryType", "MapClass", "MapStyle", "MarkerShape", "Metric",
    "Page", "Panel", "PropertySpec", "PropertyType", "Registry", "RegistryError", "Setting",
    "Simulator", "StreamKind", "build_registry", "discover_decoders", "discover_domains",
    "load_object",
    "load_registry",
]

ENTRY_POINT_GROUP = "beffroi.domains"
DECODERS_GROUP = "beffroi.decoders"
# Core's own declarations: always loaded, whatever is installed or enabled.
CORE_DOMAINS: dict[str, str] = {"devices": "beffroi.core.device_metrics:DEVICES"}


class RegistryError(ValueError):
    """Declarations refused at registration; ``errors`` holds every one found
    (``core.registration.DeclarationError``: owner, element, field, French message)."""

    def __init__(self, errors: Iterable[Any]) -> None:
        self.errors = list(errors)
        count = len(self.errors)
        head = "déclaration refusée" if count == 1 else f"{count} erreurs de déclaration"
        super().__init__(f"{head} :\n" + "\n".join(f"- {e}" for e in self.errors))


@dataclass
class Registry:
    """The domains loaded in this process, indexed by what they declare."""

    domains: dict[str, Domain] = field(default_factory=dict)
    asset_kinds: dict[str, AssetKind] = field(default_factory=dict)
    metrics: dict[str, Metric] = field(default_factory=dict)
    kind_domain: dict[str, str] = field(default_factory=dict)
    settings: dict[str, Setting] = field(default_factory=dict)
    # (asset kind, source metric) -> what core derives from it at ingest
    derived: dict[tuple[str, str], tuple[DerivedMetric, ...]] = field(default_factory=dict)
    # LoRaWAN payload decoders whose suggested metrics were checked (key -> Decoder).
    decoders: dict[str, Any] = field(default_factory=dict)

    def register(self, *domains: Domain) -> None:
        """Check the domains, all together and against those already registered, then take
        them; on any error take none and raise RegistryError with every error."""
        from .registration import check

        errors = check(domains, self)
        if errors:
            raise RegistryError(errors)
        for domain in domains:
            self.domains[domain.key] = domain
            self.settings.update({s.spec.name: s for s in domain.settings})
            for metric in domain.metrics:
                self.metrics.setdefault(metric.key, metric)
            for kind in domain.asset_kinds:
                self.asset_kinds[kind.key] = kind
                self.kind_domain[kind.key] = domain.key
                for d in kind.derived:
                    self.derived[(kind.key, d.source)] = (
                        *self.derived.get((kind.key, d.source), ()), d)

    def register_decoders(self, decoders: Mapping[str, Any]) -> None:
        """Check that every metric the decoders suggest is declared, with the same unit."""
        from .registration import check_decoders

        errors = check_decoders(decoders, self.metrics)
        if errors:
            raise RegistryError(errors)
        self.decoders.update(decoders)

    def domain_of_kind(self, kind_key: str) -> Domain | None:
        return self.domains.get(self.kind_domain.get(kind_key, ""))


def load_object(reference: str) -> Any:
    """The object named ``"package.module:attribute"`` (the syntax of entry points)."""
    module, _, attribute = reference.partition(":")
    value: Any = importlib.import_module(module)
    for part in attribute.split("."):
        value = getattr(value, part)
    return value


def core_domains() -> list[Domain]:
    return [load_object(reference) for reference in CORE_DOMAINS.values()]


def build_registry(domains: Iterable[Domain], decoders: Mapping[str, Any] | None = None
                   ) -> Registry:
    """A registry of core's own declarations plus the given domains (and decoders)."""
    domains = list(domains)
    given = {d.key for d in domains if isinstance(d, Domain)}
    registry = Registry()
    registry.register(*[d for d in core_domains() if d.key not in given])
    registry.register(*domains)
    if decoders:
        registry.register_decoders(decoders)
    return registry


def discover_domains(enabled: Iterable[str] | None = None) -> list[Domain]:
    """Core's own declarations, then the domains declared under the ``beffroi.domains``
    entry points (those of ``enabled`` only, when given)."""
    wanted = set(enabled) if enabled is not None else None
    found = core_domains()
    errors = []
    for ep in sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
        if ep.name in CORE_DOMAINS or (wanted is not None and ep.name not in wanted):
            continue
        domain = ep.load()
        if not isinstance(domain, Domain):
            from .registration import DeclarationError

            errors.append(DeclarationError(f"point d'entrée « {ep.name} » ({ep.value})", "",
                                           "", f"objet Domain attendu, reçu "
                                           f"{type(domain).__name__}"))
            continue
        found.append(domain)
    if errors:
        raise RegistryError(errors)
    return found


def discover_decoders() -> dict[str, Any]:
    """The LoRaWAN payload decoders declared under the ``beffroi.decoders`` entry points, by
    key, for the metrics they suggest to be checked. One that cannot be loaded or is not a
    decoder is left to ``connectivity.decoders``, which reports it and goes on without it."""
    found: dict[str, Any] = {}
    for ep in sorted(entry_points(group=DECODERS_GROUP), key=lambda e: e.name):
        try:
            decoder = ep.load()
        except Exception:  # noqa: BLE001  (reported by connectivity.decoders)
            continue
        if isinstance(getattr(decoder, "key", None), str) and \
                isinstance(getattr(decoder, "fields", None), Mapping):
            found.setdefault(decoder.key, decoder)
    return found


def load_registry(enabled: Iterable[str] | None = None) -> Registry:
    """The registry of the installed domains (of ``enabled`` only, when given).

    With every installed domain, the installed LoRaWAN decoders are checked too: each metric
    they suggest must be declared. With a subset (tests), they are not: their suggestions
    may name the metrics of a domain left out.
    """
    decoders = discover_decoders() if enabled is None else None
    return build_registry(discover_domains(enabled), decoders)
