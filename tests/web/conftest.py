"""Browser tests: a real Beffroi server in a thread, driven by Debian's Chromium through
Playwright; accessibility audited with axe-core (from the npm registry); screenshots in
test-output/screenshots/."""

from __future__ import annotations

import functools
import json
import os
import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from suite_apps import fresh_app
from suite_ports import free_port

from beffroi.core import assets, streams, tenants, users
from beffroi.core.access import CLI, open_scope
from beffroi.core.alerting import alerts, rules
from beffroi.core.clock import HOUR_MS, now_ms
from beffroi.core.registry import load_registry
from beffroi.storage.database import Database
from suite_databases import sqlite_template

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "test-output" / "screenshots"
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
PASSWORD = "mot-de-passe-essai"
SIZES = {"bureau": {"width": 1366, "height": 900}, "telephone": {"width": 390, "height": 844}}


def _real_clock_env() -> dict[str, str]:
    """Chromium does not load pages under libfaketime (scripts/test-at.sh): it runs on the
    real clock, and its pages get the shifted time from Playwright's clock instead."""
    return {k: v for k, v in os.environ.items() if k not in ("LD_PRELOAD", "FAKETIME")}


def _follow_shifted_clock(browser) -> None:
    """Under scripts/test-at.sh, every browser context starts at the tests' (shifted) time
    and its clock then runs on, so that pages and server agree on "now"."""
    new_context = browser.new_context

    def shifted_context(**kwargs):
        context = new_context(**kwargs)
        context.clock.install(time=time.time())
        return context

    browser.new_context = shifted_context


@pytest.fixture(scope="session")
def browser():
    if not os.path.exists(CHROMIUM):
        if os.environ.get("BEFFROI_REQUIRE_BROWSER"):
            pytest.fail("Chromium is required (BEFFROI_REQUIRE_BROWSER) but not installed")
        pytest.skip("Chromium not installed (run the suite through `make test`)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, env=_real_clock_env(), args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync"])
        if os.environ.get("FAKETIME"):
            _follow_shifted_clock(browser)
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def web_registry():
    return load_registry()


@pytest.fixture
def web_db(request, tmp_path, tmp_path_factory, web_registry) -> Iterator[Database]:
    """Browser tests run on SQLite only: the backends are covered by the API tests. A test
    that asks for the ``territory`` gets a copy of a database that holds it already."""
    path = tmp_path / "web.db"
    made = None
    if "territory" in request.fixturenames:
        source, made = _territory_template(tmp_path_factory, web_registry)
    else:
        source = sqlite_template(tmp_path_factory)
    shutil.copyfile(source, path)
    database = Database(str(path))
    database.test_territory = made
    yield database
    database.dispose()


# This worker's territory, built into a database of its own and copied for each test that
# asks for it (building it, a year of hourly energy included, took a fifth of a second or
# more per test): rebuilt when the hour changes, so that its energy always ends at the
# current hour, as a territory built for the test itself would.
_territory: tuple[int, Path, dict] | None = None  # (its hour, its file, its ids)


def _territory_template(factory, registry) -> tuple[Path, dict]:
    global _territory
    hour = now_ms() // HOUR_MS
    if _territory is None or _territory[0] != hour:
        path = factory.mktemp("territory") / "web.db"
        shutil.copyfile(sqlite_template(factory), path)
        database = Database(str(path))
        try:
            _territory = (hour, path, _build_territory(database, registry, hour * HOUR_MS))
        finally:
            database.dispose()  # (its write-ahead log merged into the file)
    return _territory[1], _territory[2]


@pytest.fixture
def territory(web_db) -> dict:
    """A small territory: two communes with boundaries, lighting cabinets with a year of
    hourly energy, a river gauge with an open critical alert, and three people."""
    return dict(web_db.test_territory)


def _build_territory(db: Database, reg, end: int) -> dict:
    square = {"type": "Polygon", "coordinates": [[[6.55, 48.0], [6.65, 48.0], [6.65, 48.05],
                                                   [6.55, 48.05], [6.55, 48.0]]]}
    with db.write() as conn:
        t = tenants.create_tenant(db, conn, CLI, name="CC de la Porte des Vosges Méridionales",
                                  registry=reg)
        scope = open_scope(db, conn, CLI, t["id"])
        tenants.create_commune(scope, conn, {"insee": "88383", "name": "Remiremont",
                                             "boundary": square})
        tenants.create_commune(scope, conn, {"insee": "88413",
                                             "name": "Saint-Étienne-lès-Remiremont"})
        cabinets = []
        for i in range(3):
            cabinet = assets.create_asset(scope, conn, reg, {
                "ref": f"ARM-88383-{i + 1:02d}", "kind": "lighting.cabinet",
                "name": f"Armoire {i + 1} — Remiremont", "commune": "88383",
                "geometry": {"type": "Point", "coordinates": [6.59 + i * 0.01, 48.02]}})
            cabinets.append(cabinet.id)
        gauge = assets.create_asset(scope, conn, reg, {
            "ref": "ECH-MOSELLE", "kind": "risks.gauge", "name": "Échelle de la Moselle",
            "commune": "88383", "geometry": {"type": "Point", "coordinates": [6.6, 48.015]}})
        for email, role, name in (("agent@cc-vosges.fr", "agent", "Agnès Agent"),
                                  ("admin@cc-vosges.fr", "tenant_admin", "Adrien Admin"),
                                  ("elu@cc-vosges.fr", "viewer", "Élise Élue")):
            users.add_member(scope, conn, {"email": email, "role": role, "name": name,
                                           "password": PASSWORD})
        energy = streams.create_stream(scope, conn, reg, {"asset_id": cabinets[0],
                                                          "metric": "energy.active_import"})
        level = streams.create_stream(scope, conn, reg, {"asset_id": gauge.id,
                                                         "metric": "hydro.level"})
        rule = rules.create_rule(scope, conn, reg, {
            "name": "Crue", "kind": "threshold", "stream_id": level.id, "severity": "critical",
            "params": {"operator": "above", "value": 2.5}})
        alert = alerts.raise_alert(db, conn, reg, t["id"], alerts.Trigger(
            key=alerts.rule_key(rule.id, gauge.id), severity="critical",
            title="Crue — Échelle de la Moselle", at=now_ms() - 3_600_000, asset_id=gauge.id,
            stream_id=level.id, rule_id=rule.id, details={"value": 2.8, "threshold": 2.5}))
    last_index = _year_of_energy(db, t["id"], energy.id, end)
    return {"tenant": t["id"], "cabinets": cabinets, "gauge": gauge.id, "energy": energy.id,
            "level": level.id, "alert": alert.id, "energy_last_index": last_index}


def _year_of_energy(db, tenant_id: int, stream_id: int, end: int) -> float:
    """Hourly energy of a cabinet over the year before ``end`` (the current hour): lit at
    night, more in winter.

    Its values depend on when the test runs: the last index is returned for tests to
    compare with what the page shows."""
    import math
    from zoneinfo import ZoneInfo

    from beffroi.core.observations import store_rows

    hour = HOUR_MS
    rows, index = [], 120_000.0  # the meter's index (kWh), read every hour
    for k in range(366 * 24, 0, -1):
        t = end - k * hour
        hod = (t // hour) % 24
        season = 1 + 0.4 * math.cos(2 * math.pi * (t / (365.25 * 24 * hour)))
        index += 3.2 * season if (hod >= 17 or hod < 7) else 0.05
        rows.append((tenant_id, stream_id, t, round(index, 3), 0))
    with db.write() as conn:
        store_rows(open_scope(db, conn, CLI, tenant_id), conn, rows, ZoneInfo("Europe/Paris"))
    return rows[-1][3]


class LiveServer:
    def __init__(self, app) -> None:
        import uvicorn

        from beffroi.api.server import Server  # beffroi serve's: it ends the event streams

        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.server = Server(uvicorn.Config(app, host="127.0.0.1", port=self.port,
                                            log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> LiveServer:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("the web server did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc) -> None:
        self.server.should_exit = True
        self.thread.join(10)


@pytest.fixture
def server(web_db, web_registry, territory) -> Iterator[LiveServer]:
    with LiveServer(fresh_app(web_db, web_registry)) as live:
        yield live


@pytest.fixture(params=list(SIZES))
def size(request) -> str:
    return request.param


# Screen sizes. A page's display test (what it shows, its accessibility audit, its screenshot)
# runs at both sizes, and every page reflows at 320 px (test_security_pages). A test of a
# behaviour (a flow, a form's errors, a double click, a network cut, the wordings of a panel's
# cases) runs once, at the size of the person who does it: the phone for the agent in the
# field, the desk for the administration and the crisis cell.
ON_PHONE = pytest.mark.parametrize("size", ["telephone"], indirect=True)
AT_DESK = pytest.mark.parametrize("size", ["bureau"], indirect=True)


# Every page the browser tests open reports what its Content-Security-Policy blocked
# (the event, and Chromium's own console message): a test fails on any violation.
_CSP_EVENTS = """document.addEventListener("securitypolicyviolation", (e) => console.error(
  `Content Security Policy violation: ${e.violatedDirective} blocked ${e.blockedURI}`));"""


def watch_csp(context) -> list[str]:
    """The CSP violations of every page of ``context``, collected as they happen."""
    violations: list[str] = []
    context.add_init_script(_CSP_EVENTS)

    def on_console(message) -> None:
        if message.type == "error" and "Content Security Policy" in message.text:
            violations.append(f"{message.location.get('url', '')}: {message.text}")

    context.on("console", on_console)
    return violations


@pytest.fixture
def page(request, browser, size):
    context = browser.new_context(viewport=SIZES[size], locale="fr-FR",
                                  timezone_id="Europe/Paris")
    violations = watch_csp(context)
    page = context.new_page()
    page.set_default_timeout(10_000)
    # (a display test at the desk: its phone twin audits the page, see assert_accessible)
    page.audited_elsewhere = size == "bureau" and not any(
        m.args and m.args[0] == "size" for m in request.node.iter_markers("parametrize"))
    yield page
    context.close()
    assert violations == [], "\n".join(violations)


def wait_for(page, expression: str, arg=None, timeout_ms: float = 10_000) -> None:
    """Wait until ``expression`` (or the function ``expression`` applied to ``arg``) is truthy
    in the page. Playwright's ``wait_for_function`` compiles it with ``eval`` inside the page,
    which the Content-Security-Policy forbids; ``evaluate`` goes through the DevTools
    protocol instead. A page being replaced meanwhile (a navigation) is waited for too."""
    from playwright.sync_api import Error

    deadline = time.monotonic() + timeout_ms / 1000
    while True:
        try:
            if page.evaluate(expression) if arg is None else page.evaluate(expression, arg):
                return
        except Error as exc:  # the page navigated under the evaluation: try the new one
            if "context was destroyed" not in str(exc) and "navigat" not in str(exc):
                raise
        if time.monotonic() > deadline:
            raise AssertionError(f"still false after {timeout_ms:.0f} ms: {expression}")
        page.wait_for_timeout(50)


def login(page, server, email: str = "agent@cc-vosges.fr", then: str = "/") -> None:
    page.goto(f"{server.url}/connexion?suite={then}")
    page.get_by_label("Adresse e-mail").fill(email)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(f"{server.url}{then}")


def open_menu(page) -> None:
    """Unfold the header's menu (its territory, page links, « Mon compte », « Se déconnecter »)
    on a phone, where they fold under its « Menu » button; at the desk they are always shown
    and the button hidden."""
    button = page.locator("#site-header #menu-button")
    button.wait_for(state="attached")  # (the header is drawn by the page's script)
    if button.is_visible() and button.get_attribute("aria-expanded") != "true":
        button.click()
        page.get_by_role("navigation", name="Menu principal").wait_for()


def screenshot(page, name: str, size: str) -> Path:
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}-{size}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


@functools.cache
def _axe_source() -> str:
    return AXE.read_text(encoding="utf-8") + "\n;undefined"


def axe_violations(page) -> list[dict]:
    """Serious and critical violations of the axe-core audit of the current page."""
    # Evaluated through the DevTools protocol: a <script> tag would be inline, which the
    # pages' Content-Security-Policy refuses. Once per document: a second audit of the same
    # page (after a form's errors, a panel opened) finds it there.
    if not page.evaluate("typeof window.axe === 'object'"):
        page.evaluate(_axe_source())
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [{"id": v["id"], "impact": v["impact"], "help": v["help"],
             "nodes": [n["target"] for n in v["nodes"]][:5]}
            for v in result["violations"] if v["impact"] in ("serious", "critical")]


def assert_accessible(page) -> None:
    """The axe-core audit finds nothing serious. In a display test, which runs at both sizes
    (neither ``ON_PHONE`` nor ``AT_DESK``), the audit is made at the phone size only: the
    same content, in the layout that hides or stacks the most (the desk layout is audited by
    the tests that run at the desk)."""
    if getattr(page, "audited_elsewhere", False):
        return
    violations = axe_violations(page)
    assert violations == [], json.dumps(violations, ensure_ascii=False, indent=1)
