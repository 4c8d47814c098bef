"""Issue #6 acceptance: the lighting failure detectors find the two faults injected in the
demo (lamps out, stuck clock) and no others; the consumption drift on synthetic data."""

from __future__ import annotations

import numpy as np
import pytest
from sqlalchemy import select

from beffroi.core import streams
from beffroi.core.access import CLI, open_scope
from beffroi.core.alerting.detectors import DetectorContext, run_detectors
from beffroi.core.registry import load_registry
from beffroi.demo.builder import build_demo
from beffroi.domains.lighting.cabinet_programme import programme_levels
from beffroi.domains.lighting.demo.simulator import INJECTED_FAULTS
from beffroi.domains.lighting.detectors import consumption_drift
from beffroi.domains.lighting.programmes import PRESETS
from beffroi.storage import schema

from .lighting_fixtures import LED_40, REMIREMONT, add_cabinet, make_territory, store

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
                    "lighting.night_power_drop": "ok", "lighting.consumption_drift": "ok"}
    db.dispose()


# -- consumption drift, on synthetic data ---------------------------------------------------------
def _drifting_cabinet(db, registry, factor_recent: float, noise: float, seed: int = 1):
    """A cabinet of 10 LED × 40 W lit dusk to dawn, its hourly power over the 42 days before
    NOW: the expected 0.4 kW × ``factor_recent`` over the last 14 days, ± ``noise``."""
    tenant = make_territory(db, registry)
    cab = add_cabinet(db, registry, tenant, "ARM-DERIVE", "dusk_to_dawn", [LED_40] * 10)
    with db.write() as conn:
        sid = streams.create_stream(open_scope(db, conn, CLI, tenant), conn, registry, {
            "asset_id": cab["id"], "metric": "power.active"}).id
    t = np.arange(NOW // 1000 - 42 * 86_400, NOW // 1000, 3600, dtype=np.float64)
    level = programme_levels(PRESETS["dusk_to_dawn"], t, *REMIREMONT) / 100
    rng = np.random.default_rng(seed)
    factor = np.where(t >= NOW / 1000 - 14 * 86_400, factor_recent, 1.0)
    power = 0.4 * level * factor * (1 + rng.uniform(-noise, noise, len(t)))
    store(db, tenant, sid, [(int(x * 1000), round(float(p), 4)) for x, p in zip(t, power,
                                                                                 strict=True)])
    return tenant, cab["id"]


def _drift_findings(db, registry, tenant):
    with db.read() as conn:
        ctx = DetectorContext(db, conn, open_scope(db, conn, CLI, tenant), registry, NOW)
        return list(consumption_drift(ctx))


def test_night_consumption_rising_25_percent_is_a_drift(db):
    registry = load_registry(["generic", "lighting"])
    tenant, cabinet = _drifting_cabinet(db, registry, 1.25, 0.02)
    [finding] = _drift_findings(db, registry, tenant)
    assert finding.asset_id == cabinet
    assert finding.details["rise_percent"] == pytest.approx(25, abs=2)
    assert finding.title == "Dérive de la consommation nocturne de +25 % — Armoire ARM-DERIVE"
    run_detectors(db, registry, NOW)
    al = schema.alerts
    with db.read() as conn:
        found = [(r.detector, r.status) for r in conn.execute(select(al))]
    assert found == [("lighting.consumption_drift", "open")]


@pytest.mark.parametrize(("factor", "seed"), [(1.0, 1), (1.0, 2), (1.0, 3), (1.1, 4)])
def test_five_percent_noise_or_a_10_percent_rise_is_no_drift(db, factor, seed):
    registry = load_registry(["generic", "lighting"])
    tenant, _ = _drifting_cabinet(db, registry, factor, 0.05, seed)
    assert _drift_findings(db, registry, tenant) == []
