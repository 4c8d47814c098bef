"""Request dependencies: the app state, the caller, JSON bodies, tenant scopes.

Routes stay thin: they take a ``Ctx``, open a read or write scope on the tenant
named in the path, call a core function and shape its result.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Annotated, Any

import orjson
from fastapi import Depends, Request
from sqlalchemy import Connection
from starlette.responses import Response

from ..core.access import Principal, TenantScope, open_scope
from ..core.auth import principal_for_token
from ..core.errors import Forbidden, Invalid, TooLarge
from ..core.registry import Registry
from ..storage.database import Database

SESSION_COOKIE = "beffroi_session"
CSRF_COOKIE = "beffroi_csrf"
MAX_BODY = 32 * 1024 * 1024
UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}


class JSONResponse(Response):
    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content, option=orjson.OPT_NON_STR_KEYS)


class GeoJSONResponse(Response):
    media_type = "application/geo+json"


@dataclass
class Ctx:
    """Everything a route needs about the app and the caller."""

    db: Database
    registry: Registry
    principal: Principal

    @contextmanager
    def reading(self, tenant: str) -> Iterator[tuple[TenantScope, Connection]]:
        with self.db.read() as conn:
            yield open_scope(self.db, conn, self.principal, tenant), conn

    @contextmanager
    def writing(self, tenant: str) -> Iterator[tuple[TenantScope, Connection]]:
        with self.db.write() as conn:
            yield open_scope(self.db, conn, self.principal, tenant), conn


def _credentials(request: Request) -> tuple[str | None, bool]:
    """(secret, from_cookie)."""
    header = request.headers.get("authorization")
    if header:
        scheme, _, value = header.partition(" ")
        if scheme.lower() == "bearer" and value.strip():
            return value.strip(), False
        return "\0invalid", False
    cookie = request.cookies.get(SESSION_COOKIE)
    return (cookie, True) if cookie else (None, False)


def get_ctx(request: Request) -> Ctx:
    db: Database = request.app.state.db
    secret, from_cookie = _credentials(request)
    if from_cookie and request.method in UNSAFE:
        # Double-submit cookie: a cookie-authenticated write must echo the CSRF cookie.
        token = request.cookies.get(CSRF_COOKIE)
        if not token or request.headers.get("x-csrf-token") != token:
            raise Forbidden("Jeton anti-CSRF manquant ou incorrect (en-tête X-CSRF-Token).")
    with db.read() as conn:
        principal = principal_for_token(conn, secret)
    return Ctx(db, request.app.state.registry, principal)


async def json_body(request: Request) -> Any:
    """The request body parsed as JSON, with a precise French error when it is not."""
    if int(request.headers.get("content-length") or 0) > MAX_BODY:
        raise TooLarge(f"Corps de requête supérieur à {MAX_BODY // (1024 * 1024)} Mo.")
    raw = await request.body()
    if len(raw) > MAX_BODY:
        raise TooLarge(f"Corps de requête supérieur à {MAX_BODY // (1024 * 1024)} Mo.")
    if not raw.strip():
        raise Invalid("Corps de requête vide : un document JSON est attendu.")
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise Invalid(f"JSON mal formé : {exc}.") from None


async def raw_body(request: Request) -> bytes:
    if int(request.headers.get("content-length") or 0) > MAX_BODY:
        raise TooLarge(f"Corps de requête supérieur à {MAX_BODY // (1024 * 1024)} Mo.")
    raw = await request.body()
    if len(raw) > MAX_BODY:
        raise TooLarge(f"Corps de requête supérieur à {MAX_BODY // (1024 * 1024)} Mo.")
    return raw


CtxDep = Annotated[Ctx, Depends(get_ctx)]
JsonBody = Annotated[Any, Depends(json_body)]
RawBody = Annotated[bytes, Depends(raw_body)]


def body_doc(example: Any, content_type: str = "application/json") -> dict[str, Any]:
    """OpenAPI request-body documentation for routes that parse their body themselves."""
    return {"requestBody": {"required": True, "content": {content_type: {"example": example}}}}
