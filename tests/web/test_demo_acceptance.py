"""Issue #5's acceptance, on the demo territory itself: a new user finds the Remiremont
lighting cabinets on the map, opens one, sees its year of energy data, and acknowledges an
alert — with nothing but what the pages show."""

from __future__ import annotations

import pytest
from suite_apps import fresh_app

from beffroi.core.registry import load_registry
from beffroi.demo.builder import DEMO_EMAIL, DEMO_PASSWORD, build_demo
from beffroi.storage.database import Database

from .conftest import SIZES, LiveServer, assert_accessible, screenshot, wait_for, watch_csp


@pytest.fixture(scope="module")
def demo_server(tmp_path_factory):
    """The real demo (a year of history) with the domains whose data this journey needs:
    lighting (cabinets and their energy) and buildings (classrooms, whose confined air
    raises the alerts); the others only add volume."""
    registry = load_registry(["generic", "lighting", "buildings"])
    db = Database(str(tmp_path_factory.mktemp("demo") / "demo.db"))
    build_demo(db, registry)
    with LiveServer(fresh_app(db, registry)) as live:
        yield live
    db.dispose()


def test_find_a_remiremont_cabinet_see_its_year_and_acknowledge_an_alert(browser,
                                                                         demo_server):
    context = browser.new_context(viewport=SIZES["bureau"], locale="fr-FR",
                                  timezone_id="Europe/Paris")
    csp_violations = watch_csp(context)
    page = context.new_page()
    page.set_default_timeout(20_000)
    base = demo_server.url
    page.goto(base)
    page.get_by_label("Adresse e-mail").fill(DEMO_EMAIL)
    page.get_by_label("Mot de passe").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(f"{base}/")

    # The map, from the menu: only Remiremont, only public lighting, then the cabinets.
    page.get_by_role("navigation", name="Menu principal").get_by_role("link",
                                                                      name="Carte").click()
    wait_for(page, "window.beffroiMap && window.beffroiMap.ready !== null", timeout_ms=20_000)
    total = page.evaluate("window.beffroiMap.total")
    assert total > 5_000
    page.get_by_label("Commune").select_option(label="Remiremont")
    for box in page.get_by_role("checkbox").all():  # the domain layers
        if box.is_checked() and "Éclairage public" not in box.evaluate(
                "b => b.labels[0].innerText"):
            box.uncheck()
    shown = page.evaluate("window.beffroiMap.count")
    assert 0 < shown < total
    page.get_by_label("Rechercher un équipement").fill("Armoire Remiremont")
    first = page.locator("#results button", has_text="Armoire Remiremont").first
    first.wait_for()
    cabinet_name = first.inner_text().split("\n")[0]
    first.click()
    page.get_by_role("link", name="Ouvrir la fiche").click()
    page.wait_for_url(f"{base}/equipements/*")

    # Its year of energy.
    page.locator("[data-chart-ready]").wait_for(state="attached")
    page.locator("body[data-ready]").wait_for(state="attached")  # (nothing moves any more)
    page.get_by_label("Année").check()
    page.locator('#charts[data-period="year"]').wait_for(state="attached")
    energy = page.locator(".chart", has_text="Énergie").first
    assert energy.locator("canvas").count() == 1
    assert "kWh" in energy.locator("figcaption").inner_text()
    assert "Armoire Remiremont" in page.get_by_role("heading", level=1).inner_text()
    screenshot(page, "demo-armoire", "bureau")

    # The alerts inbox: acknowledge the first open alert.
    page.get_by_role("navigation", name="Menu principal").get_by_role("link",
                                                                      name="Alertes").click()
    item = page.locator("#list li").first
    item.wait_for()
    item.get_by_role("link").first.click()
    detail = page.locator("#detail-section")
    detail.get_by_role("button", name="Prendre en compte").click()
    detail.get_by_text("Prise en compte", exact=False).first.wait_for()
    assert detail.get_by_role("button", name="Prendre en compte").count() == 0
    assert_accessible(page)
    screenshot(page, "demo-alertes", "bureau")
    context.close()
    assert csp_violations == []
    assert cabinet_name
