"""Cookie sessions: each write carries the anti-CSRF token of its own session.

The token is derived from the session (HMAC keyed with its HttpOnly secret), so a token
taken from another session, or a cookie planted by a sibling sub-domain next to a matching
header (what the old double-submit check accepted), is refused.
"""

from __future__ import annotations

from fastapi.testclient import TestClient

BODY = {"name": "Territoire cookie"}


def _login(app, operator) -> tuple[TestClient, str]:
    client = TestClient(app)
    answer = client.post("/api/v1/auth/login", json=operator)
    assert answer.status_code == 200
    return client, answer.json()["csrf_token"]


def test_a_write_needs_the_token_of_its_own_session(app, operator):
    mine, token = _login(app, operator)
    other, other_token = _login(app, operator)
    assert token != other_token and len(token) == 64
    assert mine.get("/api/v1/auth/csrf").json() == {"csrf_token": token}
    assert other.get("/api/v1/auth/csrf").json() == {"csrf_token": other_token}

    refused = {
        "missing": mine.post("/api/v1/tenants", json=BODY),
        "another session's": mine.post("/api/v1/tenants", json=BODY,
                                       headers={"X-CSRF-Token": other_token}),
        # A cookie set by a sibling sub-domain, echoed in the header: double-submit's hole.
        "planted cookie": mine.post("/api/v1/tenants", json=BODY, headers={
            "X-CSRF-Token": "abc", "Cookie":
                f"beffroi_session={mine.cookies['beffroi_session']}; beffroi_csrf=abc"}),
    }
    assert {k: (r.status_code, r.json()["detail"]) for k, r in refused.items()} == {
        k: (403, "Jeton anti-CSRF manquant ou incorrect (en-tête X-CSRF-Token).")
        for k in refused}
    ok = mine.post("/api/v1/tenants", json=BODY, headers={"X-CSRF-Token": token})
    assert ok.status_code == 201
    assert other.post("/api/v1/tenants", json={"name": "Autre"},
                      headers={"X-CSRF-Token": other_token}).status_code == 201
    # Bearer tokens are not sent by browsers on their own: no CSRF token for them.
    assert mine.get("/api/v1/me").status_code == 200
    mine.close()
    other.close()


def test_the_token_ends_with_its_session(app, operator):
    client, token = _login(app, operator)
    assert client.post("/api/v1/auth/logout", headers={"X-CSRF-Token": token}).status_code == 204
    assert client.get("/api/v1/auth/csrf").json() == {"csrf_token": None}
    again, new_token = _login(app, operator)
    assert new_token != token
    client.close()
    again.close()


def test_no_csrf_cookie_is_set_any_more(app, operator):
    client = TestClient(app)
    answer = client.post("/api/v1/auth/login", json=operator)
    assert "beffroi_csrf" not in answer.headers.get("set-cookie", "")
    assert set(client.cookies.keys()) == {"beffroi_session"}
    client.close()
