"""Invitations in Chromium: a new person follows the e-mailed link, chooses a password and
lands in the territory; an existing account answers its invitations on the home page."""

from __future__ import annotations

import re

import pytest

from beffroi.core import invitations, tenants
from beffroi.core.access import CLI, open_scope

from .conftest import AT_DESK, ON_PHONE, assert_accessible, login, screenshot

ADMIN = "admin@cc-vosges.fr"
TERRITORY = "CC de la Porte des Vosges Méridionales"


@pytest.fixture
def web_mailbox(mailbox, server, monkeypatch):
    """The local SMTP server, with links in e-mails pointing at the test server."""
    monkeypatch.setenv("BEFFROI_PUBLIC_URL", server.url)
    return mailbox


@ON_PHONE
def test_a_new_person_accepts_by_choosing_a_password(page, server, size, web_mailbox, browser):
    login(page, server, email=ADMIN, then="/administration")
    form = page.locator("#member-form")
    form.get_by_label("Adresse e-mail").fill("nouvelle@cc-vosges.fr")
    form.get_by_label("Rôle").select_option("agent")
    form.get_by_role("button", name="Envoyer l'invitation").click()
    page.locator("#members").get_by_role("row").filter(has_text="nouvelle@cc-vosges.fr"
                                                       ).wait_for()
    link = re.search(r"(http://\S+/reinitialiser\?jeton=bfv_\S+)",
                     web_mailbox.wait_for("nouvelle@cc-vosges.fr"))
    assert link, "no invitation link in the e-mail"
    newcomer = page.context.browser.new_context(viewport=page.viewport_size, locale="fr-FR")
    other = newcomer.new_page()
    try:
        other.goto(link.group(1))
        assert other.title() == "Bienvenue — Beffroi"
        assert other.get_by_role("heading", level=1).inner_text() == "Bienvenue sur Beffroi"
        assert_accessible(other)
        screenshot(other, "invitation", size)
        other.get_by_label("Nouveau mot de passe").fill("mon-secret-a-moi")
        other.get_by_label("Confirmez le mot de passe").fill("mon-secret-a-moi")
        other.get_by_role("button", name="Enregistrer le mot de passe").click()
        status = other.get_by_role("status").filter(has_text="invitation acceptée")
        status.wait_for()
        status.get_by_role("link", name="Se connecter").click()
        other.wait_for_url(f"{server.url}/connexion")
        other.get_by_label("Adresse e-mail").fill("nouvelle@cc-vosges.fr")
        other.get_by_label("Mot de passe").fill("mon-secret-a-moi")
        other.get_by_role("button", name="Se connecter").click()
        other.wait_for_url(f"{server.url}/")
        other.get_by_role("heading", name=f"Tableau de bord — {TERRITORY}").wait_for()
    finally:
        newcomer.close()
    # For the admin, the invitation became a member.
    page.reload()
    page.get_by_label("Rôle de nouvelle").wait_for()
    assert page.get_by_label("Rôle de nouvelle").input_value() == "agent"


@AT_DESK
def test_an_existing_account_answers_its_invitations_on_the_home_page(
        page, server, size, web_db, web_registry):
    with web_db.write() as conn:
        for name in ("Syndicat des eaux de la Vologne", "SDIS des Vosges"):
            t = tenants.create_tenant(web_db, conn, CLI, name=name, registry=web_registry)
            invitations.invite_member(open_scope(web_db, conn, CLI, t["id"]), conn,
                                      {"email": "elu@cc-vosges.fr", "role": "viewer"})
    login(page, server, email="elu@cc-vosges.fr")
    box = page.get_by_role("region", name="Vos invitations")
    box.get_by_text("Syndicat des eaux de la Vologne", exact=True).wait_for()
    assert "élu / lecteur" in box.inner_text()
    assert_accessible(page)
    screenshot(page, "accueil-invitations", size)
    page.get_by_role("button", name="Refuser l'invitation de SDIS des Vosges").click()
    page.get_by_role("status").filter(has_text="Invitation de SDIS des Vosges refusée").wait_for()
    assert "SDIS" not in box.inner_text()
    page.get_by_role("button", name="Accepter l'invitation de Syndicat des eaux de la Vologne"
                     ).click()
    page.get_by_role("heading", name="Tableau de bord — Syndicat des eaux de la Vologne"
                     ).wait_for()
    assert box.is_hidden()  # nothing left to answer
    switch = page.get_by_label("Territoire")
    assert sorted(switch.locator("option").all_inner_texts()) == [
        TERRITORY, "Syndicat des eaux de la Vologne"]
