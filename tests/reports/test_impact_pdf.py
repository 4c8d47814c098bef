"""The impact report as a PDF (WeasyPrint), read back with pypdf: the cover, « page X / Y »
on every page, the figures the French way, the same PDF for the same report, and nothing
fetched from outside the package."""

from __future__ import annotations

import io
import re
import socket
import threading
from pathlib import Path

import pytest
from pypdf import PdfReader
from weasyprint import HTML

from beffroi.reports import impact_pdf
from beffroi.reports.impact_pdf import PackageOnlyFetcher, pdf_bytes, write_pdf

from .report_fixture import report
from .report_text import MINUS, NNBSP, pdf_pages, pdf_structure


def flat(text: str) -> str:
    """PDF text with its spaces (no-break ones included) and line breaks made plain."""
    return re.sub(r"\s+", " ", text.replace("\u00a0", " ").replace(NNBSP, " "))


@pytest.fixture(scope="module")
def pdf() -> bytes:
    return pdf_bytes(report())


def test_cover_page_numbers_and_figures(pdf):
    pages = pdf_pages(pdf)
    assert len(pages) >= 4
    cover = flat(pages[0])
    for text in ("Rapport d'impact", "CC de la Porte des Vosges Méridionales",
                 "SIREN 200 068 377", "Période du 1er janvier 2026 au 31 mars 2026",
                 "Tout le territoire", f"Émissions {MINUS}212 kg CO₂e", "Énergie 12 036 kWh"):
        assert text in cover, text
    for number, page in enumerate(pages, start=1):
        assert f"page {number} / {len(pages)}" in flat(page)
    # the running header of the pages after the cover: territory and period
    assert "CC de la Porte des Vosges Méridionales" in flat(pages[1])
    assert "Rapport d'impact — Période du 1er janvier 2026 au 31 mars 2026" in flat(pages[1])
    text = flat(" ".join(pages))
    for figure in ("Gains bruts 12 346 kWh 5 769 € 688 kg CO₂e 1 575 m³",
                   f"Gains nets (gains bruts − empreinte) 12 036 kWh 5 649 € {MINUS}212 kg CO₂e "
                   "1 575 m³",
                   "Empreinte de la plateforme (à déduire) 310 kWh 120 € 900 kg CO₂e sans objet",
                   "Gains nets négatifs", "Éclairage public", "Eau potable",
                   "janvier 2026 5 000 kWh 1 000 € 260 kg CO₂e",  # the monthly table
                   "kWh par mois",  # the chart's axis
                   "Capteurs LoRaWAN 120 600 kg CO₂e", "Annexe méthodologique",
                   "0,052 kg CO₂e/kWh", "À vérifier", "Remiremont <Centre>"):
        assert figure in text, figure


def test_same_report_same_pdf(pdf):
    again = pdf_bytes(report())
    assert pdf_pages(again) == pdf_pages(pdf)
    assert again == pdf  # dates from the period, identifier from the content
    meta = PdfReader(io.BytesIO(pdf)).metadata
    assert meta["/CreationDate"] == meta["/ModDate"] == "D:20260331"
    assert meta["/Title"].startswith("Rapport d'impact — CC de la Porte des Vosges")
    changed = report()
    changed["net"]["eur"] = 1.0
    assert pdf_bytes(changed) != pdf


def test_write_pdf(tmp_path):
    path = tmp_path / "rapport.pdf"
    write_pdf(report(), path)
    assert path.read_bytes().startswith(b"%PDF-")
    assert "Rapport d'impact" in pdf_pages(path.read_bytes())[0]


def test_the_fetcher_serves_the_package_and_nothing_else(tmp_path):
    fetcher = PackageOnlyFetcher()
    css = Path(impact_pdf.__file__).parent / "templates" / "impact_print.css"
    assert fetcher.fetch(css.as_uri()).read() == css.read_bytes()
    outside = tmp_path / "x.css"
    outside.write_text("body {}")
    for url in ("http://example.org/x.css", "https://example.org/x.png", outside.as_uri(),
                (css.parent / ".." / ".." / "api" / "app.py").as_uri(), "data:text/css,a{}"):
        with pytest.raises(ValueError):
            fetcher.fetch(url)


def test_weasyprint_never_reaches_the_network_through_it():
    """A document naming a server's address: the server is never called."""
    calls = []
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    server.settimeout(0.2)
    port = server.getsockname()[1]
    stop = threading.Event()

    def accept():
        while not stop.is_set():
            try:
                connection, _ = server.accept()
            except OSError:
                continue
            calls.append(1)
            connection.close()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        html = (f'<link rel="stylesheet" href="http://127.0.0.1:{port}/x.css">'
                f'<img src="http://127.0.0.1:{port}/x.png" alt="x"><p>texte</p>')
        pdf = HTML(string=html, url_fetcher=PackageOnlyFetcher()).write_pdf()
        assert "texte" in pdf_pages(pdf)[0]
        stop.wait(0.5)
        assert calls == []
        HTML(string=html).write_pdf()  # the control: WeasyPrint's own fetcher calls it
        stop.wait(0.5)
        assert calls
    finally:
        stop.set()
        thread.join(2)
        server.close()


def test_the_pdf_is_tagged_for_screen_readers(pdf):
    """Its headings, paragraphs and tables are structure elements (a tagged PDF), not only
    drawn text: a screen reader follows them."""
    tagged, kinds = pdf_structure(pdf)
    assert tagged
    assert {"H1", "H2", "P", "Table", "TR", "TD"} <= kinds, kinds
