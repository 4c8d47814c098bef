"""Compliance of luminaires with the arrêté du 27 décembre 2018 (nuisances lumineuses).

Rules are declared as data (``RULES``): an id, the article cited to the user, the
categories of art. 1 they apply to, how the value is read from the luminaire's
properties and how the limit is found in ``LIMITS``. ``evaluate`` is a plain
function over ``LightPoint`` values; ``commune_report`` loads them from the
database through a ``TenantScope``.

Sources of the limits (``LIMITS``, overridable per call; tenant settings only
accept core's keys, so they are not a tenant setting):

- art. 3, II, 1° — ULR < 1 % (nominal) and < 4 % (as installed) for a and e;
  the sub-paragraph number follows the brief of issue #6 and is not checked
  against the Journal officiel;
- art. 3, II, 3° — colour temperature ≤ 3000 K for a, d, e (wording quoted by
  the manufacturers' guides, Schréder "Focus arrêté" 2020);
- art. 3, II, 4° — surface density of installed flux (lm/m²): a < 35 in
  built-up areas, < 25 outside; e < 25 / < 20 (same guides, wikinight.fr);
- art. 4 — astronomical sites and nature reserves use the "outside built-up
  area" values; heritage lighting (b) ULR = 0; in nature reserves a–f ≤ 2400 K;
- art. 2 — switch-off times tied to the related activity (table in the
  project's DOMAIN-FACTS; the roman numerals II and V are uncertain);
- art. 5 — the data the operator must hold (text of Légifrance, version of
  30 June 2019) and the elements needed to check art. 3 and 4;
- mercury-vapour lamps: no longer placed on the market since 13 April 2015
  (règlement (CE) n° 245/2009, ecodesign).

Properties read beyond those kinds.py declares (free properties of the kind):
``built_up_area`` (en agglomération, boolean), ``protected_area``
(``none``, ``nature_reserve``, ``astronomical_site``), ``lit_area_m2`` (surface
éclairée attributed to the light point), ``ulr_installed_percent``,
``activity_related`` (boolean), ``activity_start`` / ``activity_end`` (HH:MM),
``switch_on`` / ``switch_off`` (HH:MM, the point's own programme, else the
cabinet's night cut).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import orjson
from sqlalchemy import Connection, select

from ...core.access import TenantScope
from ...core.errors import Invalid
from ...storage import schema

LUMINAIRE_KIND = "lighting.luminaire"
CABINET_KIND = "lighting.cabinet"
SOURCE = ("Arrêté du 27 décembre 2018 relatif à la prévention, à la réduction et à la "
          "limitation des nuisances lumineuses (modifié le 29 mai 2019)")
NEW_INSTALLATIONS_FROM = "2020-01-01"

LIMITS: dict[str, Any] = {
    "color_temperature_max_k": 3000,
    "color_temperature_nature_reserve_max_k": 2400,
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
}

PROTECTION_LABELS = {"none": "aucune", "nature_reserve": "réserve naturelle",
                     "astronomical_site": "site d'observation astronomique"}
PROTECTION_ALIASES = {
    "none": "none", "aucune": "none", "aucun": "none", "non": "none", "false": "none",
    "0": "none", "nature_reserve": "nature_reserve", "reserve_naturelle": "nature_reserve",
    "réserve naturelle": "nature_reserve", "reserve naturelle": "nature_reserve",
    "astronomical_site": "astronomical_site", "site_astronomique": "astronomical_site",
    "site astronomique": "astronomical_site",
}
_TRUE = {"true", "vrai", "oui", "1", "yes", "o"}
_FALSE = {"false", "faux", "non", "0", "no", "n"}


@dataclass(frozen=True)
class LightPoint:
    """One luminaire as the rules see it: its properties and its cabinet's."""

    ref: str
    name: str
    commune: str | None
    properties: Mapping[str, Any]
    cabinet: Mapping[str, Any] | None = None
    id: int | None = None


class MissingData(Exception):
    """The value or the limit needs fields the inventory does not hold."""

    def __init__(self, *fields: str) -> None:
        super().__init__(", ".join(fields))
        self.fields = fields


# -- reading properties -----------------------------------------------------------

def as_bool(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower() if value is not None else ""
    return True if text in _TRUE else False if text in _FALSE else None


def as_number(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return value  # type: ignore[return-value]  (shown as stored: 4000, not 4000.0)
    try:
        return float(str(value).strip().replace(" ", "").replace(",", "."))
    except ValueError:
        return None


def as_clock(value: Any) -> int | None:
    """"HH:MM" (or "HHhMM") -> minutes since midnight; None if unreadable."""
    if not isinstance(value, str):
        return None
    text = value.strip().lower().replace("h", ":")
    hours, _, minutes = text.partition(":")
    try:
        h, m = int(hours), int(minutes or 0)
    except ValueError:
        return None
    return h * 60 + m if 0 <= h < 24 and 0 <= m < 60 else None


def clock_text(minutes: int) -> str:
    minutes %= 1440
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def protection(props: Mapping[str, Any]) -> str | None:
    """"none", "nature_reserve", "astronomical_site", or None when unknown."""
    value = props.get("protected_area")
    if value is None or value == "":
        return None
    if value is False:
        return "none"
    return PROTECTION_ALIASES.get(str(value).strip().lower())


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


def _in_nature_reserve(point: LightPoint) -> bool:
    return protection(point.properties) == "nature_reserve"


def _is_protected(point: LightPoint) -> bool:
    return protection(point.properties) in ("nature_reserve", "astronomical_site")


def _flux_density(point: LightPoint) -> float:
    area = as_number(point.properties.get("lit_area_m2"))
    flux = as_number(point.properties.get("flux_lm"))
    missing = [n for n, v in (("flux_lm", flux), ("lit_area_m2", area)) if v is None]
    if missing or not area:
        raise MissingData(*(missing or ["lit_area_m2"]))
    return round(flux / area, 1)  # type: ignore[operator]


def _flux_density_limit(point: LightPoint, limits: Mapping[str, Any]) -> float:
    by_category = limits["flux_density_max_lm_m2"][_category(point)]
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


def _switch_off(point: LightPoint) -> int | None:
    """Minutes after noon of the switch-off; 1440 for "all night" (off at sunrise)."""
    own = as_clock(point.properties.get("switch_off"))
    if own is not None:
        return _night(own)
    cabinet = point.cabinet
    if cabinet is None:
        raise MissingData("switch_off")
    if as_bool(cabinet.get("night_cut")):
        start = as_clock(cabinet.get("cut_start"))
        if start is None:
            raise MissingData("cut_start")
        return _night(start)
    return 1440


def _switch_off_limit(point: LightPoint, limits: Mapping[str, Any]) -> int:
    category = _category(point)
    end = as_clock(point.properties.get("activity_end"))
    if category == "b" and end is None:  # heritage: fixed hour
        return _night(as_clock(limits["heritage_switch_off_latest"]) or 0)
    if end is None:
        raise MissingData("activity_end")
    return _night(end + limits["switch_off_after_activity_min"][category])


def _switch_on(point: LightPoint) -> int | None:
    """Minutes since midnight of the morning relighting; None when not relit before dawn."""
    own = as_clock(point.properties.get("switch_on"))
    if own is not None:
        return own
    cabinet = point.cabinet or {}
    if as_bool(cabinet.get("night_cut")):
        return as_clock(cabinet.get("cut_end"))
    return None  # lit all night: the switch-off rule already reports it


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
         _cct, _limit("color_temperature_max_k"), "max", "K"),
    Rule("color_temperature_nature_reserve", "art. 4, II",
         "Température de couleur supérieure au maximum en réserve naturelle",
         ("a", "b", "c", "d", "e", "f"), _cct,
         _limit("color_temperature_nature_reserve_max_k"), "max", "K",
         applies=_in_nature_reserve),
    Rule("ulr_nominal", "art. 3, II, 1°",
         "Proportion de lumière émise au-dessus de l'horizontale (ULR) trop élevée",
         ("a", "e"), _ulr, _limit("ulr_nominal_max_percent"), "below", "%"),
    Rule("ulr_installed", "art. 3, II, 1°",
         "ULR en condition d'installation trop élevé", ("a", "e"), _ulr_installed,
         _limit("ulr_installed_max_percent"), "below", "%"),
    Rule("ulr_heritage_protected", "art. 4, I",
         "Mise en valeur du patrimoine en espace protégé : aucune lumière au-dessus de "
         "l'horizontale", ("b",), _ulr, _limit("ulr_heritage_protected_max_percent"), "max",
         "%", applies=_is_protected),
    Rule("flux_density", "art. 3, II, 4°",
         "Densité surfacique de flux lumineux installé trop élevée", ("a", "e"),
         _flux_density, _flux_density_limit, "below", "lm/m2"),
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


def check_point(point: LightPoint, limits: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Broken rules, rules lacking data, and missing art. 5 fields of one luminaire."""
    limits = {**LIMITS, **(limits or {})}
    category = _category(point)
    violations, missing = [], []
    for rule in RULES:
        if rule.categories and category not in rule.categories:
            continue
        article = rule.article_by_category.get(category or "", rule.article)
        try:
            if not rule.applies(point):
                continue
            value = rule.value(point)
            if value is None:
                continue
            limit = rule.limit(point, limits)
        except MissingData as exc:
            missing.append({"rule": rule.id, "article": article, "label": rule.label,
                            "fields": list(exc.fields)})
            continue
        if rule.breaks(value, limit):
            violations.append({"rule": rule.id, "article": article, "label": rule.label,
                               "value": _shown(value, rule),
                               "limit": "interdite" if rule.comparison == "forbidden"
                               else _shown(limit, rule),
                               "unit": rule.unit})
    installed = point.properties.get("head_installed")
    return {
        "id": point.id, "ref": point.ref, "name": point.name, "commune": point.commune,
        "category": category, "lamp_type": point.properties.get("lamp_type"),
        "head_installed": installed,
        "installed_since_2020": (str(installed) >= NEW_INSTALLATIONS_FROM) if installed else None,
        "compliant": not violations,
        "violations": violations, "missing_data": missing,
        "article5_missing": article5_missing(point.properties),
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
        "violations_by_rule": {r.id: by_rule[r.id] for r in RULES if by_rule[r.id]},
        "article5_missing_by_field": {n: by_field[n] for n, _, _ in ARTICLE5_FIELDS
                                      if by_field[n]},
    }


def rules_public(limits: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
    return [{"id": r.id, "article": r.article, "label": r.label,
             "categories": list(r.categories), "unit": r.unit,
             "articles_by_category": dict(r.article_by_category)} for r in RULES]


def evaluate(points: Iterable[LightPoint], limits: Mapping[str, Any] | None = None,
             commune_names: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The compliance report of these luminaires: per luminaire, then per commune."""
    merged = {**LIMITS, **(limits or {})}
    entries = [check_point(p, merged) for p in points]
    entries.sort(key=lambda e: (e["commune"] or "", e["ref"]))
    names = commune_names or {}
    communes = sorted({e["commune"] for e in entries}, key=lambda c: c or "")
    return {
        "source": SOURCE,
        "limits": merged,
        "rules": rules_public(),
        "communes": [{"insee": c, "name": names.get(c or ""),
                      "counts": _counts([e for e in entries if e["commune"] == c])}
                     for c in communes],
        "totals": _counts(entries),
        "luminaires": entries,
    }


def points_from_demo(assets: Iterable[Any], commune: str | None = None) -> list[LightPoint]:
    """Light points of a domain demo inventory (``DemoAsset`` values)."""
    assets = list(assets)
    cabinets = {a.ref: a.properties for a in assets if a.kind == CABINET_KIND}
    return [LightPoint(a.ref, a.name, commune, a.properties, cabinets.get(a.parent_ref or ""))
            for a in assets if a.kind == LUMINAIRE_KIND]


def commune_report(scope: TenantScope, conn: Connection, commune: str | None = None,
                   limits: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The report of the luminaires the scope may see, in one commune or in all."""
    scope.require("read")
    c, a = schema.communes, schema.assets
    names = {r.insee: r.name for r in conn.execute(
        select(c.c.insee, c.c.name).where(scope.commune_visible()))}
    if commune is not None and commune not in names:
        raise Invalid(f"Commune « {commune} » inconnue dans ce territoire.",
                      errors=[{"field": "commune", "message": "code INSEE inconnu"}])
    query = select(a.c.id, a.c.ref, a.c.name, a.c.kind, a.c.commune_insee, a.c.parent_id,
                   a.c.properties).where(scope.asset_visible(),
                                         a.c.kind.in_((LUMINAIRE_KIND, CABINET_KIND)))
    if commune is not None:
        query = query.where(a.c.commune_insee == commune)
    rows = list(conn.execute(query.order_by(a.c.id)))
    cabinets = {r.id: orjson.loads(r.properties) for r in rows if r.kind == CABINET_KIND}
    missing_parents = {r.parent_id for r in rows if r.kind == LUMINAIRE_KIND
                       and r.parent_id is not None and r.parent_id not in cabinets}
    if missing_parents:  # a cabinet in another commune still programmes its luminaires
        for r in conn.execute(select(a.c.id, a.c.properties).where(
                scope.asset_visible(), a.c.kind == CABINET_KIND,
                a.c.id.in_(sorted(missing_parents)))):
            cabinets[r.id] = orjson.loads(r.properties)
    points = [LightPoint(r.ref, r.name, r.commune_insee, orjson.loads(r.properties),
                         cabinets.get(r.parent_id) if r.parent_id is not None else None, r.id)
              for r in rows if r.kind == LUMINAIRE_KIND]
    report = evaluate(points, limits, names)
    if commune is not None and not report["communes"]:
        report["communes"] = [{"insee": commune, "name": names[commune],
                               "counts": report["totals"]}]
    return report


CSV_HEADER = ("commune", "ref", "nom", "categorie", "constat", "regle", "article", "valeur",
              "limite", "unite", "champs")


def report_rows(report: Mapping[str, Any]) -> list[tuple[Any, ...]]:
    """One CSV row per finding (or one "conforme" row), French wording."""
    rows: list[tuple[Any, ...]] = []
    for e in report["luminaires"]:
        head = (e["commune"] or "", e["ref"], e["name"], e["category"] or "")
        for v in e["violations"]:
            rows.append((*head, "non-conformité", v["rule"], v["article"], v["value"],
                         v["limit"], v["unit"] or "", ""))
        for m in e["missing_data"]:
            rows.append((*head, "données manquantes", m["rule"], m["article"], "", "", "",
                         " ".join(m["fields"])))
        if e["article5_missing"]:
            rows.append((*head, "données art. 5 manquantes", "article5", "art. 5", "", "", "",
                         " ".join(e["article5_missing"])))
        if not (e["violations"] or e["missing_data"] or e["article5_missing"]):
            rows.append((*head, "conforme", "", "", "", "", "", ""))
    return rows
