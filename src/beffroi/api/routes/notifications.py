"""Alert notifications: subscriptions, webhooks, the on-call rota and the sending log."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from starlette.responses import Response

from ...notifications import oncall, outbox, subscriptions, webhooks
from ..deps import CtxDep, Id, IdQuery, JsonBody, JSONResponse, Limit, Object, Objects, body_doc
from ..openapi import problems

router = APIRouter(tags=["notifications"])
SUBSCRIPTION_EXAMPLE = {"domains": ["water"], "communes": ["88383"], "min_severity": "warning",
                        "digest": False}
WEBHOOK_EXAMPLE = {"name": "Supervision du syndicat", "url": "https://hooks.example.fr/beffroi",
                   "min_severity": "critical", "domains": None, "enabled": True}
ONCALL_EXAMPLE = {"primary_user_id": 12, "secondary_user_id": 13}


# -- subscriptions (each member their own; admins everyone's) ----------------------------------
@router.get("/tenants/{tenant}/subscriptions", response_model=Objects)
def list_subscriptions(ctx: CtxDep, tenant: str, user_id: IdQuery = None):
    """Your subscriptions; a tenant admin sees everyone's (or one member's: ``user_id``)."""
    with ctx.reading(tenant) as (scope, conn):
        return JSONResponse([subscriptions.subscription_public(r) for r in
                             subscriptions.list_subscriptions(scope, conn, user_id)])


@router.post("/tenants/{tenant}/subscriptions", status_code=201,
             openapi_extra=body_doc(SUBSCRIPTION_EXAMPLE), response_model=Object)
def create_subscription(ctx: CtxDep, tenant: str, body: JsonBody):
    """Subscribe yourself (or, as admin, the member ``user_id``); null lists mean all."""
    with ctx.writing(tenant) as (scope, conn):
        row = subscriptions.create_subscription(scope, conn, ctx.registry, body)
        return JSONResponse(subscriptions.subscription_public(row), status_code=201)


@router.get("/tenants/{tenant}/subscriptions/{subscription_id}", response_model=Object)
def get_subscription(ctx: CtxDep, tenant: str, subscription_id: Id):
    with ctx.reading(tenant) as (scope, conn):
        return JSONResponse(subscriptions.subscription_public(
            subscriptions.get_subscription(scope, conn, subscription_id)))


@router.patch("/tenants/{tenant}/subscriptions/{subscription_id}",
              openapi_extra=body_doc({"min_severity": "critical", "digest": True}), response_model=Object)
def update_subscription(ctx: CtxDep, tenant: str, subscription_id: Id, body: JsonBody):
    with ctx.writing(tenant) as (scope, conn):
        return JSONResponse(subscriptions.subscription_public(
            subscriptions.update_subscription(scope, conn, ctx.registry, subscription_id, body)))


@router.delete("/tenants/{tenant}/subscriptions/{subscription_id}", status_code=204)
def delete_subscription(ctx: CtxDep, tenant: str, subscription_id: Id):
    with ctx.writing(tenant) as (scope, conn):
        subscriptions.delete_subscription(scope, conn, subscription_id)
    return Response(status_code=204)


# -- webhooks (tenant admins) ------------------------------------------------------------------
@router.get("/tenants/{tenant}/webhooks", response_model=Objects)
def list_webhooks(ctx: CtxDep, tenant: str):
    with ctx.reading(tenant) as (scope, conn):
        return JSONResponse([webhooks.webhook_public(r)
                             for r in webhooks.list_webhooks(scope, conn)])


@router.post("/tenants/{tenant}/webhooks", status_code=201,
             openapi_extra=body_doc(WEBHOOK_EXAMPLE), response_model=Object)
def create_webhook(ctx: CtxDep, tenant: str, body: JsonBody):
    """Create a webhook; its signing ``secret`` is in this answer only (keep it)."""
    with ctx.writing(tenant) as (scope, conn):
        row, secret = webhooks.create_webhook(scope, conn, ctx.registry, body)
        return JSONResponse({**webhooks.webhook_public(row), "secret": secret},
                            status_code=201)


@router.get("/tenants/{tenant}/webhooks/{webhook_id}", response_model=Object)
def get_webhook(ctx: CtxDep, tenant: str, webhook_id: Id):
    with ctx.reading(tenant) as (scope, conn):
        return JSONResponse(webhooks.webhook_public(
            webhooks.get_webhook(scope, conn, webhook_id)))


@router.patch("/tenants/{tenant}/webhooks/{webhook_id}",
              openapi_extra=body_doc({"enabled": False}), response_model=Object)
def update_webhook(ctx: CtxDep, tenant: str, webhook_id: Id, body: JsonBody):
    with ctx.writing(tenant) as (scope, conn):
        return JSONResponse(webhooks.webhook_public(
            webhooks.update_webhook(scope, conn, ctx.registry, webhook_id, body)))


@router.post("/tenants/{tenant}/webhooks/{webhook_id}/test", status_code=202,
             response_model=Object, responses=problems(409))
def send_webhook_test(ctx: CtxDep, tenant: str, webhook_id: Id):
    """Queue a signed test delivery (event ``webhook.test``) to an enabled webhook; the
    notification is sent, retried and logged as an alert's (``…/notifications``)."""
    with ctx.writing(tenant) as (scope, conn):
        return JSONResponse(outbox.notification_public(
            outbox.queue_webhook_test(scope, conn, webhook_id)), status_code=202)


@router.delete("/tenants/{tenant}/webhooks/{webhook_id}", status_code=204)
def delete_webhook(ctx: CtxDep, tenant: str, webhook_id: Id):
    with ctx.writing(tenant) as (scope, conn):
        webhooks.delete_webhook(scope, conn, webhook_id)
    return Response(status_code=204)


# -- on-call rota (read by members, set by tenant admins) --------------------------------------
@router.get("/tenants/{tenant}/oncall", response_model=Objects)
def list_oncall(ctx: CtxDep, tenant: str,
                from_: Annotated[str | None, Query(alias="from")] = None, limit: Limit = 52):
    """Rota weeks from the week of ``from`` (YYYY-MM-DD; default: this week)."""
    with ctx.reading(tenant) as (scope, conn):
        return JSONResponse(oncall.list_weeks(scope, conn, from_, limit))


@router.get("/tenants/{tenant}/oncall/{week_start}", response_model=Object)
def get_oncall(ctx: CtxDep, tenant: str, week_start: str):
    with ctx.reading(tenant) as (scope, conn):
        return JSONResponse(oncall.get_week(scope, conn, oncall.parse_week_start(week_start)))


@router.put("/tenants/{tenant}/oncall/{week_start}", openapi_extra=body_doc(ONCALL_EXAMPLE), response_model=Object)
def set_oncall(ctx: CtxDep, tenant: str, week_start: str, body: JsonBody):
    """Who is on call the week starting that Monday (local date), and their secondary."""
    with ctx.writing(tenant) as (scope, conn):
        return JSONResponse(oncall.set_week(scope, conn, week_start, body))


@router.delete("/tenants/{tenant}/oncall/{week_start}", status_code=204)
def delete_oncall(ctx: CtxDep, tenant: str, week_start: str):
    with ctx.writing(tenant) as (scope, conn):
        oncall.delete_week(scope, conn, week_start)
    return Response(status_code=204)


# -- the log of notifications (tenant admins) --------------------------------------------------
@router.get("/tenants/{tenant}/notifications", response_model=Objects)
def list_notifications(ctx: CtxDep, tenant: str, alert_id: IdQuery = None,
                       status: str | None = None, before_id: IdQuery = None,
                       limit: Limit = 100):
    """E-mails and webhook deliveries, newest first: to whom, what, result, error."""
    with ctx.reading(tenant) as (scope, conn):
        rows = outbox.list_notifications(scope, conn, alert_id=alert_id, status=status,
                                         before_id=before_id, limit=limit)
        return JSONResponse([outbox.notification_public(r) for r in rows])
