"""MQTT ingest against a real Mosquitto: payloads, bad messages, and nothing lost or doubled."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from urllib.parse import urlparse

import orjson
import paho.mqtt.client as mqtt
import psycopg
import pytest
from click.testing import CliRunner
from sqlalchemy import func, select
from suite_mqtt import stop_loop

from beffroi.cli.main import cli
from beffroi.connectivity import mqtt_worker
from beffroi.connectivity.mqtt_worker import MqttWorker, wait_connected
from beffroi.core.supervisor import Supervisor
from beffroi.runtime import add_connectivity_loops
from beffroi.storage import schema

BEFFROI = os.path.join(os.path.dirname(sys.executable), "beffroi")
# Readings a few days old whatever the date the suite runs at (never in the future).
BASE = datetime.now(UTC).replace(microsecond=0) - timedelta(days=3)


def observations(db, metric: str = "generic.temperature") -> list[tuple]:
    o, s = schema.observations, schema.streams
    with db.read() as conn:
        return conn.execute(select(o.c.t, o.c.value).join(s, (s.c.tenant_id == o.c.tenant_id)
                                                          & (s.c.id == o.c.stream_id))
                            .where(s.c.metric == metric).order_by(o.c.t)).all()


def count(db) -> int:
    with db.read() as conn:
        return conn.execute(select(func.count()).select_from(schema.observations)).scalar()


def device_row(db, device_id: int):
    d = schema.devices
    with db.read() as conn:
        return conn.execute(select(d).where(d.c.id == device_id)).one()


def wait_for(predicate, timeout: float = 60.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def at(i: int) -> str:
    return (BASE + timedelta(seconds=i)).isoformat()


def native(i: int) -> bytes:
    return orjson.dumps({"time": at(i), "values": {"temp": i % 40}})


def publish_all(url: str, topic: str, payloads: list[bytes]) -> None:
    """Publish QoS 1 and return once the broker acknowledged every message."""
    address = urlparse(url)
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"pub-{uuid.uuid4().hex[:8]}")
    client.max_inflight_messages_set(500)
    client.max_queued_messages_set(0)
    client.connect(address.hostname, address.port)
    client.loop_start()
    infos = [client.publish(topic, p, qos=1) for p in payloads]
    for info in infos:
        info.wait_for_publish(30)
    stop_loop(client)
    client.disconnect()


@pytest.fixture
def worker(db, registry, broker):
    """An in-process worker thread with its own persistent session."""
    w = MqttWorker(db, registry, broker, client_id=f"test-{uuid.uuid4().hex[:8]}")
    thread = w.start()
    assert wait_connected(w), "worker did not subscribe"
    yield w
    w.stop()
    thread.join(10)


def worker_process(db, broker: str, client_id: str) -> subprocess.Popen:
    """``beffroi ingest-mqtt`` in its own process; returns once it is ready."""
    proc = subprocess.Popen([BEFFROI, "ingest-mqtt", "--db", db.url, "--mqtt-url", broker,
                             "--client-id", client_id],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    subscribed = threading.Event()

    def watch():
        for line in proc.stderr:
            # a new session is ready once subscribed; a resumed one as soon as connected
            if "MQTT subscribed" in line or "session present: True" in line:
                subscribed.set()

    threading.Thread(target=watch, daemon=True).start()
    if not subscribed.wait(30):
        proc.kill()
        raise AssertionError("ingest-mqtt did not connect and subscribe")
    return proc


def test_mosquitto_pub_senml_is_stored(db, broker, device, worker):
    """The real client publishing SenML (RFC 8428) on the documented topic."""
    bt = int(BASE.timestamp())
    senml = [{"bn": f"urn:dev:DEVEUI:{device['dev_eui']}:", "bt": bt, "n": "temp", "u": "Cel",
              "v": 21.5},
             {"n": "temp", "t": 600, "v": 22.0},
             {"n": "device.battery", "v": 87}]
    port = urlparse(broker).port
    subprocess.run(["mosquitto_pub", "-h", "127.0.0.1", "-p", str(port), "-q", "1",
                    "-t", device["topic"], "-m", orjson.dumps(senml).decode()], check=True)
    wait_for(lambda: len(observations(db)) == 2, 10, "SenML observations")
    assert observations(db) == [(bt * 1000, 21.5), ((bt + 600) * 1000, 22.0)]
    assert [v for _, v in observations(db, "device.battery")] == [87.0]
    row = device_row(db, device["device"])
    assert row.uplinks == 1 and row.rejected == 0 and row.last_seen is not None


def test_native_json_by_device_id_and_tenant_id(db, broker, device, worker):
    topic = f"beffroi/{device['tenant']}/devices/{device['device']}/up"
    publish_all(broker, topic, [orjson.dumps({"values": {"temp": 19.0}, "battery": 55})])
    wait_for(lambda: len(observations(db)) == 1, 10, "native observation")
    assert observations(db)[0][1] == 19.0
    assert device_row(db, device["device"]).battery == 55


def test_bad_messages_are_counted_and_never_stop_the_worker(db, broker, device, worker):
    bad = [
        (device["topic"], b"{not json"),
        (device["topic"], orjson.dumps({"values": {"temp": "chaud"}})),
        (device["topic"], orjson.dumps({"valeurs": {"temp": 1}})),
        (device["topic"], orjson.dumps([{"n": "temp", "vs": "texte"}])),
        (device["topic"].replace(device["dev_eui"], "ffffffffffffffff"), native(1)),
    ]
    for topic, payload in bad:
        publish_all(broker, topic, [payload])
    publish_all(broker, device["topic"], [native(7)])
    wait_for(lambda: len(observations(db)) == 1, 10, "the good message")
    wait_for(lambda: worker.stats.rejected >= 2, 10, "rejections")
    row = device_row(db, device["device"])
    assert row.rejected == 4  # the unknown device is counted by the worker, not on a device
    reasons = " | ".join(worker.stats.by_reason)
    assert "JSON mal formé" in reasons and "Objet « values » attendu" in reasons
    assert "capteur « ffffffffffffffff » inconnu" in reasons
    assert "seules les valeurs numériques" in row.last_error  # the last bad one


def test_a_message_naming_a_key_twice_is_refused_and_counted(db, broker, device, worker):
    """Which of two values of one key counts would be the parser's choice: the message is
    refused whole, its reason the device's last error, like any unreadable message."""
    senml = (b'[{"n": "temp", "t": 0, "v": 1}, {"n": "temp", "t": 60, "v": 2, "v": 3}]')
    nested = b'{"time": "%s", "values": {"temp": 4, "temp": 40}}' % at(2).encode()
    publish_all(broker, device["topic"], [senml, nested, native(7)])
    wait_for(lambda: len(observations(db)) == 1, 10, "the good message")
    wait_for(lambda: device_row(db, device["device"]).rejected == 2, 10, "rejections")
    assert observations(db) == [(int((BASE + timedelta(seconds=7)).timestamp() * 1000), 7.0)]
    assert {"JSON ambigu : clé « v » en double dans l'objet n° 1",
            "JSON ambigu : clé « temp » en double dans « values »"} <= set(worker.stats.by_reason)
    row = device_row(db, device["device"])
    assert row.uplinks == 1
    assert row.last_error == "JSON ambigu : clé « temp » en double dans « values »"


def test_messages_published_while_the_worker_is_stopped_are_all_stored(db, broker, device):
    client_id = f"ingest-{uuid.uuid4().hex[:8]}"
    proc = worker_process(db, broker, client_id)  # first run: creates the persistent session
    try:
        publish_all(broker, device["topic"], [native(0)])
        wait_for(lambda: count(db) == 1, 30, "the probe message")
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(10)
    publish_all(broker, device["topic"], [native(i) for i in range(1, 10_000)])
    proc = worker_process(db, broker, client_id)
    try:
        wait_for(lambda: count(db) >= 10_000, 180, "10,000 observations")
        time.sleep(1)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(10)
    assert count(db) == 10_000
    assert device_row(db, device["device"]).uplinks == 10_000


def test_kill_9_during_ingest_loses_nothing_and_doubles_nothing(db, broker, device):
    client_id = f"ingest-{uuid.uuid4().hex[:8]}"
    total = 4_000
    proc = worker_process(db, broker, client_id)
    publish_all(broker, device["topic"], [native(0)])
    wait_for(lambda: count(db) == 1, 30, "the probe message")
    publisher = threading.Thread(target=publish_all, args=(
        broker, device["topic"], [native(i) for i in range(1, total)]))
    publisher.start()
    wait_for(lambda: count(db) > 500, 60, "ingest under way")
    proc.send_signal(signal.SIGKILL)
    proc.wait(10)
    killed_at = count(db)
    publisher.join(60)  # every message is now acknowledged by the broker
    proc = worker_process(db, broker, client_id)
    try:
        wait_for(lambda: count(db) >= total, 120, f"{total} observations")
        time.sleep(1)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(10)
    assert killed_at < total, "the kill must happen mid-ingest for this test to mean something"
    assert count(db) == total
    assert device_row(db, device["device"]).uplinks == total  # no message processed twice


def _block_database(db, seconds: float) -> threading.Thread:
    """Make the database unavailable for a while: an exclusive lock on SQLite, killed
    connections on PostgreSQL."""
    def sqlite_lock():
        path = db.url.split("///", 1)[1]
        conn = sqlite3.connect(path, timeout=1, isolation_level=None)
        conn.execute("BEGIN EXCLUSIVE")
        time.sleep(seconds)
        conn.execute("ROLLBACK")
        conn.close()

    def pg_kill():
        name = db.url.rsplit("/", 1)[1]
        admin = db.url.replace("+psycopg", "").rsplit("/", 1)[0] + "/postgres"
        deadline = time.monotonic() + seconds
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f"ALTER DATABASE {name} ALLOW_CONNECTIONS false")
            while time.monotonic() < deadline:
                conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                             "WHERE datname = %s AND pid <> pg_backend_pid()", (name,))
                time.sleep(0.1)
            conn.execute(f"ALTER DATABASE {name} ALLOW_CONNECTIONS true")

    thread = threading.Thread(target=sqlite_lock if db.is_sqlite else pg_kill)
    thread.start()
    return thread


def test_database_unavailable_then_recovers_without_loss(db, broker, device, worker):
    publish_all(broker, device["topic"], [native(0)])
    wait_for(lambda: count(db) == 1, 10, "the probe message")
    blocker = _block_database(db, 3.0)
    time.sleep(0.3)
    publish_all(broker, device["topic"], [native(i) for i in range(1, 300)])
    blocker.join()
    wait_for(lambda: count(db) >= 300, 60, "recovery")
    time.sleep(0.5)
    assert count(db) == 300
    if not db.is_sqlite:  # SQLite waits on its busy timeout (30 s) instead of failing
        assert worker.stats.retries > 0


def test_one_batch_of_mixed_messages_is_attributed_message_by_message(db, registry, device):
    """The worker stores a batch in one transaction: each message still gets its own fate."""
    from beffroi.core import devices
    from beffroi.core.access import CLI, open_scope

    with db.write() as conn:
        scope = open_scope(db, conn, CLI, device["tenant"])
        second = devices.create_device(scope, conn, {
            "name": "Capteur salle 2", "dev_eui": "a84041000181c620",
            "asset_id": device["asset"], "mapping": {"t2": "generic.value"}}, registry).id
        stock = devices.create_device(scope, conn, {"name": "En stock",
                                                    "dev_eui": "a84041000181c621"}, registry).id
    worker = MqttWorker(db, registry, "mqtt://127.0.0.1:1")  # never connected: handle() only
    base = f"beffroi/{device['tenant']}/devices"
    first = native(1)
    rejections = worker.handle_batch([
        (device["topic"], first, False),
        (device["topic"], first, True),  # the broker's re-delivery of the same message
        (f"{base}/a84041000181c620/up", orjson.dumps({"time": at(5), "values": {"t2": 5},
                                                       "battery": 80}), False),
        (device["topic"], orjson.dumps({"time": at(2), "values": {"temp": 999}}),
         False),  # out of range
        (f"{base}/a84041000181c621/up", native(3), False),  # device with no asset
        (f"{base}/ffffffffffffffff/up", native(4), False),
        (f"beffroi/999999/devices/{device['dev_eui']}/up", native(5), False),
        (device["topic"], b"[1", False),
        (device["topic"], native(6), False),
    ])
    assert observations(db) == [(int((BASE + timedelta(seconds=1)).timestamp() * 1000), 1.0),
                                (int((BASE + timedelta(seconds=6)).timestamp() * 1000), 6.0)]
    assert [v for _, v in observations(db, "generic.value")] == [5.0]
    assert worker.stats.redelivered == 1 and worker.stats.stored == 4  # 2 + value + battery
    expected = [(device["tenant"], stock, f"capteur {stock} rattaché à aucun équipement"),
                (device["tenant"], None, "capteur « ffffffffffffffff » inconnu"),
                (None, None, "territoire « 999999 » inconnu"),
                (device["tenant"], device["device"], "JSON mal formé")]
    assert len(rejections) == len(expected)
    for t, d, fragment in expected:
        [(tenant, device_id)] = [(x, y) for x, y, reason, _ in rejections
                                 if reason.startswith(fragment)]
        assert (tenant, device_id) == (t, d), fragment
    one, two = device_row(db, device["device"]), device_row(db, second)
    assert (one.uplinks, one.rejected) == (3, 1)  # the out-of-range reading is counted
    assert "hors de la plage plausible" in one.last_error
    assert (two.uplinks, two.rejected, two.battery) == (1, 0, 80.0)


@pytest.mark.parametrize("order", ["refused_last", "partly_last"])
def test_a_devices_last_error_is_its_last_messages_whichever_step_refused_it(
        db, registry, device, order):
    """In one batch, a message refused before storing (no « values » object) and one partly
    refused while storing (a text value): the device's last error is the later message's,
    though refusals are recorded after the batch's storing (as the worker records them)."""
    from beffroi.connectivity.uplink import record_rejection

    worker = MqttWorker(db, registry, "mqtt://127.0.0.1:1")  # never connected
    refused = orjson.dumps({"valeurs": {"temp": 1}})
    partly = orjson.dumps([{"n": "temp", "vs": "texte"}])
    batch = [refused, partly] if order == "partly_last" else [partly, refused]
    rejections = worker.handle_batch([(device["topic"], m, False) for m in batch])
    [(tenant, device_id, reason, at)] = rejections
    assert (tenant, device_id) == (device["tenant"], device["device"])
    assert reason.startswith("Objet « values » attendu")
    for tenant, device_id, reason, at in rejections:
        record_rejection(db, tenant, device_id, reason, at)
    row = device_row(db, device["device"])
    assert row.rejected == 2
    last = "seules les valeurs numériques" if order == "partly_last" \
        else "Objet « values » attendu"
    assert last in row.last_error, row.last_error


# -- unexpected errors: the worker is supervised, a message that makes Beffroi fail is kept --
@pytest.fixture
def supervised(db, registry, broker):
    """The MQTT ingest (and the dispatcher) as ``beffroi serve`` runs them; fast restarts."""
    supervisor = Supervisor(initial_backoff_s=0.05)
    client_id = f"sup-{uuid.uuid4().hex[:8]}"
    worker = add_connectivity_loops(supervisor, db, registry, broker, client_id=client_id)
    supervisor.start()
    assert wait_connected(worker), "worker did not subscribe"
    yield supervisor, worker, client_id
    supervisor.stop()


def quarantined(db) -> list:
    q = schema.mqtt_quarantine
    with db.read() as conn:
        return conn.execute(select(q).order_by(q.c.id)).all()


def test_a_message_that_makes_beffroi_fail_is_kept_and_never_stops_the_others(
        db, registry, broker, device, supervised, monkeypatch, caplog):
    """A bug triggered by one message (injected here into the payload parser): the messages
    around it are stored, it is retried alone, kept in quarantine, acknowledged (not
    delivered again to the next session) and stored by ``beffroi mqtt replay`` once fixed."""
    supervisor, worker, client_id = supervised
    poison = native(2)
    real_parse = mqtt_worker.parse
    broken = {"on": True}

    def parse(payload, received):
        if broken["on"] and payload == poison:
            raise KeyError("bogue provoqué par ce message")
        return real_parse(payload, received)

    monkeypatch.setattr(mqtt_worker, "parse", parse)
    publish_all(broker, device["topic"], [native(1), poison, native(3)])
    wait_for(lambda: worker.stats.quarantined == 1 and count(db) == 2, 20, "the quarantine")
    stamp = lambda i: int((BASE + timedelta(seconds=i)).timestamp() * 1000)  # noqa: E731
    assert observations(db) == [(stamp(1), 1.0), (stamp(3), 3.0)]
    [kept] = quarantined(db)
    assert (kept.tenant_id, kept.device_id, kept.topic, bytes(kept.payload)) == (
        device["tenant"], device["device"], device["topic"], poison)
    assert kept.error == "KeyError: 'bogue provoqué par ce message'"
    row = device_row(db, device["device"])
    assert row.rejected == 1 and row.last_error.startswith("message mis de côté")
    tries = [r for r in caplog.records if "try" in r.getMessage() and r.exc_info]
    assert len(tries) == mqtt_worker.ATTEMPTS
    state = supervisor.state("mqtt-ingest")
    assert (state.status, state.restarts) == ("running", 0)  # handled, not crashed

    # Acknowledged: a new session of the same client gets the next message only.
    supervisor.stop()
    again = Supervisor(initial_backoff_s=0.05)
    worker = add_connectivity_loops(again, db, registry, broker, client_id=client_id)
    again.start()
    try:
        publish_all(broker, device["topic"], [native(4)])
        wait_for(lambda: count(db) == 3, 20, "the message after the restart")
        time.sleep(0.3)
        assert worker.stats.received == 1
    finally:
        again.stop()

    broken["on"] = False  # the bug is fixed
    result = CliRunner().invoke(cli, ["mqtt", "replay", "--db", db.url], prog_name="beffroi")
    assert result.exit_code == 0, result.output
    assert result.output.endswith("1 message(s) rejoué(s), 0 toujours en échec.\n")
    assert [t for t, _ in observations(db)] == [stamp(1), stamp(2), stamp(3), stamp(4)]
    assert quarantined(db) == []
    again = CliRunner().invoke(cli, ["mqtt", "replay", "--db", db.url], prog_name="beffroi")
    assert again.output.endswith("0 message(s) rejoué(s), 0 toujours en échec.\n")


def test_a_crash_of_the_ingest_loop_is_restarted_and_loses_nothing(db, broker, device,
                                                                   supervised, monkeypatch):
    """An exception escaping the loop itself (injected into its read step): the supervisor
    logs it and restarts the worker, which reconnects; the broker delivers again what had
    not been acknowledged, and each message is stored once."""
    supervisor, worker, _ = supervised
    real_drain = worker._drain
    crashes = []

    def drain():
        if worker._pending and not crashes:
            crashes.append(len(worker._pending))
            raise RuntimeError("panne de la boucle")
        real_drain()

    monkeypatch.setattr(worker, "_drain", drain)
    publish_all(broker, device["topic"], [native(i) for i in range(20)])
    wait_for(lambda: count(db) == 20, 20, "every message after the restart")
    time.sleep(0.3)
    assert count(db) == 20 and device_row(db, device["device"]).uplinks == 20
    state = supervisor.state("mqtt-ingest")
    assert crashes and state.restarts == 1 and state.status == "running"
    assert state.last_error == "RuntimeError: panne de la boucle"
