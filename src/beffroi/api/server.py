"""uvicorn's server, made to end the live event streams when it shuts down.

uvicorn stops by waiting for every response in progress to finish; an event stream
(``routes/events.py``) never finishes by itself, so a plain ``uvicorn.Server`` would wait for
its clients forever. This one first ends the streams (``EventHub.close``): each client gets
the end of its stream, and its EventSource reconnects to the next server.
"""

from __future__ import annotations

import socket

import uvicorn


class Server(uvicorn.Server):
    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        hub = getattr(getattr(self.config.app, "state", None), "event_hub", None)
        if hub is not None:
            hub.close()
        await super().shutdown(sockets=sockets)
