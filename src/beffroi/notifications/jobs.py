"""The periodic jobs of notifications, run by ``beffroi serve``'s scheduler."""

from __future__ import annotations

from ..core.jobs import Job
from ..core.registry import Registry
from ..storage.database import Database
from .digest import send_digests
from .escalation import escalate_due
from .outbox import send_due
from .routing import route_events


def route(db: Database, registry: Registry, now: int) -> None:
    route_events(db, registry, now)


def send(db: Database, registry: Registry, now: int) -> None:
    send_due(db, now)


def escalate(db: Database, registry: Registry, now: int) -> None:
    escalate_due(db, registry, now)


def digest(db: Database, registry: Registry, now: int) -> None:
    send_digests(db, registry, now)


JOBS = (
    Job("notifications.route", 5, route, ttl_s=300),
    Job("notifications.send", 5, send, ttl_s=300),
    Job("notifications.escalate", 30, escalate, ttl_s=300),
    # Checked every 5 minutes so that a digest leaves within 5 minutes of digest_time.
    Job("notifications.digest", 300, digest, ttl_s=600),
)
