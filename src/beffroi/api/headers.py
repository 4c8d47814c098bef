"""Security headers on every response: pages, static files, API answers and errors.

- ``Content-Security-Policy``: scripts, styles, fonts and connections from Beffroi itself
  only (no inline script, no inline style attribute, no ``eval``); images also as ``data:``
  (Leaflet's) and from the basemap's host when ``BEFFROI_TILE_URL`` is set; no plugin, no
  ``<base>``, forms posted to Beffroi only, and no framing (``frame-ancestors 'none'``).
- ``X-Content-Type-Options: nosniff`` and ``X-Frame-Options: DENY`` (older browsers).
- ``Referrer-Policy: strict-origin-when-cross-origin``: another site learns at most the
  origin (never a page's path or query, such as a reset link); tile servers that require a
  referrer (OpenStreetMap) still get one.
- ``Strict-Transport-Security`` (one year) when the request came over HTTPS. Behind a
  reverse proxy, uvicorn takes the scheme from ``X-Forwarded-Proto`` when the proxy is
  trusted (``127.0.0.1`` by default, else uvicorn's ``FORWARDED_ALLOW_IPS``): a client
  cannot fake it. Sub-domains are not included: they may be other services of the operator.
"""

from __future__ import annotations

import functools
import os
import re
from urllib.parse import urlsplit

from .routes.map import TILE_URL_ENV

HSTS = b"max-age=31536000"
_HOST = re.compile(r"^(\*\.)?[A-Za-z0-9.-]+(:\d+)?$")


def tile_source(tile_url: str | None) -> str | None:
    """The CSP source of a tile URL template: ``https://{s}.tile.example.org/{z}/{x}/{y}.png``
    → ``https://*.tile.example.org``; None when there is none or it cannot be read."""
    if not tile_url:
        return None
    parts = urlsplit(tile_url.strip())
    host = re.sub(r"^\{[a-z]+\}\.", "*.", parts.netloc.rpartition("@")[2])
    if parts.scheme not in ("http", "https") or not _HOST.match(host):
        return None
    return f"{parts.scheme}://{host}"


@functools.lru_cache(maxsize=4)
def content_security_policy(tile_url: str | None) -> bytes:
    images = " ".join(filter(None, ("'self'", "data:", tile_source(tile_url))))
    return "; ".join((
        "default-src 'self'", "script-src 'self'", "style-src 'self'", f"img-src {images}",
        "font-src 'self'", "connect-src 'self'", "object-src 'none'", "base-uri 'none'",
        "form-action 'self'", "frame-ancestors 'none'")).encode()


class SecurityHeaders:
    """ASGI middleware around the whole application (outside the error handlers)."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        https = scope.get("scheme") == "https"

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", ())}
                added = [
                    (b"content-security-policy",
                     content_security_policy(os.environ.get(TILE_URL_ENV) or None)),
                    (b"x-content-type-options", b"nosniff"),
                    (b"x-frame-options", b"DENY"),
                    (b"referrer-policy", b"strict-origin-when-cross-origin"),
                ]
                if https:
                    added.append((b"strict-transport-security", HSTS))
                message = {**message, "headers": [*message.get("headers", ()),
                                                  *(h for h in added if h[0] not in present)]}
            await send(message)

        await self.app(scope, receive, send_with_headers)
