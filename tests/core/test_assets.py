"""Assets: validation against the kind schema, geometry, filters, pagination, commune scope."""

from __future__ import annotations

import pytest

from beffroi.core import tenants, users
from beffroi.core.access import CLI, open_scope
from suite_accounts import bearer

POINT = {"type": "Point", "coordinates": [6.59, 48.02]}


@pytest.fixture
def t(db, registry, client, op_headers):
    with db.write() as conn:
        tenant = tenants.create_tenant(db, conn, CLI, siren="200068377", registry=registry)
    return {"base": f"/api/v1/tenants/{tenant['id']}", "h": op_headers, "id": tenant["id"]}


def create(client, t, **fields):
    doc = {"ref": "S1", "kind": "generic.site", "name": "Site", "commune": "88383",
           "geometry": POINT} | fields
    return client.post(f"{t['base']}/assets", headers=t["h"], json=doc)


def test_tenant_addressed_by_siren_or_id(client, t):
    by_siren = client.get("/api/v1/tenants/200068377/communes", headers=t["h"])
    by_id = client.get(f"{t['base']}/communes", headers=t["h"])
    assert by_siren.json() == by_id.json()
    assert len(by_id.json()) == 10


@pytest.mark.parametrize("fields, field, fragment", [
    ({"geometry": {"type": "Point", "coordinates": [6.5]}}, "geometry", "coordonnées"),
    ({"geometry": {"type": "Point", "coordinates": [200, 48]}}, "geometry", "WGS84"),
    ({"geometry": {"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]}},
     "geometry", "invalide"),
    ({"geometry": {"type": "Circle", "coordinates": [0, 0]}}, "geometry", "inconnu"),
    ({"geometry": {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 1]]]}},
     "geometry", "contour extérieur du polygone non fermé"),  # shapely closed it silently
    ({"geometry": {"type": "LineString", "coordinates": [[0, 0]]}}, "geometry",
     "ligne de 1 position(s) : au moins 2 attendues"),  # was shapely's English message
    ({"properties": {"capacity": "beaucoup"}}, "properties.capacity", "nombre attendu"),
    ({"properties": {"floors": 2.5}}, "properties.floors", "entier attendu"),
    ({"properties": {"capacity": -3}}, "properties.capacity", "minimum"),
    ({"properties": {"status": "cassé"}}, "properties.status", "hors liste"),
    ({"properties": {"commissioned": "31/12/2020"}}, "properties.commissioned", "AAAA-MM-JJ"),
    ({"properties": {"monitored": "oui"}}, "properties.monitored", "booléen attendu"),
    ({"kind": "lighting.nothing"}, "kind", "inconnu"),
    ({"commune": "75056"}, "commune", "absente"),
    ({"ref": ""}, "ref", "obligatoire"),
    ({"colour": "red"}, "colour", "champ inconnu"),
])
def test_invalid_assets_are_refused_precisely(client, t, fields, field, fragment):
    response = create(client, t, **fields)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    errors = {e["field"]: e["message"] for e in response.json()["errors"]}
    assert field in errors and fragment in errors[field], errors
    assert client.get(f"{t['base']}/assets", headers=t["h"]).json()["features"] == []


def test_lines_and_polygons_and_typed_properties(client, t):
    line = {"type": "LineString", "coordinates": [[6.58, 48.01], [6.60, 48.03]]}
    poly = {"type": "Polygon", "coordinates": [[[6.5, 48.0], [6.6, 48.0], [6.6, 48.1], [6.5, 48.0]]]}
    assert create(client, t, ref="L", geometry=line).status_code == 201
    created = create(client, t, ref="P", geometry=poly, properties={
        "capacity": 12.5, "floors": 2, "monitored": True, "status": "active",
        "commissioned": "2019-04-01", "note": "libre"})
    assert created.status_code == 201
    assert created.json()["properties"]["note"] == "libre"
    again = create(client, t, ref="P")
    assert again.status_code == 409


def test_filters_and_cursor_pagination(client, t):
    for i in range(25):
        lon = 6.50 + i * 0.01
        assert create(client, t, ref=f"R{i:02d}", name=f"Lampadaire {i}",
                      commune="88383" if i % 2 else "88429",
                      geometry={"type": "Point", "coordinates": [lon, 48.0]}).status_code == 201
    seen, url = [], f"{t['base']}/assets?limit=10"
    while url:
        page = client.get(url, headers=t["h"]).json()
        seen += [f["properties"]["ref"] for f in page["features"]]
        url = next((link["href"] for link in page.get("links", []) if link["rel"] == "next"), None)
    assert seen == [f"R{i:02d}" for i in range(25)]
    odd = client.get(f"{t['base']}/assets", headers=t["h"], params={"commune": "88383"}).json()
    assert len(odd["features"]) == 12
    box = client.get(f"{t['base']}/assets", headers=t["h"],
                     params={"bbox": "6.545,47.9,6.575,48.1"}).json()
    assert sorted(f["properties"]["ref"] for f in box["features"]) == ["R05", "R06", "R07"]
    text = client.get(f"{t['base']}/assets", headers=t["h"], params={"q": "lampadaire 2"}).json()
    assert {f["properties"]["ref"] for f in text["features"]} == {"R02", "R20", "R21", "R22",
                                                                   "R23", "R24"}
    for params in ({"bbox": "1,2,3"}, {"limit": 0}, {"cursor": "%%%"}):
        assert client.get(f"{t['base']}/assets", headers=t["h"], params=params).status_code == 422


def test_agent_restricted_to_a_commune(db, client, t):
    with db.write() as conn:
        scope = open_scope(db, conn, CLI, t["id"])
        users.add_member(scope, conn, {"email": "agent@x.fr", "role": "agent",
                                       "communes": ["88383"], "password": "password-123"})
    assert create(client, t, ref="IN", commune="88383").status_code == 201
    outside = create(client, t, ref="OUT", commune="88429").json()["id"]
    h = bearer(client, "agent@x.fr", "password-123")
    listed = client.get(f"{t['base']}/assets", headers=h).json()
    assert [f["properties"]["ref"] for f in listed["features"]] == ["IN"]
    assert client.get(f"{t['base']}/assets/{outside}", headers=h).status_code == 404
    assert client.patch(f"{t['base']}/assets/{outside}", headers=h,
                        json={"name": "x"}).status_code == 404
    refused = client.post(f"{t['base']}/assets", headers=h, json={
        "ref": "NEW", "kind": "generic.site", "name": "n", "commune": "88429", "geometry": POINT})
    assert refused.status_code == 422
    assert [c["insee"] for c in client.get(f"{t['base']}/communes", headers=h).json()] == ["88383"]


def test_update_and_delete_with_children(client, t):
    parent = create(client, t, ref="PARENT").json()["id"]
    child = create(client, t, ref="CHILD", parent_id=parent).json()
    assert child["parent_id"] == parent
    assert client.delete(f"{t['base']}/assets/{parent}", headers=t["h"]).status_code == 409
    patched = client.patch(f"{t['base']}/assets/{child['id']}", headers=t["h"],
                           json={"properties": {"floors": 3}, "name": "Enfant"})
    assert patched.json()["properties"] == {"floors": 3} and patched.json()["name"] == "Enfant"
    bad = client.patch(f"{t['base']}/assets/{child['id']}", headers=t["h"],
                       json={"properties": {"floors": "trois"}})
    assert bad.status_code == 422
    assert client.delete(f"{t['base']}/assets/{child['id']}", headers=t["h"]).status_code == 204
    assert client.delete(f"{t['base']}/assets/{parent}", headers=t["h"]).status_code == 204


def test_parent_cycles_are_refused(client, t):
    a = create(client, t, ref="A").json()["id"]
    b = create(client, t, ref="B", parent_id=a).json()["id"]
    c = create(client, t, ref="C", parent_id=b).json()["id"]
    for child, parent in ((a, a), (a, c), (a, b)):
        response = client.patch(f"{t['base']}/assets/{child}", headers=t["h"],
                                json={"parent_id": parent})
        assert response.status_code == 422, (child, parent)
        assert "descendants" in response.json()["errors"][0]["message"]
    moved = client.patch(f"{t['base']}/assets/{c}", headers=t["h"], json={"parent_id": a})
    assert moved.status_code == 200 and moved.json()["parent_id"] == a
