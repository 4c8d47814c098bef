"""A command to a device over the real broker: requested → sent → acknowledged, or expired."""

from __future__ import annotations

import threading
import time
import uuid
from urllib.parse import urlparse

import orjson
import paho.mqtt.client as mqtt
import pytest
from sqlalchemy import select
from suite_mqtt import stop_loop

from beffroi.connectivity import dispatcher
from beffroi.connectivity.mqtt_worker import wait_connected
from beffroi.core import assets, commands, devices, tenants
from beffroi.core.access import CLI, open_scope
from beffroi.core.clock import now_ms
from beffroi.core.registry import load_registry
from beffroi.core.supervisor import Supervisor
from beffroi.runtime import add_connectivity_loops
from beffroi.storage import schema

from .test_mqtt import wait_for


@pytest.fixture
def lighting(db):
    registry = load_registry(["generic", "lighting"])
    with db.write() as conn:
        tenant = tenants.create_tenant(db, conn, CLI, siren="200068377", registry=registry)
        scope = open_scope(db, conn, CLI, tenant["id"])
        cabinet = assets.create_asset(scope, conn, registry, {
            "ref": "ARM-1", "kind": "lighting.cabinet", "name": "Armoire 1", "commune": "88383",
            "geometry": {"type": "Point", "coordinates": [6.59, 48.02]}})
        device = devices.create_device(scope, conn, {"name": "Contrôleur", "asset_id": cabinet.id},
                                       registry)
    return {"registry": registry, "tenant": tenant["id"], "asset": cabinet.id,
            "device": device.id}


def status(db, command_id: int) -> str:
    c = schema.commands
    with db.read() as conn:
        return conn.execute(select(c.c.status).where(c.c.id == command_id)).scalar()


def command(db, lighting) -> int:
    with db.write() as conn:
        scope = open_scope(db, conn, CLI, lighting["tenant"])
        return commands.create_command(scope, conn, lighting["registry"], {
            "asset_id": lighting["asset"], "action": "lighting.switch",
            "params": {"state": "on"}}).id


def device_client(broker: str, lighting, answer: bool) -> tuple[mqtt.Client, list]:
    """The device: receives its commands on …/down and, if asked, acknowledges on …/ack."""
    received: list[dict] = []
    base = f"beffroi/{lighting['tenant']}/devices/{lighting['device']}"
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"dev-{uuid.uuid4().hex[:6]}")
    ready = threading.Event()
    client.on_subscribe = lambda *a, **k: ready.set()

    def on_message(c, userdata, msg):
        doc = orjson.loads(msg.payload)
        received.append(doc)
        if answer:
            c.publish(f"{base}/ack", orjson.dumps({"command_id": doc["command_id"],
                                                   "status": "ok"}), qos=1)

    client.on_message = on_message
    address = urlparse(broker)
    client.connect(address.hostname, address.port)
    client.subscribe(f"{base}/down", qos=1)
    client.loop_start()
    assert ready.wait(5)
    return client, received


@pytest.fixture
def running(db, broker, lighting):
    """The MQTT ingest and the command dispatcher, supervised as ``beffroi serve`` runs them."""
    supervisor = Supervisor()
    worker = add_connectivity_loops(supervisor, db, lighting["registry"], broker,
                                    client_id=f"w-{uuid.uuid4().hex[:6]}")
    supervisor.start()
    assert wait_connected(worker)
    yield worker
    supervisor.stop()


def test_command_is_sent_over_mqtt_and_acknowledged(db, broker, lighting, running):
    client, received = device_client(broker, lighting, answer=True)
    command_id = command(db, lighting)
    wait_for(lambda: status(db, command_id) == "acknowledged", 20, "the acknowledgement")
    stop_loop(client)
    assert received == [{"command_id": command_id, "action": "lighting.switch",
                         "params": {"state": "on"}, "expires_at": received[0]["expires_at"]}]
    c = schema.commands
    with db.read() as conn:
        row = conn.execute(select(c).where(c.c.id == command_id)).one()
    assert row.channel == "mqtt" and row.sent_at <= row.acknowledged_at


def test_command_without_acknowledgement_expires(db, broker, lighting, running):
    client, received = device_client(broker, lighting, answer=False)
    command_id = command(db, lighting)
    wait_for(lambda: status(db, command_id) == "sent", 20, "the command to be sent")
    wait_for(lambda: len(received) == 1, 10, "the device to receive it")
    stop_loop(client)
    with db.read() as conn:
        expires = conn.execute(select(schema.commands.c.expires_at)
                               .where(schema.commands.c.id == command_id)).scalar()
    assert commands.expire_due(db, expires - 1) == 0  # not yet
    assert status(db, command_id) == "sent"
    assert commands.expire_due(db, max(expires, now_ms()) + 1) == 1
    assert status(db, command_id) == "expired"


def test_with_a_separate_mqtt_ingest_the_web_server_leaves_the_commands_to_it(db, broker,
                                                                              lighting):
    """docs/operations.md: `beffroi serve` without a broker beside `beffroi ingest-mqtt`. The
    dispatcher that cannot publish MQTT stands down while one that can is running: it must
    not claim MQTT commands and fail them ("Messagerie MQTT indisponible", an attempt lost,
    30 s of back-off), even when its passes come first."""
    ingest, web = Supervisor(), Supervisor()
    # The web server's passes come far more often: without the rule, it claims them all.
    worker = add_connectivity_loops(ingest, db, lighting["registry"], broker,
                                    client_id=f"w-{uuid.uuid4().hex[:6]}", dispatch_interval_s=3)
    add_connectivity_loops(web, db, lighting["registry"], None, dispatch_interval_s=0.05)
    ingest.start()
    try:
        assert wait_connected(worker)
        wait_for(lambda: dispatcher.mqtt_dispatcher_alive(db, now_ms()), 10,
                 "the MQTT dispatcher to announce itself")
        web.start()
        client, received = device_client(broker, lighting, answer=True)
        time.sleep(1)  # the web server's dispatcher is up (its HTTP client takes a moment)
        ids = [command(db, lighting) for _ in range(3)]
        wait_for(lambda: all(status(db, i) == "acknowledged" for i in ids), 20,
                 "the acknowledgements")
        stop_loop(client)
        c = schema.commands
        with db.read() as conn:
            rows = list(conn.execute(select(c).where(c.c.id.in_(ids))))
        assert [(r.attempts, r.error, r.channel) for r in rows] == [(1, None, "mqtt")] * 3
        assert sorted(doc["command_id"] for doc in received) == sorted(ids)
    finally:
        ingest.stop()
    try:
        # The MQTT ingest stopped: its announcement is withdrawn and the web server's
        # dispatcher works again (here it cannot publish MQTT: it says so and retries).
        assert not dispatcher.mqtt_dispatcher_alive(db, now_ms())
        late = command(db, lighting)
        wait_for(lambda: _error(db, late) is not None, 10, "the web server's dispatcher")
        assert "MQTT" in _error(db, late) and status(db, late) == "requested"
    finally:
        web.stop()


def _error(db, command_id: int) -> str | None:
    c = schema.commands
    with db.read() as conn:
        return conn.execute(select(c.c.error).where(c.c.id == command_id)).scalar()
