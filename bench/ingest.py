"""Ingest throughput: observations/s through the HTTP batch endpoint vs the raw driver.

For each backend (SQLite in a temporary file; PostgreSQL when --pg-url or
$BEFFROI_TEST_PG_URL is given) one client process posts batches of 5,000
observations (JSON) to POST /api/v1/tenants/{id}/observations of a real uvicorn
server running in another process, authenticated with a personal bearer token.
In the same run, the same rows go into fresh streams of the same ``observations``
table through the bare driver: executemany of the statement the server runs, one
transaction per batch (on PostgreSQL also COPY, for reference). The methods take
turns every 10 batches so that a busy machine slows them alike. The HTTP figure
includes JSON parsing, validation, rollup refresh and latest values.

Target: HTTP >= 30 % of the raw executemany rate.

Logging in must not slow ingest (``--login-seconds``, default 30): single-point posts
(one observation per request, one after the other) are timed alone and while
``--login-threads`` (4) threads log in without pause — one wrong password for three
right ones, each attempt from its own X-Forwarded-For address so that the throttle lets
every attempt through to argon2. The two take turns in rounds; the final line gives the
rate and p95 of both and their ratio (target: the rate with logins at least 80 % of the
rate without).

Single messages (``--single-seconds``, default 48): ``--concurrency`` (8) keep-alive
connections post one observation per request (each to one of 200 streams, each time new),
then LoRaWAN uplinks as a ChirpStack HTTP integration posts them (one per request, four
readings each: the decoded value, RSSI, SNR, frame counter), whose decoded value goes to
the same 200 streams. Both take their times from one clock, so that each stream's points
arrive in time order as a live sensor's do (a late point has the days it touches
recomputed from the stored points instead of merged: a different path, about half as
fast). Both are answered after their commit; the server's group writer commits together whatever is waiting. Two baselines
measured in the same rounds give the ceiling of the HTTP stack itself on this machine: an
empty route, and an empty route that looks up the caller's token. The client is a raw
asyncio HTTP/1.1 client (``http_load``) costing tens of microseconds per request. At the
end, every acknowledged observation must be in the database. Target: >= 1,000
single-observation requests/s on each backend.

Alert rules (``--rules``, default 1,000): two more tenants with 1,000 streams each get
the same batches (5 points per stream per batch), one of them watched by one threshold
rule per stream, one rule in 20 crossed so that alerts open and resolve during the run;
the two take turns like the methods above. Target: the rules cost less than 20 % of
the ingest rate.
"""

from __future__ import annotations

import argparse
import collections
import itertools
import math
import os
import threading
import time

import orjson
from harness import (
    BENCH_PASSWORD,
    api_server,
    backends,
    bench_database,
    client,
    create_bench_tenant,
    create_sites,
    emit,
    latency_figures,
    log,
    percentile,
    pg_url,
    registry,
)
from http_load import request_bytes, run_load
from sqlalchemy import func, select

from beffroi.connectivity import integrations
from beffroi.core import devices, users
from beffroi.core.access import CLI, open_scope
from beffroi.core.alerting import rules
from beffroi.core.clock import DAY_MS, format_instants, now_ms
from beffroi.storage import schema

BATCH = 5_000
STEP_MS = 10 * 60 * 1000  # one point every 10 minutes per stream
TARGET_RATIO = 0.30
TARGET_RULES_DROP = 0.20
TARGET_LOGIN_RATIO = 0.80
TARGET_SINGLE_REQ_S = 1_000
SINGLE_STREAMS = 200
SINGLE_ROUND_S = 3.0  # each case of the single-message measurement, per round
LOGIN_ROUNDS = 3  # alone / with logins, taking turns
RULE_STREAMS = 1_000
ROUND = 10  # batches per method before the next one takes its turn
INSERT = ("INSERT INTO observations (tenant_id, stream_id, t, value, quality) "
          "VALUES ({p}, {p}, {p}, {p}, {p}) ON CONFLICT (tenant_id, stream_id, t) DO NOTHING")


def make_batches(batches: int, streams: int) -> list[list[tuple[int, int, float]]]:
    """``batches`` batches of (stream index, t, value): consecutive 10-minute points of
    every stream, the whole set ending in the past (a history backfill)."""
    per_stream = BATCH // streams
    total_steps = batches * per_stream
    start = (now_ms() - total_steps * STEP_MS - DAY_MS) // DAY_MS * DAY_MS
    out = []
    for b in range(batches):
        batch = []
        for s in range(streams):
            for k in range(b * per_stream, (b + 1) * per_stream):
                value = round(15 + 10 * math.sin(k / 144 * 2 * math.pi) + s, 3)
                batch.append((s, start + k * STEP_MS, value))
        out.append(batch)
    return out


def json_bodies(batches: list[list[tuple[int, int, float]]], stream_ids: list[int]) -> list[bytes]:
    bodies = []
    for batch in batches:
        times = format_instants([t for _, t, _ in batch])
        bodies.append(orjson.dumps([{"stream_id": stream_ids[s], "time": time_, "value": v}
                                    for (s, _, v), time_ in zip(batch, times, strict=True)]))
    return bodies


def post_batch(http, path: str, body: bytes) -> None:
    response = http.post(path, content=body, headers={"Content-Type": "application/json"})
    report = response.json()
    if response.status_code != 200 or report.get("stored") != BATCH:
        raise RuntimeError(f"HTTP {response.status_code}: {str(report)[:300]}")


def insert_many(conn, sql: str, rows: list[tuple]) -> None:
    """The bare driver: executemany of the server's statement, one transaction."""
    cursor = conn.cursor()
    cursor.executemany(sql, rows)
    cursor.close()
    conn.commit()


def copy_rows(conn, rows: list[tuple]) -> None:
    """PostgreSQL COPY ... FROM STDIN, one transaction."""
    cursor = conn.cursor()
    with cursor.copy("COPY observations (tenant_id, stream_id, t, value, quality) "
                     "FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)
    cursor.close()
    conn.commit()


def measure(db, tenant_id: int, token: str, bodies: list[bytes],
            raw_batches: dict[str, list[list[tuple]]]) -> dict[str, float]:
    """Observations/s of each method. Batch 0 is a warm-up; the others go in rounds of
    ROUND batches, the methods taking turns each round, so that a busy machine slows
    them alike (and each keeps its SQLite page cache within a round)."""
    path = f"/api/v1/tenants/{tenant_id}/observations"
    sql = INSERT.format(p="?" if db.is_sqlite else "%s")
    spent = dict.fromkeys(["http", *raw_batches], 0.0)
    conn = db.engine.raw_connection()  # same connection settings (pragmas) as the server
    try:
        with api_server(db) as base_url, client(base_url, token) as http:
            def send(method: str, i: int) -> None:
                if method == "http":
                    post_batch(http, path, bodies[i])
                elif method == "raw":
                    insert_many(conn, sql, raw_batches["raw"][i])
                else:
                    copy_rows(conn, raw_batches["copy"][i])

            for method in spent:
                send(method, 0)
            for start in range(1, len(bodies), ROUND):
                for method in spent:
                    started = time.perf_counter()
                    for i in range(start, min(start + ROUND, len(bodies))):
                        send(method, i)
                    spent[method] += time.perf_counter() - started
    finally:
        conn.close()
    return {name: (len(bodies) - 1) * BATCH / seconds for name, seconds in spent.items()}


def run_backend(backend: str, server_url: str | None, batches: int, streams: int) -> dict:
    reg = registry()
    with bench_database(backend, server_url) as db:
        tenant_id, token = create_bench_tenant(db, reg)
        data = make_batches(batches + 1, streams)
        http_streams = [s for _, s in create_sites(db, reg, tenant_id, streams, prefix="HTTP")]
        bodies = json_bodies(data, http_streams)
        # The same rows for the driver, into fresh streams (COPY: PostgreSQL only).
        raw_batches = {}
        for name in ("raw",) if db.is_sqlite else ("raw", "copy"):
            ids = [s for _, s in create_sites(db, reg, tenant_id, streams, prefix=name.upper())]
            raw_batches[name] = [[(tenant_id, ids[s], t, v, 0) for s, t, v in batch]
                                 for batch in data]
        log(f"{backend}: {batches} batches of {BATCH} observations ({streams} streams, "
            f"{len(bodies[1]) // 1024} KiB of JSON each) over HTTP and with the driver…")
        rates = measure(db, tenant_id, token, bodies, raw_batches)
        figures = {f"{backend}_http_obs_s": round(rates["http"]),
                   f"{backend}_raw_obs_s": round(rates["raw"]),
                   f"{backend}_ratio": round(rates["http"] / rates["raw"], 3)}
        if "copy" in rates:
            figures[f"{backend}_copy_obs_s"] = round(rates["copy"])
        log(f"{backend}: {figures}")
        return figures


def measure_rules(base_url: str, tenants: dict[str, tuple[int, str]],
                  bodies: dict[str, list[bytes]]) -> dict[str, float]:
    """Observations/s posted to each tenant, the tenants taking turns every ROUND batches."""
    spent = dict.fromkeys(tenants, 0.0)
    https = {name: client(base_url, token) for name, (_, token) in tenants.items()}
    try:
        for name, (tenant_id, _) in tenants.items():
            post_batch(https[name], f"/api/v1/tenants/{tenant_id}/observations", bodies[name][0])
        count = len(next(iter(bodies.values())))
        for start in range(1, count, ROUND):
            for name, (tenant_id, _) in tenants.items():
                path = f"/api/v1/tenants/{tenant_id}/observations"
                started = time.perf_counter()
                for i in range(start, min(start + ROUND, count)):
                    post_batch(https[name], path, bodies[name][i])
                spent[name] += time.perf_counter() - started
    finally:
        for http in https.values():
            http.close()
    count = len(next(iter(bodies.values())))
    return {name: (count - 1) * BATCH / seconds for name, seconds in spent.items()}


def run_rules(backend: str, server_url: str | None, batches: int, rule_count: int) -> dict:
    reg = registry()
    with bench_database(backend, server_url) as db:
        tenants, bodies = {}, {}
        data = make_batches(batches + 1, RULE_STREAMS)
        for name in ("plain", "rules"):
            tenants[name] = create_bench_tenant(db, reg, name=f"Banc {name}",
                                                email=f"{name}@beffroi.test")
            ids = [s for _, s in create_sites(db, reg, tenants[name][0], RULE_STREAMS,
                                              prefix=name.upper())]
            bodies[name] = json_bodies(data, ids)
            if name == "rules":
                with db.write() as conn:
                    scope = open_scope(db, conn, CLI, tenants[name][0])
                    for i in range(rule_count):
                        # Values of stream s swing over [5 + s, 25 + s]: one rule in 20 is
                        # crossed near the peaks, the others watch without firing.
                        s = i % RULE_STREAMS
                        rules.create_rule(scope, conn, reg, {
                            "name": f"Seuil {i}", "kind": "threshold", "stream_id": ids[s],
                            "params": {"operator": "above",
                                       "value": s + (24 if i % 20 == 0 else 30),
                                       "hysteresis": 0.5}})
        log(f"{backend}: {batches} batches of {BATCH} observations over {RULE_STREAMS} "
            f"streams, without and with {rule_count} threshold rules…")
        with api_server(db) as base_url:
            rates = measure_rules(base_url, tenants, bodies)
        a = schema.alerts
        with db.read() as conn:
            opened = conn.execute(select(func.count()).select_from(a)).scalar_one()
        drop = 1 - rates["rules"] / rates["plain"]
        figures = {f"{backend}_no_rules_obs_s": round(rates["plain"]),
                   f"{backend}_rules_obs_s": round(rates["rules"]),
                   f"{backend}_rules_drop": round(drop, 3),
                   f"{backend}_rules_alerts": opened}
        log(f"{backend}: {figures}")
        return figures


def post_points(http, path: str, stream_id: int, instants, seconds: float,
                out: list[float]) -> int:
    """Post one observation per request for ``seconds`` (times from the iterator
    ``instants``, never twice the same); latencies (ms) go to ``out``."""
    deadline = time.perf_counter() + seconds
    sent = 0
    while time.perf_counter() < deadline:
        body = orjson.dumps([{"stream_id": stream_id, "value": sent % 97,
                              "time": format_instants([next(instants)])[0]}])
        started = time.perf_counter()
        response = http.post(path, content=body, headers={"Content-Type": "application/json"})
        out.append((time.perf_counter() - started) * 1000)
        if response.status_code != 200 or response.json().get("stored") != 1:
            raise RuntimeError(f"HTTP {response.status_code}: {response.text[:300]}")
        sent += 1
    return sent


def login_loop(base_url: str, email: str, worker: int, stop: threading.Event,
               statuses: collections.Counter) -> None:
    """Log in without pause: one wrong password for three right ones, each attempt from
    its own client address (X-Forwarded-For, trusted from 127.0.0.1 by uvicorn)."""
    with client(base_url) as http:
        attempt = 0
        while not stop.is_set():
            password = "mauvais-mot-de-passe" if attempt % 4 == 3 else BENCH_PASSWORD
            address = f"10.{worker}.{attempt // 250 % 250}.{attempt % 250 + 1}"
            response = http.post("/api/v1/auth/token", headers={"X-Forwarded-For": address},
                                 json={"email": email, "password": password})
            statuses[response.status_code] += 1
            attempt += 1


def run_logins(backend: str, server_url: str | None, seconds: float, threads: int) -> dict:
    reg = registry()
    with bench_database(backend, server_url) as db:
        tenant_id, token = create_bench_tenant(db, reg, name="Banc connexions",
                                               email="points@beffroi.test")
        [(_, stream_id)] = create_sites(db, reg, tenant_id, 1, prefix="POINT")
        password_hash = users.new_password_hash(BENCH_PASSWORD, allow_short=True)
        emails = [f"login-{i}@beffroi.test" for i in range(threads)]
        with db.write() as conn:
            for email in emails:
                users.create_user(db, conn, email=email, password_hash=password_hash)
        log(f"{backend}: single-point ingest, alone and with {threads} login loops, "
            f"{LOGIN_ROUNDS} rounds of {seconds / LOGIN_ROUNDS / 2:.0f} s each…")
        path = f"/api/v1/tenants/{tenant_id}/observations"
        instants = itertools.count((now_ms() - 30 * DAY_MS) // 1000 * 1000, 1000)
        latencies: dict[str, list[float]] = {"alone": [], "logins": []}
        counts = dict.fromkeys(latencies, 0)
        spent = dict.fromkeys(latencies, 0.0)
        statuses: collections.Counter = collections.Counter()
        phase = seconds / LOGIN_ROUNDS / 2
        with api_server(db) as base_url, client(base_url, token) as http:
            post_points(http, path, stream_id, instants, 2, [])  # warm-up
            for _ in range(LOGIN_ROUNDS):
                for name in latencies:
                    stop = threading.Event()
                    workers = [threading.Thread(target=login_loop, daemon=True,
                                                args=(base_url, email, i, stop, statuses))
                               for i, email in enumerate(emails)] if name == "logins" else []
                    for worker in workers:
                        worker.start()
                    if workers:
                        time.sleep(0.5)  # the login loops are running
                    started = time.perf_counter()
                    counts[name] += post_points(http, path, stream_id, instants, phase,
                                                latencies[name])
                    spent[name] += time.perf_counter() - started
                    stop.set()
                    for worker in workers:
                        worker.join()
        rates = {name: counts[name] / spent[name] for name in latencies}
        figures = {f"{backend}_point_obs_s": round(rates["alone"], 1),
                   f"{backend}_point_p95_ms": round(percentile(latencies["alone"], 95), 1),
                   f"{backend}_point_login_obs_s": round(rates["logins"], 1),
                   f"{backend}_point_login_p95_ms": round(percentile(latencies["logins"], 95),
                                                          1),
                   f"{backend}_login_ratio": round(rates["logins"] / rates["alone"], 3),
                   f"{backend}_logins_per_s": round(sum(statuses.values()) / spent["logins"], 1),
                   f"{backend}_login_statuses": {str(k): v for k, v in sorted(statuses.items())}}
        log(f"{backend}: {figures}")
        return figures


def run_single(backend: str, server_url: str | None, seconds: float, concurrency: int) -> dict:
    """Requests/s and latencies of one-observation posts and of LoRaWAN uplink events, beside
    the empty-route baselines, the four cases taking turns every SINGLE_ROUND_S."""
    reg = registry()
    with bench_database(backend, server_url) as db:
        tenant_id, token = create_bench_tenant(db, reg, name="Banc messages unitaires",
                                               email="single@beffroi.test")
        sites = create_sites(db, reg, tenant_id, SINGLE_STREAMS, prefix="ONE")
        streams = [stream for _, stream in sites]
        with db.write() as conn:
            scope = open_scope(db, conn, CLI, tenant_id)
            row, secret = integrations.create_integration(
                scope, conn, {"kind": "chirpstack", "name": "Banc ChirpStack"})
            for i, (asset_id, _) in enumerate(sites):
                devices.create_device(scope, conn, {
                    "name": f"Capteur {i}", "asset_id": asset_id, "dev_eui": f"{i + 1:016x}",
                    "mapping": {"value": "generic.value"}}, reg)
        observation_path = f"/api/v1/tenants/{tenant_id}/observations"
        event_path = f"/api/v1/integrations/{row.id}/chirpstack?event=up"
        bearer = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        hook = {"Authorization": f"Bearer {secret}", "Content-Type": "application/json"}
        start = (now_ms() - 20 * DAY_MS) // 1000 * 1000
        counters = {"single": itertools.count(), "webhook": itertools.count()}
        # One clock for both cases: the devices write the posts' streams, and every
        # stream's points arrive in time order, as a live sensor's do.
        clock = itertools.count()

        def single(_i: int) -> bytes:
            n = next(counters["single"])
            body = b'[{"stream_id":%d,"time":"%s","value":%d}]' % (
                streams[n % SINGLE_STREAMS],
                format_instants([start + next(clock) * 1000])[0].encode(), n % 97)
            return request_bytes("POST", observation_path, body, headers=bearer)

        def webhook(_i: int) -> bytes:
            n = next(counters["webhook"])
            body = orjson.dumps({
                "deduplicationId": f"bench-{n}",
                "time": format_instants([start + next(clock) * 1000])[0],

                "deviceInfo": {"devEui": f"{n % SINGLE_STREAMS + 1:016x}"}, "fPort": 1,
                "fCnt": n // SINGLE_STREAMS + 1, "object": {"value": n % 89},
                "rxInfo": [{"gatewayId": "0016c001ff10a235", "rssi": -90 - n % 20,
                            "snr": 7.5}]})
            return request_bytes("POST", event_path, body, headers=hook)

        empty = request_bytes("GET", "/bench/empty")
        auth = request_bytes("POST", "/bench/auth", headers=bearer)
        cases = {
            "empty": (lambda _i: empty, lambda status, _body: status == 200),
            "auth": (lambda _i: auth, lambda status, _body: status == 200),
            "single": (single, lambda status, body: status == 200 and b'"stored":1,' in body),
            "webhook": (webhook, lambda status, body: status == 200 and b'"stored":4,' in body
                        and b'"problems":[]' in body),
        }
        latencies: dict[str, list[float]] = {name: [] for name in cases}
        done = dict.fromkeys(cases, 0)
        spent = dict.fromkeys(cases, 0.0)
        failures: list[str] = []
        rounds = max(1, round(seconds / SINGLE_ROUND_S / len(cases)))
        log(f"{backend}: one message per request over {concurrency} connections, "
            f"{rounds} rounds of {SINGLE_ROUND_S:.0f} s per case (empty route, token lookup, "
            "one observation, one LoRaWAN uplink)…")
        with api_server(db) as base_url:
            for make, check in cases.values():  # warm-up (the radio streams appear)
                run_load(base_url, concurrency, 0.5, make, check)
            warm = {name: next(counter) for name, counter in counters.items()}
            for _ in range(rounds):
                for name, (make, check) in cases.items():
                    result = run_load(base_url, concurrency, SINGLE_ROUND_S, make, check)
                    done[name] += result.requests
                    spent[name] += result.seconds
                    latencies[name] += result.latencies_ms
                    failures += result.failures
        if failures:
            raise RuntimeError(f"{backend}: unexpected answers: {failures[:3]}")
        o = schema.observations
        with db.read() as conn:
            points = conn.execute(select(func.count()).select_from(o).where(
                o.c.stream_id.in_(streams))).scalar_one()
        # Every acknowledged post is stored (the warm-up's too, and the uplinks' values).
        acknowledged = warm["single"] + done["single"] + warm["webhook"] + done["webhook"]
        if points < acknowledged:
            raise RuntimeError(f"{backend}: {acknowledged} posts acknowledged, {points} stored")
        rates = {name: done[name] / spent[name] for name in cases}
        figures = {f"{backend}_empty_req_s": round(rates["empty"]),
                   f"{backend}_auth_req_s": round(rates["auth"]),
                   f"{backend}_single_req_s": round(rates["single"]),
                   **latency_figures(f"{backend}_single", latencies["single"]),
                   f"{backend}_webhook_req_s": round(rates["webhook"]),
                   **latency_figures(f"{backend}_webhook", latencies["webhook"]),
                   f"{backend}_single_vs_empty": round(rates["single"] / rates["empty"], 3)}
        log(f"{backend}: {figures}")
        return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pg-url", help="PostgreSQL server URL (default: $BEFFROI_TEST_PG_URL)")
    parser.add_argument("--batches", type=int, default=50, help="timed batches per backend")
    parser.add_argument("--streams", type=int, default=10,
                        help="streams sharing each batch of 5,000 observations")
    parser.add_argument("--rules", type=int, default=1_000,
                        help="threshold rules of the alert-rules measurement (0: skip it)")
    parser.add_argument("--login-seconds", type=float, default=30,
                        help="single-point ingest measured alone and with logins (0: skip)")
    parser.add_argument("--login-threads", type=int, default=4,
                        help="concurrent login loops of that measurement")
    parser.add_argument("--only-logins", action="store_true",
                        help="run the login measurement alone")
    parser.add_argument("--single-seconds", type=float, default=48,
                        help="one-message requests (observations, LoRaWAN uplinks) and the "
                             "empty-route baselines, in total (0: skip)")
    parser.add_argument("--concurrency", type=int, default=8,
                        help="connections of that measurement")
    parser.add_argument("--only-single", action="store_true",
                        help="run the one-message measurement alone")
    args = parser.parse_args()
    if BATCH % args.streams:
        parser.error(f"--streams must divide {BATCH}")
    result: dict = {"bench": "ingest", "batch_size": BATCH, "batches": args.batches,
                    "streams": args.streams}
    for name in ("sqlite", "pg"):
        result.update({f"{name}_http_obs_s": None, f"{name}_raw_obs_s": None,
                       f"{name}_ratio": None})
        result.update({f"{name}_no_rules_obs_s": None, f"{name}_rules_obs_s": None,
                       f"{name}_rules_drop": None, f"{name}_rules_alerts": None})
        result.update({f"{name}_{case}": None for case in (
            "empty_req_s", "auth_req_s", "single_req_s", "single_p50_ms", "single_p95_ms",
            "webhook_req_s", "webhook_p50_ms", "webhook_p95_ms", "single_vs_empty")})
        result.update({f"{name}_point_obs_s": None, f"{name}_point_p95_ms": None,
                       f"{name}_point_login_obs_s": None, f"{name}_point_login_p95_ms": None,
                       f"{name}_login_ratio": None, f"{name}_logins_per_s": None,
                       f"{name}_login_statuses": None})
    result["pg_copy_obs_s"] = None
    result["rules"] = args.rules
    result["login_threads"] = args.login_threads
    result["concurrency"] = args.concurrency
    result["load_average_start"] = round(os.getloadavg()[0], 2)
    for backend, server_url in backends(pg_url(args.pg_url)):
        if args.single_seconds and not args.only_logins:
            result.update(run_single(backend, server_url, args.single_seconds,
                                     args.concurrency))
        if args.only_single:
            continue
        if not args.only_logins:
            result.update(run_backend(backend, server_url, args.batches, args.streams))
            if args.rules:
                result.update(run_rules(backend, server_url, args.batches, args.rules))
        if args.login_seconds:
            result.update(run_logins(backend, server_url, args.login_seconds,
                                     args.login_threads))
    ratios = [result[f"{n}_ratio"] for n in ("sqlite", "pg") if result[f"{n}_ratio"] is not None]
    result["target_ratio"] = TARGET_RATIO
    result["target_met"] = all(r >= TARGET_RATIO for r in ratios)
    drops = [result[f"{n}_rules_drop"] for n in ("sqlite", "pg")
             if result[f"{n}_rules_drop"] is not None]
    result["target_rules_drop"] = TARGET_RULES_DROP
    result["rules_target_met"] = all(d < TARGET_RULES_DROP for d in drops) if drops else None
    login_ratios = [result[f"{n}_login_ratio"] for n in ("sqlite", "pg")
                    if result[f"{n}_login_ratio"] is not None]
    result["target_login_ratio"] = TARGET_LOGIN_RATIO
    result["login_target_met"] = (all(r >= TARGET_LOGIN_RATIO for r in login_ratios)
                                  if login_ratios else None)
    singles = [result[f"{n}_single_req_s"] for n in ("sqlite", "pg")
               if result[f"{n}_single_req_s"] is not None]
    result["target_single_req_s"] = TARGET_SINGLE_REQ_S
    result["single_target_met"] = (all(r >= TARGET_SINGLE_REQ_S for r in singles)
                                   if singles else None)
    result["load_average_end"] = round(os.getloadavg()[0], 2)
    emit(result)


if __name__ == "__main__":
    main()
