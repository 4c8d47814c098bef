"""Invitations: pending ones of a tenant (its admins), and the caller's own to answer."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.responses import Response

from ...core import invitations
from ..deps import CtxDep, Id, JSONResponse, Object, Objects

router = APIRouter(tags=["utilisateurs"])


@router.get("/tenants/{tenant}/invitations", response_model=Objects)
def list_invitations(ctx: CtxDep, tenant: str):
    """Invitations not answered yet (``status``: pending, or expired)."""
    with ctx.reading(tenant) as (scope, conn):
        return JSONResponse(invitations.list_invitations(scope, conn))


@router.delete("/tenants/{tenant}/invitations/{invitation_id}", status_code=204)
def revoke_invitation(ctx: CtxDep, tenant: str, invitation_id: Id):
    with ctx.writing(tenant) as (scope, conn):
        invitations.revoke_invitation(scope, conn, invitation_id)
    return Response(status_code=204)


@router.get("/me/invitations", response_model=Objects)
def my_invitations(ctx: CtxDep):
    """The caller's pending invitations to tenants."""
    with ctx.db.read() as conn:
        return JSONResponse(invitations.my_invitations(conn, ctx.principal))


@router.post("/me/invitations/{invitation_id}/accept", response_model=Object)
def accept_invitation(ctx: CtxDep, invitation_id: Id):
    """Become a member of the inviting tenant with the role offered."""
    ctx.principal.require_person()
    with ctx.db.write() as conn:
        return JSONResponse(invitations.accept_invitation(ctx.db, conn, ctx.principal,
                                                          invitation_id))


@router.post("/me/invitations/{invitation_id}/decline", status_code=204)
def decline_invitation(ctx: CtxDep, invitation_id: Id):
    ctx.principal.require_person()
    with ctx.db.write() as conn:
        invitations.decline_invitation(ctx.db, conn, ctx.principal, invitation_id)
    return Response(status_code=204)
