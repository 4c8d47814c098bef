"""Emergency lighting and programme pushes through the core command pipeline: requested,
sent over MQTT, acknowledged by the controller; the override ends on time by itself."""

from __future__ import annotations

import orjson
import pytest
from fastapi.testclient import TestClient
from suite_apps import fresh_app

from beffroi.connectivity.downlinks import dispatch_due, handle_mqtt_ack
from beffroi.core import assets, devices, tenants, users
from beffroi.core.access import CLI, open_scope
from beffroi.core.clock import now_ms, parse_instant
from beffroi.core.registry import load_registry
from beffroi.domains.lighting.commands import encode_programme

HOUR = 3_600_000


@pytest.fixture
def lit(db):
    registry = load_registry(["generic", "lighting"])
    with db.write() as conn:
        t = tenants.create_tenant(db, conn, CLI, name="CC", registry=registry)
        scope = open_scope(db, conn, CLI, t["id"])
        tenants.create_commune(scope, conn, {"insee": "88383", "name": "Remiremont"})
        cabinets, controllers = [], []
        for i in range(2):
            cabinet = assets.create_asset(scope, conn, registry, {
                "ref": f"ARM-{i}", "kind": "lighting.cabinet", "name": f"Armoire {i}",
                "commune": "88383", "geometry": {"type": "Point", "coordinates": [6.59, 48.01]}})
            controllers.append(devices.create_device(scope, conn, {
                "name": f"Contrôleur {i}", "asset_id": cabinet.id}, registry).id)
            cabinets.append(cabinet.id)
        users.add_member(scope, conn, {"email": "astreinte@cc.fr", "role": "agent",
                                       "password": "password-123"})
    app = fresh_app(db, registry)
    with TestClient(app) as client:
        token = client.post("/api/v1/auth/token", json={"email": "astreinte@cc.fr",
                                                         "password": "password-123"}).json()
        yield {"db": db, "registry": registry, "client": client, "tenant": t["id"],
               "cabinets": cabinets, "controllers": controllers,
               "h": {"Authorization": f"Bearer {token['access_token']}"}}


def acknowledge_all(world, published, now):
    for topic, payload in published:
        device = int(topic.split("/")[3])
        handle_mqtt_ack(world["db"], world["tenant"], device, orjson.dumps(
            {"command_id": orjson.loads(payload)["command_id"], "status": "ok"}), now)
    published.clear()


def test_emergency_lighting_for_a_commune_ends_on_time(lit):
    client, h, base = lit["client"], lit["h"], f"/api/v1/tenants/{lit['tenant']}"
    answer = client.post(f"{base}/lighting/emergency", headers=h, json={
        "commune": "88383", "hours": 2, "reason": "Accident RD 57, demande des pompiers"})
    assert answer.status_code == 201, answer.text
    until = parse_instant(answer.json()["until"])
    assert [c["ref"] for c in answer.json()["cabinets"]] == ["ARM-0", "ARM-1"]
    published: list = []
    start = now_ms()
    db, registry = lit["db"], lit["registry"]
    sent = dispatch_due(db, registry, start, mqtt_publish=lambda t, p: published.append((t, p)))
    assert sorted(c["action"] for c in sent) == ["lighting.force_on"] * 2
    assert orjson.loads(published[0][1])["params"] == {"hours": 2}
    acknowledge_all(lit, published, start + 1_000)
    status = client.get(f"{base}/lighting/cabinets/{lit['cabinets'][0]}/override",
                        headers=h).json()
    assert status["active"] is True and parse_instant(status["until"]) == pytest.approx(
        until, abs=2_000)
    # Nothing more until the end; then the resume goes out by itself.
    assert dispatch_due(db, registry, until - 60_000, mqtt_publish=published.append) == []
    resumed = dispatch_due(db, registry, until + 1_000,
                           mqtt_publish=lambda t, p: published.append((t, p)))
    assert sorted(c["action"] for c in resumed) == ["lighting.resume_programme"] * 2
    acknowledge_all(lit, published, until + 2_000)
    audit = client.get(f"{base}/audit", headers=h, params={"entity": "lighting"})
    assert audit.status_code == 403  # an agent does not read the audit log…
    with db.read() as conn:  # …but the request is in it, with who asked and why
        from beffroi.core.audit import list_audit

        entries = list_audit(open_scope(db, conn, CLI, lit["tenant"]), conn, entity="lighting")
    assert entries[0]["action"] == "emergency_on"
    assert entries[0]["details"]["reason"] == "Accident RD 57, demande des pompiers"
    assert entries[0]["user_email"] == "astreinte@cc.fr"


def test_override_status_follows_the_clock(lit):
    from beffroi.domains.lighting.emergency import override_status

    client, h, base = lit["client"], lit["h"], f"/api/v1/tenants/{lit['tenant']}"
    client.post(f"{base}/lighting/emergency", headers=h,
                json={"cabinets": [lit["cabinets"][1]], "hours": 1})
    published: list = []
    start = now_ms()
    dispatch_due(lit["db"], lit["registry"], start,
                 mqtt_publish=lambda t, p: published.append((t, p)))
    acknowledge_all(lit, published, start)
    db = lit["db"]
    with db.read() as conn:
        scope = open_scope(db, conn, CLI, lit["tenant"])
        assert override_status(scope, conn, lit["cabinets"][1], start + HOUR - 5_000)["active"]
        assert not override_status(scope, conn, lit["cabinets"][1], start + HOUR + 5_000)[
            "active"]
        assert not override_status(scope, conn, lit["cabinets"][0], start)["active"]


def test_bad_emergency_requests(lit):
    client, h, base = lit["client"], lit["h"], f"/api/v1/tenants/{lit['tenant']}"
    for body, fields in [
        ({"hours": 2}, {"cabinets"}),
        ({"commune": "88383", "cabinets": [1], "hours": 2}, {"cabinets"}),
        ({"cabinets": [999999], "hours": 24}, {"cabinets", "hours"}),
        ({"commune": "51237", "hours": 1, "sirene": True}, {"commune", "sirene"}),
    ]:
        answer = client.post(f"{base}/lighting/emergency", headers=h, json=body)
        assert answer.status_code == 422
        assert {e["field"] for e in answer.json()["errors"]} == fields, body


def test_a_dimming_programme_is_pushed_and_acknowledged(lit):
    client, h, base = lit["client"], lit["h"], f"/api/v1/tenants/{lit['tenant']}"
    command = client.post(f"{base}/commands", headers=h, json={
        "asset_id": lit["cabinets"][0], "action": "lighting.set_programme",
        "params": {"programme": "dim_50_22_6"}})
    assert command.status_code == 201, command.text
    published: list = []
    dispatch_due(lit["db"], lit["registry"], now_ms(),
                 mqtt_publish=lambda t, p: published.append((t, p)))
    acknowledge_all(lit, published, now_ms())
    done = client.get(f"{base}/commands/{command.json()['id']}", headers=h).json()
    assert done["status"] == "acknowledged"
    # LoRaWAN controllers get the steps as bytes: sunset 100, 22:00 50, 06:00 100, sunrise 0.
    assert encode_programme({"programme": "dim_50_22_6"}) == (10, bytes.fromhex(
        "05" "01800064" "00052832" "00016864" "02800000"))


def test_emergency_lighting_of_a_zone_reaches_the_cabinets_feeding_it(lit):
    """A zone (lit area or trame-noire corridor) lights the cabinets whose luminaires
    stand inside it, and only those."""
    db, registry = lit["db"], lit["registry"]
    with db.write() as conn:
        scope = open_scope(db, conn, CLI, lit["tenant"])
        for i, (x, y) in enumerate([(6.5905, 48.0105), (6.6205, 48.0305)]):
            assets.create_asset(scope, conn, registry, {
                "ref": f"LUM-{i}", "kind": "lighting.luminaire", "name": f"Point {i}",
                "commune": "88383", "parent_id": lit["cabinets"][i],
                "geometry": {"type": "Point", "coordinates": [x, y]}})
        square = [[6.589, 48.009], [6.592, 48.009], [6.592, 48.012], [6.589, 48.012],
                  [6.589, 48.009]]
        zone = assets.create_asset(scope, conn, registry, {
            "ref": "ZE-1", "kind": "lighting.lit_area", "name": "Place de l'église",
            "commune": "88383", "geometry": {"type": "Polygon", "coordinates": [square]}}).id
    client, h, base = lit["client"], lit["h"], f"/api/v1/tenants/{lit['tenant']}"
    answer = client.post(f"{base}/lighting/emergency", headers=h,
                         json={"zone": zone, "hours": 3, "reason": "Recherche de personne"})
    assert answer.status_code == 201, answer.text
    assert [c["ref"] for c in answer.json()["cabinets"]] == ["ARM-0"]
    for body in ({"zone": lit["cabinets"][0], "hours": 1},  # a cabinet is not a zone
                 {"zone": zone, "commune": "88383", "hours": 1}):
        bad = client.post(f"{base}/lighting/emergency", headers=h, json=body)
        assert bad.status_code == 422
        assert {e["field"] for e in bad.json()["errors"]} <= {"zone", "cabinets"}
