"""Heat waves over HTTP: ``GET /tenants/{t}/risks/heatwave?days=N`` — per visible weather
station, the daily Tmin/Tmax and IBMn/IBMx of the last N local days, the current values,
the running episode and the episodes; the tenant's thresholds (``heatwave.tenant_heat``)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query

from ...core.clock import now_ms
from ...core.errors import NotFound
from ...core.storable import parse_count
from ...plugin import CtxDep, JSONResponse, Object
from .heatwave import tenant_heat

router = APIRouter()
DEFAULT_DAYS, MAX_DAYS = 30, 366


def parse_days(text: Any) -> int:
    """A number of days, 1 to 366 (French 422 otherwise)."""
    return parse_count(text, "days", 1, MAX_DAYS, "jours")


@router.get("/tenants/{tenant}/risks/heatwave", response_model=Object)
def heatwave(ctx: CtxDep, tenant: str,
             days: str = Query(str(DEFAULT_DAYS), description="nombre de jours, 1 à 366")):
    """Indicateurs canicule (IBMn/IBMx) et épisodes des stations météo du territoire."""
    span = parse_days(days)
    with ctx.reading(tenant) as (scope, conn):
        scope.require("read")
        if scope.role == "public":
            raise NotFound("Territoire introuvable.")
        return JSONResponse(tenant_heat(scope, conn, ctx.registry, now_ms(), span))
