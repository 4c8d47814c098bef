"""Planned exceptional night uses of a sector over HTTP (``exceptional_uses``): list, declare,
remove. Reading needs read access to the sector; writing, the right to edit assets (an
agent or an administrator of the territory); each write is audited as a change of the
sector, and nothing is stored when the use is refused."""

from __future__ import annotations

from fastapi import APIRouter

from ...plugin import CtxDep, Id, JsonBody, JSONResponse, Object, body_doc
from .exceptional_uses import add_use, delete_use, sector_uses

router = APIRouter()
USE_EXAMPLE = {"start": "2025-06-14", "end": "2025-06-16",
               "label": "Remplissage de la piscine municipale", "flow_m3h": 12.5}
BASE = "/tenants/{tenant}/water/sectors/{asset_id}/exceptional-uses"


@router.get(BASE, response_model=Object)
def uses(ctx: CtxDep, tenant: str, asset_id: Id):
    """The sector's declared exceptional uses, by first day; the nights they cover are left
    out by the leak detector."""
    with ctx.reading(tenant) as (scope, conn):
        return JSONResponse(sector_uses(scope, conn, asset_id))


@router.post(BASE, status_code=201, openapi_extra=body_doc(USE_EXAMPLE), response_model=Object)
def declare(ctx: CtxDep, tenant: str, asset_id: Id, body: JsonBody):
    """Declare an exceptional use from ``start`` to ``end`` (dates, both included, 92 days
    at most) with its ``label`` and, optionally, its expected flow ``flow_m3h``; answers
    the new use (with its ``id``) and the sector's uses."""
    with ctx.writing(tenant) as (scope, conn):
        return JSONResponse(add_use(scope, conn, ctx.registry, asset_id, body),
                            status_code=201)


@router.delete(f"{BASE}/{{use_id}}", response_model=Object)
def remove(ctx: CtxDep, tenant: str, asset_id: Id, use_id: str):
    """Remove a declared use by its ``id``; answers the sector's remaining uses."""
    with ctx.writing(tenant) as (scope, conn):
        return JSONResponse(delete_use(scope, conn, ctx.registry, asset_id, use_id))
