"""GeoJSON geometry validation (WGS84) with shapely."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

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


def validate_geometry(geom: Any, allowed: Iterable[str]) -> dict[str, Any]:
    """Return the geometry if it is valid GeoJSON of an allowed type; ValueError in French."""
    allowed = tuple(allowed)
    if not isinstance(geom, dict) or "type" not in geom:
        raise ValueError("géométrie GeoJSON attendue (objet avec « type » et « coordinates »)")
    gtype = geom.get("type")
    if gtype not in GEOMETRY_LABELS:
        raise ValueError(f"type de géométrie inconnu « {gtype} »")
    if gtype not in allowed:
        labels = ", ".join(GEOMETRY_LABELS[t] for t in allowed)
        raise ValueError(f"géométrie de type {GEOMETRY_LABELS[gtype]} refusée ici (attendu : {labels})")
    problem = _check_positions(geom.get("coordinates"), POSITION_DEPTH[gtype])
    if problem:
        raise ValueError(f"coordonnées invalides : {problem}")
    try:
        shp = shape(geom)
    except Exception as exc:  # shapely raises several types on malformed coordinates
        raise ValueError(f"coordonnées invalides : {exc}") from None
    if shp.is_empty:
        raise ValueError("géométrie vide")
    minx, miny, maxx, maxy = shp.bounds
    if not (-180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90):
        raise ValueError("coordonnées hors WGS84 (longitude −180..180, latitude −90..90)")
    if not shp.is_valid:
        reason = shapely.is_valid_reason(shp)
        raise ValueError(f"géométrie invalide ({reason})")
    return {"type": gtype, "coordinates": geom["coordinates"]}


def _check_positions(coords: Any, depth: int) -> str | None:
    """French reason when ``coords`` is not nested lists of numeric positions, else None."""
    if depth == 0:
        if isinstance(coords, list | tuple) and 2 <= len(coords) <= 3 and all(
                isinstance(c, int | float) and not isinstance(c, bool) for c in coords):
            return None
        return f"position [longitude, latitude] attendue, reçu {_short(coords)}"
    if not isinstance(coords, list | tuple):
        return f"liste de positions attendue, reçu {_short(coords)}"
    for item in coords:
        problem = _check_positions(item, depth - 1)
        if problem:
            return problem
    return None


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
