"""Growing delays after failed log-ins, per account and per client address.

Every attempt is charged, before the password is checked, to two counters kept in the
database (so that they hold across server processes): one per account (a hash of the
e-mail address, known or not, so that answers never tell whether an account exists) and
one per client address (IPv6 addresses by their /64, which one subscriber gets whole).
The first ``FREE_FAILURES`` failures cost nothing; each further one blocks its counter
for a delay that doubles from one second up to ``MAX_DELAY_MS`` (15 minutes). An attempt
made while a counter is blocked is answered 429 without checking anything; it does not
count, and the first one of each block is written to the instance audit log.

A success forgets the account's failures and gives back its own charge to the address
(so that colleagues behind one address are not slowed by each other's good log-ins, while
one's own account cannot wash away failures against another). Failures are forgotten
after ``FORGET_MS`` without any, and a counter is dropped after ``KNOWN_ADDRESS_MS``
without an attempt (``forget_idle``).

The legitimate user is never locked out for long: a block lasts 15 minutes at most, and an
address that logged in to the account successfully in the last ``KNOWN_ADDRESS_MS`` (30
days) is not held back by the account's counter, only by its own: an attacker who keeps an
account's counter blocked from elsewhere does not keep its owner out.

Password-reset requests are charged the same way to their own counters (every request
counts, there is no success).
"""

from __future__ import annotations

import hashlib
import ipaddress
from dataclasses import dataclass, field

from sqlalchemy import Connection, delete, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from ..storage import schema
from ..storage.database import Database
from . import clock
from .audit import write_audit
from .clock import DAY_MS, HOUR_MS, format_instant
from .errors import TooManyAttempts

FREE_FAILURES = 5
FIRST_DELAY_MS = 1_000
MAX_DELAY_MS = 15 * 60 * 1000
FORGET_MS = 24 * HOUR_MS
KNOWN_ADDRESS_MS = 30 * DAY_MS


def delay_ms(failures: int) -> int:
    """How long a counter is blocked after its ``failures``-th failure in a row."""
    if failures < FREE_FAILURES:
        return 0
    return min(FIRST_DELAY_MS << min(failures - FREE_FAILURES, 30), MAX_DELAY_MS)


def address_key(address: str | None) -> str:
    """The client address as counted: IPv6 addresses by their /64."""
    try:
        ip = ipaddress.ip_address(address or "")
    except ValueError:
        return (address or "inconnue")[:60]
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


def _hash(*parts: str) -> str:
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()


@dataclass(frozen=True)
class Keys:
    """The counters one attempt is charged to, and what the audit log says of it."""

    action: str  # "login" | "password-reset"
    account: str
    address: str
    known: str | None  # marks an address that logged in to the account before
    email: str = field(compare=False)
    client: str = field(compare=False)

    @property
    def counters(self) -> tuple[str, str]:
        return self.account, self.address


def login_keys(email: str, address: str | None) -> Keys:
    where = address_key(address)
    return Keys("login", "account:" + _hash(email), "address:" + where,
                "known:" + _hash(email, where), email, where)


def reset_keys(email: str, address: str | None) -> Keys:
    where = address_key(address)
    return Keys("password-reset", "reset-account:" + _hash(email), "reset-address:" + where,
                None, email, where)


@dataclass
class Charge:
    """The outcome of charging an attempt: blocked (wait), or what to give back."""

    retry_after_ms: int = 0
    before: dict[str, int | None] = field(default_factory=dict)  # blocked_until before
    blocked: dict[str, int | None] = field(default_factory=dict)  # blocked_until after


def _rows(conn: Connection, keys: Keys, *, lock: bool = False) -> dict:
    t = schema.login_throttle
    wanted = [*keys.counters, *([keys.known] if keys.known else [])]
    query = select(t).where(t.c.key.in_(wanted))
    if lock:
        query = query.with_for_update()
    return {r.key: r for r in conn.execute(query)}


def _wait(rows: dict, keys: Keys, now: int) -> int:
    known = rows.get(keys.known) if keys.known else None
    trusted = known is not None and known.last_attempt_at >= now - KNOWN_ADDRESS_MS
    waits = [row.blocked_until - now for key, row in rows.items()
             if key in keys.counters and not (trusted and key == keys.account)
             and row.blocked_until is not None and row.blocked_until > now]
    return max(waits, default=0)


def retry_after(conn: Connection, keys: Keys) -> int:
    """Milliseconds to wait before this attempt may be made (0: go ahead); reads only."""
    return _wait(_rows(conn, keys), keys, clock.now_ms())


def _ensure(conn: Connection, keys: list[str], now: int) -> None:
    insert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
    conn.execute(insert(schema.login_throttle).values(
        [{"key": k, "failures": 0, "last_attempt_at": now} for k in keys]
    ).on_conflict_do_nothing())


def charge(conn: Connection, keys: Keys) -> Charge:
    """Count the attempt as failed until it succeeds (inside a short write transaction):
    attempts made at the same time cannot all slip through before the first failure."""
    now = clock.now_ms()
    t = schema.login_throttle
    _ensure(conn, list(keys.counters), now)
    rows = _rows(conn, keys, lock=True)
    wait = _wait(rows, keys, now)
    if wait:
        return Charge(retry_after_ms=wait)
    out = Charge()
    for key in keys.counters:
        row = rows[key]
        failures = (row.failures if row.last_attempt_at >= now - FORGET_MS else 0) + 1
        delay = delay_ms(failures)
        blocked = max(now + delay, row.blocked_until or 0) if delay else row.blocked_until
        out.before[key] = row.blocked_until
        out.blocked[key] = blocked
        conn.execute(update(t).where(t.c.key == key).values(
            failures=failures, blocked_until=blocked, last_attempt_at=now))
    return out


def succeed(conn: Connection, keys: Keys, charged: Charge) -> None:
    """The attempt succeeded: forget the account's failures, give the address its charge
    back, remember the address as known to the account; drop long-idle counters."""
    now = clock.now_ms()
    t = schema.login_throttle
    conn.execute(delete(t).where(t.c.key == keys.account))
    row = conn.execute(select(t).where(t.c.key == keys.address).with_for_update()).first()
    if row is not None and keys.address in charged.blocked:
        # Undo this attempt's own block unless another attempt has set a newer one since.
        untouched = row.blocked_until == charged.blocked[keys.address]
        conn.execute(update(t).where(t.c.key == keys.address).values(
            failures=max(row.failures - 1, 0),
            blocked_until=charged.before[keys.address] if untouched else row.blocked_until))
    if keys.known:
        _ensure(conn, [keys.known], now)
        conn.execute(update(t).where(t.c.key == keys.known).values(last_attempt_at=now))
    forget_idle(conn, now)


def forget_idle(conn: Connection, now: int) -> int:
    """Drop the counters without any attempt for ``KNOWN_ADDRESS_MS`` (at each successful
    log-in, and by the daily purge); the number dropped."""
    t = schema.login_throttle
    return conn.execute(delete(t).where(t.c.last_attempt_at < now - KNOWN_ADDRESS_MS)).rowcount


def admit(db: Database, keys: Keys) -> Charge:
    """Charge an attempt to its counters (a short write transaction), or refuse it with
    ``TooManyAttempts`` while one of them holds it back — the first refusal of each block
    written to the audit log (``report_block``)."""
    with db.read() as conn:
        wait = retry_after(conn, keys)
    charged = None
    if not wait:
        with db.write() as conn:
            charged = charge(conn, keys)
        wait = charged.retry_after_ms
    if wait:
        report_block(db, keys)
        raise TooManyAttempts(wait)
    return charged


def _printable(text: str) -> str:
    return text if text.isprintable() and len(text) <= 320 else "(adresse illisible)"


def forget_account(conn: Connection, email: str) -> None:
    """The owner proved control of the address (password reset): unblock the account."""
    t = schema.login_throttle
    conn.execute(delete(t).where(t.c.key == login_keys(email, None).account))


def report_block(db: Database, keys: Keys) -> None:
    """Write the first refused attempt of each block to the instance audit log."""
    now = clock.now_ms()
    t = schema.login_throttle
    with db.read() as conn:
        rows = _rows(conn, keys)
    fresh = [r for key, r in rows.items() if key in keys.counters and r.blocked_until
             and r.blocked_until > now and r.audited_until != r.blocked_until]
    if not fresh:
        return
    with db.write() as conn:
        for row in fresh:
            done = conn.execute(update(t).where(
                t.c.key == row.key, t.c.blocked_until == row.blocked_until,
                (t.c.audited_until.is_(None)) | (t.c.audited_until != row.blocked_until),
            ).values(audited_until=row.blocked_until)).rowcount
            if done:
                write_audit(conn, db, 0, None, "throttle", keys.action, None, {
                    "counter": "account" if row.key == keys.account else "address",
                    "email": _printable(keys.email), "address": keys.client,
                    "failures": row.failures,
                    "blocked_until": format_instant(row.blocked_until)})
