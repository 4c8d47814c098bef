"""Issue #17: the river stations at a glance (GET …/risks/stations) — grouped by river, the
most alarming river first, upstream (smaller mean flow) first along a river, each with its
last level, the vigilance colour it reaches, the next threshold and its trend over three
hours; a commune narrows it, an unknown one is refused in French, another territory is
unreachable. The clock is pinned; the levels are written here."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from suite_apps import fresh_app

from beffroi.core import assets, streams, tenants, users
from beffroi.core.access import CLI, open_scope
from beffroi.core.clock import PARIS
from beffroi.core.observations import store_rows
from beffroi.core.registry import load_registry
from suite_accounts import bearer

HOUR_MS = 3_600_000
NOW = datetime(2026, 1, 18, 9, 30, tzinfo=UTC)
NOW_MS = int(NOW.timestamp() * 1000)
R, V = "88383", "88498"
LIMITS = {"level_yellow_m": 2.0, "level_orange_m": 2.6, "level_red_m": 3.2}
# name -> commune, river, mean flow, levels 3 h before and now (None: silent)
GAUGES = {
    "Moselle à Remiremont": (R, "Moselle", 20.0, (2.10, 2.70)),  # orange, rising 0.2 m/h
    "Moselle à Vecoux": (V, "Moselle", 12.0, (2.30, 2.28)),  # upstream; yellow, stable
    "Combeauté": (R, "Combeauté", 2.5, (1.50, 1.20)),  # falling 0.1 m/h, under yellow
    "Ruisseau muet": (V, "Ruisseau", 1.0, None),
}


@pytest.fixture(scope="module")
def registry():
    return load_registry(["generic", "risks"])


@pytest.fixture
def world(db, registry, monkeypatch):
    monkeypatch.setattr("beffroi.domains.risks.river_overview_routes.now_ms", lambda: NOW_MS)
    with db.write() as conn:
        t = tenants.create_tenant(db, conn, CLI, name="CC", registry=registry)
        other = tenants.create_tenant(db, conn, CLI, name="Autre", registry=registry)
        scope = open_scope(db, conn, CLI, t["id"])
        for insee in (R, V):
            tenants.create_commune(scope, conn, {"insee": insee, "name": f"Commune {insee}"})
        rows = []
        for i, (name, (insee, river, flow, levels)) in enumerate(GAUGES.items()):
            gauge = assets.create_asset(scope, conn, registry, {
                "ref": f"HYD-{i}", "kind": "risks.gauge", "name": name, "commune": insee,
                "geometry": {"type": "Point", "coordinates": [6.6, 48.0]},
                "properties": {"river": river, "mean_flow_m3s": flow, **LIMITS}})
            sid = streams.create_stream(scope, conn, registry, {
                "asset_id": gauge.id, "metric": "hydro.level"}).id
            if levels is not None:
                rows += [(t["id"], sid, NOW_MS - 3 * HOUR_MS - 600_000, levels[0], 0),
                         (t["id"], sid, NOW_MS - 600_000, levels[1], 0)]
            else:
                rows.append((t["id"], sid, NOW_MS - 8 * HOUR_MS, 5.0, 0))  # too old
        store_rows(scope, conn, rows, PARIS)
        users.add_member(scope, conn, {"email": "agent@cc.fr", "role": "agent",
                                       "password": "password-123"})
        users.add_member(open_scope(db, conn, CLI, other["id"]), conn, {
            "email": "admin@autre.fr", "role": "tenant_admin", "password": "password-123"})
    client = TestClient(fresh_app(db, registry))
    return {"tenant": t["id"], "client": client,
            "agent": bearer(client, "agent@cc.fr", "password-123"),
            "stranger": bearer(client, "admin@autre.fr", "password-123")}


def _get(world, who="agent", **params):
    return world["client"].get(f"/api/v1/tenants/{world['tenant']}/risks/stations",
                               headers=world[who], params=params)


def test_rivers_most_alarming_first_and_stations_upstream_first(world):
    body = _get(world).json()
    assert [r["river"] for r in body["rivers"]] == ["Moselle", "Combeauté", "Ruisseau"]
    assert [r["vigilance"] for r in body["rivers"]] == ["orange", None, None]
    moselle = body["rivers"][0]["stations"]
    assert [s["name"] for s in moselle] == ["Moselle à Vecoux", "Moselle à Remiremont"]
    vecoux, remiremont = moselle
    assert remiremont["level_m"] == 2.7 and remiremont["vigilance"] == "orange"
    assert remiremont["next_threshold"] == {"vigilance": "rouge", "level_m": 3.2}
    assert remiremont["trend_m_per_h"] == pytest.approx((2.7 - 2.1) / 3, abs=1e-3)
    assert remiremont["trend"] == "en hausse"
    assert vecoux["vigilance"] == "jaune" and vecoux["trend"] == "stable"
    combeaute = body["rivers"][1]["stations"][0]
    assert combeaute["vigilance"] is None and combeaute["trend"] == "en baisse"
    assert combeaute["thresholds"] == {"jaune": 2.0, "orange": 2.6, "rouge": 3.2}
    silent = body["rivers"][2]["stations"][0]
    assert silent["level_m"] is None and silent["trend"] is None and body["silent"] == 1


def test_a_commune_narrows_and_bad_requests_are_refused(world):
    body = _get(world, commune=V).json()
    assert [s["name"] for r in body["rivers"] for s in r["stations"]] == [
        "Moselle à Vecoux", "Ruisseau muet"]
    refused = _get(world, commune="99999")
    assert refused.status_code == 422
    assert refused.json()["errors"] == [{"field": "commune", "message":
                                         "code INSEE « 99999 » inconnu dans votre périmètre"}]
    assert _get(world, who="stranger").status_code == 404
    assert world["client"].get(
        f"/api/v1/tenants/{world['tenant']}/risks/stations").status_code == 401
