"""The home dashboard's frame: one card per domain with its key figures.

Core counts what it knows for every domain (assets by kind, active alerts by severity,
silent devices), fresh at each request, and gives each card a ``status`` (the worst
severity of its active alerts, else "ok") and a ``link`` (the domain's main page: its
first page in the menu). A domain adds its own figures by declaring ``Kpi`` objects in
``Domain(kpis=…)``: each ``compute(context)`` returns a number (or None when it cannot be
computed yet) in the KPI's unit, or a ``KpiValue`` with comparisons, status, note and
link. A failing KPI is shown as unavailable, never breaks the page. KPI values are kept
between requests by ``dashboard_cache`` (recomputed when the inventory seen, the tenant's
alerts or its settings change, and after the KPI's ``max_age_s``).

``communes`` narrows everything to some communes of the caller's scope (a commune outside
it is refused, 422); with exactly one, the links carry it (``?commune=INSEE``), as the
domain pages read it.
"""

from __future__ import annotations

import dataclasses
import logging
import math
import re
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, and_, func, select

from ..storage import schema
from .access import TenantScope
from .alerting.alerts import ACTIVE, SEVERITIES, visible_alerts
from .clock import now_ms
from .dashboard_cache import CACHE, KpiCache, versions, without_alerts
from .devices import is_silent
from .domain import Domain
from .errors import Invalid
from .kpis import KPI_STATUSES, Kpi, KpiComparison, KpiContext, KpiValue
from .registry import Registry

# Kpi, KpiComparison, KpiContext, KpiValue: declared in kpis
__all__ = ["Kpi", "KpiComparison", "KpiContext", "KpiValue", "commune_filter", "dashboard"]

log = logging.getLogger("beffroi.dashboard")
MAX_COMMUNES = 100


def commune_filter(scope: TenantScope, conn: Connection, communes: Sequence[str] | None
                   ) -> tuple[str, ...] | None:
    """The communes asked for (sorted, each once), all in the caller's scope; None when
    none is asked for. A code that is malformed, unknown to the tenant or outside the
    caller's communes is refused with a French 422."""
    if not communes:
        return None
    asked = sorted(set(communes))
    if len(asked) > MAX_COMMUNES:
        raise Invalid(f"Trop de communes demandées : {MAX_COMMUNES} au plus.",
                      errors=[{"field": "commune", "message": f"{MAX_COMMUNES} au plus"}])
    malformed = [c for c in asked if not (len(c) == 5 and c[:2].isalnum())]  # as stored
    if malformed:
        raise Invalid(f"Code INSEE « {malformed[0][:20]} » invalide.",
                      errors=[{"field": "commune", "message": f"« {c[:20]} » : code INSEE à "
                               "5 caractères attendu (88383, 2A004…)"} for c in malformed])
    c = schema.communes
    known = set(conn.execute(select(c.c.insee).where(scope.commune_visible(),
                                                     c.c.insee.in_(asked))).scalars())
    outside = [code for code in asked if code not in known]
    if outside:
        raise Invalid(f"Commune « {outside[0]} » inconnue dans ce territoire ou hors de "
                      "votre accès.",
                      errors=[{"field": "commune", "message": f"« {code} » : commune inconnue "
                               "ou hors de votre accès"} for code in outside])
    return tuple(asked)


def dashboard(scope: TenantScope, conn: Connection, registry: Registry,
              communes: Sequence[str] | None = None, *, now: int | None = None,
              cache: KpiCache | None = CACHE) -> list[dict[str, Any]]:
    """One card per domain that has assets in the tenant (or declares KPIs), for the
    communes asked for (all the caller sees when None); ``cache`` None computes every KPI
    afresh."""
    scope.require("read")
    chosen = commune_filter(scope, conn, communes)
    if chosen is not None:
        scope = dataclasses.replace(scope, communes=frozenset(chosen))
    a, al, d = schema.assets, schema.alerts, schema.devices
    kinds, changed = {}, 0
    for kind, count, updated in conn.execute(
            select(a.c.kind, func.count(), func.max(a.c.updated_at))
            .where(scope.asset_visible()).group_by(a.c.kind)):
        kinds[kind], changed = count, max(changed, updated or 0)
    alerts: dict[tuple[str, str], int] = {}
    if scope.role != "public":
        clause = and_(visible_alerts(scope), al.c.status.in_(ACTIVE))
        for domain, severity, count in conn.execute(
                select(al.c.domain, al.c.severity, func.count()).where(clause)
                .group_by(al.c.domain, al.c.severity)):
            alerts[(domain or "", severity)] = count
    now = now_ms() if now is None else now
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
    context = KpiContext(scope, conn, registry, now, chosen)
    depends = versions(conn, scope.tenant_id, (sum(kinds.values()), changed),
                       scope.tenant.settings)
    # Members see the same figures whatever their role; the public does not see alerts.
    view = (scope.db.url, scope.tenant_id, "public" if scope.role == "public" else "member",
            None if scope.communes is None else tuple(sorted(scope.communes)),
            None if scope.kinds is None else tuple(sorted(scope.kinds)), chosen)
    one = chosen[0] if chosen is not None and len(chosen) == 1 else None
    cards = []
    for key, domain in registry.domains.items():
        domain_kinds = [(k, n) for k, n in kinds.items() if registry.kind_domain.get(k) == key]
        kpis = list(domain.kpis)
        if not domain_kinds and not kpis:
            continue
        counts = {s: alerts.get((key, s), 0) for s in SEVERITIES}
        values = []
        for kpi in kpis:
            if cache is None:
                values.append(_kpi(kpi, context))
            else:
                values.append(cache.value(
                    (*view, kpi.key), depends if kpi.uses_alerts else without_alerts(depends),
                    kpi.max_age_s, now, lambda kpi=kpi: _kpi(kpi, context)))
        cards.append({
            "domain": key, "label": domain.label,
            "assets": sum(n for _, n in domain_kinds),
            "kinds": [{"kind": k, "label": registry.asset_kinds[k].label, "count": n}
                      for k, n in sorted(domain_kinds, key=lambda x: -x[1])],
            "alerts": counts,
            "silent_devices": silent.get(key, 0),
            "status": next((s for s in reversed(SEVERITIES) if counts[s]), "ok"),
            "link": with_commune(main_page(domain), one),
            "kpis": [{**v, "link": with_commune(v["link"], one)} for v in values],
        })
    return cards


def main_page(domain: Domain) -> str | None:
    """The domain's first page in the menu, else its first page, else None."""
    listed = [p.path for p in domain.pages if p.nav_label] or [p.path for p in domain.pages]
    return listed[0] if listed else None


def with_commune(link: str | None, commune: str | None) -> str | None:
    """``link`` with ``commune=INSEE`` added, unless it already names one."""
    if link is None or commune is None or re.search(r"[?&]commune=", link):
        return link
    return f"{link}{'&' if '?' in link else '?'}commune={commune}"


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def _comparison(c: KpiComparison, value: float | None, unit: str) -> dict[str, Any]:
    compared = _number(c.value)
    delta = _number(c.delta_share)
    if delta is None and c.relative and value is not None and compared:
        delta = value / compared - 1
    return {"label": c.label, "value": compared, "unit": c.unit or unit,
            "delta_share": None if delta is None else round(delta, 4)}


def _kpi(kpi: Kpi, context: KpiContext) -> dict[str, Any]:
    try:
        result = kpi.compute(context)
        if not isinstance(result, KpiValue):
            result = KpiValue(result)
        value = _number(result.value)
        out = {"value": value,
               "comparisons": [_comparison(c, value, kpi.unit) for c in result.comparisons],
               "status": result.status if result.status in KPI_STATUSES else None,
               "note": result.note, "link": result.link or kpi.link}
    except Exception:  # a domain's figure must not break the home page
        log.exception("KPI %s failed", kpi.key)
        out = {"value": None, "comparisons": [], "status": None, "note": None,
               "link": kpi.link}
    return {"key": kpi.key, "label": kpi.label, "unit": kpi.unit, **out}
