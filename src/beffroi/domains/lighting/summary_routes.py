"""``GET /tenants/{tenant}/lighting/summary``: the lighting dashboard of a year."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from ...plugin import CtxDep, JSONResponse, Object
from .energy import local_today
from .summary import lighting_summary, summary_request

router = APIRouter(tags=["éclairage public"])


@router.get("/tenants/{tenant}/lighting/summary", response_model=Object)
def summary(ctx: CtxDep, tenant: str,
            year: Annotated[str | None, Query(description="année AAAA (défaut : l'année en "
                                              "cours)")] = None,
            commune: Annotated[str | None, Query(description="code INSEE ; tout le "
                                                 "territoire visible si absent")] = None):
    """Energy per month against last year and the programmes, savings against the
    baseline, open failures and non-compliances."""
    with ctx.reading(tenant) as (scope, conn):
        today = local_today(scope)
        return JSONResponse(lighting_summary(scope, conn, ctx.registry,
                                             summary_request(year, today), commune, today))
