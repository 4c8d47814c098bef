"""The open leaks of the sectors over HTTP (``open_leaks``): every sector with at least one,
for the water dashboard, and one sector's, for its panel; each with the number of open
leaks, their total extra night flow and water lost, and the list of them."""

from __future__ import annotations

from fastapi import APIRouter

from ...plugin import CtxDep, Id, JSONResponse, Object
from .open_leaks import sector_open_leaks, territory_open_leaks

router = APIRouter()


@router.get("/tenants/{tenant}/water/sectors/open-leaks", response_model=Object)
def every_sector(ctx: CtxDep, tenant: str):
    """The sectors with open leak alerts: for each, ``count``, ``extra_flow_m3h``,
    ``lost_m3``, ``lost_eur`` and ``leaks`` (onset, extra flow, water lost… of each);
    ``summary`` for the territory."""
    with ctx.reading(tenant) as (scope, conn):
        return JSONResponse(territory_open_leaks(scope, conn))


@router.get("/tenants/{tenant}/water/sectors/{asset_id}/open-leaks", response_model=Object)
def one_sector(ctx: CtxDep, tenant: str, asset_id: Id):
    """One sector's open leak alerts, their count and totals."""
    with ctx.reading(tenant) as (scope, conn):
        return JSONResponse(sector_open_leaks(scope, conn, asset_id))
