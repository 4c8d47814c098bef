"""Password reset by e-mail: a one-time link valid one hour.

The request never tells whether an account exists (no account enumeration): the API
answers the same way, and the e-mail is sent after the answer. At most
``MAX_REQUESTS_PER_HOUR`` links are alive per account at any time. Confirming sets the
new password and deletes every reset token and every session of the account.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote

from sqlalchemy import Connection, delete, func, select

from ..notifications.email import Mailer, MailError, smtp_config
from ..notifications.messages import public_url
from ..storage import schema
from ..storage.database import Database
from .auth import TOKEN_PREFIX, issue_token, token_row
from .clock import HOUR_MS, PARIS, now_ms
from .errors import BeffroiError, Invalid
from .users import set_password

log = logging.getLogger(__name__)
RESET_TTL_MS = HOUR_MS
MAX_REQUESTS_PER_HOUR = 3
PAGE_PATH = "/reinitialiser"
ACCEPTED = ("Si un compte actif correspond à cette adresse, un e-mail contenant un lien de "
            "réinitialisation valable une heure vient de lui être envoyé.")
DONE = "Votre mot de passe a été modifié : vous pouvez vous connecter."


class BadResetToken(BeffroiError):
    status = 400
    title = "Lien de réinitialisation invalide"
    type_slug = "invalid-reset-token"


class MailUnavailable(BeffroiError):
    status = 503
    title = "Service indisponible"
    type_slug = "mail-unavailable"


@dataclass(frozen=True)
class ResetMail:
    to: str
    subject: str
    body: str


def reset_link(secret: str) -> str:
    return f"{public_url()}{PAGE_PATH}?jeton={quote(secret)}"


def check_mail_configured(environ: Mapping[str, str] | None = None) -> None:
    """Refuse every request alike when e-mail cannot be sent (no enumeration)."""
    try:
        smtp_config(environ)
    except MailError:
        raise MailUnavailable("La réinitialisation par e-mail n'est pas disponible : l'envoi "
                              "d'e-mails n'est pas configuré. Contactez votre administrateur."
                              ) from None


def request_reset(db: Database, email: Any) -> ResetMail | None:
    """Issue a reset token for an active account; the e-mail to send, or None."""
    if not isinstance(email, str) or not email.strip():
        raise Invalid("Adresse e-mail obligatoire.",
                      errors=[{"field": "email", "message": "obligatoire"}])
    u, t = schema.users, schema.tokens
    now = now_ms()
    with db.write() as conn:
        user = conn.execute(select(u).where(u.c.email == email.strip().lower())).first()
        if user is None or not user.active:
            return None
        alive = conn.execute(select(func.count()).select_from(t).where(
            t.c.user_id == user.id, t.c.kind == "reset", t.c.expires_at > now)).scalar()
        if alive >= MAX_REQUESTS_PER_HOUR:
            log.info("password reset: rate limit reached for user %s", user.id)
            return None
        _, secret = issue_token(db, conn, "reset", user_id=user.id, ttl_ms=RESET_TTL_MS)
    until = datetime.fromtimestamp((now + RESET_TTL_MS) / 1000, PARIS)
    body = (
        f"Bonjour {user.name or ''},\n\n".replace(" ,", ",")
        + "Une réinitialisation du mot de passe de votre compte Beffroi a été demandée.\n"
        "Pour choisir un nouveau mot de passe, ouvrez ce lien :\n\n"
        f"{reset_link(secret)}\n\n"
        f"Ce lien ne sert qu'une fois et reste valable une heure, jusqu'au "
        f"{until:%d/%m/%Y à %H:%M} (heure de Paris).\n\n"
        "Si vous n'êtes pas à l'origine de cette demande, ignorez ce message : votre mot de "
        "passe actuel reste valable.\n\n— Beffroi, hyperviseur territorial\n")
    return ResetMail(to=user.email, subject="Beffroi — réinitialisation de votre mot de passe",
                     body=body)


def send_reset_mail(mail: ResetMail, environ: Mapping[str, str] | None = None) -> bool:
    """Send the e-mail; failures are logged, never shown (the caller already answered)."""
    mailer = Mailer(environ)
    try:
        mailer.send(mail.to, mail.subject, mail.body)
        return True
    except MailError as exc:
        log.warning("password reset e-mail not sent: %s", exc.message)
        return False
    finally:
        mailer.close()


def _valid_reset_row(conn: Connection, secret: Any) -> Any:
    if not isinstance(secret, str) or not secret.startswith(TOKEN_PREFIX["reset"]):
        return None
    row = token_row(conn, secret)
    if row is None or row.kind != "reset" or row.expires_at is None \
            or row.expires_at < now_ms():
        return None
    user = conn.execute(select(schema.users).where(schema.users.c.id == row.user_id)).first()
    return row if user is not None and user.active else None


def confirm_reset(db: Database, secret: Any, password: Any) -> None:
    """Set the new password; the link, the other links and every session stop working."""
    missing = [f for f, v in (("token", secret), ("password", password)) if not isinstance(v, str)]
    if missing:
        raise Invalid("Champs « token » et « password » attendus.",
                      errors=[{"field": f, "message": "obligatoire"} for f in missing])
    t = schema.tokens
    with db.write() as conn:
        row = _valid_reset_row(conn, secret)
        if row is None:
            raise BadResetToken("Ce lien de réinitialisation est invalide, expiré ou déjà "
                                "utilisé : demandez-en un nouveau.")
        set_password(db, conn, row.user_id, password, actor=row.user_id)  # 422 if too short
        conn.execute(delete(t).where(t.c.user_id == row.user_id,
                                     t.c.kind.in_(("reset", "session"))))
