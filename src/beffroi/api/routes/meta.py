"""What this instance knows: domains, asset kinds with their schema, metrics; health."""

from __future__ import annotations

from fastapi import APIRouter, Request

from ...core.properties import kind_schema
from ..deps import JSONResponse

router = APIRouter(tags=["référentiel"])


@router.get("/domains")
def list_domains(request: Request):
    registry = request.app.state.registry
    return JSONResponse([
        {"key": d.key, "label": d.label,
         "asset_kinds": [{"key": k.key, "label": k.label, "geometry_types": list(k.geometry_types),
                          "metrics": list(k.metrics), "schema": kind_schema(k)}
                         for k in d.asset_kinds],
         "metrics": [{"key": m.key, "label": m.label, "unit": m.unit, "kind": m.kind,
                      "default_agg": m.default_agg, "minimum": m.minimum, "maximum": m.maximum,
                      "states": {str(k): v for k, v in m.states.items()} or None}
                     for m in d.metrics]}
        for d in registry.domains.values()
    ])


@router.get("/health")
def health(request: Request):
    db = request.app.state.db
    return JSONResponse({"status": "ok", "database": db.dialect,
                         "schema": db.schema_revision()})
