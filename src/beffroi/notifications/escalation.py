"""Escalation: a page the on-call primary has not acknowledged goes to the secondary.

A critical alert paged to the on-call primary (``notified`` event with
``oncall_user_id``, after its latest opening) and still ``open`` once the tenant's
``escalation_delay_min`` has passed since the page is escalated, once: an e-mail to the
secondary on call now (kind ``escalation``), ``alerts.escalated_at`` set and an
``escalated`` event added (which the routing job turns into the ``alert.escalated``
webhook). A week without secondary still records the escalation, for the webhooks.
"""

from __future__ import annotations

from typing import Any

import orjson
from sqlalchemy import Connection, select, update

from ..core.alerting.alerts import add_event
from ..core.registry import Registry
from ..storage import schema
from ..storage.database import Database
from .messages import escalation_email, load_facts
from .oncall import on_call, reachable, tenant_settings
from .outbox import queue

JOB_NAME = "notifications.escalate"
OPENINGS = ("opened", "reopened")


def escalate_due(db: Database, registry: Registry, now: int) -> list[int]:
    """Escalate every overdue page; the ids of the alerts escalated."""
    a, n = schema.alerts, schema.notifications
    with db.read() as conn:
        candidates = list(conn.execute(
            select(a.c.tenant_id, a.c.id).distinct()
            .join(n, (n.c.tenant_id == a.c.tenant_id) & (n.c.alert_id == a.c.id))
            .where(n.c.kind == "oncall", a.c.status == "open", a.c.severity == "critical",
                   a.c.escalated_at.is_(None))
            .order_by(a.c.tenant_id, a.c.id)))
    escalated = []
    for key in candidates:
        with db.write() as conn:
            if _escalate(db, conn, registry, key.tenant_id, key.id, now):
                escalated.append(key.id)
    return escalated


def last_page(conn: Connection, tenant_id: int, alert_id: int) -> Any | None:
    """The ``notified`` event of the on-call page since the alert last opened, if any."""
    e = schema.alert_events
    page = None
    for event in conn.execute(select(e).where(e.c.tenant_id == tenant_id,
                                              e.c.alert_id == alert_id,
                                              e.c.kind.in_((*OPENINGS, "notified")))
                              .order_by(e.c.id)):
        if event.kind in OPENINGS:
            page = None
        elif orjson.loads(event.details).get("oncall_user_id") is not None:
            page = event
    return page


def _escalate(db: Database, conn: Connection, registry: Registry, tenant_id: int,
              alert_id: int, now: int) -> bool:
    a = schema.alerts
    alert = conn.execute(select(a).where(a.c.tenant_id == tenant_id, a.c.id == alert_id)
                         .with_for_update()).first()
    if (alert is None or alert.status != "open" or alert.severity != "critical"
            or alert.escalated_at is not None):
        return False
    page = last_page(conn, tenant_id, alert_id)
    if page is None:
        return False
    t = schema.tenants
    tenant = conn.execute(select(t).where(t.c.id == tenant_id)).first()
    settings = tenant_settings(tenant)
    delay_min = settings["escalation_delay_min"]
    if now < page.at + delay_min * 60_000:
        return False
    primary_id = orjson.loads(page.details)["oncall_user_id"]
    _, secondary_id = on_call(conn, tenant, now)
    secondary = reachable(conn, alert, secondary_id) if secondary_id != primary_id else None
    notification_id = None
    if secondary is not None:
        u = schema.users
        primary_name = conn.execute(select(u.c.name).where(u.c.id == primary_id)).scalar()
        subject, body = escalation_email(load_facts(conn, registry, tenant, alert),
                                         primary_name or "la personne d'astreinte", page.at,
                                         delay_min)
        notification_id = queue(db, conn, tenant_id, channel="email", target=secondary.email,
                                kind="escalation", subject=subject, body=body, now=now,
                                alert_id=alert_id, user_id=secondary.id)
    values: dict[str, Any] = {"escalated_at": now}
    if notification_id is not None:
        values["last_notified_at"] = now
    conn.execute(update(a).where(a.c.tenant_id == tenant_id, a.c.id == alert_id)
                 .values(**values))
    add_event(db, conn, tenant_id, alert_id, now, "escalated", details={
        "primary_user_id": primary_id,
        "secondary_user_id": secondary.id if secondary is not None else None,
        "delay_min": delay_min, "notification_id": notification_id})
    return True
