"""Beffroi's public extension API: everything a domain, a decoder, a detector or a network
server may use.

An extension imports from here and from nowhere else in ``beffroi`` (the built-in domains
follow the same rule for their routers); what is not here is internal and may change.

A domain package exposes one ``Domain`` under the ``beffroi.domains`` entry points::

    [project.entry-points."beffroi.domains"]
    waste = "beffroi_dechets:DOMAIN"

and declares everything it adds as frozen data on it: asset kinds, metrics, settings,
detectors (with the follow-up steps of their alerts), KPIs, impact sources, commands, jobs, web pages,
panels and map colourings, an API router, a click group, a demo. ``Registry.register``
checks every field once, at start, and refuses a wrong declaration with errors naming the
domain, the element and the field.

Light to import: the declarations below need the standard library only. The HTTP helpers
(FastAPI dependencies, response classes), the tenant-scoped data helpers and the demo
helpers are imported on first use (``beffroi.plugin.CtxDep`` loads FastAPI then), so that
reading a domain's declarations costs no web framework, database driver or numpy.

See docs/extension-api.md for the design and how it compares with Home Assistant,
Datasette and pygeoapi.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .core.alerting.detector_spec import (
    DETAIL_KINDS,
    DetailField,
    DetailKind,
    Detector,
    DetectorContext,
    Finding,
    FollowUpStep,
)
from .core.command_spec import CommandSpec, Encoding
from .core.domain import (
    ALL_GEOMETRIES,
    AlertContact,
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
from .core.errors import BeffroiError, Conflict, Forbidden, Invalid, NotFound, Unauthorized
from .core.impact.sources import (
    CommuneImpact,
    Coverage,
    DomainImpact,
    FieldTrip,
    Figures,
    ImpactContext,
    ImpactCount,
    ImpactItem,
    ImpactSource,
    MonthImpact,
    Quality,
    TripCount,
)
from .core.jobs import Job, JobFunction
from .core.kpis import Kpi, KpiComparison, KpiContext, KpiValue

if TYPE_CHECKING:
    from .api.deps import (
        BulkJsonBody,
        Ctx,
        CtxDep,
        GeoJSONResponse,
        Id,
        IdQuery,
        JsonBody,
        JSONResponse,
        Limit,
        Object,
        Objects,
        OpenJsonBody,
        OptionalBody,
        RawBody,
        body_doc,
    )
    from .api.openapi import problems
    from .connectivity.lorawan import LorawanEncoding
    from .connectivity.payloads import PayloadError
    from .connectivity.providers.base import (
        ConfigKey,
        DeviceEvent,
        Downlink,
        DownlinkReport,
        Inbound,
        NetworkServer,
        ParsedEvent,
        SendError,
        Target,
        Uplink,
        dev_eui,
        flatten,
        from_base64,
        from_hex,
        instant,
        json_object,
        number,
        post,
        post_json,
    )
    from .core.access import TenantScope
    from .core.assets import AssetFilter, asset_public, list_assets
    from .core.clock import (
        DAY_MS,
        HOUR_MS,
        PARIS,
        LocalTime,
        format_instant,
        local_time,
        now_ms,
        parse_instant,
    )
    from .core.registry import Registry, RegistryError
    from .core.series import latest, series
    from .core.settings import setting
    from .core.streams import ensure_stream, list_streams
    from .core.tenants import list_communes
    from .demo.calendar import ar1_noise, seasonal, step_hours
    from .demo.placement import commune_area, geojson, length_km, point, points_near, split_area
    from .storage.database import Database

# Imported on first use: name -> module. Grouped by what they serve.
_HTTP = {name: "beffroi.api.deps" for name in (
    "Ctx", "CtxDep", "Id", "IdQuery", "Limit", "JsonBody", "OpenJsonBody", "OptionalBody",
    "BulkJsonBody", "RawBody", "JSONResponse", "GeoJSONResponse", "Object", "Objects",
    "body_doc")} | {"problems": "beffroi.api.openapi"}
_DATA = {
    "Registry": "beffroi.core.registry", "RegistryError": "beffroi.core.registry",
    "Database": "beffroi.storage.database", "TenantScope": "beffroi.core.access",
    "setting": "beffroi.core.settings",
    "AssetFilter": "beffroi.core.assets", "list_assets": "beffroi.core.assets",
    "asset_public": "beffroi.core.assets",
    "list_streams": "beffroi.core.streams", "ensure_stream": "beffroi.core.streams",
    "list_communes": "beffroi.core.tenants",
    "series": "beffroi.core.series", "latest": "beffroi.core.series",
    **{name: "beffroi.core.clock" for name in (
        "now_ms", "parse_instant", "format_instant", "local_time", "LocalTime", "PARIS",
        "HOUR_MS", "DAY_MS")},
}
# LoRaWAN: an action's bytes (``CommandSpec(encodings=(LorawanEncoding(encode),))``) and the
# contract of a network server added by a plug-in (``beffroi.network_servers`` entry points).
_LORAWAN = {"LorawanEncoding": "beffroi.connectivity.lorawan",
            "PayloadError": "beffroi.connectivity.payloads",
            **{name: "beffroi.connectivity.providers.base" for name in (
                "NetworkServer", "ConfigKey", "Inbound", "ParsedEvent", "Uplink", "DeviceEvent",
                "DownlinkReport", "Downlink", "Target", "SendError", "json_object", "flatten",
                "from_base64", "from_hex", "instant", "number", "dev_eui", "post",
                "post_json")}}
# For a domain's demo module only (``DemoSpec``): they load the demo machinery.
_DEMO = {
    **{name: "beffroi.demo.placement" for name in (
        "commune_area", "points_near", "split_area", "point", "geojson", "length_km")},
    **{name: "beffroi.demo.calendar" for name in ("seasonal", "ar1_noise", "step_hours")},
}
LAZY: dict[str, str] = {**_HTTP, **_DATA, **_LORAWAN, **_DEMO}

__all__ = [
    # the domain and what it declares
    "ALL_GEOMETRIES", "AlertContact", "AssetKind", "DeriveFunction", "DerivedMetric", "Domain",
    "GeometryType", "Metric", "PropertySpec", "PropertyType", "Setting", "StreamKind",
    # alerting: detectors, the details of their findings, the follow-up of their alerts
    "DETAIL_KINDS", "DetailField", "DetailKind", "Detector", "DetectorContext", "Finding",
    "FollowUpStep",
    # dashboard figures, commands, periodic jobs
    "CommandSpec", "Encoding", "Job", "JobFunction", "Kpi", "KpiComparison", "KpiContext",
    "KpiValue",
    # the impact report: what a domain saved over a period
    "CommuneImpact", "Coverage", "DomainImpact", "FieldTrip", "Figures", "ImpactContext",
    "ImpactCount", "ImpactItem", "ImpactSource", "MonthImpact", "Quality", "TripCount",
    # web interface
    "MapClass", "MapStyle", "MarkerShape", "Page", "Panel",
    # demo
    "DemoAsset", "DemoCommune", "DemoInventory", "DemoSpec", "Simulator",
    # errors shown to people (RFC 9457 problems, French messages)
    "BeffroiError", "Conflict", "Forbidden", "Invalid", "NotFound", "Unauthorized",
    # imported on first use (LAZY): HTTP helpers of a domain's router
    "BulkJsonBody", "Ctx", "CtxDep", "GeoJSONResponse", "Id", "IdQuery", "JSONResponse",
    "JsonBody", "Limit", "Object", "Objects", "OpenJsonBody", "OptionalBody", "RawBody",
    "body_doc", "problems",
    # … tenant-scoped data, settings, time
    "AssetFilter", "DAY_MS", "Database", "HOUR_MS", "LocalTime", "PARIS", "Registry",
    "RegistryError", "TenantScope", "asset_public", "ensure_stream", "format_instant",
    "latest", "list_assets", "list_communes", "list_streams", "local_time", "now_ms", "parse_instant", "series",
    "setting",
    # … LoRaWAN: command bytes, network servers
    "ConfigKey", "DeviceEvent", "Downlink", "DownlinkReport", "Inbound", "LorawanEncoding",
    "NetworkServer", "ParsedEvent", "PayloadError", "SendError", "Target", "Uplink", "dev_eui",
    "flatten", "from_base64", "from_hex", "instant", "json_object", "number", "post",
    "post_json",
    # … demo modules only
    "ar1_noise", "commune_area", "geojson", "length_km", "point", "points_near", "seasonal",
    "split_area", "step_hours",
]


def __getattr__(name: str) -> Any:
    module = LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'beffroi.plugin' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # once imported, a plain attribute
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(LAZY))
