"""Authentication: bearer tokens, session cookie with CSRF, personal tokens, problem+json."""

from __future__ import annotations

from sqlalchemy import select

from beffroi.storage import schema


def test_login_errors_are_precise(client, operator):
    wrong = client.post("/api/v1/auth/token", json={"email": operator["email"], "password": "x"})
    assert wrong.status_code == 401
    assert wrong.headers["content-type"] == "application/problem+json"
    assert "incorrect" in wrong.json()["detail"]
    missing = client.post("/api/v1/auth/token", json={"email": operator["email"]})
    assert missing.status_code == 422
    assert [e["field"] for e in missing.json()["errors"]] == ["password"]
    garbage = client.post("/api/v1/auth/token", content=b"{", headers={"content-type": "application/json"})
    assert garbage.status_code == 422 and "JSON" in garbage.json()["detail"]


def test_token_is_stored_hashed_and_passwords_with_argon2(client, db, operator, op_headers):
    secret = op_headers["Authorization"].split()[1]
    with db.read() as conn:
        hashes = [r.token_hash for r in conn.execute(select(schema.tokens))]
        pw = conn.execute(select(schema.users.c.password_hash)).scalar()
    assert secret not in hashes and len(hashes[0]) == 64
    assert pw.startswith("$argon2")
    assert client.get("/api/v1/me", headers=op_headers).json()["email"] == operator["email"]
    assert client.get("/api/v1/me", headers={"Authorization": "Bearer bfs_forged"}).status_code == 401
    assert client.get("/api/v1/me", headers={"Authorization": "Basic abc"}).status_code == 401
    assert client.get("/api/v1/me").status_code == 401


def test_cookie_session_requires_csrf_for_writes(client, operator):
    login = client.post("/api/v1/auth/login", json=operator)
    assert login.status_code == 200
    assert "httponly" in login.headers["set-cookie"].lower()
    assert client.get("/api/v1/me").status_code == 200  # cookie is enough to read
    body = {"name": "Territoire cookie"}
    assert client.post("/api/v1/tenants", json=body).status_code == 403
    csrf = login.json()["csrf_token"]
    ok = client.post("/api/v1/tenants", json=body, headers={"X-CSRF-Token": csrf})
    assert ok.status_code == 201
    assert client.post("/api/v1/auth/logout", headers={"X-CSRF-Token": csrf}).status_code == 204
    client.cookies.clear()
    assert client.get("/api/v1/me").status_code == 401


def test_personal_tokens_can_be_created_used_and_revoked(client, op_headers):
    created = client.post("/api/v1/me/tokens", headers=op_headers, json={"name": "script SIG"})
    assert created.status_code == 201
    token = created.json()["token"]
    h = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/me", headers=h).status_code == 200
    assert [t["name"] for t in client.get("/api/v1/me/tokens", headers=h).json()] == ["script SIG"]
    assert "token" not in client.get("/api/v1/me/tokens", headers=h).json()[0]
    assert client.delete(f"/api/v1/me/tokens/{created.json()['id']}", headers=op_headers).status_code == 204
    assert client.get("/api/v1/me", headers=h).status_code == 401
    assert client.post("/api/v1/me/tokens", headers=op_headers, json={}).status_code == 422


def test_unknown_routes_and_methods_answer_problem_json(client, op_headers):
    missing = client.get("/api/v1/nowhere", headers=op_headers)
    assert missing.status_code == 404 and missing.headers["content-type"] == "application/problem+json"
    wrong = client.put("/api/v1/tenants", headers=op_headers)
    assert wrong.status_code == 405 and wrong.json()["title"] == "Méthode non permise"
    bad_param = client.get("/api/v1/tenants/1/devices/abc", headers=op_headers)
    assert bad_param.status_code == 422 and bad_param.json()["errors"][0]["field"] == "device_id"
    # …/assets/{id} only takes digits: …/assets/status and …/assets/import are other resources.
    assert client.get("/api/v1/tenants/1/assets/abc", headers=op_headers).status_code == 404


def test_openapi_is_published(client):
    doc = client.get("/api/v1/openapi.json").json()
    assert "/api/v1/tenants/{tenant}/observations" in doc["paths"]
    assert doc["info"]["title"] == "Beffroi"


def test_the_product_hashes_passwords_with_strong_argon2_parameters():
    """The tests swap in cheap parameters (tests/conftest.py); the product's stay at or above
    OWASP's minimum for argon2id (19 MiB of memory, 2 iterations)."""
    from suite_accounts import PRODUCT_HASHER

    assert PRODUCT_HASHER.type.name == "ID"
    assert PRODUCT_HASHER.memory_cost >= 19 * 1024 and PRODUCT_HASHER.time_cost >= 2
