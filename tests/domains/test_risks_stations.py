"""A river gauge's level route (series, thresholds, historic floods, trend) and its
rate-of-rise rule: values checked against the data the test writes, bad input refused in
French, another tenant's user and a commune-restricted user kept out."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from suite_apps import fresh_app

from beffroi.core import assets, tenants, users
from beffroi.core.access import CLI, open_scope
from beffroi.core.clock import now_ms
from beffroi.core.errors import Invalid
from beffroi.core.observations import store_rows
from beffroi.core.registry import load_registry
from beffroi.core.streams import ensure_stream
from beffroi.domains.risks.stations import trend
from suite_accounts import bearer

HOUR = 3_600_000
STEP = 900_000
FLOODS = [{"date": "1983-05-27", "height_m": 2.9, "label": "Crue de mai 1983"},
          {"date": "1947-12-29", "height_m": 3.4, "label": "Crue de décembre 1947"}]


def point(lon, lat):
    return {"type": "Point", "coordinates": [lon, lat]}


@pytest.fixture
def site(db):
    registry = load_registry(["generic", "risks"])
    end = now_ms() - 60_000
    with db.write() as conn:
        tenant = tenants.create_tenant(db, conn, CLI, name="CC Remiremont", registry=registry)
        scope = open_scope(db, conn, CLI, tenant["id"])
        for insee, name in (("88383", "Remiremont"), ("88158", "Éloyes")):
            tenants.create_commune(scope, conn, {"insee": insee, "name": name})
        g1 = assets.create_asset(scope, conn, registry, {
            "ref": "HYD-1", "kind": "risks.gauge", "name": "La Moselle à Remiremont",
            "commune": "88383", "geometry": point(6.59, 48.01),
            "properties": {"station_code": "A4050620", "river": "La Moselle",
                           "level_yellow_m": 2.0, "level_orange_m": 2.6, "level_red_m": 3.2,
                           "historic_floods": FLOODS}})
        g2 = assets.create_asset(scope, conn, registry, {
            "ref": "HYD-2", "kind": "risks.gauge", "name": "La Moselle à Éloyes",
            "commune": "88158", "geometry": point(6.62, 48.09)})
        other = assets.create_asset(scope, conn, registry, {
            "ref": "SITE", "kind": "generic.site", "name": "Mairie", "commune": "88383",
            "geometry": point(6.59, 48.02)})
        stream = ensure_stream(scope, conn, registry, g1.id, "hydro.level")
        ensure_stream(scope, conn, registry, g2.id, "hydro.level")
        # 80 h every 15 min: 1.00 m, then +0.2 m/h over the last 3 hours.
        rows = []
        for k in range(320):
            t = end - k * STEP
            rise = max(0.0, 3 * HOUR - k * STEP) / HOUR * 0.2
            rows.append((tenant["id"], stream, t, round(1.0 + rise, 6), 0))
        store_rows(scope, conn, rows, scope_tz(), None)
        for email, role, communes in (("agent@cc.fr", "agent", None),
                                      ("lecteur@cc.fr", "viewer", None),
                                      ("eloyes@cc.fr", "viewer", ["88158"])):
            users.add_member(scope, conn, {"email": email, "role": role, "password":
                                           "password-123", "communes": communes})
        other_tenant = tenants.create_tenant(db, conn, CLI, name="Autre", registry=registry)
        users.add_member(open_scope(db, conn, CLI, other_tenant["id"]), conn, {
            "email": "autre@ailleurs.fr", "role": "tenant_admin", "password": "password-123"})
    with TestClient(fresh_app(db, registry)) as client:
        yield {"client": client, "tenant": tenant["id"], "g1": g1.id, "g2": g2.id,
               "other": other.id, "end": end}


def scope_tz():
    from zoneinfo import ZoneInfo
    return ZoneInfo("Europe/Paris")


def headers(site, email):
    return bearer(site["client"], email, "password-123")


def url(site, asset, tail="level"):
    return f"/api/v1/tenants/{site['tenant']}/risks/stations/{asset}/{tail}"


def test_level_series_thresholds_floods_and_trend(site):
    r = site["client"].get(url(site, site["g1"]), headers=headers(site, "lecteur@cc.fr"))
    assert r.status_code == 200, r.text
    body = r.json()
    # 72 h back from now: points end - k*15 min with k*15 min + 1 min <= 72 h, k = 0..287.
    assert len(body["points"]) == 288
    assert body["points"][-1][1] == pytest.approx(1.6)
    assert body["latest"]["value"] == pytest.approx(1.6)
    assert [t["value_m"] for t in body["thresholds"]] == [2.0, 2.6, 3.2]
    assert [t["label"] for t in body["thresholds"]][0] == "Vigilance jaune"
    assert [f["height_m"] for f in body["historic_floods"]] == [3.4, 2.9]
    assert body["trend"]["rate_m_per_h"] == pytest.approx(0.2, abs=1e-6)
    assert body["trend"]["label"] == "en hausse"
    assert body["station"]["station_code"] == "A4050620"
    short = site["client"].get(url(site, site["g1"]) + "?hours=2",
                               headers=headers(site, "lecteur@cc.fr")).json()
    assert len(short["points"]) == 8  # k = 0..7


def test_trend_words():
    t = [i * STEP for i in range(13)]
    assert trend(t, [1 - 0.05 * i / 4 for i in range(13)])["label"] == "en baisse"
    assert trend(t, [1 + 0.001 * (i % 2) for i in range(13)])["label"] == "stable"
    assert trend(t[:1], [1.0])["rate_m_per_h"] is None
    # Only the last 3 hours count: a fall before them does not weigh.
    long = [i * STEP for i in range(40)]
    values = [5 - 0.5 * i for i in range(27)] + [0.0] * 13
    assert trend(long, values)["label"] == "stable"


@pytest.mark.parametrize("hours", ["0", "721", "abc", "1.5"])
def test_bad_hours_are_refused_in_french(site, hours):
    r = site["client"].get(url(site, site["g1"]) + f"?hours={hours}",
                           headers=headers(site, "lecteur@cc.fr"))
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "hours"
    assert "heures" in r.json()["errors"][0]["message"]


def test_isolation(site):
    c = site["client"]
    assert c.get(url(site, site["g1"]), headers=headers(site, "autre@ailleurs.fr")
                 ).status_code == 404
    eloyes = headers(site, "eloyes@cc.fr")
    assert c.get(url(site, site["g1"]), headers=eloyes).status_code == 404
    assert c.get(url(site, site["g2"]), headers=eloyes).status_code == 200
    assert c.get(url(site, site["other"]), headers=headers(site, "lecteur@cc.fr")
                 ).status_code == 404  # not a gauge
    assert c.get(url(site, site["g1"])).status_code in (401, 404)


def test_rise_rule_created_then_updated(site):
    c = site["client"]
    agent = headers(site, "agent@cc.fr")
    r = c.put(url(site, site["g1"], "rise-rule"), json={"amount_m": 0.15}, headers=agent)
    assert r.status_code == 200, r.text
    rule = r.json()
    assert rule["params"] == {"direction": "rise", "amount": 0.15, "window_s": 3600}
    assert rule["name"] == "Montée rapide — La Moselle à Remiremont"
    again = c.put(url(site, site["g1"], "rise-rule"), json={"amount_m": 0.3, "window_s": 7200},
                  headers=agent).json()
    assert again["id"] == rule["id"] and again["params"]["amount"] == 0.3
    rules = c.get(f"/api/v1/tenants/{site['tenant']}/alert-rules", headers=agent).json()
    items = rules["items"] if isinstance(rules, dict) else rules
    assert len([x for x in items if x["kind"] == "rate_of_change"]) == 1
    assert c.put(url(site, site["g1"], "rise-rule"), json={"amount_m": 0.15},
                 headers=headers(site, "lecteur@cc.fr")).status_code == 403
    assert c.put(url(site, site["g1"], "rise-rule"), json={"amount_m": 0.15},
                 headers=headers(site, "autre@ailleurs.fr")).status_code == 404


@pytest.mark.parametrize("body, field", [({"amount_m": -1}, "amount_m"),
                                         ({"amount_m": "vite"}, "amount_m"),
                                         ({"amount_m": 0.1, "window_s": 10}, "window_s"),
                                         ({"amount_m": 0.1, "couleur": "rouge"}, "couleur")])
def test_rise_rule_bad_input(site, body, field):
    r = site["client"].put(url(site, site["g1"], "rise-rule"), json=body,
                           headers=headers(site, "agent@cc.fr"))
    assert r.status_code == 422
    assert field in [e["field"] for e in r.json()["errors"]]


def test_historic_floods_are_validated(db):
    registry = load_registry(["generic", "risks"])
    with db.write() as conn:
        tenant = tenants.create_tenant(db, conn, CLI, name="T", registry=registry)
        scope = open_scope(db, conn, CLI, tenant["id"])
        with pytest.raises(Invalid) as err:
            assets.create_asset(scope, conn, registry, {
                "ref": "G", "kind": "risks.gauge", "name": "G", "geometry": point(6, 48),
                "properties": {"historic_floods": [{"date": "29/12/1947", "height_m": 3.4}]}})
    assert err.value.errors[0]["field"] == "properties.historic_floods[0].date"
    assert "AAAA-MM-JJ" in err.value.errors[0]["message"]
