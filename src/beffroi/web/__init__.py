"""The French web interface: HTML pages and static files served by Beffroi itself.

Pages are plain HTML shells (``pages/``) whose scripts (``static/js/``) call the JSON
API of the same origin with the session cookie; front-end libraries are installed from
the npm registry by ``make install`` (``scripts/vendor.sh``) into ``static/vendor/``.
Domains add pages, asset-page panels and map colourings from their own folder
(``extensions``). Every page ends with the footer of ``legal``, whose pages (accessibility
statement, legal notice, personal data) need no sign-in.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.responses import FileResponse

from .extensions import install_extensions
from .legal import install_legal
from .pages import install_not_found, router
from .public_indicators import install_public_indicators
from .public_indicators import router as public_router

STATIC = Path(__file__).parent / "static"


def install_web(app: FastAPI) -> None:
    install_legal(app)  # first: a malformed setting stops here (ValueError, French)
    install_extensions(app, app.state.registry,
                       {r.path for r in (*router.routes, *public_router.routes)})
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.add_api_route("/favicon.ico", _favicon, include_in_schema=False)
    app.include_router(router)
    install_public_indicators(app)
    install_not_found(app)


def _favicon() -> FileResponse:
    """The icon every browser asks for at this address (a 404 on every page without it):
    the belfry, in SVG."""
    return FileResponse(STATIC / "favicon.svg", media_type="image/svg+xml",
                        headers={"Cache-Control": "max-age=86400"})
