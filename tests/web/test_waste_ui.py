"""The waste collection example (examples/beffroi-dechets) in the browser: its dashboard
(round suggestion per commune, containers, alerts) on a desktop and a phone, and the core
map coloured by the latest fill level, a colouring the extension declares (MapStyle by
metric). Readings are dated from now: the pages and the server share the clock."""

from __future__ import annotations

import pytest

from beffroi.core import assets, streams
from beffroi.core.access import CLI, open_scope
from beffroi.core.alerting.detectors import run_detectors
from beffroi.core.clock import HOUR_MS, format_instant, now_ms
from beffroi.core.observations import ingest

from .conftest import assert_accessible, login, open_menu, screenshot, wait_for
from .test_map import open_map, popup, search

pytest.importorskip("beffroi_dechets", reason="examples/beffroi-dechets is not installed")


@pytest.fixture(name="waste")
def waste_fixture(web_db, web_registry, territory) -> dict:
    """A collection point in Remiremont with three containers, one in Saint-Étienne whose
    sensor went silent three days ago; one of Remiremont's is on fire."""
    db, reg = web_db, web_registry
    now = now_ms() // HOUR_MS * HOUR_MS
    with db.write() as conn:
        scope = open_scope(db, conn, CLI, territory["tenant"])
        point = assets.create_asset(scope, conn, reg, {
            "ref": "PAV-88383-01", "kind": "waste.collection_point", "name": "Point de la gare",
            "commune": "88383", "properties": {"collection_days": "lun,jeu"},
            "geometry": {"type": "Point", "coordinates": [6.595, 48.018]}})
        made = {}
        for ref, stream, commune, lon in (("CTR-W1", "ordures_menageres", "88383", 6.5951),
                                          ("CTR-W2", "verre", "88383", 6.5952),
                                          ("CTR-W4", "emballages", "88383", 6.5953),
                                          ("CTR-W3", "papier", "88413", 6.62)):
            made[ref] = assets.create_asset(scope, conn, reg, {
                "ref": ref, "kind": "waste.container", "name": f"Conteneur {ref[-2:]}",
                "commune": commune, "parent_id": point.id if commune == "88383" else None,
                "properties": {"waste_stream": stream, "volume_l": 4000, "height_m": 2.0},
                "geometry": {"type": "Point", "coordinates": [lon, 48.018]}}).id
            streams.create_stream(scope, conn, reg, {"asset_id": made[ref],
                                                     "metric": "waste.distance"})
        streams.create_stream(scope, conn, reg, {"asset_id": made["CTR-W4"],
                                                 "metric": "waste.temperature"})
        # Distances for a 2 m container: fill % = 100 × (2 − d) / 2.
        items = [("CTR-W1", -49, 1.3), ("CTR-W1", -25, 0.8), ("CTR-W1", -1, 0.3),  # 35→85 %
                 ("CTR-W2", -25, 1.4), ("CTR-W2", -1, 1.4),  # 30 %
                 ("CTR-W4", -1, 0.8),  # 60 %
                 ("CTR-W3", -72, 0.8)]  # 60 %, three days ago
        report = ingest(scope, conn, reg, [
            {"asset": ref, "metric": "waste.distance", "time": format_instant(now + h * HOUR_MS),
             "value": d} for ref, h, d in items] + [
            {"asset": "CTR-W4", "metric": "waste.temperature",
             "time": format_instant(now - HOUR_MS), "value": 70.0}])
        assert report.rejected == [], report.rejected
    run_detectors(db, reg, now_ms())
    return {**territory, "containers": made}


def test_dashboard_shows_the_round_per_commune(page, server, size, waste):
    login(page, server, then="/dechets")
    page.locator("body[data-ready]").wait_for(state="attached")
    assert page.title().startswith("Collecte des déchets — ")
    open_menu(page)
    assert page.get_by_role("link", name="Déchets").get_attribute("aria-current") == "page"
    figures = {k: page.locator(f'[data-figure="{k}"] dd').get_attribute("data-value")
               for k in ("containers", "suggested", "unmeasured", "fires")}
    assert figures == {"containers": "4", "suggested": "1", "unmeasured": "1", "fires": "1"}
    remiremont = page.locator('section.round-commune[data-insee="88383"]')
    card = remiremont.locator('li[data-ref="CTR-W1"]')
    text = card.inner_text()
    assert "85 %" in text and "Tendance" in text and "/jour" in text
    assert "Ordures ménagères" in text
    assert remiremont.locator("li").count() == 1  # 30 % and 60 % are not due
    silent = page.locator('section.round-commune[data-insee="88413"] li[data-ref="CTR-W3"]')
    assert "à vérifier sur place" in silent.inner_text()
    alerts = page.locator("#alerts").inner_text()
    assert "Feu probable : 70 °C dans le conteneur" in alerts and "Critique" in alerts
    table = page.locator("#containers table")
    assert table.locator("tbody tr").count() == 4
    row = table.locator('tr[data-ref="CTR-W4"]').inner_text()
    assert "60 %" in row and "70 °C" in row and "lundi, jeudi" in row
    screenshot(page, "dechets", size)
    # One commune only.
    page.get_by_label("Commune").select_option("88413")
    page.locator("body[data-ready]").wait_for(state="attached")
    wait_for(page, "document.querySelectorAll('#containers tbody tr').length === 1")
    assert page.locator('[data-figure="containers"] dd').get_attribute("data-value") == "1"
    assert_accessible(page)


def test_map_colours_containers_by_their_latest_fill_level(page, server, size, waste):
    open_map(page, server)
    page.get_by_label("Taux de remplissage").check()
    page.wait_for_url("**/carte?couleur=waste.fill_level")
    legend = page.locator("#legend-style")
    legend.wait_for()
    lines = legend.locator("li").all_inner_texts()
    assert lines[:4] == ["50 % ou moins (1)", "De 50 à 80 % (1)", "Plus de 80 % (1)",
                         "Pas de mesure récente (1)"]
    result = search(page, "CTR-W1")
    assert "Plus de 80 %" in result.inner_text()
    result.click()
    text = popup(page, "Conteneur W1").inner_text()
    assert "Taux de remplissage : 85 % (mesure du" in text and "— Plus de 80 %" in text
    assert_accessible(page)
    screenshot(page, "carte-remplissage", size)
    # Three days without a reading: drawn as missing, and said so.
    search(page, "CTR-W3").click()
    assert "Taux de remplissage : pas de mesure récente" in popup(page, "Conteneur W3").inner_text()
    marker = page.locator(".asset-shape[title^='Conteneur W3']")
    assert marker.get_attribute("title") == "Conteneur W3 — Taux de remplissage : Pas de mesure récente"
