"""Assets as GeoJSON: list with filters and cursor pagination, CRUD, inventory import."""

from __future__ import annotations

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from ...core import assets, importing, series
from ...core.errors import Invalid
from ...core.properties import property_texts
from ..deps import (
    CtxDep,
    FeatureCollection,
    GeoJSONResponse,
    Id,
    IdQuery,
    JsonBody,
    JSONResponse,
    Limit,
    Object,
    Objects,
    RawBody,
    body_doc,
)
from ..openapi import problems
from ..problems import problem

router = APIRouter(tags=["équipements"])
ASSET_EXAMPLE = {"ref": "ARM-REM-001", "kind": "lighting.cabinet", "name": "Armoire place de l'Abbaye",
                 "commune": "88383", "geometry": {"type": "Point", "coordinates": [6.591, 48.017]},
                 "properties": {"controller": "astronomical_clock"}}


def _bbox(text: str | None) -> tuple[float, float, float, float] | None:
    if not text:
        return None
    try:
        parts = tuple(float(x) for x in text.split(","))
    except ValueError:
        parts = ()
    if len(parts) != 4 or parts[0] > parts[2] or parts[1] > parts[3]:
        raise Invalid("« bbox » attendu : minLon,minLat,maxLon,maxLat.",
                      errors=[{"field": "bbox", "message": "4 nombres : minLon,minLat,maxLon,maxLat"}])
    return parts  # type: ignore[return-value]


@router.get("/tenants/{tenant}/assets", response_class=GeoJSONResponse, response_model=FeatureCollection)
def list_assets(request: Request, ctx: CtxDep, tenant: str, kind: str | None = None,
                commune: str | None = None, bbox: str | None = None,
                q: str | None = Query(None, description="partie du nom ou de l'identifiant, sans "
                                      "tenir compte des majuscules ni des accents ; la réponse "
                                      "donne alors aussi « numberMatched »"),
                metric: str | None = Query(None, description="seulement les équipements ayant un "
                                           "flux de cette mesure"),
                parent_id: IdQuery = None, cursor: str | None = None, limit: Limit = 1000):
    """Assets as a GeoJSON FeatureCollection; follow the ``next`` link for more.

    With ``q`` (a search: ``?q=eglise&limit=20``), ``numberMatched`` counts all the assets
    found, beyond the page returned.
    """
    flt = assets.AssetFilter(kind=kind, commune=commune, bbox=_bbox(bbox), q=q, metric=metric,
                             parent_id=parent_id, cursor=cursor, limit=limit)
    with ctx.reading(tenant) as (scope, conn):
        rows, next_cursor = assets.list_assets(scope, conn, flt)
        matched = None
        if q and q.strip():  # (a first page that holds them all has counted them)
            matched = (len(rows) if cursor is None and next_cursor is None
                       else assets.count_matching(scope, conn, flt))
    next_url = str(request.url.include_query_params(cursor=next_cursor)) if next_cursor else None
    return GeoJSONResponse(assets.feature_collection(rows, next_url, number_matched=matched))


def _described(registry, row) -> dict:
    """An asset with the French reading of the properties its kind describes (an
    opening-hours rule, a programme: ``property_texts``)."""
    out = assets.asset_public(row)
    out["property_texts"] = property_texts(registry.asset_kinds.get(row.kind),
                                           out["properties"])
    return out


@router.post("/tenants/{tenant}/assets", status_code=201, openapi_extra=body_doc(ASSET_EXAMPLE), response_model=Object,
             responses=problems(409))
def create_asset(ctx: CtxDep, tenant: str, body: JsonBody):
    with ctx.writing(tenant) as (scope, conn):
        row = assets.create_asset(scope, conn, ctx.registry, body)
        return JSONResponse(_described(ctx.registry, row), status_code=201)


@router.post("/tenants/{tenant}/assets/import",
             openapi_extra=body_doc("ref,kind,name,commune,lon,lat\n…", "text/csv"), response_model=Object)
def import_assets(request: Request, ctx: CtxDep, tenant: str, body: RawBody,
                  kind: str | None = None, partial: bool = False, dry_run: bool = False):
    """Import a GeoJSON or CSV inventory; returns the validation report.

    All-or-nothing unless ``partial=true``; ``dry_run=true`` only validates.
    """
    rows = importing.parse_inventory(body, request.headers.get("content-type", ""),
                                     default_kind=kind)
    with ctx.writing(tenant) as (scope, conn):
        report = importing.import_assets(scope, conn, ctx.registry, rows, partial=partial,
                                         dry_run=dry_run)
    if report.errors and not report.written:
        # Refused as a whole: a problem (RFC 9457) carrying the validation report.
        return problem(422, "Import refusé", f"{len(report.errors)} anomalie(s) : aucun "
                       "équipement n'a été enregistré.", type_slug="import-rejected",
                       instance=request.url.path, **report.as_dict(ctx.registry))
    return JSONResponse(report.as_dict(ctx.registry))


# ``:int``: ``…/assets/status`` and ``…/assets/import`` are other resources, so that another
# method on them is answered 405 (with ``Allow``) instead of taken for an asset id.
@router.get("/tenants/{tenant}/assets/{asset_id:int}", response_model=Object)
def get_asset(ctx: CtxDep, tenant: str, asset_id: Id):
    with ctx.reading(tenant) as (scope, conn):
        scope.require("read")
        return JSONResponse(_described(ctx.registry, scope.asset(conn, asset_id)))


@router.patch("/tenants/{tenant}/assets/{asset_id:int}", openapi_extra=body_doc({"name": "Armoire n°1"}), response_model=Object,
              responses=problems(409))
def update_asset(ctx: CtxDep, tenant: str, asset_id: Id, body: JsonBody):
    if not isinstance(body, dict):
        raise Invalid("Objet JSON attendu.")
    with ctx.writing(tenant) as (scope, conn):
        return JSONResponse(_described(ctx.registry, assets.update_asset(
            scope, conn, ctx.registry, asset_id, body)))


@router.delete("/tenants/{tenant}/assets/{asset_id:int}", status_code=204,
               responses=problems(409))
def delete_asset(ctx: CtxDep, tenant: str, asset_id: Id):
    with ctx.writing(tenant) as (scope, conn):
        assets.delete_asset(scope, conn, asset_id)
    return Response(status_code=204)


@router.get("/tenants/{tenant}/assets/{asset_id:int}/latest", response_model=Objects)
def asset_latest(ctx: CtxDep, tenant: str, asset_id: Id):
    """Latest value of each stream of one asset."""
    with ctx.reading(tenant) as (scope, conn):
        scope.asset(conn, asset_id)
        return JSONResponse(series.latest(scope, conn, asset_ids=[asset_id]))
