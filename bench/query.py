"""Read latency through the real HTTP server: year of hourly values, latest of 10k, GeoJSON.

For each backend (SQLite in a temporary file; PostgreSQL when --pg-url or
$BEFFROI_TEST_PG_URL is given) a tenant is built with 10,000 generic sites
(core inventory import), one stream each holding a latest value, plus one more
stream holding one year of 10-minute data stored through core (rollups
maintained). A uvicorn server in another process then answers, one request at
a time, --requests timed GETs (after 3 warm-ups) of:

  (a) one year of hourly means of the year-long stream (series, step=1h);
  (b) the latest values of every site stream in one call (latest?kind=...);
  (c) the whole 10,000-asset GeoJSON in one page (assets?limit=10000, the
      largest page the API allows).

Latency is measured by the client, body fully read. Targets (p95): (a) < 20 ms,
(b) < 100 ms, (c) < 300 ms. On PostgreSQL the tables are ANALYZEd after the
build, as autovacuum would do on a live server.
"""

from __future__ import annotations

import argparse
import math
import time

from harness import (
    PARIS,
    analyze,
    api_server,
    backends,
    bench_database,
    client,
    create_bench_tenant,
    create_sites,
    emit,
    latency_figures,
    log,
    pg_url,
    registry,
    store_observations,
    time_requests,
)

from beffroi.core.access import CLI, open_scope
from beffroi.core.assets import MAX_PAGE
from beffroi.core.clock import DAY_MS, HOUR_MS, format_instant, local_day_start, now_ms
from beffroi.core.streams import ensure_stream

ASSETS = 10_000
STEP_MS = 10 * 60 * 1000
YEAR_DAYS = 365
TARGETS_P95_MS = {"year_hourly": 20, "latest_10k": 100, "geojson_10k": 300}


def build(db, reg) -> dict:
    """The 10,000-site tenant; returns its id, a bearer token and the year-long stream."""
    started = time.perf_counter()
    tenant_id, token = create_bench_tenant(db, reg)
    sites = create_sites(db, reg, tenant_id, ASSETS)
    log(f"{ASSETS} sites and streams in {time.perf_counter() - started:.1f} s")
    now = now_ms()
    latest = [(tenant_id, stream_id, now - (i % 600) * 60_000, float(i % 97), 0)
              for i, (_, stream_id) in enumerate(sites)]
    store_observations(db, tenant_id, latest)
    # One year of 10-minute data ending at the last full hour, on the first site.
    with db.write() as conn:
        scope = open_scope(db, conn, CLI, tenant_id)
        year_stream = ensure_stream(scope, conn, reg, sites[0][0], "generic.temperature")
    end = now // HOUR_MS * HOUR_MS
    start = local_day_start(end - YEAR_DAYS * DAY_MS, PARIS)
    rows = []
    for t in range(start, end, STEP_MS):
        day = (t - start) / DAY_MS
        value = 10 - 8 * math.cos(2 * math.pi * day / 365) + 4 * math.sin(2 * math.pi * day)
        rows.append((tenant_id, year_stream, t, round(value, 2), 0))
    store_observations(db, tenant_id, rows)
    analyze(db)
    log(f"tenant built in {time.perf_counter() - started:.1f} s "
        f"({len(rows)} points on stream {year_stream})")
    return {"tenant": tenant_id, "token": token, "year_stream": year_stream,
            "start": start, "end": end}


def expect(condition: bool, message: str) -> None:
    if not condition:
        raise RuntimeError(message)


def run_backend(backend: str, server_url: str | None, requests: int) -> dict:
    reg = registry()
    with bench_database(backend, server_url) as db:
        setup = build(db, reg)
        base = f"/api/v1/tenants/{setup['tenant']}"
        figures: dict = {}
        with api_server(db) as base_url, client(base_url, setup["token"]) as http:
            sizes: dict[str, int] = {}

            def check_year(response):
                points = response.json()["points"]
                expect(len(points) >= YEAR_DAYS * 24 - 1, f"{len(points)} hourly points")
                sizes["year_hourly_points"] = len(points)

            log(f"{backend}: (a) one year of hourly values ×{requests}")
            samples = time_requests(http, f"{base}/streams/{setup['year_stream']}/series", {
                "step": "1h", "start": format_instant(setup["start"]),
                "end": format_instant(setup["end"])}, count=requests, check=check_year)
            figures.update(latency_figures("year_hourly", samples))

            def check_latest(response):
                values = response.json()
                expect(len(values) >= ASSETS, f"{len(values)} latest values")
                expect(all(v["value"] is not None for v in values), "stream without value")
                sizes["latest_streams"] = len(values)

            log(f"{backend}: (b) latest values of {ASSETS} streams ×{requests}")
            samples = time_requests(http, f"{base}/latest", {"kind": "generic.site"},
                                    count=requests, check=check_latest)
            figures.update(latency_figures("latest_10k", samples))

            def check_geojson(response):
                doc = response.json()
                expect(doc["numberReturned"] == ASSETS and "links" not in doc,
                       f"{doc['numberReturned']} features, links={doc.get('links')}")
                sizes["geojson_features"] = doc["numberReturned"]
                sizes["geojson_bytes"] = len(response.content)

            log(f"{backend}: (c) GeoJSON of {ASSETS} assets in one page ×{requests}")
            samples = time_requests(http, f"{base}/assets", {"limit": MAX_PAGE},
                                    count=requests, check=check_geojson)
            figures.update(latency_figures("geojson_10k", samples))
        figures.update(sizes)
        figures["targets_met"] = all(figures[f"{name}_p95_ms"] < target
                                     for name, target in TARGETS_P95_MS.items())
        log(f"{backend}: {figures}")
        return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pg-url", help="PostgreSQL server URL (default: $BEFFROI_TEST_PG_URL)")
    parser.add_argument("--requests", type=int, default=40, help="timed requests per query")
    args = parser.parse_args()
    if MAX_PAGE < ASSETS:
        raise SystemExit(f"the API pages assets by {MAX_PAGE}: {ASSETS} cannot come in one call")
    result: dict = {"bench": "query", "assets": ASSETS, "requests": args.requests,
                    "targets_p95_ms": TARGETS_P95_MS, "sqlite": None, "pg": None}
    for backend, server_url in backends(pg_url(args.pg_url)):
        result[backend] = run_backend(backend, server_url, args.requests)
    emit(result)


if __name__ == "__main__":
    main()
