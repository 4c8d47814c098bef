"""The administration page in Chromium: communes, members and roles, device health, asset
import with a dry run and a progress bar; refused to agents."""

from __future__ import annotations

import json

import pytest

from .admin_fixtures import add_devices
from .conftest import assert_accessible, login, screenshot

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
    assert_accessible(page)
    screenshot(page, "administration", size)


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


def test_agent_is_told_the_page_is_for_admins(page, admin_server, size):
    login(page, admin_server, then="/administration")
    alert = page.get_by_role("alert").filter(has_text="réservée aux administrateurs")
    alert.wait_for()
    assert page.locator("#admin").is_hidden()
    assert_accessible(page)
