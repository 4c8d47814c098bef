"""Retention: how long Beffroi keeps what it records, applied once a day by the server
(``retention.purge``) and on demand by ``beffroi db purge``.

- **Raw observations**: the tenant's ``raw_retention_days`` (None: forever); the hourly and
  daily rollups are always kept. Shown by the storage summary below (the API and
  ``beffroi tenant show``).
- **Audit log** (who did what, when; personal data of the agents, and the trace of every
  consultation of the vulnerable-persons register): ``retention.audit_days`` per tenant,
  365 days by default, from 180 days to 3 years, the span the CNIL recommends for such logs
  (délibération 2021-122 du 14 octobre 2021 : six mois à un an, jusqu'à trois ans quand un
  risque le justifie), except ``KEPT_ACTIONS``. The instance's own entries (log-in
  blocks, with the e-mail and IP address tried) are kept ``INSTANCE_AUDIT_DAYS``.
- **Notification history** (the e-mails and webhooks sent or failed, with their recipient
  and text): ``retention.notification_days`` per tenant, 365 days by default; a pending
  notification is never deleted.
- **Uplink receipts** (digests of processed messages, to recognise a re-delivered one):
  ``RECEIPT_DAYS``.
- **Log-in throttle counters**: forgotten after ``login_throttle.KNOWN_ADDRESS_MS`` without
  an attempt.

Deletions run in batches of ``BATCH`` rows, each its own transaction, so that the SQLite
writer is never held long by a first purge of years of history; each tenant's purge of its
audit log and notifications is itself written to its audit log (counts only).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

import orjson
from sqlalchemy import Connection, delete, func, select

from ..storage import schema
from ..storage.database import Database
from . import login_throttle
from .audit import write_audit
from .clock import DAY_MS, format_instant, local_day_start, now_ms
from .domain import PropertySpec, Setting

AUDIT_DAYS = "retention.audit_days"
NOTIFICATION_DAYS = "retention.notification_days"
SETTINGS = (
    Setting(PropertySpec(AUDIT_DAYS, "integer", "Journal des actions : durée de conservation "
                         "(jours)", minimum=180, maximum=1095),
            365, "Recommandation de la CNIL relative à la journalisation (délibération "
                 "2021-122 du 14 octobre 2021) : de six mois à un an, jusqu'à trois ans "
                 "quand un risque le justifie.", verified=True),
    Setting(PropertySpec(NOTIFICATION_DAYS, "integer", "Historique des courriels et webhooks "
                         "envoyés : durée de conservation (jours)", minimum=30, maximum=1095),
            365, "Une année d'alertes et d'astreintes ; à fixer par le territoire."),
)
BY_KEY: dict[str, Setting] = {s.spec.name: s for s in SETTINGS}
INSTANCE_AUDIT_DAYS = 365
# Audit entries that are state, not a trace of a person: the mark that the demo territory
# was built whole (``demo.builder``), without which it would be rebuilt (and the changes
# made in it lost) once its log has aged.
KEPT_ACTIONS = ("demo_built",)
RECEIPT_DAYS = 7
BATCH = 5_000


@dataclass
class PurgeReport:
    """What one purge deleted: raw observations and audit entries per tenant (0: the
    instance's own audit entries), the other tables in all."""

    raw_observations: dict[int, int] = field(default_factory=dict)
    audit_entries: dict[int, int] = field(default_factory=dict)
    notifications: dict[int, int] = field(default_factory=dict)
    uplink_receipts: int = 0
    login_counters: int = 0

    def french(self) -> str:
        return (f"{sum(self.raw_observations.values())} mesures brutes supprimées (agrégats "
                f"conservés), {sum(self.audit_entries.values())} entrées du journal des "
                f"actions, {sum(self.notifications.values())} notifications envoyées, "
                f"{self.uplink_receipts} accusés de réception de messages, "
                f"{self.login_counters} compteurs de tentatives de connexion.")


def _days(settings: dict[str, Any], key: str) -> int:
    value = settings.get(key)
    return int(value) if isinstance(value, int) and not isinstance(value, bool) \
        else BY_KEY[key].default


def raw_horizon(tenant: Any, now: int | None = None) -> int | None:
    """The instant before which the tenant's raw observations go (a local midnight), None
    when it keeps them forever."""
    settings = orjson.loads(tenant.settings)
    days = settings.get("raw_retention_days")
    if not days:
        return None
    tz = ZoneInfo(settings.get("timezone") or "Europe/Paris")
    return local_day_start((now or now_ms()) - days * DAY_MS, tz)


def purge_tenant(db: Database, tenant: Any, now: int | None = None) -> int:
    """Delete the tenant's raw observations before its horizon (whole local days), stream
    by stream, ``BATCH`` points per transaction (the oldest first: an interrupted purge
    leaves no hole); the number deleted."""
    cutoff = raw_horizon(tenant, now)
    if cutoff is None:
        return 0
    o = schema.observations
    with db.read() as conn:
        streams = [r[0] for r in conn.execute(
            select(o.c.stream_id).distinct().where(o.c.tenant_id == tenant.id, o.c.t < cutoff))]
    deleted = 0
    for stream_id in streams:
        mine = (o.c.tenant_id == tenant.id, o.c.stream_id == stream_id)
        while True:
            with db.write() as conn:
                # (the BATCH-th oldest point before the horizon bounds this batch: the
                # primary key (tenant, stream, t) finds it without scanning the rest)
                last = conn.execute(select(o.c.t).where(*mine, o.c.t < cutoff).order_by(o.c.t)
                                    .offset(BATCH - 1).limit(1)).scalar()
                bound = o.c.t <= last if last is not None else o.c.t < cutoff
                count = conn.execute(delete(o).where(*mine, bound)).rowcount
            deleted += count
            if last is None:
                break
    return deleted


def _delete_batches(db: Database, table, tenant_id: int, *conditions) -> int:
    """Delete the tenant's rows of ``table`` (keyed by tenant and id) meeting
    ``conditions``, ``BATCH`` at a time; the number deleted."""
    deleted = 0
    while True:
        with db.write() as conn:
            ids = [r[0] for r in conn.execute(
                select(table.c.id).where(table.c.tenant_id == tenant_id, *conditions)
                .order_by(table.c.id).limit(BATCH))]
            if ids:
                conn.execute(delete(table).where(table.c.tenant_id == tenant_id,
                                                 table.c.id.in_(ids)))
        deleted += len(ids)
        if len(ids) < BATCH:
            return deleted


def purge_audit(db: Database, tenant_id: int, days: int, now: int) -> int:
    """Entries older than ``days``, but those of ``KEPT_ACTIONS``."""
    a = schema.audit_log
    return _delete_batches(db, a, tenant_id, a.c.at < now - days * DAY_MS,
                           a.c.action.not_in(KEPT_ACTIONS))


def purge_notifications(db: Database, tenant_id: int, days: int, now: int) -> int:
    """Sent and failed notifications created more than ``days`` ago (never a pending one)."""
    n = schema.notifications
    return _delete_batches(db, n, tenant_id, n.c.created_at < now - days * DAY_MS,
                           n.c.status != "pending")


def prune_receipts(db: Database, older_than_ms: int) -> int:
    """Forget the digests of messages received before ``older_than_ms``: a network server
    or broker re-delivers within minutes, never after ``RECEIPT_DAYS``."""
    r = schema.uplink_receipts
    with db.write() as conn:
        return conn.execute(delete(r).where(r.c.received_at < older_than_ms)).rowcount


def purge_all(db: Database, now: int | None = None) -> PurgeReport:
    now = now or now_ms()
    with db.read() as conn:
        tenants = list(conn.execute(select(schema.tenants)))
    report = PurgeReport()
    for tenant in tenants:
        report.raw_observations[tenant.id] = purge_tenant(db, tenant, now)
        settings = orjson.loads(tenant.settings)
        report.audit_entries[tenant.id] = purge_audit(
            db, tenant.id, _days(settings, AUDIT_DAYS), now)
        report.notifications[tenant.id] = purge_notifications(
            db, tenant.id, _days(settings, NOTIFICATION_DAYS), now)
        if report.audit_entries[tenant.id] or report.notifications[tenant.id]:
            with db.write() as conn:
                write_audit(conn, db, tenant.id, None, "purge", "retention", None, {
                    "audit_entries": report.audit_entries[tenant.id],
                    "notifications": report.notifications[tenant.id]})
    report.audit_entries[0] = purge_audit(db, 0, INSTANCE_AUDIT_DAYS, now)
    report.uplink_receipts = prune_receipts(db, now - RECEIPT_DAYS * DAY_MS)
    with db.write() as conn:
        report.login_counters = login_throttle.forget_idle(conn, now)
    return report


def storage_summary(conn: Connection, tenant_id: int) -> dict[str, Any]:
    o, h, d = schema.observations, schema.rollups_hourly, schema.rollups_daily
    raw = conn.execute(select(func.count(), func.min(o.c.t), func.max(o.c.t))
                       .where(o.c.tenant_id == tenant_id)).one()
    hourly = conn.execute(select(func.count(), func.min(h.c.bucket)).where(h.c.tenant_id == tenant_id)).one()
    daily = conn.execute(select(func.count()).where(d.c.tenant_id == tenant_id)).scalar()
    return {
        "raw_observations": raw[0], "raw_oldest": format_instant(raw[1]),
        "raw_newest": format_instant(raw[2]),
        "hourly_rollups": hourly[0], "hourly_oldest": format_instant(hourly[1]),
        "daily_rollups": daily,
    }
