"""The legal pages (accessibility statement, legal notice, personal data) and the footer of
every page: the RGAA status rule, the settings read from the environment (a malformed one
refused in French, naming it), the pages answered without sign-in with what the operator set
(escaped) or « non renseigné », and the footer on every page the server answers."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from html import unescape
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from suite_apps import fresh_app

from beffroi.api.deps import SESSION_COOKIE
from beffroi.core import clock, login_throttle, retention, tenants
from beffroi.core.access import CLI
from beffroi.core.clock import DAY_MS
from beffroi.core.french_format import long_date
from beffroi.core.registry import load_registry
from beffroi.reports.public_indicators import IndicatorCache
from beffroi.storage.database import Database
from beffroi.web import legal, pages
from beffroi.web.legal import (
    AUDIT_ENV,
    ENV,
    NOT_FILLED,
    Audit,
    compliance,
    parse_audit,
    read_settings,
)

SQLITE = pytest.mark.parametrize("db", ["sqlite"], indirect=True)  # no storage involved
NBSP = "\u00a0"
TODAY = date(2026, 12, 7)
SETTINGS = {
    "BEFFROI_PUBLISHER": "Communauté de communes de la Porte des Vosges Méridionales",
    "BEFFROI_PUBLISHER_ADDRESS": "4 rue de la Mairie, 88200 Remiremont",
    "BEFFROI_PUBLICATION_DIRECTOR": "Marie Présidente",
    "BEFFROI_HOSTING_PROVIDER": "Hébergeur Exemple SAS, 1 rue du Centre, 67000 Strasbourg",
    "BEFFROI_CONTACT_EMAIL": "accessibilite@cc-exemple.fr",
    "BEFFROI_DPO_EMAIL": "dpo@cc-exemple.fr",
    AUDIT_ENV: "2026-11-15 87,5 Cabinet Exemple",
    "BEFFROI_PUBLIC_URL": "https://beffroi.cc-exemple.fr/",
}
LEGAL_PATHS = ("/accessibilite", "/mentions-legales", "/donnees-personnelles")
COMMON_JS = Path(legal.__file__).parent / "static" / "js" / "common.js"


# -- the status rule and the settings -----------------------------------------------------
def test_the_status_follows_the_rgaa_thresholds():
    def status(rate: float) -> str:
        return compliance(Audit(TODAY, rate))

    assert status(100) == "totalement conforme"
    assert status(99.9) == "partiellement conforme"
    assert status(50) == "partiellement conforme"
    assert status(49.9) == "non conforme"
    assert status(0) == "non conforme"
    assert compliance(None) == "non conforme"  # no audit: automated checks are not one


@pytest.mark.parametrize(("text", "audit"), [
    ("2026-11-15 87.5 Cabinet Exemple", Audit(date(2026, 11, 15), 87.5, "Cabinet Exemple")),
    ("2026-11-15 87,5 % Cabinet Exemple", Audit(date(2026, 11, 15), 87.5, "Cabinet Exemple")),
    (" 2026-12-07 100% ", Audit(TODAY, 100.0, None)),  # made today: in force
    ("2026-11-15 0", Audit(date(2026, 11, 15), 0.0, None)),
    ("", None), ("   ", None), (None, None),
])
def test_an_audit_is_read_from_its_setting(text, audit):
    assert parse_audit(text, TODAY) == audit


@pytest.mark.parametrize(("text", "why"), [
    ("15/11/2026 87,5", "« 15/11/2026 » n'est pas une date AAAA-MM-JJ"),
    ("2026-02-30 87,5", "« 2026-02-30 » n'est pas une date AAAA-MM-JJ"),
    ("20261115 87,5", "« 20261115 » n'est pas une date AAAA-MM-JJ"),
    ("2026-12-08 87,5", "l'audit est daté du 08/12/2026, dans le futur"),
    ("1999-12-31 87,5", "l'audit est daté du 31/12/1999, avant 2000"),
    ("2026-11-15", "taux de critères respectés manquant après la date"),
    ("2026-11-15 Cabinet Exemple", "« Cabinet » n'est pas un taux de 0 à 100"),
    ("2026-11-15 -5", "« -5 » n'est pas un taux de 0 à 100"),
    ("2026-11-15 100,5", "taux de 100,5 %, au-delà de 100"),
])
def test_a_malformed_audit_is_refused_in_french_naming_the_variable(text, why):
    with pytest.raises(ValueError) as refused:
        parse_audit(text, TODAY)
    message = str(refused.value)
    assert message.startswith(f"BEFFROI_RGAA_AUDIT invalide : {why} (attendu : ")
    assert "\n" not in message


def test_the_settings_come_from_the_environment():
    settings = read_settings(SETTINGS, TODAY)
    assert settings == legal.LegalSettings(
        publisher=SETTINGS["BEFFROI_PUBLISHER"],
        publisher_address=SETTINGS["BEFFROI_PUBLISHER_ADDRESS"],
        director="Marie Présidente", hosting_provider=SETTINGS["BEFFROI_HOSTING_PROVIDER"],
        contact_email="accessibilite@cc-exemple.fr", dpo_email="dpo@cc-exemple.fr",
        audit=Audit(date(2026, 11, 15), 87.5, "Cabinet Exemple"),
        site="https://beffroi.cc-exemple.fr", tile_host=None, made_on=TODAY)
    assert settings.status == "partiellement conforme"
    # The data protection officer is the contact unless set; the basemap's host is named.
    settings = read_settings({"BEFFROI_CONTACT_EMAIL": "contact@cc-exemple.fr",
                              "BEFFROI_TILE_URL": "https://{s}.tile.example.org/{z}/{x}/{y}.png"},
                             TODAY)
    assert (settings.dpo_email, settings.tile_host) == ("contact@cc-exemple.fr",
                                                         "tile.example.org")
    nothing = read_settings({name: "  " for name in ENV.values()}, TODAY)
    assert nothing == legal.LegalSettings(made_on=TODAY)
    assert nothing.status == "non conforme"
    with pytest.raises(ValueError, match=r"^BEFFROI_DPO_EMAIL invalide : « dpo\(at\)cc\.fr » "
                                         r"n'est pas une adresse e-mail\.$"):
        read_settings({"BEFFROI_DPO_EMAIL": "dpo(at)cc.fr"}, TODAY)


# -- the pages, through the application ---------------------------------------------------
@pytest.fixture(scope="module")
def every_domain():
    return load_registry()


@pytest.fixture
def pinned_today(monkeypatch):
    """Core's clock on 7 December 2026 at 10:00 in Paris (the statement's date)."""
    instant = datetime(2026, 12, 7, 10, tzinfo=ZoneInfo("Europe/Paris"))
    monkeypatch.setattr(clock, "now_ms", lambda: int(instant.timestamp() * 1000))


@pytest.fixture
def configured(monkeypatch, pinned_today):
    for name, value in SETTINGS.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("BEFFROI_TILE_URL", raising=False)


@pytest.fixture
def unset(monkeypatch, pinned_today):
    for name in (*ENV.values(), AUDIT_ENV, "BEFFROI_PUBLIC_URL", "BEFFROI_TILE_URL"):
        monkeypatch.delenv(name, raising=False)


def text_of(html: str) -> str:
    """The text of a page as read: inline tags dropped, others a space; entities decoded
    (no-break spaces kept)."""
    text = re.sub(r"</?(span|strong|em|a)\b[^>]*>", "", html)
    return unescape(re.sub(r"[ \t\r\n]+", " ", re.sub(r"<[^>]+>", " ", text)))


def footers(html: str) -> list[str]:
    return re.findall(r"<footer\b.*?</footer>", html, flags=re.S)


@SQLITE
def test_the_legal_pages_answer_without_sign_in_with_what_the_operator_set(
        db, every_domain, configured):
    client = TestClient(fresh_app(db, every_domain))
    answers = {path: client.get(path) for path in LEGAL_PATHS}
    assert {p: (r.status_code, r.headers["content-type"]) for p, r in answers.items()} == {
        p: (200, "text/html; charset=utf-8") for p in LEGAL_PATHS}
    statement, notice, privacy = (text_of(answers[p].text) for p in LEGAL_PATHS)
    publisher = SETTINGS["BEFFROI_PUBLISHER"]
    assert f"{publisher} s'engage à rendre son site internet accessible" in statement
    assert "s'applique à https://beffroi.cc-exemple.fr." in statement
    assert "Ce site est partiellement conforme avec le référentiel général" in statement
    assert (f"L'audit de conformité réalisé le 15 novembre 2026 par Cabinet Exemple révèle que "
            f"87,5{NBSP}% des critères du RGAA sont respectés.") in statement
    assert "Cette déclaration a été établie le 7 décembre 2026" in statement
    assert "mailto:accessibilite@cc-exemple.fr" in answers["/accessibilite"].text
    assert "Défenseur des droits, Libre réponse 71120, 75342 Paris CEDEX" in statement
    assert '<a href="https://formulaire.defenseurdesdroits.fr/">' in answers["/accessibilite"].text
    for line in ("HTML", "CSS", "JavaScript", "WAI-ARIA"):
        assert f"<li>{line}</li>" in answers["/accessibilite"].text
    for value in (publisher, SETTINGS["BEFFROI_PUBLISHER_ADDRESS"], "Marie Présidente",
                  SETTINGS["BEFFROI_HOSTING_PROVIDER"], "accessibilite@cc-exemple.fr"):
        assert value in notice
    assert publisher in privacy and "dpo@cc-exemple.fr" in privacy
    assert NOT_FILLED not in statement + notice + privacy
    for path, answer in answers.items():
        assert '<html lang="fr">' in answer.text
        assert re.search(r"<title>[^<]+ — Beffroi</title>", answer.text)
        assert answer.text.count("<h1>") == 1
        assert '<a class="skip-link" href="#contenu">' in answer.text
        assert "<script" not in answer.text and "style=" not in answer.text  # the CSP's rules
        assert f'<a href="{path}" aria-current="page">' in footers(answer.text)[0]


@SQLITE
def test_the_personal_data_page_says_what_the_instance_keeps(db, every_domain, configured):
    client = TestClient(fresh_app(db, every_domain))
    privacy = text_of(client.get("/donnees-personnelles").text)
    # The cookie the log-in sets, and what the pages keep in the browser (common.js).
    assert f"« {SESSION_COOKIE} »" in privacy.replace(NBSP, " ")
    key = re.search(r'const TENANT_KEY = "([^"]+)"', COMMON_JS.read_text()).group(1)
    assert f"« {key} »" in privacy.replace(NBSP, " ")
    assert "Une session dure 14" in privacy
    # The retention the daily purge applies (core.retention), as the settings declare it.
    audit, sent = (retention.BY_KEY[k] for k in (retention.AUDIT_DAYS,
                                                  retention.NOTIFICATION_DAYS))
    flat = privacy.replace(NBSP, " ")
    assert (f"journal des actions : {audit.default} jours par défaut, durée que chaque "
            f"territoire peut fixer de {audit.spec.minimum:g} à {audit.spec.maximum:g} jours"
            ) in flat
    assert f"blocages de connexion, {retention.INSTANCE_AUDIT_DAYS} jours" in flat
    assert (f"courriels et webhooks envoyés ou en échec : {sent.default} jours par défaut, "
            f"de {sent.spec.minimum:g} à {sent.spec.maximum:g} jours") in flat
    assert (f"sans tentative depuis {login_throttle.KNOWN_ADDRESS_MS // DAY_MS} jours sont "
            "effacés chaque jour") in flat
    # What the domains declare: the register of the risks domain, with its retention.
    assert "Registre des personnes vulnérables" in privacy
    assert "confirmée depuis 24 mois" in privacy
    assert "« Référent qualité de l'air (courriel) » (Bâtiment public)" in privacy
    assert "CNIL, 3" in privacy and "articles" in privacy
    assert "fond de carte" not in privacy  # no basemap set: nothing loaded from elsewhere


@SQLITE
def test_values_from_the_environment_are_escaped(db, every_domain, configured, monkeypatch):
    monkeypatch.setenv("BEFFROI_PUBLISHER", "<script>alert(1)</script>")
    monkeypatch.setenv("BEFFROI_HOSTING_PROVIDER", '"><img src=x onerror=alert(2)>')
    client = TestClient(fresh_app(db, every_domain))
    for path in LEGAL_PATHS:
        html = client.get(path).text
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
        assert "<script" not in html and "<img" not in html
    assert "&#34;&gt;&lt;img src=x onerror=alert(2)&gt;" in client.get("/mentions-legales").text


@SQLITE
def test_what_the_operator_left_unset_is_said_not_made_up(db, every_domain, unset):
    client = TestClient(fresh_app(db, every_domain))
    statement, notice, privacy = (text_of(client.get(p).text) for p in LEGAL_PATHS)
    assert "Ce site est non conforme avec le référentiel général d'amélioration de " \
           "l'accessibilité (RGAA)" in statement
    assert "il n'a fait l'objet d'aucun audit de conformité" in statement
    assert "Aucun audit de conformité au RGAA n'a été réalisé." in statement
    assert "Ces vérifications ne remplacent pas un audit." in statement
    assert f"L'éditeur de ce site ({NOT_FILLED}) s'engage" in statement
    assert statement.count(NOT_FILLED) == 3  # publisher, site, contact
    assert notice.count(NOT_FILLED) == 5  # publisher, address, director, host, contact
    assert privacy.count(NOT_FILLED) == 4  # publisher, address, officer (twice)
    assert "mailto:" not in statement + notice + privacy


def test_a_malformed_setting_stops_the_app_with_its_french_line(every_domain, monkeypatch):
    """Read when the app is built (an app that never opens its database, here)."""
    monkeypatch.setenv("BEFFROI_CONTACT_EMAIL", "accessibilite@")
    with pytest.raises(ValueError, match="^BEFFROI_CONTACT_EMAIL invalide : "):
        fresh_app(Database("sqlite://"), every_domain)


# -- the footer on every page ---------------------------------------------------------------
def every_page(app) -> list[str]:
    """Every page the server answers: core's, the domains', the legal pages."""
    paths = [r.path.replace("{asset_id:int}", "1") for r in pages.router.routes
             if "GET" in r.methods]
    paths += [p.path for d in app.state.registry.domains.values() for p in d.pages]
    assert {"/", "/connexion", "/mot-de-passe-oublie", "/reinitialiser", "/carte",
            "/api/v1/docs", "/eau", "/risques/registre", *LEGAL_PATHS} <= set(paths)
    return paths


@SQLITE
def test_every_page_ends_with_the_footer(db, every_domain, configured):
    siren = "200068377"
    with db.write() as conn:
        tenants.create_tenant(db, conn, CLI, siren=siren, registry=every_domain,
                              settings={"impact.public_indicators": True})
    app = fresh_app(db, every_domain)
    app.state.public_indicators = IndicatorCache(compute=lambda *args: {})
    client = TestClient(app)
    paths = [*every_page(app), f"/territoires/{siren}/indicateurs",
             "/territoires/999999999/indicateurs"]  # (its « not found » page too)
    found = {}
    for path in paths:
        answer = client.get(path)
        html = answer.text
        blocks = footers(html)
        footer = blocks[0] if blocks else "(none)"
        links = re.findall(r'<a href="([^"]+)"[^>]*>([^<]+)</a>', footer)
        where = html.find(footer)  # after the main content, inside the body
        found[path] = (answer.status_code, len(blocks), links, 'role="contentinfo"' in footer,
                       html.rfind("</main>") < where < html.rfind("</body>"))
    expected_links = [("/accessibilite", f"Accessibilité{NBSP}: partiellement conforme"),
                      ("/mentions-legales", "Mentions légales"),
                      ("/donnees-personnelles", "Données personnelles")]
    assert found == {path: (404 if "999999999" in path else 200, 1, expected_links, True, True)
                     for path in paths}


# -- in the browser -----------------------------------------------------------------------------
def test_the_accessibility_statement_with_an_audit(page, size, web_db, web_registry,
                                                   monkeypatch):
    """Its display at both sizes: what it says, its landmarks, its axe-core audit."""
    from .conftest import LiveServer, assert_accessible, screenshot

    audit_day = clock.local_day(clock.now_ms(), clock.PARIS) - timedelta(days=20)
    for name, value in {**SETTINGS, AUDIT_ENV: f"{audit_day} 62,5 Cabinet Exemple"}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("BEFFROI_TILE_URL", raising=False)
    with LiveServer(fresh_app(web_db, web_registry)) as server:
        page.goto(server.url + "/accessibilite")
        assert page.title() == "Déclaration d'accessibilité — Beffroi"
        main = page.get_by_role("main")
        assert main.get_by_role("heading", level=1).inner_text() == \
            "Déclaration d'accessibilité"
        assert main.locator(".compliance strong").inner_text() == "partiellement conforme"
        assert (f"L'audit de conformité réalisé le {long_date(audit_day)} par Cabinet Exemple "
                f"révèle que 62,5{NBSP}% des critères du RGAA sont respectés.") in \
            main.inner_text()
        # The brand leads home, as on every page (the header of the others is their script's).
        assert page.get_by_role("banner").get_by_role("link", name="Beffroi").get_attribute(
            "href") == "/"
        footer = page.get_by_role("contentinfo")
        assert footer.get_by_role("link", name="Accessibilité").get_attribute(
            "aria-current") == "page"
        assert footer.inner_text().split("\n") == [
            f"Accessibilité{NBSP}: partiellement conforme", "Mentions légales",
            "Données personnelles"]
        assert_accessible(page)
        screenshot(page, "accessibilite", size)
        page.keyboard.press("Tab")  # the skip link first, then the way to the content
        assert page.evaluate("document.activeElement.textContent") == "Aller au contenu"
        page.keyboard.press("Tab")  # the brand, home
        assert page.evaluate("document.activeElement.getAttribute('href')") == "/"
        page.keyboard.press("Tab")  # the contact's address, a link of the content…
        assert page.evaluate("document.activeElement.getAttribute('href')").startswith(
            "mailto:")
        page.keyboard.press("Tab")  # …and the Défenseur des droits' form, its other one
        page.keyboard.press("Tab")  # then the footer, scrolled into view
        assert page.evaluate("document.activeElement.closest('footer') !== null "
                             "&& document.activeElement.getAttribute('href')") == "/accessibilite"
        box = footer.bounding_box()
        assert 0 <= box["y"] and box["y"] + box["height"] <= page.viewport_size["height"]
