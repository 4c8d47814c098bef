"""The impact report as a PDF: the printable HTML (``impact_html``) through WeasyPrint.

No network: the document holds its style sheet and its charts (SVG), and the URL fetcher
given to WeasyPrint refuses every URL but the files of this package. Reproducible: the PDF's
dates are the period's end (never the time it is made) and its identifier is derived from
its content, so that the same report gives the same PDF.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from weasyprint import HTML
from weasyprint.urls import URLFetcher, URLFetcherResponse

from .impact_html import render_html

PACKAGE = Path(__file__).resolve().parent


class PackageOnlyFetcher(URLFetcher):
    """Serves the files of ``beffroi.reports`` (``file:`` URLs inside it) and nothing else:
    no http(s), no data outside the package, whatever a document asks for."""

    def fetch(self, url: str, headers: Any = None) -> URLFetcherResponse:
        parts = urlsplit(url)
        if parts.scheme != "file":
            raise ValueError(f"ressource externe refusée : {url[:80]}")
        path = Path(unquote(parts.path)).resolve()
        if not path.is_relative_to(PACKAGE) or not path.is_file():
            raise ValueError(f"fichier hors du paquet refusé : {path}")
        return URLFetcherResponse(url, path.read_bytes())


def pdf_bytes(report: Mapping[str, Any]) -> bytes:
    html = render_html(report, for_print=True)
    identifier = hashlib.sha256(html.encode()).hexdigest()[:32].encode()
    document = HTML(string=html, base_url=PACKAGE.as_uri() + "/",
                    url_fetcher=PackageOnlyFetcher())
    return document.write_pdf(pdf_identifier=identifier, pdf_tags=True)


def write_pdf(report: Mapping[str, Any], path: str | Path) -> None:
    Path(path).write_bytes(pdf_bytes(report))
