"""Routes of flood zones (``flood_zones.py``): import, assets inside a zone, zones flooded
at a level of their reference station."""

from __future__ import annotations

from fastapi import APIRouter, Query, Request

from ...core.errors import Invalid
from ...plugin import CtxDep, Id, JSONResponse, Object, RawBody, body_doc
from .flood_zones import assets_in_zone, flooded_at_level, import_flood_zones, parse_level

router = APIRouter()
EXAMPLE = {"type": "FeatureCollection", "features": [{
    "type": "Feature", "properties": {"ref": "PPRI-REM-01", "name": "Quartier de la gare",
                                      "alea": "fort", "station": "A405062001",
                                      "cote_inondation_m": 2.6, "source": "PPRi"},
    "geometry": {"type": "Polygon", "coordinates": [[[6.58, 48.01], [6.6, 48.01],
                                                     [6.6, 48.02], [6.58, 48.01]]]}}]}


@router.post("/tenants/{tenant}/risks/flood-zones/import", response_model=Object,
             openapi_extra=body_doc(EXAMPLE, "application/geo+json"))
def import_zones(ctx: CtxDep, tenant: str, request: Request, raw: RawBody,
                 dry_run: bool = Query(False, description="valider sans rien écrire")):
    """Import flood zones (GeoJSON polygons, French property names accepted); each feature
    is checked alone: the valid ones are written, the others reported in French."""
    with ctx.writing(tenant) as (scope, conn):
        return JSONResponse(import_flood_zones(
            scope, conn, ctx.registry, raw, request.headers.get("content-type", ""),
            dry_run=dry_run))


@router.get("/tenants/{tenant}/risks/flood-zones/{asset_id}/assets", response_model=Object)
def zone_assets(ctx: CtxDep, tenant: str, asset_id: Id):
    """The assets of any kind inside the flood zone (those the caller may see)."""
    with ctx.reading(tenant) as (scope, conn):
        items = assets_in_zone(scope, conn, asset_id)
        return JSONResponse({"zone_id": asset_id, "count": len(items), "items": items})


@router.get("/tenants/{tenant}/risks/stations/{asset_id}/flooded-zones", response_model=Object)
def flooded_zones(ctx: CtxDep, tenant: str, asset_id: Id,
                  level_m: str | None = Query(None, description="hauteur à la station, m "
                                                                 "(obligatoire)")):
    """The flood zones of the station flooded at ``level_m``, each with its assets."""
    with ctx.reading(tenant) as (scope, conn):  # the territory first: its 404 before a 422
        if level_m is None:
            raise Invalid("Hauteur manquante.", errors=[{"field": "level_m",
                                                        "message": "paramètre obligatoire"}])
        return JSONResponse(flooded_at_level(scope, conn, asset_id, parse_level(level_m)))
