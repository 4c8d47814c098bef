"""Password reset by e-mail: no account enumeration, one-time links, rate limit, sessions
closed; e-mails received by a real SMTP server on a loopback port."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select, update

from beffroi.core import users
from beffroi.core.password_reset import ACCEPTED, MAX_REQUESTS_PER_HOUR
from beffroi.storage import schema

RESET = "/api/v1/auth/password-reset"
CONFIRM = "/api/v1/auth/password-reset/confirm"
LINK = re.compile(r"https://beffroi\.example\.fr/reinitialiser\?jeton=(bfr_[\w-]+)")


@pytest.fixture
def camille(db) -> dict:
    with db.write() as conn:
        users.create_user(db, conn, email="camille@commune.fr", name="Camille Martin",
                          password_hash=users.new_password_hash("ancien-mot-de-passe"))
    return {"email": "camille@commune.fr", "password": "ancien-mot-de-passe"}


def _link(mailbox, address: str) -> str:
    texts = mailbox.texts(address)
    assert texts, "no e-mail received"
    match = LINK.search(texts[-1])
    assert match, texts[-1]
    return match.group(1)


def test_reset_by_email_sets_the_password_and_closes_sessions(client, db, mailbox, camille):
    session = client.post("/api/v1/auth/token", json=camille).json()["access_token"]
    asked = client.post(RESET, json={"email": " Camille@Commune.fr "})
    assert asked.status_code == 202 and asked.json()["detail"] == ACCEPTED
    text = mailbox.texts(camille["email"])[0]
    assert "valable une heure" in text and "heure de Paris" in text
    token = _link(mailbox, camille["email"])
    # a reset link is not a credential
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    short = client.post(CONFIRM, json={"token": token, "password": "court"})
    assert short.status_code == 422 and short.json()["errors"][0]["field"] == "password"
    done = client.post(CONFIRM, json={"token": token, "password": "nouveau-mot-de-passe"})
    assert done.status_code == 200, done.text
    assert "modifié" in done.json()["detail"]
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {session}"}
                      ).status_code == 401  # sessions closed
    assert client.post("/api/v1/auth/token", json=camille).status_code == 401
    assert client.post("/api/v1/auth/token", json={
        "email": camille["email"], "password": "nouveau-mot-de-passe"}).status_code == 200
    again = client.post(CONFIRM, json={"token": token, "password": "encore-un-autre"})
    assert again.status_code == 400  # one use only
    assert again.headers["content-type"] == "application/problem+json"
    assert "déjà utilisé" in again.json()["detail"]
    with db.read() as conn:
        audit = [r.details for r in conn.execute(select(schema.audit_log))]
        kinds = [r.kind for r in conn.execute(select(schema.tokens))]
    assert not any("nouveau" in d or "bfr_" in d for d in audit)
    assert "reset" not in kinds


def test_unknown_and_inactive_accounts_get_the_same_answer_and_no_mail(client, db, mailbox,
                                                                       camille):
    unknown = client.post(RESET, json={"email": "personne@commune.fr"})
    assert unknown.status_code == 202 and unknown.json()["detail"] == ACCEPTED
    with db.write() as conn:
        conn.execute(update(schema.users).values(active=False))
    inactive = client.post(RESET, json={"email": camille["email"]})
    assert inactive.status_code == 202 and inactive.json() == unknown.json()
    assert mailbox.messages == []
    missing = client.post(RESET, json={})
    assert missing.status_code == 422 and missing.json()["errors"][0]["field"] == "email"


def test_rate_limit_and_expired_or_forged_tokens(client, db, mailbox, camille):
    for _ in range(MAX_REQUESTS_PER_HOUR + 1):  # (the throttle holds back the 6th)
        assert client.post(RESET, json={"email": camille["email"]}).status_code == 202
    assert len(mailbox.texts(camille["email"])) == MAX_REQUESTS_PER_HOUR
    token = _link(mailbox, camille["email"])
    with db.write() as conn:
        conn.execute(update(schema.tokens).where(schema.tokens.c.kind == "reset")
                     .values(expires_at=1))
    expired = client.post(CONFIRM, json={"token": token, "password": "nouveau-mot-de-passe"})
    assert expired.status_code == 400 and "expiré" in expired.json()["detail"]
    # expired links no longer count: a new one can be asked for
    assert client.post(RESET, json={"email": camille["email"]}).status_code == 202
    assert len(mailbox.texts(camille["email"])) == MAX_REQUESTS_PER_HOUR + 1
    session = client.post("/api/v1/auth/token", json=camille).json()["access_token"]
    for forged in ("bfr_forged", session, ""):
        assert client.post(CONFIRM, json={"token": forged, "password": "nouveau-mot-de-passe"}
                           ).status_code == 400
    assert client.post(CONFIRM, json={"password": "x"}).json()["errors"] == [
        {"field": "token", "message": "obligatoire"}]


def test_without_smtp_the_request_is_refused_alike(client, camille, monkeypatch):
    monkeypatch.delenv("BEFFROI_SMTP_URL", raising=False)
    for address in (camille["email"], "personne@commune.fr"):
        answer = client.post(RESET, json={"email": address})
        assert answer.status_code == 503
        assert "pas configuré" in answer.json()["detail"]
