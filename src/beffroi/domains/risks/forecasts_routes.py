"""Weather forecasts over HTTP (``forecasts``):

- ``POST /tenants/{t}/risks/stations/{asset_id}/forecasts`` (body: the CSV file,
  ``text/csv``; ``?source=…&issued_at=…``): stores the valid lines for that weather station
  and answers the report (lines written, replaced, ignored, errors); 422 when nothing valid.
  Agents and administrators of the territory.
- ``GET /tenants/{t}/risks/outlook?days=8``: per visible weather station, the heat and fire
  levels of today and the coming days (1 to 16 days), from the forecasts where imported.
"""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Query, Request

from ...core.clock import now_ms, parse_instant
from ...core.errors import Invalid, NotFound
from ...core.storable import parse_count
from ...plugin import CtxDep, Id, JSONResponse, Object, RawBody, body_doc, problems
from .forecasts import MAX_AHEAD_DAYS, import_forecasts, tenant_outlook

router = APIRouter()
EXAMPLE = ("date,tmin_c,tmax_c,temp_c,rh_pct,wind_kmh,rain_mm\n"
           "2026-07-15,19.5,35.2,31.0,28,12,0\n2026-07-16,20.1,36.0,,,,\n")
CSV_TYPES = ("text/csv", "text/plain", "application/csv", "application/vnd.ms-excel")


@router.post("/tenants/{tenant}/risks/stations/{asset_id}/forecasts", response_model=Object,
             openapi_extra=body_doc(EXAMPLE, "text/csv"), responses=problems(415))
def post_forecasts(ctx: CtxDep, tenant: str, asset_id: Id, request: Request, raw: RawBody,
                   source: str | None = Query(None, description="origine de la prévision "
                                                                "(200 caractères au plus)"),
                   issued_at: str | None = Query(None, description="émise le (ISO 8601 avec "
                                                                   "fuseau) ; par défaut "
                                                                   "maintenant")):
    """Importe les prévisions journalières d'une station météo (CSV) ; les lignes valides
    sont enregistrées, les autres signalées."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type and content_type not in CSV_TYPES:
        raise HTTPException(415, "Type de contenu attendu : text/csv.")
    issued = None
    if issued_at is not None:
        try:
            issued = parse_instant(issued_at)
        except ValueError as exc:
            raise Invalid("Date d'émission invalide.",
                          errors=[{"field": "issued_at", "message": str(exc)}]) from None
    with ctx.writing(tenant) as (scope, conn):
        return JSONResponse(import_forecasts(scope, conn, asset_id, raw, now=now_ms(),
                                             source=source, issued_at=issued))


@router.get("/tenants/{tenant}/risks/outlook", response_model=Object)
def outlook(ctx: CtxDep, tenant: str,
            days: str = Query("8", description=f"nombre de jours à partir d'aujourd'hui, "
                                               f"1 à {MAX_AHEAD_DAYS + 1}")):
    """Niveaux de chaleur et de danger de feux de forêts des prochains jours, par station
    météo (prévisions importées ; sans elles, ceux du jour)."""
    span = parse_count(days, "days", 1, MAX_AHEAD_DAYS + 1, "jours")
    with ctx.reading(tenant) as (scope, conn):
        scope.require("read")
        if scope.role == "public":
            raise NotFound("Territoire introuvable.")
        return JSONResponse(tenant_outlook(scope, conn, ctx.registry, now_ms(), span))
