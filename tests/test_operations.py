"""docs/operations.md, run: its systemd units verify, its nginx configuration serves a real
`beffroi serve` over HTTPS, its SQLite backup copies a database being written to and its
restore puts it back, its PostgreSQL dump and restore round-trip.

The blocks are read from the document (each follows a `<!-- test:… -->` marker), with the
production paths replaced by temporary ones, `sudo -u USER` and `systemctl` stubbed."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import orjson
import pytest
from markdown_it import MarkdownIt
from suite_mqtt import stop_loop
from suite_ports import free_ports

from beffroi.core import assets, observations, streams, tenants, users
from beffroi.core.access import CLI, open_scope
from beffroi.core.clock import DAY_MS, format_instant, now_ms
from beffroi.core.registry import load_registry
from beffroi.storage import schema
from beffroi.storage.database import Database
from beffroi.storage.migrate import head_revision, upgrade

ROOT = Path(__file__).parent.parent
DOC = ROOT / "docs" / "operations.md"
BEFFROI = Path(sys.executable).parent / "beffroi"  # the venv's console script
STUBS = """sudo() { if [ "$1" = -u ]; then shift 2; fi; "$@"; }
systemctl() { echo "systemctl $*" >> "$STUB_LOG"; }
"""


def block(marker: str) -> str:
    """The code block that follows ``<!-- test:marker -->`` in docs/operations.md."""
    tokens = MarkdownIt("commonmark").parse(DOC.read_text(encoding="utf-8"))
    for token, following in zip(tokens, tokens[1:], strict=False):
        if token.type == "html_block" and f"<!-- test:{marker} -->" in token.content:
            assert following.type == "fence", f"no code block after test:{marker}"
            return following.content
    raise AssertionError(f"docs/operations.md has no block test:{marker}")


def localised(text: str, tmp: Path, **extra: str) -> str:
    """A block of the document with its production paths moved under ``tmp``."""
    replacements = {"/opt/beffroi/venv/bin/beffroi": str(BEFFROI),
                    "/var/lib/beffroi": str(tmp / "var/lib/beffroi"),
                    "/var/backups/beffroi": str(tmp / "var/backups/beffroi"),
                    "/etc/beffroi/beffroi.env": str(tmp / "beffroi.env"), **extra}
    for production, local in replacements.items():
        text = text.replace(production, local)
    return text


def run_shell(script: str, tmp: Path, env: dict[str, str] | None = None) -> str:
    """Run a block of commands as an operator would paste them (stopping at an error)."""
    result = subprocess.run(["bash", "-euc", STUBS + script], capture_output=True, text=True,
                            timeout=120, env={**os.environ, "STUB_LOG": str(tmp / "stubs.log"),
                                              **(env or {})})
    assert result.returncode == 0, f"{script}\n--- stdout:\n{result.stdout}\n--- stderr:\n" \
                                   f"{result.stderr}"
    return result.stdout


def install_script(text: str, path: Path) -> Path:
    path.write_text(text, encoding="utf-8")
    path.chmod(0o755)
    return path


def site(db: Database) -> tuple[int, int, int]:
    """(tenant, stream fed by the API path, stream filled in bulk) of a new territory."""
    registry = load_registry(["generic"])
    with db.write() as conn:
        tenant = tenants.create_tenant(db, conn, CLI, name="Exploitation", registry=registry)
        scope = open_scope(db, conn, CLI, tenant["id"])
        tenants.create_commune(scope, conn, {"insee": "88383", "name": "Remiremont"})
        asset = assets.create_asset(scope, conn, registry, {
            "ref": "SITE-1", "kind": "generic.site", "name": "Site 1", "commune": "88383",
            "geometry": {"type": "Point", "coordinates": [6.59, 48.02]}})
        live, bulk = (streams.create_stream(scope, conn, registry,
                                            {"asset_id": asset.id, "metric": m}).id
                      for m in ("generic.value", "generic.temperature"))
    return tenant["id"], live, bulk


def count(db: Database, stream_id: int) -> tuple[int, int]:
    """(raw observations, observations counted by the daily rollups) of a stream."""
    with db.read() as conn:
        raw = conn.exec_driver_sql("SELECT count(*) FROM observations WHERE stream_id = "
                                   f"{stream_id}").scalar()
        rolled = conn.exec_driver_sql("SELECT coalesce(sum(count), 0) FROM rollups_daily WHERE "
                                      f"stream_id = {stream_id}").scalar()
    return raw, rolled


# -- systemd -------------------------------------------------------------------------------
UNITS = ("beffroi.service", "beffroi-ingest.service", "beffroi-sauvegarde.service",
         "beffroi-sauvegarde.timer")


def test_the_documented_systemd_units_verify(tmp_path):
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed")
    script = install_script("#!/bin/sh\n", tmp_path / "beffroi-sauvegarde")
    for name in UNITS:
        text = localised(block(f"unit {name}"), tmp_path,
                         **{"/usr/local/sbin/beffroi-sauvegarde": str(script)})
        if name == "beffroi.service":  # with the drop-in of the separate MQTT ingest
            text += "\n" + block("dropin beffroi.service")
        (tmp_path / name).write_text(text, encoding="utf-8")
    for name in UNITS:
        result = subprocess.run([analyze, "verify", str(tmp_path / name)], capture_output=True,
                                text=True, timeout=60)
        assert result.returncode == 0 and str(tmp_path) not in result.stderr \
            and name not in result.stderr, f"{name}: {result.stderr}"
    # The check can fail: a mistyped key or a missing program is reported.
    broken = tmp_path / "broken.service"
    broken.write_text("[Service]\nExecStart=/nowhere/beffroi serve\nRestartSecs=5\n")
    result = subprocess.run([analyze, "verify", str(broken)], capture_output=True, text=True,
                            timeout=60)
    assert result.returncode != 0 and "RestartSecs" in result.stderr


# -- SQLite: backup while writing, then restore ---------------------------------------------
def test_the_sqlite_backup_copies_a_database_being_written_and_the_restore_puts_it_back(
        tmp_path):
    if shutil.which("sqlite3") is None:
        pytest.skip("sqlite3 (the command) is not installed")
    data, backups = tmp_path / "var/lib/beffroi", tmp_path / "var/backups/beffroi"
    data.mkdir(parents=True)
    backups.mkdir(parents=True)
    db = Database(str(data / "beffroi.db"))
    upgrade(db)
    tenant_id, live, bulk = site(db)
    start = now_ms() - 400 * DAY_MS
    with db.write() as conn:  # a database worth some time to copy
        conn.exec_driver_sql(
            "INSERT INTO observations (tenant_id, stream_id, t, value, quality) "
            "VALUES (?, ?, ?, ?, 0)",
            [(tenant_id, bulk, start + i * 60_000, float(i % 97)) for i in range(300_000)])
    registry = load_registry(["generic"])
    committed: list[tuple[float, int]] = []  # (monotonic time, observations) after each commit
    stop = threading.Event()

    def write() -> None:
        t0, batch = now_ms() - 60 * DAY_MS, 0
        while not stop.is_set():
            items = [{"stream_id": live, "time": format_instant(
                t0 + (batch * 50 + i) * 60_000), "value": float(i)} for i in range(50)]
            with db.write() as conn:
                report = observations.ingest(open_scope(db, conn, CLI, tenant_id), conn,
                                             registry, items)
                assert report.stored == 50
            batch += 1
            committed.append((time.monotonic(), batch * 50))

    writer = threading.Thread(target=write)
    writer.start()
    try:
        while len(committed) < 5:
            time.sleep(0.01)
        script = install_script(localised(block("sqlite-backup"), tmp_path),
                                tmp_path / "beffroi-sauvegarde")
        began, before = time.monotonic(), committed[-1][1]
        run_shell(str(script), tmp_path)
        ended = time.monotonic()
        after = committed[-1][1]
    finally:
        stop.set()
        writer.join(30)
    during = [n for at, n in committed if began < at < ended]
    assert during, "Beffroi wrote nothing while the backup ran: the test proves nothing"
    [copy] = list(backups.glob("beffroi-*.db"))
    saved = Database(str(copy))
    raw, rolled = count(saved, live)
    # One instant of the database: whole batches only, each with its rollups.
    assert before <= raw <= after and raw % 50 == 0 and rolled == raw
    assert count(saved, bulk)[0] == 300_000
    saved.dispose()
    final = count(db, live)[0]
    assert final > raw
    db.dispose()  # the service is stopped

    run_shell(localised(block("sqlite-restore"), tmp_path), tmp_path)
    restored = Database(str(data / "beffroi.db"))
    assert count(restored, live) == (raw, raw)
    assert restored.schema_revision() == head_revision()
    restored.dispose()
    kept = Database(str(data / "avant-restauration" / "beffroi.db"))
    assert count(kept, live)[0] == final  # the database replaced is set aside, whole
    kept.dispose()
    assert (tmp_path / "stubs.log").read_text().splitlines() == [
        "systemctl stop beffroi", "systemctl start beffroi"]


# -- PostgreSQL: dump, change, restore ------------------------------------------------------
def test_the_postgresql_dump_restores_the_database_as_it_was(tmp_path):
    from suite_databases import PG_URL, drop_pg, pg_database

    if not PG_URL:
        pytest.skip("PostgreSQL not started (run the suite through `make test`)")
    if shutil.which("pg_dump") is None:
        pytest.fail("pg_dump is not installed")
    url = pg_database()
    db = Database(url)
    try:
        tenant_id, live, _ = site(db)
        registry = load_registry(["generic"])
        t0 = now_ms() - 10 * DAY_MS
        items = [{"stream_id": live, "time": format_instant(t0 + i * 60_000),
                  "value": float(i)} for i in range(500)]
        with db.write() as conn:
            observations.ingest(open_scope(db, conn, CLI, tenant_id), conn, registry, items)
        backups = tmp_path / "var/backups/beffroi"
        backups.mkdir(parents=True)
        script = install_script(localised(block("pg-backup"), tmp_path),
                                tmp_path / "beffroi-sauvegarde")
        run_shell(str(script), tmp_path, {"BEFFROI_DATABASE_URL": url})
        assert len(list(backups.glob("beffroi-*.dump"))) == 1
        # After the backup: more data, some deleted, a table emptied.
        more = [{"stream_id": live, "time": format_instant(t0 + i * 60_000),
                 "value": 1.0} for i in range(500, 800)]
        with db.write() as conn:
            observations.ingest(open_scope(db, conn, CLI, tenant_id), conn, registry, more)
            conn.exec_driver_sql(f"DELETE FROM observations WHERE stream_id = {live} "
                                 f"AND t < {t0 + 100 * 60_000}")
            conn.execute(schema.audit_log.delete())
        assert count(db, live)[0] == 700
        db.dispose()

        (tmp_path / "beffroi.env").write_text(f"BEFFROI_DATABASE_URL={url}\n")
        run_shell(localised(block("pg-restore"), tmp_path), tmp_path)
        assert count(db, live) == (500, 500)
        with db.read() as conn:
            assert conn.exec_driver_sql("SELECT count(*) FROM audit_log").scalar() > 0
        assert db.schema_revision() == head_revision()
    finally:
        db.dispose()
        drop_pg(url)


# -- nginx in front of beffroi serve ----------------------------------------------------------
def nginx_binary() -> str:
    binary = shutil.which("nginx") or "/usr/sbin/nginx"
    if not os.path.exists(binary):
        if os.environ.get("BEFFROI_REQUIRE_NGINX"):
            pytest.fail("nginx is required (BEFFROI_REQUIRE_NGINX) but not installed")
        pytest.skip("nginx not installed (run the suite through `make test`)")
    return binary


def wait_until_listening(port: int, proc: subprocess.Popen, what: str) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            error = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
            pytest.fail(f"{what} stopped: {proc.returncode}\n{error[-3000:]}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    pytest.fail(f"{what} did not start")


@contextmanager
def running(command: list[str], port: int, what: str, **kwargs) -> Iterator[subprocess.Popen]:
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            **kwargs)
    try:
        wait_until_listening(port, proc, what)
        yield proc
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(30)  # TimeoutStopSec of the unit
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)
                raise AssertionError(f"{what} did not stop on SIGTERM within 30 s") from None


def test_nginx_serves_beffroi_over_https_as_documented(tmp_path):
    nginx = nginx_binary()
    http_port, https_port, app_port = free_ports(3)
    cert, key = tmp_path / "fullchain.pem", tmp_path / "privkey.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "3",
                    "-subj", "/CN=beffroi.example.fr", "-keyout", str(key), "-out", str(cert),
                    "-addext", "subjectAltName=DNS:beffroi.example.fr,IP:127.0.0.1"],
                   check=True, capture_output=True, timeout=60)
    site_conf = block("nginx")
    for production, local in {
            "listen 80;": f"listen 127.0.0.1:{http_port};",
            "listen 443 ssl http2;": f"listen 127.0.0.1:{https_port} ssl http2;",
            "/etc/letsencrypt/live/beffroi.example.fr/fullchain.pem": str(cert),
            "/etc/letsencrypt/live/beffroi.example.fr/privkey.pem": str(key),
            "proxy_pass http://127.0.0.1:8000;": f"proxy_pass http://127.0.0.1:{app_port};"}.items():
        assert production in site_conf
        site_conf = site_conf.replace(production, local)
    site_conf = "\n".join(line for line in site_conf.splitlines() if "listen [::]" not in line)
    temp = {name: tmp_path / name for name in ("body", "proxy", "fastcgi", "uwsgi", "scgi")}
    conf = tmp_path / "nginx.conf"
    conf.write_text(
        ("user root;\n" if os.geteuid() == 0 else "")  # workers write to root's tmp_path
        + f"worker_processes 1;\npid {tmp_path / 'nginx.pid'};\n"
        f"error_log {tmp_path / 'error.log'};\ndaemon off;\nevents {{}}\nhttp {{\n"
        f"access_log {tmp_path / 'access.log'};\n"
        f"client_body_temp_path {temp['body']};\nproxy_temp_path {temp['proxy']};\n"
        f"fastcgi_temp_path {temp['fastcgi']};\nuwsgi_temp_path {temp['uwsgi']};\n"
        f"scgi_temp_path {temp['scgi']};\n{site_conf}\n}}\n")
    unit = localised(block("unit beffroi.service"), tmp_path)
    serve = next(line for line in unit.splitlines() if line.startswith("ExecStart="))
    command = serve.removeprefix("ExecStart=").replace("--port 8000", f"--port {app_port}")
    db = Database(str(tmp_path / "beffroi.db"))
    upgrade(db)
    tenant_id, stream_id, _ = site(db)
    with db.write() as conn:
        users.create_user(db, conn, email="op@beffroi.test", is_operator_admin=True,
                          password_hash=users.new_password_hash("mot-de-passe-op"))
    db.dispose()
    env = {**os.environ, "BEFFROI_DATABASE_URL": str(tmp_path / "beffroi.db")}
    env.pop("BEFFROI_MQTT_URL", None)
    with running(command.split(), app_port, "beffroi serve", env=env), \
            running([nginx, "-p", str(tmp_path), "-c", str(conf), "-e",
                     str(tmp_path / "error.log")], https_port, "nginx"):
        tls = ssl.create_default_context(cafile=str(cert))
        with httpx.Client(base_url=f"https://127.0.0.1:{https_port}", verify=tls) as proxied:
            health = proxied.get("/api/v1/health")
            assert health.status_code == 200 and health.json()["status"] == "ok"
            # Beffroi saw HTTPS through X-Forwarded-Proto: HSTS, from Beffroi only.
            assert health.headers.get_list("strict-transport-security") == ["max-age=31536000"]
            assert "default-src" in health.headers["content-security-policy"]
            # A body past nginx's default 1 MB (one observation and 2 MB of blanks, valid
            # JSON) reaches Beffroi, which reads it whole and stores the observation.
            token = proxied.post("/api/v1/auth/token", json={
                "email": "op@beffroi.test", "password": "mot-de-passe-op"}).json()
            body = orjson.dumps([{"stream_id": stream_id, "time": format_instant(now_ms()),
                                  "value": 1.5}]) + b" " * 2_000_000
            big = proxied.post(f"/api/v1/tenants/{tenant_id}/observations", content=body, headers={
                "content-type": "application/json",
                "authorization": f"Bearer {token['access_token']}"})
            assert big.status_code == 200, big.text
            assert big.json()["stored"] == 1
            # The same body without credentials: Beffroi refuses it before reading it, and
            # reads the rest only to throw it away, so nginx passes the 401 on instead of
            # failing on a closed connection (502) — every time.
            for _ in range(5):
                anonymous = proxied.post(f"/api/v1/tenants/{tenant_id}/observations",
                                         content=body,
                                         headers={"content-type": "application/json"})
                assert anonymous.status_code == 401, anonymous.text
            # The client's address is the one nginx saw, whatever X-Forwarded-For it sends.
            login = proxied.post("/api/v1/auth/token", headers={"X-Forwarded-For": "203.0.113.9"},
                                 json={"email": "personne@example.fr", "password": "mauvais"})
            assert login.status_code == 401
        direct = httpx.get(f"http://127.0.0.1:{app_port}/api/v1/health")
        assert direct.status_code == 200 and "strict-transport-security" not in direct.headers
        redirect = httpx.get(f"http://127.0.0.1:{http_port}/carte?x=1",
                             headers={"Host": "beffroi.example.fr"})
        assert redirect.status_code == 301
        assert redirect.headers["location"] == "https://beffroi.example.fr/carte?x=1"
    db = Database(str(tmp_path / "beffroi.db"))
    with db.read() as conn:
        keys = {row[0] for row in conn.exec_driver_sql("SELECT key FROM login_throttle")}
    db.dispose()
    assert "address:127.0.0.1" in keys and not any("203.0.113.9" in k for k in keys)


# -- Mosquitto: the generated configuration plus the documented TLS listener ----------------
def test_mosquitto_runs_the_generated_configuration_with_the_documented_tls_listener(tmp_path):
    from click.testing import CliRunner
    from connectivity.conftest import mosquitto

    from beffroi.cli.main import cli

    db = Database(str(tmp_path / "beffroi.db"))
    upgrade(db)
    db.dispose()
    plain, secure = free_ports(2)
    generated = CliRunner().invoke(cli, [
        "mqtt", "broker-config", "--out", str(tmp_path / "beffroi"), "--mqtt-url",
        f"mqtt://beffroi:secret-de-beffroi@127.0.0.1:{plain}", "--port", str(plain),
        "--bind", "127.0.0.1", "--persistence-dir", str(tmp_path / "persistence"),
        "--db", str(tmp_path / "beffroi.db")])
    assert generated.exit_code == 0, generated.output
    cert, key = tmp_path / "fullchain.pem", tmp_path / "privkey.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "3",
                    "-subj", "/CN=mqtt.example.fr", "-keyout", str(key), "-out", str(cert),
                    "-addext", "subjectAltName=IP:127.0.0.1"],
                   check=True, capture_output=True, timeout=60)
    tls = block("mosquitto-tls")
    for production, local in {"listener 8883": f"listener {secure} 127.0.0.1",
                              "/etc/mosquitto/certs/fullchain.pem": str(cert),
                              "/etc/mosquitto/certs/privkey.pem": str(key)}.items():
        assert production in tls
        tls = tls.replace(production, local)
    conf = tmp_path / "mosquitto.conf"  # /etc/mosquitto/mosquitto.conf, as documented
    conf.write_text((tmp_path / "beffroi" / "mosquitto.conf").read_text() + tls
                    + ("user root\n" if os.geteuid() == 0 else ""))  # root: tmp_path is private
    (tmp_path / "persistence").mkdir()
    with mosquitto(conf, secure):
        assert connack(secure, cert, "beffroi", "secret-de-beffroi") == "Success"
        assert connack(secure, cert, "beffroi", "mauvais") != "Success"
        assert connack(secure, cert, None, None) != "Success"  # no anonymous access on TLS
        assert connack(plain, None, "beffroi", "secret-de-beffroi") == "Success"


def connack(port: int, ca: Path | None, username: str | None, password: str | None) -> str:
    import paho.mqtt.client as mqtt

    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
    if ca is not None:
        client.tls_set(ca_certs=str(ca))
    if username is not None:
        client.username_pw_set(username, password)
    answers: list[str] = []
    answered = threading.Event()
    client.on_connect = lambda c, u, flags, reason, props=None: (answers.append(str(reason)),
                                                                 answered.set())
    client.on_disconnect = lambda *args: answered.set()
    client.connect("127.0.0.1", port)
    client.loop_start()
    try:
        assert answered.wait(10), "no CONNACK"
        return (answers or ["refused"])[0]
    finally:
        client.disconnect()
        stop_loop(client)
