"""``GET /tenants/{tenant}/lighting/compliance``: the arrêté du 27 décembre 2018 report."""

from __future__ import annotations

from fastapi import APIRouter, Query

from ...plugin import CtxDep, JSONResponse, Object
from .compliance_report import report_json

router = APIRouter(tags=["éclairage public"])


@router.get("/tenants/{tenant}/lighting/compliance", response_model=Object)
def compliance(ctx: CtxDep, tenant: str,
               commune: str | None = Query(None, description="code INSEE ; toutes les "
                                                              "communes visibles si absent")):
    """Each luminaire's breaches of the arrêté du 27 décembre 2018 (with the article, the
    value found and the limit), the rules lacking data, the missing art. 5 data, and
    counts per commune."""
    with ctx.reading(tenant) as (scope, conn):
        return JSONResponse(report_json(scope, conn, commune))
