"""Forgotten password in Chromium: ask for a link, receive it on a real SMTP server, open
it, choose a new password, log in with it."""

from __future__ import annotations

import re

import pytest

from .conftest import AT_DESK, ON_PHONE, assert_accessible, screenshot

ADDRESS = "agent@cc-vosges.fr"
NEW_PASSWORD = "un-tout-nouveau-secret"


@pytest.fixture
def web_mailbox(mailbox, server, monkeypatch):
    """The local SMTP server, with links in e-mails pointing at the test server."""
    monkeypatch.setenv("BEFFROI_PUBLIC_URL", server.url)
    return mailbox


@ON_PHONE
def test_forgotten_password_by_email(page, server, size, web_mailbox):
    page.goto(f"{server.url}/connexion")
    page.get_by_role("link", name="Mot de passe oublié ?").click()
    page.wait_for_url(f"{server.url}/mot-de-passe-oublie")
    assert page.title() == "Mot de passe oublié — Beffroi"
    page.get_by_role("button", name="Recevoir le lien").click()
    assert "adresse e-mail valide" in page.get_by_role("alert").inner_text()
    assert_accessible(page)
    screenshot(page, "mot-de-passe-oublie", size)
    page.get_by_label("Adresse e-mail").fill(ADDRESS)
    page.get_by_role("button", name="Recevoir le lien").click()
    status = page.get_by_role("status")
    status.wait_for()
    assert "Si un compte actif correspond" in status.inner_text()

    link = re.search(r"(http://\S+/reinitialiser\?jeton=bfr_\S+)", web_mailbox.wait_for(ADDRESS))
    assert link, "no link in the e-mail"
    page.goto(link.group(1))
    assert page.title() == "Nouveau mot de passe — Beffroi"
    page.get_by_label("Nouveau mot de passe").fill(NEW_PASSWORD)
    page.get_by_label("Confirmez le mot de passe").fill("autre-chose-encore")
    page.get_by_role("button", name="Enregistrer le mot de passe").click()
    assert "pas identiques" in page.get_by_role("alert").inner_text()
    assert_accessible(page)
    screenshot(page, "reinitialiser", size)
    page.get_by_label("Confirmez le mot de passe").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Enregistrer le mot de passe").click()
    page.get_by_role("status").get_by_role("link", name="Se connecter").click()
    page.wait_for_url(f"{server.url}/connexion")
    page.get_by_label("Adresse e-mail").fill(ADDRESS)
    page.get_by_label("Mot de passe").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(f"{server.url}/")


@AT_DESK
def test_used_or_missing_link_is_explained(page, server, size, mailbox):
    page.goto(f"{server.url}/reinitialiser")
    assert "incomplet" in page.get_by_role("alert").inner_text()
    page.goto(f"{server.url}/reinitialiser?jeton=bfr_inconnu")
    page.get_by_label("Nouveau mot de passe").fill(NEW_PASSWORD)
    page.get_by_label("Confirmez le mot de passe").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Enregistrer le mot de passe").click()
    alert = page.get_by_role("alert")
    alert.filter(has_text="invalide").wait_for()
    link = page.get_by_role("link", name="Demander un nouveau lien")
    assert link.is_visible()
    # Focus goes to the way out, not lost to the body with the disabled button; the form,
    # useless with this link, goes.
    assert page.evaluate("document.activeElement.textContent") == "Demander un nouveau lien"
    assert page.locator("#new-password-form").is_hidden()
    assert_accessible(page)


@ON_PHONE
def test_a_password_to_correct_is_marked_and_described(page, server, size):
    """RGAA 11.10: the field at fault is marked and described by the message (with its own
    help), and back to plain once corrected."""
    page.goto(f"{server.url}/reinitialiser?jeton=bfr_inconnu")
    password = page.get_by_label("Nouveau mot de passe")
    confirmation = page.get_by_label("Confirmez le mot de passe")
    password.fill("court")
    page.get_by_role("button", name="Enregistrer le mot de passe").click()
    page.get_by_role("alert").filter(has_text="trop court").wait_for()
    assert password.get_attribute("aria-invalid") == "true"
    assert password.get_attribute("aria-describedby").split() == ["rules", "message"]
    password.fill(NEW_PASSWORD)
    confirmation.fill("autre-chose-encore")
    page.get_by_role("button", name="Enregistrer le mot de passe").click()
    page.get_by_role("alert").filter(has_text="pas identiques").wait_for()
    assert password.get_attribute("aria-invalid") is None
    assert password.get_attribute("aria-describedby") == "rules"
    assert confirmation.get_attribute("aria-invalid") == "true"
    assert confirmation.get_attribute("aria-describedby") == "message"
    assert page.evaluate("document.activeElement.id") == "confirmation"
    assert_accessible(page)
