"""Remote control without MQTT: ``beffroi serve`` sends commands through a LoRaWAN network
server although no broker is configured (the dispatcher runs whatever the ingest loops).

End to end: ``beffroi serve`` in its own process, WITHOUT ``BEFFROI_MQTT_URL``, on a fresh
database of each backend; the integration and the controller created with the CLI as an
installer would; the command posted through the API; ChirpStack is the local server of
test_downlinks reproducing its v4 REST enqueue API (``POST /api/devices/{devEui}/queue``).
"""

from __future__ import annotations

import base64
import os
import subprocess
import sys
import time

import httpx
import pytest
from click.testing import CliRunner
from suite_ports import free_port

from beffroi.cli.main import cli
from beffroi.core import assets, tenants
from beffroi.core.access import CLI, open_scope
from beffroi.core.registry import load_registry

from .test_downlinks import CS_KEY, DEV_EUI, POINT, FakeNetworkServer

BEFFROI = os.path.join(os.path.dirname(sys.executable), "beffroi")


def _until(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture
def chirpstack(monkeypatch):
    monkeypatch.setenv("BEFFROI_ALLOW_PRIVATE_NETWORKS", "127.0.0.0/8")  # it runs on loopback
    server = FakeNetworkServer()
    yield server
    server.close()


@pytest.fixture
def serve(db, tmp_path):
    """``beffroi serve`` on a free port, without any MQTT broker; yields its base URL."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != "BEFFROI_MQTT_URL"}
    # The network server is on loopback: allowed explicitly (outbound-address guard).
    env["BEFFROI_ALLOW_PRIVATE_NETWORKS"] = "127.0.0.0/8"
    log = open(tmp_path / "serve.log", "w")  # noqa: SIM115 (closed below)
    proc = subprocess.Popen([BEFFROI, "serve", "--db", db.url, "--port", str(port)], env=env,
                            stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}/api/v1"

    def ready():
        if proc.poll() is not None:
            raise AssertionError("beffroi serve exited:\n" + (tmp_path / "serve.log").read_text())
        try:
            return httpx.get(f"{base}/health", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    try:
        _until(ready, 60, "beffroi serve to answer")  # (a loaded 2-CPU machine)
        yield base
    finally:
        proc.terminate()
        proc.wait(10)
        log.close()


def test_a_chirpstack_command_is_sent_without_any_mqtt_broker(db, operator, chirpstack, serve):
    registry = load_registry()
    with db.write() as conn:
        tenant = tenants.create_tenant(db, conn, CLI, name="CC des Essais", registry=registry)
        scope = open_scope(db, conn, CLI, tenant["id"])
        tenants.create_commune(scope, conn, {"insee": "88383", "name": "Commune"})
        cabinet = assets.create_asset(scope, conn, registry, {
            "ref": "ARM-12", "kind": "lighting.cabinet", "name": "Armoire 12",
            "commune": "88383", "geometry": POINT})
    runner = CliRunner()
    for args in (["integration", "create", "--tenant", str(tenant["id"]), "--kind", "chirpstack",
                  "--api-url", chirpstack.url, "--api-key", CS_KEY],
                 ["device", "create", "--tenant", str(tenant["id"]), "--name", "Contrôleur",
                  "--dev-eui", DEV_EUI, "--asset", "ARM-12"]):
        result = runner.invoke(cli, [*args, "--db", db.url], prog_name="beffroi")
        assert result.exit_code == 0, result.output

    with httpx.Client(base_url=serve, timeout=10) as api:
        token = api.post("/auth/token", json=operator).json()["access_token"]
        api.headers["Authorization"] = f"Bearer {token}"
        posted = api.post(f"/tenants/{tenant['id']}/commands", json={
            "asset_id": cabinet.id, "action": "lighting.switch", "params": {"state": "on"}})
        assert posted.status_code == 201, posted.text
        assert posted.json()["status"] == "requested"
        url = f"/tenants/{tenant['id']}/commands/{posted.json()['id']}"
        sent = _until(lambda: (doc := api.get(url).json())["status"] == "sent" and doc, 20,
                      "the command to be sent")
        health = api.get("/health").json()

    [request] = chirpstack.requests
    assert request["path"] == f"/api/devices/{DEV_EUI}/queue"
    assert request["headers"]["authorization"] == f"Bearer {CS_KEY}"
    # lighting.switch "on": FPort 10, bytes 02 01 (the controller's documented frame).
    assert request["body"] == {"queueItem": {"devEui": DEV_EUI, "confirmed": True, "fPort": 10,
                                             "data": base64.b64encode(b"\x02\x01").decode()}}
    [(status, answer)] = chirpstack.answers
    assert status == 200 and sent["channel"] == "chirpstack"
    assert sent["correlation"] == answer["id"]  # ChirpStack's queue-item id, for its ack
    # The operator sees the loops the server runs: no MQTT ingest without a broker.
    assert health["status"] == "ok"
    assert sorted(loop["name"] for loop in health["loops"]) == ["commands", "scheduler"]
    assert {loop["status"] for loop in health["loops"]} == {"running"}
