"""GET /tenants/{t}/events: the live event stream (Server-Sent Events), served by a real
uvicorn server (``beffroi serve``'s) and read with httpx as a browser's EventSource would.

Alerts are written by the test's own database connections, as the scheduler, the MQTT
ingest or the command line would from another process: the stream must still carry them.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from zoneinfo import ZoneInfo

import httpx
import orjson
import pytest
from sqlalchemy import event as sa_event
from sqlalchemy import update
from suite_apps import fresh_app

from beffroi.api import event_hub
from beffroi.api.routes import events as events_route
from beffroi.api.server import Server
from beffroi.core import assets, devices, observations, streams, tenants, users
from beffroi.core.access import CLI, load_principal, open_scope
from beffroi.core.alerting import alerts, rules
from beffroi.core.clock import format_instant, now_ms
from beffroi.storage import schema

PASSWORD = "mot-de-passe-direct"
DEADLINE_S = 5.0  # the acceptance: a new alert on an open home page within 5 s


class LiveServer:
    """The app under ``beffroi serve``'s uvicorn server, in a thread, on a loopback port."""

    def __init__(self, app) -> None:
        import uvicorn

        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.server = Server(uvicorn.Config(app, host="127.0.0.1", port=self.port,
                                            log_level="warning", lifespan="off"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> LiveServer:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            assert time.monotonic() < deadline, "the server did not start"
            time.sleep(0.02)
        return self

    def stop(self, timeout: float = 10) -> float:
        """Ask the server to stop; how long it took."""
        started = time.monotonic()
        self.server.should_exit = True
        self.thread.join(timeout)
        return time.monotonic() - started

    def __exit__(self, *exc) -> None:
        self.stop()


class Stream:
    """An open event stream, read in a thread: its events (name, id, JSON data) and
    comments as they come."""

    def __init__(self, url: str, headers: dict[str, str] | None = None,
                 cookies: dict[str, str] | None = None) -> None:
        self.client = httpx.Client(timeout=httpx.Timeout(10, read=60), cookies=cookies)
        self.request = self.client.build_request("GET", url, headers=headers or {})
        self.response: httpx.Response | None = None
        self.events: list[dict] = []
        self.comments: list[str] = []
        self.retry: int | None = None
        self.ended = threading.Event()
        self.opened = threading.Event()
        self.lock = threading.Lock()
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()
        assert self.opened.wait(10), "the stream did not open"

    def _read(self) -> None:
        try:
            self.response = self.client.send(self.request, stream=True)
            self.opened.set()
            if self.response.status_code != 200:
                self.response.read()
                return
            current: dict = {}
            for line in self.response.iter_lines():
                if line == "":
                    if "event" in current or "data" in current:
                        with self.lock:
                            self.events.append({
                                "event": current.get("event", "message"),
                                "id": current.get("id"),
                                "data": orjson.loads(current.get("data", "null"))})
                    current = {}
                elif line.startswith(":"):
                    with self.lock:
                        self.comments.append(line[1:].strip())
                else:
                    name, _, value = line.partition(":")
                    value = value.removeprefix(" ")
                    if name == "retry":
                        self.retry = int(value)
                    else:
                        current[name] = value
        except (httpx.HTTPError, RuntimeError, ValueError):
            pass
        finally:
            self.opened.set()
            self.ended.set()

    def of(self, name: str) -> list[dict]:
        with self.lock:
            return [e for e in self.events if e["event"] == name]

    def wait(self, name: str, predicate=lambda data: True, timeout: float = DEADLINE_S) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for e in self.of(name):
                if predicate(e["data"]):
                    return e
            time.sleep(0.02)
        raise AssertionError(f"no {name} event within {timeout} s; got {self.events}")

    def close(self) -> None:
        """Hang up, as a browser leaving the page: the socket is shut down under the
        reading thread (closing the response from another thread would not wake it)."""
        if self.response is not None and not self.ended.is_set():
            sock = self.response.extensions["network_stream"].get_extra_info("socket")
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        self.thread.join(5)
        assert not self.thread.is_alive()
        if self.response is not None:
            self.response.close()
        self.client.close()


@pytest.fixture
def world(db, registry) -> dict:
    """Territory A (two communes, a site in each, a site of no commune), its admin, an
    agent restricted to Remiremont and a viewer; territory B and its admin."""
    with db.write() as conn:
        a = tenants.create_tenant(db, conn, CLI, name="Territoire A", registry=registry)
        b = tenants.create_tenant(db, conn, CLI, name="Territoire B", registry=registry)
        scope = open_scope(db, conn, CLI, a["id"])
        for insee, name in (("88383", "Remiremont"), ("88413", "Saint-Étienne")):
            tenants.create_commune(scope, conn, {"insee": insee, "name": name})
        sites, stream_ids = {}, {}
        for key, commune in (("rem", "88383"), ("ste", "88413"), ("none", None)):
            site = assets.create_asset(scope, conn, registry, {
                "ref": f"SITE-{key}", "kind": "generic.site", "name": f"Site {key}",
                "commune": commune, "geometry": {"type": "Point", "coordinates": [6.6, 48.0]}})
            sites[key] = site.id
            stream_ids[key] = streams.create_stream(scope, conn, registry, {
                "asset_id": site.id, "metric": "generic.value"}).id
        for email, role, communes in (("admin@a.fr", "tenant_admin", None),
                                      ("remiremont@a.fr", "agent", ["88383"]),
                                      ("elu@a.fr", "viewer", None)):
            users.add_member(scope, conn, {"email": email, "role": role, "name": email,
                                           "password": PASSWORD, "communes": communes})
        users.add_member(open_scope(db, conn, CLI, b["id"]), conn, {
            "email": "admin@b.fr", "role": "tenant_admin", "name": "B", "password": PASSWORD})
    return {"a": a["id"], "b": b["id"], "sites": sites, "streams": stream_ids}


@pytest.fixture
def live(app) -> Iterator[LiveServer]:
    with LiveServer(app) as server:
        yield server


def token(server: LiveServer, email: str) -> dict[str, str]:
    answer = httpx.post(f"{server.url}/api/v1/auth/token",
                        json={"email": email, "password": PASSWORD})
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


def open_stream(server: LiveServer, tenant: int, email: str | None = None,
                **headers: str) -> Stream:
    auth = token(server, email) if email else {}
    stream = Stream(f"{server.url}/api/v1/tenants/{tenant}/events", {**auth, **headers})
    assert stream.response.status_code == 200, stream.response.text
    return stream


def wait_watching(server_app, tenant: int, count: int = 1, timeout: float = 5) -> None:
    """Until the tenant's watcher has made its first read with ``count`` subscribers."""
    hub = server_app.state.event_hub
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        watcher = hub.watchers.get(tenant)
        if watcher is not None and watcher.cursor is not None and \
                len(watcher.subscribers) == count:
            return
        time.sleep(0.02)
    raise AssertionError("the tenant's watcher did not start")


def raise_alert(db, registry, world, site: str, severity: str = "warning",
                title: str | None = None) -> object:
    """An alert on a site, written on a connection of the test's own (as another process
    would)."""
    asset_id, stream_id = world["sites"][site], world["streams"][site]
    with db.write() as conn:
        scope = open_scope(db, conn, CLI, world["a"])
        rule = rules.create_rule(scope, conn, registry, {
            "name": f"Seuil {site} {now_ms()}", "kind": "threshold", "stream_id": stream_id,
            "severity": severity, "params": {"operator": "above", "value": 10}})
        return alerts.raise_alert(db, conn, registry, world["a"], alerts.Trigger(
            key=alerts.rule_key(rule.id, asset_id), severity=severity,
            title=title or f"Valeur haute — Site {site}", at=now_ms() - 60_000,
            asset_id=asset_id, stream_id=stream_id, rule_id=rule.id))


def test_a_new_alert_reaches_the_stream_within_seconds(db, registry, world, live, app):
    stream = open_stream(live, world["a"], "admin@a.fr")
    assert stream.response.headers["content-type"].startswith("text/event-stream")
    assert stream.response.headers["x-accel-buffering"] == "no"  # nginx passes it at once
    assert stream.response.headers["cache-control"] == "no-cache"
    wait_watching(app, world["a"])
    assert stream.retry == 3000
    started = time.monotonic()
    row = raise_alert(db, registry, world, "rem", "critical", "Débit anormal — Site rem")
    got = stream.wait("alert", lambda d: d["id"] == row.id)
    assert time.monotonic() - started < DEADLINE_S
    assert got["data"] == {
        "id": row.id, "domain": "generic", "severity": "critical", "status": "open",
        "title": "Débit anormal — Site rem", "opened_at": format_instant(row.opened_at),
        "asset_id": world["sites"]["rem"], "asset_name": "Site rem", "commune": "88383",
        "change": "opened"}
    with db.read() as conn:
        [last_event] = conn.execute(schema.alert_events.select().where(
            schema.alert_events.c.alert_id == row.id)).all()
    assert got["id"] == str(last_event.id)  # the cursor: the alert event's id
    status = stream.wait("asset_status", lambda d: d["asset_id"] == world["sites"]["rem"])
    assert status["data"] == {"asset_id": world["sites"]["rem"], "status": "alert",
                              "domain": "generic"}
    assert stream.wait("dashboard")["data"] == {"domains": ["generic"]}
    # Taken in hand by someone, through core (another process): the new status comes.
    with db.write() as conn:
        admin = conn.execute(schema.users.select().where(
            schema.users.c.email == "admin@a.fr")).first()
        scope = open_scope(db, conn, load_principal(conn, admin.id), world["a"])
        alerts.acknowledge_alert(scope, conn, row.id, {"comment": "j'y vais"})
    acknowledged = stream.wait("alert", lambda d: d["status"] == "acknowledged")
    assert acknowledged["data"]["change"] == "acknowledged"
    assert int(acknowledged["id"]) > int(got["id"])
    # Resolved: the asset is no longer in alert (its stream never had data: unknown).
    with db.write() as conn:
        alerts.resolve_alert(open_scope(db, conn, CLI, world["a"]), conn, row.id, {})
    stream.wait("alert", lambda d: d["status"] == "resolved")
    stream.wait("asset_status", lambda d: d["status"] == "unknown")
    stream.close()


def test_a_member_restricted_to_a_commune_gets_only_its_events(db, registry, world, live,
                                                               app):
    everything = open_stream(live, world["a"], "admin@a.fr")
    restricted = open_stream(live, world["a"], "remiremont@a.fr")
    wait_watching(app, world["a"], count=2)
    other = raise_alert(db, registry, world, "ste")  # Saint-Étienne: not theirs
    mine = raise_alert(db, registry, world, "rem")  # Remiremont, written after
    nowhere = raise_alert(db, registry, world, "none")  # no commune: every member sees it
    for stream in (everything, restricted):
        stream.wait("alert", lambda d: d["id"] == nowhere.id)
    everything.wait("alert", lambda d: d["id"] == other.id)
    # (the status of Saint-Étienne's site follows its alert in the stream: read it before
    # looking at what the restricted member got)
    everything.wait("asset_status", lambda d: d["asset_id"] == world["sites"]["ste"])
    # Every event of a poll is handed to all subscribers at once, in cursor order: the one of
    # Saint-Étienne, written first, would be there already.
    assert {e["data"]["id"] for e in restricted.of("alert")} == {mine.id, nowhere.id}
    assert {e["data"]["asset_id"] for e in restricted.of("asset_status")} <= {
        world["sites"]["rem"]}  # the site of no commune is not one of theirs
    everything.close()
    restricted.close()


def test_another_tenant_and_anonymous_callers_are_refused(live, world):
    for email, path, code in (("admin@b.fr", world["a"], 404), (None, world["a"], 401),
                              ("admin@a.fr", 999_999, 404),
                              ("admin@a.fr", f"{world['a']}/events?since=-1", 422),
                              ("admin@a.fr", f"{world['a']}/events?since=abc", 422)):
        auth = token(live, email) if email else {}
        url = f"{live.url}/api/v1/tenants/{path}"
        answer = httpx.get(url if "?" in url else f"{url}/events", headers=auth, timeout=5)
        assert answer.status_code == code, (email, path, answer.text)
        assert answer.headers["content-type"] == "application/problem+json"


def test_the_public_of_a_published_territory_gets_nothing_private(db, registry, world, live,
                                                                  app):
    with db.write() as conn:
        tenants.update_tenant(open_scope(db, conn, CLI, world["a"]), conn,
                              {"settings": {"published_kinds": ["generic.site"]}}, registry)
    public = open_stream(live, world["a"])  # anonymous: the public role
    member = open_stream(live, world["a"], "elu@a.fr")
    wait_watching(app, world["a"], count=2)
    row = raise_alert(db, registry, world, "rem")
    member.wait("alert", lambda d: d["id"] == row.id)
    member.wait("dashboard")
    time.sleep(0.3)
    assert public.retry == 3000 and public.events == []
    public.close()
    member.close()


def test_one_watcher_per_tenant_however_many_watch(db, registry, world, live, app):
    """Five streams of one tenant: one read of the alert events per poll, not five; the
    watcher stops once the last stream has gone."""
    reads: list[float] = []

    def count(conn, cursor, statement, *args) -> None:
        if "alert_events" in statement and "max(" not in statement.lower():
            reads.append(time.monotonic())

    sa_event.listen(db.engine, "before_cursor_execute", count)
    try:
        streams_ = [open_stream(live, world["a"], "admin@a.fr") for _ in range(5)]
        wait_watching(app, world["a"], count=5)
        assert len(app.state.event_hub.watchers) == 1
        reads.clear()
        time.sleep(3.2)
        polls = len(reads)
        assert 1 <= polls <= 5, polls  # about one a second (POLL_S); five readers: 15
        row = raise_alert(db, registry, world, "rem")
        for stream in streams_:
            stream.wait("alert", lambda d: d["id"] == row.id)
    finally:
        sa_event.remove(db.engine, "before_cursor_execute", count)
    for stream in streams_:
        stream.close()
    deadline = time.monotonic() + 5
    while app.state.event_hub.watchers and time.monotonic() < deadline:
        time.sleep(0.05)
    assert app.state.event_hub.watchers == {}


def test_a_reconnecting_client_gets_what_it_missed(db, registry, world, live, app):
    stream = open_stream(live, world["a"], "admin@a.fr")
    wait_watching(app, world["a"])
    first = raise_alert(db, registry, world, "rem")
    seen = stream.wait("alert", lambda d: d["id"] == first.id)
    stream.close()
    missed = [raise_alert(db, registry, world, key) for key in ("ste", "none")]
    resumed = open_stream(live, world["a"], "admin@a.fr", **{"Last-Event-ID": seen["id"]})
    for row in missed:
        resumed.wait("alert", lambda d, row=row: d["id"] == row.id, timeout=3)
    assert first.id not in {e["data"]["id"] for e in resumed.of("alert")}
    assert resumed.wait("dashboard")["data"] == {"domains": ["generic"]}
    resumed.close()
    # A cursor that is no number is ignored: nothing replayed, the stream still opens.
    odd = open_stream(live, world["a"], "admin@a.fr", **{"Last-Event-ID": "abc"})
    time.sleep(0.5)
    assert odd.of("alert") == []
    odd.close()


def test_silence_data_and_keep_alives(db, registry, world, live, app, monkeypatch):
    """A device falling silent (no write at all) and new measurements reach the stream on the
    slower rescans; comments keep the connection alive."""
    monkeypatch.setattr(event_hub, "RESCAN_S", 1.0)
    monkeypatch.setattr(event_hub, "DATA_S", 1.0)
    monkeypatch.setattr(events_route, "KEEPALIVE_S", 0.5)
    with db.write() as conn:
        scope = open_scope(db, conn, CLI, world["a"])
        device = devices.create_device(scope, conn, {"name": "capteur", "asset_id":
                                                     world["sites"]["ste"],
                                                     "expected_interval_s": 600})
        conn.execute(update(schema.devices).where(schema.devices.c.id == device.id)
                     .values(last_seen=now_ms()))
    stream = open_stream(live, world["a"], "admin@a.fr")
    wait_watching(app, world["a"])
    # Last heard of more than 3 expected intervals ago (as if time had passed): silent.
    with db.write() as conn:
        conn.execute(update(schema.devices).where(schema.devices.c.id == device.id)
                     .values(last_seen=now_ms() - 3 * 600_000 - 60_000))
    got = stream.wait("asset_status", lambda d: d["status"] == "silent", timeout=4)
    assert got["data"] == {"asset_id": world["sites"]["ste"], "status": "silent",
                           "domain": "generic"}
    with db.write() as conn:
        observations.store_rows(open_scope(db, conn, CLI, world["a"]), conn,
                                [(world["a"], world["streams"]["rem"], now_ms(), 4.0, 0)],
                                ZoneInfo("Europe/Paris"))
    stream.wait("dashboard", lambda d: d == {"domains": ["generic"]}, timeout=4)
    assert "keep-alive" in stream.comments
    stream.close()


def test_a_logged_out_session_stream_ends(db, registry, world, live, monkeypatch):
    monkeypatch.setattr(event_hub, "RESCAN_S", 1.0)
    login = httpx.post(f"{live.url}/api/v1/auth/login",
                       json={"email": "elu@a.fr", "password": PASSWORD})
    assert login.status_code == 200, login.text
    cookies = dict(login.cookies)
    stream = Stream(f"{live.url}/api/v1/tenants/{world['a']}/events", cookies=cookies)
    assert stream.response.status_code == 200
    with db.write() as conn:  # a member removed by an administrator, elsewhere
        conn.execute(schema.tokens.delete().where(schema.tokens.c.kind == "session"))
    assert stream.ended.wait(5), "the stream of a revoked session went on"
    stream.close()


def test_a_deleted_tenant_ends_its_streams(db, world, live, app):
    stream = open_stream(live, world["a"], "admin@a.fr")
    wait_watching(app, world["a"])
    with db.write() as conn:
        tenants.delete_tenant(conn, CLI, open_scope(db, conn, CLI, world["a"]))
    assert stream.ended.wait(5), "the stream of a deleted tenant went on"
    deadline = time.monotonic() + 5
    while app.state.event_hub.watchers and time.monotonic() < deadline:
        time.sleep(0.05)
    assert app.state.event_hub.watchers == {}
    stream.close()


def test_the_server_stops_at_once_with_streams_open(db, registry, world):
    app = fresh_app(db, registry)
    server = LiveServer(app).__enter__()
    stream = open_stream(server, world["a"], "admin@a.fr")
    wait_watching(app, world["a"])
    took = server.stop()
    assert not server.thread.is_alive() and took < 3, took
    assert stream.ended.wait(2)
    stream.close()


def test_events_pass_through_the_documented_nginx_proxy_at_once(db, registry, world, live,
                                                                 app, tmp_path):
    """Behind docs/operations.md's nginx site, each event reaches the client as it comes
    (the stream also asks nginx not to buffer it: ``X-Accel-Buffering: no``, checked in the
    first test)."""
    import os
    import re

    from test_operations import block, nginx_binary, running

    nginx = nginx_binary()
    location = re.search(r"location / \{.*?\}", block("nginx"), re.S).group(0)
    assert "proxy_pass http://127.0.0.1:8000;" in location
    location = location.replace("http://127.0.0.1:8000", live.url)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    temp = {name: tmp_path / name for name in ("body", "proxy", "fastcgi", "uwsgi", "scgi")}
    conf = tmp_path / "nginx.conf"
    conf.write_text(
        ("user root;\n" if os.geteuid() == 0 else "")
        + f"worker_processes 1;\npid {tmp_path / 'nginx.pid'};\n"
        f"error_log {tmp_path / 'error.log'};\ndaemon off;\nevents {{}}\nhttp {{\n"
        f"access_log {tmp_path / 'access.log'};\n"
        f"client_body_temp_path {temp['body']};\nproxy_temp_path {temp['proxy']};\n"
        f"fastcgi_temp_path {temp['fastcgi']};\nuwsgi_temp_path {temp['uwsgi']};\n"
        f"scgi_temp_path {temp['scgi']};\n"
        f"server {{\nlisten 127.0.0.1:{port};\nproxy_read_timeout 300s;\n{location}\n}}\n}}\n")
    with running([nginx, "-p", str(tmp_path), "-c", str(conf), "-e",
                  str(tmp_path / "error.log")], port, "nginx"):
        stream = Stream(f"http://127.0.0.1:{port}/api/v1/tenants/{world['a']}/events",
                        token(live, "admin@a.fr"))
        assert stream.response.status_code == 200
        wait_watching(app, world["a"])
        started = time.monotonic()
        row = raise_alert(db, registry, world, "rem")
        stream.wait("alert", lambda d: d["id"] == row.id)
        assert time.monotonic() - started < DEADLINE_S
        assert stream.retry == 3000
        stream.close()
