"""Sun events for the switching-programme preview: at a position, or at a cabinet's."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Query
from shapely.geometry import shape

from ...core.clock import PARIS
from ...core.errors import Invalid, NotFound
from ...plugin import CtxDep, Id, JSONResponse, Object, Objects
from .cli import check_range, parse_date
from .sun import EVENTS, sun_events, utc_iso

router = APIRouter(tags=["éclairage public"])
FromQuery = Annotated[str | None, Query(alias="from", description="première date locale, AAAA-MM-JJ "
                                        "(par défaut le 1er janvier de l'année en cours)")]
ToQuery = Annotated[str | None, Query(description="dernière date locale incluse, AAAA-MM-JJ "
                                      "(par défaut le 31 décembre de l'année de début)")]


def _period(first: str | None, last: str | None) -> tuple[date, date]:
    errors = []
    start = end = None
    try:
        start = parse_date(first, "de début") if first else date(datetime.now(PARIS).year, 1, 1)
    except ValueError as exc:
        errors.append({"field": "from", "message": str(exc)})
    try:
        end = parse_date(last, "de fin") if last else (
            date(start.year, 12, 31) if start else None)
    except ValueError as exc:
        errors.append({"field": "to", "message": str(exc)})
    if start and end:
        try:
            check_range(start, end)
        except ValueError as exc:
            errors.append({"field": "to", "message": str(exc)})
    if errors:
        raise Invalid("Période invalide.", errors=errors)
    return start, end  # type: ignore[return-value]


def _local(stamp: float) -> str | None:
    if stamp != stamp:  # NaN: no such event that day
        return None
    return datetime.fromtimestamp(round(stamp), PARIS).isoformat()


def sun_rows(lat: float, lon: float, first: date, last: date) -> list[dict[str, Any]]:
    """One row per local date: each event in UTC (``…Z``) and in Paris local time."""
    events = sun_events(lat, lon, first, last)
    utc = {name: utc_iso(getattr(events, name)[0]) for name in EVENTS}
    rows = []
    for j, on in enumerate(events.dates):
        row: dict[str, Any] = {"date": on.isoformat()}
        for name in EVENTS:
            row[f"{name}_utc"] = utc[name][j] or None
        for name in EVENTS:
            row[f"{name}_local"] = _local(float(getattr(events, name)[0, j]))
        rows.append(row)
    return rows


@router.get("/lighting/sun", response_model=Objects)
def sun_table(lat: Annotated[float, Query(ge=-90, le=90, description="latitude WGS84")],
              lon: Annotated[float, Query(ge=-180, le=180, description="longitude WGS84")],
              first: FromQuery = None, to: ToQuery = None):
    """Sunrise, sunset, civil dawn and dusk per local date (Europe/Paris) at a position."""
    start, end = _period(first, to)
    return JSONResponse(sun_rows(lat, lon, start, end))


@router.get("/tenants/{tenant}/lighting/cabinets/{asset_id}/sun", response_model=Object)
def cabinet_sun_table(ctx: CtxDep, tenant: str, asset_id: Id, first: FromQuery = None,
                      to: ToQuery = None):
    """The same table at a lighting cabinet's position."""
    with ctx.reading(tenant) as (scope, conn):
        asset, lat, lon = cabinet_position(scope, conn, asset_id)
    start, end = _period(first, to)
    return JSONResponse({"asset_id": asset_id, "ref": asset.ref, "lat": lat, "lon": lon,
                         "rows": sun_rows(lat, lon, start, end)})


def cabinet_position(scope, conn, asset_id: int) -> tuple[Any, float, float]:
    """(cabinet row, latitude, longitude) of a lighting cabinet the scope can read."""
    scope.require("read")
    asset = scope.asset(conn, asset_id)
    if asset.kind != "lighting.cabinet":
        raise NotFound(f"Équipement {asset_id} : ce n'est pas une armoire d'éclairage public.")
    if not asset.geometry:
        raise Invalid(f"L'armoire {asset.ref} n'a pas de position.")
    point = shape(orjson.loads(asset.geometry)).representative_point()
    return asset, point.y, point.x
