"""The notifications outbox: queued in the routing transaction, sent by a job, retried.

A notification is claimed (``attempts`` + 1, not due again for ``CLAIM_S``) in a short
write transaction, sent with no transaction open, and its result written in another
short one. A failure is retried after 1, 5 then 30 minutes; after the fourth attempt, or
at once when retrying cannot help (SMTP not configured, webhook deleted, destination
refused or redirecting), it is ``failed`` with the error kept.

A test delivery of a webhook (``queue_webhook_test``) is queued here too: signed, checked
against private addresses at sending, retried and logged like any other.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection, or_, select, update

from ..core import outbound
from ..core.access import TenantScope
from ..core.clock import format_instant, now_ms
from ..core.errors import Conflict, Invalid
from ..storage import schema
from ..storage.database import Database
from .email import Mailer, MailError
from .messages import TEST_EVENT, webhook_test_payload
from .webhooks import HTTP_TIMEOUT_S, DeliveryError, deliver, get_webhook

RETRY_DELAYS_S = (60, 300, 1800)
MAX_ATTEMPTS = len(RETRY_DELAYS_S) + 1
CLAIM_S = 600  # a claimed notification whose sender died is tried again after this
SEND_BUDGET_S = 120.0  # stop claiming after this long, within the job's lease
BATCH = 200
log = logging.getLogger("beffroi.notifications")


STATUSES = ("pending", "sent", "failed")


class _Permanent(Exception):
    """A failure that retrying cannot fix."""


def queue(db: Database, conn: Connection, tenant_id: int, *, channel: str, target: str,
          kind: str, body: str, now: int, alert_id: int | None = None,
          user_id: int | None = None, webhook_id: int | None = None,
          subject: str | None = None) -> int:
    """Add a pending notification, due at once; its id."""
    notification_id = db.allocate_ids(conn, "notifications")
    conn.execute(schema.notifications.insert().values(
        tenant_id=tenant_id, id=notification_id, alert_id=alert_id, user_id=user_id,
        webhook_id=webhook_id, channel=channel, target=target, kind=kind, subject=subject,
        body=body, status="pending", attempts=0, next_attempt_at=now, created_at=now))
    return notification_id


def queue_webhook_test(scope: TenantScope, conn: Connection, webhook_id: int) -> Any:
    """Queue a test delivery to a webhook (tenant admins); the queued notification.

    It leaves with the next run of the sending job, exactly as an alert's would."""
    webhook = get_webhook(scope, conn, webhook_id)  # (admins only; 404 for another tenant's)
    if not webhook.enabled:
        raise Conflict("Ce webhook est désactivé : activez-le pour envoyer un essai.")
    user = None
    if scope.principal.user_id is not None:
        u = schema.users
        user = conn.execute(select(u.c.id, u.c.name).where(
            u.c.id == scope.principal.user_id)).first()
    now = now_ms()
    body = webhook_test_payload(scope.tenant, webhook, user, now).decode()
    notification_id = queue(scope.db, conn, scope.tenant_id, channel="webhook",
                            target=webhook.url, kind="test", subject=TEST_EVENT, body=body,
                            now=now, webhook_id=webhook.id)
    scope.audit(conn, "test", "webhook", webhook.id,
                {"url": webhook.url, "notification_id": notification_id})
    n = schema.notifications
    return conn.execute(select(n).where(scope.owns(n), n.c.id == notification_id)).one()


def notification_public(row: Any) -> dict[str, Any]:
    return {"id": row.id, "alert_id": row.alert_id, "user_id": row.user_id,
            "webhook_id": row.webhook_id, "channel": row.channel, "target": row.target,
            "kind": row.kind, "subject": row.subject, "status": row.status,
            "attempts": row.attempts, "next_attempt_at": format_instant(row.next_attempt_at),
            "created_at": format_instant(row.created_at), "sent_at": format_instant(row.sent_at),
            "error": row.error}


def list_notifications(scope: TenantScope, conn: Connection, *, alert_id: int | None = None,
                       status: str | None = None, before_id: int | None = None,
                       limit: int = 100) -> list[Any]:
    """The log of what was (or is to be) sent, newest first; for tenant admins."""
    scope.require("admin")
    errors = []
    if status is not None and status not in STATUSES:
        errors.append({"field": "status", "message": "pending, sent ou failed"})
    if not 1 <= limit <= 1000:
        errors.append({"field": "limit", "message": "entre 1 et 1000"})
    if errors:
        raise Invalid("Filtre de notifications invalide.", errors=errors)
    n = schema.notifications
    query = select(n).where(scope.owns(n)).order_by(n.c.id.desc()).limit(limit)
    if alert_id is not None:
        query = query.where(n.c.alert_id == alert_id)
    if status is not None:
        query = query.where(n.c.status == status)
    if before_id is not None:
        query = query.where(n.c.id < before_id)
    return list(conn.execute(query))


def send_due(db: Database, now: int | None = None, *, http: outbound.Client | None = None,
             environ: Mapping[str, str] | None = None, limit: int = BATCH) -> list[dict[str, Any]]:
    """Send every due notification once; one outcome per notification tried."""
    now = now_ms() if now is None else now
    n = schema.notifications
    with db.read() as conn:
        due = list(conn.execute(
            select(n.c.tenant_id, n.c.id).where(n.c.status == "pending",
                                                or_(n.c.next_attempt_at.is_(None),
                                                    n.c.next_attempt_at <= now))
            .order_by(n.c.next_attempt_at, n.c.id).limit(limit)))
    if not due:
        return []
    mailer = Mailer(environ)
    client = http or outbound.Client(timeout=HTTP_TIMEOUT_S)
    outcomes = []
    started = time.monotonic()
    try:
        for key in due:
            if time.monotonic() - started > SEND_BUDGET_S:
                break
            row = _claim(db, key.tenant_id, key.id, now)
            if row is not None:
                outcomes.append(_send_one(db, row, now, mailer, client))
    finally:
        mailer.close()
        if http is None:
            client.close()
    return outcomes


def _claim(db: Database, tenant_id: int, notification_id: int, now: int) -> Any | None:
    n = schema.notifications
    with db.write() as conn:
        taken = conn.execute(update(n).where(
            n.c.tenant_id == tenant_id, n.c.id == notification_id, n.c.status == "pending",
            or_(n.c.next_attempt_at.is_(None), n.c.next_attempt_at <= now))
            .values(attempts=n.c.attempts + 1, next_attempt_at=now + CLAIM_S * 1000))
        if taken.rowcount != 1:
            return None
        return conn.execute(select(n).where(n.c.tenant_id == tenant_id,
                                            n.c.id == notification_id)).first()


def _send_one(db: Database, row: Any, now: int, mailer: Mailer,
              client: outbound.Client) -> dict[str, Any]:
    error, retryable, target = None, False, row.target
    try:
        if row.channel == "email":
            mailer.send(row.target, row.subject or "[Beffroi]", row.body)
        elif row.channel == "webhook":
            target = _post(db, row, client)
        else:
            raise _Permanent(f"Canal inconnu « {row.channel} ».")
    except MailError as exc:
        error, retryable = exc.message, exc.retryable
    except DeliveryError as exc:
        error, retryable = str(exc), exc.retryable
    except _Permanent as exc:
        error = str(exc)
    n = schema.notifications
    if error is None:
        values: dict[str, Any] = {"status": "sent", "sent_at": now, "error": None,
                                  "next_attempt_at": None}
    elif retryable and row.attempts < MAX_ATTEMPTS:
        values = {"status": "pending", "error": error,
                  "next_attempt_at": now + RETRY_DELAYS_S[row.attempts - 1] * 1000}
    else:
        values = {"status": "failed", "error": error, "next_attempt_at": None}
    values["target"] = target
    if error is not None:
        log.warning("notification %s (%s → %s), attempt %s: %s", row.id, row.channel,
                    row.target, row.attempts, error)
    with db.write() as conn:
        conn.execute(update(n).where(n.c.tenant_id == row.tenant_id, n.c.id == row.id)
                     .values(**values))
    return {"id": row.id, "tenant_id": row.tenant_id, "channel": row.channel,
            "attempts": row.attempts, **values}


def _post(db: Database, row: Any, client: outbound.Client) -> str:
    """Deliver to the webhook's current URL (an admin may have fixed it meanwhile)."""
    w = schema.webhooks
    with db.read() as conn:
        webhook = conn.execute(select(w).where(w.c.tenant_id == row.tenant_id,
                                               w.c.id == row.webhook_id)).first()
    if webhook is None:
        raise _Permanent("Webhook supprimé avant l'envoi.")
    if not webhook.enabled:
        raise _Permanent("Webhook désactivé avant l'envoi.")
    deliver(client, webhook.url, webhook.secret, row.subject or "", row.body.encode(), row.id)
    return webhook.url
