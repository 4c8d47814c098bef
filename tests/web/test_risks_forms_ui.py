"""The risks pages' forms under a double click and when they fail: a double click on « Oui,
envoyer maintenant », « Ouvrir la main courante », « Inscrire » (register) or « Enregistrer »
(call list) sends one request and makes one object; an error is shown beside the form or
button concerned, its field marked aria-invalid and described by it, the focus on the field
(or on the error beside the button for a group of checkboxes or a network failure), in the
words on screen; a network failure is said in French. At phone and desktop sizes."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select

from beffroi.core.access import CLI, load_principal, open_scope
from beffroi.core.clock import PARIS, now_ms
from beffroi.domains.risks.crisis_log import open_log
from beffroi.domains.risks.register.persons import CONSENT_VERSION, enrol
from beffroi.domains.risks.register.referents import grant_referent
from beffroi.storage import schema

from .conftest import AT_DESK, ON_PHONE, assert_accessible, login, wait_for

OFFLINE = "Connexion impossible : rien n'a été enregistré, réessayez."


def _as_agent(db, territory, do):
    """``do(scope, conn)`` as the agent, made a referent of the register first."""
    t = territory["tenant"]
    with db.write() as conn:
        agent_id = conn.execute(select(schema.users.c.id).where(
            schema.users.c.email == "agent@cc-vosges.fr")).scalar()
        grant_referent(open_scope(db, conn, CLI, t), conn, agent_id)
        return do(open_scope(db, conn, load_principal(conn, agent_id), t), conn)


def _count(db, table) -> int:
    with db.read() as conn:
        return conn.execute(select(func.count()).select_from(table)).scalar()


def _posts(page, path_end: str) -> list[str]:
    """The POST requests the page makes to a URL ending with ``path_end``, as they go."""
    sent: list[str] = []
    page.on("request", lambda r: sent.append(r.url)
            if r.method == "POST" and r.url.endswith(path_end) else None)
    return sent


def _in_view(page, element_id: str) -> bool:
    return page.evaluate("""(id) => { const r = document.getElementById(id).getBoundingClientRect();
      return r.height > 0 && r.top >= 0 && r.bottom <= innerHeight; }""", element_id)


def _focused(page) -> str:
    return page.evaluate("document.activeElement.id")


def _person(last_name: str) -> dict:
    return {"last_name": last_name, "first_name": "Fictive", "category": "senior",
            "commune": "88383", "address": "1 rue Imaginaire",
            "location": {"type": "Point", "coordinates": [6.6, 48.02]},
            "phones": ["03 29 00 00 01"], "lives_alone": True, "needs": [], "contacts": [],
            "consent": {"given": True, "enrolled_by": "self", "request_date": "2026-01-05",
                        "version": CONSENT_VERSION}}


# -- double clicks ---------------------------------------------------------------------------
@AT_DESK
def test_a_double_click_sends_one_population_alert(server, web_db, territory, page, size):
    _as_agent(web_db, territory, lambda agent, conn: open_log(
        agent, conn, {"title": "Crue de la Moselle", "risk": "crue"}, now_ms()))
    login(page, server, then="/risques/crise")
    wait_for(page, "document.body.dataset.ready === '1'")
    posts = _posts(page, "/risks/population-alerts")
    page.locator("#alert-communes").get_by_label("Remiremont", exact=True).check()
    assert page.get_by_label("Bandeau de la page publique").is_checked()
    page.get_by_role("button", name="Prévisualiser l'alerte").click()
    page.get_by_role("button", name="Envoyer cette alerte").click()
    page.get_by_role("button", name="Oui, envoyer maintenant").dblclick()
    page.locator("#sent article").first.wait_for()
    page.locator("#entries li.entry", has_text="Alerte à la population envoyée").wait_for()
    page.wait_for_timeout(500)  # a second request would have been sent by now
    assert len(posts) == 1
    assert _count(web_db, schema.population_alerts) == 1
    assert _count(web_db, schema.crisis_log_entries) == 1
    assert page.locator("#sent article").count() == 1


@AT_DESK
def test_a_double_click_opens_one_crisis_log(server, web_db, territory, page, size):
    login(page, server, then="/risques/crise")
    wait_for(page, "document.body.dataset.ready === '1'")
    posts = _posts(page, "/risks/crisis-logs")
    page.get_by_label("Titre de l'événement").fill("Crue de la Moselle")
    page.get_by_role("button", name="Ouvrir la main courante").dblclick()
    page.locator("#log-name", has_text="Crue de la Moselle").wait_for()
    page.wait_for_timeout(500)
    assert len(posts) == 1
    assert _count(web_db, schema.crisis_logs) == 1
    assert page.locator("#message").is_hidden()


@ON_PHONE
def test_a_double_click_enrols_one_person(server, web_db, territory, page, size):
    _as_agent(web_db, territory, lambda agent, conn: None)
    login(page, server, then="/risques/registre")
    wait_for(page, "document.body.dataset.ready === 'register'")
    posts = _posts(page, "/risks/register/persons")
    page.get_by_label("Nom (obligatoire)", exact=True).fill("Fictive")
    page.get_by_label("Prénom (obligatoire)", exact=True).fill("Jeanne")
    page.get_by_label("Situation (obligatoire)").select_option("senior")
    page.get_by_label("Commune (obligatoire)", exact=True).select_option("88383")
    page.get_by_label("Adresse (obligatoire)").fill("3 rue Imaginaire")
    page.get_by_label("Longitude").fill("6,5912")
    page.get_by_label("Latitude").fill("48.0209")
    page.get_by_label("Téléphone principal (obligatoire)").fill("03 29 00 00 01")
    page.get_by_label("La personne (ou son représentant) a donné son consentement").check()
    yesterday = datetime.fromtimestamp(now_ms() / 1000, PARIS).date() - timedelta(days=1)
    page.get_by_label("Date de la demande écrite").fill(yesterday.isoformat())
    page.get_by_role("button", name="Inscrire", exact=True).dblclick()
    wait_for(page, "document.body.dataset.persons === '1'")
    page.wait_for_timeout(500)
    assert len(posts) == 1
    assert _count(web_db, schema.register_persons) == 1
    assert page.locator("#persons tr").count() == 1


@ON_PHONE
def test_a_double_click_records_one_call(server, web_db, territory, page, size):
    _as_agent(web_db, territory, lambda agent, conn: enrol(agent, conn, _person("Isolée")))
    login(page, server, then="/risques/appels")
    wait_for(page, "document.body.dataset.ready === '1'")
    posts = _posts(page, "/calls")
    page.get_by_label("Suivi de Fictive Isolée").select_option("reached")
    page.get_by_role("button", name="Enregistrer").dblclick()
    wait_for(page, "document.querySelector('#persons li .state')?.textContent.includes('Joint')")
    page.wait_for_timeout(500)
    assert len(posts) == 1
    assert _count(web_db, schema.register_calls) == 1


# -- errors where the user acted -------------------------------------------------------------
@ON_PHONE
def test_a_crisis_entry_error_is_beside_its_field(server, web_db, territory, page, size):
    _as_agent(web_db, territory, lambda agent, conn: open_log(
        agent, conn, {"title": "Crue de la Moselle", "risk": "crue"}, now_ms()))
    login(page, server, then="/risques/crise")
    wait_for(page, "document.body.dataset.ready === '1'")
    text = page.get_by_label("Texte de l'entrée")
    text.fill("    ")  # spaces only
    page.get_by_role("button", name="Inscrire l'entrée").click()
    wait_for(page, "document.getElementById('entry-text-error').textContent !== ''")
    assert page.locator("#entry-text-error").inner_text() == (
        "Texte de l'entrée : obligatoire (des espaces seuls ne suffisent pas)")
    assert text.get_attribute("aria-invalid") == "true"
    assert "entry-text-error" in text.get_attribute("aria-describedby").split()
    assert _focused(page) == "entry-text"
    assert _in_view(page, "entry-text-error")
    assert page.locator("#entry-form #entry-error").is_visible()  # beside the button
    assert page.locator("#message").is_hidden()  # nothing at the top of the page
    assert_accessible(page)
    # The network cut: said in French, beside the button, focused; the field is unmarked.
    page.route("**/risks/crisis-logs/*/entries", lambda route: route.abort())
    text.fill("Caves inondées rue Haute")
    page.get_by_role("button", name="Inscrire l'entrée").click()
    wait_for(page, "!document.getElementById('entry-error').hidden "
                   "&& document.getElementById('entry-error').textContent.includes('Connexion')")
    assert page.locator("#entry-error").inner_text() == OFFLINE
    assert _focused(page) == "entry-error" and _in_view(page, "entry-error")
    assert text.get_attribute("aria-invalid") is None
    assert page.get_by_role("button", name="Inscrire l'entrée").is_enabled()  # to try again
    assert text.input_value() == "Caves inondées rue Haute"  # kept for the new try
    assert _count(web_db, schema.crisis_log_entries) == 0


@AT_DESK
def test_an_alert_without_target_nor_channel_says_it_beside_the_button(server, web_db,
                                                                       territory, page, size):
    login(page, server, then="/risques/crise")
    wait_for(page, "document.body.dataset.ready === '1'")
    page.get_by_label("Bandeau de la page publique").uncheck()
    page.get_by_role("button", name="Prévisualiser l'alerte").click()
    wait_for(page, "!document.getElementById('alert-error').hidden")
    box = page.locator("#alert-form #alert-error").inner_text()
    assert "Choisissez au moins un canal : e-mail, SMS ou bandeau de la page publique" in box
    assert "Choisissez au moins une commune ou une zone" in box
    assert "banner" not in box and "attendue" not in box  # no internal code
    assert _focused(page) == "alert-error" and _in_view(page, "alert-error")
    assert page.locator("#alert-channels-error").inner_text() == (
        "Choisissez au moins un canal : e-mail, SMS ou bandeau de la page publique")
    assert page.locator("#alert-communes-error").inner_text() == (
        "Choisissez au moins une commune ou une zone")
    banner = page.get_by_label("Bandeau de la page publique")
    assert banner.get_attribute("aria-invalid") == "true"
    assert "alert-channels-error" in banner.get_attribute("aria-describedby").split()
    remiremont = page.locator("#alert-communes").get_by_label("Remiremont", exact=True)
    assert remiremont.get_attribute("aria-invalid") == "true"
    assert page.locator("#message").is_hidden()
    assert_accessible(page)


@ON_PHONE
def test_an_empty_register_form_names_what_is_missing(server, web_db, territory, page, size):
    _as_agent(web_db, territory, lambda agent, conn: None)
    login(page, server, then="/risques/registre")
    wait_for(page, "document.body.dataset.ready === 'register'")
    required = ["f-last_name", "f-first_name", "f-category", "f-commune", "f-address", "f-lon",
                "f-lat", "f-phones-0", "f-consent-given", "f-consent-request_date"]
    for field in required:  # announced as required, and said so on screen (RGAA 11.10.1)
        assert page.locator(f"#{field}").get_attribute("required") is not None, field
    for label in ("Nom", "Prénom", "Situation", "Commune", "Adresse", "Téléphone principal",
                  "Date de la demande écrite"):
        assert page.get_by_label(f"{label} (obligatoire)", exact=True).count() == 1, label
    assert "(obligatoire)" in page.locator("fieldset.location legend").inner_text()
    page.get_by_role("button", name="Inscrire", exact=True).click()
    wait_for(page, "document.getElementById('f-commune-error').textContent !== ''")
    assert _focused(page) == "f-last_name"
    for field in required:
        assert page.locator(f"#{field}").get_attribute("aria-invalid") == "true", field
    assert page.locator("#f-commune-error").inner_text() == "Commune : obligatoire."
    assert page.locator("#f-category-error").inner_text() == (
        "Situation : obligatoire (art. L121-6-1 CASF).")
    assert page.locator("#f-location-error").inner_text() == (
        "Position du domicile : obligatoire (placez le point sur la carte ou saisissez "
        "longitude et latitude).")
    assert page.locator("#f-phones-0-error").inner_text() == "Téléphone principal : obligatoire."
    assert "f-phones-0-error" in page.locator("#f-phones-0").get_attribute("aria-describedby")
    summary = page.locator("#form-errors").inner_text()
    for leaked in ("None", "senior", "unfit_60", "GeoJSON", "coordinates"):
        assert leaked not in summary, leaked
    assert_accessible(page)
    # A longitude that is no number: said as such, before the API's « obligatoire ».
    page.get_by_label("Longitude").fill("abc")
    page.get_by_label("Latitude").fill("48,02")
    page.get_by_role("button", name="Inscrire", exact=True).click()
    wait_for(page, "document.getElementById('f-location-error').textContent.includes('Longitude')")
    assert page.locator("#f-location-error").inner_text() == (
        "Longitude : nombre attendu (degrés décimaux, par exemple 6,59).")
    assert page.locator("#f-lon").get_attribute("aria-invalid") == "true"
    assert page.locator("#f-lat").get_attribute("aria-invalid") is None
    assert _count(web_db, schema.register_persons) == 0


@ON_PHONE
def test_a_call_list_network_cut_is_said_beside_the_form(server, web_db, territory, page, size):
    _as_agent(web_db, territory, lambda agent, conn: enrol(agent, conn, _person("Isolée")))
    login(page, server, then="/risques/appels")
    wait_for(page, "document.body.dataset.ready === '1'")
    page.route("**/calls", lambda route: route.abort()
               if route.request.method == "POST" else route.continue_())
    page.get_by_label("Suivi de Fictive Isolée").select_option("reached")
    page.get_by_role("button", name="Enregistrer").click()
    box = page.locator("li[data-person] form .form-error")
    box.wait_for()
    assert box.inner_text() == OFFLINE
    assert page.evaluate("document.activeElement.classList.contains('form-error')")
    assert page.locator("#message").is_hidden()
    assert _count(web_db, schema.register_calls) == 0
