"""Web interface speed in a real browser: the map of 10,000 assets and the asset page.

A SQLite tenant is built with 10,000 generic point sites spread over 5 communes (with
boundaries), one stream each, plus one year of hourly data on the first site's stream
(stored through core, rollups maintained). A uvicorn server in another process serves
it; Debian's Chromium, driven by Playwright, logs in once, then loads each page
--loads times (after one warm-up load, HTTP cache warm, as for a returning user):

  (a) /carte until "map interactive": every asset fetched (GeoJSON pages, statuses,
      communes), put into the clustered layer (markercluster chunked loading finished)
      and two frames painted; carte.js records that moment as window.beffroiMap.ready
      (performance.now(), i.e. ms since navigation start). Target: median < 1500 ms.
  (b) /equipements/{id} of the year-long asset until its chart is drawn: the first
      element carrying [data-chart-ready] (set by the asset page's script), read as
      performance.now() in the page. Null, with a note, if that page is not there.
  (c) baseline: the login page, navigation start to the load event (navigation timing),
      so that the other figures can be read as ratios of a trivial page on this machine.

Then (d), the domain dashboards' API routes on the demo territory (``domain_apis``: every
GET the domain pages make on load, p50/p95 over ``--api-calls`` calls after a warm-up,
through a real server, against GET /api/v1/me in the same run; target p95 < 300 ms),
under ``domain_apis`` in the JSON line (``--no-domain-apis`` leaves it out), and (e) on the
same demo, a fresh server: the home dashboard's API (``dashboard.measure``: first call,
warm calls, calls just after an inventory change or an alert event, one commune) and the
home page until usable (tiles, alerts and map shown: ``window.beffroiHome.ready``), under
``home``. ``dashboard_apis_ok``: every dashboard API's p95 under 300 ms (the first call of
a fresh server apart, reported as ``cold_ms``/``first_ms``).

Prints one JSON line (median and p95 of each, ms); progress on stderr.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import dashboard
import domain_apis
from harness import (
    BENCH_PASSWORD,
    api_server,
    create_bench_tenant,
    create_sites,
    emit,
    log,
    percentile,
    registry,
    store_observations,
)

from beffroi.core import tenants
from beffroi.core.access import CLI, open_scope
from beffroi.core.clock import HOUR_MS, now_ms
from beffroi.demo.builder import DEMO_EMAIL, DEMO_PASSWORD
from beffroi.storage.database import Database
from beffroi.storage.migrate import upgrade

ASSETS = 10_000
COMMUNES = [("88383", "Remiremont"), ("88413", "Saint-Étienne-lès-Remiremont"),
            ("88160", "Éloyes"), ("88465", "Le Thillot"), ("88196", "Gérardmer")]
TARGET_MAP_MS = 1500
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
EMAIL = "bench@beffroi.test"


def build(db: Database) -> dict:
    reg = registry()
    started = time.perf_counter()
    tenant_id, _token = create_bench_tenant(db, reg, email=EMAIL)
    with db.write() as conn:
        scope = open_scope(db, conn, CLI, tenant_id)
        for i, (insee, name) in enumerate(COMMUNES):
            # Five vertical bands over the sites' grid (harness.site_rows: 6.30-6.90 E).
            x0, x1 = 6.30 + 0.12 * i, 6.30 + 0.12 * (i + 1)
            tenants.create_commune(scope, conn, {"insee": insee, "name": name, "boundary": {
                "type": "Polygon", "coordinates": [[[x0, 47.8], [x1, 47.8], [x1, 48.2],
                                                    [x0, 48.2], [x0, 47.8]]]}})
    sites = create_sites(db, reg, tenant_id, ASSETS, communes=[c for c, _ in COMMUNES])
    log(f"{ASSETS} sites in {time.perf_counter() - started:.1f} s")
    asset_id, stream_id = sites[0]
    end = now_ms() // HOUR_MS * HOUR_MS
    rows = [(tenant_id, stream_id, end - k * HOUR_MS, float(k % 24), 0)
            for k in range(366 * 24, 0, -1)]
    store_observations(db, tenant_id, rows)
    log(f"tenant built in {time.perf_counter() - started:.1f} s ({len(rows)} hourly points)")
    return {"tenant": tenant_id, "asset_id": asset_id}


def figures(prefix: str, samples: list[float]) -> dict:
    return {f"{prefix}_median_ms": round(statistics.median(samples), 1),
            f"{prefix}_p95_ms": round(percentile(samples, 95), 1),
            f"{prefix}_samples_ms": [round(s, 1) for s in samples]}


def measure(base_url: str, world: dict, loads: int) -> dict:
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import sync_playwright

    out: dict = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        # bypass_csp: Playwright evaluates wait_for_function's predicates with eval(), which
        # the pages' strict CSP (no 'unsafe-eval') refuses; the CSP is tested in tests/web.
        context = browser.new_context(viewport={"width": 1366, "height": 900},
                                      locale="fr-FR", timezone_id="Europe/Paris",
                                      bypass_csp=True)
        page = context.new_page()
        page.set_default_timeout(30_000)

        # (c) baseline, before logging in: the login page is what a visitor gets first.
        samples = []
        for i in range(loads + 1):
            page.goto(f"{base_url}/connexion")
            load = page.evaluate(
                "performance.getEntriesByType('navigation')[0].loadEventEnd")
            if i:
                samples.append(load)
        out.update(figures("login_page", samples))
        log(f"login page: median {out['login_page_median_ms']} ms")

        page.get_by_label("Adresse e-mail").fill(EMAIL)
        page.get_by_label("Mot de passe").fill(BENCH_PASSWORD)
        page.get_by_role("button", name="Se connecter").click()
        page.wait_for_url(f"{base_url}/")

        # (a) the map
        samples = []
        for i in range(loads + 1):
            page.goto(f"{base_url}/carte")
            page.wait_for_function("window.beffroiMap && window.beffroiMap.ready !== null",
                                   timeout=60_000)
            ready, total = page.evaluate("[window.beffroiMap.ready, window.beffroiMap.total]")
            if total != ASSETS:
                raise RuntimeError(f"the map shows {total} assets, not {ASSETS}")
            if i:
                samples.append(ready)
            log(f"map load {i}{' (warm-up)' if not i else ''}: {ready:.0f} ms")
        out.update(figures("map_interactive", samples))
        out["map_target_ms"] = TARGET_MAP_MS
        out["map_within_target"] = out["map_interactive_median_ms"] < TARGET_MAP_MS

        # (b) the asset page with its year chart, if that page exists yet.
        url = f"{base_url}/equipements/{world['asset_id']}"
        response = page.goto(url)
        if response is None or response.status != 200:
            out["asset_page_median_ms"] = out["asset_page_p95_ms"] = None
            out["asset_page_note"] = (f"GET /equipements/{{id}} -> "
                                      f"{response.status if response else 'no response'}: "
                                      "page not built yet")
        else:
            samples = []
            try:
                for i in range(loads + 1):
                    if i:
                        page.goto(url)
                    handle = page.wait_for_function(
                        "document.querySelector('[data-chart-ready]') && performance.now()",
                        polling="raf", timeout=30_000)
                    if i:
                        samples.append(handle.json_value())
                out.update(figures("asset_page", samples))
            except PlaywrightError as error:
                out["asset_page_median_ms"] = out["asset_page_p95_ms"] = None
                out["asset_page_note"] = ("no [data-chart-ready] element within 30 s: "
                                          + str(error).splitlines()[0])
        browser.close()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--loads", type=int, default=5, help="timed loads of each page")
    parser.add_argument("--api-calls", type=int, default=domain_apis.DEFAULT_CALLS,
                        help="timed calls of each domain dashboard API route")
    parser.add_argument("--no-domain-apis", action="store_true",
                        help="skip the domain dashboard APIs on the demo")
    args = parser.parse_args()
    result: dict = {"bench": "ui", "backend": "sqlite", "assets": ASSETS, "loads": args.loads,
                    "browser": "chromium (Playwright)", "viewport": "1366x900",
                    "map_interactive_definition": (
                        "navigation start -> every asset in the clustered layer "
                        "(chunked loading done) + 2 frames (window.beffroiMap.ready)")}
    with tempfile.TemporaryDirectory(prefix="beffroi-bench-ui-") as tmp:
        db = Database(str(Path(tmp) / "ui.db"))
        upgrade(db)
        world = build(db)
        with api_server(db) as base_url:
            result.update(measure(base_url, world, args.loads))
        db.dispose()
    if not args.no_domain_apis:
        with tempfile.TemporaryDirectory(prefix="beffroi-bench-ui-demo-") as tmp:
            demo_db = str(Path(tmp) / "demo.db")
            result["domain_apis"] = domain_api_section(args.api_calls, demo_db)
            result["home"] = home_section(demo_db, args.loads, args.api_calls)
        ok = result["domain_apis"].get("ok") and result["home"]["dashboard_api"][
            "within_target"]
        result["dashboard_apis_ok"] = bool(ok)
    emit(result)


def domain_api_section(calls: int, db_path: str) -> dict:
    """(d) The domain pages' API routes on the demo (``bench/domain_apis.py``); builds the
    demo in ``db_path``."""
    log("domain dashboard APIs on the demo territory")
    return domain_apis.measure_demo(db_path, calls=calls)


def home_section(db_path: str, loads: int, calls: int) -> dict:
    """(e) On the demo built by (d), a fresh server: the home dashboard's API
    (``bench/dashboard.py``: cold, warm, after a change…), then the home page in Chromium
    until usable — navigation start to tiles, alerts and map shown
    (``window.beffroiHome.ready``, performance.now()), after one warm-up load."""
    from playwright.sync_api import sync_playwright

    log("home page and dashboard API on the demo territory")
    out: dict = {}
    db = Database(db_path)
    try:
        with domain_apis.demo_server(db.url) as (base_url, _pid):
            out["dashboard_api"] = dashboard.measure(base_url, dashboard.token(base_url),
                                                     calls=max(calls, 30))
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                context = browser.new_context(viewport={"width": 1366, "height": 900},
                                              locale="fr-FR", timezone_id="Europe/Paris",
                                              bypass_csp=True)
                page = context.new_page()
                page.set_default_timeout(60_000)
                page.goto(f"{base_url}/connexion")
                page.get_by_label("Adresse e-mail").fill(DEMO_EMAIL)
                page.get_by_label("Mot de passe").fill(DEMO_PASSWORD)
                page.get_by_role("button", name="Se connecter").click()
                page.wait_for_url(f"{base_url}/")
                samples = []
                for i in range(loads + 1):
                    if i:
                        page.goto(f"{base_url}/")
                    handle = page.wait_for_function(
                        "window.beffroiHome && window.beffroiHome.ready", timeout=60_000)
                    if i:
                        samples.append(handle.json_value())
                out.update(figures("home_usable", samples))
                log(f"home page usable: median {out['home_usable_median_ms']} ms")
                browser.close()
    finally:
        db.dispose()
    return out


if __name__ == "__main__":
    main()
