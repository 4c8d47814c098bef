"""Issue #18: the yearly ventilation evaluation report page (/batiments/aeration) at both
sizes, with axe; the building chosen with the keyboard; the PDF link."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from beffroi.core import assets
from beffroi.core.access import CLI, open_scope
from beffroi.core.observations import store_rows
from beffroi.core.streams import ensure_stream

from .conftest import AT_DESK, assert_accessible, login, screenshot, wait_for

PARIS = ZoneInfo("Europe/Paris")
POINT = {"type": "Point", "coordinates": [6.59, 48.02]}


@pytest.fixture
def school(web_db, web_registry, territory) -> dict:
    """A school with a classroom measured over a week of March 2025 (1,800 ppm from 10:00
    to 11:00 in class) and a dormitory without sensor."""
    db, reg = web_db, web_registry
    with db.write() as conn:
        scope = open_scope(db, conn, CLI, territory["tenant"])
        building = assets.create_asset(scope, conn, reg, {
            "ref": "ECOLE-JF", "kind": "buildings.building", "name": "École Jules-Ferry",
            "commune": "88383", "geometry": POINT, "properties": {
                "usage": "ecole", "air_referent": "direction@ecole-jf.fr",
                "ventilation_evaluations": {"2024-2025": {"evaluator": "Mme Martin"}}}})
        room = assets.create_asset(scope, conn, reg, {
            "ref": "CP", "kind": "buildings.room", "name": "Classe CP", "commune": "88383",
            "parent_id": building.id, "geometry": POINT,
            "properties": {"room_type": "classe", "ventilation": "naturelle"}})
        assets.create_asset(scope, conn, reg, {
            "ref": "DORTOIR", "kind": "buildings.room", "name": "Dortoir", "commune": "88383",
            "parent_id": building.id, "geometry": POINT})
        sid = ensure_stream(scope, conn, reg, room.id, "air.co2")
        monday = datetime(2025, 3, 17, tzinfo=PARIS)
        rows = []
        for k in range(7 * 24 * 6):
            local = monday + timedelta(minutes=10 * k)
            value = 1800.0 if local.hour == 10 else 650.0
            rows.append((territory["tenant"], sid, int(local.timestamp() * 1000), value, 0))
        store_rows(scope, conn, rows, PARIS)
    return {"building": building.id}


def test_report_page_at_both_sizes(page, server, school, size):
    path = f"/batiments/aeration?batiment={school['building']}&annee=2024-2025"
    login(page, server)
    page.goto(f"{server.url}{path}")
    wait_for(page, "document.body.dataset.ready === '2'")
    assert "École Jules-Ferry" in page.locator("h1").inner_text()
    row = page.locator("#rooms tbody tr", has_text="Classe CP")
    # Class hours: 4 days × 6 hours, one of which (10:00-11:00) at 1,800 ppm.
    assert "144" in row.inner_text() and "1 800 ppm" in row.inner_text().replace("\u202f", " ")
    assert "agir au plus vite" in row.inner_text()
    assert "Dortoir" in page.locator("#findings").inner_text()
    assert "Mme Martin" in page.locator("#plan").inner_text()
    href = page.locator("#pdf").get_attribute("href")
    assert href.endswith(f"/buildings/{school['building']}/ventilation-report.pdf"
                         "?year=2024-2025")
    assert page.request.get(f"{server.url}{href}").headers["content-type"] == \
        "application/pdf"
    assert_accessible(page)
    screenshot(page, "batiments-aeration", size)


@AT_DESK
def test_building_chosen_with_the_keyboard(page, server, school):
    login(page, server, then="/batiments/aeration")
    wait_for(page, "document.body.dataset.ready === 'choice'")
    assert page.locator("#report").is_hidden()
    page.get_by_label("Bâtiment").focus()
    page.keyboard.press("End")  # the last option: the school (the only building)
    page.get_by_label("Année scolaire").fill("2024-2025")
    page.keyboard.press("Enter")
    wait_for(page, "document.body.dataset.ready === '2'")
    assert f"batiment={school['building']}" in page.url and "annee=2024-2025" in page.url
    page.get_by_label("Année scolaire").fill("2099-2100")
    page.keyboard.press("Enter")
    wait_for(page, "document.body.dataset.ready === 'error'")
    assert "n'a pas commencé" in page.locator("#message").inner_text()
    assert_accessible(page)
