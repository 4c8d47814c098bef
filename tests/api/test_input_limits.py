"""Values the databases cannot hold are refused at the edge with a French 422 naming the
field (they answered 500: SQLite ``OverflowError``, PostgreSQL ``bigint out of range`` and
"text fields cannot contain NUL"), on both backends; and the valid rest of a batch is kept."""

from __future__ import annotations

import pytest

from beffroi.core import assets, devices, streams, tenants
from beffroi.core.access import CLI, open_scope

TOO_BIG = 2**63  # one more than PostgreSQL's bigint and SQLite's INTEGER hold


@pytest.fixture(scope="module")
def registry():
    """Every installed domain: the domains' routes take identifiers too."""
    from beffroi.core.registry import load_registry

    return load_registry()


@pytest.fixture
def site(db, registry, operator, op_headers):
    with db.write() as conn:
        t = tenants.create_tenant(db, conn, CLI, name="CC des essais", registry=registry)
        scope = open_scope(db, conn, CLI, t["id"])
        tenants.create_commune(scope, conn, {"insee": "88383", "name": "Remiremont"})
        asset = assets.create_asset(scope, conn, registry, {
            "ref": "PUITS-1", "kind": "generic.site", "name": "Puits 1", "commune": "88383",
            "geometry": {"type": "Point", "coordinates": [6.6, 48.0]}})
        stream = streams.create_stream(scope, conn, registry, {"asset_id": asset.id,
                                                               "metric": "generic.value"})
        device = devices.create_device(scope, conn, {"name": "Capteur", "asset_id": asset.id})
    return {"base": f"/api/v1/tenants/{t['id']}", "tenant": t["id"], "asset": asset.id,
            "stream": stream.id, "device": device.id, "h": op_headers}


def _refused(response, field: str) -> dict:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert field in [e["field"] for e in body["errors"]], body
    assert body["type"] != "https://beffroi.fr/problemes/unstorable-value", (
        "refused by the database safety net, not by an edge check")
    return body


@pytest.mark.parametrize("method,path,field", [
    ("GET", "/assets/{big}", "asset_id"),
    ("PATCH", "/assets/{big}", "asset_id"),
    ("GET", "/assets?parent_id={big}", "parent_id"),
    ("GET", "/alerts?before_id={big}", "before_id"),
    ("GET", "/alerts?asset_id={big}", "asset_id"),
    ("GET", "/subscriptions?user_id={big}", "user_id"),
    ("GET", "/members/{big}", "user_id"),
    ("GET", "/devices/{big}", "device_id"),
    ("GET", "/streams/{big}/series", "stream_id"),
    ("GET", "/notifications?before_id={big}", "before_id"),
    ("GET", "/audit?limit={big}", "limit"),
    ("GET", "/latest?streams=1,{big}", "streams"),
    ("GET", "/lighting/cabinets/{big}/programme", "asset_id"),
])
def test_integers_beyond_64_bits_in_paths_and_queries(client, site, method, path, field):
    url = site["base"] + path.format(big=TOO_BIG)
    body = _refused(client.request(method, url, headers=site["h"], json={}), field)
    assert body["title"] in ("Paramètres invalides", "Données invalides")


def test_identifiers_outside_the_tenant_routes(client, site):
    big = str(TOO_BIG)
    _refused(client.delete(f"/api/v1/me/tokens/{big}", headers=site["h"]), "token_id")
    # A territory or an integration named by a number no row can have is simply unknown.
    for ref in (big, "²", "٣"):
        unknown = client.get(f"/api/v1/tenants/{ref}/assets", headers=site["h"])
        assert unknown.status_code == 404, (ref, unknown.text)
        assert "introuvable" in unknown.json()["detail"]
        hook = client.post(f"/api/v1/integrations/{ref}/chirpstack?event=up",
                           headers={"Authorization": "Bearer bfi_x"}, json={})
        assert hook.status_code == 401, (ref, hook.text)


def test_integers_beyond_64_bits_in_json_bodies(client, site):
    h, base = site["h"], site["base"]
    refused = _refused(client.post(f"{base}/devices", headers=h,
                                   json={"name": "Capteur", "asset_id": TOO_BIG}), "asset_id")
    assert "hors limites" in refused["errors"][0]["message"]
    _refused(client.post(f"{base}/alert-rules", headers=h, json={
        "name": "Seuil", "kind": "threshold", "stream_id": TOO_BIG,
        "params": {"operator": "above", "value": 1}}), "stream_id")
    _refused(client.patch(f"{base}/streams/{site['stream']}", headers=h,
                          json={"device_id": TOO_BIG}), "device_id")
    nested = _refused(client.post(f"{base}/commands", headers=h, json={
        "asset_id": site["asset"], "action": "generic.none", "params": {"n": [1, TOO_BIG]}}),
        "params.n.1")
    assert nested["detail"] == "Valeur impossible à enregistrer : « params.n.1 »."
    # Nothing was written by any of them.
    listed = client.get(f"{base}/devices", headers=h).json()
    assert [d["id"] for d in listed] == [site["device"]]


def test_an_observation_batch_keeps_its_valid_items(client, site):
    response = client.post(f"{site['base']}/observations", headers=site["h"], json=[
        {"stream_id": TOO_BIG, "time": "2026-03-01T00:00:00Z", "value": 1},
        {"asset": "PUITS\u00001", "metric": "generic.value", "time": "2026-03-01T00:00:00Z",
         "value": 2},
        # Objects where a number or a text is expected (they were dictionary keys: 500).
        {"stream_id": {}, "time": "2026-03-01T00:00:00Z", "value": 4},
        {"asset": "PUITS-1", "metric": {}, "time": "2026-03-01T00:00:00Z", "value": 5},
        {"stream_id": site["stream"], "time": "2026-03-01T01:00:00Z", "value": 6,
         "quality": {}},
        {"stream_id": site["stream"], "time": "2026-03-01T00:00:00Z", "value": 3}])
    assert response.status_code == 422, response.text
    body = response.json()
    assert (body["stored"], body["rejected_count"]) == (1, 5)
    assert [r["index"] for r in body["rejected"]] == [0, 1, 2, 3, 4]
    series = client.get(f"{site['base']}/streams/{site['stream']}/series", headers=site["h"],
                        params={"start": "2026-03-01T00:00:00Z", "end": "2026-03-02T00:00:00Z"})
    assert [p[1] for p in series.json()["points"]] == [3.0]


@pytest.mark.parametrize("method,path,body,field", [
    ("POST", "/assets", {"ref": "A-1", "kind": "generic.site", "name": "Puits\u0000 2",
                         "commune": "88383"}, "name"),
    ("PATCH", "/assets/{asset}", {"properties": {"note\u0000": "x"}}, "properties.note\\u0000"),
    ("POST", "/webhooks", {"name": "Supervision\u0000", "url": "https://h.example.fr/x"},
     "name"),
    ("POST", "/communes", {"insee": "88\u0000383", "name": "Remiremont"}, "insee"),
    ("PATCH", "/devices/{device}", {"name": "Capteur\u0000"}, "name"),
])
def test_nul_characters_in_json_bodies(client, site, method, path, body, field):
    url = site["base"] + path.format(**site)
    refused = _refused(client.request(method, url, headers=site["h"], json=body), field)
    assert refused["errors"][0]["message"].endswith("caractère NUL (\\u0000) interdit")


def test_nul_characters_in_personal_token_names_and_logins(client, site):
    _refused(client.post("/api/v1/me/tokens", headers=site["h"],
                         json={"name": "script\u0000"}), "name")
    # Anonymous: the e-mail of a login is checked before any look-up.
    _refused(client.post("/api/v1/auth/token",
                         json={"email": "op\u0000@beffroi.test", "password": "x"}), "email")
    _refused(client.post("/api/v1/auth/password-reset", json={"email": "a\u0000@b.fr"}),
             "email")
    assert client.get("/api/v1/me/tokens", headers=site["h"]).json() == []


@pytest.mark.parametrize("path,field", [
    ("/alerts?commune=88%00383", "commune"),
    ("/assets?q=Puits%00", "q"),
    ("/assets?kind=generic.site%00", "kind"),
    ("/communes/88%00383", "insee"),
    ("/streams?metric=generic.value%00", "metric"),
    ("/audit?entity=asset%00", "entity"),
])
def test_nul_characters_in_paths_and_queries(client, site, path, field):
    refused = _refused(client.get(site["base"] + path, headers=site["h"]), field)
    assert "NUL" in refused["detail"]


def test_the_database_safety_net_answers_422_not_500(app, client, site):
    """An unchecked value that still reaches the database is the caller's error (422),
    logged so that the missing edge check gets added."""
    from sqlalchemy import select

    from beffroi.storage import schema

    def unchecked(value: int):
        with app.state.db.read() as conn:
            conn.execute(select(schema.assets).where(schema.assets.c.id == value)).first()
        return {}

    app.add_api_route("/api/v1/unchecked/{value}", unchecked)
    app.openapi_schema = None
    response = client.get(f"/api/v1/unchecked/{TOO_BIG}")
    assert response.status_code == 422, response.text
    assert response.json()["type"] == "https://beffroi.fr/problemes/unstorable-value"
    assert "ne peut pas être enregistrée" in response.json()["detail"]
