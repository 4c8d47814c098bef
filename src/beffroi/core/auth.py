"""Passwords (argon2) and bearer tokens (random secrets, stored as SHA-256)."""

from __future__ import annotations

import hashlib
import secrets
from typing import Any, Literal

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Connection, delete, select, update

from ..storage import schema
from ..storage.database import Database
from .access import ANONYMOUS, Principal, load_principal
from .clock import DAY_MS, now_ms
from .errors import Unauthorized

_hasher = PasswordHasher()
SESSION_TTL_MS = 14 * DAY_MS
TokenKind = Literal["session", "personal", "device", "reset"]
TOKEN_PREFIX = {"session": "bfs_", "personal": "bfp_", "device": "bfd_", "reset": "bfr_"}
# One-time password-reset tokens: never a credential for the API or a session.
NOT_CREDENTIALS = frozenset({"reset"})


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(stored: str | None, password: str) -> bool:
    if not stored:
        return False
    try:
        return _hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def issue_token(db: Database, conn: Connection, kind: TokenKind, *, user_id: int | None = None,
                tenant_id: int | None = None, device_id: int | None = None,
                name: str | None = None, ttl_ms: int | None = None) -> tuple[int, str]:
    """Create a token; the secret is returned once and only its hash is kept."""
    secret = TOKEN_PREFIX[kind] + secrets.token_urlsafe(32)
    token_id = db.allocate_ids(conn, "tokens")
    now = now_ms()
    conn.execute(schema.tokens.insert().values(
        id=token_id, token_hash=_digest(secret), kind=kind, name=name, user_id=user_id,
        tenant_id=tenant_id, device_id=device_id, created_at=now,
        expires_at=now + ttl_ms if ttl_ms else None,
    ))
    return token_id, secret


def login(db: Database, conn: Connection, email: str, password: str) -> str:
    """Check credentials and open a session token."""
    u = schema.users
    row = conn.execute(select(u).where(u.c.email == email.strip().lower())).first()
    if row is None or not row.active or not verify_password(row.password_hash, password):
        raise Unauthorized("Adresse e-mail ou mot de passe incorrect.")
    return issue_token(db, conn, "session", user_id=row.id, ttl_ms=SESSION_TTL_MS)[1]


def token_row(conn: Connection, secret: str) -> Any:
    """The stored token a secret stands for (any kind, even expired), or None."""
    t = schema.tokens
    return conn.execute(select(t).where(t.c.token_hash == _digest(secret))).first()


def principal_for_token(conn: Connection, secret: str | None) -> Principal:
    """The principal a bearer token or session cookie stands for."""
    if not secret:
        return ANONYMOUS
    row = token_row(conn, secret)
    if row is None or row.kind in NOT_CREDENTIALS \
            or (row.expires_at is not None and row.expires_at < now_ms()):
        raise Unauthorized("Jeton invalide ou expiré.")
    if row.kind == "device":
        return Principal(device_tenant_id=row.tenant_id, device_id=row.device_id)
    return load_principal(conn, row.user_id)


def touch_token(conn: Connection, secret: str) -> None:
    t = schema.tokens
    conn.execute(update(t).where(t.c.token_hash == _digest(secret)).values(last_used_at=now_ms()))


def revoke_token(conn: Connection, token_id: int, *, user_id: int | None = None) -> bool:
    t = schema.tokens
    query = delete(t).where(t.c.id == token_id)
    if user_id is not None:
        query = query.where(t.c.user_id == user_id)
    return conn.execute(query).rowcount > 0


def revoke_secret(conn: Connection, secret: str) -> None:
    conn.execute(delete(schema.tokens).where(schema.tokens.c.token_hash == _digest(secret)))


def list_personal_tokens(conn: Connection, user_id: int) -> list[dict[str, Any]]:
    t = schema.tokens
    rows = conn.execute(select(t).where(t.c.user_id == user_id, t.c.kind == "personal"))
    return [{"id": r.id, "name": r.name, "created_at": r.created_at,
             "last_used_at": r.last_used_at} for r in rows]
