"""The crisis mode (/risques/crise), issue #17: an agent opens the event's main courante,
adds an entry with the keyboard and corrects it, sees the flooded zone with its asset and
registered person, composes a banner alert (preview, confirmation, sending) and reads its
delivery log, at phone and desktop sizes, audited by axe; a viewer reaches the page in one
click from /risques, reads the log and the alert's totals, and gets no action button nor
any name of the register."""

from __future__ import annotations

from sqlalchemy import select

from beffroi.core import assets
from beffroi.core.access import CLI, load_principal, open_scope
from beffroi.core.clock import PARIS, now_ms
from beffroi.core.observations import store_rows
from beffroi.domains.risks.crisis_log import add_entry, close_log, open_log
from beffroi.domains.risks.population_alert import compose
from beffroi.domains.risks.register.persons import CONSENT_VERSION, enrol
from beffroi.domains.risks.register.referents import grant_referent
from beffroi.storage import schema

from .conftest import AT_DESK, ON_PHONE, assert_accessible, login, screenshot, wait_for

ZONE = {"type": "Polygon", "coordinates": [[[6.585, 48.015], [6.595, 48.015], [6.595, 48.025],
                                            [6.585, 48.025], [6.585, 48.015]]]}


def _user(conn, email):
    return conn.execute(select(schema.users.c.id).where(schema.users.c.email == email)).scalar()


def _flood(db, registry, territory, referent_email=None):
    """The gauge reads 2.8 m; the zone « Quartier de la gare » (flooded from 2.5 m) holds
    the first lighting cabinet (6.59, 48.02) and one registered person's home."""
    t = territory["tenant"]
    now = now_ms()
    with db.write() as conn:
        scope = open_scope(db, conn, CLI, t)
        store_rows(scope, conn, [(t, territory["level"], now - 600_000, 2.8, 0)], PARIS)
        zone = assets.create_asset(scope, conn, registry, {
            "ref": "PPRI-GARE", "kind": "risks.flood_zone", "name": "Quartier de la gare",
            "commune": "88383", "geometry": ZONE,
            "properties": {"hazard": "fort", "reference_station": "ECH-MOSELLE",
                           "flood_level_m": 2.5}})
        agent_id = _user(conn, "agent@cc-vosges.fr")
        grant_referent(scope, conn, agent_id)
        agent = open_scope(db, conn, load_principal(conn, agent_id), t)
        enrol(agent, conn, {
            "last_name": "Inondée", "first_name": "Fictive", "category": "senior",
            "commune": "88383", "address": "2 rue Imaginaire",
            "location": {"type": "Point", "coordinates": [6.59, 48.021]},
            "phones": ["03 29 00 00 01"], "needs": [], "lives_alone": True, "contacts": [],
            "consent": {"given": True, "enrolled_by": "self", "request_date": "2026-01-05",
                        "version": CONSENT_VERSION}})
    return zone.id


def _text(locator) -> str:
    return " ".join(locator.inner_text().replace("\xa0", " ").split())


@ON_PHONE
def test_crisis_mode_agent(server, web_db, web_registry, territory, page, size):
    _flood(web_db, web_registry, territory)
    login(page, server, then="/risques/crise")
    wait_for(page, "document.body.dataset.ready === '1'")
    # The zones concerned: one asset and one registered person inside (the agent is a
    # referent of the register).
    zone = _text(page.locator("#zones li", has_text="Quartier de la gare"))
    assert "1 équipement(s) dans la zone" in zone
    assert "1 personne(s) inscrite(s) au registre" in zone
    assert "Échelle de la Moselle : 2,8 m" in _text(page.locator("#zones"))
    assert "Aucun événement en cours" in page.locator("#event").inner_text()
    # Open the event's log.
    page.get_by_label("Titre de l'événement").fill("Crue de la Moselle")
    page.get_by_label("Risque", exact=True).select_option("crue")
    page.get_by_role("button", name="Ouvrir la main courante").click()
    page.locator("#log-name", has_text="Crue de la Moselle").wait_for()
    # An entry with the keyboard only: type, text, submit.
    kind = page.get_by_label("Type")
    kind.focus()
    kind.select_option("décision")
    page.keyboard.press("Tab")
    page.keyboard.type("Fermeture du pont de la Moselle")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    page.locator("#entries li").first.wait_for()
    first = _text(page.locator("#entries li").first)
    assert first.startswith("Décision") and "Agnès Agent" in first
    assert "Fermeture du pont de la Moselle" in first
    # A correction is a new entry, newest first; the first one stays.
    page.get_by_role("button", name="Corriger").first.click()
    assert page.get_by_label("Texte de l'entrée").input_value() == \
        "Fermeture du pont de la Moselle"
    page.get_by_label("Texte de l'entrée").fill("Fermeture du pont et de la passerelle")
    page.get_by_role("button", name="Inscrire l'entrée").click()
    wait_for(page, "document.querySelectorAll('#entries li.entry').length === 2")
    items = page.locator("#entries li.entry")
    assert "Fermeture du pont et de la passerelle" in items.nth(0).inner_text()
    assert "Corrige l'entrée du" in items.nth(0).inner_text()
    assert "Corrigée par" in items.nth(1).inner_text()
    pdf = page.locator("#log-pdf").get_attribute("href")
    assert pdf.startswith(f"/api/v1/tenants/{territory['tenant']}/risks/crisis-logs/")
    assert page.request.get(server.url + pdf).headers["content-type"] == "application/pdf"
    assert_accessible(page)
    # Population alert on the banner: preview, then send after confirming.
    page.locator("#alert-communes").get_by_label("Remiremont", exact=True).check()
    page.get_by_label("Niveau").select_option("orange")
    assert page.get_by_label("Bandeau de la page publique").is_checked()
    page.get_by_role("button", name="Prévisualiser l'alerte").click()
    page.locator("#preview:not([hidden])").wait_for()
    preview = _text(page.locator("#preview"))
    assert "Alerte crue — vigilance orange — Remiremont" in preview
    assert "Bandeau de la page publique : 1 destinataire(s)" in preview
    assert page.locator("#sent article").count() == 0
    page.get_by_role("button", name="Envoyer cette alerte").click()
    assert page.locator("#sent article").count() == 0  # nothing sent before confirming
    assert_accessible(page)
    page.get_by_role("button", name="Oui, envoyer maintenant").click()
    page.locator("#sent article").first.wait_for()
    sent = page.locator("#sent article").first
    assert "Alerte crue — vigilance orange — Remiremont" in sent.inner_text()
    row = _text(sent.locator("tbody tr").first)
    assert row.startswith("Bandeau de la page publique page publique du territoire envoyé")
    # The sending is written in the log, linked to the alert.
    page.locator("#entries li.entry", has_text="Alerte à la population envoyée").wait_for()
    link = page.locator("#entries li.entry").first.locator("a[href^='#pop-alert-']")
    assert link.count() == 1
    # Named by the alert's subject, not by its number.
    assert "Alerte crue — vigilance orange — Remiremont" in link.inner_text()
    assert_accessible(page)
    screenshot(page, "risques-crise", size)
    # Close the log, after confirming.
    page.get_by_role("button", name="Clôturer la main courante").click()
    page.get_by_role("button", name="Oui, clôturer").click()
    page.locator("#event", has_text="Aucun événement en cours").wait_for()
    assert "Crue de la Moselle" in page.locator(".crisis-previous").text_content()


def test_the_log_follows_what_the_others_write(server, web_db, web_registry, territory, page,
                                               size):
    """The crisis cell and an agent in the field keep the log at once: each page reads it
    again every 15 s (the page's clock is moved on here), says what came, and does not redraw
    it under the keyboard."""
    t = territory["tenant"]

    def as_admin(do):
        with web_db.write() as conn:
            admin = open_scope(web_db, conn, load_principal(
                conn, _user(conn, "admin@cc-vosges.fr")), t)
            return do(admin, conn)

    log = as_admin(lambda admin, conn: open_log(
        admin, conn, {"title": "Crue de la Moselle", "risk": "crue"}, now_ms()))

    def written_elsewhere(text: str) -> None:
        as_admin(lambda admin, conn: add_entry(admin, conn, log["id"],
                                               {"kind": "action", "text": text}, now_ms()))

    written_elsewhere("Caves inondées rue Haute")
    page.clock.install()
    login(page, server, then="/risques/crise")
    wait_for(page, "document.body.dataset.ready === '1'")
    entries = page.locator("#entries li.entry")
    assert entries.count() == 1
    status = page.locator("#status")

    written_elsewhere("Pont de la Moselle fermé")
    page.clock.fast_forward(16_000)
    wait_for(page, "document.querySelectorAll('#entries li.entry').length === 2")
    newest = _text(entries.first)
    assert "Pont de la Moselle fermé" in newest and "Adrien Admin" in newest
    assert status.inner_text() == "1 nouvelle entrée dans la main courante."

    # The keyboard on the log: nothing is redrawn under it until it leaves.
    page.get_by_role("button", name="Corriger").first.focus()
    written_elsewhere("Déviation par Saint-Étienne")
    written_elsewhere("Sacs de sable livrés")
    page.clock.fast_forward(16_000)
    page.wait_for_timeout(300)
    assert entries.count() == 2
    assert page.evaluate("document.activeElement.dataset.correct") is not None
    page.get_by_label("Texte de l'entrée").focus()
    page.clock.fast_forward(16_000)
    wait_for(page, "document.querySelectorAll('#entries li.entry').length === 4")
    assert status.inner_text() == "2 nouvelles entrées dans la main courante."

    # Closed from another post: the page says so and offers no entry form any more.
    as_admin(lambda admin, conn: close_log(admin, conn, log["id"], now_ms()))
    page.clock.fast_forward(16_000)
    status.get_by_text("Main courante clôturée.").wait_for()
    assert not page.locator("#entry-form").is_visible()
    assert "Aucun événement en cours" in page.locator("#event").inner_text()
    assert_accessible(page)


@AT_DESK
def test_crisis_mode_viewer_reads_only(server, web_db, web_registry, territory, page, size):
    _flood(web_db, web_registry, territory)
    t = territory["tenant"]
    with web_db.write() as conn:
        agent = open_scope(web_db, conn, load_principal(conn, _user(conn, "agent@cc-vosges.fr")), t)
        log = open_log(agent, conn, {"title": "Crue de la Moselle", "risk": "crue"}, now_ms())
        add_entry(agent, conn, log["id"], {"kind": "observation", "text": "Caves inondées"},
                  now_ms())
        compose(agent, conn, {"risk": "crue", "level": "jaune", "communes": ["88383"],
                              "channels": ["banner"]}, now_ms())
    login(page, server, email="elu@cc-vosges.fr", then="/risques")
    page.get_by_role("link", name="Mode crise").click()  # one click from /risques
    page.wait_for_url(f"{server.url}/risques/crise")
    wait_for(page, "document.body.dataset.ready === '1'")
    assert "Crue de la Moselle" in page.locator("#event").inner_text()
    assert "Caves inondées" in page.locator("#entries").inner_text()
    assert "Agnès Agent" in page.locator("#entries").inner_text()
    for hidden in ("#open-form", "#entry-form", "#alert-form"):
        assert not page.locator(hidden).is_visible()
    assert page.locator("main button:visible").count() == 0
    assert page.get_by_role("link", name="Télécharger la main courante (PDF)").count() == 1
    sent = _text(page.locator("#sent article").first)
    assert "Bandeau de la page publique : 1 envoyé(s), 0 en attente, 0 échec(s)" in sent
    assert page.locator("#sent table").count() == 0  # no recipient detail for a viewer
    zone = _text(page.locator("#zones li", has_text="Quartier de la gare"))
    assert "réservé aux référents du registre" in zone and "Inondée" not in zone
    assert page.get_by_role("link", name="Liste d'appels du registre").count() == 1
    assert_accessible(page)
