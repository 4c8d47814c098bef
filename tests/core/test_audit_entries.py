"""Audit entries written together (``write_audits``): consecutive ids from the audit log's
counter, each entry as given, whether the counter exists yet or not (PostgreSQL reserves
the ids and inserts in one statement once it does)."""

from __future__ import annotations

import orjson
from sqlalchemy import select, text

from beffroi.core.audit import AuditEntry, write_audits
from beffroi.storage import schema


def _counter(db) -> int | None:
    with db.read() as conn:
        return conn.execute(text(
            "SELECT next_value FROM id_counters WHERE name = 'audit_log'")).scalar()


def _log(db) -> list[tuple]:
    a = schema.audit_log
    with db.read() as conn:
        return [tuple(r) for r in conn.execute(select(
            a.c.id, a.c.tenant_id, a.c.user_id, a.c.action, a.c.entity, a.c.entity_id,
            a.c.details).order_by(a.c.id))]


def test_entries_get_consecutive_ids_from_the_counter_created_or_not(db):
    with db.write() as conn:
        conn.execute(text("DELETE FROM id_counters WHERE name = 'audit_log'"))
        conn.execute(text("DELETE FROM audit_log"))
    first = [AuditEntry(3, 7, "ingest", "observations", None, {"stored": 1}),
             AuditEntry(0, None, "login", "users", 42, None)]
    with db.write() as conn:  # no counter yet
        write_audits(conn, db, first)
    after_first = _counter(db)
    second = [AuditEntry(5, 9, "ingest", "observations", "x", {"stored": n, "note": "é"})
              for n in range(3)]
    with db.write() as conn:  # the counter exists now
        write_audits(conn, db, second)
    log = _log(db)
    ids = [row[0] for row in log]
    assert ids == list(range(ids[0], ids[0] + 5))
    assert _counter(db) == after_first + 3 == ids[-1] + 1
    assert [row[1:6] for row in log] == [
        (3, 7, "ingest", "observations", None), (0, None, "login", "users", "42"),
        (5, 9, "ingest", "observations", "x"), (5, 9, "ingest", "observations", "x"),
        (5, 9, "ingest", "observations", "x")]
    assert [orjson.loads(row[6]) for row in log] == [
        {"stored": 1}, {}, *({"stored": n, "note": "é"} for n in range(3))]


def test_a_refused_transaction_keeps_neither_entries_nor_ids(db):
    with db.write() as conn:
        write_audits(conn, db, [AuditEntry(1, 1, "create", "assets", 1)])
    before, log = _counter(db), _log(db)
    try:
        with db.write() as conn:
            write_audits(conn, db, [AuditEntry(1, 1, "create", "assets", n) for n in (2, 3)])
            raise RuntimeError("refus")
    except RuntimeError:
        pass
    assert _counter(db) == before and _log(db) == log
