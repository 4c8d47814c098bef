"""The waste domain's API (``Domain.api_router``, mounted under /api/v1):

- ``GET /api/v1/tenants/{tenant}/waste/containers``: every container with its latest fill
  level and temperature, its trend, its next round and the level expected then;
- ``GET /api/v1/tenants/{tenant}/waste/round``: the round suggestion, per commune.

Both take ``at`` (ISO 8601, default now) and ``commune`` (INSEE code) to narrow them.
"""

from __future__ import annotations

from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query

from beffroi.plugin import (
    CtxDep,
    Invalid,
    JSONResponse,
    Object,
    format_instant,
    list_communes,
    now_ms,
    parse_instant,
    setting,
)

from .containers import container_rows, read_territory
from .settings import ROUND_THRESHOLD
from .tour import suggest

router = APIRouter(tags=["collecte des déchets"])

At = Annotated[str | None, Query(description="instant de référence ISO 8601 (défaut : "
                                             "maintenant)")]
Commune = Annotated[str | None, Query(description="code INSEE d'une commune")]


LATEST_AT_MS = 7_258_118_400_000  # 2200-01-01: the calendar of rounds stays computable


def _instant(text: str | None) -> int:
    if text is None:
        return now_ms()
    try:
        at = parse_instant(text)
    except ValueError as exc:
        raise Invalid(f"« at » : {exc}.", errors=[{"field": "at", "message": str(exc)}]) from None
    if not 0 <= at < LATEST_AT_MS:
        message = "instant entre le 1er janvier 1970 et le 1er janvier 2200 attendu"
        raise Invalid(f"« at » : {message}.", errors=[{"field": "at", "message": message}])
    return at


def _zone(scope) -> ZoneInfo:
    return ZoneInfo(scope.settings.get("timezone") or "Europe/Paris")


@router.get("/tenants/{tenant}/waste/containers", response_model=Object)
def containers(ctx: CtxDep, tenant: str, at: At = None, commune: Commune = None):
    """Every container of the territory (or of one commune) and its state at ``at``."""
    now = _instant(at)
    with ctx.reading(tenant) as (scope, conn):
        territory = read_territory(scope, conn, now, commune)
        rows = container_rows(territory, now, _zone(scope))
    return JSONResponse({"at": format_instant(now), "containers": rows})


@router.get("/tenants/{tenant}/waste/round", response_model=Object)
def round_suggestion(ctx: CtxDep, tenant: str, at: At = None, commune: Commune = None):
    """The containers expected to reach the territory's threshold
    (``waste.round_threshold_percent``) by their next collection round, per commune, the
    fullest first; those whose sensor has gone silent are listed apart."""
    now = _instant(at)
    with ctx.reading(tenant) as (scope, conn):
        territory = read_territory(scope, conn, now, commune)
        threshold = setting(scope.settings, ctx.registry, ROUND_THRESHOLD)
        names = {c.insee: c.name for c in list_communes(scope, conn)}
        out = suggest(territory.states, now, threshold, _zone(scope), names)
    for group in out["communes"]:
        for item in group["containers"] + group["unmeasured"]:
            item["measured_at"] = format_instant(item.pop("measured_ms"))
    return JSONResponse({"at": format_instant(now), **out})
