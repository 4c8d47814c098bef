"""Speed of the home dashboard's API, ``GET /api/v1/tenants/{t}/dashboard``, on the demo.

The demo territory (``beffroi.demo.builder.build_demo``: every installed domain, a year of
history) is built in a temporary SQLite file (or ``--db`` reuses one already built), a
uvicorn server with every installed domain serves it in another process, and the demo
account calls the route over HTTP (wall time on the client):

  - ``cold``: the first call of the fresh server process (nothing cached: the KPI cache
    is empty and the domains' own caches, such as the lighting programmes' hours of night,
    are cold);
  - ``warm``: ``--calls`` calls in a row (what a home page gets while nothing changed);
  - ``after_write``: ``--changes`` calls each made just after a change of the inventory
    (a lighting cabinet renamed through the API): every KPI value is recomputed;
  - ``after_alert``: ``--changes`` calls each made just after an alert event (a comment):
    the KPIs that read alerts are recomputed;
  - ``commune``: the first call for one commune (a view of its own), then warm calls.

Target (issue #16): p95 < 300 ms. Prints one JSON line (median and p95 of each, ms);
progress on stderr. ``measure`` is the measurement alone, for ``bench/ui.py`` to call with
a server of its own.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx
from harness import emit, free_port, log, percentile, server_process

from beffroi.core.registry import load_registry
from beffroi.demo.builder import DEMO_EMAIL, DEMO_PASSWORD, DEMO_SIREN, build_demo
from beffroi.storage.database import Database

TARGET_P95_MS = 300
COMMUNE = "88383"  # Remiremont


def _timed(client: httpx.Client, url: str, **params) -> float:
    started = time.perf_counter()
    response = client.get(url, params=params)
    elapsed = (time.perf_counter() - started) * 1000
    response.raise_for_status()
    return elapsed


def _figures(prefix: str, samples: list[float]) -> dict:
    return {f"{prefix}_median_ms": round(statistics.median(samples), 1),
            f"{prefix}_p95_ms": round(percentile(samples, 95), 1),
            f"{prefix}_samples": len(samples)}


def measure(base_url: str, token: str, tenant: str = DEMO_SIREN, calls: int = 30,
            changes: int = 10) -> dict:
    """The dashboard's figures on a running server whose KPI cache is still empty."""
    out: dict = {}
    url = f"/api/v1/tenants/{tenant}/dashboard"
    with httpx.Client(base_url=base_url, headers={"Authorization": f"Bearer {token}"},
                      timeout=120) as client:
        out["cold_ms"] = round(_timed(client, url), 1)
        log(f"cold: {out['cold_ms']} ms")
        out.update(_figures("warm", [_timed(client, url) for _ in range(calls)]))
        log(f"warm: p95 {out['warm_p95_ms']} ms")

        [cabinet] = client.get(f"/api/v1/tenants/{tenant}/assets",
                               params={"kind": "lighting.cabinet", "limit": 1}
                               ).json()["features"]
        samples = []
        for i in range(changes):
            client.patch(f"/api/v1/tenants/{tenant}/assets/{cabinet['id']}",
                         json={"name": f"{cabinet['properties']['name'].split(' #')[0]} #{i}"}
                         ).raise_for_status()
            samples.append(_timed(client, url))
        out.update(_figures("after_write", samples))
        log(f"after an inventory change: p95 {out['after_write_p95_ms']} ms")

        active = client.get(f"/api/v1/tenants/{tenant}/alerts",
                            params={"status": "active", "limit": 1}).json()
        if active:
            samples = []
            for i in range(changes):
                client.post(f"/api/v1/tenants/{tenant}/alerts/{active[0]['id']}/comments",
                            json={"comment": f"Mesure de vitesse {i}"}).raise_for_status()
                samples.append(_timed(client, url))
            out.update(_figures("after_alert", samples))
            log(f"after an alert event: p95 {out['after_alert_p95_ms']} ms")

        out["commune"] = COMMUNE
        out["commune_cold_ms"] = round(_timed(client, url, commune=COMMUNE), 1)
        out.update(_figures("commune_warm", [_timed(client, url, commune=COMMUNE)
                                             for _ in range(calls)]))
        log(f"one commune: first {out['commune_cold_ms']} ms, p95 "
            f"{out['commune_warm_p95_ms']} ms")
    worst = max(v for k, v in out.items() if k.endswith("_p95_ms"))
    out["target_p95_ms"] = TARGET_P95_MS
    out["within_target"] = worst < TARGET_P95_MS
    return out


def serve(url: str, port: int) -> None:
    """Entry point of the server subprocess: the API with every installed domain."""
    from beffroi.api.app import create_app, run_server

    run_server(create_app(Database(url), load_registry()), "127.0.0.1", port)


def token(base_url: str) -> str:
    answer = httpx.post(f"{base_url}/api/v1/auth/token", timeout=30,
                        json={"email": DEMO_EMAIL, "password": DEMO_PASSWORD})
    answer.raise_for_status()
    return answer.json()["access_token"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--calls", type=int, default=30, help="warm calls (>= 30)")
    parser.add_argument("--changes", type=int, default=10,
                        help="calls after a write, and after an alert event")
    parser.add_argument("--db", help="an SQLite file holding the demo already (kept)")
    args = parser.parse_args()
    result: dict = {"bench": "dashboard", "backend": "sqlite", "calls": args.calls}
    with tempfile.TemporaryDirectory(prefix="beffroi-bench-dashboard-") as tmp:
        path = args.db or str(Path(tmp) / "demo.db")
        db = Database(path)
        started = time.perf_counter()
        built = build_demo(db, load_registry())
        log(f"demo {'built' if built.built else 'found'} in "
            f"{time.perf_counter() - started:.1f} s: {built.assets} assets, "
            f"{built.observations} observations")
        result.update(assets=built.assets, observations=built.observations)
        port = free_port()
        command = [sys.executable, str(Path(__file__).resolve()), "serve", db.url, str(port)]
        with server_process(command, port) as (_proc, base_url):
            result.update(measure(base_url, token(base_url), calls=args.calls,
                                  changes=args.changes))
        db.dispose()
    emit(result)


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "serve":
        serve(sys.argv[2], int(sys.argv[3]))
    else:
        main()
