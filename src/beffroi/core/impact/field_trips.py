"""Site visits avoided: what remote control and remote reading spared the technical services.

- **Remote commands**: every command of the period that the equipment acknowledged (core's
  state machine: ``acknowledged``, dated by ``acknowledged_at``) stands for one visit an agent
  would have made to switch, dim or reprogramme it on site. Occurrences of a recurring
  command are left out: without remote control the schedule would sit in the equipment's
  clock, set once.
- **Remote readings and other visits** a domain declares (``FieldTrip``) and counts from
  its data (``DomainImpact.trips``): the manual readings of meters read remotely…

Each visit costs the distance and time of its action — ``impact.trips_by_action`` for that
action, else ``impact.trip_km`` and ``impact.trip_hours`` for a command and the domain's
default for a declared visit — then km × ``impact.trip_eur_per_km`` + hours ×
``impact.trip_eur_per_hour`` euros and km × ``impact.trip_kgco2e_per_km`` kg CO2e. The counts
are measured, the distances and costs assumed: the figures are estimated.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import and_, func, select

from ...storage import schema
from .settings import (
    TRIP_EUR_HOUR,
    TRIP_EUR_KM,
    TRIP_HOURS,
    TRIP_KG_KM,
    TRIP_KM,
    TRIPS_BY_ACTION,
)
from .sources import FieldTrip, ImpactContext

SETTINGS = (TRIP_KM, TRIP_HOURS, TRIP_EUR_KM, TRIP_EUR_HOUR, TRIP_KG_KM, TRIPS_BY_ACTION)
METHOD = ("Une commande à distance acquittée par l'équipement vaut un déplacement évité "
          "(hors occurrences des commandes récurrentes, qu'une horloge ferait sans "
          "déplacement) ; une relève à distance vaut les relèves manuelles qu'elle remplace, "
          "selon le domaine. Distance et durée par action (paramètres), puis euros = km × "
          "coût du kilomètre + heures × coût horaire de l'agent, kg CO2e = km × émissions du "
          "kilomètre en véhicule de service.")


def acknowledged_commands(ctx: ImpactContext) -> dict[str, int]:
    """Action -> commands of the report's assets acknowledged in the period, recurring
    occurrences left out."""
    c, a = schema.commands, schema.assets
    query = (select(c.c.action, func.count())
             .join(a, and_(a.c.tenant_id == c.c.tenant_id, a.c.id == c.c.asset_id))
             .where(ctx.scope.owns(c), ctx.scope.asset_visible(a), c.c.status == "acknowledged",
                    c.c.acknowledged_at >= ctx.start_ms, c.c.acknowledged_at < ctx.end_ms,
                    c.c.recurrence.is_(None))
             .group_by(c.c.action))
    if ctx.communes is not None:
        query = query.where(a.c.commune_insee.in_(ctx.communes))
    return dict(ctx.conn.execute(query).all())


def field_trips(ctx: ImpactContext, declared: Mapping[str, FieldTrip],
                counted: Mapping[str, float]) -> dict[str, Any]:
    """The ``field_trips`` section of the report: ``declared`` are the domains' visits by
    key, ``counted`` how many of each their data replaced."""
    overrides = ctx.setting(TRIPS_BY_ACTION) or {}
    default_km, default_hours = float(ctx.setting(TRIP_KM)), float(ctx.setting(TRIP_HOURS))
    eur_km, eur_hour = float(ctx.setting(TRIP_EUR_KM)), float(ctx.setting(TRIP_EUR_HOUR))
    kg_km = float(ctx.setting(TRIP_KG_KM))
    specs = {spec.key: spec for domain in ctx.registry.domains.values()
             for spec in domain.commands}
    rows: list[tuple[str, str, str, float, float, float]] = []
    for action, count in sorted(acknowledged_commands(ctx).items()):
        spec = specs.get(action)
        rows.append((action, f"Commande à distance : {spec.label if spec else action}",
                     "command", float(count), default_km, default_hours))
    for key, trips in sorted(counted.items()):
        trip = declared[key]
        rows.append((key, trip.label, "domain", float(trips), trip.km, trip.hours))
    items = []
    for key, label, origin, trips, km, hours in rows:
        own = overrides.get(key) or {}
        km, hours = float(own.get("km", km)), float(own.get("hours", hours))
        items.append({"action": key, "label": label, "origin": origin, "trips": trips,
                      "km_per_trip": km, "hours_per_trip": hours,
                      "km": trips * km, "hours": trips * hours,
                      "eur": trips * (km * eur_km + hours * eur_hour),
                      "kgco2e": trips * km * kg_km, "quality": "estimated",
                      "source": "paramètre impact.trips_by_action" if own else
                      (declared[key].source if origin == "domain" else
                       "paramètres impact.trip_km et impact.trip_hours")})
    km = sum(i["km"] for i in items)
    hours = sum(i["hours"] for i in items)
    return {"trips": sum(i["trips"] for i in items), "km": km, "hours": hours,
            "eur": km * eur_km + hours * eur_hour, "kgco2e": km * kg_km,
            "quality": "estimated", "method": METHOD, "items": items}
