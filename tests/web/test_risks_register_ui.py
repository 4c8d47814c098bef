"""The call list of the vulnerable-persons register (/risques/appels): a referent sees the
persons by priority and records a follow-up with the keyboard, at phone and desktop sizes,
audited by axe; a member who is not a referent sees the refusal and no name."""

from __future__ import annotations

from sqlalchemy import select

from beffroi.core.access import CLI, load_principal, open_scope
from beffroi.domains.risks.register.persons import CONSENT_VERSION, enrol
from beffroi.domains.risks.register.referents import grant_referent
from beffroi.storage import schema

from .conftest import ON_PHONE, assert_accessible, login, screenshot, wait_for


def _person(last, lives_alone, needs, coords):
    return {"last_name": last, "first_name": "Fictive", "category": "senior",
            "commune": "88383", "address": "1 rue Imaginaire",
            "location": {"type": "Point", "coordinates": coords},
            "phones": ["03 29 00 00 01"], "needs": needs, "lives_alone": lives_alone,
            "contacts": [{"name": "Voisin Fictif", "relation": "neighbour",
                          "phone": "06 00 00 00 03"}],
            "consent": {"given": True, "enrolled_by": "self", "request_date": "2026-01-05",
                        "version": CONSENT_VERSION}}


def test_call_list_page(server, web_db, territory, page, size):
    db, t = web_db, territory["tenant"]
    with db.write() as conn:
        agent_id = conn.execute(select(schema.users.c.id).where(
            schema.users.c.email == "agent@cc-vosges.fr")).scalar()
        grant_referent(open_scope(db, conn, CLI, t), conn, agent_id)
        scope = open_scope(db, conn, load_principal(conn, agent_id), t)
        enrol(scope, conn, _person("Entourée", False, [], [6.59, 48.02]))
        enrol(scope, conn, _person("Isolée", True, ["mobility"], [6.60, 48.02]))
    login(page, server, then="/risques/appels")
    wait_for(page, "document.body.dataset.ready === '2'")
    names = page.locator("#persons h2").all_inner_texts()
    assert names == ["Isolée Fictive", "Entourée Fictive"]
    assert "Priorité 1" in page.locator("#persons li").first.inner_text()
    assert page.locator("#persons li").first.locator("a[href='tel:0329000001']").count() == 1
    assert_accessible(page)
    screenshot(page, "risques-appels", size)
    # Keyboard: choose "Joint" for the first person and save it.
    choice = page.get_by_label("Suivi de Fictive Isolée")
    choice.focus()
    choice.select_option("reached")
    page.keyboard.press("Tab")
    page.keyboard.type("Va bien")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    wait_for(page, "document.querySelector('#persons li .state')?.textContent.includes('Joint')")
    assert "Va bien" in page.locator("#persons li .state").first.inner_text()
    assert "1 jointe" in page.locator("#summary").inner_text()


@ON_PHONE
def test_call_list_refused_to_a_non_referent(server, territory, page, size):
    login(page, server, email="admin@cc-vosges.fr", then="/risques/appels")
    wait_for(page, "!document.getElementById('message').hidden")
    assert "référents du registre" in page.locator("#message").inner_text()
    assert page.locator("#persons li").count() == 0
    assert_accessible(page)
