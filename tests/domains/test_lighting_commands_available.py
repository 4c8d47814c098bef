"""Issue #13: an asset is offered only the commands it can receive, with the reason for the
others, decided by the rule that refuses a command; emergency lighting of a commune skips
the cabinets without controller and says how many."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from suite_apps import fresh_app

from beffroi.core import assets, devices, tenants, users
from beffroi.core.access import CLI, open_scope
from beffroi.core.registry import load_registry

POINT = {"type": "Point", "coordinates": [6.59, 48.01]}
CABINET_ACTIONS = ["lighting.set_dimming", "lighting.switch", "lighting.force_on",
                   "lighting.resume_programme", "lighting.set_programme"]
EXAMPLE_PARAMS = {"lighting.set_dimming": {"level": 40}, "lighting.switch": {"state": "on"},
                  "lighting.force_on": {"hours": 1}, "lighting.resume_programme": {},
                  "lighting.set_programme": {"programme": "dim_50_22_6"}}


@pytest.fixture
def cc(db):
    """Remiremont: ARM-1 with a controller, ARM-2 and ARM-3 without; a site, no action."""
    registry = load_registry(["generic", "lighting"])
    with db.write() as conn:
        t = tenants.create_tenant(db, conn, CLI, name="CC", registry=registry)
        scope = open_scope(db, conn, CLI, t["id"])
        tenants.create_commune(scope, conn, {"insee": "88383", "name": "Remiremont"})
        ids = {}
        for ref in ("ARM-1", "ARM-2", "ARM-3"):
            ids[ref] = assets.create_asset(scope, conn, registry, {
                "ref": ref, "kind": "lighting.cabinet", "name": f"Armoire {ref}",
                "commune": "88383", "geometry": POINT}).id
        ids["SITE"] = assets.create_asset(scope, conn, registry, {
            "ref": "SITE", "kind": "generic.site", "name": "Site", "commune": "88383",
            "geometry": POINT}).id
        devices.create_device(scope, conn, {"name": "Contrôleur", "asset_id": ids["ARM-1"]},
                              registry)
        for email, role in (("agent@cc.fr", "agent"), ("elu@cc.fr", "viewer")):
            users.add_member(scope, conn, {"email": email, "role": role,
                                           "password": "password-123"})
    with TestClient(fresh_app(db, registry)) as client:
        heads = {}
        for who in ("agent", "elu"):
            token = client.post("/api/v1/auth/token", json={
                "email": f"{who}@cc.fr", "password": "password-123"}).json()["access_token"]
            heads[who] = {"Authorization": f"Bearer {token}"}
        yield {"client": client, "base": f"/api/v1/tenants/{t['id']}", "ids": ids, **heads}


def _available(cc, ref, who="agent"):
    answer = cc["client"].get(f"{cc['base']}/assets/{cc['ids'][ref]}/commands/available",
                              headers=cc[who])
    assert answer.status_code == 200, answer.text
    return {a["action"]: a for a in answer.json()}


def test_actions_offered_are_exactly_those_the_command_route_accepts(cc):
    client, base = cc["client"], cc["base"]
    with_controller, without = _available(cc, "ARM-1"), _available(cc, "ARM-2")
    assert list(with_controller) == list(without) == CABINET_ACTIONS
    assert all(a["available"] and a["reason"] is None for a in with_controller.values())
    assert not any(a["available"] for a in without.values())
    assert without["lighting.force_on"]["reason"].startswith(
        "Aucun contrôleur télégéré n'est rattaché à cet équipement")
    assert without["lighting.switch"]["label"] == "Allumer ou éteindre"
    assert without["lighting.set_dimming"]["params"]["required"] == ["level"]
    assert _available(cc, "SITE") == {}  # no action applies to a site
    assert _available(cc, "ARM-2", who="elu")["lighting.switch"]["available"] is False
    # One rule: what is offered is accepted, what is not is refused with the same reason.
    for ref, offer in (("ARM-1", with_controller), ("ARM-2", without)):
        for action, item in offer.items():
            answer = client.post(f"{base}/commands", headers=cc["agent"], json={
                "asset_id": cc["ids"][ref], "action": action,
                "params": EXAMPLE_PARAMS[action]})
            assert (answer.status_code == 201) is item["available"], (ref, action, answer.text)
            if not item["available"]:
                assert item["reason"] in {e["message"] for e in answer.json()["errors"]}
    assert client.get(f"{base}/assets/999999/commands/available",
                      headers=cc["agent"]).status_code == 404
    assert client.get(f"{base}/assets/{cc['ids']['ARM-1']}/commands/available"
                      ).status_code == 401


def test_emergency_lighting_of_a_commune_skips_cabinets_without_controller(cc):
    client, base = cc["client"], cc["base"]
    answer = client.post(f"{base}/lighting/emergency", headers=cc["agent"],
                         json={"commune": "88383", "hours": 2})
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert [c["ref"] for c in body["cabinets"]] == ["ARM-1"]
    assert [c["ref"] for c in body["skipped"]] == ["ARM-2", "ARM-3"]
    assert body["skipped"][0]["reason"].startswith("Aucun contrôleur télégéré")
    assert body["message"] == ("Éclairage d'urgence demandé pour 1 armoire(s) ; 2 armoire(s) "
                               "sans contrôleur télégéré ignorée(s) : ARM-2, ARM-3.")
    # Only cabinets without controller: refused, with why.
    refused = client.post(f"{base}/lighting/emergency", headers=cc["agent"], json={
        "cabinets": [cc["ids"]["ARM-2"], cc["ids"]["ARM-3"]], "hours": 2})
    assert refused.status_code == 422
    [error] = refused.json()["errors"]
    assert error["field"] == "cabinets" and "aucune armoire visée" in error["message"]
    one = client.post(f"{base}/lighting/emergency", headers=cc["agent"], json={
        "cabinets": [cc["ids"]["ARM-2"]], "hours": 2})
    assert one.status_code == 422
    assert one.json()["errors"][0]["message"].startswith("aucun contrôleur télégéré")
