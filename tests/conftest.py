"""Fixtures: every test gets its own fresh database, on SQLite and on PostgreSQL.

The ``db`` fixture is parametrised over both backends; PostgreSQL comes from
``BEFFROI_TEST_PG_URL`` (set by scripts/test.sh, which starts a real server).
Each PostgreSQL test gets a new database cloned from a migrated template.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import psycopg
import pytest
from fastapi.testclient import TestClient

from beffroi.api.app import create_app
from beffroi.core import users
from beffroi.core.registry import Registry, load_registry
from beffroi.storage.database import Database
from beffroi.storage.migrate import upgrade

PG_URL = os.environ.get("BEFFROI_TEST_PG_URL")
_template_ready = False


def _pg_admin_url() -> str:
    return PG_URL.replace("postgresql://", "postgresql://", 1)


def _pg_database() -> str:
    global _template_ready
    name = "t_" + uuid.uuid4().hex[:12]
    with psycopg.connect(_pg_admin_url(), autocommit=True) as conn:
        if not _template_ready:
            conn.execute("DROP DATABASE IF EXISTS beffroi_template")
            conn.execute("CREATE DATABASE beffroi_template")
            base = PG_URL.rsplit("/", 1)[0]
            template = Database(f"{base}/beffroi_template")
            upgrade(template)
            template.dispose()
            _template_ready = True
        conn.execute(f"CREATE DATABASE {name} TEMPLATE beffroi_template")
    return f"{PG_URL.rsplit('/', 1)[0]}/{name}"


def _drop_pg(url: str) -> None:
    name = url.rsplit("/", 1)[1]
    with psycopg.connect(_pg_admin_url(), autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def pytest_collection_modifyitems(config, items):
    if os.environ.get("BEFFROI_REQUIRE_PG") and not PG_URL:
        raise pytest.UsageError("BEFFROI_REQUIRE_PG is set but BEFFROI_TEST_PG_URL is missing")


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request, tmp_path) -> Iterator[Database]:
    """A fresh, migrated database of each backend."""
    if request.param == "sqlite":
        database = Database(str(tmp_path / "beffroi.db"))
        upgrade(database)
        yield database
        database.dispose()
    else:
        if not PG_URL:
            pytest.skip("PostgreSQL not started (run the suite through `make test`)")
        url = _pg_database()
        database = Database(url)
        yield database
        database.dispose()
        _drop_pg(url)


@pytest.fixture(scope="session")
def registry() -> Registry:
    """Core tests run with the generic domain alone: core must not need the others."""
    return load_registry(["generic"])


@pytest.fixture
def app(db, registry):
    return create_app(db, registry)


@pytest.fixture
def client(app) -> Iterator[TestClient]:
    with TestClient(app) as c:
        yield c


@pytest.fixture
def operator(db) -> dict:
    with db.write() as conn:
        users.create_user(db, conn, email="op@beffroi.test", name="Opératrice",
                          password="operator-pass", is_operator_admin=True)
    return {"email": "op@beffroi.test", "password": "operator-pass"}


def bearer(client: TestClient, email: str, password: str) -> dict[str, str]:
    response = client.post("/api/v1/auth/token", json={"email": email, "password": password})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


@pytest.fixture
def op_headers(client, operator) -> dict[str, str]:
    return bearer(client, operator["email"], operator["password"])
