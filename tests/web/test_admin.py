"""The administration page in Chromium: communes, members and roles, device health, asset
import with a dry run and a progress bar; refused to agents."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from beffroi.storage import schema

from .admin_fixtures import add_devices
from .conftest import AT_DESK, ON_PHONE, assert_accessible, login, screenshot

ADMIN = "admin@cc-vosges.fr"


@pytest.fixture
def admin_server(server, web_db, web_registry, territory):
    add_devices(web_db, web_registry, territory)
    return server


def _inventory(count: int, bad: int) -> bytes:
    features = []
    for i in range(count):
        features.append({"type": "Feature",
                         "geometry": {"type": "Point", "coordinates": [6.59, 48.02]},
                         "properties": {"ref": f"SITE-{i + 1:04d}", "kind": "generic.site",
                                        "name": f"Site {i + 1}",
                                        "commune": "99999" if i == bad else "88383"}})
    return json.dumps({"type": "FeatureCollection", "features": features}).encode()


def test_admin_sees_every_section(page, admin_server, size):
    server = admin_server
    login(page, server, email=ADMIN, then="/administration")
    page.get_by_role("heading", name="Administration — CC de la Porte des Vosges Méridionales"
                     ).wait_for()
    for name in ("Communes du territoire", "Membres et rôles", "Capteurs et état de santé",
                 "Import d'équipements"):
        assert page.get_by_role("heading", name=name, exact=True).is_visible()
    communes = page.locator("#communes")
    communes.get_by_role("cell", name="Saint-Étienne-lès-Remiremont").wait_for()
    assert "88383" in communes.inner_text()
    members = page.locator("#members")
    members.get_by_role("cell", name="agent@cc-vosges.fr").wait_for()
    assert page.get_by_label("Rôle de Agnès Agent").input_value() == "agent"
    assert "Administrateur du territoire" in page.get_by_label("Rôle de Adrien Admin").inner_text()
    devices = page.locator("#devices")
    silent_row = devices.get_by_role("row").filter(has_text="Sonde Moselle")
    silent_row.wait_for()
    assert "silencieux" in silent_row.inner_text()
    assert "trame illisible" in silent_row.inner_text()
    alive_row = devices.get_by_role("row").filter(has_text="Compteur armoire 1")
    assert "actif" in alive_row.inner_text() and "−97 dBm" in alive_row.inner_text().replace("-", "−")
    assert "87 %" in alive_row.inner_text()
    # One region per name: a section and the table that scrolls in it are told apart
    for name in ("Communes du territoire", "Membres et rôles", "Capteurs et état de santé"):
        assert page.get_by_role("region", name=name, exact=True).count() == 1, name
    assert_accessible(page)
    screenshot(page, "administration", size)


@AT_DESK
def test_admin_invites_a_member_changes_a_role_and_deactivates(page, admin_server, size):
    server = admin_server
    login(page, server, email=ADMIN, then="/administration")
    page.locator("#members").get_by_role("cell", name="agent@cc-vosges.fr").wait_for()
    form = page.locator("#member-form")
    form.get_by_label("Adresse e-mail").fill("pas-une-adresse")
    form.get_by_role("button", name="Envoyer l'invitation").click()
    alert = page.locator("#member-errors")
    alert.wait_for()
    assert "adresse e-mail invalide" in alert.inner_text()
    assert page.locator("#member-email-error").inner_text() == "adresse e-mail invalide"
    assert form.get_by_label("Adresse e-mail").get_attribute("aria-invalid") == "true"
    assert_accessible(page)

    # An invitation, not a member: shown « en attente » until the person accepts.
    form.get_by_label("Adresse e-mail").fill("camille@cc-vosges.fr")
    form.get_by_label("Nom (si la personne n'a pas encore de compte)").fill("Camille Martin")
    form.get_by_label("Rôle").select_option("viewer")
    form.get_by_label("Saint-Étienne-lès-Remiremont (88413)").check()
    form.get_by_role("button", name="Envoyer l'invitation").click()
    row = page.locator("#members").get_by_role("row").filter(has_text="camille@cc-vosges.fr")
    row.wait_for()
    assert "en attente" in row.inner_text() and "Saint-Étienne-lès-Remiremont" in row.inner_text()
    assert "Élu / lecteur" in row.inner_text()
    assert page.get_by_label("Rôle de Camille Martin").count() == 0
    assert "camille@cc-vosges.fr" in page.locator("#members-status").inner_text()
    assert_accessible(page)
    screenshot(page, "administration-invitation", size)

    page.get_by_label("Rôle de Agnès Agent").select_option("viewer")
    page.locator("#members-status").filter(has_text="Rôle de Agnès Agent").wait_for()
    page.reload()
    page.get_by_label("Rôle de Agnès Agent").wait_for()
    assert page.get_by_label("Rôle de Agnès Agent").input_value() == "viewer"

    page.once("dialog", lambda dialog: dialog.accept())  # "Révoquer l'invitation … ?"
    page.get_by_role("button", name="Révoquer l'invitation de camille@cc-vosges.fr").click()
    page.locator("#members-status").filter(has_text="révoquée").wait_for()
    page.locator("#members").get_by_role("cell", name="camille@cc-vosges.fr").wait_for(
        state="detached")

    page.once("dialog", lambda dialog: dialog.accept())  # "Désactiver le compte de … ?"
    page.get_by_role("button", name="Désactiver le compte de Élise Élue").click()
    page.locator("#members-status").filter(has_text="n'a plus accès").wait_for()
    page.locator("#members").get_by_role("cell", name="elu@cc-vosges.fr").wait_for(
        state="detached")


@AT_DESK  # (a race, not a layout)
def test_a_late_first_member_list_does_not_hide_an_invitation_sent_meanwhile(page, admin_server):
    """The page's first read of the members answers after the invitation's reload (a busy
    server): the table keeps the newer list."""
    server = admin_server
    held = []

    def hold_first(route):
        if route.request.method == "GET" and not held:
            held.append((route, route.fetch()))  # read now, before the invitation
        else:
            route.continue_()

    page.route("**/members", hold_first)
    login(page, server, email=ADMIN, then="/administration")
    form = page.locator("#member-form")
    form.get_by_label("Adresse e-mail").fill("tardive@cc-vosges.fr")
    form.get_by_label("Rôle").select_option("viewer")
    form.get_by_role("button", name="Envoyer l'invitation").click()
    row = page.locator("#members").get_by_role("row").filter(has_text="tardive@cc-vosges.fr")
    row.wait_for()
    assert held, "the first read of the members was not held"
    route, stale = held[0]
    assert "tardive@cc-vosges.fr" not in stale.text()
    with page.expect_request_finished(lambda r: r.url == route.request.url
                                      and r.method == "GET"):
        route.fulfill(response=stale)
    # Let the page's promise chain settle, then the table still lists the invitation.
    page.evaluate("() => new Promise((done) => setTimeout(done, 200))")
    assert row.is_visible()
    assert page.locator("#members").get_by_role("cell", name="agent@cc-vosges.fr").is_visible()


def _invitations(web_db, email: str) -> int:
    u, i = schema.users, schema.invitations
    with web_db.read() as conn:
        return len(conn.execute(select(i.c.id).join(u, u.c.id == i.c.user_id).where(
            u.c.email == email)).all())


@ON_PHONE
def test_an_invitation_double_clicked_is_sent_once(page, admin_server, web_db, size):
    """A double-click (or a second tap while the first is sent) on « Envoyer l'invitation »
    posted it twice: the page then showed the success and the second one's red refusal
    (« déjà en attente ») at once. The button waits for the answer now."""
    login(page, admin_server, email=ADMIN, then="/administration")
    page.locator("#members").get_by_role("cell", name="agent@cc-vosges.fr").wait_for()
    form = page.locator("#member-form")
    button = form.get_by_role("button", name="Envoyer l'invitation")
    # Nothing typed: said missing, not « Adresse e-mail invalide « ». ».
    button.click()
    page.locator("#member-errors").filter(has_text="Adresse e-mail obligatoire.").wait_for()
    assert page.locator("#member-email-error").inner_text() == "adresse e-mail obligatoire"
    assert "invalide" not in page.locator("#member-errors").inner_text()
    assert page.evaluate("document.activeElement.id") == "member-email"

    posts = []
    page.on("request", lambda r: posts.append(r.url) if r.method == "POST"
            and r.url.endswith("/members") else None)
    form.get_by_label("Adresse e-mail").fill("double@cc-vosges.fr")
    form.get_by_label("Rôle").select_option("viewer")
    button.dblclick()
    row = page.locator("#members").get_by_role("row").filter(has_text="double@cc-vosges.fr")
    row.wait_for()
    page.locator("#members-status").filter(has_text="double@cc-vosges.fr").wait_for()
    page.evaluate("() => new Promise((done) => setTimeout(done, 300))")  # any late answer
    assert len(posts) == 1, posts
    assert _invitations(web_db, "double@cc-vosges.fr") == 1
    assert page.locator("#member-errors").is_hidden()  # no red refusal beside the success
    assert not button.is_disabled()
    assert_accessible(page)


@AT_DESK
def test_the_import_check_says_the_network_failure_and_names_fields_in_french(
        page, admin_server, size):
    login(page, admin_server, email=ADMIN, then="/administration")
    page.locator("#members").get_by_role("cell", name="agent@cc-vosges.fr").wait_for()
    no_position = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [6.59, 48.02]},
         "properties": {"ref": "BON", "kind": "generic.site", "commune": "88383"}},
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [200, 48.02]},
         "properties": {"ref": "LOIN", "kind": "generic.site", "commune": "88383"}},
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [6.59, 48.02]},
         "properties": {"ref": "ORPHELIN", "kind": "generic.site", "commune": "88383",
                        "parent_ref": "INCONNU"}}]}
    page.get_by_label("Fichier à importer (CSV ou GeoJSON)").set_input_files({
        "name": "inventaire.geojson", "mimeType": "application/geo+json",
        "buffer": json.dumps(no_position).encode()})
    page.route("**/assets/import*", lambda route: route.abort())
    page.get_by_role("button", name="Vérifier le fichier").click()
    alert = page.locator("#import-errors")
    alert.filter(has_text="Connexion impossible").wait_for()
    assert alert.inner_text() == "Connexion impossible : rien n'a été enregistré, réessayez."
    page.unroute("**/assets/import*")
    page.get_by_role("button", name="Vérifier le fichier").click()
    anomalies = page.get_by_role("region", name="Anomalies du fichier")
    anomalies.wait_for()
    rows = [r.inner_text().split("\t") for r in anomalies.get_by_role("row").all()[1:]]
    assert [(r[1], r[2]) for r in rows] == [("LOIN", "position"),
                                           ("ORPHELIN", "parent (parent_ref)")]
    assert "geometry" not in anomalies.inner_text()
    assert alert.is_hidden()


@AT_DESK
def test_geojson_import_dry_run_then_progress(page, admin_server, size):
    server = admin_server
    login(page, server, email=ADMIN, then="/administration")
    page.locator("#members").get_by_role("cell", name="agent@cc-vosges.fr").wait_for()
    page.get_by_label("Fichier à importer (CSV ou GeoJSON)").set_input_files({
        "name": "inventaire.geojson", "mimeType": "application/geo+json",
        "buffer": _inventory(450, bad=301)})
    page.get_by_role("button", name="Vérifier le fichier").click()
    report = page.locator("#import-report")
    report.get_by_role("cell", name="SITE-0302").wait_for()
    text = report.inner_text()
    assert "450 équipements" in text and "449 valides" in text and "1 en erreur" in text
    error_row = report.get_by_role("row").filter(has_text="SITE-0302")
    assert "302" in error_row.inner_text() and "commune" in error_row.inner_text()
    assert_accessible(page)
    page.get_by_role("button", name="Importer les 449 équipements valides").click()
    result = page.locator("#import-result")
    result.filter(has_text="Import terminé").wait_for()
    assert "449 créés" in result.inner_text() and "1 rejeté" in result.inner_text()
    progress = page.get_by_role("progressbar")
    assert progress.get_attribute("value") == progress.get_attribute("max") == "450"
    assert "(100 %)" in page.locator("#import-progress-label").inner_text()
    assert_accessible(page)
    screenshot(page, "administration-import", size)


def _csv_inventory() -> bytes:
    """Windows-1252, 260 rows over two chunks: a quoted line break in the second chunk, a
    row with a field too many, a commune unknown, a point 3.7 km outside Remiremont."""
    lines = ["ref;kind;name;commune;lon;lat"]                                   # line 1
    for i in range(260):
        name = f"Église n° {i + 1} – « cœur »"
        if i == 230:
            name = '"Salle\r\npolyvalente"'                                      # 2 lines
        row = f"CSV-{i + 1:03d};generic.site;{name};88383;6,59;48,02"
        if i == 40:
            row += ";en trop"
        if i == 120:
            row = row.replace(";88383;", ";99999;")
        if i == 250:
            row = row.replace(";6,59;", ";6,70;")
        lines.append(row)
    return ("\r\n".join(lines) + "\r\n").encode("cp1252")


@AT_DESK
def test_csv_import_reports_encoding_lines_and_warnings_then_imports_by_keyboard(
        page, admin_server, web_db, territory, size):
    login(page, admin_server, email=ADMIN, then="/administration")
    page.locator("#members").get_by_role("cell", name="agent@cc-vosges.fr").wait_for()
    page.get_by_label("Fichier à importer (CSV ou GeoJSON)").set_input_files({
        "name": "inventaire.csv", "mimeType": "text/csv", "buffer": _csv_inventory()})
    page.get_by_role("button", name="Vérifier le fichier").click()
    report = page.locator("#import-report")
    report.get_by_text("Encodage détecté : Windows-1252.").wait_for()
    text = report.inner_text()
    assert "260 équipements, 258 valides, 2 en erreur" in text
    assert "Fichier lu en Windows-1252" in text
    anomalies = page.get_by_role("region", name="Anomalies du fichier")
    rows = [r.inner_text().split("\t") for r in anomalies.get_by_role("row").all()[1:]]
    assert [(r[0], r[1], r[2]) for r in rows] == [("42", "—", "—"), ("122", "CSV-121", "commune")]
    assert rows[0][3].startswith("7 champs au lieu de 6")
    warnings = page.get_by_role("region", name="Avertissements du fichier")
    [warning] = [r.inner_text() for r in warnings.get_by_role("row").all()[1:]]
    # CSV-251 starts on line 253: the quoted line break of CSV-231 takes two lines
    assert warning.startswith("253\tCSV-251\tcommune\tpoint à 3,7 km hors de la commune 88383")
    assert_accessible(page)

    anomalies.focus()  # the tables scroll with the keyboard, then Tab reaches the button
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.getAttribute('aria-label')") == (
        "Avertissements du fichier")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == (
        "Importer les 258 équipements valides")
    page.keyboard.press("Enter")
    result = page.locator("#import-result")
    result.filter(has_text="Import terminé").wait_for()
    assert "258 créés, 0 mis à jour, 2 rejetés, 1 avertissement." in result.inner_text()
    with web_db.read() as conn:
        names = {r.ref: r.name for r in conn.execute(select(schema.assets.c.ref,
                                                            schema.assets.c.name))}
    assert names["CSV-001"] == "Église n° 1 – « cœur »"
    assert names["CSV-231"] == "Salle\npolyvalente" and "CSV-041" not in names
    assert sum(ref.startswith("CSV-") for ref in names) == 258
    screenshot(page, "administration-import-csv", size)


@AT_DESK
def test_a_utf8_file_with_a_stray_byte_is_refused_with_its_place(page, admin_server, size):
    login(page, admin_server, email=ADMIN, then="/administration")
    raw = ("ref;kind;name;commune;lon;lat\n"
           "A;generic.site;Église;88383;6,59;48,02\n"
           "B;generic.site;Mairie;88383;6,59;48,02\n").encode().replace(b"Mairie", b"Mair\xffe")
    page.get_by_label("Fichier à importer (CSV ou GeoJSON)").set_input_files({
        "name": "inventaire.csv", "mimeType": "text/csv", "buffer": raw})
    page.get_by_role("button", name="Vérifier le fichier").click()
    alert = page.locator("#import-errors")
    alert.filter(has_text="octet invalide").wait_for()
    assert ("Fichier UTF-8 contenant un octet invalide (0xFF) ligne 3, colonne 20"
            in alert.inner_text())
    assert page.locator("#import-button").is_hidden()
    assert_accessible(page)


@ON_PHONE
def test_agent_is_told_the_page_is_for_admins(page, admin_server, size):
    login(page, admin_server, then="/administration")
    alert = page.get_by_role("alert").filter(has_text="réservée aux administrateurs")
    alert.wait_for()
    assert page.locator("#admin").is_hidden()
    assert_accessible(page)
