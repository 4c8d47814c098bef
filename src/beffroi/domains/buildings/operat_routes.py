"""The OPERAT declaration over HTTP (``operat``).

- ``GET /tenants/{t}/buildings/operat.csv?year=YYYY`` (also ``…/buildings/operat``, out
  of the OpenAPI document: CSV routes end in ``.csv`` there): the CSV file of the year's
  consumption (readers; a member limited to some communes gets their buildings only);
- ``GET /tenants/{t}/buildings/operat/warnings?year=YYYY``: what to check before
  uploading it (buildings, lines and French messages), for the dashboard.
"""

from __future__ import annotations

from fastapi import APIRouter, Query
from starlette.responses import Response

from ...core import clock
from ...plugin import CtxDep, JSONResponse, Object
from .operat import operat_file, parse_year

router = APIRouter()
BASE = "/tenants/{tenant}/buildings/operat"
YEAR = Query(None, description="année des consommations déclarées (AAAA, N−1)")


def now_ms() -> int:
    return clock.now_ms()


def _file(ctx: CtxDep, tenant: str, year: str | None):
    with ctx.reading(tenant) as (scope, conn):
        checked = parse_year(year, clock.local_day(now_ms(), scope.zone).year)
        return operat_file(scope, conn, checked)


@router.get(BASE, response_class=Response, include_in_schema=False)
@router.get(f"{BASE}.csv", response_class=Response,
            responses={200: {"content": {"text/csv": {"schema": {"type": "string"}}}}})
def download(ctx: CtxDep, tenant: str, year: str | None = YEAR):
    """The OPERAT declaration file of ``year`` (CSV « ; », UTF-8 with BOM)."""
    result = _file(ctx, tenant, year)
    return Response(result.content, media_type="text/csv; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="{result.file_name}"',
        "Cache-Control": "private, no-store"})


@router.get(f"{BASE}/warnings", response_model=Object)
def warnings(ctx: CtxDep, tenant: str, year: str | None = YEAR):
    """What to check before uploading the file: its buildings and warnings."""
    result = _file(ctx, tenant, year)
    return JSONResponse({"year": result.year, "file_name": result.file_name,
                         "buildings": [{"id": b.id, "ref": b.ref, "name": b.name}
                                       for b in result.buildings],
                         "warnings": result.warnings})
