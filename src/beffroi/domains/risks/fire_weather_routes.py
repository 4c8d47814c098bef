"""Forest-fire weather over HTTP: ``GET /tenants/{t}/risks/fire-weather?days=N`` — per
visible weather station with temperature, humidity, wind and rain, the FWI indices and
danger class of the last N days of this fire season (``fire_weather.tenant_fire_weather``)."""

from __future__ import annotations

from fastapi import APIRouter, Query

from ...core.clock import now_ms
from ...core.errors import NotFound
from ...plugin import CtxDep, JSONResponse, Object
from .fire_weather import tenant_fire_weather
from .heatwave_routes import parse_days

router = APIRouter()


@router.get("/tenants/{tenant}/risks/fire-weather", response_model=Object)
def fire_weather(ctx: CtxDep, tenant: str,
                 days: str = Query("14", description="nombre de jours, 1 à 366")):
    """Indice forêt météo (IFM) et classes de danger des stations météo du territoire."""
    span = parse_days(days)
    with ctx.reading(tenant) as (scope, conn):
        scope.require("read")
        if scope.role == "public":
            raise NotFound("Territoire introuvable.")
        return JSONResponse(tenant_fire_weather(scope, conn, now_ms(), span))
