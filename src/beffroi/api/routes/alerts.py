"""Alert rules, and the alerts they and the domain detectors raise."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from ...core.access import TenantScope
from ...core.alerting import alerts, interventions, rules
from ...core.alerting.detectors import registered_detectors
from ...core.alerting.evaluation import RULE_DETAILS
from ...core.clock import now_ms
from ..deps import (
    CtxDep,
    Id,
    IdQuery,
    JsonBody,
    JSONResponse,
    Limit,
    Object,
    Objects,
    OptionalBody,
    body_doc,
)
from ..openapi import problems

router = APIRouter(tags=["alertes"])
INTERVENTION_EXAMPLE = {"step": "located", "at": "2026-03-10T09:30:00+01:00",
                        "located_on": "connection", "position": {"lon": 6.5912, "lat": 48.0171},
                        "comment": "Branchement du 12 rue des Écoles"}
RULE_EXAMPLE = {"name": "Crue de la Moselle", "kind": "threshold", "stream_id": 12,
                "params": {"operator": "above", "value": 2.8, "hysteresis": 0.1,
                           "min_duration_s": 600},
                "severity": "critical"}


def _public(scope: TenantScope, registry, row: Any) -> dict[str, Any]:
    """The alert with its details in French, in the tenant's time zone."""
    return alerts.alert_public(row, registry,
                               scope.zone)


def _full(scope: TenantScope, conn, registry, row: Any) -> dict[str, Any]:
    """The alert, its history and the follow-up steps recorded on it, with the first day a
    step may be dated (``interventions_since``, local)."""
    history = alerts.history(scope, conn, row.id)
    tz = interventions.tenant_tz(scope)
    return {**_public(scope, registry, row), "history": history,
            "interventions": interventions.interventions_public(
                registry, row.detector, history, tz),
            "interventions_since": interventions.first_day(row, now_ms(), tz).isoformat()}


@router.get("/tenants/{tenant}/alert-rules", response_model=Objects)
def list_rules(ctx: CtxDep, tenant: str):
    with ctx.reading(tenant) as (scope, conn):
        return JSONResponse([rules.rule_public(r) for r in rules.list_rules(scope, conn)])


@router.post("/tenants/{tenant}/alert-rules", status_code=201,
             openapi_extra=body_doc(RULE_EXAMPLE), response_model=Object)
def create_rule(ctx: CtxDep, tenant: str, body: JsonBody):
    with ctx.writing(tenant) as (scope, conn):
        row = rules.create_rule(scope, conn, ctx.registry, body)
        return JSONResponse(rules.rule_public(row), status_code=201)


@router.get("/tenants/{tenant}/alert-rules/{rule_id}", response_model=Object)
def get_rule(ctx: CtxDep, tenant: str, rule_id: Id):
    with ctx.reading(tenant) as (scope, conn):
        return JSONResponse(rules.rule_public(rules.get_rule(scope, conn, rule_id)))


@router.patch("/tenants/{tenant}/alert-rules/{rule_id}",
              openapi_extra=body_doc({"enabled": False}), response_model=Object)
def update_rule(ctx: CtxDep, tenant: str, rule_id: Id, body: JsonBody):
    with ctx.writing(tenant) as (scope, conn):
        return JSONResponse(rules.rule_public(
            rules.update_rule(scope, conn, ctx.registry, rule_id, body)))


@router.delete("/tenants/{tenant}/alert-rules/{rule_id}", status_code=204)
def delete_rule(ctx: CtxDep, tenant: str, rule_id: Id):
    with ctx.writing(tenant) as (scope, conn):
        rules.delete_rule(scope, conn, rule_id)
    return Response(status_code=204)


@router.get("/tenants/{tenant}/alerts", response_model=Objects)
def list_alerts(ctx: CtxDep, tenant: str, status: str | None = None,
                severity: str | None = None, commune: str | None = None,
                asset_id: IdQuery = None, domain: str | None = None,
                before_id: IdQuery = None, limit: Limit = 100):
    """Newest first; ``status=active`` for open and acknowledged ones; ``severity`` is a
    minimum; page with ``before_id``."""
    with ctx.reading(tenant) as (scope, conn):
        rows = alerts.list_alerts(scope, conn, status=status, severity=severity,
                                  commune=commune, asset_id=asset_id, domain=domain,
                                  before_id=before_id, limit=limit)
        return JSONResponse([_public(scope, ctx.registry, r) for r in rows])


@router.get("/tenants/{tenant}/alerts/{alert_id}", response_model=Object)
def get_alert(ctx: CtxDep, tenant: str, alert_id: Id):
    """The alert, its full history and the follow-up steps recorded on it
    (``interventions``, in the order they were done, their fields written in French)."""
    with ctx.reading(tenant) as (scope, conn):
        return JSONResponse(_full(scope, conn, ctx.registry,
                                  alerts.get_alert(scope, conn, alert_id)))


@router.post("/tenants/{tenant}/alerts/{alert_id}/acknowledge",
             openapi_extra=body_doc({"comment": "Équipe en route"}, required=False), response_model=Object,
             responses=problems(409))
def acknowledge(ctx: CtxDep, tenant: str, alert_id: Id, body: OptionalBody):
    with ctx.writing(tenant) as (scope, conn):
        return JSONResponse(_public(scope, ctx.registry,
                                    alerts.acknowledge_alert(scope, conn, alert_id, body)))


@router.post("/tenants/{tenant}/alerts/{alert_id}/resolve",
             openapi_extra=body_doc({"comment": "Fuite réparée"}, required=False), response_model=Object,
             responses=problems(409))
def resolve(ctx: CtxDep, tenant: str, alert_id: Id, body: OptionalBody):
    with ctx.writing(tenant) as (scope, conn):
        return JSONResponse(_public(scope, ctx.registry,
                                    alerts.resolve_alert(scope, conn, alert_id, body)))


@router.post("/tenants/{tenant}/alerts/{alert_id}/comments", status_code=201,
             openapi_extra=body_doc({"comment": "Vanne fermée à 3 h 10"}), response_model=Object)
def comment(ctx: CtxDep, tenant: str, alert_id: Id, body: JsonBody):
    with ctx.writing(tenant) as (scope, conn):
        row = alerts.comment_alert(scope, conn, alert_id, body)
        return JSONResponse(_full(scope, conn, ctx.registry, row), status_code=201)


@router.post("/tenants/{tenant}/alerts/{alert_id}/interventions", status_code=201,
             openapi_extra=body_doc(INTERVENTION_EXAMPLE), response_model=Object,
             responses=problems(409))
def record_intervention(ctx: CtxDep, tenant: str, alert_id: Id, body: JsonBody):
    """Record a follow-up step of the alert (its detector's ``follow_up``: search, location,
    repair…): ``step``, ``at`` (ISO instant or date, when it was done, not in the future
    nor before the alert's ``interventions_since`` — its opening, or its estimated
    ``onset`` when earlier —, never before 2000; now if absent), ``comment`` and the step's
    fields (their dates and instants bounded the same way). Every field at fault is listed and
    nothing is stored then. 409 for an alert without follow-up, and for a step other than a
    final one on a resolved alert; a first step on an open alert takes it in hand."""
    with ctx.writing(tenant) as (scope, conn):
        row = interventions.record_intervention(scope, conn, ctx.registry, alert_id, body)
        return JSONResponse(_full(scope, conn, ctx.registry, row), status_code=201)


@router.get("/alerts/detectors", response_model=Objects)
def list_detectors(request: Request):
    """The periodic analyses the loaded domains declare, with the meaning of the details
    their alerts carry (label, kind, unit) and the follow-up steps people record on them
    (``follow_up``: each step's fields, whether required, their bounds and choices)."""
    return JSONResponse([{"key": d.key, "label": d.label, "interval_s": d.interval_s,
                          "details": [f.public() for f in d.details],
                          "follow_up": [s.public() for s in d.follow_up]}
                         for d in registered_detectors(request.app.state.registry)])


@router.get("/alert-rules/details", response_model=Objects)
def rule_details():
    """The meaning of the details of the alerts raised by rules (label, kind, unit)."""
    return JSONResponse([f.public() for f in RULE_DETAILS])
