"""The map page /carte: assets by status, layers per domain, commune filter, search, popup
to the asset page; at desktop and phone sizes, with the mouse and with the keyboard."""

from __future__ import annotations

from .conftest import AT_DESK, ON_PHONE, assert_accessible, login, open_menu, screenshot, wait_for
from .map_fixtures import map_territory_fixture  # noqa: F401  (the map_territory fixture)

ALL_ASSETS = 7  # 3 cabinets, the gauge, the meter, the water main, the school


def open_map(page, server) -> None:
    login(page, server, then="/carte")
    wait_for(page, "window.beffroiMap && window.beffroiMap.ready !== null")
    panel = page.locator("#panel")
    if not panel.evaluate("p => p.open"):  # folded on a phone
        panel.locator("summary").click()


def count(page) -> int:
    return page.evaluate("window.beffroiMap.count")


def popup(page, name: str):
    box = page.locator(".leaflet-popup-content", has_text=name)
    box.wait_for()
    # Leaflet fades popups in: wait for the end, or axe measures a washed-out contrast.
    wait_for(page, "[...document.querySelectorAll('.leaflet-popup')].every("
                           "p => getComputedStyle(p).opacity === '1')")
    return box


def search(page, text: str):
    """Type in the search box; the first result, once it matches."""
    page.get_by_label("Rechercher un équipement").fill(text)
    result = page.locator("#results button", has_text=text).first
    result.wait_for()
    return result


def test_map_shows_the_assets_boundaries_and_status(page, server, map_territory, size):
    open_map(page, server)
    assert page.title() == "Carte — CC de la Porte des Vosges Méridionales — Beffroi"
    assert page.get_by_role("heading", name="Carte du territoire").count() == 1
    assert page.evaluate("window.beffroiMap.total") == ALL_ASSETS
    assert count(page) == ALL_ASSETS
    assert page.evaluate("window.beffroiMap.boundaries") == 1  # Saint-Étienne has none
    assert page.locator("path.leaflet-interactive").count() == 2  # the main and the school
    assert "7 équipements affichés sur 7" in page.locator("#summary").inner_text()
    open_menu(page)
    nav = page.get_by_role("navigation", name="Menu principal")
    assert nav.get_by_role("link", name="Carte").get_attribute("aria-current") == "page"
    assert_accessible(page)
    screenshot(page, "carte", size)
    # The gauge with an open alert is "alert", the meter whose sensor is silent "silent",
    # the cabinet with a year of data "ok", the other cabinets "unknown".
    for name, words, status in (("Échelle de la Moselle", "En alerte", "alert"),
                                ("Compteur de la mairie", "Capteur silencieux", "silent"),
                                ("Armoire 1", "Normal", "ok"),
                                ("Armoire 3", "État inconnu", "unknown")):
        search(page, name).click()
        assert f"État : {words}" in popup(page, name).inner_text()
        marker = page.locator(f".asset-marker[title^='{name}']")
        assert f"status-{status}" in marker.get_attribute("class")
    search(page, "Canalisation").click()
    text = popup(page, "Canalisation").inner_text()
    assert "Canalisation" in text and "Saint-Étienne-lès-Remiremont" in text
    assert "État inconnu" in text
    assert_accessible(page)  # with a popup open


@AT_DESK
def test_domain_layers_and_commune_filter(page, server, map_territory, size):
    open_map(page, server)
    lighting = page.get_by_role("checkbox", name="Éclairage public")
    lighting.uncheck()
    wait_for(page, f"window.beffroiMap.count === {ALL_ASSETS - 3}")
    search(page, "Moselle")
    page.get_by_label("Rechercher un équipement").fill("Armoire")
    page.get_by_role("status").filter(has_text="Aucun équipement trouvé").wait_for()
    lighting.check()
    wait_for(page, f"window.beffroiMap.count === {ALL_ASSETS}")
    page.get_by_role("checkbox", name="Eau potable").uncheck()
    wait_for(page, f"window.beffroiMap.count === {ALL_ASSETS - 2}")
    assert page.locator("path.leaflet-interactive").count() == 1  # the main is hidden
    page.get_by_role("checkbox", name="Eau potable").check()
    page.get_by_label("Commune").select_option(label="Saint-Étienne-lès-Remiremont")
    wait_for(page, "window.beffroiMap.count === 2")
    assert "2 équipements affichés sur 7" in page.locator("#summary").inner_text()
    page.get_by_label("Commune").select_option(label="Remiremont")
    wait_for(page, "window.beffroiMap.count === 5")
    page.get_by_label("Commune").select_option(label="Toutes les communes")
    wait_for(page, f"window.beffroiMap.count === {ALL_ASSETS}")


@ON_PHONE
def test_search_then_popup_then_asset_page(page, server, map_territory, size):
    open_map(page, server)
    result = search(page, "armoire 2")
    assert page.locator("#results button").count() == 1
    assert "ARM-88383-02" in result.inner_text()
    result.click()
    box = popup(page, "Armoire 2")
    text = box.inner_text()
    assert "Armoire 2 — Remiremont" in text
    assert "Armoire d'éclairage public — Remiremont" in text
    box.get_by_role("link", name="Ouvrir la fiche").click()
    page.wait_for_url(f"{server.url}/equipements/{map_territory['cabinets'][1]}")


@AT_DESK
def test_keyboard_only_search_and_markers(page, server, map_territory, size):
    open_map(page, server)
    page.get_by_label("Rechercher un équipement").focus()
    page.keyboard.type("ECH-MOSELLE")
    page.keyboard.press("Enter")  # to the first result
    assert "Échelle de la Moselle" in page.evaluate("document.activeElement.textContent")
    page.keyboard.press("Enter")  # opens the popup, focus on its link
    popup(page, "Moselle")
    wait_for(page, "document.activeElement.textContent === 'Ouvrir la fiche'")
    # Leaflet's markers and clusters are in the tab order.
    assert page.locator(".leaflet-marker-icon[tabindex='0']").count() >= 1
    page.keyboard.press("Enter")
    page.wait_for_url(f"{server.url}/equipements/{map_territory['gauge']}")
