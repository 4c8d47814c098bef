"""Security headers on every response: each web page, the API (answers and errors), static
files, the API documentation; HSTS only over HTTPS; and nothing of the documentation page
comes from a CDN or runs inline."""

from __future__ import annotations

import re
import socket
import threading
import time

import httpx
import pytest
from fastapi.testclient import TestClient

from beffroi.api.app import create_app
from beffroi.core.registry import load_registry
from beffroi.web import pages

pytestmark = pytest.mark.parametrize("db", ["sqlite"], indirect=True)  # no storage involved

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
       "form-action 'self'; frame-ancestors 'none'")
EXPECTED = {"content-security-policy": CSP, "x-content-type-options": "nosniff",
            "x-frame-options": "DENY", "referrer-policy": "strict-origin-when-cross-origin"}
NAMES = [*EXPECTED, "strict-transport-security"]


@pytest.fixture
def full_app(db):
    """Every domain, so that their pages and static files are there too; plus a route that
    fails, to see an unexpected error's answer."""
    app = create_app(db, load_registry())

    def fails():
        raise RuntimeError("boom")

    app.add_api_route("/api/v1/essai-erreur", fails, include_in_schema=False)
    return app


def page_paths(app) -> list[str]:
    """Every web page: core's and those the domains declare."""
    paths = [r.path.replace("{asset_id:int}", "1") for r in pages.router.routes]
    paths += [p.path for d in app.state.registry.domains.values() for p in d.pages]
    assert {"/", "/connexion", "/carte", "/alertes", "/administration", "/equipements/1",
            "/api/v1/docs", "/eclairage", "/eau"} <= set(paths)
    return paths


def headers_of(response) -> dict[str, str | None]:
    return {name: response.headers.get(name) for name in NAMES}


def test_every_response_carries_the_security_headers(full_app, monkeypatch):
    monkeypatch.delenv("BEFFROI_TILE_URL", raising=False)
    client = TestClient(full_app, raise_server_exceptions=False)
    responses = {path: client.get(path) for path in page_paths(full_app)}
    assert {p: r.status_code for p, r in responses.items()} == {p: 200 for p in responses}
    assert all(r.headers["content-type"].startswith("text/html") for r in responses.values())
    responses |= {
        "API answer": client.get("/api/v1/domains"),
        "API refusal": client.get("/api/v1/me"),
        "API document": client.get("/api/v1/openapi.json"),
        "unknown address": client.get("/nulle-part"),
        "wrong method": client.delete("/api/v1/domains"),
        "unexpected error": client.get("/api/v1/essai-erreur"),
        "static file": client.get("/static/js/common.js"),
        "vendored library": client.get("/static/vendor/leaflet/leaflet.js"),
        "domain static file": client.get("/static/domains/lighting/eclairage.js"),
        "interface": client.get("/interface.json"),
        "POST answer": client.post("/api/v1/auth/token", json={}),
    }
    statuses = {k: responses[k].status_code for k in ("API answer", "API refusal",
                                                      "unknown address", "wrong method",
                                                      "unexpected error", "static file",
                                                      "vendored library", "POST answer")}
    assert statuses == {"API answer": 200, "API refusal": 401, "unknown address": 404,
                        "wrong method": 405, "unexpected error": 500, "static file": 200,
                        "vendored library": 200, "POST answer": 422}
    plain_http = {**EXPECTED, "strict-transport-security": None}
    assert {k: headers_of(r) for k, r in responses.items()} == \
        {k: plain_http for k in responses}


def test_hsts_over_https_only(full_app):
    secure = TestClient(full_app, base_url="https://beffroi.example.fr")
    for path in ("/", "/api/v1/domains", "/static/js/common.js"):
        assert secure.get(path).headers["strict-transport-security"] == "max-age=31536000"
    # Over plain HTTP a client cannot obtain it by claiming HTTPS itself (no trusted proxy).
    plain = TestClient(full_app)
    assert "strict-transport-security" not in plain.get(
        "/", headers={"X-Forwarded-Proto": "https"}).headers


@pytest.mark.parametrize("trusted, hsts", [("127.0.0.1", True), ("10.9.9.9", False)])
def test_behind_a_trusted_reverse_proxy_https_is_recognised(full_app, trusted, hsts):
    """uvicorn (``beffroi serve``) takes the scheme from X-Forwarded-Proto only when the
    request comes from a trusted proxy address (FORWARDED_ALLOW_IPS, 127.0.0.1 by default)."""
    import uvicorn

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(full_app, log_level="warning", lifespan="off",
                                           proxy_headers=True, forwarded_allow_ips=trusted))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 20
        while not server.started:
            assert time.monotonic() < deadline
            time.sleep(0.01)
        answer = httpx.get(f"http://127.0.0.1:{sock.getsockname()[1]}/connexion",
                           headers={"X-Forwarded-Proto": "https"}, timeout=30)  # (loaded CI)
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()
    assert answer.status_code == 200
    assert ("strict-transport-security" in answer.headers) is hsts


@pytest.mark.parametrize("tile_url, source", [
    ("https://{s}.tile.openstreetmap.org/{z}/{x}/{y}.png", "https://*.tile.openstreetmap.org"),
    ("https://data.geopf.fr/wmts?SERVICE=WMTS&REQUEST=GetTile&TILEMATRIX={z}&TILEROW={y}"
     "&TILECOL={x}", "https://data.geopf.fr"),
    ("http://tuiles.interne.fr:8080/{z}/{x}/{y}.png", "http://tuiles.interne.fr:8080"),
    ("javascript:alert(1)//{z}", None),
    ("https://tuiles.example.fr;script-src *;/{z}/{x}/{y}.png", None),
])
def test_the_basemap_host_may_serve_images(full_app, monkeypatch, tile_url, source):
    monkeypatch.setenv("BEFFROI_TILE_URL", tile_url)
    csp = TestClient(full_app).get("/carte").headers["content-security-policy"]
    images = "img-src 'self' data:" + (f" {source}" if source else "")
    assert csp == CSP.replace("img-src 'self' data:", images)


def test_the_api_documentation_is_served_by_beffroi_without_inline_script(full_app):
    client = TestClient(full_app)
    html = client.get("/api/v1/docs").text
    scripts = re.findall(r"<script\b([^>]*)>(.*?)</script>", html, re.S)
    assert scripts and all(body.strip() == "" for _, body in scripts)  # no inline script
    sources = [re.search(r'src="([^"]+)"', attrs).group(1) for attrs, _ in scripts]
    styles = re.findall(r'<link rel="stylesheet" href="([^"]+)"', html)
    assert sources == ["/static/vendor/swagger-ui/swagger-ui-bundle.js", "/static/js/api-docs.js"]
    assert styles == ["/static/css/beffroi.css", "/static/vendor/swagger-ui/swagger-ui.css"]
    assert "style=" not in html and "//cdn" not in html and "http" not in html.replace(
        'href="/api/v1/openapi.json"', "")
    for path in (*sources, *styles):
        answer = client.get(path)
        assert answer.status_code == 200 and len(answer.content) > 400, path
