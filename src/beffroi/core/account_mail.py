"""E-mails about an account (password reset, invitation): built in a transaction, sent
after the answer, failures logged and never shown (the caller has already answered)."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import quote

from ..notifications.email import Mailer, MailError, smtp_config
from ..notifications.messages import public_url
from .clock import PARIS

log = logging.getLogger(__name__)
SIGNATURE = "\n— Beffroi, hyperviseur territorial\n"
PASSWORD_PAGE = "/reinitialiser"  # the page that sets a password with a one-time link


@dataclass(frozen=True)
class AccountMail:
    to: str
    subject: str
    body: str


def mail_configured(environ: Mapping[str, str] | None = None) -> bool:
    try:
        smtp_config(environ)
    except MailError:
        return False
    return True


def password_link(secret: str) -> str:
    """The page where a one-time link (reset or invitation) sets the password."""
    return f"{public_url()}{PASSWORD_PAGE}?jeton={quote(secret)}"


def paris_time(ms: int) -> str:
    """« 05/12/2026 à 14:30 » in Paris time, as e-mails state deadlines."""
    return f"{datetime.fromtimestamp(ms / 1000, PARIS):%d/%m/%Y à %H:%M}"


def send_account_mail(mail: AccountMail, environ: Mapping[str, str] | None = None) -> bool:
    mailer = Mailer(environ)
    try:
        mailer.send(mail.to, mail.subject, mail.body)
        return True
    except MailError as exc:
        log.warning("account e-mail not sent: %s", exc.message)
        return False
    finally:
        mailer.close()
