"""Database handle: one schema, two backends, chosen by URL.

SQLite (a file path or ``sqlite:///...``) is the zero-configuration default and
runs in WAL mode with a single writer: write transactions are serialised by a
process lock so readers never wait and writers never fight over the file.
PostgreSQL (``postgresql://...``) serves operators hosting many tenants.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Connection, Engine, create_engine, event, inspect, text

from . import schema
from .group_commit import GroupCommit
from .textsearch import register_sqlite


def normalise_url(target: str) -> str:
    """Accept a plain file path, a SQLite URL or a PostgreSQL URL."""
    if target.startswith(("postgresql://", "postgres://")):
        scheme, rest = target.split("://", 1)
        return f"postgresql+psycopg://{rest}"
    if "://" in target:
        return target
    return f"sqlite:///{Path(target).expanduser().resolve()}"


class Database:
    """Engine plus the read/write discipline of the backend."""

    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url = normalise_url(url)
        self.is_sqlite = self.url.startswith("sqlite")
        self._write_lock = threading.RLock()
        if self.is_sqlite:
            self.engine: Engine = create_engine(
                self.url, echo=echo, connect_args={"check_same_thread": False, "timeout": 30}
            )
            event.listen(self.engine, "connect", _sqlite_pragmas)
        else:
            # Ten connections kept open: the group writer's and reader's, and requests read
            # in the thread pool; fewer made the pool open and close a connection (a server
            # process each) for most requests under load.
            self.engine = create_engine(
                self.url, echo=echo, pool_size=10, max_overflow=20, pool_pre_ping=True
            )
        # Small writes (single observations, network-server uplinks) are committed together;
        # on PostgreSQL the callers' tokens are looked up together.
        self.group_commit = GroupCommit(self)
        self.group_read = GroupCommit(self, reading=True)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def read(self) -> Iterator[Connection]:
        with self.engine.connect() as conn:
            yield conn

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """One write transaction; serialised per process on SQLite."""
        if self.is_sqlite:
            with self._write_lock, self.engine.begin() as conn:
                yield conn
        else:
            with self.engine.begin() as conn:
                yield conn

    @contextmanager
    def transaction_on(self, conn: Connection) -> Iterator[Connection]:
        """One write transaction on a connection its caller keeps (the group writer's);
        serialised per process on SQLite, as ``write``."""
        if self.is_sqlite:
            with self._write_lock, conn.begin():
                yield conn
        else:
            with conn.begin():
                yield conn

    @contextmanager
    def pipeline(self, conn: Connection) -> Iterator[None]:
        """Statements sent without waiting for each answer (PostgreSQL's pipeline mode;
        their results are read at the end of the block, errors raised there): for writes
        whose results the code does not read. A plain block on SQLite."""
        if self.is_sqlite:
            yield
        else:
            with conn.connection.dbapi_connection.pipeline():
                yield

    def allocate_ids(self, conn: Connection, name: str, count: int = 1) -> int:
        """Reserve ``count`` consecutive ids for table ``name``; returns the first.

        Portable replacement for sequences: an atomic ``UPDATE ... RETURNING`` on
        one counter row (row-locked on PostgreSQL, single writer on SQLite), as plain SQL:
        every audited write asks for an id.
        """
        ph = "?" if self.is_sqlite else "%s"
        row = conn.exec_driver_sql(
            f"UPDATE id_counters SET next_value = next_value + {ph} WHERE name = {ph} "
            "RETURNING next_value", (count, name)).first()
        if row is None:
            conn.execute(schema.id_counters.insert().values(name=name, next_value=1 + count))
            return 1
        return int(row[0]) - count

    def schema_revision(self) -> str | None:
        """The Alembic revision the database is at, or None if never migrated."""
        with self.read() as conn:
            if not inspect(conn).has_table("alembic_version"):
                return None
            return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()

    def dispose(self) -> None:
        self.group_commit.close()
        self.group_read.close()
        self.engine.dispose()


def _sqlite_pragmas(dbapi_conn, _record) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.execute("PRAGMA cache_size=-20000")
    cur.close()
    register_sqlite(dbapi_conn)  # the accent-insensitive search (storage.textsearch)
