"""The impact report as people read it: the HTML fragment the ``/impact`` page shows and the
PDF to download. Both render the dict of ``beffroi.core.impact.report.impact_report`` (the
JSON of ``GET …/impact``), with the same query: ``from``, ``to`` (inclusive, AAAA-MM-JJ) and
``commune`` (INSEE, repeatable).

Presentation routes, left out of the OpenAPI document (which declares JSON answers only):
the JSON route is the API.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query
from sqlalchemy import Connection
from starlette.responses import HTMLResponse, Response

from ...core import tenants
from ...core.access import TenantScope
from ...core.errors import Forbidden, Invalid, ServiceBusy, Unauthorized
from ...core.registry import Registry
from ..deps import CtxDep

router = APIRouter(tags=["impact"], include_in_schema=False)
DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
MAX_DAYS = 3660  # ten years
# PDFs are rendered in the thread pool, a few at a time: the others wait, then get a 503.
PDF_SLOTS = threading.BoundedSemaphore(2)
PDF_WAIT_S = 30
PRIVATE = {"Cache-Control": "private, no-store"}

FromQuery = Annotated[str | None, Query(alias="from", description="premier jour, AAAA-MM-JJ")]
ToQuery = Annotated[str | None, Query(description="dernier jour (inclus), AAAA-MM-JJ")]
CommuneQuery = Annotated[list[str] | None, Query(description="code INSEE, répétable")]


def _day(value: str | None, field: str, errors: list[dict[str, str]]) -> date | None:
    if value is None or value == "":
        errors.append({"field": field, "message": "date obligatoire (AAAA-MM-JJ)"})
        return None
    try:
        if not DAY.match(value):
            raise ValueError
        return date.fromisoformat(value)
    except ValueError:
        errors.append({"field": field,
                       "message": f"date « {value[:20]} » illisible : AAAA-MM-JJ attendue"})
        return None


def report_query(scope: TenantScope, conn: Connection, start: str | None, end: str | None,
                 communes: list[str] | None) -> tuple[date, date, list[str] | None]:
    """The period and the communes asked for, checked: 422 with every error in French."""
    errors: list[dict[str, str]] = []
    first, last = _day(start, "from", errors), _day(end, "to", errors)
    if first and last:
        if last < first:
            errors.append({"field": "to", "message": "le dernier jour doit suivre le premier"})
        elif (last - first).days + 1 > MAX_DAYS:
            errors.append({"field": "to", "message": f"période de {MAX_DAYS} jours au plus"})
    wanted = sorted(set(communes)) if communes else None
    if wanted:
        known = {row.insee for row in tenants.list_communes(scope, conn)}
        for insee in wanted:
            if insee not in known:
                errors.append({"field": "commune", "message":
                               f"commune « {insee[:20]} » inconnue ou hors de votre accès"})
    if errors:
        raise Invalid("Paramètres du rapport d'impact invalides.", errors=errors)
    assert first is not None and last is not None
    return first, last, wanted


def require_member(scope: TenantScope) -> None:
    """The report is for the territory's people: a public reader of published equipment
    (``published_kinds``) or a device may not read it (the public indicators page shows
    the headline figures a territory chooses to publish)."""
    scope.require("read")
    if scope.role in ("public", "device"):
        if scope.principal.is_anonymous:
            raise Unauthorized("Connexion requise pour lire le rapport d'impact.")
        raise Forbidden("Le rapport d'impact est réservé aux membres du territoire.")


def build_report(scope: TenantScope, conn: Connection, registry: Registry, start: date,
                 end: date, communes: list[str] | None) -> dict[str, Any]:
    """The report dict of the impact computation (imported here, when first needed)."""
    from ...core.impact.report import impact_report

    return impact_report(scope, conn, registry, start, end, communes=communes)


def _report(ctx, tenant: str, start: str | None, end: str | None,
            communes: list[str] | None) -> dict[str, Any]:
    with ctx.reading(tenant) as (scope, conn):
        require_member(scope)
        first, last, wanted = report_query(scope, conn, start, end, communes)
        return build_report(scope, conn, ctx.registry, first, last, wanted)


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
    return f"rapport-impact-{tenant}-{period['from']}-{period['to']}.{extension}"


@router.get("/tenants/{tenant}/impact.html")
def impact_html(ctx: CtxDep, tenant: str, start: FromQuery = None, to: ToQuery = None,
                commune: CommuneQuery = None) -> HTMLResponse:
    """The report as the fragment of HTML the ``/impact`` page shows."""
    from ...reports.impact_html import render_html

    report = _report(ctx, tenant, start, to, commune)
    return HTMLResponse(render_html(report, for_print=False), headers=PRIVATE)


@router.get("/tenants/{tenant}/impact.pdf")
def impact_pdf(ctx: CtxDep, tenant: str, start: FromQuery = None, to: ToQuery = None,
               commune: CommuneQuery = None) -> Response:
    """The report as a PDF (A4, cover, page numbers), to download."""
    from ...reports.impact_pdf import pdf_bytes

    report = _report(ctx, tenant, start, to, commune)
    with pdf_slot():
        body = pdf_bytes(report)
    return Response(body, media_type="application/pdf", headers={
        **PRIVATE, "Content-Disposition": f'attachment; filename="{file_name(report, "pdf")}"'})
