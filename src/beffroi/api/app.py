"""The FastAPI application: thin routes over core, mounted under /api/v1."""

from __future__ import annotations

import gc
import sys

from fastapi import Depends, FastAPI
from starlette.types import ASGIApp

from ..core.registry import Registry, load_registry
from ..storage.database import Database
from ..web import install_web
from . import problems
from .deps import storable_parameters
from .event_hub import EventHub
from .headers import SecurityHeaders
from .openapi import declare_problems
from .routes import (
    alerts,
    assets,
    auth,
    commands,
    devices,
    events,
    impact,
    impact_report,
    integrations,
    invitations,
    map,
    meta,
    notifications,
    password,
    streams,
    tenants,
    users,
    visits,
)
from .unread_bodies import DrainUnreadBodies

API_PREFIX = "/api/v1"


class BeffroiApp(FastAPI):
    """The FastAPI application with the security headers on every response, errors
    included (outside Starlette's outermost error middleware)."""

    def build_middleware_stack(self) -> ASGIApp:
        return SecurityHeaders(DrainUnreadBodies(super().build_middleware_stack()))


def create_app(db: Database, registry: Registry | None = None) -> FastAPI:
    app = BeffroiApp(
        title="Beffroi",
        description="API de l'hyperviseur territorial Beffroi (jumeau numérique, séries "
                    "temporelles, territoires).",
        version="0.1.0",
        openapi_url=f"{API_PREFIX}/openapi.json",
        docs_url=None,  # web.pages serves it: Swagger UI from Beffroi itself, no inline script
        redoc_url=None,
        dependencies=[Depends(storable_parameters)],
    )
    app.state.db = db
    app.state.registry = registry or load_registry()
    app.state.event_hub = EventHub(db, app.state.registry)  # the live event streams
    problems.install(app)
    # A request walks the routes in order, and matching costs a few microseconds per route:
    # the routers of the ingest endpoints (one reading, one network-server event per
    # request, the most frequent requests by far) come first; none of their paths overlaps
    # another route's. map before assets: its /assets/status must win over /assets/{asset_id}.
    for module in (streams, integrations, auth, password, tenants, users, invitations, map,
                   assets, devices, commands, alerts, notifications, events, visits, impact,
                   impact_report, meta):
        app.include_router(module.router, prefix=API_PREFIX)
    for domain in app.state.registry.domains.values():
        if domain.api_router is not None:
            app.include_router(domain.api_router, prefix=API_PREFIX)
    declare_problems(app)

    install_web(app)
    return app


def run_server(app: FastAPI, host: str, port: int) -> None:
    """Run the app with uvicorn until interrupted (``beffroi serve`` and ``beffroi demo``).

    The server ends the live event streams first when it stops (``server.Server``).
    Thread switches every millisecond (see below). Garbage collector tuned for a long-running server: the objects alive after start-up
    (modules, routes, registry) are frozen out of its scans, and it runs every 50,000
    allocations instead of 700, so that a response of 10,000 items (latest values, map
    layers) is not slowed by hundreds of collections rescanning the whole process.
    """
    import uvicorn

    from .server import Server

    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 20, 20)
    # The event loop never blocks long, so it would keep the GIL for Python's default 5 ms
    # slices while the group writer's and reader's threads, back from each database round
    # trip, wait for it: 1 ms slices let them go on (single messages on PostgreSQL: +10 %).
    sys.setswitchinterval(0.001)
    server = Server(uvicorn.Config(app, host=host, port=port, log_level="warning",
                                   access_log=False))
    try:
        server.run()
    except KeyboardInterrupt:
        pass
    if not server.started:  # as uvicorn.run: the address was taken, or the app did not load
        sys.exit(3)
