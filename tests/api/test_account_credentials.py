"""Every credential of an account ends with a password reset or a deactivation; personal
tokens expire and show when they were last used; device tokens belong to devices."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select, update

from beffroi.core import devices, tenants, users
from beffroi.core.access import CLI, open_scope
from beffroi.core.auth import TOUCH_EVERY_MS
from beffroi.core.clock import DAY_MS
from beffroi.storage import schema
from suite_accounts import bearer

RESET = "/api/v1/auth/password-reset"
CONFIRM = "/api/v1/auth/password-reset/confirm"
PASSWORD = "password-123"


@pytest.fixture
def world(db, registry, client):
    """Tenants A and B; Camille is an agent of A only, Dominique of A and B."""
    out = {}
    with db.write() as conn:
        for key in ("a", "b"):
            t = tenants.create_tenant(db, conn, CLI, name=f"Territoire {key.upper()}",
                                      registry=registry)
            out[key] = {"tenant": t["id"], "base": f"/api/v1/tenants/{t['id']}"}
        scope_a = open_scope(db, conn, CLI, out["a"]["tenant"])
        scope_b = open_scope(db, conn, CLI, out["b"]["tenant"])
        users.add_member(scope_a, conn, {"email": "admin-a@x.fr", "role": "tenant_admin",
                                         "password": PASSWORD})
        out["camille"] = users.add_member(scope_a, conn, {
            "email": "camille@a.fr", "role": "agent", "password": PASSWORD})["id"]
        out["dominique"] = users.add_member(scope_a, conn, {
            "email": "dominique@x.fr", "role": "agent", "password": PASSWORD})["id"]
        users.add_member(scope_b, conn, {"email": "dominique@x.fr", "role": "viewer"})
        device = devices.create_device(scope_a, conn, {"name": "Capteur"})
        out["device"] = device.id
    out["admin_a"] = bearer(client, "admin-a@x.fr", PASSWORD)
    out["device_token"] = client.post(
        f"{out['a']['base']}/devices/{out['device']}/tokens", headers=out["admin_a"]
    ).json()["token"]
    return out


def _personal(client, headers, **body) -> dict:
    response = client.post("/api/v1/me/tokens", headers=headers, json={"name": "script", **body})
    assert response.status_code == 201, response.text
    return response.json()


def _works(client, token: str) -> bool:
    status = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code
    assert status in (200, 401)
    return status == 200


def _device_works(client, world) -> bool:
    status = client.get(f"{world['a']['base']}/devices/{world['device']}",
                        headers={"Authorization": f"Bearer {world['device_token']}"}).status_code
    return status != 401


def test_a_reset_revokes_sessions_and_personal_tokens_not_device_tokens(client, world, mailbox):
    session = bearer(client, "camille@a.fr", PASSWORD)
    personal = _personal(client, session)["token"]
    assert _works(client, personal) and _device_works(client, world)
    assert client.post(RESET, json={"email": "camille@a.fr"}).status_code == 202
    link = re.search(r"jeton=(bfr_[\w-]+)", mailbox.texts("camille@a.fr")[-1]).group(1)
    assert client.post(CONFIRM, json={"token": link, "password": "tout-nouveau"}
                       ).status_code == 200
    assert not _works(client, session["Authorization"].split()[1])
    assert not _works(client, personal)
    assert _device_works(client, world)  # the device's token is not the person's


def test_personal_tokens_expire_and_record_their_last_use(client, db, world):
    h = bearer(client, "camille@a.fr", PASSWORD)
    default = _personal(client, h)
    longest = _personal(client, h, expires_in_days=365)
    for created, days in ((default, 90), (longest, 365)):
        start = datetime.fromisoformat(created["created_at"])
        assert datetime.fromisoformat(created["expires_at"]) - start == timedelta(days=days)
        assert created["last_used_at"] is None and created["expired"] is False
    for wrong in (366, 0, -3, "30", 2.5, True):
        refused = client.post("/api/v1/me/tokens", headers=h,
                              json={"name": "trop long", "expires_in_days": wrong})
        assert refused.status_code == 422, wrong
        assert refused.json()["errors"] == [{"field": "expires_in_days",
                                             "message": "entier de 1 à 365 attendu"}]
        assert "entre 1 et 365" in refused.json()["detail"]
    # Used: the date is recorded, then not rewritten within the minute.
    token = default["token"]
    assert _works(client, token)
    t = schema.tokens

    def last_used() -> int | None:
        with db.read() as conn:
            return conn.execute(select(t.c.last_used_at).where(t.c.id == default["id"])).scalar()

    first = last_used()
    assert first is not None
    assert _works(client, token)
    assert last_used() == first
    with db.write() as conn:
        conn.execute(update(t).where(t.c.id == default["id"])
                     .values(last_used_at=first - TOUCH_EVERY_MS - 1))
    assert _works(client, token)
    assert last_used() > first - TOUCH_EVERY_MS - 1
    listed = {x["id"]: x for x in client.get("/api/v1/me/tokens", headers=h).json()}
    assert listed[default["id"]]["last_used_at"] is not None
    assert "token" not in listed[default["id"]]
    # Past its expiry, a token is refused.
    with db.write() as conn:
        conn.execute(update(t).where(t.c.id == default["id"]).values(
            expires_at=t.c.created_at + 1))
    assert not _works(client, token)
    assert client.get("/api/v1/me/tokens", headers=h).json()[0]["expired"] is True
    assert _works(client, longest["token"])


def test_an_operator_deactivates_an_account_and_every_credential(client, db, world, mailbox,
                                                                 op_headers):
    session = bearer(client, "camille@a.fr", PASSWORD)
    personal = _personal(client, session)["token"]
    answer = client.post(f"/api/v1/users/{world['camille']}/deactivate", headers=op_headers)
    assert answer.status_code == 200 and answer.json()["active"] is False
    assert not _works(client, session["Authorization"].split()[1])
    assert not _works(client, personal)
    assert client.post("/api/v1/auth/token", json={"email": "camille@a.fr",
                                                   "password": PASSWORD}).status_code == 401
    assert client.post(RESET, json={"email": "camille@a.fr"}).status_code == 202
    assert mailbox.texts("camille@a.fr") == []  # a deactivated account gets no link
    with db.read() as conn:
        kinds = [r.kind for r in conn.execute(select(schema.tokens))]
        [audit] = conn.execute(select(schema.audit_log).where(
            schema.audit_log.c.action == "deactivate")).all()
    assert "personal" not in kinds and "session" in kinds and "device" in kinds  # others'
    assert (audit.tenant_id, audit.entity_id) == (0, str(world["camille"]))
    assert client.post(f"/api/v1/users/{world['camille']}/activate",
                       headers=op_headers).json()["active"] is True
    assert bearer(client, "camille@a.fr", PASSWORD)


def test_a_tenant_admin_deactivates_only_what_belongs_to_its_tenant(client, db, world):
    a = world["a"]
    camille = bearer(client, "camille@a.fr", PASSWORD)
    dominique = bearer(client, "dominique@x.fr", PASSWORD)
    answers = [client.post(f"{a['base']}/members/{world[who]}/deactivate",
                           headers=world["admin_a"]) for who in ("camille", "dominique")]
    assert [r.status_code for r in answers] == [200, 200]
    # Same words either way: A's admin does not learn that Dominique is a member of B.
    assert answers[0].json()["detail"].replace("camille@a.fr", "X") == \
        answers[1].json()["detail"].replace("dominique@x.fr", "X")
    # Camille belonged to A only: the account is deactivated, its session is gone.
    assert client.get("/api/v1/me", headers=camille).status_code == 401
    assert client.post("/api/v1/auth/token", json={"email": "camille@a.fr",
                                                   "password": PASSWORD}).status_code == 401
    # Dominique keeps the account and B; only A is gone.
    me = client.get("/api/v1/me", headers=dominique).json()
    assert [m["tenant_id"] for m in me["memberships"]] == [world["b"]["tenant"]]
    assert client.get(f"{a['base']}/assets", headers=dominique).status_code == 404
    assert client.get(f"{world['b']['base']}/assets", headers=dominique).status_code == 200
    self_ = client.post(f"{a['base']}/members/{users_id(db, 'admin-a@x.fr')}/deactivate",
                        headers=world["admin_a"])
    assert self_.status_code == 422 and "propre compte" in self_.json()["detail"]
    a_log = schema.audit_log
    with db.read() as conn:
        tenant_a = [(r.action, r.entity, r.entity_id) for r in conn.execute(
            select(a_log).where(a_log.c.tenant_id == a["tenant"]))]
        instance = [(r.action, r.entity_id) for r in conn.execute(
            select(a_log).where(a_log.c.tenant_id == 0, a_log.c.action == "deactivate"))]
    assert ("delete", "membership", str(world["dominique"])) in tenant_a
    assert instance == [("deactivate", str(world["camille"]))]


def users_id(db, email: str) -> int:
    with db.read() as conn:
        return users.find_user(conn, email).id


def test_personal_token_lifetime_is_counted_in_days(client, db, world):
    h = bearer(client, "dominique@x.fr", PASSWORD)
    one = _personal(client, h, expires_in_days=1)
    with db.read() as conn:
        row = conn.execute(select(schema.tokens).where(schema.tokens.c.id == one["id"])).one()
    assert row.expires_at - row.created_at == DAY_MS
