"""Password reset by e-mail, and the one-time links that set a password.

The request never tells whether an account exists (no account enumeration): the API
answers the same way, and the e-mail is sent after the answer. Requests are throttled per
address and per client like log-ins (``login_throttle``), and at most
``MAX_REQUESTS_PER_HOUR`` links are alive per account at any time.

A link — a reset link (valid one hour) or an invitation link (``invitations``) — sets the
new password once; then every credential of the account stops working (sessions, personal
tokens, other links), the account's log-in throttle is cleared, and an invitation link
also accepts its invitation. The new password is hashed before the write transaction.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection, delete, func, select

from ..notifications.email import MailError, smtp_config
from ..storage import schema
from ..storage.database import Database
from . import invitations, login_throttle
from .account_mail import SIGNATURE, AccountMail, paris_time, password_link
from .auth import (
    EMAIL_RE,
    TOKEN_PREFIX,
    issue_token,
    normalise_email,
    revoke_credentials,
    token_row,
)
from .clock import HOUR_MS, now_ms
from .errors import BeffroiError, Invalid, TooManyAttempts
from .users import new_password_hash, store_password_hash

log = logging.getLogger(__name__)
RESET_TTL_MS = HOUR_MS
MAX_REQUESTS_PER_HOUR = 3
LINK_KINDS = ("reset", "invite")
ACCEPTED = ("Si un compte actif correspond à cette adresse, un e-mail contenant un lien de "
            "réinitialisation valable une heure vient de lui être envoyé.")
DONE = "Votre mot de passe a été modifié : vous pouvez vous connecter."
INVITATION_DONE = ("Votre mot de passe est enregistré et l'invitation acceptée : vous pouvez "
                   "vous connecter.")


class BadResetToken(BeffroiError):
    status = 400
    title = "Lien de réinitialisation invalide"
    type_slug = "invalid-reset-token"


class MailUnavailable(BeffroiError):
    status = 503
    title = "Service indisponible"
    type_slug = "mail-unavailable"


def check_mail_configured(environ: Mapping[str, str] | None = None) -> None:
    """Refuse every request alike when e-mail cannot be sent (no enumeration)."""
    try:
        smtp_config(environ)
    except MailError:
        raise MailUnavailable("La réinitialisation par e-mail n'est pas disponible : l'envoi "
                              "d'e-mails n'est pas configuré. Contactez votre administrateur."
                              ) from None


def request_reset(db: Database, email: Any, address: str | None = None) -> AccountMail | None:
    """Issue a reset token for an active account; the e-mail to send, or None."""
    if not isinstance(email, str) or not email.strip():
        raise Invalid("Adresse e-mail obligatoire.",
                      errors=[{"field": "email", "message": "obligatoire"}])
    email = normalise_email(email)
    keys = login_throttle.reset_keys(email, address)
    with db.read() as conn:
        wait = login_throttle.retry_after(conn, keys)
    mail = None
    if not wait:
        with db.write() as conn:
            wait = login_throttle.charge(conn, keys).retry_after_ms
            if not wait:
                mail = _issue(db, conn, email)
    if wait:
        login_throttle.report_block(db, keys)
        raise TooManyAttempts(wait)
    return mail


def _issue(db: Database, conn: Connection, email: str) -> AccountMail | None:
    u, t = schema.users, schema.tokens
    now = now_ms()
    user = conn.execute(select(u).where(u.c.email == email)).first() \
        if EMAIL_RE.match(email) else None
    if user is None or not user.active:
        return None
    alive = conn.execute(select(func.count()).select_from(t).where(
        t.c.user_id == user.id, t.c.kind == "reset", t.c.expires_at > now)).scalar()
    if alive >= MAX_REQUESTS_PER_HOUR:
        log.info("password reset: rate limit reached for user %s", user.id)
        return None
    _, secret = issue_token(db, conn, "reset", user_id=user.id, ttl_ms=RESET_TTL_MS)
    body = (
        f"Bonjour {user.name or ''},\n\n".replace(" ,", ",")
        + "Une réinitialisation du mot de passe de votre compte Beffroi a été demandée.\n"
        "Pour choisir un nouveau mot de passe, ouvrez ce lien :\n\n"
        f"{password_link(secret)}\n\n"
        f"Ce lien ne sert qu'une fois et reste valable une heure, jusqu'au "
        f"{paris_time(now + RESET_TTL_MS)} (heure de Paris).\n\n"
        "Si vous n'êtes pas à l'origine de cette demande, ignorez ce message : votre mot de "
        "passe actuel reste valable.\n" + SIGNATURE)
    return AccountMail(to=user.email, body=body,
                       subject="Beffroi — réinitialisation de votre mot de passe")


def _valid_link(conn: Connection, secret: Any) -> Any:
    """The token row of a live one-time link whose account is active, or None."""
    if not isinstance(secret, str) \
            or not secret.startswith(tuple(TOKEN_PREFIX[k] for k in LINK_KINDS)):
        return None
    row = token_row(conn, secret)
    if row is None or row.kind not in LINK_KINDS or row.expires_at is None \
            or row.expires_at < now_ms():
        return None
    user = conn.execute(select(schema.users).where(schema.users.c.id == row.user_id)).first()
    return row if user is not None and user.active else None


def confirm_reset(db: Database, secret: Any, password: Any) -> str:
    """Set the new password with a one-time link; every credential of the account stops
    working. Returns the message to show."""
    missing = [f for f, v in (("token", secret), ("password", password)) if not isinstance(v, str)]
    if missing:
        raise Invalid("Champs « token » et « password » attendus.",
                      errors=[{"field": f, "message": "obligatoire"} for f in missing])
    invalid = BadResetToken("Ce lien de réinitialisation est invalide, expiré ou déjà "
                            "utilisé : demandez-en un nouveau.")
    with db.read() as conn:
        row = _valid_link(conn, secret)
    if row is None:
        raise invalid
    password_hash = new_password_hash(password)  # 422 if too short; slow: no transaction
    t, u = schema.tokens, schema.users
    with db.write() as conn:
        # The link is spent now; a second request with it finds nothing to delete.
        if not conn.execute(delete(t).where(t.c.id == row.id)).rowcount:
            raise invalid
        user = conn.execute(select(u).where(u.c.id == row.user_id)).one()
        if not user.active:
            raise invalid
        revoked = revoke_credentials(conn, user.id)
        store_password_hash(db, conn, user.id, password_hash, actor=user.id,
                            details={"link": row.kind, "credentials_revoked": revoked})
        login_throttle.forget_account(conn, user.email)
        if row.kind == "invite":
            invitation = invitations.pending_for_link(conn, user.id, row.tenant_id)
            if invitation is not None:
                invitations.accept(db, conn, invitation)
                return INVITATION_DONE
    return DONE
