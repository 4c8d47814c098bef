"""The administration page's webhooks (« Webhooks »), in Chromium: the territory's webhooks
listed in French; one created, its secret shown once with how to check a signature; the
API's refusals under their field, nothing typed lost; edited, disabled, deleted after a
confirmation; a test delivery queued in the outbox and its result read back; agents kept
out; all of it with the keyboard."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select, update

from beffroi.core.access import CLI, open_scope
from beffroi.notifications import webhooks
from beffroi.storage import schema

from .conftest import AT_DESK, ON_PHONE, SIZES, assert_accessible, login, screenshot
from .french_dates import long_date
from .test_security_pages import STICKING_OUT

ADMIN = "admin@cc-vosges.fr"
REFUSED = "destination refusée (adresse locale, privée ou réservée)"
BAD_URL = "adresse http(s)://… de 1000 caractères au plus attendue"


def _add(web_db, web_registry, territory, **data):
    with web_db.write() as conn:
        row, _ = webhooks.create_webhook(open_scope(web_db, conn, CLI, territory["tenant"]),
                                         conn, web_registry, data)
    return row


def _stored(web_db, territory) -> list:
    w = schema.webhooks
    with web_db.read() as conn:
        return list(conn.execute(select(w).where(w.c.tenant_id == territory["tenant"])
                                 .order_by(w.c.id)))


def _open(page, server) -> None:
    login(page, server, email=ADMIN, then="/administration")
    page.locator("#webhooks ul, #webhooks p").first.wait_for()


def _item(page, name: str):
    return page.locator("#webhooks li").filter(
        has=page.get_by_role("heading", name=name, exact=True))


def _facts(item) -> dict[str, str]:
    terms = item.locator("dt").all_inner_texts()
    return dict(zip(terms, item.locator("dd").all_inner_texts(), strict=True))


# -- display: both sizes ----------------------------------------------------------------------
def test_webhooks_are_listed_in_french(page, server, web_db, web_registry, territory, size):
    _add(web_db, web_registry, territory, name="Supervision du syndicat",
         url="https://hooks.example.fr/beffroi", min_severity="critical",
         domains=["water", "lighting"])
    _add(web_db, web_registry, territory, url="https://tickets.example.org/in", enabled=False)
    _open(page, server)
    toc = page.get_by_role("navigation", name="Sections de l'administration")
    assert toc.get_by_role("link", name="Webhooks").is_visible()
    assert page.get_by_role("heading", name="Webhooks", exact=True).is_visible()

    items = page.locator("#webhooks li")
    assert items.count() == 2
    first, second = _item(page, "Supervision du syndicat"), _item(page, "tickets.example.org")
    assert _facts(first) | {"Créé le": ""} == {"Adresse": "https://hooks.example.fr/beffroi",
                     "À partir de la gravité": "Critique",
                     "Domaines": "Eau potable, Éclairage public", "État": "Actif",
                     "Créé le": ""}
    assert _facts(second) | {"Créé le": ""} == {
        "Adresse": "https://tickets.example.org/in", "À partir de la gravité": "Avertissement",
        "Domaines": "tous", "État": "Désactivé", "Créé le": ""}
    # « 7 décembre 2026 », « 1er décembre 2026 »: today, in the territory's time (Paris).
    assert _facts(first)["Créé le"] == long_date(datetime.now(UTC))
    # A disabled webhook offers « Activer », and no test delivery.
    assert first.get_by_role("button", name="Envoyer un essai au webhook « Supervision du "
                                            "syndicat »").is_visible()
    assert second.get_by_role("button", name="Activer le webhook « tickets.example.org »"
                              ).is_visible()
    assert second.get_by_role("button", name="Envoyer un essai").count() == 0
    # The form: the registry's domains, by their French names; the secret hidden.
    assert page.locator("#webhook-domain-list label").all_inner_texts() == [
        "Bâtiments publics", "Capteurs connectés", "Collecte des déchets", "Eau potable",
        "Éclairage public", "Générique", "Risques climatiques"]
    assert page.get_by_label("À partir de la gravité").input_value() == "warning"
    assert page.locator("#webhook-secret").is_hidden()
    assert_accessible(page)
    page.get_by_role("heading", name="Webhooks", exact=True).scroll_into_view_if_needed()
    screenshot(page, "administration-webhooks", size)


# -- behaviours: at the desk of the administration -------------------------------------------
@AT_DESK
def test_admin_creates_a_webhook_and_sees_its_secret_once(page, server, web_db, territory,
                                                         size):
    _open(page, server)
    assert page.locator("#webhooks").inner_text().startswith("Aucun webhook")
    # With the keyboard only: field to field with Tab, a domain ticked with Space.
    page.get_by_label("Nom (facultatif").focus()
    page.keyboard.type("Supervision du syndicat")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "webhook-url"
    page.keyboard.type("https://hooks.example.fr/beffroi")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "webhook-severity"
    page.get_by_label("À partir de la gravité").select_option("critical")
    page.get_by_label("Eau potable").focus()
    page.keyboard.press("Space")
    page.get_by_role("button", name="Créer le webhook").focus()
    page.keyboard.press("Enter")

    secret_box = page.locator("#webhook-secret")
    secret_box.wait_for()
    [stored] = _stored(web_db, territory)
    secret = page.get_by_label("Secret (affiché une seule fois)")
    assert secret.input_value() == stored.secret and stored.secret.startswith("bwh_")
    assert page.evaluate("document.activeElement.id") == "webhook-secret-value"
    assert secret.get_attribute("aria-describedby") == "webhook-secret-warning"
    assert "Secret à copier maintenant, il ne sera plus affiché." in " ".join(
        page.locator("#webhook-secret-warning").inner_text().split())
    assert page.get_by_role("heading", name="Secret du webhook « Supervision du syndicat »"
                            ).is_visible()
    assert page.locator("#webhooks-status").inner_text() == (
        "Webhook « Supervision du syndicat » créé. Copiez son secret maintenant : il ne sera "
        "plus affiché.")
    assert (stored.name, stored.url, stored.min_severity, stored.enabled) == (
        "Supervision du syndicat", "https://hooks.example.fr/beffroi", "critical", True)
    assert "water" in stored.domains
    assert _facts(_item(page, "Supervision du syndicat"))["Domaines"] == "Eau potable"
    # The form is back to a new webhook.
    assert page.get_by_label("Adresse du récepteur").input_value() == ""
    assert page.get_by_label("Eau potable").is_checked() is False

    # How to check a signature: a disclosure opened from the keyboard.
    help_text = page.locator(".signature-help")
    assert help_text.locator("ul").is_hidden()
    help_text.locator("summary").focus()
    page.keyboard.press("Enter")
    help_text.locator("ul").wait_for()
    said = " ".join(help_text.inner_text().split())
    for words in ("X-Beffroi-Signature", "X-Beffroi-Timestamp", "X-Beffroi-Event",
                  "X-Beffroi-Delivery", "sha256=", "HMAC-SHA256", "« horodatage.corps »",
                  "corps brut de la requête", "5 minutes"):
        assert words in said, words
    assert_accessible(page)
    # The secret, the headers and the webhook's address reflow on a 320 px screen.
    page.set_viewport_size({"width": 320, "height": 640})
    assert page.evaluate(STICKING_OUT)["overflow"] <= 0
    page.set_viewport_size(SIZES[size])

    hide = page.get_by_role("button", name="J'ai copié le secret : le masquer")
    hide.focus()
    page.keyboard.press("Enter")
    secret_box.wait_for(state="hidden")
    assert secret.input_value() == ""
    assert page.evaluate("document.activeElement.id") == "webhooks-title"

    # Never shown again: not after a reload, nor by the API's list.
    page.reload()
    _item(page, "Supervision du syndicat").wait_for()
    assert stored.secret not in page.content()
    assert secret_box.is_hidden()


@AT_DESK
def test_a_refused_address_is_said_at_its_field_and_nothing_typed_is_lost(page, server, web_db,
                                                                        territory, size):
    _open(page, server)
    name, url = page.get_by_label("Nom (facultatif"), page.get_by_label("Adresse du récepteur")
    name.fill("Serveur interne")
    url.fill("http://127.0.0.1/")
    page.get_by_label("À partir de la gravité").select_option("info")
    page.get_by_label("Risques climatiques").check()
    page.get_by_role("button", name="Créer le webhook").click()
    error = page.locator("#webhook-url-error")
    error.filter(has_text="destination").wait_for()
    assert error.inner_text() == REFUSED
    assert url.get_attribute("aria-invalid") == "true"
    assert "webhook-url-error" in url.get_attribute("aria-describedby").split()
    assert page.evaluate("document.activeElement.id") == "webhook-url"
    assert " ".join(page.locator("#webhook-errors").inner_text().split()) == (
        f"Webhook invalide. Adresse du récepteur : {REFUSED}")
    # Nothing typed is lost.
    assert (name.input_value(), url.input_value()) == ("Serveur interne", "http://127.0.0.1/")
    assert page.get_by_label("À partir de la gravité").input_value() == "info"
    assert page.get_by_label("Risques climatiques").is_checked()
    assert page.locator("#webhook-secret").is_hidden()
    assert _stored(web_db, territory) == []
    assert_accessible(page)

    url.fill("ftp://x")
    page.get_by_role("button", name="Créer le webhook").click()
    error.filter(has_text="1000 caractères").wait_for()
    assert error.inner_text() == BAD_URL
    assert name.input_value() == "Serveur interne"

    # Put right: the errors go, the webhook is created with what was typed.
    url.fill("https://hooks.example.fr/interne")
    page.get_by_role("button", name="Créer le webhook").click()
    page.locator("#webhook-secret").wait_for()
    assert error.inner_text() == "" and url.get_attribute("aria-invalid") is None
    assert page.locator("#webhook-errors").is_hidden()
    [stored] = _stored(web_db, territory)
    assert (stored.name, stored.min_severity, stored.domains) == (
        "Serveur interne", "info", '["risks"]')


@AT_DESK
def test_admin_edits_disables_and_deletes_a_webhook(page, server, web_db, web_registry,
                                                    territory, size):
    hook = _add(web_db, web_registry, territory, name="Supervision",
                url="https://hooks.example.fr/beffroi", domains=["water"])
    _open(page, server)
    item = _item(page, "Supervision")
    item.get_by_role("button", name="Modifier le webhook « Supervision »").click()
    assert page.evaluate("document.activeElement.id") == "webhook-form-title"
    assert page.locator("#webhook-form-title").inner_text() == "Modifier le webhook « Supervision »"
    name, url = page.get_by_label("Nom (facultatif"), page.get_by_label("Adresse du récepteur")
    assert (name.input_value(), url.input_value()) == ("Supervision",
                                                       "https://hooks.example.fr/beffroi")
    assert page.get_by_label("Eau potable").is_checked()

    # A refusal while editing: said at the field, the edit kept.
    name.fill("")
    page.get_by_role("button", name="Enregistrer les modifications").click()
    page.locator("#webhook-name-error").filter(has_text="nom").wait_for()
    assert page.locator("#webhook-name-error").inner_text() == "nom de 1 à 200 caractères attendu"
    assert name.get_attribute("aria-invalid") == "true"
    assert page.locator("#webhook-form-title").inner_text() == "Modifier le webhook « Supervision »"

    name.fill("Supervision de nuit")
    url.fill("https://hooks.example.fr/nuit")
    page.get_by_label("À partir de la gravité").select_option("critical")
    page.get_by_label("Eau potable").uncheck()
    page.get_by_label("Éclairage public").check()
    page.get_by_role("button", name="Enregistrer les modifications").click()
    status = page.locator("#webhooks-status")
    status.filter(has_text="modifié").wait_for()
    assert status.inner_text() == "Webhook « Supervision de nuit » modifié."
    [stored] = _stored(web_db, territory)
    assert (stored.id, stored.name, stored.url, stored.min_severity, stored.domains,
            stored.enabled) == (hook.id, "Supervision de nuit", "https://hooks.example.fr/nuit",
                                "critical", '["lighting"]', True)
    item = _item(page, "Supervision de nuit")
    assert _facts(item)["Domaines"] == "Éclairage public"
    assert page.locator("#webhook-form-title").inner_text() == "Nouveau webhook"
    assert page.get_by_role("button", name="Annuler la modification").is_hidden()

    # Disabled, then enabled again: the focus stays on the button.
    item.get_by_role("button", name="Désactiver le webhook « Supervision de nuit »").click()
    status.filter(has_text="désactivé").wait_for()
    assert status.inner_text() == ("Webhook « Supervision de nuit » désactivé : plus rien ne "
                                   "lui est envoyé.")
    assert _facts(item)["État"] == "Désactivé"
    assert not _stored(web_db, territory)[0].enabled
    assert item.get_by_role("button", name="Envoyer un essai").count() == 0
    assert page.evaluate("document.activeElement.dataset.action") == "toggle"
    page.keyboard.press("Enter")
    status.filter(has_text="» activé :").wait_for()  # (not « désactivé : »)
    assert _facts(item)["État"] == "Actif" and _stored(web_db, territory)[0].enabled

    # Deleted after a confirmation only.
    asked = []

    def dismiss(dialog):
        asked.append(dialog.message)
        dialog.dismiss()

    delete = item.get_by_role("button", name="Supprimer le webhook « Supervision de nuit »")
    page.once("dialog", dismiss)
    delete.click()
    page.evaluate("() => new Promise((done) => setTimeout(done, 200))")  # (no late DELETE)
    assert asked and asked[0].startswith("Supprimer le webhook « Supervision de nuit » ?")
    assert len(_stored(web_db, territory)) == 1
    page.once("dialog", lambda dialog: dialog.accept())
    delete.click()
    status.filter(has_text="supprimé").wait_for()
    assert status.inner_text() == "Webhook « Supervision de nuit » supprimé."
    assert _stored(web_db, territory) == []
    assert page.locator("#webhooks").inner_text().startswith("Aucun webhook")
    assert page.evaluate("document.activeElement.id") == "webhooks-title"


@AT_DESK
def test_a_test_delivery_is_queued_logged_and_its_result_told(page, server, web_db,
                                                             web_registry, territory, size):
    hook = _add(web_db, web_registry, territory, name="Supervision",
                url="https://hooks.example.fr/beffroi")
    _open(page, server)
    item = _item(page, "Supervision")
    item.get_by_role("button", name="Envoyer un essai au webhook « Supervision »").click()
    status = page.locator("#webhooks-status")
    status.filter(has_text="en attente").wait_for()
    n = schema.notifications
    with web_db.read() as conn:
        [queued] = list(conn.execute(select(n).where(n.c.tenant_id == territory["tenant"])))
    assert (queued.webhook_id, queued.kind, queued.subject, queued.status) == (
        hook.id, "test", "webhook.test", "pending")
    assert status.inner_text() == (
        f"Essai pour le webhook « Supervision » en attente d'envoi (envoi n° {queued.id}) : son "
        "résultat s'affichera ici et dans la section « Envois ».")
    # The send log shows it at once, as any delivery.
    row = page.locator(f'#sendlog tr[data-id="{queued.id}"]')
    row.wait_for()
    assert row.inner_text().split("\t")[1:5] == [
        "Webhook", "https://hooks.example.fr/beffroi", "webhook.test\nEssai de webhook",
        "En attente"]

    # The sending job (not run by the test server) tries it: the page tells the result.
    with web_db.write() as conn:
        conn.execute(update(n).where(n.c.tenant_id == territory["tenant"], n.c.id == queued.id)
                     .values(status="failed", attempts=1, error="Webhook en erreur : HTTP 500."))
    status.filter(has_text="en échec").wait_for(timeout=15_000)
    assert status.inner_text() == ("Essai pour le webhook « Supervision » en échec : Webhook "
                                   "en erreur : HTTP 500.")
    page.locator(f'#sendlog tr[data-id="{queued.id}"][data-status="failed"]').wait_for()

    # Disabled behind the page's back (another admin): the API's refusal is said.
    with web_db.write() as conn:
        w = schema.webhooks
        conn.execute(update(w).where(w.c.tenant_id == territory["tenant"], w.c.id == hook.id)
                     .values(enabled=False))
    item.get_by_role("button", name="Envoyer un essai au webhook « Supervision »").click()
    errors = page.locator("#webhooks-errors")
    errors.wait_for()
    assert errors.inner_text() == "Ce webhook est désactivé : activez-le pour envoyer un essai."
    assert_accessible(page)


@ON_PHONE
def test_an_agent_gets_no_webhooks(page, server, web_db, web_registry, territory, size):
    _add(web_db, web_registry, territory, name="Supervision",
         url="https://hooks.example.fr/beffroi")
    login(page, server, email="agent@cc-vosges.fr", then="/administration")
    page.get_by_role("alert").filter(has_text="réservée aux administrateurs").wait_for()
    assert page.locator("#webhooks-title").is_hidden()
    assert page.locator("#webhooks li").count() == 0
    assert page.get_by_role("button", name="Créer le webhook").is_hidden()
    # The API says no too.
    answer = page.request.get(f"{server.url}/api/v1/tenants/{territory['tenant']}/webhooks")
    assert answer.status == 403
    assert "https://hooks.example.fr" not in answer.text()
