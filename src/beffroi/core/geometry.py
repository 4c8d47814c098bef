"""GeoJSON geometry validation (WGS84) with shapely."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import shapely
from shapely.geometry import shape

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


def bbox_of(geom: dict[str, Any]) -> tuple[float, float, float, float]:
    return tuple(shape(geom).bounds)  # type: ignore[return-value]


def point(lon: float, lat: float) -> dict[str, Any]:
    return {"type": "Point", "coordinates": [lon, lat]}
