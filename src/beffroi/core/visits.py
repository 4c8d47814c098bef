"""When each person last saw a tenant's home page: what is new since their last visit.

The home page records a visit once it has shown the alerts (and again when it is left),
with the *cursor* it had shown: the id of the last alert event it knew of. Alert events
(``alert_events``) take their ids from one counter and are committed in that order (see
``notifications.routing``), so an alert is new when its opening (or reopening) event comes
after the cursor of the person's previous visit. Cursors rather than times: an alert's
``opened_at`` is the time of its data, which may be long before it was recorded (late data,
hourly detectors), and the live event stream (``api/event_hub.py``) numbers its events with
the same cursor.

A first visit has nothing new (there is no "since"). A cursor never goes back: an old tab
left open elsewhere does not make seen alerts new again.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from ..storage import schema
from . import clock
from .access import TenantScope
from .alerting.alerts import ACTIVE, visible_alerts
from .errors import Forbidden, Invalid
from .live import latest_event
from .storable import BIGINT_MAX

NEW_KINDS = ("opened", "reopened")  # the alert events that make an alert new


def new_alert_ids(scope: TenantScope, conn: Connection, after: int) -> list[int]:
    """The active alerts the scope sees that were opened or reopened after event ``after``,
    newest first."""
    a, e = schema.alerts, schema.alert_events
    opened = select(e.c.alert_id).where(e.c.tenant_id == scope.tenant_id, e.c.id > after,
                                        e.c.kind.in_(NEW_KINDS))
    return list(conn.execute(
        select(a.c.id).where(visible_alerts(scope), a.c.status.in_(ACTIVE),
                             a.c.id.in_(opened)).order_by(a.c.id.desc())).scalars())


def _person(scope: TenantScope) -> int:
    """The person whose visits these are: a member (or an operator) of the tenant."""
    user_id = scope.principal.require_person()
    if scope.role == "public":
        raise Forbidden("Réservé aux membres du territoire.")
    return user_id


def _row(scope: TenantScope, conn: Connection, user_id: int) -> Any:
    v = schema.home_visits
    return conn.execute(select(v).where(v.c.tenant_id == scope.tenant_id,
                                        v.c.user_id == user_id)).first()


def get_visit(scope: TenantScope, conn: Connection) -> dict[str, Any]:
    """The person's last visit and what is new since: ``last_seen_at`` (null on a first
    visit), the alerts opened since (``new_alerts``, ids, newest first) and ``cursor``, the
    tenant's current alert-event cursor (to send back when recording this visit)."""
    scope.require("read")
    user_id = _person(scope)
    row = _row(scope, conn, user_id)
    new = [] if row is None else new_alert_ids(scope, conn, row.alert_event_id)
    return {"tenant_id": scope.tenant_id,
            "last_seen_at": None if row is None else clock.format_instant(row.seen_at),
            "new_alerts": new, "new_count": len(new),
            "cursor": latest_event(conn, scope.tenant_id)}


def _cursor(body: Any) -> int | None:
    if not isinstance(body, dict):
        raise Invalid("Objet JSON attendu.")
    unknown = sorted(set(body) - {"cursor"})
    if unknown:
        raise Invalid("Champ inconnu.", errors=[{"field": k, "message": "champ inconnu"}
                                                 for k in unknown])
    cursor = body.get("cursor")
    if cursor is None:
        return None
    if isinstance(cursor, bool) or not isinstance(cursor, int) or not 0 <= cursor <= BIGINT_MAX:
        raise Invalid("« cursor » doit être un entier positif ou nul.",
                      errors=[{"field": "cursor", "message": "entier positif ou nul attendu"}])
    return cursor


def record_visit(scope: TenantScope, conn: Connection, body: Any) -> dict[str, Any]:
    """The person has seen the home page now, up to alert event ``cursor`` (default: the
    tenant's current one; never beyond it, never before the previous visit's)."""
    scope.require("read")
    user_id = _person(scope)
    sent = _cursor(body)
    current = latest_event(conn, scope.tenant_id)
    cursor = current if sent is None else min(sent, current)
    now = clock.now_ms()
    v = schema.home_visits
    insert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
    statement = insert(v).values(tenant_id=scope.tenant_id, user_id=user_id, seen_at=now,
                                 alert_event_id=cursor)
    conn.execute(statement.on_conflict_do_update(
        index_elements=[v.c.tenant_id, v.c.user_id],
        set_={"seen_at": now,
              "alert_event_id": func.max(v.c.alert_event_id, statement.excluded.alert_event_id)
              if conn.dialect.name == "sqlite"
              else func.greatest(v.c.alert_event_id, statement.excluded.alert_event_id)}))
    row = _row(scope, conn, user_id)
    return {"tenant_id": scope.tenant_id, "last_seen_at": clock.format_instant(row.seen_at),
            "cursor": row.alert_event_id}

