"""A signed-in person changes their own password, proving the current one.

The current password is checked like a log-in attempt, charged to the same counters
(``login_throttle``: the account and the client address), so that a session left open
cannot be used to guess it faster than the log-in page allows. The new password keeps the
rules of every new password (``users.check_new_password``) and must differ from the
current one. Once changed, the account's other sessions are closed (the one used for the
change stays open) and its pending reset links are spent; personal API tokens, separate
credentials that scripts hold, stay valid. The audit log says that the password changed,
never what it is. Passwords are hashed and verified outside any transaction (``auth``).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select

from ..storage import schema
from ..storage.database import Database
from . import login_throttle
from .access import Principal
from .auth import hash_password, verify_password
from .errors import Invalid
from .users import check_new_password, store_password_hash

DONE = ("Votre mot de passe a été modifié. Vos autres sessions ont été fermées ; vos jetons "
        "d'accès personnels restent valables.")
WRONG_CURRENT = "Mot de passe actuel incorrect."
SAME_AS_CURRENT = "Le nouveau mot de passe doit être différent du mot de passe actuel."


def change_password(db: Database, principal: Principal, current: Any, new: Any,
                    address: str | None) -> dict[str, Any]:
    """Check ``current``, store ``new``, close the account's other sessions; the answer's
    ``detail`` (French) and how many sessions were closed."""
    user_id = principal.require_person()
    missing = [f for f, v in (("current_password", current), ("new_password", new))
               if not isinstance(v, str) or not v]
    if missing:
        raise Invalid("Mot de passe actuel et nouveau mot de passe obligatoires.",
                      errors=[{"field": f, "message": "obligatoire"} for f in missing])
    check_new_password(new, field="new_password")
    if new == current:
        raise Invalid(SAME_AS_CURRENT, errors=[{"field": "new_password",
                                                "message": "identique au mot de passe actuel"}])
    u = schema.users
    with db.read() as conn:
        user = conn.execute(select(u).where(u.c.id == user_id)).one()
    keys = login_throttle.login_keys(user.email, address)
    charged = login_throttle.admit(db, keys)
    if not verify_password(user.password_hash, current):
        raise Invalid(WRONG_CURRENT, errors=[{"field": "current_password",
                                              "message": "incorrect"}])
    password_hash = hash_password(new)  # slow: before the transaction
    t = schema.tokens
    with db.write() as conn:
        login_throttle.succeed(conn, keys, charged)
        closed = conn.execute(delete(t).where(
            t.c.user_id == user_id, t.c.kind == "session",
            t.c.id != (principal.token_id or 0))).rowcount
        conn.execute(delete(t).where(t.c.user_id == user_id, t.c.kind == "reset"))
        store_password_hash(db, conn, user_id, password_hash, actor=user_id,
                            details={"by": "owner", "sessions_closed": closed})
    return {"detail": DONE, "sessions_closed": closed}
