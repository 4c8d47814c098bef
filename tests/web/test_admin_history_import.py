"""Importing a history of readings from the administration page, in Chromium: the whole file
checked first (its refused lines in a table, the period, each equipment's share), then sent
in chunks of lines behind a progress bar; the readings are then read back through the API."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from beffroi.core import observation_import

from .conftest import AT_DESK, ON_PHONE, assert_accessible, login, screenshot

ADMIN = "admin@cc-vosges.fr"
# The clock of the checks: a fixed instant; the files' times lie before it.
NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
START = datetime(2024, 11, 3, 21, 0, tzinfo=UTC)  # 22:00 in Paris


@pytest.fixture
def pinned_clock(monkeypatch):
    monkeypatch.setattr(observation_import, "now_ms", lambda: int(NOW.timestamp() * 1000))


def iso(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def readings_of(page, server, tenant: int, cabinet: int) -> list[tuple[str, float]]:
    """The raw readings of the cabinet's energy stream, through the API (the page's
    session)."""
    base = f"{server.url}/api/v1/tenants/{tenant}"
    found = page.request.get(f"{base}/streams?asset_id={cabinet}&metric=energy.active_import")
    assert found.ok, found.text()
    [stream] = found.json()
    series = page.request.get(f"{base}/streams/{stream['id']}/series?step=raw"
                              f"&start={iso(START - timedelta(days=1))}"
                              f"&end={iso(START + timedelta(days=60))}")
    assert series.ok, series.text()
    return [(time, value) for time, value, _ in series.json()["points"]]


def go_to_history_import(page, server):
    login(page, server, email=ADMIN, then="/administration")
    page.locator("#members").get_by_role("cell", name="agent@cc-vosges.fr").wait_for()
    page.get_by_role("link", name="Import d'un historique de mesures").click()


@AT_DESK
def test_a_history_with_a_bad_line_is_checked_then_its_valid_readings_imported(
        page, server, territory, pinned_clock, size):
    cabinet = territory["cabinets"][1]  # ARM-88383-02: no energy stream yet
    rows = [(START + timedelta(hours=i), 1500 + 2.5 * i) for i in range(6)]
    lines = ["asset_ref;metric;time;value"]
    lines += [f"ARM-88383-02;energy.active_import;{iso(t)};{str(v).replace('.', ',')}"
              for t, v in rows[:3]]
    lines.append(f"ARM-INCONNUE;energy.active_import;{iso(rows[0][0])};12")  # line 5
    lines += [f"ARM-88383-02;energy.active_import;{iso(t)};{str(v).replace('.', ',')}"
              for t, v in rows[3:]]
    go_to_history_import(page, server)
    page.get_by_label("Historique à importer (CSV)").set_input_files({
        "name": "historique.csv", "mimeType": "text/csv",
        "buffer": ("\r\n".join(lines) + "\r\n").encode()})
    page.get_by_role("button", name="Vérifier l'historique").click()

    report = page.locator("#history-report")
    refused = page.get_by_role("region", name="Lignes refusées de l'historique")
    refused.wait_for()
    assert f"{len(lines) - 1} lignes lues, {len(rows)} valides, 1 refusée" in report.inner_text()
    [row] = [r.inner_text().split("\t") for r in refused.get_by_role("row").all()[1:]]
    assert row == ["5", "asset_ref", "ARM-INCONNUE", "équipement inconnu dans ce territoire"]
    shares = page.get_by_role("region", name="Mesures par équipement")
    [share] = [r.inner_text() for r in shares.get_by_role("row").all()[1:]]
    assert share.startswith("ARM-88383-02") and "energy.active_import" in share
    assert f"\t{len(rows)}\t" in share and share.endswith("à créer")
    assert "Période couverte : du 3 nov. 2024, 22:00 au 4 nov. 2024, 03:00" in " ".join(
        report.inner_text().replace("\u202f", " ").split())
    assert readings_of_nothing(page, server, territory["tenant"], cabinet)
    assert_accessible(page)

    shares.focus()  # the tables scroll with the keyboard, then Tab reaches the button
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == (
        f"Importer les {len(rows)} mesures valides")
    page.keyboard.press("Enter")
    result = page.locator("#history-result")
    result.filter(has_text="Import terminé").wait_for()
    assert (f"Import terminé : {len(rows)} mesures enregistrées, 0 déjà présente, "
            "1 ligne refusée, 1 flux créé.") in " ".join(result.inner_text().split())
    progress = page.locator("#history-progress")
    assert progress.get_attribute("value") == progress.get_attribute("max") == str(len(lines) - 1)
    assert "(100 %)" in page.locator("#history-progress-label").inner_text()
    assert page.locator("#history-button").is_hidden()
    assert readings_of(page, server, territory["tenant"], cabinet) == [
        (iso(t), v) for t, v in rows]
    assert_accessible(page)
    screenshot(page, "administration-history", size)


def readings_of_nothing(page, server, tenant: int, cabinet: int) -> bool:
    """No energy stream on the cabinet yet: the check wrote nothing."""
    found = page.request.get(f"{server.url}/api/v1/tenants/{tenant}/streams"
                             f"?asset_id={cabinet}&metric=energy.active_import")
    return found.ok and found.json() == []


@AT_DESK
def test_a_large_history_goes_in_chunks_and_a_chunk_sent_again_stores_nothing_twice(
        page, server, territory, pinned_clock, size):
    """Two chunks; the network cut while the second is sent, the import is resumed; a line
    of the second chunk refused is named by its line in the file."""
    cabinet = territory["cabinets"][2]  # ARM-88383-03
    count = 5000 + 1200  # HISTORY_CHUNK_ROWS of administration.js, and more
    rows = [(START + timedelta(minutes=10 * i), 100 + i / 4) for i in range(count)]
    lines = ["ref,metric,time,value"]
    lines += [f"ARM-88383-03,energy.active_import,{iso(t)},{v}" for t, v in rows]
    bad_line = 5000 + 101  # in the second chunk
    lines.insert(bad_line - 1, f"ARM-88383-03,energy.active_import,{iso(START)},douze")
    go_to_history_import(page, server)
    page.get_by_label("Historique à importer (CSV)").set_input_files({
        "name": "courbe.csv", "mimeType": "text/csv", "buffer": "\n".join(lines).encode()})
    page.get_by_role("button", name="Vérifier l'historique").click()
    refused = page.get_by_role("region", name="Lignes refusées de l'historique")
    refused.wait_for()
    [row] = [r.inner_text().split("\t") for r in refused.get_by_role("row").all()[1:]]
    assert row[0] == str(bad_line)

    sent = []

    def cut_the_second(route):
        sent.append(route.request.url)
        if len(sent) == 2:
            route.abort()
        else:
            route.continue_()

    chunks = lambda url: "/observations/import?partial=true" in url  # noqa: E731
    page.route(chunks, cut_the_second)
    page.get_by_role("button", name="Importer les 6\u202f200 mesures valides").click()
    errors = page.locator("#history-errors")
    errors.filter(has_text="Connexion impossible").wait_for()
    assert page.evaluate("document.activeElement.id") == "history-errors"
    progress = page.locator("#history-progress")
    assert progress.get_attribute("value") == "5000"
    page.get_by_role("button", name="Reprendre l'import").click()
    result = page.locator("#history-result")
    result.filter(has_text="Import terminé").wait_for()
    text = " ".join(result.inner_text().replace("\u202f", " ").split())
    assert text.startswith("Import terminé : 6 200 mesures enregistrées, 0 déjà présente, "
                           "1 ligne refusée, 1 flux créé.")
    assert len(sent) == 3  # resumed at the chunk cut, not started again
    table = page.get_by_role("region", name="Lignes refusées à l'import")
    [row] = [r.inner_text().split("\t") for r in table.get_by_role("row").all()[1:]]
    assert row[0] == str(bad_line) and row[1] == "value"
    assert progress.get_attribute("value") == progress.get_attribute("max") == str(count + 1)
    assert len(readings_of(page, server, territory["tenant"], cabinet)) == count


@ON_PHONE
def test_the_check_of_a_history_reads_on_a_phone(page, server, territory, pinned_clock, size):
    """The report's tables scroll inside their region; the page itself never scrolls
    sideways; an unusable file is said in the alert, which takes the focus."""
    go_to_history_import(page, server)
    page.get_by_label("Historique à importer (CSV)").set_input_files({
        "name": "releves.csv", "mimeType": "text/csv",
        "buffer": b"ref;metric;time;valeur\nARM-88383-01;energy.active_import;x;1\n"})
    page.get_by_role("button", name="Vérifier l'historique").click()
    alert = page.locator("#history-errors")
    alert.filter(has_text="colonne inconnue").wait_for()
    assert "En-tête CSV : colonne inconnue « valeur »" in alert.inner_text()
    assert page.evaluate("document.activeElement.id") == "history-errors"
    assert page.locator("#history-button").is_hidden()

    lines = ["asset_ref;metric;time;value;quality"]
    lines += [f"ARM-88383-0{1 + i % 3};energy.active_import;"
              f"{(START + timedelta(hours=i)).strftime('%d/%m/%Y %H:%M')};{1000 + i};"
              for i in range(30)]
    lines.append("ARM-88383-01;energy.active_import;31/02/2024 10:00;1;")  # line 32
    page.get_by_label("Historique à importer (CSV)").set_input_files({
        "name": "releves.csv", "mimeType": "text/csv", "buffer": "\n".join(lines).encode()})
    page.get_by_role("button", name="Vérifier l'historique").click()
    refused = page.get_by_role("region", name="Lignes refusées de l'historique")
    refused.wait_for()
    assert alert.is_hidden()
    [row] = [r.inner_text().split("\t") for r in refused.get_by_role("row").all()[1:]]
    assert row[:3] == ["32", "time", "31/02/2024 10:00"] and row[3].startswith(
        "date ou heure inexistante")
    shares = page.get_by_role("region", name="Mesures par équipement")
    assert [r.inner_text().split("\t")[0] for r in shares.get_by_role("row").all()[1:]] == [
        "ARM-88383-01", "ARM-88383-02", "ARM-88383-03"]
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert page.get_by_role("button", name="Importer les 30 mesures valides").is_visible()
    assert_accessible(page)
    screenshot(page, "administration-history-check", size)
