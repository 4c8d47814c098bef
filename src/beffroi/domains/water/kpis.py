"""Key figures of drinking water on the home dashboard (``Domain.kpis``), from the same
computations as the water pages:

- the open leaks and the water (m³, €) they have lost since their estimated onset, as the
  leak detector last wrote them in its alerts (``open_leaks``);
- the sectors monitored: those with an inlet meter (``detectors.INLET_ROLES``) whose flow
  or index arrived in the last 24 hours, out of the sectors that have one;
- the linear loss index (ILP) of the last calendar year for which the RPQS indicators can
  be computed (``rpqs``, volumes entered or measured), for the services seen together:
  Σ losses / (365 × Σ mains length), rated on the tenant's grid (``indicators``).
"""

from __future__ import annotations

import orjson
from sqlalchemy import and_, select

from ...core.clock import DAY_MS
from ...core.french_format import french_number
from ...core.kpis import Kpi, KpiContext, KpiValue
from ...storage import schema
from .detectors import INLET_ROLES
from .indicators import Volumes, ilc, ilp, rate_ilp
from .open_leaks import territory_open_leaks
from .rpqs import ilp_grid, tenant_indicators, year_period

PAGE = "/eau"
SECTOR_KIND, METER_KIND = "water.sector", "water.meter"
INLET_METRICS = ("water.flow", "water.volume")
MONITORED_WITHIN_MS = DAY_MS
# How far back the last year with indicators is looked for.
ILP_YEARS_BACK = 2
# ILP grade -> KPI status.
GRADE_STATUS = {"good": "ok", "acceptable": "ok", "mediocre": "warning", "poor": "critical"}


def _s(count: int) -> str:
    return "s" if count > 1 else ""


def _leaks(ctx: KpiContext) -> dict | None:
    if ctx.scope.role == "public":  # alerts are never public
        return None
    return territory_open_leaks(ctx.scope, ctx.conn)["summary"]


def open_leaks(ctx: KpiContext) -> KpiValue:
    summary = _leaks(ctx)
    if summary is None:
        return KpiValue(None)
    count = summary["leaks"]
    note = None
    if count:
        note = (f"{french_number(summary['lost_m3'], 0)} m³ et "
                f"{french_number(summary['lost_eur'], 0)} € perdus depuis leur début")
    return KpiValue(float(count), status="warning" if count else "ok", note=note)


def water_lost(ctx: KpiContext) -> KpiValue:
    summary = _leaks(ctx)
    if summary is None:
        return KpiValue(None)
    note = (f"soit {french_number(summary['lost_eur'], 0)} €, depuis le début estimé des "
            "fuites" if summary["leaks"] else "aucune fuite en cours")
    return KpiValue(summary["lost_m3"], note=note)


def sectors_monitored(ctx: KpiContext) -> KpiValue:
    a, s = schema.assets, schema.streams
    sectors = set(ctx.conn.execute(select(a.c.id).where(
        ctx.scope.asset_visible(), a.c.kind == SECTOR_KIND)).scalars())
    if not sectors:
        return KpiValue(None, note="aucun secteur")
    meters = ctx.conn.execute(
        select(a.c.parent_id, a.c.properties, s.c.last_t)
        .join(s, and_(s.c.tenant_id == a.c.tenant_id, s.c.asset_id == a.c.id))
        .where(ctx.scope.asset_visible(), a.c.kind == METER_KIND,
               a.c.parent_id.in_(sorted(sectors)), s.c.metric.in_(INLET_METRICS)))
    equipped: set[int] = set()
    monitored: set[int] = set()
    for sector, properties, last_t in meters:
        if orjson.loads(properties or "{}").get("role") not in INLET_ROLES:
            continue
        equipped.add(sector)
        if last_t is not None and ctx.now - MONITORED_WITHIN_MS <= last_t <= ctx.now:
            monitored.add(sector)
    silent = len(equipped) - len(monitored)
    note = f"sur {len(sectors)} secteur{_s(len(sectors))}"
    if silent:
        note += f" ; {silent} sans mesure d'entrée depuis 24 h"
    return KpiValue(float(len(monitored)),
                    status=("warning" if silent else "ok") if equipped else None, note=note)


def last_ilp(ctx: KpiContext) -> KpiValue:
    last_year = ctx.today.year - 1
    for year in range(last_year, last_year - ILP_YEARS_BACK, -1):
        report = tenant_indicators(ctx.scope, ctx.conn, ctx.registry,
                                   year_period(year, ctx.zone), now=ctx.now)
        computed = [s for s in report["services"] if s["indicators"]
                    and s["inputs"]["mains_length_km"]["value"]]
        if computed:
            return _territory_ilp(ctx, year, computed, len(report["services"]))
    return KpiValue(None, note=f"volumes annuels de {last_year} non saisis",
                    link=f"{PAGE}/volumes")


def _territory_ilp(ctx: KpiContext, year: int, services: list[dict], total: int) -> KpiValue:
    def total_of(name: str) -> float:
        return sum(float(s["inputs"][name]["value"]) for s in services)

    volumes = Volumes(produced=total_of("produced_m3"), imported=total_of("imported_m3"),
                      exported=total_of("exported_m3"),
                      metered_consumption=total_of("metered_consumption_m3"),
                      unmetered_consumption=total_of("unmetered_consumption_m3"),
                      service_volume=total_of("service_volume_m3"),
                      mains_length_km=total_of("mains_length_km"))
    value = ilp(volumes)
    grid, _ = ilp_grid(ctx.scope, ctx.registry)
    rating = rate_ilp(value, ilc(volumes), grid)
    note = f"année {year}, {len(services)} service{_s(len(services))} sur {total}"
    if rating is not None:
        note += f" ; {rating.label}"
    return KpiValue(None if value is None else round(value, 2),
                    status=None if rating is None else GRADE_STATUS[rating.grade],  # type: ignore[arg-type]
                    note=note, link=f"{PAGE}?periode={year}&couleur=ilp")


KPIS = (
    Kpi("water.open_leaks", "Fuites en cours", "1", open_leaks, link=PAGE),
    Kpi("water.leak_losses", "Eau perdue par les fuites en cours", "m3", water_lost,
        link=PAGE),
    Kpi("water.sectors_monitored", "Secteurs suivis", "1", sectors_monitored,
        metrics=INLET_METRICS, link=PAGE, uses_alerts=False),
    # Yearly volumes: entered by hand (a change of the service asset) or metered over a past
    # year.
    Kpi("water.ilp", "Indice linéaire de pertes", "m3/km/d", last_ilp, link=PAGE,
        max_age_s=3600, uses_alerts=False),
)
