"""The /impact page (period presets, communes, the report the server renders, downloads) and
the public indicators page, in Chromium: accessible on a phone and a desktop (axe), usable
with the keyboard, within the CSP.

The /impact tests render the real impact report (``beffroi.core.impact.report``, the impact
branch of #16) and are skipped without it; the public page gets its figures from a function
given by the test.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from suite_apps import fresh_app

from beffroi.core import tenants
from beffroi.core.access import CLI, open_scope
from beffroi.reports.public_indicators import IndicatorCache

from .conftest import AT_DESK, ON_PHONE, LiveServer, assert_accessible, login, screenshot, wait_for

PARIS = ZoneInfo("Europe/Paris")
# The browser's clock, pinned: the presets count from 15 March 2026.
BROWSER_NOW = datetime(2026, 3, 15, 10, 0, tzinfo=PARIS)


@pytest.fixture
def impact_branch(monkeypatch):
    """The impact report, with the server's today pinned to the browser's."""
    pytest.importorskip("beffroi.core.impact.report",
                        reason="waits for the impact branch (beffroi.core.impact.report)")
    from beffroi.core.impact import request

    monkeypatch.setattr(request, "now_ms", lambda: int(BROWSER_NOW.timestamp() * 1000))


def _report_period(page) -> tuple[str, str]:
    article = page.locator("#report article.impact-report")
    return article.get_attribute("data-from"), article.get_attribute("data-to")


@AT_DESK
def test_the_report_follows_the_form(page, server, size, territory, impact_branch):
    page.clock.set_fixed_time(BROWSER_NOW)
    login(page, server, then="/impact")
    page.locator("#report article.impact-report").wait_for()
    nav = page.get_by_role("navigation", name="Menu principal")
    assert nav.get_by_role("link", name="Impact").get_attribute("aria-current") == "page"
    # the year to date by default, up to yesterday
    assert page.get_by_label("Période prédéfinie").input_value() == "ytd"
    assert _report_period(page) == ("2026-01-01", "2026-03-14")
    assert "Rapport affiché" in page.locator("#status").inner_text()
    report = page.locator("#report")
    assert "Gains nets (gains bruts − empreinte)" in report.inner_text()
    assert "tout le territoire" in report.inner_text()
    assert_accessible(page)
    screenshot(page, "impact", size)

    # another period and one commune; sent with the keyboard
    page.get_by_label("Période prédéfinie").select_option(label="Année dernière")
    assert page.get_by_label("Du", exact=True).input_value() == "2025-01-01"
    assert page.get_by_label("Au (inclus)").input_value() == "2025-12-31"
    page.get_by_label("Remiremont", exact=True).check()
    page.get_by_role("button", name="Afficher le rapport").focus()
    page.keyboard.press("Enter")
    wait_for(page, "() => document.querySelector('#report article')?.dataset.from === '2025-01-01'")
    assert _report_period(page) == ("2025-01-01", "2025-12-31")
    assert "communes\u00a0: Remiremont." in report.inner_text()
    assert page.url.endswith("/impact?du=2025-01-01&au=2025-12-31&commune=88383")
    query = "from=2025-01-01&to=2025-12-31&commune=88383"
    base = f"/api/v1/tenants/{territory['tenant']}"
    links = page.get_by_role("navigation", name="Télécharger le rapport")
    assert links.get_by_role("link", name="Données en CSV").get_attribute("href") == \
        f"{base}/impact.csv?{query}"
    assert links.get_by_role("link", name="Données en JSON").get_attribute("href") == \
        f"{base}/impact?{query}"
    with page.expect_download(timeout=30_000) as download:  # (a year's PDF: seconds, loaded)
        links.get_by_role("link", name="Télécharger en PDF").click()
    assert download.value.suggested_filename == \
        f"impact-{territory['tenant']}-2025-01-01-2025-12-31.pdf"
    with open(download.value.path(), "rb") as pdf:
        assert pdf.read(5) == b"%PDF-"
    page.locator("#status", has_text="PDF prêt").wait_for()

    # a period the wrong way round: the API's message beside the field
    page.get_by_label("Du", exact=True).fill("2025-12-31")
    page.get_by_label("Au (inclus)").fill("2025-01-01")
    assert page.get_by_label("Période prédéfinie").input_value() == "custom"
    page.get_by_role("button", name="Afficher le rapport").click()
    page.locator("#to-error", has_text="la fin doit être le jour du début ou le suivre").wait_for()
    assert page.get_by_label("Au (inclus)").get_attribute("aria-invalid") == "true"
    assert_accessible(page)


@ON_PHONE
def test_the_address_keeps_the_choice(page, server, size, territory, impact_branch):
    page.clock.set_fixed_time(BROWSER_NOW)
    login(page, server, then="/impact")
    page.locator("#report article.impact-report").wait_for()
    page.goto(f"{server.url}/impact?du=2026-02-01&au=2026-02-28&commune=88413")
    page.locator("#report article.impact-report").wait_for()
    assert _report_period(page) == ("2026-02-01", "2026-02-28")
    assert page.get_by_label("Période prédéfinie").input_value() == "custom"
    assert page.get_by_label("Saint-Étienne-lès-Remiremont").is_checked()
    assert not page.get_by_label("Remiremont", exact=True).is_checked()


@ON_PHONE
def test_a_start_mistyped_is_said_on_its_field_and_the_old_report_goes(page, server, size,
                                                                      territory, impact_branch):
    """« 20260 » typed for the year of « Du » gives 0260: the error was the period's length
    (« période de 645 324 jours ») under « Au », the previous report still shown under it."""
    page.clock.set_fixed_time(BROWSER_NOW)
    login(page, server, then="/impact")
    page.locator("#report article.impact-report").wait_for()
    start = page.get_by_label("Du", exact=True)
    assert (start.get_attribute("min"), start.get_attribute("max")) == ("2000-01-01",
                                                                        "2026-03-14")
    start.fill("0260-01-01")
    page.get_by_role("button", name="Afficher le rapport").click()
    page.locator("#from-error", has_text="01/01/2000 au plus tôt").wait_for()
    assert "0260" in page.locator("#from-error").inner_text()
    assert page.locator("#to-error").inner_text() == ""
    assert start.get_attribute("aria-invalid") == "true"
    assert page.get_by_label("Au (inclus)").get_attribute("aria-invalid") is None
    assert page.evaluate("document.activeElement.id") == "from"
    # The report of the previous query is gone, and its downloads with it.
    assert page.locator("#report").inner_text().strip() == ""
    assert page.get_by_role("navigation", name="Télécharger le rapport").count() == 0
    assert "corrigez les champs signalés" in page.locator("#status").inner_text()
    assert_accessible(page)


def test_keyboard_reaches_every_control_and_the_chart_fits_a_phone(page, server, size,
                                                                   territory, impact_branch):
    page.clock.set_fixed_time(BROWSER_NOW)
    login(page, server, then="/impact")
    page.locator("#report article.impact-report").wait_for()
    reached = []
    for _ in range(80):
        page.keyboard.press("Tab")
        reached.append(page.evaluate("document.activeElement.id || document.activeElement.textContent.trim()"))
        if reached[-1] == "download-json":
            break
    for control in ("preset", "from", "to", "commune-88383", "commune-88413", "show",
                    "download-pdf", "download-csv", "download-json"):
        assert control in reached, (control, reached)
    width = page.viewport_size["width"]
    for chart in page.locator("svg.ir-svg").all():
        box = chart.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= width
        label = chart.locator("text").first.bounding_box()
        assert label["height"] >= 9  # legible


class Figures:
    """The impact report of a period, as the public page needs it."""

    def __call__(self, scope, conn, registry, start: date, end: date):
        return {"gross": {"kwh": 20000.0, "eur": 4000.0, "kgco2e": 1040.0, "m3": None},
                "footprint": {"kwh": 300.0, "eur": 60.0, "kgco2e": 1500.0},
                "net": {"kwh": 19700.0, "eur": 3940.0, "kgco2e": -460.0, "m3": None}}


def test_the_public_indicators_page(page, size, web_db, web_registry):
    with web_db.write() as conn:
        t = tenants.create_tenant(web_db, conn, CLI, siren="200068377", registry=web_registry)
        scope = open_scope(web_db, conn, CLI, t["id"])
        tenants.update_tenant(scope, conn, {"settings": {"impact.public_indicators": True}},
                              web_registry)
    app = fresh_app(web_db, web_registry)
    app.state.public_indicators = IndicatorCache(compute=Figures())
    with LiveServer(app) as live:
        page.goto(f"{live.url}/territoires/200068377/indicateurs")
        page.get_by_role("heading", level=1).wait_for()
        text = page.locator("main").inner_text()
        assert "CC de la Porte des Vosges Méridionales" in text
        assert "19\u202f700\u00a0kWh" in text and "\u2212460\u00a0kg\u00a0CO₂e" in text
        assert page.get_by_role("link", name="Télécharger les indicateurs (CSV)").get_attribute(
            "href") == "/territoires/200068377/indicateurs.csv"
        assert_accessible(page)
        screenshot(page, "indicateurs", size)
        missing = page.goto(f"{live.url}/territoires/200000172/indicateurs")
        assert missing.status == 404
        assert_accessible(page)
