"""Décret tertiaire over HTTP (JSON, tenant-scoped, commune restriction applied):

- ``GET /tenants/{t}/buildings/decret``: the subject buildings the user sees, with their
  status and last year's progress (``decret.tenant_status``);
- ``GET /tenants/{t}/buildings/{id}/trajectory``: reference, targets, years, corrected
  values (``decret.trajectory``);
- ``GET /tenants/{t}/buildings/{id}/signature?year=``: monthly kWh against monthly DJU
  with the fitted line (``signature.energy_signature``);
- ``GET /tenants/{t}/buildings/{id}/annual?year=``: the year's consumption per energy with
  its source (``annual.building_year``).
"""

from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter, Query

from ...core.access import TenantScope
from ...core.clock import local_day, now_ms
from ...core.errors import Invalid, NotFound
from ...plugin import CtxDep, Id, JSONResponse, Object
from .annual import BUILDING_KIND, building_year
from .decret import tenant_status, trajectory
from .signature import energy_signature

router = APIRouter()
FIRST_YEAR = 2000


def parse_year(text: Any, current: int) -> int:
    """A year from a query: four digits, 2000 to the current year (French 422 otherwise)."""
    text = str(text).strip()
    if not re.fullmatch(r"\d{4}", text):
        raise Invalid(f"Année « {text[:20]} » illisible.",
                      errors=[{"field": "year", "message": "année sur quatre chiffres attendue "
                                                           "(par exemple 2024)"}])
    year = int(text)
    if not FIRST_YEAR <= year <= current:
        raise Invalid(f"Année {year} hors de la période admise.",
                      errors=[{"field": "year", "message": f"de {FIRST_YEAR} à {current}"}])
    return year


def _building(scope: TenantScope, conn, asset_id: int) -> Any:
    scope.require("read")
    if scope.role == "public":
        raise NotFound("Territoire introuvable.")
    row = scope.asset(conn, asset_id)
    if row.kind != BUILDING_KIND:
        raise NotFound(f"L'équipement {asset_id} n'est pas un bâtiment public.")
    return row


def _year(scope: TenantScope, text: str | None) -> int:
    today = local_day(now_ms(), scope.zone)
    return today.year - 1 if text is None else parse_year(text, today.year)


@router.get("/tenants/{tenant}/buildings/decret", response_model=Object)
def decret_list(ctx: CtxDep, tenant: str):
    """Bâtiments assujettis au décret tertiaire, avec leur référence et leur dernière année."""
    with ctx.reading(tenant) as (scope, conn):
        scope.require("read")
        if scope.role == "public":
            raise NotFound("Territoire introuvable.")
        today = local_day(now_ms(), scope.zone)
        return JSONResponse({"today": today.isoformat(),
                             "buildings": tenant_status(scope, conn, today)})


@router.get("/tenants/{tenant}/buildings/{asset_id}/trajectory", response_model=Object)
def building_trajectory(ctx: CtxDep, tenant: str, asset_id: Id):
    """Trajectoire décret tertiaire d'un bâtiment : référence, objectifs, années, valeurs
    corrigées du climat."""
    with ctx.reading(tenant) as (scope, conn):
        row = _building(scope, conn, asset_id)
        return JSONResponse(trajectory(scope, conn, row))


@router.get("/tenants/{tenant}/buildings/{asset_id}/signature", response_model=Object)
def building_signature(ctx: CtxDep, tenant: str, asset_id: Id,
                       year: str | None = Query(None, description="année (défaut : la "
                                                                  "précédente)")):
    """Signature énergétique : kWh mensuels mesurés et DJU du mois, droite ajustée."""
    with ctx.reading(tenant) as (scope, conn):
        row = _building(scope, conn, asset_id)
        return JSONResponse(energy_signature(scope, conn, row, _year(scope, year)))


@router.get("/tenants/{tenant}/buildings/{asset_id}/annual", response_model=Object)
def building_annual(ctx: CtxDep, tenant: str, asset_id: Id,
                    year: str | None = Query(None, description="année (défaut : la "
                                                               "précédente)")):
    """Consommation annuelle par énergie, saisie ou mesurée, avec la couverture des
    relevés."""
    with ctx.reading(tenant) as (scope, conn):
        row = _building(scope, conn, asset_id)
        return JSONResponse(building_year(scope, conn, row, _year(scope, year)).public())
