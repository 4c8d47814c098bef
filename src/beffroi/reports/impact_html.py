"""The impact report as HTML, from the report dict of ``beffroi.core.impact`` (its JSON).

``render_html(report, for_print=False)`` is the fragment the ``/impact`` page shows (an
``<article>``, styled by the page's own style sheet, no inline style: the pages' CSP forbids
them); ``for_print=True`` is a whole document with its cover page and its print style sheet
inside, which ``impact_pdf`` hands to WeasyPrint.

Figures are written the French way (``core.french_format``): narrow no-break spaces between
thousands, decimal comma, a no-break space before units and before « : »; a figure that
cannot be computed says « non disponible », never 0; the net figures are always shown, with
their sign. Names come from the database and are escaped (Jinja2's autoescape).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from importlib import resources
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from ..core.french_format import (
    NBSP,
    NNBSP,
    french_number,
    long_date,
    month_name,
    unit_symbol,
)
from .impact_chart import Chart, bar_chart

UNAVAILABLE = "non disponible"
NOT_APPLICABLE = "sans objet"
QUALITY_LABELS = {"measured": "mesuré", "estimated": "estimé", "assumed": "supposé"}
SHORT_MONTHS = ("janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.",
                "oct.", "nov.", "déc.")


KG_CO2E = f"kg{NBSP}CO₂e"  # never split at the end of a line


@dataclass(frozen=True)
class Quantity:
    key: str  # the report's field
    label: str  # column heading
    unit: str  # as written after a figure
    noun: str  # « gains nets, énergie »
    of: str  # « gains d'énergie »


QUANTITIES = (
    Quantity("kwh", "Énergie", "kWh", "énergie", "d'énergie"),
    Quantity("eur", "Coût", "€", "coût", "de coût"),
    Quantity("kgco2e", "Émissions", KG_CO2E, "émissions", "d'émissions"),
    Quantity("m3", "Eau", "m³", "eau", "d'eau"),
)
BY_KEY = {q.key: q for q in QUANTITIES}
# The quantity a domain's monthly chart shows: the first one it has figures for.
CHART_ORDER = ("kwh", "m3", "eur", "kgco2e")


# -- figures -------------------------------------------------------------------------------
def digits_for(value: float) -> int:
    """Decimals worth showing: none from 100, one from 10, two below."""
    size = abs(value)
    return 0 if size >= 100 else 1 if size >= 10 else 2


def number(value: float | int | None) -> str:
    if value is None:
        return UNAVAILABLE
    if isinstance(value, int) and not isinstance(value, bool):
        return french_number(value, 0)
    return french_number(value, digits_for(value))


def amount(value: float | int | None, unit: str) -> str:
    """« 12 346 kWh », « −212 kg CO₂e », « non disponible »."""
    if value is None:
        return UNAVAILABLE
    return f"{number(value)}{NBSP}{unit}"


def quantity_amount(figures: Mapping[str, Any], key: str) -> str:
    """A report object's figure of quantity ``key``; « sans objet » when it has no such
    field at all (the footprint has no water), « non disponible » when it is null."""
    if key not in figures:
        return NOT_APPLICABLE
    return amount(figures[key], BY_KEY[key].unit)


def percent(share: float | None) -> str:
    if share is None:
        return UNAVAILABLE
    return f"{french_number(share * 100, 0 if share >= 0.1 else 1)}{NNBSP}%"


# In the impact settings, a mass is always one of CO₂ equivalent.
UNIT_WORDS = {"a": "ans", "1": "", "kg": KG_CO2E}


def pretty_unit(unit: str | None) -> str:
    """UCUM codes and « CO2 » as people write them: « kg CO₂e/kWh », « €/kWh », « ans »."""
    if not unit:
        return ""
    if unit in UNIT_WORDS:
        return UNIT_WORDS[unit]
    text = unit_symbol(unit)
    text = re.sub(r"/\(([^()]*)\)", r"/\1", text)
    text = text.replace("kW.h", "kWh").replace("EUR", "€").replace("m3", "m³")
    text = re.sub(r"^kg/", f"{KG_CO2E}/", text)
    return text.replace("kg CO2", f"kg{NBSP}CO2").replace("CO2", "CO₂")


def plain_value(value: Any, nested: bool = False) -> str:
    """A setting's value as text: numbers the French way (small factors with their
    significant digits), lists and objects spelt out."""
    if value is None:
        return UNAVAILABLE
    if isinstance(value, bool):
        return "oui" if value else "non"
    if isinstance(value, int | float):
        size = abs(value)
        digits = 6 if size == 0 or size >= 0.001 else 3 - math.floor(math.log10(size))
        return french_number(value, digits)
    if isinstance(value, Mapping):
        if not value:
            return "aucune valeur propre"
        text = (", " if nested else " ; ").join(
            f"{k}{NBSP}: {plain_value(v, True)}" for k, v in value.items())
        return f"({text})" if nested else text
    if isinstance(value, list | tuple):
        return ", ".join(plain_value(v) for v in value) or "aucune"
    return str(value)


def setting_value(setting: Mapping[str, Any]) -> str:
    value, unit = setting.get("value"), pretty_unit(setting.get("unit"))
    text = setting.get("value_label") or plain_value(value)
    return f"{text}{NBSP}{unit}" if unit and isinstance(value, int | float) else text


def siren_text(siren: str | None) -> str:
    """« 200 068 377 »."""
    if not siren:
        return ""
    return NNBSP.join(siren[i:i + 3] for i in range(0, len(siren), 3))


def day_text(iso_day: str) -> str:
    return long_date(date.fromisoformat(iso_day))


def period_text(period: Mapping[str, Any]) -> str:
    """« du 1er janvier 2026 au 31 mars 2026 »."""
    return f"du {day_text(period['from'])} au {day_text(period['to'])}"


def month_text(month: str, short: bool = False) -> str:
    """« 2026-01 » → « janvier 2026 » (« janv. 2026 » when ``short``)."""
    year, number_ = (int(part) for part in month.split("-"))
    if short:
        return f"{SHORT_MONTHS[number_ - 1]} {year}"
    return month_name(year, number_)


def quality_text(quality: str | None) -> str:
    return QUALITY_LABELS.get(quality or "", quality or UNAVAILABLE)


def slug(key: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", key.lower()).strip("-") or "x"


# -- what the templates show --------------------------------------------------------------
def present(rows: Sequence[Mapping[str, Any]], *objects: Mapping[str, Any]) -> list[Quantity]:
    """The quantities that ``objects`` or any of ``rows`` have a figure for."""
    return [q for q in QUANTITIES
            if any(o.get(q.key) is not None for o in objects)
            or any(r.get(q.key) is not None for r in rows)]


def monthly_chart(domain: Mapping[str, Any]) -> tuple[Quantity, Chart] | None:
    monthly = domain.get("monthly") or []
    for key in CHART_ORDER:
        if any(m.get(key) is not None for m in monthly):
            q = BY_KEY[key]
            chart = bar_chart([month_text(m["month"], short=True) for m in monthly],
                              [m.get(key) for m in monthly], f"{q.unit} par mois",
                              value_text=lambda v, unit=q.unit: amount(v, unit),
                              tick_text=number)
            return q, chart
    return None


def chart_description(domain: Mapping[str, Any], q: Quantity) -> str:
    """What the chart shows, for screen readers (``<desc>``)."""
    monthly = domain["monthly"]
    known = [m for m in monthly if m.get(q.key) is not None]
    first, last = month_text(monthly[0]["month"]), month_text(monthly[-1]["month"])
    text = f"Gains {q.of} par mois, de {first} à {last}."
    if known:
        top = max(known, key=lambda m: m[q.key])
        text += (f" Le plus élevé{NBSP}: {amount(top[q.key], q.unit)} en "
                 f"{month_text(top['month'])}.")
    missing = len(monthly) - len(known)
    if missing:
        text += f" {missing} mois sans valeur disponible (tiret)."
    return text + " Les valeurs sont aussi dans le tableau qui suit."


def commune_totals(report: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Gains of all the domains per commune (by INSEE), each quantity summed over the
    domains that have a figure for it (None when none has)."""
    totals: dict[str, dict[str, Any]] = {}
    for domain in report.get("domains") or []:
        for row in domain.get("by_commune") or []:
            total = totals.setdefault(row["insee"], {"insee": row["insee"],
                                                     "name": row.get("name"),
                                                     **{q.key: None for q in QUANTITIES}})
            for q in QUANTITIES:
                if row.get(q.key) is not None:
                    total[q.key] = (total[q.key] or 0.0) + row[q.key]
    return [totals[insee] for insee in sorted(totals)]


def negative_net(report: Mapping[str, Any]) -> list[Quantity]:
    net = report.get("net") or {}
    return [q for q in QUANTITIES if net.get(q.key) is not None and net[q.key] < 0]


@lru_cache(maxsize=1)
def environment() -> Environment:
    env = Environment(loader=PackageLoader("beffroi.reports", "templates"), autoescape=True,
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                      keep_trailing_newline=True)
    env.filters.update(amount=amount, number=number, percent=percent, quality=quality_text,
                       setting_value=setting_value, pretty_unit=pretty_unit, siren=siren_text,
                       day=day_text, month=month_text, slug=slug)
    env.globals.update(QUANTITIES=QUANTITIES, quantity_amount=quantity_amount, present=present,
                       monthly_chart=monthly_chart, chart_description=chart_description,
                       period_text=period_text, UNAVAILABLE=UNAVAILABLE, KG_CO2E=KG_CO2E)
    return env


@lru_cache(maxsize=1)
def print_css() -> Markup:
    """The PDF's style sheet (our own file, put inside the document as it is)."""
    return Markup(resources.files("beffroi.reports").joinpath("templates", "impact_print.css")
                  .read_text(encoding="utf-8"))


def render_html(report: Mapping[str, Any], *, for_print: bool) -> str:
    """The report as HTML: a whole printable document, or the fragment of the web page."""
    template = environment().get_template(
        "impact_document.html.j2" if for_print else "impact_fragment.html.j2")
    return template.render(report=report, for_print=for_print,
                           communes_total=commune_totals(report),
                           negative=negative_net(report),
                           css=print_css() if for_print else "")
