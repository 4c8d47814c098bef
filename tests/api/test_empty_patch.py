"""One rule for every PATCH route: an empty change (``{}``) changes nothing and answers 200
with the object, as it stands, without an audit entry. (Devices and integrations answered
500: ``UPDATE … SET WHERE``; streams lost their device.)"""

from __future__ import annotations

import pytest

from beffroi.connectivity import integrations
from beffroi.core import assets, devices, streams, tenants, users
from beffroi.core.access import CLI, load_principal, open_scope
from beffroi.core.alerting import rules
from beffroi.notifications import subscriptions, webhooks


@pytest.fixture
def objects(db, registry, operator):
    with db.write() as conn:
        t = tenants.create_tenant(db, conn, CLI, name="CC des essais", registry=registry)
        scope = open_scope(db, conn, CLI, t["id"])
        tenants.create_commune(scope, conn, {"insee": "88383", "name": "Remiremont"})
        asset = assets.create_asset(scope, conn, registry, {
            "ref": "PUITS-1", "kind": "generic.site", "name": "Puits 1", "commune": "88383",
            "geometry": {"type": "Point", "coordinates": [6.6, 48.0]}})
        device = devices.create_device(scope, conn, {"name": "Capteur", "asset_id": asset.id,
                                                     "dev_eui": "70b3d5e75e001234"})
        stream = streams.create_stream(scope, conn, registry, {
            "asset_id": asset.id, "metric": "generic.value", "device_id": device.id})
        integration, _ = integrations.create_integration(
            scope, conn, {"kind": "chirpstack", "name": "ChirpStack",
                          "config": {"api_url": "https://ns.example.fr", "api_key": "k"}})
        rule = rules.create_rule(scope, conn, registry, {
            "name": "Seuil", "kind": "threshold", "stream_id": stream.id,
            "params": {"operator": "above", "value": 100}})
        member = users.add_member(scope, conn, {"email": "agent@cc.fr", "role": "agent",
                                                "communes": ["88383"]})
        admin = users.add_member(scope, conn, {"email": "admin@cc.fr", "role": "tenant_admin"})
        admin_scope = open_scope(db, conn, load_principal(conn, admin["id"]), t["id"])
        subscription = subscriptions.create_subscription(admin_scope, conn, registry,
                                                         {"min_severity": "warning"})
        webhook, _ = webhooks.create_webhook(admin_scope, conn, registry,
                                             {"url": "https://h.example.fr/x", "name": "Hook"})
    return {"tenant": t["id"], "insee": "88383", "asset_id": asset.id, "device_id": device.id,
            "stream_id": stream.id, "integration_id": integration.id, "rule_id": rule.id,
            "user_id": member["id"], "subscription_id": subscription.id,
            "webhook_id": webhook.id}


def test_an_empty_patch_changes_nothing_on_every_route(app, client, op_headers, objects):
    audit_url = f"/api/v1/tenants/{objects['tenant']}/audit"
    before_audit = client.get(audit_url, headers=op_headers).json()
    patched = []
    for path, item in app.openapi()["paths"].items():
        if "patch" not in item:
            continue
        url = path.format(**objects)
        before = client.get(url, headers=op_headers)
        assert before.status_code == 200, (path, before.text)
        response = client.patch(url, headers=op_headers, json={})
        assert response.status_code == 200, (path, response.text)
        assert response.json() == before.json(), path
        assert client.get(url, headers=op_headers).json() == before.json(), path
        patched.append(path)
    assert len(patched) == 10, patched
    assert client.get(audit_url, headers=op_headers).json() == before_audit
    # The rule does not hide real changes: a one-field change is applied and audited.
    url = f"/api/v1/tenants/{objects['tenant']}/devices/{objects['device_id']}"
    changed = client.patch(url, headers=op_headers, json={"name": "Capteur 2"})
    assert changed.status_code == 200 and changed.json()["name"] == "Capteur 2"
    assert changed.json()["dev_eui"] == "70b3d5e75e001234"
    [entry, *_] = client.get(audit_url, headers=op_headers).json()
    assert (entry["action"], entry["entity"]) == ("update", "device")
