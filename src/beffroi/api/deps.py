"""Request dependencies: the app state, the caller, request bodies, tenant scopes.

Routes stay thin: they take a ``Ctx``, open a read or write scope on the tenant
named in the path, call a core function and shape its result.

Bodies are read by ``read_body`` only: streamed, and refused (413) as soon as they pass the
route's cap, whether announced by ``Content-Length`` (refused before reading) or chunked.
A body is read after its caller is known: the body dependencies depend on ``get_ctx`` (or
on the integration's secret), so a bad token, a missing CSRF header or an anonymous caller
is refused before a byte of the body is read. Caps: ``CREDENTIALS_MAX`` for log-in and
password forms, ``CONTROL_MAX`` for JSON control bodies and network-server events,
``BULK_MAX`` for imports and observation batches.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Annotated, Any

import orjson
from fastapi import BackgroundTasks, Depends, Request
from sqlalchemy import Connection
from starlette.responses import Response

from ..core.access import Principal, TenantScope, open_scope
from ..core.auth import principal_for_token, touch_due, touch_token
from ..core.errors import Forbidden, Invalid, TooLarge, Unauthorized
from ..core.registry import Registry
from ..storage.database import Database

SESSION_COOKIE = "beffroi_session"
CSRF_COOKIE = "beffroi_csrf"  # no longer set (the token is derived from the session); cleared
CSRF_HEADER = "X-CSRF-Token"
_CSRF_CONTEXT = b"beffroi-csrf-v1"
CREDENTIALS_MAX = 16 * 1024
CONTROL_MAX = 1024 * 1024
BULK_MAX = 32 * 1024 * 1024
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


def csrf_token(session_secret: str) -> str:
    """The anti-CSRF token of a browser session: an HMAC keyed with the session's own secret
    (HttpOnly cookie), so it belongs to that session only and cannot be made without it."""
    return hmac.new(session_secret.encode(), _CSRF_CONTEXT, hashlib.sha256).hexdigest()


def client_address(request: Request) -> str | None:
    """The caller's address (behind a reverse proxy, uvicorn takes it from
    X-Forwarded-For when the proxy is trusted: FORWARDED_ALLOW_IPS)."""
    return request.client.host if request.client else None


def get_ctx(request: Request, background: BackgroundTasks) -> Ctx:
    db: Database = request.app.state.db
    secret, from_cookie = _credentials(request)
    if from_cookie and request.method in UNSAFE:
        # A cookie-authenticated write must send its session's token: a token of another
        # session, or a cookie planted by a sibling sub-domain, does not match.
        sent = request.headers.get(CSRF_HEADER) or ""
        if not hmac.compare_digest(sent.encode(), csrf_token(secret).encode()):
            raise Forbidden("Jeton anti-CSRF manquant ou incorrect (en-tête X-CSRF-Token).")
    with db.read() as conn:
        principal = principal_for_token(conn, secret)
    if touch_due(principal):
        # After the answer, in its own short transaction: never inside the request's own.
        background.add_task(touch_token, db, principal.token_id)
    return Ctx(db, request.app.state.registry, principal)


def _size(limit: int) -> str:
    return f"{limit // (1024 * 1024)} Mo" if limit >= 1024 * 1024 else f"{limit // 1024} Ko"


async def read_body(request: Request, limit: int) -> bytes:
    """The request body, read chunk by chunk and abandoned (413) past ``limit`` bytes."""
    too_large = TooLarge(f"Corps de requête trop volumineux : {_size(limit)} au plus "
                         "pour cette adresse.")
    declared = request.headers.get("content-length")
    if declared is not None and declared.strip().isdigit() and int(declared) > limit:
        raise too_large
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise too_large
    return bytes(body)


def parse_json(raw: bytes) -> Any:
    """A JSON document, with a precise French error when it is not one."""
    if not raw.strip():
        raise Invalid("Corps de requête vide : un document JSON est attendu.")
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise Invalid(f"JSON mal formé : {exc}.") from None


def _require_caller(ctx: Ctx) -> None:
    if ctx.principal.is_anonymous:
        raise Unauthorized("Connexion requise.")


async def json_body(request: Request, ctx: Annotated[Ctx, Depends(get_ctx)]) -> Any:
    """A JSON control body from an authenticated caller."""
    _require_caller(ctx)
    return parse_json(await read_body(request, CONTROL_MAX))


async def open_json_body(request: Request, ctx: Annotated[Ctx, Depends(get_ctx)]) -> Any:
    """A JSON control body that anonymous readers of a public territory may send too
    (computations that change nothing)."""
    return parse_json(await read_body(request, CONTROL_MAX))


async def bulk_json_body(request: Request, ctx: Annotated[Ctx, Depends(get_ctx)]) -> Any:
    """A large JSON document (boundaries of many communes) from an authenticated caller."""
    _require_caller(ctx)
    return parse_json(await read_body(request, BULK_MAX))


async def raw_body(request: Request, ctx: Annotated[Ctx, Depends(get_ctx)]) -> bytes:
    """A large body as bytes (an import, an observation batch) from an authenticated caller."""
    _require_caller(ctx)
    return await read_body(request, BULK_MAX)


async def optional_json_body(request: Request, ctx: Annotated[Ctx, Depends(get_ctx)]) -> Any:
    """An optional JSON object from an authenticated caller: an empty body is ``{}``."""
    _require_caller(ctx)
    raw = await read_body(request, CONTROL_MAX)
    if not raw.strip():
        return {}
    doc = parse_json(raw)
    if not isinstance(doc, dict):
        raise Invalid("Objet JSON attendu.")
    return doc


async def credentials_body(request: Request) -> Any:
    """The small JSON body of an anonymous form (log-in, password reset)."""
    return parse_json(await read_body(request, CREDENTIALS_MAX))


CtxDep = Annotated[Ctx, Depends(get_ctx)]
JsonBody = Annotated[Any, Depends(json_body)]
OptionalBody = Annotated[Any, Depends(optional_json_body)]
OpenJsonBody = Annotated[Any, Depends(open_json_body)]
BulkJsonBody = Annotated[Any, Depends(bulk_json_body)]
RawBody = Annotated[bytes, Depends(raw_body)]
CredentialsBody = Annotated[Any, Depends(credentials_body)]


def body_doc(example: Any, content_type: str = "application/json") -> dict[str, Any]:
    """OpenAPI request-body documentation for routes that parse their body themselves."""
    return {"requestBody": {"required": True, "content": {content_type: {"example": example}}}}
