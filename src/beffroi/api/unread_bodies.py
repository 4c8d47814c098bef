"""Answers sent before the request body was read, made safe behind a reverse proxy.

Beffroi checks the caller before it reads a body, and refuses a body over its route's cap
before reading it (``deps.read_body``). The server then closes the connection with the body
unread; a reverse proxy that is still sending that body (nginx buffers it first, then
forwards it) fails with a broken pipe and answers 502 instead of the 401, 403 or 413 Beffroi
gave. So, before an answer starts, the rest of a body whose declared length is at most
``DRAIN_LIMIT`` is read and thrown away, chunk by chunk (never kept in memory). Longer bodies
and bodies of undeclared length are still cut off at once.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

DRAIN_LIMIT = 4 * 1024 * 1024


def _declared_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers") or ():
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


class DrainUnreadBodies:
    """ASGI middleware: reads and discards what is left of a small body before answering."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        length = _declared_length(scope) if scope["type"] == "http" else None
        if not length or length > DRAIN_LIMIT:
            await self.app(scope, receive, send)
            return
        finished = False

        async def tracked_receive() -> Message:
            nonlocal finished
            message = await receive()
            if message["type"] == "http.disconnect" or (
                    message["type"] == "http.request" and not message.get("more_body", False)):
                finished = True
            return message

        async def draining_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                while not finished:
                    await tracked_receive()  # thrown away
            await send(message)

        await self.app(scope, tracked_receive, draining_send)
