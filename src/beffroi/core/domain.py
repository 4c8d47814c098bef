"""What a domain declares: the ``Domain`` object and the frozen data it holds.

A domain package exposes one ``Domain`` and declares it under the ``beffroi.domains``
entry-point group; ``core.registry`` loads it and ``core.registration`` checks it. Everything
a domain adds is declared as data (asset kinds with their property schema, metrics with their
UCUM unit and plausible range, settings, detectors, KPIs, commands, jobs, web pages…), so the
metadata drives validation, storage, aggregation and display.

Light to import (standard library only): ``beffroi.plugin`` re-exports it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from .alerting.detector_spec import Detector
from .command_spec import CommandSpec
from .impact.sources import ImpactSource
from .jobs import Job
from .kpis import Kpi

if TYPE_CHECKING:
    import click
    from fastapi import APIRouter

PropertyType = Literal["string", "number", "integer", "boolean", "date", "enum", "object",
                       "list"]
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
    # type == "object" holding one entry per key (a year…), or type == "list" of entries (a
    # planned use…), each an object of these fields: what lets the interface show it as a
    # table with labels and units, never raw JSON. The entries of a list are checked against
    # them (types, bounds, required fields, no unknown field).
    entry_fields: tuple[PropertySpec, ...] = ()
    entry_label: str | None = None  # French name of the keys ("Année") or of one entry
    # type == "string": a regular expression the whole value must match, and how to write
    # a matching value, in French, for the error ("jours abrégés séparés par des virgules…").
    pattern: str | None = None
    pattern_hint: str = ""
    # Checks beyond the declared type and entry fields (an end not before its start…), run
    # on a value that passed them: value -> [{field, message}] errors in French, each field
    # named from inside the value ("[0].end", "" for the whole), prefixed by core.
    check: Callable[[Any], list[dict[str, str]]] | None = None
    # type == "enum": the French label of each code ((("pompe_a_chaleur", "pompe à
    # chaleur"), …): pairs, the spec stays hashable), shown instead of the code; type ==
    # "object" with ``entry_fields``: the French label of each of its keys, likewise.
    choice_labels: tuple[tuple[str, str], ...] = ()
    # How a number is written: "year" without a thousands separator (1910, not 1 910).
    display: Literal["year"] | None = None
    # The French reading of a stored value whose own form is a code (an opening-hours rule,
    # a lighting programme): value -> text, or None when it cannot be read. The asset's
    # page shows it instead of the value (``property_texts`` of GET …/assets/{id}).
    describe: Callable[[Any], str | None] | None = None


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
    # Whether the default was checked in its source (a regulation, the exact figure of a
    # published database); False shows it "à vérifier" wherever it is used (impact report).
    verified: bool = False


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
class AlertContact:
    """A property of an asset kind holding e-mail addresses told of alerts.

    The addresses written in ``property`` of an asset (a string, several separated by
    « , » or « ; ») receive, as subscribers do, the alerts raised on that asset and on the
    assets below it (its children, theirs…) when they are opened, reopened or raised in
    severity — only those on one of ``metrics`` (rules and detectors on a stream of that
    metric) or raised by one of ``detectors``; both empty: every alert. A school's air
    referent gets the CO2 alerts of its rooms: ``AlertContact("air_referent",
    metrics=("air.co2",))``. The addresses are the tenant's own data: an alert only ever
    reaches the contacts of its own tenant's assets.
    """

    property: str  # a string property of the kind
    metrics: tuple[str, ...] = ()
    detectors: tuple[str, ...] = ()


@dataclass(frozen=True)
class AssetKind:
    """A type of supervised thing (cabinet, luminaire, sector, gauge, school...)."""

    key: str  # stable, dotted with the domain: "lighting.cabinet"
    label: str  # French
    geometry_types: tuple[GeometryType, ...] = ("Point",)
    geometry_required: bool = False  # a zone without its outline means nothing
    properties: tuple[PropertySpec, ...] = ()
    metrics: tuple[str, ...] = ()  # metric keys an asset of this kind usually has
    parent_kinds: tuple[str, ...] = ()  # allowed parent kinds; empty = any or none
    allow_extra_properties: bool = True  # free properties beside the declared ones
    derived: tuple[DerivedMetric, ...] = ()  # metrics computed at ingest from others
    # E-mail addresses in properties told of the alerts of the asset and its descendants.
    alert_contacts: tuple[AlertContact, ...] = ()

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
class DemoSpec:
    """A domain's part of the demo territory (``beffroi demo``), kept out of the product.

    ``inventory`` and ``simulator`` name a ``DemoInventory`` and a ``Simulator`` as
    ``"package.module:attribute"`` (like entry points): they are imported only when a demo is
    built, so that the product never loads demo code. ``rules`` are the alert rules the demo
    territory starts with, as bodies of ``POST …/alert-rules`` (checked at start: the metric
    and asset kind they name must exist). ``story``, if any, names a function
    ``story(db, registry, tenant_id, end_ms)`` called once the history is loaded, before
    the detectors run at its end: what people did during the demo year (a detector run at
    a past date with ``run_detector``, an intervention recorded on its alert).
    """

    inventory: str  # "beffroi.domains.lighting.demo:inventory"
    simulator: str  # "beffroi.domains.lighting.demo:simulate"
    rules: tuple[Mapping[str, Any], ...] = ()
    story: str | None = None  # "beffroi.domains.water.demo.story:tell"


@dataclass(frozen=True)
class Domain:
    """What one domain package adds to Beffroi: every field is checked at registration
    (``core.registration``), with an error naming the domain, the element and the field."""

    key: str  # "lighting": lower case, the prefix of its kinds, settings, commands…
    label: str  # French
    asset_kinds: tuple[AssetKind, ...] = ()
    metrics: tuple[Metric, ...] = ()
    settings: tuple[Setting, ...] = ()
    # Periodic analyses raising alerts, run by the scheduler (``Detector``).
    detectors: tuple[Detector, ...] = ()
    # Key figures of the home dashboard (``Kpi``).
    kpis: tuple[Kpi, ...] = ()
    # What the domain saved over a period, for the impact report (``ImpactSource``).
    impacts: tuple[ImpactSource, ...] = ()
    # Actions on the domain's equipment, run through core's command state machine.
    commands: tuple[CommandSpec, ...] = ()
    # Periodic work run by ``beffroi serve`` once per period (``Job``).
    jobs: tuple[Job, ...] = ()
    # A FastAPI APIRouter mounted under /api/v1 (its paths should start with /{key}/ or
    # /tenants/{tenant}/{key}/), and a click group added as ``beffroi {key} …``.
    api_router: APIRouter | None = None
    cli: click.Group | None = None
    # Web interface (see Page, Panel, MapStyle): the folder of the domain's browser files,
    # served under /static/domains/{key}/, its pages, asset-page panels, map colourings.
    web_dir: str | None = None
    pages: tuple[Page, ...] = ()
    panels: tuple[Panel, ...] = ()
    map_styles: tuple[MapStyle, ...] = ()
    # What the domain keeps about persons (GDPR art. 13), one French paragraph per kind of
    # data: what, why, who reads it, how long; listed on the instance's « Données
    # personnelles » page (``web.legal``).
    personal_data: tuple[str, ...] = ()
    # The demo inventory, simulator and rules, loaded only to build a demo.
    demo: DemoSpec | None = None
