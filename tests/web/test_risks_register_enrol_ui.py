"""The enrolment page of the vulnerable-persons register (/risques/registre): a referent
enrols a person with the keyboard only (home position typed), a missing field shows its
French error next to it, the person is then listed and stored as typed; a territory
administrator designates a referent; a member who is not a referent sees the refusal and no
name. Audited by axe at phone and desktop sizes."""

from __future__ import annotations

import json

from sqlalchemy import select

from beffroi.core.access import CLI, open_scope
from beffroi.domains.risks.register.persons import CONSENT_VERSION
from beffroi.domains.risks.register.referents import grant_referent
from beffroi.storage import schema

from .conftest import AT_DESK, ON_PHONE, assert_accessible, login, screenshot, wait_for


def _user_id(conn, email):
    return conn.execute(select(schema.users.c.id).where(schema.users.c.email == email)).scalar()


def _type_into(page, label, text):
    """Tab-free typing into a labelled field: focus it as a keyboard user would reach it
    (the label names it), then type key by key."""
    page.get_by_label(label, exact=True).focus()
    page.keyboard.type(text)


@AT_DESK
def test_enrol_with_the_keyboard(server, web_db, territory, page, size):
    db, t = web_db, territory["tenant"]
    with db.write() as conn:
        grant_referent(open_scope(db, conn, CLI, t), conn, _user_id(conn, "agent@cc-vosges.fr"))
    login(page, server, then="/risques/registre")
    wait_for(page, "document.body.dataset.ready === 'register'")
    assert page.locator("#persons-summary").inner_text() == "0 personne inscrite."
    assert CONSENT_VERSION in page.locator("#consent-version").inner_text()
    assert "L121-6-1" in page.locator("#consent-text").inner_text()
    assert page.locator("#referents").is_hidden()  # an agent designates nobody
    assert_accessible(page)

    # The form, filled with the keyboard only; the first name is forgotten.
    _type_into(page, "Nom (obligatoire)", "Fictive")
    page.get_by_label("Situation").focus()
    page.keyboard.press("ArrowDown")  # « 65 ans ou plus »
    page.get_by_label("Commune (obligatoire)", exact=True).focus()
    page.keyboard.press("ArrowDown")  # Remiremont
    _type_into(page, "Adresse (obligatoire)", "3 rue Imaginaire")
    _type_into(page, "Longitude", "6,5912")
    page.keyboard.press("Tab")
    page.keyboard.type("48.0209")
    page.keyboard.press("Tab")
    _type_into(page, "Téléphone principal (obligatoire)", "03 29 00 00 01")
    page.get_by_role("button", name="Ajouter une personne à prévenir").focus()
    page.keyboard.press("Enter")
    page.keyboard.type("Voisin Fictif")  # the new row's name has the focus
    page.keyboard.press("Tab")
    page.keyboard.press("ArrowDown")  # voisin
    page.keyboard.press("Tab")
    page.keyboard.type("06 00 00 00 03")
    page.get_by_label("Mobilité réduite").focus()
    page.keyboard.press("Space")
    page.get_by_label("Vit seul(e)").focus()
    page.keyboard.press("Space")
    page.get_by_label("La personne (ou son représentant) a donné son consentement").focus()
    page.keyboard.press("Space")
    page.get_by_label("Date de la demande écrite").focus()
    # Day and month alike: Chromium orders them by the system's locale, not the page's.
    page.keyboard.type("01012026")
    assert page.get_by_label("Date de la demande écrite").input_value() == "2026-01-01"
    page.keyboard.press("Enter")  # submits the form

    first_name = page.get_by_label("Prénom (obligatoire)", exact=True)
    wait_for(page, "document.getElementById('f-first_name-error').textContent !== ''")
    assert page.locator("#f-first_name-error").inner_text() == "Prénom : obligatoire."
    assert first_name.get_attribute("aria-invalid") == "true"
    assert page.evaluate("document.activeElement.id") == "f-first_name"
    assert "Prénom : obligatoire." in page.locator("#form-errors").inner_text()
    assert page.locator("#f-last_name-error").inner_text() == ""
    assert_accessible(page)
    with db.read() as conn:
        assert conn.execute(select(schema.register_persons.c.id)).first() is None

    page.keyboard.type("Jeanne")
    page.get_by_role("button", name="Inscrire", exact=True).focus()
    page.keyboard.press("Enter")
    wait_for(page, "document.body.dataset.ready === 'register'")
    wait_for(page, "document.body.dataset.persons === '1'")
    row = page.locator("#persons tr").first
    assert row.locator("th").inner_text() == "Fictive Jeanne"
    cells = row.locator("td").all_inner_texts()
    assert cells[0] == "Remiremont"
    assert cells[1].startswith("1 ")  # alone and with a need: first priority
    assert "inscrit(e) au registre" in page.locator("#status").inner_text()
    assert page.get_by_label("Prénom (obligatoire)", exact=True).input_value() == ""  # the form is reset
    with db.read() as conn:
        p = conn.execute(select(schema.register_persons)).one()
        contacts = conn.execute(select(schema.register_contacts)).all()
    assert (p.last_name, p.first_name, p.commune_insee, p.category) == (
        "Fictive", "Jeanne", "88383", "senior")
    assert (p.lon, p.lat) == (6.5912, 48.0209)
    assert p.phones == '["03 29 00 00 01"]' and p.needs == '["mobility"]'
    assert p.lives_alone and p.request_date == "2026-01-01" and p.enrolled_by == "self"
    assert [(c.name, c.relation, c.phone) for c in contacts] == [
        ("Voisin Fictif", "neighbour", "06 00 00 00 03")]
    screenshot(page, "risques-registre", size)
    assert_accessible(page)


@ON_PHONE
def test_delete_asks_before_deleting(server, web_db, territory, page, size):
    from beffroi.core.access import load_principal
    from beffroi.domains.risks.register.persons import enrol

    db, t = web_db, territory["tenant"]
    with db.write() as conn:
        agent = _user_id(conn, "agent@cc-vosges.fr")
        grant_referent(open_scope(db, conn, CLI, t), conn, agent)
        enrol(open_scope(db, conn, load_principal(conn, agent), t), conn, {
            "last_name": "Radiée", "first_name": "Fictive", "category": "senior",
            "commune": "88383", "address": "1 rue Imaginaire",
            "location": {"type": "Point", "coordinates": [6.6, 48.02]},
            "phones": ["03 29 00 00 01"], "lives_alone": False,
            "consent": {"given": True, "enrolled_by": "self", "request_date": "2026-01-05",
                        "version": CONSENT_VERSION}})
    login(page, server, then="/risques/registre")
    wait_for(page, "document.body.dataset.ready === 'register'")
    wait_for(page, "document.body.dataset.persons === '1'")
    page.get_by_role("button", name="Supprimer la fiche de Radiée Fictive").focus()
    page.keyboard.press("Enter")
    assert page.locator("#delete-dialog").is_visible()
    assert page.evaluate("document.activeElement.id") == "delete-cancel"
    page.keyboard.press("Enter")  # « Annuler »: nothing is deleted
    assert page.locator("#delete-dialog").is_hidden()
    with db.read() as conn:
        assert conn.execute(select(schema.register_persons.c.id)).first() is not None
    page.get_by_role("button", name="Supprimer la fiche de Radiée Fictive").click()
    page.get_by_role("button", name="Supprimer définitivement").click()
    wait_for(page, "document.body.dataset.persons === '0'")
    with db.read() as conn:
        assert conn.execute(select(schema.register_persons.c.id)).first() is None


@AT_DESK
def test_admin_designates_a_referent(server, web_db, territory, page, size):
    login(page, server, email="admin@cc-vosges.fr", then="/risques/registre")
    wait_for(page, "document.body.dataset.ready === 'refused'")
    # Not a referent themselves: the refusal, but the designation of referents.
    assert "référents du registre" in page.locator("#message").inner_text()
    assert page.locator("#register").is_hidden()
    box = page.get_by_label("Référent du registre : Agnès Agent")
    assert not box.is_checked()
    assert_accessible(page)
    box.focus()
    page.keyboard.press("Space")
    wait_for(page, "document.body.dataset.referents === '1'")
    assert "Agnès Agent est désigné(e)" in page.locator("#referents-status").inner_text()
    assert page.get_by_label("Référent du registre : Agnès Agent").is_checked()
    with web_db.read() as conn:
        r = schema.register_referents
        assert [row.user_id for row in conn.execute(select(r.c.user_id))] == [
            _user_id(conn, "agent@cc-vosges.fr")]
    page.get_by_label("Référent du registre : Agnès Agent").focus()
    page.keyboard.press("Space")
    wait_for(page, "document.body.dataset.referents === '0'")
    with web_db.read() as conn:
        assert conn.execute(select(schema.register_referents.c.user_id)).first() is None


@ON_PHONE
def test_non_referent_sees_the_refusal(server, web_db, territory, page, size):
    from beffroi.core.access import load_principal
    from beffroi.domains.risks.register.persons import enrol

    db, t = web_db, territory["tenant"]
    with db.write() as conn:  # someone else enrolled a person: the agent must not see them
        admin = _user_id(conn, "admin@cc-vosges.fr")
        grant_referent(open_scope(db, conn, CLI, t), conn, admin)
        enrol(open_scope(db, conn, load_principal(conn, admin), t), conn, {
            "last_name": "Secrète", "first_name": "Fictive", "category": "senior",
            "commune": "88383", "address": "1 rue Imaginaire",
            "location": {"type": "Point", "coordinates": [6.6, 48.02]},
            "phones": ["03 29 00 00 01"], "lives_alone": False,
            "consent": {"given": True, "enrolled_by": "self", "request_date": "2026-01-05",
                        "version": CONSENT_VERSION}})
    login(page, server, then="/risques/registre")
    wait_for(page, "document.body.dataset.ready === 'refused'")
    assert "référents du registre" in page.locator("#message").inner_text()
    assert "Secrète" not in page.content()
    assert page.locator("#register").is_hidden() and page.locator("#referents").is_hidden()
    assert_accessible(page)


@AT_DESK
def test_links_to_the_register(server, territory, page, size):
    login(page, server, then="/risques/appels")
    link = page.get_by_role("link", name="Registre des personnes vulnérables : inscriptions")
    assert link.get_attribute("href") == "/risques/registre"
    page.goto(f"{server.url}/risques")
    link = page.locator("#crisis-entry a[href='/risques/registre']")
    link.wait_for()
    assert link.inner_text() == "Registre des personnes vulnérables"


@ON_PHONE
def test_tap_on_the_map_edit_and_confirm(server, web_db, territory, page, size):
    from beffroi.core.access import load_principal
    from beffroi.domains.risks.register.persons import enrol

    db, t = web_db, territory["tenant"]
    with db.write() as conn:
        agent = _user_id(conn, "agent@cc-vosges.fr")
        grant_referent(open_scope(db, conn, CLI, t), conn, agent)
        person = enrol(open_scope(db, conn, load_principal(conn, agent), t), conn, {
            "last_name": "Déplacée", "first_name": "Fictive", "category": "disabled",
            "commune": "88383", "address": "1 rue Imaginaire",
            "location": {"type": "Point", "coordinates": [6.6, 48.02]},
            "phones": ["03 29 00 00 01", "06 00 00 00 09"], "lives_alone": False,
            "consent": {"given": True, "enrolled_by": "third_party", "requester": "Fils",
                        "request_date": "2026-01-05", "version": CONSENT_VERSION}})
    login(page, server, then="/risques/registre")
    wait_for(page, "document.body.dataset.ready === 'register'")
    wait_for(page, "document.body.dataset.persons === '1'")
    page.get_by_role("button", name="Modifier la fiche de Déplacée Fictive").click()
    wait_for(page, "document.getElementById('f-last_name').value === 'Déplacée'")
    assert page.locator("#person-form-title").inner_text() == "Modifier la fiche de Fictive Déplacée"
    assert page.get_by_label("Deuxième téléphone (facultatif)").input_value() == "06 00 00 00 09"
    assert page.get_by_role("radio", name="Un tiers").is_checked()
    # The map is centred on the home being edited: a tap in its middle gives the home's
    # position back (within a map pixel); a tap 80 px to the right of it, a point due east.
    page.locator("#location-map").scroll_into_view_if_needed()
    box = page.locator("#location-map").bounding_box()
    middle = (box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.click(*middle)
    lon = float(page.get_by_label("Longitude").input_value())
    lat = float(page.get_by_label("Latitude").input_value())
    assert abs(lon - 6.60) < 0.001 and abs(lat - 48.02) < 0.001
    page.mouse.click(middle[0] + 80, middle[1])
    lon = float(page.get_by_label("Longitude").input_value())
    lat = float(page.get_by_label("Latitude").input_value())
    assert lon > 6.60 + 0.001 and abs(lat - 48.02) < 0.001
    assert "Domicile placé" in page.locator("#status").inner_text()
    page.get_by_role("button", name="Enregistrer les modifications").click()
    wait_for(page, "document.getElementById('status').textContent.includes('rectifiée')")
    with db.read() as conn:
        row = conn.execute(select(schema.register_persons)).one()
    assert (round(row.lon, 6), round(row.lat, 6)) == (lon, lat)
    assert row.requester == "Fils" and json.loads(row.phones) == ["03 29 00 00 01", "06 00 00 00 09"]
    # Re-confirmation, audited.
    page.get_by_role("button", name="Confirmer l'inscription de Déplacée Fictive").click()
    wait_for(page, "document.getElementById('status').textContent.includes('confirmée')")
    with db.read() as conn:
        a = schema.audit_log
        actions = [r.action for r in conn.execute(select(a.c.action).where(
            a.c.entity == "register_person", a.c.entity_id == person["id"]))]
    assert "register.update" in actions and "register.confirm" in actions
