"""Routes of a river gauge: its recent level with thresholds, floods and trend, and its
rate-of-rise rule (``stations.py``)."""

from __future__ import annotations

from fastapi import APIRouter, Query

from ...plugin import CtxDep, Id, JsonBody, JSONResponse, Object
from .stations import DEFAULT_HOURS, MAX_HOURS, parse_hours, set_rise_rule, station_level

router = APIRouter()
BASE = "/tenants/{tenant}/risks/stations/{asset_id}"


@router.get(BASE + "/level", response_model=Object)
def level(ctx: CtxDep, tenant: str, asset_id: Id,
          hours: str = Query(str(DEFAULT_HOURS), description=f"heures, 1 à {MAX_HOURS}")):
    """The station's water level over the last ``hours`` (raw points, m), its vigilance
    thresholds, historic floods (highest first), latest value and trend over 3 h (m/h and
    « en hausse / stable / en baisse »)."""
    span = parse_hours(hours)
    with ctx.reading(tenant) as (scope, conn):
        return JSONResponse(station_level(scope, conn, asset_id, span))


@router.put(BASE + "/rise-rule", response_model=Object)
def rise_rule(ctx: CtxDep, tenant: str, asset_id: Id, body: JsonBody):
    """Create or update the station's rate-of-rise alert: ``amount_m`` (m) within
    ``window_s`` (s, default 3600), ``severity`` (default critical)."""
    with ctx.writing(tenant) as (scope, conn):
        return JSONResponse(set_rise_rule(scope, conn, ctx.registry, asset_id, body))
