"""The suite's apps: a new app for each test's database, with the route table of the first.

FastAPI builds the handler of each included route (its dependency tree, the pydantic fields
of its parameters) at the app's first request: about 0.1 s per app, paid by each of the
thousands of apps the suite makes (one per fresh database), a fifth of the API tests' time.
``fresh_app`` still makes the whole app with ``create_app`` (its database, state, event hub,
middleware and error handlers are its own), then hands it the routes of the first app made
with the same registry, already built. Those routes hold nothing of the app that built them
but ``dependency_overrides_provider`` (the suite sets no overrides). Each app gets its own
list of them: a route a test adds stays in its app.

Kept out of ``conftest.py`` for the reason given in suite_databases.py.
"""

from __future__ import annotations

from fastapi import FastAPI

from beffroi.api.app import create_app
from beffroi.core.registry import Registry
from beffroi.storage.database import Database

# Per registry object (kept here, so that its id is never reused): the first app's routes.
# The last few registries only: some tests build one of their own.
_routes: dict[int, tuple[Registry, list]] = {}
KEPT = 8


def fresh_app(db: Database, registry: Registry) -> FastAPI:
    app = create_app(db, registry)
    known = _routes.get(id(registry))
    if known is None:
        if len(_routes) >= KEPT:
            del _routes[next(iter(_routes))]
        _routes[id(registry)] = (registry, list(app.router.routes))
    else:
        app.router.routes = list(known[1])
    return app
