"""The impact report of a territory: JSON (``…/impact``) and open-data CSV (``…/impact.csv``)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from starlette.responses import Response

from ...core.impact.open_data import MEDIA_TYPE, report_csv
from ...core.impact.report import impact_report, require_member
from ...core.impact.request import local_today, parse_period
from ..deps import Ctx, CtxDep, JSONResponse, Object

router = APIRouter(tags=["impact"])

From = Annotated[str | None, Query(alias="from", description="premier jour local, AAAA-MM-JJ")]
To = Annotated[str | None, Query(description="dernier jour local inclus, AAAA-MM-JJ (au plus "
                                             "tard la veille ; 5 ans au plus)")]
Communes = Annotated[list[str] | None, Query(description="code INSEE, répétable (défaut : "
                                                         "toutes vos communes)")]
CSV_ANSWER: dict[int | str, dict[str, Any]] = {200: {
    "description": "Réussite : une ligne par chiffre du rapport (UTF-8, séparateur virgule)",
    "content": {"text/csv": {"schema": {"type": "string"}}}}}


def _report(ctx: Ctx, tenant: str, first: str | None, to: str | None,
            commune: list[str] | None) -> dict[str, Any]:
    with ctx.reading(tenant) as (scope, conn):
        require_member(scope)
        start, end = parse_period(first, to, local_today(scope))
        return impact_report(scope, conn, ctx.registry, start, end, commune)


@router.get("/tenants/{tenant}/impact", response_model=Object)
def impact(ctx: CtxDep, tenant: str, first: From = None, to: To = None,
           commune: Communes = None):
    """What the platform saved over the period, per domain against its baseline, the site
    visits avoided, its own footprint and the net figures, with every setting used."""
    return JSONResponse(_report(ctx, tenant, first, to, commune))


@router.get("/tenants/{tenant}/impact.csv", response_class=Response, responses=CSV_ANSWER)
def impact_csv(ctx: CtxDep, tenant: str, first: From = None, to: To = None,
               commune: Communes = None):
    """The same report as an open-data CSV: one row per figure (domain items and counts,
    site visits, footprint parts, totals)."""
    report = _report(ctx, tenant, first, to, commune)
    name = f"impact-{report['tenant']['siren'] or report['tenant']['id']}-" \
           f"{report['period']['from']}-{report['period']['to']}.csv"
    return Response(report_csv(report).encode("utf-8"), media_type=MEDIA_TYPE,
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})
