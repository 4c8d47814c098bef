"""The map page's reads: the status of every asset, and the basemap configuration."""

from __future__ import annotations

import os

from fastapi import APIRouter

from ...core.asset_status import asset_statuses
from ..deps import CtxDep, JSONResponse, Object

router = APIRouter(tags=["carte"])
TILE_URL_ENV = "BEFFROI_TILE_URL"
TILE_ATTRIBUTION_ENV = "BEFFROI_TILE_ATTRIBUTION"


@router.get("/tenants/{tenant}/assets/status", response_model=dict[str, str])
def assets_status(ctx: CtxDep, tenant: str):
    """Status of each asset that has one: ``alert`` (active alert), else ``silent`` (a
    device has gone silent), else ``ok`` (a device, or a stream with data). Assets
    missing from the answer have no known status."""
    with ctx.reading(tenant) as (scope, conn):
        return JSONResponse(asset_statuses(scope, conn))


@router.get("/map/config", response_model=Object)
def map_config():
    """Basemap of the map page, from ``BEFFROI_TILE_URL`` and ``BEFFROI_TILE_ATTRIBUTION``;
    ``tile_url`` null: no basemap (communes and assets on a plain background)."""
    return JSONResponse({"tile_url": os.environ.get(TILE_URL_ENV) or None,
                         "tile_attribution": os.environ.get(TILE_ATTRIBUTION_ENV) or ""})
