"""Invitations: the only way a tenant admin gives someone a role in the tenant.

An account is global and may serve several tenants, so a tenant admin never chooses its
password nor attaches it by themselves. They invite an e-mail address with a role (and
communes); the answer has the same shape whether the address has an account or not, and
says nothing about it. The membership exists once the person accepts:

- an address without an account gets one, without a password, and an e-mail with a
  one-time link (valid ``INVITATION_TTL_MS``, 7 days) to choose the password, which
  accepts the invitation;
- an existing account sees the invitation once logged in (``GET /me/invitations``, the
  home page) and gets an e-mail; it accepts or declines it (an account that has no
  password yet also gets the link).

Pending invitations appear in the tenant's administration, which may revoke them. Every
step goes to the tenant's audit log. Without SMTP, invitations still work for existing
accounts; an operator admin creates the others with a password (``POST /users``).
"""

from __future__ import annotations

from typing import Any

import orjson
from sqlalchemy import Connection, and_, delete, select

from ..notifications.messages import public_url
from ..storage import schema
from ..storage.database import Database
from .access import ROLE_LABELS, Principal, TenantScope
from .account_mail import SIGNATURE, AccountMail, mail_configured, paris_time, password_link
from .audit import write_audit
from .auth import issue_token
from .clock import DAY_MS, format_instant, now_ms
from .errors import Conflict, Invalid, NotFound
from .users import check_email, create_user, grant_membership, is_member, validate_membership

INVITATION_TTL_MS = 7 * DAY_MS
FIELDS = {"email", "name", "role", "communes"}
STATUS_LABELS = {"pending": "en attente", "expired": "expirée"}


def invitation_public(row: Any, email: str, now: int) -> dict[str, Any]:
    status = "pending" if row.expires_at >= now else "expired"
    return {"id": row.id, "email": email, "role": row.role,
            "communes": orjson.loads(row.communes) if row.communes else None,
            "status": status, "status_label": STATUS_LABELS[status],
            "invited_at": format_instant(row.created_at),
            "expires_at": format_instant(row.expires_at)}


def _check_fields(data: dict[str, Any]) -> None:
    errors = []
    if "password" in data:
        errors.append({"field": "password", "message": "la personne choisit elle-même son mot "
                                                       "de passe (lien envoyé par e-mail)"})
    errors += [{"field": f, "message": "champ inconnu"} for f in sorted(set(data) - FIELDS
                                                                        - {"password"})]
    if data.get("name") is not None and not isinstance(data["name"], str):
        errors.append({"field": "name", "message": "texte attendu"})
    if errors:
        raise Invalid("Invitation invalide.", errors=errors)


def _drop(conn: Connection, tenant_id: int, user_id: int) -> None:
    """Delete an invitation and the one-time links that came with it."""
    i, t = schema.invitations, schema.tokens
    conn.execute(delete(i).where(i.c.tenant_id == tenant_id, i.c.user_id == user_id))
    conn.execute(delete(t).where(t.c.kind == "invite", t.c.user_id == user_id,
                                 t.c.tenant_id == tenant_id))


def invite_member(scope: TenantScope, conn: Connection, data: dict[str, Any]
                  ) -> tuple[dict[str, Any], AccountMail | None]:
    """Invite an address; (the pending invitation, the e-mail to send after answering)."""
    scope.require("admin")
    _check_fields(data)
    email = check_email(data.get("email"))
    role, communes = validate_membership(conn, scope, data.get("role"), data.get("communes"))
    u, i = schema.users, schema.invitations
    user = conn.execute(select(u).where(u.c.email == email)).first()
    if user is None:
        create_user(scope.db, conn, email=email, name=data.get("name"),
                    actor=scope.principal.user_id)
        user = conn.execute(select(u).where(u.c.email == email)).one()
    elif is_member(conn, scope.tenant_id, user.id):
        raise Conflict(f"{email} est déjà membre de ce territoire.")
    now = now_ms()
    previous = conn.execute(select(i).where(scope.owns(i), i.c.user_id == user.id)).first()
    if previous is not None:
        if previous.expires_at >= now:
            raise Conflict(f"Une invitation est déjà en attente pour {email} : révoquez-la "
                           "pour en envoyer une nouvelle.")
        _drop(conn, scope.tenant_id, user.id)
    invitation_id = scope.db.allocate_ids(conn, "invitations")
    conn.execute(i.insert().values(
        tenant_id=scope.tenant_id, id=invitation_id, user_id=user.id, role=role,
        communes=communes, invited_by=scope.principal.user_id, created_at=now,
        expires_at=now + INVITATION_TTL_MS))
    scope.audit(conn, "create", "invitation", invitation_id,
                {"email": email, "role": role, "communes": communes})
    row = conn.execute(select(i).where(scope.owns(i), i.c.id == invitation_id)).one()
    mail = _mail(scope, conn, user, row) if user.active else None
    return invitation_public(row, email, now), mail


def answer_detail(email: str) -> str:
    """What the inviting admin is told: the same whether the address has an account."""
    if mail_configured():
        return (f"Invitation envoyée à {email}. La personne devient membre quand elle "
                "l'accepte (lien valable 7 jours).")
    return (f"Invitation enregistrée pour {email}, mais l'envoi d'e-mails n'est pas "
            "configuré : la personne la verra en se connectant à Beffroi. Si elle n'a pas "
            "encore de compte, l'administrateur de l'instance doit le lui créer.")


def _mail(scope: TenantScope, conn: Connection, user: Any, row: Any) -> AccountMail:
    inviter = scope.principal.email or "Un administrateur"
    role = ROLE_LABELS[row.role]
    text = (f"Bonjour {user.name or ''},\n\n".replace(" ,", ",")
            + f"{inviter} vous invite à rejoindre le territoire « {scope.tenant.name} » sur "
            f"Beffroi, en tant que {role}.\n\n")
    if user.password_hash is None:
        _, secret = issue_token(scope.db, conn, "invite", user_id=user.id,
                                tenant_id=scope.tenant_id, ttl_ms=INVITATION_TTL_MS)
        text += ("Pour accepter et choisir votre mot de passe, ouvrez ce lien :\n\n"
                 f"{password_link(secret)}\n\nCe lien ne sert qu'une fois et reste valable "
                 f"jusqu'au {paris_time(row.expires_at)} (heure de Paris).\n\n")
    else:
        text += ("Pour accepter ou refuser l'invitation, connectez-vous à Beffroi avec votre "
                 f"compte habituel :\n\n{public_url()}/\n\nL'invitation reste valable jusqu'au "
                 f"{paris_time(row.expires_at)} (heure de Paris).\n\n")
    text += ("Si vous ne vous attendiez pas à cette invitation, ignorez ce message : rien ne "
             "change pour vous sans votre accord.\n" + SIGNATURE)
    return AccountMail(to=user.email, body=text,
                       subject=f"Beffroi — invitation à rejoindre {scope.tenant.name}")


def list_invitations(scope: TenantScope, conn: Connection) -> list[dict[str, Any]]:
    """The tenant's invitations not yet answered (expired ones too, to invite again)."""
    scope.require("admin")
    i, u = schema.invitations, schema.users
    now = now_ms()
    rows = conn.execute(select(i, u.c.email).join(u, u.c.id == i.c.user_id)
                        .where(scope.owns(i)).order_by(u.c.email))
    return [invitation_public(r, r.email, now) for r in rows]


def revoke_invitation(scope: TenantScope, conn: Connection, invitation_id: int) -> None:
    scope.require("admin")
    i = schema.invitations
    row = conn.execute(select(i).where(scope.owns(i), i.c.id == invitation_id)).first()
    if row is None:
        raise NotFound(f"Invitation {invitation_id} introuvable dans ce territoire.")
    _drop(conn, scope.tenant_id, row.user_id)
    scope.audit(conn, "revoke", "invitation", invitation_id, {"user_id": row.user_id})


# -- the invited person -------------------------------------------------------------------

def my_invitations(conn: Connection, principal: Principal) -> list[dict[str, Any]]:
    """The caller's pending invitations, with the tenant's name and communes."""
    user_id = principal.require_person()
    i, t, c = schema.invitations, schema.tenants, schema.communes
    rows = conn.execute(select(i, t.c.name.label("tenant_name")).join(t, t.c.id == i.c.tenant_id)
                        .where(i.c.user_id == user_id, i.c.expires_at >= now_ms())
                        .order_by(i.c.created_at))
    out = []
    for r in rows:
        communes = None
        if r.communes:
            codes = orjson.loads(r.communes)
            names = dict(conn.execute(select(c.c.insee, c.c.name).where(
                c.c.tenant_id == r.tenant_id, c.c.insee.in_(codes))).all())
            communes = [{"insee": code, "name": names.get(code, code)} for code in codes]
        out.append({"id": r.id, "tenant_id": r.tenant_id, "tenant_name": r.tenant_name,
                    "role": r.role, "role_label": ROLE_LABELS[r.role], "communes": communes,
                    "invited_at": format_instant(r.created_at),
                    "expires_at": format_instant(r.expires_at)})
    return out


def _mine(conn: Connection, principal: Principal, invitation_id: int) -> Any:
    user_id = principal.require_person()
    i = schema.invitations
    row = conn.execute(select(i).where(i.c.id == invitation_id, i.c.user_id == user_id,
                                       i.c.expires_at >= now_ms())).first()
    if row is None:
        raise NotFound(f"Invitation {invitation_id} introuvable ou expirée.")
    return row


def accept(db: Database, conn: Connection, row: Any) -> None:
    """The person accepted: the membership the invitation offered now exists."""
    _drop(conn, row.tenant_id, row.user_id)
    if not is_member(conn, row.tenant_id, row.user_id):
        grant_membership(conn, row.tenant_id, row.user_id, row.role, row.communes)
        write_audit(conn, db, row.tenant_id, row.user_id, "create", "membership", row.user_id,
                    {"role": row.role, "communes": row.communes, "invitation": row.id})
    write_audit(conn, db, row.tenant_id, row.user_id, "accept", "invitation", row.id,
                {"role": row.role, "communes": row.communes})


def accept_invitation(db: Database, conn: Connection, principal: Principal,
                      invitation_id: int) -> dict[str, Any]:
    row = _mine(conn, principal, invitation_id)
    accept(db, conn, row)
    return {"tenant_id": row.tenant_id, "role": row.role,
            "communes": orjson.loads(row.communes) if row.communes else None}


def decline_invitation(db: Database, conn: Connection, principal: Principal,
                       invitation_id: int) -> None:
    row = _mine(conn, principal, invitation_id)
    _drop(conn, row.tenant_id, row.user_id)
    write_audit(conn, db, row.tenant_id, row.user_id, "decline", "invitation", row.id)


def pending_for_link(conn: Connection, user_id: int, tenant_id: int) -> Any:
    """The invitation an invite link stands for, if still pending."""
    i = schema.invitations
    return conn.execute(select(i).where(and_(i.c.tenant_id == tenant_id,
                                             i.c.user_id == user_id,
                                             i.c.expires_at >= now_ms()))).first()
