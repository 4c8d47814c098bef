"""Renovation simulator: replace a set of luminaires by LED and/or apply a programme.

The set is a list of luminaire ids, or a commune with an optional filter on lamp types.
For one year of nights (``year``, by default the last full calendar year) at each
luminaire's cabinet position:

- **before**: each luminaire's full power (``consumption.luminaire_kw``: ballast
  included) under its cabinet's programme;
- **after**: a non-LED luminaire replaced by an LED one draws ``flux_lm`` / LED efficacy
  (``method: "flux"``, setting ``lighting.led_efficacy_lm_w``: the same source flux) or
  ``power_w`` × ``lighting.led_power_ratio`` (``method: "ratio"``, and the fallback when
  the flux is unknown); with a programme, it runs that programme instead of its cabinet's
  (the programme is assumed applied to the luminaires of the set: select a cabinet's
  luminaires to simulate the cabinet);
- **investment** = replaced luminaires × ``lighting.cost_luminaire_eur`` + cabinets
  concerned not yet remote-managed × ``lighting.cost_controller_eur`` when a programme is
  applied (the controller that runs it);
- **annual savings** in kWh, € (``lighting.tariff_eur_kwh``) and kg CO2e
  (``lighting.co2_kg_per_kwh``); **simple payback** = investment / annual € saved;
- **share of the stock**: luminaires replaced / luminaires of the commune(s) concerned;
  the Fonds vert lighting measure asks a project to renovate at least 20 % of the stock
  (``fonds_vert_20_percent``, true from exactly 20 %).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Any

import orjson
from shapely.geometry import shape
from sqlalchemy import Connection, func, select

from ...core.access import TenantScope
from ...core.errors import Invalid
from ...core.registry import Registry
from ...storage import schema
from .cabinet_programme import cabinet_programme
from .consumption import daily_hours, luminaire_kw, power_share
from .energy import CABINET_KIND, LUMINAIRE_KIND
from .inventory_values import as_number
from .kinds import LAMP_TYPES
from .programmes import Programme, ProgrammeError, parse_programme
from .savings import money
from .settings import lighting_settings

FIELDS = {"luminaires", "commune", "lamp_types", "replace_by_led", "programme", "led",
          "unit_costs", "year"}
METHODS = ("flux", "ratio")
EXAMPLE = {"commune": "88383", "lamp_types": ["sodium_hp", "mercury"], "replace_by_led": True,
           "programme": {"preset": "cut_23_5"}}


@dataclass(frozen=True)
class Plan:
    """A validated simulation request."""

    ids: tuple[int, ...] | None
    commune: str | None
    lamp_types: tuple[str, ...] | None
    replace: bool
    programme: Programme | None
    method: str
    efficacy_lm_w: float
    power_ratio: float
    luminaire_eur: float
    controller_eur: float
    year: int


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _sub(body: Mapping[str, Any], key: str, allowed: set[str],
         errors: list[dict[str, str]]) -> Mapping[str, Any]:
    raw = body.get(key)
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        errors.append({"field": key, "message": "objet attendu"})
        return {}
    errors.extend({"field": f"{key}.{k}", "message": "champ inconnu"}
                  for k in sorted(set(raw) - allowed))
    return raw


def _amount(raw: Mapping[str, Any], key: str, field: str, default: float,
            errors: list[dict[str, str]]) -> float:
    value = raw.get(key, default)
    if not _number(value) or value < 0:
        errors.append({"field": field, "message": "montant en euros positif ou nul attendu"})
        return default
    return float(value)


def plan_request(body: Any, values: Mapping[str, Any], today: date) -> Plan:
    """Read and check a simulation request; Invalid naming each wrong field (French)."""
    if not isinstance(body, dict):
        raise Invalid("Objet JSON attendu.")
    errors = [{"field": k, "message": "champ inconnu"} for k in sorted(set(body) - FIELDS)]
    ids = body.get("luminaires")
    if ids is not None and (not isinstance(ids, list) or not ids or not all(
            isinstance(i, int) and not isinstance(i, bool) and i > 0 for i in ids)):
        errors.append({"field": "luminaires",
                       "message": "liste non vide d'identifiants de points lumineux attendue"})
        ids = None
    commune = body.get("commune")
    if commune is not None and not isinstance(commune, str):
        errors.append({"field": "commune", "message": "code INSEE attendu"})
    if body.get("luminaires") is None and commune is None:
        errors.append({"field": "luminaires", "message": "points lumineux (identifiants) ou "
                                                         "commune attendus"})
    lamp_types = body.get("lamp_types")
    if lamp_types is not None:
        if not isinstance(lamp_types, list) or not lamp_types:
            errors.append({"field": "lamp_types", "message": "liste non vide de types de "
                                                             "source attendue"})
        else:
            for i, lamp in enumerate(lamp_types):
                if lamp not in LAMP_TYPES:
                    errors.append({"field": f"lamp_types[{i}]",
                                   "message": f"type de source inconnu « {lamp} » (attendus : "
                                              f"{', '.join(LAMP_TYPES)})"})
    replace = body.get("replace_by_led", True)
    if not isinstance(replace, bool):
        errors.append({"field": "replace_by_led", "message": "booléen attendu"})
    programme = None
    if body.get("programme") is not None:
        try:
            programme = parse_programme(body["programme"])
        except ProgrammeError as exc:
            errors += [{**e, "field": f"programme.{e['field']}"} for e in exc.errors]
    if replace is False and body.get("programme") is None:
        errors.append({"field": "replace_by_led", "message": "rien à simuler : remplacement "
                                                             "par des LED et/ou programme"})
    led = _sub(body, "led", {"method", "efficacy_lm_w", "power_ratio"}, errors)
    method = led.get("method", "flux")
    if method not in METHODS:
        errors.append({"field": "led.method", "message": "flux (même flux lumineux) ou ratio "
                                                         "(part de la puissance)"})
    efficacy = led.get("efficacy_lm_w", values["led_efficacy_lm_w"])
    if not _number(efficacy) or not 20 <= efficacy <= 300:
        errors.append({"field": "led.efficacy_lm_w", "message": "efficacité de 20 à 300 lm/W"})
    ratio = led.get("power_ratio", values["led_power_ratio"])
    if not _number(ratio) or not 0 < ratio <= 1:
        errors.append({"field": "led.power_ratio", "message": "rapport strictement positif, "
                                                              "au plus 1"})
    costs = _sub(body, "unit_costs", {"luminaire_eur", "controller_eur"}, errors)
    luminaire_eur = _amount(costs, "luminaire_eur", "unit_costs.luminaire_eur",
                            float(values["cost_luminaire_eur"]), errors)
    controller_eur = _amount(costs, "controller_eur", "unit_costs.controller_eur",
                             float(values["cost_controller_eur"]), errors)
    year = body.get("year", today.year - 1)
    if not isinstance(year, int) or isinstance(year, bool) or not 2000 <= year <= 2100:
        errors.append({"field": "year", "message": "année AAAA entre 2000 et 2100"})
    if errors:
        raise Invalid("Simulation de rénovation impossible.", errors=errors)
    return Plan(tuple(ids) if ids else None, commune, tuple(lamp_types) if lamp_types else None,
                replace, programme, method, float(efficacy), float(ratio), luminaire_eur,
                controller_eur, year)


# -- what the set is -------------------------------------------------------------------------------
def _position(geometry: str | None) -> tuple[float, float] | None:
    if not geometry:
        return None
    p = shape(orjson.loads(geometry)).representative_point()
    return round(p.y, 2), round(p.x, 2)


def _selection(scope: TenantScope, conn: Connection, plan: Plan) -> list[Any]:
    a, c = schema.assets, schema.communes
    if plan.commune is not None and conn.execute(select(c.c.insee).where(
            scope.commune_visible(), c.c.insee == plan.commune)).first() is None:
        raise Invalid(f"Commune « {plan.commune} » inconnue dans ce territoire.",
                      errors=[{"field": "commune", "message": "code INSEE inconnu"}])
    query = select(a.c.id, a.c.commune_insee, a.c.parent_id, a.c.geometry, a.c.properties
                   ).where(scope.asset_visible(), a.c.kind == LUMINAIRE_KIND)
    if plan.ids is not None:
        query = query.where(a.c.id.in_(sorted(set(plan.ids))))
    if plan.commune is not None:
        query = query.where(a.c.commune_insee == plan.commune)
    rows = list(conn.execute(query.order_by(a.c.id)))
    if plan.ids is not None and plan.commune is None:
        missing = sorted(set(plan.ids) - {r.id for r in rows})
        if missing:
            raise Invalid("Points lumineux introuvables.", errors=[{
                "field": "luminaires", "message": "pas des points lumineux de ce territoire : "
                + ", ".join(map(str, missing[:20]))}])
    if plan.lamp_types is not None:
        rows = [r for r in rows if orjson.loads(r.properties).get("lamp_type") in plan.lamp_types]
    if not rows:
        raise Invalid("Aucun point lumineux ne correspond à la sélection.",
                      errors=[{"field": "luminaires", "message": "sélection vide"}])
    return rows


def _cabinets(scope: TenantScope, conn: Connection, ids: set[int]) -> dict[int, Any]:
    a = schema.assets
    return {r.id: r for r in conn.execute(select(a.c.id, a.c.geometry, a.c.properties).where(
        scope.owns(a), a.c.kind == CABINET_KIND, a.c.id.in_(sorted(ids))))}


def _stock(scope: TenantScope, conn: Connection, communes: set[str | None]) -> dict[Any, int]:
    a = schema.assets
    out = {}
    for insee in communes:
        where = a.c.commune_insee.is_(None) if insee is None else a.c.commune_insee == insee
        out[insee] = conn.execute(select(func.count()).select_from(a).where(
            scope.asset_visible(), a.c.kind == LUMINAIRE_KIND, where)).scalar_one()
    return out


@lru_cache(maxsize=1024)
def _annual_hours(programme: Programme, position: tuple[float, float], year: int
                  ) -> dict[int, float]:
    """Hours at each level over a year (cached: luminaires of a cabinet share it; read-only)."""
    days = daily_hours(programme, position[0], position[1], date(year, 1, 1), date(year, 12, 31))
    hours: dict[int, float] = {}
    for levels in days.values():
        for level, h in levels.items():
            hours[level] = hours.get(level, 0.0) + h
    return hours


def _kwh(kw: float, lamp: str | None, hours: Mapping[int, float]) -> float:
    return sum(kw * power_share(lamp, level) * h for level, h in hours.items())


def _share(replaced: int, stock: int) -> dict[str, Any]:
    return {"luminaires": stock, "replaced": replaced,
            "share_percent": round(100 * replaced / stock, 1) if stock else None,
            "fonds_vert_20_percent": bool(stock) and replaced * 5 >= stock}


def simulate(scope: TenantScope, conn: Connection, registry: Registry, body: Any,
             today: date) -> dict[str, Any]:
    scope.require("read")
    values = lighting_settings(scope.settings, registry)
    plan = plan_request(body, values, today)
    rows = _selection(scope, conn, plan)
    cabinets = _cabinets(scope, conn, {r.parent_id for r in rows if r.parent_id is not None})
    kw_before = kw_after = kwh_before = kwh_after = 0.0
    replaced = already_led = 0
    unknown_power = 0
    concerned: set[int] = set()
    by_commune: dict[str | None, int] = {}
    programmes: dict[int, Programme] = {}
    for r in rows:
        props = orjson.loads(r.properties)
        cabinet = cabinets.get(r.parent_id)
        source = cabinet if cabinet is not None and cabinet.geometry else None
        position = _position(source.geometry if source is not None else r.geometry)
        if source is None:
            current, _ = cabinet_programme(props)
        else:  # parsed once per cabinet
            if source.id not in programmes:
                programmes[source.id] = cabinet_programme(orjson.loads(source.properties))[0]
            current = programmes[source.id]
        by_commune.setdefault(r.commune_insee, 0)
        if cabinet is not None:
            concerned.add(cabinet.id)
        lamp = props.get("lamp_type")
        kw = luminaire_kw(props)
        if kw <= 0:
            unknown_power += 1
        new_lamp, new_kw = lamp, kw
        if plan.replace and lamp == "led":
            already_led += 1
        elif plan.replace and kw > 0:
            flux = as_number(props.get("flux_lm"))
            watts = (flux / plan.efficacy_lm_w if plan.method == "flux" and flux
                     else (as_number(props.get("power_w")) or 0.0) * plan.power_ratio)
            new_lamp, new_kw = "led", watts / 1000
            replaced += 1
            by_commune[r.commune_insee] += 1
        kw_before += kw
        kw_after += new_kw
        if position is None:
            continue
        kwh_before += _kwh(kw, lamp, _annual_hours(current, position, plan.year))
        kwh_after += _kwh(new_kw, new_lamp, _annual_hours(plan.programme or current, position,
                                                          plan.year))
    controllers = 0
    if plan.programme is not None:
        controllers = sum(1 for cid in concerned if orjson.loads(
            cabinets[cid].properties).get("switching") != "remote")
    investment = replaced * plan.luminaire_eur + controllers * plan.controller_eur
    saved = money(kwh_before - kwh_after, values)
    eur_saved = (kwh_before - kwh_after) * float(values["tariff_eur_kwh"])
    stock = _stock(scope, conn, set(by_commune))
    communes = [{"insee": insee, **_share(by_commune[insee], stock[insee])}
                for insee in sorted(by_commune, key=lambda c: c or "")]
    total = _share(replaced, sum(stock.values()))
    return {
        "year": plan.year, "luminaires": len(rows), "replaced": replaced,
        "already_led": already_led, "without_power": unknown_power,
        "cabinets": len(concerned), "controllers": controllers,
        "programme": None if plan.programme is None else {"key": plan.programme.key,
                                                          "label": plan.programme.label},
        "led": {"method": plan.method, "efficacy_lm_w": plan.efficacy_lm_w,
                "power_ratio": plan.power_ratio},
        "unit_costs": {"luminaire_eur": plan.luminaire_eur,
                       "controller_eur": plan.controller_eur},
        "investment_eur": {"luminaires": round(replaced * plan.luminaire_eur, 2),
                           "controllers": round(controllers * plan.controller_eur, 2),
                           "total": round(investment, 2)},
        "before": {"power_kw": round(kw_before, 3), **money(kwh_before, values)},
        "after": {"power_kw": round(kw_after, 3), **money(kwh_after, values)},
        "annual_savings": {**saved, "percent": round(100 * (1 - kwh_after / kwh_before), 1)
                           if kwh_before > 0 else None},
        "simple_payback_years": (round(investment / eur_saved, 2) if eur_saved > 0
                                 else None),
        "stock": {"communes": communes, **total},
        "share_of_stock": total["share_percent"],
        "fonds_vert_20_percent": total["fonds_vert_20_percent"],
        "tariff_eur_kwh": values["tariff_eur_kwh"], "co2_kg_per_kwh": values["co2_kg_per_kwh"],
    }
