"""An address that leads nowhere, opened in the browser: a French « page introuvable » with
the site's header and footer, not the API's problem details (which API clients keep); and
the icon every browser asks for is there."""

from __future__ import annotations

from .conftest import AT_DESK, assert_accessible, screenshot


def test_a_mistyped_address_shows_the_page_introuvable(page, server, size):
    response = page.goto(f"{server.url}/alertes/nulle-part")
    assert response.status == 404
    assert response.headers["content-type"].startswith("text/html")
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    assert page.title() == "Page introuvable — Beffroi"
    assert page.get_by_role("heading", level=1).inner_text() == "Page introuvable"
    assert page.get_by_role("link", name="Retour au tableau de bord").get_attribute("href") == "/"
    footer = page.get_by_role("contentinfo")
    assert footer.get_by_role("link", name="Mentions légales").is_visible()
    assert_accessible(page)
    screenshot(page, "introuvable", size)
    # An asset's address with no number in it leads nowhere too
    response = page.goto(f"{server.url}/equipements/abc")
    assert (response.status, page.title()) == (404, "Page introuvable — Beffroi")
    # API clients, scripts and files keep the problem details
    for path in ("/api/v1/nulle-part", "/static/js/nulle-part.js"):
        answer = page.request.get(f"{server.url}{path}", headers={"Accept": "text/html"})
        assert (answer.status, answer.headers["content-type"]) == (404,
                                                                    "application/problem+json")


@AT_DESK
def test_the_browser_finds_the_icon_it_asks_for(page, server):
    """Every browser asks for /favicon.ico: the belfry, not a 404 in the console of every
    page."""
    failed = []
    page.on("console", lambda m: failed.append(m.text) if m.type == "error" else None)
    page.goto(f"{server.url}/connexion")
    answer = page.request.get(f"{server.url}/favicon.ico")
    assert (answer.status, answer.headers["content-type"]) == (200, "image/svg+xml")
    assert answer.text().startswith("<svg")
    page.wait_for_load_state("networkidle")
    assert failed == []
