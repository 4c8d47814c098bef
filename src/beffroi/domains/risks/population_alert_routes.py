"""Population alert over HTTP (``population_alert``): templates, channels, compose and
send, the delivery log, the banner's withdrawal.

- ``GET  /tenants/{t}/risks/alert-templates`` (readers), ``PUT``/``DELETE
  …/alert-templates/{risk}`` (agents, administrators): the wording per risk;
- ``GET``/``PUT /tenants/{t}/risks/alert-channels`` (administrators): e-mail list, SMS
  gateway URL and phone numbers (the gateway's secret appears once, when made);
- ``POST /tenants/{t}/risks/population-alerts/preview`` and ``POST …/population-alerts``
  (agents, administrators): the text and recipients' count, then the real sending (the
  answer holds the delivery log after the first attempt; 409 for the same alert again
  within two minutes);
- ``GET …/population-alerts`` (readers), ``GET …/population-alerts/{id}`` (the log per
  recipient for agents and administrators), ``DELETE …/population-alerts/{id}/banner``.
"""

from __future__ import annotations

from fastapi import APIRouter

from ...plugin import (
    CtxDep,
    Id,
    JsonBody,
    JSONResponse,
    Object,
    Objects,
    body_doc,
    now_ms,
    problems,
)
from .population_alert import (
    alert_detail,
    channel_settings,
    compose,
    list_alerts,
    list_templates,
    preview,
    reset_template,
    save_template,
    send_due,
    update_channels,
    withdraw_banner,
)

router = APIRouter()
BASE = "/tenants/{tenant}/risks"
ALERT_EXAMPLE = {"risk": "crue", "level": "orange", "communes": ["88383"], "zones": [],
                 "advice": "Évacuez les caves et les sous-sols.",
                 "channels": ["email", "sms", "banner"], "banner_hours": 24}


@router.get(f"{BASE}/alert-templates", response_model=Objects)
def templates(ctx: CtxDep, tenant: str):
    """One template per risk, the territory's own wording or the built-in one."""
    with ctx.reading(tenant) as (scope, conn):
        return JSONResponse(list_templates(scope, conn))


@router.put(f"{BASE}/alert-templates/{{risk}}", response_model=Object,
            openapi_extra=body_doc({"subject": "Crue — {level} — {commune}",
                                    "body": "Vigilance {level} à partir du {time}. {advice}"}))
def put_template(ctx: CtxDep, tenant: str, risk: str, body: JsonBody):
    """Save the territory's wording of a risk's alert (placeholders {commune}, {level},
    {time}, {advice})."""
    with ctx.writing(tenant) as (scope, conn):
        return JSONResponse(save_template(scope, conn, risk, body, now_ms()))


@router.delete(f"{BASE}/alert-templates/{{risk}}", response_model=Object)
def delete_template(ctx: CtxDep, tenant: str, risk: str):
    """Back to the built-in wording."""
    with ctx.writing(tenant) as (scope, conn):
        return JSONResponse(reset_template(scope, conn, risk))


@router.get(f"{BASE}/alert-channels", response_model=Object)
def channels(ctx: CtxDep, tenant: str):
    """The e-mail list, the phone numbers and the SMS gateway's URL (administrators)."""
    with ctx.reading(tenant) as (scope, conn):
        return JSONResponse(channel_settings(scope, conn))


@router.put(f"{BASE}/alert-channels", response_model=Object, openapi_extra=body_doc(
    {"emails": [{"address": "mairie@remiremont.fr", "communes": ["88383"]}],
     "phones": [{"number": "+33612345678", "communes": None}],
     "sms_url": "https://sms.operateur.example/beffroi", "rotate_secret": False}))
def put_channels(ctx: CtxDep, tenant: str, body: JsonBody):
    """Change the channels; ``sms_secret`` is in the answer only when it was just made."""
    with ctx.writing(tenant) as (scope, conn):
        return JSONResponse(update_channels(scope, conn, body, now_ms()))


@router.post(f"{BASE}/population-alerts/preview", response_model=Object,
             openapi_extra=body_doc(ALERT_EXAMPLE))
def preview_alert(ctx: CtxDep, tenant: str, body: JsonBody):
    """The alert's text and how many recipients each channel would reach; sends nothing."""
    with ctx.reading(tenant) as (scope, conn):
        return JSONResponse(preview(scope, conn, body, now_ms()))


@router.post(f"{BASE}/population-alerts", status_code=201, response_model=Object,
             openapi_extra=body_doc(ALERT_EXAMPLE), responses=problems(409))
def send_alert(ctx: CtxDep, tenant: str, body: JsonBody):
    """Compose the alert from its risk's template, queue a delivery per recipient, put up
    the banner, then make a first sending attempt; answers the alert and its delivery log.
    409 when the same alert (targets, channels, message) was sent less than two minutes
    ago: the answer says when, with ``alert_id`` and ``sent_at``."""
    now = now_ms()
    with ctx.writing(tenant) as (scope, conn):
        alert = compose(scope, conn, body, now)
    send_due(ctx.db, now, scope.tenant_id, alert["id"])
    with ctx.reading(tenant) as (scope, conn):
        return JSONResponse(alert_detail(scope, conn, alert["id"]), status_code=201)


@router.get(f"{BASE}/population-alerts", response_model=Objects)
def alerts(ctx: CtxDep, tenant: str):
    """The alerts sent, latest first."""
    with ctx.reading(tenant) as (scope, conn):
        return JSONResponse(list_alerts(scope, conn))


@router.get(f"{BASE}/population-alerts/{{alert_id:int}}", response_model=Object)
def alert(ctx: CtxDep, tenant: str, alert_id: Id):
    """One alert with its counts per channel and status (and the log per recipient for
    agents and administrators)."""
    with ctx.reading(tenant) as (scope, conn):
        return JSONResponse(alert_detail(scope, conn, alert_id))


@router.delete(f"{BASE}/population-alerts/{{alert_id:int}}/banner", response_model=Object)
def remove_banner(ctx: CtxDep, tenant: str, alert_id: Id):
    """Take the alert's banner off the territory's public page."""
    with ctx.writing(tenant) as (scope, conn):
        return JSONResponse(withdraw_banner(scope, conn, alert_id, now_ms()))
