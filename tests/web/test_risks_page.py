"""The risks page (/risques), issue #17: the river stations against their vigilance
thresholds with their trend, the weather section and the open risk alerts, at phone and
desktop sizes, audited by axe; the commune filter works with the keyboard and stays in the
address. Levels are written relative to the test's own clock reading. A weather station with
imported forecasts shows its coming days (heat level and fire danger, « prévision », the
forecast's issue time and source) as a table; one with measured temperatures, its heat
indicators and running episode, dated the French way."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from beffroi.core import assets, streams
from beffroi.core.access import CLI, open_scope
from beffroi.core.clock import PARIS, local_day, now_ms
from beffroi.core.french_format import long_date
from beffroi.core.observations import store_rows
from beffroi.domains.risks.fire_weather import (
    SEASON_START,
    NoonWeather,
    compute_fwi,
    danger_class,
)
from beffroi.domains.risks.forecasts import import_forecasts
from beffroi.domains.risks.heatwave import tenant_heat

from .conftest import assert_accessible, login, screenshot, wait_for

HOUR_MS = 3_600_000


def test_risks_page(server, web_db, web_registry, territory, page, size):
    db, t = web_db, territory["tenant"]
    now = now_ms()
    with db.write() as conn:
        scope = open_scope(db, conn, CLI, t)
        gauge = assets.create_asset(scope, conn, web_registry, {
            "ref": "HYD-VECOUX", "kind": "risks.gauge", "name": "Moselle à Vecoux",
            "commune": "88383", "geometry": {"type": "Point", "coordinates": [6.61, 48.02]},
            "properties": {"river": "Moselle", "mean_flow_m3s": 12.0, "level_yellow_m": 2.0,
                           "level_orange_m": 2.6, "level_red_m": 3.2}})
        sid = streams.create_stream(scope, conn, web_registry, {
            "asset_id": gauge.id, "metric": "hydro.level"}).id
        store_rows(scope, conn, [(t, sid, now - 3 * HOUR_MS - 600_000, 2.1, 0),
                                 (t, sid, now - 600_000, 2.7, 0)], PARIS)
        # A weather station without measurements, with five days of forecasts from today:
        # hot (IBM from the third day: 22/38 °C) and dry.
        station = assets.create_asset(scope, conn, web_registry, {
            "ref": "METEO-REM", "kind": "risks.weather_station", "name": "Météo Remiremont",
            "commune": "88383", "geometry": {"type": "Point", "coordinates": [6.6, 48.0]}})
        today = local_day(now, PARIS)
        days = [today + timedelta(days=k) for k in range(5)]
        body = "date,tmin_c,tmax_c,temp_c,rh_pct,wind_kmh,rain_mm\n" + "".join(
            f"{day.isoformat()},22,38,33,25,20,0\n" for day in days)
        import_forecasts(scope, conn, station.id, body.encode(), now=now,
                         source="Météo-France", issued_at=now - HOUR_MS)
        # Another, measured: a week of hot hours (21 °C at 05:00, 36 °C at 15:00) up to now.
        measured = assets.create_asset(scope, conn, web_registry, {
            "ref": "METEO-STE", "kind": "risks.weather_station", "name": "Météo Saint-Étienne",
            "commune": "88413", "geometry": {"type": "Point", "coordinates": [6.62, 48.03]}})
        tid = streams.create_stream(scope, conn, web_registry, {
            "asset_id": measured.id, "metric": "air.temperature"}).id
        hours = [int(datetime.combine(today - timedelta(days=k), time(h), PARIS).timestamp()
                     * 1000) for k in range(6, -1, -1) for h in range(24)]
        store_rows(scope, conn, [(t, tid, at, 21 + 15 * max(0.0, 1 - abs(
            datetime.fromtimestamp(at / 1000, PARIS).hour - 15) / 10), 0)
            for at in hours if at <= now], PARIS)
        heat = next(s for s in tenant_heat(scope, conn, web_registry, now_ms(), 7)["stations"]
                    if s["id"] == measured.id)
    fire = compute_fwi([NoonWeather(day, 33, 25, 20, 0) for day in days], 48.0)
    login(page, server, then="/risques")
    page.locator("#rivers table").first.wait_for()
    wait_for(page, "document.getElementById('status').textContent !== ''")
    river = page.locator(".river", has_text="Moselle à Vecoux")
    text = " ".join(river.inner_text().replace("\xa0", " ").split())
    assert "Moselle à Vecoux 2,7 m vigilance orange" in text
    assert "seuil rouge à 3,2 m" in text and "en hausse (+20 cm/h)" in text
    assert "Crue — Échelle de la Moselle" in page.locator("#alerts").inner_text()
    # The coming days of the station with forecasts: a table, a row a day.
    outlook = page.get_by_role("table", name="Prochains jours")
    caption = " ".join(outlook.locator("caption").inner_text().split())
    assert "prévision émise le" in caption and "(Météo-France)" in caption
    rows = outlook.locator("tbody tr")
    # A row for each day with a level: the heat from the third day (IBM needs three days),
    # the fire danger on the days of a fire season (from 1 March of the day's year: a forecast
    # running into January has none), whatever the date the test runs at.
    fire_days = [day for day in days if day >= date(day.year, *SEASON_START)]
    shown = sorted(set(days[2:]) | set(fire_days))
    assert rows.count() == len(shown)
    first = " ".join(rows.nth(0).inner_text().replace("\xa0", " ").split())
    if today in fire_days:
        assert first.startswith("aujourd'hui")
        fwi = f"{round(fire[0].fwi, 1):g}".replace(".", ",")
        assert f"{danger_class(fire[0].fwi).label} IFM {fwi} · prévision" in first
    hot = shown.index(days[2])
    third = " ".join(rows.nth(hot).inner_text().replace("\xa0", " ").split())
    assert "canicule IBMn 22 °C, IBMx 38 °C · prévision" in third
    assert rows.nth(hot).locator("th[scope=row]").count() == 1
    weather = " ".join(page.locator("#weather").inner_text().split())
    assert f"Canicule prévue à partir du {long_date(days[2])}" in weather
    # The measured station's days, the French way (never 2026-07-14).
    assert heat["running"] is not None
    assert f"Indicateurs canicule du {long_date(date.fromisoformat(heat['current']['date']))}" \
        in weather
    assert f"Canicule en cours depuis le {long_date(date.fromisoformat(heat['running']['start']))}" \
        in weather
    assert page.get_by_role("link", name="Liste d'appels du registre des personnes "
                                         "vulnérables").count() == 1
    assert_accessible(page)
    screenshot(page, "risques", size)
    # The commune menu with the keyboard: the address keeps it.
    select = page.get_by_label("Commune")
    select.focus()
    select.select_option("88413")
    wait_for(page, "location.search.includes('commune=88413')")
    page.locator("#rivers", has_text="Aucune station").wait_for()
