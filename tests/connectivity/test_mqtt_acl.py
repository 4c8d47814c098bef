"""MQTT trusts no topic: each device has its own broker account and may only publish on its
own topics; Beffroi generates Mosquitto's password and ACL files from the devices it knows.

Tested against a real Mosquitto started with the generated configuration. Over MQTT 3.1.1 a
refused publication is dropped silently: the proof is that Beffroi's ingest account never
receives it, checked once a later message of the same publisher has arrived (the broker
keeps each publisher's order). Over MQTT 5 the broker answers it with PUBACK reason 135
(Not authorized) and closes the connection (Mosquitto 2.0).
"""

from __future__ import annotations

import base64
import os
import signal
import subprocess
import threading
import time
import uuid
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
from click.testing import CliRunner
from sqlalchemy import select, update
from suite_mqtt import stop_loop
from suite_ports import free_port

from beffroi.cli.main import cli
from beffroi.connectivity.mqtt_broker import broker_files, mosquitto_hash
from beffroi.connectivity.mqtt_worker import ACK_TOPIC, UP_TOPIC
from beffroi.core import devices, tenants, users
from beffroi.core.access import CLI, open_scope
from beffroi.core.auth import issue_token
from beffroi.storage import schema

from .conftest import mosquitto

SIREN = "200068377"
EUI_1, EUI_3 = "a84041000181c61f", "a84041000181c620"
INGEST_PASSWORD = "mot-de-passe-de-beffroi"


def member(db, tenant_id: int, email: str, role: str) -> dict[str, str]:
    """A member of the territory, and the headers of a session of theirs (no password: the
    tests stay fast)."""
    with db.write() as conn:
        user = users.create_user(db, conn, email=email)
        conn.execute(schema.memberships.insert().values(tenant_id=tenant_id, user_id=user["id"],
                                                        role=role))
        _, secret = issue_token(db, conn, "session", user_id=user["id"], ttl_ms=3_600_000)
    return {"Authorization": f"Bearer {secret}"}


@pytest.fixture
def world(db, registry, client):
    """Territory A (with a SIREN) with devices 1 (DevEUI) and 2; territory B with device 3.
    Credentials issued through the API by each territory's admin."""
    with db.write() as conn:
        a = tenants.create_tenant(db, conn, CLI, siren=SIREN, registry=registry)["id"]
        b = tenants.create_tenant(db, conn, CLI, name="Autre territoire", registry=registry)["id"]
        ids = []
        for tenant, name, eui in ((a, "Capteur 1", EUI_1), (a, "Capteur 2", None),
                                  (b, "Capteur 3", EUI_3)):
            scope = open_scope(db, conn, CLI, tenant)
            ids.append(devices.create_device(scope, conn, {"name": name, "dev_eui": eui}).id)
    headers = {"a": member(db, a, "admin@a.fr", "tenant_admin"),
               "b": member(db, b, "admin@b.fr", "tenant_admin"),
               "agent": member(db, a, "agent@a.fr", "agent")}
    d1, d2, d3 = ids
    creds = {}
    for key, tenant, device in (("d1", a, d1), ("d2", a, d2), ("d3", b, d3)):
        url = f"/api/v1/tenants/{tenant}/devices/{device}/mqtt-credentials"
        answer = client.post(url, headers=headers["a" if tenant == a else "b"])
        assert answer.status_code == 201, answer.text
        creds[key] = answer.json()
    return {"a": a, "b": b, "d1": d1, "d2": d2, "d3": d3, "creds": creds, "headers": headers}


class Broker:
    """Mosquitto running the configuration ``beffroi mqtt broker-config`` wrote."""

    def __init__(self, db, directory: Path) -> None:
        self.db, self.directory, self.port = db, directory, free_port()
        self.generate()
        self.log = open(directory / "mosquitto.log", "w")  # noqa: SIM115 (closed in stop)

    def generate(self) -> None:
        result = CliRunner().invoke(cli, [
            "mqtt", "broker-config", "--out", str(self.directory), "--mqtt-url",
            f"mqtt://beffroi:{INGEST_PASSWORD}@127.0.0.1:{self.port}", "--port", str(self.port),
            "--bind", "127.0.0.1", "--no-persistence", "--db", self.db.url], prog_name="beffroi")
        assert result.exit_code == 0, result.output
        if os.geteuid() == 0:
            # Started by root, Mosquitto would switch to its own user, which cannot read the
            # test's private temporary folder (in production: root:mosquitto, mode 640).
            with open(self.directory / "mosquitto.conf", "a") as conf:
                conf.write("user root\n")

    def reload(self, proc: subprocess.Popen) -> None:
        self.generate()
        proc.send_signal(signal.SIGHUP)


def connect(port: int, username: str | None, password: str | None,
            protocol=mqtt.MQTTv5) -> tuple[mqtt.Client, str, list]:
    """A started client, the CONNACK reason, the messages it gets."""
    acks: dict[int, int] = {}  # PUBACK reason code by message id
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"c-{uuid.uuid4().hex[:8]}",
                         protocol=protocol, userdata=acks)
    if username is not None:
        client.username_pw_set(username, password)
    connack: list[str] = []
    got: list[tuple[str, bytes]] = []
    answered = threading.Event()

    def on_connect(c, userdata, flags, reason, properties=None):
        connack.append(str(reason))
        answered.set()

    client.on_connect = on_connect
    client.on_disconnect = lambda *args: answered.set()
    client.on_publish = lambda c, acks, mid, reason, props=None: acks.__setitem__(mid,
                                                                                  reason.value)
    client.on_message = lambda c, u, msg: got.append((msg.topic, msg.payload))
    client.connect("127.0.0.1", port)
    client.loop_start()
    assert answered.wait(5), "no CONNACK"
    return client, (connack or ["refused"])[0], got


def stop(client: mqtt.Client) -> None:
    """Close a client and stop its network thread (the broker may have closed the connection
    itself: a refusal, a revoked account)."""
    client.disconnect()
    stop_loop(client)


def connack(port: int, username: str | None, password: str | None) -> str:
    """Only the broker's answer to CONNECT."""
    client, reason, _ = connect(port, username, password)
    stop(client)
    return reason


def refused(port: int, creds: dict, topic: str) -> bool:
    """Publish once over MQTT 5 on a connection of its own (Mosquitto closes it after a
    refusal); True when the broker answered "Not authorized" (PUBACK reason 135). The
    broker routes a publication before it acknowledges it: once refused, it can no longer
    reach any subscriber."""
    client, reason, _ = connect(port, creds["username"], creds["password"])
    try:
        return reason == "Success" and publish(client, topic, topic.encode()) == 135
    finally:
        stop(client)


def publish(client: mqtt.Client, topic: str, payload: bytes) -> int | None:
    """Publish QoS 1 and wait for the PUBACK; its reason code (MQTT 5)."""
    acks = client.user_data_get()
    info = client.publish(topic, payload, qos=1)
    info.wait_for_publish(5)
    deadline = time.monotonic() + 5
    while info.mid not in acks and time.monotonic() < deadline:
        time.sleep(0.01)
    return acks.get(info.mid)


def subscribe(client: mqtt.Client, *topics: str) -> None:
    done = threading.Event()
    client.on_subscribe = lambda *args: done.set()
    client.subscribe([(t, 1) for t in topics])
    assert done.wait(5)


def wait_until(predicate, what: str, timeout: float = 5) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


def test_a_device_publishes_only_on_its_own_topics(db, world, tmp_path):
    a, b, d1, d2, d3 = (world[k] for k in ("a", "b", "d1", "d2", "d3"))
    creds = world["creds"]
    assert creds["d1"]["username"] == f"dev-{a}-{d1}"
    own = f"beffroi/{a}/devices/{d1}"
    assert sorted(creds["d1"]["publish"]) == sorted(
        f"beffroi/{t}/devices/{d}/{k}" for t in (a, SIREN) for d in (d1, EUI_1)
        for k in ("up", "ack"))
    assert creds["d1"]["subscribe"] == [f"{own}/down"]
    setup = Broker(db, tmp_path)
    with mosquitto(setup.directory / "mosquitto.conf", setup.port, setup.log):
        ingest, reason, received = connect(setup.port, "beffroi", INGEST_PASSWORD,
                                           mqtt.MQTTv311)
        assert reason == "Success"
        subscribe(ingest, UP_TOPIC, ACK_TOPIC)  # what the ingest worker subscribes to
        device, reason, device_got = connect(setup.port, creds["d1"]["username"],
                                             creds["d1"]["password"], mqtt.MQTTv311)
        assert reason == "Success"
        subscribe(device, f"{own}/down", f"beffroi/{a}/devices/{d2}/down")

        allowed = [f"{own}/up", f"{own}/ack", f"beffroi/{SIREN}/devices/{EUI_1}/up",
                   f"beffroi/{a}/devices/{EUI_1}/ack"]
        forbidden = [f"beffroi/{a}/devices/{d2}/up",  # another device of its territory
                     f"beffroi/{SIREN}/devices/{d2}/ack",
                     f"beffroi/{b}/devices/{d3}/up",  # a device of another territory
                     f"beffroi/{b}/devices/{EUI_3}/up",
                     f"beffroi/{b}/devices/{d1}/up",  # itself, under another territory
                     f"{own}/down",  # commands: only Beffroi writes them
                     f"{own}/up/extra", "beffroi/other"]
        for topic in forbidden:
            assert refused(setup.port, creds["d1"], topic), topic
        for topic in allowed:
            publish(device, topic, topic.encode())
        wait_until(lambda: len(received) >= len(allowed), "the allowed messages")
        assert received == [(t, t.encode()) for t in allowed]  # and nothing else

        # Territory B's device: refused on A's topics, accepted on its own.
        for topic in (f"{own}/up", f"beffroi/{SIREN}/devices/{EUI_1}/up"):
            assert refused(setup.port, creds["d3"], topic), topic
        other, reason, _ = connect(setup.port, creds["d3"]["username"], creds["d3"]["password"])
        assert (reason, publish(other, f"beffroi/{b}/devices/{d3}/up", b"le sien")) == (
            "Success", 0)
        wait_until(lambda: len(received) > len(allowed), "B's own message")
        assert received[len(allowed):] == [(f"beffroi/{b}/devices/{d3}/up", b"le sien")]

        # Commands: Beffroi writes every device's down topic; each device reads only its own.
        publish(ingest, f"beffroi/{a}/devices/{d2}/down", b"pour 2")
        publish(ingest, f"{own}/down", b"pour 1")
        wait_until(lambda: device_got, "device 1's command")
        assert device_got == [(f"{own}/down", b"pour 1")]  # device 2's would have come first

        # CONNECT: wrong password, another device's name, no account at all.
        for username, password in ((creds["d1"]["username"], "faux"),
                                   (creds["d2"]["username"], creds["d1"]["password"]),
                                   (None, None)):
            reason = connack(setup.port, username, password)
            assert reason in ("Bad user name or password", "Not authorized"), (username, reason)
        for client in (ingest, device, other):
            stop(client)


def test_rotated_and_revoked_credentials_apply_once_the_broker_reloads(db, world, tmp_path,
                                                                       client):
    a, d1, d2 = world["a"], world["d1"], world["d2"]
    old = world["creds"]["d1"]
    setup = Broker(db, tmp_path)
    with mosquitto(setup.directory / "mosquitto.conf", setup.port, setup.log) as proc:
        held, reason, _ = connect(setup.port, old["username"], old["password"], mqtt.MQTTv311)
        ingest, _, _ = connect(setup.port, "beffroi", INGEST_PASSWORD, mqtt.MQTTv311)
        assert reason == "Success" and held.is_connected() and ingest.is_connected()
        new = client.post(f"/api/v1/tenants/{a}/devices/{d1}/mqtt-credentials",
                          headers=world["headers"]["a"]).json()
        assert new["username"] == old["username"] and new["password"] != old["password"]
        assert client.delete(f"/api/v1/tenants/{a}/devices/{d2}/mqtt-credentials",
                             headers=world["headers"]["a"]).status_code == 204
        # Nothing changes before the files are regenerated and the broker reloaded.
        assert connack(setup.port, old["username"], old["password"]) == "Success"
        setup.reload(proc)
        wait_until(lambda: connack(setup.port, old["username"], old["password"]) != "Success",
                   "the reload")
        assert connack(setup.port, new["username"], new["password"]) == "Success"
        revoked = world["creds"]["d2"]
        assert connack(setup.port, revoked["username"], revoked["password"]) != "Success"
        # The connection opened with the old password is cut; Beffroi's own stays.
        wait_until(lambda: not held.is_connected(), "the old connection to be cut")
        stop(held)
        assert ingest.is_connected()
        stop(ingest)
    assert f"dev-{a}-{d2}" not in (tmp_path / "passwd").read_text()


def test_credentials_belong_to_the_territory_admins(db, world, client):
    a, b, d1, d3 = world["a"], world["b"], world["d1"], world["d3"]
    headers = world["headers"]
    # Another territory's admin: neither through its own territory nor through the other
    # one, which it cannot even see.
    assert client.post(f"/api/v1/tenants/{a}/devices/{d3}/mqtt-credentials",
                       headers=headers["a"]).status_code == 404
    assert client.post(f"/api/v1/tenants/{b}/devices/{d3}/mqtt-credentials",
                       headers=headers["a"]).status_code == 404
    assert client.delete(f"/api/v1/tenants/{b}/devices/{d3}/mqtt-credentials",
                         headers=headers["a"]).status_code == 404
    # An agent of the territory may not either.
    assert client.post(f"/api/v1/tenants/{a}/devices/{d1}/mqtt-credentials",
                       headers=headers["agent"]).status_code == 403
    # The password is shown once; the device shows its username, never the hash.
    shown = client.get(f"/api/v1/tenants/{a}/devices/{d1}", headers=headers["a"]).json()
    assert shown["mqtt_username"] == f"dev-{a}-{d1}"
    assert world["creds"]["d1"]["password"] not in str(shown) and "$7$" not in str(shown)
    d = schema.devices
    with db.read() as conn:
        stored = conn.execute(select(d.c.mqtt_password_hash).where(d.c.id == d1)).scalar()
    _, _, rounds, salt, _ = stored.split("$")
    assert stored == mosquitto_hash(world["creds"]["d1"]["password"],
                                    salt=base64.b64decode(salt), rounds=int(rounds))
    # The CLI issues them too (operator on the server).
    result = CliRunner().invoke(cli, ["device", "mqtt-credentials", "--tenant", str(b),
                                      "--device", str(d3), "--db", db.url], prog_name="beffroi")
    assert result.exit_code == 0, result.output
    assert f"utilisateur: dev-{b}-{d3}\n" in result.output
    assert result.output.split("mot de passe: ")[1].split("\n")[0] != world["creds"]["d3"][
        "password"]


def test_the_hash_is_the_one_mosquitto_passwd_writes(tmp_path):
    """Checked against Mosquitto's own tool: same salt and rounds give the same line."""
    path = tmp_path / "passwd"
    subprocess.run(["mosquitto_passwd", "-c", "-b", str(path), "alice", "s3cr3t é"], check=True)
    line = path.read_text().strip()
    user, stored = line.split(":", 1)
    _, kind, rounds, salt, _ = stored.split("$")
    assert (user, kind) == ("alice", "7")
    assert mosquitto_hash("s3cr3t é", salt=base64.b64decode(salt), rounds=int(rounds)) == stored


def test_the_acl_grants_only_forms_that_resolve_to_the_device(db, registry):
    """A territory whose id is another's SIREN, a device whose id is another's DevEUI: the
    worker would resolve those forms to the other one, so they are not granted."""
    t, d = schema.id_counters, schema.devices
    with db.write() as conn:
        a = tenants.create_tenant(db, conn, CLI, siren=SIREN, registry=registry)["id"]
        scope = open_scope(db, conn, CLI, a)
        plain = devices.create_device(scope, conn, {"name": "Ordinaire"}).id
        conn.execute(update(t).where(t.c.name == "devices").values(next_value=10**15))
        tricky = devices.create_device(scope, conn, {"name": "Long id"}).id
        eui = str(tricky)  # "1000000000000000": 16 hexadecimal digits, a valid DevEUI
        other = devices.create_device(scope, conn, {"name": "EUI", "dev_eui": eui}).id
        conn.execute(update(t).where(t.c.name == "tenants").values(next_value=int(SIREN)))
        b = tenants.create_tenant(db, conn, CLI, name="Territoire B", registry=registry)["id"]
        # (Written directly: "200068377" would name territory A to open_scope as well.)
        lost = db.allocate_ids(conn, "devices")
        conn.execute(d.insert().values(tenant_id=b, id=lost, name="B", properties="{}",
                                       created_at=0))
        conn.execute(update(d).where(d.c.id.in_([plain, tricky, other, lost]))
                     .values(mqtt_password_hash=mosquitto_hash("x")))
    assert str(b) == SIREN and len(eui) == 16
    files = broker_files(db, "beffroi", "secret")
    sections = {block.splitlines()[0]: block.splitlines()[1:]
                for block in files.acl.split("\n\n")[1:]}

    def grants(tenant_refs, device_refs):
        return [f"topic write beffroi/{t}/devices/{x}/{k}" for t in tenant_refs
                for x in device_refs for k in ("up", "ack")]

    assert sections[f"user dev-{a}-{plain}"] == [
        *grants([a, SIREN], [plain]), f"topic read beffroi/{a}/devices/{plain}/down"]
    # "1000000000000000" is the other device's DevEUI: the tricky one gets no form at all.
    assert sections[f"user dev-{a}-{tricky}"] == [f"topic read beffroi/{a}/devices/{tricky}/down"]
    assert sections[f"user dev-{a}-{other}"] == [
        *grants([a, SIREN], [other, eui]), f"topic read beffroi/{a}/devices/{other}/down"]
    # Territory B is reached by no form ("200068377" is A's SIREN): nothing to write.
    assert sections[f"user dev-{b}-{lost}"] == [f"topic read beffroi/{b}/devices/{lost}/down"]
    assert files.devices == 4 and len(files.passwd.splitlines()) == 5
