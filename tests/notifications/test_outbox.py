"""The outbox: SMTP configuration, retries with back-off, failures kept with their reason."""

from __future__ import annotations

import pytest
from suite_ports import free_port

from beffroi.notifications.email import NOT_CONFIGURED, MailError, smtp_config
from beffroi.notifications.outbox import MAX_ATTEMPTS, queue, send_due

from .conftest import notifications

MIN = 60_000


def queue_email(db, tenant_id: int, now: int, to: str = "agent@cc-vosges.fr") -> int:
    with db.write() as conn:
        return queue(db, conn, tenant_id, channel="email", target=to, kind="alert",
                     subject="[Beffroi] Alerte critique : essai", body="Corps du message",
                     now=now)


def test_smtp_down_is_retried_with_back_off_then_failed(db, world, monkeypatch):
    monkeypatch.setenv("BEFFROI_SMTP_URL", f"smtp://127.0.0.1:{free_port()}")  # nobody there
    t0 = 1_773_100_000_000
    queue_email(db, world["tenant"], t0)
    expected_next = [t0 + 1 * MIN, t0 + 1 * MIN + 5 * MIN, t0 + 6 * MIN + 30 * MIN]
    now = t0
    for attempt, next_at in enumerate(expected_next, start=1):
        [outcome] = send_due(db, now)
        [row] = notifications(db)
        assert (row.status, row.attempts, row.next_attempt_at) == ("pending", attempt, next_at)
        assert row.error.startswith("Envoi SMTP impossible (127.0.0.1:")
        assert send_due(db, next_at - 1) == []  # not before its time
        now = next_at
    send_due(db, now)
    [row] = notifications(db)
    assert (row.status, row.attempts, row.next_attempt_at) == ("failed", MAX_ATTEMPTS, None)
    assert "ConnectionRefusedError" in row.error and row.sent_at is None
    assert send_due(db, now + 10 * 24 * 60 * MIN) == []  # failed for good


def test_smtp_not_configured_fails_at_once_with_a_clear_message(db, world, monkeypatch):
    monkeypatch.delenv("BEFFROI_SMTP_URL", raising=False)
    queue_email(db, world["tenant"], 1_000)
    [outcome] = send_due(db, 1_000)
    [row] = notifications(db)
    assert (row.status, row.attempts, row.error) == ("failed", 1, NOT_CONFIGURED)
    assert NOT_CONFIGURED == "SMTP non configuré (BEFFROI_SMTP_URL)"


def test_smtp_comes_back_and_the_mail_goes(db, world, monkeypatch, mailbox):
    good = smtp_config()  # the test server
    monkeypatch.setenv("BEFFROI_SMTP_URL", f"smtp://127.0.0.1:{free_port()}")
    queue_email(db, world["tenant"], 0)
    send_due(db, 0)
    monkeypatch.setenv("BEFFROI_SMTP_URL", f"smtp://{good.host}:{good.port}")
    [outcome] = send_due(db, MIN)
    assert outcome["status"] == "sent"
    [row] = notifications(db)
    assert (row.status, row.attempts, row.sent_at) == ("sent", 2, MIN)
    [(rcpt, message)] = mailbox.messages
    assert rcpt == ["agent@cc-vosges.fr"]
    assert message["Subject"] == "[Beffroi] Alerte critique : essai"
    assert mailbox.text(message).strip() == "Corps du message"
    assert message["From"] == "alertes@beffroi.test" and message["Message-ID"]


@pytest.mark.parametrize("url, expected", [
    ("smtp://relay.example.fr", ("relay.example.fr", 25, None, None, False, False)),
    ("smtp://alertes%40cc.fr:p%C3%A0ss@relay.example.fr:2525?starttls=1",
     ("relay.example.fr", 2525, "alertes@cc.fr", "pàss", False, True)),
    ("smtp://u:p@relay.example.fr?starttls=1", ("relay.example.fr", 587, "u", "p", False, True)),
    ("smtps://u:p@relay.example.fr", ("relay.example.fr", 465, "u", "p", True, False)),
])
def test_smtp_url(url, expected):
    config = smtp_config({"BEFFROI_SMTP_URL": url})
    assert (config.host, config.port, config.username, config.password, config.implicit_tls,
            config.starttls) == expected
    assert config.sender == "beffroi@localhost"
    assert smtp_config({"BEFFROI_SMTP_URL": url,
                        "BEFFROI_MAIL_FROM": "alertes@cc.fr"}).sender == "alertes@cc.fr"


@pytest.mark.parametrize("url, message", [
    ("", NOT_CONFIGURED),
    ("http://relay.example.fr", "BEFFROI_SMTP_URL invalide"),
    ("smtp://relay.example.fr:99999", "port incorrect"),
])
def test_bad_smtp_url(url, message):
    with pytest.raises(MailError) as caught:
        smtp_config({"BEFFROI_SMTP_URL": url})
    assert message in caught.value.message and not caught.value.retryable
