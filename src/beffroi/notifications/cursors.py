"""Positions in the alert-event log, kept in ``job_leases.cursor`` (one row per reader).

The routing job reads under its own job name; the daily digest keeps one row per tenant
(``notifications.digest:{tenant_id}``) whose ``last_run_at`` is the time of that tenant's
last digest. Rows are locked while a reader works (``FOR UPDATE`` on PostgreSQL; SQLite
has a single writer).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, select, update

from ..storage import schema


def read(conn: Connection, name: str) -> Any | None:
    """(cursor, last_run_at) of a reader, locked for this transaction; None if never seen."""
    j = schema.job_leases
    return conn.execute(select(j.c.cursor, j.c.last_run_at).where(j.c.name == name)
                        .with_for_update()).first()


def save(conn: Connection, name: str, cursor: int | None, *,
         ran_at: int | None = None) -> None:
    j = schema.job_leases
    values: dict[str, Any] = {"cursor": cursor}
    if ran_at is not None:
        values["last_run_at"] = ran_at
    done = conn.execute(update(j).where(j.c.name == name).values(**values))
    if done.rowcount == 0:
        conn.execute(j.insert().values(name=name, holder=None, expires_at=0, **values))
