"""The home dashboard's frame: one card per domain with its key figures.

Core counts what it knows for every domain (assets by kind, active alerts by severity,
silent devices); a domain adds its own figures by declaring ``Kpi`` objects in
``Domain(kpis=…)``: each ``compute(context)`` returns a number (or None when it cannot
be computed yet) in the KPI's unit. A failing KPI is shown as unavailable, never
breaks the page.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import Connection, and_, func, select

from ..storage import schema
from .access import TenantScope
from .alerting.alerts import ACTIVE, SEVERITIES, visible_alerts
from .clock import now_ms
from .devices import is_silent
from .kpis import Kpi, KpiContext

__all__ = ["Kpi", "KpiContext", "dashboard"]  # Kpi, KpiContext: declared in kpis
from .registry import Registry

log = logging.getLogger("beffroi.dashboard")


def dashboard(scope: TenantScope, conn: Connection, registry: Registry) -> list[dict[str, Any]]:
    """One card per domain that has assets in the tenant (or declares KPIs)."""
    scope.require("read")
    a, al, d = schema.assets, schema.alerts, schema.devices
    kinds = dict(conn.execute(select(a.c.kind, func.count()).where(scope.asset_visible())
                              .group_by(a.c.kind)).all())
    alerts: dict[tuple[str, str], int] = {}
    if scope.role != "public":
        clause = and_(visible_alerts(scope), al.c.status.in_(ACTIVE))
        for domain, severity, count in conn.execute(
                select(al.c.domain, al.c.severity, func.count()).where(clause)
                .group_by(al.c.domain, al.c.severity)):
            alerts[(domain or "", severity)] = count
    now = now_ms()
    silent: dict[str, int] = {}
    if scope.role != "public":
        visible = select(a.c.id, a.c.kind).where(scope.asset_visible()).subquery()
        rows = conn.execute(select(visible.c.kind, d.c.last_seen, d.c.expected_interval_s)
                            .join(visible, visible.c.id == d.c.asset_id)
                            .where(scope.owns(d), d.c.expected_interval_s.is_not(None)))
        for kind, last_seen, interval in rows:
            if is_silent(last_seen, interval, now):
                key = registry.kind_domain.get(kind, "")
                silent[key] = silent.get(key, 0) + 1
    cards = []
    context = KpiContext(scope, conn, registry, now)
    for key, domain in registry.domains.items():
        domain_kinds = [(k, n) for k, n in kinds.items() if registry.kind_domain.get(k) == key]
        kpis = list(domain.kpis)
        if not domain_kinds and not kpis:
            continue
        cards.append({
            "domain": key, "label": domain.label,
            "assets": sum(n for _, n in domain_kinds),
            "kinds": [{"kind": k, "label": registry.asset_kinds[k].label, "count": n}
                      for k, n in sorted(domain_kinds, key=lambda x: -x[1])],
            "alerts": {s: alerts.get((key, s), 0) for s in SEVERITIES},
            "silent_devices": silent.get(key, 0),
            "kpis": [_kpi(kpi, context) for kpi in kpis],
        })
    return cards


def _kpi(kpi: Kpi, context: KpiContext) -> dict[str, Any]:
    try:
        value = kpi.compute(context)
    except Exception:  # a domain's figure must not break the home page
        log.exception("KPI %s failed", kpi.key)
        value = None
    return {"key": kpi.key, "label": kpi.label, "unit": kpi.unit, "value": value}
