"""A building's meters and their last readings over HTTP (``meters``), for its page."""

from __future__ import annotations

from fastapi import APIRouter

from ...plugin import CtxDep, Id, JSONResponse, Object
from .meters import building_meters

router = APIRouter()


@router.get("/tenants/{tenant}/buildings/{asset_id}/meters", response_model=Object)
def meters(ctx: CtxDep, tenant: str, asset_id: Id):
    """The building's meters (energy in French, number, coefficient) with the last value
    of each of their streams (metric label, unit symbol, time)."""
    with ctx.reading(tenant) as (scope, conn):
        return JSONResponse(building_meters(scope, conn, ctx.registry, asset_id))
