"""What the domains add to the web interface, as core's pages read it.

Domains declare pages, asset-page panels and map colourings on their ``Domain`` object
(``core.registry.Page``, ``Panel``, ``MapStyle``) and keep the files in ``web_dir``.
Here they become: a static mount per domain (``/static/domains/{key}/``), a route per
page serving its HTML shell (with the site's footer, ``legal``), and ``GET /interface.json``, which ``common.js`` reads for
the menu, the asset page for its panels and the map for its colouring modes.
"""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.staticfiles import StaticFiles
from starlette.responses import HTMLResponse, JSONResponse

from ..core.registry import Domain, Registry
from .legal import with_footer

STATIC_PREFIX = "/static/domains"


def static_url(domain: Domain, name: str) -> str:
    return f"{STATIC_PREFIX}/{domain.key}/{name}"


def interface(registry: Registry) -> dict[str, Any]:
    """Menu entries, panels (module URLs) and map styles of the loaded domains."""
    domains = list(registry.domains.values())
    return {
        "nav": [{"path": p.path, "label": p.nav_label, "domain": d.key}
                for d in domains for p in d.pages if p.nav_label],
        "panels": [{"domain": d.key, "asset_kinds": list(p.asset_kinds), "title": p.title,
                    "module": static_url(d, p.module)} for d in domains for p in d.panels],
        "map_styles": [{**asdict(s), "domain": d.key} for d in domains for s in d.map_styles],
    }


def _shell(path: Path):
    cache: list[str] = []

    def serve(request: Request) -> HTMLResponse:
        if not cache:  # shells never change while the server runs: read once
            cache.append(path.read_text(encoding="utf-8"))
        return HTMLResponse(with_footer(cache[0], request.app.state.legal),
                            headers={"Cache-Control": "no-cache"})

    return serve


def install_extensions(app: FastAPI, registry: Registry, core_paths: set[str]) -> None:
    """Mount the domains' files and pages; before core's /static mount, which would
    otherwise answer /static/domains/… itself."""
    for domain in registry.domains.values():
        if domain.web_dir:
            app.mount(f"{STATIC_PREFIX}/{domain.key}",
                      StaticFiles(directory=domain.web_dir), name=f"static-{domain.key}")
        for page in domain.pages:
            if page.path in core_paths:
                raise ValueError(f"page {page.path!r} of {domain.key!r} hides a core page")
            app.add_api_route(page.path, _shell(Path(domain.web_dir or "") / page.html),
                              methods=["GET"], include_in_schema=False)
    document = interface(registry)

    @app.get("/interface.json", include_in_schema=False)
    def interface_json() -> JSONResponse:
        return JSONResponse(document, headers={"Cache-Control": "no-cache"})
