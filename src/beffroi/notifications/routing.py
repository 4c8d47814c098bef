"""Who is told about each alert event: the job that reads ``alert_events`` and queues
notifications.

Events are read after the cursor of job ``notifications.route`` (ids come from one
counter and are committed in order, so none is skipped), a batch per transaction: the
notifications of a batch and the new cursor are committed together, so each event is
routed exactly once.

- ``opened``, ``reopened`` and ``triggered`` (severity raised), when their ``notify``
  flag is set: an e-mail to every subscriber whose filters match and who can see the
  alert's commune (a digest subscriber gets non-critical alerts in the daily digest
  only), to the contacts the alert's assets declare (``contacts``: a school's air
  referent), and the event to the matching webhooks. A critical alert still open, whose
  event falls outside the tenant's working hours, pages the on-call primary of that
  week (kind ``oncall``), subscribed or not; an ``alert_events`` row ``notified`` with
  ``oncall_user_id`` marks the page for the escalation job.
- ``acknowledged``, ``resolved`` and ``escalated``: webhooks only (the escalation job
  e-mails the secondary itself).
"""

from __future__ import annotations

from typing import Any

import orjson
from sqlalchemy import Connection, select, update

from ..core.alerting.alerts import add_event
from ..core.registry import Registry
from ..storage import schema
from ..storage.database import Database
from . import cursors
from .contacts import alert_contacts
from .filters import matches, member_sees
from .messages import (
    WEBHOOK_EVENTS,
    AlertFacts,
    alert_email,
    load_facts,
    oncall_email,
    webhook_payload,
)
from .oncall import on_call, outside_working_hours, reachable, week_of
from .outbox import queue
from .subscriptions import subscribers
from .webhooks import tenant_webhooks

JOB_NAME = "notifications.route"
NOTIFY_KINDS = ("opened", "reopened", "triggered", "changed")
WEBHOOK_ONLY_KINDS = ("acknowledged", "resolved", "escalated")
BATCH = 200
MAX_BATCHES = 25


def route_events(db: Database, registry: Registry, now: int, *, batch: int = BATCH) -> int:
    """Route every event after the cursor (up to ``MAX_BATCHES`` batches); how many."""
    routed = 0
    for _ in range(MAX_BATCHES):
        with db.write() as conn:
            state = cursors.read(conn, JOB_NAME)
            after = state.cursor if state is not None and state.cursor is not None else 0
            e = schema.alert_events
            events = list(conn.execute(select(e).where(e.c.id > after)
                                       .order_by(e.c.id).limit(batch)))
            if not events:
                return routed
            router = _Router(db, conn, registry, now)
            for event in events:
                router.route(event)
            cursors.save(conn, JOB_NAME, events[-1].id)
        routed += len(events)
        if len(events) < batch:
            break
    return routed


class _Router:
    """Routes the events of one batch; caches what tenants have (rows, people, webhooks)."""

    def __init__(self, db: Database, conn: Connection, registry: Registry, now: int) -> None:
        self.db, self.conn, self.registry, self.now = db, conn, registry, now
        self._tenants: dict[int, Any] = {}
        self._subscribers: dict[int, list[Any]] = {}
        self._webhooks: dict[int, list[Any]] = {}

    def tenant(self, tenant_id: int) -> Any:
        if tenant_id not in self._tenants:
            t = schema.tenants
            self._tenants[tenant_id] = self.conn.execute(
                select(t).where(t.c.id == tenant_id)).first()
        return self._tenants[tenant_id]

    def subscribers(self, tenant_id: int) -> list[Any]:
        if tenant_id not in self._subscribers:
            self._subscribers[tenant_id] = subscribers(self.conn, tenant_id)
        return self._subscribers[tenant_id]

    def webhooks(self, tenant_id: int) -> list[Any]:
        if tenant_id not in self._webhooks:
            self._webhooks[tenant_id] = tenant_webhooks(self.conn, tenant_id)
        return self._webhooks[tenant_id]

    def route(self, event: Any) -> None:
        if event.kind not in NOTIFY_KINDS and event.kind not in WEBHOOK_ONLY_KINDS:
            return  # commented, notified...
        if event.kind in NOTIFY_KINDS and not orjson.loads(event.details).get("notify"):
            return  # e.g. a flapping alert reopened within its re-notification delay
        a = schema.alerts
        alert = self.conn.execute(select(a).where(a.c.tenant_id == event.tenant_id,
                                                  a.c.id == event.alert_id)).first()
        tenant = self.tenant(event.tenant_id)
        if alert is None or tenant is None:
            return
        facts = load_facts(self.conn, self.registry, tenant, alert)
        hooks = self._tell_webhooks(facts, event)
        if event.kind not in NOTIFY_KINDS:
            return
        paged = self._page_on_call(facts, event)
        told = self._tell_subscribers(facts, event, skip=paged)
        contacts = self._tell_contacts(facts, event, told)
        if paged is not None or told or hooks or contacts:
            self.conn.execute(update(a).where(a.c.tenant_id == alert.tenant_id,
                                              a.c.id == alert.id)
                              .values(last_notified_at=self.now))
            add_event(self.db, self.conn, alert.tenant_id, alert.id, self.now, "notified",
                      details={"event_id": event.id, "oncall_user_id": paged,
                               "users": sorted(told), "webhooks": hooks,
                               "contacts": contacts})

    def _tell_webhooks(self, facts: AlertFacts, event: Any) -> list[int]:
        alert = facts.alert
        chosen = [w for w in self.webhooks(alert.tenant_id)
                  if matches(alert, domains=w.domains, communes=None,
                             min_severity=w.min_severity)]
        if not chosen:
            return []
        actor = None
        if event.user_id is not None:
            u = schema.users
            actor = self.conn.execute(select(u.c.id, u.c.name).where(
                u.c.id == event.user_id)).first()
        body = webhook_payload(facts, event, actor).decode()
        for hook in chosen:
            queue(self.db, self.conn, alert.tenant_id, channel="webhook", target=hook.url,
                  kind="alert", subject=WEBHOOK_EVENTS[event.kind], body=body, now=self.now,
                  alert_id=alert.id, webhook_id=hook.id)
        return [w.id for w in chosen]

    def _tell_contacts(self, facts: AlertFacts, event: Any, told: list[int]) -> list[str]:
        """E-mail the contacts the alert's assets declare (``contacts``), but for the
        subscribers told already."""
        alert = facts.alert
        emailed = {sub.email.lower() for sub in self.subscribers(alert.tenant_id)
                   if sub.user_id in told}
        chosen = [c for c in alert_contacts(self.conn, self.registry, alert)
                  if c not in emailed]
        if not chosen:
            return []
        subject, body = alert_email(facts, event.kind)
        for address in chosen:
            queue(self.db, self.conn, alert.tenant_id, channel="email", target=address,
                  kind="alert", subject=subject, body=body, now=self.now, alert_id=alert.id)
        return chosen

    def _page_on_call(self, facts: AlertFacts, event: Any) -> int | None:
        """The on-call primary paged for a critical alert outside working hours, if any."""
        alert, settings = facts.alert, facts.settings
        if (alert.severity != "critical" or alert.status != "open"
                or not outside_working_hours(settings, event.at)):
            return None
        primary, secondary = on_call(self.conn, facts.tenant, event.at)
        person = reachable(self.conn, alert, primary)
        if person is None:
            return None
        subject, body = oncall_email(facts, week_of(settings, event.at),
                                     settings["escalation_delay_min"], secondary is not None)
        queue(self.db, self.conn, alert.tenant_id, channel="email", target=person.email,
              kind="oncall", subject=subject, body=body, now=self.now, alert_id=alert.id,
              user_id=person.id)
        return person.id

    def _tell_subscribers(self, facts: AlertFacts, event: Any, skip: int | None) -> list[int]:
        alert = facts.alert
        immediate: dict[int, Any] = {}
        for sub in self.subscribers(alert.tenant_id):
            if sub.user_id == skip or sub.user_id in immediate:
                continue
            if not member_sees(sub.member_communes, alert):
                continue  # never tell a member about a commune they cannot see
            if not matches(alert, domains=sub.domains, communes=sub.communes,
                           min_severity=sub.min_severity):
                continue
            if sub.digest and alert.severity != "critical":
                continue  # waits for the daily digest
            immediate[sub.user_id] = sub
        if not immediate:
            return []
        subject, body = alert_email(facts, event.kind)
        for user_id, sub in immediate.items():
            queue(self.db, self.conn, alert.tenant_id, channel="email", target=sub.email,
                  kind="alert", subject=subject, body=body, now=self.now, alert_id=alert.id,
                  user_id=user_id)
        return list(immediate)

