"""Fixtures: every test gets its own fresh database, on SQLite and on PostgreSQL.

The ``db`` fixture is parametrised over both backends; PostgreSQL comes from
``BEFFROI_TEST_PG_URL`` (set by scripts/test.sh, which starts a real server).
Each test gets a new database cloned from a migrated template (a copied file on SQLite,
``CREATE DATABASE … TEMPLATE`` on PostgreSQL).
"""

from __future__ import annotations

import email
import email.policy
import os
import shutil
import socket
import time
import uuid
from collections.abc import Iterator

import psycopg
import pytest
from aiosmtpd.controller import Controller
from argon2 import PasswordHasher
from fastapi.testclient import TestClient

from beffroi.api.app import create_app
from beffroi.core import auth, users
from beffroi.core.registry import Registry, load_registry
from beffroi.storage.database import Database
from beffroi.storage.migrate import upgrade

PG_URL = os.environ.get("BEFFROI_TEST_PG_URL")

# Cheap argon2 parameters, in the tests only: hundreds of fixtures create accounts and log in,
# and the product's parameters cost about 0.1 s per hash and per verification (far more on a
# loaded machine). The product's own hasher is kept for the test that checks its strength.
PRODUCT_HASHER = auth._hasher
auth._hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
_template_ready = False


def _pg_admin_url() -> str:
    return PG_URL.replace("postgresql://", "postgresql://", 1)


def _template_name() -> str:
    """One migrated template per pytest-xdist worker (``gw0``, ``gw1``…): workers never
    create, drop or copy each other's template at the same time."""
    return "beffroi_template_" + os.environ.get("PYTEST_XDIST_WORKER", "main")


def _pg_database(template: str | None = None) -> str:
    """A new database cloned from ``template`` (this worker's migrated one unless told)."""
    global _template_ready
    name = "t_" + uuid.uuid4().hex[:12]
    template_name = _template_name()
    with psycopg.connect(_pg_admin_url(), autocommit=True) as conn:
        if not _template_ready:
            conn.execute(f"DROP DATABASE IF EXISTS {template_name}")
            conn.execute(f"CREATE DATABASE {template_name}")
            base = PG_URL.rsplit("/", 1)[0]
            template_db = Database(f"{base}/{template_name}")
            upgrade(template_db)
            template_db.dispose()
            _template_ready = True
        # PostgreSQL 15+ copies the template block by block through the WAL by default
        # (≈ 0.6 s a database); copying its files is ≈ 15 times faster for a small template.
        strategy = " STRATEGY FILE_COPY" if conn.info.server_version >= 150000 else ""
        conn.execute(f"CREATE DATABASE {name} TEMPLATE {template or template_name}{strategy}")
    return f"{PG_URL.rsplit('/', 1)[0]}/{name}"


_sqlite_template_path = None


def _sqlite_template(factory: pytest.TempPathFactory):
    """A migrated SQLite file, made once per session and copied for each test."""
    global _sqlite_template_path
    if _sqlite_template_path is None:
        path = factory.mktemp("template") / "beffroi.db"
        template = Database(str(path))
        upgrade(template)
        template.dispose()
        _sqlite_template_path = path
    return _sqlite_template_path


def _drop_pg(url: str) -> None:
    name = url.rsplit("/", 1)[1]
    with psycopg.connect(_pg_admin_url(), autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def pytest_collection_modifyitems(config, items):
    if os.environ.get("BEFFROI_REQUIRE_PG") and not PG_URL:
        raise pytest.UsageError("BEFFROI_REQUIRE_PG is set but BEFFROI_TEST_PG_URL is missing")


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request, tmp_path, tmp_path_factory) -> Iterator[Database]:
    """A fresh, migrated database of each backend."""
    if request.param == "sqlite":
        path = tmp_path / "beffroi.db"
        shutil.copyfile(_sqlite_template(tmp_path_factory), path)
        database = Database(str(path))
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
                          password_hash=users.new_password_hash("operator-pass"),
                          is_operator_admin=True)
    return {"email": "op@beffroi.test", "password": "operator-pass"}


def bearer(client: TestClient, email: str, password: str) -> dict[str, str]:
    response = client.post("/api/v1/auth/token", json={"email": email, "password": password})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


@pytest.fixture
def op_headers(client, operator) -> dict[str, str]:
    return bearer(client, operator["email"], operator["password"])


# -- a real SMTP server on a loopback port (notifications, password reset) -------------------
class Mailbox:
    """What the local SMTP server received: (envelope recipients, parsed message)."""

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], email.message.EmailMessage]] = []

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd handler hook
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append((list(envelope.rcpt_tos), parsed))
        return "250 Message accepted"

    def to(self, address: str) -> list[email.message.EmailMessage]:
        return [m for rcpt, m in self.messages if address in rcpt]

    @staticmethod
    def text(message) -> str:
        return message.get_body(("plain",)).get_content()

    def texts(self, address: str) -> list[str]:
        return [self.text(m) for m in self.to(address)]

    def wait_for(self, address: str, timeout: float = 10) -> str:
        """The text of the latest e-mail to ``address``, once one has come."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.to(address):
                return self.texts(address)[-1]
            time.sleep(0.05)
        raise AssertionError(f"no e-mail for {address}")


@pytest.fixture(scope="session")
def smtp_server() -> Iterator[tuple[Controller, Mailbox]]:
    box = Mailbox()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    yield controller, box
    controller.stop()


@pytest.fixture
def mailbox(smtp_server, monkeypatch) -> Mailbox:
    """An empty mailbox, and Beffroi configured to send to it."""
    controller, box = smtp_server
    box.messages.clear()
    monkeypatch.setenv("BEFFROI_SMTP_URL", f"smtp://127.0.0.1:{controller.port}")
    monkeypatch.setenv("BEFFROI_MAIL_FROM", "alertes@beffroi.test")
    monkeypatch.setenv("BEFFROI_PUBLIC_URL", "https://beffroi.example.fr/")
    return box
