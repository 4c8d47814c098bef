"""Who may see and change what: the one tenant-scoped data-access layer.

Every read or write of tenant data goes through a ``TenantScope``. It is the
only place that adds ``tenant_id`` to queries and that knows about roles,
commune restrictions and public publication, so isolation is enforced here
once and not in each route.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal
from zoneinfo import ZoneInfo

import orjson
from sqlalchemy import ColumnElement, Connection, and_, false, select, true

from ..storage import schema
from ..storage.database import Database
from .audit import AuditEntry, write_audit
from .errors import Forbidden, NotFound, Unauthorized
from .storable import as_id

Role = Literal["operator_admin", "tenant_admin", "agent", "viewer", "public", "device"]
Action = Literal["read", "write", "admin"]
MEMBER_ROLES = ("tenant_admin", "agent", "viewer")
ROLE_LABELS = {
    "operator_admin": "administrateur opérateur",
    "tenant_admin": "administrateur du territoire",
    "agent": "agent technique",
    "viewer": "élu / lecteur",
    "public": "public",
    "device": "équipement",
}
_RANK = {"public": 0, "device": 0, "viewer": 1, "agent": 2, "tenant_admin": 3, "operator_admin": 4}
_NEEDED = {"read": 1, "write": 2, "admin": 3}


@dataclass(frozen=True)
class Membership:
    role: str
    communes: frozenset[str] | None = None  # None = the whole tenant


@dataclass(frozen=True)
class Principal:
    """The authenticated caller: a person, a device, or nobody."""

    user_id: int | None = None
    email: str | None = None
    is_operator_admin: bool = False
    memberships: Mapping[int, Membership] = field(default_factory=dict)
    device_tenant_id: int | None = None
    device_id: int | None = None
    actor: str | None = None  # who acts when no user account does (e.g. "cli")
    token_id: int | None = None  # the token (session, personal, device) it came with
    token_used_at: int | None = None  # that token's last recorded use, epoch ms

    @property
    def is_anonymous(self) -> bool:
        return self.user_id is None and self.device_id is None

    def require_person(self) -> int:
        if self.user_id is None:
            raise Unauthorized("Connexion requise.")
        return self.user_id

    def require_operator(self) -> None:
        if not self.is_operator_admin:
            if self.is_anonymous:
                raise Unauthorized("Connexion requise.")
            raise Forbidden("Réservé aux administrateurs de l'opérateur.")


ANONYMOUS = Principal()
# The command line runs on the server, by its operator: full rights, audited as "cli".
CLI = Principal(is_operator_admin=True, actor="cli")
# Periodic jobs acting on their own (a seasonal push...): full rights, audited as "system".
SYSTEM = Principal(is_operator_admin=True, actor="system")


def load_principal(conn: Connection, user_id: int) -> Principal:
    u = schema.users
    row = conn.execute(select(u).where(u.c.id == user_id, u.c.active == true())).first()
    if row is None:
        raise Unauthorized("Compte inconnu ou désactivé.")
    m = schema.memberships
    memberships = {
        r.tenant_id: Membership(
            r.role, frozenset(orjson.loads(r.communes)) if r.communes else None
        )
        for r in conn.execute(select(m).where(m.c.user_id == user_id))
    }
    return Principal(
        user_id=row.id,
        email=row.email,
        is_operator_admin=bool(row.is_operator_admin),
        memberships=memberships,
    )


def find_tenant(conn: Connection, ref: str | int) -> Any:
    """A tenant row by numeric id or by SIREN (9 digits); None when unknown."""
    t = schema.tenants
    text = str(ref)
    tenant_id = as_id(text)
    if len(text) == 9 and tenant_id is not None:
        row = conn.execute(select(t).where(t.c.siren == text)).first()
        if row is not None:
            return row
    if tenant_id is not None:
        return conn.execute(select(t).where(t.c.id == tenant_id)).first()
    return None


@dataclass
class TenantScope:
    """A principal's view of one tenant."""

    db: Database
    principal: Principal
    tenant: Any  # tenants row
    role: Role
    communes: frozenset[str] | None = None  # commune restriction
    kinds: frozenset[str] | None = None  # kind restriction (public access)

    @property
    def tenant_id(self) -> int:
        return self.tenant.id

    @property
    def settings(self) -> dict[str, Any]:
        return orjson.loads(self.tenant.settings)

    @property
    def zone(self) -> ZoneInfo:
        """The tenant's time zone (setting ``timezone``)."""
        return ZoneInfo(self.settings.get("timezone") or "Europe/Paris")

    def can(self, action: Action) -> bool:
        if action == "read" and self.role == "public":
            return True  # restricted to published kinds by asset_visible()
        return _RANK[self.role] >= _NEEDED[action]

    def require(self, action: Action) -> None:
        if not self.can(action):
            if self.principal.is_anonymous:
                raise Unauthorized("Connexion requise pour cette action.")
            raise Forbidden(
                f"Votre rôle ({ROLE_LABELS[self.role]}) ne permet pas cette action."
            )

    # -- query building: every tenant query gets its clauses from here ----------
    def owns(self, table) -> ColumnElement[bool]:
        return table.c.tenant_id == self.tenant_id

    def asset_visible(self, assets=schema.assets) -> ColumnElement[bool]:
        clauses = [assets.c.tenant_id == self.tenant_id]
        if self.communes is not None:
            clauses.append(assets.c.commune_insee.in_(sorted(self.communes)))
        if self.kinds is not None:
            clauses.append(assets.c.kind.in_(sorted(self.kinds)) if self.kinds else false())
        return and_(*clauses)

    def commune_visible(self, communes=schema.communes) -> ColumnElement[bool]:
        clause = communes.c.tenant_id == self.tenant_id
        if self.communes is not None:
            clause = and_(clause, communes.c.insee.in_(sorted(self.communes)))
        return clause

    def require_commune(self, insee: str | None) -> None:
        """Writes may only touch the communes this scope is restricted to."""
        if self.communes is not None and insee not in self.communes:
            raise Forbidden(
                f"Votre accès est limité à certaines communes ; « {insee} » n'en fait pas partie."
            )

    # -- single-object access ------------------------------------------------
    def asset(self, conn: Connection, asset_id: int) -> Any:
        a = schema.assets
        row = conn.execute(select(a).where(self.asset_visible(), a.c.id == asset_id)).first()
        if row is None:
            raise NotFound(f"Équipement {asset_id} introuvable dans ce territoire.")
        return row

    def stream(self, conn: Connection, stream_id: int) -> Any:
        s, a = schema.streams, schema.assets
        row = conn.execute(
            select(s)
            .join(a, and_(a.c.tenant_id == s.c.tenant_id, a.c.id == s.c.asset_id))
            .where(self.owns(s), self.asset_visible(a), s.c.id == stream_id)
        ).first()
        if row is None:
            raise NotFound(f"Flux {stream_id} introuvable dans ce territoire.")
        return row

    def serialise_writes(self, conn: Connection) -> None:
        """Serialise, until the transaction ends, the writes of this territory that must
        see each other (an alert and the same one sent 3 ms later, two crisis logs opened
        at once): the second waits for the first to commit, then reads what it wrote. The
        tenant's row, locked ``FOR NO KEY UPDATE`` on PostgreSQL; SQLite serialises every
        write already."""
        t = schema.tenants
        conn.execute(select(t.c.id).where(t.c.id == self.tenant_id)
                     .with_for_update(key_share=True))

    def audit(self, conn: Connection, action: str, entity: str, entity_id: Any,
              details: Mapping[str, Any] | None = None) -> None:
        """Record a write made by a person (device writes are not audited)."""
        entry = self.audit_entry(action, entity, entity_id, details)
        if entry is not None:
            write_audit(conn, self.db, entry.tenant_id, entry.user_id, entry.action,
                        entry.entity, entry.entity_id, entry.details)

    def audit_entry(self, action: str, entity: str, entity_id: Any,
                    details: Mapping[str, Any] | None = None) -> AuditEntry | None:
        """The audit entry of a write (None for a device's): for writers that record the
        entries of many writes at once (``write_audits``)."""
        if self.principal.user_id is None and self.principal.actor is None:
            return None
        if self.principal.actor:
            details = {**(details or {}), "actor": self.principal.actor}
        return AuditEntry(self.tenant_id, self.principal.user_id, action, entity, entity_id,
                          details)


def open_scope(db: Database, conn: Connection, principal: Principal, ref: str | int) -> TenantScope:
    """Resolve the tenant and the principal's rights in it; 404 if nothing is visible."""
    return scope_of(db, principal, find_tenant(conn, ref), ref)


def scope_of(db: Database, principal: Principal, tenant: Any, ref: str | int) -> TenantScope:
    """The principal's rights in a tenant row already read (None: unknown, named ``ref``)."""
    if tenant is None:
        raise NotFound(f"Territoire « {ref} » introuvable.")
    if principal.is_operator_admin:
        return TenantScope(db, principal, tenant, "operator_admin")
    membership = principal.memberships.get(tenant.id)
    if membership is not None:
        return TenantScope(db, principal, tenant, membership.role, membership.communes)  # type: ignore[arg-type]
    if principal.device_tenant_id == tenant.id:
        return TenantScope(db, principal, tenant, "device", kinds=frozenset())
    published = frozenset(orjson.loads(tenant.settings).get("published_kinds") or ())
    if published:
        return TenantScope(db, principal, tenant, "public", kinds=published)
    if principal.is_anonymous:
        raise Unauthorized("Connexion requise pour accéder à ce territoire.")
    raise NotFound(f"Territoire « {ref} » introuvable.")
