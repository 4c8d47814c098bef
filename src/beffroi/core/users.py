"""Users of the instance and their memberships (user x tenant x role [x communes])."""

from __future__ import annotations

import re
from typing import Any

import orjson
from sqlalchemy import Connection, delete, select, update

from ..storage import schema
from ..storage.database import Database
from .access import MEMBER_ROLES, Principal, TenantScope
from .audit import write_audit
from .auth import hash_password
from .clock import now_ms
from .errors import Conflict, Invalid, NotFound

EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MIN_PASSWORD = 8


def user_public(row: Any) -> dict[str, Any]:
    return {"id": row.id, "email": row.email, "name": row.name,
            "is_operator_admin": bool(row.is_operator_admin), "active": bool(row.active)}


def _check_password(password: Any, *, allow_short: bool = False) -> str:
    if not isinstance(password, str) or (len(password) < MIN_PASSWORD and not allow_short):
        raise Invalid(f"Mot de passe trop court : {MIN_PASSWORD} caractères au moins.",
                      errors=[{"field": "password", "message": "trop court"}])
    return password


def create_user(db: Database, conn: Connection, *, email: str, name: str | None = None,
                password: str | None = None, is_operator_admin: bool = False,
                actor: int | None = None, allow_short_password: bool = False) -> dict[str, Any]:
    email = (email or "").strip().lower()
    if not EMAIL_RE.match(email):
        raise Invalid(f"Adresse e-mail invalide « {email} ».",
                      errors=[{"field": "email", "message": "adresse e-mail invalide"}])
    u = schema.users
    if conn.execute(select(u.c.id).where(u.c.email == email)).first():
        raise Conflict(f"Un compte existe déjà pour {email}.")
    pw_hash = None
    if password is not None:
        pw_hash = hash_password(_check_password(password, allow_short=allow_short_password))
    user_id = db.allocate_ids(conn, "users")
    conn.execute(u.insert().values(
        id=user_id, email=email, name=(name or email.split("@")[0]).strip(),
        password_hash=pw_hash, is_operator_admin=bool(is_operator_admin), active=True,
        created_at=now_ms(),
    ))
    write_audit(conn, db, 0, actor, "create", "user", user_id,
                {"email": email, "is_operator_admin": bool(is_operator_admin)})
    return user_public(conn.execute(select(u).where(u.c.id == user_id)).one())


def find_user(conn: Connection, email_or_id: str | int) -> Any:
    u = schema.users
    text = str(email_or_id)
    query = select(u).where(u.c.id == int(text)) if text.isdigit() else \
        select(u).where(u.c.email == text.strip().lower())
    row = conn.execute(query).first()
    if row is None:
        raise NotFound(f"Utilisateur « {email_or_id} » introuvable.")
    return row


def list_users(conn: Connection, principal: Principal) -> list[dict[str, Any]]:
    principal.require_operator()
    return [user_public(r) for r in conn.execute(select(schema.users).order_by(schema.users.c.email))]


def set_password(db: Database, conn: Connection, user_id: int, password: str,
                 actor: int | None) -> None:
    u = schema.users
    conn.execute(update(u).where(u.c.id == user_id).values(
        password_hash=hash_password(_check_password(password))))
    write_audit(conn, db, 0, actor, "update", "user", user_id, {"password": "changed"})


# -- memberships ------------------------------------------------------------------

def _validate_membership(conn: Connection, scope: TenantScope, role: Any,
                         communes: Any) -> tuple[str, str | None]:
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


def member_public(user: Any, membership: Any) -> dict[str, Any]:
    return {**user_public(user), "role": membership.role,
            "communes": orjson.loads(membership.communes) if membership.communes else None}


def list_members(scope: TenantScope, conn: Connection) -> list[dict[str, Any]]:
    scope.require("admin")
    m, u = schema.memberships, schema.users
    rows = conn.execute(select(u, m.c.role, m.c.communes).join(m, m.c.user_id == u.c.id)
                        .where(scope.owns(m)).order_by(u.c.email))
    return [member_public(r, r) for r in rows]


def add_member(scope: TenantScope, conn: Connection, data: dict[str, Any]) -> dict[str, Any]:
    """Attach a user (created if needed) to the tenant with a role."""
    scope.require("admin")
    role, communes = _validate_membership(conn, scope, data.get("role"), data.get("communes"))
    email = data.get("email")
    u = schema.users
    row = conn.execute(select(u).where(u.c.email == str(email or "").strip().lower())).first()
    if row is None:
        create_user(scope.db, conn, email=email, name=data.get("name"),
                    password=data.get("password"), actor=scope.principal.user_id)
        row = find_user(conn, email)
    m = schema.memberships
    if conn.execute(select(m.c.user_id).where(scope.owns(m), m.c.user_id == row.id)).first():
        raise Conflict(f"{row.email} est déjà membre de ce territoire.")
    conn.execute(m.insert().values(tenant_id=scope.tenant_id, user_id=row.id, role=role,
                                   communes=communes))
    scope.audit(conn, "create", "membership", row.id, {"role": role, "communes": communes})
    return get_member(scope, conn, row.id)


def get_member(scope: TenantScope, conn: Connection, user_id: int) -> dict[str, Any]:
    scope.require("admin")
    m, u = schema.memberships, schema.users
    row = conn.execute(select(u, m.c.role, m.c.communes).join(m, m.c.user_id == u.c.id)
                       .where(scope.owns(m), m.c.user_id == user_id)).first()
    if row is None:
        raise NotFound(f"Membre {user_id} introuvable dans ce territoire.")
    return member_public(row, row)


def update_member(scope: TenantScope, conn: Connection, user_id: int,
                  data: dict[str, Any]) -> dict[str, Any]:
    current = get_member(scope, conn, user_id)
    role, communes = _validate_membership(conn, scope, data.get("role", current["role"]),
                                          data.get("communes", current["communes"]))
    m = schema.memberships
    conn.execute(update(m).where(scope.owns(m), m.c.user_id == user_id)
                 .values(role=role, communes=communes))
    scope.audit(conn, "update", "membership", user_id, {"role": role, "communes": communes})
    return get_member(scope, conn, user_id)


def remove_member(scope: TenantScope, conn: Connection, user_id: int) -> None:
    get_member(scope, conn, user_id)
    m = schema.memberships
    conn.execute(delete(m).where(scope.owns(m), m.c.user_id == user_id))
    scope.audit(conn, "delete", "membership", user_id)
