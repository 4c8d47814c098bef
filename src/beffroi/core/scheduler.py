"""Periodic jobs (alert checks, detectors, notifications) run once per period, whatever
the number of Beffroi processes.

Each job has a row in ``job_leases``. A process runs a job only if it takes the lease
with one atomic ``UPDATE … WHERE`` (the previous holder's lease has expired and the
period since the last run is over): on SQLite and PostgreSQL alike, two processes
cannot both take it, so a run happens once. The lease lasts ``ttl_s``; a process that
dies while running leaves a lease that others take once it expires.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from collections.abc import Sequence

from ..storage import schema
from ..storage.database import Database
from .clock import now_ms
from .jobs import Job, JobFunction

# Job is declared in jobs (light to import).
__all__ = ["Job", "JobFunction", "holder_id", "release_lease", "run_due", "run_scheduler",
           "take_lease"]
from .registry import Registry

log = logging.getLogger("beffroi.scheduler")


def holder_id() -> str:
    """This process, as named in the leases it holds."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


def take_lease(db: Database, name: str, holder: str, interval_s: float, ttl_s: float,
               now: int) -> bool:
    """True if this holder may run job ``name`` now (and holds it until released)."""
    ph = "?" if db.is_sqlite else "%s"
    with db.write() as conn:
        conn.exec_driver_sql(
            f"INSERT INTO job_leases (name, holder, expires_at) VALUES ({ph}, NULL, 0) "
            "ON CONFLICT (name) DO NOTHING", (name,))
        taken = conn.exec_driver_sql(
            f"UPDATE job_leases SET holder = {ph}, expires_at = {ph} "
            f"WHERE name = {ph} AND expires_at <= {ph} "
            f"AND (last_run_at IS NULL OR last_run_at <= {ph})",
            (holder, now + int(ttl_s * 1000), name, now, now - int(interval_s * 1000)))
        return taken.rowcount == 1


def release_lease(db: Database, name: str, holder: str, ran_at: int) -> None:
    j = schema.job_leases
    with db.write() as conn:
        conn.execute(j.update().where(j.c.name == name, j.c.holder == holder)
                     .values(holder=None, expires_at=0, last_run_at=ran_at))


def run_due(db: Database, registry: Registry, jobs: Sequence[Job], holder: str,
            now: int | None = None) -> list[str]:
    """Run every job whose period is over and whose lease this process gets; their names."""
    ran = []
    for job in jobs:
        started = now_ms() if now is None else now
        if not take_lease(db, job.name, holder, job.interval_s, job.ttl_s, started):
            continue
        try:
            job.run(db, registry, started)
            ran.append(job.name)
        except Exception:  # one failing job must not stop the others
            log.exception("job %s failed", job.name)
        finally:
            release_lease(db, job.name, holder, started)
    return ran


def run_scheduler(db: Database, registry: Registry, jobs: Sequence[Job],
                  stop: threading.Event, tick_s: float = 1.0) -> None:
    """Run jobs as they fall due until ``stop`` is set (a thread of ``beffroi serve``)."""
    holder = holder_id()
    log.info("scheduler started (%s): %s", holder, ", ".join(j.name for j in jobs))
    next_try = dict.fromkeys((j.name for j in jobs), 0.0)
    while not stop.is_set():
        now = now_ms()
        # A job tried here (run here or elsewhere) is not tried again before its period:
        # no write transaction per job and per tick on a shared SQLite file.
        due = [j for j in jobs if next_try[j.name] <= now]
        try:
            run_due(db, registry, due, holder, now)
            for job in due:
                next_try[job.name] = now + job.interval_s * 1000
        except Exception:  # database unavailable: try again at the next tick
            log.exception("scheduler tick failed")
        stop.wait(tick_s)

