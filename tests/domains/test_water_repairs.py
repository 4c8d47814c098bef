"""Issue #15: the follow-up of leak alerts up to the repair — the steps water declares, the
repairs the detector reads back, and the yearly list of repaired leaks with the water early
detection saved, checked against a computation written here from the data created."""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from suite_apps import fresh_app

from beffroi.core import assets, tenants, users
from beffroi.core.access import CLI, open_scope
from beffroi.core.alerting import alerts
from beffroi.core.alerting.detectors import registered_detectors
from beffroi.core.clock import parse_instant
from beffroi.core.registry import load_registry
from beffroi.domains.water.interventions import LEAK_FOLLOW_UP, RecordedRepair, recorded_repairs
from suite_accounts import bearer

PARIS = ZoneInfo("Europe/Paris")
Y = datetime.now(PARIS).year - 1  # a whole past year: every date below is in the past
DETECTOR = "water.night_flow_leak"
# key: (sector, onset, extra flow m³/h, lost m³, steps, how the alert ends)
LEAKS = {
    "A1": ("A", f"{Y}-03-01T01:00:00Z", 2.0, 900,
           [{"step": "searching", "at": f"{Y}-03-10"},
            {"step": "located", "at": f"{Y}-03-18", "located_on": "main",
             "position": {"lon": 6.6012, "lat": 48.0043}},
            {"step": "repaired", "at": f"{Y}-03-20", "repaired_on": f"{Y}-03-20",
             "cost_eur": 1500, "pipe_material": "cast_iron", "diameter_mm": 100}],
           ("cleared", f"{Y}-03-21T02:00:00Z")),
    "A2": ("A", f"{Y}-05-10T00:00:00Z", 1.2, 300,
           [{"step": "located", "located_on": "connection",
             "position": {"lon": 6.605, "lat": 48.006}},
            {"step": "repaired", "repaired_on": f"{Y}-06-01"}],
           ("refuted", None)),
    "A3": ("A", f"{Y}-01-20T12:00:00Z", 0.5, 80,
           [{"step": "repaired", "repaired_on": f"{Y}-02-01", "cost_eur": 400},
            {"step": "repaired", "repaired_on": f"{Y}-02-03", "cost_eur": 450}],  # corrected
           ("cleared_first", f"{Y}-02-01T03:00:00Z")),
    "B1": ("B", f"{Y}-08-01T00:00:00Z", 3.5, 5000,
           [{"step": "repaired", "repaired_on": f"{Y}-12-31", "cost_eur": 2200.5}],
           ("active", None)),
    "B2": ("B", f"{Y - 1}-12-01T00:00:00Z", 0.8, 150,  # repaired the year before
           [{"step": "repaired", "repaired_on": f"{Y - 1}-12-20", "cost_eur": 300}],
           ("active", None)),
    "B3": ("B", None, 1.0, 40,  # no onset: no saving computed
           [{"step": "repaired", "repaired_on": f"{Y}-07-07"}], ("by_hand", None)),
    "B4": ("B", f"{Y}-09-01T00:00:00Z", 1.0, 70,  # located, never repaired
           [{"step": "located", "located_on": "main", "position": {"lon": 6.7, "lat": 48.0}}],
           ("active", None)),
}
EXPECTED_STATUS = {"A1": "confirmed", "A2": "refuted", "A3": "ended_before_repair",
                   "B1": "pending", "B3": "resolved_by_hand"}


def _square(x: float) -> dict:
    return {"type": "Polygon", "coordinates": [[[x, 48.0], [x + 0.01, 48.0], [x + 0.01, 48.01],
                                                [x, 48.01], [x, 48.0]]]}


@pytest.fixture
def water(db):
    registry = load_registry(["generic", "water"])
    with db.write() as conn:
        t = tenants.create_tenant(db, conn, CLI, name="Syndicat des eaux", registry=registry)
        scope = open_scope(db, conn, CLI, t["id"])
        tenants.create_commune(scope, conn, {"insee": "88383", "name": "Remiremont"})
        service = assets.create_asset(scope, conn, registry, {
            "ref": "SVC-88383", "kind": "water.service", "name": "Régie de Remiremont",
            "commune": "88383", "geometry": {"type": "Point", "coordinates": [6.6, 48.0]}})
        sectors = {key: assets.create_asset(scope, conn, registry, {
            "ref": f"SEC-{key}", "kind": "water.sector", "name": f"Secteur {key}",
            "commune": "88383", "geometry": _square(x), "parent_id": service.id}).id
            for key, x in (("A", 6.6), ("B", 6.7))}
        for email, role in (("agent@eau.fr", "agent"), ("elu@eau.fr", "viewer")):
            users.add_member(scope, conn, {"email": email, "role": role,
                                           "password": "password-123"})
        other = tenants.create_tenant(db, conn, CLI, name="Autre", registry=registry)
        users.add_member(open_scope(db, conn, CLI, other["id"]), conn, {
            "email": "admin@autre.fr", "role": "tenant_admin", "password": "password-123"})
        ids = {}
        for key, (sector, onset, extra, lost, _, (end, _at)) in LEAKS.items():
            details = {"extra_flow_m3h": extra, "lost_m3": lost, "lost_eur": round(lost * 2.1)}
            if onset:
                details["onset"] = onset
            if end == "refuted":
                details["repair_status"] = "refuted"
            # (without onset: opened a few days before its repair, which cannot predate it)
            opened = parse_instant(onset) + 2 * 86_400_000 if onset \
                else parse_instant(f"{Y}-07-01T00:00:00Z")
            ids[key] = alerts.raise_alert(db, conn, registry, t["id"], alerts.Trigger(
                key=alerts.detector_key(DETECTOR, sectors[sector], key), severity="warning",
                title=f"Fuite probable — Secteur {sector}", at=opened,
                asset_id=sectors[sector], detector=DETECTOR, details=details)).id
    client = TestClient(fresh_app(db, registry))
    agent = bearer(client, "agent@eau.fr", "password-123")
    base = f"/api/v1/tenants/{t['id']}"
    for key, (sector, _, _, _, steps, (end, at)) in LEAKS.items():
        url = f"{base}/alerts/{ids[key]}"
        if end == "cleared_first":  # the nights ended it before the repair was entered
            with db.write() as conn:
                alerts.clear_alert(db, conn, t["id"], alerts.detector_key(
                    DETECTOR, sectors[sector], key), parse_instant(at))
        for step in steps:
            answer = client.post(f"{url}/interventions", headers=agent, json=step)
            assert answer.status_code == 201, answer.text
        if end == "cleared":
            with db.write() as conn:
                alerts.clear_alert(db, conn, t["id"], alerts.detector_key(
                    DETECTOR, sectors[sector], key), parse_instant(at))
        elif end == "by_hand":
            assert client.post(f"{url}/resolve", headers=agent, json={}).status_code == 200
    yield {"client": client, "db": db, "registry": registry, "tenant": t["id"], "base": base,
           "ids": ids, "sectors": sectors, "service": service.id, "agent": agent,
           "viewer": bearer(client, "elu@eau.fr", "password-123"),
           "stranger": bearer(client, "admin@autre.fr", "password-123"),
           "stranger_base": f"/api/v1/tenants/{other['id']}"}
    client.close()


def _midnight(day: str) -> datetime:
    return datetime.combine(date.fromisoformat(day), time(), PARIS)


def expected_saved(key: str, usual_days: float) -> float | None:
    """m³ saved, computed here: extra flow × 24 h × the days the leak would have run on."""
    _, onset, extra, _, steps, _ = LEAKS[key]
    if onset is None:
        return None
    repaired = _midnight([s for s in steps if s["step"] == "repaired"][-1]["repaired_on"])
    ran = (repaired - datetime.fromisoformat(onset.replace("Z", "+00:00"))).total_seconds()
    return extra * 24 * max(0.0, usual_days - ran / 86_400)


def test_water_declares_the_steps_of_a_leak_alert():
    registry = load_registry(["generic", "water"])
    detector, = [d for d in registered_detectors(registry) if d.key == DETECTOR]
    assert detector.follow_up is LEAK_FOLLOW_UP
    searching, located, repaired, no_leak = LEAK_FOLLOW_UP
    assert [(s.key, s.label, s.final) for s in LEAK_FOLLOW_UP] == [
        ("searching", "Recherche en cours", False), ("located", "Fuite localisée", False),
        ("repaired", "Réparée", True), ("no_leak_found", "Aucune fuite trouvée", True)]
    assert no_leak.fields == ()  # its date is the step's own (when the search ended)
    assert {f.key: (f.kind, f.required) for f in located.fields} == {
        "located_on": ("choice", True), "position": ("position", True)}
    assert dict(located.fields[0].choices) == {"main": "conduite", "connection": "branchement"}
    fields = {f.key: f for f in repaired.fields}
    assert fields["repaired_on"].required and not fields["cost_eur"].required
    assert fields["cost_eur"].minimum == 0
    assert (fields["diameter_mm"].minimum, fields["diameter_mm"].maximum) == (10, 2000)
    assert list(fields["pipe_material"].choices.values()) == [
        "fonte", "PVC", "PEHD", "acier", "amiante-ciment", "plomb", "autre"]


def test_the_detector_reads_the_latest_repair_of_each_alert_of_a_sector(water):
    with water["db"].read() as conn:
        repairs = recorded_repairs(conn, water["tenant"], water["sectors"]["A"])
    ids = water["ids"]
    assert repairs == sorted([
        RecordedRepair(ids["A1"], parse_instant(LEAKS["A1"][1]),
                       int(_midnight(f"{Y}-03-20").timestamp() * 1000)),
        RecordedRepair(ids["A2"], parse_instant(LEAKS["A2"][1]),
                       int(_midnight(f"{Y}-06-01").timestamp() * 1000)),
        RecordedRepair(ids["A3"], parse_instant(LEAKS["A3"][1]),  # the corrected day
                       int(_midnight(f"{Y}-02-03").timestamp() * 1000))],
        key=lambda r: r.alert_id)
    with water["db"].read() as conn:
        b = recorded_repairs(conn, water["tenant"], water["sectors"]["B"])
    assert {r.alert_id: r.onset_ms for r in b} == {ids["B1"]: parse_instant(LEAKS["B1"][1]),
                                                   ids["B2"]: parse_instant(LEAKS["B2"][1]),
                                                   ids["B3"]: None}


def _check_year(body: dict, usual_days: float, price: float = 2.1) -> None:
    items = body["items"]
    keys = ["A3", "A1", "A2", "B3", "B1"]  # by repair day
    assert [i["repaired_on"] for i in items] == [
        f"{Y}-02-03", f"{Y}-03-20", f"{Y}-06-01", f"{Y}-07-07", f"{Y}-12-31"]
    for key, item in zip(keys, items, strict=True):
        sector, onset, extra, lost, steps, _ = LEAKS[key]
        repair = [s for s in steps if s["step"] == "repaired"][-1]
        assert item["sector"]["ref"] == f"SEC-{sector}"
        assert item["lost_m3"] == lost and item["extra_flow_m3h"] == extra
        assert item["cost_eur"] == repair.get("cost_eur")
        assert item["confirmation"] == EXPECTED_STATUS[key]
        saved = expected_saved(key, usual_days)
        assert item["saved_m3"] == (None if saved is None else pytest.approx(saved, abs=0.05))
    saved = [expected_saved(k, usual_days) for k in keys]
    assert body["totals"] == {
        "count": 5, "lost_m3": 900 + 300 + 80 + 5000 + 40,
        "cost_eur": pytest.approx(1500 + 450 + 2200.5), "cost_unknown": 2,
        "saved_m3": pytest.approx(sum(s for s in saved if s is not None), abs=0.1),
        "saved_eur": pytest.approx(sum(s for s in saved if s is not None) * price, abs=0.3),
        "saved_unknown": 1, "confirmed": 1}


def test_the_years_repaired_leaks_and_the_water_early_detection_saved(water):
    client, base = water["client"], water["base"]
    answer = client.get(f"{base}/water/repaired-leaks", params={"year": Y},
                        headers=water["viewer"])
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["year"] == Y and body["usual_leak_duration_days"] == 90
    _check_year(body, 90)
    a1, a2 = body["items"][1], body["items"][2]
    assert (a1["located_on"], a1["located_on_label"]) == ("main", "conduite")
    assert a1["position"] == {"lon": 6.6012, "lat": 48.0043}
    assert (a1["pipe_material_label"], a1["diameter_mm"]) == ("fonte", 100)
    assert a1["confirmation_label"] == "confirmée"
    assert (a2["located_on_label"], a2["confirmation_label"]) == ("branchement",
                                                                  "fuite persistante")
    assert body["items"][4]["confirmation_label"] == "en attente de confirmation"
    # Leak A1 ran from 1 March 02:00 to 20 March 00:00 (Paris), 18 days 22 hours of the
    # usual 90: 2 m³/h × 24 h × (90 − 18.92) days saved, about 3,412 m³.
    assert a1["duration_days"] == 18.9
    assert a1["saved_m3"] == pytest.approx(2 * 24 * (90 - (18 + 22 / 24)), abs=0.05)
    # The year before holds B2 only.
    before = client.get(f"{base}/water/repaired-leaks", params={"year": Y - 1},
                        headers=water["viewer"]).json()
    assert [i["alert_id"] for i in before["items"]] == [water["ids"]["B2"]]


def test_the_usual_duration_is_a_tenant_setting(water, op_headers):
    client, base = water["client"], water["base"]
    changed = client.patch(base, headers=op_headers,
                           json={"settings": {"water.usual_leak_duration_days": 30}})
    assert changed.status_code == 200, changed.text
    body = client.get(f"{base}/water/repaired-leaks", params={"year": Y},
                      headers=water["viewer"]).json()
    assert body["usual_leak_duration_days"] == 30
    _check_year(body, 30)
    refused = client.patch(base, headers=op_headers,
                           json={"settings": {"water.usual_leak_duration_days": 0}})
    assert refused.status_code == 422


def test_the_rpqs_report_lists_the_periods_repaired_leaks(water):
    client, base = water["client"], water["base"]
    report = client.get(f"{base}/water/indicators", params={"year": Y},
                        headers=water["viewer"]).json()
    _check_year(report["repaired_leaks"], 90)
    service, = report["services"]
    assert service["repaired_leaks"] == report["repaired_leaks"]["totals"]


def test_bad_years_and_other_tenants(water):
    client, base = water["client"], water["base"]
    for params in ({}, {"year": "20x5"}, {"year": Y + 5}):
        answer = client.get(f"{base}/water/repaired-leaks", params=params,
                            headers=water["viewer"])
        assert answer.status_code == 422, params
    assert client.get(f"{base}/water/repaired-leaks", params={"year": Y},
                      headers=water["stranger"]).status_code == 404
    theirs = client.get(f"{water['stranger_base']}/water/repaired-leaks", params={"year": Y},
                        headers=water["stranger"]).json()
    assert theirs["items"] == [] and theirs["totals"]["count"] == 0
