"""The live event stream of a tenant (Server-Sent Events), served by ``event_hub``.

Left out of the OpenAPI document: a stream that never ends is not a JSON answer, and the
document's clients (Swagger UI, the API fuzzing) would wait on it forever. docs/architecture.md
describes its events.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Query, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import StreamingResponse

from ...core.access import TenantScope
from ...core.storable import BIGINT_MAX, as_id
from ..deps import Ctx, CtxDep, caller_secret
from ..event_hub import KEEPALIVE, KEEPALIVE_S, READY, RETRY_MS, EventHub

router = APIRouter(tags=["temps réel"])
HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}  # nginx: no buffering


def _scope(ctx: Ctx, tenant: str) -> TenantScope:
    with ctx.reading(tenant) as (scope, _):
        scope.require("read")
        return scope


def resume_from(request: Request, since: int | None) -> int | None:
    """Where the client's view stands: the cursor a reconnecting EventSource sends back
    (``Last-Event-ID``; anything but an event id is ignored), else ``since`` (the cursor of
    what a page has just loaded, as ``GET /me/visits/{t}`` gives it)."""
    text = request.headers.get("last-event-id")
    resumed = as_id(text) if text else None
    return resumed if resumed is not None else since


async def _stream(hub: EventHub, scope: TenantScope, secret: str | None,
                  resume: int | None) -> AsyncIterator[bytes]:
    # Subscribed once the answer starts: a request given up before never holds a watcher.
    subscriber = hub.subscribe(scope, secret)
    try:
        yield f"retry: {RETRY_MS}\n\n".encode()

        async def replay() -> list[bytes]:
            if resume is None:
                return []
            return await run_in_threadpool(hub.replay, subscriber, resume)

        if subscriber.since is not None:
            for message in await replay():
                yield message
        while True:
            try:
                message = await asyncio.wait_for(subscriber.queue.get(), KEEPALIVE_S)
            except TimeoutError:
                yield KEEPALIVE
                continue
            if message is None:
                return
            if message is READY:
                for replayed in await replay():
                    yield replayed
                continue
            yield message
    finally:
        hub.unsubscribe(subscriber)


@router.get("/tenants/{tenant}/events", include_in_schema=False)
async def events(request: Request, ctx: CtxDep, tenant: str,
                 since: Annotated[int | None, Query(ge=0, le=BIGINT_MAX)] = None
                 ) -> StreamingResponse:
    """``text/event-stream`` of the tenant: ``alert``, ``asset_status`` and ``dashboard``
    events, a keep-alive comment every 15 s, ``retry: 3000``; ``Last-Event-ID`` (or
    ``since``) resumes after that cursor."""
    scope = await run_in_threadpool(_scope, ctx, tenant)
    hub: EventHub = request.app.state.event_hub
    return StreamingResponse(_stream(hub, scope, caller_secret(request), resume_from(request, since)),
                             media_type="text/event-stream", headers=HEADERS)
