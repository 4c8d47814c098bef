"""Log in (bearer token or session cookie), log out, the caller's profile and tokens."""

from __future__ import annotations

from fastapi import APIRouter, Request
from sqlalchemy import select
from starlette.responses import Response

from ...core import auth
from ...core.errors import Invalid, NotFound
from ...storage import schema
from ..deps import (
    CSRF_COOKIE,
    SESSION_COOKIE,
    CredentialsBody,
    CtxDep,
    Id,
    JsonBody,
    JSONResponse,
    Object,
    Objects,
    body_doc,
    client_address,
    csrf_token,
)
from ..openapi import problems

router = APIRouter(tags=["authentification"])
CREDENTIALS = {"email": "demo@beffroi.fr", "password": "demo"}


def _credentials(body) -> tuple[str, str]:
    if not isinstance(body, dict) or not isinstance(body.get("email"), str) \
            or not isinstance(body.get("password"), str):
        raise Invalid("Champs « email » et « password » attendus.",
                      errors=[{"field": f, "message": "obligatoire"} for f in ("email", "password")
                              if not isinstance(body, dict) or not isinstance(body.get(f), str)])
    return body["email"], body["password"]


@router.post("/auth/token", openapi_extra=body_doc(CREDENTIALS), response_model=Object,
             responses=problems(401, 429, 503))
def create_token(request: Request, body: CredentialsBody):
    """Exchange e-mail and password for a bearer token (valid 14 days). After a few
    failures, attempts are held back with growing delays: 429 with ``Retry-After``."""
    email, password = _credentials(body)
    token = auth.login(request.app.state.db, email, password, client_address(request))
    return JSONResponse({"access_token": token, "token_type": "bearer",
                         "expires_in": auth.SESSION_TTL_MS // 1000})


@router.post("/auth/login", openapi_extra=body_doc(CREDENTIALS), response_model=Object,
             responses=problems(401, 429, 503))
def login_cookie(request: Request, body: CredentialsBody):
    """Open a browser session: an HttpOnly session cookie; the answer's ``csrf_token``
    (also given by ``GET /auth/csrf``) goes in the ``X-CSRF-Token`` header of each write."""
    email, password = _credentials(body)
    token = auth.login(request.app.state.db, email, password, client_address(request))
    response = JSONResponse({"ok": True, "csrf_token": csrf_token(token)})
    response.set_cookie(SESSION_COOKIE, token, httponly=True, samesite="lax",
                        secure=request.url.scheme == "https",
                        max_age=auth.SESSION_TTL_MS // 1000)
    return response


@router.get("/auth/csrf", response_model=Object)
def get_csrf_token(request: Request):
    """The anti-CSRF token of the browser session (cookie), for the ``X-CSRF-Token`` header
    of its writes; ``null`` without a session cookie (bearer tokens need none)."""
    session = request.cookies.get(SESSION_COOKIE)
    return JSONResponse({"csrf_token": csrf_token(session) if session else None},
                        headers={"Cache-Control": "no-store"})


@router.post("/auth/logout", status_code=204)
def logout(request: Request, ctx: CtxDep):
    secret = request.cookies.get(SESSION_COOKIE) or \
        request.headers.get("authorization", "").partition(" ")[2].strip()
    if secret and secret.startswith(auth.TOKEN_PREFIX["session"]):
        with ctx.db.write() as conn:
            auth.revoke_secret(conn, secret)
    response = Response(status_code=204)
    response.delete_cookie(SESSION_COOKIE)
    response.delete_cookie(CSRF_COOKIE)
    return response


@router.get("/me", response_model=Object)
def me(ctx: CtxDep):
    user_id = ctx.principal.require_person()
    u = schema.users
    with ctx.db.read() as conn:
        name = conn.execute(select(u.c.name).where(u.c.id == user_id)).scalar()
    return JSONResponse({
        "id": user_id, "email": ctx.principal.email, "name": name,
        "is_operator_admin": ctx.principal.is_operator_admin,
        "memberships": [{"tenant_id": tid, "role": m.role,
                         "communes": sorted(m.communes) if m.communes is not None else None}
                        for tid, m in ctx.principal.memberships.items()],
    })


@router.get("/me/tokens", response_model=Objects)
def list_tokens(ctx: CtxDep):
    user_id = ctx.principal.require_person()
    with ctx.db.read() as conn:
        return JSONResponse(auth.list_personal_tokens(conn, user_id))


@router.post("/me/tokens", status_code=201,
             openapi_extra=body_doc({"name": "script SIG", "expires_in_days": 90}), response_model=Object)
def create_personal_token(ctx: CtxDep, body: JsonBody):
    """A personal API token for scripts; the secret is shown once. It expires after
    ``expires_in_days`` (default 90, at most 365)."""
    user_id = ctx.principal.require_person()
    if not isinstance(body, dict):
        raise Invalid("Objet JSON attendu.")
    name = body.get("name")
    if not isinstance(name, str) or not name.strip():
        raise Invalid("Nom du jeton obligatoire.", errors=[{"field": "name", "message": "obligatoire"}])
    ttl_ms = auth.personal_token_ttl_ms(body.get("expires_in_days"))
    with ctx.db.write() as conn:
        token_id, secret = auth.issue_token(ctx.db, conn, "personal", user_id=user_id,
                                            name=name.strip(), ttl_ms=ttl_ms)
        [listed] = [t for t in auth.list_personal_tokens(conn, user_id) if t["id"] == token_id]
    return JSONResponse({**listed, "token": secret}, status_code=201)


@router.delete("/me/tokens/{token_id}", status_code=204)
def delete_personal_token(ctx: CtxDep, token_id: Id):
    user_id = ctx.principal.require_person()
    with ctx.db.write() as conn:
        if not auth.revoke_token(conn, token_id, user_id=user_id):
            raise NotFound(f"Jeton {token_id} introuvable.")
    return Response(status_code=204)
