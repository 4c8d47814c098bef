"""Reading rendered reports back as people (and screen readers) get them: the text of HTML,
of one table row, of a PDF's pages, and a PDF's structure tags."""

from __future__ import annotations

import io
import re
from html.parser import HTMLParser

NNBSP = "\u202f"  # between thousands
NBSP = "\u00a0"  # before a unit, before « : »
MINUS = "\u2212"


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("style", "script"):
            self.skip += 1
        self.parts.append(" ")

    def handle_endtag(self, tag):
        if tag in ("style", "script"):
            self.skip -= 1
        self.parts.append(" ")

    def handle_data(self, data):
        if not self.skip:
            self.parts.append(data)


def html_text(html: str) -> str:
    """The text of an HTML document or fragment, entities decoded, spaces (but not the
    no-break ones) collapsed."""
    parser = _Text()
    parser.feed(html)
    return re.sub(r"[ \t\r\n]+", " ", "".join(parser.parts)).strip()


def row_cells(html: str, header: str) -> list[str]:
    """The texts of the cells of the first table row whose header cell is ``header``."""
    for row in re.findall(r"<tr[^>]*>(.*?)</tr>", html, flags=re.S):
        cells = [html_text(c) for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row,
                                                      flags=re.S)]
        if cells and (cells[0] == header or cells[0].startswith(header + " ")):
            return cells[1:]
    raise AssertionError(f"no row « {header} »")


def pdf_pages(data: bytes) -> list[str]:
    from pypdf import PdfReader

    return [page.extract_text() for page in PdfReader(io.BytesIO(data)).pages]


def pdf_structure(data: bytes) -> tuple[bool, set[str]]:
    """Whether a PDF is tagged (its catalogue marked, with a structure tree), and the kinds
    of its structure elements (« H1 », « P », « Table »…) that assistive technologies read."""
    from pypdf import PdfReader

    root = PdfReader(io.BytesIO(data)).trailer["/Root"]
    marked = bool(root.get("/MarkInfo", {}).get("/Marked"))
    kinds: set[str] = set()
    pending = [root["/StructTreeRoot"].get_object()] if "/StructTreeRoot" in root else []
    while pending:
        node = pending.pop()
        if isinstance(node, dict):
            if "/S" in node:
                kinds.add(str(node["/S"]).lstrip("/"))
            kids = node.get("/K")
            kids = kids if isinstance(kids, list) else [kids] if kids is not None else []
            pending += [kid.get_object() for kid in kids if hasattr(kid, "get_object")]
    return marked and bool(kinds), kinds
