"""A real Mosquitto broker on a loopback port, and a tenant with one connected device."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from suite_ports import free_port

from beffroi.core import assets, devices, tenants
from beffroi.core.access import CLI, open_scope

SIREN = "200068377"
DEV_EUI = "a84041000181c61f"


def mosquitto_binary() -> str:
    binary = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
    if not os.path.exists(binary):
        if os.environ.get("BEFFROI_REQUIRE_MQTT"):
            pytest.fail("Mosquitto is required (BEFFROI_REQUIRE_MQTT) but not installed")
        pytest.skip("Mosquitto not installed (run the suite through `make test`)")
    return binary


@contextmanager
def mosquitto(conf, port: int, log=subprocess.DEVNULL) -> Iterator[subprocess.Popen]:
    """A Mosquitto running ``conf`` (which listens on ``port``) until the block ends."""
    proc = subprocess.Popen([mosquitto_binary(), "-c", str(conf)], stdout=log,
                            stderr=subprocess.STDOUT)
    def alive() -> None:
        if proc.poll() is not None:
            pytest.fail(f"Mosquitto stopped ({proc.returncode}): a port of {conf} taken?")

    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        alive()
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.05)
    else:
        proc.kill()
        pytest.fail("Mosquitto did not start")
    time.sleep(0.2)  # (another process on that port answered while this one failed to bind)
    alive()
    try:
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:  # never leave a broker behind
            proc.kill()
            proc.wait(5)


@pytest.fixture(scope="session")
def broker(tmp_path_factory) -> Iterator[str]:
    """mqtt:// URL of a Mosquitto started for the session (installed by scripts/test.sh)."""
    port = free_port()
    workdir = tmp_path_factory.mktemp("mosquitto")
    conf = workdir / "mosquitto.conf"
    # Persistent sessions keep every QoS 1 message for a subscriber that is away
    # (max_queued_messages 0 = no limit); see docs/ for the production settings.
    conf.write_text(f"listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\n"
                    "max_queued_messages 0\nmax_inflight_messages 100\n")
    with mosquitto(conf, port):
        yield f"mqtt://127.0.0.1:{port}"


@pytest.fixture
def device(db, registry) -> dict:
    """Tenant 200068377 with one site and one device mapped to its temperature."""
    with db.write() as conn:
        tenant = tenants.create_tenant(db, conn, CLI, siren=SIREN, registry=registry)
        scope = open_scope(db, conn, CLI, tenant["id"])
        site = assets.create_asset(scope, conn, registry, {
            "ref": "ECOLE-1", "kind": "generic.site", "name": "École", "commune": "88383",
            "geometry": {"type": "Point", "coordinates": [6.59, 48.02]}})
        row = devices.create_device(scope, conn, {
            "name": "Capteur salle 1", "dev_eui": DEV_EUI, "asset_id": site.id,
            "mapping": {"temp": "generic.temperature"}, "expected_interval_s": 600}, registry)
    return {"tenant": tenant["id"], "asset": site.id, "device": row.id, "dev_eui": DEV_EUI,
            "topic": f"beffroi/{SIREN}/devices/{DEV_EUI}/up"}
