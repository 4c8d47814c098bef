"""Tenant isolation, proven on every route of the API.

The test enumerates the application's routes (so a new route is covered
automatically) and calls each one as a member of tenant A aiming at tenant B,
then as a viewer. B's rows must be byte-for-byte unchanged, no response may
carry B's data, and a viewer's writes must all be refused.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from beffroi.connectivity import integrations
from beffroi.core import assets, devices, invitations, streams, tenants, users
from beffroi.core.access import CLI, load_principal, open_scope
from beffroi.core.alerting import alerts, rules
from beffroi.notifications import subscriptions, webhooks
from beffroi.storage import schema
from suite_accounts import bearer

SECRET = "SECRET-DE-B"


@pytest.fixture
def registry():
    """Every installed domain: their routes are enumerated with core's."""
    from beffroi.core.registry import load_registry

    return load_registry()
UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
# POST routes that only compute from a body (previews): open to readers, they change nothing.
READ_ONLY_POSTS = {"/api/v1/tenants/{tenant}/lighting/cabinets/{asset_id}/programme/preview",
                   "/api/v1/tenants/{tenant}/lighting/renovation/simulate"}
# Writes of a person's own state, open to every member (a viewer records when they last saw
# the home page); their isolation is tested in test_home_visits.py.
PERSONAL_WRITES = {"/api/v1/me/visits/{tenant}"}


def _tenant(db, registry, name, insee):
    with db.write() as conn:
        t = tenants.create_tenant(db, conn, CLI, name=name, registry=registry)
        scope = open_scope(db, conn, CLI, t["id"])
        tenants.create_commune(scope, conn, {"insee": insee, "name": f"{name} commune"})
        asset = assets.create_asset(scope, conn, registry, {
            "ref": f"REF-{insee}", "kind": "generic.site", "name": f"{name} site",
            "commune": insee, "geometry": {"type": "Point", "coordinates": [6.5, 48.0]}})
        stream = streams.create_stream(scope, conn, registry,
                                       {"asset_id": asset.id, "metric": "generic.value"})
        device = devices.create_device(scope, conn, {"name": f"{name} capteur",
                                                     "asset_id": asset.id})
        integration, secret = integrations.create_integration(
            scope, conn, {"kind": "chirpstack", "name": f"{name} ChirpStack"})
        rule = rules.create_rule(scope, conn, registry, {
            "name": f"{name} règle", "kind": "threshold", "stream_id": stream.id,
            "params": {"operator": "above", "value": 100}})
        alert = alerts.raise_alert(db, conn, registry, t["id"], alerts.Trigger(
            key=alerts.rule_key(rule.id, asset.id), severity="warning", title=f"{name} alerte",
            at=1_790_000_000_000, asset_id=asset.id, stream_id=stream.id, rule_id=rule.id))
    return {"tenant": t["id"], "insee": insee, "asset_id": asset.id, "stream_id": stream.id,
            "device_id": device.id, "ref": f"REF-{insee}", "integration_id": integration.id,
            "integration_secret": secret, "rule_id": rule.id, "alert_id": alert.id}


@pytest.fixture
def world(db, registry, client, operator):
    a = _tenant(db, registry, "Territoire A", "88383")
    b = _tenant(db, registry, SECRET, "51237")
    with db.write() as conn:
        for tenant, email, role in ((a, "admin-a@x.fr", "tenant_admin"),
                                    (a, "viewer-a@x.fr", "viewer"),
                                    (b, "admin-b@x.fr", "tenant_admin")):
            scope = open_scope(db, conn, CLI, tenant["tenant"])
            member = users.add_member(scope, conn, {"email": email, "role": role,
                                                    "password": "password-123"})
            tenant[role + "_user"] = member["id"]
    client.post(f"/api/v1/tenants/{b['tenant']}/observations",
                headers=bearer(client, "admin-b@x.fr", "password-123"),
                json=[{"stream_id": b["stream_id"], "time": "2026-01-01T00:00:00Z", "value": 7}])
    b["user_id"] = b["tenant_admin_user"]
    a["user_id"] = a["tenant_admin_user"]
    with db.write() as conn:
        for name, tenant in (("a", a), ("b", b)):
            admin = open_scope(db, conn, load_principal(conn, tenant["user_id"]),
                               tenant["tenant"])
            tenant["invitation_id"] = invitations.invite_member(admin, conn, {
                "email": f"invite-{name}@x.fr", "role": "viewer"})[0]["id"]
            tenant["subscription_id"] = subscriptions.create_subscription(
                admin, conn, registry, {}).id
            tenant["webhook_id"] = webhooks.create_webhook(
                admin, conn, registry, {"url": "https://h.example.fr/x"})[0].id
    return {"a": a, "b": b,
            "admin_a": bearer(client, "admin-a@x.fr", "password-123"),
            "viewer_a": bearer(client, "viewer-a@x.fr", "password-123")}


def sample_body(method: str, path: str, t: dict):
    """A valid body for each writing route, aimed at the objects of ``t``."""
    point = {"type": "Point", "coordinates": [6.6, 48.1]}
    bodies = {
        ("POST", "/api/v1/tenants"): {"name": "Nouveau"},
        ("PATCH", "/api/v1/tenants/{tenant}"): {"settings": {"raw_retention_days": 10}},
        ("POST", "/api/v1/tenants/{tenant}/communes"): {"insee": "99999", "name": "Nouvelle"},
        ("POST", "/api/v1/tenants/{tenant}/communes/boundaries"): {
            "type": "FeatureCollection", "features": [{"type": "Feature", "properties": {
                "code": t["insee"]}, "geometry": {"type": "Polygon", "coordinates": [
                    [[6, 48], [7, 48], [7, 49], [6, 48]]]}}]},
        ("PATCH", "/api/v1/tenants/{tenant}/communes/{insee}"): {"population": 1},
        ("POST", "/api/v1/tenants/{tenant}/members"): {"email": "new@x.fr", "role": "agent"},
        ("PATCH", "/api/v1/tenants/{tenant}/members/{user_id}"): {"role": "viewer"},
        ("POST", "/api/v1/tenants/{tenant}/members/{user_id}/deactivate"): {},
        ("POST", "/api/v1/tenants/{tenant}/assets"): {
            "ref": "NEW", "kind": "generic.site", "name": "Nouveau", "commune": t["insee"],
            "geometry": point},
        ("POST", "/api/v1/tenants/{tenant}/assets/import"): {
            "type": "FeatureCollection", "features": [{"type": "Feature", "geometry": point,
                                                       "properties": {"ref": t["ref"],
                                                                      "kind": "generic.site",
                                                                      "name": "écrasé"}}]},
        ("PATCH", "/api/v1/tenants/{tenant}/assets/{asset_id}"): {"name": "écrasé"},
        ("POST", "/api/v1/tenants/{tenant}/devices"): {"name": "n", "asset_id": t["asset_id"]},
        ("PATCH", "/api/v1/tenants/{tenant}/devices/{device_id}"): {"name": "écrasé"},
        ("POST", "/api/v1/tenants/{tenant}/streams"): {"asset_id": t["asset_id"],
                                                        "metric": "generic.temperature"},
        ("PATCH", "/api/v1/tenants/{tenant}/streams/{stream_id}"): {"device_id": t["device_id"]},
        ("POST", "/api/v1/tenants/{tenant}/observations"): [
            {"stream_id": t["stream_id"], "time": "2026-01-02T00:00:00Z", "value": 1},
            {"asset": t["ref"], "metric": "generic.value", "time": "2026-01-03T00:00:00Z",
             "value": 2}],
        ("POST", "/api/v1/tenants/{tenant}/observations/import"):
            f"asset_ref,metric,time,value\n{t['ref']},generic.value,2026-01-04T00:00:00Z,4\n",
        ("POST", "/api/v1/tenants/{tenant}/commands"): {"asset_id": t["asset_id"],
                                                         "action": "generic.none"},
        ("POST", "/api/v1/tenants/{tenant}/commands/{command_id}/cancel"): {"reason": "test"},
        ("POST", "/api/v1/tenants/{tenant}/integrations"): {"kind": "tts"},
        ("PATCH", "/api/v1/tenants/{tenant}/integrations/{integration_id}"): {
            "name": "écrasé", "config": {"api_url": "https://ns.example.fr"}},
        ("POST", "/api/v1/tenants/{tenant}/alert-rules"): {
            "name": "Nouvelle", "kind": "threshold", "stream_id": t["stream_id"],
            "params": {"operator": "above", "value": 1}},
        ("PATCH", "/api/v1/tenants/{tenant}/alert-rules/{rule_id}"): {"enabled": False},
        ("POST", "/api/v1/tenants/{tenant}/alerts/{alert_id}/acknowledge"): {"comment": "vu"},
        ("POST", "/api/v1/tenants/{tenant}/alerts/{alert_id}/resolve"): {"comment": "réglé"},
        ("POST", "/api/v1/tenants/{tenant}/alerts/{alert_id}/comments"): {"comment": "note"},
        ("POST", "/api/v1/tenants/{tenant}/alerts/{alert_id}/interventions"): {
            "step": "searching"},
        ("POST", "/api/v1/tenants/{tenant}/subscriptions"): {
            "user_id": t["user_id"], "domains": ["generic"], "communes": [t["insee"]],
            "min_severity": "warning", "digest": False},
        ("PATCH", "/api/v1/tenants/{tenant}/subscriptions/{subscription_id}"): {
            "min_severity": "critical", "digest": True},
        ("POST", "/api/v1/tenants/{tenant}/webhooks"): {
            "name": "Supervision", "url": "https://hooks.example.fr/beffroi",
            "min_severity": "critical", "domains": ["generic"], "enabled": True},
        ("PATCH", "/api/v1/tenants/{tenant}/webhooks/{webhook_id}"): {"enabled": False},
        ("POST", "/api/v1/tenants/{tenant}/webhooks/{webhook_id}/test"): {},
        ("PUT", "/api/v1/tenants/{tenant}/oncall/{week_start}"): {
            "primary_user_id": t["user_id"], "secondary_user_id": None},
        ("POST", "/api/v1/tenants/{tenant}/lighting/cabinets/{asset_id}/programme/preview"): {
            "programme": {"preset": "cut_23_5"}, "days": 1},
        ("POST", "/api/v1/tenants/{tenant}/lighting/emergency"): {
            "cabinets": [t["asset_id"]], "hours": 1},
        ("PUT", "/api/v1/tenants/{tenant}/lighting/cabinets/{asset_id}/programme"): {
            "programme": {"preset": "cut_23_5"}, "push": False},
        ("POST", "/api/v1/tenants/{tenant}/lighting/renovation/simulate"): {
            "luminaires": [t["asset_id"]], "replace_by_led": True},
        ("PUT", "/api/v1/tenants/{tenant}/water/services/{asset_id}/years/{year}"): {
            "produced_m3": 120000, "metered_consumption_m3": 85000},
        ("POST", "/api/v1/tenants/{tenant}/water/sectors/{asset_id}/exceptional-uses"): {
            "start": "2025-06-14", "end": "2025-06-16", "label": "Remplissage de la piscine"},
        ("POST", "/api/v1/tenants/{tenant}/risks/register/persons"): {"last_name": "X"},
        ("PUT", "/api/v1/tenants/{tenant}/risks/register/persons/{person_id}"): {"last_name": "X"},
        ("POST", "/api/v1/tenants/{tenant}/risks/register/persons/within"): point,
        ("POST", "/api/v1/tenants/{tenant}/risks/register/persons/{person_id}/calls"): {
            "state": "called"},
        ("POST", "/api/v1/tenants/{tenant}/risks/register/persons/{person_id}/confirm"): {},
        ("PUT", "/api/v1/tenants/{tenant}/risks/register/referents/{user_id}"): {},
        ("POST", "/api/v1/tenants/{tenant}/risks/stations/{asset_id}/forecasts"):
            "date,tmin_c,tmax_c,temp_c,rh_pct,wind_kmh,rain_mm\n2099-07-01,15,30,,,,\n",
        ("PUT", "/api/v1/tenants/{tenant}/risks/stations/{asset_id}/rise-rule"): {
            "amount_m": 0.15, "window_s": 3600, "severity": "critical"},
        ("POST", "/api/v1/tenants/{tenant}/risks/flood-zones/import"): {
            "type": "FeatureCollection", "features": [{
                "type": "Feature", "properties": {"nom": "Zone"}, "geometry": {
                    "type": "Polygon", "coordinates": [[[6.5, 48.0], [6.6, 48.0], [6.6, 48.1],
                                                        [6.5, 48.0]]]}}]},
        ("PUT", "/api/v1/tenants/{tenant}/risks/alert-templates/{risk}"): {
            "subject": "Crue {level}", "body": "À {commune}"},
        ("PUT", "/api/v1/tenants/{tenant}/risks/alert-channels"): {"emails": ["x@x.fr"]},
        ("POST", "/api/v1/tenants/{tenant}/risks/population-alerts"): {
            "risk": "crue", "level": "jaune", "communes": [t["insee"]], "channels": ["banner"]},
        ("POST", "/api/v1/tenants/{tenant}/risks/population-alerts/preview"): {
            "risk": "crue", "level": "jaune", "communes": [t["insee"]], "channels": ["banner"]},
        ("POST", "/api/v1/tenants/{tenant}/risks/crisis-logs"): {"title": "Crue", "risk": "crue"},
        ("POST", "/api/v1/tenants/{tenant}/risks/crisis-logs/{log_id}/close"): {},
        ("POST", "/api/v1/tenants/{tenant}/risks/crisis-logs/{log_id}/entries"): {
            "kind": "action", "text": "Note"},
        ("POST", "/api/v1/users"): {"email": "x@x.fr", "password": "password-123"},
        ("POST", "/api/v1/me/tokens"): {"name": "script"},
        ("POST", "/api/v1/auth/token"): {"email": "admin-a@x.fr", "password": "password-123"},
        ("POST", "/api/v1/auth/login"): {"email": "admin-a@x.fr", "password": "password-123"},
    }
    return bodies.get((method, path))


def send(client, method: str, url: str, headers: dict, body):
    """A JSON body, or a CSV one (text) with its content type."""
    if isinstance(body, str):
        return client.request(method, url, headers={**headers, "Content-Type": "text/csv"},
                              content=body.encode())
    return client.request(method, url, headers=headers, json=body)


def tenant_routes(app):
    """Every (method, path) the API publishes, from its OpenAPI document."""
    for path, operations in app.openapi()["paths"].items():
        for method in operations:
            yield method.upper(), path


def fill(path: str, tenant_ref, objects: dict) -> str:
    return (path.replace("{tenant}", str(tenant_ref))
            .replace("{asset_id}", str(objects["asset_id"]))
            .replace("{stream_id}", str(objects["stream_id"]))
            .replace("{device_id}", str(objects["device_id"]))
            .replace("{user_id}", str(objects["user_id"]))
            .replace("{insee}", objects["insee"])
            .replace("{integration_id}", str(objects["integration_id"]))
            .replace("{rule_id}", str(objects["rule_id"]))
            .replace("{subscription_id}", str(objects["subscription_id"]))
            .replace("{webhook_id}", str(objects["webhook_id"]))
            .replace("{week_start}", "2026-03-09")
            .replace("{alert_id}", str(objects["alert_id"]))
            .replace("{invitation_id}", str(objects["invitation_id"]))
            .replace("{command_id}", str(objects.get("command_id", 999999)))
            .replace("{token_id}", "999999")
            .replace("{person_id}", "999999")  # the register's: tested in its own tests
            .replace("{risk}", "crue")
            .replace("{log_id}", "1"))


def snapshot(db, tenant_id: int) -> dict:
    out = {}
    with db.read() as conn:
        for table in schema.metadata.sorted_tables:
            if table.name in ("audit_log",):
                continue
            if "tenant_id" in table.c:
                query = select(table).where(table.c.tenant_id == tenant_id)
            elif table.name == "tenants":
                query = select(table).where(table.c.id == tenant_id)
            else:
                continue
            out[table.name] = sorted(tuple(r) for r in conn.execute(query))
    return out


def test_member_of_a_can_neither_read_nor_change_b(app, client, db, world):
    a, b = world["a"], world["b"]
    before = snapshot(db, b["tenant"])
    assert before["observations"], "B must hold data for the test to mean something"
    covered = 0
    for method, path in tenant_routes(app):
        if "{tenant}" not in path:
            continue
        for tenant_ref, objects in ((b["tenant"], b), (a["tenant"], b)):
            # B addressed directly, and B's objects smuggled through A's path or body.
            body = sample_body(method, path, objects)
            url = fill(path, tenant_ref, objects)
            response = send(client, method, url, world["admin_a"], body)
            assert SECRET not in response.text, (method, url)
            if tenant_ref == b["tenant"]:
                assert response.status_code in (401, 403, 404), (method, url, response.text)
            covered += 1
    assert covered >= 2 * 25
    # B addressed by SIREN-like ref that does not exist must not fall back to anything.
    assert client.get("/api/v1/tenants/999999999/assets", headers=world["admin_a"]).status_code == 404
    assert snapshot(db, b["tenant"]) == before


def test_tenant_listing_and_global_routes_do_not_leak(client, world):
    listed = client.get("/api/v1/tenants", headers=world["admin_a"]).json()
    assert [t["id"] for t in listed] == [world["a"]["tenant"]]
    assert client.get("/api/v1/users", headers=world["admin_a"]).status_code == 403
    assert client.post("/api/v1/tenants", headers=world["admin_a"],
                       json={"name": "pirate"}).status_code == 403
    me = client.get("/api/v1/me", headers=world["admin_a"]).json()
    assert {m["tenant_id"] for m in me["memberships"]} == {world["a"]["tenant"]}


def test_viewer_cannot_write_anything(app, client, db, world):
    a = world["a"]
    before = snapshot(db, a["tenant"])
    refused = 0
    for method, path in tenant_routes(app):
        if (method not in UNSAFE or "{tenant}" not in path or path in READ_ONLY_POSTS
                or path in PERSONAL_WRITES):
            continue
        body = sample_body(method, path, a)
        assert body is not None or method == "DELETE" or path.endswith(("/tokens", "/secret", "/mqtt-credentials")), (
            f"add a valid sample body for {method} {path}")
        response = send(client, method, fill(path, a["tenant"], a), world["viewer_a"], body)
        assert response.status_code == 403, (method, path, response.text)
        assert response.headers["content-type"] == "application/problem+json"
        refused += 1
    assert refused >= 15
    assert snapshot(db, a["tenant"]) == before


def test_sample_bodies_really_work_for_the_admin(client, db, world):
    """Guard against a vacuous isolation test: the same bodies succeed in the right tenant."""
    a = world["a"]
    h = world["admin_a"]
    ok = client.post(f"/api/v1/tenants/{a['tenant']}/observations", headers=h,
                     json=sample_body("POST", "/api/v1/tenants/{tenant}/observations", a))
    assert ok.status_code == 200 and ok.json()["stored"] == 2
    patched = client.patch(f"/api/v1/tenants/{a['tenant']}/assets/{a['asset_id']}", headers=h,
                           json=sample_body("PATCH", "/api/v1/tenants/{tenant}/assets/{asset_id}", a))
    assert patched.status_code == 200 and patched.json()["name"] == "écrasé"


def test_device_token_feeds_only_its_own_streams(client, world):
    a, b = world["a"], world["b"]
    token = client.post(f"/api/v1/tenants/{a['tenant']}/devices/{a['device_id']}/tokens",
                        headers=world["admin_a"]).json()["token"]
    h = {"Authorization": f"Bearer {token}"}
    ok = client.post(f"/api/v1/tenants/{a['tenant']}/observations", headers=h,
                     json=[{"stream_id": a["stream_id"], "time": "2026-02-01T00:00:00Z", "value": 3}])
    assert ok.status_code == 200 and ok.json()["stored"] == 1
    other = client.post(f"/api/v1/tenants/{b['tenant']}/observations", headers=h,
                        json=[{"stream_id": b["stream_id"], "time": "2026-02-01T00:00:00Z", "value": 3}])
    assert other.status_code in (401, 403, 404)
    assert client.get(f"/api/v1/tenants/{a['tenant']}/assets", headers=h).status_code in (401, 403)


def test_an_integration_secret_only_feeds_its_own_tenant(client, db, world):
    a, b = world["a"], world["b"]
    eui = "70b3d5e75e00aaaa"
    assert client.patch(f"/api/v1/tenants/{a['tenant']}/devices/{a['device_id']}",
                        headers=world["admin_a"], json={"dev_eui": eui}).status_code == 200
    before = snapshot(db, a["tenant"])
    up = {"deviceInfo": {"devEui": eui}, "fPort": 1, "object": {"generic.value": 5},
          "rxInfo": [{"gatewayId": "gw", "rssi": -80, "snr": 7}]}
    as_b = {"Authorization": f"Bearer {b['integration_secret']}"}
    # B's secret does not open A's integration, and A's user token opens no integration.
    for integration, headers in ((a["integration_id"], as_b),
                                 (a["integration_id"], world["admin_a"])):
        response = client.post(f"/api/v1/integrations/{integration}/chirpstack?event=up",
                               headers=headers, json=up)
        assert response.status_code == 401, response.text
    # A's device, named by its DevEUI through B's integration, is unknown there.
    response = client.post(f"/api/v1/integrations/{b['integration_id']}/chirpstack?event=up",
                           headers=as_b, json=up)
    assert response.status_code == 404 and eui in response.json()["detail"]
    assert snapshot(db, a["tenant"]) == before
    # The very same event through A's own integration is stored.
    as_a = {"Authorization": f"Bearer {a['integration_secret']}"}
    response = client.post(f"/api/v1/integrations/{a['integration_id']}/chirpstack?event=up",
                           headers=as_a, json=up)
    assert response.status_code == 200 and response.json()["stored"] == 4, response.text
