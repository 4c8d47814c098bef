"""RPQS over HTTP: a service's yearly volumes entered by hand (GET/PUT …/years/{year}),
and the indicators of every service for a year or the last twelve months."""

from __future__ import annotations

from fastapi import APIRouter, Query

from ...plugin import CtxDep, Id, JsonBody, JSONResponse, Object, body_doc
from .annual_volumes import put_year, service_years, year_figures
from .rpqs import parse_period, tenant_indicators

router = APIRouter()
YEAR_EXAMPLE = {"produced_m3": 120000, "imported_m3": 5000, "exported_m3": 10000,
                "metered_consumption_m3": 85000, "unmetered_consumption_m3": 2000,
                "service_volume_m3": 1000, "mains_length_km": 40,
                "comment": "Relève de facturation de novembre"}


@router.get("/tenants/{tenant}/water/services/{asset_id}/years", response_model=Object)
def years(ctx: CtxDep, tenant: str, asset_id: Id):
    """Every year's volumes entered for the service, and the form's fields."""
    with ctx.reading(tenant) as (scope, conn):
        return JSONResponse(service_years(scope, conn, asset_id))


@router.get("/tenants/{tenant}/water/services/{asset_id}/years/{year}", response_model=Object)
def year(ctx: CtxDep, tenant: str, asset_id: Id, year: str):
    """One year's volumes entered for the service."""
    with ctx.reading(tenant) as (scope, conn):
        return JSONResponse(year_figures(scope, conn, asset_id, year))


@router.put("/tenants/{tenant}/water/services/{asset_id}/years/{year}",
            openapi_extra=body_doc(YEAR_EXAMPLE), response_model=Object)
def store_year(ctx: CtxDep, tenant: str, asset_id: Id, year: str, body: JsonBody):
    """Replace the year's volumes (m³) by the body's fields, each checked on its own: the
    rejected ones are listed and keep their previous value; absent or null fields are
    cleared. Audited as a change of the service asset."""
    with ctx.writing(tenant) as (scope, conn):
        return JSONResponse(put_year(scope, conn, ctx.registry, asset_id, year, body))


@router.get("/tenants/{tenant}/water/indicators", response_model=Object)
def indicators(ctx: CtxDep, tenant: str,
               year: str | None = Query(None, description="année civile AAAA"),
               rolling: str | None = Query(None, description="« 12m » : douze mois glissants"),
               commune: str | None = Query(None, description="code INSEE")):
    """Rendement (P104.3), ILP (P106.3), ILVNC (P105.3), ILC, décret 2012-97 verdict and
    ILP rating of each water service, with the volumes used and where they come from."""
    with ctx.reading(tenant) as (scope, conn):
        tz = scope.zone
        period = parse_period(year, rolling, tz)
        return JSONResponse(tenant_indicators(scope, conn, ctx.registry, period, commune))
