"""The leaks repaired in a year over HTTP, with what their early detection saved."""

from __future__ import annotations

from fastapi import APIRouter, Query

from ...plugin import CtxDep, Invalid, JSONResponse, Object
from .annual_volumes import parse_year
from .repaired_leaks import repaired_leaks
from .rpqs import year_period

router = APIRouter()


@router.get("/tenants/{tenant}/water/repaired-leaks", response_model=Object)
def repaired(ctx: CtxDep, tenant: str,
             year: str | None = Query(None, description="année civile AAAA (obligatoire)"),
             commune: str | None = Query(None, description="code INSEE")):
    """The leaks repaired in the year (day, sector, location, water lost, cost, whether the
    following nights confirmed the repair) and the water their early detection saved, with
    the year's totals (``water.usual_leak_duration_days`` is the reference duration)."""
    with ctx.reading(tenant) as (scope, conn):  # who asks first, then what
        if year is None:
            raise Invalid("Indiquez l'année des réparations : year=AAAA.",
                          errors=[{"field": "year", "message": "paramètre obligatoire"}])
        tz = scope.zone
        period = year_period(parse_year(year), tz)
        return JSONResponse({"year": period.year, **repaired_leaks(
            scope, conn, ctx.registry, period.start, period.end, commune)})
