"""Issue #15: the follow-up steps a detector declares are recorded on its alerts over HTTP —
checked field by field (nothing stored on error), by the roles that acknowledge alerts, in
their tenant only, audited, and listed with the alert in French.

The clock of the follow-up is pinned (``NOW``) and the alerts open on a fixed day
(``OPENED``): the dates below hold whatever the day the tests run."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from suite_apps import fresh_app

from beffroi.core import assets, tenants, users
from beffroi.core.access import CLI, open_scope
from beffroi.core.alerting import alerts, interventions
from beffroi.core.registry import Domain, build_registry, discover_domains
from beffroi.plugin import DetailField, Detector, FollowUpStep
from beffroi.storage import schema
from suite_accounts import bearer

PARIS = ZoneInfo("Europe/Paris")
OPENED = datetime(2026, 1, 1, 8, tzinfo=PARIS)  # when the alerts open
ONSET = "2025-12-20T03:00:00Z"  # the estimated start of alert "c" (04:00 in Paris)
NOW = datetime(2026, 3, 1, 12, tzinfo=PARIS)  # the follow-up's clock
STEPS = (
    FollowUpStep("searching", "Recherche en cours"),
    FollowUpStep("located", "Fuite localisée", fields=(
        DetailField("located_on", "Fuite sur", "choice",
                    choices={"main": "conduite", "connection": "branchement"}, required=True),
        DetailField("position", "Position de la fuite", "position", required=True),
        DetailField("depth_m", "Profondeur", unit="m", minimum=0, maximum=10),
    )),
    FollowUpStep("repaired", "Réparée", final=True, fields=(
        DetailField("repaired_on", "Date de réparation", "date", required=True),
        DetailField("cost_eur", "Coût", unit="EUR", digits=0, minimum=0),
        DetailField("checked_at", "Contrôle", "instant"),
        DetailField("note", "Note", "text"),
        DetailField("share", "Part remplacée", "percent"),
    )),
)


def _registry():
    return build_registry(discover_domains(["generic"]) + [Domain(
        key="testing", label="Essais", detectors=(
            Detector("testing.leak", "Fuite", 900, lambda ctx: [], follow_up=STEPS),
            Detector("testing.plain", "Sans suivi", 900, lambda ctx: [])))])


def _tenant(db, registry, name: str, insee: str, people: tuple[tuple[str, str], ...]) -> dict:
    with db.write() as conn:
        t = tenants.create_tenant(db, conn, CLI, name=name, registry=registry)
        scope = open_scope(db, conn, CLI, t["id"])
        tenants.create_commune(scope, conn, {"insee": insee, "name": f"Commune {insee}"})
        site = assets.create_asset(scope, conn, registry, {
            "ref": f"SITE-{insee}", "kind": "generic.site", "name": "Réseau", "commune": insee,
            "geometry": {"type": "Point", "coordinates": [6.6, 48.0]}})
        ids = {}
        for detector, subject, details in (
                ("testing.leak", "a", {}), ("testing.leak", "b", {}), ("testing.plain", "", {}),
                ("testing.leak", "c", {"onset": ONSET})):  # raised nights after it began
            ids[f"{detector}:{subject}"] = alerts.raise_alert(
                db, conn, registry, t["id"], alerts.Trigger(
                    key=alerts.detector_key(detector, site.id, subject), severity="warning",
                    title=f"Fuite {subject}", at=int(OPENED.timestamp() * 1000),
                    asset_id=site.id, detector=detector,
                    details={"lost_m3": 120, **details})).id
        for email, role in people:
            users.add_member(scope, conn, {"email": email, "role": role,
                                           "password": "password-123"})
    return {"id": t["id"], "base": f"/api/v1/tenants/{t['id']}", "leak": ids["testing.leak:a"],
            "other": ids["testing.leak:b"], "plain": ids["testing.plain:"],
            "onset": ids["testing.leak:c"]}


@pytest.fixture
def site(db, monkeypatch):
    monkeypatch.setattr(interventions, "now_ms", lambda: int(NOW.timestamp() * 1000))
    registry = _registry()
    a = _tenant(db, registry, "CC A", "88383", (("agent@a.fr", "agent"), ("elu@a.fr", "viewer")))
    b = _tenant(db, registry, "CC B", "51234", (("admin@b.fr", "tenant_admin"),))
    with TestClient(fresh_app(db, registry)) as client:
        yield {"client": client, "db": db, "a": a, "b": b,
               "agent": bearer(client, "agent@a.fr", "password-123"),
               "viewer": bearer(client, "elu@a.fr", "password-123"),
               "admin_b": bearer(client, "admin@b.fr", "password-123")}


def _events(db, alert_id: int) -> int:
    e = schema.alert_events
    with db.read() as conn:
        return conn.execute(select(func.count()).select_from(e).where(
            e.c.alert_id == alert_id, e.c.kind == "intervention")).scalar()


def _today() -> str:
    return NOW.date().isoformat()


def test_steps_are_recorded_listed_in_french_and_audited(site, op_headers):
    client, a, h = site["client"], site["a"], site["agent"]
    url = f"{a['base']}/alerts/{a['leak']}"
    located = client.post(f"{url}/interventions", headers=h, json={
        "step": "located", "at": "2026-01-05T09:30:00+01:00", "located_on": "connection",
        "position": {"lon": 6.59123, "lat": 48.01717}, "comment": " Devant le n° 12 "})
    assert located.status_code == 201, located.text
    body = located.json()
    # The first step takes an open alert in hand.
    assert body["status"] == "acknowledged" and body["acknowledged_at"] is not None
    [step] = body["interventions"]
    assert (step["step"], step["step_label"], step["final"]) == ("located", "Fuite localisée",
                                                                  False)
    assert step["at"] == "2026-01-05T08:30:00Z" and step["user_email"] == "agent@a.fr"
    assert step["comment"] == "Devant le n° 12"
    assert step["values"] == {"located_on": "connection",
                              "position": {"lon": 6.59123, "lat": 48.01717}}
    assert [(d["label"], d["text"]) for d in step["display"]] == [
        ("Fuite sur", "branchement"), ("Position de la fuite", "48,01717° N, 6,59123° E")]
    assert step["recorded_at"] is not None
    repaired = client.post(f"{url}/interventions", headers=h, json={
        "step": "repaired", "at": "2026-01-07", "repaired_on": "2026-01-07", "cost_eur": 1850,
        "checked_at": "2026-01-08T06:00:00Z", "note": "Collier posé", "share": 12.5})
    assert repaired.status_code == 201, repaired.text
    alert = client.get(url, headers=site["viewer"]).json()
    assert [i["step"] for i in alert["interventions"]] == ["located", "repaired"]
    last = alert["interventions"][-1]
    assert last["at"] == "2026-01-06T23:00:00Z"  # the date's midnight in Paris
    assert {d["key"]: d["text"] for d in last["display"]} == {
        "repaired_on": "07/01/2026", "cost_eur": "1\u202f850\u00a0€",
        "checked_at": "08/01/2026 07:00", "note": "Collier posé", "share": "12,5\u00a0%"}
    kinds = [e["kind"] for e in alert["history"]]
    assert kinds == ["opened", "acknowledged", "intervention", "intervention"]
    assert alert["history"][2]["details"]["step"] == "located"
    entries = client.get(f"{a['base']}/audit", headers=op_headers,
                         params={"entity": "alert"}).json()
    assert [(e["action"], e["entity_id"], e["details"]["step"]) for e in entries] == [
        ("intervention", str(a["leak"]), "repaired"), ("intervention", str(a["leak"]), "located")]
    # Steps in the order they were done, whatever the order they were entered in.
    early = client.post(f"{url}/interventions", headers=h, json={"step": "searching",
                                                                 "at": "2026-01-02"})
    assert [i["step"] for i in early.json()["interventions"]] == [
        "searching", "located", "repaired"]


def test_the_detectors_route_gives_each_detectors_steps_and_fields(site):
    detectors = {d["key"]: d for d in site["client"].get("/api/v1/alerts/detectors").json()}
    assert detectors["testing.plain"]["follow_up"] == []
    searching, located, repaired = detectors["testing.leak"]["follow_up"]
    assert searching == {"key": "searching", "label": "Recherche en cours", "final": False,
                         "fields": []}
    assert repaired["final"] is True
    assert located["fields"][0] == {
        "key": "located_on", "label": "Fuite sur", "kind": "choice", "unit": None,
        "unit_from": None, "digits": 2,
        "choices": {"main": "conduite", "connection": "branchement"}, "shown": True,
        "required": True, "minimum": None, "maximum": None}
    assert (located["fields"][2]["minimum"], located["fields"][2]["maximum"]) == (0, 10)


TOMORROW = (NOW.date() + timedelta(days=2)).isoformat()
BAD = [
    ({"step": "digging"}, {"step"}, "Étape de suivi « digging » inconnue"),
    ({}, {"step"}, "Étape de suivi manquante"),
    ({"step": "located", "position": {"lon": 6.5, "lat": 48.0}}, {"located_on"},
     "Fuite sur : champ obligatoire"),
    ({"step": "located", "located_on": "road", "position": {"lon": 6.5, "lat": 48.0}},
     {"located_on"}, "valeur attendue parmi : main (conduite), connection (branchement)"),
    ({"step": "located", "located_on": "main", "position": {"lon": 6.5, "lat": 95}},
     {"position.lat"}, "Position de la fuite : latitude entre −90 et 90 degrés attendue"),
    ({"step": "located", "located_on": "main", "position": {"lon": "6,5", "lat": 48}},
     {"position.lon"}, "longitude : nombre attendu"),
    ({"step": "located", "located_on": "main", "position": [6.5, 48.0]}, {"position"},
     'objet {"lon": …, "lat": …} attendu'),
    ({"step": "located", "located_on": "main", "position": {"lon": 6.5, "lat": 48, "z": 1}},
     {"position"}, "degrés WGS84"),
    ({"step": "located", "located_on": "main", "position": {"lon": 6.5, "lat": 48},
      "depth_m": 12}, {"depth_m"}, "Profondeur : entre 0 et 10\u00a0m attendu"),
    ({"step": "located", "located_on": "main", "position": {"lon": 6.5, "lat": 48},
      "depth_m": True}, {"depth_m"}, "nombre attendu"),
    ({"step": "repaired", "repaired_on": TOMORROW}, {"repaired_on"}, "date dans le futur"),
    ({"step": "repaired", "repaired_on": "07/01/2026"}, {"repaired_on"}, "AAAA-MM-JJ attendue"),
    ({"step": "repaired", "repaired_on": "2026-01-07", "cost_eur": -5}, {"cost_eur"},
     "Coût : 0\u00a0€ au minimum"),
    ({"step": "repaired", "repaired_on": "2026-01-07", "share": 120}, {"share"},
     "entre 0 et 100 attendu"),
    ({"step": "repaired", "repaired_on": "2026-01-07", "checked_at": "2026-01-08 06:00"},
     {"checked_at"}, "sans fuseau horaire"),
    ({"step": "searching", "at": TOMORROW}, {"at"}, "Date : date dans le futur"),
    ({"step": "searching", "at": "2999-01-01T00:00:00Z"}, {"at"}, "instant dans le futur"),
    ({"step": "searching", "at": "hier"}, {"at"}, "illisible"),
    # A year mistyped (« 20260 » in a date picker gives 0260), before 2000: refused.
    ({"step": "repaired", "repaired_on": "0260-12-03"}, {"repaired_on"},
     "Date de réparation : date du 03/12/0260 impossible : le 01/01/2000 au plus tôt"),
    ({"step": "searching", "at": "1999-12-31"}, {"at"}, "le 01/01/2000 au plus tôt"),
    # Nothing is done on an alert before it began (opened on 01/01/2026, no onset).
    ({"step": "searching", "at": "2025-12-31"}, {"at"},
     "Date : date du 31/12/2025 antérieure au début de l'alerte (01/01/2026)"),
    ({"step": "searching", "at": "2025-12-31T22:59:00Z"}, {"at"},
     "antérieure au début de l'alerte (01/01/2026)"),
    ({"step": "repaired", "repaired_on": "2025-12-31"}, {"repaired_on"},
     "Date de réparation : date du 31/12/2025 antérieure au début de l'alerte"),
    ({"step": "repaired", "repaired_on": "2026-01-07", "checked_at": "2025-12-30T06:00:00Z"},
     {"checked_at"}, "Contrôle : date du 30/12/2025 antérieure au début de l'alerte"),
    ({"step": "searching", "comment": 12}, {"comment"}, "texte attendu"),
    ({"step": "searching", "comment": "x" * 2001}, {"comment"}, "2000 caractères au plus"),
    ({"step": "searching", "located_on": "main"}, {"located_on"},
     "champ inconnu de l'étape « Recherche en cours »"),
    # Every field at fault at once.
    ({"step": "located", "position": {"lon": 200, "lat": 48}, "at": TOMORROW},
     {"at", "located_on", "position.lon"}, "longitude entre −180"),
]


@pytest.mark.parametrize(("body", "fields", "message"), BAD)
def test_bad_steps_are_refused_naming_their_fields_and_nothing_is_stored(site, body, fields,
                                                                          message):
    client, a = site["client"], site["a"]
    response = client.post(f"{a['base']}/alerts/{a['leak']}/interventions",
                           headers=site["agent"], json=body)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert {e["field"] for e in problem["errors"]} == fields
    assert message in problem["detail"] + " ".join(e["message"] for e in problem["errors"])
    assert _events(site["db"], a["leak"]) == 0
    assert client.get(f"{a['base']}/alerts/{a['leak']}",
                      headers=site["agent"]).json()["status"] == "open"


def test_who_may_record_steps_and_on_which_alerts(site):
    client, a = site["client"], site["a"]
    step = {"step": "searching"}
    url = f"{a['base']}/alerts/{a['leak']}/interventions"
    # A viewer reads, does not record (the rule of acknowledging and commenting).
    assert client.post(url, headers=site["viewer"], json=step).status_code == 403
    # An admin of tenant B sees nothing of tenant A: neither through A…
    assert client.post(url, headers=site["admin_b"], json=step).status_code == 404
    # … nor through B with A's alert id.
    across = client.post(f"{site['b']['base']}/alerts/{a['leak']}/interventions",
                         headers=site["admin_b"], json=step)
    assert across.status_code == 404 and "introuvable" in across.json()["detail"]
    assert client.get(f"{site['b']['base']}/alerts/{a['leak']}",
                      headers=site["admin_b"]).status_code == 404
    assert _events(site["db"], a["leak"]) == 0
    # Without a session.
    assert client.post(url, json=step).status_code == 401
    # An alert whose detector declares no step has no follow-up.
    plain = client.post(f"{a['base']}/alerts/{a['plain']}/interventions",
                        headers=site["agent"], json=step)
    assert plain.status_code == 409
    assert "pas de suivi d'intervention" in plain.json()["detail"]
    assert client.post(f"{a['base']}/alerts/999999/interventions", headers=site["agent"],
                       json=step).status_code == 404
    assert client.post(url, headers=site["agent"], json=step).status_code == 201


def test_a_resolved_alert_takes_only_its_final_step(site):
    client, a, h = site["client"], site["a"], site["agent"]
    url = f"{a['base']}/alerts/{a['other']}"
    assert client.post(f"{url}/resolve", headers=h, json={}).status_code == 200
    refused = client.post(f"{url}/interventions", headers=h, json={"step": "searching"})
    assert refused.status_code == 409
    assert "seule une étape finale (« Réparée »)" in refused.json()["detail"]
    late = client.post(f"{url}/interventions", headers=h, json={
        "step": "repaired", "repaired_on": _today()})
    assert late.status_code == 201, late.text
    assert late.json()["status"] == "resolved"  # recording a repair does not change it


def test_steps_are_dated_from_the_alerts_start_its_onset_when_earlier(site):
    """Alert "c" was raised on 01/01/2026 for what began on 20/12/2025 (its ``onset``): a
    repair from that day on is accepted — it may precede the alert —, not before."""
    client, a, h = site["client"], site["a"], site["agent"]
    url = f"{a['base']}/alerts/{a['onset']}"
    assert client.get(url, headers=h).json()["interventions_since"] == "2025-12-20"
    assert client.get(f"{a['base']}/alerts/{a['leak']}",
                      headers=h).json()["interventions_since"] == "2026-01-01"
    early = client.post(f"{url}/interventions", headers=h, json={
        "step": "repaired", "at": "2025-12-19", "repaired_on": "2025-12-19"})
    assert early.status_code == 422, early.text
    assert {e["field"] for e in early.json()["errors"]} == {"at", "repaired_on"}
    assert "antérieure au début de l'alerte (20/12/2025)" in early.json()["detail"]
    assert _events(site["db"], a["onset"]) == 0
    repaired = client.post(f"{url}/interventions", headers=h, json={
        "step": "repaired", "at": "2025-12-20", "repaired_on": "2025-12-20"})
    assert repaired.status_code == 201, repaired.text
    [step] = repaired.json()["interventions"]
    assert step["values"]["repaired_on"] == "2025-12-20"
    assert {d["key"]: d["text"] for d in step["display"]}["repaired_on"] == "20/12/2025"
    # On the alert without onset, its opening day itself is allowed (before its hour too).
    searched = client.post(f"{a['base']}/alerts/{a['leak']}/interventions", headers=h,
                           json={"step": "searching", "at": "2026-01-01T06:00:00+01:00"})
    assert searched.status_code == 201, searched.text
