"""Users of the instance and their memberships (user x tenant x role [x communes]).

An account is global: one e-mail address, one password, possibly members of several
tenants. So no tenant admin may set or know its password, and a tenant admin only ever
*invites* an address (``invitations``); the membership exists once the person accepts.
Operator admins create accounts with a password (``POST /users``, ``beffroi user create``)
for instances that cannot send e-mail.
"""

from __future__ import annotations

from typing import Any

import orjson
from sqlalchemy import Connection, and_, delete, func, select, update

from ..storage import schema
from ..storage.database import Database
from .access import MEMBER_ROLES, Principal, TenantScope
from .audit import write_audit
from .auth import EMAIL_RE, hash_password, normalise_email, revoke_credentials
from .clock import now_ms
from .errors import Conflict, Invalid, NotFound
from .storable import as_id

MIN_PASSWORD = 8


def user_public(row: Any) -> dict[str, Any]:
    return {"id": row.id, "email": row.email, "name": row.name,
            "is_operator_admin": bool(row.is_operator_admin), "active": bool(row.active)}


def check_new_password(password: Any, *, field: str = "password",
                       allow_short: bool = False) -> str:
    """The rules every new password keeps (creation, reset, change); quick: no hashing."""
    if not isinstance(password, str) or (len(password) < MIN_PASSWORD and not allow_short):
        raise Invalid(f"Mot de passe trop court : {MIN_PASSWORD} caractères au moins.",
                      errors=[{"field": field, "message": "trop court"}])
    return password


def new_password_hash(password: Any, *, allow_short: bool = False) -> str:
    """Check and hash a new password. Slow on purpose (argon2): call it before opening a
    transaction, never inside one."""
    return hash_password(check_new_password(password, allow_short=allow_short))


def check_email(email: Any) -> str:
    text = normalise_email(email)
    if email is None or (isinstance(email, str) and not text):  # (nothing typed)
        raise Invalid("Adresse e-mail obligatoire.",
                      errors=[{"field": "email", "message": "adresse e-mail obligatoire"}])
    if not EMAIL_RE.match(text):
        shown = text if text.isprintable() else repr(text)
        raise Invalid(f"Adresse e-mail invalide « {shown[:320]} ».",
                      errors=[{"field": "email", "message": "adresse e-mail invalide"}])
    return text


def create_user(db: Database, conn: Connection, *, email: str, name: str | None = None,
                password_hash: str | None = None, is_operator_admin: bool = False,
                actor: int | None = None) -> dict[str, Any]:
    """A new account; ``password_hash`` from ``new_password_hash`` (None: the person
    chooses it through a one-time link)."""
    email = check_email(email)
    if name is not None and not isinstance(name, str):
        raise Invalid("Nom invalide : texte attendu.",
                      errors=[{"field": "name", "message": "texte attendu"}])
    u = schema.users
    if conn.execute(select(u.c.id).where(u.c.email == email)).first():
        raise Conflict(f"Un compte existe déjà pour {email}.")
    user_id = db.allocate_ids(conn, "users")
    conn.execute(u.insert().values(
        id=user_id, email=email, name=(name or email.split("@")[0]).strip(),
        password_hash=password_hash, is_operator_admin=bool(is_operator_admin), active=True,
        created_at=now_ms(),
    ))
    write_audit(conn, db, 0, actor, "create", "user", user_id,
                {"email": email, "is_operator_admin": bool(is_operator_admin)})
    return user_public(conn.execute(select(u).where(u.c.id == user_id)).one())


def find_user(conn: Connection, email_or_id: str | int) -> Any:
    u = schema.users
    text = str(email_or_id)
    user_id = as_id(text)
    query = select(u).where(u.c.id == user_id) if user_id is not None else \
        select(u).where(u.c.email == text.strip().lower())
    row = conn.execute(query).first()
    if row is None:
        raise NotFound(f"Utilisateur « {email_or_id} » introuvable.")
    return row


def list_users(conn: Connection, principal: Principal) -> list[dict[str, Any]]:
    principal.require_operator()
    return [user_public(r) for r in conn.execute(select(schema.users).order_by(schema.users.c.email))]


def store_password_hash(db: Database, conn: Connection, user_id: int, password_hash: str,
                        actor: int | None, details: dict[str, Any] | None = None) -> None:
    u = schema.users
    conn.execute(update(u).where(u.c.id == user_id).values(password_hash=password_hash))
    write_audit(conn, db, 0, actor, "update", "user", user_id,
                {"password": "changed", **(details or {})})


def deactivate_account(db: Database, conn: Connection, user_id: int, *,
                       actor: int | None, details: dict[str, Any] | None = None
                       ) -> dict[str, Any]:
    """Deactivate an account: no log-in, no reset, no token works any more; its sessions,
    personal tokens, one-time links and pending invitations are deleted."""
    row = find_user(conn, user_id)
    if actor is not None and row.id == actor:
        raise Invalid("Vous ne pouvez pas désactiver votre propre compte.")
    u, i = schema.users, schema.invitations
    conn.execute(update(u).where(u.c.id == row.id).values(active=False))
    revoked = revoke_credentials(conn, row.id)
    conn.execute(delete(i).where(i.c.user_id == row.id))
    write_audit(conn, db, 0, actor, "deactivate", "user", row.id,
                {**(details or {}), "credentials_revoked": revoked})
    return user_public(find_user(conn, row.id))


def activate_account(db: Database, conn: Connection, user_id: int, *,
                     actor: int | None) -> dict[str, Any]:
    row = find_user(conn, user_id)
    u = schema.users
    conn.execute(update(u).where(u.c.id == row.id).values(active=True))
    write_audit(conn, db, 0, actor, "activate", "user", row.id)
    return user_public(find_user(conn, row.id))


# -- memberships ------------------------------------------------------------------------

def validate_membership(conn: Connection, scope: TenantScope, role: Any,
                        communes: Any) -> tuple[str, str | None]:
    """(role, communes as stored) for this tenant, or 422 naming the wrong fields."""
    errors = []
    if role not in MEMBER_ROLES:
        errors.append({"field": "role", "message": f"rôle inconnu « {role} » (attendu : "
                                                    + ", ".join(MEMBER_ROLES) + ")"})
    stored = None
    if communes is not None:
        if not isinstance(communes, list) or not all(isinstance(c, str) for c in communes):
            errors.append({"field": "communes", "message": "liste de codes INSEE attendue"})
        else:
            c = schema.communes
            known = {r.insee for r in conn.execute(select(c.c.insee).where(scope.owns(c)))}
            unknown = [x for x in communes if x not in known]
            if unknown:
                errors.append({"field": "communes",
                               "message": "communes absentes du territoire : " + ", ".join(unknown)})
            stored = orjson.dumps(sorted(set(communes))).decode()
    if errors:
        raise Invalid("Rattachement invalide.", errors=errors)
    return role, stored


def member_public(row: Any) -> dict[str, Any]:
    """A member as the tenant's admins see it: nothing about the account's standing
    elsewhere on the instance (other tenants, operator rights)."""
    return {"id": row.id, "email": row.email, "name": row.name, "active": bool(row.active),
            "role": row.role,
            "communes": orjson.loads(row.communes) if row.communes else None}


def list_members(scope: TenantScope, conn: Connection) -> list[dict[str, Any]]:
    scope.require("admin")
    m, u = schema.memberships, schema.users
    rows = conn.execute(select(u, m.c.role, m.c.communes).join(m, m.c.user_id == u.c.id)
                        .where(scope.owns(m)).order_by(u.c.email))
    return [member_public(r) for r in rows]


def grant_membership(conn: Connection, tenant_id: int, user_id: int, role: str,
                     communes: str | None) -> None:
    """Insert a membership already validated and consented to (the caller audits it)."""
    conn.execute(schema.memberships.insert().values(tenant_id=tenant_id, user_id=user_id,
                                                    role=role, communes=communes))


def is_member(conn: Connection, tenant_id: int, user_id: int) -> bool:
    m = schema.memberships
    return conn.execute(select(m.c.user_id).where(
        m.c.tenant_id == tenant_id, m.c.user_id == user_id)).first() is not None


def add_member(scope: TenantScope, conn: Connection, data: dict[str, Any]) -> dict[str, Any]:
    """Operator provisioning from the server side (command line, set-up code): create the
    account if needed (with ``password``, hashed here, inside the caller's transaction)
    and give it the role at once. The API never attaches an account this way: tenant
    admins invite (``invitations.invite_member``)."""
    scope.principal.require_operator()
    role, communes = validate_membership(conn, scope, data.get("role"), data.get("communes"))
    u = schema.users
    row = conn.execute(select(u).where(u.c.email == normalise_email(data.get("email")))).first()
    if row is None:
        password = data.get("password")
        create_user(scope.db, conn, email=data.get("email"), name=data.get("name"),
                    password_hash=None if password is None else new_password_hash(password),
                    actor=scope.principal.user_id)
        row = find_user(conn, normalise_email(data.get("email")))
    elif data.get("password") is not None:
        raise Conflict(f"Un compte existe déjà pour {row.email} : son mot de passe ne "
                       "change pas ici.")
    if is_member(conn, scope.tenant_id, row.id):
        raise Conflict(f"{row.email} est déjà membre de ce territoire.")
    grant_membership(conn, scope.tenant_id, row.id, role, communes)
    scope.audit(conn, "create", "membership", row.id, {"role": role, "communes": communes})
    return get_member(scope, conn, row.id)


def get_member(scope: TenantScope, conn: Connection, user_id: int) -> dict[str, Any]:
    scope.require("admin")
    m, u = schema.memberships, schema.users
    row = conn.execute(select(u, m.c.role, m.c.communes).join(m, m.c.user_id == u.c.id)
                       .where(scope.owns(m), m.c.user_id == user_id)).first()
    if row is None:
        raise NotFound(f"Membre {user_id} introuvable dans ce territoire.")
    return member_public(row)


def update_member(scope: TenantScope, conn: Connection, user_id: int,
                  data: dict[str, Any]) -> dict[str, Any]:
    current = get_member(scope, conn, user_id)
    if not data:  # an empty change (``{}``) changes nothing
        return current
    role, communes = validate_membership(conn, scope, data.get("role", current["role"]),
                                         data.get("communes", current["communes"]))
    m = schema.memberships
    conn.execute(update(m).where(scope.owns(m), m.c.user_id == user_id)
                 .values(role=role, communes=communes))
    scope.audit(conn, "update", "membership", user_id, {"role": role, "communes": communes})
    return get_member(scope, conn, user_id)


def remove_member(scope: TenantScope, conn: Connection, user_id: int,
                  details: dict[str, Any] | None = None) -> None:
    get_member(scope, conn, user_id)
    m = schema.memberships
    conn.execute(delete(m).where(scope.owns(m), m.c.user_id == user_id))
    scope.audit(conn, "delete", "membership", user_id, details)


def deactivate_member(scope: TenantScope, conn: Connection, user_id: int) -> None:
    """« Désactiver le compte » from a tenant's administration: the person loses this
    tenant at once; the account itself is deactivated (every credential revoked) only
    when nothing else on the instance depends on it — no other tenant's membership or
    pending invitation, no operator rights — so that one tenant's admin cannot lock a
    person out of another tenant. The answer is the same either way: it says nothing
    about the account's other tenants."""
    scope.require("admin")
    if user_id == scope.principal.user_id:
        raise Invalid("Vous ne pouvez pas désactiver votre propre compte.")
    remove_member(scope, conn, user_id, {"reason": "deactivate"})
    m, i, u = schema.memberships, schema.invitations, schema.users
    elsewhere = conn.execute(select(func.count()).select_from(m).where(m.c.user_id == user_id)
                             ).scalar_one() + conn.execute(
        select(func.count()).select_from(i).where(and_(i.c.user_id == user_id,
                                                       i.c.tenant_id != scope.tenant_id))
    ).scalar_one()
    row = conn.execute(select(u).where(u.c.id == user_id)).one()
    if not elsewhere and not row.is_operator_admin and row.active:
        deactivate_account(scope.db, conn, user_id, actor=scope.principal.user_id,
                           details={"by_tenant": scope.tenant_id})
