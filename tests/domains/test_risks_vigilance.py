"""Issue #17: the river-vigilance detector — a flood alert while a gauge is at or above its
yellow threshold, escalated at orange, keeping its episode's peak as the river falls,
resolved back under yellow; silent or threshold-less gauges say nothing. And the demo's
winter flood: every gauge past yellow then orange, the rapid-rise rule fired, all over.
Times are pinned; the series are written here."""

from __future__ import annotations

from datetime import UTC, datetime

import orjson
import pytest
from shapely.geometry import Point, shape
from sqlalchemy import select

from beffroi.core import assets, streams, tenants
from beffroi.core.access import CLI, open_scope
from beffroi.core.alerting.detectors import run_detector
from beffroi.core.clock import PARIS
from beffroi.core.observations import store_rows
from beffroi.core.registry import load_registry
from beffroi.demo.builder import build_demo
from beffroi.storage import schema
from beffroi.storage.database import Database

HOUR_MS = 3_600_000
T0 = int(datetime(2026, 1, 17, 12, tzinfo=UTC).timestamp() * 1000)
YELLOW, ORANGE, RED = 2.0, 2.6, 3.2
# A flood: hourly levels from T0 (rising past yellow at hour 3, orange at hour 6, peak at
# hour 8, back under orange at hour 11 and under yellow at hour 15).
LEVELS = [1.2, 1.5, 1.8, 2.1, 2.3, 2.5, 2.7, 2.9, 3.0, 2.9, 2.7, 2.5, 2.3, 2.2, 2.05, 1.9, 1.7]
KEY = "risks.river_vigilance"


@pytest.fixture(scope="module")
def registry():
    return load_registry(["generic", "risks"])


@pytest.fixture
def flood(db, registry):
    with db.write() as conn:
        t = tenants.create_tenant(db, conn, CLI, name="CC", registry=registry)
        scope = open_scope(db, conn, CLI, t["id"])
        tenants.create_commune(scope, conn, {"insee": "88383", "name": "Remiremont"})
        rows = []
        for ref, props, levels in (
                ("HYD-1", {"level_yellow_m": YELLOW, "level_orange_m": ORANGE,
                           "level_red_m": RED}, LEVELS),
                ("HYD-2", {}, [5.0] * len(LEVELS)),  # no thresholds: nothing to say
                ("HYD-3", {"level_yellow_m": 1.0}, [4.0])):  # high, then silent
            gauge = assets.create_asset(scope, conn, registry, {
                "ref": ref, "kind": "risks.gauge", "name": f"Moselle {ref}",
                "commune": "88383", "properties": props,
                "geometry": {"type": "Point", "coordinates": [6.6, 48.0]}})
            sid = streams.create_stream(scope, conn, registry, {
                "asset_id": gauge.id, "metric": "hydro.level"}).id
            rows += [(t["id"], sid, T0 + h * HOUR_MS, v, 0) for h, v in enumerate(levels)]
        store_rows(scope, conn, rows, PARIS)
    return t["id"]


def _alerts(db, tenant_id):
    a = schema.alerts
    with db.read() as conn:
        return list(conn.execute(select(a).where(a.c.tenant_id == tenant_id,
                                                 a.c.detector == KEY).order_by(a.c.id)))


def test_a_flood_alert_follows_the_river_up_and_down(db, registry, flood):
    a = schema.assets
    with db.read() as conn:
        gauge = conn.execute(select(a.c.id).where(a.c.ref == "HYD-1")).scalar()

    def at(hour: int):  # HYD-1's alerts after a run at that hour
        run_detector(db, registry, flood, KEY, T0 + hour * HOUR_MS + 60_000)
        return [x for x in _alerts(db, flood) if x.asset_id == gauge]

    assert at(2) == []  # 1.8 m: under yellow
    [alert] = at(3)  # 2.1 m ≥ 2.0
    assert alert.severity == "warning" and "vigilance jaune" in alert.title
    assert alert.details and '"level_m":2.1' in alert.details
    [alert] = at(6)  # 2.7 m ≥ 2.6: the same alert, escalated
    assert alert.severity == "critical" and "vigilance orange" in alert.title
    assert alert.trigger_count == 2
    [alert] = at(12)  # 2.3 m: yellow again, the peak of 3.0 m (orange) kept
    assert alert.severity == "critical" and alert.status == "open"
    assert "vigilance jaune" in alert.title and "pic en vigilance orange (3,00\u00a0m)" \
        in alert.title
    [alert] = at(15)  # 1.9 m: under yellow
    assert alert.status == "resolved"


def test_a_silent_gauge_raises_nothing(db, registry, flood):
    # HYD-3 read 4.0 m (≥ its 1.0 m yellow) at T0; seven hours later it is silent.
    run_detector(db, registry, flood, KEY, T0 + 60_000)
    a = schema.assets
    with db.read() as conn:
        silent = conn.execute(select(a.c.id).where(a.c.ref == "HYD-3")).scalar()
    assert [x.asset_id for x in _alerts(db, flood) if x.status == "open"] == [silent]
    run_detector(db, registry, flood, KEY, T0 + 7 * HOUR_MS)
    assert [x.status for x in _alerts(db, flood) if x.asset_id == silent] == ["resolved"]


def test_the_demo_year_of_risks(tmp_path):
    """The demo's gauges all pass yellow then orange in January (the peak kept in the
    alert), the rapid-rise rule fires on the rising limb, and every flood alert is over;
    the July heat wave and the August fire-weather spell raised their alerts, over too."""
    registry = load_registry(["generic", "risks"])
    db = Database(str(tmp_path / "demo.db"))
    end = int(datetime(2026, 12, 5, 10, tzinfo=UTC).timestamp() * 1000)
    build_demo(db, registry, now=end)
    a, al = schema.assets, schema.alerts
    with db.read() as conn:
        gauges = {r.id: r.properties for r in conn.execute(
            select(a.c.id, a.c.properties).where(a.c.kind == "risks.gauge"))}
        alerts = list(conn.execute(select(al)))
    vigilance = [x for x in alerts if x.detector == KEY]
    assert sorted(x.asset_id for x in vigilance) == sorted(gauges)
    for x in vigilance:
        opened = datetime.fromtimestamp(x.opened_at / 1000, PARIS)
        assert (opened.month, opened.day) in ((1, 17), (1, 18))
        assert x.severity == "critical" and "pic en vigilance orange" in x.title
        assert x.status == "resolved"
    rises = [x for x in alerts if x.rule_id is not None and "Montée rapide" in x.title]
    assert {x.asset_id for x in rises} == set(gauges)
    assert all(x.status == "resolved" for x in rises)
    heat = [x for x in alerts if x.detector == "risks.heatwave"]
    assert len(heat) == 1 and heat[0].status == "resolved"
    assert datetime.fromtimestamp(heat[0].opened_at / 1000, PARIS).month == 7
    assert "Canicule en cours depuis le" in heat[0].title and "/07/2026" in heat[0].title
    with db.read() as conn:
        forests = set(conn.execute(select(a.c.id).where(a.c.kind == "risks.forest")).scalars())
    fire = [x for x in alerts if x.detector == "risks.fire_danger"]
    assert {x.asset_id for x in fire} == forests
    assert all(datetime.fromtimestamp(x.opened_at / 1000, PARIS).month == 8
               and x.status == "resolved" for x in fire)
    # A dozen fictitious persons in the register, some in the Moselle's flood zones.
    rp = schema.register_persons
    with db.read() as conn:
        persons = list(conn.execute(select(rp.c.last_name, rp.c.notes, rp.c.lon, rp.c.lat)))
        zones = [shape(orjson.loads(g)) for g in conn.execute(
            select(a.c.geometry).where(a.c.kind == "risks.flood_zone")).scalars()]
    assert len(persons) == 12
    assert all(p.notes == "Personne fictive de la démonstration." for p in persons)
    flooded = [p for p in persons if any(z.contains(Point(p.lon, p.lat)) for z in zones)]
    assert len(flooded) >= 4
    db.dispose()


def test_the_demo_flood_zones_go_under_at_the_orange_height(tmp_path):
    """Each demo flood zone names its gauge and floods from its orange height: at the
    January peak (above orange) the zones are under water, at yellow they are not."""
    from beffroi.core.access import CLI, open_scope
    from beffroi.domains.risks.flood_zones import zones_at_level

    registry = load_registry(["generic", "risks"])
    db = Database(str(tmp_path / "demo.db"))
    build_demo(db, registry, now=int(datetime(2026, 12, 5, 10, tzinfo=UTC).timestamp() * 1000))
    a = schema.assets
    with db.read() as conn:
        scope = open_scope(db, conn, CLI, conn.execute(select(a.c.tenant_id)).scalar())
        gauges = list(conn.execute(select(a.c.id, a.c.ref, a.c.properties).where(
            a.c.kind == "risks.gauge")))
        zoned = 0
        for gauge in gauges:
            props = orjson.loads(gauge.properties)
            below = zones_at_level(scope, conn, gauge.id, props["level_yellow_m"])
            above = zones_at_level(scope, conn, gauge.id, props["level_orange_m"] + 0.01)
            assert below == []
            zoned += len(above)
    assert zoned >= 3
    db.dispose()
