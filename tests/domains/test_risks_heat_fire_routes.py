"""Issue #17: the heat-wave and fire-weather JSON routes and detectors on a small
territory — two weather stations in two communes (a hot spell at one, hourly series
built here), a forest massif near each; another tenant's member gets 404, a member
limited to one commune sees only its station; bad settings and periods are refused in
French."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import orjson
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from suite_apps import fresh_app

from beffroi.core import assets, tenants, users
from beffroi.core.access import CLI, open_scope
from beffroi.core.alerting.details import details_display
from beffroi.core.alerting.detectors import run_detector
from beffroi.core.clock import now_ms
from beffroi.core.errors import Invalid
from beffroi.core.observations import store_rows
from beffroi.core.registry import load_registry
from beffroi.core.streams import ensure_stream
from beffroi.storage import schema

PARIS = ZoneInfo("Europe/Paris")
HOUR = 3_600_000
R, V = "88383", "88498"
HOT_DAYS = 6  # the last 6 local days (today included) at Remiremont are hot


def _ms(day: date, hour: int) -> int:
    return int(datetime.combine(day, time(hour), PARIS).timestamp() * 1000)


def hourly(day: date, tmin: float, tmax: float) -> list[tuple[int, float]]:
    """24 hourly temperatures: tmin at 05:00, tmax at 15:00 (linear in between)."""
    out = []
    for h in range(24):
        share = max(0.0, 1 - abs(h - 15) / 10)
        out.append((_ms(day, h), round(tmin + (tmax - tmin) * share, 2)))
    return out


@pytest.fixture
def territory(db):
    registry = load_registry(["generic", "risks"])
    now = now_ms()
    today = datetime.fromtimestamp(now / 1000, PARIS).date()
    with db.write() as conn:
        t = tenants.create_tenant(db, conn, CLI, name="CC", registry=registry)
        other = tenants.create_tenant(db, conn, CLI, name="Autre", registry=registry)
        scope = open_scope(db, conn, CLI, t["id"])
        for insee in (R, V):
            tenants.create_commune(scope, conn, {"insee": insee, "name": f"Commune {insee}"})
        rows, stations = [], {}
        for i, (insee, hot) in enumerate(((R, True), (V, False))):
            station = assets.create_asset(scope, conn, registry, {
                "ref": f"METEO-{i}", "kind": "risks.weather_station", "name": f"Station {insee}",
                "commune": insee, "geometry": {"type": "Point", "coordinates": [6.6 + i, 48.0]}})
            stations[insee] = station.id
            sid = ensure_stream(scope, conn, registry, station.id, "air.temperature")
            for k in range(20, -1, -1):
                day = today - timedelta(days=k)
                tmin, tmax = (21.0, 36.0) if hot and k < HOT_DAYS else (12.0, 24.0)
                rows += [(t["id"], sid, ms, v, 0) for ms, v in hourly(day, tmin, tmax)
                         if ms <= now]
            assets.create_asset(scope, conn, registry, {
                "ref": f"FORET-{i}", "kind": "risks.forest", "name": f"Forêt {insee}",
                "commune": insee, "geometry": {"type": "Polygon", "coordinates": [[
                    [6.5 + i, 47.9], [6.7 + i, 47.9], [6.7 + i, 48.1], [6.5 + i, 48.1],
                    [6.5 + i, 47.9]]]}})
        store_rows(scope, conn, rows, PARIS)
        users.add_member(scope, conn, {"email": "r@cc.fr", "role": "viewer",
                                       "password": "password-123", "communes": [R]})
        users.add_member(scope, conn, {"email": "all@cc.fr", "role": "viewer",
                                       "password": "password-123"})
        users.add_member(open_scope(db, conn, CLI, other["id"]), conn, {
            "email": "x@autre.fr", "role": "tenant_admin", "password": "password-123"})
    with TestClient(fresh_app(db, registry)) as client:
        headers = {}
        for email in ("r@cc.fr", "all@cc.fr", "x@autre.fr"):
            token = client.post("/api/v1/auth/token", json={
                "email": email, "password": "password-123"}).json()["access_token"]
            headers[email] = {"Authorization": f"Bearer {token}"}
        yield {"client": client, "db": db, "registry": registry, "tenant": t["id"],
               "base": f"/api/v1/tenants/{t['id']}", "h": headers, "today": today,
               "now": now, "stations": stations}


def test_heatwave_route_gives_ibm_and_the_running_episode(territory):
    client, base, today = territory["client"], territory["base"], territory["today"]
    answer = client.get(f"{base}/risks/heatwave?days=10", headers=territory["h"]["all@cc.fr"])
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["thresholds"] == {"ibmn": 18.0, "ibmx": 34.0, "department": "88",
                                  "verified": True}
    by_name = {s["name"]: s for s in body["stations"]}
    hot, cool = by_name[f"Station {R}"], by_name[f"Station {V}"]
    # The hot spell: IBM reaches both thresholds from its third day. Today's extremes so
    # far come from today's hours up to now; yesterday is complete and hot.
    start = today - timedelta(days=HOT_DAYS - 1 - 2)
    assert hot["running"]["start"] == start.isoformat()
    assert hot["running"]["end"] >= (today - timedelta(days=1)).isoformat()
    yesterday = [d for d in hot["ibm"] if d["date"] == (today - timedelta(days=1)).isoformat()]
    assert yesterday == [{"date": (today - timedelta(days=1)).isoformat(), "ibmn": 21.0,
                          "ibmx": 36.0}]
    assert cool["running"] is None and cool["episodes"] == []
    assert len(hot["days"]) == 10 and hot["days"][0]["date"] == (
        today - timedelta(days=9)).isoformat()


def test_heatwave_detector_raises_one_tenant_alert_with_the_figures(territory):
    db, registry = territory["db"], territory["registry"]
    assert run_detector(db, registry, territory["tenant"], "risks.heatwave",
                        territory["now"]) == "ok"
    with db.read() as conn:
        heat = conn.execute(select(schema.alerts).where(
            schema.alerts.c.tenant_id == territory["tenant"],
            schema.alerts.c.detector == "risks.heatwave")).all()
    assert len(heat) == 1 and heat[0].asset_id is None
    details = orjson.loads(heat[0].details)
    start = territory["today"] - timedelta(days=HOT_DAYS - 3)
    assert details["start"] == start.isoformat()
    assert details["station"] == f"Station {R}" and details["stations"] == 1
    assert (details["threshold_ibmn"], details["threshold_ibmx"]) == (18.0, 34.0)
    assert (details["peak_ibmn"], details["peak_ibmx"]) == (21.0, 36.0)
    # Shown to people as a day, the French way (not 2026-07-14).
    shown = {d["key"]: d["text"] for d in details_display(
        registry, details, "risks.heatwave", None, ZoneInfo("Europe/Paris"))}
    assert shown["start"] == f"{start.day:02d}/{start.month:02d}/{start.year}"


def test_restricted_member_and_other_tenant(territory):
    client, base, h = territory["client"], territory["base"], territory["h"]
    mine = client.get(f"{base}/risks/heatwave", headers=h["r@cc.fr"]).json()
    assert [s["name"] for s in mine["stations"]] == [f"Station {R}"]
    fire = client.get(f"{base}/risks/fire-weather", headers=h["r@cc.fr"])
    assert fire.status_code == 200 and fire.json()["stations"] == []  # no humidity etc.
    for path in ("risks/heatwave", "risks/fire-weather"):
        assert client.get(f"{base}/{path}", headers=h["x@autre.fr"]).status_code in (403, 404)
        assert client.get(f"{base}/{path}").status_code in (401, 403, 404)


@pytest.mark.parametrize("days", ["0", "367", "abc", "-3"])
def test_bad_periods_are_refused_in_french(territory, days):
    answer = territory["client"].get(f"{territory['base']}/risks/heatwave?days={days}",
                                     headers=territory["h"]["all@cc.fr"])
    assert answer.status_code == 422
    assert "nombre de jours entier" in answer.text


def test_settings_department_and_overrides(territory):
    db, registry, tid = territory["db"], territory["registry"], territory["tenant"]
    with db.write() as conn:
        scope = open_scope(db, conn, CLI, tid)
        for bad in ({"risks.heat_department": "13"}, {"risks.heat_min_threshold_c": "18"},
                    {"risks.heat_max_threshold_c": 80}, {"risks.fire_alert_level": "rouge"}):
            with pytest.raises(Invalid) as caught:
                tenants.update_tenant(scope, conn, {"settings": bad}, registry)
            assert caught.value.errors[0]["field"] == next(iter(bad))
        tenants.update_tenant(scope, conn, {"settings": {"risks.heat_department": "57"}},
                              registry)
    body = territory["client"].get(f"{territory['base']}/risks/heatwave",
                                   headers=territory["h"]["all@cc.fr"]).json()
    assert body["thresholds"]["ibmn"] == 19.0  # Moselle
    with db.write() as conn:
        tenants.update_tenant(open_scope(db, conn, CLI, tid), conn, {"settings": {
            "risks.heat_department": "51", "risks.heat_min_threshold_c": 22}}, registry)
    body = territory["client"].get(f"{territory['base']}/risks/heatwave",
                                   headers=territory["h"]["all@cc.fr"]).json()
    assert body["thresholds"] == {"ibmn": 22.0, "ibmx": 34.0, "department": "51",
                                  "verified": False, "note": "seuils à vérifier"}
    assert all(s["running"] is None for s in body["stations"])  # 21 °C < 22 °C
