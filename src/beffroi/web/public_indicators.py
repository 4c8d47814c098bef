"""The public impact indicators page of a territory and its open-data CSV: no sign-in, no
script; 404 unless the territory publishes them (``impact.public_indicators``)."""

from __future__ import annotations

from fastapi import APIRouter, FastAPI, Request
from starlette.responses import HTMLResponse, Response

from ..core.clock import now_ms
from ..reports.public_indicators import (
    IndicatorCache,
    current_banner,
    indicators_csv,
    render_not_found,
    render_page,
)
from .legal import with_footer

router = APIRouter(include_in_schema=False)
PUBLIC_CACHE = {"Cache-Control": "public, max-age=3600"}
BANNER_CACHE = {"Cache-Control": "public, max-age=60"}  # a banner comes and goes quickly


def _indicators(request: Request, siren: str):
    app = request.app
    return app.state.public_indicators.get(app.state.db, app.state.registry, siren)


def _not_found(request: Request) -> HTMLResponse:
    """The same page for an unknown territory and one that does not publish (and its CSV)."""
    return HTMLResponse(with_footer(render_not_found(), request.app.state.legal),
                        status_code=404)


@router.get("/territoires/{siren}/indicateurs")
def indicators_page(request: Request, siren: str) -> HTMLResponse:
    indicators = _indicators(request, siren)
    if indicators is None:
        return _not_found(request)
    banner = current_banner(request.app.state.db, siren, now_ms())
    return HTMLResponse(with_footer(render_page(indicators, banner), request.app.state.legal),
                        headers=BANNER_CACHE if banner else PUBLIC_CACHE)


@router.get("/territoires/{siren}/indicateurs.csv")
def indicators_file(request: Request, siren: str) -> Response:
    indicators = _indicators(request, siren)
    if indicators is None:
        return _not_found(request)
    return Response(indicators_csv(indicators), media_type="text/csv; charset=utf-8", headers={
        **PUBLIC_CACHE, "Access-Control-Allow-Origin": "*",
        "Content-Disposition": f'attachment; filename="indicateurs-impact-{siren}.csv"'})


def install_public_indicators(app: FastAPI) -> None:
    app.state.public_indicators = IndicatorCache()
    app.include_router(router)
