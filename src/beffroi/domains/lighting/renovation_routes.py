"""``POST /tenants/{tenant}/lighting/renovation/simulate``: the renovation simulator (it
computes from its body and changes nothing: open to readers)."""

from __future__ import annotations

from fastapi import APIRouter

from ...plugin import CtxDep, JSONResponse, Object, OpenJsonBody, body_doc
from .energy import local_today
from .renovation import EXAMPLE, simulate

router = APIRouter(tags=["éclairage public"])


@router.post("/tenants/{tenant}/lighting/renovation/simulate", openapi_extra=body_doc(EXAMPLE), response_model=Object)
def simulate_renovation(ctx: CtxDep, tenant: str, body: OpenJsonBody):
    """Investment, annual savings (kWh, €, kg CO2e), simple payback and share of the
    commune's stock of replacing luminaires by LED and/or applying a programme."""
    with ctx.reading(tenant) as (scope, conn):
        return JSONResponse(simulate(scope, conn, ctx.registry, body, local_today(scope)))
