"""Public lighting in the impact report (``Domain.impacts``): the savings of the period
against the territory's baseline, per month and per commune, and the darkness restored in
trame-noire zones.

Every figure comes from ``savings.savings`` (the function behind the lighting dashboard),
called for the whole period, each month and each commune, on the same cabinets, programmes
and meter readings; darkness from ``darkness.darkness_restored``. Nothing is computed
again here: this module only chooses the cabinets and days and words the method.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from ...core.french_format import local_date
from ...core.series import first_observation_ms
from ...plugin import (
    CommuneImpact,
    Coverage,
    DomainImpact,
    Figures,
    ImpactContext,
    ImpactCount,
    ImpactItem,
    ImpactSource,
    MonthImpact,
)
from .compliance import CABINET_KIND
from .darkness import darkness_restored
from .energy import Cabinet, expected_by_day, load_cabinets, measured_by_day, tenant_zone
from .savings import savings
from .settings import BASELINE_LABELS, lighting_settings

PerCabinet = dict[int, dict[date, float]]


def _slice(per_cabinet: PerCabinet, ids: set[int], first: date, last: date) -> PerCabinet:
    return {cid: {d: v for d, v in days.items() if first <= d <= last}
            for cid, days in per_cabinet.items() if cid in ids}


def _figures(saved: dict[str, Any]) -> Figures:
    return Figures(kwh=saved["kwh"], eur=saved["eur"], kgco2e=saved["kg_co2e"])


def _reference(ctx: ImpactContext, cabinets: list[Cabinet], values: dict[str, Any]
               ) -> PerCabinet | None:
    """Readings of the whole reference year, when the baseline is a measured year: each day
    of the period is compared with its calendar twin in that year."""
    year = values.get("reference_year")
    if values["savings_baseline"] != "reference_year" or not year:
        return None
    measured = measured_by_day(ctx.scope, ctx.conn, cabinets, date(int(year), 1, 1),
                               date(int(year), 12, 31))
    return {cid: days for cid, days in measured.items() if days}


def _darkness(ctx: ImpactContext) -> dict[str, Any]:
    if ctx.communes is None:
        return darkness_restored(ctx.scope, ctx.conn, ctx.start, ctx.end)
    parts = [darkness_restored(ctx.scope, ctx.conn, ctx.start, ctx.end, insee)
             for insee in ctx.communes]
    return {"dark_corridors": [z for p in parts for z in p["dark_corridors"]],
            "darkness_hours_restored": sum(p["darkness_hours_restored"] for p in parts)}


def _coverage(cabinets: list[Cabinet], saved: dict[str, Any], baseline: str,
              clipped_from: date | None = None) -> Coverage:
    metered = sum(1 for c in cabinets if c.meter is not None)
    head = (f"{len(cabinets)} armoire(s), dont {metered} avec compteur."
            if cabinets else "Aucune armoire dans le périmètre.")
    if clipped_from is not None:
        head += (f" Économies comptées à partir du {local_date(clipped_from)}, premier jour "
                 "de données de la plateforme.")
    share = saved["measured_share"]
    if baseline == "reference_year" and saved["kwh"] is None:
        share = 0.0 if cabinets else None
    note = saved["note"]
    return Coverage(share, f"{head} {note}" if note else head)


def first_data_day(ctx: ImpactContext) -> date | None:
    """The local day of the territory's first lighting measurement (any stream of any of
    its cabinets: meter, state, power…): the platform's lighting savings start there, not
    before it ran. A fact of the territory, the same whatever communes the caller sees, so
    that a commune's figures are the same in every report."""
    ms = first_observation_ms(ctx.conn, ctx.scope.tenant_id, CABINET_KIND)
    if ms is None:
        return None
    return datetime.fromtimestamp(ms / 1000, tenant_zone(ctx.scope)).date()


def _no_data(cabinets: list[Cabinet], values: dict[str, Any], since: date | None,
             ctx: ImpactContext) -> DomainImpact:
    why = (f"Aucune donnée d'éclairage public avant le {local_date(since)} : la période "
           "précède la mise en service de la plateforme, aucune économie n'est comptée."
           if since is not None else
           "Aucune donnée d'éclairage public n'a été reçue : aucune économie n'est comptée.")
    nothing = Figures()
    return DomainImpact(
        baseline=BASELINE_LABELS[values["savings_baseline"]] + ".",
        method="Économies comptées à partir du premier jour de données de la plateforme.",
        coverage=Coverage(0.0 if cabinets else None, why), quality="assumed",
        items=(ImpactItem("lighting.savings", "Économies d'énergie de l'éclairage public",
                          nothing, "assumed", why),),
        monthly=tuple(MonthImpact(label, nothing) for label, _, _ in ctx.months()),
        settings=("lighting.savings_baseline",))


def lighting_impact(ctx: ImpactContext) -> DomainImpact:
    values = lighting_settings(ctx.settings, ctx.registry)
    baseline = values["savings_baseline"]
    cabinets = [c for c in load_cabinets(ctx.scope, ctx.conn) if ctx.covers(c.commune)]
    since = first_data_day(ctx)
    if since is None or since > ctx.end:
        return _no_data(cabinets, values, since, ctx)
    # Before the platform ran (its first measurement), nothing is counted: neither the
    # stock's modelled consumption nor a saving the platform could not have made.
    first, last = max(ctx.start, since), ctx.end
    expected = {c.id: expected_by_day(c, first, last) for c in cabinets}
    measured = measured_by_day(ctx.scope, ctx.conn, cabinets, first, last, expected)
    reference = _reference(ctx, cabinets, values)

    def saved_over(group: list[Cabinet], lo: date, hi: date) -> dict[str, Any]:
        ids = {c.id for c in group}
        return savings(group, lo, hi, values, _slice(expected, ids, lo, hi),
                       _slice(measured, ids, lo, hi), reference)

    whole = saved_over(cabinets, first, last)
    monthly = tuple(MonthImpact(label, _figures(saved_over(cabinets, max(lo, first), hi))
                                if hi >= first else Figures())
                    for label, lo, hi in ctx.months())
    communes = sorted({c.commune for c in cabinets if c.commune})
    by_commune = tuple(
        CommuneImpact(insee, _figures(saved_over([c for c in cabinets if c.commune == insee],
                                                 first, last)))
        for insee in communes)
    dark = _darkness(ctx)
    measured_baseline = baseline == "reference_year"
    quality = "measured" if measured_baseline else "estimated"
    method = (
        "Consommation évitée = consommation de référence − consommation de la période, jour "
        "par jour et armoire par armoire (module d'économies du tableau de bord de "
        "l'éclairage). " + (
            "Référence : les relevés des compteurs des mêmes jours de l'année de référence ; "
            "seules comptent les armoires mesurées les deux années, sur leurs jours mesurés "
            "les deux années." if measured_baseline else
            "Référence : chaque armoire allumée du coucher au lever du soleil à pleine "
            "puissance, à sa position (inventaire des points lumineux, pertes des ballasts "
            "comprises) ; consommation de la période : le compteur les jours relevés, "
            "l'inventaire et le programme ailleurs.")
        + " Euros = kWh × prix de l'électricité ; kg CO2e = kWh × facteur d'émission.")
    settings = ("lighting.savings_baseline", "lighting.tariff_eur_kwh",
                "lighting.co2_kg_per_kwh") + (("lighting.reference_year",)
                                              if measured_baseline else ())
    zones = len(dark["dark_corridors"])
    return DomainImpact(
        baseline=BASELINE_LABELS[baseline] + (
            f" ({values['reference_year']})" if measured_baseline and values["reference_year"]
            else "") + ".",
        method=method,
        coverage=_coverage(cabinets, whole, baseline, since if since > ctx.start else None),
        quality=quality,
        items=(ImpactItem("lighting.savings", "Économies d'énergie de l'éclairage public",
                          _figures(whole), quality, whole["note"]),),
        counts=(ImpactCount("lighting.darkness_hours", "Heures d'obscurité rendues "
                            "(trame noire)", dark["darkness_hours_restored"], "h",
                            f"Somme sur {zones} corridor(s) de trame noire des heures de nuit "
                            "où tous leurs points lumineux sont éteints (référence : allumés "
                            "toute la nuit)."),),
        monthly=monthly, by_commune=by_commune, settings=settings)


IMPACTS = (ImpactSource("lighting.savings", "Économies de l'éclairage public", lighting_impact),)
