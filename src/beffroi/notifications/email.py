"""E-mail out through SMTP (standard library), configured by the environment.

- ``BEFFROI_SMTP_URL``: ``smtp://user:password@host:port`` (plain, port 25 by default),
  ``smtp://…?starttls=1`` (STARTTLS, port 587 by default) or ``smtps://…`` (implicit
  TLS, port 465 by default); user and password are optional and percent-decoded.
- ``BEFFROI_MAIL_FROM``: the sender address (default ``beffroi@localhost``).

Without ``BEFFROI_SMTP_URL`` an e-mail cannot be sent: the notification fails with a
clear message instead of disappearing.
"""

from __future__ import annotations

import os
import smtplib
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from urllib.parse import parse_qs, unquote, urlsplit

SMTP_URL_ENV = "BEFFROI_SMTP_URL"
MAIL_FROM_ENV = "BEFFROI_MAIL_FROM"
DEFAULT_FROM = "beffroi@localhost"
NOT_CONFIGURED = "SMTP non configuré (BEFFROI_SMTP_URL)"
TIMEOUT_S = 10.0
_TRUE = {"1", "true", "yes", "oui", "on"}


class MailError(Exception):
    """An e-mail that was not sent; ``retryable`` says whether trying again may help."""

    def __init__(self, message: str, *, retryable: bool) -> None:
        super().__init__(message)
        self.message = message
        self.retryable = retryable


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int
    username: str | None
    password: str | None
    implicit_tls: bool
    starttls: bool
    sender: str


def smtp_config(environ: Mapping[str, str] | None = None) -> SmtpConfig:
    """The SMTP server from the environment; ``MailError`` (not retryable) if unusable."""
    env = os.environ if environ is None else environ
    url = (env.get(SMTP_URL_ENV) or "").strip()
    if not url:
        raise MailError(NOT_CONFIGURED, retryable=False)
    parts = urlsplit(url)
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        raise MailError(f"{SMTP_URL_ENV} invalide : smtp://hôte:port ou smtps://hôte:port "
                        "attendu", retryable=False)
    query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
    implicit = parts.scheme == "smtps"
    starttls = not implicit and query.get("starttls", "").lower() in _TRUE
    try:
        port = parts.port or (465 if implicit else 587 if starttls else 25)
    except ValueError:
        raise MailError(f"{SMTP_URL_ENV} invalide : port incorrect", retryable=False) from None
    return SmtpConfig(host=parts.hostname, port=port,
                      username=unquote(parts.username) if parts.username else None,
                      password=unquote(parts.password) if parts.password else None,
                      implicit_tls=implicit, starttls=starttls,
                      sender=(env.get(MAIL_FROM_ENV) or DEFAULT_FROM).strip())


def build_message(sender: str, to: str, subject: str, body: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or None)
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(body)  # text/plain, UTF-8
    return message


class Mailer:
    """One SMTP session reused for the e-mails of a sending run (opened on first use)."""

    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        self._environ = environ
        self._config: SmtpConfig | None = None
        self._smtp: smtplib.SMTP | None = None

    def send(self, to: str, subject: str, body: str) -> None:
        if self._config is None:
            self._config = smtp_config(self._environ)
        config = self._config
        message = build_message(config.sender, to, subject, body)
        try:
            if self._smtp is None:
                self._smtp = self._connect(config)
            self._smtp.send_message(message)
        except (smtplib.SMTPException, OSError) as exc:
            self.close()
            permanent = (isinstance(exc, smtplib.SMTPRecipientsRefused)
                         and all(code >= 500 for code, _ in exc.recipients.values()))
            raise MailError(f"Envoi SMTP impossible ({config.host}:{config.port}) : "
                            f"{exc.__class__.__name__} {exc}".strip(),
                            retryable=not permanent) from None

    @staticmethod
    def _connect(config: SmtpConfig) -> smtplib.SMTP:
        if config.implicit_tls:
            smtp: smtplib.SMTP = smtplib.SMTP_SSL(config.host, config.port, timeout=TIMEOUT_S,
                                                  context=ssl.create_default_context())
        else:
            smtp = smtplib.SMTP(config.host, config.port, timeout=TIMEOUT_S)
        try:
            if config.starttls:
                smtp.starttls(context=ssl.create_default_context())
            if config.username:
                smtp.login(config.username, config.password or "")
        except BaseException:
            smtp.close()
            raise
        return smtp

    def close(self) -> None:
        if self._smtp is not None:
            try:
                self._smtp.quit()
            except (smtplib.SMTPException, OSError):
                self._smtp.close()
            self._smtp = None
