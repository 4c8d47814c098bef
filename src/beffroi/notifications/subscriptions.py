"""Subscriptions: a member's wish to be e-mailed about alerts of some domains, communes
and severities, at once or (below critical) in a daily digest.

Members (viewer or above) manage their own; tenant admins manage anyone's in their
tenant. A member restricted to some communes is never told about alerts of other
communes, whatever the subscription says (checked again when routing).
"""

from __future__ import annotations

from typing import Any

import orjson
from sqlalchemy import Connection, delete, select, true, update

from ..core.access import TenantScope
from ..core.clock import format_instant, now_ms
from ..core.errors import Forbidden, Invalid, NotFound
from ..core.registry import Registry
from ..storage import schema
from .filters import as_list, check_domains, check_severity

FIELDS = {"user_id", "domains", "communes", "min_severity", "digest", "channel"}
CHANNELS = ("email",)
DEFAULT_MIN_SEVERITY = "warning"


def subscription_public(row: Any) -> dict[str, Any]:
    return {"id": row.id, "user_id": row.user_id, "domains": as_list(row.domains),
            "communes": as_list(row.communes), "min_severity": row.min_severity,
            "digest": bool(row.digest), "channel": row.channel,
            "created_at": format_instant(row.created_at)}


def _require_person(scope: TenantScope) -> int:
    """Subscriptions belong to people of the tenant (and to operators acting as admins)."""
    user_id = scope.principal.require_person()
    if scope.role in ("public", "device"):
        raise Forbidden("Les abonnements aux alertes sont réservés aux membres du territoire.")
    scope.require("read")
    return user_id


def _require_owner_or_admin(scope: TenantScope, user_id: int) -> None:
    if user_id != scope.principal.user_id and not scope.can("admin"):
        raise Forbidden("Vous ne pouvez gérer que vos propres abonnements ; ceux des autres "
                        "membres relèvent d'un administrateur du territoire.")


def _member(conn: Connection, scope: TenantScope, user_id: int) -> Any:
    m, u = schema.memberships, schema.users
    return conn.execute(select(m.c.user_id, m.c.communes).join(u, u.c.id == m.c.user_id)
                        .where(scope.owns(m), m.c.user_id == user_id,
                               u.c.active == true())).first()


def _check(scope: TenantScope, conn: Connection, registry: Registry, data: Any,
           current: Any | None) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise Invalid("Objet JSON attendu.")
    errors: list[dict[str, str]] = [{"field": k, "message": "champ inconnu"}
                                    for k in sorted(set(data) - FIELDS)]
    values: dict[str, Any] = {}
    member = None
    if current is None:
        user_id = data.get("user_id", scope.principal.user_id)
        if not isinstance(user_id, int) or isinstance(user_id, bool):
            errors.append({"field": "user_id", "message": "identifiant d'utilisateur attendu"})
        else:
            _require_owner_or_admin(scope, user_id)
            member = _member(conn, scope, user_id)
            if member is None:
                errors.append({"field": "user_id", "message": f"l'utilisateur {user_id} n'est pas "
                                                              "un membre actif du territoire"})
            values["user_id"] = user_id
    else:
        if "user_id" in data and data["user_id"] != current.user_id:
            errors.append({"field": "user_id", "message": "le titulaire d'un abonnement ne "
                                                          "change pas ; créez-en un autre"})
        member = _member(conn, scope, current.user_id)
    if "domains" in data:
        values["domains"] = check_domains(data["domains"], registry, errors)
    if "communes" in data:
        values["communes"] = _check_communes(scope, conn, data["communes"], member, errors)
    if "min_severity" in data or current is None:
        values["min_severity"] = check_severity(data.get("min_severity", DEFAULT_MIN_SEVERITY),
                                                "min_severity", errors)
    if "digest" in data:
        if not isinstance(data["digest"], bool):
            errors.append({"field": "digest", "message": "true ou false attendu"})
        values["digest"] = data["digest"] is True
    if "channel" in data and data["channel"] not in CHANNELS:
        errors.append({"field": "channel", "message": "seul « email » est disponible"})
    if errors:
        raise Invalid("Abonnement invalide.", errors=errors)
    return values


def _check_communes(scope: TenantScope, conn: Connection, value: Any, member: Any,
                    errors: list[dict[str, str]]) -> str | None:
    if value is None:
        return None
    if not isinstance(value, list) or not value or not all(isinstance(c, str) for c in value):
        errors.append({"field": "communes", "message": "liste non vide de codes INSEE attendue, "
                                                      "ou null pour toutes"})
        return None
    c = schema.communes
    known = {r.insee for r in conn.execute(select(c.c.insee).where(scope.owns(c)))}
    unknown = sorted({x for x in value if x not in known})
    if unknown:
        errors.append({"field": "communes",
                       "message": "communes absentes du territoire : " + ", ".join(unknown)})
        return None
    allowed = as_list(member.communes) if member is not None else None
    if allowed is not None:
        outside = sorted({x for x in value if x not in allowed})
        if outside:
            errors.append({"field": "communes", "message": "communes hors de l'accès de ce "
                                                           "membre : " + ", ".join(outside)})
            return None
    return orjson.dumps(sorted(set(value))).decode()


def list_subscriptions(scope: TenantScope, conn: Connection,
                       user_id: int | None = None) -> list[Any]:
    """The caller's own subscriptions; an admin sees everyone's (or one member's)."""
    me = _require_person(scope)
    s = schema.subscriptions
    query = select(s).where(scope.owns(s)).order_by(s.c.user_id, s.c.id)
    if not scope.can("admin"):
        if user_id is not None and user_id != me:
            raise Forbidden("Vous ne pouvez voir que vos propres abonnements.")
        user_id = me
    if user_id is not None:
        query = query.where(s.c.user_id == user_id)
    return list(conn.execute(query))


def get_subscription(scope: TenantScope, conn: Connection, subscription_id: int) -> Any:
    _require_person(scope)
    s = schema.subscriptions
    row = conn.execute(select(s).where(scope.owns(s), s.c.id == subscription_id)).first()
    if row is None:
        raise NotFound(f"Abonnement {subscription_id} introuvable dans ce territoire.")
    _require_owner_or_admin(scope, row.user_id)
    return row


def create_subscription(scope: TenantScope, conn: Connection, registry: Registry,
                        data: Any) -> Any:
    _require_person(scope)
    values = _check(scope, conn, registry, data, None)
    subscription_id = scope.db.allocate_ids(conn, "subscriptions")
    conn.execute(schema.subscriptions.insert().values(
        tenant_id=scope.tenant_id, id=subscription_id, channel="email", created_at=now_ms(),
        **values))
    row = get_subscription(scope, conn, subscription_id)
    scope.audit(conn, "create", "subscription", subscription_id, subscription_public(row))
    return row


def update_subscription(scope: TenantScope, conn: Connection, registry: Registry,
                        subscription_id: int, data: Any) -> Any:
    current = get_subscription(scope, conn, subscription_id)
    values = _check(scope, conn, registry, data, current)
    values.pop("user_id", None)
    if values:
        s = schema.subscriptions
        conn.execute(update(s).where(scope.owns(s), s.c.id == subscription_id).values(**values))
        scope.audit(conn, "update", "subscription", subscription_id,
                    {"user_id": current.user_id, **data})
    return get_subscription(scope, conn, subscription_id)


def delete_subscription(scope: TenantScope, conn: Connection, subscription_id: int) -> None:
    current = get_subscription(scope, conn, subscription_id)
    s = schema.subscriptions
    conn.execute(delete(s).where(scope.owns(s), s.c.id == subscription_id))
    scope.audit(conn, "delete", "subscription", subscription_id, {"user_id": current.user_id})


def subscribers(conn: Connection, tenant_id: int) -> list[Any]:
    """Every subscription of active members, with their e-mail and commune restriction."""
    s, m, u = schema.subscriptions, schema.memberships, schema.users
    return list(conn.execute(
        select(s, u.c.email, u.c.name, m.c.communes.label("member_communes"))
        .join(m, (m.c.tenant_id == s.c.tenant_id) & (m.c.user_id == s.c.user_id))
        .join(u, u.c.id == s.c.user_id)
        .where(s.c.tenant_id == tenant_id, u.c.active == true())
        .order_by(s.c.user_id, s.c.id)))
