"""GeoJSON geometry validation (WGS84, RFC 7946) with shapely, with reasons in French."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from typing import Any

import numpy as np
import orjson
import shapely
from shapely.geometry import shape

# Nesting depth of the positions in each GeoJSON type's "coordinates".
POSITION_DEPTH = {"Point": 0, "MultiPoint": 1, "LineString": 1, "MultiLineString": 2,
                  "Polygon": 2, "MultiPolygon": 3}
GEOMETRY_LABELS = {
    "Point": "point", "MultiPoint": "multipoint", "LineString": "ligne",
    "MultiLineString": "multiligne", "Polygon": "polygone", "MultiPolygon": "multipolygone",
}
# GEOS's validity reasons (shapely.is_valid_reason), in French.
VALIDITY_REASONS = {
    "Self-intersection": "contour qui se recoupe",
    "Ring Self-intersection": "anneau qui se touche lui-même",
    "Too few points": "trop peu de positions distinctes",
    "Hole lies outside shell": "trou en dehors du contour extérieur",
    "Nested holes": "trous imbriqués",
    "Interior is disconnected": "intérieur coupé en morceaux par ses trous",
    "Nested shells": "polygones imbriqués l'un dans l'autre",
    "Duplicate Rings": "anneaux en double",
    "Invalid Coordinate": "coordonnée invalide",
    "Ring is not closed": "anneau non fermé",
}
_REASON = re.compile(r"^(.*?)\[(\S+) (\S+)\]$")


class _Refused(ValueError):
    pass


def validate_geometry(geom: Any, allowed: Iterable[str]) -> dict[str, Any]:
    """Return the geometry if it is valid GeoJSON of an allowed type; ValueError in French.

    Positions are 2 or 3 finite numbers inside WGS84 bounds; a line has 2 positions or
    more; a polygon's rings have 4 or more and are closed (RFC 7946, where shapely would
    close them silently); the shape must be valid (no self-intersection…).
    """
    allowed = tuple(allowed)
    if not isinstance(geom, dict) or "type" not in geom:
        raise ValueError("géométrie GeoJSON attendue (objet avec « type » et « coordinates »)")
    gtype = geom.get("type")
    if not isinstance(gtype, str) or gtype not in GEOMETRY_LABELS:
        raise ValueError(f"type de géométrie inconnu « {gtype} »")
    if gtype not in allowed:
        labels = ", ".join(GEOMETRY_LABELS[t] for t in allowed)
        raise ValueError(f"géométrie de type {GEOMETRY_LABELS[gtype]} refusée ici (attendu : {labels})")
    coords = geom.get("coordinates")
    problem = _check_positions(coords, POSITION_DEPTH[gtype])
    if problem:
        raise ValueError(f"coordonnées invalides : {problem}")
    try:
        _check_parts(gtype, coords)
    except _Refused as exc:
        raise ValueError(str(exc)) from None
    try:
        shp = shape(geom)
    except Exception as exc:  # shapely raises several types on malformed coordinates
        raise ValueError(f"coordonnées invalides : {exc}") from None
    if shp.is_empty:
        raise ValueError("géométrie vide")
    if not shp.is_valid:
        raise ValueError(f"géométrie invalide {_validity_reason(shp)}")
    return {"type": gtype, "coordinates": geom["coordinates"]}


def _check_positions(coords: Any, depth: int) -> str | None:
    """French reason when ``coords`` is not nested lists of usable positions, else None."""
    if depth == 0:
        if not (isinstance(coords, list | tuple) and 2 <= len(coords) <= 3 and all(
                isinstance(c, int | float) and not isinstance(c, bool) for c in coords)):
            return f"position [longitude, latitude] attendue, reçu {_short(coords)}"
        if not all(math.isfinite(c) for c in coords):
            return f"position {_position(coords)} non finie (NaN ou infini)"
        lon, lat = coords[0], coords[1]
        if not (-180 <= lon <= 180 and -90 <= lat <= 90):
            hint = (" ; des coordonnées projetées (Lambert 93…) doivent être converties en "
                    "WGS84") if max(abs(lon), abs(lat)) > 1000 else ""
            return (f"position {_position(coords)} hors WGS84 (longitude −180..180, latitude "
                    f"−90..90){hint}")
        return None
    if not isinstance(coords, list | tuple):
        return f"liste de positions attendue, reçu {_short(coords)}"
    for item in coords:
        problem = _check_positions(item, depth - 1)
        if problem:
            return problem
    return None


def _check_parts(gtype: str, coords: list) -> None:
    """Lines of 2 positions or more, closed rings of 4 or more (positions already checked)."""
    if gtype == "LineString":
        _check_line(coords, "ligne")
    elif gtype == "MultiLineString":
        for number, line in enumerate(coords, start=1):
            _check_line(line, f"ligne n° {number}")
    elif gtype == "Polygon":
        _check_polygon(coords, "du polygone")
    elif gtype == "MultiPolygon":
        for number, polygon in enumerate(coords, start=1):
            _check_polygon(polygon, f"du polygone n° {number}")


def _check_line(line: list, where: str) -> None:
    if len(line) < 2:
        raise _Refused(f"{where} de {len(line)} position(s) : au moins 2 attendues")


def _check_polygon(rings: list, of: str) -> None:
    if not rings:
        raise _Refused(f"contour extérieur {of} absent")
    for number, ring in enumerate(rings):
        where = f"contour extérieur {of}" if number == 0 else f"trou n° {number} {of}"
        if len(ring) < 4:
            raise _Refused(f"{where} de {len(ring)} position(s) : au moins 4 attendues (la "
                           "dernière répétant la première)")
        if list(ring[0]) != list(ring[-1]):
            raise _Refused(f"{where} non fermé : la dernière position {_position(ring[-1])} "
                           f"doit répéter la première {_position(ring[0])}")


def _validity_reason(shp: Any) -> str:
    """« : contour qui se recoupe près de la position [6.55, 48.05] », or GEOS's words."""
    reason = shapely.is_valid_reason(shp)
    match = _REASON.match(reason)
    label = VALIDITY_REASONS.get(match.group(1) if match else reason)
    if label is None:
        return f"({reason})"
    return f": {label}" + (f" près de la position [{match.group(2)}, {match.group(3)}]"
                           if match else "")


def _position(coords: Any) -> str:
    """[650000, 6800000], [6.59, 48.02], [nan, 48]: the numbers as written."""
    return "[" + ", ".join(str(int(c)) if isinstance(c, float) and c.is_integer() else repr(c)
                           for c in coords) + "]"


def _short(value: Any) -> str:
    try:
        text = orjson.dumps(value).decode()
    except TypeError:
        text = repr(value)
    return text if len(text) <= 60 else text[:57] + "…"


def bbox_of(geom: dict[str, Any]) -> tuple[float, float, float, float]:
    return tuple(shape(geom).bounds)  # type: ignore[return-value]


def point(lon: float, lat: float) -> dict[str, Any]:
    return {"type": "Point", "coordinates": [lon, lat]}


# -- distances at the scale of a commune -------------------------------------------------------
EARTH_RADIUS_M = 6_371_008.8  # mean radius (IUGG)


def representative_lonlat(geom: dict[str, Any]) -> tuple[float, float]:
    """A point's position, or a point surely inside a polygon (on a line) otherwise."""
    if geom["type"] == "Point":
        return float(geom["coordinates"][0]), float(geom["coordinates"][1])
    inner = shape(geom).representative_point()
    return inner.x, inner.y


class LocalArea:
    """A polygon (a commune's boundary) in local metres, for the distance of positions to
    it: an equirectangular projection around its centre, exact to well under 1 % over
    the tens of kilometres of a commune."""

    def __init__(self, boundary: dict[str, Any]) -> None:
        area = shape(boundary)
        centre = area.centroid
        self.origin = np.array([centre.x, centre.y])
        metres_per_degree = math.radians(1) * EARTH_RADIUS_M
        self.scale = np.array([metres_per_degree * math.cos(math.radians(centre.y)),
                               metres_per_degree])
        self.shape = shapely.transform(area, lambda xy: (xy - self.origin) * self.scale)
        shapely.prepare(self.shape)

    def distances_m(self, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
        """Distance (m) of each position to the area, 0 inside."""
        x = (np.asarray(lon, dtype=float) - self.origin[0]) * self.scale[0]
        y = (np.asarray(lat, dtype=float) - self.origin[1]) * self.scale[1]
        out = np.zeros(len(x))
        outside = ~shapely.contains_xy(self.shape, x, y)
        if outside.any():
            out[outside] = shapely.distance(self.shape, shapely.points(x[outside], y[outside]))
        return out
