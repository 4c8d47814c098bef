"""Key figures of public lighting on the home dashboard (``Domain.kpis``), from the same
computations as the lighting dashboard (``summary``):

- energy of the month so far (the 1st to yesterday), measured by the cabinets' meters,
  against what the inventory and the programmes imply for the same cabinets and days
  (``energy``), and against the same cabinets and calendar days a year before, compared
  only over the days both years measured (``comparison``);
- the failures: active (open or acknowledged) alerts on lighting assets;
- the luminaires that break a rule of the 27 December 2018 order (``compliance_report``).
"""

from __future__ import annotations

from ...core.alerting.alerts import list_alerts
from ...core.french_format import french_number
from ...core.kpis import Kpi, KpiComparison, KpiContext, KpiValue
from .comparison import same_days_comparison
from .compliance_report import commune_report
from .energy import METER_METRIC, expected_by_day, load_cabinets, measured_by_day
from .savings import same_days_of

PAGE = "/eclairage"
COMPLIANCE_PAGE = "/eclairage/conformite"


def _s(count: int) -> str:
    return "s" if count > 1 else ""


def energy_month(ctx: KpiContext) -> KpiValue:
    first, last = ctx.month_so_far()
    period = f"du {first:%d/%m} au {last:%d/%m}"
    cabinets = load_cabinets(ctx.scope, ctx.conn)
    metered = [c for c in cabinets if c.meter is not None]
    if not metered:
        return KpiValue(None, note="aucune armoire avec compteur" if cabinets else None)
    expected = {c.id: expected_by_day(c, first, last) for c in metered}
    measured = {cid: days for cid, days in measured_by_day(
        ctx.scope, ctx.conn, metered, first, last, expected).items() if days}
    if not measured:
        return KpiValue(None, note=f"aucun relevé de compteur {period}")
    kwh = sum(v for days in measured.values() for v in days.values())
    expected_kwh = sum(expected[cid].get(d, 0.0) for cid, days in measured.items()
                       for d in days)
    year = first.year - 1
    b_first, b_last = same_days_of(year, first, last)
    before = measured_by_day(ctx.scope, ctx.conn, metered, b_first, b_last,
                             {c.id: expected_by_day(c, b_first, b_last) for c in metered})
    compared = same_days_comparison(measured, before, first, last, year)
    enough = compared["change_pct"] is not None
    s = _s(len(measured))
    note = f"{period} ; {len(measured)} armoire{s} mesurée{s} sur {len(cabinets)}"
    if compared["days"]:
        s = _s(compared["days"])
        note += f" ; {compared['days']} jour{s} comparé{s} avec {year}"
    return KpiValue(
        round(kwh, 1),
        (KpiComparison("attendu (inventaire × programmes)", round(expected_kwh, 1)),
         KpiComparison(f"mêmes jours en {year}",
                       compared["previous_kwh"] if enough else None,
                       delta_share=(compared["kwh"] / compared["previous_kwh"] - 1
                                    if enough else None))),
        note=note)


def open_failures(ctx: KpiContext) -> KpiValue:
    if ctx.scope.role == "public":  # alerts are never public
        return KpiValue(None)
    rows = list_alerts(ctx.scope, ctx.conn, status="active", domain="lighting", limit=1000)
    critical = sum(1 for r in rows if r.severity == "critical")
    warning = sum(1 for r in rows if r.severity == "warning")
    status = "critical" if critical else "warning" if warning else "ok"
    note = f"dont {critical} critique{_s(critical)}" if critical else None
    return KpiValue(float(len(rows)), status=status, note=note)


def non_compliant(ctx: KpiContext) -> KpiValue:
    totals = commune_report(ctx.scope, ctx.conn)["totals"]
    if not totals["luminaires"]:
        return KpiValue(None, note="aucun point lumineux")
    note = f"sur {french_number(totals['luminaires'], 0)} points lumineux"
    if totals["with_missing_data"]:
        note += f" ; {french_number(totals['with_missing_data'], 0)} à compléter"
    return KpiValue(float(totals["non_compliant"]),
                    status="warning" if totals["non_compliant"] else "ok", note=note,
                    link=COMPLIANCE_PAGE)


KPIS = (
    Kpi("lighting.energy_month", "Énergie du mois", "kW.h", energy_month,
        metrics=(METER_METRIC,), link=PAGE, uses_alerts=False),
    Kpi("lighting.failures", "Pannes en cours", "1", open_failures, link=PAGE),
    # The inventory and the settings only: recomputed when they change.
    Kpi("lighting.non_compliant", "Points non conformes", "1", non_compliant,
        link=COMPLIANCE_PAGE, max_age_s=3600, uses_alerts=False),
)
