"""Issue #6 acceptance: the lighting failure detectors find the two faults injected in the
demo (lamps out, stuck clock) and no others."""

from __future__ import annotations

from sqlalchemy import select

from beffroi.core.registry import load_registry
from beffroi.demo.builder import build_demo
from beffroi.domains.lighting.simulator import INJECTED_FAULTS
from beffroi.storage import schema

NOW = 1_795_000_000_000  # 2026-11-18, a fixed clock: winter nights, a DST change in the window


def test_detectors_find_the_two_injected_faults_and_nothing_else(tmp_path):
    from beffroi.storage.database import Database

    registry = load_registry(["generic", "lighting"])
    db = Database(str(tmp_path / "demo.db"))
    build_demo(db, registry, now=NOW, history_days=35)  # runs the detectors at the end
    a, al = schema.assets, schema.alerts
    with db.read() as conn:
        refs = {r.id: r.ref for r in conn.execute(select(a.c.id, a.c.ref))}
        found = sorted((refs[r.asset_id], r.detector, r.status) for r in conn.execute(
            select(al).where(al.c.detector.is_not(None))))
        runs = {r.detector: r.status for r in conn.execute(select(schema.detector_runs))}
    assert found == sorted([
        ("ARM-88383-002", "lighting.night_power_drop", "open"),
        ("ARM-88383-003", "lighting.lit_by_day", "open"),
    ])
    assert set(INJECTED_FAULTS) == {ref for ref, _, _ in found}
    assert runs == {"lighting.lit_by_day": "ok", "lighting.dark_at_night": "ok",
                    "lighting.night_power_drop": "ok"}
    db.dispose()
