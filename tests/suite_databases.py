"""The suite's databases: a migrated template per backend, cloned for each test.

Kept out of ``conftest.py`` so that test modules can import it by a name no other
``conftest`` shadows (the waste example's tests have their own ``conftest`` in the same
session, and pytest keeps only the last one loaded under the name ``conftest``).
"""

from __future__ import annotations

import os
import uuid

import psycopg
import pytest

from beffroi.storage.database import Database
from beffroi.storage.migrate import upgrade

PG_URL = os.environ.get("BEFFROI_TEST_PG_URL")

_template_ready = False


def _pg_admin_url() -> str:
    return PG_URL.replace("postgresql://", "postgresql://", 1)


def _template_name() -> str:
    """One migrated template per pytest-xdist worker (``gw0``, ``gw1``…): workers never
    create, drop or copy each other's template at the same time."""
    return "beffroi_template_" + os.environ.get("PYTEST_XDIST_WORKER", "main")


def pg_database(template: str | None = None) -> str:
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


def sqlite_template(factory: pytest.TempPathFactory):
    """A migrated SQLite file, made once per session and copied for each test."""
    global _sqlite_template_path
    if _sqlite_template_path is None:
        path = factory.mktemp("template") / "beffroi.db"
        template = Database(str(path))
        upgrade(template)
        template.dispose()
        _sqlite_template_path = path
    return _sqlite_template_path


def drop_pg(url: str) -> None:
    name = url.rsplit("/", 1)[1]
    with psycopg.connect(_pg_admin_url(), autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
