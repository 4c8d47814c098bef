"""Public buildings in the impact report (``Domain.impacts``): electricity saved against the
same days of a reference year (setting ``buildings.reference_year``).

Building by building and day by day, a day of the period counts when the building's meter
measured both that day and the same calendar day of the reference year (``consumption``;
29 February has no counterpart): saved kWh = Σ reference − Σ period over those days, so
that both sums cover exactly the same buildings and days. No climate correction yet: it
comes with the degree days (DJU), and until then a mild winter after a cold reference year
shows as savings. Euros = kWh × ``buildings.tariff_eur_kwh``; kg CO2e = kWh × the
electricity factor ``impact.grid_kgco2e_per_kwh``. Other energies (gas, fuel oil, wood) have
no meter in Beffroi yet and are not counted.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from sqlalchemy import and_, select

from ...plugin import (
    CommuneImpact,
    Coverage,
    DomainImpact,
    Figures,
    ImpactContext,
    ImpactItem,
    ImpactSource,
    MonthImpact,
)
from ...storage import schema
from .consumption import counterpart, daily_kwh
from .settings import REFERENCE_YEAR, TARIFF

GRID = "impact.grid_kgco2e_per_kwh"
BUILDING_KIND = "buildings.building"
METER_METRIC = "energy.active_import"


def _figures(kwh: float | None, ctx: ImpactContext) -> Figures:
    if kwh is None:
        return Figures()
    return Figures(kwh=kwh, eur=kwh * float(ctx.setting(TARIFF)),
                   kgco2e=kwh * float(ctx.setting(GRID)))


def metered_buildings(ctx: ImpactContext) -> list[tuple[int, str | None, int]]:
    """(building id, commune, meter stream id) of the buildings of the report with a meter."""
    a, s = schema.assets, schema.streams
    rows = ctx.conn.execute(
        select(a.c.id, a.c.commune_insee, s.c.id.label("stream_id"))
        .join(s, and_(s.c.tenant_id == a.c.tenant_id, s.c.asset_id == a.c.id))
        .where(ctx.scope.asset_visible(), a.c.kind == BUILDING_KIND, s.c.metric == METER_METRIC)
        .order_by(a.c.id))
    return [(r.id, r.commune_insee, r.stream_id) for r in rows if ctx.covers(r.commune_insee)]


def buildings_impact(ctx: ImpactContext) -> DomainImpact:
    year = ctx.setting(REFERENCE_YEAR)
    buildings = metered_buildings(ctx)
    baseline = (f"Consommation d'électricité mesurée des mêmes jours de l'année de référence "
                f"({year if year else 'non renseignée'}), sans correction climatique.")
    method = ("Économie = Σ consommation de référence − Σ consommation de la période, bâtiment "
              "par bâtiment, sur les seuls jours mesurés par son compteur à la fois pendant la "
              "période et le même jour de l'année de référence (consommation d'un jour : "
              "dernier index du jour − dernier index de la veille). Pas encore de correction "
              "climatique : elle viendra avec le calcul des degrés-jours unifiés (DJU) ; un "
              "hiver doux après une année de référence froide apparaît donc comme une "
              "économie. Seule l'électricité est comptée (les autres énergies n'ont pas "
              "encore de compteur). Euros = kWh × prix de l'électricité des bâtiments ; kg "
              "CO2e = kWh × facteur d'émission de l'électricité.")
    settings = (REFERENCE_YEAR, TARIFF, GRID)
    item_label = "Économies d'électricité des bâtiments publics"
    if not year:
        text = (f"{len(buildings)} bâtiment(s) avec compteur ; année de référence non "
                "renseignée (paramètre buildings.reference_year) : pas de comparaison.")
        return DomainImpact(baseline, method, Coverage(None, text), "measured",
                            items=(ImpactItem("buildings.savings", item_label, Figures(),
                                              "measured", text),),
                            monthly=tuple(MonthImpact(m, Figures()) for m, _, _ in ctx.months()),
                            settings=settings)
    year = int(year)
    streams = [sid for _, _, sid in buildings]
    current = daily_kwh(ctx.conn, ctx.scope.tenant_id, streams, ctx.start, ctx.end, ctx.tz)
    reference = daily_kwh(ctx.conn, ctx.scope.tenant_id, streams, date(year, 1, 1),
                          date(year, 12, 31), ctx.tz)
    per_month: dict[str, float] = defaultdict(float)
    per_commune: dict[str, float] = defaultdict(float)
    compared: set[int] = set()
    pairs = 0
    for building, commune, sid in buildings:
        for day, kwh in current[sid].items():
            twin = counterpart(day, year)
            if twin is None or twin not in reference[sid]:
                continue
            saved = reference[sid][twin] - kwh
            per_month[day.strftime("%Y-%m")] += saved
            if commune:
                per_commune[commune] += saved
            compared.add(building)
            pairs += 1
    total = sum(per_month.values()) if pairs else None
    share = pairs / (len(buildings) * ctx.days) if buildings else None
    text = (f"{len(buildings)} bâtiment(s) avec compteur, {len(compared)} comparé(s) à "
            f"{year} sur {pairs} jour(s)-bâtiment(s) mesuré(s) les deux années.")
    return DomainImpact(
        baseline, method, Coverage(share, text), "measured",
        items=(ImpactItem("buildings.savings", item_label, _figures(total, ctx), "measured",
                          text),),
        monthly=tuple(MonthImpact(m, _figures(per_month[m], ctx) if m in per_month
                                  else Figures()) for m, _, _ in ctx.months()),
        by_commune=tuple(CommuneImpact(c, _figures(v, ctx))
                         for c, v in sorted(per_commune.items())),
        settings=settings)


IMPACTS = (ImpactSource("buildings.savings", "Économies d'électricité des bâtiments",
                        buildings_impact),)
