"""Who may open the register: the members a territory administrator designated as its
referents (« référents du registre »). The grant is per member and per territory, in its own
table, beside the member's role: an agent or an élu can be a referent; an administrator is
not one unless granted (and the grant is audited)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, and_, select

from ....core import clock
from ....core.access import MEMBER_ROLES, TenantScope
from ....core.errors import Forbidden, NotFound
from ....storage import schema

REFUSED = ("Le registre des personnes vulnérables est confidentiel : seuls les référents du "
           "registre désignés par le territoire y ont accès (art. R121-3 CASF).")


def is_referent(scope: TenantScope, conn: Connection) -> bool:
    user_id = scope.principal.user_id
    if user_id is None or scope.role not in MEMBER_ROLES or scope.principal.actor:
        return False
    r = schema.register_referents
    return conn.execute(select(r.c.user_id).where(
        scope.owns(r), r.c.user_id == user_id)).first() is not None


def require_referent(scope: TenantScope, conn: Connection) -> None:
    """403 for anyone but a referent of this territory (401 for nobody)."""
    scope.require("read")  # anonymous callers: 401
    if not is_referent(scope, conn):
        raise Forbidden(REFUSED)


def _member(scope: TenantScope, conn: Connection, user_id: int) -> Any:
    m, u = schema.memberships, schema.users
    row = conn.execute(select(u.c.id, u.c.email, u.c.name, m.c.role).join(
        m, and_(m.c.user_id == u.c.id, m.c.tenant_id == scope.tenant_id)).where(
        u.c.id == user_id)).first()
    if row is None:
        raise NotFound(f"Membre {user_id} introuvable dans ce territoire.")
    return row


def list_referents(scope: TenantScope, conn: Connection) -> list[dict[str, Any]]:
    scope.require("admin")
    r, u = schema.register_referents, schema.users
    rows = conn.execute(select(r, u.c.email, u.c.name).join(u, u.c.id == r.c.user_id)
                        .where(scope.owns(r)).order_by(u.c.email))
    return [{"user_id": row.user_id, "email": row.email, "name": row.name,
             "granted_at": clock.format_instant(row.granted_at)} for row in rows]


def grant_referent(scope: TenantScope, conn: Connection, user_id: int) -> list[dict[str, Any]]:
    """Designate a member as a referent of the register (territory administrators)."""
    scope.require("admin")
    _member(scope, conn, user_id)
    r = schema.register_referents
    if conn.execute(select(r.c.user_id).where(scope.owns(r), r.c.user_id == user_id)).first():
        return list_referents(scope, conn)
    conn.execute(r.insert().values(tenant_id=scope.tenant_id, user_id=user_id,
                                   granted_by=scope.principal.user_id, granted_at=clock.now_ms()))
    scope.audit(conn, "register.grant", "register_referent", user_id)
    return list_referents(scope, conn)


def revoke_referent(scope: TenantScope, conn: Connection, user_id: int) -> list[dict[str, Any]]:
    scope.require("admin")
    r = schema.register_referents
    gone = conn.execute(r.delete().where(scope.owns(r), r.c.user_id == user_id)).rowcount
    if not gone:
        raise NotFound(f"Le membre {user_id} n'est pas référent du registre.")
    scope.audit(conn, "register.revoke", "register_referent", user_id)
    return list_referents(scope, conn)
