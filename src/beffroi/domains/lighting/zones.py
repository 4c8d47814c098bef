"""Lighting zones: lit areas (surface density of installed flux, art. 3) and trame noire
corridors, and what they tell the compliance report about the luminaires inside them.

A lit area (``lighting.lit_area``) is "la surface destinée à être éclairée" of the
arrêté du 27 décembre 2018: its surface density of installed flux is the total nominal
source flux of the luminaires inside the polygon divided by its area in m². The area is
the ``declared_area_m2`` property when given (a survey's figure), else the polygon's area
computed in a local metric projection (``area_m2``).

A trame noire corridor (``lighting.dark_corridor``) is an ecological dark corridor; its
``protected_area`` status (``none``, ``nature_reserve``…) is given to the luminaires inside
it that do not state their own.

Zones fill gaps, they never override: a luminaire's own ``built_up_area``,
``protected_area`` or ``lit_area_m2`` wins over what a zone says.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import shapely
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

from ...core.geometry import validate_geometry
from .compliance import LightPoint
from .inventory_values import as_bool, as_number, protection

LIT_AREA_KIND = "lighting.lit_area"
DARK_CORRIDOR_KIND = "lighting.dark_corridor"
ZONE_KINDS = (LIT_AREA_KIND, DARK_CORRIDOR_KIND)
ZONE_GEOMETRIES = ("Polygon", "MultiPolygon")

# WGS84 ellipsoid.
_A = 6_378_137.0
_E2 = 6.694_379_990_14e-3


def _radii(lat_deg: float) -> tuple[float, float]:
    """(meridional radius M, prime-vertical radius N) in metres at a latitude."""
    s2 = math.sin(math.radians(lat_deg)) ** 2
    w = math.sqrt(1 - _E2 * s2)
    return _A * (1 - _E2) / w**3, _A / w


def area_m2(geometry: BaseGeometry | Mapping[str, Any]) -> float:
    """Area in m² of a lon/lat (WGS84) polygon.

    Local equirectangular projection on the WGS84 ellipsoid around the polygon's centre:
    x = N·cos φ0·Δλ, y = M·Δφ, with M and N the ellipsoid's radii at φ0. For a zone a few
    kilometres across the error is far below 0.1 %, more than enough against limits given
    to the lm/m² (pyproj is not needed for that)."""
    geom = geometry if isinstance(geometry, BaseGeometry) else shape(geometry)
    centre = geom.centroid
    lon0, lat0 = centre.x, centre.y
    m, n = _radii(lat0)
    kx = n * math.cos(math.radians(lat0)) * math.pi / 180
    ky = m * math.pi / 180

    def project(coords: np.ndarray) -> np.ndarray:
        return np.column_stack(((coords[:, 0] - lon0) * kx, (coords[:, 1] - lat0) * ky))

    return float(shapely.transform(geom, project).area)


class ZoneError(ValueError):
    """A zone that cannot be used: French message."""


@dataclass(frozen=True)
class Zone:
    ref: str
    kind: str
    name: str
    commune: str | None
    geometry: BaseGeometry
    properties: Mapping[str, Any]
    area_m2: float
    area_source: str  # "declared" | "computed"


def make_zone(ref: str, kind: str, name: str, commune: str | None, geometry: Any,
              properties: Mapping[str, Any] | None = None) -> Zone:
    """A zone from its GeoJSON geometry; ZoneError (French) when it is not a polygon."""
    if kind not in ZONE_KINDS:
        raise ZoneError(f"« {kind} » n'est pas un type de zone d'éclairage "
                        f"({', '.join(ZONE_KINDS)}).")
    try:
        geom = validate_geometry(geometry, ZONE_GEOMETRIES)
    except ValueError as exc:
        raise ZoneError(f"Zone {ref} : {exc}.") from None
    props = dict(properties or {})
    shp = shape(geom)
    declared = as_number(props.get("declared_area_m2"))
    if declared is not None and declared > 0:
        return Zone(ref, kind, name, commune, shp, props, float(declared), "declared")
    return Zone(ref, kind, name, commune, shp, props, round(area_m2(shp), 1), "computed")


def zones_from_demo(assets: Iterable[Any], commune: str | None = None) -> list[Zone]:
    """Zones of a domain demo inventory (``DemoAsset`` values)."""
    return [make_zone(a.ref, a.kind, a.name, commune, a.geometry, a.properties)
            for a in assets if a.kind in ZONE_KINDS]


def _inside(zone: Zone, xy: np.ndarray) -> np.ndarray:
    if len(xy) == 0:
        return np.zeros(0, dtype=bool)
    shapely.prepare(zone.geometry)
    return shapely.intersects_xy(zone.geometry, xy[:, 0], xy[:, 1])


def _xy(points: Sequence[LightPoint]) -> tuple[np.ndarray, list[int]]:
    """Coordinates of the points that have a point geometry, and their indexes."""
    coords, index = [], []
    for i, p in enumerate(points):
        g = p.geometry
        if g and g.get("type") == "Point":
            coords.append(g["coordinates"][:2])
            index.append(i)
    return np.asarray(coords, dtype=np.float64).reshape(-1, 2), index


def apply_zones(points: Sequence[LightPoint], zones: Sequence[Zone],
                flux_points: Sequence[LightPoint] | None = None
                ) -> tuple[list[LightPoint], dict[str, Any]]:
    """The points with what their zones say, and the zones' own figures.

    ``flux_points`` are the luminaires whose flux counts in the lit areas (default: the
    points; a report restricted to one commune passes every luminaire near its zones)."""
    flux_points = points if flux_points is None else flux_points
    xy, index = _xy(points)
    fxy, findex = _xy(flux_points)
    context: list[dict[str, Any]] = [{} for _ in points]
    lit_areas = []
    for zone in sorted((z for z in zones if z.kind == LIT_AREA_KIND), key=lambda z: z.area_m2,
                       reverse=True):  # the smallest lit area containing a point wins
        flux_in = _inside(zone, fxy)
        total = sum(as_number(flux_points[findex[j]].properties.get("flux_lm")) or 0
                    for j in np.flatnonzero(flux_in))
        unknown = sum(as_number(flux_points[findex[j]].properties.get("flux_lm")) is None
                      for j in np.flatnonzero(flux_in))
        density = round(total / zone.area_m2, 1) if zone.area_m2 > 0 else None
        figures = {"ref": zone.ref, "name": zone.name, "commune": zone.commune,
                   "category": zone.properties.get("category"),
                   "built_up_area": as_bool(zone.properties.get("built_up_area")),
                   "area_m2": zone.area_m2, "area_source": zone.area_source,
                   "flux_lm": total, "luminaires": int(flux_in.sum()),
                   "luminaires_without_flux": int(unknown), "density_lm_m2": density}
        lit_areas.append(figures)
        for j in np.flatnonzero(_inside(zone, xy)):
            context[index[j]]["lit_area"] = figures
    corridors = []
    for zone in (z for z in zones if z.kind == DARK_CORRIDOR_KIND):
        inside = np.flatnonzero(_inside(zone, xy))
        figures = {"ref": zone.ref, "name": zone.name, "commune": zone.commune,
                   "protected_area": protection(zone.properties),
                   "area_m2": zone.area_m2, "luminaires": len(inside)}
        corridors.append(figures)
        for j in inside:
            context[index[j]].setdefault("dark_corridor", figures)
    out = []
    for point, ctx in zip(points, context, strict=True):
        if not ctx:
            out.append(point)
            continue
        props = dict(point.properties)
        filled = []
        lit, corridor = ctx.get("lit_area"), ctx.get("dark_corridor")
        if as_bool(props.get("built_up_area")) is None and lit and lit["built_up_area"] is not None:
            props["built_up_area"] = lit["built_up_area"]
            filled.append("built_up_area")
        if protection(props) is None and corridor and corridor["protected_area"] is not None:
            props["protected_area"] = corridor["protected_area"]
            filled.append("protected_area")
        out.append(replace(point, properties=props, zone={**ctx, "filled": filled}))
    lit_areas.sort(key=lambda z: (z["commune"] or "", z["ref"]))
    corridors.sort(key=lambda z: (z["commune"] or "", z["ref"]))
    return out, {"lit_areas": lit_areas, "dark_corridors": corridors}
