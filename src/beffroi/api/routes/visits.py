"""The person's visits of a tenant's home page: what is new since the last one."""

from __future__ import annotations

from fastapi import APIRouter

from ...core import visits
from ..deps import CtxDep, JSONResponse, Object, OptionalBody, body_doc

router = APIRouter(tags=["accueil"])


@router.get("/me/visits/{tenant}", response_model=Object)
def get_visit(ctx: CtxDep, tenant: str):
    """The caller's last visit of the tenant's home page (``last_seen_at``, null on a first
    visit), the active alerts opened or reopened since (``new_alerts``: ids, newest first;
    ``new_count``) and the tenant's current alert-event ``cursor``."""
    with ctx.reading(tenant) as (scope, conn):
        return JSONResponse(visits.get_visit(scope, conn))


@router.put("/me/visits/{tenant}", response_model=Object,
            openapi_extra=body_doc({"cursor": 1234}, required=False))
def record_visit(ctx: CtxDep, tenant: str, body: OptionalBody):
    """Record that the caller has seen the home page now, up to alert event ``cursor`` (the
    one ``GET`` gave, or the last live event shown; default: the current one). A cursor
    never goes back."""
    with ctx.writing(tenant) as (scope, conn):
        return JSONResponse(visits.record_visit(scope, conn, body))
