"""The alerts inbox: filters, details and history, acknowledging, a viewer's view."""

from __future__ import annotations

from fastapi.testclient import TestClient
from suite_apps import fresh_app

from .conftest import AT_DESK, ON_PHONE, PASSWORD, assert_accessible, login, screenshot

TITLE = "Crue — Échelle de la Moselle"


def _api_alert(web_db, web_registry, territory) -> dict:
    client = TestClient(fresh_app(web_db, web_registry))
    client.post("/api/v1/auth/login", json={"email": "elu@cc-vosges.fr", "password": PASSWORD})
    return client.get(f"/api/v1/tenants/{territory['tenant']}/alerts/{territory['alert']}").json()


@ON_PHONE
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
    # RGAA 11.10: the comment is marked and described by the message, and focused.
    comment = page.get_by_label("Commentaire")
    assert comment.get_attribute("aria-invalid") == "true"
    assert comment.get_attribute("aria-describedby") == "action-error"
    assert page.evaluate("document.activeElement.id") == "comment"
    assert_accessible(page)

    page.get_by_label("Commentaire").fill("Équipe d'astreinte prévenue")
    detail.get_by_role("button", name="Prendre en compte").click()
    page.locator("#action-done", has_text="Alerte prise en compte.").wait_for()
    assert page.get_by_label("Commentaire").get_attribute("aria-invalid") is None
    assert detail.get_by_role("button", name="Prendre en compte").count() == 0
    assert "Prise en compte" in item.inner_text()  # the list refreshed too
    history = page.locator("#history").inner_text()
    assert "Prise en compte par agent@cc-vosges.fr" in history
    assert "Équipe d'astreinte prévenue" in history
    alert = _api_alert(web_db, web_registry, territory)
    assert alert["status"] == "acknowledged"
    assert alert["history"][-1]["comment"] == "Équipe d'astreinte prévenue"

    # resolved alerts leave the default list but stay under "Résolues"; the button says that
    # the rule opens the alert again while the level stays high (no follow-up here)
    hint = page.locator("#resolve-hint").inner_text()
    assert "la règle qui l'a levée la rouvrira au prochain relevé" in hint
    assert "suivi" not in hint
    detail.get_by_role("button", name="Résoudre").click()
    page.locator("#action-done", has_text="Alerte résolue.").wait_for()
    page.locator("#count", has_text="(0)").wait_for()
    page.get_by_label("État").select_option(label="Résolues")
    item.wait_for()
    assert "Résolue" in item.inner_text()
    assert page.locator("#resolve-hint").count() == 0


@AT_DESK
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


@ON_PHONE
def test_a_viewer_sees_no_action_buttons(page, server, size, territory):
    login(page, server, "elu@cc-vosges.fr", then=f"/alertes?alerte={territory['alert']}")
    detail = page.locator("#detail-section")
    detail.get_by_role("heading", name=TITLE).wait_for()
    page.locator("#history").get_by_text("Ouverture").wait_for()
    assert detail.get_by_role("button").count() == 0
    assert page.get_by_label("Commentaire").count() == 0
    assert_accessible(page)


@AT_DESK
def test_keyboard_selects_an_alert(page, server, size, territory):
    login(page, server, then="/alertes")
    link = page.get_by_role("link", name=TITLE)
    link.focus()
    page.keyboard.press("Enter")
    page.locator("#detail-section").get_by_role("heading", name=TITLE).wait_for()
    assert page.evaluate("document.activeElement.id") == "detail-title"
    page.keyboard.press("Tab")  # into the detail: the asset link first
    assert page.evaluate("document.activeElement.textContent") == "Échelle de la Moselle"


LEAK = {"extra_flow_m3h": 2.24, "onset": "2026-11-10T15:00:00Z",
        "detected": "2026-11-12T03:00:00Z", "days_since_onset": 24.5, "lost_m3": 1382,
        "lost_eur": 2902, "price_eur_m3": 2.1, "reference_night_flow_m3h": 11.55,
        "current_night_flow_m3h": 13.8, "legitimate_night_use_m3h": 2.7,
        "estimated_leakage_m3h": 11.1, "a_new_key": "gardée"}


def test_alert_details_are_labelled_with_units_and_local_times(page, server, size, territory,
                                                               web_db, web_registry):
    """Issue #13: no raw key (``lost_m3``) nor UTC instant (``…T15:00:00Z``): the detector's
    labels and units, Paris time; a key nobody declared stays visible under its name."""
    from beffroi.core.alerting import alerts
    from beffroi.core.clock import now_ms

    with web_db.write() as conn:
        leak = alerts.raise_alert(web_db, conn, web_registry, territory["tenant"], alerts.Trigger(
            key=f"detector:water.night_flow_leak:{territory['gauge']}", severity="warning",
            title="Fuite probable — Échelle", at=now_ms() - 60_000,
            asset_id=territory["gauge"], detector="water.night_flow_leak", details=LEAK))
    login(page, server, then=f"/alertes?alerte={leak.id}")
    detail = page.locator("#detail-section")
    detail.get_by_role("heading", name="Fuite probable — Échelle").wait_for()
    facts = dict(zip(detail.locator("dl.facts dt").all_inner_texts(),
                     detail.locator("dl.facts dd").all_inner_texts(), strict=True))
    assert facts["Début estimé"] == "10/11/2026 16:00"  # 15:00 UTC, winter time in Paris
    assert facts["Détectée le"] == "12/11/2026 04:00"
    assert facts["Eau perdue depuis le début"] == "1\u202f382\u00a0m³"
    assert facts["Coût de l'eau perdue"] == "2\u202f902\u00a0€"
    assert facts["Débit de fuite (en plus de la référence)"] == "2,24\u00a0m³/h"
    assert facts["Durée depuis le début"] == "24,5\u00a0j"
    assert facts["a_new_key"] == "gardée"
    text = detail.inner_text()
    assert "lost_m3" not in text and "T15:00:00Z" not in text
    # The crue alert of the fixture: a rule's details, labelled too.
    page.goto(f"{server.url}/alertes?alerte={territory['alert']}")
    detail.get_by_role("heading", name=TITLE).wait_for()
    text = detail.inner_text()
    assert "Valeur mesurée" in text and "Seuil" in text and "threshold" not in text
    assert_accessible(page)

    page.goto(f"{server.url}/equipements/{territory['gauge']}")
    item = page.locator(f'#alerts li:has(a[href="/alertes?alerte={leak.id}"])')
    item.locator('[data-detail="onset"]').wait_for()
    assert item.locator('[data-detail="onset"]').inner_text() == "Début estimé : 10/11/2026 16:00"
    assert "lost_m3" not in item.inner_text()
