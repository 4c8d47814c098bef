"""The single registration point through which domains extend Beffroi.

A domain package exposes one ``Domain`` object and declares it under the
``beffroi.domains`` entry-point group. Core never imports a domain by name: the
built-in domains are discovered exactly like a third-party one would be.

Everything a domain adds is declared as frozen data (asset kinds with their
property schema, metrics with their UCUM unit and plausible range, ...), so the
metadata drives validation, storage, aggregation and display.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from typing import Any, Literal

PropertyType = Literal["string", "number", "integer", "boolean", "date", "enum", "object"]
StreamKind = Literal["gauge", "counter", "state"]
GeometryType = Literal[
    "Point", "MultiPoint", "LineString", "MultiLineString", "Polygon", "MultiPolygon"
]
ALL_GEOMETRIES: tuple[GeometryType, ...] = (
    "Point", "MultiPoint", "LineString", "MultiLineString", "Polygon", "MultiPolygon"
)


@dataclass(frozen=True)
class PropertySpec:
    """One typed property of an asset kind."""

    name: str
    type: PropertyType
    label: str  # French, shown to users
    required: bool = False
    unit: str | None = None  # UCUM code
    choices: tuple[str, ...] = ()  # for type == "enum"
    minimum: float | None = None
    maximum: float | None = None


@dataclass(frozen=True)
class Setting:
    """A per-tenant setting a domain declares (a tariff, an emission factor...).

    ``spec.name`` is dotted with the domain (``"lighting.tariff_eur_kwh"``); tenants change
    it through their settings like core ones, and read it with ``core.settings.setting``.
    """

    spec: PropertySpec
    default: Any
    source: str = ""  # French: where the default comes from, shown with the value


@dataclass(frozen=True)
class AssetKind:
    """A type of supervised thing (cabinet, luminaire, sector, gauge, school...)."""

    key: str  # stable, dotted with the domain: "lighting.cabinet"
    label: str  # French
    geometry_types: tuple[GeometryType, ...] = ("Point",)
    properties: tuple[PropertySpec, ...] = ()
    metrics: tuple[str, ...] = ()  # metric keys an asset of this kind usually has
    parent_kinds: tuple[str, ...] = ()  # allowed parent kinds; empty = any or none
    allow_extra_properties: bool = True  # free properties beside the declared ones

    def property(self, name: str) -> PropertySpec | None:
        for spec in self.properties:
            if spec.name == name:
                return spec
        return None


@dataclass(frozen=True)
class Metric:
    """A measured quantity; drives ingest validation and default aggregation."""

    key: str  # dotted and stable: "energy.active_import"
    label: str  # French
    unit: str  # UCUM code: "kW.h", "m3", "m3/h", "Cel", "ppm", "m"
    kind: StreamKind = "gauge"
    default_agg: Literal["mean", "sum", "min", "max", "last"] = "mean"
    minimum: float | None = None  # plausible physical range; outside is rejected
    maximum: float | None = None
    states: Mapping[int, str] = field(default_factory=dict)  # for kind == "state"


@dataclass(frozen=True)
class DemoCommune:
    """A commune as handed to a domain's demo inventory."""

    insee: str
    name: str
    population: int
    lon: float  # a point inside the commune (representative point of its boundary)
    lat: float
    boundary: Mapping[str, Any] | None = None  # GeoJSON Polygon/MultiPolygon


@dataclass(frozen=True)
class DemoAsset:
    """One asset of a domain's demo inventory, with the streams to simulate."""

    ref: str  # unique in the tenant, e.g. "LUM-88383-0001"
    kind: str
    name: str  # French
    geometry: Mapping[str, Any]
    properties: Mapping[str, Any] = field(default_factory=dict)
    parent_ref: str | None = None
    metrics: tuple[str, ...] = ()  # one stream per metric, filled by the simulator
    step_s: int = 900  # resolution of the simulated history, seconds
    # A device attached to the asset (a remote-managed controller...): the body of
    # ``devices.create_device`` without ``asset_id``.
    device: Mapping[str, Any] | None = None


# Demo inventory of one commune: (commune, numpy random Generator) -> assets.
DemoInventory = Callable[[DemoCommune, Any], list[DemoAsset]]
# Simulated history of one stream: (asset, metric key, epoch seconds as a numpy
# float array, numpy random Generator) -> numpy float array of the same length.
Simulator = Callable[[DemoAsset, str, Any, Any], Any]


@dataclass(frozen=True)
class Domain:
    """What one domain package adds to Beffroi."""

    key: str
    label: str  # French
    asset_kinds: tuple[AssetKind, ...] = ()
    metrics: tuple[Metric, ...] = ()
    demo_inventory: DemoInventory | None = None
    simulator: Simulator | None = None
    # Alert rules the demo territory starts with, as bodies of POST …/alert-rules.
    demo_rules: tuple[Mapping[str, Any], ...] = ()
    # Declared now so later capabilities plug into the same object.
    detectors: tuple[Any, ...] = ()
    kpis: tuple[Any, ...] = ()
    commands: tuple[Any, ...] = ()
    panels: tuple[Any, ...] = ()
    settings: tuple[Setting, ...] = ()
    # Periodic work (``core.scheduler.Job``) run by ``beffroi serve`` once per period.
    jobs: tuple[Any, ...] = ()
    # A FastAPI APIRouter mounted under /api/v1 (its paths should start with /{key}/ or
    # /tenants/{tenant}/{key}/), and a click group added as ``beffroi {key} …``.
    api_router: Any = None
    cli: Any = None


class RegistryError(ValueError):
    """Two domains declare the same key, or a kind names an unknown metric."""


@dataclass
class Registry:
    """The domains loaded in this process, indexed by what they declare."""

    domains: dict[str, Domain] = field(default_factory=dict)
    asset_kinds: dict[str, AssetKind] = field(default_factory=dict)
    metrics: dict[str, Metric] = field(default_factory=dict)
    kind_domain: dict[str, str] = field(default_factory=dict)
    settings: dict[str, Setting] = field(default_factory=dict)

    def register(self, domain: Domain) -> None:
        if domain.key in self.domains:
            raise RegistryError(f"domain {domain.key!r} registered twice")
        for metric in domain.metrics:
            # Two domains may share a physical quantity (energy) if they declare it identically.
            if metric.key in self.metrics and self.metrics[metric.key] != metric:
                raise RegistryError(f"metric {metric.key!r} declared twice, differently")
        for kind in domain.asset_kinds:
            if kind.key in self.asset_kinds:
                raise RegistryError(f"asset kind {kind.key!r} declared twice")
        for setting in domain.settings:
            if not setting.spec.name.startswith(f"{domain.key}."):
                raise RegistryError(f"setting {setting.spec.name!r} must start with "
                                    f"{domain.key!r}.")
        self.domains[domain.key] = domain
        self.settings.update({s.spec.name: s for s in domain.settings})
        self.metrics.update({m.key: m for m in domain.metrics})
        for kind in domain.asset_kinds:
            self.asset_kinds[kind.key] = kind
            self.kind_domain[kind.key] = domain.key
        for kind in domain.asset_kinds:
            unknown = [m for m in kind.metrics if m not in self.metrics]
            if unknown:
                raise RegistryError(f"asset kind {kind.key!r} names unknown metrics {unknown}")

    def simulator_for_kind(self, kind_key: str) -> Simulator | None:
        domain = self.domains.get(self.kind_domain.get(kind_key, ""))
        return domain.simulator if domain else None

    def domain_of_kind(self, kind_key: str) -> Domain | None:
        return self.domains.get(self.kind_domain.get(kind_key, ""))


def build_registry(domains: Iterable[Domain]) -> Registry:
    """A registry of core's own device metrics plus the given domains."""
    from .device_metrics import DEVICES

    registry = Registry()
    registry.register(DEVICES)
    for domain in domains:
        registry.register(domain)
    return registry


def discover_domains(enabled: Iterable[str] | None = None) -> list[Domain]:
    """Load the domains declared under the ``beffroi.domains`` entry points."""
    wanted = set(enabled) if enabled is not None else None
    found = []
    for ep in sorted(entry_points(group="beffroi.domains"), key=lambda e: e.name):
        if wanted is not None and ep.name not in wanted:
            continue
        domain = ep.load()
        if not isinstance(domain, Domain):
            raise RegistryError(f"entry point {ep.name!r} does not point to a Domain")
        found.append(domain)
    return found


def load_registry(enabled: Iterable[str] | None = None) -> Registry:
    return build_registry(discover_domains(enabled))
