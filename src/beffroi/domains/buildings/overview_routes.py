"""The buildings at a glance over HTTP (``overview``), for the ``/batiments`` page."""

from __future__ import annotations

from fastapi import APIRouter, Query

from ...core.clock import local_day, now_ms
from ...core.settings import setting
from ...plugin import CtxDep, JSONResponse, Object
from .overview import buildings_overview, parse_year
from .settings import CO2_URGENT

router = APIRouter()


@router.get("/tenants/{tenant}/buildings/overview", response_model=Object)
def overview(ctx: CtxDep, tenant: str,
             year: str | None = Query(None, description="année civile (par défaut l'année "
                                                        "précédente)"),
             commune: str | None = Query(None, description="code INSEE")):
    """The buildings ranked by energy per m² over ``year`` (kWh/m²/an, every energy, with
    its source and coverage) and by the energy and money at stake per week in their open
    anomalies; the rooms above the urgent CO2 threshold (1,500 ppm by default) today."""
    now = now_ms()
    with ctx.reading(tenant) as (scope, conn):
        today = local_day(now, scope.zone)
        chosen = today.year - 1 if year is None else parse_year(year, today)
        limit = float(setting(scope.settings, ctx.registry, CO2_URGENT))
        return JSONResponse(buildings_overview(scope, conn, chosen, now, commune, limit))
