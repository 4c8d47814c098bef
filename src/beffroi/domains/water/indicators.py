"""RPQS performance indicators of a drinking-water service (SISPEA), the décret 2012-97
test and a rating of the linear loss index.

Pure functions over one year of volumes (m³). The notation is SISPEA's
(services.eaufrance.fr, indicator sheets P104.3, P105.3, P106.3):

- V1 volume produced, V2 volume imported, V3 volume exported (sold in bulk);
- V4 volume put into distribution = V1 + V2 − V3;
- V7 authorised metered consumption (billing), V8 authorised unmetered consumption
  (fire hydrants, fountains...), V9 service volume (flushing, reservoir cleaning);
- V6 authorised consumption = V7 + V8 + V9;
- V5 losses = V4 − V6;
- L length of mains excluding service connections (km) on 31 December.

Every indicator per kilometre and day divides by 365 × L, whatever the billing period
(SISPEA brings volumes to 365 days). Values are returned unrounded; SISPEA publishes
the rendement to 0.1 % and the linear indices to 0.01 m³/km/day (``rounded``). The
décret test is made on unrounded values.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

DAYS = 365
# Décret 2012-97 (art. D. 213-48-14-1 code de l'environnement): an action plan is required
# when the rendement is below 85 %, or failing that below 65 % + ILC / 5; the fixed term is
# 70 % where abstraction from resources under allocation rules (ZRE) exceeds 2 Mm³/year.
DECREE_TARGET = 85.0
DECREE_FIXED_TERM = 65.0
DECREE_FIXED_TERM_ZRE = 70.0
ZRE_ABSTRACTION_LIMIT_M3 = 2_000_000


@dataclass(frozen=True)
class Volumes:
    """One year of a service's volumes in m³ (SISPEA V-numbers) and its mains length."""

    produced: float = 0.0  # V1
    imported: float = 0.0  # V2
    exported: float = 0.0  # V3
    metered_consumption: float = 0.0  # V7
    unmetered_consumption: float = 0.0  # V8
    service_volume: float = 0.0  # V9
    mains_length_km: float | None = None  # L, excluding service connections


def distribution_input(v: Volumes) -> float:
    """V4, volume put into distribution = V1 + V2 − V3 (SISPEA)."""
    return v.produced + v.imported - v.exported


def authorised_consumption(v: Volumes) -> float:
    """V6, authorised consumption = V7 + V8 + V9 (SISPEA)."""
    return v.metered_consumption + v.unmetered_consumption + v.service_volume


def losses(v: Volumes) -> float:
    """V5, losses in distribution = V4 − V6 (SISPEA)."""
    return distribution_input(v) - authorised_consumption(v)


def rendement(v: Volumes) -> float | None:
    """P104.3, rendement du réseau de distribution (%) = (V6 + V3) / (V1 + V2) × 100.

    Source: SISPEA indicator sheet P104.3 (arrêté du 2 mai 2007, annexe V); the same
    rendement is the one décret 2012-97 tests. None when nothing enters the network.
    """
    entering = v.produced + v.imported
    if entering <= 0:
        return None
    return 100.0 * (authorised_consumption(v) + v.exported) / entering


def _per_km_day(volume: float, v: Volumes) -> float | None:
    if not v.mains_length_km or v.mains_length_km <= 0:
        return None
    return volume / (DAYS * v.mains_length_km)


def ilvnc(v: Volumes) -> float | None:
    """P105.3, indice linéaire des volumes non comptés (m³/km/day) = (V4 − V7) / (365 × L).

    Source: SISPEA indicator sheet P105.3. None without a mains length."""
    return _per_km_day(distribution_input(v) - v.metered_consumption, v)


def ilp(v: Volumes) -> float | None:
    """P106.3, indice linéaire de pertes en réseau (m³/km/day) = (V4 − V6) / (365 × L).

    Source: SISPEA indicator sheet P106.3. None without a mains length."""
    return _per_km_day(losses(v), v)


def ilc(v: Volumes) -> float | None:
    """Indice linéaire de consommation (m³/km/day) = (V6 + V3) / (365 × L).

    Source: décret 2012-97 (« volume moyen journalier consommé par les usagers et les
    besoins du service, augmenté des ventes d'eau à d'autres services, divisé par le
    linéaire de réseaux hors branchements »). None without a mains length."""
    return _per_km_day(authorised_consumption(v) + v.exported, v)


# -- décret 2012-97 ---------------------------------------------------------------------------
def _pct(value: float) -> str:
    """A percentage written the French way: 61,8 %."""
    return f"{value:.1f}".replace(".", ",") + " %"


def decree_fixed_term(zre_abstraction_m3: float | None) -> float:
    """65, or 70 where abstraction from a ZRE exceeds 2 Mm³/year (strictly)."""
    if zre_abstraction_m3 is not None and zre_abstraction_m3 > ZRE_ABSTRACTION_LIMIT_M3:
        return DECREE_FIXED_TERM_ZRE
    return DECREE_FIXED_TERM


def decree_threshold(ilc_value: float, zre_abstraction_m3: float | None = None) -> float:
    """The rendement a service must reach: min(85, fixed term + ILC / 5)."""
    return min(DECREE_TARGET, decree_fixed_term(zre_abstraction_m3) + ilc_value / 5)


@dataclass(frozen=True)
class Verdict:
    """Outcome of the décret 2012-97 test. ``compliant`` is None when undecidable."""

    compliant: bool | None
    threshold: float | None  # rendement to reach (%), when known
    fixed_term: float
    message: str  # French


def decree_verdict(rendement_value: float | None, ilc_value: float | None,
                   zre_abstraction_m3: float | None = None) -> Verdict:
    """Décret 2012-97: no action plan needed when rendement ≥ 85 %, or else when
    rendement ≥ fixed term + ILC / 5 (fixed term 65, 70 in a ZRE above 2 Mm³/year).

    A rendement exactly at the threshold passes (the décret requires an action plan
    only below it)."""
    fixed = decree_fixed_term(zre_abstraction_m3)
    threshold = None if ilc_value is None else decree_threshold(ilc_value, zre_abstraction_m3)
    if rendement_value is None:
        return Verdict(None, threshold, fixed, "Rendement incalculable : aucun volume produit "
                                               "ni importé.")
    if rendement_value >= DECREE_TARGET:
        return Verdict(True, threshold if threshold is not None else DECREE_TARGET, fixed,
                       f"Conforme au décret 2012-97 : rendement de {_pct(rendement_value)} "
                       f"(objectif de {DECREE_TARGET:.0f} % atteint).")
    if threshold is None:
        return Verdict(None, None, fixed, "Verdict impossible : le rendement est sous 85 % et "
                                          "le linéaire de réseau est inconnu (ILC incalculable).")
    zre = " (zone de répartition des eaux, prélèvements > 2 Mm³/an)" if fixed == 70 else ""
    if rendement_value >= threshold:
        return Verdict(True, threshold, fixed,
                       f"Conforme au décret 2012-97 : rendement de {_pct(rendement_value)} ≥ "
                       f"seuil de {_pct(threshold)} ({fixed:.0f} + ILC/5){zre}.")
    return Verdict(False, threshold, fixed,
                   f"Sous le seuil du décret 2012-97 : rendement de {_pct(rendement_value)} < "
                   f"seuil de {_pct(threshold)} ({fixed:.0f} + ILC/5){zre}. Un plan d'actions "
                   "(programme pluriannuel de travaux) est obligatoire, sous peine de "
                   "majoration de la redevance pour prélèvement.")


# -- rating of the ILP --------------------------------------------------------------------------
# Reference values of the ILP (m³/km/day) by type of network, the grid the water agencies
# commonly use, as reproduced by E. Renaud, « Valeurs de référence de l'indice linéaire de
# pertes des réseaux d'alimentation en eau potable », Cemagref, 2009 (§ I-3). It is not a
# national standard [U]: tenants change it through the ``water.ilp_grid`` setting.
# A network is rural while ILC < 10, intermediate while ILC < 30, urban from 30 on; its
# ILP is good below ``good``, acceptable below ``acceptable``, mediocre below ``mediocre``,
# poor from there on.
DEFAULT_ILP_GRID: dict[str, Any] = {
    "rural": {"ilc_below": 10, "good": 1.5, "acceptable": 2.5, "mediocre": 4},
    "intermediate": {"ilc_below": 30, "good": 3, "acceptable": 5, "mediocre": 8},
    "urban": {"good": 7, "acceptable": 10, "mediocre": 15},
}
GRID_SOURCE = ("Grille des agences de l'eau reprise par E. Renaud, « Valeurs de référence de "
               "l'indice linéaire de pertes », Cemagref, 2009 — non réglementaire, modifiable.")
CATEGORY_LABELS = {"rural": "rural", "intermediate": "intermédiaire", "urban": "urbain"}
GRADES = ("good", "acceptable", "mediocre", "poor")
GRADE_LABELS = {"good": "bon", "acceptable": "acceptable", "mediocre": "médiocre",
                "poor": "mauvais"}


def _positive(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and value > 0


def grid_errors(grid: Any) -> list[dict[str, str]]:
    """What is wrong with a rating grid (French), empty when it is usable."""
    if not isinstance(grid, Mapping):
        return [{"field": "water.ilp_grid", "message": "objet attendu (rural, intermediate, "
                                                      "urban)"}]
    errors = [{"field": f"water.ilp_grid.{k}", "message": "catégorie inconnue (attendues : "
                                                          "rural, intermediate, urban)"}
              for k in sorted(set(grid) - set(CATEGORY_LABELS))]
    for category in CATEGORY_LABELS:
        field = f"water.ilp_grid.{category}"
        entry = grid.get(category)
        if not isinstance(entry, Mapping):
            errors.append({"field": field, "message": "objet attendu"})
            continue
        wanted = ["good", "acceptable", "mediocre"] + (["ilc_below"] if category != "urban"
                                                       else [])
        for key in sorted(set(entry) - set(wanted)):
            errors.append({"field": f"{field}.{key}", "message": "champ inconnu (attendus : "
                                                                 + ", ".join(wanted) + ")"})
        for key in wanted:
            if not _positive(entry.get(key)):
                errors.append({"field": f"{field}.{key}", "message": "nombre > 0 attendu"})
        limits = [entry.get(k) for k in ("good", "acceptable", "mediocre")]
        if all(_positive(x) for x in limits) and not limits[0] < limits[1] < limits[2]:
            errors.append({"field": field, "message": "seuils croissants attendus "
                                                      "(good < acceptable < mediocre)"})
    bounds = [grid.get(c, {}).get("ilc_below") if isinstance(grid.get(c), Mapping) else None
              for c in ("rural", "intermediate")]
    if all(_positive(b) for b in bounds) and not bounds[0] < bounds[1]:
        errors.append({"field": "water.ilp_grid.intermediate.ilc_below",
                       "message": "doit dépasser la borne rurale"})
    return errors


@dataclass(frozen=True)
class Rating:
    category: str  # rural | intermediate | urban
    grade: str  # good | acceptable | mediocre | poor
    limits: tuple[float, float, float]  # good, acceptable, mediocre upper bounds (ILP)

    @property
    def label(self) -> str:
        return f"{GRADE_LABELS[self.grade]} (réseau {CATEGORY_LABELS[self.category]})"


def network_category(ilc_value: float, grid: Mapping[str, Any] = DEFAULT_ILP_GRID) -> str:
    """rural while ILC < rural.ilc_below, intermediate while < intermediate.ilc_below."""
    if ilc_value < grid["rural"]["ilc_below"]:
        return "rural"
    if ilc_value < grid["intermediate"]["ilc_below"]:
        return "intermediate"
    return "urban"


def rate_ilp(ilp_value: float | None, ilc_value: float | None,
             grid: Mapping[str, Any] = DEFAULT_ILP_GRID) -> Rating | None:
    """The ILP's grade in the grid row of the network's category (by ILC). A value equal
    to a limit falls in the worse grade (limits are strict upper bounds)."""
    if ilp_value is None or ilc_value is None:
        return None
    category = network_category(ilc_value, grid)
    row = grid[category]
    limits = (float(row["good"]), float(row["acceptable"]), float(row["mediocre"]))
    grade = next((g for g, limit in zip(GRADES, limits, strict=False) if ilp_value < limit),
                 "poor")
    return Rating(category, grade, limits)


# -- everything at once -------------------------------------------------------------------------
def rounded(value: float | None, digits: int) -> float | None:
    return None if value is None else round(value, digits)


def indicator_set(v: Volumes, zre_abstraction_m3: float | None = None,
                  grid: Mapping[str, Any] = DEFAULT_ILP_GRID) -> dict[str, Any]:
    """All indicators of one service-year as published (rendement to 0.1 %, linear indices
    to 0.01 m³/km/day), with the décret verdict and the ILP rating."""
    r, p, n, c = rendement(v), ilp(v), ilvnc(v), ilc(v)
    verdict = decree_verdict(r, c, zre_abstraction_m3)
    rating = rate_ilp(p, c, grid)
    return {
        "volumes": {
            "distribution_input_m3": distribution_input(v),
            "authorised_consumption_m3": authorised_consumption(v),
            "losses_m3": losses(v),
        },
        "rendement_pct": rounded(r, 1),
        "ilp_m3_km_day": rounded(p, 2),
        "ilvnc_m3_km_day": rounded(n, 2),
        "ilc_m3_km_day": rounded(c, 2),
        "decree": {"compliant": verdict.compliant,
                   "threshold_pct": rounded(verdict.threshold, 1),
                   "fixed_term_pct": verdict.fixed_term, "message": verdict.message},
        "rating": None if rating is None else {
            "category": rating.category, "grade": rating.grade, "label": rating.label,
            "limits_m3_km_day": list(rating.limits)},
    }
