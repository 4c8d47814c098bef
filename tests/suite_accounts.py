"""Accounts in the suite: cheap password hashing and a bearer token for a login.

Kept out of ``conftest.py`` so that test modules import it by a name no other
``conftest`` shadows (see suite_databases.py).
"""

from __future__ import annotations

from argon2 import PasswordHasher
from fastapi.testclient import TestClient

from beffroi.core import auth

# Cheap argon2 parameters, in the tests only: hundreds of fixtures create accounts and log in,
# and the product's parameters cost about 0.1 s per hash and per verification (far more on a
# loaded machine). The product's own hasher is kept for the test that checks its strength.
PRODUCT_HASHER = auth._hasher
auth._hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)

def bearer(client: TestClient, email: str, password: str) -> dict[str, str]:
    response = client.post("/api/v1/auth/token", json={"email": email, "password": password})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}
