"""Every page works under its Content-Security-Policy (the ``page`` fixture fails on any
violation), reflows on a 320 px wide screen and ends with the site's footer (whose links
answer), with a basemap from another host, and the API documentation (Swagger UI) is served
by Beffroi itself: no request leaves for another host."""

from __future__ import annotations

import base64

from beffroi.core import assets
from beffroi.core.access import CLI, open_scope
from beffroi.core.registry import load_registry
from beffroi.web import pages

from .conftest import AT_DESK, login, wait_for

TILES = "https://{s}.tuiles.example.fr/{z}/{x}/{y}.png"
# A 1×1 transparent PNG: the tiles, answered by the browser's interception (no network).
PNG = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA"
                       "60e6kgAAAABJRU5ErkJggg==")


def _outside(page, server) -> tuple[list[str], list[str]]:
    """(tile requests answered, other foreign requests refused) of the page's context."""
    tiles, foreign = [], []

    def handle(route):
        url = route.request.url
        if ".tuiles.example.fr/" in url:
            tiles.append(url)
            route.fulfill(status=200, content_type="image/png", body=PNG)
        elif url.startswith(server.url):
            route.continue_()
        else:
            foreign.append(url)
            route.abort()

    page.context.route("**/*", handle)
    return tiles, foreign


# What sticks out of a 320 px wide page (RGAA 10.11, reflow: read without scrolling sideways):
# the innermost elements past the right edge that no scrolling or clipping box holds.
STICKING_OUT = """() => {
  const out = [], width = document.documentElement.clientWidth;
  const held = (el) => { for (let p = el.parentElement; p; p = p.parentElement) {
    if (/auto|scroll|hidden|clip/.test(getComputedStyle(p).overflowX)) return true; }
    return false; };
  for (const el of document.body.querySelectorAll("*")) {
    const right = el.getBoundingClientRect().right;
    if (right > width + 1 && !held(el) && ![...el.children].some(
        (c) => c.getBoundingClientRect().right > width + 1)) {
      out.push(`${el.tagName.toLowerCase()}${el.id ? "#" + el.id : ""} (${Math.round(right)} px)`);
    }
  }
  return {overflow: document.documentElement.scrollWidth - width, elements: out.slice(0, 5)};
}"""

# The site's footer (web.legal): one contentinfo landmark, outside the main content and below
# it (never over it), at the bottom of the screen at least (a short page's footer does not
# float halfway up it), with its links.
FOOTER = """() => {
  const found = document.querySelectorAll("footer, [role=contentinfo]");
  if (found.length === 0) return null;
  const footer = found[0], main = document.querySelector("main");
  return {count: found.length, outside: footer.closest("main") === null,
          below: !main || footer.getBoundingClientRect().top
                          >= main.getBoundingClientRect().bottom - 1,
          pinned: footer.getBoundingClientRect().bottom + scrollY >= innerHeight - 1,
          links: [...footer.querySelectorAll("a[href]")].map(
            (a) => [a.getAttribute("href"), a.textContent.trim()])};
}"""


@AT_DESK
def test_every_page_works_under_the_content_security_policy(page, server, territory,
                                                            monkeypatch, web_db, web_registry):
    monkeypatch.setenv("BEFFROI_TILE_URL", TILES)
    with web_db.write() as conn:  # a long name, in the menus that list the buildings
        assets.create_asset(open_scope(web_db, conn, CLI, territory["tenant"]), conn,
                            web_registry, {
                                "ref": "BAT-LONG", "kind": "buildings.building",
                                "name": "Groupe scolaire intercommunal Jules-Ferry et "
                                        "Marie-Curie de Saint-Étienne-lès-Remiremont",
                                "commune": "88413", "properties": {"usage": "ecole"}})
    tiles, foreign = _outside(page, server)
    paths = [r.path.replace("{asset_id:int}", str(territory["cabinets"][0]))
             for r in pages.router.routes]
    paths += [p.path for d in load_registry().domains.values() for p in d.pages]
    paths += ["/eau?couleur=ilp"]  # (the map's other colouring adds its grading table)
    login(page, server, "admin@cc-vosges.fr")
    page.set_viewport_size({"width": 320, "height": 640})
    seen, wide, footers = {}, {}, {}
    for path in paths:
        response = page.goto(server.url + path)
        page.wait_for_load_state("networkidle")
        seen[path] = (response.status, "frame-ancestors 'none'" in
                      response.headers.get("content-security-policy", ""))
        reflow = page.evaluate(STICKING_OUT)
        if reflow["overflow"] > 0:
            wide[path] = reflow
        footers[path] = page.evaluate(FOOTER)
    assert seen == {path: (200, True) for path in paths}
    assert wide == {}
    links = [["/accessibilite", "Accessibilité\u00a0: non conforme"],  # (no audit set)
             ["/mentions-legales", "Mentions légales"],
             ["/donnees-personnelles", "Données personnelles"]]
    assert footers == {path: {"count": 1, "outside": True, "below": True, "pinned": True,
                              "links": links}
                       for path in paths}
    assert {href: page.request.get(server.url + href).status for href, _ in links} == {
        href: 200 for href, _ in links}
    page.goto(server.url + "/carte")
    wait_for(page, "window.beffroiMap && window.beffroiMap.ready !== null")
    page.wait_for_load_state("networkidle")
    assert tiles, "the basemap's tiles were not requested"
    assert page.locator("img.leaflet-tile-loaded").count() > 0  # …and shown
    assert foreign == []


@AT_DESK
def test_the_api_documentation_comes_from_beffroi_itself(page, server):
    tiles, foreign = _outside(page, server)
    requested = []
    page.on("request", lambda request: requested.append(request.url))
    page.goto(server.url + "/api/v1/docs")
    page.locator(".opblock").first.wait_for()
    # Every operation of the API. Swagger UI renders a long document as it scrolls (only
    # the operations near the viewport are in the page): collect them from top to bottom.
    seen: set[str] = set()
    for _ in range(200):
        seen |= set(page.eval_on_selector_all(".opblock", "els => els.map(e => e.id)"))
        if page.evaluate("innerHeight + scrollY >= document.body.scrollHeight - 2"):
            break
        page.mouse.wheel(0, 600)
        page.wait_for_timeout(30)
    assert len(seen) > 50
    page.evaluate("scrollTo(0, 0)")
    assert page.get_by_text("Beffroi", exact=False).first.is_visible()
    domains = page.locator(".opblock-summary", has_text="/api/v1/domains").first
    for _ in range(200):  # scrolled to, as a reader would
        if domains.count():
            break
        page.mouse.wheel(0, 600)
        page.wait_for_timeout(30)
    domains.click()
    page.get_by_role("button", name="Try it out").click()
    page.get_by_role("button", name="Execute").click()
    page.locator(".live-responses-table .response-col_status", has_text="200").wait_for()
    assert foreign == [] and tiles == []
    assert requested and all(url.startswith(server.url) for url in requested)
    # The site's footer is styled as on every page (a row of links on its grey band), not a
    # bulleted list in the browser's default serif.
    footer = page.locator(".site-footer")
    assert footer.evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(246, 246, 246)"
    assert footer.locator(".footer-links").evaluate(
        "e => [getComputedStyle(e).display, getComputedStyle(e).listStyleType]") == ["flex",
                                                                                    "none"]


def test_the_violation_watch_sees_what_the_policy_blocks(browser, server):
    """The check every browser test relies on can fail: an inline script, an inline style
    attribute and an image from an unlisted host are each reported."""
    from .conftest import watch_csp

    context = browser.new_context()
    violations = watch_csp(context)
    page = context.new_page()
    page.route("https://ailleurs.example.fr/**", lambda route: route.abort())
    page.goto(server.url + "/connexion")
    page.evaluate("""() => document.body.insertAdjacentHTML("beforeend",
        '<img src="https://ailleurs.example.fr/x.png"><p style="color: red">x</p>')""")
    page.evaluate("""() => { const s = document.createElement("script");
        s.textContent = "window.injected = 1"; document.body.append(s); }""")
    page.wait_for_timeout(300)
    blocked = " ".join(violations)
    context.close()
    assert "img-src" in blocked and "style-src" in blocked and "script-src" in blocked
