"""GET /api/v1/health: everyone sees whether the server is degraded; operator administrators
also see each background loop of the composition root (state, restarts, last error)."""

from __future__ import annotations

import threading
import time

import pytest
from fastapi.testclient import TestClient

from beffroi.core import tenants, users
from beffroi.core.access import CLI
from beffroi.core.supervisor import Supervisor
from beffroi.runtime import build_runtime
from beffroi.storage import schema
from suite_accounts import bearer


@pytest.fixture
def runtime(db, registry):
    """The composition root without MQTT, plus a loop that always fails."""
    supervisor = Supervisor(initial_backoff_s=60)  # stays "restarting" during the test

    def broken(stop: threading.Event) -> None:
        raise RuntimeError("capteur fantôme")

    supervisor.add("broken", broken)
    runtime = build_runtime(db, registry, jobs=(), supervisor=supervisor)
    runtime.start()
    deadline = time.monotonic() + 10
    while supervisor.state("broken").status != "restarting":
        assert time.monotonic() < deadline, "the broken loop never failed"
        time.sleep(0.02)
    yield runtime
    runtime.stop()


def test_operators_see_each_loop_and_others_only_the_status(db, runtime, operator):
    with db.write() as conn:
        tenant = tenants.create_tenant(db, conn, CLI, name="CC A")
        admin = users.create_user(db, conn, email="admin@a.fr",
                                 password_hash=users.new_password_hash("admin-a-pass"))
        conn.execute(schema.memberships.insert().values(tenant_id=tenant["id"],
                                                        user_id=admin["id"], role="tenant_admin"))
    with TestClient(runtime.app) as client:
        anonymous = client.get("/api/v1/health").json()
        as_admin = client.get("/api/v1/health",
                              headers=bearer(client, "admin@a.fr", "admin-a-pass")).json()
        as_operator = client.get("/api/v1/health",
                                 headers=bearer(client, operator["email"],
                                                operator["password"])).json()
    for doc in (anonymous, as_admin):
        assert doc == {"status": "degraded", "database": db.dialect, "schema": db.schema_revision()}
    loops = {loop["name"]: loop for loop in as_operator.pop("loops")}
    assert as_operator == anonymous
    assert sorted(loops) == ["broken", "commands", "scheduler"]  # no broker: no MQTT ingest
    assert loops["broken"]["status"] == "restarting" and loops["broken"]["restarts"] == 1
    assert loops["broken"]["last_error"] == "RuntimeError: capteur fantôme"
    assert loops["broken"]["last_error_at"].endswith("Z")
    for name in ("commands", "scheduler"):
        assert (loops[name]["status"], loops[name]["restarts"], loops[name]["last_error"]) == (
            "running", 0, None)


def test_health_is_ok_when_every_loop_runs(db, registry):
    runtime = build_runtime(db, registry, jobs=())
    runtime.start()
    try:
        with TestClient(runtime.app) as client:
            assert client.get("/api/v1/health").json()["status"] == "ok"
    finally:
        runtime.stop()
