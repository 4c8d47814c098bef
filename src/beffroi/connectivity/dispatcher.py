"""The background loop that keeps commands moving: expiry, schedules, hand-overs.

``beffroi serve`` (or the MQTT worker) starts it in a thread with the MQTT
publisher it owns; it runs until ``stop_event`` is set. One loop per instance
is enough, and two are safe: commands are claimed before being sent.

A dispatcher that can publish MQTT says so in ``job_leases`` (row ``MQTT_PRESENCE``,
renewed every few seconds, withdrawn when it stops). A dispatcher that cannot (``beffroi
serve`` without a broker, beside a separate ``beffroi ingest-mqtt``) stands down while such
an announcement is alive: the other one sends every command, MQTT and network servers
alike, whereas this one would claim MQTT commands only to fail them (an attempt lost, a
back-off). When no dispatcher can publish MQTT, it works as before.
"""

from __future__ import annotations

import logging
import os
import socket
import threading

from ..core import outbound
from ..core.clock import now_ms
from ..core.commands import expire_due
from ..core.registry import Registry
from ..storage.database import Database
from .downlinks import HTTP_TIMEOUT_S, MqttPublish, dispatch_due

log = logging.getLogger("beffroi.commands")

MQTT_PRESENCE = "commands.mqtt-dispatcher"
PRESENCE_TTL_MS = 15_000  # an announcement not renewed for this long is void
PRESENCE_RENEW_MS = 5_000


def announce_mqtt(db: Database, holder: str, now: int, *, ttl_ms: int = PRESENCE_TTL_MS) -> None:
    """This dispatcher can publish MQTT, until ``now + ttl_ms`` (0: withdrawn)."""
    ph = "?" if db.is_sqlite else "%s"
    with db.write() as conn:
        conn.exec_driver_sql(
            f"INSERT INTO job_leases (name, holder, expires_at) VALUES ({ph}, {ph}, {ph}) "
            "ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, "
            "expires_at = excluded.expires_at", (MQTT_PRESENCE, holder, now + ttl_ms))


def mqtt_dispatcher_alive(db: Database, now: int) -> bool:
    """Whether some dispatcher that can publish MQTT is running (its announcement alive)."""
    ph = "?" if db.is_sqlite else "%s"
    with db.read() as conn:
        expires = conn.exec_driver_sql(
            f"SELECT expires_at FROM job_leases WHERE name = {ph}", (MQTT_PRESENCE,)).scalar()
    return expires is not None and expires > now


def run_once(db: Database, registry: Registry, mqtt_publish: MqttPublish | None = None,
             http: outbound.Client | None = None, now: int | None = None) -> None:
    """One pass: close what expired first, then activate schedules and send what is due."""
    now = now_ms() if now is None else now
    expire_due(db, now)
    dispatch_due(db, registry, now, mqtt_publish=mqtt_publish, http=http)


def run_dispatcher(db: Database, registry: Registry, stop_event: threading.Event,
                   mqtt_publish: MqttPublish | None = None, interval_s: float = 1.0,
                   http: outbound.Client | None = None) -> None:
    """Run passes every ``interval_s`` seconds until ``stop_event`` is set; without an MQTT
    publisher, only while no dispatcher that has one is running."""
    client = http or outbound.Client(timeout=HTTP_TIMEOUT_S)
    holder = f"{socket.gethostname()}:{os.getpid()}:{id(stop_event):x}"
    renew_at, standing_down = 0, False
    try:
        while not stop_event.is_set():
            try:
                now = now_ms()
                if mqtt_publish is not None and now >= renew_at:
                    announce_mqtt(db, holder, now)
                    renew_at = now + PRESENCE_RENEW_MS
                if mqtt_publish is None and mqtt_dispatcher_alive(db, now):
                    if not standing_down:
                        log.info("a dispatcher with MQTT is running: it sends the commands")
                    standing_down = True
                else:
                    standing_down = False
                    run_once(db, registry, mqtt_publish, client)
            except Exception:  # one bad pass must not stop the commands for good
                log.exception("command dispatch pass failed")
            stop_event.wait(interval_s)
    finally:
        if mqtt_publish is not None and renew_at:
            try:
                announce_mqtt(db, holder, now_ms(), ttl_ms=0)  # the others take over now
            except Exception:
                log.exception("could not withdraw the MQTT dispatcher's announcement")
        if http is None:
            client.close()
