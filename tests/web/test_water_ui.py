"""The water interface (issue #7): dashboard (sectors map by leak status and ILP class, open
leaks with the water lost, RPQS indicators with the décret verdict), the sector panel's
night-flow chart, and the yearly figures form; at desktop and phone sizes, audited by axe."""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from beffroi.core import assets
from beffroi.core.access import CLI, open_scope
from beffroi.core.alerting import alerts
from beffroi.core.alerting.detectors import run_detectors
from beffroi.core.clock import format_instant, now_ms
from beffroi.core.observations import store_rows
from beffroi.core.streams import ensure_stream
from beffroi.domains.water.annual_volumes import put_year
from beffroi.domains.water.detectors import DETECTOR_KEY

from .chart_checks import assert_french_numbers, assert_french_time_axis, ticks
from .conftest import AT_DESK, ON_PHONE, PASSWORD, assert_accessible, login, open_menu, screenshot
from .french_dates import long_date

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


def _api_as(server, web_db, path: str, email: str = "agent@cc-vosges.fr"):
    """An API answer outside the browser, as one of the territory's people."""
    import httpx

    with httpx.Client(base_url=f"{server.url}/api/v1") as client:
        token = client.post("/auth/token", json={"email": email, "password": PASSWORD})
        answer = client.get(path, headers={
            "Authorization": f"Bearer {token.json()['access_token']}"})
        assert answer.status_code == 200, answer.text
        return answer.json()


def _api(page, server, path: str):
    response = page.request.get(f"{server.url}/api/v1{path}")
    assert response.ok, response.text()
    return response.json()


def _second_leak(water, web_db, web_registry) -> dict:
    """A second leak open on sector A at once (one alert per leak), as the detector raises
    them: its details, as the alert holds them."""
    details = {"extra_flow_m3h": 0.75, "lost_m3": 42, "lost_eur": 88, "price_eur_m3": 2.1,
               "onset": format_instant(now_ms() - 5 * DAY * 1000),
               "detected": format_instant(now_ms() - 3 * DAY * 1000), "days_since_onset": 5.0}
    with web_db.write() as conn:
        alerts.raise_alert(web_db, conn, web_registry, water["tenant"], alerts.Trigger(
            key=alerts.detector_key(DETECTOR_KEY, water["A"], "second"), severity="warning",
            title="Fuite probable — Secteur A : +0,8 m³/h", at=now_ms() - 3 * DAY * 1000,
            asset_id=water["A"], detector=DETECTOR_KEY, details=details))
    return details


def test_dashboard_shows_the_open_leaks_and_the_decree_verdicts(page, server, size, water,
                                                                web_db, web_registry):
    YEAR = water["year"]
    t = water["tenant"]
    status = _api_as(server, web_db, f"/tenants/{t}/water/sectors/status")
    first = next(s for s in status["sectors"] if s["ref"] == "SEC-A")["leak"]
    assert first is not None  # the detector's
    second = _second_leak(water, web_db, web_registry)
    login(page, server, email="elu@cc-vosges.fr", then="/eau")
    page.locator(f"body[data-ready='{YEAR}-']").wait_for(state="attached")
    open_menu(page)
    nav = page.get_by_role("navigation", name="Menu principal")
    assert nav.get_by_role("link", name="Eau potable").get_attribute("aria-current") == "page"
    leaks = [first, second]
    extra = sum(k["extra_flow_m3h"] for k in leaks)
    lost = sum(k["lost_m3"] for k in leaks)
    assert page.locator('[data-figure="leaks"] dd').get_attribute("data-value") == "2"
    assert "dans 1 secteur sur 3 (2 au débit entrant mesuré)" in page.locator(
        '[data-figure="leaks"] dd').inner_text()
    assert float(page.locator('[data-figure="lost_m3"] dd').get_attribute("data-value")) == \
        pytest.approx(lost)
    assert float(page.locator('[data-figure="extra_flow"] dd').get_attribute("data-value")) == \
        pytest.approx(extra)

    # One row per sector: its number of open leaks and their totals, then each leak.
    row = page.locator('.leaks-table tr[data-sector="SEC-A"]')
    cells = row.locator("td")
    assert cells.nth(1).get_attribute("data-value") == "2"
    assert float(cells.nth(2).get_attribute("data-value")) == pytest.approx(extra)
    # The sum written with at most one decimal (a trailing zero dropped). The detector's
    # flow is read from data dated from now: the sum can be a whole number, or fall half
    # way between two tenths, where Python's and the browser's roundings differ — so the
    # figure shown is checked to be the sum to the nearest tenth.
    shown = re.search(r"\+(\d+(?:,\d)?) m³/h", cells.nth(2).inner_text())
    assert shown is not None, cells.nth(2).inner_text()
    assert abs(float(shown.group(1).replace(",", ".")) - extra) <= 0.05 + 1e-9
    assert float(cells.nth(3).get_attribute("data-value")) == pytest.approx(lost)
    assert f"{round(lost):,}".replace(",", "\u202f") + " m³" in cells.nth(3).inner_text()
    assert float(cells.nth(4).get_attribute("data-value")) == pytest.approx(
        first["lost_eur"] + second["lost_eur"])
    items = cells.nth(5).locator("li")
    assert items.count() == 2
    assert sorted(items.evaluate_all("(l) => l.map((e) => e.dataset.onset)")) == sorted(
        [first["onset"], second["onset"]])
    assert "+0,75 m³/h, 42 m³ perdus" in cells.nth(5).inner_text()
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
    assert "2 fuites probables en cours : +" in table.locator('tr[data-sector="SEC-A"]').inner_text()
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
    assert panel.locator(f'#ws-leaks .leak-list li[data-onset="{leak["onset"]}"]').count() == 1
    # The open leak alerts of the sector: one, with its extra flow and water lost.
    open_leaks = _api(page, server,
                      f"/tenants/{water['tenant']}/water/sectors/{water['A']}/open-leaks")
    assert panel.locator("#ws-open-summary").get_attribute("data-count") == "1"
    alert, = open_leaks["leaks"]
    item = panel.locator(f'#ws-open-list li[data-alert="{alert["alert_id"]}"]')
    assert float(item.get_attribute("data-extra")) == alert["extra_flow_m3h"]
    assert "voir l'alerte" in item.inner_text()
    assert abs(datetime.fromisoformat(leak["onset"].replace("Z", "+00:00")).timestamp()
               - water["onset"]) <= 1.5 * DAY
    page.get_by_text("Valeurs nuit par nuit").click()
    assert panel.locator("#ws-table tr[data-night]").count() == len(data["nights"])
    assert_accessible(page)
    screenshot(page, "eau-secteur-debit-de-nuit", size)

    page.get_by_label("Période").select_option("30")
    page.locator(".water-panel[data-ready='30']").wait_for(state="attached")
    assert panel.locator("#ws-table tr[data-night]").count() <= 31


@AT_DESK
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


NETWORK = "Connexion impossible : rien n'a été enregistré, réessayez."


def _cut(page, pattern: str, method: str) -> None:
    """The network drops for the ``method`` requests to ``pattern`` (a phone out of
    coverage): they fail in the browser as ``fetch`` does then."""
    page.route(pattern, lambda route: route.abort() if route.request.method == method
               else route.continue_())


@ON_PHONE
def test_year_form_says_in_french_when_the_network_drops(page, server, size, water):
    YEAR, service = water["year"], water["svc1"]
    login(page, server, then=f"/eau/volumes?service={service}")
    page.locator(f"body[data-ready='{service}']").wait_for(state="attached")
    _cut(page, "**/years/*", "PUT")
    page.get_by_label("Volume produit (V1) (m³)").fill("125 000")
    save = page.get_by_role("button", name=f"Enregistrer les volumes {YEAR}")
    save.click()
    page.locator("form[data-saved='error']").wait_for(state="attached")
    assert page.locator("#wf-error").inner_text() == NETWORK
    assert "Failed to fetch" not in page.locator("main").inner_text()
    assert page.evaluate("document.activeElement.id") == "wf-save"  # not lost to the body
    assert not save.is_disabled()
    page.unroute("**/years/*")  # back in coverage: the same click saves
    save.click()
    page.locator("#wf-report").get_by_text(f"Volumes {YEAR} enregistrés.").wait_for()


@ON_PHONE
def test_a_use_is_refused_in_french_offline_or_with_a_year_mistyped(page, server, size, water):
    t, sector = water["tenant"], water["B"]
    url = f"/tenants/{t}/water/sectors/{sector}/exceptional-uses"
    login(page, server, then=f"/equipements/{sector}")
    page.locator("#ws-uses[data-uses='0']").wait_for(state="attached")
    today = datetime.now(PARIS).date()
    start, end = (today.fromordinal(today.toordinal() - k).isoformat() for k in (10, 8))
    first = page.get_by_label("Premier jour")
    # The date pickers offer the days the API accepts: from 2000, two years ahead at most.
    assert first.get_attribute("min") == "2000-01-01"
    assert first.get_attribute("max") > today.replace(year=today.year + 1).isoformat()
    assert page.get_by_label("Dernier jour (inclus)").get_attribute("min") == "2000-01-01"

    # « 20260 » typed for the year: the picker keeps 0260, the API refuses it on its field.
    first.fill("0260-07-01")
    page.get_by_label("Dernier jour (inclus)").fill("0260-07-03")
    page.get_by_label("Motif").fill("Purge des canalisations")
    page.get_by_role("button", name="Déclarer l'usage").click()
    page.locator("#wu-form[data-saved='error']").wait_for(state="attached")
    assert "le 01/07/0260 est trop ancien, le 01/01/2000 au plus tôt" in \
        page.locator("#wu-start-err").inner_text()
    assert first.get_attribute("aria-invalid") == "true"
    assert page.evaluate("document.activeElement.id") == "wu-start"
    assert _api(page, server, url)["uses"] == []

    # The network drops when the form is sent: said in French, nothing stored.
    page.locator("#wu-form").evaluate("form => { delete form.dataset.saved; }")
    first.fill(start)
    page.get_by_label("Dernier jour (inclus)").fill(end)
    _cut(page, "**/exceptional-uses", "POST")
    page.get_by_role("button", name="Déclarer l'usage").click()
    page.locator("#wu-form[data-saved='error']").wait_for(state="attached")
    error = page.locator("#wu-error")
    assert error.inner_text() == NETWORK and error.get_attribute("role") == "alert"
    assert "Failed to fetch" not in page.locator("main").inner_text()
    assert first.get_attribute("aria-invalid") is None
    page.unroute("**/exceptional-uses")
    page.get_by_role("button", name="Déclarer l'usage").click()
    page.locator("#ws-uses[data-uses='1']").wait_for(state="attached")
    stored, = _api(page, server, url)["uses"]
    assert (stored["start"], stored["end"]) == (start, end)
    assert_accessible(page)


@ON_PHONE
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


def _answer_with(page, key: str, value) -> None:
    """The night-flow answers with ``key`` set to ``value`` (« absent »: an older
    server's answer, without the field): the real answer otherwise."""
    def fulfil(route):
        answer = route.fetch()
        body = answer.json()
        if value == "absent":
            body.pop(key, None)
        else:  # (a function of the real answer: a value made from its nights)
            body[key] = value(body) if callable(value) else value
        route.fulfill(response=answer, json=body)

    page.route("**/water/sectors/*/night-flow*", fulfil)


def _panel_box(page, server, water, field: str, value, box: str, marker: str):
    """Sector B's panel with the night-flow answer's ``field`` set to ``value`` ("absent":
    left out): the box ``box``, or None once it is checked hidden with ``marker`` nowhere in
    the panel (a null or absent field)."""
    _answer_with(page, field, value)
    login(page, server, then=f"/equipements/{water['B']}")
    panel = page.locator(".water-panel[data-ready='90']")
    panel.wait_for(state="attached")
    shown = panel.locator(box)
    if not isinstance(value, dict) and not callable(value):
        assert shown.is_hidden() and marker not in panel.inner_text()
        return None
    assert shown.is_visible()
    return shown


@pytest.mark.parametrize("sensitivity", [{"min_leak_m3h": 0.82, "share_of_night_flow": 0.074},
                                         {"min_leak_m3h": 0.82, "share_of_night_flow": 0.074,
                                          "min_lasting_leak_m3h": 0.66,
                                          "lasting_share_of_night_flow": 0.059,
                                          "lasting_nights": 10},
                                         {"min_leak_m3h": 0.15, "share_of_night_flow": 0.15,
                                          "meter_resolution_m3": 0.1},
                                         None, "absent"])
@ON_PHONE
def test_sector_panel_tells_the_smallest_detectable_leak(page, server, size, water,
                                                         sensitivity):
    box = _panel_box(page, server, water, "sensitivity", sensitivity, "#ws-sensitivity",
                     "détectable")
    if box is None:
        return
    text = box.inner_text()
    if "lasting_nights" in sensitivity:
        assert ("Plus petite fuite détectable : 0,82 m³/h (7,4 % du débit de nuit) en "
                "quelques nuits ; 0,66 m³/h (5,9 %) si elle dure 10 nuits.") in text
    elif "meter_resolution_m3" in sensitivity:  # the meter's index steps set it
        assert "Plus petite fuite détectable : 0,15 m³/h (15 % du débit de nuit)." in text
        assert ("c'est la résolution du compteur d'entrée qui la fixe : son index avance par "
                "pas de 0,1 m³") in " ".join(text.split())
    else:
        assert "Plus petite fuite détectable : 0,82 m³/h (7,4 % du débit de nuit)." in text
    assert ("Un secteur plus petit, ou un compteur supplémentaire" in text) is (
        "meter_resolution_m3" not in sensitivity)
    assert "Aucune alerte de fuite ouverte sur ce secteur." in page.locator(
        ".water-panel").inner_text()
    assert_accessible(page)


WEEKLY = {"offsets": [{"weekday": d, "offset_m3h": -3.0 if d in (5, 6) else 0.04 * d}
                      for d in range(7)]}


@pytest.mark.parametrize("pattern", [WEEKLY, None, "absent"])
@ON_PHONE
def test_sector_panel_tells_the_weekly_pattern_taken_out(page, server, size, water, pattern):
    box = _panel_box(page, server, water, "weekly_pattern", pattern, "#ws-weekly",
                     "Rythme de la semaine")
    if box is None:
        return
    text = " ".join(box.inner_text().split())
    assert "Rythme de la semaine pris en compte :" in text
    items = box.locator("li").all_inner_texts()
    assert items[0] == "du lundi au mardi : 0 m³/h"
    assert items[5:] == ["du samedi au dimanche : −3 m³/h", "du dimanche au lundi : −3 m³/h"]
    assert items[4] == "du vendredi au samedi : +0,2 m³/h"
    assert_accessible(page)


@ON_PHONE
def test_sector_panel_tells_what_became_of_each_leak(page, server, size, water):
    def fulfil(route):  # the real leak, then the same ended three ways
        answer = route.fetch()
        body = answer.json()
        leak = body["leaks"][0]
        body["leaks"] = [{**leak, "active": False, "ended_by": "gone"},
                         {**leak, "active": False, "ended_by": "repair"},
                         {**leak, "active": False, "no_leak_found": True, "lost_m3": 0}]
        route.fulfill(response=answer, json=body)

    page.route("**/water/sectors/*/night-flow*", fulfil)
    login(page, server, then=f"/equipements/{water['A']}")
    panel = page.locator(".water-panel[data-ready='90']")
    panel.wait_for(state="attached")
    labels = panel.locator("#ws-leaks .leak-list li strong").all_inner_texts()
    assert labels == ["Fuite terminée (débit de nuit revenu à sa référence)", "Fuite réparée",
                      "Aucune fuite trouvée (usage légitime)"]
    summary = panel.locator("#ws-summary").inner_text()
    assert "2 fuite(s) sur la période, terminée(s) (dont 1 réparée(s))." in summary
    assert "1 hausse(s) du débit de nuit recherchée(s) sans fuite trouvée" in summary
    assert "en cours" not in summary
    assert_accessible(page)


@ON_PHONE
def test_sector_panel_asks_to_settle_a_leak_back_near_its_reference(page, server, size, water):
    # The real open leak, as the detector says of a leak whose night flow came back near
    # its reference with no repair recorded (tested with the detector in the domain tests):
    # ten days after it was found.
    shown = []

    def back(route):
        answer = route.fetch()
        body = answer.json()
        for leak in body["leaks"]:
            found = datetime.fromisoformat(leak["detected"].replace("Z", "+00:00"))
            since = datetime.fromtimestamp(found.timestamp() + 10 * DAY, PARIS)
            shown.append(long_date(since))
            leak.update(back_near_reference_since=format_instant(int(since.timestamp() * 1000)),
                        repair_status="back")
        route.fulfill(response=answer, json=body)

    page.route("**/water/sectors/*/night-flow*", back)
    page.route("**/water/sectors/*/open-leaks", back)
    login(page, server, then=f"/equipements/{water['A']}")
    panel = page.locator(".water-panel[data-ready='90']")
    panel.wait_for(state="attached")
    panel.locator("#ws-open-list li .back-note").wait_for()
    assert panel.locator("#ws-leaks .leak-list li strong").all_inner_texts() == [
        "Fuite à confirmer"]
    assert "À confirmer : le débit de nuit est revenu près de la référence de cette fuite " \
           "sans réparation consignée." in panel.locator("#ws-summary").inner_text()
    for note in (panel.locator("#ws-open-list li .back-note"),
                 panel.locator("#ws-leaks .leak-list li .back-note")):
        text = " ".join(note.inner_text().split())
        assert "débit de nuit revenu près de la référence de cette fuite depuis le " \
               f"{shown[0]}, sans réparation consignée" in text
        assert "consignez-le sur son alerte ; sinon, « aucune fuite trouvée »" in text
    assert_accessible(page)
    panel.locator("#ws-open-list").scroll_into_view_if_needed()
    screenshot(page, "eau-secteur-fuite-a-confirmer", size)


@pytest.mark.parametrize("night_use", [
    {"since": "2026-06-03T02:00:00Z", "since_date": "2026-06-03", "variability_ratio": 2.7},
    None, "absent"])
@ON_PHONE
def test_sector_panel_tells_a_rise_held_as_night_use(page, server, size, water, night_use):
    box = _panel_box(page, server, water, "night_use", night_use, "#ws-night-use",
                     "s'allume et s'éteint")
    if box is None:
        return
    text = box.inner_text()
    assert "Hausse du débit de nuit depuis le 3 juin 2026, sans alerte de fuite" in text
    assert "varient 2,7 fois plus que d'habitude" in text
    assert "une fuite est un débit continu" in text
    assert_accessible(page)
    box.scroll_into_view_if_needed()
    screenshot(page, "eau-secteur-usage-de-nuit", size)


@pytest.mark.parametrize("ended", [False, True], ids=["ongoing", "ended"])
@ON_PHONE
def test_sector_panel_tells_a_seasonal_use_seen_in_the_nights(page, server, size, water,
                                                             ended):
    # The real answer, with a seasonal use seen from its 31st night shown (to its 61st,
    # once ended): the panel says it, the chart's legend names it, and the table marks
    # its nights and no other.
    said = {}

    def seen(body):
        first, last = body["nights"][30], body["nights"][60]
        said.update(since=first["date"], until=last["date"] if ended else None)
        return {"since": first["end"], "since_date": first["date"],
                "until": last["end"] if ended else None,
                "until_date": last["date"] if ended else None}

    box = _panel_box(page, server, water, "seen_season", seen, "#ws-night-use",
                     "vu dans les nuits")
    text = box.inner_text()
    if ended:
        assert f"Usage saisonnier de nuit du {long_date(said['since'])} au " \
               f"{long_date(said['until'])}, vu dans les nuits" in text
        assert "après lui, le débit de nuit est comparé à celui d'avant" in text
    else:
        assert f"Usage saisonnier de nuit depuis le {long_date(said['since'])}, vu dans " \
               "les nuits" in text
        assert "comparé à celui d'avant" not in text
    assert "déclarez-le ci-dessous comme usage saisonnier" in text
    panel = page.locator(".water-panel[data-ready='90']")
    assert panel.locator("#ws-legend-seen").is_visible()
    remarks = {row.get_attribute("data-night"): row.locator("td").last.text_content()
               for row in panel.locator("#ws-table tbody tr").all()}
    inside = {night for night in remarks if said["since"] <= night
              and (said["until"] is None or night <= said["until"])}
    assert len(inside) == (31 if ended else len(remarks) - 30)
    for night, remark in remarks.items():
        assert ("usage saisonnier vu dans les nuits" in remark) == (night in inside), night
    assert_accessible(page)


def _tab_out(page) -> str:
    """Press Tab until the focus leaves the focused field (a date field takes one Tab per
    part); the id of the field it lands on."""
    here = page.evaluate("document.activeElement.id")
    for _ in range(4):
        page.keyboard.press("Tab")
        there = page.evaluate("document.activeElement.id")
        if there != here:
            return there
    return here


def _overflows(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth > window.innerWidth + 1")


@AT_DESK
def test_exceptional_use_form_declares_explains_and_removes(page, server, size, water):
    t, sector = water["tenant"], water["B"]
    url = f"/tenants/{t}/water/sectors/{sector}/exceptional-uses"
    login(page, server, then=f"/equipements/{sector}")
    panel = page.locator(".water-panel[data-ready='90']")
    panel.wait_for(state="attached")
    page.locator("#ws-uses[data-uses='0']").wait_for(state="attached")
    assert page.get_by_role("heading",
                            name="Usages exceptionnels et saisonniers déclarés").count() == 1
    assert panel.locator("#wu-none").inner_text() == "Aucun usage exceptionnel déclaré."
    today = datetime.now(PARIS).date()
    start, end = (today.fromordinal(today.toordinal() - k).isoformat() for k in (10, 8))

    # Labels bound to their inputs; an end before the start is refused next to its field.
    page.get_by_label("Premier jour").fill(end)
    page.get_by_label("Dernier jour (inclus)").fill(start)
    page.get_by_label("Motif").fill("Remplissage de la piscine municipale")
    page.get_by_label("Débit prévu (m³/h, facultatif)").fill("12,5")
    page.get_by_role("button", name="Déclarer l'usage").click()
    form = page.locator("#wu-form[data-saved='error']")
    form.wait_for(state="attached")
    end_input = page.get_by_label("Dernier jour (inclus)")
    assert end_input.get_attribute("aria-invalid") == "true"
    assert "est avant le premier jour" in page.locator("#wu-end-err").inner_text()
    assert "wu-end-err" in end_input.get_attribute("aria-describedby")
    alert = page.get_by_role("alert").filter(has_text="Usage exceptionnel refusé")
    assert "rien n'a été enregistré" in alert.inner_text()
    assert page.evaluate("document.activeElement.id") == "wu-end"
    assert _api(page, server, url)["uses"] == []
    assert_accessible(page)
    screenshot(page, "eau-usage-exceptionnel-erreur", size)

    # Corrected with the keyboard alone: fields in order, Enter sends the form.
    page.get_by_label("Premier jour").fill(start)
    assert _tab_out(page) == "wu-end"  # a date field's day, month and year, then the next
    end_input.fill(end)
    assert _tab_out(page) == "wu-label"
    assert _tab_out(page) == "wu-flow_m3h"
    page.keyboard.press("Enter")
    page.locator("#ws-uses[data-uses='1']").wait_for(state="attached")
    stored, = _api(page, server, url)["uses"]
    assert stored["start"] == start and stored["end"] == end and stored["flow_m3h"] == 12.5
    assert stored["label"] == "Remplissage de la piscine municipale"
    status = page.locator("#wu-status")
    assert status.get_attribute("role") == "status"
    assert "(3 nuits ignorées par le détecteur de fuites)" in status.inner_text()
    item = panel.locator(f'.uses-list li[data-use="{stored["id"]}"]')
    assert "Remplissage de la piscine municipale" in item.inner_text()
    assert "12,5 m³/h prévus" in item.inner_text() and "(3 nuits)" in item.inner_text()
    assert end_input.get_attribute("aria-invalid") is None
    assert page.get_by_label("Motif").input_value() == ""  # the form is ready for another
    page.get_by_text("Valeurs nuit par nuit").click()  # its nights are marked in the table
    marked = panel.locator("#ws-table tr[data-night]", has_text="usage déclaré")
    assert 2 <= marked.count() <= 3
    assert not _overflows(page)
    assert_accessible(page)
    screenshot(page, "eau-usage-exceptionnel", size)

    # Among the properties of the sector, a table in French formats, not JSON.
    page.reload()
    page.locator("#ws-uses[data-uses='1']").wait_for(state="attached")
    table = page.locator('#properties table[data-property="exceptional_uses"]')
    assert "Remplissage de la piscine municipale" in table.inner_text()
    assert "{" not in page.locator("#properties").inner_text()

    # Removed after confirmation; focus goes back to the form.
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Supprimer l'usage « Remplissage de la piscine "
                                    "municipale »").click()
    page.locator("#ws-uses[data-uses='0']").wait_for(state="attached")
    assert _api(page, server, url)["uses"] == []
    assert "supprimé" in page.locator("#wu-status").inner_text()
    assert page.evaluate("document.activeElement.id") == "wu-start"


@AT_DESK
def test_a_seasonal_use_is_declared_with_its_box_and_marks_its_nights_every_year(
        page, server, size, water):
    t, sector = water["tenant"], water["B"]
    url = f"/tenants/{t}/water/sectors/{sector}/exceptional-uses"
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    login(page, server, then=f"/equipements/{sector}")
    page.locator("#ws-uses[data-uses='0']").wait_for(state="attached")
    # Three nights a week ago, declared on last year's dates (29 February avoided).
    today = datetime.now(PARIS).date()
    days = [today.fromordinal(today.toordinal() - k) for k in (10, 9, 8)]
    if any((d.month, d.day) == (2, 29) for d in days):
        days = [today.fromordinal(today.toordinal() - k) for k in (12, 11, 10)]
    first, last = (d.replace(year=d.year - 1) for d in (days[0], days[-1]))
    page.get_by_label("Premier jour").fill(first.isoformat())
    page.get_by_label("Dernier jour (inclus)").fill(last.isoformat())
    page.get_by_label("Motif").fill("Arrosage des jardins")
    box = page.get_by_label("Chaque année (usage saisonnier)")
    assert "surveillées avec prudence" in page.locator(
        f"#{box.get_attribute('aria-describedby').split()[0]}").inner_text()
    box.focus()
    page.keyboard.press("Space")  # with the keyboard
    assert box.is_checked()
    page.get_by_role("button", name="Déclarer l'usage").click()
    page.locator("#ws-uses[data-uses='1']").wait_for(state="attached")
    stored, = _api(page, server, url)["uses"]
    assert stored["yearly"] is True and stored["start"] == first.isoformat()
    assert "Usage saisonnier enregistré" in page.locator("#wu-status").inner_text()
    item = " ".join(page.locator(".uses-list li").inner_text().split())
    assert "Arrosage des jardins — chaque année du " in item
    assert "(3 nuits, surveillées avec prudence)" in item
    assert not box.is_checked()  # the form is ready for another
    # This year's nights of the use are marked in the table.
    page.get_by_text("Valeurs nuit par nuit").click()
    marked = page.locator("#ws-table tr[data-night]", has_text="usage saisonnier")
    assert 2 <= marked.count() <= 3
    assert not _overflows(page)
    assert_accessible(page)
    screenshot(page, "eau-usage-saisonnier", size)
    assert errors == []  # (the chart shades this year's nights of the use too)


@ON_PHONE
def test_a_viewer_reads_the_exceptional_uses_without_the_form(page, server, size, water,
                                                              web_db, web_registry):
    with web_db.write() as conn:
        scope = open_scope(web_db, conn, CLI, water["tenant"])
        assets.update_asset(scope, conn, web_registry, water["B"], {"properties": {
            "exceptional_uses": [{"id": "ex1", "start": "2025-03-29", "end": "2025-03-31",
                                  "label": "Exercice incendie"}]}})
    login(page, server, email="elu@cc-vosges.fr", then=f"/equipements/{water['B']}")
    panel = page.locator(".water-panel")
    page.locator("#ws-uses[data-uses='1']").wait_for(state="attached")
    assert "Exercice incendie — du 29 mars 2025 au 31 mars 2025 (3 nuits)" in \
        " ".join(panel.locator(".uses-list li").inner_text().split())
    assert "Lecture seule" in panel.inner_text()
    assert panel.locator("form.uses-form").count() == 0
    assert panel.get_by_role("button", name="Supprimer").count() == 0
    assert_accessible(page)


# -- issue #15: the year's repaired leaks on the dashboard ---------------------------------------
def _repaired_leaks(water, web_db, web_registry, server) -> dict:
    """Two leaks of last year, repaired: one on sector B (on the main, located, with its cost,
    then confirmed by the nights), one on sector C (on a connection, no cost, still waiting
    for the nights). Alerts raised as the detector raises them; the follow-up recorded
    through the API by the agent. key -> (sector, onset, extra m³/h, lost m³, repaired on,
    cost, alert id)."""
    import httpx

    year, t = water["year"], water["tenant"]
    leaks = {
        "B": (f"{year}-03-01T01:00:00Z", 2.0, 900, f"{year}-03-20", 1500,
              {"located_on": "main", "position": {"lon": 6.6012, "lat": 48.0043}}),
        "C": (f"{year}-05-10T00:00:00Z", 1.2, 300, f"{year}-06-01", None,
              {"located_on": "connection", "position": {"lon": 6.645, "lat": 48.006}}),
    }
    out = {}
    with web_db.write() as conn:
        for sector, (onset, extra, lost, _, _, _) in leaks.items():
            at = int(datetime.fromisoformat(onset.replace("Z", "+00:00")).timestamp() * 1000)
            alert = alerts.raise_alert(web_db, conn, web_registry, t, alerts.Trigger(
                key=alerts.detector_key(DETECTOR_KEY, water[sector], "repaired"),
                severity="warning", title=f"Fuite probable — Secteur {sector}",
                at=at + 2 * DAY * 1000, asset_id=water[sector], detector=DETECTOR_KEY,
                details={"extra_flow_m3h": extra, "lost_m3": lost, "onset": onset,
                         "lost_eur": round(lost * 2.1)}))
            out[sector] = alert.id
    with httpx.Client(base_url=f"{server.url}/api/v1") as client:
        token = client.post("/auth/token", json={"email": "agent@cc-vosges.fr",
                                                 "password": PASSWORD}).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        for sector, (_, _, _, day, cost, located) in leaks.items():
            url = f"/tenants/{t}/alerts/{out[sector]}/interventions"
            repair = {"step": "repaired", "repaired_on": day, "at": day}
            if cost is not None:
                repair |= {"cost_eur": cost, "pipe_material": "cast_iron", "diameter_mm": 100}
            for step in ({"step": "located", "at": day, **located}, repair):
                answer = client.post(url, headers=headers, json=step)
                assert answer.status_code == 201, answer.text
    with web_db.write() as conn:  # the nights after the repair are back to the reference
        alerts.clear_alert(web_db, conn, t, alerts.detector_key(
            DETECTOR_KEY, water["B"], "repaired"),
            int(datetime(year, 3, 21, 2, tzinfo=PARIS).timestamp() * 1000))
    return {k: (*v[:5], out[k]) for k, v in leaks.items()}


def _saved_m3(onset: str, extra: float, repaired_on: str, usual_days: float) -> float:
    """m³ saved, computed here: extra flow × 24 h × (usual duration − the days the leak ran,
    from its onset to the start of the repair day in Paris)."""
    day = datetime.fromisoformat(repaired_on).replace(tzinfo=PARIS)
    ran = (day - datetime.fromisoformat(onset.replace("Z", "+00:00"))).total_seconds() / DAY
    return extra * 24 * max(0.0, usual_days - ran)


def _french(value: float, unit: str) -> str:
    return f"{round(value):,}".replace(",", "\u202f") + f" {unit}"


def test_dashboard_lists_the_years_repaired_leaks(page, server, size, water, web_db,
                                                  web_registry):
    year, t = water["year"], water["tenant"]
    leaks = _repaired_leaks(water, web_db, web_registry, server)
    usual, price = 90, 2.1  # the settings' defaults
    saved = {k: _saved_m3(onset, extra, day, usual)
             for k, (onset, extra, _, day, _, _) in leaks.items()}
    # 1 March 02:00 to 20 March 00:00 (Paris): 18 days 22 hours of the usual 90.
    assert saved["B"] == pytest.approx(2 * 24 * (90 - (18 + 22 / 24)))

    login(page, server, email="elu@cc-vosges.fr", then="/eau")  # a viewer sees it
    page.locator(f"body[data-ready='{year}-']").wait_for(state="attached")
    section = page.locator("#repaired-section")
    assert section.get_by_role("heading", level=2).inner_text() == f"Fuites réparées en {year}"
    table = section.get_by_role("table")
    assert table.locator("caption").inner_text().startswith(f"Fuites réparées en {year}")
    assert table.locator("thead th[scope='col']").all_inner_texts() == [
        "Date de réparation", "Secteur", "Emplacement", "Eau perdue", "Coût", "Confirmation",
        "Eau économisée"]
    rows = table.locator("tbody tr")
    assert rows.evaluate_all("(r) => r.map((e) => e.dataset.alert)") == [
        str(leaks["B"][5]), str(leaks["C"][5])]  # by repair day

    b = table.locator(f'tr[data-alert="{leaks["B"][5]}"]')
    cells = b.locator("td")
    assert b.locator("th[scope='row']").inner_text().startswith(f"20 mars {year}")
    assert b.get_by_role("link", name="Secteur B").get_attribute(
        "href") == f"/equipements/{water['B']}"
    assert "conduite" in cells.nth(1).inner_text()
    assert "48,0043° N, 6,6012° E" in cells.nth(1).inner_text()
    assert float(cells.nth(2).get_attribute("data-value")) == 900
    assert cells.nth(2).inner_text() == "900 m³"
    assert float(cells.nth(3).get_attribute("data-value")) == 1500
    assert cells.nth(3).inner_text() == "1\u202f500 €"
    assert cells.nth(4).inner_text() == "✓ confirmée"
    assert float(cells.nth(5).get_attribute("data-value")) == pytest.approx(saved["B"], abs=0.05)
    assert cells.nth(5).inner_text().startswith(_french(saved["B"], "m³"))

    c = table.locator(f'tr[data-alert="{leaks["C"][5]}"]')
    cells = c.locator("td")
    assert "Saint-Étienne-lès-Remiremont" in cells.nth(0).inner_text()
    assert "branchement" in cells.nth(1).inner_text()
    assert cells.nth(3).inner_text() == "non saisi"
    assert cells.nth(4).inner_text() == "en attente de confirmation"  # words, not colour
    assert float(cells.nth(5).get_attribute("data-value")) == pytest.approx(saved["C"], abs=0.05)

    totals = table.locator("tfoot tr.totals")
    cells = totals.locator("td")
    assert totals.locator("th").inner_text() == "Total : 2 fuites"
    assert cells.nth(0).inner_text() == "1\u202f200 m³"
    assert cells.nth(1).inner_text().startswith("1\u202f500 €")
    assert "1 coût non saisi" in cells.nth(1).inner_text()
    assert cells.nth(2).inner_text() == "1 confirmée sur 2"
    total_saved = sum(saved.values())
    assert float(cells.nth(3).get_attribute("data-value")) == pytest.approx(total_saved, abs=0.1)
    assert cells.nth(3).inner_text().startswith(_french(total_saved, "m³"))
    assert float(cells.nth(3).locator("[data-value]").get_attribute("data-value")) == \
        pytest.approx(total_saved * price, abs=0.5)
    explain = " ".join(section.locator("#repaired-explain").inner_text().split())
    assert explain == ("Eau économisée par la détection précoce : durée habituelle d'une fuite "
                       "non détectée (90 jours, réglage du service) moins la durée réelle, × le "
                       "débit de fuite.")
    # The same list as the repaired-leaks API gives.
    body = _api(page, server, f"/tenants/{t}/water/repaired-leaks?year={year}")
    assert [i["alert_id"] for i in body["items"]] == [leaks["B"][5], leaks["C"][5]]
    assert body["totals"]["saved_m3"] == pytest.approx(total_saved, abs=0.1)

    # At phone width the rows reflow (no page-wide scrolling); keyboard: the table's region
    # takes the focus, then its links follow.
    assert not _overflows(page)
    region = section.get_by_role("region", name=f"Tableau des fuites réparées en {year}")
    region.focus()
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.closest('table')?.className") == \
        "repaired-table stack"
    assert_accessible(page)
    screenshot(page, "eau-fuites-reparees", size)

    # A year without repairs.
    page.get_by_label("Période des indicateurs").select_option(str(year - 1))
    page.locator(f"body[data-ready='{year - 1}-']").wait_for(state="attached")
    assert section.get_by_role("heading", level=2).inner_text() == \
        f"Fuites réparées en {year - 1}"
    assert section.locator("#no-repaired").inner_text() == \
        f"Aucune fuite réparée enregistrée en {year - 1}."
    assert section.get_by_role("table").count() == 0
    assert_accessible(page)
