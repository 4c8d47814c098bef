"""The audit log: every write made by a person (API user or CLI operator)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import Connection, select

from ..storage import schema
from ..storage.database import Database
from .clock import format_instant, now_ms
from .errors import Invalid


@dataclass(frozen=True)
class AuditEntry:
    tenant_id: int
    user_id: int | None
    action: str
    entity: str
    entity_id: Any
    details: Mapping[str, Any] | None = None


def write_audit(conn: Connection, db: Database, tenant_id: int, user_id: int | None,
                action: str, entity: str, entity_id: Any,
                details: Mapping[str, Any] | None = None) -> None:
    conn.execute(
        schema.audit_log.insert().values(
            tenant_id=tenant_id,
            id=db.allocate_ids(conn, "audit_log"),
            at=now_ms(),
            user_id=user_id,
            action=action,
            entity=entity,
            entity_id=None if entity_id is None else str(entity_id),
            details=orjson.dumps(dict(details or {})).decode(),
        )
    )


def write_audits(conn: Connection, db: Database, entries: Sequence[AuditEntry]) -> None:
    """Many entries in two statements (ids reserved at once, one multi-row insert), one on
    PostgreSQL once the id counter exists."""
    if not entries:
        return
    if not db.is_sqlite and len(entries) <= 1000 and _insert_with_ids(conn, entries):
        return
    first = db.allocate_ids(conn, "audit_log", len(entries))
    at = now_ms()
    ph = "?" if db.is_sqlite else "%s"
    conn.exec_driver_sql(
        "INSERT INTO audit_log (tenant_id, id, at, user_id, action, entity, entity_id, details) "
        f"VALUES ({', '.join([ph] * 8)})",
        [(e.tenant_id, first + n, at, *_stored(e)) for n, e in enumerate(entries)])


def _stored(e: AuditEntry) -> tuple:
    """An entry's columns after its id and time: user, action, entity, entity id, details."""
    return (e.user_id, e.action, e.entity, None if e.entity_id is None else str(e.entity_id),
            orjson.dumps(dict(e.details or {})).decode())


def list_audit(scope, conn: Connection, *, entity: str | None = None,
               before_id: int | None = None, limit: int = 100) -> list[dict[str, Any]]:
    """Newest first; page with ``before_id`` (the last id of the previous page)."""
    scope.require("admin")
    if not 1 <= limit <= 1000:
        raise Invalid("« limit » doit être compris entre 1 et 1000.")
    a, u = schema.audit_log, schema.users
    query = (select(a, u.c.email).outerjoin(u, u.c.id == a.c.user_id)
             .where(scope.owns(a)).order_by(a.c.id.desc()).limit(limit))
    if entity:
        query = query.where(a.c.entity == entity)
    if before_id is not None:
        query = query.where(a.c.id < before_id)
    return [{"id": r.id, "at": format_instant(r.at), "user_id": r.user_id, "user_email": r.email,
             "action": r.action, "entity": r.entity, "entity_id": r.entity_id,
             "details": orjson.loads(r.details)} for r in conn.execute(query)]


def _insert_with_ids(conn: Connection, entries: Sequence[AuditEntry]) -> bool:
    """PostgreSQL: the ids reserved and the entries inserted by one statement (one round
    trip instead of two: every audited write of the group writer pays it). False, having
    written nothing, while the audit log's id counter does not exist yet."""
    at = now_ms()
    row = "(%s::bigint, %s::bigint, %s::bigint, %s::bigint, %s::text, %s::text, %s::text, %s::text)"
    params: list[Any] = [len(entries), len(entries)]
    for k, e in enumerate(entries):
        params += [k, e.tenant_id, at, *_stored(e)]
    inserted = conn.exec_driver_sql(
        "WITH ids AS (UPDATE id_counters SET next_value = next_value + %s "
        "WHERE name = 'audit_log' RETURNING next_value) "
        "INSERT INTO audit_log (tenant_id, id, at, user_id, action, entity, entity_id, details) "
        "SELECT v.tenant_id, ids.next_value - %s + v.k, v.at, v.user_id, v.action, v.entity, "
        f"v.entity_id, v.details FROM ids, (VALUES {', '.join([row] * len(entries))}) "
        "AS v(k, tenant_id, at, user_id, action, entity, entity_id, details)", tuple(params))
    return inserted.rowcount == len(entries)
