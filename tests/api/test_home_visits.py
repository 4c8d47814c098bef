"""GET and PUT /me/visits/{tenant}: what is new on the home page since the person's last
visit, per person and tenant."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from beffroi.core import assets, clock, streams, tenants, users
from beffroi.core.access import CLI, open_scope
from beffroi.core.alerting import alerts, rules
from beffroi.storage import schema
from suite_accounts import bearer

PASSWORD = "mot-de-passe-visite"
T0 = 1_796_000_000_000  # 2026-11-30, pinned


@pytest.fixture
def pinned(monkeypatch) -> dict:
    now = {"ms": T0}
    monkeypatch.setattr(clock, "now_ms", lambda: now["ms"])
    return now


@pytest.fixture
def world(db, registry) -> dict:
    """Territory A with a site in each of two communes and an old alert; its admin, an
    agent restricted to Remiremont; territory B (published) and its admin."""
    with db.write() as conn:
        a = tenants.create_tenant(db, conn, CLI, name="Territoire A", registry=registry)
        b = tenants.create_tenant(db, conn, CLI, name="Territoire B", registry=registry,
                                  settings={"published_kinds": ["generic.site"]})
        scope = open_scope(db, conn, CLI, a["id"])
        sites = {}
        for insee in ("88383", "88413"):
            tenants.create_commune(scope, conn, {"insee": insee, "name": f"Commune {insee}"})
            site = assets.create_asset(scope, conn, registry, {
                "ref": f"SITE-{insee}", "kind": "generic.site", "name": f"Site {insee}",
                "commune": insee})
            stream = streams.create_stream(scope, conn, registry, {"asset_id": site.id,
                                                                   "metric": "generic.value"})
            rule = rules.create_rule(scope, conn, registry, {
                "name": f"Seuil {insee}", "kind": "threshold", "stream_id": stream.id,
                "params": {"operator": "above", "value": 10}})
            sites[insee] = (site.id, stream.id, rule.id)
        users.add_member(scope, conn, {"email": "admin@a.fr", "role": "tenant_admin",
                                       "password": PASSWORD})
        users.add_member(scope, conn, {"email": "rem@a.fr", "role": "agent",
                                       "password": PASSWORD, "communes": ["88383"]})
        users.add_member(open_scope(db, conn, CLI, b["id"]), conn, {
            "email": "admin@b.fr", "role": "tenant_admin", "password": PASSWORD})
    world = {"a": a["id"], "b": b["id"], "sites": sites}
    world["old"] = raise_alert(db, registry, world, "88383", "old")
    return world


def raise_alert(db, registry, world, insee: str, subject: str, at: int = T0 - 3_600_000):
    site, stream, rule = world["sites"][insee]
    with db.write() as conn:
        return alerts.raise_alert(db, conn, registry, world["a"], alerts.Trigger(
            key=f"{alerts.rule_key(rule, site)}:{subject}", severity="warning",
            title=f"Alerte {subject}", at=at, asset_id=site, stream_id=stream,
            rule_id=rule)).id


def last_event(db, tenant: int) -> int:
    e = schema.alert_events
    with db.read() as conn:
        return conn.execute(select(func.max(e.c.id)).where(e.c.tenant_id == tenant)).scalar()


def test_new_alerts_since_the_last_visit(client, db, registry, world, pinned):
    admin = bearer(client, "admin@a.fr", PASSWORD)
    url = f"/api/v1/me/visits/{world['a']}"
    first = client.get(url, headers=admin)
    assert first.status_code == 200, first.text
    # A first visit has no "since": nothing is new.
    assert first.json() == {"tenant_id": world["a"], "last_seen_at": None, "new_alerts": [],
                            "new_count": 0, "cursor": last_event(db, world["a"])}
    recorded = client.put(url, headers=admin)
    assert recorded.status_code == 200, recorded.text
    assert recorded.json() == {"tenant_id": world["a"], "last_seen_at": "2026-11-30T00:53:20Z",
                               "cursor": last_event(db, world["a"])}
    pinned["ms"] += 86_400_000
    # Since: one alert in each commune, opened with data of *before* the visit (late data:
    # still new), one opened then resolved (not active), and the old one taken in hand.
    ste = raise_alert(db, registry, world, "88413", "ste", at=T0 - 86_400_000)
    rem = raise_alert(db, registry, world, "88383", "rem")
    gone = raise_alert(db, registry, world, "88383", "gone")
    with db.write() as conn:
        scope = open_scope(db, conn, CLI, world["a"])
        alerts.resolve_alert(scope, conn, gone, {})
        alerts.acknowledge_alert(scope, conn, world["old"], {})
    answer = client.get(url, headers=admin).json()
    assert answer["new_alerts"] == [rem, ste] and answer["new_count"] == 2
    assert answer["last_seen_at"] == "2026-11-30T00:53:20Z"
    assert answer["cursor"] == last_event(db, world["a"])
    # Seen: nothing new any more.
    client.put(url, headers=admin, json={"cursor": answer["cursor"]})
    assert client.get(url, headers=admin).json()["new_alerts"] == []
    # An alert resolved then reopened is new again.
    site, stream, rule = world["sites"]["88413"]
    with db.write() as conn:
        alerts.clear_alert(db, conn, world["a"], f"{alerts.rule_key(rule, site)}:ste",
                           T0 - 1000)
    again = raise_alert(db, registry, world, "88413", "ste", at=T0)
    assert again == ste
    assert client.get(url, headers=admin).json()["new_alerts"] == [ste]


def test_each_person_has_their_own_visits_within_their_communes(client, db, registry, world,
                                                                  pinned):
    admin, rem = bearer(client, "admin@a.fr", PASSWORD), bearer(client, "rem@a.fr", PASSWORD)
    url = f"/api/v1/me/visits/{world['a']}"
    before = client.get(url, headers=admin).json()["cursor"]
    for who in (admin, rem):
        client.put(url, headers=who, json={"cursor": before})
    new = {insee: raise_alert(db, registry, world, insee, insee) for insee in ("88383", "88413")}
    assert client.get(url, headers=rem).json()["new_alerts"] == [new["88383"]]
    client.put(url, headers=rem)
    assert client.get(url, headers=rem).json()["new_alerts"] == []
    # The agent's visit changed nothing for the administrator.
    assert client.get(url, headers=admin).json()["new_alerts"] == [new["88413"], new["88383"]]


def test_a_cursor_never_goes_back_nor_past_the_last_event(client, db, world, pinned):
    admin = bearer(client, "admin@a.fr", PASSWORD)
    url = f"/api/v1/me/visits/{world['a']}"
    current = last_event(db, world["a"])
    assert client.put(url, headers=admin, json={"cursor": current + 1000}).json()["cursor"] \
        == current
    assert client.put(url, headers=admin, json={"cursor": 0}).json()["cursor"] == current
    with db.read() as conn:
        v = schema.home_visits
        rows = conn.execute(select(v.c.tenant_id, v.c.alert_event_id)).all()
    assert [tuple(r) for r in rows] == [(world["a"], current)]


@pytest.mark.parametrize("body, field", [
    ({"cursor": "12"}, "cursor"), ({"cursor": -1}, "cursor"), ({"cursor": True}, "cursor"),
    ({"cursor": 1.5}, "cursor"), ({"vu": 1}, "vu"), ([1], None)])
def test_bad_bodies_are_refused_in_french(client, world, body, field):
    answer = client.put(f"/api/v1/me/visits/{world['a']}", json=body,
                        headers=bearer(client, "admin@a.fr", PASSWORD))
    assert answer.status_code == 422, answer.text
    problem = answer.json()
    if field is None:
        assert problem["detail"] == "Objet JSON attendu."
    else:
        assert [e["field"] for e in problem["errors"]] == [field]


def test_visits_stay_within_the_tenants_of_the_person(client, world):
    other = bearer(client, "admin@b.fr", PASSWORD)
    url = f"/api/v1/me/visits/{world['a']}"
    assert client.get(url, headers=other).status_code == 404
    assert client.put(url, headers=other).status_code == 404
    assert client.get(url).status_code == 401
    # A person reading a published territory as the public has no visits there.
    published = client.get(f"/api/v1/me/visits/{world['b']}",
                           headers=bearer(client, "admin@a.fr", PASSWORD))
    assert published.status_code == 403
    assert published.json()["detail"] == "Réservé aux membres du territoire."
