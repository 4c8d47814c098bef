"""The impact report as people read it: the HTML fragment the ``/impact`` page shows and the
PDF to download. Both render the dict of ``beffroi.core.impact.report.impact_report`` (the
JSON of ``GET …/impact``), with the same query, checked the same way: ``from``, ``to``
(inclusive, AAAA-MM-JJ, ending yesterday at the latest) and ``commune`` (INSEE, repeatable).

Presentation routes, left out of the OpenAPI document (which declares JSON answers only):
the JSON route is the API.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any

from fastapi import APIRouter, Query
from starlette.responses import HTMLResponse, Response

from ...core.errors import ServiceBusy
from ..deps import Ctx, CtxDep

router = APIRouter(tags=["impact"], include_in_schema=False)
# PDFs are rendered in the thread pool, a few at a time: the others wait, then get a 503.
PDF_SLOTS = threading.BoundedSemaphore(2)
PDF_WAIT_S = 30
PRIVATE = {"Cache-Control": "private, no-store"}

FromQuery = Annotated[str | None, Query(alias="from", description="premier jour, AAAA-MM-JJ")]
ToQuery = Annotated[str | None, Query(description="dernier jour (inclus), AAAA-MM-JJ")]
CommuneQuery = Annotated[list[str] | None, Query(description="code INSEE, répétable")]


def build_report(ctx: Ctx, tenant: str, start: str | None, end: str | None,
                 communes: list[str] | None) -> dict[str, Any]:
    """The report dict, asked and checked as the JSON route does (``core.impact``,
    imported when first needed)."""
    from ...core.impact.report import impact_report, require_member
    from ...core.impact.request import local_today, parse_period

    with ctx.reading(tenant) as (scope, conn):
        require_member(scope)
        first, last = parse_period(start, end, local_today(scope))
        return impact_report(scope, conn, ctx.registry, first, last, communes)


@contextmanager
def pdf_slot() -> Iterator[None]:
    if not PDF_SLOTS.acquire(timeout=PDF_WAIT_S):
        raise ServiceBusy("Trop de rapports PDF en cours de préparation : réessayez dans "
                          "une minute.", retry_after_s=60)
    try:
        yield
    finally:
        PDF_SLOTS.release()


def file_name(report: dict[str, Any], extension: str) -> str:
    tenant = report["tenant"].get("siren") or str(report["tenant"]["id"])
    period = report["period"]
    return f"impact-{tenant}-{period['from']}-{period['to']}.{extension}"


@router.get("/tenants/{tenant}/impact.html")
def impact_html(ctx: CtxDep, tenant: str, start: FromQuery = None, to: ToQuery = None,
                commune: CommuneQuery = None) -> HTMLResponse:
    """The report as the fragment of HTML the ``/impact`` page shows."""
    from ...reports.impact_html import render_html

    report = build_report(ctx, tenant, start, to, commune)
    return HTMLResponse(render_html(report, for_print=False), headers=PRIVATE)


@router.get("/tenants/{tenant}/impact.pdf")
def impact_pdf(ctx: CtxDep, tenant: str, start: FromQuery = None, to: ToQuery = None,
               commune: CommuneQuery = None) -> Response:
    """The report as a PDF (A4, cover, page numbers), to download."""
    from ...reports.impact_pdf import pdf_bytes

    report = build_report(ctx, tenant, start, to, commune)
    with pdf_slot():
        body = pdf_bytes(report)
    return Response(body, media_type="application/pdf", headers={
        **PRIVATE, "Content-Disposition": f'attachment; filename="{file_name(report, "pdf")}"'})
