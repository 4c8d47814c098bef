"""GET /tenants/{t}/assets/status: the colour of each asset on the map."""

from __future__ import annotations

import pytest
from sqlalchemy import update

from beffroi.core import assets, devices, streams, tenants, users
from beffroi.core.access import CLI, open_scope
from beffroi.core.alerting import alerts, rules
from beffroi.core.clock import now_ms
from beffroi.storage import schema
from suite_accounts import bearer

PASSWORD = "password-123"


@pytest.fixture
def territory(db, registry, client, operator):
    """Two communes; one asset per case, named after the status it must get."""
    now = now_ms()
    with db.write() as conn:
        t = tenants.create_tenant(db, conn, CLI, name="Territoire", registry=registry)
        scope = open_scope(db, conn, CLI, t["id"])
        for insee, name in (("88383", "Remiremont"), ("88413", "Saint-Étienne")):
            tenants.create_commune(scope, conn, {"insee": insee, "name": name})

        def asset(ref, commune):
            return assets.create_asset(scope, conn, registry, {
                "ref": ref, "kind": "generic.site", "name": ref, "commune": commune,
                "geometry": {"type": "Point", "coordinates": [6.6, 48.0]}}).id

        def device(asset_id, interval=None, last_seen=None):
            row = devices.create_device(scope, conn, {"name": f"capteur {asset_id}",
                                                      "asset_id": asset_id,
                                                      "expected_interval_s": interval})
            conn.execute(update(schema.devices).where(schema.devices.c.id == row.id)
                         .values(last_seen=last_seen))

        def stream(asset_id, last_t=None):
            row = streams.create_stream(scope, conn, registry, {"asset_id": asset_id,
                                                                "metric": "generic.value"})
            conn.execute(update(schema.streams).where(schema.streams.c.id == row.id)
                         .values(last_t=last_t, last_value=None if last_t is None else 1.0))
            return row.id

        def alert(asset_id, stream_id, status):
            rule = rules.create_rule(scope, conn, registry, {
                "name": f"règle {asset_id}", "kind": "threshold", "stream_id": stream_id,
                "params": {"operator": "above", "value": 100}})
            row = alerts.raise_alert(db, conn, registry, t["id"], alerts.Trigger(
                key=alerts.rule_key(rule.id, asset_id), severity="warning", title="Alerte",
                at=now - 60_000, asset_id=asset_id, stream_id=stream_id, rule_id=rule.id))
            conn.execute(update(schema.alerts).where(schema.alerts.c.id == row.id)
                         .values(status=status))

        ids = {}
        # open alert, and a silent device too: the alert wins
        ids["alert_open"] = asset("ALERT-OPEN", "88383")
        alert(ids["alert_open"], stream(ids["alert_open"], now), "open")
        device(ids["alert_open"], 600, now - 86_400_000)
        ids["alert_ack"] = asset("ALERT-ACK", "88413")
        alert(ids["alert_ack"], stream(ids["alert_ack"]), "acknowledged")
        # a resolved alert no longer counts: its stream has data, so ok
        ids["resolved"] = asset("RESOLVED", "88383")
        alert(ids["resolved"], stream(ids["resolved"], now), "resolved")
        # nothing for more than 3 expected intervals, or never heard of
        ids["silent"] = asset("SILENT", "88383")
        device(ids["silent"], 600, now - 3 * 600_000 - 60_000)
        stream(ids["silent"], now)
        ids["silent_never"] = asset("SILENT-NEVER", "88413")
        device(ids["silent_never"], 3600, None)
        # heard within its intervals; a device without an expected interval; data only
        ids["ok_device"] = asset("OK-DEVICE", "88413")
        device(ids["ok_device"], 600, now - 1_000_000)
        ids["ok_no_interval"] = asset("OK-NO-INTERVAL", "88383")
        device(ids["ok_no_interval"])
        ids["ok_stream"] = asset("OK-STREAM", "88413")
        stream(ids["ok_stream"], now - 86_400_000 * 30)
        # a stream that never received anything, or nothing at all: unknown
        ids["unknown_stream"] = asset("UNKNOWN-STREAM", "88383")
        stream(ids["unknown_stream"])
        ids["unknown"] = asset("UNKNOWN", "88413")
        for email, communes in (("agent@x.fr", None), ("st-etienne@x.fr", ["88413"])):
            users.add_member(scope, conn, {"email": email, "role": "viewer",
                                           "password": PASSWORD, "communes": communes})
    return {"tenant": t["id"], "ids": ids}


EXPECTED = {"alert_open": "alert", "alert_ack": "alert", "resolved": "ok", "silent": "silent",
            "silent_never": "silent", "ok_device": "ok", "ok_no_interval": "ok",
            "ok_stream": "ok"}


def test_status_of_each_case(client, territory):
    ids = territory["ids"]
    response = client.get(f"/api/v1/tenants/{territory['tenant']}/assets/status",
                          headers=bearer(client, "agent@x.fr", PASSWORD))
    assert response.status_code == 200, response.text
    assert response.json() == {str(ids[name]): status for name, status in EXPECTED.items()}


def test_a_member_restricted_to_a_commune_sees_only_its_assets(client, territory):
    ids = territory["ids"]
    response = client.get(f"/api/v1/tenants/{territory['tenant']}/assets/status",
                          headers=bearer(client, "st-etienne@x.fr", PASSWORD))
    assert response.status_code == 200, response.text
    assert response.json() == {str(ids[name]): EXPECTED[name]
                               for name in ("alert_ack", "silent_never", "ok_device",
                                            "ok_stream")}


def test_status_needs_a_session_and_the_map_config_has_no_basemap_by_default(
        client, territory, monkeypatch):
    assert client.get(f"/api/v1/tenants/{territory['tenant']}/assets/status").status_code in (
        401, 404)
    monkeypatch.delenv("BEFFROI_TILE_URL", raising=False)
    assert client.get("/api/v1/map/config").json() == {"tile_url": None, "tile_attribution": ""}
    monkeypatch.setenv("BEFFROI_TILE_URL", "https://tiles.example.fr/{z}/{x}/{y}.png")
    monkeypatch.setenv("BEFFROI_TILE_ATTRIBUTION", "© contributeurs OpenStreetMap")
    assert client.get("/api/v1/map/config").json() == {
        "tile_url": "https://tiles.example.fr/{z}/{x}/{y}.png",
        "tile_attribution": "© contributeurs OpenStreetMap"}


def test_assets_needing_attention_for_the_home_map(client, territory):
    """In alert first, then silent; `silent` also for the asset in alert whose device is
    silent; with each one's geometry; a member restricted to a commune gets its own."""
    ids = territory["ids"]
    url = f"/api/v1/tenants/{territory['tenant']}/assets/attention"
    response = client.get(url, headers=bearer(client, "agent@x.fr", PASSWORD))
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/geo+json"
    doc = response.json()
    alerting = sorted(ids[n] for n in ("alert_open", "alert_ack"))
    silent = sorted(ids[n] for n in ("silent", "silent_never"))
    assert [f["id"] for f in doc["features"]] == alerting + silent
    assert doc["numberMatched"] == doc["numberReturned"] == 4
    by_id = {f["id"]: f for f in doc["features"]}
    assert by_id[ids["alert_open"]]["properties"] == {
        "ref": "ALERT-OPEN", "kind": "generic.site", "domain": "generic", "name": "ALERT-OPEN",
        "commune": "88383", "status": "alert", "silent": True}
    assert by_id[ids["alert_ack"]]["properties"]["silent"] is False
    assert {by_id[i]["properties"]["status"] for i in silent} == {"silent"}
    assert by_id[ids["silent"]]["geometry"] == {"type": "Point", "coordinates": [6.6, 48.0]}
    restricted = client.get(url, headers=bearer(client, "st-etienne@x.fr", PASSWORD)).json()
    assert [f["id"] for f in restricted["features"]] == [ids["alert_ack"], ids["silent_never"]]
    assert client.get(url).status_code in (401, 404)
