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
    # type == "object" holding one entry per key (a year…), each an object of these fields:
    # what lets the interface show it as a table with labels and units, never raw JSON.
    entry_fields: tuple[PropertySpec, ...] = ()
    entry_label: str | None = None  # French name of the keys ("Année")


@dataclass(frozen=True)
class Setting:
    """A per-tenant setting a domain declares (a tariff, an emission factor...).

    ``spec.name`` is dotted with the domain (``"lighting.tariff_eur_kwh"``); tenants change
    it through their settings like core ones, and read it with ``core.settings.setting``.
    """

    spec: PropertySpec
    default: Any
    source: str = ""  # French: where the default comes from, shown with the value
    # Checks beyond the declared type (a clock "HH:MM", a grid's shape): value ->
    # [{field, message}] errors, French, fields named from the setting's name.
    check: Callable[[Any], list[dict[str, str]]] | None = None


# A derived value: (raw value of the source metric, the asset's properties) -> the value of
# the target metric, or None when it cannot be computed (a property is missing).
DeriveFunction = Callable[[float, Mapping[str, Any]], float | None]


@dataclass(frozen=True)
class DerivedMetric:
    """A metric core computes at ingest from another metric of the same asset.

    A waste container's fill level (%) comes from the distance its ultrasonic sensor
    measures and the container's height: ``DerivedMetric("waste.distance",
    "waste.fill_level", fill_from_distance)``. Whatever way an observation of ``source``
    comes in (API JSON or CSV, MQTT, LoRaWAN network server), core stores it as it came in
    its own stream and stores ``compute(value, asset properties)`` at the same time, with
    the same quality, in the asset's ``target`` stream (created when missing), in the same
    transaction. Raw data is never replaced: a derived value is recomputable from it.
    """

    source: str  # metric key measured by the device: "waste.distance"
    target: str  # metric key computed by core: "waste.fill_level"
    compute: DeriveFunction


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
    derived: tuple[DerivedMetric, ...] = ()  # metrics computed at ingest from others

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


# -- what a domain adds to the web interface ------------------------------------------
# A domain's browser files live in one folder (``Domain.web_dir``), served as they are
# under ``/static/domains/{domain key}/``. Core's pages learn what the domains add from
# ``GET /interface.json`` (built from the declarations below): menu entries, asset-page
# panels by kind, map colouring modes. Nothing in core names a domain.


@dataclass(frozen=True)
class Page:
    """A page of the web interface a domain adds (a dashboard, a printable report...).

    ``path`` is its URL (``"/eclairage"``), outside core's (``/``, ``/carte``,
    ``/equipements/…``, ``/alertes``, ``/administration``...). ``html`` is a file of the
    domain's ``web_dir``, served as the page's shell without templating: like core's shells
    it links ``/static/css/beffroi.css`` and loads its own module from
    ``/static/domains/{key}/``, which calls ``session()`` and ``renderHeader(path, state)``
    of ``/static/js/common.js``. ``nav_label`` (French) puts it in the main menu; a page
    without one is reached by links (a report opened from a dashboard).
    """

    path: str
    html: str
    nav_label: str | None = None


@dataclass(frozen=True)
class Panel:
    """A block of the asset page, shown for assets of the given kinds.

    The asset page adds a section headed ``title`` (French) after the latest values,
    imports ``module`` (an ES module file of the domain's ``web_dir``) and calls its
    exported ``render(container, context)``; ``context`` holds ``tenant``, ``asset`` (as
    ``GET …/assets/{id}`` returns it), ``kind`` (its kind from ``/domains``), ``role``,
    ``canWrite`` (bool) and ``refresh()``, which reloads the page's commands and alerts
    after the panel acts. uPlot and Leaflet are loaded by the asset page already.
    """

    asset_kinds: tuple[str, ...]
    module: str
    title: str


MarkerShape = Literal["circle", "square", "triangle", "diamond"]


@dataclass(frozen=True)
class MapClass:
    """One class of a map colouring: a legend line, a colour and a shape.

    Numeric properties: ``maximum`` is the class's upper bound (inclusive), None for
    "every value above the previous class". Text properties: ``values`` lists the values
    in the class. Colours need a 3:1 contrast on the map (RGAA); the shape and the label
    (marker title, popup, legend) say the class without the colour.
    """

    label: str  # French
    colour: str  # CSS colour "#rrggbb"
    shape: MarkerShape = "circle"
    maximum: float | None = None
    values: tuple[str, ...] = ()


@dataclass(frozen=True)
class MapStyle:
    """A colouring mode of the map, offered beside the colouring by status.

    Assets of ``asset_kinds`` are drawn by the class (first that fits, in order) of either
    their ``property`` or the latest value of their stream of ``metric`` (one of the two);
    those lacking it as ``missing`` (label, grey diamond) — with ``metric``, so are those
    whose latest value is older than ``max_age_s``; other assets are drawn small and grey
    as "not concerned". ``key`` is dotted with the domain (``"lighting.color_temperature"``).
    """

    key: str
    label: str  # French: "Température de couleur"
    asset_kinds: tuple[str, ...]
    property: str = ""  # an asset property ("color_temperature_k")…
    classes: tuple[MapClass, ...] = ()
    unit: str = ""  # shown after the value in popups ("K")
    missing: str = "Non renseignée"  # French legend label of assets without the property
    metric: str = ""  # …or a metric whose latest value is drawn ("waste.fill_level")
    max_age_s: int | None = None  # with metric: older latest values count as missing


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
    settings: tuple[Setting, ...] = ()
    # Periodic work (``core.scheduler.Job``) run by ``beffroi serve`` once per period.
    jobs: tuple[Any, ...] = ()
    # A FastAPI APIRouter mounted under /api/v1 (its paths should start with /{key}/ or
    # /tenants/{tenant}/{key}/), and a click group added as ``beffroi {key} …``.
    api_router: Any = None
    cli: Any = None
    # Web interface (see Page, Panel, MapStyle): the folder of the domain's browser files,
    # served under /static/domains/{key}/, its pages, asset-page panels, map colourings.
    web_dir: str | None = None
    pages: tuple[Page, ...] = ()
    panels: tuple[Panel, ...] = ()
    map_styles: tuple[MapStyle, ...] = ()


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
    # (asset kind, source metric) -> what core derives from it at ingest
    derived: dict[tuple[str, str], tuple[DerivedMetric, ...]] = field(default_factory=dict)

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
        self._check_web(domain)
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
            self._check_derived(kind)
        for kind in domain.asset_kinds:
            for d in kind.derived:
                self.derived[(kind.key, d.source)] = (
                    *self.derived.get((kind.key, d.source), ()), d)

    def _check_derived(self, kind: AssetKind) -> None:
        targets = {d.target for d in kind.derived}
        for d in kind.derived:
            where = f"asset kind {kind.key!r}, derived metric {d.target!r}"
            if not isinstance(d, DerivedMetric) or not callable(d.compute):
                raise RegistryError(f"{where}: a DerivedMetric with a compute function expected")
            for role, key in (("source", d.source), ("target", d.target)):
                if key not in self.metrics:
                    raise RegistryError(f"{where}: unknown {role} metric {key!r}")
            if d.source in targets:  # a derived value is never derived again
                raise RegistryError(f"{where}: source {d.source!r} is itself derived")
        if len(targets) != len(kind.derived):
            raise RegistryError(f"asset kind {kind.key!r}: a metric derived twice")

    def _check_web(self, domain: Domain) -> None:
        if (domain.pages or domain.panels) and not domain.web_dir:
            raise RegistryError(f"domain {domain.key!r} declares pages or panels without web_dir")
        taken = {p.path for d in self.domains.values() for p in d.pages}
        for page in domain.pages:
            if not page.path.startswith("/") or page.path in taken:
                raise RegistryError(f"page {page.path!r} of {domain.key!r} is not a free path")
            taken.add(page.path)
        metrics = {*self.metrics, *(m.key for m in domain.metrics)}
        for style in domain.map_styles:
            if not style.key.startswith(f"{domain.key}."):
                raise RegistryError(f"map style {style.key!r} must start with {domain.key!r}.")
            if bool(style.property) == bool(style.metric):
                raise RegistryError(f"map style {style.key!r}: give either a property or a "
                                    "metric")
            if style.metric and style.metric not in metrics:
                raise RegistryError(f"map style {style.key!r}: unknown metric "
                                    f"{style.metric!r}")
            if not style.classes:
                raise RegistryError(f"map style {style.key!r}: no classes")

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
