"""The river gauge panel of the asset page: level chart with thresholds and historic
floods, the trend in words, the floods and values as tables; accessible on a desktop and
a phone."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest

from beffroi.core import assets
from beffroi.core.access import CLI, open_scope
from beffroi.core.clock import now_ms
from beffroi.core.observations import store_rows

from .chart_checks import assert_french_numbers, assert_french_time_axis, ticks
from .conftest import assert_accessible, login, screenshot

HOUR = 3_600_000


@pytest.fixture
def gauge(web_db, web_registry, territory) -> dict:
    """The territory's gauge with thresholds, two historic floods and 4 days of levels
    every 15 min: 1.20 m, then rising by 0.25 m/h over the last 3 hours."""
    db, t = web_db, territory["tenant"]
    end = now_ms() - 60_000
    with db.write() as conn:
        scope = open_scope(db, conn, CLI, t)
        assets.update_asset(scope, conn, web_registry, territory["gauge"], {"properties": {
            "level_yellow_m": 1.8, "level_orange_m": 2.4, "level_red_m": 3.0,
            "historic_floods": [{"date": "1947-12-29", "height_m": 3.6, "label": "Crue de 1947"},
                                {"date": "1983-05-27", "height_m": 2.9, "label": "Crue de 1983"}]}})
        rows = [(t, territory["level"], end - k * 900_000,
                 1.2 + max(0.0, 3 * HOUR - k * 900_000) / HOUR * 0.25, 0) for k in range(384)]
        store_rows(scope, conn, rows, ZoneInfo("Europe/Paris"), None)
    return territory


def test_gauge_panel_draws_the_level_with_thresholds_and_floods(page, server, size, gauge):
    login(page, server, then=f"/equipements/{gauge['gauge']}")
    panel = page.locator(".station-panel[data-ready='72']")
    panel.wait_for(state="attached")
    assert page.get_by_role("heading", name="Hauteur d'eau, seuils et crues historiques").count() == 1
    assert panel.locator("#st-plot canvas").count() >= 1
    x, y = ticks(panel.locator("#st-plot .uplot"))
    assert_french_time_axis(x)
    assert_french_numbers(y)
    trend = panel.locator("#st-trend")
    assert trend.get_attribute("data-trend") == "en hausse"
    assert "Niveau en hausse de 25 cm/h" in trend.inner_text()
    summary = panel.locator("#st-summary").inner_text()
    assert "Dernière hauteur : 1,95 m" in summary and "Au-dessus du seuil de vigilance jaune" in summary and "Crue de 1947" in summary
    assert panel.locator("#st-floods tbody tr").count() == 2
    assert "Vigilance rouge : 3 m" in panel.locator("#st-legend").inner_text()
    # Every value in the chart's table (test_chart_tables checks its contents).
    panel.get_by_text("Voir les valeurs (tableau)").click()
    # (the table is built on the disclosure's "toggle" event, which comes after the click)
    panel.locator(".chart-values table").wait_for()
    assert panel.locator(".chart-values tbody tr").count() == 288  # 72 h at 15 min
    assert_accessible(page)
    screenshot(page, "risques-station", size)
    page.get_by_label("Période").select_option("24")
    day = page.locator(".station-panel[data-ready='24']")
    day.wait_for(state="attached")
    assert day.locator(".chart-values tbody tr").count() == 96
    overflow = page.evaluate("document.documentElement.scrollWidth > window.innerWidth + 1")
    assert not overflow
