"""The water interface (issue #7): dashboard (sectors map by leak status and ILP class, open
leaks with the water lost, RPQS indicators with the décret verdict), the sector panel's
night-flow chart, and the yearly figures form; at desktop and phone sizes, audited by axe."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from beffroi.core import assets
from beffroi.core.access import CLI, open_scope
from beffroi.core.alerting.detectors import run_detectors
from beffroi.core.clock import now_ms
from beffroi.core.observations import store_rows
from beffroi.core.streams import ensure_stream
from beffroi.domains.water.annual_volumes import put_year

from .chart_checks import assert_french_numbers, assert_french_time_axis, ticks
from .conftest import assert_accessible, login, screenshot

PARIS = ZoneInfo("Europe/Paris")
DAY = 86_400
# Remiremont: rendement 50 % < 65 + ILC/5 -> below the décret threshold.
BELOW = {"produced_m3": 120_000, "metered_consumption_m3": 60_000, "mains_length_km": 40}
# Saint-Étienne: rendement 90 % -> compliant.
COMPLIANT = {"produced_m3": 50_000, "metered_consumption_m3": 45_000, "mains_length_km": 12}


def _square(x: float, y: float = 48.0, size: float = 0.02) -> dict:
    return {"type": "Polygon", "coordinates": [[[x, y], [x + size, y], [x + size, y + size],
                                                [x, y + size], [x, y]]]}


def _inflow(t_s: np.ndarray, seed: int, level: float) -> np.ndarray:
    rng = np.random.default_rng(seed)
    hour = (t_s / 3600 + 1) % 24
    shape = 1 + 1.2 * np.sin(np.pi * np.clip(hour - 5, 0, 18) / 18)
    return level * shape * rng.normal(1, 0.04, len(t_s))


@pytest.fixture(name="water")
def water_fixture(web_db, web_registry, territory) -> dict:
    """Two services: Remiremont's (sectors A with a 2 m³/h leak for 20 days, and B,
    leak-free, both metered for 120 days) below the décret threshold last year, and
    Saint-Étienne's (one unmetered sector) compliant. The leak detector has run."""
    db, reg, t = web_db, web_registry, territory["tenant"]
    end = now_ms() // 900_000 * 900
    times = np.arange(end - 120 * DAY, end + 1, 900.0)
    onset = end - 20.4 * DAY
    flows = {"A": _inflow(times, 1, 10.0) + np.where(times >= onset, 2.0, 0.0),
             "B": _inflow(times, 2, 6.0)}
    ids: dict = {}
    with db.write() as conn:
        scope = open_scope(db, conn, CLI, t)
        point = {"type": "Point", "coordinates": [6.6, 48.01]}
        for key, insee, name in (("svc1", "88383", "Régie des eaux de Remiremont"),
                                 ("svc2", "88413", "Régie de Saint-Étienne")):
            ids[key] = assets.create_asset(scope, conn, reg, {
                "ref": f"SVC-{insee}", "kind": "water.service", "name": name, "commune": insee,
                "geometry": point}).id
        for key, x, service, insee in (("A", 6.56, "svc1", "88383"), ("B", 6.60, "svc1", "88383"),
                                       ("C", 6.64, "svc2", "88413")):
            ids[key] = assets.create_asset(scope, conn, reg, {
                "ref": f"SEC-{key}", "kind": "water.sector", "name": f"Secteur {key}",
                "commune": insee, "geometry": _square(x), "parent_id": ids[service],
                "properties": {"connections": 800, "mains_length_km": 15}}).id
            if key == "C":
                continue
            meter = assets.create_asset(scope, conn, reg, {
                "ref": f"CPT-{key}-IN", "kind": "water.meter", "name": f"Entrée du secteur {key}",
                "commune": insee, "geometry": point, "parent_id": ids[key],
                "properties": {"role": "sector_inlet"}})
            stream = ensure_stream(scope, conn, reg, meter.id, "water.flow")
            store_rows(scope, conn, [(t, stream, int(ti * 1000), round(float(q), 3), 0)
                                     for ti, q in zip(times, flows[key], strict=True)], PARIS)
        # The pages' default period, the last full year, read when the data is made (not
        # when the module is imported: the suite may run across midnight on 31 December).
        year = datetime.now(PARIS).year - 1
        put_year(scope, conn, reg, ids["svc1"], str(year), BELOW)
        put_year(scope, conn, reg, ids["svc2"], str(year), COMPLIANT)
    run_detectors(db, reg, now_ms())
    return {**territory, **ids, "onset": onset, "year": year}


def _api(page, server, path: str):
    response = page.request.get(f"{server.url}/api/v1{path}")
    assert response.ok, response.text()
    return response.json()


def test_dashboard_shows_the_open_leak_and_the_decree_verdicts(page, server, size, water):
    YEAR = water["year"]
    t = water["tenant"]
    login(page, server, email="elu@cc-vosges.fr", then="/eau")
    page.locator(f"body[data-ready='{YEAR}-']").wait_for(state="attached")
    nav = page.get_by_role("navigation", name="Menu principal")
    assert nav.get_by_role("link", name="Eau potable").get_attribute("aria-current") == "page"
    status = _api(page, server, f"/tenants/{t}/water/sectors/status")
    leak = next(s for s in status["sectors"] if s["ref"] == "SEC-A")["leak"]
    assert leak is not None
    assert page.locator('[data-figure="leaks"] dd').get_attribute("data-value") == "1"
    assert float(page.locator('[data-figure="lost_m3"] dd').get_attribute("data-value")) == \
        leak["lost_m3"]

    row = page.locator('.leaks-table tr[data-sector="SEC-A"]')
    cells = row.locator("td")
    assert float(cells.nth(1).get_attribute("data-value")) == leak["extra_flow_m3h"]
    assert cells.nth(2).get_attribute("data-value") == leak["onset"]
    assert float(cells.nth(3).get_attribute("data-value")) == leak["lost_m3"]
    assert float(cells.nth(4).get_attribute("data-value")) == leak["lost_eur"]
    assert f"{leak['lost_m3']:,}".replace(",", "\u202f") + " m³" in cells.nth(3).inner_text()
    assert row.get_by_role("link", name="Secteur A").get_attribute(
        "href") == f"/equipements/{water['A']}"
    assert page.locator('.leaks-table tr[data-sector="SEC-B"]').count() == 0

    indicators = _api(page, server, f"/tenants/{t}/water/indicators?year={YEAR}")
    assert indicators["summary"]["below_decree_threshold"] == ["SVC-88383"]
    for service in indicators["services"]:
        ind = service["indicators"]
        line = page.locator(f'.indicators-table tr[data-service="{service["ref"]}"]')
        cell = line.locator("td[data-verdict]")
        expected = "below" if ind["decree"]["compliant"] is False else "ok"
        assert cell.get_attribute("data-verdict") == expected
        assert ind["decree"]["message"] in cell.inner_text()
        shown = line.locator("td").first.get_attribute("data-value")
        assert float(shown) == ind["rendement_pct"]
    below = page.locator('.indicators-table tr[data-service="SVC-88383"] td[data-verdict]')
    assert "Sous le seuil : plan d'actions obligatoire" in below.inner_text()

    # The map: three sectors, by leak status, then by ILP class (with the grid).
    assert page.locator("#sector-map path.leaflet-interactive").count() == 3
    legend = page.locator("#legend li").all_inner_texts()
    assert legend == ["Fuite probable en cours (1)", "Aucune fuite détectée (1)",
                      "Débit entrant non mesuré (1)"]
    assert_accessible(page)
    screenshot(page, "eau-tableau-de-bord", size)

    page.get_by_label("Indice linéaire de pertes (ILP)").check()
    page.locator("body[data-colouring='ilp']").wait_for(state="attached")
    grid = page.locator("#grid")
    assert grid.is_visible() and "Grille de notation de l'ILP" in grid.inner_text()
    grades = {s["ref"]: s["indicators"]["rating"]["label"] for s in indicators["services"]}
    table = page.locator("#sectors-table")
    page.get_by_text("Tableau des secteurs").click()
    assert grades["SVC-88383"] in table.locator('tr[data-sector="SEC-A"]').inner_text()
    assert "Fuite probable en cours" in table.locator('tr[data-sector="SEC-A"]').inner_text()
    assert_accessible(page)
    screenshot(page, "eau-carte-ilp", size)

    page.get_by_label("Période des indicateurs").select_option("12m")
    page.locator("body[data-ready='12m-']").wait_for(state="attached")
    assert "12 mois glissants" in page.locator("#period-label").inner_text()
    page.get_by_label("Commune").select_option("88413")
    page.locator("body[data-ready='12m-88413']").wait_for(state="attached")
    assert page.locator("#no-leak").is_visible()
    assert page.locator("#sector-map path.leaflet-interactive").count() == 1


def test_sector_panel_draws_the_night_flow_with_its_leak(page, server, size, water):
    login(page, server, then=f"/equipements/{water['A']}")
    panel = page.locator(".water-panel[data-ready='90']")
    panel.wait_for(state="attached")
    assert page.get_by_role("heading", name="Débit de nuit et fuites du secteur").count() == 1
    assert panel.locator("#ws-plot canvas").count() >= 1
    x, y = ticks(panel.locator("#ws-plot .uplot"))  # issue #13: French dates and numbers
    assert_french_time_axis(x)
    assert_french_numbers(y)
    summary = panel.locator("#ws-summary").inner_text()
    assert "nuits mesurées" in summary and "Fuite probable en cours depuis le" in summary
    data = _api(page, server, f"/tenants/{water['tenant']}/water/sectors/{water['A']}/night-flow")
    leak, = data["leaks"]
    assert panel.locator(f'.leak-list li[data-onset="{leak["onset"]}"]').count() == 1
    assert abs(datetime.fromisoformat(leak["onset"].replace("Z", "+00:00")).timestamp()
               - water["onset"]) <= 1.5 * DAY
    page.get_by_text("Valeurs nuit par nuit").click()
    assert panel.locator("#ws-table tr[data-night]").count() == len(data["nights"])
    assert_accessible(page)
    screenshot(page, "eau-secteur-debit-de-nuit", size)

    page.get_by_label("Période").select_option("30")
    page.locator(".water-panel[data-ready='30']").wait_for(state="attached")
    assert panel.locator("#ws-table tr[data-night]").count() <= 31


def test_year_form_saves_a_figure_and_explains_a_bad_one(page, server, size, water):
    YEAR = water["year"]
    t, service = water["tenant"], water["svc1"]
    login(page, server, then=f"/eau/volumes?service={service}")  # year: last by default
    page.locator(f"body[data-ready='{service}']").wait_for(state="attached")
    produced = page.get_by_label("Volume produit (V1) (m³)")
    assert produced.input_value() == "120 000"
    produced.fill("130 000")
    page.get_by_role("button", name=f"Enregistrer les volumes {YEAR}").click()
    report = page.locator("#wf-report")
    report.get_by_text(f"Volumes {YEAR} enregistrés.").wait_for()
    stored = _api(page, server, f"/tenants/{t}/water/services/{service}/years/{YEAR}")
    assert stored["figures"]["produced_m3"] == 130_000
    assert stored["figures"]["metered_consumption_m3"] == 60_000
    assert "Volume produit (V1) : 130\u202f000 m³" in report.inner_text()

    produced.fill("13O000")  # a letter O typed for a zero
    page.get_by_label("Consommation comptabilisée, facturation (V7) (m³)").fill("61 500,5")
    page.get_by_role("button", name=f"Enregistrer les volumes {YEAR}").click()
    error = page.locator("#wf-produced_m3-err")
    error.get_by_text("Volume produit (V1) : nombre attendu").wait_for()
    assert produced.get_attribute("aria-invalid") == "true"
    assert produced.input_value() == "13O000"  # left for correction
    kept = page.locator("#wf-produced_m3-kept").inner_text()
    assert kept == "Valeur précédente conservée : 130\u202f000 m³."
    assert "sauf 1 champ(s) refusé(s)" in report.inner_text()
    assert "Refusé" in report.inner_text()
    stored = _api(page, server, f"/tenants/{t}/water/services/{service}/years/{YEAR}")
    assert stored["figures"]["produced_m3"] == 130_000
    assert stored["figures"]["metered_consumption_m3"] == 61_500.5
    assert_accessible(page)
    screenshot(page, "eau-volumes-erreur", size)

    # Only bad fields: nothing stored, the message says so.
    page.get_by_label("Linéaire de réseau hors branchements au 31 décembre (km)").fill("-3")
    for label in ("Consommation comptabilisée, facturation (V7) (m³)",
                  "Volume produit (V1) (m³)"):
        page.get_by_label(label).fill("")
    page.get_by_role("button", name=f"Enregistrer les volumes {YEAR}").click()
    page.locator("#wf-error").get_by_text("rien n'a été enregistré").wait_for()
    assert "minimum" in page.locator("#wf-mains_length_km-err").inner_text()


def test_service_panel_shows_the_form_read_only_to_a_viewer(page, server, size, water):
    YEAR = water["year"]
    login(page, server, email="elu@cc-vosges.fr", then=f"/equipements/{water['svc2']}")
    panel = page.locator(".water-panel[data-ready]")
    panel.wait_for(state="attached")
    assert "Lecture seule" in panel.inner_text()
    assert page.get_by_label("Volume produit (V1) (m³)").input_value() == "50 000"
    assert page.get_by_label("Volume produit (V1) (m³)").get_attribute("readonly") is not None
    assert panel.get_by_role("button", name="Enregistrer").count() == 0
    # Issue #13: the yearly volumes among the properties are a table with labels and
    # units in French formats, not a raw JSON dump.
    properties = page.locator("#properties")
    table = properties.locator('table[data-property="years"]')
    assert table.locator("thead th").all_inner_texts() == ["Année", str(YEAR)]
    row = table.locator("tr", has_text="Volume produit (V1) (m³)")
    assert row.locator("td").inner_text() == "50\u202f000"
    assert "Linéaire de réseau hors branchements au 31 décembre (km)" in table.inner_text()
    text = properties.inner_text()
    assert "{" not in text and "produced_m3" not in text
    assert_accessible(page)
    screenshot(page, "eau-service-lecture", size)
