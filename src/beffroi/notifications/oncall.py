"""The weekly on-call rota (astreinte) and the tenant's working hours.

A week starts on a local Monday (``week_start`` = its date, YYYY-MM-DD, in the tenant's
time zone) and names a primary, paged for critical alerts raised outside working hours,
and optionally a secondary, e-mailed when the primary has not acknowledged the alert
after ``escalation_delay_min``. Both must be able to act on any alert of the tenant:
members with the role agent or tenant admin, without commune restriction.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import orjson
from sqlalchemy import Connection, delete, select, true

from ..core.access import TenantScope
from ..core.clock import now_ms
from ..core.errors import Forbidden, Invalid, NotFound
from ..core.settings import parse_clock, with_defaults
from ..storage import schema
from .filters import member_sees

ONCALL_ROLES = ("agent", "tenant_admin")
FIELDS = {"primary_user_id", "secondary_user_id"}
MAX_WEEKS = 104
WEEKDAYS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def tenant_settings(tenant: Any) -> dict[str, Any]:
    return with_defaults(orjson.loads(tenant.settings))


def local_time(settings: dict[str, Any], at_ms: int) -> datetime:
    """The instant in the tenant's time zone (zoneinfo: daylight saving time included)."""
    return datetime.fromtimestamp(at_ms / 1000, tz=ZoneInfo(settings["timezone"]))


def monday_of(day: date) -> date:
    return day - timedelta(days=day.isoweekday() - 1)


def week_of(settings: dict[str, Any], at_ms: int) -> str:
    """``week_start`` of the rota week holding this instant."""
    return monday_of(local_time(settings, at_ms).date()).isoformat()


def outside_working_hours(settings: dict[str, Any], at_ms: int) -> bool:
    """Whether the instant falls outside the tenant's working hours (local wall clock)."""
    hours = settings["working_hours"]
    local = local_time(settings, at_ms)
    if local.isoweekday() not in hours["days"]:
        return True
    minute = local.hour * 60 + local.minute
    return not parse_clock(hours["start"]) <= minute < parse_clock(hours["end"])


def on_call(conn: Connection, tenant: Any, at_ms: int) -> tuple[int | None, int | None]:
    """(primary, secondary) user ids on call at that instant; (None, None) without rota."""
    o = schema.oncall_weeks
    row = conn.execute(select(o).where(o.c.tenant_id == tenant.id,
                                       o.c.week_start == week_of(tenant_settings(tenant), at_ms))
                       ).first()
    if row is None:
        return None, None
    return row.primary_user_id, row.secondary_user_id


def reachable(conn: Connection, alert: Any, user_id: int | None) -> Any | None:
    """The on-call person (id, email, name) if still an active member who can see the
    alert: the rota may be older than a removal or a new commune restriction."""
    if user_id is None:
        return None
    m, u = schema.memberships, schema.users
    row = conn.execute(select(u.c.id, u.c.email, u.c.name, m.c.communes)
                       .join(m, m.c.user_id == u.c.id)
                       .where(m.c.tenant_id == alert.tenant_id, u.c.id == user_id,
                              u.c.active == true())).first()
    if row is None or not member_sees(row.communes, alert):
        return None
    return row


# -- the rota, managed by tenant admins ------------------------------------------------------
def week_public(row: Any, people: dict[int, Any]) -> dict[str, Any]:
    def person(user_id: int | None) -> dict[str, Any] | None:
        if user_id is None:
            return None
        user = people.get(user_id)
        return {"id": user_id, "email": user.email if user else None,
                "name": user.name if user else None}

    return {"week_start": row.week_start,
            "week_end": (date.fromisoformat(row.week_start) + timedelta(days=6)).isoformat(),
            "primary": person(row.primary_user_id), "secondary": person(row.secondary_user_id)}


def people_of(conn: Connection, rows: list[Any]) -> dict[int, Any]:
    ids = {i for r in rows for i in (r.primary_user_id, r.secondary_user_id) if i is not None}
    if not ids:
        return {}
    u = schema.users
    return {r.id: r for r in conn.execute(select(u.c.id, u.c.email, u.c.name)
                                          .where(u.c.id.in_(sorted(ids))))}


def _require_member(scope: TenantScope) -> None:
    scope.require("read")
    if scope.role in ("public", "device"):
        raise Forbidden("Le tableau d'astreinte est réservé aux membres du territoire.")


def parse_week_start(text: Any, field: str = "week_start") -> str:
    if not isinstance(text, str) or not _DATE.match(text):
        raise Invalid("Date de semaine invalide.",
                      errors=[{"field": field, "message": "date AAAA-MM-JJ attendue"}])
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise Invalid("Date de semaine invalide.", errors=[
            {"field": field, "message": f"date inexistante « {text} »"}]) from None
    return day.isoformat()


def list_weeks(scope: TenantScope, conn: Connection, from_: str | None = None,
               limit: int = 52) -> list[dict[str, Any]]:
    """Rota weeks from the week holding ``from_`` (default: this week), in order."""
    _require_member(scope)
    if not 1 <= limit <= MAX_WEEKS:
        raise Invalid(f"« limit » doit être compris entre 1 et {MAX_WEEKS}.",
                      errors=[{"field": "limit", "message": f"entre 1 et {MAX_WEEKS}"}])
    if from_ is None:
        start = week_of(with_defaults(scope.settings), now_ms())
    else:
        start = monday_of(date.fromisoformat(parse_week_start(from_, "from"))).isoformat()
    o = schema.oncall_weeks
    rows = list(conn.execute(select(o).where(scope.owns(o), o.c.week_start >= start)
                             .order_by(o.c.week_start).limit(limit)))
    people = people_of(conn, rows)
    return [week_public(r, people) for r in rows]


def get_week(scope: TenantScope, conn: Connection, week_start: str) -> dict[str, Any]:
    _require_member(scope)
    o = schema.oncall_weeks
    row = conn.execute(select(o).where(scope.owns(o), o.c.week_start == week_start)).first()
    if row is None:
        raise NotFound(f"Aucune astreinte pour la semaine du {week_start}.")
    return week_public(row, people_of(conn, [row]))


def _eligible(conn: Connection, scope: TenantScope, value: Any, field: str,
              errors: list[dict[str, str]]) -> int | None:
    if not isinstance(value, int) or isinstance(value, bool):
        errors.append({"field": field, "message": "identifiant d'utilisateur attendu"})
        return None
    m, u = schema.memberships, schema.users
    row = conn.execute(select(m.c.role, m.c.communes).join(u, u.c.id == m.c.user_id)
                       .where(scope.owns(m), m.c.user_id == value, u.c.active == true())).first()
    if row is None:
        errors.append({"field": field, "message": f"l'utilisateur {value} n'est pas un membre "
                                                  "actif du territoire"})
    elif row.role not in ONCALL_ROLES:
        errors.append({"field": field, "message": "un membre d'astreinte doit pouvoir prendre "
                                                  "les alertes en compte (rôle agent ou "
                                                  "administrateur du territoire)"})
    elif row.communes:
        errors.append({"field": field, "message": "un membre d'astreinte doit avoir accès à "
                                                  "toutes les communes du territoire"})
    else:
        return value
    return None


def set_week(scope: TenantScope, conn: Connection, week_start: str,
             data: Any) -> dict[str, Any]:
    """Create or replace the rota of one week."""
    scope.require("admin")
    week_start = parse_week_start(week_start)
    if not isinstance(data, dict):
        raise Invalid("Objet JSON attendu.")
    errors: list[dict[str, str]] = [{"field": k, "message": "champ inconnu"}
                                    for k in sorted(set(data) - FIELDS)]
    day = date.fromisoformat(week_start)
    if day.isoweekday() != 1:
        errors.append({"field": "week_start",
                       "message": f"le {week_start} est un {WEEKDAYS[day.isoweekday() - 1]} ; "
                                  "une semaine d'astreinte commence un lundi"})
    if "primary_user_id" not in data:
        errors.append({"field": "primary_user_id", "message": "obligatoire"})
        primary = None
    else:
        primary = _eligible(conn, scope, data["primary_user_id"], "primary_user_id", errors)
    secondary = None
    if data.get("secondary_user_id") is not None:
        secondary = _eligible(conn, scope, data["secondary_user_id"], "secondary_user_id",
                              errors)
        if secondary is not None and secondary == primary:
            errors.append({"field": "secondary_user_id",
                           "message": "le suppléant doit être une autre personne que le titulaire"})
    if errors:
        raise Invalid("Semaine d'astreinte invalide.", errors=errors)
    o = schema.oncall_weeks
    existed = conn.execute(select(o.c.week_start).where(
        scope.owns(o), o.c.week_start == week_start)).first() is not None
    conn.execute(delete(o).where(scope.owns(o), o.c.week_start == week_start))
    conn.execute(o.insert().values(tenant_id=scope.tenant_id, week_start=week_start,
                                   primary_user_id=primary, secondary_user_id=secondary))
    scope.audit(conn, "update" if existed else "create", "oncall_week", week_start,
                {"primary_user_id": primary, "secondary_user_id": secondary})
    return get_week(scope, conn, week_start)


def delete_week(scope: TenantScope, conn: Connection, week_start: str) -> None:
    scope.require("admin")
    week_start = parse_week_start(week_start)
    get_week(scope, conn, week_start)
    o = schema.oncall_weeks
    conn.execute(delete(o).where(scope.owns(o), o.c.week_start == week_start))
    scope.audit(conn, "delete", "oncall_week", week_start)
