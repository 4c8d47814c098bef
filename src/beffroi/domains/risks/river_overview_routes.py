"""The river stations at a glance over HTTP (``river_overview``), for the risks page."""

from __future__ import annotations

from fastapi import APIRouter, Query

from ...core.clock import now_ms
from ...plugin import CtxDep, JSONResponse, Object
from .river_overview import stations

router = APIRouter()


@router.get("/tenants/{tenant}/risks/stations", response_model=Object)
def river_stations(ctx: CtxDep, tenant: str,
                   commune: str | None = Query(None, description="code INSEE")):
    """The gauges grouped by river (most alarming river first, upstream first along a
    river): last level, vigilance thresholds and colour reached, trend over 3 h."""
    with ctx.reading(tenant) as (scope, conn):
        return JSONResponse(stations(scope, conn, now_ms(), commune))
