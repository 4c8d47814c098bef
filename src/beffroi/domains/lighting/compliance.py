"""Compliance of luminaires with the arrêté du 27 décembre 2018 (nuisances lumineuses).

Rules are declared as data (``RULES``): an id, the article cited to the user, the
categories of art. 1 they apply to, how the value is read from the luminaire's
properties and how the limit is found in ``LIMITS``. ``evaluate`` is a plain
function over ``LightPoint`` values; ``compliance_report.commune_report`` loads them
from the database through a ``TenantScope``.

Sources of the limits (``LIMITS``, overridable per call; tenant settings only
accept core's keys, so they are not a tenant setting):

- art. 3, II, 1° — ULR < 1 % (nominal) and < 4 % (as installed) for a and e;
  the sub-paragraph number follows the brief of issue #6 and is not checked
  against the Journal officiel;
- art. 3, II, 3° — colour temperature ≤ 3000 K for a, d, e (wording quoted by
  the manufacturers' guides, Schréder "Focus arrêté" 2020);
- art. 3, II, 4° — surface density of installed flux (lm/m²): a < 35 in
  built-up areas, < 25 outside; e < 25 / < 20 (same guides, wikinight.fr);
- art. 4, I and II (Légifrance, version of 30 June 2019) — astronomical sites
  (I) and nature reserves (II) use the "outside built-up area" values; heritage
  lighting (b) there: ULR as installed = 0 (the nominal ULR stands in when the
  inventory lacks the installed one); construction sites (g) there ≤ 3000 K; in
  nature reserves a–f ≤ 2400 K. National and regional parks are recorded but
  get no limit of their own: a 2700 K ceiling sometimes quoted for parks is
  unconfirmed, hence ``color_temperature_park_max_k`` = None (opt-in);
- the technical prescriptions of art. 3 and 4 apply to installations put into
  service from 1 January 2020 (``technical_rules_from``; secondary sources):
  an older head is not evaluated against them; a head of unknown date that
  would breach them is reported as lacking its installation date;
- art. 2 — switch-off times tied to the related activity (table in the
  project's DOMAIN-FACTS; the roman numerals II and V are uncertain); they
  apply whatever the installation date;
- art. 5 — the data the operator must hold (text of Légifrance, version of
  30 June 2019) and the elements needed to check art. 3 and 4;
- mercury-vapour lamps: no longer placed on the market since 13 April 2015
  (règlement (CE) n° 245/2009, ecodesign).

Where values come from:

- the luminaire's properties (``kinds.LUMINAIRE``); zones fill what it lacks
  (``zones.apply_zones``: built-up and protected status, and the surface density
  of installed flux of the lit area it stands in when it has no ``lit_area_m2``);
- switch-off and morning relighting: the luminaire's own ``switch_off`` /
  ``switch_on``, else its cabinet's programme (``cabinet_programme``: stored
  programme, else the legacy night-cut fields, else dusk to dawn). The switch-off
  is the first step to level 0 after the evening's lit steps, the relighting the
  next step above 0 before the morning sun step; with seasonal variants, the
  latest switch-off and earliest relighting of the year count.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Literal

from .cabinet_programme import cabinet_programme
from .inventory_values import (
    as_bool,
    as_clock,
    as_number,
    clock_text,
    protection,
)
from .programmes import EVENING, MORNING, Programme, Step

LUMINAIRE_KIND = "lighting.luminaire"
CABINET_KIND = "lighting.cabinet"
ZONE_KINDS = ("lighting.lit_area", "lighting.dark_corridor")
SOURCE = ("Arrêté du 27 décembre 2018 relatif à la prévention, à la réduction et à la "
          "limitation des nuisances lumineuses (modifié le 29 mai 2019)")
NEW_INSTALLATIONS_FROM = "2020-01-01"

LIMITS: dict[str, Any] = {
    "color_temperature_max_k": 3000,
    "color_temperature_nature_reserve_max_k": 2400,
    "color_temperature_construction_protected_max_k": 3000,  # g, art. 4 I and II
    "color_temperature_park_max_k": None,  # unconfirmed: None = not evaluated
    "ulr_nominal_max_percent": 1.0,  # strictly below
    "ulr_installed_max_percent": 4.0,  # strictly below
    "ulr_heritage_protected_max_percent": 0.0,
    # Surface density of installed flux (lm/m²), strictly below.
    "flux_density_max_lm_m2": {"a": {"built_up": 35.0, "outside": 25.0},
                               "e": {"built_up": 25.0, "outside": 20.0}},
    # Latest switch-off, minutes after the end of the related activity (art. 2).
    "switch_off_after_activity_min": {"a": 60, "b": 60, "d": 60, "e": 120, "g": 60},
    "heritage_switch_off_latest": "01:00",  # b without closing time (heritage)
    "switch_on_earliest": "07:00",  # a and d, unless the activity starts earlier
    "switch_on_before_activity_min": 60,
    "technical_rules_from": NEW_INSTALLATIONS_FROM,  # art. 3 and 4 technical prescriptions
}

@dataclass(frozen=True)
class LightPoint:
    """One luminaire as the rules see it: its properties and its cabinet's."""

    ref: str
    name: str
    commune: str | None
    properties: Mapping[str, Any]
    cabinet: Mapping[str, Any] | None = None
    id: int | None = None
    geometry: Mapping[str, Any] | None = None  # GeoJSON Point, to place it in zones
    # What its zones said (``zones.apply_zones``): lit_area, dark_corridor, filled.
    zone: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Reading:
    """A rule's value and where it was read, said to the user (French)."""

    value: Any
    detail: str | None = None


class MissingData(Exception):
    """The value or the limit needs fields the inventory does not hold."""

    def __init__(self, *fields: str) -> None:
        super().__init__(", ".join(fields))
        self.fields = fields


def _night(minutes: int) -> int:
    """Minutes after noon, so that evening and night times compare in order."""
    return (minutes - 720) % 1440


def _need_number(point: LightPoint, name: str) -> float:
    value = as_number(point.properties.get(name))
    if value is None:
        raise MissingData(name)
    return value


def _category(point: LightPoint) -> str | None:
    value = point.properties.get("category")
    return str(value).strip().lower() if value not in (None, "") else None


# -- values and limits of each rule ----------------------------------------------

def _cct(point: LightPoint) -> float:
    return _need_number(point, "color_temperature_k")


def _ulr(point: LightPoint) -> float:
    return _need_number(point, "ulr_percent")


def _ulr_installed(point: LightPoint) -> float | None:
    # Optional: only evaluated when the inventory holds the ULR as installed.
    return as_number(point.properties.get("ulr_installed_percent"))


def _ulr_heritage(point: LightPoint) -> Reading:
    installed = _ulr_installed(point)
    if installed is not None:
        return Reading(installed, "ULR en condition d'installation")
    return Reading(_ulr(point), "ULR nominal, à défaut de l'ULR en condition d'installation")


def _in_nature_reserve(point: LightPoint) -> bool:
    return protection(point.properties) == "nature_reserve"


def _is_protected(point: LightPoint) -> bool:
    return protection(point.properties) in ("nature_reserve", "astronomical_site")


def _in_park(point: LightPoint) -> bool:
    return protection(point.properties) in ("national_park", "regional_park")


def _protected_article(point: LightPoint) -> str:
    return "art. 4, I" if protection(point.properties) == "astronomical_site" else "art. 4, II"


def _flux_density(point: LightPoint) -> Reading:
    area = as_number(point.properties.get("lit_area_m2"))
    flux = as_number(point.properties.get("flux_lm"))
    if area is None and (lit := point.zone.get("lit_area")) and lit["density_lm_m2"] is not None:
        return Reading(lit["density_lm_m2"], f"surface éclairée {lit['ref']} : "
                       f"{lit['flux_lm']:g} lm sur {lit['area_m2']:g} m²")
    missing = [n for n, v in (("flux_lm", flux), ("lit_area_m2", area)) if v is None]
    if missing or not area:
        raise MissingData(*(missing or ["lit_area_m2"]))
    return Reading(round(flux / area, 1), f"{flux:g} lm sur {area:g} m²")  # type: ignore[operator]


def _flux_density_limit(point: LightPoint, limits: Mapping[str, Any]) -> float:
    lit = point.zone.get("lit_area") if point.properties.get("lit_area_m2") is None else None
    category = (lit or {}).get("category") or _category(point)
    table = limits["flux_density_max_lm_m2"]
    by_category = table.get(category) or table[_category(point)]
    if _is_protected(point):  # art. 4: the "outside built-up area" values
        return by_category["outside"]
    built_up = as_bool(point.properties.get("built_up_area"))
    if built_up is None:
        raise MissingData("built_up_area")
    return by_category["built_up" if built_up else "outside"]


def _activity_related(point: LightPoint) -> bool:
    category = _category(point)
    if category in ("a", "e"):  # only when tied to an activity (street lighting: the mayor)
        return bool(as_bool(point.properties.get("activity_related")))
    return category in ("b", "d", "g")


def _night_order(step: Step) -> float:
    """Position of a step in the night: evening sun steps first, morning ones last."""
    if step.at in EVENING:
        return -1.0
    if step.at in MORNING:
        return 1441.0
    return float(_night(as_clock(step.at) or 0))


def night_times(steps: Sequence[Step]) -> tuple[int, int | None]:
    """(switch-off in minutes after noon, 1440 when lit until the morning sun step;
    morning relighting in minutes since midnight, None when not relit before dawn)."""
    ordered = sorted(steps, key=_night_order)
    lit = False
    off: int | None = None
    for step in ordered:
        if step.at in MORNING:
            break
        if step.level > 0:
            if off is not None:  # relit after the cut
                return off, as_clock(step.at)
            lit = True
        elif lit and off is None:
            off = int(_night_order(step))
    return (1440 if off is None else off), None


@lru_cache(maxsize=1024)
def programme_times(programme: Programme) -> tuple[int, int | None]:
    """``night_times`` of the night that switches off latest (and relights earliest)."""
    times = [night_times(s) for s in (programme.steps, *(v.steps for v in programme.variants))]
    ons = [on for _, on in times if on is not None]
    return max(off for off, _ in times), (min(ons) if ons else None)


def _cabinet_times(point: LightPoint, missing: str) -> tuple[int, int | None, str]:
    if point.cabinet is None:
        raise MissingData(missing)
    programme, source = cabinet_programme(point.cabinet)
    off, on = programme_times(programme)
    where = {"stored": "programme de l'armoire", "night_cut": "extinction de l'armoire",
             "default": "armoire sans programme (toute la nuit)"}[source]
    return off, on, f"{where} : {programme.label}"


def _switch_off(point: LightPoint) -> Reading:
    """Minutes after noon of the switch-off; 1440 for "all night" (off at sunrise)."""
    own = as_clock(point.properties.get("switch_off"))
    if own is not None:
        return Reading(_night(own), "extinction propre au point lumineux")
    off, _, detail = _cabinet_times(point, "switch_off")
    return Reading(off, detail)


def _switch_off_limit(point: LightPoint, limits: Mapping[str, Any]) -> int:
    category = _category(point)
    end = as_clock(point.properties.get("activity_end"))
    if category == "b" and end is None:  # heritage: fixed hour
        return _night(as_clock(limits["heritage_switch_off_latest"]) or 0)
    if end is None:
        raise MissingData("activity_end")
    return _night(end + limits["switch_off_after_activity_min"][category])


def _switch_on(point: LightPoint) -> Reading | None:
    """Minutes since midnight of the morning relighting; None when not relit before dawn
    (or lit all night: the switch-off rule already reports it)."""
    own = as_clock(point.properties.get("switch_on"))
    if own is not None:
        return Reading(own, "rallumage propre au point lumineux")
    if point.cabinet is None or as_clock(point.properties.get("switch_off")) is not None:
        return None  # on its own clock, which does not relight it before dawn
    _, on, detail = _cabinet_times(point, "switch_on")
    return None if on is None else Reading(on, detail)


def _switch_on_limit(point: LightPoint, limits: Mapping[str, Any]) -> int:
    earliest = as_clock(limits["switch_on_earliest"]) or 0
    start = as_clock(point.properties.get("activity_start"))
    if start is not None:
        earliest = min(earliest, start - limits["switch_on_before_activity_min"])
    return earliest


def _lamp(point: LightPoint) -> str | None:
    value = point.properties.get("lamp_type")  # when missing, art. 5 completeness says so
    return str(value) if value not in (None, "") else None


Comparison = Literal["max", "below", "not_later", "not_earlier", "forbidden"]


@dataclass(frozen=True)
class Rule:
    """One prescription, checked on the luminaires of the given categories."""

    id: str
    article: str  # cited to the user, in French
    label: str  # French
    categories: tuple[str, ...]
    value: Callable[[LightPoint], Any]  # may raise MissingData; None = not evaluated
    limit: Callable[[LightPoint, Mapping[str, Any]], Any]  # may raise MissingData
    comparison: Comparison
    unit: str | None = None  # UCUM
    applies: Callable[[LightPoint], bool] = lambda point: True
    article_by_category: Mapping[str, str] = field(default_factory=dict)
    article_of: Callable[[LightPoint], str] | None = None  # overrides the above
    new_installations_only: bool = False  # art. 3 and 4 technical prescriptions

    def article_for(self, point: LightPoint) -> str:
        if self.article_of is not None:
            return self.article_of(point)
        return self.article_by_category.get(_category(point) or "", self.article)

    def breaks(self, value: Any, limit: Any) -> bool:
        if self.comparison == "max":
            return value > limit
        if self.comparison == "below":
            return value >= limit
        if self.comparison == "not_later":
            return value > limit
        if self.comparison == "not_earlier":
            return value < limit
        return value == limit  # forbidden


def _limit(key: str) -> Callable[[LightPoint, Mapping[str, Any]], Any]:
    return lambda point, limits: limits[key]


RULES: tuple[Rule, ...] = (
    Rule("color_temperature", "art. 3, II, 3°",
         "Température de couleur supérieure au maximum", ("a", "d", "e"),
         _cct, _limit("color_temperature_max_k"), "max", "K", new_installations_only=True),
    Rule("color_temperature_nature_reserve", "art. 4, II",
         "Température de couleur supérieure au maximum en réserve naturelle",
         ("a", "b", "c", "d", "e", "f"), _cct,
         _limit("color_temperature_nature_reserve_max_k"), "max", "K",
         applies=_in_nature_reserve, new_installations_only=True),
    Rule("color_temperature_construction_protected", "art. 4",
         "Éclairage de chantier en espace protégé : température de couleur supérieure au "
         "maximum", ("g",), _cct, _limit("color_temperature_construction_protected_max_k"),
         "max", "K", applies=_is_protected, article_of=_protected_article,
         new_installations_only=True),
    Rule("color_temperature_park", "art. 4 (valeur à confirmer)",
         "Température de couleur supérieure au plafond retenu pour les parcs naturels",
         ("a", "b", "c", "d", "e", "f"), _cct, _limit("color_temperature_park_max_k"), "max", "K",
         applies=_in_park, new_installations_only=True),
    Rule("ulr_nominal", "art. 3, II, 1°",
         "Proportion de lumière émise au-dessus de l'horizontale (ULR) trop élevée",
         ("a", "e"), _ulr, _limit("ulr_nominal_max_percent"), "below", "%",
         new_installations_only=True),
    Rule("ulr_installed", "art. 3, II, 1°",
         "ULR en condition d'installation trop élevé", ("a", "e"), _ulr_installed,
         _limit("ulr_installed_max_percent"), "below", "%", new_installations_only=True),
    Rule("ulr_heritage_protected", "art. 4",
         "Mise en valeur du patrimoine en espace protégé : aucune lumière au-dessus de "
         "l'horizontale", ("b",), _ulr_heritage, _limit("ulr_heritage_protected_max_percent"),
         "max", "%", applies=_is_protected, article_of=_protected_article,
         new_installations_only=True),
    Rule("flux_density", "art. 3, II, 4°",
         "Densité surfacique de flux lumineux installé trop élevée", ("a", "e"),
         _flux_density, _flux_density_limit, "below", "lm/m2", new_installations_only=True),
    Rule("switch_off", "art. 2", "Extinction trop tardive au regard de l'activité",
         ("a", "b", "d", "e", "g"), _switch_off, _switch_off_limit, "not_later",
         applies=_activity_related,
         article_by_category={"a": "art. 2, I", "b": "art. 2, II", "d": "art. 2, III",
                              "e": "art. 2, IV", "g": "art. 2, V"}),
    Rule("switch_on", "art. 2", "Rallumage matinal trop précoce", ("a", "d"),
         _switch_on, _switch_on_limit, "not_earlier", applies=_activity_related,
         article_by_category={"a": "art. 2, I", "d": "art. 2, III"}),
    Rule("mercury_lamp", "règlement (CE) n° 245/2009",
         "Lampe à vapeur de mercure (interdite à la vente depuis 2015)", (),
         _lamp, lambda point, limits: "mercury", "forbidden"),
)

# Data the operator must hold: art. 5 (the six listed data), then what is needed to
# check art. 3 and 4 (last paragraph of art. 5).
ARTICLE5_FIELDS: tuple[tuple[str, str, str], ...] = (
    ("ulr_percent", "ULR (%)", "art. 5"),
    ("cie_flux_code_3_percent", "code flux CIE n°3 (%)", "art. 5"),
    ("color_temperature_k", "température de couleur (K)", "art. 5"),
    ("power_w", "puissance (W)", "art. 5"),
    ("flux_lm", "flux nominal de la source (lm)", "art. 5"),
    ("head_installed", "date d'installation de la tête", "art. 5"),
    ("lamp_type", "technologie de la source", "art. 5 (éléments de vérification)"),
    ("mast_height_m", "hauteur de feu (m)", "art. 5 (éléments de vérification)"),
    ("category", "catégorie (art. 1)", "art. 5 (éléments de vérification)"),
    ("built_up_area", "en / hors agglomération", "art. 5 (éléments de vérification)"),
    ("protected_area", "espace protégé (art. 4)", "art. 5 (éléments de vérification)"),
)
FIELD_LABELS = {name: label for name, label, _ in ARTICLE5_FIELDS} | {
    "lit_area_m2": "surface éclairée (m²)", "activity_end": "heure de fin d'activité",
    "switch_off": "heure d'extinction", "cut_start": "début d'extinction de l'armoire",
    "ulr_installed_percent": "ULR en condition d'installation (%)"}
ARTICLE5_ARTICLES = {name: article for name, _, article in ARTICLE5_FIELDS}


def article5_missing(props: Mapping[str, Any]) -> list[str]:
    """The art. 5 fields a luminaire lacks (empty or unreadable)."""
    missing = []
    for name, _, _ in ARTICLE5_FIELDS:
        value = props.get(name)
        if name == "protected_area":
            ok = protection(props) is not None
        elif name == "built_up_area":
            ok = as_bool(value) is not None
        else:
            ok = value not in (None, "")
        if not ok:
            missing.append(name)
    return missing


def _shown(value: Any, rule: Rule) -> Any:
    if rule.comparison in ("not_later",):
        return "toute la nuit" if value == 1440 else clock_text(value + 720)
    if rule.comparison == "not_earlier":
        return clock_text(value)
    return value


def _installed_since(point: LightPoint, day: str) -> bool | None:
    """Whether the head was installed on or after ``day``; None when its date is unknown."""
    installed = point.properties.get("head_installed")
    if installed in (None, ""):
        return None
    return str(installed)[:10] >= day


def check_point(point: LightPoint, limits: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Broken rules, rules lacking data, and missing art. 5 fields of one luminaire."""
    limits = {**LIMITS, **(limits or {})}
    category = _category(point)
    recent = _installed_since(point, limits["technical_rules_from"])
    violations, missing = [], []
    for rule in RULES:
        if rule.categories and category not in rule.categories:
            continue
        if rule.new_installations_only and recent is False:
            continue  # installed before the technical prescriptions applied
        try:
            if not rule.applies(point):
                continue
            article = rule.article_for(point)
            reading = rule.value(point)
            if reading is None:
                continue
            limit = rule.limit(point, limits)
        except MissingData as exc:
            missing.append({"rule": rule.id, "article": rule.article_for(point),
                            "label": rule.label, "fields": list(exc.fields)})
            continue
        value, detail = ((reading.value, reading.detail) if isinstance(reading, Reading)
                         else (reading, None))
        if value is None or limit is None or not rule.breaks(value, limit):
            continue
        if rule.new_installations_only and recent is None:
            # Breached, but whether the prescription applies depends on the head's date.
            missing.append({"rule": rule.id, "article": article, "label": rule.label,
                            "fields": ["head_installed"]})
            continue
        violations.append({"rule": rule.id, "article": article, "label": rule.label,
                           "value": _shown(value, rule),
                           "limit": "interdite" if rule.comparison == "forbidden"
                           else _shown(limit, rule),
                           "unit": rule.unit, "detail": detail})
    installed = point.properties.get("head_installed")
    lit, corridor = point.zone.get("lit_area"), point.zone.get("dark_corridor")
    return {
        "id": point.id, "ref": point.ref, "name": point.name, "commune": point.commune,
        "category": category, "lamp_type": point.properties.get("lamp_type"),
        "head_installed": installed,
        "installed_since_2020": (str(installed) >= NEW_INSTALLATIONS_FROM) if installed else None,
        "compliant": not violations,
        "violations": violations, "missing_data": missing,
        "article5_missing": article5_missing(point.properties),
        "lit_area": lit["ref"] if lit else None,
        "dark_corridor": corridor["ref"] if corridor else None,
        "from_zones": list(point.zone.get("filled", ())),
    }


def _counts(entries: list[dict[str, Any]]) -> dict[str, Any]:
    by_rule = Counter(v["rule"] for e in entries for v in e["violations"])
    by_field = Counter(f for e in entries for f in e["article5_missing"])
    return {
        "luminaires": len(entries),
        "compliant": sum(1 for e in entries if e["compliant"]),
        "non_compliant": sum(1 for e in entries if not e["compliant"]),
        "with_missing_data": sum(1 for e in entries if e["missing_data"]),
        "article5_incomplete": sum(1 for e in entries if e["article5_missing"]),
        "mercury_lamps": sum(1 for e in entries if e["lamp_type"] == "mercury"),
        "violations_by_rule": {r.id: by_rule[r.id] for r in RULES if by_rule[r.id]},
        "article5_missing_by_field": {n: by_field[n] for n, _, _ in ARTICLE5_FIELDS
                                      if by_field[n]},
    }


def rules_public() -> list[dict[str, Any]]:
    return [{"id": r.id, "article": r.article, "label": r.label,
             "categories": list(r.categories), "unit": r.unit,
             "articles_by_category": dict(r.article_by_category),
             "new_installations_only": r.new_installations_only} for r in RULES]


def _zone_limits(figures: dict[str, Any], limits: Mapping[str, Any]) -> dict[str, Any]:
    """A lit area's density against its category's limit (when it has one)."""
    table = limits["flux_density_max_lm_m2"].get(figures["category"] or "")
    built_up = figures["built_up_area"]
    limit = None if table is None or built_up is None else table[
        "built_up" if built_up else "outside"]
    density = figures["density_lm_m2"]
    return {**figures, "limit_lm_m2": limit,
            "compliant": None if limit is None or density is None else density < limit}


def evaluate(points: Iterable[LightPoint], limits: Mapping[str, Any] | None = None,
             commune_names: Mapping[str, str] | None = None, zones: Sequence[Any] = (),
             flux_points: Sequence[LightPoint] | None = None) -> dict[str, Any]:
    """The compliance report of these luminaires: per luminaire, then per commune.

    ``zones`` (``zones.Zone``) fill what the luminaires lack; ``flux_points`` are the
    luminaires counted in the lit areas' flux (default: ``points``)."""
    from .zones import apply_zones  # imports this module

    merged = {**LIMITS, **(limits or {})}
    points, zone_figures = apply_zones(list(points), zones, flux_points)
    entries = [check_point(p, merged) for p in points]
    entries.sort(key=lambda e: (e["commune"] or "", e["ref"]))
    names = commune_names or {}
    communes = sorted({e["commune"] for e in entries}, key=lambda c: c or "")
    return {
        "source": SOURCE,
        # French labels (and the article requiring them) of the fields findings name.
        "fields": {name: {"label": label, "article": ARTICLE5_ARTICLES.get(name)}
                   for name, label in FIELD_LABELS.items()},
        "limits": merged,
        "rules": rules_public(),
        "communes": [{"insee": c, "name": names.get(c or ""),
                      "counts": _counts([e for e in entries if e["commune"] == c])}
                     for c in communes],
        "totals": _counts(entries),
        "zones": {"lit_areas": [_zone_limits(z, merged) for z in zone_figures["lit_areas"]],
                  "dark_corridors": zone_figures["dark_corridors"]},
        "luminaires": entries,
    }
