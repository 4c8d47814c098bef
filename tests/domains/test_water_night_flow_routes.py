"""The night-flow series of a sector and the sectors overview over HTTP: on a small tenant
whose inflow carries a known step, the chart's leak starts within a day or two of it, the
band is the detector's, the overview shows the open alert and the service's ILP; bad
periods are refused in French."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from fastapi.testclient import TestClient
from suite_apps import fresh_app

from beffroi.core import users
from beffroi.core.access import CLI, open_scope
from beffroi.core.alerting.detectors import run_detectors
from beffroi.core.clock import now_ms
from beffroi.core.registry import load_registry
from beffroi.domains.water import night_flow_routes

from .night_series import sector_flow, village_index
from .water_network import metered_sectors

DAY = 86_400
PARIS = ZoneInfo("Europe/Paris")
LEAK_M3H = 2.0
LEAK_DAYS_AGO = 20.4  # the step starts 20.4 days before the end of the data


@pytest.fixture
def network(db):
    """A service with two sectors: A's inlet carries a 2 m³/h leak for the last 20.4
    days, B is leak-free; 120 days of 15-minute flow ending now."""
    registry = load_registry(["generic", "water"])
    end = now_ms() // 900_000 * 900
    t = np.arange(end - 120 * DAY, end + 1, 900.0)
    onset = end - LEAK_DAYS_AGO * DAY
    flows = {"A": sector_flow(t, 1, 10.0) + np.where(t >= onset, LEAK_M3H, 0.0),
             "B": sector_flow(t, 2, 6.0)}
    with db.write() as conn:
        tenant, ids = metered_sectors(db, conn, registry, t, {
            "A": ("Secteur A", 6.6, 1000, flows["A"]), "B": ("Secteur B", 6.7, 600, flows["B"])})
        scope = open_scope(db, conn, CLI, tenant["id"])
        for email, role in (("agent@eau.fr", "agent"), ("elu@eau.fr", "viewer")):
            users.add_member(scope, conn, {"email": email, "role": role,
                                           "password": "password-123"})
    with TestClient(fresh_app(db, registry)) as client:
        headers = {}
        for email in ("agent@eau.fr", "elu@eau.fr"):
            token = client.post("/api/v1/auth/token", json={
                "email": email, "password": "password-123"}).json()["access_token"]
            headers[email.split("@")[0]] = {"Authorization": f"Bearer {token}"}
        yield {"client": client, "db": db, "registry": registry, "tenant": tenant["id"],
               "base": f"/api/v1/tenants/{tenant['id']}", "onset": onset, "end": end,
               "h": headers["agent"], "viewer": headers["elu"], **ids}


def _s(iso: str) -> float:
    return datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()


def test_night_flow_shows_the_injected_step_as_a_leak(network):
    client, base = network["client"], network["base"]
    answer = client.get(f"{base}/water/sectors/{network['A']}/night-flow?days=60",
                        headers=network["viewer"])
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["sector"]["ref"] == "SEC-A" and body["days"] == 60 and body["measured"]
    assert body["window"] == {"start": "02:00", "end": "04:00", "tz": "Europe/Paris"}
    assert body["legitimate_night_use_m3h"] == pytest.approx(1.7, abs=0.01)  # 1000 × 1.7 L/h
    nights = body["nights"]
    assert 58 <= len(nights) <= 61
    assert all(n["minimum_m3h"] is not None for n in nights)
    # Night minimum of a sector of 10 m³/h at night: ~10 before, ~12 after the step.
    before = [n for n in nights if _s(n["end"]) < network["onset"]]
    after = [n for n in nights if _s(n["end"]) > network["onset"] + 3 * DAY]
    assert np.median([n["minimum_m3h"] for n in before]) == pytest.approx(10, rel=0.1)
    assert np.median([n["minimum_m3h"] for n in after]) == pytest.approx(12, rel=0.1)
    for n in before:  # a reference warmed up on the 60 earlier days, and a band around it
        assert n["band_low_m3h"] < n["reference_m3h"] < n["band_high_m3h"]
        assert n["p20_m3h"] is not None and n["leak"] is None
    assert all(n["leak"] == 0 for n in after)
    assert all(n["minimum_m3h"] > n["band_high_m3h"] for n in after[3:])
    # The smallest detectable leak: the band's half-width (min_excess × the robust spread)
    # of the last night, and that as a share of the sector's reference before its leak.
    last = nights[-1]
    assert body["sensitivity"]["min_leak_m3h"] == pytest.approx(
        last["band_high_m3h"] - last["reference_m3h"], abs=0.002)
    assert body["sensitivity"]["share_of_night_flow"] == pytest.approx(
        body["sensitivity"]["min_leak_m3h"] / last["reference_m3h"], abs=0.002)
    # …and the smallest one lasting ten nights: 2 spreads where the band is 2.5
    assert body["sensitivity"]["lasting_nights"] == 10
    assert body["sensitivity"]["min_lasting_leak_m3h"] == pytest.approx(
        (last["band_high_m3h"] - last["reference_m3h"]) * 2.0 / 2.5, abs=0.002)
    assert body["sensitivity"]["lasting_share_of_night_flow"] == pytest.approx(
        body["sensitivity"]["min_lasting_leak_m3h"] / last["reference_m3h"], abs=0.002)
    leak, = body["leaks"]
    assert leak["active"] and leak["resolved"] is None
    assert abs(_s(leak["onset"]) - network["onset"]) <= 1.5 * DAY
    assert 0 < _s(leak["detected"]) - network["onset"] <= 3 * DAY
    assert leak["extra_flow_m3h"] == pytest.approx(LEAK_M3H, rel=0.3)
    assert leak["lost_m3"] == pytest.approx(LEAK_M3H * 24 * LEAK_DAYS_AGO, rel=0.3)
    assert leak["lost_eur"] == pytest.approx(leak["lost_m3"] * 2.1, abs=2)  # both rounded
    assert leak["onset_date"] == datetime.fromtimestamp(_s(leak["onset"]), PARIS).date().isoformat()

    assert "meter_resolution_m3" not in body["sensitivity"]  # (flows: no index steps)

    quiet = client.get(f"{base}/water/sectors/{network['B']}/night-flow",
                       headers=network["h"]).json()
    assert quiet["days"] == 90 and quiet["leaks"] == [] and len(quiet["nights"]) >= 88


def test_a_factorys_weekday_nights_are_a_weekly_pattern_the_answer_gives(db):
    # A sector of 10 m³/h at night whose factory draws 3 m³/h from 00:00 to 06:00 (Paris)
    # on the nights from Monday to Saturday morning: the answer gives the pattern taken
    # out (the nights starting on Saturday and Sunday 3 m³/h under the others), its band
    # follows it, no leak; a sector without one gives none.
    registry = load_registry(["generic", "water"])
    end = now_ms() // 900_000 * 900
    t = np.arange(end - 120 * DAY, end + 1, 900.0)
    local = [datetime.fromtimestamp(s, PARIS) for s in t]
    working = np.array([at.hour < 6 and at.weekday() in (1, 2, 3, 4, 5) for at in local])
    with db.write() as conn:
        tenant, ids = metered_sectors(db, conn, registry, t, {
            "F": ("Secteur de l'usine", 6.6, 600, sector_flow(t, 5, 10.0) + 3.0 * working),
            "B": ("Secteur B", 6.7, 600, sector_flow(t, 2, 6.0))})
        users.add_member(open_scope(db, conn, CLI, tenant["id"]), conn, {
            "email": "elu@usine.fr", "role": "viewer", "password": "password-123"})
    with TestClient(fresh_app(db, registry)) as client:
        token = client.post("/api/v1/auth/token", json={
            "email": "elu@usine.fr", "password": "password-123"}).json()["access_token"]
        answer = {key: client.get(f"/api/v1/tenants/{tenant['id']}/water/sectors/{ids[key]}/"
                                  "night-flow?days=60",
                                  headers={"Authorization": f"Bearer {token}"}).json()
                  for key in ("F", "B")}
    body = answer["F"]
    assert body["leaks"] == [] and answer["B"]["weekly_pattern"] is None
    offsets = {o["weekday"]: o["offset_m3h"] for o in body["weekly_pattern"]["offsets"]}
    assert sorted(offsets) == list(range(7))
    for day, offset in offsets.items():  # (the night starting on that day)
        assert offset == pytest.approx(-3.0 if day in (5, 6) else 0.0, abs=0.5)
    # (a night's date is its window's, after midnight: Sunday's and Monday's are quiet)
    weekday = {n["date"]: datetime.fromisoformat(n["date"]).weekday() for n in body["nights"]}
    refs = {quiet: np.median([n["reference_m3h"] for n in body["nights"]
                              if (weekday[n["date"]] in (6, 0)) is quiet]) for quiet in (True, False)}
    assert refs[False] - refs[True] == pytest.approx(3.0, abs=0.5)


def test_a_meter_read_to_100_litres_sets_the_smallest_detectable_leak(db, monkeypatch):
    # A quiet village sector (night flow ≈ 1 m³/h, draws ± 5 %) whose inlet meter's
    # index is read to 0.1 m³ every quarter hour: its nights stand at 1.0 m³/h or a step
    # off, their MAD says nothing of the noise. The spread is the resolution's (0.6 ×
    # 0.1 m³/h), the smallest leak 2.5 spreads, and the answer says the meter sets it;
    # no alarm. On a pinned clock: run at 02:20 Paris time, the answer did not say that the
    # meter sets the smallest leak (the draws, and so the nights, follow the data's end).
    now = int(datetime(2026, 11, 18, 10, tzinfo=PARIS).timestamp() * 1000)
    monkeypatch.setattr(night_flow_routes, "now_ms", lambda: now)
    registry = load_registry(["generic", "water"])
    end = now // 900_000 * 900
    t = np.arange(end - 90 * DAY, end + 1, 900.0)
    with db.write() as conn:
        tenant, ids = metered_sectors(db, conn, registry, t, {
            "V": ("Secteur du village", 6.6, 120, village_index(t, 4, lumps=0.05))}, metric="water.volume")
        users.add_member(open_scope(db, conn, CLI, tenant["id"]), conn, {
            "email": "elu@village.fr", "role": "viewer", "password": "password-123"})
    with TestClient(fresh_app(db, registry)) as client:
        token = client.post("/api/v1/auth/token", json={
            "email": "elu@village.fr", "password": "password-123"}).json()
        body = client.get(f"/api/v1/tenants/{tenant['id']}/water/sectors/{ids['V']}/"
                          "night-flow?days=60",
                          headers={"Authorization": f"Bearer {token['access_token']}"}).json()
    assert body["measured"] and body["leaks"] == []
    sensitivity, last = body["sensitivity"], body["nights"][-1]
    assert sensitivity["meter_resolution_m3"] == pytest.approx(0.1)
    assert sensitivity["min_leak_m3h"] == pytest.approx(2.5 * 0.6 * 0.1, abs=0.002)
    assert sensitivity["min_leak_m3h"] == pytest.approx(
        last["band_high_m3h"] - last["reference_m3h"], abs=0.002)


def test_the_chart_shows_the_leak_of_the_alert(network):
    """Same detection as the live detector: same onset and extra flow as the alert."""
    client, base = network["client"], network["base"]
    run_detectors(network["db"], network["registry"], now_ms())
    status = client.get(f"{base}/water/sectors/status", headers=network["viewer"])
    assert status.status_code == 200, status.text
    sectors = {s["ref"]: s for s in status.json()["sectors"]}
    assert set(sectors) == {"SEC-A", "SEC-B"} and sectors["SEC-B"]["leak"] is None
    alert = sectors["SEC-A"]["leak"]
    assert alert["status"] == "open" and alert["title"].startswith("Fuite probable — Secteur A")
    chart, = client.get(f"{base}/water/sectors/{network['A']}/night-flow",
                        headers=network["viewer"]).json()["leaks"]
    assert chart["onset"] == alert["onset"]
    assert chart["extra_flow_m3h"] == alert["extra_flow_m3h"]
    assert chart["lost_m3"] == pytest.approx(alert["lost_m3"], rel=0.05)
    summary = status.json()["summary"]
    assert summary["leaks"] == 1 and summary["lost_m3"] == alert["lost_m3"]
    assert sectors["SEC-A"]["service"]["ref"] == "SVC-88383"
    assert sectors["SEC-A"]["ilp"] is None  # no figures entered for last year


def test_overview_gives_the_ilp_of_the_service(network):
    client, base, h = network["client"], network["base"], network["h"]
    year = datetime.now(PARIS).year - 1
    figures = {"produced_m3": 120_000, "metered_consumption_m3": 85_000, "mains_length_km": 40}
    assert client.put(f"{base}/water/services/{network['service']}/years/{year}", headers=h,
                      json=figures).status_code == 200
    indicators = client.get(f"{base}/water/indicators?year={year}", headers=h).json()
    service, = indicators["services"]
    overview = client.get(f"{base}/water/sectors/status", headers=h).json()
    assert overview["year"] == year
    for sector in overview["sectors"]:
        assert sector["ilp"]["value"] == service["indicators"]["ilp_m3_km_day"]
        assert sector["ilp"]["grade"] == service["indicators"]["rating"]["grade"]
        assert sector["ilp"]["compliant"] == service["indicators"]["decree"]["compliant"]
    older = client.get(f"{base}/water/sectors/status?year={year - 1}", headers=h).json()
    assert all(s["ilp"] is None for s in older["sectors"])
    bad = client.get(f"{base}/water/sectors/status?year=20x5", headers=h)
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "year"


@pytest.mark.parametrize("days", ["abc", "3", "400", "12.5", ""])
@pytest.mark.parametrize("db", ["sqlite"], indirect=True)  # refused before any storage
def test_bad_periods_are_refused_in_french(network, days):
    answer = network["client"].get(
        f"{network['base']}/water/sectors/{network['A']}/night-flow?days={days}",
        headers=network["h"])
    assert answer.status_code == 422
    problem = answer.json()
    assert problem["errors"] == [{"field": "days", "message": "nombre de nuits entier, de 7 "
                                                             "à 365"}]


def test_only_sectors_have_a_night_flow(network):
    client, base = network["client"], network["base"]
    answer = client.get(f"{base}/water/sectors/{network['service']}/night-flow",
                        headers=network["h"])
    assert answer.status_code == 404
    assert "n'est pas un secteur" in answer.json()["detail"]
    assert client.get(f"{base}/water/sectors/999999/night-flow",
                      headers=network["h"]).status_code == 404
    assert client.get(f"{base}/water/sectors/{network['A']}/night-flow").status_code in (
        401, 404)
