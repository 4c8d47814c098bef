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
from collections.abc import Iterator

import pytest
from aiosmtpd.controller import Controller
from fastapi.testclient import TestClient
from suite_apps import fresh_app

from beffroi.core import users
from beffroi.core.registry import Registry, load_registry
from beffroi.storage.database import Database
from suite_accounts import bearer
from suite_databases import PG_URL, drop_pg, pg_database, sqlite_template


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    """``--dist loadfile`` with the costliest files first (see suite_schedule.py)."""
    if config.getoption("dist") == "loadfile":
        from suite_schedule import CostliestFirst

        return CostliestFirst(config, log)
    return None


@pytest.fixture(scope="session", autouse=True)
def _product_imported() -> None:
    """Every module of the product (and of the installed extensions) imported before the
    first test of a worker. A test that pins core's clock (``monkeypatch.setattr(clock,
    "now_ms", …)``) would otherwise hand its pinned function to any module first imported
    under it (``from ..core.clock import now_ms``), for the rest of the worker's tests:
    run after the public indicators' tests (15 March 2026), the buildings page saw no CO2
    « today »."""
    import importlib
    import pkgutil

    import beffroi

    for module in pkgutil.walk_packages(beffroi.__path__, "beffroi."):
        if not module.name.endswith("__main__"):
            importlib.import_module(module.name)
    load_registry()


def pytest_collection_modifyitems(config, items):
    if os.environ.get("BEFFROI_REQUIRE_PG") and not PG_URL:
        raise pytest.UsageError("BEFFROI_REQUIRE_PG is set but BEFFROI_TEST_PG_URL is missing")


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request, tmp_path, tmp_path_factory) -> Iterator[Database]:
    """A fresh, migrated database of each backend."""
    if request.param == "sqlite":
        path = tmp_path / "beffroi.db"
        shutil.copyfile(sqlite_template(tmp_path_factory), path)
        database = Database(str(path))
        yield database
        database.dispose()
    else:
        if not PG_URL:
            pytest.skip("PostgreSQL not started (run the suite through `make test`)")
        url = pg_database()
        database = Database(url)
        yield database
        database.dispose()
        drop_pg(url)


@pytest.fixture(scope="session")
def registry() -> Registry:
    """Core tests run with the generic domain alone: core must not need the others."""
    return load_registry(["generic"])


@pytest.fixture
def app(db, registry):
    return fresh_app(db, registry)


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
