"""Water inventory: the demo territory's twelve sectors and its services, production and
bulk meters, pressure points and loggers; acoustic logger alarms raise located alerts."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest
from fastapi.testclient import TestClient
from suite_apps import fresh_app

from beffroi.core import assets, importing, tenants, users
from beffroi.core.access import CLI, open_scope
from beffroi.core.clock import PARIS
from beffroi.core.registry import load_registry
from beffroi.core.streams import ensure_stream
from beffroi.domains.water.demo.inventory import demo_inventory, sector_count
from beffroi.domains.water.kinds import LOGGER_ALARM_RULE, METER_ROLES
from beffroi.domains.water.rpqs import tenant_indicators, year_period


@pytest.fixture(scope="module")
def inventory(communes):
    return {insee: demo_inventory(c, np.random.default_rng(int(insee)))
            for insee, c in communes.items()}


def test_twelve_sectors_across_the_communes(communes, inventory):
    per_commune = {insee: sum(1 for a in items if a.kind == "water.sector")
                   for insee, items in inventory.items()}
    assert sum(per_commune.values()) == 12
    assert min(per_commune.values()) == 1
    assert per_commune["88383"] == 3  # Remiremont, the only town, cut in three
    assert all(per_commune[i] == sector_count(c.population) for i, c in communes.items())


def test_every_sector_has_its_inlet_meter_and_belongs_to_its_service(inventory):
    for insee, items in inventory.items():
        by_ref = {a.ref: a for a in items}
        assert items[0].ref == f"SVC-{insee}" and items[0].kind == "water.service"
        for n, sector in enumerate((a for a in items if a.kind == "water.sector"), start=1):
            assert sector.ref == f"SEC-{insee}-{n}"
            assert sector.parent_ref == f"SVC-{insee}"
            props = sector.properties
            assert props["customers"] >= props["connections"] > 0
            assert props["mains_length_km"] > 0 and props["in_zre"] is False
            inlet = by_ref[f"CPT-{insee}-S{n}"]
            assert inlet.parent_ref == sector.ref
            assert inlet.properties["role"] == "sector_inlet"
            assert inlet.metrics == ("water.flow", "water.volume") and inlet.step_s == 900
            assert by_ref[f"PRS-{insee}-{n}"].parent_ref == sector.ref


def test_production_bulk_meters_pressure_points_and_loggers(inventory):
    roles = Counter(a.properties.get("role") for items in inventory.values() for a in items
                    if a.kind == "water.meter")
    assert set(roles) <= set(METER_ROLES)
    assert roles["production"] == 9  # Girmont-Val-d'Ajol buys all its water
    assert roles["export"] == 1 and roles["import"] == 1
    production = next(a for a in inventory["88383"] if a.properties.get("role") == "production")
    assert production.parent_ref == "SVC-88383" and production.metrics
    assert not any(a.properties.get("role") == "production" for a in inventory["88205"])
    loggers = [a for a in inventory["88383"] if a.kind == "water.acoustic_logger"]
    assert len(loggers) == 6
    assert {a.parent_ref for a in loggers} == {"SEC-88383-1", "SEC-88383-2", "SEC-88383-3"}


def test_demo_inventory_imports_and_one_commune_is_below_the_decree(db, inventory):
    registry = load_registry(["generic", "water"])
    with db.write() as conn:
        t = tenants.create_tenant(db, conn, CLI, name="CC", registry=registry)
        scope = open_scope(db, conn, CLI, t["id"])
        for insee in inventory:
            tenants.create_commune(scope, conn, {"insee": insee, "name": insee})
        rows = [{"ref": a.ref, "kind": a.kind, "name": a.name, "commune": a.ref.split("-")[1],
                 "parent_ref": a.parent_ref, "geometry": dict(a.geometry),
                 "properties": dict(a.properties)}
                for items in inventory.values() for a in items]
        report = importing.import_assets(scope, conn, registry, rows)
        assert report.errors == []
        year = int(max(inventory["88383"][0].properties["years"]))
        result = tenant_indicators(scope, conn, registry, year_period(year, PARIS))
    assert result["summary"]["computed"] == 10
    assert result["summary"]["below_decree_threshold"] == ["SVC-88351"]
    remiremont = next(s for s in result["services"] if s["ref"] == "SVC-88383")
    assert remiremont["sectors"] == 3 and remiremont["population_served"] == 7500


def test_a_logger_alarm_raises_an_alert_on_the_logger(db):
    """The demo rule works for any territory that posts it."""
    registry = load_registry(["generic", "water"])
    with db.write() as conn:
        t = tenants.create_tenant(db, conn, CLI, name="CC", registry=registry)
        scope = open_scope(db, conn, CLI, t["id"])
        tenants.create_commune(scope, conn, {"insee": "88383", "name": "Remiremont"})
        logger = assets.create_asset(scope, conn, registry, {
            "ref": "ACO-88383-01", "kind": "water.acoustic_logger", "name": "Prélocalisateur 1",
            "commune": "88383", "geometry": {"type": "Point", "coordinates": [6.59, 48.01]},
            "properties": {"fitting": "vanne"}})
        ensure_stream(scope, conn, registry, logger.id, "water.leak_alarm")
        users.add_member(scope, conn, {"email": "agent@cc.fr", "role": "agent",
                                       "password": "password-123"})
    with TestClient(fresh_app(db, registry)) as client:
        token = client.post("/api/v1/auth/token", json={"email": "agent@cc.fr",
                                                         "password": "password-123"}).json()
        h = {"Authorization": f"Bearer {token['access_token']}"}
        base = f"/api/v1/tenants/{t['id']}"
        assert client.post(f"{base}/alert-rules", headers=h,
                           json=LOGGER_ALARM_RULE).status_code == 201
        stored = client.post(f"{base}/observations", headers=h, json=[
            {"asset": "ACO-88383-01", "metric": "water.leak_alarm",
             "time": "2026-03-02T02:00:00Z", "value": 0},
            {"asset": "ACO-88383-01", "metric": "water.leak_alarm",
             "time": "2026-03-03T02:00:00Z", "value": 2}])
        assert stored.status_code == 200 and stored.json()["stored"] == 2, stored.text
        alerts = client.get(f"{base}/alerts", headers=h).json()
        items = alerts["items"] if isinstance(alerts, dict) else alerts
        assert len(items) == 1
        asset = client.get(f"{base}/assets/{items[0]['asset_id']}", headers=h).json()
        assert asset["ref"] == "ACO-88383-01" and asset["geometry"]["type"] == "Point"


def test_only_the_loggers_of_the_leaking_sectors_hear_the_demo_leaks(inventory, year_of):
    """Simulated loggers: quiet everywhere, alarms while a demo leak runs in their sector
    only (the one still open, the one repaired in the spring); pressure points have a
    plausible service pressure."""
    from beffroi.domains.water.demo.simulator import (
        INJECTED_LEAK,
        REPAIRED_LEAK,
        leak_onset_s,
        repaired_leak_s,
        simulate,
    )

    def sector_of(inlet: str) -> str:
        return "SEC-" + inlet.removeprefix("CPT-").replace("-S", "-")

    t = year_of(86_400)
    [(inlet, _)] = INJECTED_LEAK.items()
    [(spring, _)] = REPAIRED_LEAK.items()
    running = {sector_of(inlet): (leak_onset_s(inlet, t), t[-1] + 1),
               sector_of(spring): repaired_leak_s(spring, t[-1])}
    heard = []
    for logger in (a for items in inventory.values() for a in items
                   if a.kind == "water.acoustic_logger"):
        assert set(logger.metrics) == {"water.leak_alarm", "water.leak_noise"}
        alarm = simulate(logger, "water.leak_alarm", t, np.random.default_rng(0))
        noise = simulate(logger, "water.leak_noise", t, np.random.default_rng(1))
        assert ((alarm > 0) == (noise >= 32)).all()  # the alarm says what the noise says
        onset, end = running.get(logger.parent_ref, (np.inf, np.inf))
        assert not alarm[(t < onset) | (t >= end)].any()
        if alarm[(t >= onset + 86_400) & (t < end)].all() and np.isfinite(onset):
            heard.append(logger.parent_ref)
    assert set(heard) == set(running)
    pressure_point = next(a for items in inventory.values() for a in items
                          if a.kind == "water.pressure_point")
    bar = simulate(pressure_point, "water.pressure", year_of(3600), np.random.default_rng(0))
    assert 3.0 < bar.min() and bar.max() < 6.0
