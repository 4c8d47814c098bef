"""Tenants, their settings, storage summary and communes."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from starlette.responses import Response

from ...core import audit, dashboard, retention, settings, tenants, textfiles
from ...core.errors import Invalid
from ..deps import (
    CtxDep,
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

router = APIRouter(tags=["territoires"])


@router.get("/tenants", response_model=Objects)
def list_tenants(ctx: CtxDep):
    """The tenants the caller may see."""
    ctx.principal.require_person()
    with ctx.db.read() as conn:
        return JSONResponse(tenants.list_tenants(conn, ctx.principal))


@router.post("/tenants", status_code=201,
             openapi_extra=body_doc({"siren": "200068377"}), response_model=Object,
             responses=problems(404, 409))
def create_tenant(ctx: CtxDep, body: JsonBody):
    """Create a tenant (operator admins); a known EPCI SIREN brings its communes."""
    if not isinstance(body, dict):
        raise Invalid("Objet JSON attendu.")
    unknown = set(body) - {"siren", "name", "kind", "settings"}
    if unknown:
        raise Invalid("Champs inconnus : " + ", ".join(sorted(unknown)))
    with ctx.db.write() as conn:
        out = tenants.create_tenant(ctx.db, conn, ctx.principal, name=body.get("name"),
                                    siren=body.get("siren"), kind=body.get("kind"),
                                    settings=body.get("settings"), registry=ctx.registry)
    return JSONResponse(out, status_code=201)


@router.get("/tenants/{tenant}", response_model=Object)
def get_tenant(ctx: CtxDep, tenant: str):
    with ctx.reading(tenant) as (scope, conn):
        scope.require("read")
        return JSONResponse(tenants.tenant_public(scope.tenant, ctx.registry))


@router.patch("/tenants/{tenant}",
              openapi_extra=body_doc({"settings": {"raw_retention_days": 365}}), response_model=Object)
def update_tenant(ctx: CtxDep, tenant: str, body: JsonBody):
    """Rename or configure a tenant; takes effect at once, without restart."""
    if not isinstance(body, dict):
        raise Invalid("Objet JSON attendu.")
    with ctx.writing(tenant) as (scope, conn):
        return JSONResponse(tenants.update_tenant(scope, conn, body, ctx.registry))


@router.get("/tenants/{tenant}/settings/schema", response_model=Object)
def get_settings_schema(ctx: CtxDep, tenant: str):
    """Every setting of the territory, grouped (core's, then each domain's): label, type,
    unit, bounds, choices, the territory's value and whether it is its own, the default with
    its source and whether it was checked; members only. The page « Paramètres du
    territoire » is built from it; changes go through ``PATCH /tenants/{tenant}``."""
    with ctx.reading(tenant) as (scope, conn):
        return JSONResponse(settings.settings_form(scope, ctx.registry))


@router.delete("/tenants/{tenant}", status_code=204)
def delete_tenant(ctx: CtxDep, tenant: str):
    with ctx.writing(tenant) as (scope, conn):
        tenants.delete_tenant(conn, ctx.principal, scope)
    return Response(status_code=204)


@router.get("/tenants/{tenant}/storage", response_model=Object)
def storage(ctx: CtxDep, tenant: str):
    """Raw data and rollups held for the tenant, with its retention setting."""
    with ctx.reading(tenant) as (scope, conn):
        scope.require("admin")
        out = retention.storage_summary(conn, scope.tenant_id)
        out["raw_retention_days"] = scope.settings.get("raw_retention_days")
        return JSONResponse(out)


@router.get("/tenants/{tenant}/communes", response_model=Objects)
def list_communes(ctx: CtxDep, tenant: str, boundaries: bool = True):
    with ctx.reading(tenant) as (scope, conn):
        rows = tenants.list_communes(scope, conn)
        return JSONResponse([tenants.commune_public(r, boundaries) for r in rows])


@router.post("/tenants/{tenant}/communes", status_code=201,
             openapi_extra=body_doc({"insee": "88383", "name": "Remiremont", "population": 7500}), response_model=Object,
             responses=problems(409))
def create_commune(ctx: CtxDep, tenant: str, body: JsonBody):
    with ctx.writing(tenant) as (scope, conn):
        row = tenants.create_commune(scope, conn, body if isinstance(body, dict) else {})
        return JSONResponse(tenants.commune_public(row), status_code=201)


@router.post("/tenants/{tenant}/communes/boundaries",
             openapi_extra=body_doc({"type": "FeatureCollection", "features": []}), response_model=Object)
def import_boundaries(ctx: CtxDep, tenant: str, body: RawBody):
    """Set boundaries from a GeoJSON FeatureCollection (INSEE code in ``code`` or ``insee``)."""
    data, decoded = textfiles.load_json(body, "GeoJSON", items=("features",))
    with ctx.writing(tenant) as (scope, conn):
        result = tenants.import_boundaries(scope, conn, data)
    return JSONResponse({**result, "encoding": decoded.encoding})


@router.get("/tenants/{tenant}/communes/{insee}", response_model=Object)
def get_commune(ctx: CtxDep, tenant: str, insee: str):
    with ctx.reading(tenant) as (scope, conn):
        scope.require("read")
        return JSONResponse(tenants.commune_public(tenants.get_commune(scope, conn, insee)))


@router.patch("/tenants/{tenant}/communes/{insee}", openapi_extra=body_doc({"population": 7600}), response_model=Object)
def update_commune(ctx: CtxDep, tenant: str, insee: str, body: JsonBody):
    if not isinstance(body, dict):
        raise Invalid("Objet JSON attendu.")
    with ctx.writing(tenant) as (scope, conn):
        return JSONResponse(tenants.commune_public(tenants.update_commune(scope, conn, insee, body)))


@router.delete("/tenants/{tenant}/communes/{insee}", status_code=204,
               responses=problems(409))
def delete_commune(ctx: CtxDep, tenant: str, insee: str):
    with ctx.writing(tenant) as (scope, conn):
        tenants.delete_commune(scope, conn, insee)
    return Response(status_code=204)


@router.get("/tenants/{tenant}/audit", response_model=Objects)
def list_audit(ctx: CtxDep, tenant: str, entity: str | None = None, before_id: IdQuery = None,
               limit: Limit = 100):
    """Who changed what, newest first (territory administrators)."""
    with ctx.reading(tenant) as (scope, conn):
        return JSONResponse(audit.list_audit(scope, conn, entity=entity, before_id=before_id,
                                             limit=limit))


@router.get("/tenants/{tenant}/dashboard", response_model=Objects)
def get_dashboard(ctx: CtxDep, tenant: str,
                  commune: Annotated[list[str] | None, Query(
                      description="code INSEE, répétable : seulement ces communes (parmi "
                                  "celles auxquelles vous avez accès)")] = None):
    """One card per domain: assets by kind, active alerts by severity, silent devices, a
    status and a link, and the key figures the domain declares (value, comparisons,
    status, note, link), for the communes asked for."""
    with ctx.reading(tenant) as (scope, conn):
        return JSONResponse(dashboard.dashboard(scope, conn, ctx.registry, commune))
