"""The demo territory: built from the four domains, idempotent, recovers from interruption."""

from __future__ import annotations

import orjson
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from suite_apps import fresh_app

from beffroi.core.clock import DAY_MS
from beffroi.core.reference import epci
from beffroi.core.registry import load_registry
from beffroi.demo.builder import DEMO_EMAIL, DEMO_PASSWORD, DEMO_SIREN, build_demo
from beffroi.storage import schema
from beffroi.storage.database import Database

NOW = 1_790_000_000_000  # fixed clock: 2026-09-21


@pytest.fixture(scope="module")
def full_registry():
    return load_registry()


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory, full_registry):
    db = Database(str(tmp_path_factory.mktemp("demo") / "demo.db"))
    result = build_demo(db, full_registry, now=NOW, history_days=2)
    yield db, result
    db.dispose()


def test_demo_holds_the_real_communes_with_boundaries(demo_db):
    db, result = demo_db
    assert result.built
    with db.read() as conn:
        rows = conn.execute(select(schema.communes).where(
            schema.communes.c.tenant_id == result.tenant_id)).all()
    expected = {c["insee"] for c in epci(DEMO_SIREN)["communes"]}
    assert {r.insee for r in rows} == expected and len(expected) == 10
    assert all(r.boundary and orjson.loads(r.boundary)["type"] in ("Polygon", "MultiPolygon")
               for r in rows)


def test_every_domain_contributes_assets_and_history(demo_db, full_registry):
    db, result = demo_db
    with db.read() as conn:
        kinds = dict(conn.execute(select(schema.assets.c.kind, func.count())
                                  .group_by(schema.assets.c.kind)).all())
        n_obs = conn.execute(select(func.count()).select_from(schema.observations)).scalar()
        n_daily = conn.execute(select(func.count()).select_from(schema.rollups_daily)).scalar()
    domains = {k.split(".")[0] for k in kinds}
    assert {"lighting", "water", "risks", "buildings"} <= domains
    assert kinds["lighting.luminaire"] > 29017 / 10  # in proportion to 29,017 inhabitants
    assert n_obs == result.observations > 0
    assert n_daily > 0
    # two days of history at each stream's own step
    assert result.observations >= result.streams * 2


def test_demo_login_and_api(demo_db, full_registry):
    db, _ = demo_db
    with TestClient(fresh_app(db, full_registry)) as client:
        token = client.post("/api/v1/auth/token",
                            json={"email": DEMO_EMAIL, "password": DEMO_PASSWORD}).json()
        h = {"Authorization": f"Bearer {token['access_token']}"}
        assert len(client.get(f"/api/v1/tenants/{DEMO_SIREN}/communes", headers=h).json()) == 10
        cabinets = client.get(f"/api/v1/tenants/{DEMO_SIREN}/assets", headers=h,
                              params={"kind": "lighting.cabinet", "commune": "88383"}).json()
        assert cabinets["features"], "Remiremont must have lighting cabinets"
        streams = client.get(f"/api/v1/tenants/{DEMO_SIREN}/streams", headers=h,
                             params={"asset_id": cabinets["features"][0]["id"]}).json()
        series = client.get(f"/api/v1/tenants/{DEMO_SIREN}/streams/{streams[0]['id']}/series",
                            headers=h, params={"step": "1h", "start": "2026-09-01T00:00:00Z",
                                               "end": "2026-09-30T00:00:00Z"}).json()
        assert len(series["points"]) >= 24
        # Its impact indicators are public: a page and its open-data file, no sign-in.
        public = client.get(f"/territoires/{DEMO_SIREN}/indicateurs")
        assert public.status_code == 200 and "Indicateurs" in public.text
        assert client.get(f"/territoires/{DEMO_SIREN}/indicateurs.csv").status_code == 200


def test_build_is_idempotent(demo_db, full_registry):
    db, first = demo_db
    again = build_demo(db, full_registry, now=NOW + DAY_MS, history_days=2)
    assert not again.built
    assert (again.assets, again.streams, again.observations) == (
        first.assets, first.streams, first.observations)


def test_interrupted_build_is_rebuilt(tmp_path, full_registry):
    db = Database(str(tmp_path / "broken.db"))

    def boom(total, label):
        raise KeyboardInterrupt  # stop right after the tenant was created

    with pytest.raises(KeyboardInterrupt):
        build_demo(db, full_registry, now=NOW, history_days=1, progress=boom)
    result = build_demo(db, full_registry, now=NOW, history_days=1)
    assert result.built
    with db.read() as conn:
        tenants = conn.execute(select(func.count()).select_from(schema.tenants)).scalar()
        users = conn.execute(select(func.count()).select_from(schema.users)).scalar()
    assert (tenants, users) == (1, 2)  # the demo account and the register's referent


def test_demo_has_alert_rules_and_alerts_with_a_history(demo_db, full_registry):
    from beffroi.core.alerting import alerts

    db, _ = demo_db
    a, r = schema.alert_rules, schema.alerts
    with db.read() as conn:
        names = sorted(row.name for row in conn.execute(select(a)))
        raised = list(conn.execute(select(r).order_by(r.c.id)))
    assert names == sorted(body["name"] for d in full_registry.domains.values()
                           if d.demo is not None for body in d.demo.rules)
    # Naturally ventilated classrooms go above 1,500 ppm on school days.
    confined = [x for x in raised if x.title.startswith("Air confiné")]
    assert confined, "the demo should hold confined-air alerts"
    assert all(x.domain == "buildings" and x.severity == "warning" for x in confined)
    assert {x.status for x in raised} <= set(alerts.STATUSES)
