"""Drinking water in the impact report (``Domain.impacts``).

- **Early repairs**: the m³ that night-flow monitoring saved on the leaks repaired in the
  period, against the usual run time of a leak found without monitoring
  (``repaired_leaks.saved_m3``, setting ``water.usual_leak_duration_days``), dated by the
  repair day.
- **Losses avoided** against the reference year's linear loss index (ILP, setting
  ``water.reference_year``): for each *whole calendar year* of the period and each service
  whose indicators both years can be computed (``rpqs.tenant_indicators``),
  (ILP of the reference year − ILP of the year) × 365 × mains length of the year — the loss
  rate of the reference year applied to the year's network, minus the year's losses. The
  volumes are yearly (billing), so a part of a year is never counted; without a reference
  year, or without a whole year in the period, the figure is null and the coverage says why.
  A year's m³ are spread over its months in proportion to their days.
- **Remote readings**: every customer meter read remotely in the period spares the manual
  readings of a year (``water.manual_readings_per_year``) in proportion to the period: site
  visits that core turns into km, hours, € and kg CO2e (``FieldTrip`` "water.meter_reading").

m³ × ``water.price_eur_m3`` gives euros; × ``water.energy_kwh_per_m3`` (when the service has
entered it) kWh, × the electricity factor ``impact.grid_kgco2e_per_kwh`` kg CO2e.
"""

from __future__ import annotations

import calendar
from collections import defaultdict
from datetime import date
from typing import Any

import orjson
from sqlalchemy import and_, func, select

from ...plugin import (
    CommuneImpact,
    Coverage,
    DomainImpact,
    FieldTrip,
    Figures,
    ImpactContext,
    ImpactItem,
    ImpactSource,
    MonthImpact,
    TripCount,
)
from ...storage import schema
from .indicators import DAYS, Volumes, ilp
from .repaired_leaks import repaired_leaks
from .rpqs import tenant_indicators, year_period
from .settings import ENERGY_PER_M3, MANUAL_READINGS, PRICE, REFERENCE_YEAR, USUAL_LEAK_DURATION

GRID = "impact.grid_kgco2e_per_kwh"
METER_READING = "water.meter_reading"
READING_TRIP = FieldTrip(
    METER_READING, "Relève manuelle d'un compteur d'abonné", km=1.0, hours=0.1,
    source="Hypothèse : tournée de relève en milieu rural, environ 1 km et 6 minutes par "
           "compteur (2024) ; à ajuster avec impact.trips_by_action.")


def _figures(m3: float | None, ctx: ImpactContext) -> Figures:
    if m3 is None:
        return Figures()
    energy = ctx.setting(ENERGY_PER_M3)
    kwh = None if energy is None else m3 * float(energy)
    return Figures(kwh=kwh, eur=m3 * float(ctx.setting(PRICE)), m3=m3,
                   kgco2e=None if kwh is None else kwh * float(ctx.setting(GRID)))


# -- early repairs -----------------------------------------------------------------------------
def _repairs(ctx: ImpactContext) -> list[dict[str, Any]]:
    found = repaired_leaks(ctx.scope, ctx.conn, ctx.registry, ctx.start_ms, ctx.end_ms)
    return [i for i in found["items"] if ctx.covers(i["commune"])]


# -- losses avoided ----------------------------------------------------------------------------
def _volumes(service: dict[str, Any]) -> Volumes | None:
    """The volumes of a service-year whose indicators were computed, unrounded."""
    if service["indicators"] is None or service["inputs"]["mains_length_km"]["value"] is None:
        return None
    inputs = service["inputs"]
    return Volumes(produced=inputs["produced_m3"]["value"],
                   imported=inputs["imported_m3"]["value"],
                   exported=inputs["exported_m3"]["value"],
                   metered_consumption=inputs["metered_consumption_m3"]["value"],
                   unmetered_consumption=inputs["unmetered_consumption_m3"]["value"],
                   service_volume=inputs["service_volume_m3"]["value"],
                   mains_length_km=inputs["mains_length_km"]["value"])


def _services(ctx: ImpactContext, year: int) -> dict[int, tuple[dict[str, Any], Volumes | None]]:
    """Service id -> (its indicators of ``year``, its volumes when computed)."""
    period = year_period(year, ctx.tz)
    found = tenant_indicators(ctx.scope, ctx.conn, ctx.registry, period, now=period.end)
    return {s["service_id"]: (s, _volumes(s)) for s in found["services"]
            if ctx.covers(s["commune"])}


def whole_years(first: date, last: date) -> list[int]:
    """The calendar years lying wholly within ``first``…``last``."""
    return [y for y in range(first.year, last.year + 1)
            if first <= date(y, 1, 1) and date(y, 12, 31) <= last]


def _losses_avoided(ctx: ImpactContext) -> tuple[list[tuple[int, str | None, float]], str]:
    """[(year, commune, m³ avoided)] per service-year, and a French account of what could
    be compared."""
    reference = ctx.setting(REFERENCE_YEAR)
    years = [y for y in whole_years(ctx.start, ctx.end) if y != reference]
    if reference is None:
        return [], ("Pertes évitées non calculées : année de référence non renseignée "
                    "(paramètre water.reference_year).")
    if not years:
        return [], (f"Pertes évitées non calculées : la période ne contient aucune année "
                    f"civile entière autre que {reference} (l'indice linéaire de pertes est "
                    "annuel).")
    before = _services(ctx, int(reference))
    out: list[tuple[int, str | None, float]] = []
    missing: list[str] = []
    for year in years:
        for service_id, (service, volumes) in sorted(_services(ctx, year).items()):
            ref = before.get(service_id, (None, None))[1]
            ilp_ref = None if ref is None else ilp(ref)
            ilp_year = None if volumes is None else ilp(volumes)
            if ilp_ref is None or ilp_year is None or volumes is None:
                missing.append(f"{service['ref']} ({year})")
                continue
            out.append((year, service["commune"],
                        (ilp_ref - ilp_year) * DAYS * float(volumes.mains_length_km or 0)))
    text = (f"Pertes évitées : {len(out)} service(s)-année(s) comparé(s) à {reference} "
            f"(années {', '.join(map(str, years))}).")
    if missing:
        text += " Indicateurs incalculables (volumes ou linéaire manquants) : " + \
            ", ".join(missing) + "."
    return out, text


def _spread(year: int, m3: float, months: list[str]) -> dict[str, float]:
    """A year's m³ over the report's months of that year, by days."""
    days = 366 if calendar.isleap(year) else 365
    return {m: m3 * calendar.monthrange(year, int(m[5:]))[1] / days
            for m in months if int(m[:4]) == year}


# -- remote readings ---------------------------------------------------------------------------
def remote_meters(ctx: ImpactContext) -> int:
    """Customer meters whose index came in remotely at least once in the period."""
    a, s, d = schema.assets, schema.streams, schema.rollups_daily
    rows = ctx.conn.execute(
        select(a.c.id, a.c.commune_insee, a.c.properties)
        .where(ctx.scope.asset_visible(), a.c.kind == "water.meter",
               select(func.count()).select_from(d)
               .join(s, and_(s.c.tenant_id == d.c.tenant_id, s.c.id == d.c.stream_id))
               .where(s.c.tenant_id == a.c.tenant_id, s.c.asset_id == a.c.id,
                      s.c.metric == "water.volume", d.c.bucket >= ctx.start_ms,
                      d.c.bucket < ctx.end_ms).scalar_subquery() > 0))
    return sum(1 for r in rows if ctx.covers(r.commune_insee)
               and orjson.loads(r.properties).get("role") == "customer")


# -- the section -------------------------------------------------------------------------------
def water_impact(ctx: ImpactContext) -> DomainImpact:
    repairs = _repairs(ctx)
    known = [i for i in repairs if i["saved_m3"] is not None]
    saved = sum(i["saved_m3"] for i in known) if known else None
    avoided, losses_text = _losses_avoided(ctx)
    avoided_m3 = sum(m3 for _, _, m3 in avoided) if avoided else None
    months = [m for m, _, _ in ctx.months()]
    per_month: dict[str, list[float]] = defaultdict(list)
    per_commune: dict[str, list[float]] = defaultdict(list)
    for i in known:
        per_month[i["repaired_on"][:7]].append(i["saved_m3"])
        if i["commune"]:
            per_commune[i["commune"]].append(i["saved_m3"])
    for year, commune, m3 in avoided:
        for month, part in _spread(year, m3, months).items():
            per_month[month].append(part)
        if commune:
            per_commune[commune].append(m3)
    readings = float(ctx.setting(MANUAL_READINGS) or 0)
    meters = remote_meters(ctx)
    trips = meters * readings * ctx.days / 365
    usual = ctx.setting(USUAL_LEAK_DURATION)
    repairs_text = (f"{len(repairs)} fuite(s) réparée(s) sur la période, dont {len(known)} "
                    "avec une économie calculable (début et débit de fuite connus)."
                    if repairs else "Aucune fuite réparée sur la période.")
    settings = [PRICE, USUAL_LEAK_DURATION, REFERENCE_YEAR, ENERGY_PER_M3, MANUAL_READINGS]
    if ctx.setting(ENERGY_PER_M3) is not None:
        settings.append(GRID)
    return DomainImpact(
        baseline=(f"Fuites découvertes sans surveillance du débit de nuit, après "
                  f"{usual:g} jours en moyenne ; pertes de l'année de référence "
                  f"({ctx.setting(REFERENCE_YEAR) or 'non renseignée'}) rapportées au "
                  "linéaire de chaque année."),
        method=("Eau économisée par fuite réparée = surdébit de la fuite (m³/h) × 24 × (durée "
                "habituelle − durée réelle de la fuite, de son début estimé à la réparation), "
                "comptée au jour de la réparation. Pertes évitées = (ILP de l'année de "
                "référence − ILP de l'année) × 365 × linéaire de l'année, pour chaque année "
                "civile entière de la période, réparties sur ses mois au prorata des jours. "
                "Euros = m³ × prix de l'eau ; kWh = m³ × énergie par m³ (si renseignée) ; "
                "kg CO2e = kWh × facteur d'émission de l'électricité."),
        coverage=Coverage(len(known) / len(repairs) if repairs else None,
                          f"{repairs_text} {losses_text} {meters} compteur(s) d'abonné "
                          "télérelevé(s) sur la période."),
        quality="estimated",
        items=(
            ImpactItem("water.early_repairs", "Eau économisée par la détection précoce des "
                       "fuites", _figures(saved, ctx), "estimated", repairs_text),
            ImpactItem("water.losses_avoided", "Pertes évitées par rapport à l'année de "
                       "référence (ILP)", _figures(avoided_m3, ctx), "estimated",
                       losses_text),
        ),
        monthly=tuple(MonthImpact(m, _figures(sum(per_month[m]), ctx) if per_month.get(m)
                                  else Figures()) for m in months),
        by_commune=tuple(CommuneImpact(c, _figures(sum(v), ctx))
                         for c, v in sorted(per_commune.items())),
        trips=(TripCount(METER_READING, trips),) if meters else (),
        settings=tuple(settings))


IMPACTS = (ImpactSource("water.savings", "Eau économisée", water_impact,
                        trips=(READING_TRIP,)),)
