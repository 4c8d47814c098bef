"""MQTT messages set aside after an unexpected error in Beffroi, kept to be replayed.

A message Beffroi cannot read (bad JSON, unknown device…) is refused, counted and
acknowledged: it would never get better. A message that makes Beffroi itself fail (a bug,
an integrity error) is another matter: it may be stored once the cause is fixed. It
cannot stay unacknowledged either, since PUBACKs go in order and one message held back
would hold every later one of the session. So the worker tries it alone a few times, then
keeps it here (topic, payload, error), and only then acknowledges it: nothing is lost.
``beffroi mqtt replay`` feeds the kept messages through the worker again (as
re-deliveries: one already stored is recognised by its digest and not stored twice).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from sqlalchemy import delete, select, update

from ..core.access import find_tenant
from ..storage import schema
from ..storage.database import Database
from .uplink import record_rejection, resolve_devices

log = logging.getLogger("beffroi.mqtt")

REASON = ("message mis de côté après une erreur interne de Beffroi ; il sera rejoué par "
          "« beffroi mqtt replay »")


def _owner(db: Database, topic: str) -> tuple[int, int | None]:
    """(tenant id or 0, device id or None) the topic names, as far as it can be told."""
    parts = topic.split("/")
    if len(parts) != 5:
        return 0, None
    try:
        with db.read() as conn:
            tenant = find_tenant(conn, parts[1])
            if tenant is None:
                return 0, None
            device = resolve_devices(conn, tenant.id, [parts[3]]).get(parts[3])
            return tenant.id, device.id if device is not None else None
    except Exception:  # the failure may lie here too: keep the message all the same
        log.exception("could not tell which device sent the message on %s", topic)
        return 0, None


def keep(db: Database, topic: str, payload: bytes, error: str, now: int) -> int:
    """Keep a message that failed unexpectedly; returns its quarantine id. Counted as a
    rejected message of its device when the device is known."""
    tenant_id, device_id = _owner(db, topic)
    q = schema.mqtt_quarantine
    with db.write() as conn:
        qid = db.allocate_ids(conn, "mqtt_quarantine")
        conn.execute(q.insert().values(tenant_id=tenant_id, id=qid, device_id=device_id,
                                       received_at=now, topic=topic, payload=payload,
                                       error=error[:2000], attempts=1))
    log.error("MQTT message on %s set aside (quarantine %s): %s", topic, qid, error)
    if device_id is not None:
        record_rejection(db, tenant_id, device_id, REASON, now)
    return qid


def kept(db: Database) -> list[Any]:
    q = schema.mqtt_quarantine
    with db.read() as conn:
        return list(conn.execute(select(q).order_by(q.c.received_at, q.c.id)))


def replay(db: Database, handle: Callable[[str, bytes], None]) -> tuple[int, int]:
    """Feed every kept message to ``handle(topic, payload)`` in the order they came; the
    ones handled are forgotten, the others keep their new error. (replayed, still failing)."""
    q = schema.mqtt_quarantine
    done = failed = 0
    for row in kept(db):
        where = (q.c.tenant_id == row.tenant_id) & (q.c.id == row.id)
        try:
            handle(row.topic, bytes(row.payload))
        except Exception as exc:
            log.exception("replay of quarantined message %s failed", row.id)
            with db.write() as conn:
                conn.execute(update(q).where(where).values(
                    attempts=q.c.attempts + 1, error=f"{type(exc).__name__}: {exc}"[:2000]))
            failed += 1
            continue
        with db.write() as conn:
            conn.execute(delete(q).where(where))
        done += 1
    return done, failed
