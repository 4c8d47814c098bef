"""Fixtures of the waste domain's tests, built on Beffroi's public entry points only (an
extension's tests do not see Beffroi's own): a fresh migrated database of each backend
(PostgreSQL from ``BEFFROI_TEST_PG_URL``, as Beffroi's suite sets it), the application with
every installed domain, and a territory of two communes with an operator's token."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator

import psycopg
import pytest
from fastapi.testclient import TestClient

from beffroi.api.app import create_app
from beffroi.core import tenants, users
from beffroi.core.access import CLI, open_scope
from beffroi.core.registry import load_registry
from beffroi.storage.database import Database
from beffroi.storage.migrate import upgrade

PG_URL = os.environ.get("BEFFROI_TEST_PG_URL")
SQUARE = {"type": "Polygon", "coordinates": [[[6.55, 48.0], [6.65, 48.0], [6.65, 48.05],
                                               [6.55, 48.05], [6.55, 48.0]]]}
_sqlite_template = None
_pg_template_name = None


@pytest.fixture(scope="session")
def registry():
    return load_registry()


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request, tmp_path, tmp_path_factory) -> Iterator[Database]:
    global _sqlite_template
    if request.param == "sqlite":
        if _sqlite_template is None:
            path = tmp_path_factory.mktemp("waste-template") / "beffroi.db"
            template = Database(str(path))
            upgrade(template)
            template.dispose()
            _sqlite_template = path
        shutil.copyfile(_sqlite_template, tmp_path / "beffroi.db")
        database = Database(str(tmp_path / "beffroi.db"))
        yield database
        database.dispose()
        return
    if not PG_URL:
        pytest.skip("PostgreSQL not started (run the suite through `make test`)")
    name = "w_" + uuid.uuid4().hex[:12]
    with psycopg.connect(PG_URL, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name} TEMPLATE {_pg_template(conn)}")
    url = f"{PG_URL.rsplit('/', 1)[0]}/{name}"
    database = Database(url)
    yield database
    database.dispose()
    with psycopg.connect(PG_URL, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def _pg_template(conn) -> str:
    """A migrated database, made once per test process and cloned for each test."""
    global _pg_template_name
    if _pg_template_name is None:
        name = "waste_template_" + os.environ.get("PYTEST_XDIST_WORKER", "main")
        conn.execute(f"DROP DATABASE IF EXISTS {name}")
        conn.execute(f"CREATE DATABASE {name}")
        template = Database(f"{PG_URL.rsplit('/', 1)[0]}/{name}")
        upgrade(template)
        template.dispose()
        _pg_template_name = name
    return _pg_template_name


@pytest.fixture
def client(db, registry) -> Iterator[TestClient]:
    with TestClient(create_app(db, registry)) as c:
        yield c


@pytest.fixture
def territory(db, registry, client) -> dict:
    """A territory with two communes, and an operator's bearer token."""
    with db.write() as conn:
        users.create_user(db, conn, email="op@dechets.test", name="Opératrice",
                          password_hash=users.new_password_hash("operator-pass"),
                          is_operator_admin=True)
        t = tenants.create_tenant(db, conn, CLI, name="SICTOM de test", registry=registry)
        scope = open_scope(db, conn, CLI, t["id"])
        tenants.create_commune(scope, conn, {"insee": "88383", "name": "Remiremont",
                                             "boundary": SQUARE})
        tenants.create_commune(scope, conn, {"insee": "88415",
                                             "name": "Saint-Étienne-lès-Remiremont"})
    token = client.post("/api/v1/auth/token", json={"email": "op@dechets.test",
                                                    "password": "operator-pass"})
    assert token.status_code == 200, token.text
    return {"tenant": t["id"], "base": f"/api/v1/tenants/{t['id']}",
            "headers": {"Authorization": f"Bearer {token.json()['access_token']}"}}
