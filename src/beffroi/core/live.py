"""What changed in a tenant, read from the database for the live event stream.

Alerts are opened, acknowledged and resolved by several processes (the API, the scheduler,
the MQTT ingest, the command line): the database is the only place that sees them all.
Every change of an alert writes an ``alert_events`` row whose id comes from one counter and
is committed in that order (see ``notifications.routing``), so "what changed after event
N" is one range read on the table's primary key, whichever process wrote it. The watcher of
``api/event_hub.py`` calls these functions from a worker thread and keeps the cursors.

- ``alert_changes``: the alerts changed after an event id, one per alert, in its latest state;
- ``asset_states``: the status of assets (``asset_status``) with their domain and commune;
- ``data_changes``: the (domain, commune) pairs whose streams got data after an instant,
  which may change the domains' key figures.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, and_, func, select

from ..storage import schema
from .access import TenantScope
from .asset_status import status_sets, statuses_of
from .clock import format_instant
from .registry import Registry

# The alert events that change what a list of alerts shows (not "commented", "notified"…).
CHANGE_KINDS = ("opened", "reopened", "triggered", "changed", "acknowledged", "resolved",
                "escalated")
BATCH = 500


@dataclass(frozen=True)
class AlertChange:
    cursor: int  # id of the alert's last event read
    kind: str  # that event's kind: opened, acknowledged, resolved…
    domain: str | None
    commune: str | None
    data: dict[str, Any]  # the ``alert`` event's JSON


@dataclass(frozen=True)
class AssetState:
    status: str  # alert | silent | ok | unknown
    domain: str | None
    commune: str | None


def latest_event(conn: Connection, tenant_id: int) -> int:
    """The id of the tenant's last alert event (0 before the first)."""
    e = schema.alert_events
    return conn.execute(select(func.max(e.c.id)).where(e.c.tenant_id == tenant_id)
                        ).scalar() or 0


def alert_changes(conn: Connection, tenant_id: int, after: int, *, until: int | None = None,
                  limit: int = BATCH) -> tuple[list[AlertChange], int, bool]:
    """The alerts changed by the events after ``after`` (up to ``until``, at most ``limit``
    events), one per alert in its current state, in the order of their last event; the id
    of the last event read (the new cursor), and whether ``limit`` cut the read short."""
    e = schema.alert_events
    query = select(e.c.id, e.c.alert_id, e.c.kind).where(e.c.tenant_id == tenant_id,
                                                         e.c.id > after)
    if until is not None:
        query = query.where(e.c.id <= until)
    rows = conn.execute(query.order_by(e.c.id).limit(limit)).all()
    if not rows:
        return [], after, False
    latest: dict[int, tuple[int, str]] = {}
    for event_id, alert_id, kind in rows:
        if kind in CHANGE_KINDS:
            latest[alert_id] = (event_id, kind)
    changes = []
    if latest:
        a, s = schema.alerts, schema.assets
        alerts = conn.execute(
            select(a.c.id, a.c.domain, a.c.severity, a.c.status, a.c.title, a.c.opened_at,
                   a.c.asset_id, a.c.commune_insee, s.c.name.label("asset_name"))
            .outerjoin(s, and_(s.c.tenant_id == a.c.tenant_id, s.c.id == a.c.asset_id))
            .where(a.c.tenant_id == tenant_id, a.c.id.in_(sorted(latest))))
        for row in alerts:
            cursor, kind = latest[row.id]
            changes.append(AlertChange(cursor, kind, row.domain, row.commune_insee, {
                "id": row.id, "domain": row.domain, "severity": row.severity,
                "status": row.status, "title": row.title,
                "opened_at": format_instant(row.opened_at), "asset_id": row.asset_id,
                "asset_name": row.asset_name, "commune": row.commune_insee, "change": kind}))
        changes.sort(key=lambda c: c.cursor)
    return changes, rows[-1].id, len(rows) == limit


def asset_states(scope: TenantScope, conn: Connection, now: int,
                 asset_ids: list[int] | None = None) -> dict[int, str]:
    """The status of every asset of the scope (of ``asset_ids`` only, when given; those
    without one are "unknown")."""
    statuses = statuses_of(*status_sets(scope, conn, now, asset_ids))
    if asset_ids is not None:
        return {asset_id: statuses.get(asset_id, "unknown") for asset_id in asset_ids}
    return statuses


def places(conn: Connection, registry: Registry, tenant_id: int,
           asset_ids: list[int]) -> dict[int, tuple[str | None, str | None]]:
    """Asset id -> (domain, commune)."""
    if not asset_ids:
        return {}
    a = schema.assets
    out = {}
    for start in range(0, len(asset_ids), BATCH):
        chunk = sorted(asset_ids)[start:start + BATCH]
        for asset_id, kind, commune in conn.execute(
                select(a.c.id, a.c.kind, a.c.commune_insee)
                .where(a.c.tenant_id == tenant_id, a.c.id.in_(chunk))):
            out[asset_id] = (registry.kind_domain.get(kind), commune)
    return out


def latest_data(conn: Connection, tenant_id: int) -> int:
    """The time of the tenant's latest measurement (0 before the first)."""
    s = schema.streams
    return conn.execute(select(func.max(s.c.last_t)).where(s.c.tenant_id == tenant_id)
                        ).scalar() or 0


def data_changes(conn: Connection, registry: Registry, tenant_id: int, after: int,
                 now: int) -> tuple[set[tuple[str, str | None]], int]:
    """The (domain, commune) pairs whose streams got a measurement later than ``after``, and
    the new instant to compare with (never past ``now``: a device whose clock runs ahead
    must not hide the others' data)."""
    s, a = schema.streams, schema.assets
    rows = conn.execute(
        select(a.c.kind, a.c.commune_insee, func.max(s.c.last_t))
        .join(a, and_(a.c.tenant_id == s.c.tenant_id, a.c.id == s.c.asset_id))
        .where(s.c.tenant_id == tenant_id, s.c.last_t > after)
        .group_by(a.c.kind, a.c.commune_insee)).all()
    pairs = {(registry.kind_domain[kind], commune) for kind, commune, _ in rows
             if registry.kind_domain.get(kind)}
    latest = max((t for _, _, t in rows), default=after)
    return pairs, max(after, min(latest, now))
