"""The key figures one domain shows on the home dashboard, as the test files of each
domain's KPIs read them (uncached, at a pinned ``now``, as the CLI or a member sees them)."""

from __future__ import annotations

from beffroi.core import users
from beffroi.core.access import CLI, load_principal, open_scope
from beffroi.core.dashboard import dashboard


def domain_kpis(db, registry, tenant: int, domain: str, now: int, communes=None,
                email: str | None = None) -> dict[str, dict]:
    """{KPI key: KPI item} of ``domain``'s card; ``email``: as that member sees it."""
    with db.read() as conn:
        principal = CLI if email is None else load_principal(
            conn, users.find_user(conn, email).id)
        cards = dashboard(open_scope(db, conn, principal, tenant), conn, registry, communes,
                          now=now, cache=None)
    [card] = [c for c in cards if c["domain"] == domain]
    return {k["key"]: k for k in card["kpis"]}
