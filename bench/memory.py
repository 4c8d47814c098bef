"""Idle memory of the real server: ``beffroi serve`` after a login and a few requests.

Starts the venv's ``beffroi serve --db PATH --host 127.0.0.1 --port N`` on the
database given with --db (scripts/bench.sh passes the demo database), or, when
none is given, on a small generic-only database built here (a tenant with its
communes, the demo login and 1,000 sites with a week of hourly data). Once
/api/v1/health answers it logs in, lists the tenants and the communes, waits
--settle seconds and reads VmRSS of the server and of its child processes.

Target: idle RSS < 150 MB.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from harness import (
    client,
    create_bench_tenant,
    create_sites,
    emit,
    free_port,
    log,
    registry,
    server_process,
    store_observations,
)
from sqlalchemy import select

from beffroi.core.clock import HOUR_MS, now_ms
from beffroi.demo.builder import DEMO_EMAIL, DEMO_PASSWORD, DEMO_SIREN
from beffroi.storage import schema
from beffroi.storage.database import Database
from beffroi.storage.migrate import upgrade

TARGET_MB = 150


def build_small_database(path: Path) -> None:
    """A generic-only database with the demo login (when no --db is given)."""
    db = Database(str(path))
    upgrade(db)
    reg = registry()
    tenant_id, _ = create_bench_tenant(db, reg, name=None, siren=DEMO_SIREN, email=DEMO_EMAIL,
                                       password=DEMO_PASSWORD)
    c = schema.communes
    with db.read() as conn:
        communes = list(conn.execute(select(c.c.insee).where(c.c.tenant_id == tenant_id))
                        .scalars())
    sites = create_sites(db, reg, tenant_id, 1_000, communes=communes)
    end = now_ms() // HOUR_MS * HOUR_MS
    rows = [(tenant_id, stream_id, end - h * HOUR_MS, float((i + h) % 50), 0)
            for i, (_, stream_id) in enumerate(sites) for h in range(7 * 24)]
    store_observations(db, tenant_id, rows)
    db.dispose()


def process_tree(pid: int) -> list[int]:
    """``pid`` and all its descendants, from /proc."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # the process has gone
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    tree, todo = [], [pid]
    while todo:
        current = todo.pop()
        tree.append(current)
        todo.extend(children.get(current, []))
    return tree


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0  # a zombie has no VmRSS


def exercise(base_url: str, email: str, password: str) -> None:
    """Log in, then list the tenants and the communes of the first one."""
    with client(base_url) as http:
        response = http.post("/api/v1/auth/token", json={"email": email, "password": password})
        response.raise_for_status()
        http.headers["Authorization"] = f"Bearer {response.json()['access_token']}"
        http.get("/api/v1/me").raise_for_status()
        tenants = http.get("/api/v1/tenants").raise_for_status().json()
        if not tenants:
            raise RuntimeError(f"{email} sees no tenant")
        communes = http.get(f"/api/v1/tenants/{tenants[0]['id']}/communes")
        log(f"{len(tenants)} tenant(s), {len(communes.raise_for_status().json())} communes")


def measure(db_path: Path, beffroi: Path, email: str, password: str, settle: float) -> dict:
    port = free_port()
    command = [str(beffroi), "serve", "--db", str(db_path), "--host", "127.0.0.1",
               "--port", str(port)]
    log(" ".join(command))
    with server_process(command, port, timeout=180) as (proc, base_url):
        exercise(base_url, email, password)
        time.sleep(settle)
        pids = process_tree(proc.pid)
        total_kb = sum(rss_kb(pid) for pid in pids)
    return {"idle_rss_mb": round(total_kb / 1024, 1), "processes": len(pids)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", type=Path, help="SQLite database to serve (default: build one)")
    parser.add_argument("--email", default=DEMO_EMAIL)
    parser.add_argument("--password", default=DEMO_PASSWORD)
    parser.add_argument("--beffroi", type=Path, default=Path(sys.executable).with_name("beffroi"),
                        help="the beffroi executable (default: the one next to this python)")
    parser.add_argument("--settle", type=float, default=2.0, help="seconds idle before reading")
    args = parser.parse_args()
    result: dict = {"bench": "memory"}
    if args.db:
        if not args.db.exists():
            parser.error(f"{args.db} does not exist")
        result["database"] = str(args.db)
        result.update(measure(args.db, args.beffroi, args.email, args.password, args.settle))
    else:
        with tempfile.TemporaryDirectory(prefix="beffroi-bench-") as tmp:
            path = Path(tmp) / "small.db"
            log("building a small generic-only database…")
            build_small_database(path)
            result["database"] = "generated (generic domain, 1,000 sites)"
            result.update(measure(path, args.beffroi, args.email, args.password, args.settle))
    result["target_mb"] = TARGET_MB
    result["target_met"] = result["idle_rss_mb"] < TARGET_MB
    emit(result)


if __name__ == "__main__":
    main()
