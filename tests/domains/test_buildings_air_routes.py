"""Issue #18, indoor air over HTTP: ICONE and CO2 classes per room from occupied-time
readings, the CO2 heat map by hour of the week, the yearly ventilation evaluation report
(JSON and PDF read back with pypdf); another tenant's member gets 404, a member limited to
one commune sees only its buildings; bad periods and years are refused in French.

A school in Remiremont with two classrooms measured every 10 minutes over the week of 17
March 2025 (in term, zone B), a dormitory without sensor; a gymnasium in another commune.
Expected figures are computed here from the readings built here."""

from __future__ import annotations

import io
import math
from collections import defaultdict
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from pypdf import PdfReader
from reports.report_text import pdf_structure
from suite_apps import fresh_app

from beffroi.core import assets, tenants, users
from beffroi.core.access import CLI, open_scope
from beffroi.core.observations import store_rows
from beffroi.core.registry import load_registry
from beffroi.core.streams import ensure_stream
from suite_accounts import bearer

PARIS = ZoneInfo("Europe/Paris")
A, B = "88383", "88413"
MONDAY = datetime(2025, 3, 17, tzinfo=PARIS)
CLASS_HOURS = ((8 * 60 + 30, 11 * 60 + 30), (13 * 60 + 30, 16 * 60 + 30))
POINT = {"type": "Point", "coordinates": [6.59, 48.02]}


def in_class(local: datetime) -> bool:
    minute = local.hour * 60 + local.minute
    return local.weekday() in (0, 1, 3, 4) and any(s <= minute < e for s, e in CLASS_HOURS)


def cp_value(local: datetime) -> float:
    """Classe CP: confined on Thursday, middle band Monday and Tuesday, fine on Friday;
    2,500 ppm on Wednesday morning (no class: never counted), 500 outside classes."""
    if local.weekday() == 2 and 9 <= local.hour < 11:
        return 2500.0
    if not in_class(local):
        return 500.0
    return {0: 1200.0, 1: 1200.0, 3: 1800.0, 4: 700.0}[local.weekday()]


def ce1_value(local: datetime) -> float:
    """Classe CE1: 600 ppm but 1,550 on Monday from 10:00 to 10:50."""
    return 1550.0 if local.weekday() == 0 and local.hour == 10 else 600.0


def week_readings(value) -> list[tuple[int, float, datetime]]:
    out = []
    for k in range(7 * 24 * 6):
        local = MONDAY + timedelta(minutes=10 * k)
        out.append((int(local.timestamp() * 1000), value(local), local))
    return out


def published(values: list[float]) -> tuple[int, float, float]:
    n = len(values)
    f1 = sum(1000 <= v <= 1700 for v in values) / n
    f2 = sum(v > 1700 for v in values) / n
    return math.floor(2.5 / math.log10(2) * math.log10(1 + f1 + 3 * f2) + 0.5), f1, f2


@pytest.fixture
def school(db):
    registry = load_registry(["generic", "buildings"])
    with db.write() as conn:
        t = tenants.create_tenant(db, conn, CLI, name="CC des Vosges", registry=registry)
        other = tenants.create_tenant(db, conn, CLI, name="Autre", registry=registry)
        scope = open_scope(db, conn, CLI, t["id"])
        for insee in (A, B):
            tenants.create_commune(scope, conn, {"insee": insee, "name": f"Commune {insee}"})
        building = assets.create_asset(scope, conn, registry, {
            "ref": "ECOLE-JF", "kind": "buildings.building", "name": "École Jules-Ferry",
            "commune": A, "geometry": POINT, "properties": {
                "usage": "ecole", "opening_hours": "MON,TUE,THU,FRI 08:30-11:30,13:30-16:30",
                "school_zone": "B", "closed_school_holidays": True,
                "closed_public_holidays": True, "air_referent": "direction@ecole-jf.fr",
                "ventilation_evaluations": {"2024-2025": {
                    "evaluator": "Mme Martin", "evaluated_on": "2025-03-21",
                    "action_plan": "Aérer 5 minutes toutes les heures en CP <b>",
                    "due_date": "2025-04-30"}}}})
        rooms, rows = {}, []
        for ref, name, ventilation, value in (
                ("CP", "Classe CP", "naturelle", cp_value),
                ("CE1", "Classe CE1", "vmc_double_flux", ce1_value)):
            room = assets.create_asset(scope, conn, registry, {
                "ref": ref, "kind": "buildings.room", "name": name, "commune": A,
                "parent_id": building.id, "geometry": POINT, "properties": {
                    "room_type": "classe", "capacity": 24, "ventilation": ventilation}})
            sid = ensure_stream(scope, conn, registry, room.id, "air.co2")
            rooms[ref] = (room.id, sid, week_readings(value))
            rows += [(t["id"], sid, ms, v, 0) for ms, v, _ in rooms[ref][2]]
        assets.create_asset(scope, conn, registry, {
            "ref": "DORTOIR", "kind": "buildings.room", "name": "Dortoir", "commune": A,
            "parent_id": building.id, "geometry": POINT, "properties": {
                "room_type": "dortoir", "air_evaluations": {"2024-2025": {
                    "openings_ok": False, "findings": "Fenêtre bloquée"}}}})
        gym = assets.create_asset(scope, conn, registry, {
            "ref": "GYM", "kind": "buildings.building", "name": "Gymnase", "commune": B,
            "geometry": POINT, "properties": {"usage": "gymnase"}})
        store_rows(scope, conn, rows, PARIS)
        for email, communes in (("tous@cc.fr", None), ("a@cc.fr", [A]), ("b@cc.fr", [B])):
            users.add_member(scope, conn, {"email": email, "role": "viewer",
                                           "password": "password-123", "communes": communes})
        users.add_member(open_scope(db, conn, CLI, other["id"]), conn, {
            "email": "x@autre.fr", "role": "tenant_admin", "password": "password-123"})
    with TestClient(fresh_app(db, registry)) as client:
        headers = {email: bearer(client, email, "password-123")
                   for email in ("tous@cc.fr", "a@cc.fr", "b@cc.fr", "x@autre.fr")}
        yield {"client": client, "h": headers, "building": building.id, "gym": gym.id,
               "rooms": rooms, "other": other["id"], "tenant": t["id"],
               "base": f"/api/v1/tenants/{t['id']}/buildings/{building.id}"}


WEEK = "from=2025-03-17&to=2025-03-23"


def test_air_gives_icone_and_class_of_each_room_from_occupied_readings(school):
    answer = school["client"].get(f"{school['base']}/air?{WEEK}", headers=school["h"]["a@cc.fr"])
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["period"] == {"from": "2025-03-17", "to": "2025-03-23"}
    assert body["thresholds"] == {"action_ppm": 800.0, "urgent_ppm": 1500.0}
    assert body["occupancy"]["opening_hours_label"] == (
        "lundi, mardi, jeudi, vendredi de 08 h 30 à 11 h 30 et de 13 h 30 à 16 h 30")
    by_ref = {r["ref"]: r for r in body["rooms"]}
    assert list(by_ref) == ["CE1", "CP", "DORTOIR"]  # by name
    for ref in ("CP", "CE1"):
        occupied = [v for _, v, local in school["rooms"][ref][2] if in_class(local)]
        index, f1, f2 = published(occupied)
        room = by_ref[ref]
        assert (room["icone"], room["readings"]) == (index, len(occupied))
        assert room["f1"] == round(f1, 4) and room["f2"] == round(f2, 4)
        assert room["readings_total"] == 7 * 24 * 6
        assert room["max_ppm"] == max(occupied)
    # 4 days × 6 hours × 6 readings; CP: Monday and Tuesday in the band, Thursday above.
    assert by_ref["CP"]["readings"] == 144 and by_ref["CP"]["icone"] == 3
    assert by_ref["CP"]["co2_class"] == "urgent"  # 1,800 ppm on Thursday
    assert by_ref["CP"]["shares"] == {"satisfaisant": 0.25, "action": 0.5, "urgent": 0.25}
    assert by_ref["CE1"]["icone"] == 0 and by_ref["CE1"]["co2_class"] == "urgent"  # 1,550
    assert by_ref["DORTOIR"]["readings"] == 0 and by_ref["DORTOIR"]["icone"] is None


def test_co2_week_is_the_mean_of_each_hour_of_the_week(school):
    answer = school["client"].get(f"{school['base']}/co2-week?{WEEK}",
                                  headers=school["h"]["tous@cc.fr"])
    assert answer.status_code == 200, answer.text
    cp = next(r for r in answer.json()["rooms"] if r["ref"] == "CP")
    assert len(cp["mean_ppm"]) == 168
    sums, counts = defaultdict(float), defaultdict(int)
    for _, v, local in school["rooms"]["CP"][2]:
        slot = local.weekday() * 24 + local.hour
        sums[slot] += v
        counts[slot] += 1
    assert cp["mean_ppm"] == [round(sums[h] / counts[h], 1) for h in range(168)]
    assert cp["mean_ppm"][2 * 24 + 9] == 2500.0  # Wednesday 09:00: shown, not in ICONE
    assert cp["mean_ppm"][8] == (3 * 500 + 3 * 1200) / 6  # Monday 08:00-09:00
    dortoir = next(r for r in answer.json()["rooms"] if r["ref"] == "DORTOIR")
    assert dortoir["mean_ppm"] == [None] * 168


def test_tenants_and_communes_are_boundaries(school):
    client, h = school["client"], school["h"]
    for path in ("air", "co2-week", "ventilation-report?year=2024-2025",
                 "ventilation-report.pdf?year=2024-2025"):
        assert client.get(f"{school['base']}/{path}", headers=h["x@autre.fr"]).status_code \
            == 404
        assert client.get(f"{school['base']}/{path}", headers=h["b@cc.fr"]).status_code == 404
    other = f"/api/v1/tenants/{school['other']}/buildings/{school['building']}/air"
    assert client.get(other, headers=h["x@autre.fr"]).status_code == 404
    gym = f"/api/v1/tenants/{school['tenant']}/buildings/{school['gym']}"
    assert client.get(f"{gym}/air", headers=h["b@cc.fr"]).status_code == 200
    assert client.get(f"{gym}/air", headers=h["a@cc.fr"]).status_code == 404
    room = f"/api/v1/tenants/{school['tenant']}/buildings/{school['rooms']['CP'][0]}"
    assert client.get(f"{room}/air", headers=h["tous@cc.fr"]).status_code == 404  # a room
    assert client.get(f"{school['base']}/air").status_code == 401


def test_bad_periods_and_years_are_refused_in_french(school):
    client, h = school["client"], school["h"]["tous@cc.fr"]
    answer = client.get(f"{school['base']}/air?from=17/03/2025", headers=h)
    assert answer.status_code == 422
    assert answer.json()["errors"] == [{"field": "from", "message":
                                        "date « 17/03/2025 » invalide, AAAA-MM-JJ attendu"}]
    answer = client.get(f"{school['base']}/co2-week?from=2025-03-20&to=2025-03-17", headers=h)
    assert answer.status_code == 422 and answer.json()["errors"][0]["field"] == "to"
    answer = client.get(f"{school['base']}/air?from=2023-01-01&to=2025-03-17", headers=h)
    assert answer.status_code == 422 and "400 jours" in answer.json()["errors"][0]["message"]
    for year in ("2025", "2024-2026", "2099-2100"):
        answer = client.get(f"{school['base']}/ventilation-report?year={year}", headers=h)
        assert answer.status_code == 422 and answer.json()["errors"][0]["field"] == "year"


def test_ventilation_report_json_and_pdf(school):
    client, h = school["client"], school["h"]["a@cc.fr"]
    answer = client.get(f"{school['base']}/ventilation-report?year=2024-2025", headers=h)
    assert answer.status_code == 200, answer.text
    report = answer.json()
    assert report["school_year"] == "2024-2025"
    assert report["period"] == {"from": "2024-09-01", "to": "2025-08-31"}
    assert report["building"]["air_referent"] == "direction@ecole-jf.fr"
    by_ref = {r["ref"]: r for r in report["rooms"]}
    assert by_ref["CP"]["icone"] == 3 and by_ref["CP"]["ventilation_label"] == \
        "naturelle (ouvrants)"
    assert by_ref["DORTOIR"]["evaluation"] == {"openings_ok": False, "vents_ok": None,
                                               "findings": "Fenêtre bloquée", "actions": None}
    assert report["evaluation"]["evaluator"] == "Mme Martin"
    assert report["findings"][0].startswith("CO2 au-dessus de 1\u202f500 ppm en occupation : "
                                            "Classe CE1, Classe CP")
    assert any("sans mesure" in f and "Dortoir" in f for f in report["findings"])
    pdf = client.get(f"{school['base']}/ventilation-report.pdf?year=2024-2025", headers=h)
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf_structure(pdf.content)[0]  # tagged: a screen reader follows its structure
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
    flat = " ".join(text.split())
    for expected in ("Évaluation annuelle des moyens d'aération", "École Jules-Ferry",
                     "Année scolaire 2024-2025", "Classe CP", "3 (élevé)", "0 (nul)",
                     "1 800 ppm", "Mme Martin", "21/03/2025",
                     "Aérer 5 minutes toutes les heures en CP <b>", "Fenêtre bloquée",
                     "direction@ecole-jf.fr", "144",
                     "hors vacances scolaires de la zone B, hors jours fériés"):
        assert expected in flat.replace("\u202f", " "), expected
