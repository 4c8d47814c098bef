"""A signed-in person changes their own password (``POST /me/password``): the current one
proven (and charged to the log-in throttle), the rules of every new password, the other
sessions closed, personal tokens kept, an audit entry without the password."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from beffroi.api.deps import csrf_token
from beffroi.core import clock, tenants, users
from beffroi.core.access import CLI, open_scope
from beffroi.core.password_change import DONE, SAME_AS_CURRENT, WRONG_CURRENT
from beffroi.storage import schema

CHANGE = "/api/v1/me/password"
TOKEN = "/api/v1/auth/token"
OLD = "ancien-mot-de-passe"
NEW = "nouveau-mot-de-passe"
EMAIL = "camille@commune.fr"


@pytest.fixture
def camille(db, registry) -> dict:
    with db.write() as conn:
        t = tenants.create_tenant(db, conn, CLI, name="Territoire", registry=registry)
        users.add_member(open_scope(db, conn, CLI, t["id"]), conn, {
            "email": EMAIL, "role": "agent", "password": OLD, "name": "Camille"})
    return {"email": EMAIL, "password": OLD}


@pytest.fixture
def pinned_throttle(monkeypatch):
    """The throttle's clock stands still: its delays never run out during a test."""
    monkeypatch.setattr(clock, "now_ms", lambda: 1_800_000_000_000)


def _session(client) -> dict[str, str]:
    answer = client.post(TOKEN, json={"email": EMAIL, "password": OLD})
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


def _logs_in(client, password: str) -> int:
    return client.post(TOKEN, json={"email": EMAIL, "password": password}).status_code


def _hash(db) -> str:
    with db.read() as conn:
        return conn.execute(select(schema.users.c.password_hash)
                            .where(schema.users.c.email == EMAIL)).scalar()


def test_a_wrong_current_password_changes_nothing(client, db, camille):
    mine, other = _session(client), _session(client)
    before = _hash(db)
    answer = client.post(CHANGE, headers=mine,
                         json={"current_password": "pas-le-bon", "new_password": NEW})
    assert answer.status_code == 422
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["detail"] == WRONG_CURRENT == "Mot de passe actuel incorrect."
    assert answer.json()["errors"] == [{"field": "current_password", "message": "incorrect"}]
    assert _hash(db) == before
    assert client.get("/api/v1/me", headers=other).status_code == 200
    assert _logs_in(client, OLD) == 200 and _logs_in(client, NEW) == 401


def test_a_weak_missing_or_unchanged_new_password_is_refused(client, db, camille):
    mine = _session(client)
    before = _hash(db)
    cases = {
        "court": ({"current_password": OLD, "new_password": "court"},
                  "Mot de passe trop court : 8 caractères au moins.",
                  [{"field": "new_password", "message": "trop court"}]),
        "identique": ({"current_password": OLD, "new_password": OLD}, SAME_AS_CURRENT,
                      [{"field": "new_password", "message": "identique au mot de passe actuel"}]),
        "absents": ({}, "Mot de passe actuel et nouveau mot de passe obligatoires.",
                    [{"field": "current_password", "message": "obligatoire"},
                     {"field": "new_password", "message": "obligatoire"}]),
    }
    for body, detail, errors in cases.values():
        answer = client.post(CHANGE, headers=mine, json=body)
        assert (answer.status_code, answer.json()["detail"], answer.json()["errors"]) == (
            422, detail, errors)
    assert client.post(CHANGE, headers=mine, json=["x"]).status_code == 422
    assert _hash(db) == before
    assert client.post(CHANGE, json={"current_password": OLD, "new_password": NEW}
                       ).status_code == 401  # signed in only


def test_the_new_password_works_and_other_sessions_are_closed(client, db, camille):
    mine, other = _session(client), _session(client)
    personal = client.post("/api/v1/me/tokens", headers=mine, json={"name": "script SIG"})
    assert personal.status_code == 201
    script = {"Authorization": f"Bearer {personal.json()['token']}"}
    answer = client.post(CHANGE, headers=mine, json={"current_password": OLD,
                                                     "new_password": NEW})
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"detail": DONE, "sessions_closed": 1}
    assert client.get("/api/v1/me", headers=mine).status_code == 200  # this one stays
    assert client.get("/api/v1/me", headers=other).status_code == 401  # the other is closed
    assert client.get("/api/v1/me", headers=script).status_code == 200  # tokens kept
    assert _logs_in(client, NEW) == 200
    assert _logs_in(client, OLD) == 401
    with db.read() as conn:
        audit = [r for r in conn.execute(select(schema.audit_log))
                 if r.entity == "user" and r.action == "update"]
    assert len(audit) == 1 and "changed" in audit[-1].details
    assert OLD not in audit[-1].details and NEW not in audit[-1].details


def test_a_browser_session_changes_its_password_and_stays_open(client, db, camille):
    assert client.post("/api/v1/auth/login", json=camille).status_code == 200
    cookie = client.cookies.get("beffroi_session")
    other = _session(client)
    body = {"current_password": OLD, "new_password": NEW}
    assert client.post(CHANGE, json=body).status_code == 403  # without its anti-CSRF token
    answer = client.post(CHANGE, json=body, headers={"X-CSRF-Token": csrf_token(cookie)})
    assert answer.status_code == 200, answer.text
    assert client.get("/api/v1/me").status_code == 200
    assert client.get("/api/v1/me", headers=other).status_code == 401


def test_repeated_wrong_current_passwords_are_held_back_like_log_ins(client, db, camille,
                                                                      pinned_throttle):
    mine = _session(client)
    before = _hash(db)
    statuses = [client.post(CHANGE, headers=mine, json={
        "current_password": f"essai-{n}", "new_password": NEW}).status_code for n in range(7)]
    assert statuses == [422] * 5 + [429] * 2
    blocked = client.post(CHANGE, headers=mine, json={"current_password": OLD,
                                                      "new_password": NEW})
    assert blocked.status_code == 429 and blocked.headers["retry-after"] == "1"
    assert "Trop de tentatives" in blocked.json()["detail"]
    assert _logs_in(client, OLD) == 429  # the same counters as the log-in page's
    assert _hash(db) == before
    with db.read() as conn:
        throttled = [r for r in conn.execute(select(schema.audit_log))
                     if r.action == "throttle"]
    assert throttled, "the block is not in the audit log"
