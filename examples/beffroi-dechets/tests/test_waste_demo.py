"""The waste domain's part of the demo territory: two communes of containers with a fill
sensor, two weeks of readings consistent with core's derivation, emptied on their collection
days, one fire at the end of the history, and the alerts and round suggestion it yields."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from zoneinfo import ZoneInfo

import orjson
import pytest
from beffroi_dechets import DOMAIN
from beffroi_dechets.collection_days import parse_days
from beffroi_dechets.demo import FIRE_REF, POINT_DAYS
from beffroi_dechets.fill import fill_percent
from fastapi.testclient import TestClient
from sqlalchemy import select

from beffroi.api.app import create_app
from beffroi.core.clock import format_instant
from beffroi.core.registry import build_registry
from beffroi.demo.builder import DEMO_EMAIL, DEMO_PASSWORD, build_demo
from beffroi.storage import schema
from beffroi.storage.database import Database

NOW = 1_790_000_000_000  # a fixed clock: 2026-09-21T14:13:20Z, a Monday
PARIS = ZoneInfo("Europe/Paris")


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    registry = build_registry([DOMAIN])
    db = Database(str(tmp_path_factory.mktemp("waste-demo") / "demo.db"))
    result = build_demo(db, registry, now=NOW, history_days=14)
    yield db, registry, result
    db.dispose()


def rows(db, query):
    with db.read() as conn:
        return conn.execute(query).all()


def test_two_communes_of_containers_each_with_its_sensor_streams(demo):
    db, _, result = demo
    a, s, d = schema.assets, schema.streams, schema.devices
    assets = rows(db, select(a.c.id, a.c.ref, a.c.kind, a.c.commune_insee, a.c.parent_id,
                             a.c.properties, a.c.name).where(a.c.tenant_id == result.tenant_id))
    containers = [x for x in assets if x.kind == "waste.container"]
    points = [x for x in assets if x.kind == "waste.collection_point"]
    assert {x.commune_insee for x in assets} == {"88383", "88415"}
    assert len(points) == 13 and 30 <= len(containers) <= 60  # "a few dozen"
    assert all(x.parent_id in {p.id for p in points} for x in containers)
    # named in French as people write them, not after their stream's code
    assert "Conteneur ordures ménagères 1 — Remiremont" in {x.name for x in containers}
    streams = defaultdict(set)
    for asset_id, metric in rows(db, select(s.c.asset_id, s.c.metric)):
        streams[asset_id].add(metric)
    assert all(streams[x.id] == {"waste.distance", "waste.fill_level", "waste.temperature"}
               for x in containers)
    assert len(rows(db, select(d.c.id))) == len(containers)  # one fill sensor each


def test_fill_levels_are_the_derivation_of_the_distances(demo):
    db, _, result = demo
    a, s, o = schema.assets, schema.streams, schema.observations
    series = defaultdict(dict)
    for asset_id, props, metric, t, value in rows(db, select(
            a.c.id, a.c.properties, s.c.metric, o.c.t, o.c.value)
            .join(s, (s.c.tenant_id == o.c.tenant_id) & (s.c.id == o.c.stream_id))
            .join(a, (a.c.tenant_id == s.c.tenant_id) & (a.c.id == s.c.asset_id))
            .where(s.c.metric.in_(["waste.distance", "waste.fill_level"]))):
        series[(asset_id, orjson.loads(props)["height_m"])].setdefault(metric, {})[t] = value
    assert len(series) >= 30
    for (_, height), by_metric in series.items():
        distances, fills = by_metric["waste.distance"], by_metric["waste.fill_level"]
        assert distances.keys() == fills.keys() and len(fills) == 14 * 12
        for t, dist in distances.items():
            assert fills[t] == pytest.approx(fill_percent(dist, height), abs=1e-9)


def test_containers_are_emptied_on_their_collection_days(demo):
    db, _, result = demo
    a, s, o = schema.assets, schema.streams, schema.observations
    household = rows(db, select(a.c.id, a.c.ref, a.c.commune_insee).where(
        a.c.kind == "waste.container", a.c.ref.like("%-OM")))
    assert household
    for asset in household:
        days = parse_days(POINT_DAYS[asset.commune_insee])
        points = rows(db, select(o.c.t, o.c.value)
                      .join(s, (s.c.tenant_id == o.c.tenant_id) & (s.c.id == o.c.stream_id))
                      .where(s.c.asset_id == asset.id, s.c.metric == "waste.fill_level")
                      .order_by(o.c.t))
        drops = [t for (_, before), (t, after) in zip(points, points[1:], strict=False)
                 if before - after >= 25]
        assert drops, asset.ref  # two weeks: at least one round that found it well filled
        for t in drops:
            local = datetime.fromtimestamp(t / 1000, PARIS)
            assert local.weekday() in days and 6 <= local.hour < 8, (asset.ref, local)


def test_the_fire_and_the_full_containers_raise_alerts(demo):
    db, _, result = demo
    al, a = schema.alerts, schema.assets
    found = rows(db, select(al.c.detector, al.c.severity, al.c.status, a.c.ref)
                 .join(a, (a.c.tenant_id == al.c.tenant_id) & (a.c.id == al.c.asset_id))
                 .where(al.c.tenant_id == result.tenant_id))
    fires = [x for x in found if x.detector == "waste.fire"]
    assert [(x.ref, x.severity, x.status) for x in fires] == [(FIRE_REF, "critical", "open")]
    assert any(x.detector == "waste.full" and x.status == "open" for x in found)


def test_the_round_suggestion_on_the_demo(demo):
    db, registry, result = demo
    with TestClient(create_app(db, registry)) as client:
        token = client.post("/api/v1/auth/token", json={"email": DEMO_EMAIL,
                                                        "password": DEMO_PASSWORD})
        headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
        out = client.get(f"/api/v1/tenants/{result.tenant_id}/waste/round", headers=headers,
                         params={"at": format_instant(NOW)}).json()
    assert out["considered"] >= 30 and out["unmeasured"] == 0
    assert {g["insee"] for g in out["communes"]} <= {"88383", "88415"}
    assert out["suggested"] >= 1
    for group in out["communes"]:
        for item in group["containers"]:
            assert item["predicted_percent"] >= 80
            assert item["predicted_percent"] >= item["fill_percent"]
