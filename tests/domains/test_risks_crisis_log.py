"""The main courante: one log per event, entries appended in time order and never changed
(a correction is a new entry), links validated in the territory, the PDF for the PCS
debriefing (text read back with pypdf), roles, isolation and bad input."""

from __future__ import annotations

import io
import threading

import pytest
from pypdf import PdfReader
from reports.report_text import pdf_structure

from beffroi.core.registry import load_registry
from beffroi.domains.risks import crisis_log, crisis_log_routes, population_alert_routes

from .risks_world import as_user, build_world, paris, token

NOW = paris("2026-01-12T18:00:00")


@pytest.fixture(scope="module")
def registry():
    return load_registry(["generic", "risks"])


@pytest.fixture
def world(db, registry):
    return build_world(db, registry)


@pytest.fixture(autouse=True)
def pinned(monkeypatch):
    monkeypatch.setattr(crisis_log_routes, "now_ms", lambda: NOW)
    monkeypatch.setattr(population_alert_routes, "now_ms", lambda: NOW)


def url(world, tenant: str = "tenant") -> str:
    return f"/api/v1/tenants/{world[tenant]}/risks/crisis-logs"


def open_log(client, db, world) -> int:
    answer = client.post(url(world), headers=token(db, world, "agent"),
                         json={"title": "Crue de la Moselle <janvier>", "risk": "crue"})
    assert answer.status_code == 201, answer.text
    return answer.json()["id"]


def test_entries_in_time_order_corrections_and_pdf(client, db, world):
    log_id = open_log(client, db, world)
    headers = token(db, world, "agent")
    alert = client.post(f"/api/v1/tenants/{world['tenant']}/risks/population-alerts",
                        headers=headers, json={"risk": "crue", "level": "orange",
                                               "communes": ["88383"],
                                               "channels": ["banner"]}).json()
    # Written out of order: read back by when they happened.
    written = [
        {"kind": "décision", "text": "Fermeture du pont & de la rue <Basse>",
         "at": "2026-01-12T15:10:00+01:00", "assets": [world["gauge"]],
         "population_alerts": [alert["id"]]},
        {"kind": "observation", "text": "La Moselle atteint 2,10 m à Remiremont",
         "at": "2026-01-12T14:05:00+01:00", "assets": [world["gauge"]]},
        {"kind": "appel", "text": "Appel de Mme Exemple (fictive), cave inondée",
         "at": "2026-01-12T16:45:00+01:00", "calls": [7]},
    ]
    ids = []
    for entry in written:
        answer = client.post(f"{url(world)}/{log_id}/entries", headers=headers, json=entry)
        assert answer.status_code == 201, answer.text
        ids.append(answer.json()["id"])
    correction = client.post(f"{url(world)}/{log_id}/entries", headers=headers, json={
        "kind": "observation", "text": "Correction : 2,20 m et non 2,10 m",
        "corrects": ids[1]})
    assert correction.status_code == 201 and correction.json()["corrects"] == ids[1]
    log = client.get(f"{url(world)}/{log_id}", headers=token(db, world, "viewer")).json()
    texts = [e["text"] for e in log["entries"]]
    assert texts == [written[1]["text"], written[0]["text"], written[2]["text"],
                     "Correction : 2,20 m et non 2,10 m"]
    assert log["entries"][1]["links"] == {"population_alerts": [alert["id"]],
                                          "assets": [world["gauge"]]}
    assert log["entries"][3]["recorded_at"] == "2026-01-12T17:00:00Z"
    # What an entry links, by name: the population alert's subject, the gauge's name.
    assert log["entries"][1]["link_names"] == {
        "population_alerts": {str(alert["id"]): alert["subject"]},
        "assets": {str(world["gauge"]): "Moselle à Remiremont"}}
    assert log["entries"][2]["link_names"] == {}  # a call: its number only
    # A reader restricted to another commune does not learn the gauge's name.
    far = client.get(f"{url(world)}/{log_id}", headers=token(db, world, "far")).json()
    assert far["entries"][1]["link_names"] == {
        "population_alerts": {str(alert["id"]): alert["subject"]}, "assets": {}}
    assert {e["author"] for e in log["entries"]} == {"Agent"}  # the name, as in the PDF
    # Append-only: no route changes or deletes an entry.
    entry_url = f"{url(world)}/{log_id}/entries/{ids[1]}"
    for method in ("put", "patch", "delete"):
        assert getattr(client, method)(entry_url, headers=headers).status_code in (404, 405)
    assert client.get(f"{url(world)}/{log_id}", headers=headers).json()["entries"][0][
        "text"] == written[1]["text"]
    # The PDF: entries in time order, French times, escaped text, page numbers.
    pdf = client.get(f"{url(world)}/{log_id}.pdf", headers=token(db, world, "viewer"))
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf_structure(pdf.content)[0]  # tagged: a screen reader follows its structure
    reader = PdfReader(io.BytesIO(pdf.content))
    text = "\n".join(page.extract_text() for page in reader.pages)
    flat = " ".join(text.split())
    positions = [flat.index(" ".join(t.split())) for t in (
        "La Moselle atteint 2,10 m", "Fermeture du pont & de la rue <Basse>",
        "Appel de Mme Exemple", "Correction : 2,20 m")]
    assert positions == sorted(positions)
    assert "12/01/2026" in flat and "14:05" in flat and "15:10" in flat
    assert f"Corrige l'entrée n°{ids[1]}" in flat
    assert f"Moselle à Remiremont (n°{world['gauge']})" in flat
    assert "Main courante — Crue de la Moselle <janvier>" in flat
    assert "page 1 / " in flat
    width, height = reader.pages[0].mediabox.width, reader.pages[0].mediabox.height
    assert (round(float(width) / 72 * 25.4), round(float(height) / 72 * 25.4)) == (210, 297)


def test_a_closed_log_takes_no_entry(client, db, world):
    log_id = open_log(client, db, world)
    headers = token(db, world, "agent")
    assert client.post(f"{url(world)}/{log_id}/close", headers=headers).json()["status"] \
        == "closed"
    answer = client.post(f"{url(world)}/{log_id}/entries", headers=headers,
                         json={"kind": "action", "text": "Trop tard"})
    assert answer.status_code == 409
    assert client.post(f"{url(world)}/{log_id}/close", headers=headers).status_code == 409


def test_roles_isolation_and_bad_input(client, db, world):
    log_id = open_log(client, db, world)
    viewer = token(db, world, "viewer")
    assert client.post(url(world), headers=viewer, json={"title": "X", "risk": "crue"}) \
        .status_code == 403
    assert client.post(f"{url(world)}/{log_id}/entries", headers=viewer,
                       json={"kind": "action", "text": "Non"}).status_code == 403
    other = token(db, world, "other")
    assert client.get(f"{url(world)}/{log_id}", headers=other).status_code == 404
    assert client.get(f"{url(world)}/{log_id}.pdf", headers=other).status_code == 404
    # The other territory's own URL does not reach this log either.
    assert client.get(f"{url(world, 'other_tenant')}/{log_id}", headers=other) \
        .status_code == 404
    agent = token(db, world, "agent")
    bad = client.post(f"{url(world)}/{log_id}/entries", headers=agent, json={
        "kind": "rumeur", "text": "", "at": "hier", "corrects": 999,
        "assets": [world["zone_b"]], "alerts": ["1"], "population_alerts": [424242],
        "edit": True})
    assert bad.status_code == 422
    assert {e["field"] for e in bad.json()["errors"]} == {
        "kind", "text", "at", "corrects", "assets", "alerts", "population_alerts", "edit"}
    future = client.post(f"{url(world)}/{log_id}/entries", headers=agent, json={
        "kind": "action", "text": "Plus tard", "at": "2026-01-13T18:00:00+01:00"})
    assert future.status_code == 422 and "futur" in future.text
    # A restricted agent cannot link an asset outside his communes.
    far = token(db, world, "far")
    hidden = client.post(f"{url(world)}/{log_id}/entries", headers=far, json={
        "kind": "observation", "text": "Jauge", "assets": [world["gauge"]]})
    assert hidden.status_code == 422
    assert client.post(url(world), headers=agent, json={"title": " ", "risk": "séisme"}) \
        .json()["errors"] == [
            {"field": "title", "message": "texte de 1 à 200 caractères attendu"},
            {"field": "risk", "message": "crue, canicule, feu_de_foret ou autre attendu"}]
    assert client.get(f"{url(world)}/{log_id}", headers=agent).json()["entries"] == []


def test_one_open_log_at_a_time(client, db, world):
    """The crisis page keeps « the » open log: a second one (a double click on « Ouvrir la
    main courante », another post of the crisis cell) is refused, naming the open one, until
    it is closed."""
    log_id = open_log(client, db, world)
    headers = token(db, world, "admin")
    second = client.post(url(world), headers=headers, json={"title": "Crue", "risk": "crue"})
    assert second.status_code == 409, second.text
    assert second.json()["detail"] == (
        "Une main courante est déjà ouverte : « Crue de la Moselle <janvier> », depuis le "
        "12/01/2026 à 18:00. Inscrivez-y les entrées de l'événement, ou clôturez-la avant "
        "d'en ouvrir une autre.")
    assert second.json()["log_id"] == log_id
    assert [log["id"] for log in client.get(url(world), headers=headers).json()] == [log_id]
    # Bad input is still told first.
    assert client.post(url(world), headers=headers, json={"title": " ", "risk": "crue"}) \
        .status_code == 422
    # Closed: the next event's log opens; another territory's is not this one.
    assert client.post(f"{url(world)}/{log_id}/close", headers=headers).status_code == 200
    assert client.post(url(world), headers=headers,
                       json={"title": "Canicule", "risk": "canicule"}).status_code == 201
    assert client.post(url(world, "other_tenant"), headers=token(db, world, "other"),
                       json={"title": "Crue", "risk": "crue"}).status_code == 201


def test_two_logs_opened_at_once_make_one(client, db, world):
    """The two requests of a double click run at the same time: the second waits for the
    first's transaction to end, then sees its log (on PostgreSQL as on SQLite)."""
    headers = token(db, world, "agent")
    answers = []
    second = threading.Thread(target=lambda: answers.append(client.post(
        url(world), headers=headers, json={"title": "Crue", "risk": "crue"})))
    with db.write() as conn:
        crisis_log.open_log(as_user(db, conn, world, "agent"), conn,
                            {"title": "Crue", "risk": "crue"}, NOW)
        second.start()
        second.join(0.5)
        assert second.is_alive(), "the second opening must wait for the first"
    second.join(30)
    assert answers[0].status_code == 409, answers[0].text
    assert len(client.get(url(world), headers=headers).json()) == 1


def test_an_entry_of_spaces_is_refused_in_words(client, db, world):
    log_id = open_log(client, db, world)
    answer = client.post(f"{url(world)}/{log_id}/entries", headers=token(db, world, "agent"),
                         json={"kind": "observation", "text": "   "})
    assert answer.status_code == 422
    assert answer.json()["errors"] == [{"field": "text", "message": "Texte de l'entrée : "
                                        "obligatoire (des espaces seuls ne suffisent pas)"}]
