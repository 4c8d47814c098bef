"""Forgotten password in Chromium: ask for a link, receive it on a real SMTP server, open
it, choose a new password, log in with it."""

from __future__ import annotations

import email
import email.policy
import re
import socket
import time
from collections.abc import Iterator

import pytest
from aiosmtpd.controller import Controller

from .conftest import assert_accessible, screenshot

ADDRESS = "agent@cc-vosges.fr"
NEW_PASSWORD = "un-tout-nouveau-secret"


class Mailbox:
    def __init__(self) -> None:
        self.texts: list[tuple[list[str], str]] = []

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd handler hook
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.texts.append((list(envelope.rcpt_tos), parsed.get_body(("plain",)).get_content()))
        return "250 Message accepted"

    def wait_for(self, address: str, timeout: float = 10) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = [text for rcpt, text in self.texts if address in rcpt]
            if found:
                return found[-1]
            time.sleep(0.05)
        raise AssertionError(f"no e-mail for {address}")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def smtp_server() -> Iterator[tuple[Controller, Mailbox]]:
    box = Mailbox()
    controller = Controller(box, hostname="127.0.0.1", port=_free_port())
    controller.start()
    yield controller, box
    controller.stop()


@pytest.fixture
def mailbox(smtp_server, server, monkeypatch) -> Mailbox:
    controller, box = smtp_server
    box.texts.clear()
    monkeypatch.setenv("BEFFROI_SMTP_URL", f"smtp://127.0.0.1:{controller.port}")
    monkeypatch.setenv("BEFFROI_PUBLIC_URL", server.url)
    return box


def test_forgotten_password_by_email(page, server, size, mailbox):
    page.goto(f"{server.url}/connexion")
    page.get_by_role("link", name="Mot de passe oublié ?").click()
    page.wait_for_url(f"{server.url}/mot-de-passe-oublie")
    assert page.title() == "Mot de passe oublié — Beffroi"
    page.get_by_role("button", name="Recevoir le lien").click()
    assert "adresse e-mail valide" in page.get_by_role("alert").inner_text()
    assert_accessible(page)
    screenshot(page, "mot-de-passe-oublie", size)
    page.get_by_label("Adresse e-mail").fill(ADDRESS)
    page.get_by_role("button", name="Recevoir le lien").click()
    status = page.get_by_role("status")
    status.wait_for()
    assert "Si un compte actif correspond" in status.inner_text()

    link = re.search(r"(http://\S+/reinitialiser\?jeton=bfr_\S+)", mailbox.wait_for(ADDRESS))
    assert link, "no link in the e-mail"
    page.goto(link.group(1))
    assert page.title() == "Nouveau mot de passe — Beffroi"
    page.get_by_label("Nouveau mot de passe").fill(NEW_PASSWORD)
    page.get_by_label("Confirmez le mot de passe").fill("autre-chose-encore")
    page.get_by_role("button", name="Enregistrer le mot de passe").click()
    assert "pas identiques" in page.get_by_role("alert").inner_text()
    assert_accessible(page)
    screenshot(page, "reinitialiser", size)
    page.get_by_label("Confirmez le mot de passe").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Enregistrer le mot de passe").click()
    page.get_by_role("status").get_by_role("link", name="Se connecter").click()
    page.wait_for_url(f"{server.url}/connexion")
    page.get_by_label("Adresse e-mail").fill(ADDRESS)
    page.get_by_label("Mot de passe").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(f"{server.url}/")


def test_used_or_missing_link_is_explained(page, server, size, mailbox):
    page.goto(f"{server.url}/reinitialiser")
    assert "incomplet" in page.get_by_role("alert").inner_text()
    page.goto(f"{server.url}/reinitialiser?jeton=bfr_inconnu")
    page.get_by_label("Nouveau mot de passe").fill(NEW_PASSWORD)
    page.get_by_label("Confirmez le mot de passe").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Enregistrer le mot de passe").click()
    alert = page.get_by_role("alert")
    alert.filter(has_text="invalide").wait_for()
    assert page.get_by_role("link", name="Demander un nouveau lien").is_visible()
