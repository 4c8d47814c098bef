"""Where demo inventories put things: random but plausible geometry inside a commune.

Domains call these from their demo inventory so that every asset lies inside the
commune it belongs to, clustered around the village centre as real networks are.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from shapely import set_precision, voronoi_polygons
from shapely.geometry import LineString, MultiPoint, Point, mapping, shape
from shapely.geometry.base import BaseGeometry

from ..core.registry import DemoCommune

# Fallback area (about 2 km across) for a commune without a boundary.
_FALLBACK_HALF_SIZE = 0.01


def commune_area(commune: DemoCommune) -> BaseGeometry:
    if commune.boundary:
        return shape(commune.boundary)
    return Point(commune.lon, commune.lat).buffer(_FALLBACK_HALF_SIZE)


def points_near(area: BaseGeometry, centre: tuple[float, float], n: int, rng: np.random.Generator,
                spread: float) -> list[tuple[float, float]]:
    """``n`` points spread (gaussian, degrees) around ``centre``, all inside ``area``."""
    out: list[tuple[float, float]] = []
    tries = 0
    while len(out) < n and tries < 50:
        tries += 1
        xs = rng.normal(centre[0], spread, 2 * (n - len(out)))
        ys = rng.normal(centre[1], spread * 0.7, 2 * (n - len(out)))
        out += [(float(x), float(y)) for x, y in zip(xs, ys, strict=True)
                if area.contains(Point(x, y))][: n - len(out)]
    while len(out) < n:  # a tiny or odd-shaped area: fall back to its representative point
        p = area.representative_point()
        out.append((p.x, p.y))
    return [(round(x, 6), round(y, 6)) for x, y in out]


def split_area(area: BaseGeometry, n: int, rng: np.random.Generator) -> list[BaseGeometry]:
    """Cut ``area`` into ``n`` cells (Voronoi of random seeds), e.g. water sectors."""
    if n <= 1:
        return [area]
    seeds = points_near(area, (area.representative_point().x, area.representative_point().y),
                        n, rng, spread=_extent(area) / 4)
    cells = voronoi_polygons(MultiPoint(seeds), extend_to=area.envelope.buffer(0.01))
    parts = [cell.intersection(area) for cell in cells.geoms]
    return [p for p in parts if not p.is_empty and p.area > 0] or [area]


def polyline(points: list[tuple[float, float]]) -> dict[str, Any]:
    return mapping(LineString(points))


def geojson(geometry: BaseGeometry, precision: int = 6) -> dict[str, Any]:
    """GeoJSON of a shapely geometry with rounded coordinates."""
    return mapping(set_precision(geometry, 10 ** -precision))


def point(x: float, y: float) -> dict[str, Any]:
    return {"type": "Point", "coordinates": [round(x, 6), round(y, 6)]}


def _extent(area: BaseGeometry) -> float:
    minx, miny, maxx, maxy = area.bounds
    return max(maxx - minx, maxy - miny)


def length_km(coords: list[tuple[float, float]]) -> float:
    """Length of a lon/lat polyline in km (equirectangular, exact enough below 10 km)."""
    arr = np.asarray(coords, dtype=float)
    lat0 = np.radians(arr[:, 1].mean())
    dx = np.diff(arr[:, 0]) * np.cos(lat0) * 111.32
    dy = np.diff(arr[:, 1]) * 110.57
    return float(np.hypot(dx, dy).sum())
