"""The composition root: what ``beffroi serve`` and ``beffroi demo`` run.

Beside the HTTP application, supervised loops that run independently of each other
(``core/supervisor.py``: one that fails is logged and restarted with back-off):

- ``scheduler``: the periodic jobs (alert checks, detectors, notifications, purge);
- ``commands``: the command dispatcher — always, since commands reach LoRaWAN devices
  through ChirpStack or The Things Stack without any MQTT broker;
- ``mqtt-ingest``: the MQTT ingest, when a broker is configured; the dispatcher then
  publishes MQTT commands through its connection.

``beffroi ingest-mqtt`` runs the last two alone (``add_connectivity_loops``).
"""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import FastAPI

from .connectivity.dispatcher import run_dispatcher
from .connectivity.mqtt_worker import DEFAULT_CLIENT_ID, MqttWorker
from .core.registry import Registry
from .core.retention import purge_all
from .core.scheduler import Job, run_scheduler
from .core.supervisor import Supervisor
from .storage.database import Database


@dataclass
class Runtime:
    app: FastAPI
    supervisor: Supervisor
    mqtt: MqttWorker | None = None

    def start(self) -> None:
        self.supervisor.start()

    def stop(self) -> None:
        self.supervisor.stop()


def server_jobs(registry: Registry) -> tuple[Job, ...]:
    """The periodic jobs of ``beffroi serve``: each runs once per period across processes."""
    from .core.alerting.jobs import JOBS as ALERTING
    from .notifications.jobs import JOBS as NOTIFICATIONS

    purge = Job("retention.purge", 86_400, lambda db, registry, now: purge_all(db, now),
                ttl_s=3600)
    domains = tuple(job for domain in registry.domains.values() for job in domain.jobs)
    return (*ALERTING, *NOTIFICATIONS, purge, *domains)


def add_connectivity_loops(supervisor: Supervisor, db: Database, registry: Registry,
                           mqtt_url: str | None, *, client_id: str = DEFAULT_CLIENT_ID,
                           dispatch_interval_s: float = 1.0) -> MqttWorker | None:
    """The command dispatcher and, with a broker URL, the MQTT ingest whose connection it
    publishes through; returns the MQTT worker (None without a broker)."""
    worker = None
    if mqtt_url:
        worker = MqttWorker(db, registry, mqtt_url, client_id=client_id,
                            stop=supervisor.stopping)
        supervisor.add("mqtt-ingest", worker.run)
    publish = worker.publish if worker is not None else None
    supervisor.add("commands", lambda stop: run_dispatcher(db, registry, stop, publish,
                                                           dispatch_interval_s))
    return worker


def build_runtime(db: Database, registry: Registry, *, mqtt_url: str | None = None,
                  jobs: tuple[Job, ...] | None = None,
                  supervisor: Supervisor | None = None, **connectivity) -> Runtime:
    """The HTTP app and its loops, not started yet (``Runtime.start``)."""
    from .api.app import create_app

    supervisor = supervisor or Supervisor()
    app = create_app(db, registry)
    app.state.supervisor = supervisor  # its loops' states, for GET /api/v1/health
    jobs = server_jobs(registry) if jobs is None else jobs
    supervisor.add("scheduler", lambda stop: run_scheduler(db, registry, jobs, stop))
    worker = add_connectivity_loops(supervisor, db, registry, mqtt_url, **connectivity)
    return Runtime(app, supervisor, worker)
