"""The impact report of a territory for a period: per domain what it saved against its
baseline (``ImpactSource``), the site visits avoided, the platform's own footprint, and the
net figures — gross minus footprint, always given.

``impact_report`` returns the dict of the API (``GET /tenants/{t}/impact``), the command
line (``beffroi report impact``) and the rendered page and PDF. It is reproducible: the same
data and settings give the same numbers, in the same order (domains in registry order,
communes and months in their natural order); only ``generated_at`` reads the clock. Numbers
keep full precision, rounded to 0.001 (display rounds them again).

Totals: a figure of a domain is the sum of its items; gross is the sum of the domains and of
the site visits avoided; a total is null only when none of its parts is known. Net = gross −
footprint, where an unknown side counts as 0 as long as the other is known.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, select

from ...storage import schema
from ..access import TenantScope
from ..clock import now_ms
from ..errors import Forbidden, Invalid, Unauthorized
from ..registry import Registry
from ..settings import declared_settings, with_defaults
from . import field_trips as trips_module
from . import footprint as footprint_module
from .request import period_errors, report_communes
from .sources import (
    FIGURES,
    QUALITIES,
    CommuneImpact,
    Coverage,
    DomainImpact,
    FieldTrip,
    Figures,
    ImpactContext,
    MonthImpact,
    add,
    total,
    weakest,
)

log = logging.getLogger("beffroi.impact")
# (steps done, steps in all, what was just done — French): a progress bar's feed.
Progress = Callable[[int, int, str], None]
UNITS = {"kg/kW.h": "kg CO2e/kWh", "EUR/kW.h": "€/kWh", "EUR/m3": "€/m³",
         "kW.h/m3": "kWh/m³", "d": "jours", "a": "ans", "1": "", "kg": "kg CO2e",
         "EUR/km": "€/km", "EUR/h": "€/h", "kg/km": "kg CO2e/km", "EUR": "€"}
FAILED = ("Calcul impossible : erreur interne lors du calcul de ce domaine (voir le journal "
          "du serveur) ; ses chiffres ne sont pas comptés.")


def require_member(scope: TenantScope) -> None:
    """The report is the territory's own data: members only, never the public."""
    scope.require("read")
    if scope.role in ("public", "device"):
        if scope.principal.is_anonymous:
            raise Unauthorized("Connexion requise pour consulter le rapport d'impact.")
        raise Forbidden("Le rapport d'impact n'est visible que des membres du territoire.")


# -- numbers -------------------------------------------------------------------------------------
def rounded(value: Any) -> Any:
    """Floats rounded to 0.001 everywhere in a document (never "-0.0")."""
    if isinstance(value, float):
        return round(value, 3) + 0.0
    if isinstance(value, dict):
        return {k: rounded(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [rounded(v) for v in value]
    return value


def _figures(f: Figures) -> dict[str, float | None]:
    return {name: getattr(f, name) for name in FIGURES}


def net_figure(gross: float | None, footprint: float | None) -> float | None:
    if gross is None and footprint is None:
        return None
    return (gross or 0.0) - (footprint or 0.0)


# -- one domain -----------------------------------------------------------------------------------
def merge(sections: list[DomainImpact]) -> DomainImpact:
    """The sections of a domain's several sources as one."""
    if len(sections) == 1:
        return sections[0]
    months: dict[str, list[Figures]] = defaultdict(list)
    communes: dict[str, list[Figures]] = defaultdict(list)
    for section in sections:
        for m in section.monthly:
            months[m.month].append(m.figures)
        for c in section.by_commune:
            communes[c.insee].append(c.figures)
    shares = [s.coverage.share for s in sections if s.coverage.share is not None]
    return DomainImpact(
        baseline=" ".join(s.baseline for s in sections if s.baseline),
        method=" ".join(s.method for s in sections if s.method),
        coverage=Coverage(min(shares) if shares else None,
                          " ".join(s.coverage.text for s in sections if s.coverage.text)),
        quality=weakest([s.quality for s in sections]),
        items=tuple(i for s in sections for i in s.items),
        counts=tuple(c for s in sections for c in s.counts),
        monthly=tuple(MonthImpact(m, add(*f)) for m, f in sorted(months.items())),
        by_commune=tuple(CommuneImpact(c, add(*f)) for c, f in sorted(communes.items())),
        trips=tuple(t for s in sections for t in s.trips),
        settings=tuple(k for s in sections for k in s.settings))


def _computed(ctx: ImpactContext, sources: Iterable[Any]) -> DomainImpact:
    sections = []
    for source in sources:
        try:
            sections.append(source.compute(ctx))
        except Exception:  # a domain's failure must not hide the others' figures
            log.exception("impact source %s failed", source.key)
            sections.append(DomainImpact("", "", Coverage(None, FAILED), "assumed"))
    return merge(sections)


def domain_entry(key: str, label: str, section: DomainImpact, ctx: ImpactContext,
                 names: Mapping[str, str]) -> dict[str, Any]:
    figures = add(*(i.figures for i in section.items))
    months = {m.month: m.figures for m in section.monthly}
    communes = sorted(section.by_commune, key=lambda c: c.insee)
    return {
        "domain": key, "label": label, **_figures(figures),
        "baseline": section.baseline, "method": section.method,
        "coverage": {"share": section.coverage.share, "text": section.coverage.text},
        "quality": section.quality,
        "items": [{"key": i.key, "label": i.label, **_figures(i.figures),
                   "quality": i.quality, "note": i.note} for i in section.items],
        "counts": [{"key": c.key, "label": c.label, "value": c.value, "unit": c.unit,
                    "note": c.note} for c in section.counts],
        "monthly": [{"month": m, **_figures(months.get(m, Figures()))}
                    for m, _, _ in ctx.months()],
        "by_commune": [{"insee": c.insee, "name": names.get(c.insee), **_figures(c.figures)}
                       for c in communes],
    }


# -- the annex: every setting used ---------------------------------------------------------------
def settings_used(keys: Iterable[str], ctx: ImpactContext, stored: Mapping[str, Any]
                  ) -> list[dict[str, Any]]:
    declared = declared_settings(ctx.registry)
    out, seen = [], set()
    for key in keys:
        if key in seen or key not in declared:
            continue
        seen.add(key)
        setting = declared[key]
        own, value = key in stored, ctx.settings.get(key)
        entry = {"key": key, "label": setting.spec.label, "value": value,
                 "unit": UNITS.get(setting.spec.unit or "", setting.spec.unit or ""),
                 "source": "Valeur saisie par le territoire." if own else setting.source,
                 "verified": True if own else setting.verified, "default": not own}
        labels = dict(setting.spec.choice_labels)
        if setting.spec.type == "enum" and value in labels:  # (read as its label, not code)
            entry["value_label"] = labels[value]
        out.append(entry)
    return out


def _day(ms: int, ctx: ImpactContext) -> date:
    return datetime.fromtimestamp(ms / 1000, ctx.tz).date()


def data_coverage(ctx: ImpactContext, measured: Mapping[int, tuple[int, int, int]]
                  ) -> dict[str, Any]:
    count = sum(c for c, _, _ in measured.values())
    inventory = ("L'inventaire (équipements, capteurs, communes) et les paramètres sont ceux "
                 "du jour du rapport.")
    if not measured:
        return {"from": None, "to": None, "measurements": 0,
                "note": f"Aucune mesure reçue sur la période. {inventory}"}
    first = _day(min(f for _, f, _ in measured.values()), ctx)
    last = _day(max(t for _, _, t in measured.values()), ctx)
    return {"from": first.isoformat(), "to": last.isoformat(), "measurements": count,
            "note": (f"Mesures reçues du {first.strftime('%d/%m/%Y')} au "
                     f"{last.strftime('%d/%m/%Y')} : {count} mesures de {len(measured)} "
                     f"équipement(s). {inventory}")}


# -- the report ------------------------------------------------------------------------------------
def impact_report(scope: TenantScope, conn: Connection, registry: Registry, start: date,
                  end: date, communes: Iterable[str] | None = None,
                  progress: Progress | None = None) -> dict[str, Any]:
    """The impact report of ``start``…``end`` (local days, both included) for the communes
    given (INSEE codes; None: all those the caller sees)."""
    require_member(scope)
    errors = period_errors(start, end)
    if errors:
        raise Invalid("Période du rapport d'impact invalide.", errors=errors)
    chosen = report_communes(scope, conn, communes)
    stored = scope.settings
    ctx = ImpactContext(scope, conn, registry, start, end,
                        None if chosen is None else tuple(i for i, _ in chosen),
                        with_defaults(stored, registry))
    c = schema.communes
    names = dict(conn.execute(select(c.c.insee, c.c.name).where(scope.commune_visible())).all())
    reporting = [(key, d) for key, d in registry.domains.items() if d.impacts]
    steps, done = len(reporting) + 2, 0

    def tick(label: str) -> None:
        nonlocal done
        done += 1
        if progress is not None:
            progress(done, steps, label)

    domains, keys = [], []
    declared: dict[str, FieldTrip] = {}
    counted: dict[str, float] = defaultdict(float)
    for key, domain in reporting:
        section = _computed(ctx, domain.impacts)
        declared.update({t.key: t for source in domain.impacts for t in source.trips})
        for trip in section.trips:
            if trip.key in declared:
                counted[trip.key] += trip.trips
        keys += section.settings
        domains.append(domain_entry(key, domain.label, replace(section, trips=()), ctx, names))
        tick(domain.label)
    visits = trips_module.field_trips(ctx, declared, counted)
    tick("Déplacements évités")
    measured = footprint_module.measured_assets(ctx)
    footprint = footprint_module.footprint(ctx, measured)
    tick("Empreinte de la plateforme")
    gross = {name: total([d[name] for d in domains]
                         + ([visits[name]] if name in ("eur", "kgco2e") else []))
             for name in FIGURES}
    net = {name: net_figure(gross[name], footprint.get(name)) for name in FIGURES}
    keys += [*trips_module.SETTINGS, *footprint_module.SETTINGS]
    tenant = scope.tenant
    report = rounded({
        "tenant": {"id": tenant.id, "name": tenant.name, "siren": tenant.siren},
        "period": {"from": start.isoformat(), "to": end.isoformat(), "days": ctx.days},
        "communes": None if chosen is None else [{"insee": i, "name": n} for i, n in chosen],
        "generated_at": datetime.fromtimestamp(now_ms() / 1000, ctx.tz).isoformat(
            timespec="seconds"),
        "domains": domains,
        "field_trips": visits,
        "gross": gross,
        "footprint": footprint,
        "net": net,
        "settings": [],
        "data": data_coverage(ctx, measured),
        "qualities": {q: label for q, label in zip(QUALITIES, ("mesuré", "estimé",
                                                               "hypothèse"), strict=True)},
    })
    report["settings"] = settings_used(keys, ctx, stored)  # values as they are: never rounded
    return report
