"""``GET /tenants/{tenant}/lighting/cabinets/{asset_id}/energy``: measured against expected
energy of a cabinet, per day or month."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from ...plugin import CtxDep, Id, JSONResponse, Object
from .energy import cabinet_energy, energy_request, local_today

router = APIRouter(tags=["éclairage public"])


@router.get("/tenants/{tenant}/lighting/cabinets/{asset_id}/energy", response_model=Object)
def energy(ctx: CtxDep, tenant: str, asset_id: Id,
           first: Annotated[str | None, Query(alias="from", description="premier jour local, "
                                              "AAAA-MM-JJ (défaut : 1er janvier)")] = None,
           to: Annotated[str | None, Query(description="dernier jour local inclus, AAAA-MM-JJ "
                                           "(défaut : aujourd'hui)")] = None,
           step: Annotated[str | None, Query(description="day ou month (défaut)")] = None):
    """Consumption measured by the cabinet's meter, expected from its luminaires and
    programme, and the gap (kWh, %) per day or month."""
    with ctx.reading(tenant) as (scope, conn):
        start, end, unit = energy_request(first, to, step, local_today(scope))
        return JSONResponse(cabinet_energy(scope, conn, asset_id, start, end, unit))
