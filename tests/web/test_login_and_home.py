"""Logging in, the header, the home page: in Chromium, at desktop and phone sizes."""

from __future__ import annotations

import pytest

from .conftest import AT_DESK, ON_PHONE, PASSWORD, assert_accessible, login, screenshot, wait_for


def test_login_page_refuses_bad_credentials_then_lets_the_agent_in(page, server, size):
    page.goto(f"{server.url}/")
    page.wait_for_url(f"{server.url}/connexion?suite=%2F")  # not signed in: to the login page
    assert page.title() == "Connexion — Beffroi"
    assert_accessible(page)
    screenshot(page, "connexion", size)
    page.get_by_label("Adresse e-mail").fill("agent@cc-vosges.fr")
    page.get_by_label("Mot de passe").fill("pas le bon")
    page.get_by_role("button", name="Se connecter").click()
    alert = page.get_by_role("alert")
    alert.wait_for()
    assert "incorrect" in alert.inner_text()
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(f"{server.url}/")


@ON_PHONE
@pytest.mark.parametrize("path", ["/connexion", "/mot-de-passe-oublie", "/reinitialiser"])
def test_the_signed_out_pages_brand_is_inset_as_on_every_page(page, server, size, path):
    """The brand of the pages read before signing in keeps the header's inner margin, in
    line with the title below it, not flush against the edge of the screen."""
    page.goto(f"{server.url}{path}")
    brand = page.locator(".site-header .brand").bounding_box()
    title = page.locator("h1").bounding_box()
    assert brand["x"] == title["x"] > 0


@ON_PHONE
def test_login_errors_mark_their_fields_and_the_network_failure_is_french(page, server, size):
    """RGAA 11.10: the fields at fault are marked (aria-invalid) and described by the
    message (aria-describedby); a network failure is said in French, no field blamed."""
    page.goto(f"{server.url}/connexion")
    email, password = page.get_by_label("Adresse e-mail"), page.get_by_label("Mot de passe")
    email.fill("agent@cc-vosges.fr")
    page.get_by_role("button", name="Se connecter").click()  # no password
    alert = page.get_by_role("alert")
    alert.filter(has_text="Indiquez votre adresse e-mail et votre mot de passe.").wait_for()
    assert password.get_attribute("aria-invalid") == "true"
    assert password.get_attribute("aria-describedby") == "message"
    assert email.get_attribute("aria-invalid") is None
    assert page.evaluate("document.activeElement.id") == "password"
    assert_accessible(page)

    password.fill("pas le bon")
    page.get_by_role("button", name="Se connecter").click()
    alert.filter(has_text="incorrect").wait_for()
    for field in (email, password):  # the pair is refused
        assert field.get_attribute("aria-invalid") == "true"
        assert field.get_attribute("aria-describedby") == "message"
    assert page.evaluate("document.activeElement.id") == "password"
    assert_accessible(page)

    page.route("**/auth/login", lambda route: route.abort())
    password.fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    alert.filter(has_text="Connexion impossible").wait_for()
    assert "Failed to fetch" not in alert.inner_text()
    assert email.get_attribute("aria-invalid") is None  # nothing to correct there
    page.unroute("**/auth/login")
    password.fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(f"{server.url}/")


def test_home_shows_the_tenant_and_its_open_alerts(page, server, size):
    login(page, server)
    page.get_by_role("heading", name="Tableau de bord — CC de la Porte des Vosges Méridionales"
                     ).wait_for()
    alert_link = page.get_by_role("link", name="Crue — Échelle de la Moselle")
    alert_link.wait_for()
    assert "Critique" in page.locator("#alerts").inner_text()
    lighting = page.get_by_role("article", name="Éclairage public")
    lighting.wait_for()
    assert "3 équipements" in lighting.inner_text()
    risks = page.locator("article", has=page.get_by_role("heading", name="Risques"))
    assert "1 critique" in risks.inner_text()
    nav = page.get_by_role("navigation", name="Menu principal")
    assert nav.get_by_role("link", name="Accueil").get_attribute("aria-current") == "page"
    assert nav.get_by_role("link", name="Administration").count() == 0  # an agent
    assert_accessible(page)
    screenshot(page, "accueil", size)
    page.get_by_role("button", name="Se déconnecter").click()
    page.wait_for_url(f"{server.url}/connexion")


@AT_DESK
def test_keyboard_only_login(page, server, size):
    page.goto(f"{server.url}/connexion")
    page.keyboard.press("Tab")  # the skip link comes first
    assert page.evaluate("document.activeElement.textContent") == "Aller au contenu"
    page.keyboard.press("Tab")
    page.keyboard.type("agent@cc-vosges.fr")
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(f"{server.url}/")


@AT_DESK
def test_an_operator_switches_between_the_tenants_it_hosts(page, server, size, web_db,
                                                           web_registry):
    from beffroi.core import tenants, users
    from beffroi.core.access import CLI

    with web_db.write() as conn:
        tenants.create_tenant(web_db, conn, CLI, name="Syndicat des eaux de la Vologne",
                              registry=web_registry)
        users.create_user(web_db, conn, email="operateur@agence.fr", name="Opératrice",
                          password_hash=users.new_password_hash(PASSWORD),
                          is_operator_admin=True)
    login(page, server, email="operateur@agence.fr")
    title = page.get_by_role("heading", level=1)
    wait_for(page, "(document.querySelector('h1')?.innerText ?? '').includes(' — ')")
    switch = page.get_by_label("Territoire")
    first = title.inner_text()
    other = next(o for o in switch.locator("option").all_inner_texts() if o not in first)
    switch.select_option(label=other)
    wait_for(page, "t => (document.querySelector('h1')?.innerText ?? '').includes(t)", arg=other)
    assert page.get_by_role("navigation", name="Menu principal").get_by_role(
        "link", name="Administration").count() == 1
    page.reload()  # the choice is remembered
    wait_for(page, "t => (document.querySelector('h1')?.innerText ?? '').includes(t)", arg=other)
    assert_accessible(page)
