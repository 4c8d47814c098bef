"""« Mon compte » in Chromium: reached from every page's header; the password changed through
its form (the wrong current one said next to its field), a personal token created (shown
once) and revoked, an e-mail subscription added, changed and deleted — each checked through
the API."""

from __future__ import annotations

from datetime import datetime

import pytest

from beffroi.core import users
from beffroi.core.access import CLI, open_scope

from .conftest import (
    AT_DESK,
    ON_PHONE,
    PASSWORD,
    assert_accessible,
    login,
    open_menu,
    screenshot,
    wait_for,
)

AGENT = "agent@cc-vosges.fr"
NEW_PASSWORD = "un-tout-nouveau-secret"


def _bearer(page, server, email: str = AGENT, password: str = PASSWORD) -> dict[str, str]:
    answer = page.request.post(f"{server.url}/api/v1/auth/token",
                               data={"email": email, "password": password})
    assert answer.status == 200, answer.text()
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


def _open(page, server) -> None:
    page.goto(f"{server.url}/compte")
    page.locator("#subscriptions-body").wait_for()
    wait_for(page, "document.querySelector('#tokens').children.length > 0")


def test_the_account_page_is_reached_from_the_header_and_shows_each_section(
        page, server, size, territory):
    login(page, server)
    bearer = _bearer(page, server)
    api = f"{server.url}/api/v1"
    assert page.request.post(f"{api}/me/tokens", headers=bearer,
                             data={"name": "script SIG", "expires_in_days": 30}).status == 201
    assert page.request.post(f"{api}/tenants/{territory['tenant']}/subscriptions", headers=bearer,
                             data={"domains": ["water", "lighting"], "communes": ["88383"],
                                   "min_severity": "critical", "digest": True}).status == 201
    open_menu(page)
    page.get_by_role("link", name="Mon compte").click()
    page.wait_for_url(f"{server.url}/compte")
    assert page.title() == "Mon compte — Beffroi"
    open_menu(page)
    assert page.get_by_role("link", name="Mon compte").get_attribute("aria-current") == "page"
    page.locator("#subscriptions-body").wait_for()
    wait_for(page, "document.querySelector('#tokens table') !== null")
    assert page.locator("h2").all_inner_texts() == [
        "Mot de passe", "Jetons d'accès personnels", "Alertes par courriel"]
    assert "Agnès Agent — agent@cc-vosges.fr" in page.locator("#identity").inner_text()
    row = page.locator("#tokens tbody tr")
    assert row.locator("td").first.inner_text() == "script SIG"
    assert row.locator("td").nth(3).inner_text() == "jamais"
    listed = page.locator(".subscription-list li")
    assert listed.count() == 1
    facts = dict(zip(listed.locator("dt").all_inner_texts(), listed.locator("dd").all_inner_texts(),
                     strict=True))
    assert facts == {"Domaines": "Eau potable, Éclairage public", "Communes": "Remiremont",
                     "À partir de": "critique",
                     "Envoi": "récapitulatif quotidien (les alertes critiques sur le moment)"}
    # one region per name: the section and the table that scrolls in it are told apart
    assert page.get_by_role("region", name="Jetons d'accès personnels", exact=True).count() == 1
    assert_accessible(page)
    screenshot(page, "compte", size)


@ON_PHONE
def test_the_password_is_changed_through_the_form(page, server, size):
    login(page, server, then="/compte")
    page.locator("#subscriptions-body").wait_for()
    current = page.get_by_label("Mot de passe actuel")
    current.fill("pas-le-bon-mot-de-passe")
    page.get_by_label("Nouveau mot de passe", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("Confirmez le nouveau mot de passe").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Changer le mot de passe").click()
    error = page.locator("#current-password-error")
    error.filter(has_text="Mot de passe actuel incorrect.").wait_for()
    assert current.get_attribute("aria-invalid") == "true"
    assert "current-password-error" in current.get_attribute("aria-describedby").split()
    assert page.evaluate("document.activeElement.id") == "current-password"
    assert page.locator("#password-errors").inner_text() == "Le mot de passe n'a pas été changé."
    assert_accessible(page)
    screenshot(page, "compte-mot-de-passe-erreur", size)

    current.fill(PASSWORD)
    page.get_by_role("button", name="Changer le mot de passe").click()
    status = page.locator("#password-status")
    status.filter(has_text="Votre mot de passe a été modifié").wait_for()
    assert "jetons d'accès personnels restent valables" in status.inner_text()
    assert current.get_attribute("aria-invalid") is None
    assert page.locator("#current-password-error").inner_text() == ""
    assert current.input_value() == ""
    # This session stays open; log out, then only the new password opens one.
    open_menu(page)
    page.get_by_role("button", name="Se déconnecter").click()
    page.wait_for_url(f"{server.url}/connexion")
    assert page.request.post(f"{server.url}/api/v1/auth/token", data={
        "email": AGENT, "password": PASSWORD}).status == 401
    page.get_by_label("Adresse e-mail").fill(AGENT)
    page.get_by_label("Mot de passe").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(f"{server.url}/")


@AT_DESK
def test_a_short_or_mismatched_new_password_is_said_next_to_its_field(page, server, size):
    login(page, server, then="/compte")
    page.locator("#subscriptions-body").wait_for()
    page.get_by_label("Mot de passe actuel").fill(PASSWORD)
    new = page.get_by_label("Nouveau mot de passe", exact=True)
    new.fill("court")
    page.get_by_role("button", name="Changer le mot de passe").click()
    page.locator("#new-password-error").filter(has_text="trop court").wait_for()
    assert new.get_attribute("aria-describedby").split() == [
        "new-password-help", "new-password-error"]
    assert page.evaluate("document.activeElement.id") == "new-password"
    new.fill(NEW_PASSWORD)
    page.get_by_label("Confirmez le nouveau mot de passe").fill("autre-chose-encore")
    page.get_by_role("button", name="Changer le mot de passe").click()
    page.locator("#confirmation-error").filter(has_text="pas identiques").wait_for()
    assert new.get_attribute("aria-invalid") is None
    assert page.evaluate("document.activeElement.id") == "confirmation"


@AT_DESK
def test_a_personal_token_is_shown_once_then_revoked(page, server, size):
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    login(page, server, then="/compte")
    _open(page, server)
    days = page.get_by_label("Durée de validité (en jours)")
    page.get_by_label("Nom du jeton").fill("export SIG")
    days.fill("400")
    page.get_by_role("button", name="Créer le jeton").click()
    page.locator("#token-days-error").filter(has_text="entre 1 et 365").wait_for()
    assert days.get_attribute("aria-invalid") == "true"
    days.fill("30")
    page.get_by_role("button", name="Créer le jeton").click()
    shown = page.get_by_label("Jeton (affiché une seule fois)")
    shown.wait_for()
    secret = shown.input_value()
    assert secret.startswith("bfp_")
    assert page.evaluate("document.activeElement.id") == "new-token-value"
    assert "ne sera plus jamais affiché" in page.locator("#new-token").inner_text()
    assert_accessible(page)
    page.get_by_role("button", name="Copier le jeton").click()
    page.locator("#copy-status").filter(has_text="copié").wait_for()
    assert page.evaluate("navigator.clipboard.readText()") == secret
    # The token works, with the name and lifetime chosen.
    with_token = {"Authorization": f"Bearer {secret}"}
    listed = page.request.get(f"{server.url}/api/v1/me/tokens", headers=with_token)
    assert listed.status == 200
    [token] = listed.json()
    assert token["name"] == "export SIG"
    lifetime = (datetime.fromisoformat(token["expires_at"].replace("Z", "+00:00"))
                - datetime.fromisoformat(token["created_at"].replace("Z", "+00:00")))
    assert lifetime.days == 30 and lifetime.seconds == 0
    # Shown once: gone once hidden, and after a reload.
    page.get_by_role("button", name="J'ai copié le jeton : le masquer").click()
    assert page.locator("#new-token").is_hidden()
    page.reload()
    _open(page, server)
    assert secret not in page.content()
    page.once("dialog", lambda dialog: dialog.accept())  # « Révoquer le jeton … ? »
    page.get_by_role("button", name="Révoquer le jeton export SIG").click()
    page.locator("#tokens-status").filter(has_text="est révoqué").wait_for()
    assert page.request.get(f"{server.url}/api/v1/me", headers=with_token).status == 401
    assert page.request.get(f"{server.url}/api/v1/me/tokens").json() == []
    assert "Aucun jeton" in page.locator("#tokens").inner_text()


def _subscriptions(page, server, territory) -> list[dict]:
    answer = page.request.get(
        f"{server.url}/api/v1/tenants/{territory['tenant']}/subscriptions")
    assert answer.status == 200
    return [{k: s[k] for k in ("domains", "communes", "min_severity", "digest")}
            for s in answer.json()]


@ON_PHONE
def test_a_subscription_is_added_changed_and_deleted_through_the_form(page, server, size,
                                                                      territory):
    login(page, server, then="/compte")
    _open(page, server)
    assert "aucune alerte" in page.locator("#subscriptions").inner_text()
    domains = page.get_by_role("group", name="Domaines (aucun coché : tous)")
    domains.get_by_label("Éclairage public").check()
    domains.get_by_label("Eau potable").check()
    page.get_by_role("group", name="Communes (aucune cochée : toutes)").get_by_label(
        "Remiremont (88383)").check()
    page.get_by_label("À partir de la gravité").select_option(label="Critique")
    page.get_by_label("Dans un récapitulatif quotidien").check()
    page.get_by_role("button", name="Ajouter l'abonnement").click()
    page.locator("#subscriptions-status").filter(has_text="Abonnement ajouté").wait_for()
    assert _subscriptions(page, server, territory) == [{
        "domains": ["lighting", "water"], "communes": ["88383"], "min_severity": "critical",
        "digest": True}]
    item = page.locator(".subscription-list li")
    assert item.locator("dd").all_inner_texts() == [
        "Eau potable, Éclairage public", "Remiremont", "critique",
        "récapitulatif quotidien (les alertes critiques sur le moment)"]
    # The form is back to a new subscription.
    assert not domains.get_by_label("Éclairage public").is_checked()

    page.get_by_role("button", name="Modifier l'abonnement n° 1").click()
    assert page.evaluate("document.activeElement.id") == "subscription-form-title"
    assert domains.get_by_label("Eau potable").is_checked()
    domains.get_by_label("Éclairage public").uncheck()
    page.get_by_label("À partir de la gravité").select_option(label="Avertissement")
    page.get_by_label("Dès l'ouverture de chaque alerte").check()
    page.get_by_role("button", name="Enregistrer les modifications").click()
    page.locator("#subscriptions-status").filter(has_text="Abonnement modifié").wait_for()
    assert _subscriptions(page, server, territory) == [{
        "domains": ["water"], "communes": ["88383"], "min_severity": "warning",
        "digest": False}]
    assert item.locator("dd").all_inner_texts() == [
        "Eau potable", "Remiremont", "avertissement", "immédiat"]

    page.once("dialog", lambda dialog: dialog.accept())  # « Supprimer l'abonnement n° 1 ? »
    page.get_by_role("button", name="Supprimer l'abonnement n° 1").click()
    page.locator("#subscriptions-status").filter(has_text="est supprimé").wait_for()
    assert _subscriptions(page, server, territory) == []


@pytest.fixture
def restricted(web_db, territory) -> str:
    """A viewer of the territory limited to Saint-Étienne-lès-Remiremont (88413)."""
    with web_db.write() as conn:
        users.add_member(open_scope(web_db, conn, CLI, territory["tenant"]), conn, {
            "email": "restreinte@cc-vosges.fr", "role": "viewer", "name": "Rose Restreinte",
            "password": PASSWORD, "communes": ["88413"]})
    return "restreinte@cc-vosges.fr"


@AT_DESK
def test_a_member_limited_to_some_communes_is_offered_only_those(page, server, size, territory,
                                                                 restricted):
    login(page, server, restricted, then="/compte")
    _open(page, server)
    communes = page.get_by_role("group", name="Communes (aucune cochée : toutes vos communes)")
    assert communes.locator("label").all_inner_texts() == [
        "Saint-Étienne-lès-Remiremont (88413)"]
    assert "limité à certaines communes" in page.locator("#subscriptions-intro").inner_text()
    # A commune outside one's access, slipped into the form, is refused by the API: its
    # message is said next to the communes.
    page.evaluate("""() => document.getElementById("subscription-commune-list").insertAdjacentHTML(
        "beforeend", '<label><input type="checkbox" name="communes" value="88383" checked> X</label>')""")
    page.get_by_role("button", name="Ajouter l'abonnement").click()
    error = page.locator("#subscription-communes-error")
    error.filter(has_text="hors de l'accès").wait_for()
    assert "88383" in error.inner_text()
    assert page.locator("#subscriptions-errors").inner_text() == "Abonnement invalide."
    assert page.evaluate("document.activeElement.closest('fieldset').id") == \
        "subscription-communes"
    assert _subscriptions(page, server, territory) == []
    communes.get_by_label("Saint-Étienne-lès-Remiremont (88413)").check()
    page.evaluate("""() => document.querySelector('input[value="88383"]').closest("label").remove()""")
    page.get_by_role("button", name="Ajouter l'abonnement").click()
    page.locator("#subscriptions-status").filter(has_text="Abonnement ajouté").wait_for()
    assert _subscriptions(page, server, territory) == [{
        "domains": None, "communes": ["88413"], "min_severity": "warning", "digest": False}]
    assert page.locator(".subscription-list dd").nth(0).inner_text() == "tous les domaines"


@AT_DESK
def test_an_administrator_sees_only_their_own_subscriptions(page, server, size, territory):
    """The API gives a territory's administrator everyone's subscriptions: the page asks for
    one's own."""
    login(page, server)
    agent = _bearer(page, server)
    assert page.request.post(
        f"{server.url}/api/v1/tenants/{territory['tenant']}/subscriptions", headers=agent,
        data={"domains": ["water"]}).status == 201
    page.get_by_role("button", name="Se déconnecter").click()
    page.wait_for_url(f"{server.url}/connexion")
    login(page, server, "admin@cc-vosges.fr", then="/compte")
    _open(page, server)
    assert page.locator(".subscription-list").count() == 0
    assert "aucune alerte" in page.locator("#subscriptions").inner_text()
