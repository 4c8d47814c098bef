"""What this instance knows: domains, asset kinds with their schema, metrics; health."""

from __future__ import annotations

from fastapi import APIRouter, Request

from ...core.properties import kind_schema
from ..deps import CtxDep, JSONResponse, Object, Objects

router = APIRouter(tags=["référentiel"])


@router.get("/domains", response_model=Objects)
def list_domains(request: Request):
    registry = request.app.state.registry
    return JSONResponse([
        {"key": d.key, "label": d.label,
         "asset_kinds": [{"key": k.key, "label": k.label, "geometry_types": list(k.geometry_types),
                          "geometry_required": k.geometry_required,
                          "metrics": list(k.metrics), "schema": kind_schema(k),
                          "derived": [{"source": x.source, "metric": x.target}
                                      for x in k.derived]}
                         for k in d.asset_kinds],
         "metrics": [{"key": m.key, "label": m.label, "unit": m.unit, "kind": m.kind,
                      "default_agg": m.default_agg, "minimum": m.minimum, "maximum": m.maximum,
                      "states": {str(k): v for k, v in m.states.items()} or None}
                     for m in d.metrics]}
        for d in registry.domains.values()
    ])


@router.get("/health", response_model=Object)
def health(ctx: CtxDep, request: Request):
    """``status`` is ``degraded`` while a background loop is restarting after a failure;
    operator administrators also get each loop's state (restarts, last error)."""
    supervisor = getattr(request.app.state, "supervisor", None)
    loops = supervisor.states() if supervisor is not None else []
    out = {"status": "degraded" if any(x.status == "restarting" for x in loops) else "ok",
           "database": ctx.db.dialect, "schema": ctx.db.schema_revision()}
    if ctx.principal.is_operator_admin:
        out["loops"] = [x.public() for x in loops]
    return JSONResponse(out)
