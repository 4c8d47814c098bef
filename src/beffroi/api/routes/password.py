"""Forgotten password: ask for a reset link by e-mail, then set a new password with it."""

from __future__ import annotations

from fastapi import APIRouter, BackgroundTasks, Request

from ...core import password_reset
from ...core.errors import Invalid
from ..deps import CredentialsBody, JSONResponse, body_doc

router = APIRouter(tags=["authentification"])


@router.post("/auth/password-reset", status_code=202,
             openapi_extra=body_doc({"email": "agent@commune.fr"}))
def request_password_reset(request: Request, body: CredentialsBody, background: BackgroundTasks):
    """Send a one-time reset link (valid one hour) if an active account has this address.

    The answer is the same whether the account exists or not; the e-mail leaves after it.
    """
    if not isinstance(body, dict):
        raise Invalid("Objet JSON attendu.", errors=[{"field": "email", "message": "obligatoire"}])
    password_reset.check_mail_configured()
    mail = password_reset.request_reset(request.app.state.db, body.get("email"))
    if mail is not None:
        background.add_task(password_reset.send_reset_mail, mail)
    return JSONResponse({"detail": password_reset.ACCEPTED}, status_code=202)


@router.post("/auth/password-reset/confirm",
             openapi_extra=body_doc({"token": "bfr_…", "password": "un mot de passe solide"}))
def confirm_password_reset(request: Request, body: CredentialsBody):
    """Set a new password with the link's token; every session of the account is closed."""
    if not isinstance(body, dict):
        raise Invalid("Objet JSON attendu.")
    password_reset.confirm_reset(request.app.state.db, body.get("token"), body.get("password"))
    return JSONResponse({"detail": password_reset.DONE})
