"""The demo territory: CC de la Porte des Vosges Méridionales with one year of history.

Each domain contributes its own inventory and simulator through the registry;
this module only orchestrates: tenant and communes from the reference data,
boundaries, inventory import, streams, simulated history, the domains' demo alert rules
run over the last two weeks, demo login.
Idempotent: a complete demo is left as it is; an interrupted one is rebuilt.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import orjson
from shapely.geometry import shape
from sqlalchemy import func, select

from ..core import devices, importing, tenants, users
from ..core.access import CLI, open_scope
from ..core.alerting import evaluation, rules
from ..core.alerting.detectors import run_detectors
from ..core.audit import write_audit
from ..core.clock import HOUR_MS, PARIS, now_ms
from ..core.observations import store_rows
from ..core.reference import demonstrator_boundaries
from ..core.registry import (
    DemoAsset,
    DemoCommune,
    DemoInventory,
    Registry,
    RegistryError,
    Simulator,
    load_object,
)
from ..core.streams import ensure_stream
from ..storage import schema
from ..storage.database import Database
from ..storage.migrate import upgrade

DEMO_SIREN = "200068377"
DEMO_EMAIL = "demo@beffroi.fr"
DEMO_PASSWORD = "demo"
HISTORY_DAYS = 365
CHUNK_POINTS = 200_000
REPLAY_DAYS = 14  # recent history run through the demo's alert rules

# (total, label) -> context manager whose value is called with the number of steps done.
ProgressFactory = Callable[[int, str], Any]


@dataclass
class DemoResult:
    built: bool
    tenant_id: int
    assets: int
    streams: int
    observations: int


def _no_progress(total: int, label: str):
    return nullcontext(lambda n: None)


def _is_complete(conn, tenant_id: int) -> bool:
    a = schema.audit_log
    return conn.execute(select(a.c.id).where(a.c.tenant_id == tenant_id,
                                             a.c.action == "demo_built")).first() is not None


@dataclass(frozen=True)
class LoadedDemo:
    """A domain's demo with its inventory, simulator and story imported."""

    inventory: DemoInventory
    simulator: Simulator
    story: Callable[..., Any] | None = None


def load_demos(registry: Registry) -> dict[str, LoadedDemo]:
    """The demo of each domain that declares one (``Domain.demo``), imported now: the only
    place where domains' demo modules are loaded."""
    out = {}
    for key, domain in registry.domains.items():
        if domain.demo is None:
            continue
        inventory, simulator = (load_object(domain.demo.inventory),
                                load_object(domain.demo.simulator))
        for name, value in (("inventory", inventory), ("simulator", simulator)):
            if not callable(value):
                raise RegistryError([f"domaine « {key} », démo (demo.{name}) : « "
                                     f"{getattr(domain.demo, name)} » n'est pas une fonction"])
        story = load_object(domain.demo.story) if domain.demo.story else None
        if story is not None and not callable(story):
            raise RegistryError([f"domaine « {key} », démo (demo.story) : « "
                                 f"{domain.demo.story} » n'est pas une fonction"])
        out[key] = LoadedDemo(inventory, simulator, story)
    return out


def _demo_communes(conn, tenant_id: int) -> list[DemoCommune]:
    c = schema.communes
    out = []
    for row in conn.execute(select(c).where(c.c.tenant_id == tenant_id).order_by(c.c.insee)):
        boundary = orjson.loads(row.boundary) if row.boundary else None
        if boundary:
            p = shape(boundary).representative_point()
            lon, lat = p.x, p.y
        else:
            lon, lat = 6.59, 48.02
        out.append(DemoCommune(row.insee, row.name, row.population or 0, lon, lat, boundary))
    return out


def _seed(*parts: str) -> int:
    return zlib.crc32("/".join(parts).encode())


def build_demo(db: Database, registry: Registry, *, progress: ProgressFactory = _no_progress,
               now: int | None = None, history_days: int = HISTORY_DAYS) -> DemoResult:
    upgrade(db)
    with db.write() as conn:
        existing = conn.execute(select(schema.tenants).where(schema.tenants.c.siren == DEMO_SIREN)).first()
        if existing is not None and _is_complete(conn, existing.id):
            _ensure_demo_user(db, conn)
            return DemoResult(False, existing.id, *_counts(conn, existing.id))
        if existing is not None:  # an interrupted build: start again
            scope = open_scope(db, conn, CLI, DEMO_SIREN)
            tenants.delete_tenant(conn, CLI, scope)
        # Its impact indicators published: the public page shows them to anyone
        # (/territoires/<SIREN>/indicateurs), and the population alert's banner on top.
        tenant = tenants.create_tenant(db, conn, CLI, siren=DEMO_SIREN, registry=registry,
                                       settings={"impact.public_indicators": True})
        scope = open_scope(db, conn, CLI, DEMO_SIREN)
        tenants.import_boundaries(scope, conn, demonstrator_boundaries())
        _ensure_demo_user(db, conn)
        communes = _demo_communes(conn, tenant["id"])

    demos = load_demos(registry)
    inventory: list[DemoAsset] = []
    for key, demo in demos.items():
        for commune in communes:
            rng = np.random.default_rng(_seed(key, commune.insee))
            inventory += demo.inventory(commune, rng)
    by_ref = {a.ref: a for a in inventory}

    with progress(len(inventory), "Inventaire") as advance, db.write() as conn:
        scope = open_scope(db, conn, CLI, DEMO_SIREN)
        rows = [{"ref": a.ref, "kind": a.kind, "name": a.name, "commune": _commune_of(a, communes),
                 "parent_ref": a.parent_ref, "geometry": dict(a.geometry),
                 "properties": dict(a.properties)} for a in inventory]
        report = importing.import_assets(scope, conn, registry, rows, progress=advance)
        if report.errors:
            raise RuntimeError(f"demo inventory rejected: {report.errors[:5]}")
        a = schema.assets
        ids = {r.ref: r.id for r in conn.execute(select(a.c.id, a.c.ref).where(scope.owns(a)))}
        for asset in inventory:
            if asset.device is not None:
                devices.create_device(scope, conn, {**asset.device, "asset_id": ids[asset.ref]},
                                      registry)
        targets = [(by_ref[ref], metric, ensure_stream(scope, conn, registry, ids[ref], metric))
                   for ref in by_ref for metric in by_ref[ref].metrics]

    end = ((now or now_ms()) // HOUR_MS) * HOUR_MS
    start = end - history_days * 86_400_000
    tz = PARIS
    total = 0
    with progress(len(targets), "Historique simulé (1 an)") as advance:
        batch: list[tuple] = []
        for asset, metric, stream_id in targets:
            simulate = demos[registry.kind_domain[asset.kind]].simulator
            t_s = np.arange(start // 1000, end // 1000, asset.step_s, dtype=np.float64)
            rng = np.random.default_rng(_seed(asset.ref, metric))
            values = np.asarray(simulate(asset, metric, t_s, rng), dtype=np.float64)
            t_ms = (t_s * 1000).astype(np.int64).tolist()
            batch += zip([tenant["id"]] * len(t_ms), [stream_id] * len(t_ms), t_ms,
                         values.tolist(), [0] * len(t_ms), strict=True)
            total += len(t_ms)
            if len(batch) >= CHUNK_POINTS:
                _flush(db, batch, tz)
                batch = []
            advance(1)
        if batch:
            _flush(db, batch, tz)

    alert_count = _replay_alerts(db, registry, tenant["id"], end)
    for demo in demos.values():  # what people did during the year
        if demo.story is not None:
            demo.story(db, registry, tenant["id"], end)
    run_detectors(db, registry, end)  # the domains' failure detectors, once, on the history
    with db.write() as conn:
        write_audit(conn, db, tenant["id"], None, "demo_built", "tenant", tenant["id"],
                    {"assets": len(inventory), "streams": len(targets), "observations": total,
                     "alerts": alert_count})
    return DemoResult(True, tenant["id"], len(inventory), len(targets), total)


def _replay_alerts(db: Database, registry: Registry, tenant_id: int, end: int) -> int:
    """Create the domains' demo rules and run the last REPLAY_DAYS of history through
    them, so that the demo has alerts with a history (some resolved, some still open)."""
    bodies = [body for domain in registry.domains.values() if domain.demo is not None
              for body in domain.demo.rules]
    if not bodies:
        return 0
    with db.write() as conn:
        scope = open_scope(db, conn, CLI, DEMO_SIREN)
        for body in bodies:
            rules.create_rule(scope, conn, registry, dict(body))
    s, o = schema.streams, schema.observations
    metrics = sorted({body["metric"] for body in bodies if "metric" in body})
    with db.read() as conn:
        stream_ids = [r.id for r in conn.execute(select(s.c.id).where(
            s.c.tenant_id == tenant_id, s.c.metric.in_(metrics)).order_by(s.c.id))]
    since = end - REPLAY_DAYS * 86_400_000
    for start in range(0, len(stream_ids), 50):
        chunk = stream_ids[start:start + 50]
        series: dict[int, tuple[list[int], list[float]]] = {sid: ([], []) for sid in chunk}
        with db.read() as conn:
            for sid, t, value in conn.execute(
                    select(o.c.stream_id, o.c.t, o.c.value)
                    .where(o.c.tenant_id == tenant_id, o.c.stream_id.in_(chunk), o.c.t >= since)
                    .order_by(o.c.stream_id, o.c.t)):
                series[sid][0].append(t)
                series[sid][1].append(value)
        with db.write() as conn:
            evaluation.on_observations(db, conn, registry, tenant_id,
                                       {k: v for k, v in series.items() if v[0]}, {})
    a = schema.alerts
    with db.read() as conn:
        return conn.execute(select(func.count()).select_from(a)
                            .where(a.c.tenant_id == tenant_id)).scalar_one()


def _flush(db: Database, rows: list[tuple], tz: ZoneInfo) -> None:
    with db.write() as conn:
        scope = open_scope(db, conn, CLI, DEMO_SIREN)
        store_rows(scope, conn, rows, tz)


def _commune_of(asset: DemoAsset, communes: list[DemoCommune]) -> str | None:
    """INSEE code embedded in demo refs (``KIND-88383-...``), else the nearest commune."""
    for part in asset.ref.split("-"):
        if any(part == c.insee for c in communes):
            return part
    geom = shape(asset.geometry).representative_point()
    return min(communes, key=lambda c: (c.lon - geom.x) ** 2 + (c.lat - geom.y) ** 2).insee


def _ensure_demo_user(db: Database, conn) -> None:
    u = schema.users
    if conn.execute(select(u.c.id).where(u.c.email == DEMO_EMAIL)).first() is None:
        users.create_user(db, conn, email=DEMO_EMAIL, name="Compte de démonstration",
                          password_hash=users.new_password_hash(DEMO_PASSWORD, allow_short=True),
                          is_operator_admin=True)


def _counts(conn, tenant_id: int) -> tuple[int, int, int]:
    a, s, o = schema.assets, schema.streams, schema.observations
    return (conn.execute(select(func.count()).where(a.c.tenant_id == tenant_id)).scalar(),
            conn.execute(select(func.count()).where(s.c.tenant_id == tenant_id)).scalar(),
            conn.execute(select(func.count()).where(o.c.tenant_id == tenant_id)).scalar())

