"""Instance users (operator admins) and tenant members with their roles."""

from __future__ import annotations

from fastapi import APIRouter, BackgroundTasks
from starlette.responses import Response

from ...core import invitations, users
from ...core.account_mail import send_account_mail
from ...core.errors import Invalid
from ..deps import CtxDep, Id, JsonBody, JSONResponse, Object, Objects, body_doc
from ..openapi import problems

router = APIRouter(tags=["utilisateurs"])
MEMBER_EXAMPLE = {"email": "agent@commune.fr", "name": "Camille Martin", "role": "agent",
                  "communes": ["88383"]}
DEACTIVATED = ("{who} n'a plus accès à ce territoire. Si son compte ne sert à aucun autre "
               "territoire, il est désactivé et toutes ses sessions et jetons sont révoqués.")


@router.get("/users", response_model=Objects)
def list_users(ctx: CtxDep):
    with ctx.db.read() as conn:
        return JSONResponse(users.list_users(conn, ctx.principal))


@router.post("/users", status_code=201, openapi_extra=body_doc(
    {"email": "admin@syndicat.fr", "name": "Admin", "password": "…", "is_operator_admin": True}), response_model=Object,
             responses=problems(409))
def create_user(ctx: CtxDep, body: JsonBody):
    """An account with a password, for instances that cannot send e-mail (operator only).
    Without ``password``, the person sets it with « Mot de passe oublié ? »."""
    ctx.principal.require_operator()
    if not isinstance(body, dict):
        raise Invalid("Objet JSON attendu.")
    unknown = set(body) - {"email", "name", "password", "is_operator_admin"}
    if unknown:
        raise Invalid("Champs inconnus : " + ", ".join(sorted(unknown)))
    users.check_email(body.get("email"))
    password = body.get("password")
    password_hash = None if password is None else users.new_password_hash(password)
    with ctx.db.write() as conn:
        out = users.create_user(ctx.db, conn, email=body.get("email") or "", name=body.get("name"),
                                password_hash=password_hash,
                                is_operator_admin=bool(body.get("is_operator_admin")),
                                actor=ctx.principal.user_id)
    return JSONResponse(out, status_code=201)


@router.post("/users/{user_id}/deactivate", response_model=Object)
def deactivate_user(ctx: CtxDep, user_id: Id):
    """Deactivate an account (operator only): no log-in, no reset; every session, personal
    token, one-time link and pending invitation of the account is deleted."""
    ctx.principal.require_operator()
    with ctx.db.write() as conn:
        return JSONResponse(users.deactivate_account(ctx.db, conn, user_id,
                                                     actor=ctx.principal.user_id))


@router.post("/users/{user_id}/activate", response_model=Object)
def activate_user(ctx: CtxDep, user_id: Id):
    """Let a deactivated account log in again (operator only)."""
    ctx.principal.require_operator()
    with ctx.db.write() as conn:
        return JSONResponse(users.activate_account(ctx.db, conn, user_id,
                                                   actor=ctx.principal.user_id))


@router.get("/tenants/{tenant}/members", response_model=Objects)
def list_members(ctx: CtxDep, tenant: str):
    with ctx.reading(tenant) as (scope, conn):
        return JSONResponse(users.list_members(scope, conn))


@router.post("/tenants/{tenant}/members", status_code=201, openapi_extra=body_doc(MEMBER_EXAMPLE), response_model=Object,
             responses=problems(409))
def add_member(ctx: CtxDep, tenant: str, body: JsonBody, background: BackgroundTasks):
    """Invite a person to the tenant with a role. The answer is the same whether the
    address has an account or not; the person becomes a member by accepting (link by
    e-mail, or ``/me/invitations`` once logged in)."""
    if not isinstance(body, dict):
        raise Invalid("Objet JSON attendu.")
    with ctx.writing(tenant) as (scope, conn):
        invitation, mail = invitations.invite_member(scope, conn, body)
    if mail is not None:
        background.add_task(send_account_mail, mail)
    return JSONResponse({**invitation, "detail": invitations.answer_detail(invitation["email"])},
                        status_code=201)


@router.get("/tenants/{tenant}/members/{user_id}", response_model=Object)
def get_member(ctx: CtxDep, tenant: str, user_id: Id):
    with ctx.reading(tenant) as (scope, conn):
        return JSONResponse(users.get_member(scope, conn, user_id))


@router.patch("/tenants/{tenant}/members/{user_id}", openapi_extra=body_doc({"role": "viewer"}), response_model=Object)
def update_member(ctx: CtxDep, tenant: str, user_id: Id, body: JsonBody):
    if not isinstance(body, dict):
        raise Invalid("Objet JSON attendu.")
    with ctx.writing(tenant) as (scope, conn):
        return JSONResponse(users.update_member(scope, conn, user_id, body))


@router.delete("/tenants/{tenant}/members/{user_id}", status_code=204)
def remove_member(ctx: CtxDep, tenant: str, user_id: Id):
    with ctx.writing(tenant) as (scope, conn):
        users.remove_member(scope, conn, user_id)
    return Response(status_code=204)


@router.post("/tenants/{tenant}/members/{user_id}/deactivate", response_model=Object)
def deactivate_member(ctx: CtxDep, tenant: str, user_id: Id):
    """« Désactiver le compte »: the person loses this tenant at once; the account is
    deactivated (every credential revoked) only if no other tenant uses it. The answer
    is the same either way."""
    with ctx.writing(tenant) as (scope, conn):
        who = users.get_member(scope, conn, user_id)["email"]
        users.deactivate_member(scope, conn, user_id)
    return JSONResponse({"detail": DEACTIVATED.format(who=who)})
