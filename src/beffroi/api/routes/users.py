"""Instance users (operator admins) and tenant members with their roles."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.responses import Response

from ...core import users
from ...core.errors import Invalid
from ..deps import CtxDep, JsonBody, JSONResponse, body_doc

router = APIRouter(tags=["utilisateurs"])
MEMBER_EXAMPLE = {"email": "agent@commune.fr", "name": "Camille Martin", "role": "agent",
                  "communes": ["88383"], "password": "un mot de passe solide"}


@router.get("/users")
def list_users(ctx: CtxDep):
    with ctx.db.read() as conn:
        return JSONResponse(users.list_users(conn, ctx.principal))


@router.post("/users", status_code=201, openapi_extra=body_doc(
    {"email": "admin@syndicat.fr", "name": "Admin", "password": "…", "is_operator_admin": True}))
def create_user(ctx: CtxDep, body: JsonBody):
    ctx.principal.require_operator()
    if not isinstance(body, dict):
        raise Invalid("Objet JSON attendu.")
    unknown = set(body) - {"email", "name", "password", "is_operator_admin"}
    if unknown:
        raise Invalid("Champs inconnus : " + ", ".join(sorted(unknown)))
    with ctx.db.write() as conn:
        out = users.create_user(ctx.db, conn, email=body.get("email") or "", name=body.get("name"),
                                password=body.get("password"),
                                is_operator_admin=bool(body.get("is_operator_admin")),
                                actor=ctx.principal.user_id)
    return JSONResponse(out, status_code=201)


@router.get("/tenants/{tenant}/members")
def list_members(ctx: CtxDep, tenant: str):
    with ctx.reading(tenant) as (scope, conn):
        return JSONResponse(users.list_members(scope, conn))


@router.post("/tenants/{tenant}/members", status_code=201, openapi_extra=body_doc(MEMBER_EXAMPLE))
def add_member(ctx: CtxDep, tenant: str, body: JsonBody):
    """Give a person a role in the tenant (the account is created if needed)."""
    if not isinstance(body, dict):
        raise Invalid("Objet JSON attendu.")
    with ctx.writing(tenant) as (scope, conn):
        return JSONResponse(users.add_member(scope, conn, body), status_code=201)


@router.get("/tenants/{tenant}/members/{user_id}")
def get_member(ctx: CtxDep, tenant: str, user_id: int):
    with ctx.reading(tenant) as (scope, conn):
        return JSONResponse(users.get_member(scope, conn, user_id))


@router.patch("/tenants/{tenant}/members/{user_id}", openapi_extra=body_doc({"role": "viewer"}))
def update_member(ctx: CtxDep, tenant: str, user_id: int, body: JsonBody):
    if not isinstance(body, dict):
        raise Invalid("Objet JSON attendu.")
    with ctx.writing(tenant) as (scope, conn):
        return JSONResponse(users.update_member(scope, conn, user_id, body))


@router.delete("/tenants/{tenant}/members/{user_id}", status_code=204)
def remove_member(ctx: CtxDep, tenant: str, user_id: int):
    with ctx.writing(tenant) as (scope, conn):
        users.remove_member(scope, conn, user_id)
    return Response(status_code=204)
