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
