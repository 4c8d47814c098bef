"""A real SMTP server and a real HTTP receiver on loopback ports, and a tenant to notify.

The tenant: two communes, a water reservoir and a site in Remiremont (88383), a site in
Saint-Étienne-lès-Remiremont (88413); members: an admin, two agents for the on-call rota,
a viewer, and an agent restricted to 88413.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from beffroi.core import assets, tenants, users
from beffroi.core.access import CLI, load_principal, open_scope
from beffroi.core.alerting.alerts import Trigger, raise_alert
from beffroi.core.auth import issue_token
from beffroi.core.registry import load_registry
from beffroi.notifications.outbox import send_due
from beffroi.notifications.routing import route_events
from beffroi.storage import schema

PARIS = ZoneInfo("Europe/Paris")
POINT = {"type": "Point", "coordinates": [6.59, 48.02]}


def paris(text: str) -> int:
    """Epoch ms of a local Paris wall-clock time, "2026-03-10 02:30"."""
    return int(datetime.fromisoformat(text).replace(tzinfo=PARIS).timestamp() * 1000)


# -- a real HTTP receiver for webhooks ---------------------------------------------------------
class Receiver(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _ReceiverHandler)
        self.requests: list[dict] = []
        self.status = 200
        self.location: str | None = None  # a Location header to answer with
        self.reply = b"ok"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/beffroi"


class _ReceiverHandler(BaseHTTPRequestHandler):
    def do_POST(self):  # noqa: N802 (http.server's naming)
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.server.requests.append({"path": self.path, "headers": dict(self.headers),
                                     "body": body})
        self.send_response(self.server.status)
        if self.server.location:
            self.send_header("Location", self.server.location)
        self.send_header("Content-Length", str(len(self.server.reply)))
        self.end_headers()
        self.wfile.write(self.server.reply)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="session")
def http_receiver() -> Iterator[Receiver]:
    server = Receiver()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def receiver(http_receiver, monkeypatch) -> Receiver:
    """The receiver, on loopback: an address Beffroi only calls when the operator allows it."""
    http_receiver.requests.clear()
    http_receiver.status, http_receiver.location, http_receiver.reply = 200, None, b"ok"
    monkeypatch.setenv("BEFFROI_ALLOW_PRIVATE_NETWORKS", "127.0.0.0/8")
    return http_receiver


# -- a tenant ----------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def registry():
    """Two domains, so that domain filters mean something."""
    return load_registry(["generic", "water"])


@pytest.fixture
def world(db, registry) -> dict:
    with db.write() as conn:
        t = tenants.create_tenant(db, conn, CLI, name="CC de la Porte des Vosges",
                                  registry=registry)
        scope = open_scope(db, conn, CLI, t["id"])
        tenants.create_commune(scope, conn, {"insee": "88383", "name": "Remiremont"})
        tenants.create_commune(scope, conn, {"insee": "88413",
                                             "name": "Saint-Étienne-lès-Remiremont"})
        reservoir = assets.create_asset(scope, conn, registry, {
            "ref": "RES-FOURCHES", "kind": "water.reservoir", "name": "Réservoir des Fourches",
            "commune": "88383", "geometry": POINT})
        site = assets.create_asset(scope, conn, registry, {
            "ref": "ECOLE-1", "kind": "generic.site", "name": "École Jules-Ferry",
            "commune": "88383", "geometry": POINT})
        far_site = assets.create_asset(scope, conn, registry, {
            "ref": "GYM-1", "kind": "generic.site", "name": "Gymnase", "commune": "88413",
            "geometry": POINT})
        people = {}
        for key, role, communes in (("admin", "tenant_admin", None), ("primary", "agent", None),
                                    ("secondary", "agent", None), ("viewer", "viewer", None),
                                    ("far", "agent", ["88413"])):
            member = users.add_member(scope, conn, {"email": f"{key}@cc-vosges.fr", "role": role,
                                                    "name": key.capitalize(),
                                                    "communes": communes})
            people[key] = member["id"]
    return {"tenant": t["id"], "reservoir": reservoir.id, "site": site.id,
            "far_site": far_site.id, **people}


def email_of(world: dict, key: str) -> str:
    return f"{key}@cc-vosges.fr"


def as_user(db, conn, world: dict, key: str):
    return open_scope(db, conn, load_principal(conn, world[key]), world["tenant"])


def token(db, world: dict, key: str) -> dict[str, str]:
    """Bearer header of a personal token (no password hashing: tests stay fast)."""
    with db.write() as conn:
        _, secret = issue_token(db, conn, "personal", user_id=world[key], name="tests")
    return {"Authorization": f"Bearer {secret}"}


def raise_(db, registry, world: dict, asset: str, severity: str, at: int, title: str,
           key: str | None = None, **extra):
    with db.write() as conn:
        return raise_alert(db, conn, registry, world["tenant"], Trigger(
            key=key or f"test:{asset}:{title}", severity=severity, title=title, at=at,
            asset_id=world[asset], **extra))


def deliver(db, registry, now: int) -> None:
    """What the route and send jobs do at ``now``."""
    route_events(db, registry, now)
    send_due(db, now)


def rows(db, table, **where) -> list:
    with db.read() as conn:
        query = select(table)
        for column, value in where.items():
            query = query.where(table.c[column] == value)
        return list(conn.execute(query.order_by(*table.primary_key.columns)))


def notifications(db, **where) -> list:
    return rows(db, schema.notifications, **where)
