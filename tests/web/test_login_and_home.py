"""Logging in, the header, the home page: in Chromium, at desktop and phone sizes."""

from __future__ import annotations

import pytest

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
    open_menu(page)
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


def _operator_of_two_territories(web_db, web_registry) -> str:
    from beffroi.core import tenants, users
    from beffroi.core.access import CLI

    with web_db.write() as conn:
        tenants.create_tenant(web_db, conn, CLI, name="Syndicat des eaux de la Vologne",
                              registry=web_registry)
        users.create_user(web_db, conn, email="operateur@agence.fr", name="Opératrice",
                          password_hash=users.new_password_hash(PASSWORD),
                          is_operator_admin=True)
    return "operateur@agence.fr"


def _focused(page) -> str:
    return page.evaluate("document.activeElement.id || document.activeElement.textContent.trim()")


HEADER_HEIGHT = "document.querySelector('header').getBoundingClientRect().height"
# What the header holds besides the brand: the territory, « Mon compte », the page links…
MENU = "#site-header .site-menu"


@ON_PHONE
def test_on_a_phone_the_header_folds_its_menu_under_a_button(page, server, size, web_db,
                                                             web_registry):
    """The header takes one short line (it took 247 px, a third of the screen, before any
    content); its « Menu » button unfolds the territory, the page links, « Mon compte » and
    « Se déconnecter », with the keyboard as with a finger; Escape folds them back."""
    login(page, server, email=_operator_of_two_territories(web_db, web_registry), then="/alertes")
    button = page.get_by_role("banner").get_by_role("button", name="Menu")
    button.wait_for()
    nav = page.get_by_role("navigation", name="Menu principal")
    for path in ("/alertes", "/carte", "/"):  # (the map's header as the others')
        if path != "/alertes":
            page.goto(f"{server.url}{path}")
            button.wait_for()
        assert page.evaluate(HEADER_HEIGHT) <= 80, path
        assert not page.locator(MENU).is_visible()
        assert nav.count() == 0  # (hidden: out of the accessibility tree, links unreachable)
        assert not page.get_by_label("Territoire").is_visible()
    assert button.get_attribute("aria-expanded") == "false"
    assert page.locator("#" + button.get_attribute("aria-controls")).count() == 1
    box = button.bounding_box()
    assert box["width"] >= 44 and box["height"] >= 44  # a finger's target
    assert_accessible(page)

    # With the keyboard only: the skip link, the brand, the button; Enter unfolds the menu.
    for _ in range(3):
        page.keyboard.press("Tab")
    assert _focused(page) == "menu-button"
    assert page.evaluate("getComputedStyle(document.activeElement).outlineStyle") == "solid"
    page.keyboard.press("Enter")
    assert button.get_attribute("aria-expanded") == "true"
    nav.wait_for()
    assert nav.get_by_role("link", name="Accueil").get_attribute("aria-current") == "page"
    assert page.get_by_label("Territoire").is_visible()
    assert page.get_by_role("link", name="Mon compte").is_visible()
    assert page.get_by_role("button", name="Se déconnecter").is_visible()
    reached = []
    while "Paramètres" not in reached and len(reached) < 20:  # the menu's last link
        page.keyboard.press("Tab")  # Tab goes through the menu, in the order it is shown
        reached.append(_focused(page))
    assert reached[:3] == ["tenant-select", "Mon compte", "logout"]
    assert {"Accueil", "Carte", "Alertes", "Administration"} <= set(reached)
    assert reached.index("Accueil") < reached.index("Carte") < reached.index("Alertes")
    assert_accessible(page)

    # Escape (here on the last link) folds the menu and gives the focus back to the button.
    page.keyboard.press("Escape")
    assert button.get_attribute("aria-expanded") == "false"
    assert not page.locator(MENU).is_visible()
    assert _focused(page) == "menu-button"
    assert page.evaluate(HEADER_HEIGHT) <= 80

    # A finger: the button unfolds the menu, a link leads to its page, marked there.
    button.click()
    nav.get_by_role("link", name="Alertes", exact=True).click()
    page.wait_for_url(f"{server.url}/alertes")
    open_menu(page)
    assert nav.get_by_role("link", name="Alertes", exact=True).get_attribute(
        "aria-current") == "page"
    assert nav.get_by_role("link", name="Accueil").get_attribute("aria-current") is None
    # The territory is switched from the menu too.
    with page.expect_navigation():  # (the page is loaded again for that territory)
        page.get_by_label("Territoire").select_option(label="Syndicat des eaux de la Vologne")
    open_menu(page)
    assert page.get_by_label("Territoire").locator("option:checked").inner_text() == (
        "Syndicat des eaux de la Vologne")
    screenshot(page, "menu-ouvert", size)


@AT_DESK
def test_at_the_desk_the_header_shows_its_menu_and_no_button(page, server, size):
    login(page, server, then="/alertes")
    nav = page.get_by_role("navigation", name="Menu principal")
    nav.wait_for()
    assert nav.get_by_role("link", name="Alertes", exact=True).get_attribute(
        "aria-current") == "page"
    for name in ("Accueil", "Carte", "Impact"):
        assert nav.get_by_role("link", name=name, exact=True).is_visible()
    assert page.get_by_role("link", name="Mon compte").is_visible()
    assert page.get_by_role("button", name="Se déconnecter").is_visible()
    assert not page.locator("#menu-button").is_visible()
    # The brand and the tools on one line, the links on the next.
    brand = page.locator("#site-header .brand").bounding_box()
    account = page.get_by_role("link", name="Mon compte").bounding_box()
    carte = nav.get_by_role("link", name="Carte").bounding_box()
    assert abs((brand["y"] + brand["height"] / 2) - (account["y"] + account["height"] / 2)) < 12
    assert carte["y"] > account["y"] + account["height"] / 2
    assert account["x"] > page.viewport_size["width"] / 2  # (on the right)
    page.keyboard.press("Escape")  # (nothing to fold)
    assert nav.get_by_role("link", name="Carte").is_visible()
    assert_accessible(page)


def test_the_printed_page_has_no_menu_nor_button(page, server, size):
    login(page, server)
    open_menu(page)
    page.emulate_media(media="print")
    assert not page.locator("#menu-button").is_visible()
    assert not page.locator("#site-header .site-menu").is_visible()
    assert page.locator("#site-header .brand").is_visible()
