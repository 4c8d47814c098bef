"""Accounts across tenants: a tenant admin invites, never sets a password nor attaches an
account; the person accepts. Answers say nothing about accounts outside the tenant.
E-mails are received by a real SMTP server on a loopback port."""

from __future__ import annotations

import re

import orjson
import pytest
from sqlalchemy import select, update

from beffroi.core import tenants, users
from beffroi.core.access import CLI, open_scope
from beffroi.core.password_reset import INVITATION_DONE
from beffroi.storage import schema
from suite_accounts import bearer

CONFIRM = "/api/v1/auth/password-reset/confirm"
INVITE_LINK = re.compile(r"https://beffroi\.example\.fr/reinitialiser\?jeton=(bfv_[\w-]+)")
PASSWORD = "password-123"


@pytest.fixture
def two(db, registry, client):
    """Territories A and B, each with its own admin (provisioned by the operator)."""
    out = {}
    with db.write() as conn:
        for key, insee in (("a", "88383"), ("b", "51237")):
            t = tenants.create_tenant(db, conn, CLI, name=f"Territoire {key.upper()}",
                                      registry=registry)
            scope = open_scope(db, conn, CLI, t["id"])
            tenants.create_commune(scope, conn, {"insee": insee, "name": f"Commune {key}"})
            admin = users.add_member(scope, conn, {"email": f"admin-{key}@x.fr",
                                                   "role": "tenant_admin", "password": PASSWORD})
            out[key] = {"tenant": t["id"], "insee": insee, "admin_id": admin["id"],
                        "base": f"/api/v1/tenants/{t['id']}"}
    for key in ("a", "b"):
        out[key]["h"] = bearer(client, f"admin-{key}@x.fr", PASSWORD)
    return out


def _members(db, tenant_id: int) -> set[int]:
    m = schema.memberships
    with db.read() as conn:
        return {r.user_id for r in conn.execute(select(m).where(m.c.tenant_id == tenant_id))}


def _audit(db, tenant_id: int) -> list[tuple[str, str]]:
    a = schema.audit_log
    with db.read() as conn:
        return [(r.action, r.entity) for r in conn.execute(
            select(a).where(a.c.tenant_id == tenant_id).order_by(a.c.id))]


def test_a_tenant_admin_never_chooses_a_password_nor_takes_over_an_account(
        client, db, mailbox, two):
    a, b = two["a"], two["b"]
    # B's admin tries to set the password of a future agent of A: refused, field named.
    refused = client.post(f"{b['base']}/members", headers=b["h"], json={
        "email": "agent@a.fr", "role": "agent", "password": "choisi-par-b"})
    assert refused.status_code == 422
    assert [e["field"] for e in refused.json()["errors"]] == ["password"]
    invited_by_b = client.post(f"{b['base']}/members", headers=b["h"],
                               json={"email": "agent@a.fr", "role": "agent"})
    assert invited_by_b.status_code == 201, invited_by_b.text
    invited_by_a = client.post(f"{a['base']}/members", headers=a["h"], json={
        "email": "Agent@A.fr", "role": "agent", "communes": [a["insee"]]})
    assert invited_by_a.status_code == 201, invited_by_a.text
    # Nobody is a member yet, and the account has no password anyone could know.
    assert len(_members(db, a["tenant"])) == len(_members(db, b["tenant"])) == 1
    with db.read() as conn:
        account = conn.execute(select(schema.users).where(
            schema.users.c.email == "agent@a.fr")).one()
    assert account.password_hash is None
    assert client.post("/api/v1/auth/token", json={
        "email": "agent@a.fr", "password": "choisi-par-b"}).status_code == 401
    # The person opens A's link, chooses a password: A's invitation only is accepted.
    texts = mailbox.texts("agent@a.fr")
    assert len(texts) == 2 and all("bfv_" in t for t in texts)
    a_mail = next(t for t in texts if "Territoire A" in t)
    assert "agent technique" in a_mail and "heure de Paris" in a_mail
    token = INVITE_LINK.search(a_mail).group(1)
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}
                      ).status_code == 401  # a link is not a credential
    done = client.post(CONFIRM, json={"token": token, "password": "secret-de-l-agent"})
    assert done.status_code == 200 and done.json()["detail"] == INVITATION_DONE
    assert account.id in _members(db, a["tenant"])
    assert account.id not in _members(db, b["tenant"])
    agent = bearer(client, "agent@a.fr", "secret-de-l-agent")
    me = client.get("/api/v1/me", headers=agent).json()
    assert me["memberships"] == [{"tenant_id": a["tenant"], "role": "agent",
                                  "communes": [a["insee"]]}]
    # B's invitation waits for the person's answer; declining it leaves B without them.
    [pending] = client.get("/api/v1/me/invitations", headers=agent).json()
    assert (pending["tenant_id"], pending["tenant_name"], pending["role_label"]) == (
        b["tenant"], "Territoire B", "agent technique")
    declined = client.post(f"/api/v1/me/invitations/{pending['id']}/decline", headers=agent)
    assert declined.status_code == 204
    assert client.get("/api/v1/me/invitations", headers=agent).json() == []
    assert account.id not in _members(db, b["tenant"])
    # The other link died with the password choice: B's link cannot reset it.
    b_token = INVITE_LINK.search(next(t for t in texts if "Territoire B" in t)).group(1)
    assert client.post(CONFIRM, json={"token": b_token, "password": "repris-par-b"}
                       ).status_code == 400
    assert ("create", "invitation") in _audit(db, a["tenant"])
    assert _audit(db, a["tenant"])[-2:] == [("create", "membership"), ("accept", "invitation")]
    assert _audit(db, b["tenant"])[-1] == ("decline", "invitation")


def test_an_address_left_empty_is_said_missing_not_invalid(client, db, two):
    """Nothing typed: « Adresse e-mail obligatoire. », not « Adresse e-mail invalide « ». »;
    a wrong address is still said invalid, with what was typed."""
    a = two["a"]
    for email in ("", "   ", None):
        refused = client.post(f"{a['base']}/members", headers=a["h"],
                              json={"email": email, "role": "agent"})
        assert refused.status_code == 422, refused.text
        assert refused.json()["detail"] == "Adresse e-mail obligatoire."
        assert refused.json()["errors"] == [{"field": "email",
                                             "message": "adresse e-mail obligatoire"}]
    wrong = client.post(f"{a['base']}/members", headers=a["h"],
                        json={"email": "pas-une-adresse", "role": "agent"})
    assert wrong.json()["detail"] == "Adresse e-mail invalide « pas-une-adresse »."
    assert ("create", "invitation") not in _audit(db, a["tenant"])  # nothing invited


def test_inviting_an_existing_account_reveals_nothing_and_needs_its_consent(
        client, db, mailbox, two, operator):
    b = two["b"]
    known = client.post(f"{b['base']}/members", headers=b["h"],
                        json={"email": operator["email"], "role": "viewer"})
    unknown = client.post(f"{b['base']}/members", headers=b["h"],
                          json={"email": "personne@nulle-part.fr", "role": "viewer"})
    assert known.status_code == unknown.status_code == 201
    shape = {"id", "email", "role", "communes", "status", "status_label", "invited_at",
             "expires_at", "detail"}
    assert set(known.json()) == set(unknown.json()) == shape
    for answer, email in ((known, operator["email"]), (unknown, "personne@nulle-part.fr")):
        body = answer.json()
        assert (body["status"], body["status_label"], body["role"]) == (
            "pending", "en attente", "viewer")
        assert body["detail"] == known.json()["detail"].replace(operator["email"], email)
    assert "Opératrice" not in known.text and "is_operator_admin" not in known.text
    with db.read() as conn:
        op_id = conn.execute(select(schema.users.c.id).where(
            schema.users.c.email == operator["email"])).scalar()
    assert op_id not in _members(db, b["tenant"])
    # The operator's e-mail has no password link: it logs in as usual to answer.
    [text] = mailbox.texts(operator["email"])
    assert "bfv_" not in text and "connectez-vous" in text
    op = bearer(client, operator["email"], operator["password"])
    [invitation] = client.get("/api/v1/me/invitations", headers=op).json()
    # Another person cannot answer it.
    assert client.post(f"/api/v1/me/invitations/{invitation['id']}/accept",
                       headers=b["h"]).status_code == 404
    accepted = client.post(f"/api/v1/me/invitations/{invitation['id']}/accept", headers=op)
    assert accepted.status_code == 200
    assert accepted.json() == {"tenant_id": b["tenant"], "role": "viewer", "communes": None}
    assert op_id in _members(db, b["tenant"])
    # The member list of B shows the member, still nothing of its standing elsewhere.
    [listed] = [m for m in client.get(f"{b['base']}/members", headers=b["h"]).json()
                if m["id"] == op_id]
    assert set(listed) == {"id", "email", "name", "active", "role", "communes"}


def test_pending_invitations_are_listed_and_revocable(client, db, mailbox, two):
    b = two["b"]
    sent = client.post(f"{b['base']}/members", headers=b["h"],
                       json={"email": "camille@b.fr", "role": "viewer",
                             "communes": [b["insee"]]}).json()
    [listed] = client.get(f"{b['base']}/invitations", headers=b["h"]).json()
    assert listed == {k: v for k, v in sent.items() if k != "detail"}
    assert (listed["email"], listed["status_label"], listed["communes"]) == (
        "camille@b.fr", "en attente", [b["insee"]])
    again = client.post(f"{b['base']}/members", headers=b["h"],
                        json={"email": "camille@b.fr", "role": "agent"})
    assert again.status_code == 409 and "déjà en attente" in again.json()["detail"]
    already = client.post(f"{b['base']}/members", headers=b["h"],
                          json={"email": "admin-b@x.fr", "role": "agent"})
    assert already.status_code == 409 and "déjà membre" in already.json()["detail"]
    token = INVITE_LINK.search(mailbox.texts("camille@b.fr")[0]).group(1)
    revoked = client.delete(f"{b['base']}/invitations/{sent['id']}", headers=b["h"])
    assert revoked.status_code == 204
    assert client.get(f"{b['base']}/invitations", headers=b["h"]).json() == []
    assert client.post(CONFIRM, json={"token": token, "password": "un-mot-de-passe"}
                       ).status_code == 400  # the link went with the invitation
    assert _audit(db, b["tenant"])[-1] == ("revoke", "invitation")
    # An expired invitation is shown as such and a new one replaces it.
    renewed = client.post(f"{b['base']}/members", headers=b["h"],
                          json={"email": "camille@b.fr", "role": "agent"}).json()
    with db.write() as conn:
        conn.execute(update(schema.invitations).values(expires_at=1))
    [expired] = client.get(f"{b['base']}/invitations", headers=b["h"]).json()
    assert (expired["id"], expired["status"], expired["status_label"]) == (
        renewed["id"], "expired", "expirée")
    third = client.post(f"{b['base']}/members", headers=b["h"],
                        json={"email": "camille@b.fr", "role": "viewer"})
    assert third.status_code == 201
    assert [i["id"] for i in client.get(f"{b['base']}/invitations", headers=b["h"]).json()
            ] == [third.json()["id"]]


def test_a_tenant_admin_reaches_no_account_outside_its_tenant(client, two, operator):
    a, b = two["a"], two["b"]
    for method, path, body in (
            ("GET", f"{a['base']}/members/{b['admin_id']}", None),
            ("PATCH", f"{a['base']}/members/{b['admin_id']}", {"role": "viewer"}),
            ("DELETE", f"{a['base']}/members/{b['admin_id']}", None),
            ("POST", f"{a['base']}/members/{b['admin_id']}/deactivate", {})):
        assert client.request(method, path, headers=a["h"], json=body).status_code == 404
    for method, path in (("GET", "/api/v1/users"),
                         ("POST", f"/api/v1/users/{b['admin_id']}/deactivate"),
                         ("POST", f"/api/v1/users/{b['admin_id']}/activate")):
        assert client.request(method, path, headers=a["h"]).status_code == 403
    assert client.post("/api/v1/users", headers=a["h"], json={
        "email": "x@x.fr", "password": PASSWORD}).status_code == 403
    # The admin of B is still a working account.
    assert client.get("/api/v1/me", headers=b["h"]).status_code == 200


def test_without_smtp_an_operator_creates_the_account_and_the_person_accepts(
        client, db, two, op_headers, monkeypatch):
    monkeypatch.delenv("BEFFROI_SMTP_URL", raising=False)
    b = two["b"]
    created = client.post("/api/v1/users", headers=op_headers, json={
        "email": "terrain@b.fr", "name": "Terrain", "password": "mot-de-passe-terrain"})
    assert created.status_code == 201
    short = client.post("/api/v1/users", headers=op_headers, json={
        "email": "court@b.fr", "password": "court"})
    assert short.status_code == 422 and short.json()["errors"][0]["field"] == "password"
    invited = client.post(f"{b['base']}/members", headers=b["h"],
                          json={"email": "terrain@b.fr", "role": "agent"})
    assert invited.status_code == 201
    assert "pas configuré" in invited.json()["detail"]
    person = bearer(client, "terrain@b.fr", "mot-de-passe-terrain")
    [invitation] = client.get("/api/v1/me/invitations", headers=person).json()
    assert client.post(f"/api/v1/me/invitations/{invitation['id']}/accept",
                       headers=person).status_code == 200
    assert client.get(f"{b['base']}/assets", headers=person).status_code == 200
    with db.read() as conn:
        [row] = conn.execute(select(schema.audit_log).where(
            schema.audit_log.c.tenant_id == b["tenant"],
            schema.audit_log.c.action == "accept")).all()
    assert orjson.loads(row.details)["role"] == "agent"
