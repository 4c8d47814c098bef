"""Shared set-up of the benchmarks: databases, tenants and tokens, a real HTTP server, stats.

The benchmark scripts import this module (``python bench/<script>.py`` puts
``bench/`` on the import path). Each script prints progress on stderr and ends
with exactly one line of JSON on stdout (``emit``).

Run directly, this module is the server the benchmarks start in a subprocess:
``python bench/harness.py serve DATABASE_URL PORT`` serves the API with the
generic domain only, so that benchmarks do not depend on the other domains.
"""

from __future__ import annotations

import math
import os
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import orjson
import psycopg
from sqlalchemy import select

from beffroi.api.deps import CtxDep  # noqa: TC001 (FastAPI reads the annotation at run time)
from beffroi.core import auth, importing, users
from beffroi.core.access import CLI, open_scope
from beffroi.core.clock import now_ms
from beffroi.core.geometry import point
from beffroi.core.observations import store_rows
from beffroi.core.registry import Registry, load_registry
from beffroi.core.tenants import create_tenant
from beffroi.storage import schema
from beffroi.storage.database import Database
from beffroi.storage.migrate import upgrade

DOMAINS = ("generic",)
BENCH_PASSWORD = "bench-password"
PARIS = ZoneInfo("Europe/Paris")


# -- output ---------------------------------------------------------------------------

def log(message: str) -> None:
    """Progress goes to stderr; stdout is kept for the final JSON line."""
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def emit(result: dict[str, Any]) -> None:
    """The one final line of a benchmark: its figures as JSON on stdout."""
    sys.stdout.write(orjson.dumps(result).decode() + "\n")
    sys.stdout.flush()


def registry() -> Registry:
    return load_registry(DOMAINS)


def pg_url(cli_value: str | None) -> str | None:
    """PostgreSQL server URL: the --pg-url argument, else $BEFFROI_TEST_PG_URL, else None."""
    return cli_value or os.environ.get("BEFFROI_TEST_PG_URL") or None


# -- databases ------------------------------------------------------------------------

@contextmanager
def bench_database(backend: str, server_url: str | None = None) -> Iterator[Database]:
    """A fresh, migrated database: a temporary SQLite file, or a new PostgreSQL database
    created on ``server_url`` and dropped afterwards."""
    if backend == "sqlite":
        with tempfile.TemporaryDirectory(prefix="beffroi-bench-") as tmp:
            db = Database(str(Path(tmp) / "bench.db"))
            upgrade(db)
            try:
                yield db
            finally:
                db.dispose()
        return
    if not server_url:
        raise ValueError("PostgreSQL URL required")
    name = "bench_" + uuid.uuid4().hex[:12]
    with psycopg.connect(server_url, autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")
    db = Database(f"{server_url.rsplit('/', 1)[0]}/{name}")
    try:
        upgrade(db)
        yield db
    finally:
        db.dispose()
        with psycopg.connect(server_url, autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def backends(server_url: str | None) -> list[tuple[str, str | None]]:
    """(backend, server URL) pairs to run: SQLite always, PostgreSQL when a URL is known."""
    return [("sqlite", None)] + ([("pg", server_url)] if server_url else [])


# -- tenants, users, assets, streams ----------------------------------------------------

def create_bench_tenant(db: Database, reg: Registry, *, name: str | None = "Banc d'essai",
                        siren: str | None = None, email: str = "bench@beffroi.test",
                        password: str = BENCH_PASSWORD) -> tuple[int, str]:
    """A tenant with one tenant_admin member; returns (tenant id, personal bearer token)."""
    password_hash = users.new_password_hash(password, allow_short=True)
    with db.write() as conn:
        tenant = create_tenant(db, conn, CLI, name=name, siren=siren, registry=reg)
        user = users.create_user(db, conn, email=email, password_hash=password_hash)
        scope = open_scope(db, conn, CLI, tenant["id"])
        users.add_member(scope, conn, {"email": email, "role": "tenant_admin"})
        _, token = auth.issue_token(db, conn, "personal", user_id=user["id"], name="bench")
    return tenant["id"], token


def site_rows(count: int, prefix: str = "SITE", communes: Sequence[str] = ()) -> list[dict]:
    """Inventory rows of ``count`` generic sites on a grid over the south of the Vosges."""
    side = max(1, math.isqrt(count - 1) + 1)
    rows = []
    for i in range(count):
        lon = 6.30 + 0.60 * (i % side) / side
        lat = 47.80 + 0.40 * (i // side) / side
        rows.append({
            "ref": f"{prefix}-{i:05d}", "kind": "generic.site", "name": f"Site {prefix} {i}",
            "commune": communes[i % len(communes)] if communes else None,
            "geometry": point(round(lon, 6), round(lat, 6)),
            "properties": {"description": f"Site de mesure n° {i}", "status": "active",
                           "floors": i % 4, "monitored": i % 2 == 0},
        })
    return rows


def create_sites(db: Database, reg: Registry, tenant_id: int, count: int, *,
                 metric: str = "generic.value", prefix: str = "SITE",
                 communes: Sequence[str] = ()) -> list[tuple[int, int]]:
    """Import ``count`` sites (core inventory import) and give each one a stream of
    ``metric``; returns [(asset id, stream id)] in inventory order."""
    rows = site_rows(count, prefix, communes)
    spec = reg.metrics[metric]
    with db.write() as conn:
        scope = open_scope(db, conn, CLI, tenant_id)
        report = importing.import_assets(scope, conn, reg, rows)
        if report.errors:
            raise RuntimeError(f"inventory import failed: {report.errors[:3]}")
        a = schema.assets
        ids = {r.ref: r.id for r in conn.execute(select(a.c.ref, a.c.id)
                                                  .where(a.c.tenant_id == tenant_id))}
        asset_ids = [ids[r["ref"]] for r in rows]
        # One multi-row insert instead of one ensure_stream() round trip per asset.
        first = db.allocate_ids(conn, "streams", count)
        now = now_ms()
        conn.execute(schema.streams.insert(), [
            {"tenant_id": tenant_id, "id": first + i, "asset_id": asset_id, "metric": spec.key,
             "unit": spec.unit, "kind": spec.kind, "device_id": None, "created_at": now}
            for i, asset_id in enumerate(asset_ids)])
    return [(asset_id, first + i) for i, asset_id in enumerate(asset_ids)]


def store_observations(db: Database, tenant_id: int, rows: list[tuple],
                       chunk: int = 20_000) -> None:
    """Store (tenant, stream, t, value, quality) rows through core, rollups included."""
    for i in range(0, len(rows), chunk):
        with db.write() as conn:
            scope = open_scope(db, conn, CLI, tenant_id)
            store_rows(scope, conn, rows[i:i + chunk], PARIS)


def analyze(db: Database) -> None:
    """Planner statistics after a bulk load, as PostgreSQL's autovacuum gathers them within
    a minute on a live server (SQLite is left alone: nothing runs ANALYZE on it)."""
    if not db.is_sqlite:
        with db.write() as conn:
            conn.exec_driver_sql("ANALYZE")


# -- the HTTP server ------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_health(base_url: str, proc: subprocess.Popen, timeout: float = 60.0) -> None:
    """Poll /api/v1/health until it answers 200; fail early if the server exits."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with status {proc.returncode}")
        try:
            if httpx.get(f"{base_url}/api/v1/health", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"server not answering on {base_url} after {timeout:.0f} s")


@contextmanager
def server_process(command: list[str], port: int, timeout: float = 60.0
                   ) -> Iterator[tuple[subprocess.Popen, str]]:
    """Run a server command listening on 127.0.0.1:port; yields (process, base URL).

    The server's own output goes to stderr so that stdout stays clean.
    """
    proc = subprocess.Popen(command, stdout=sys.stderr, stderr=sys.stderr)
    base_url = f"http://127.0.0.1:{port}"
    try:
        wait_for_health(base_url, proc, timeout)
        yield proc, base_url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@contextmanager
def api_server(db: Database) -> Iterator[str]:
    """A real uvicorn server on a loopback port, in its own process, serving ``db``."""
    port = free_port()
    command = [sys.executable, str(Path(__file__).resolve()), "serve", db.url, str(port)]
    with server_process(command, port) as (_proc, base_url):
        yield base_url


def serve(url: str, port: int) -> None:
    """Entry point of the server subprocess: ``beffroi serve``'s run_server(), generic domain
    only, plus two baseline routes that do nothing, for the ceiling of the HTTP stack (uvicorn,
    the app's middlewares, routing and dependencies): ``GET /bench/empty`` and, with the
    caller's token looked up as every API route does, ``POST /bench/auth``."""
    from starlette.responses import Response

    from beffroi.api.app import create_app, run_server

    app = create_app(Database(url), registry())

    @app.get("/bench/empty", include_in_schema=False)
    async def empty() -> Response:
        return Response(b"{}", media_type="application/json")

    @app.post("/bench/auth", include_in_schema=False)
    async def authenticated(ctx: CtxDep) -> Response:
        return Response(b"{}", media_type="application/json")

    run_server(app, "127.0.0.1", port)


def client(base_url: str, token: str | None = None) -> httpx.Client:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.Client(base_url=base_url, headers=headers, timeout=120)


# -- statistics -----------------------------------------------------------------------------

def percentile(samples: Sequence[float], p: float) -> float:
    """Linear-interpolated percentile (p in 0..100), as numpy's default."""
    ordered = sorted(samples)
    if not ordered:
        raise ValueError("no samples")
    rank = (len(ordered) - 1) * p / 100
    low = math.floor(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def time_requests(http: httpx.Client, path: str, params: dict[str, Any] | None = None, *,
                  count: int = 40, warmup: int = 3, check=None) -> list[float]:
    """Latency (ms) of ``count`` sequential GETs after ``warmup`` GETs, as the client sees
    it (httpx returns once the whole body is read).

    ``check`` receives each response and should raise if it is not the expected one.
    """
    samples = []
    for i in range(warmup + count):
        started = time.perf_counter()
        response = http.get(path, params=params)
        elapsed = (time.perf_counter() - started) * 1000
        if response.status_code != 200:
            raise RuntimeError(f"GET {path} -> {response.status_code}: {response.text[:300]}")
        if check is not None:
            check(response)
        if i >= warmup:
            samples.append(elapsed)
    return samples


def latency_figures(prefix: str, samples: Sequence[float]) -> dict[str, float]:
    return {f"{prefix}_p50_ms": round(percentile(samples, 50), 1),
            f"{prefix}_p95_ms": round(percentile(samples, 95), 1)}


if __name__ == "__main__":
    if len(sys.argv) != 4 or sys.argv[1] != "serve":
        sys.exit("usage: harness.py serve DATABASE_URL PORT")
    serve(sys.argv[2], int(sys.argv[3]))
