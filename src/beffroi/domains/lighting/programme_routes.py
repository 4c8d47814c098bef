"""Switching programmes over HTTP: the presets, and a cabinet's preview (the next nights
as a timeline, and the burn hours of a year at each level)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from fastapi import APIRouter

from ...core.clock import format_instant
from ...core.errors import Invalid
from ...plugin import CtxDep, Id, JsonBody, JSONResponse, Object, Objects, OpenJsonBody, body_doc
from .cabinet_programme import programme_status, set_programme
from .programmes import PRESETS, ProgrammeError, burn_hours, night_plan, parse_programme
from .programmes import programme_public as public
from .sun_routes import cabinet_position

router = APIRouter()
PREVIEW_EXAMPLE = {"programme": {"preset": "cut_23_5"}, "from": "2026-12-01", "days": 7}


@router.get("/lighting/programmes/presets", response_model=Objects)
def presets():
    """The programmes offered ready-made (French labels)."""
    return JSONResponse([public(p) for p in PRESETS.values()])


def _preview_request(body: Any) -> tuple[Any, date, int]:
    if not isinstance(body, dict):
        raise Invalid("Objet JSON attendu.")
    errors = [{"field": k, "message": "champ inconnu"}
              for k in sorted(set(body) - {"programme", "from", "days"})]
    try:
        programme = parse_programme(body.get("programme"))
    except ProgrammeError as exc:
        errors += [{**e, "field": f"programme.{e['field']}"} for e in exc.errors]
        programme = None
    try:
        first = date.fromisoformat(body["from"]) if body.get("from") else date.today()
    except (TypeError, ValueError):
        errors.append({"field": "from", "message": "date AAAA-MM-JJ attendue"})
        first = date.today()
    days = body.get("days", 7)
    if not isinstance(days, int) or isinstance(days, bool) or not 1 <= days <= 31:
        errors.append({"field": "days", "message": "nombre de nuits de 1 à 31"})
    if errors:
        raise Invalid("Aperçu du programme impossible.", errors=errors)
    return programme, first, days


@router.post("/tenants/{tenant}/lighting/cabinets/{asset_id}/programme/preview",
             openapi_extra=body_doc(PREVIEW_EXAMPLE), response_model=Object)
def preview(ctx: CtxDep, tenant: str, asset_id: Id, body: OpenJsonBody):
    """The next ``days`` nights of a programme at the cabinet's position, and its burn
    hours at each level over the year starting at ``from``."""
    programme, first, days = _preview_request(body)
    with ctx.reading(tenant) as (scope, conn):
        asset, lat, lon = cabinet_position(scope, conn, asset_id)
    nights = []
    for i in range(days):
        day = first + timedelta(days=i)
        nights.append({"date": day.isoformat(), "changes": [
            {"at": format_instant(t), "level": level}
            for t, level in night_plan(programme, day, lat, lon)]})
    year = burn_hours(programme, first, first + timedelta(days=364), lat, lon)
    return JSONResponse({"asset_id": asset.id, "ref": asset.ref, "programme": public(programme),
                         "nights": nights,
                         "annual_burn_hours": {str(level): h for level, h in year.items()}})


@router.get("/tenants/{tenant}/lighting/cabinets/{asset_id}/programme", response_model=Object)
def cabinet_programme(ctx: CtxDep, tenant: str, asset_id: Id):
    """The cabinet's programme (stored, from its night-cut fields, or dusk to dawn),
    tonight's steps, the last push to its controller, or the settings to make by hand."""
    with ctx.reading(tenant) as (scope, conn):
        return JSONResponse(programme_status(scope, conn, asset_id))


@router.put("/tenants/{tenant}/lighting/cabinets/{asset_id}/programme",
            openapi_extra=body_doc({"programme": {"preset": "dim_50_22_6"}, "push": True}), response_model=Object)
def store_programme(ctx: CtxDep, tenant: str, asset_id: Id, body: JsonBody):
    """Store the cabinet's programme; a remote-managed cabinet receives tonight's steps
    through the command pipeline (``push``, default true)."""
    with ctx.writing(tenant) as (scope, conn):
        return JSONResponse(set_programme(scope, conn, ctx.registry, asset_id, body))
