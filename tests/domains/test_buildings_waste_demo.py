"""Issue #18 acceptance: on a buildings-only demo, the waste detectors raise exactly the
injected anomalies — the school heated through the February holidays (overheating,
resolved once classes resumed), the gymnasium lit every night (consumption while closed)
and the leaking cistern (water every night) — each on its building, and nothing else,
whether run by the demo's story, at the end, or every three weeks of the period.

The history is shortened to 110 days before a pinned now (20 March 2026): it holds the
Christmas holidays, two public holidays and the winter holidays of zone B."""

from __future__ import annotations

from datetime import UTC, datetime

import orjson
import pytest
from sqlalchemy import select

from beffroi.core.alerting.detectors import run_detector
from beffroi.core.registry import load_registry
from beffroi.demo.builder import build_demo
from beffroi.domains.buildings.demo.simulator import (
    CISTERN_LEAK_M3H,
    GYM_LIGHTING_W_M2,
    HEATED_SCHOOL,
    LEAKING_BUILDING,
    LIT_GYM,
)
from beffroi.domains.buildings.waste_detectors import (
    DETECTORS,
    NIGHT_WATER,
    OFF_HOURS,
    OVERHEATING,
)
from beffroi.storage import schema
from beffroi.storage.database import Database

NOW = int(datetime(2026, 3, 20, 10, tzinfo=UTC).timestamp() * 1000)
HISTORY_DAYS = 110
DAY_MS = 86_400_000
EXPECTED = {(OFF_HOURS, LIT_GYM), (OVERHEATING, HEATED_SCHOOL),
            (NIGHT_WATER, LEAKING_BUILDING)}


@pytest.fixture
def demo(tmp_path):
    registry = load_registry(["generic", "buildings"])
    db = Database(str(tmp_path / "demo.db"))
    result = build_demo(db, registry, now=NOW, history_days=HISTORY_DAYS)
    yield db, registry, result.tenant_id
    db.dispose()


def _alerts(db):
    a, al = schema.assets, schema.alerts
    keys = [d.key for d in DETECTORS]
    with db.read() as conn:
        refs = dict(conn.execute(select(a.c.id, a.c.ref)).all())
        props = {r.ref: orjson.loads(r.properties) for r in conn.execute(
            select(a.c.ref, a.c.properties).where(a.c.kind == "buildings.building"))}
        rows = conn.execute(select(al).where(al.c.detector.in_(keys)).order_by(al.c.id)).all()
    return [(r.detector, refs[r.asset_id], r.status, orjson.loads(r.details), r.opened_at)
            for r in rows], props


def test_the_detectors_find_exactly_the_injected_anomalies(demo):
    db, registry, tenant = demo
    alerts, props = _alerts(db)
    assert {(key, ref) for key, ref, *_ in alerts} == EXPECTED
    status = {(key, ref): s for key, ref, s, *_ in alerts}
    assert status[(OVERHEATING, HEATED_SCHOOL)] == "resolved"
    assert status[(OFF_HOURS, LIT_GYM)] == "open"
    assert status[(NIGHT_WATER, LEAKING_BUILDING)] == "open"
    details = {(key, ref): d for key, ref, _, d, _ in alerts}
    # The heated school: its rooms at 20 °C through the holidays (setpoint 16 °C closed).
    heated = details[(OVERHEATING, HEATED_SCHOOL)]
    assert heated["unoccupied_mean_c"] > 19 and heated["kwh_per_week"] > 0
    assert heated["eur_per_week"] == pytest.approx(heated["kwh_per_week"] * 0.10, abs=0.01)
    # The gym: 8 W/m² lit from 22:00 to 07:00, counted in its closed hours (with a margin
    # of an hour after 22:00 closing on weekdays, and before its opening).
    gym = details[(OFF_HOURS, LIT_GYM)]
    lit_kw = props[LIT_GYM]["floor_area_m2"] * GYM_LIGHTING_W_M2 / 1000
    assert gym["kwh_per_week"] == pytest.approx(lit_kw * gym["closed_hours"] * 0.6, rel=0.5)
    assert gym["night_share_pct"] > 90
    # The cistern: 25 L/h every hour of the week.
    leak = details[(NIGHT_WATER, LEAKING_BUILDING)]
    assert leak["leak_l_h"] == pytest.approx(CISTERN_LEAK_M3H * 1000)
    assert leak["m3_per_week"] == pytest.approx(CISTERN_LEAK_M3H * 168)
    # Nothing else every three weeks of the period either (normal school weeks, Christmas,
    # public holidays, the other buildings' holidays).
    for at in range(NOW - HISTORY_DAYS * DAY_MS + 15 * DAY_MS, NOW, 21 * DAY_MS):
        for detector in DETECTORS:
            assert run_detector(db, registry, tenant, detector.key, at) == "ok"
    alerts, _ = _alerts(db)
    assert {(key, ref) for key, ref, *_ in alerts} == EXPECTED
