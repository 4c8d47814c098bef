"""Savings of public lighting against a documented baseline, in kWh, euros and kg CO2e.

Two baselines (setting ``lighting.savings_baseline``):

- ``dusk_to_dawn`` (default): every cabinet burning from sunset to sunrise at full
  power, at its own position, over the same days — what the stock would consume without
  any programme. Baseline kWh = Σ full power (``CabinetLoad.kw(100)``) × hours from
  sunset to sunrise split by local day. The consumption compared with it is, day by
  day, the meter's reading where there is one and the expected consumption (inventory ×
  programme) elsewhere, so that cabinets without meter count too.
- ``reference_year`` (with ``lighting.reference_year``): the measured consumption of the
  same calendar days of the reference year. Only cabinets measured in both periods
  count, on measurements only.

Euros = kWh × ``lighting.tariff_eur_kwh``; kg CO2e = kWh × ``lighting.co2_kg_per_kwh``
(defaults and sources in ``settings``). Darkness restored in trame-noire zones comes
from ``darkness``.
"""

from __future__ import annotations

import calendar
from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any

from .comparison import MIN_COMPARED_DAYS, paired_days
from .consumption import daily_kwh
from .energy import Cabinet
from .programmes import PRESETS
from .settings import BASELINE_LABELS


def _days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def dusk_to_dawn_kwh(cabinet: Cabinet, first: date, last: date) -> dict[date, float]:
    """Baseline kWh of each day: the cabinet's full power from sunset to sunrise."""
    if cabinet.lat is None or cabinet.lon is None:
        return {}
    return daily_kwh(cabinet.load, PRESETS["dusk_to_dawn"], cabinet.lat, cabinet.lon, first,
                     last)


def same_days_of(year: int, first: date, last: date) -> tuple[date, date]:
    """The period of ``year`` with the same month/day bounds (29 February → 28)."""
    def move(d: date) -> date:
        return date(year, d.month, min(d.day, calendar.monthrange(year, d.month)[1]))
    return move(first), move(last)


def money(kwh: float | None, values: Mapping[str, Any]) -> dict[str, float | None]:
    if kwh is None:
        return {"kwh": None, "eur": None, "kg_co2e": None}
    return {"kwh": round(kwh, 1), "eur": round(kwh * float(values["tariff_eur_kwh"]), 2),
            "kg_co2e": round(kwh * float(values["co2_kg_per_kwh"]), 1)}


def savings(cabinets: list[Cabinet], first: date | None, last: date | None,
            values: Mapping[str, Any],
            expected: Mapping[int, Mapping[date, float]],
            measured: Mapping[int, Mapping[date, float]],
            reference_measured: Mapping[int, Mapping[date, float]] | None = None
            ) -> dict[str, Any]:
    """Savings over the days ``first``…``last`` (None: an empty period).

    ``expected`` and ``measured`` are kWh per cabinet id and day over the period;
    ``reference_measured`` the measurements of the same days of the reference year."""
    baseline = values["savings_baseline"]
    out: dict[str, Any] = {
        "baseline": baseline, "baseline_label": BASELINE_LABELS[baseline],
        "from": first.isoformat() if first else None, "to": last.isoformat() if last else None,
        "baseline_kwh": None, "actual_kwh": None,
        "tariff_eur_kwh": values["tariff_eur_kwh"], "co2_kg_per_kwh": values["co2_kg_per_kwh"],
        "reference_year": values.get("reference_year"), "note": None,
        "measured_share": None, "estimated": None,
    }
    if first is None or last is None or first > last:
        out["note"] = "Période sans jour écoulé."
        return {**out, **money(None, values)}
    days = _days(first, last)
    if baseline == "dusk_to_dawn":
        base = actual = 0.0
        measured_days = 0
        for c in cabinets:
            base += sum(dusk_to_dawn_kwh(c, first, last).values())
            mine, plan = measured.get(c.id, {}), expected.get(c.id, {})
            actual += sum(mine[d] if d in mine else plan.get(d, 0.0) for d in days)
            measured_days += sum(1 for d in days if d in mine)
        share = measured_days / (len(cabinets) * len(days)) if cabinets else 0.0
        out["measured_share"], out["estimated"] = round(share, 3), share < 1
        if not cabinets:
            out["note"] = "Aucune armoire."
        elif measured_days == 0:
            out["note"] = ("Estimation sans mesure : aucun compteur n'a de relevé sur la "
                           "période ; consommation calculée d'après l'inventaire et les "
                           "programmes actuels.")
        elif share < 1:
            out["note"] = (f"Consommation mesurée sur {_pct(share)} des jours-armoires "
                           "(compteurs) ; estimée ailleurs d'après l'inventaire et les "
                           "programmes actuels.")
    else:
        year = values.get("reference_year")
        if not year:
            out["note"] = "Année de référence non renseignée (paramètre lighting.reference_year)."
            return {**out, **money(None, values)}
        pairs = paired_days(measured, reference_measured or {}, first, last, int(year))
        compared = len({d for p in pairs.values() for d, _ in p})
        r_first, r_last = same_days_of(int(year), first, last)
        if compared < MIN_COMPARED_DAYS:
            out["note"] = (f"Comparaison impossible : {compared} jour(s) relevé(s) à la fois "
                           f"en {year} et sur la période (au moins {MIN_COMPARED_DAYS} "
                           "nécessaires).")
            return {**out, **money(None, values)}
        base = sum(reference_measured[cid][twin] for cid, p in pairs.items()  # type: ignore[index]
                   for _, twin in p)
        actual = sum(measured[cid][d] for cid, p in pairs.items() for d, _ in p)
        out["measured_share"], out["estimated"] = 1.0, False
        out["note"] = (f"{len(pairs)} armoire(s) mesurée(s) sur les deux périodes, "
                       f"{compared} jours comparés ; référence : les mêmes jours du "
                       f"{r_first.strftime('%d/%m/%Y')} au {r_last.strftime('%d/%m/%Y')}.")
    out["baseline_kwh"], out["actual_kwh"] = round(base, 1), round(actual, 1)
    return {**out, **money(base - actual, values)}


def _pct(share: float) -> str:
    """« 42 % », « 99,5 % »: never 100 % for a share below 1."""
    value = share * 100
    text = f"{value:.0f}" if value < 99.5 or value >= 100 else f"{value:.1f}"
    return text.replace(".", ",") + "\u00a0%"
