"""Alert rules and alerts over HTTP: a rule raised by posted observations, then
acknowledged, commented and resolved by people, all audited."""

from __future__ import annotations

import pytest

from beffroi.core import assets, streams, tenants, users
from beffroi.core.access import CLI, open_scope
from suite_accounts import bearer


@pytest.fixture
def site(db, registry, client):
    with db.write() as conn:
        t = tenants.create_tenant(db, conn, CLI, name="CC des essais", registry=registry)
        scope = open_scope(db, conn, CLI, t["id"])
        tenants.create_commune(scope, conn, {"insee": "88383", "name": "Remiremont"})
        asset = assets.create_asset(scope, conn, registry, {
            "ref": "PUITS-1", "kind": "generic.site", "name": "Puits 1", "commune": "88383",
            "geometry": {"type": "Point", "coordinates": [6.6, 48.0]}})
        stream = streams.create_stream(scope, conn, registry, {"asset_id": asset.id,
                                                               "metric": "generic.value"})
        for email, role in (("agent@cc.fr", "agent"), ("elu@cc.fr", "viewer")):
            users.add_member(scope, conn, {"email": email, "role": role,
                                           "password": "password-123"})
    return {"base": f"/api/v1/tenants/{t['id']}", "stream": stream.id, "asset": asset.id,
            "agent": bearer(client, "agent@cc.fr", "password-123"),
            "viewer": bearer(client, "elu@cc.fr", "password-123")}


def test_rule_alert_acknowledge_comment_resolve(client, site):
    base, h = site["base"], site["agent"]
    created = client.post(f"{base}/alert-rules", headers=h, json={
        "name": "Niveau du puits", "kind": "threshold", "stream_id": site["stream"],
        "severity": "critical", "params": {"operator": "above", "value": 10}})
    assert created.status_code == 201, created.text
    rule = created.json()
    assert rule["params"] == {"operator": "above", "value": 10, "hysteresis": 0,
                              "min_duration_s": 0}
    assert rule["kind_label"] == "seuil" and rule["commune"] == "88383"
    posted = client.post(f"{base}/observations", headers=h, json=[
        {"stream_id": site["stream"], "time": "2026-10-01T00:00:00Z", "value": 5},
        {"stream_id": site["stream"], "time": "2026-10-01T00:10:00Z", "value": 12}])
    assert posted.status_code == 200 and posted.json()["stored"] == 2
    [alert] = client.get(f"{base}/alerts", headers=h, params={"status": "active"}).json()
    assert (alert["status"], alert["severity"], alert["opened_at"]) == (
        "open", "critical", "2026-10-01T00:10:00Z")
    assert alert["title"] == "Niveau du puits — Puits 1"
    assert (alert["asset_name"], alert["asset_ref"]) == ("Puits 1", "PUITS-1")
    assert alert["details"]["value"] == 12.0 and alert["status_label"] == "ouverte"
    url = f"{base}/alerts/{alert['id']}"
    # A viewer (élu) reads but does not act.
    assert client.get(url, headers=site["viewer"]).status_code == 200
    assert client.post(f"{url}/acknowledge", headers=site["viewer"], json={}).status_code == 403
    acked = client.post(f"{url}/acknowledge", headers=h, json={"comment": "Équipe en route"})
    assert acked.status_code == 200 and acked.json()["status"] == "acknowledged"
    assert acked.json()["acknowledged_at"] is not None
    again = client.post(f"{url}/acknowledge", headers=h)
    assert again.status_code == 409 and "déjà prise en compte" in again.json()["detail"]
    noted = client.post(f"{url}/comments", headers=h, json={"comment": "Vanne fermée"})
    assert noted.status_code == 201
    assert client.post(f"{url}/comments", headers=h, json={"comment": "  "}).status_code == 422
    resolved = client.post(f"{url}/resolve", headers=h, json={"comment": "Capteur remplacé"})
    assert resolved.json()["status"] == "resolved"
    assert resolved.json()["resolved_automatically"] is False
    history = client.get(url, headers=h).json()["history"]
    assert [(e["kind"], e["comment"], e["user_email"]) for e in history] == [
        ("opened", None, None), ("acknowledged", "Équipe en route", "agent@cc.fr"),
        ("commented", "Vanne fermée", "agent@cc.fr"),
        ("resolved", "Capteur remplacé", "agent@cc.fr")]
    # Filters.
    assert client.get(f"{base}/alerts", headers=h, params={"status": "active"}).json() == []
    assert len(client.get(f"{base}/alerts", headers=h, params={"severity": "critical"}).json()) == 1
    bad = client.get(f"{base}/alerts", headers=h, params={"status": "fermée", "severity": "x"})
    assert bad.status_code == 422
    assert {e["field"] for e in bad.json()["errors"]} == {"status", "severity"}
    # Rule changes, and everything people did is in the audit log.
    assert client.patch(f"{base}/alert-rules/{rule['id']}", headers=h,
                        json={"enabled": False}).json()["enabled"] is False
    assert client.delete(f"{base}/alert-rules/{rule['id']}", headers=h).status_code == 204
    assert client.get(f"{base}/alert-rules/{rule['id']}", headers=h).status_code == 404


def test_audit_of_alert_actions(client, site, op_headers):
    base, h = site["base"], site["agent"]
    rule = client.post(f"{base}/alert-rules", headers=h, json={
        "name": "R", "kind": "no_data", "stream_id": site["stream"],
        "params": {"after_s": 3600}}).json()
    client.patch(f"{base}/alert-rules/{rule['id']}", headers=h, json={"severity": "info"})
    entries = client.get(f"{base}/audit", headers=op_headers,
                         params={"entity": "alert_rule"}).json()
    assert [(e["action"], e["user_email"]) for e in entries] == [
        ("update", "agent@cc.fr"), ("create", "agent@cc.fr")]


def test_invalid_rules_are_problem_documents(client, site):
    response = client.post(f"{site['base']}/alert-rules", headers=site["agent"], json={
        "name": "", "kind": "threshold", "stream_id": site["stream"], "params": {}})
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert {e["field"] for e in response.json()["errors"]} == {
        "name", "params.operator", "params.value"}
    assert client.get(f"{site['base']}/alert-rules", headers=site["agent"]).json() == []


def test_detectors_declared_by_domains_are_listed(db):
    from fastapi.testclient import TestClient
    from suite_apps import fresh_app

    from beffroi.core.alerting.details import DetailField
    from beffroi.core.alerting.detectors import Detector
    from beffroi.core.registry import Domain, build_registry, discover_domains

    reg = build_registry(discover_domains(["generic"]) + [Domain(
        key="testing", label="Essais",
        detectors=(Detector("testing.leak", "Fuite nocturne", 900, lambda ctx: [],
                            details=(DetailField("lost_m3", "Eau perdue", unit="m3"),)),))])
    with TestClient(fresh_app(db, reg)) as c:
        assert c.get("/api/v1/alerts/detectors").json() == [
            {"key": "testing.leak", "label": "Fuite nocturne", "interval_s": 900,
             "details": [{"key": "lost_m3", "label": "Eau perdue", "kind": "number",
                          "unit": "m3", "unit_from": None, "digits": 2, "choices": None,
                          "shown": True}], "follow_up": []}]
