"""MQTT ingest throughput: messages/s and observations/s through a real Mosquitto.

For each backend (SQLite in a temporary file; PostgreSQL when --pg-url or
$BEFFROI_TEST_PG_URL is given): a Mosquitto broker on a loopback port, the
``beffroi ingest-mqtt`` worker in its own process (persistent QoS 1 session), and
a local publisher (paho, QoS 1) sending SenML packs of ``--records`` readings from
``--devices`` devices as fast as the broker takes them. The rate is measured from
the first publication until the database holds every observation (so it is the
rate of the whole chain, the worker's commits included).

In the same run, the HTTP batch rate of the "core platform" ingest benchmark
(batches of 5,000 observations posted to a real uvicorn server) and the bare
driver's insert rate are measured on the same database, so that the ratios mean
something on a noisy machine.
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import orjson
import paho.mqtt.client as mqtt
from harness import (
    backends,
    bench_database,
    create_bench_tenant,
    create_sites,
    emit,
    free_port,
    log,
    pg_url,
    registry,
)
from ingest import json_bodies, make_batches, measure
from sqlalchemy import func, select

from beffroi.core import devices
from beffroi.core.access import CLI, open_scope
from beffroi.core.clock import now_ms
from beffroi.storage import schema

HTTP_BATCHES = 20


@contextmanager
def mosquitto() -> Iterator[str]:
    """A Mosquitto broker keeping every message of an absent persistent session."""
    binary = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
    if not os.path.exists(binary):
        raise SystemExit("mosquitto is not installed (apt-get install mosquitto)")
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="beffroi-mqtt-") as tmp:
        conf = Path(tmp) / "mosquitto.conf"
        conf.write_text(f"listener {port} 127.0.0.1\nallow_anonymous true\n"
                        "persistence false\nmax_queued_messages 0\n"
                        "max_inflight_messages 100\n")
        proc = subprocess.Popen([binary, "-c", str(conf)], stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 10
            while True:
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        raise RuntimeError("Mosquitto did not start") from None
                    time.sleep(0.05)
            yield f"mqtt://127.0.0.1:{port}"
        finally:
            proc.terminate()
            proc.wait(5)


@contextmanager
def ingest_worker(db_url: str, broker: str) -> Iterator[subprocess.Popen]:
    """``beffroi ingest-mqtt`` in its own process, as deployed."""
    beffroi = Path(sys.executable).with_name("beffroi")
    proc = subprocess.Popen([str(beffroi), "ingest-mqtt", "--db", db_url, "--mqtt-url", broker,
                             "--client-id", "beffroi-bench"], stdout=sys.stderr,
                            stderr=sys.stderr, env={**os.environ, "BEFFROI_LOG_LEVEL": "WARNING"})
    try:
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def stored(db, tenant_id: int) -> int:
    o = schema.observations
    with db.read() as conn:
        return conn.execute(select(func.count()).select_from(o)
                            .where(o.c.tenant_id == tenant_id)).scalar_one()


def wait_stored(db, tenant_id: int, expected: int, timeout: float, proc) -> float:
    """Seconds (monotonic clock) at which ``expected`` observations are stored."""
    deadline = time.monotonic() + timeout
    while True:
        count = stored(db, tenant_id)
        if count >= expected:
            return time.monotonic()
        if proc.poll() is not None:
            raise RuntimeError(f"ingest worker exited with status {proc.returncode}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"only {count} of {expected} observations after {timeout:.0f} s")
        time.sleep(0.05)


def senml_messages(tenant_id: int, device_ids: list[int], messages: int, records: int,
                   start_ms: int) -> list[tuple[str, bytes]]:
    """``messages`` SenML packs, devices in turn, each ``records`` readings one minute apart."""
    out = []
    for m in range(messages):
        device = device_ids[m % len(device_ids)]
        base = start_ms + (m // len(device_ids)) * records * 60_000
        pack = [{"bn": "urn:dev:beffroi:", "bt": base / 1000, "n": "v", "v": 20.0 + m % 7}]
        pack += [{"n": "v", "t": 60 * k, "v": 20.0 + (m + k) % 7} for k in range(1, records)]
        out.append((f"beffroi/{tenant_id}/devices/{device}/up", orjson.dumps(pack)))
    return out


def publish_all(broker: str, payloads: list[tuple[str, bytes]]) -> None:
    """Publish with QoS 1 and wait until the broker acknowledged every message."""
    host, port = broker.removeprefix("mqtt://").split(":")
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="beffroi-bench-publisher")
    client.max_inflight_messages_set(200)
    client.max_queued_messages_set(0)
    done = threading.Event()
    acked = [0]

    def on_publish(*_args) -> None:
        acked[0] += 1
        if acked[0] == len(payloads):
            done.set()

    client.on_publish = on_publish
    client.connect(host, int(port))
    client.loop_start()
    try:
        for topic, payload in payloads:
            client.publish(topic, payload, qos=1)
        if not done.wait(600):
            raise RuntimeError(f"broker acknowledged {acked[0]} of {len(payloads)} messages")
    finally:
        client.loop_stop()
        client.disconnect()


def run_backend(backend: str, server_url: str | None, messages: int, records: int,
                device_count: int) -> dict:
    reg = registry()
    with bench_database(backend, server_url) as db, mosquitto() as broker:
        tenant_id, token = create_bench_tenant(db, reg)
        sites = create_sites(db, reg, tenant_id, device_count, prefix="MQTT")
        with db.write() as conn:
            scope = open_scope(db, conn, CLI, tenant_id)
            device_ids = [devices.create_device(scope, conn, {
                "name": f"Capteur {i}", "asset_id": asset_id,
                "mapping": {"v": "generic.value"}}, reg).id
                for i, (asset_id, _) in enumerate(sites)]
        start_ms = (now_ms() - 400 * 86_400_000) // 86_400_000 * 86_400_000
        # A probe message proves that the worker's session is subscribed.
        probe = senml_messages(tenant_id, device_ids[:1], 1, 1, start_ms - 86_400_000)
        payloads = senml_messages(tenant_id, device_ids, messages, records, start_ms)
        with ingest_worker(db.url, broker) as proc:
            for _attempt in range(60):
                publish_all(broker, probe)
                try:
                    wait_stored(db, tenant_id, 1, 1.0, proc)
                    break
                except RuntimeError:
                    continue  # published before the worker subscribed: lost, try again
            else:
                raise RuntimeError("the ingest worker stores nothing")
            log(f"{backend}: {messages} MQTT messages of {records} readings from "
                f"{device_count} devices…")
            started = time.monotonic()
            publish_all(broker, payloads)
            finished = wait_stored(db, tenant_id, 1 + messages * records, 600, proc)
        seconds = finished - started
        log(f"{backend}: HTTP batches and bare driver on the same database…")
        data = make_batches(HTTP_BATCHES + 1, 10)
        http_streams = [s for _, s in create_sites(db, reg, tenant_id, 10, prefix="HTTP")]
        raw_streams = [s for _, s in create_sites(db, reg, tenant_id, 10, prefix="RAW")]
        raw = {"raw": [[(tenant_id, raw_streams[s], t, v, 0) for s, t, v in batch]
                       for batch in data]}
        rates = measure(db, tenant_id, token, json_bodies(data, http_streams), raw)
        figures = {f"{backend}_mqtt_msg_s": round(messages / seconds),
                   f"{backend}_mqtt_obs_s": round(messages * records / seconds),
                   f"{backend}_http_obs_s": round(rates["http"]),
                   f"{backend}_raw_obs_s": round(rates["raw"])}
        figures[f"{backend}_mqtt_vs_http"] = round(
            figures[f"{backend}_mqtt_obs_s"] / rates["http"], 3)
        figures[f"{backend}_mqtt_vs_raw"] = round(
            figures[f"{backend}_mqtt_obs_s"] / rates["raw"], 4)
        log(f"{backend}: {figures}")
        return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pg-url", help="PostgreSQL server URL (default: $BEFFROI_TEST_PG_URL)")
    parser.add_argument("--messages", type=int, default=20_000, help="messages per backend")
    parser.add_argument("--records", type=int, default=4, help="readings per message")
    parser.add_argument("--devices", type=int, default=100, help="publishing devices")
    args = parser.parse_args()
    result: dict = {"bench": "mqtt", "messages": args.messages, "records": args.records,
                    "devices": args.devices}
    for name in ("sqlite", "pg"):
        for key in ("mqtt_msg_s", "mqtt_obs_s", "http_obs_s", "raw_obs_s", "mqtt_vs_http",
                    "mqtt_vs_raw"):
            result[f"{name}_{key}"] = None
    for backend, server_url in backends(pg_url(args.pg_url)):
        result.update(run_backend(backend, server_url, args.messages, args.records,
                                  args.devices))
    emit(result)


if __name__ == "__main__":
    main()
