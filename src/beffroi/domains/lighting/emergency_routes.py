"""Emergency lighting over HTTP (the cabinet page and the phone use it)."""

from __future__ import annotations

from fastapi import APIRouter

from ...plugin import CtxDep, Id, JsonBody, JSONResponse, Object, body_doc
from .emergency import force_on, override_status

router = APIRouter()


@router.post("/tenants/{tenant}/lighting/emergency", status_code=201,
             openapi_extra=body_doc({"commune": "88383", "hours": 3,
                                     "reason": "Accident RD 57, demande des pompiers"}), response_model=Object)
def emergency(ctx: CtxDep, tenant: str, body: JsonBody):
    """Force cabinets (``cabinets``: ids), a commune's cabinets (``commune``) or those
    feeding a zone (``zone``: a lit area or trame-noire corridor id) on for ``hours``."""
    with ctx.writing(tenant) as (scope, conn):
        return JSONResponse(force_on(scope, conn, ctx.registry, body), status_code=201)


@router.get("/tenants/{tenant}/lighting/cabinets/{asset_id}/override", response_model=Object)
def override(ctx: CtxDep, tenant: str, asset_id: Id):
    with ctx.reading(tenant) as (scope, conn):
        return JSONResponse(override_status(scope, conn, asset_id))
