"""Passwords: a signed-in person changes their own; a forgotten one is reset through a link
sent by e-mail."""

from __future__ import annotations

from fastapi import APIRouter, BackgroundTasks, Request

from ...core import password_change, password_reset
from ...core.account_mail import send_account_mail
from ...core.errors import Invalid
from ..deps import (
    CredentialsBody,
    CtxDep,
    JSONResponse,
    Object,
    PasswordBody,
    body_doc,
    client_address,
)
from ..openapi import problems

router = APIRouter(tags=["authentification"])


@router.post("/auth/password-reset", status_code=202,
             openapi_extra=body_doc({"email": "agent@commune.fr"}), response_model=Object,
             responses=problems(429, 503))
def request_password_reset(request: Request, body: CredentialsBody, background: BackgroundTasks):
    """Send a one-time reset link (valid one hour) if an active account has this address.

    The answer is the same whether the account exists or not; the e-mail leaves after it.
    Repeated requests are held back like log-ins: 429 with ``Retry-After``.
    """
    if not isinstance(body, dict):
        raise Invalid("Objet JSON attendu.", errors=[{"field": "email", "message": "obligatoire"}])
    password_reset.check_mail_configured()
    mail = password_reset.request_reset(request.app.state.db, body.get("email"),
                                        client_address(request))
    if mail is not None:
        background.add_task(send_account_mail, mail)
    return JSONResponse({"detail": password_reset.ACCEPTED}, status_code=202)


@router.post("/auth/password-reset/confirm",
             openapi_extra=body_doc({"token": "bfr_…", "password": "un mot de passe solide"}), response_model=Object,
             responses=problems(400))
def confirm_password_reset(request: Request, body: CredentialsBody):
    """Set a new password with a one-time link's token (reset or invitation): every
    session, personal token and other link of the account stops working; an invitation
    link also accepts the invitation."""
    if not isinstance(body, dict):
        raise Invalid("Objet JSON attendu.")
    detail = password_reset.confirm_reset(request.app.state.db, body.get("token"),
                                          body.get("password"))
    return JSONResponse({"detail": detail})


@router.post("/me/password",
             openapi_extra=body_doc({"current_password": "l'actuel",
                                     "new_password": "un nouveau mot de passe solide"}),
             response_model=Object, responses=problems(429, 503))
def change_password(request: Request, ctx: CtxDep, body: PasswordBody):
    """Change your own password (8 characters at least, not the current one). The current
    password is checked like a log-in: a wrong one is 422 (field ``current_password``) and
    counts as a failed log-in, so that repeated ones are held back (429 with
    ``Retry-After``). Your other sessions are closed, the one making the request stays
    open; personal API tokens stay valid (revoke them with ``DELETE /me/tokens/{id}``)."""
    if not isinstance(body, dict):
        raise Invalid("Objet JSON attendu.")
    return JSONResponse(password_change.change_password(
        request.app.state.db, ctx.principal, body.get("current_password"),
        body.get("new_password"), client_address(request)))
