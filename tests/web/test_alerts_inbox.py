"""The alerts inbox: filters, details and history, acknowledging, a viewer's view."""

from __future__ import annotations

from fastapi.testclient import TestClient

from beffroi.api.app import create_app

from .conftest import PASSWORD, assert_accessible, login, screenshot

TITLE = "Crue — Échelle de la Moselle"


def _api_alert(web_db, web_registry, territory) -> dict:
    client = TestClient(create_app(web_db, web_registry))
    client.post("/api/v1/auth/login", json={"email": "elu@cc-vosges.fr", "password": PASSWORD})
    return client.get(f"/api/v1/tenants/{territory['tenant']}/alerts/{territory['alert']}").json()


def test_acknowledging_the_open_critical_alert(page, server, size, territory, web_db,
                                               web_registry):
    login(page, server, then="/alertes")
    item = page.locator(f'#list li[data-alert-id="{territory["alert"]}"]')
    item.wait_for()
    text = item.inner_text()
    assert "Critique" in text and "Ouverte" in text and "Remiremont" in text
    assert item.get_by_role("link", name="Échelle de la Moselle", exact=True).get_attribute("href") == \
        f"/equipements/{territory['gauge']}"
    item.get_by_role("link", name=TITLE).click()
    page.wait_for_url(f"{server.url}/alertes?alerte={territory['alert']}")
    detail = page.locator("#detail-section")
    detail.get_by_role("heading", name=TITLE).wait_for()
    assert "Ouverture" in page.locator("#history").inner_text()
    assert "2,8" in detail.inner_text()  # the measured value, French decimal comma
    assert_accessible(page)
    screenshot(page, "alertes", size)

    # "Commenter" without a comment: the API's problem detail is shown
    detail.get_by_role("button", name="Commenter").click()
    error = detail.get_by_role("alert")
    error.get_by_text("Commentaire vide").wait_for()

    page.get_by_label("Commentaire").fill("Équipe d'astreinte prévenue")
    detail.get_by_role("button", name="Prendre en compte").click()
    page.locator("#action-done", has_text="Alerte prise en compte.").wait_for()
    assert detail.get_by_role("button", name="Prendre en compte").count() == 0
    assert "Prise en compte" in item.inner_text()  # the list refreshed too
    history = page.locator("#history").inner_text()
    assert "Prise en compte par agent@cc-vosges.fr" in history
    assert "Équipe d'astreinte prévenue" in history
    alert = _api_alert(web_db, web_registry, territory)
    assert alert["status"] == "acknowledged"
    assert alert["history"][-1]["comment"] == "Équipe d'astreinte prévenue"

    # resolved alerts leave the default list but stay under "Résolues"
    detail.get_by_role("button", name="Résoudre").click()
    page.locator("#action-done", has_text="Alerte résolue.").wait_for()
    page.locator("#count", has_text="(0)").wait_for()
    page.get_by_label("État").select_option(label="Résolues")
    item.wait_for()
    assert "Résolue" in item.inner_text()


def test_filters_and_direct_link(page, server, size, territory):
    login(page, server, then=f"/alertes?alerte={territory['alert']}")
    page.locator("#detail-section").get_by_role("heading", name=TITLE).wait_for()
    assert page.locator("#list li.selected").count() == 1
    page.get_by_label("Commune").select_option(label="Saint-Étienne-lès-Remiremont")
    page.locator("#count", has_text="(0)").wait_for()
    page.get_by_label("Commune").select_option(label="Toutes")
    page.locator("#count", has_text="(1)").wait_for()
    page.get_by_label("Gravité minimale").select_option(label="Critique")
    page.locator("#count", has_text="(1)").wait_for()


def test_a_viewer_sees_no_action_buttons(page, server, size, territory):
    login(page, server, "elu@cc-vosges.fr", then=f"/alertes?alerte={territory['alert']}")
    detail = page.locator("#detail-section")
    detail.get_by_role("heading", name=TITLE).wait_for()
    page.locator("#history").get_by_text("Ouverture").wait_for()
    assert detail.get_by_role("button").count() == 0
    assert page.get_by_label("Commentaire").count() == 0
    assert_accessible(page)


def test_keyboard_selects_an_alert(page, server, size, territory):
    login(page, server, then="/alertes")
    link = page.get_by_role("link", name=TITLE)
    link.focus()
    page.keyboard.press("Enter")
    page.locator("#detail-section").get_by_role("heading", name=TITLE).wait_for()
    assert page.evaluate("document.activeElement.id") == "detail-title"
    page.keyboard.press("Tab")  # into the detail: the asset link first
    assert page.evaluate("document.activeElement.textContent") == "Échelle de la Moselle"
