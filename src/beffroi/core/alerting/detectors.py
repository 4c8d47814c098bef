"""Domain detectors: periodic analyses declared by domain packages (a water-leak
detector, a lighting-failure detector…), run by the scheduler.

A domain declares ``Detector`` objects in its ``Domain(detectors=…)``. Every
``interval_s`` and for each tenant, the scheduler calls ``run(context)``, which returns
the *current* findings: one per asset (and ``subject``, when an asset can have several
problems). The engine reconciles them with the detector's alerts: a new finding opens an
alert, a finding still there updates it, an alert whose finding is gone is resolved
automatically. A detector that fails is recorded (``detector_runs``) and does not stop the
others. Runs happen in one process at a time (the job's lease) and once per interval
(``detector_runs.last_run_at``), however many Beffroi processes run.

A detector declares every key its findings put in ``details`` (``Detector.details``:
``details.DetailField`` with a French label, a kind and a unit), so that people read
« Eau perdue depuis le début : 1 234 m³ » rather than ``lost_m3: 1234``.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import select

from ...storage import schema
from ...storage.database import Database
from ..access import Principal, TenantScope
from ..registry import Registry
from .alerts import SEVERITIES, Trigger, active_keys, clear_alert, detector_key, raise_alert
from .detector_spec import Detector, DetectorContext, Finding

# Detector, DetectorContext and Finding are declared in detector_spec (light to import).
__all__ = ["Detector", "DetectorContext", "Finding", "registered_detectors", "run_detector",
           "run_detectors"]

log = logging.getLogger("beffroi.detectors")


def registered_detectors(registry: Registry) -> list[Detector]:
    return [d for domain in registry.domains.values() for d in domain.detectors]


def run_detectors(db: Database, registry: Registry, now: int) -> list[tuple[int, str, str]]:
    """Run each detector due for each tenant; returns (tenant, detector, status) of the runs."""
    detectors = registered_detectors(registry)
    if not detectors:
        return []
    t, runs = schema.tenants, schema.detector_runs
    with db.read() as conn:
        tenants = list(conn.execute(select(t).order_by(t.c.id)))
        last = {(r.tenant_id, r.detector): r.last_run_at for r in conn.execute(select(runs))}
    done = []
    for tenant in tenants:
        for detector in detectors:
            previous = last.get((tenant.id, detector.key))
            if previous is not None and now - previous < detector.interval_s * 1000:
                continue
            done.append((tenant.id, detector.key, _run_one(db, registry, tenant, detector, now)))
    return done


def run_detector(db: Database, registry: Registry, tenant_id: int, key: str, now: int) -> str:
    """Run one detector for one tenant as of ``now`` (a demo's story replays its year with
    it); returns "ok" or "failed"."""
    detector = next(d for d in registered_detectors(registry) if d.key == key)
    with db.read() as conn:
        tenant = conn.execute(select(schema.tenants).where(
            schema.tenants.c.id == tenant_id)).one()
    return _run_one(db, registry, tenant, detector, now)


def _run_one(db: Database, registry: Registry, tenant: Any, detector: Detector,
             now: int) -> str:
    try:
        with db.read() as conn:
            scope = TenantScope(db, Principal(), tenant, "viewer")
            findings = list(detector.run(DetectorContext(db, conn, scope, registry, now)))
        for finding in findings:
            if finding.severity not in SEVERITIES:
                raise ValueError(f"severity {finding.severity!r} of a finding")
    except Exception as exc:  # a faulty detector is recorded, the others go on
        log.exception("detector %s failed for tenant %s", detector.key, tenant.id)
        _record(db, tenant.id, detector.key, now, "failed", 0, f"{type(exc).__name__}: {exc}")
        return "failed"
    prefix = f"detector:{detector.key}:"
    with db.write() as conn:
        seen = set()
        for f in findings:
            key = detector_key(detector.key, f.asset_id, f.subject)
            seen.add(key)
            if f.ended:
                clear_alert(db, conn, tenant.id, key, now, {"detector": detector.key},
                            final_details=f.details, title=f.title)
                continue
            raise_alert(db, conn, registry, tenant.id, Trigger(
                key=key, severity=f.severity, title=f.title, at=f.at or now,
                asset_id=f.asset_id, detector=detector.key, details=f.details,
                renotify_after_s=detector.renotify_after_s, notify_on=detector.notify_on))
        for key in set(active_keys(conn, tenant.id, prefix)) - seen:
            clear_alert(db, conn, tenant.id, key, now, {"detector": detector.key})
    _record(db, tenant.id, detector.key, now, "ok", len(findings), None)
    return "ok"


def _record(db: Database, tenant_id: int, key: str, now: int, status: str, findings: int,
            error: str | None) -> None:
    ph = "?" if db.is_sqlite else "%s"
    with db.write() as conn:
        conn.exec_driver_sql(
            "INSERT INTO detector_runs (tenant_id, detector, last_run_at, status, findings, "
            f"error) VALUES ({ph}, {ph}, {ph}, {ph}, {ph}, {ph}) ON CONFLICT (tenant_id, "
            "detector) DO UPDATE SET last_run_at = excluded.last_run_at, status = "
            "excluded.status, findings = excluded.findings, error = excluded.error",
            (tenant_id, key, now, status, findings, error))
