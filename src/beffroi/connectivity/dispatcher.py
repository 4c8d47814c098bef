"""The background loop that keeps commands moving: expiry, schedules, hand-overs.

``beffroi serve`` (or the MQTT worker) starts it in a thread with the MQTT
publisher it owns; it runs until ``stop_event`` is set. One loop per instance
is enough, and two are safe: commands are claimed before being sent.
"""

from __future__ import annotations

import logging
import threading

from ..core import outbound
from ..core.clock import now_ms
from ..core.commands import expire_due
from ..core.registry import Registry
from ..storage.database import Database
from .downlinks import HTTP_TIMEOUT_S, MqttPublish, dispatch_due

log = logging.getLogger("beffroi.commands")


def run_once(db: Database, registry: Registry, mqtt_publish: MqttPublish | None = None,
             http: outbound.Client | None = None, now: int | None = None) -> None:
    """One pass: close what expired first, then activate schedules and send what is due."""
    now = now_ms() if now is None else now
    expire_due(db, now)
    dispatch_due(db, registry, now, mqtt_publish=mqtt_publish, http=http)


def run_dispatcher(db: Database, registry: Registry, stop_event: threading.Event,
                   mqtt_publish: MqttPublish | None = None, interval_s: float = 1.0,
                   http: outbound.Client | None = None) -> None:
    """Run passes every ``interval_s`` seconds until ``stop_event`` is set."""
    client = http or outbound.Client(timeout=HTTP_TIMEOUT_S)
    try:
        while not stop_event.is_set():
            try:
                run_once(db, registry, mqtt_publish, client)
            except Exception:  # one bad pass must not stop the commands for good
                log.exception("command dispatch pass failed")
            stop_event.wait(interval_s)
    finally:
        if http is None:
            client.close()
