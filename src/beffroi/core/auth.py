"""Passwords (argon2), logging in, and bearer tokens (random secrets, stored as SHA-256).

Passwords are hashed and verified outside any database transaction: one argon2 operation
takes a tenth of a second or more, and on SQLite a write transaction holds the single
writer lock, so a login inside it would hold up every other write (ingest included) that
long. Logging in reads the account, checks the throttle, verifies, and only then writes
the session in a short transaction. An unknown, inactive or password-less account is
verified against a dummy hash, so that every attempt costs one verification and the
answer time does not tell which addresses have an account.

argon2 is also kept from starving the rest of the server of CPU: each operation runs on
one thread (``parallelism=1``; the memory and time costs, which make guessing expensive,
are argon2-cffi's defaults: 64 MiB, 3 passes) and at most half the processor's cores hash
at the same time (``ARGON2_SLOTS``); a request that waits longer than ``SLOT_WAIT_S`` for
its turn is answered 503. Hashes made with other parameters are redone at the next
successful log-in.
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from functools import lru_cache
from typing import Any, Literal

import orjson
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Connection, delete, or_, select, update

from ..storage import schema
from ..storage.database import Database
from . import login_throttle
from .access import ANONYMOUS, Membership, Principal
from .clock import DAY_MS, format_instant, now_ms
from .errors import Invalid, ServiceBusy, Unauthorized

_hasher = PasswordHasher(parallelism=1)
ARGON2_SLOTS = max(1, (os.cpu_count() or 2) // 2)
SLOT_WAIT_S = 5.0
_slots = threading.BoundedSemaphore(ARGON2_SLOTS)
SESSION_TTL_MS = 14 * DAY_MS
PERSONAL_TOKEN_DEFAULT_DAYS = 90
PERSONAL_TOKEN_MAX_DAYS = 365
TOUCH_EVERY_MS = 60_000  # a token's last-used date is written at most once a minute
TokenKind = Literal["session", "personal", "device", "reset", "invite"]
TOKEN_PREFIX = {"session": "bfs_", "personal": "bfp_", "device": "bfd_", "reset": "bfr_",
                "invite": "bfv_"}
DEFAULT_TTL_MS = {"session": SESSION_TTL_MS, "personal": PERSONAL_TOKEN_DEFAULT_DAYS * DAY_MS}
# One-time links (password reset, invitation): never a credential for the API or a session.
NOT_CREDENTIALS = frozenset({"reset", "invite"})
# What a person holds to act as their account; device tokens belong to devices and stay.
ACCOUNT_TOKENS = ("session", "personal", "reset", "invite")
EMAIL_RE = re.compile(r"^[^@\s\x00-\x1f\x7f]+@[^@\s\x00-\x1f\x7f]+\.[^@\s\x00-\x1f\x7f]+$")
WRONG_CREDENTIALS = "Adresse e-mail ou mot de passe incorrect."


def normalise_email(email: Any) -> str:
    return email.strip().lower() if isinstance(email, str) else ""


# -- passwords --------------------------------------------------------------------------

@contextmanager
def _argon2_slot() -> Iterator[None]:
    """One of the ``ARGON2_SLOTS`` turns to run argon2, or 503 after ``SLOT_WAIT_S``."""
    if not _slots.acquire(timeout=SLOT_WAIT_S):
        raise ServiceBusy("Trop de connexions simultanées : réessayez dans quelques secondes.",
                          retry_after_s=2)
    try:
        yield
    finally:
        _slots.release()


def hash_password(password: str) -> str:
    with _argon2_slot():
        return _hasher.hash(password)


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return hash_password(secrets.token_urlsafe(24))


def verify_password(stored: str | None, password: str) -> bool:
    """One argon2 verification whatever ``stored`` is: without a stored hash, a dummy one
    is verified (and the answer is False), so that the time taken tells nothing."""
    target = stored or _dummy_hash()
    try:
        with _argon2_slot():
            return _hasher.verify(target, password) and bool(stored)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored: str) -> bool:
    try:
        return _hasher.check_needs_rehash(stored)
    except InvalidHashError:
        return False


# -- logging in -------------------------------------------------------------------------

def login(db: Database, email: Any, password: str, address: str | None) -> str:
    """Check credentials and open a session token; 429 while the throttle holds back
    this account or this client address (see ``login_throttle``)."""
    email = normalise_email(email)
    keys = login_throttle.login_keys(email, address)
    charged = login_throttle.admit(db, keys)
    u = schema.users
    user = None
    if EMAIL_RE.match(email):
        with db.read() as conn:
            user = conn.execute(select(u).where(u.c.email == email)).first()
    usable = user is not None and user.active and user.password_hash
    if not verify_password(user.password_hash if usable else None, password):
        raise Unauthorized(WRONG_CREDENTIALS)
    renewed = hash_password(password) if needs_rehash(user.password_hash) else None
    u = schema.users
    with db.write() as conn:
        login_throttle.succeed(conn, keys, charged)
        if renewed:
            conn.execute(update(u).where(u.c.id == user.id,
                                         u.c.password_hash == user.password_hash)
                         .values(password_hash=renewed))
        return issue_token(db, conn, "session", user_id=user.id)[1]


# -- tokens -----------------------------------------------------------------------------

def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def issue_token(db: Database, conn: Connection, kind: TokenKind, *, user_id: int | None = None,
                tenant_id: int | None = None, device_id: int | None = None,
                name: str | None = None, ttl_ms: int | None = None) -> tuple[int, str]:
    """Create a token; the secret is returned once and only its hash is kept. Sessions and
    personal tokens always expire (``DEFAULT_TTL_MS`` unless ``ttl_ms`` says otherwise)."""
    secret = TOKEN_PREFIX[kind] + secrets.token_urlsafe(32)
    token_id = db.allocate_ids(conn, "tokens")
    now = now_ms()
    ttl_ms = ttl_ms or DEFAULT_TTL_MS.get(kind)
    conn.execute(schema.tokens.insert().values(
        id=token_id, token_hash=_digest(secret), kind=kind, name=name, user_id=user_id,
        tenant_id=tenant_id, device_id=device_id, created_at=now,
        expires_at=now + ttl_ms if ttl_ms else None,
    ))
    return token_id, secret


def personal_token_ttl_ms(days: Any) -> int:
    """Lifetime of a new personal token: ``days`` (1 to 365), 90 days when not given."""
    if days is None:
        return PERSONAL_TOKEN_DEFAULT_DAYS * DAY_MS
    if isinstance(days, bool) or not isinstance(days, int) \
            or not 1 <= days <= PERSONAL_TOKEN_MAX_DAYS:
        raise Invalid(f"Durée de validité invalide : un nombre entier de jours entre 1 et "
                      f"{PERSONAL_TOKEN_MAX_DAYS} est attendu.",
                      errors=[{"field": "expires_in_days",
                               "message": f"entier de 1 à {PERSONAL_TOKEN_MAX_DAYS} attendu"}])
    return days * DAY_MS


def token_row(conn: Connection, secret: str) -> Any:
    """The stored token a secret stands for (any kind, even expired), or None."""
    t = schema.tokens
    return conn.execute(select(t).where(t.c.token_hash == _digest(secret))).first()


def principal_for_token(conn: Connection, secret: str | None) -> Principal:
    """The principal a bearer token or session cookie stands for."""
    if not secret:
        return ANONYMOUS
    [principal] = principals_for_tokens(None, conn, [secret])
    if isinstance(principal, Unauthorized):
        raise principal
    return principal


def principals_for_tokens(db: Database | None, conn: Connection, tokens: Sequence[str]
                          ) -> list[Principal | Unauthorized]:
    """The principal of each secret, or the refusal of a bad one, in one query (the token,
    its active account and the account's memberships), written as SQL: every authenticated
    request asks this. With many secrets it is a kind of the database's group reader
    (``db.group_read``: the tokens of all the requests waiting, looked up at once)."""
    ph = "?" if conn.dialect.name == "sqlite" else "%s"
    digests = [_digest(secret) for secret in tokens]
    unique = sorted(set(digests))
    found: dict[str, list[tuple]] = {}
    for start in range(0, len(unique), 500):
        chunk = unique[start:start + 500]
        for row in conn.exec_driver_sql(
                "SELECT t.token_hash, t.id, t.kind, t.expires_at, t.last_used_at, t.tenant_id, "
                "t.device_id, u.id, u.email, u.is_operator_admin, m.tenant_id, m.role, "
                "m.communes FROM tokens t LEFT JOIN users u ON u.id = t.user_id AND u.active "
                "LEFT JOIN memberships m ON m.user_id = u.id "
                f"WHERE t.token_hash IN ({', '.join([ph] * len(chunk))})", tuple(chunk)):
            found.setdefault(row[0], []).append(tuple(row[1:]))
    now = now_ms()
    return [_principal(found.get(digest, ()), now) for digest in digests]


def _principal(rows: Sequence[tuple], now: int) -> Principal | Unauthorized:
    if not rows:
        return Unauthorized("Jeton invalide ou expiré.")
    token_id, kind, expires_at, used_at, tenant_id, device_id, user_id, email, operator = \
        rows[0][:9]
    if kind in NOT_CREDENTIALS or (expires_at is not None and expires_at < now):
        return Unauthorized("Jeton invalide ou expiré.")
    if kind == "device":
        return Principal(device_tenant_id=tenant_id, device_id=device_id, token_id=token_id,
                         token_used_at=used_at)
    if user_id is None:
        return Unauthorized("Compte inconnu ou désactivé.")
    memberships = {member_tenant: Membership(role, frozenset(orjson.loads(communes))
                                             if communes else None)
                   for *_, member_tenant, role, communes in rows if member_tenant is not None}
    return Principal(user_id=user_id, email=email, is_operator_admin=bool(operator),
                     memberships=memberships, token_id=token_id, token_used_at=used_at)


def touch_due(principal: Principal, now: int | None = None) -> bool:
    """Whether the token the principal came with should get a new last-used date."""
    if principal.token_id is None:
        return False
    used = principal.token_used_at
    return used is None or used < (now or now_ms()) - TOUCH_EVERY_MS


def touch_token(db: Database, token_id: int) -> None:
    """Record a token's use, in its own short transaction, at most once a minute."""
    now = now_ms()
    t = schema.tokens
    with db.write() as conn:
        conn.execute(update(t).where(
            t.c.id == token_id,
            or_(t.c.last_used_at.is_(None), t.c.last_used_at < now - TOUCH_EVERY_MS),
        ).values(last_used_at=now))


def revoke_token(conn: Connection, token_id: int, *, user_id: int | None = None) -> bool:
    t = schema.tokens
    query = delete(t).where(t.c.id == token_id)
    if user_id is not None:
        query = query.where(t.c.user_id == user_id)
    return conn.execute(query).rowcount > 0


def revoke_secret(conn: Connection, secret: str) -> None:
    conn.execute(delete(schema.tokens).where(schema.tokens.c.token_hash == _digest(secret)))


def revoke_credentials(conn: Connection, user_id: int) -> int:
    """Delete every session, personal token and one-time link of an account."""
    t = schema.tokens
    return conn.execute(delete(t).where(t.c.user_id == user_id,
                                        t.c.kind.in_(ACCOUNT_TOKENS))).rowcount


def list_personal_tokens(conn: Connection, user_id: int) -> list[dict[str, Any]]:
    t = schema.tokens
    now = now_ms()
    rows = conn.execute(select(t).where(t.c.user_id == user_id, t.c.kind == "personal")
                        .order_by(t.c.id))
    return [{"id": r.id, "name": r.name, "created_at": format_instant(r.created_at),
             "expires_at": format_instant(r.expires_at),
             "expired": r.expires_at is not None and r.expires_at < now,
             "last_used_at": format_instant(r.last_used_at)} for r in rows]
