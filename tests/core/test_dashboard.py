"""The home dashboard's cards: what core counts for every domain, and domain KPIs."""

from __future__ import annotations

from beffroi.core import assets, devices, tenants
from beffroi.core.access import CLI, open_scope
from beffroi.core.alerting import alerts
from beffroi.core.clock import now_ms
from beffroi.core.dashboard import Kpi, dashboard
from beffroi.core.registry import Domain, build_registry, discover_domains

POINT = {"type": "Point", "coordinates": [6.6, 48.0]}


def test_cards_count_assets_alerts_silent_devices_and_kpis(db):
    def broken(ctx):
        raise ZeroDivisionError

    reg = build_registry(discover_domains(["generic"]) + [Domain(
        key="testing", label="Essais", kpis=(
            Kpi("testing.sites", "Sites suivis", "1",
                lambda ctx: float(len(ctx.registry.domains))),
            Kpi("testing.broken", "Indicateur en panne", "%", broken)))])
    with db.write() as conn:
        t = tenants.create_tenant(db, conn, CLI, name="CC", registry=reg)
        scope = open_scope(db, conn, CLI, t["id"])
        tenants.create_commune(scope, conn, {"insee": "88383", "name": "Remiremont"})
        ids = [assets.create_asset(scope, conn, reg, {
            "ref": f"S{i}", "kind": "generic.site", "name": f"Site {i}", "commune": "88383",
            "geometry": POINT}).id for i in range(3)]
        devices.create_device(scope, conn, {"name": "muet", "asset_id": ids[0],
                                            "expected_interval_s": 600}, reg)
        devices.create_device(scope, conn, {"name": "sans rythme", "asset_id": ids[1]}, reg)
        for i, severity in enumerate(("critical", "critical", "warning")):
            alerts.raise_alert(db, conn, reg, t["id"], alerts.Trigger(
                key=f"k{i}", severity=severity, title="A", at=now_ms(), asset_id=ids[i]))
        alerts.clear_alert(db, conn, t["id"], "k1", now_ms())
        cards = dashboard(scope, conn, reg)
    generic, testing = cards
    assert (generic["domain"], generic["assets"], generic["silent_devices"]) == ("generic", 3, 1)
    assert generic["alerts"] == {"info": 0, "warning": 1, "critical": 1}
    assert generic["kinds"] == [{"kind": "generic.site", "label": "Site", "count": 3}]
    assert testing["assets"] == 0 and testing["kpis"] == [
        {"key": "testing.sites", "label": "Sites suivis", "unit": "1", "value": 3.0},
        {"key": "testing.broken", "label": "Indicateur en panne", "unit": "%", "value": None}]
