"""The daily digest: one e-mail per digest subscriber listing the non-critical alerts
opened since the tenant's previous digest.

Once per local day, at or after the tenant's ``digest_time`` (its time zone), the
tenant's alert events after its digest cursor are gathered (``opened``, ``reopened``
and ``triggered`` that were to be notified); each member gets the non-critical alerts
that one of their digest subscriptions matches and that no immediate subscription of
theirs already brought them, among the communes they can see. Nothing to list: no
e-mail. The cursor and the time of the last digest are kept per tenant in
``job_leases`` (``notifications.digest:{tenant}``); a tenant seen for the first time
has its first digest at its next ``digest_time``, covering alerts from its first digest
subscription on.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import orjson
from sqlalchemy import Connection, func, select, true

from ..core.registry import Registry
from ..core.settings import parse_clock
from ..storage import schema
from ..storage.database import Database
from . import cursors
from .filters import matches, member_sees
from .messages import digest_email, load_facts
from .oncall import local_time, tenant_settings
from .outbox import queue
from .routing import NOTIFY_KINDS
from .subscriptions import subscribers

JOB_NAME = "notifications.digest"


def state_name(tenant_id: int) -> str:
    return f"{JOB_NAME}:{tenant_id}"


def last_digest_moment(settings: dict[str, Any], now: int) -> int:
    """The latest local ``digest_time`` at or before ``now`` (epoch ms)."""
    tz = ZoneInfo(settings["timezone"])
    minutes = parse_clock(settings["digest_time"])
    at = time(minutes // 60, minutes % 60)
    day = local_time(settings, now).date()
    moment = datetime.combine(day, at, tzinfo=tz)
    if moment.timestamp() * 1000 > now:
        moment = datetime.combine(day - timedelta(days=1), at, tzinfo=tz)
    return int(moment.timestamp() * 1000)


def send_digests(db: Database, registry: Registry, now: int) -> int:
    """Queue the digests due now in every tenant with digest subscribers; how many."""
    s = schema.subscriptions
    with db.read() as conn:
        tenant_ids = [r[0] for r in conn.execute(
            select(s.c.tenant_id).distinct().where(s.c.digest == true())
            .order_by(s.c.tenant_id))]
    queued = 0
    for tenant_id in tenant_ids:
        with db.write() as conn:
            queued += _digest_tenant(db, conn, registry, tenant_id, now)
    return queued


def _digest_tenant(db: Database, conn: Connection, registry: Registry, tenant_id: int,
                   now: int) -> int:
    t, e = schema.tenants, schema.alert_events
    tenant = conn.execute(select(t).where(t.c.id == tenant_id)).first()
    if tenant is None:
        return 0
    settings = tenant_settings(tenant)
    name = state_name(tenant_id)
    state = cursors.read(conn, name)
    newest = conn.execute(select(func.max(e.c.id))).scalar() or 0
    if state is None:  # first sight: digests start with the first digest subscription
        s = schema.subscriptions
        since = conn.execute(select(func.min(s.c.created_at)).where(
            s.c.tenant_id == tenant_id, s.c.digest == true())).scalar()
        start = conn.execute(select(func.max(e.c.id)).where(
            e.c.tenant_id == tenant_id, e.c.at < (since if since is not None else now))).scalar()
        cursors.save(conn, name, start or 0, ran_at=now)
        return 0
    if state.last_run_at is not None and state.last_run_at >= last_digest_moment(settings, now):
        return 0  # today's digest is done
    events = conn.execute(select(e.c.alert_id, e.c.details).where(
        e.c.tenant_id == tenant_id, e.c.id > (state.cursor or 0), e.c.id <= newest,
        e.c.kind.in_(NOTIFY_KINDS)))
    alert_ids = sorted({r.alert_id for r in events if orjson.loads(r.details).get("notify")})
    queued = 0
    if alert_ids:
        a = schema.alerts
        alerts = [row for row in conn.execute(select(a).where(
            a.c.tenant_id == tenant_id, a.c.id.in_(alert_ids)).order_by(a.c.opened_at, a.c.id))
            if row.severity != "critical"]
        queued = _queue_digests(db, conn, registry, tenant, settings, alerts, now)
    cursors.save(conn, name, newest, ran_at=now)
    return queued


def _queue_digests(db: Database, conn: Connection, registry: Registry, tenant: Any,
                   settings: dict[str, Any], alerts: list[Any], now: int) -> int:
    by_user: dict[int, list[Any]] = {}
    for sub in subscribers(conn, tenant.id):
        by_user.setdefault(sub.user_id, []).append(sub)
    facts: dict[int, Any] = {}
    queued = 0
    for user_id, subs in by_user.items():
        if not any(s.digest for s in subs):
            continue
        chosen = []
        for alert in alerts:
            if not member_sees(subs[0].member_communes, alert):
                continue
            wanted = [s for s in subs if matches(alert, domains=s.domains, communes=s.communes,
                                                 min_severity=s.min_severity)]
            if wanted and all(s.digest for s in wanted):  # not already sent on the moment
                if alert.id not in facts:
                    facts[alert.id] = load_facts(conn, registry, tenant, alert)
                chosen.append(facts[alert.id])
        if not chosen:
            continue
        subject, body = digest_email(tenant, settings, now, chosen)
        queue(db, conn, tenant.id, channel="email", target=subs[0].email, kind="digest",
              subject=subject, body=body, now=now, user_id=user_id)
        queued += 1
    return queued
