"""The alert lifecycle: open → acknowledged → resolved, one open alert per key.

An alert is identified by a *key*: ``rule:{rule}:asset:{asset}`` for a rule,
``detector:{detector}:asset:{asset}:{subject}`` for a domain detector. While an alert
of a key is open or acknowledged, a new trigger updates it (``last_triggered_at``,
details; a higher severity is a new trigger, counted and notified) instead of opening
another; so is a detail turning to a value its detector declares worth telling
(``notify_on``: a ``changed`` event). A
trigger that comes back within ``renotify_after_s`` of the resolution of the same key
reopens that alert (a flapping condition makes one alert, not one per flap); the
``notify`` flag of the event says whether people should be told again, which is the
case only when the last notification is older than that delay.

Times: ``opened_at``, ``last_triggered_at`` and an automatic ``resolved_at`` are the
times of the data that caused them (observation time), so that they are exact and
reproducible; acknowledgements and manual resolutions carry the wall-clock time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

import orjson
from sqlalchemy import Connection, and_, or_, select, update

from ...storage import schema
from ...storage.database import Database
from ..access import TenantScope
from ..clock import format_instant, now_ms
from ..errors import Conflict, Invalid, NotFound
from ..registry import Registry

SEVERITIES = ("info", "warning", "critical")
SEVERITY_RANK = {name: rank for rank, name in enumerate(SEVERITIES)}
SEVERITY_LABELS = {"info": "information", "warning": "avertissement", "critical": "critique"}
STATUSES = ("open", "acknowledged", "resolved")
STATUS_LABELS = {"open": "ouverte", "acknowledged": "prise en compte", "resolved": "résolue"}
ACTIVE = ("open", "acknowledged")
MAX_COMMENT = 2000


@dataclass
class Trigger:
    """What a rule or a detector reports about one asset."""

    key: str
    severity: str
    title: str  # French
    at: int  # time of the data (ms)
    asset_id: int | None = None
    stream_id: int | None = None
    rule_id: int | None = None
    detector: str | None = None
    details: dict[str, Any] = field(default_factory=dict)
    renotify_after_s: int = 3600
    notify_on: tuple[tuple[str, str], ...] = ()  # (detail, value) worth telling (Detector's)


def rule_key(rule_id: int, asset_id: int | None) -> str:
    return f"rule:{rule_id}:asset:{asset_id}"


def detector_key(detector: str, asset_id: int | None, subject: str = "") -> str:
    return f"detector:{detector}:asset:{asset_id}:{subject}"


# -- raised by rules and detectors -----------------------------------------------------------
def raise_alert(db: Database, conn: Connection, registry: Registry, tenant_id: int,
                trigger: Trigger) -> Any:
    """Open an alert for the trigger, or update / reopen the one of its key."""
    a = schema.alerts
    current = conn.execute(select(a).where(a.c.tenant_id == tenant_id, a.c.key == trigger.key)
                           .order_by(a.c.id.desc()).limit(1)).first()
    details = orjson.dumps(trigger.details).decode()
    if current is not None and current.status in ACTIVE:
        # Still there (a detector's finding at each run): refreshed quietly, unless it
        # got worse, which is a new trigger worth telling.
        severity = max(current.severity, trigger.severity, key=SEVERITY_RANK.__getitem__)
        worse = severity != current.severity
        _set(conn, current, last_triggered_at=max(trigger.at, current.last_triggered_at),
             trigger_count=current.trigger_count + worse, details=details, severity=severity,
             title=trigger.title)
        before = orjson.loads(current.details) if trigger.notify_on else {}
        changed = sorted({key for key, value in trigger.notify_on
                          if trigger.details.get(key) == value and before.get(key) != value})
        if worse:
            add_event(db, conn, tenant_id, current.id, trigger.at, "triggered",
                      details={**trigger.details, "notify": True, "severity": severity})
        elif changed:
            add_event(db, conn, tenant_id, current.id, trigger.at, "changed",
                      details={**trigger.details, "notify": True, "changed": changed})
        return _load(conn, tenant_id, current.id)
    if (current is not None and current.resolved_at is not None
            and trigger.at - current.resolved_at < trigger.renotify_after_s * 1000):
        _set(conn, current, status="open", resolved_at=None, resolved_by=None,
             acknowledged_at=None, acknowledged_by=None, last_triggered_at=trigger.at,
             trigger_count=current.trigger_count + 1, details=details, title=trigger.title,
             severity=trigger.severity, escalated_at=None)
        quiet = (current.last_notified_at is not None
                 and now_ms() - current.last_notified_at < trigger.renotify_after_s * 1000)
        add_event(db, conn, tenant_id, current.id, trigger.at, "reopened",
                  details={**trigger.details, "notify": not quiet})
        return _load(conn, tenant_id, current.id)
    commune, domain = _where(conn, registry, tenant_id, trigger.asset_id)
    alert_id = db.allocate_ids(conn, "alerts")
    conn.execute(a.insert().values(
        tenant_id=tenant_id, id=alert_id, key=trigger.key, rule_id=trigger.rule_id,
        detector=trigger.detector, asset_id=trigger.asset_id, stream_id=trigger.stream_id,
        commune_insee=commune, domain=domain, severity=trigger.severity, status="open",
        title=trigger.title, details=details, opened_at=trigger.at,
        last_triggered_at=trigger.at, trigger_count=1))
    add_event(db, conn, tenant_id, alert_id, trigger.at, "opened",
              details={**trigger.details, "notify": True})
    return _load(conn, tenant_id, alert_id)


def clear_alert(db: Database, conn: Connection, tenant_id: int, key: str, at: int,
                details: dict[str, Any] | None = None, *,
                final_details: dict[str, Any] | None = None,
                title: str | None = None) -> Any | None:
    """The condition of ``key`` is over: resolve its active alert automatically (with the
    detector's final details and title, when it gives them)."""
    a = schema.alerts
    current = conn.execute(select(a).where(a.c.tenant_id == tenant_id, a.c.key == key,
                                           a.c.status.in_(ACTIVE))).first()
    if current is None:
        return None
    final = {}
    if final_details is not None:
        final["details"] = orjson.dumps(final_details).decode()
    if title:
        final["title"] = title
    _set(conn, current, status="resolved", resolved_at=at, resolved_by=None, **final)
    add_event(db, conn, tenant_id, current.id, at, "resolved",
              details={**(details or {}), "automatic": True})
    return _load(conn, tenant_id, current.id)


def active_keys(conn: Connection, tenant_id: int, prefix: str) -> dict[str, Any]:
    """Active alerts whose key starts with ``prefix`` (a detector's), by key."""
    a = schema.alerts
    rows = conn.execute(select(a).where(a.c.tenant_id == tenant_id, a.c.status.in_(ACTIVE),
                                        a.c.key.startswith(prefix, autoescape=True)))
    return {row.key: row for row in rows}


def add_event(db: Database, conn: Connection, tenant_id: int, alert_id: int, at: int,
              kind: str, *, user_id: int | None = None, comment: str | None = None,
              details: dict[str, Any] | None = None) -> None:
    conn.execute(schema.alert_events.insert().values(
        tenant_id=tenant_id, id=db.allocate_ids(conn, "alert_events"), alert_id=alert_id,
        at=at, kind=kind, user_id=user_id, comment=comment,
        details=orjson.dumps(details or {}).decode()))


def _where(conn: Connection, registry: Registry, tenant_id: int,
           asset_id: int | None) -> tuple[str | None, str | None]:
    """(commune, domain) of the asset an alert is about."""
    if asset_id is None:
        return None, None
    a = schema.assets
    row = conn.execute(select(a.c.kind, a.c.commune_insee).where(
        a.c.tenant_id == tenant_id, a.c.id == asset_id)).first()
    if row is None:
        return None, None
    return row.commune_insee, registry.kind_domain.get(row.kind)


def _set(conn: Connection, row: Any, **values: Any) -> None:
    a = schema.alerts
    conn.execute(update(a).where(a.c.tenant_id == row.tenant_id, a.c.id == row.id)
                 .values(**values))


def _load(conn: Connection, tenant_id: int, alert_id: int) -> Any:
    a = schema.alerts
    return conn.execute(select(a).where(a.c.tenant_id == tenant_id, a.c.id == alert_id)).first()


# -- what people do ------------------------------------------------------------------------------
def visible_alerts(scope: TenantScope):
    """The alerts a scope may see (a member limited to communes: theirs and those of no
    commune)."""
    a = schema.alerts
    clause = scope.owns(a)
    if scope.communes is not None:
        clause = and_(clause, or_(a.c.commune_insee.in_(sorted(scope.communes)),
                                  a.c.commune_insee.is_(None)))
    return clause


def get_alert(scope: TenantScope, conn: Connection, alert_id: int) -> Any:
    scope.require("read")
    if scope.role == "public":
        raise NotFound(f"Alerte {alert_id} introuvable dans ce territoire.")
    row = conn.execute(_with_asset().where(visible_alerts(scope), schema.alerts.c.id == alert_id)
                       ).first()
    if row is None:
        raise NotFound(f"Alerte {alert_id} introuvable dans ce territoire.")
    return row


def _with_asset():
    """Alerts with the name and reference of their asset."""
    a, s = schema.alerts, schema.assets
    return select(a, s.c.name.label("asset_name"), s.c.ref.label("asset_ref")).outerjoin(
        s, and_(s.c.tenant_id == a.c.tenant_id, s.c.id == a.c.asset_id))


def list_alerts(scope: TenantScope, conn: Connection, *, status: str | None = None,
                severity: str | None = None, commune: str | None = None,
                asset_id: int | None = None, domain: str | None = None,
                before_id: int | None = None, limit: int = 100) -> list[Any]:
    """Newest first. ``status`` may be ``active`` (open or acknowledged); ``severity`` is a
    minimum."""
    scope.require("read")
    if scope.role == "public":
        return []
    errors = []
    if status is not None and status not in (*STATUSES, "active"):
        errors.append({"field": "status", "message": "open, acknowledged, resolved ou active"})
    if severity is not None and severity not in SEVERITIES:
        errors.append({"field": "severity", "message": "info, warning ou critical"})
    if not 1 <= limit <= 1000:
        errors.append({"field": "limit", "message": "entre 1 et 1000"})
    if errors:
        raise Invalid("Filtre d'alertes invalide.", errors=errors)
    a = schema.alerts
    query = _with_asset().where(visible_alerts(scope)).order_by(a.c.id.desc()).limit(limit)
    if status == "active":
        query = query.where(a.c.status.in_(ACTIVE))
    elif status:
        query = query.where(a.c.status == status)
    if severity:
        query = query.where(a.c.severity.in_(SEVERITIES[SEVERITY_RANK[severity]:]))
    if commune:
        query = query.where(a.c.commune_insee == commune)
    if asset_id is not None:
        query = query.where(a.c.asset_id == asset_id)
    if domain:
        query = query.where(a.c.domain == domain)
    if before_id is not None:
        query = query.where(a.c.id < before_id)
    return list(conn.execute(query))


def history(scope: TenantScope, conn: Connection, alert_id: int) -> list[dict[str, Any]]:
    get_alert(scope, conn, alert_id)
    e, u = schema.alert_events, schema.users
    rows = conn.execute(select(e, u.c.email).outerjoin(u, u.c.id == e.c.user_id)
                        .where(e.c.tenant_id == scope.tenant_id, e.c.alert_id == alert_id)
                        .order_by(e.c.id))
    return [{"at": format_instant(r.at), "kind": r.kind, "user_id": r.user_id,
             "user_email": r.email, "comment": r.comment, "details": orjson.loads(r.details)}
            for r in rows]


def _comment(body: Any, required: bool) -> str | None:
    if not isinstance(body, dict):
        raise Invalid("Objet JSON attendu.")
    unknown = sorted(set(body) - {"comment"})
    if unknown:
        raise Invalid("Champ inconnu.", errors=[{"field": k, "message": "champ inconnu"}
                                                 for k in unknown])
    text = body.get("comment")
    if text is not None and not isinstance(text, str):
        raise Invalid("« comment » doit être un texte.",
                      errors=[{"field": "comment", "message": "texte attendu"}])
    text = (text or "").strip() or None
    if required and text is None:
        raise Invalid("Commentaire vide.", errors=[{"field": "comment",
                                                    "message": "commentaire obligatoire"}])
    if text is not None and len(text) > MAX_COMMENT:
        raise Invalid(f"Commentaire de plus de {MAX_COMMENT} caractères.",
                      errors=[{"field": "comment", "message": f"{MAX_COMMENT} caractères au plus"}])
    return text


def acknowledge_alert(scope: TenantScope, conn: Connection, alert_id: int, body: Any) -> Any:
    """Someone takes the alert in hand (who, when, optional comment)."""
    scope.require("write")
    comment = _comment(body, required=False)
    row = get_alert(scope, conn, alert_id)
    if row.status != "open":
        raise Conflict(f"L'alerte {alert_id} est déjà {STATUS_LABELS[row.status]}.")
    take_in_hand(scope, conn, row, comment=comment)
    scope.audit(conn, "acknowledge", "alert", alert_id, {"comment": comment})
    return get_alert(scope, conn, alert_id)


def take_in_hand(scope: TenantScope, conn: Connection, row: Any, *,
                 comment: str | None = None, details: dict[str, Any] | None = None,
                 at: int | None = None) -> None:
    """An open alert acknowledged by the scope's person (with its event), now or at ``at``
    (an intervention recorded after the fact), never before the alert opened."""
    now = now_ms() if at is None else max(min(at, now_ms()), row.opened_at)
    _set(conn, row, status="acknowledged", acknowledged_at=now,
         acknowledged_by=scope.principal.user_id)
    add_event(scope.db, conn, scope.tenant_id, row.id, now, "acknowledged",
              user_id=scope.principal.user_id, comment=comment, details=details)


def resolve_alert(scope: TenantScope, conn: Connection, alert_id: int, body: Any) -> Any:
    """Resolve by hand (the condition may still hold: a rule will raise it again)."""
    scope.require("write")
    comment = _comment(body, required=False)
    row = get_alert(scope, conn, alert_id)
    if row.status == "resolved":
        raise Conflict(f"L'alerte {alert_id} est déjà résolue.")
    now = now_ms()
    _set(conn, row, status="resolved", resolved_at=now, resolved_by=scope.principal.user_id)
    add_event(scope.db, conn, scope.tenant_id, alert_id, now, "resolved",
              user_id=scope.principal.user_id, comment=comment, details={"automatic": False})
    scope.audit(conn, "resolve", "alert", alert_id, {"comment": comment})
    return get_alert(scope, conn, alert_id)


def comment_alert(scope: TenantScope, conn: Connection, alert_id: int, body: Any) -> Any:
    scope.require("write")
    comment = _comment(body, required=True)
    row = get_alert(scope, conn, alert_id)
    add_event(scope.db, conn, scope.tenant_id, row.id, now_ms(), "commented",
              user_id=scope.principal.user_id, comment=comment)
    scope.audit(conn, "comment", "alert", alert_id, {"comment": comment})
    return row


def alert_public(row: Any, registry: Registry | None = None,
                 tz: ZoneInfo | None = None) -> dict[str, Any]:
    """An alert as API clients see it; with the registry, ``details_display`` gives its
    details in French (labels, units, local times in ``tz``)."""
    mapping = row._mapping
    doc = {"id": row.id, "key": row.key, "rule_id": row.rule_id, "detector": row.detector,
            "asset_id": row.asset_id, "asset_name": mapping.get("asset_name"),
            "asset_ref": mapping.get("asset_ref"), "stream_id": row.stream_id,
            "commune": row.commune_insee, "domain": row.domain, "severity": row.severity,
            "severity_label": SEVERITY_LABELS[row.severity], "status": row.status,
            "status_label": STATUS_LABELS[row.status], "title": row.title,
            "details": orjson.loads(row.details), "opened_at": format_instant(row.opened_at),
            "last_triggered_at": format_instant(row.last_triggered_at),
            "trigger_count": row.trigger_count,
            "acknowledged_at": format_instant(row.acknowledged_at),
            "acknowledged_by": row.acknowledged_by,
            "resolved_at": format_instant(row.resolved_at), "resolved_by": row.resolved_by,
            "resolved_automatically": row.resolved_at is not None and row.resolved_by is None,
            "last_notified_at": format_instant(row.last_notified_at),
            "escalated_at": format_instant(row.escalated_at)}
    if registry is not None:
        from .details import details_display

        doc["details_display"] = details_display(registry, doc["details"], row.detector,
                                                 row.rule_id, tz or ZoneInfo("Europe/Paris"))
    return doc
