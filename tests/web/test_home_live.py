"""The home page as a control tower, in Chromium at desktop and phone sizes: tiles with their
key figures (as the dashboard contract gives them), what is new since the last visit, the
commune filter carried to the map and the domain pages, the keyboard, and the live updates:
a new alert written by another connection appears within 5 s without reload."""

from __future__ import annotations

import json
import re
import time

from sqlalchemy import select

from beffroi.core.access import CLI, open_scope
from beffroi.core.alerting import alerts, rules
from beffroi.core.clock import now_ms
from beffroi.storage import schema

from .conftest import (
    AT_DESK,
    ON_PHONE,
    assert_accessible,
    login,
    open_menu,
    screenshot,
    wait_for,
)
from .map_fixtures import map_territory_fixture  # noqa: F401  (the map_territory fixture)

LIVE_DEADLINE_MS = 5000


def open_home(page, server, then: str = "/") -> None:
    login(page, server, then=then)
    wait_for(page, "document.body.dataset.homeReady !== undefined")
    wait_for(page, "document.body.dataset.live === 'open'")


def text(locator) -> str:
    """Its text with French number spacing and minus signs made plain."""
    return re.sub(r"[\u202f\u00a0]", " ", locator.inner_text()).replace("\u2212", "-")


def new_alert(db, registry, tenant: int, asset_id: int, stream_id: int, title: str,
              severity: str = "warning"):
    """An alert written on a database connection of the test's own, as the scheduler or
    the MQTT ingest would from another process."""
    with db.write() as conn:
        scope = open_scope(db, conn, CLI, tenant)
        rule = rules.create_rule(scope, conn, registry, {
            "name": title, "kind": "threshold", "stream_id": stream_id, "severity": severity,
            "params": {"operator": "above", "value": 1e9}})
        return alerts.raise_alert(db, conn, registry, tenant, alerts.Trigger(
            key=alerts.rule_key(rule.id, asset_id), severity=severity, title=title,
            at=now_ms() - 60_000, asset_id=asset_id, stream_id=stream_id, rule_id=rule.id))


@ON_PHONE
def test_a_new_alert_appears_within_5_seconds_without_reload(page, server, territory, size,
                                                              web_db, web_registry):
    """The acceptance: on an open home page, an alert inserted elsewhere is listed within
    5 s, announced to screen readers, without reload nor losing the keyboard focus; the
    lighting tile's status follows; resolved, it goes away."""
    open_home(page, server)
    lighting = page.locator("article[data-domain='lighting']")
    assert "État : normal" in lighting.inner_text()
    page.evaluate("window.__sameDocument = true")
    page.get_by_label("Commune", exact=True).focus()
    row = new_alert(web_db, web_registry, territory["tenant"], territory["cabinets"][1],
                    territory["energy"], "Armoire 2 — Remiremont : disjoncteur ouvert")
    started = time.monotonic()
    item = page.locator(f"#alerts li[data-alert='{row.id}']")
    item.wait_for(timeout=LIVE_DEADLINE_MS)
    assert (time.monotonic() - started) * 1000 < LIVE_DEADLINE_MS
    assert page.evaluate("window.__sameDocument") is True  # no reload
    assert page.evaluate("document.activeElement.id") == "commune"  # focus left alone
    assert "Nouveau" in item.inner_text() and "Avertissement" in item.inner_text()
    assert item.get_by_role("link").get_attribute("href") == f"/alertes?alerte={row.id}"
    wait_for(page, "document.getElementById('announce').textContent.includes('disjoncteur')")
    assert page.locator("#announce").get_attribute("aria-live") == "polite"
    assert page.locator("#announce").inner_text() == (
        "Nouvelle alerte, avertissement : Armoire 2 — Remiremont : disjoncteur ouvert.")
    assert "1 nouvelle alerte" in page.locator("#new-summary").inner_text()
    wait_for(page, "document.querySelector(\"article[data-domain='lighting']\")"
                   ".dataset.status === 'warning'", timeout_ms=LIVE_DEADLINE_MS)
    assert "État : avertissement" in lighting.inner_text()
    assert "1 avertissement" in lighting.inner_text()
    assert_accessible(page)
    screenshot(page, "accueil-en-direct", size)
    with web_db.write() as conn:
        alerts.resolve_alert(open_scope(web_db, conn, CLI, territory["tenant"]), conn, row.id, {})
    item.wait_for(state="detached", timeout=LIVE_DEADLINE_MS)
    wait_for(page, "document.querySelector(\"article[data-domain='lighting']\")"
                   ".dataset.status === 'ok'", timeout_ms=LIVE_DEADLINE_MS)
    assert page.evaluate("window.__sameDocument") is True


@AT_DESK
def test_connection_lost_then_back_and_what_was_missed(page, server, territory, size, web_db,
                                                       web_registry):
    open_home(page, server)
    hub = server.server.config.app.state.event_hub
    watcher = hub.watchers[territory["tenant"]]
    # The server ends the page's stream (as a restart would): the page says so, the browser
    # reconnects by itself 3 s later, and what happened meanwhile is shown.
    watcher.loop.call_soon_threadsafe(lambda: [s.close() for s in list(watcher.subscribers)])
    wait_for(page, "document.body.dataset.live === 'lost'")
    assert "Connexion perdue" in page.locator("#live-status").inner_text()
    row = new_alert(web_db, web_registry, territory["tenant"], territory["cabinets"][2],
                    territory["energy"], "Armoire 3 — Remiremont : hors tension")
    wait_for(page, "document.body.dataset.live === 'open'", timeout_ms=8000)
    assert "Connexion rétablie" in page.locator("#live-status").inner_text()
    assert page.locator("#live-status").get_attribute("role") == "status"
    page.locator(f"#alerts li[data-alert='{row.id}']").wait_for(timeout=LIVE_DEADLINE_MS)


@ON_PHONE
def test_new_since_the_last_visit(page, server, territory, size, web_db, web_registry):
    open_home(page, server)
    # A first visit: nothing is new (there is no "since").
    assert page.locator("#alerts .badge.new").count() == 0
    open_menu(page)
    page.get_by_role("link", name="Alertes", exact=True).click()  # the page is left
    page.wait_for_url(f"{server.url}/alertes")
    v = schema.home_visits
    deadline = time.monotonic() + 5
    while True:
        with web_db.read() as conn:
            seen = conn.execute(select(v.c.alert_event_id)).scalars().all()
        if seen or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    e = schema.alert_events
    with web_db.read() as conn:
        last = conn.execute(select(e.c.id).order_by(e.c.id.desc()).limit(1)).scalar()
    assert seen == [last]  # recorded on leaving, up to the last alert event shown
    row = new_alert(web_db, web_registry, territory["tenant"], territory["cabinets"][0],
                    territory["energy"], "Armoire 1 — Remiremont : surconsommation")
    page.goto(f"{server.url}/")
    wait_for(page, "document.body.dataset.homeReady !== undefined")
    fresh = page.locator(f"#alerts li[data-alert='{row.id}']")
    old = page.locator(f"#alerts li[data-alert='{territory['alert']}']")
    assert "Nouveau" in fresh.inner_text() and "Nouveau" not in old.inner_text()
    summary = page.locator("#new-summary").inner_text()
    assert summary.startswith("1 nouvelle alerte depuis votre dernière visite, le ")
    assert_accessible(page)


DASHBOARD = [{  # GET …/dashboard as contract A of issue #16 has it
    "domain": "lighting", "label": "Éclairage public", "assets": 3,
    "kinds": [{"kind": "lighting.cabinet", "label": "Armoire", "count": 3}],
    "alerts": {"info": 0, "warning": 1, "critical": 0}, "silent_devices": 2,
    "status": "warning", "link": "/eclairage",
    "kpis": [
        {"key": "lighting.energy_month", "label": "Énergie du mois", "unit": "kW.h",
         "value": 1234.5, "status": "warning", "note": "sur 12 armoires mesurées",
         "link": "/eclairage?vue=mois",
         "comparisons": [{"label": "attendu", "value": 1300.0, "unit": "kW.h",
                          "delta_share": -0.0504},
                         {"label": "l'an dernier, mêmes jours", "value": 1100.0,
                          "unit": "kW.h", "delta_share": 0.1223}]},
        {"key": "lighting.failures", "label": "Pannes en cours", "unit": "", "value": 2,
         "comparisons": [], "status": None, "note": None, "link": None},
        {"key": "lighting.non_compliant", "label": "Points non conformes", "unit": "",
         "value": None, "comparisons": [], "status": None, "note": None, "link": None}]},
    {"domain": "risks", "label": "Risques climatiques", "assets": 1, "kinds": [],
     "alerts": {"info": 0, "warning": 2, "critical": 1}, "silent_devices": 0,
     "kpis": [{"key": "risks.level", "label": "Niveau le plus haut", "unit": "m",
               "value": 2.84}]}]  # no status, link, comparisons: the old shape


def test_tiles_render_the_dashboard_contract(page, server, territory, size):
    asked: list[str] = []

    def dashboard(route) -> None:
        asked.append(route.request.url)
        route.fulfill(status=200, content_type="application/json", body=json.dumps(DASHBOARD))

    page.route(re.compile(r".*/api/v1/tenants/\d+/dashboard.*"), dashboard)
    open_home(page, server)
    lighting = page.get_by_role("article", name="Éclairage public")
    tile = text(lighting)
    assert "État : avertissement" in tile
    assert "Énergie du mois" in tile and "1 235 kWh" in tile and "à surveiller" in tile
    assert "attendu : 1 300 kWh (écart : -5 %)" in tile
    assert "l'an dernier, mêmes jours : 1 100 kWh (écart : +12 %)" in tile
    assert "sur 12 armoires mesurées" in tile
    assert "Pannes en cours" in tile and "Points non conformes" in tile
    assert "indisponible" in tile  # a figure that cannot be computed yet
    assert lighting.get_by_role("link", name="Énergie du mois").get_attribute("href") \
        == "/eclairage?vue=mois&periode=mois"
    assert lighting.locator(".tile-links a").first.get_attribute("href") \
        == "/eclairage?periode=mois"
    # The old shape (no status, link nor comparisons): status from the alerts, the detail
    # link from the domain's page in the menu.
    risks = page.get_by_role("article", name="Risques climatiques")
    assert "État : critique" in risks.inner_text() and "2,84 m" in text(risks)
    assert [badge.inner_text() for badge in risks.locator(".badge").all()] == [
        "1 critique", "2 avertissements"]  # (plural from two)
    assert risks.get_by_role("link", name=re.compile("Voir le détail")).get_attribute(
        "href") == "/risques?periode=mois"
    freshness = page.locator("#freshness li[data-domain='lighting']")
    assert "2 capteurs silencieux" in freshness.inner_text()
    assert_accessible(page)
    screenshot(page, "accueil-indicateurs", size)
    page.get_by_label("Commune", exact=True).select_option("88383")
    wait_for(page, "location.search.includes('commune=88383')")
    deadline = time.monotonic() + 5
    while not any("commune=88383" in url for url in asked) and time.monotonic() < deadline:
        page.wait_for_timeout(50)
    assert any("commune=88383" in url for url in asked)


@AT_DESK
def test_keyboard_and_the_commune_filter_carry_to_the_map(page, server, map_territory, size):
    """From the home page, by keyboard only: the commune chosen, then the lighting tile's
    "Voir sur la carte": the map opens on that commune with the lighting layer alone."""
    open_home(page, server)
    page.keyboard.press("Tab")  # the skip link comes first
    assert page.evaluate("document.activeElement.textContent") == "Aller au contenu"
    page.get_by_label("Commune", exact=True).focus()
    page.keyboard.press("ArrowDown")  # "Remiremont", first commune after "Toutes…"
    wait_for(page, "location.search.includes('commune=88383')")
    target = "/carte?domaine=lighting&commune=88383"
    for _ in range(60):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.getAttribute('href') || ''").startswith(target):
            break
    else:
        raise AssertionError("the lighting tile's map link is not in the tab order")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r".*/carte\?domaine=lighting&commune=88383.*"))
    wait_for(page, "window.beffroiMap && window.beffroiMap.ready !== null")
    assert page.evaluate("window.beffroiMap.count") == 3  # the three cabinets of Remiremont
    assert page.locator("#commune").input_value() == "88383"
    checked = page.locator("#layers input:checked")
    assert checked.count() == 1 and checked.first.get_attribute("value") == "lighting"
    assert_accessible(page)
    # The map's own filters stay in the address.
    panel = page.locator("#panel")
    if not panel.evaluate("p => p.open"):
        panel.locator("summary").click()
    page.get_by_role("checkbox", name="Risques climatiques").check()
    wait_for(page, "location.search.includes('domaine=lighting%2Crisks') || "
                   "location.search.includes('domaine=lighting,risks')")
    # The domain pages open on the commune too.
    page.goto(f"{server.url}/?commune=88383")
    wait_for(page, "document.body.dataset.homeReady !== undefined")
    page.locator("article[data-domain='lighting'] .tile-links a").first.click()
    page.wait_for_url(re.compile(r".*/eclairage\?commune=88383.*"))
    wait_for(page, "document.body.dataset.ready !== undefined", timeout_ms=20_000)
    assert page.locator("#commune").input_value() == "88383"
    # The water page takes the period too (12 months).
    page.goto(f"{server.url}/?commune=88413&periode=12m")
    wait_for(page, "document.body.dataset.homeReady !== undefined")
    assert page.locator("#periode").input_value() == "12m"
    page.locator("article[data-domain='water'] .tile-links a").first.click()
    page.wait_for_url(re.compile(r".*/eau\?commune=88413&periode=12m"))
    wait_for(page, "document.body.dataset.ready !== undefined", timeout_ms=20_000)
    assert page.locator("#commune").input_value() == "88413"
    assert page.locator("#period").input_value() == "12m"


def test_the_home_map_names_the_communes_and_shows_what_needs_attention(
        page, server, map_territory, size):
    open_home(page, server)
    labels = page.locator(".commune-label")
    assert labels.all_inner_texts() == ["Remiremont"]  # the one commune with a boundary
    markers = page.locator("#home-map .asset-marker")
    titles = sorted(m.get_attribute("title") for m in markers.all())
    assert titles == ["Compteur de la mairie — Capteur silencieux",
                      "Échelle de la Moselle — En alerte"]
    assert "Sur la carte : 1 équipement en alerte et 1 équipement au capteur silencieux" \
        in page.locator("#map-summary").inner_text()
    freshness = page.locator("#freshness li[data-domain='water']")
    assert freshness.get_by_role("link", name="Compteur de la mairie").get_attribute("href") \
        == f"/equipements/{map_territory['meter']}"
    assert_accessible(page)
    screenshot(page, "accueil-carte", size)
