"""Indoor air of a building over HTTP (``air_data``, ``ventilation_report``), for readers of
the territory (a member limited to some communes sees the buildings and rooms of theirs):

- ``GET /tenants/{t}/buildings/{id}/air?from=&to=``: ICONE, CO2 class and shares of each
  room from its occupied-time readings (local days, ``to`` included; the last 28 days by
  default);
- ``GET /tenants/{t}/buildings/{id}/co2-week?from=&to=``: mean CO2 of each room by hour of
  the week (168 values, Monday 00:00 local first; None without reading), for the heat map;
- ``GET /tenants/{t}/buildings/{id}/ventilation-report?year=2025-2026``: the yearly
  ventilation evaluation report (JSON of the page ``/batiments/aeration``), and
  ``…/ventilation-report.pdf`` the same as a PDF.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from starlette.responses import Response

from ...plugin import CtxDep, Id, JSONResponse, Object
from .air_data import building_air, co2_week, period_request
from .ventilation_report import report, report_pdf

router = APIRouter(tags=["bâtiments publics"])
BASE = "/tenants/{tenant}/buildings/{asset_id}"
From = Annotated[str | None, Query(alias="from", description="premier jour local, AAAA-MM-JJ "
                                   "(défaut : 27 jours avant le dernier)")]
To = Annotated[str | None, Query(description="dernier jour local inclus, AAAA-MM-JJ (défaut : "
                                 "aujourd'hui)")]
Year = Annotated[str | None, Query(description="année scolaire AAAA-AAAA (défaut : "
                                   "l'année en cours)")]


@router.get(f"{BASE}/air", response_model=Object)
def air(ctx: CtxDep, tenant: str, asset_id: Id, first: From = None, to: To = None):
    """ICONE and CO2 class of each room of a building over a period (occupied time)."""
    with ctx.reading(tenant) as (scope, conn):
        period = period_request(scope, first, to)
        return JSONResponse(building_air(scope, conn, ctx.registry, asset_id, period))


@router.get(f"{BASE}/co2-week", response_model=Object)
def week(ctx: CtxDep, tenant: str, asset_id: Id, first: From = None, to: To = None):
    """Mean CO2 of each room by hour of the week over a period."""
    with ctx.reading(tenant) as (scope, conn):
        period = period_request(scope, first, to)
        return JSONResponse(co2_week(scope, conn, asset_id, period))


# Before the JSON route: « ventilation-report.pdf » is its own path.
@router.get(f"{BASE}/ventilation-report.pdf", response_class=Response,
            include_in_schema=False)
def ventilation_pdf(ctx: CtxDep, tenant: str, asset_id: Id, year: Year = None):
    """The yearly ventilation evaluation report as a PDF (A4)."""
    with ctx.reading(tenant) as (scope, conn):
        data = report(scope, conn, ctx.registry, asset_id, year)
    return Response(report_pdf(data), media_type="application/pdf", headers={
        "Cache-Control": "private, no-store",
        "Content-Disposition": f'attachment; filename="aeration-{asset_id}-'
                               f'{data["school_year"]}.pdf"'})


@router.get(f"{BASE}/ventilation-report", response_model=Object)
def ventilation(ctx: CtxDep, tenant: str, asset_id: Id, year: Year = None):
    """The yearly ventilation evaluation report of a building (school year)."""
    with ctx.reading(tenant) as (scope, conn):
        return JSONResponse(report(scope, conn, ctx.registry, asset_id, year))
