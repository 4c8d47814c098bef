"""Latency of the API routes the domain pages call when they load, on the demo territory.

The demo (``beffroi.demo.builder.build_demo``, every domain of the registry, one year of
history) is built in a temporary SQLite file, or read from ``--db`` (built there first if
it is not complete). A uvicorn server in another process serves it with every domain
(``create_app`` + ``run_server``, as ``beffroi serve`` does, without the background
scheduler so that no detector run competes with the requests). httpx logs in as the demo
user (session cookie, as the browser) and times, for each route below, ``--calls``
sequential GETs after one warm-up GET, as the client sees them (whole body read).

Routes: what /eclairage, /eclairage/conformite, /eau and /eau/volumes fetch on load, the
lighting summary filtered on a commune (the page's commune menu), and the sector panel of
the asset page (night flow, open leaks, exceptional uses) for the sector with an open
leak alert. Baseline, in the same run: ``GET /api/v1/me`` (the session lookup every page
makes first), so that the figures can be read as ratios on a noisy machine.

``first_ms`` is the warm-up call (the first call of a route since the server started,
except where an earlier route computed the same things, e.g. the two lighting summaries).
``cpu_ms`` is the server process's CPU time per timed call (Linux /proc): what a route
costs, which other processes on a busy machine change far less than its latency.

Target (issue #16): every route's p95 < ``TARGET_MS``. Runnable alone (``python
bench/domain_apis.py``) and imported by ``bench/ui.py`` (``measure_demo``). Prints one
JSON line: p50/p95 of each route, the baseline, and the target check; progress on stderr.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
from harness import emit, free_port, latency_figures, log, server_process, time_requests

from beffroi.core.clock import PARIS
from beffroi.core.registry import load_registry
from beffroi.demo.builder import DEMO_EMAIL, DEMO_PASSWORD, DEMO_SIREN, build_demo
from beffroi.storage.database import Database

TARGET_MS = 300
DEFAULT_CALLS = 20


# -- the server --------------------------------------------------------------------------------
@contextmanager
def demo_server(db_url: str) -> Iterator[tuple[str, int]]:
    """A real uvicorn server on a loopback port, in its own process, every domain loaded;
    yields (base URL, process id)."""
    port = free_port()
    command = [sys.executable, str(Path(__file__).resolve()), "serve", db_url, str(port)]
    with server_process(command, port) as (proc, base_url):
        yield base_url, proc.pid


def cpu_seconds(pid: int) -> float | None:
    """CPU time (user + system) a process has used so far; None where /proc is missing."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[1].split()  # after the command name, which may hold spaces
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def serve(url: str, port: int) -> None:
    """Entry point of the server subprocess."""
    from beffroi.api.app import create_app, run_server

    run_server(create_app(Database(url), load_registry()), "127.0.0.1", port)


# -- the routes --------------------------------------------------------------------------------
def _get(http: httpx.Client, path: str, **params: Any) -> Any:
    response = http.get(path, params=params)
    response.raise_for_status()
    return response.json()


def page_routes(http: httpx.Client) -> list[tuple[str, str, dict[str, Any]]]:
    """(name, path, query) of each route measured, found on the demo through the API."""
    tenant = next(t for t in _get(http, "/api/v1/tenants") if t.get("siren") == DEMO_SIREN)
    t = f"/api/v1/tenants/{tenant['id']}"
    status = _get(http, f"{t}/water/sectors/status")
    leaking = [s for s in status["sectors"] if s["leak"]]
    metered = [s for s in status["sectors"] if s["metered"]]
    sector = (leaking or metered or status["sectors"])[0]["id"]
    services = _get(http, f"{t}/assets", kind="water.service", limit=10000)["features"]
    communes = _get(http, f"{t}/communes", boundaries="false")
    year = datetime.now(PARIS).year
    routes = [
        # every page
        ("tenants", "/api/v1/tenants", {}),
        ("communes", f"{t}/communes", {"boundaries": "false"}),
        # /eclairage
        ("lighting.summary", f"{t}/lighting/summary", {"year": year}),
        ("lighting.summary.commune", f"{t}/lighting/summary",
         {"year": year, "commune": communes[0]["insee"]}),
        # /eclairage/conformite
        ("lighting.compliance", f"{t}/lighting/compliance", {}),
        # /eau
        ("map.config", "/api/v1/map/config", {}),
        ("water.sectors.status", f"{t}/water/sectors/status", {}),
        ("water.sectors.open_leaks", f"{t}/water/sectors/open-leaks", {}),
        ("water.sectors.assets", f"{t}/assets", {"kind": "water.sector", "limit": 10000}),
        ("water.indicators", f"{t}/water/indicators", {"year": status["year"]}),
        # /eau/volumes
        ("water.services.assets", f"{t}/assets", {"kind": "water.service", "limit": 10000}),
        # sector panel of the asset page
        ("water.sector.night_flow", f"{t}/water/sectors/{sector}/night-flow", {"days": 90}),
        ("water.sector.open_leaks", f"{t}/water/sectors/{sector}/open-leaks", {}),
        ("water.sector.exceptional_uses", f"{t}/water/sectors/{sector}/exceptional-uses", {}),
    ]
    if services:
        routes.append(("water.service.years",
                       f"{t}/water/services/{services[0]['id']}/years", {}))
    return routes


def login(base_url: str) -> httpx.Client:
    http = httpx.Client(base_url=base_url, timeout=120)
    response = http.post("/api/v1/auth/login",
                         json={"email": DEMO_EMAIL, "password": DEMO_PASSWORD})
    response.raise_for_status()
    return http


def measure(base_url: str, calls: int = DEFAULT_CALLS, server_pid: int | None = None
            ) -> dict[str, Any]:
    """p50/p95 of each route and of the baseline, and the target check; with the server's
    process id, the server's mean CPU time per call (``cpu_ms``), which a busy machine
    changes far less than latencies."""
    http = login(base_url)
    try:
        baseline = time_requests(http, "/api/v1/me", count=calls, warmup=1)
        out: dict[str, Any] = {"calls": calls, "warmup": 1,
                               **latency_figures("baseline_me", baseline)}
        routes: dict[str, Any] = {}
        for name, path, params in page_routes(http):
            # The warm-up call, timed apart: the first answer of a fresh server process
            # (per-process memos still empty) for the first routes.
            [first] = time_requests(http, path, params, count=1, warmup=0)
            cpu_before = cpu_seconds(server_pid) if server_pid else None
            samples = time_requests(http, path, params, count=calls, warmup=0)
            cpu_after = cpu_seconds(server_pid) if server_pid else None
            figures = latency_figures("x", samples)
            routes[name] = {"path": path, "params": params, "first_ms": round(first, 1),
                            "p50_ms": figures["x_p50_ms"], "p95_ms": figures["x_p95_ms"],
                            "cpu_ms": None if cpu_before is None or cpu_after is None
                            else round(1000 * (cpu_after - cpu_before) / calls, 1),
                            "p95_over_baseline": round(figures["x_p95_ms"]
                                                       / max(out["baseline_me_p95_ms"], 0.1),
                                                       1)}
            log(f"{name}: first {first:.1f} ms, p50 {figures['x_p50_ms']} ms, "
                f"p95 {figures['x_p95_ms']} ms, server CPU {routes[name]['cpu_ms']} ms/call")
    finally:
        http.close()
    slow = sorted(name for name, r in routes.items() if r["p95_ms"] >= TARGET_MS)
    out.update(routes=routes, target_ms=TARGET_MS,
               max_p95_ms=max(r["p95_ms"] for r in routes.values()),
               over_target=slow, ok=not slow)
    return out


def measure_demo(db_path: str | None = None, calls: int = DEFAULT_CALLS) -> dict[str, Any]:
    """Build (or reuse) the demo in SQLite, serve it, measure; the figures as a dict."""
    with tempfile.TemporaryDirectory(prefix="beffroi-bench-domains-") as tmp:
        db = Database(db_path or str(Path(tmp) / "demo.db"))
        started = time.perf_counter()
        result = build_demo(db, load_registry())
        log(f"demo {'built' if result.built else 'already there'} in "
            f"{time.perf_counter() - started:.0f} s ({result.observations} observations)")
        try:
            with demo_server(db.url) as (base_url, pid):
                figures = measure(base_url, calls, pid)
        finally:
            db.dispose()
    return {"demo": {"assets": result.assets, "streams": result.streams,
                     "observations": result.observations}, **figures}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--calls", type=int, default=DEFAULT_CALLS,
                        help="timed calls of each route (after one warm-up call)")
    parser.add_argument("--db", help="SQLite file of the demo, reused (built if incomplete)")
    args = parser.parse_args()
    if args.calls < 2:
        parser.error("--calls: 2 at least")
    emit({"bench": "domain_apis", "backend": "sqlite", **measure_demo(args.db, args.calls)})


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "serve":
        serve(sys.argv[2], int(sys.argv[3]))
    else:
        main()
