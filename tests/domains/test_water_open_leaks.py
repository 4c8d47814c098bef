"""Several leaks open on one sector at once: the dashboard's and the sector panel's count of
open leaks, total extra flow and water lost per sector, from the leak alerts (one per
leak), leaving out resolved ones and other detectors' alerts."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from suite_apps import fresh_app

from beffroi.core import assets, tenants, users
from beffroi.core.access import CLI, open_scope
from beffroi.core.alerting import alerts
from beffroi.core.clock import format_instant, now_ms
from beffroi.core.registry import load_registry
from beffroi.domains.water.detectors import DETECTOR_KEY
from beffroi.domains.water.open_leaks import open_leaks, sector_totals, territory_open_leaks
from suite_accounts import bearer

DAY_MS = 86_400_000
PASSWORD = "password-123"
# Three leaks on sector A (the last one acknowledged), one on B; C has none.
LEAKS = {"A": [(2.4, 410, 30), (0.85, 36, 4), (1.3, 95, 12)], "B": [(0.6, 50, 9)]}
PRICE = 2.1


def _square(x: float) -> dict:
    return {"type": "Polygon", "coordinates": [[[x, 48.0], [x + 0.01, 48.0], [x + 0.01, 48.01],
                                                [x, 48.01], [x, 48.0]]]}


def _trigger(sector_id: int, subject: str, extra: float, lost: int, days: int, now: int,
             detector: str = DETECTOR_KEY) -> alerts.Trigger:
    onset = now - days * DAY_MS
    return alerts.Trigger(
        key=alerts.detector_key(detector, sector_id, subject), severity="warning",
        title=f"Fuite probable — +{extra} m³/h", at=onset + 2 * DAY_MS, asset_id=sector_id,
        detector=detector, details={
            "extra_flow_m3h": extra, "lost_m3": lost, "lost_eur": round(lost * PRICE),
            "onset": format_instant(onset), "detected": format_instant(onset + 2 * DAY_MS),
            "days_since_onset": float(days), "price_eur_m3": PRICE})


@pytest.fixture
def leaking(db):
    registry = load_registry(["generic", "water"])
    now = now_ms()
    with db.write() as conn:
        tenant = tenants.create_tenant(db, conn, CLI, name="Syndicat des eaux",
                                       registry=registry)
        t = tenant["id"]
        scope = open_scope(db, conn, CLI, t)
        for insee, name in (("88383", "Remiremont"), ("88413", "Saint-Étienne")):
            tenants.create_commune(scope, conn, {"insee": insee, "name": name})
        ids = {}
        for key, x, insee in (("A", 6.6, "88383"), ("B", 6.7, "88413"), ("C", 6.8, "88383")):
            ids[key] = assets.create_asset(scope, conn, registry, {
                "ref": f"SEC-{key}", "kind": "water.sector", "name": f"Secteur {key}",
                "commune": insee, "geometry": _square(x)}).id
        for key, leaks in LEAKS.items():
            for i, (extra, lost, days) in enumerate(leaks):
                alerts.raise_alert(db, conn, registry, t,
                                   _trigger(ids[key], f"leak-{i}", extra, lost, days, now))
        alert_a = alerts.list_alerts(scope, conn, asset_id=ids["A"])
        alerts.acknowledge_alert(scope, conn, alert_a[0].id, {"comment": "Recherche en cours"})
        # Left out: a repaired leak of A, and another detector's alert on A.
        alerts.raise_alert(db, conn, registry, t, _trigger(ids["A"], "old", 9.0, 999, 60, now))
        alerts.clear_alert(db, conn, t, alerts.detector_key(DETECTOR_KEY, ids["A"], "old"), now)
        alerts.raise_alert(db, conn, registry, t, _trigger(ids["A"], "", 5.0, 500, 3, now,
                                                            detector="water.other"))
        users.add_member(scope, conn, {"email": "elu@eau.fr", "role": "viewer",
                                       "password": PASSWORD})
        users.add_member(scope, conn, {"email": "st-etienne@eau.fr", "role": "agent",
                                       "communes": ["88413"], "password": PASSWORD})
    with TestClient(fresh_app(db, registry)) as client:
        yield {"db": db, "client": client, "tenant": t, **ids,
               "base": f"/api/v1/tenants/{t}/water/sectors",
               "viewer": bearer(client, "elu@eau.fr", PASSWORD),
               "restricted": bearer(client, "st-etienne@eau.fr", PASSWORD)}


def test_each_sector_counts_its_open_leaks_and_sums_them(leaking):
    db = leaking["db"]
    with db.read() as conn:
        groups = open_leaks(open_scope(db, conn, CLI, leaking["tenant"]), conn)
    assert set(groups) == {leaking["A"], leaking["B"]}
    for key in ("A", "B"):
        group, expected = groups[leaking[key]], LEAKS[key]
        assert group["count"] == len(expected)
        assert group["extra_flow_m3h"] == pytest.approx(sum(e for e, _, _ in expected))
        assert group["lost_m3"] == pytest.approx(sum(lost for _, lost, _ in expected))
        assert group["lost_eur"] == sum(round(lost * PRICE) for _, lost, _ in expected)
    a = groups[leaking["A"]]
    assert a["extra_flow_m3h"] == 4.55 and a["lost_m3"] == 541  # 2.4 + 0.85 + 1.3; 410 + 36 + 95
    # Listed by estimated onset, oldest first; the acknowledged one is still open.
    assert [k["extra_flow_m3h"] for k in a["leaks"]] == [2.4, 1.3, 0.85]
    assert [k["status"] for k in a["leaks"]] == ["open", "acknowledged", "open"]
    assert all(k["onset"] and k["alert_id"] for k in a["leaks"])


def test_missing_figures_count_as_zero():
    assert sector_totals([{"extra_flow_m3h": None, "lost_m3": "?"}, {"extra_flow_m3h": 1.5}]) \
        == {"count": 2, "extra_flow_m3h": 1.5, "lost_m3": 0.0, "lost_eur": 0.0}


def test_the_routes_give_the_territory_and_one_sector(leaking):
    client, base, viewer = leaking["client"], leaking["base"], leaking["viewer"]
    answer = client.get(f"{base}/open-leaks", headers=viewer)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert [s["ref"] for s in body["sectors"]] == ["SEC-A", "SEC-B"]
    everything = [leak for leaks in LEAKS.values() for leak in leaks]
    assert body["summary"] == {
        "leaks": 4, "sectors": 2,
        "extra_flow_m3h": pytest.approx(sum(e for e, _, _ in everything)),
        "lost_m3": sum(lost for _, lost, _ in everything),
        "lost_eur": sum(round(lost * PRICE) for _, lost, _ in everything)}
    one = client.get(f"{base}/{leaking['A']}/open-leaks", headers=viewer).json()
    assert one["count"] == 3 and one["ref"] == "SEC-A" and len(one["leaks"]) == 3
    none = client.get(f"{base}/{leaking['C']}/open-leaks", headers=viewer).json()
    assert none["count"] == 0 and none["leaks"] == [] and none["extra_flow_m3h"] == 0
    assert client.get(f"{base}/999999/open-leaks", headers=viewer).status_code == 404
    assert client.get(f"{base}/open-leaks").status_code == 401

    # An agent limited to one commune sees the leaks of its sectors only.
    mine = client.get(f"{base}/open-leaks", headers=leaking["restricted"]).json()
    assert [s["ref"] for s in mine["sectors"]] == ["SEC-B"] and mine["summary"]["leaks"] == 1


def test_the_territory_function_agrees_with_the_route(leaking):
    db = leaking["db"]
    with db.read() as conn:
        body = territory_open_leaks(open_scope(db, conn, CLI, leaking["tenant"]), conn)
    assert body["summary"]["leaks"] == sum(s["count"] for s in body["sectors"]) == 4
