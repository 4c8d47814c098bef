"""Log-in throttling (growing delays per account and per client address, 429 with
Retry-After, audited), the dummy verification of unknown accounts, and argon2 kept out of
every database transaction. The throttle's clock is pinned: nothing here waits."""

from __future__ import annotations

import threading

import orjson
import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from sqlalchemy import select, text, update

from beffroi.core import clock, login_throttle, tenants, users
from beffroi.core.access import CLI, open_scope
from beffroi.core.login_throttle import MAX_DELAY_MS, delay_ms
from beffroi.storage import schema

TOKEN = "/api/v1/auth/token"
PASSWORD = "password-123"
T0 = 1_800_000_000_000


@pytest.fixture
def at(monkeypatch):
    """Pin the throttle's clock; ``at(ms)`` moves it."""
    now = {"ms": T0}
    monkeypatch.setattr(clock, "now_ms", lambda: now["ms"])

    def move(ms: int) -> None:
        now["ms"] = ms
    return move


@pytest.fixture
def camille(db, registry):
    with db.write() as conn:
        t = tenants.create_tenant(db, conn, CLI, name="Territoire", registry=registry)
        users.add_member(open_scope(db, conn, CLI, t["id"]), conn, {
            "email": "camille@a.fr", "role": "agent", "password": PASSWORD})
    return {"email": "camille@a.fr", "password": PASSWORD}


@pytest.fixture
def from_address(app):
    """A client seen from a given address (the API counts per client address)."""
    opened = []

    def make(address: str) -> TestClient:
        client = TestClient(app, client=(address, 50000))
        opened.append(client)
        return client
    yield make
    for client in opened:
        client.close()


def _try(client, email: str, password: str) -> tuple[int, str | None]:
    response = client.post(TOKEN, json={"email": email, "password": password})
    if response.status_code == 429:
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["retry_after"] == int(response.headers["retry-after"])
        assert "Trop de tentatives" in response.json()["detail"]
    return response.status_code, response.headers.get("retry-after")


def test_delays_double_from_one_second_up_to_fifteen_minutes():
    assert [delay_ms(n) for n in range(1, 17)] == [
        0, 0, 0, 0, 1_000, 2_000, 4_000, 8_000, 16_000, 32_000, 64_000, 128_000, 256_000,
        512_000, 900_000, 900_000]
    assert delay_ms(10_000) == MAX_DELAY_MS == 15 * 60 * 1000


def test_25_wrong_passwords_in_a_row_are_held_back_and_audited(client, db, camille, at):
    answers = [_try(client, camille["email"], "mauvais") for _ in range(25)]
    assert answers == [(401, None)] * 5 + [(429, "1")] * 20
    # the right password is held back too until the delay has passed
    assert _try(client, camille["email"], PASSWORD) == (429, "1")
    a = schema.audit_log
    with db.read() as conn:
        rows = conn.execute(select(a).where(a.c.action == "throttle")).all()
    # one entry per block (account and address), not one per refused attempt
    assert sorted(orjson.loads(r.details)["counter"] for r in rows) == ["account", "address"]
    assert {r.tenant_id for r in rows} == {0}
    assert {orjson.loads(r.details)["email"] for r in rows} == {camille["email"]}
    at(T0 + 1_000)
    assert _try(client, camille["email"], PASSWORD) == (200, None)


def test_delays_grow_then_expire_and_a_success_clears_the_account(
        client, camille, at, from_address):
    now = T0
    for _ in range(5):
        assert _try(client, camille["email"], "mauvais")[0] == 401
    for expected_s in (1, 2, 4, 8):
        assert _try(client, camille["email"], "mauvais") == (429, str(expected_s))
        at(now + expected_s * 1000 - 1)
        assert _try(client, camille["email"], "mauvais") == (429, "1")
        now += expected_s * 1000
        at(now)
        assert _try(client, camille["email"], "mauvais")[0] == 401
    assert _try(client, camille["email"], "mauvais") == (429, "16")
    now += 16_000
    at(now)
    assert _try(client, camille["email"], PASSWORD)[0] == 200
    # The account's failures are forgotten: from another address, five free tries again.
    elsewhere = from_address("198.51.100.20")
    assert [_try(elsewhere, camille["email"], "mauvais")[0] for _ in range(6)] == \
        [401] * 5 + [429]


def test_each_client_address_is_counted_across_accounts(camille, at, from_address):
    attacker, office = from_address("203.0.113.9"), from_address("198.51.100.7")
    for i in range(5):
        assert _try(attacker, f"inconnu-{i}@x.fr", "devine")[0] == 401
    assert _try(attacker, "encore-un@x.fr", "devine") == (429, "1")
    assert _try(attacker, camille["email"], PASSWORD) == (429, "1")
    assert _try(office, camille["email"], PASSWORD)[0] == 200
    # IPv6 clients are counted by their /64.
    for i in range(5):
        assert _try(from_address(f"2001:db8:1:2::{i + 1}"), "x@x.fr", "devine")[0] == 401
    assert _try(from_address("2001:db8:1:2:ffff::1"), "y@x.fr", "devine")[0] == 429
    assert _try(from_address("2001:db8:1:3::1"), "y@x.fr", "devine")[0] == 401


def test_good_log_ins_from_one_address_never_add_up(client, camille, at):
    for _ in range(12):
        assert _try(client, camille["email"], PASSWORD)[0] == 200


def test_an_attacker_elsewhere_does_not_keep_the_owner_out(camille, at, from_address):
    home, attacker, travel = (from_address(ip) for ip in
                              ("192.0.2.10", "203.0.113.66", "198.51.100.99"))
    assert _try(home, camille["email"], PASSWORD)[0] == 200  # the owner's usual address
    now = T0
    for _ in range(20):  # guesses as soon as allowed: the delays reach their longest
        assert _try(attacker, camille["email"], "devine")[0] == 401
        status, retry = _try(attacker, camille["email"], "devine")
        if status == 429:
            assert int(retry) <= MAX_DELAY_MS // 1000
            now += int(retry) * 1000
            at(now)
    assert _try(attacker, camille["email"], "devine")[0] == 401  # blocked 15 min again
    status, retry = _try(travel, camille["email"], PASSWORD)
    assert status == 429 and int(retry) <= MAX_DELAY_MS // 1000
    assert _try(home, camille["email"], PASSWORD)[0] == 200  # known address: not held back
    at(now + MAX_DELAY_MS)
    assert _try(travel, camille["email"], PASSWORD)[0] == 200  # never longer than 15 min


def test_reset_requests_are_held_back_too(client, db, camille, at, mailbox):
    answers = [client.post("/api/v1/auth/password-reset", json={"email": "x@y.fr"})
               for _ in range(7)]
    assert [r.status_code for r in answers] == [202] * 5 + [429] * 2
    assert answers[-1].headers["retry-after"] == "1"
    with db.read() as conn:
        details = [orjson.loads(r.details) for r in conn.execute(
            select(schema.audit_log).where(schema.audit_log.c.action == "throttle"))]
    assert {d["counter"] for d in details} == {"account", "address"}
    at(T0 + 1_000)
    assert client.post("/api/v1/auth/password-reset",
                       json={"email": camille["email"]}).status_code == 202


def test_blocks_are_shared_by_every_server_process(client, db, camille, at):
    """The counters live in the database: a block set by one process holds for another."""
    t = schema.login_throttle
    keys = login_throttle.login_keys(camille["email"], "testclient")
    with db.write() as conn:
        login_throttle.charge(conn, keys)
        conn.execute(update(t).where(t.c.key == keys.account).values(
            blocked_until=T0 + 30_000))
    assert _try(client, camille["email"], PASSWORD) == (429, "30")


# -- one verification whatever the address, outside any transaction ------------------------

@pytest.fixture
def verifications(monkeypatch):
    calls = []
    real = PasswordHasher.verify

    def counting(self, stored, password):
        calls.append(stored)
        return real(self, stored, password)
    monkeypatch.setattr(PasswordHasher, "verify", counting)
    return calls


def test_unknown_inactive_and_passwordless_accounts_cost_one_verification(
        client, db, camille, verifications):
    with db.write() as conn:
        users.create_user(db, conn, email="sans-mot-de-passe@a.fr")
        users.create_user(db, conn, email="inactif@a.fr",
                          password_hash=users.new_password_hash(PASSWORD))
        conn.execute(update(schema.users).where(schema.users.c.email == "inactif@a.fr")
                     .values(active=False))
    for email, password, status in (("personne@nulle-part.fr", PASSWORD, 401),
                                    ("sans-mot-de-passe@a.fr", PASSWORD, 401),
                                    ("inactif@a.fr", PASSWORD, 401),
                                    (camille["email"], "mauvais", 401),
                                    (camille["email"], PASSWORD, 200)):
        before = len(verifications)
        assert client.post(TOKEN, json={"email": email, "password": password}
                           ).status_code == status, email
        assert len(verifications) == before + 1, email
        assert verifications[-1] is not None and verifications[-1].startswith("$argon2")


def _no_transaction_open(db) -> None:
    """Fail if a transaction is open while argon2 runs: on SQLite another thread must be
    able to write at once; on PostgreSQL no connection may sit idle in a transaction."""
    if db.is_sqlite:
        done = threading.Event()

        def write() -> None:
            with db.write() as conn:
                conn.execute(update(schema.id_counters).where(
                    schema.id_counters.c.name == "nothing").values(next_value=0))
            done.set()
        threading.Thread(target=write, daemon=True).start()
        assert done.wait(5), "a write transaction is held while argon2 runs"
    else:
        with db.engine.connect() as conn:
            held = conn.execute(text(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND state LIKE 'idle in transaction%' AND pid <> pg_backend_pid()")).scalar()
        assert held == 0, "a transaction is open while argon2 runs"


@pytest.fixture
def argon2_watch(db, monkeypatch):
    """Check, each time argon2 hashes or verifies, that no transaction is open."""
    seen = []
    for name in ("hash", "verify"):
        real = getattr(PasswordHasher, name)

        def watched(self, *args, _real=real, _name=name):
            _no_transaction_open(db)
            seen.append(_name)
            return _real(self, *args)
        monkeypatch.setattr(PasswordHasher, name, watched)
    return seen


def test_password_hashing_and_verification_run_outside_transactions(
        client, db, camille, op_headers, mailbox, argon2_watch):
    assert client.post(TOKEN, json=camille).status_code == 200
    assert client.post(TOKEN, json={**camille, "password": "mauvais"}).status_code == 401
    assert client.post(TOKEN, json={"email": "x@y.fr", "password": "p"}).status_code == 401
    assert client.post("/api/v1/users", headers=op_headers, json={
        "email": "nouveau@a.fr", "password": "mot-de-passe-neuf"}).status_code == 201
    assert client.post("/api/v1/auth/password-reset", json=camille).status_code == 202
    import re
    link = re.search(r"jeton=(bfr_[\w-]+)", mailbox.texts(camille["email"])[-1]).group(1)
    assert client.post("/api/v1/auth/password-reset/confirm", json={
        "token": link, "password": "encore-un-autre"}).status_code == 200
    assert argon2_watch.count("verify") >= 3 and argon2_watch.count("hash") >= 2
