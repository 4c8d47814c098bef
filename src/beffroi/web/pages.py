"""Routes of the pages: each serves its HTML shell, with the site's footer (``legal``); the
page's script does the rest. The legal pages themselves are rendered here too, public, and
so is the « page introuvable » a browser gets for an address that leads nowhere
(``install_not_found``): API clients keep their problem+json answer."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, FastAPI, Request
from starlette.exceptions import HTTPException
from starlette.responses import HTMLResponse, Response

from .legal import ACCESSIBILITY, LEGAL_NOTICE, PRIVACY, render_page, with_footer

PAGES = Path(__file__).parent / "pages"
router = APIRouter(include_in_schema=False)
# Shells are small and never change while the server runs: read once.
_cache: dict[str, str] = {}


def page(request: Request, name: str) -> HTMLResponse:
    if name not in _cache:
        _cache[name] = (PAGES / f"{name}.html").read_text(encoding="utf-8")
    return HTMLResponse(with_footer(_cache[name], request.app.state.legal),
                        headers={"Cache-Control": "no-cache"})


@router.get("/connexion")
def login_page(request: Request) -> HTMLResponse:
    return page(request, "connexion")


@router.get("/")
def home_page(request: Request) -> HTMLResponse:
    return page(request, "accueil")


@router.get("/carte")
def map_page(request: Request) -> HTMLResponse:
    return page(request, "carte")


@router.get("/equipements/nouveau")
def new_asset_page(request: Request) -> HTMLResponse:
    """« Nouvel équipement »: one asset created from a form (agents and administrators)."""
    return page(request, "nouvel-equipement")


# (``:int``: « /equipements/abc » leads nowhere, to the « page introuvable », rather than
# to the API's problem details of a bad parameter)
@router.get("/equipements/{asset_id:int}")
def asset_page(request: Request, asset_id: int) -> HTMLResponse:
    return page(request, "equipement")


@router.get("/alertes")
def alerts_page(request: Request) -> HTMLResponse:
    return page(request, "alertes")


@router.get("/alertes/regles")
def alert_rules_page(request: Request) -> HTMLResponse:
    return page(request, "regles-alerte")


@router.get("/impact")
def impact_page(request: Request) -> HTMLResponse:
    return page(request, "impact")


@router.get("/administration")
def admin_page(request: Request) -> HTMLResponse:
    return page(request, "administration")


@router.get("/parametres")
def settings_page(request: Request) -> HTMLResponse:
    """The territory's settings (« Paramètres du territoire »), built from
    ``GET /api/v1/tenants/{t}/settings/schema``."""
    return page(request, "parametres")


@router.get("/compte")
def account_page(request: Request) -> HTMLResponse:
    """« Mon compte »: password, personal API tokens, e-mail alert subscriptions."""
    return page(request, "compte")


@router.get("/mot-de-passe-oublie")
def forgotten_password_page(request: Request) -> HTMLResponse:
    return page(request, "mot-de-passe-oublie")


@router.get("/api/v1/docs")
def api_docs_page(request: Request) -> HTMLResponse:
    """The API documentation (Swagger UI, served by Beffroi, on /api/v1/openapi.json)."""
    return page(request, "api-docs")


@router.get("/reinitialiser")
def reset_password_page(request: Request) -> HTMLResponse:
    return page(request, "reinitialiser")


def _legal_page(request: Request, path: str) -> HTMLResponse:
    app = request.app
    return HTMLResponse(render_page(path, app.state.legal, app.state.registry),
                        headers={"Cache-Control": "no-cache"})


@router.get(ACCESSIBILITY)
def accessibility_page(request: Request) -> HTMLResponse:
    """The accessibility statement (RGAA)."""
    return _legal_page(request, ACCESSIBILITY)


@router.get(LEGAL_NOTICE)
def legal_notice_page(request: Request) -> HTMLResponse:
    return _legal_page(request, LEGAL_NOTICE)


@router.get(PRIVACY)
def privacy_page(request: Request) -> HTMLResponse:
    return _legal_page(request, PRIVACY)


def install_not_found(app: FastAPI) -> None:
    """A page's address that leads nowhere, opened in a browser (it asks for HTML): the
    « page introuvable » with the site's header and footer instead of the API's problem
    details, which every other request (``/api/…``, scripts, files) still gets."""
    answer_problem = app.exception_handlers[HTTPException]

    async def not_found(request: Request, exc: Exception) -> Response:
        if (isinstance(exc, HTTPException) and exc.status_code == 404
                and not request.url.path.startswith(("/api/", "/static/"))
                and "text/html" in request.headers.get("accept", "")):
            html = page(request, "introuvable")
            return HTMLResponse(html.body, status_code=404, headers={"Cache-Control": "no-cache"})
        return await answer_problem(request, exc)

    app.add_exception_handler(HTTPException, not_found)
