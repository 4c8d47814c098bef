"""The yearly ventilation evaluation report of a school (« évaluation annuelle des moyens
d'aération », required every year since 1 January 2023: code de l'environnement art.
R.221-30 modified by décret 2022-1689, content set by the arrêté of 1 June 2016 modified on
27 December 2022), per building and school year.

What it holds: the measurements of the school year (period, rooms with their type and
ventilation, readings used), the ICONE of each room and its CO2 class (``air_data``,
``indoor_air``), findings written from them, and the fields people fill in: per room the
openings and vents checked, findings and actions (``air_evaluations`` of the room), for the
building who evaluated, when, the findings, the action plan, who carries it out and by
when (``ventilation_evaluations`` of the building), keyed by the school year
(« 2025-2026 »). They are properties of the assets, edited on their page (no table of
their own). An empty field is printed as a line to fill in by hand.

- ``report(scope, conn, registry, building_id, year)`` -> dict (JSON of the page);
- ``report_html(report)`` -> the printable HTML (Jinja2, autoescaped: every text typed by
  people is escaped); ``report_pdf(report)`` -> bytes (WeasyPrint, A4, no network, the
  conventions of ``reports.impact_pdf``).

The school year runs from 1 September to 31 August; the measurements stop today for the
current one.
"""

from __future__ import annotations

import hashlib
import re
from datetime import date
from typing import Any

import orjson
from jinja2 import DictLoader, Environment, StrictUndefined
from sqlalchemy import Connection, select

from ...core.access import TenantScope
from ...core.clock import local_day, now_ms
from ...core.errors import Invalid
from ...core.french_format import local_date
from ...core.registry import Registry
from ...storage import schema
from .air_data import building_air, make_period
from .indoor_air import ICONE_HIGH_PPM, ICONE_LOW_PPM
from .kinds import ROOM_TYPE_LABELS, USAGE_LABELS, VENTILATION_LABELS

YEAR = re.compile(r"^(\d{4})-(\d{4})$")
ROOM_TYPES = dict(ROOM_TYPE_LABELS)
VENTILATIONS = dict(VENTILATION_LABELS)
USAGES = dict(USAGE_LABELS)
BUILDING_FIELDS = ("evaluator", "evaluated_on", "findings", "action_plan", "responsible",
                   "due_date")
ROOM_FIELDS = ("openings_ok", "vents_ok", "findings", "actions")


def school_year_of(day: date) -> str:
    start = day.year if day.month >= 9 else day.year - 1
    return f"{start}-{start + 1}"


def school_year(text: str | None, today: date) -> tuple[str, date, date]:
    """(label, first day, last day measured) of « 2025-2026 »; the current one by default;
    422 for anything else or a year not begun."""
    label = text or school_year_of(today)
    match = YEAR.match(label)
    if not match or int(match[2]) != int(match[1]) + 1 or not 2000 <= int(match[1]) <= 2100:
        raise Invalid("Année scolaire invalide.", errors=[{
            "field": "year", "message": f"« {label[:20]} » : AAAA-AAAA attendu, deux années "
                                        "qui se suivent (ex. 2025-2026)"}])
    first = date(int(match[1]), 9, 1)
    if first > today:
        raise Invalid("Année scolaire invalide.", errors=[{
            "field": "year", "message": f"l'année scolaire {label} n'a pas commencé"}])
    return label, first, min(date(int(match[2]), 8, 31), today)


def _entry(props: dict[str, Any], key: str, year: str, fields: tuple[str, ...]) -> dict:
    stored = props.get(key)
    entry = stored.get(year) if isinstance(stored, dict) else None
    entry = entry if isinstance(entry, dict) else {}
    return {name: entry.get(name) for name in fields}


def _findings(rooms: list[dict[str, Any]], thresholds: dict[str, float]) -> list[str]:
    """Findings written from the measurements (French), worst first."""
    out = []
    urgent = [r["name"] for r in rooms if r["co2_class"] == "urgent"]
    action = [r["name"] for r in rooms if r["co2_class"] == "action"]
    confined = [f"{r['name']} ({r['icone']})" for r in rooms
                if r["icone"] is not None and r["icone"] >= 4]
    unmeasured = [r["name"] for r in rooms if r["icone"] is None]
    urgent_ppm, action_ppm = _ppm(thresholds["urgent_ppm"]), _ppm(thresholds["action_ppm"])
    if urgent:
        out.append(f"CO2 au-dessus de {urgent_ppm} ppm en occupation : "
                   f"{', '.join(urgent)} — renouvellement de l'air insuffisant, agir dans les "
                   "plus brefs délais.")
    if confined:
        out.append("Indice ICONE de 4 ou 5 (confinement très élevé ou extrême) : "
                   f"{', '.join(confined)}.")
    if action:
        out.append(f"CO2 au-dessus de {action_ppm} ppm en occupation : {', '.join(action)} "
                   "— actions correctives à mener.")
    if unmeasured:
        out.append("Pièces sans mesure en occupation sur la période : "
                   f"{', '.join(unmeasured)}.")
    if rooms and not (urgent or action or unmeasured):
        out.append(f"Toutes les pièces mesurées sont restées à {action_ppm} ppm ou moins en "
                   "occupation : renouvellement de l'air satisfaisant.")
    return out


def _ppm(value: float) -> str:
    return f"{value:,.0f}".replace(",", "\u202f")


def report(scope: TenantScope, conn: Connection, registry: Registry, building_id: int,
           year: str | None, today: date | None = None) -> dict[str, Any]:
    """The report of a building for a school year (the current one by default)."""
    today = today or local_day(now_ms(), scope.zone)
    label, first, last = school_year(year, today)
    air = building_air(scope, conn, registry, building_id, make_period(scope, first, last))
    a = schema.assets
    building = conn.execute(select(a.c.properties, a.c.commune_insee).where(
        scope.owns(a), a.c.id == building_id)).first()
    props = orjson.loads(building.properties)
    room_props = {r.id: orjson.loads(r.properties) for r in conn.execute(
        select(a.c.id, a.c.properties).where(
            scope.owns(a), a.c.id.in_([r["id"] for r in air["rooms"]] or [0])))}
    commune = None
    if building.commune_insee:
        c = schema.communes
        commune = conn.execute(select(c.c.name).where(
            scope.owns(c), c.c.insee == building.commune_insee)).scalar()
    rooms = [{**room, "room_type_label": ROOM_TYPES.get(room["room_type"] or ""),
              "ventilation_label": VENTILATIONS.get(room["ventilation"] or ""),
              "evaluation": _entry(room_props[room["id"]], "air_evaluations", label,
                                   ROOM_FIELDS)}
             for room in air["rooms"]]
    return {"tenant": scope.tenant.name,
            "building": {**air["building"], "commune_name": commune,
                         "usage": USAGES.get(props.get("usage") or ""),
                         "air_referent": props.get("air_referent")},
            "school_year": label, "period": air["period"], "occupancy": air["occupancy"],
            "thresholds": air["thresholds"],
            "icone_bands": {"low_ppm": ICONE_LOW_PPM, "high_ppm": ICONE_HIGH_PPM},
            "rooms": rooms, "findings": _findings(rooms, air["thresholds"]),
            "evaluation": _entry(props, "ventilation_evaluations", label, BUILDING_FIELDS)}


TEMPLATE = """<!doctype html>
<html lang="fr">
<head>
<meta charset="utf-8">
<title>Évaluation annuelle des moyens d'aération — {{ r.building.name }} — {{ r.school_year }}</title>
<style>
@page { size: A4; margin: 18mm 14mm 18mm 14mm;
  @top-left { content: "{{ header_css }}"; font-size: 8pt; color: #3a3a3a; }
  @bottom-center { content: "page " counter(page) " / " counter(pages); font-size: 8pt; }
  @bottom-left { content: "Beffroi — évaluation des moyens d'aération"; font-size: 8pt;
    color: #3a3a3a; } }
html { font-family: "DejaVu Sans", sans-serif; font-size: 9.5pt; line-height: 1.4;
  color: #161616; }
h1 { color: #000091; font-size: 16pt; margin: 0 0 3mm; }
h2 { color: #000091; font-size: 12pt; margin: 6mm 0 2mm; }
table { width: 100%; border-collapse: collapse; }
th, td { text-align: left; vertical-align: top; border-bottom: 0.5pt solid #929292;
  padding: 1.2mm 1.2mm; }
th { background: #eeeeee; }
td.num { text-align: right; white-space: nowrap; }
.fill { display: block; border-bottom: 0.5pt dotted #3a3a3a; min-height: 6mm; }
.muted { color: #3a3a3a; font-size: 8.5pt; }
tr, li { break-inside: avoid; }
</style>
</head>
<body>
<h1>Évaluation annuelle des moyens d'aération</h1>
<p>{{ r.building.name }} ({{ r.building.ref }}){% if r.building.commune_name %}, {{ r.building.commune_name }}{% endif %}{% if r.building.usage %} — {{ r.building.usage }}{% endif %}<br>
Année scolaire {{ r.school_year }} · mesures du {{ period_from }} au {{ period_to }} · {{ r.tenant }}<br>
Référent qualité de l'air : {{ r.building.air_referent or "non renseigné" }}</p>
<p class="muted">Mesures de CO2 prises pendant l'occupation du bâtiment ({{ r.occupancy.opening_hours_label }}{% if r.occupancy.closed_school_holidays %}, hors vacances scolaires de la zone {{ r.occupancy.school_zone }}{% endif %}{% if r.occupancy.closed_public_holidays %}, hors jours fériés{% endif %}). Classes de l'arrêté du 27 décembre 2022 : satisfaisant jusqu'à {{ action_ppm }} ppm, actions correctives au-delà, agir au plus vite au-delà de {{ urgent_ppm }} ppm (valeur la plus haute de la période). Indice ICONE (CSTB, 0 à 5) : part des mesures de {{ low_ppm }} à {{ high_ppm }} ppm et au-delà de {{ high_ppm }} ppm.</p>
<h2>Mesures et indice de confinement par pièce</h2>
<table>
<thead><tr><th scope="col">Pièce</th><th scope="col">Ventilation</th><th scope="col">Mesures en occupation</th><th scope="col">ICONE</th><th scope="col">CO2 maximal</th><th scope="col">CO2 moyen</th><th scope="col">Classe</th></tr></thead>
<tbody>
{% for room in r.rooms %}
<tr><td>{{ room.name }}{% if room.room_type_label %}<br><span class="muted">{{ room.room_type_label }}{% if room.capacity %}, {{ room.capacity }} occupants{% endif %}</span>{% endif %}</td>
<td>{{ room.ventilation_label or "non renseignée" }}</td>
<td class="num">{{ room.readings }}</td>
<td>{% if room.icone is none %}—{% else %}{{ room.icone }} ({{ room.icone_label }}){% endif %}</td>
<td class="num">{% if room.max_ppm is none %}—{% else %}{{ ppm(room.max_ppm) }} ppm{% endif %}</td>
<td class="num">{% if room.mean_ppm is none %}—{% else %}{{ ppm(room.mean_ppm) }} ppm{% endif %}</td>
<td>{{ room.co2_class_label or "pas de mesure" }}</td></tr>
{% else %}
<tr><td colspan="7">Aucune pièce suivie dans ce bâtiment.</td></tr>
{% endfor %}
</tbody>
</table>
<h2>Constats tirés des mesures</h2>
<ul>{% for f in r.findings %}<li>{{ f }}</li>{% else %}<li>Aucun constat.</li>{% endfor %}</ul>
<h2>Examen des pièces</h2>
<table>
<thead><tr><th scope="col">Pièce</th><th scope="col">Ouvrants accessibles et manœuvrables</th><th scope="col">Bouches et entrées d'air dégagées</th><th scope="col">Constats</th><th scope="col">Actions à mener</th></tr></thead>
<tbody>
{% for room in r.rooms %}
<tr><td>{{ room.name }}</td><td>{{ yes_no(room.evaluation.openings_ok) }}</td><td>{{ yes_no(room.evaluation.vents_ok) }}</td>
<td>{% if room.evaluation.findings %}{{ room.evaluation.findings }}{% else %}<span class="fill"></span>{% endif %}</td>
<td>{% if room.evaluation.actions %}{{ room.evaluation.actions }}{% else %}<span class="fill"></span>{% endif %}</td></tr>
{% endfor %}
</tbody>
</table>
<h2>Plan d'actions</h2>
<table>
<tbody>
{% for key, label in building_fields %}
<tr><th scope="row">{{ label }}</th><td>{% if r.evaluation[key] %}{{ r.evaluation[key] }}{% else %}<span class="fill"></span>{% endif %}</td></tr>
{% endfor %}
</tbody>
</table>
</body>
</html>
"""
BUILDING_LABELS = (("evaluator", "Évaluation réalisée par"),
                   ("evaluated_on", "Date de l'évaluation"),
                   ("findings", "Constats"), ("action_plan", "Plan d'actions"),
                   ("responsible", "Responsable du plan d'actions"),
                   ("due_date", "Échéance"))


def _french_date(text: str) -> str:
    return local_date(date.fromisoformat(text))


def _yes_no(value: Any) -> str:
    return {True: "oui", False: "non"}.get(value, "à vérifier")


def _css_string(text: str) -> str:
    return "".join(c for c in text if c not in '"\\<>&\'\n\r')[:80]


def report_html(data: dict[str, Any]) -> str:
    environment = Environment(loader=DictLoader({"report.html": TEMPLATE}), autoescape=True,
                              undefined=StrictUndefined)
    evaluation = dict(data["evaluation"])
    for key in ("evaluated_on", "due_date"):
        if isinstance(evaluation.get(key), str):
            try:
                evaluation[key] = _french_date(evaluation[key])
            except ValueError:
                pass
    return environment.get_template("report.html").render(
        r={**data, "evaluation": evaluation},
        header_css=_css_string(f"{data['tenant']} — {data['building']['name']}"),
        period_from=_french_date(data["period"]["from"]),
        period_to=_french_date(data["period"]["to"]),
        action_ppm=_ppm(data["thresholds"]["action_ppm"]),
        urgent_ppm=_ppm(data["thresholds"]["urgent_ppm"]),
        low_ppm=_ppm(data["icone_bands"]["low_ppm"]),
        high_ppm=_ppm(data["icone_bands"]["high_ppm"]),
        ppm=_ppm, yes_no=_yes_no, building_fields=BUILDING_LABELS)


def report_pdf(data: dict[str, Any]) -> bytes:
    from weasyprint import HTML

    from ...reports.impact_pdf import PACKAGE, PackageOnlyFetcher

    html = report_html(data)
    identifier = hashlib.sha256(html.encode()).hexdigest()[:32].encode()
    return HTML(string=html, base_url=PACKAGE.as_uri() + "/",
                url_fetcher=PackageOnlyFetcher()).write_pdf(pdf_identifier=identifier,
                                                              pdf_tags=True)
