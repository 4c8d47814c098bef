"""Retention of the register (GDPR): a record not re-confirmed for
``risks.register_reconfirm_months`` months is deleted by a daily job, with its contacts
and calls; the audit keeps the fact and the id only (``register.purge``, actor system).

No text sets the duration: the décret 2004-926 (art. R121-2 s. CASF) asks for a register
kept up to date, and the CNIL's guidance (registre canicule) lets the commune fix it. The
default of 24 months (a yearly confirmation campaign before summer, with one season of
grace) is a choice to verify by each commune: it is a setting (``verified=False``).
"""

from __future__ import annotations

import calendar
from datetime import datetime

from sqlalchemy import select

from ....core.access import SYSTEM, open_scope
from ....core.clock import PARIS
from ....core.domain import PropertySpec, Setting
from ....core.registry import Registry
from ....core.settings import setting
from ....storage import schema
from ....storage.database import Database
from .persons import erase

RECONFIRM_MONTHS = "risks.register_reconfirm_months"
SETTINGS = (
    Setting(PropertySpec(RECONFIRM_MONTHS, "integer", "Registre des personnes vulnérables : "
                         "durée sans confirmation avant suppression (mois)", minimum=6,
                         maximum=120),
            24, "Aucune durée fixée par le décret 2004-926 ; confirmation annuelle avant "
                "l'été et une saison de grâce : à fixer par la commune (à vérifier)."),
)


def cutoff_ms(now_ms: int, months: int) -> int:
    """The same local day and time ``months`` calendar months before ``now_ms`` (clamped
    to the month's last day)."""
    local = datetime.fromtimestamp(now_ms / 1000, PARIS)
    index = local.year * 12 + local.month - 1 - months
    year, month = divmod(index, 12)
    month += 1
    day = min(local.day, calendar.monthrange(year, month)[1])
    return int(local.replace(year=year, month=month, day=day).timestamp() * 1000)


def purge_unconfirmed(db: Database, registry: Registry, now_ms: int) -> int:
    """Delete every record not confirmed since the cutoff of its tenant; the number deleted."""
    p, t = schema.register_persons, schema.tenants
    purged = 0
    with db.write() as conn:
        tenant_ids = [r[0] for r in conn.execute(select(p.c.tenant_id).distinct())]
        for tenant_id in tenant_ids:
            stored = conn.execute(select(t.c.settings).where(t.c.id == tenant_id)).scalar()
            months = int(setting(stored or "{}", registry, RECONFIRM_MONTHS))
            cutoff = cutoff_ms(now_ms, months)
            ids = [r[0] for r in conn.execute(select(p.c.id).where(
                p.c.tenant_id == tenant_id, p.c.confirmed_at < cutoff))]
            if not ids:
                continue
            scope = open_scope(db, conn, SYSTEM, tenant_id)
            erase(scope, conn, ids)
            for person_id in ids:
                scope.audit(conn, "register.purge", "register_person", person_id,
                            {"reason": "not_confirmed", "months": months})
            purged += len(ids)
    return purged
