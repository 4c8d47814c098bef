"""Routes of the pages: each serves its HTML shell; the page's script does the rest."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from starlette.responses import HTMLResponse

PAGES = Path(__file__).parent / "pages"
router = APIRouter(include_in_schema=False)
# Shells are small and never change while the server runs: read once.
_cache: dict[str, str] = {}


def page(name: str) -> HTMLResponse:
    if name not in _cache:
        _cache[name] = (PAGES / f"{name}.html").read_text(encoding="utf-8")
    return HTMLResponse(_cache[name], headers={"Cache-Control": "no-cache"})


@router.get("/connexion")
def login_page() -> HTMLResponse:
    return page("connexion")


@router.get("/")
def home_page() -> HTMLResponse:
    return page("accueil")


@router.get("/carte")
def map_page() -> HTMLResponse:
    return page("carte")


@router.get("/equipements/{asset_id}")
def asset_page(asset_id: int) -> HTMLResponse:
    return page("equipement")


@router.get("/alertes")
def alerts_page() -> HTMLResponse:
    return page("alertes")


@router.get("/impact")
def impact_page() -> HTMLResponse:
    return page("impact")


@router.get("/administration")
def admin_page() -> HTMLResponse:
    return page("administration")


@router.get("/mot-de-passe-oublie")
def forgotten_password_page() -> HTMLResponse:
    return page("mot-de-passe-oublie")


@router.get("/api/v1/docs")
def api_docs_page() -> HTMLResponse:
    """The API documentation (Swagger UI, served by Beffroi, on /api/v1/openapi.json)."""
    return page("api-docs")


@router.get("/reinitialiser")
def reset_password_page() -> HTMLResponse:
    return page("reinitialiser")
