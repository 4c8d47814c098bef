"""Request dependencies: the app state, the caller, request bodies, tenant scopes.

Routes stay thin: they take a ``Ctx``, open a read or write scope on the tenant
named in the path, call a core function and shape its result.

Bodies are read by ``read_body`` only: streamed, and refused (413) as soon as they pass the
route's cap, whether announced by ``Content-Length`` (refused before reading) or chunked.
A body is read after its caller is known: the body dependencies depend on ``get_ctx`` (or
on the integration's secret), so a bad token, a missing CSRF header or an anonymous caller
is refused before a byte of the body is read. Caps: ``CREDENTIALS_MAX`` for log-in and
password forms (``credentials_body``, anonymous; ``password_body``, signed in), ``CONTROL_MAX`` for JSON control bodies and network-server events,
``BULK_MAX`` for imports and observation batches.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Annotated, Any, Literal, TypeVar

import orjson
from fastapi import BackgroundTasks, Depends, Path, Query, Request
from pydantic import BaseModel
from sqlalchemy import Connection
from starlette.concurrency import run_in_threadpool
from starlette.responses import JSONResponse as StarletteJSONResponse

from ..core import storable
from ..core.access import ANONYMOUS, Principal, TenantScope, open_scope
from ..core.auth import principal_for_token, principals_for_tokens, touch_due, touch_token
from ..core.errors import Forbidden, Invalid, TooLarge, Unauthorized
from ..core.registry import Registry
from ..core.storable import BIGINT_MAX, BIGINT_MIN, NUL, NUL_MESSAGE
from ..storage.database import Database

T = TypeVar("T")
SESSION_COOKIE = "beffroi_session"
CSRF_COOKIE = "beffroi_csrf"  # no longer set (the token is derived from the session); cleared
CSRF_HEADER = "X-CSRF-Token"
_CSRF_CONTEXT = b"beffroi-csrf-v1"
CREDENTIALS_MAX = 16 * 1024
CONTROL_MAX = 1024 * 1024
BULK_MAX = 32 * 1024 * 1024
UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}


class JSONResponse(StarletteJSONResponse):
    """JSON through orjson; a JSON response class, so that the OpenAPI document shows the
    route's ``response_model`` as its schema (not a string)."""

    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        if isinstance(content, bytes):  # already serialised (GeoJSON feature collections)
            return content
        return orjson.dumps(content, option=orjson.OPT_NON_STR_KEYS)


class GeoJSONResponse(JSONResponse):
    media_type = "application/geo+json"


# Success bodies as the OpenAPI document shows them (``response_model=`` of each route;
# routes build their JSON by hand, these only document it).
Object = dict[str, Any]
Objects = list[dict[str, Any]]


class Feature(BaseModel):
    type: Literal["Feature"]
    id: int
    geometry: dict[str, Any] | None
    properties: dict[str, Any]


class FeatureCollection(BaseModel):
    """GeoJSON (RFC 7946), with OGC API Features' ``numberReturned``, ``numberMatched``
    (a search's count beyond the page) and ``next`` link."""

    type: Literal["FeatureCollection"]
    numberReturned: int
    numberMatched: int | None = None
    features: list[Feature]
    links: list[dict[str, str]] | None = None


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


def caller_secret(request: Request) -> str | None:
    """The token the caller came with (bearer or session cookie), for the long-lived event
    stream that checks the caller's rights again while it runs."""
    return _credentials(request)[0]


def csrf_token(session_secret: str) -> str:
    """The anti-CSRF token of a browser session: an HMAC keyed with the session's own secret
    (HttpOnly cookie), so it belongs to that session only and cannot be made without it."""
    return hmac.new(session_secret.encode(), _CSRF_CONTEXT, hashlib.sha256).hexdigest()


def client_address(request: Request) -> str | None:
    """The caller's address (behind a reverse proxy, uvicorn takes it from
    X-Forwarded-For when the proxy is trusted: FORWARDED_ALLOW_IPS)."""
    return request.client.host if request.client else None


async def get_ctx(request: Request, background: BackgroundTasks) -> Ctx:
    """The app and the caller. A coroutine, so that no request pays a thread-pool hand-over
    for it: on SQLite the token is read right here (an in-process read costs less than the
    hand-over); on PostgreSQL the database's group reader looks up the tokens of all the
    requests waiting in one query (one round trip for them all)."""
    db: Database = request.app.state.db
    secret, from_cookie = _credentials(request)
    if from_cookie and request.method in UNSAFE:
        # A cookie-authenticated write must send its session's token: a token of another
        # session, or a cookie planted by a sibling sub-domain, does not match.
        sent = request.headers.get(CSRF_HEADER) or ""
        if not hmac.compare_digest(sent.encode(), csrf_token(secret).encode()):
            raise Forbidden("Jeton anti-CSRF manquant ou incorrect (en-tête X-CSRF-Token).")
    if not secret:
        principal = ANONYMOUS
    elif db.is_sqlite:
        principal = _principal(db, secret)
    else:  # with the tokens of the other requests waiting, in one query
        principal = await asyncio.wrap_future(
            db.group_read.submit(principals_for_tokens, secret))
    if touch_due(principal):
        # After the answer, in its own short transaction: never inside the request's own.
        background.add_task(touch_token, db, principal.token_id)
    return Ctx(db, request.app.state.registry, principal)


async def quick_read(db: Database, read: Callable[..., T], *args: Any) -> T:
    """A short read that every request of a route makes (a network server's integration;
    the caller's token is read by ``get_ctx`` itself): on SQLite it runs right here on the event loop, an in-process
    read of tens of microseconds that a writer never blocks (WAL), which costs less than a
    hand-over to the thread pool; on PostgreSQL, a network round trip, it runs in the
    thread pool so as never to hold up the event loop."""
    if db.is_sqlite:
        return read(*args)
    return await run_in_threadpool(read, *args)


def _principal(db: Database, secret: str) -> Principal:
    with db.read() as conn:
        return principal_for_token(conn, secret)


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
    """A JSON document whose every value the databases can store and whose objects name
    each key once, with a precise French error when it is not one."""
    if not raw.strip():
        raise Invalid("Corps de requête vide : un document JSON est attendu.")
    return storable.parse_json(raw, unique_keys=True)


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


async def password_body(request: Request, ctx: Annotated[Ctx, Depends(get_ctx)]) -> Any:
    """The small JSON body of a signed-in person's password form (change of password)."""
    _require_caller(ctx)
    return parse_json(await read_body(request, CREDENTIALS_MAX))


async def storable_parameters(request: Request) -> None:
    """Every route's path and query values are text the databases can store (no NUL
    character): checked once for the whole app (``create_app``). A coroutine: FastAPI runs
    a plain function dependency in its thread pool, a hand-over that costs every request
    more than the check itself."""
    errors = [{"field": name.replace(NUL, "\\u0000"), "message": NUL_MESSAGE}
              for name, value in (*request.path_params.items(),
                                  *request.query_params.multi_items())
              if NUL in name or NUL in str(value)]
    if errors:
        raise Invalid("Paramètre invalide : " + ", ".join(f"« {e['field']} »" for e in errors)
                      + f" ({NUL_MESSAGE}).", errors=errors)


# Integer parameters of paths and queries: identifiers are positive, and every integer is
# within the databases' 64-bit integers. Every integer parameter of a route is declared with
# one of these (tests/api/test_openapi.py fails on an unbounded one). A count's own range
# (``limit`` from 1 to 1000…) is checked by core, with the request's other errors.
Id = Annotated[int, Path(ge=1, le=BIGINT_MAX, description="identifiant")]
IdQuery = Annotated[int | None, Query(ge=1, le=BIGINT_MAX)]
Limit = Annotated[int, Query(ge=BIGINT_MIN, le=BIGINT_MAX, description="nombre d'éléments au plus")]

CtxDep = Annotated[Ctx, Depends(get_ctx)]
JsonBody = Annotated[Any, Depends(json_body)]
OptionalBody = Annotated[Any, Depends(optional_json_body)]
OpenJsonBody = Annotated[Any, Depends(open_json_body)]
BulkJsonBody = Annotated[Any, Depends(bulk_json_body)]
RawBody = Annotated[bytes, Depends(raw_body)]
CredentialsBody = Annotated[Any, Depends(credentials_body)]
PasswordBody = Annotated[Any, Depends(password_body)]


def body_doc(example: Any, content_type: str = "application/json",
             schema: dict[str, Any] | None = None, required: bool = True) -> dict[str, Any]:
    """OpenAPI request-body documentation for routes that parse their body themselves: the
    example, and a schema naming its fields with their types (none required, others
    allowed: the route's own checks give the precise errors) unless one is given."""
    if schema is None:
        schema = {"type": "string"} if isinstance(example, str) else example_schema(example)
    return {"requestBody": {"required": required, "content": {
        content_type: {"schema": schema, "example": example}}}}


def example_schema(example: Any) -> dict[str, Any]:
    """The JSON Schema an example value shows: objects with their fields, lists of their
    first item, scalars with their type; ``null`` says nothing (any value)."""
    if isinstance(example, dict):
        return {"type": "object",
                "properties": {key: example_schema(value) for key, value in example.items()}}
    if isinstance(example, list):
        return {"type": "array", "items": example_schema(example[0]) if example else {}}
    if isinstance(example, bool):
        return {"type": "boolean"}
    if isinstance(example, int):
        return {"type": "integer"}
    if isinstance(example, float):
        return {"type": "number"}
    if isinstance(example, str):
        return {"type": "string"}
    return {}
