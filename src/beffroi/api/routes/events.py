"""The live event stream of a tenant (Server-Sent Events), served by ``event_hub``.

Left out of the OpenAPI document: a stream that never ends is not a JSON answer, and the
document's clients (Swagger UI, the API fuzzing) would wait on it forever. docs/architecture.md
describes its events.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import StreamingResponse

from ...core.access import TenantScope
from ...core.storable import as_id
from ..deps import Ctx, CtxDep, caller_secret
from ..event_hub import KEEPALIVE, KEEPALIVE_S, READY, RETRY_MS, EventHub

router = APIRouter(tags=["temps réel"])
HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}  # nginx: no buffering


def _scope(ctx: Ctx, tenant: str) -> TenantScope:
    with ctx.reading(tenant) as (scope, _):
        scope.require("read")
        return scope


def last_event_id(request: Request) -> int | None:
    """The cursor a reconnecting EventSource sends back; anything else is ignored."""
    text = request.headers.get("last-event-id")
    return as_id(text) if text else None


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
async def events(request: Request, ctx: CtxDep, tenant: str) -> StreamingResponse:
    """``text/event-stream`` of the tenant: ``alert``, ``asset_status`` and ``dashboard``
    events, a keep-alive comment every 15 s, ``retry: 3000``; ``Last-Event-ID`` resumes."""
    scope = await run_in_threadpool(_scope, ctx, tenant)
    hub: EventHub = request.app.state.event_hub
    return StreamingResponse(_stream(hub, scope, caller_secret(request), last_event_id(request)),
                             media_type="text/event-stream", headers=HEADERS)
