"""The MQTT ingest worker: a persistent QoS 1 subscription, acknowledged after commit.

Topics (tenant by id or SIREN, device by id or DevEUI)::

    beffroi/{tenant}/devices/{device}/up     uplinks: SenML JSON or native JSON
    beffroi/{tenant}/devices/{device}/down   commands to the device (published by Beffroi)
    beffroi/{tenant}/devices/{device}/ack    the device's acknowledgements of commands

Nothing lost, nothing doubled: the session is persistent (clean_session off, fixed
client id), so the broker keeps QoS 1 messages while the worker is away; a message
is acknowledged (PUBACK) only once its observations are committed; a message the
broker re-delivers (DUP flag) is recognised by its digest and stored once; when the
database is unavailable the worker retries with back-off and acknowledges nothing
meanwhile. A malformed message is logged and counted on its device, then
acknowledged: it would never get better.

An unexpected error (a bug, an integrity error: anything but the database being
unavailable) never stops the worker nor takes other messages down with it: the batch
is stored again message by message, each in its own transaction; a message that still
fails after ``ATTEMPTS`` tries on its own is kept in the quarantine table (topic, payload,
error) and only then acknowledged, to be replayed once the cause is fixed
(``quarantine.py``). Anything that escapes ``run()`` is the supervisor's to log and
restart (``core/supervisor.py``): the session is persistent, so what was not
acknowledged is delivered again on reconnection.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, urlparse

import paho.mqtt.client as mqtt
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

from ..core.clock import now_ms
from ..core.registry import Registry
from ..storage.database import Database
from . import quarantine
from .payloads import PayloadError, parse
from .uplink import (
    Uplink,
    UplinkError,
    decoder_suggestions,
    digest,
    record_rejection,
    resolve_device,
    resolve_devices,
    resolve_tenant,
    store_uplinks,
)

log = logging.getLogger("beffroi.mqtt")

UP_TOPIC = "beffroi/+/devices/+/up"
ACK_TOPIC = "beffroi/+/devices/+/ack"
DEFAULT_CLIENT_ID = "beffroi-ingest"
MAX_BACKOFF_S = 30.0
# Messages stored per transaction at most. The broker sends no more unacknowledged
# messages than its max_inflight_messages (Mosquitto: 20 by default; 100 advised).
MAX_BATCH_MESSAGES = 500
# Tries of a message on its own, after an unexpected error, before it is set aside.
ATTEMPTS = 3


@dataclass
class BrokerAddress:
    host: str
    port: int
    username: str | None = None
    password: str | None = None
    tls: bool = False


def parse_mqtt_url(url: str) -> BrokerAddress:
    """``mqtt://user:pass@host:1883`` (``mqtts://`` for TLS, port 8883 by default)."""
    parsed = urlparse(url)
    if parsed.scheme not in ("mqtt", "mqtts") or not parsed.hostname:
        raise ValueError(f"URL MQTT invalide « {url} » : mqtt://utilisateur:motdepasse@hôte:1883 "
                         "attendu")
    tls = parsed.scheme == "mqtts"
    return BrokerAddress(parsed.hostname, parsed.port or (8883 if tls else 1883),
                         unquote(parsed.username) if parsed.username else None,
                         unquote(parsed.password) if parsed.password else None, tls)


@dataclass
class WorkerStats:
    received: int = 0
    stored: int = 0
    redelivered: int = 0
    rejected: int = 0
    retries: int = 0
    by_reason: dict[str, int] = field(default_factory=dict)
    quarantined: int = 0


class _Stopping(Exception):
    """The worker was asked to stop while waiting for the database."""


def database_unavailable(exc: BaseException) -> bool:
    """The database cannot be reached or is locked: wait and try again, nothing is wrong
    with the messages."""
    return isinstance(exc, OperationalError | InterfaceError) or (
        isinstance(exc, DBAPIError) and exc.connection_invalidated)


class MqttWorker:
    """Subscribe, store, acknowledge. ``run()`` blocks until ``stop()``."""

    def __init__(self, db: Database, registry: Registry, url: str | None, *,
                 client_id: str = DEFAULT_CLIENT_ID, keepalive: int = 60,
                 stop: threading.Event | None = None) -> None:
        """``url`` None: a worker that only handles messages it is given (``handle``);
        ``stop``: an event shared with other loops (the supervisor's)."""
        self.db, self.registry = db, registry
        self.address = parse_mqtt_url(url) if url else BrokerAddress("", 0)
        self.stats = WorkerStats()
        self._stop = stop or threading.Event()
        self.connected = threading.Event()
        self.subscribed = threading.Event()
        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=client_id,
                                  clean_session=False, protocol=mqtt.MQTTv311, manual_ack=True)
        if self.address.username:
            self.client.username_pw_set(self.address.username, self.address.password)
        if self.address.tls:
            self.client.tls_set()
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = self._on_disconnect
        self.client.on_message = self._on_message
        self.client.on_subscribe = self._on_subscribe
        self.client.reconnect_delay_set(1, 30)
        self.keepalive = keepalive
        self._pending: list[mqtt.MQTTMessage] = []
        self._last_received = 0

    # -- lifecycle ------------------------------------------------------------------
    def run(self, stop: threading.Event | None = None) -> None:
        """Connect, then store and acknowledge until stopped. Can be run again after it
        raised (by the supervisor): it reconnects, and the broker delivers again what
        had not been acknowledged. ``stop``: the supervisor's event (the worker's own
        when it was given one)."""
        if not self.address.host:
            raise ValueError("no broker address: this worker only handles given messages")
        if stop is not None and stop is not self._stop:
            raise ValueError("the worker watches the stop event it was built with")
        self._pending.clear()
        self.connected.clear()
        self.subscribed.clear()
        try:
            while not self._stop.is_set():
                try:
                    self.client.connect(self.address.host, self.address.port, self.keepalive)
                    break
                except OSError as exc:
                    log.warning("MQTT broker unreachable (%s), retrying in 2 s", exc)
                    self._stop.wait(2)
            while not self._stop.is_set():
                self.client.loop(timeout=0.05)
                self._drain()
                if self._pending:
                    self._flush()
                if not self.client.is_connected() and not self._stop.is_set():
                    try:
                        self.client.reconnect()
                    except OSError:
                        self._stop.wait(1)
        finally:
            self._pending.clear()  # not acknowledged: the broker delivers them again
            self.client.disconnect()

    def start(self) -> threading.Thread:
        thread = threading.Thread(target=self.run, name="beffroi-mqtt", daemon=True)
        thread.start()
        return thread

    def stop(self) -> None:
        self._stop.set()

    def publish(self, topic: str, payload: bytes) -> None:
        """Publish QoS 1 (commands to devices)."""
        info = self.client.publish(topic, payload, qos=1)
        if info.rc != mqtt.MQTT_ERR_SUCCESS:
            raise ConnectionError(f"publication MQTT impossible ({mqtt.error_string(info.rc)})")

    # -- callbacks --------------------------------------------------------------------
    def _on_connect(self, client, userdata, flags, reason_code, properties=None) -> None:
        if reason_code.is_failure:
            log.error("MQTT connection refused: %s", reason_code)
            return
        client.subscribe([(UP_TOPIC, 1), (ACK_TOPIC, 1)])
        self.connected.set()
        log.info("MQTT connected to %s:%s (session present: %s)", self.address.host,
                 self.address.port, flags.session_present)

    def _on_subscribe(self, client, userdata, mid, reason_codes, properties=None) -> None:
        log.info("MQTT subscribed to %s and %s (QoS 1)", UP_TOPIC, ACK_TOPIC)
        self.subscribed.set()

    def _on_disconnect(self, client, userdata, flags, reason_code, properties=None) -> None:
        self.connected.clear()
        self._pending.clear()  # not acknowledged: the broker delivers them again

    def _on_message(self, client, userdata, msg) -> None:
        self.stats.received += 1
        self._pending.append(msg)

    # -- processing -------------------------------------------------------------------
    def _drain(self) -> None:
        """Read whatever the broker has already sent: paho reads one packet per loop
        call, and a transaction per message would cap the rate at the commit rate."""
        idle = 0
        while self._pending and len(self._pending) < MAX_BATCH_MESSAGES and idle < 2:
            before = len(self._pending)
            self.client.loop(timeout=0)
            idle = idle + 1 if len(self._pending) == before else 0

    def _flush(self) -> None:
        """Store the messages received so far in one transaction, then acknowledge them
        in the order they came (MQTT requires PUBACKs in order)."""
        batch, self._pending = self._pending, []
        try:
            try:
                rejections = self._until_stored(
                    lambda: self.handle_batch([(m.topic, m.payload, bool(m.dup)) for m in batch]))
            except _Stopping:
                raise
            except Exception:
                log.exception("unexpected error storing %d MQTT messages: storing them one by "
                              "one", len(batch))
                rejections = []
                for msg in batch:
                    rejections += self._store_alone(msg)
        except _Stopping:
            return  # nothing acknowledged: the broker will deliver them again
        for tenant_id, device_id, reason, at in rejections:
            self._reject(tenant_id, device_id, reason, at)
        for msg in batch:
            self.client.ack(msg.mid, msg.qos)

    def _until_stored(self, store):
        """``store()``, tried again with back-off while the database is unavailable;
        raises _Stopping if the worker is stopped meanwhile."""
        backoff = 0.2
        while not self._stop.is_set():
            try:
                return store()
            except Exception as exc:
                if not database_unavailable(exc):
                    raise
                self.stats.retries += 1
                log.warning("database unavailable (%s), retrying in %.1f s",
                            str(exc).splitlines()[0], backoff)
                self._stop.wait(backoff)
                backoff = min(backoff * 2, MAX_BACKOFF_S)
        raise _Stopping

    def _store_alone(self, msg: mqtt.MQTTMessage) -> list[tuple]:
        """One message in its own transaction, tried ``ATTEMPTS`` times; then set aside."""
        error = ""
        for attempt in range(ATTEMPTS):
            if attempt:
                self._stop.wait(0.1 * 2 ** attempt)
            try:
                # After a failed batch, it may have been stored already: check its receipt.
                return self._until_stored(
                    lambda: self.handle_batch([(msg.topic, msg.payload, True)]))
            except _Stopping:
                raise
            except Exception as exc:
                error = f"{type(exc).__name__}: {exc}"
                log.exception("unexpected error storing the MQTT message on %s (try %d of %d)",
                              msg.topic, attempt + 1, ATTEMPTS)
        self._until_stored(lambda: quarantine.keep(self.db, msg.topic, msg.payload, error,
                                                   now_ms()))
        self.stats.quarantined += 1
        return []

    def handle(self, topic: str, payload: bytes, *, dup: bool = False) -> None:
        """Process one message now (tests, tools)."""
        for tenant_id, device_id, reason, at in self.handle_batch([(topic, payload, dup)]):
            self._reject(tenant_id, device_id, reason, at)

    def handle_batch(self, messages: list[tuple[str, bytes, bool]]) -> list[tuple]:
        """Store uplinks in one transaction; returns (tenant, device, reason, time)
        rejections, the time being the message's reception (None for a topic of no known
        territory and for command acknowledgements), so that a device's last error stays its
        last message's whichever step refused it.
        Raises OperationalError when the database is unavailable (nothing stored)."""
        rejections: list[tuple] = []
        acks: list[tuple[str, str, bytes]] = []
        uplinks: list[Uplink] = []
        with self.db.write() as conn:
            tenants: dict[str, Any] = {}
            devices: dict[int, dict[str, Any]] = {}
            readable: list[tuple[int, list[str], bytes, bool, str]] = []
            for topic, payload, dup in messages:
                received = self._tick()
                parts = topic.split("/")
                if len(parts) != 5 or parts[0] != "beffroi" or parts[2] != "devices":
                    rejections.append((None, None, f"sujet MQTT inattendu « {topic} »", None))
                elif parts[4] == "ack":
                    acks.append((parts[1], parts[3], payload))
                else:
                    readable.append((received, parts, payload, dup, topic))
            # Tenants and devices of the whole batch, in one query per tenant.
            refused: dict[str, str] = {}
            for ref in {parts[1] for _, parts, _, _, _ in readable}:
                try:
                    tenants[ref] = resolve_tenant(conn, ref)
                except UplinkError as exc:
                    refused[ref] = str(exc)
            for tenant in {t.id: t for t in tenants.values()}.values():
                refs = sorted({parts[3] for _, parts, _, _, _ in readable
                               if tenants.get(parts[1]) is tenant})
                devices[tenant.id] = resolve_devices(conn, tenant.id, refs)
            for received, parts, payload, dup, topic in readable:
                tenant = tenants.get(parts[1])
                if tenant is None:
                    rejections.append((None, None, refused[parts[1]], None))
                    continue
                device = devices[tenant.id].get(parts[3])
                if device is None:
                    try:  # not found: raises with the reason given everywhere
                        device = resolve_device(conn, tenant.id, parts[3])
                    except UplinkError as exc:
                        rejections.append((tenant.id, None, str(exc), received))
                        continue
                try:
                    parsed = parse(payload, received)
                except PayloadError as exc:
                    rejections.append((tenant.id, device.id, str(exc), received))
                    continue
                uplinks.append(Uplink(tenant, device, parsed, received, digest(topic, payload),
                                      check_receipt=dup,
                                      suggestions=decoder_suggestions(device.model)))
            for uplink, result in zip(uplinks, store_uplinks(self.db, self.registry, conn,
                                                             uplinks), strict=True):
                if result.error:
                    rejections.append((uplink.tenant.id, uplink.device.id, result.error,
                                       uplink.received_ms))
                    continue
                self.stats.redelivered += result.redelivered
                self.stats.stored += result.stored
                if result.problems:
                    log.warning("uplink of device %s partly rejected: %s", uplink.device.id,
                                "; ".join(result.problems))
        for tenant_ref, device_ref, payload in acks:
            rejections += self._ack(tenant_ref, device_ref, payload)
        return rejections

    def _ack(self, tenant_ref: str, device_ref: str, payload: bytes) -> list[tuple]:
        from .downlinks import AckError, handle_mqtt_ack  # the command pipeline

        with self.db.read() as conn:
            try:
                tenant = resolve_tenant(conn, tenant_ref)
                device = resolve_device(conn, tenant.id, device_ref)
            except UplinkError as exc:
                return [(None, None, str(exc), None)]
        try:
            handle_mqtt_ack(self.db, tenant.id, device.id, payload)
        except AckError as exc:
            return [(tenant.id, device.id, f"accusé de commande refusé : {exc}", None)]
        return []

    def _tick(self) -> int:
        """Reception time (ms), strictly increasing: readings without a time of their own
        from two messages of one burst must not fall on the same instant."""
        self._last_received = max(now_ms(), self._last_received + 1)
        return self._last_received

    def _reject(self, tenant_id: int | None, device_id: int | None, reason: str,
                at: int | None = None) -> None:
        self.stats.rejected += 1
        self.stats.by_reason[reason] = self.stats.by_reason.get(reason, 0) + 1
        if tenant_id is not None:
            record_rejection(self.db, tenant_id, device_id, reason,
                             now_ms() if at is None else at)
        else:
            log.warning("MQTT message rejected: %s", reason)


def wait_connected(worker: MqttWorker, timeout: float = 10.0) -> bool:
    """True once the worker is connected and subscribed."""
    return worker.subscribed.wait(timeout)
