"""The risks page (/risques), issue #17: the river stations against their vigilance
thresholds with their trend, the weather section and the open risk alerts, at phone and
desktop sizes, audited by axe; the commune filter works with the keyboard and stays in the
address. Levels are written relative to the test's own clock reading."""

from __future__ import annotations

from beffroi.core import assets, streams
from beffroi.core.access import CLI, open_scope
from beffroi.core.clock import PARIS, now_ms
from beffroi.core.observations import store_rows

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
    login(page, server, then="/risques")
    page.locator("#rivers table").first.wait_for()
    wait_for(page, "document.getElementById('status').textContent !== ''")
    river = page.locator(".river", has_text="Moselle à Vecoux")
    text = " ".join(river.inner_text().replace("\xa0", " ").split())
    assert "Moselle à Vecoux 2,7 m vigilance orange" in text
    assert "seuil rouge à 3,2 m" in text and "en hausse (+20 cm/h)" in text
    assert "Crue — Échelle de la Moselle" in page.locator("#alerts").inner_text()
    assert page.locator("#weather").inner_text().strip() != ""
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
