"""The map pages' reads: the status of every asset, the assets that need attention (home
page), and the basemap configuration."""

from __future__ import annotations

import os

import orjson
from fastapi import APIRouter

from ...core.asset_status import asset_statuses, attention_assets
from ..deps import CtxDep, FeatureCollection, GeoJSONResponse, JSONResponse, Object

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


@router.get("/tenants/{tenant}/assets/attention", response_model=FeatureCollection,
            response_class=GeoJSONResponse)
def assets_attention(ctx: CtxDep, tenant: str):
    """The assets that need attention, for the home page's map: those with an active alert
    (``status`` ``alert``) or else a silent device (``silent``); ``silent`` true when a
    device is silent, alert or not. Alerts first, at most 2,000 (``numberMatched``: how
    many there are)."""
    with ctx.reading(tenant) as (scope, conn):
        found, matched = attention_assets(scope, conn, ctx.registry)
    null = orjson.Fragment(b"null")
    features = [{"type": "Feature", "id": a["id"],
                 "geometry": orjson.Fragment(a["geometry"]) if a["geometry"] else null,
                 "properties": {k: a[k] for k in ("ref", "kind", "domain", "name", "commune",
                                                  "status", "silent")}} for a in found]
    return GeoJSONResponse(orjson.dumps({"type": "FeatureCollection", "numberMatched": matched,
                                         "numberReturned": len(features),
                                         "features": features}))


@router.get("/map/config", response_model=Object)
def map_config():
    """Basemap of the map page, from ``BEFFROI_TILE_URL`` and ``BEFFROI_TILE_ATTRIBUTION``;
    ``tile_url`` null: no basemap (communes and assets on a plain background)."""
    return JSONResponse({"tile_url": os.environ.get(TILE_URL_ENV) or None,
                         "tile_attribution": os.environ.get(TILE_ATTRIBUTION_ENV) or ""})
