"""Issue #18, interface: the buildings page (/batiments) and a building's page with its
panels, at phone and desktop sizes, audited by axe, under the strict CSP. The ranking's
order changes with the keyboard (aria-sort follows); the décret trajectory is drawn with its
table; the building page shows its energy signature, trajectory, CO2 heat map by hour of
the week (another room chosen with the keyboard) and its meters' last readings in French
units. A small fixture: two buildings with a year of daily meter readings, a weather
station, an anomaly, two classrooms with a week of CO2."""

from __future__ import annotations

import math
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from beffroi.core import assets, streams
from beffroi.core.access import CLI, open_scope
from beffroi.core.alerting import alerts
from beffroi.core.clock import local_day, now_ms
from beffroi.core.observations import store_rows

from .conftest import AT_DESK, assert_accessible, login, screenshot, wait_for

PARIS = ZoneInfo("Europe/Paris")
HOUR = 3_600_000


def _tmean(day: date) -> float:
    """A mild year: 4 °C mean in January, 20 °C in July."""
    return 12.0 - 8.0 * math.cos(2 * math.pi * (day.timetuple().tm_yday - 15) / 365)


def _school_day_kwh(day: date) -> float:
    """200 kWh a day, 10 more per degree-day (Météo method, base 18 °C)."""
    return 200.0 + 10.0 * max(0.0, 18.0 - _tmean(day))


def _days(first: date, last: date):
    day = first
    while day <= last:
        yield day
        day += timedelta(days=1)


@pytest.fixture
def buildings(web_db, web_registry, territory) -> dict:
    """A town hall (500 m², 100 kWh a day) and a school subject to the décret (2,000 m²,
    reference three years ago, entered; last year measured by its meter, heating with the
    cold), a weather station, an off-hours anomaly of the school, two classrooms with a
    week of hourly CO2 (the CM1 above 1,500 ppm on weekday mornings and now)."""
    db, t = web_db, territory["tenant"]
    now = now_ms()
    last_year = local_day(now, PARIS).year - 1
    at_23 = lambda day: int(datetime.combine(day, time(23, 0), PARIS).timestamp() * 1000)  # noqa: E731
    ids = {}
    with db.write() as conn:
        scope = open_scope(db, conn, CLI, t)
        station = assets.create_asset(scope, conn, web_registry, {
            "ref": "METEO-1", "kind": "risks.weather_station", "name": "Station de Remiremont",
            "commune": "88383", "geometry": {"type": "Point", "coordinates": [6.6, 48.02]}}).id
        temperature = streams.create_stream(scope, conn, web_registry, {
            "asset_id": station, "metric": "air.temperature"}).id
        rows = []
        for day in _days(date(last_year, 1, 1), date(last_year, 12, 31)):
            for clock, delta in ((time(5, 0), -4.0), (time(15, 0), 4.0)):
                rows.append((t, temperature, int(datetime.combine(day, clock, PARIS)
                                                 .timestamp() * 1000), _tmean(day) + delta, 0))
        specs = {"Mairie de Remiremont": ({"usage": "mairie", "floor_area_m2": 500.0,
                                           "built_year": 1910}, lambda day: 100.0, None),
                 "École du Centre": ({"usage": "ecole", "floor_area_m2": 2000.0,
                                      "built_year": 1972, "heating": "electrique",
                                      "weather_station_ref": "METEO-1",
                                      "air_referent": "direction.ecole-du-centre@remiremont"
                                                      ".example.fr",
                                      "reference_year": last_year - 2, "annual_energy": {
                                          str(last_year - 2): {"electricite_kwh": 160_000},
                                          str(last_year - 1): {"electricite_kwh": 140_000}}},
                                     _school_day_kwh, 42.0)}
        for i, (name, (props, per_day, eur)) in enumerate(specs.items()):
            building = assets.create_asset(scope, conn, web_registry, {
                "ref": f"BAT-{i}", "kind": "buildings.building", "name": name,
                "commune": "88383", "geometry": {"type": "Point", "coordinates": [6.6, 48.02]},
                "properties": props}).id
            ids[name] = building
            meter = assets.create_asset(scope, conn, web_registry, {
                "ref": f"CPT-{i}", "kind": "buildings.meter", "name": f"Compteur {name}",
                "commune": "88383", "parent_id": building,
                "properties": {"energy": "electricite", "meter_number": f"PDL 0{i}"}}).id
            sid = streams.create_stream(scope, conn, web_registry, {
                "asset_id": meter, "metric": "energy.active_import"}).id
            index = 10_000.0
            rows.append((t, sid, at_23(date(last_year - 1, 12, 31)), index, 0))
            for day in _days(date(last_year, 1, 1), date(last_year, 12, 31)):
                index += per_day(day)
                rows.append((t, sid, at_23(day), round(index, 3), 0))
            ids[f"index:{name}"] = round(index, 3)
            if eur is not None:
                alerts.raise_alert(db, conn, web_registry, t, alerts.Trigger(
                    key=alerts.detector_key("buildings.off_hours_use", building),
                    severity="warning", title="Chauffage pendant les vacances",
                    at=now - HOUR, asset_id=building, detector="buildings.off_hours_use",
                    details={"kwh_per_week": eur * 4, "eur_per_week": eur}))
        start = now // HOUR * HOUR - 7 * 24 * HOUR
        for j, room in enumerate(("Classe de CM1", "Salle de motricité")):
            rid = assets.create_asset(scope, conn, web_registry, {
                "ref": f"PIECE-{j}", "kind": "buildings.room", "name": room,
                "commune": "88383", "parent_id": ids["École du Centre"],
                "properties": {"room_type": "classe"}}).id
            co2 = streams.create_stream(scope, conn, web_registry, {
                "asset_id": rid, "metric": "air.co2"}).id
            for k in range(7 * 24):
                moment = datetime.fromtimestamp((start + k * HOUR) / 1000, PARIS)
                busy = j == 0 and moment.weekday() < 5 and 9 <= moment.hour < 12
                rows.append((t, co2, start + k * HOUR, 1800.0 if busy else 600.0, 0))
            if j == 0:
                rows.append((t, co2, now - 1000, 1720.0, 0))
                today = local_day(now, PARIS)
                ids["cm1_today_max"] = max(v for _, sid, at, v, _ in rows
                                           if sid == co2 and local_day(at, PARIS) == today)
        store_rows(scope, conn, rows, PARIS)
    return {"ids": ids, "year": last_year, **territory}


def _text(locator) -> str:
    return " ".join(locator.inner_text().replace("\xa0", " ").replace("\u202f", " ").split())


def fr(value: float, digits: int = 1) -> str:
    """A number as the page writes it (spaces between thousands, decimal comma)."""
    text = f"{round(value, digits):,.{digits}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text.replace(",", " ").replace(".", ",")


@AT_DESK
def test_buildings_page_ranks_and_sorts_with_the_keyboard(server, buildings, page, size):
    year = buildings["year"]
    days = (date(year, 12, 31) - date(year - 1, 12, 31)).days
    school_kwh = buildings["ids"]["index:École du Centre"] - 10_000.0
    login(page, server, then="/batiments")
    wait_for(page, "document.body.dataset.ready === 'true'")
    table = page.locator("#ranking-table")
    rows = table.locator("tbody tr")
    assert [_text(r.locator("th")) for r in rows.all()] == ["Mairie de Remiremont",
                                                             "École du Centre"]
    town_hall, school = _text(rows.first), _text(rows.nth(1))
    assert f"{fr(100.0 * days / 500)} kWh/m²" in town_hall and "500 m²" in town_hall
    assert f"{fr(school_kwh / 2000)} kWh/m²" in school and f"{fr(school_kwh, 0)} kWh" in school
    assert "42 €" in school and "électricité mesurée" in school
    sorted_header = table.locator("th[aria-sort]")
    assert _text(sorted_header).startswith("kWh/m²/an") and sorted_header.get_attribute(
        "aria-sort") == "descending"
    assert "Chauffage pendant les vacances" in _text(page.locator("#anomalies"))
    rooms = _text(page.locator("#rooms"))
    assert "Classe de CM1" in rooms and f"{fr(buildings['ids']['cm1_today_max'], 0)} ppm" in rooms
    assert page.locator("#year").input_value() == str(year)
    # The décret: the school only (2,000 m²), its trajectory drawn and in a table.
    articles = page.locator("#decret article")
    assert articles.count() == 1 and "École du Centre" in _text(articles.first.locator("h3"))
    articles.first.locator(".traj-plot canvas").first.wait_for(state="attached")
    caption = _text(articles.first.locator("figcaption"))
    assert f"Référence {year - 2} : 160 000 kWh" in caption
    assert f"{year} : {fr(school_kwh, 0)} kWh" in caption
    assert "Objectif 2030 : 96 000 kWh (−40 %)" in caption
    assert articles.first.locator("tbody th").first.text_content() == f"{year - 2} (référence)"
    assert_accessible(page)
    screenshot(page, "batiments", size)
    # Order by € at stake with the keyboard: the school first, the focus stays on the button.
    page.get_by_role("button", name="€ en jeu par semaine").focus()
    page.keyboard.press("Enter")
    wait_for(page, "document.getElementById('status').textContent.includes('euros')")
    assert [_text(r.locator("th")) for r in table.locator("tbody tr").all()] == [
        "École du Centre", "Mairie de Remiremont"]
    assert _text(table.locator("th[aria-sort]")).startswith("€ en jeu par semaine")
    assert page.evaluate("document.activeElement.dataset.sort") == "eur_per_week"


DAYS = ["lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"]


def test_building_page_panels(server, buildings, page, size):
    year = buildings["year"]
    school = buildings["ids"]["École du Centre"]
    login(page, server, then=f"/equipements/{school}")
    for cls in ("meters-panel", "signature-panel", "trajectory-panel", "co2-week-panel"):
        page.locator(f".{cls}[data-ready='true']").wait_for(state="attached")
    headings = [_text(h) for h in page.locator(".domain-panel h2").all()]
    assert headings == ["Signature énergétique", "Trajectoire du décret tertiaire",
                        "CO2 des pièces par heure de la semaine",
                        "Compteurs et derniers relevés"]
    # Every property inside its box, a long e-mail address included (broken, not spilling
    # out of the card).
    assert page.locator("#properties dd", has_text="direction.ecole").count() == 1
    assert page.evaluate("[...document.querySelectorAll('#properties dd')].filter("
                         "(dd) => dd.scrollWidth > dd.clientWidth + 1).length") == 0
    # Meters: the last index in kWh.
    row = _text(page.locator("#mt-table tbody tr").first)
    assert "Compteur École du Centre" in row and "n° PDL 01" in row and "électricité" in row
    assert f"{fr(buildings['ids']['index:École du Centre'], 3)} kWh" in row
    # Signature: twelve months, January's degree days as computed here, a scatter drawn.
    signature = page.locator(".signature-panel")
    assert signature.locator("#sg-plot canvas").count() >= 1
    january = sum(max(0.0, 18.0 - _tmean(d)) for d in _days(date(year, 1, 1), date(year, 1, 31)))
    assert signature.locator("#sg-table tbody tr").count() == 12
    assert fr(january) in signature.locator(f"#sg-table tr[data-month='{year}-01']").text_content(
    ).replace("\u202f", " ")
    assert "kWh par degré-jour" in _text(signature.locator("#sg-summary"))
    # Trajectory: drawn, the 2030 target (−40 % of the reference).
    trajectory = page.locator(".trajectory-panel")
    assert trajectory.locator("#tr-plot canvas").count() >= 1
    assert "Objectif 2030 : 96 000 kWh (−40 %)" in _text(trajectory.locator("#tr-summary"))
    # CO2 heat map: a weekday at 10 h above 1,500 ppm, coloured and written; the legend.
    heat = page.locator(".co2-week-panel")
    now = datetime.now(PARIS)
    day = next(d for d in (0, 1) if (now.weekday(), now.hour) != (d, 10))
    cell = heat.locator("#co2-heatmap tbody tr").nth(day).locator("td").nth(10)
    assert cell.inner_text().replace("\u202f", " ") == "1 800"
    assert cell.get_attribute("class") == "co2-urgent"
    assert heat.locator("#co2-heatmap tbody tr").nth(day).locator("th").inner_text() == DAYS[day]
    assert "au-delà de 1 500 ppm : agir au plus vite" in _text(heat.locator("#co2-legend"))
    # The anomaly's figures under their French labels, never their field names.
    alerts_text = _text(page.locator("#alerts"))
    assert "Énergie en jeu par semaine" in alerts_text and "kwh_per_week" not in alerts_text
    assert_accessible(page)
    screenshot(page, "batiment", size)
    # Another room with the keyboard.
    heat.get_by_label("Pièce").focus()
    page.keyboard.press("ArrowDown")
    heat.locator("#co2-heatmap caption", has_text="Salle de motricité").wait_for()
    assert heat.locator("#co2-heatmap td.co2-urgent").count() == 0
