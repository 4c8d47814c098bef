"""The public buildings at a glance, for the ``/batiments`` page: each building's energy per
m² over a year, the energy and money at stake in its open anomalies, and the rooms whose air
went above the urgent CO2 threshold (1,500 ppm by default) today.

- **kWh/m²/an**: the building's consumption of the calendar year, every energy, from
  ``annual`` (per energy: the figure entered from the invoices, else the meters' measure
  when it covers 90 % of the year), divided by its area: the floor area
  (``floor_area_m2``), else the sum of its tertiary areas. When an energy is not known for
  the whole year (a meter that covers less, the current year), what the meters measured is
  counted instead and the building is flagged ``complete: false`` with each energy's
  coverage: the page says so rather than rank it silently with the others.
- **At stake**: the active (open or acknowledged) alerts of the domain's detectors about the
  building or one of its meters and rooms whose details give the energy or the money lost
  per week (``kwh_per_week``, ``eur_per_week``, written by the waste detectors); their sums
  per building rank them.
- **Rooms over the limit today**: rooms (``buildings.room``) whose highest CO2 of the local
  day so far (daily rollup) is above the tenant's urgent threshold
  (``buildings.co2_urgent_ppm``, « agir au plus vite », arrêté of 27 December 2022),
  highest first.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import orjson
from sqlalchemy import Connection, and_, or_, select

from ...core.access import TenantScope
from ...core.clock import format_instant, local_day, local_day_start
from ...core.errors import Invalid
from ...storage import schema
from .annual import AnnualEnergy, measured_days, year_of
from .kinds import ENERGY_LABELS, USAGE_LABELS

BUILDING_KIND, METER_KIND, ROOM_KIND = "buildings.building", "buildings.meter", "buildings.room"
CO2 = "air.co2"
CO2_LIMIT_PPM = 1500.0  # the default of buildings.co2_urgent_ppm
ACTIVE = ("open", "acknowledged")
FIRST_YEAR = 2000
_USAGE = dict(USAGE_LABELS)
_ENERGY = dict(ENERGY_LABELS)


def parse_year(text: Any, today: date) -> int:
    """A calendar year from ``FIRST_YEAR`` to this year, else ``Invalid`` naming ``year``."""
    try:
        value = int(str(text).strip())
    except ValueError:
        value = None
    if value is None or not FIRST_YEAR <= value <= today.year:
        raise Invalid(f"Année « {str(text)[:20]} » invalide.", errors=[{
            "field": "year", "message": f"année entière, de {FIRST_YEAR} à {today.year}"}])
    return value


def area_m2(props: dict[str, Any]) -> float | None:
    """The building's floor area, else the sum of its tertiary areas; None when unknown."""
    floor = props.get("floor_area_m2")
    if isinstance(floor, int | float) and floor > 0:
        return float(floor)
    areas = [t.get("area_m2") for t in props.get("tertiary_areas") or ()
             if isinstance(t, dict)]
    total = sum(a for a in areas if isinstance(a, int | float))
    return float(total) if total > 0 else None


def year_figures(found: AnnualEnergy) -> dict[str, Any]:
    """``kwh`` of the year (every energy; an energy not known for the whole year counts
    what its meters measured), ``complete``, and each energy with its source and coverage."""
    energies, total = [], None
    for e in found.energies:
        value = e.kwh if e.kwh is not None else e.measured_kwh
        if value is not None:
            total = (total or 0.0) + value
        energies.append({"energy": e.energy, "label": _ENERGY.get(e.energy, e.energy),
                         "kwh": None if value is None else round(value, 1),
                         "source": e.source, "coverage": round(e.coverage, 4)})
    return {"kwh": None if total is None else round(total, 1),
            "complete": found.complete, "energies": energies}


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) \
        else None


def open_anomalies(conn: Connection, scope: TenantScope,
                   names: dict[int, str]) -> list[dict[str, Any]]:
    """The active detector alerts with energy or money at stake about the buildings
    ``names`` (id -> name) or their meters and rooms, the most costly first."""
    al, a = schema.alerts, schema.assets
    out = []
    for row in conn.execute(
            select(al.c.id, al.c.detector, al.c.severity, al.c.status, al.c.title,
                   al.c.details, al.c.opened_at, a.c.id.label("asset_id"), a.c.kind,
                   a.c.parent_id)
            .join(a, and_(a.c.tenant_id == al.c.tenant_id, a.c.id == al.c.asset_id))
            .where(al.c.tenant_id == scope.tenant_id, al.c.status.in_(ACTIVE),
                   al.c.detector.is_not(None), al.c.domain == "buildings",
                   or_(a.c.id.in_(sorted(names)), a.c.parent_id.in_(sorted(names))))
            .order_by(al.c.id)):
        building = row.asset_id if row.kind == BUILDING_KIND else row.parent_id
        if building not in names:
            continue
        details = orjson.loads(row.details or "{}")
        kwh, eur = _number(details.get("kwh_per_week")), _number(details.get("eur_per_week"))
        if kwh is None and eur is None:
            continue
        out.append({"alert_id": row.id, "building_id": building,
                    "building_name": names[building], "asset_id": row.asset_id,
                    "detector": row.detector, "severity": row.severity,
                    "status": row.status, "title": row.title,
                    "kwh_per_week": kwh, "eur_per_week": eur,
                    "opened_at": format_instant(row.opened_at)})
    out.sort(key=lambda x: (-(x["eur_per_week"] or 0), -(x["kwh_per_week"] or 0),
                            x["alert_id"]))
    return out


def rooms_over_limit(conn: Connection, scope: TenantScope, names: dict[int, str], now: int,
                     limit: float = CO2_LIMIT_PPM) -> tuple[list[dict[str, Any]], int]:
    """(rooms of the buildings ``names`` whose CO2 went above ``limit`` today, highest first;
    how many of their rooms measured CO2 today)."""
    a, s, r = schema.assets, schema.streams, schema.rollups_daily
    rows = conn.execute(
        select(a.c.id, a.c.name, a.c.parent_id, r.c.max)
        .join(s, and_(s.c.tenant_id == a.c.tenant_id, s.c.asset_id == a.c.id))
        .join(r, and_(r.c.tenant_id == s.c.tenant_id, r.c.stream_id == s.c.id))
        .where(scope.asset_visible(a), a.c.kind == ROOM_KIND, s.c.metric == CO2,
               a.c.parent_id.in_(sorted(names)),
               r.c.bucket == local_day_start(now, scope.zone))).all()
    over = [{"room_id": row.id, "name": row.name, "building_id": row.parent_id,
             "building_name": names[row.parent_id], "max_ppm": round(float(row.max))}
            for row in rows if row.max > limit]
    over.sort(key=lambda x: (-x["max_ppm"], x["building_name"], x["name"]))
    return over, len(rows)


def _rank(entries: list[dict[str, Any]], key: str, rank: str) -> None:
    """Rank 1 for the highest ``key``; entries without it get no rank."""
    known = sorted((e for e in entries if e[key] is not None), key=lambda e: -e[key])
    for e in entries:
        e[rank] = None
    for i, e in enumerate(known, start=1):
        e[rank] = i


def buildings_overview(scope: TenantScope, conn: Connection, year: int, now: int,
                       commune: str | None = None,
                       limit: float = CO2_LIMIT_PPM) -> dict[str, Any]:
    """The page's figures (see the module's doc), of one commune's buildings when
    ``commune`` (INSEE code) is given; ``buildings`` ranked by kWh/m²/an, the highest
    first, buildings without the figure last (by name)."""
    scope.require("read")
    today = local_day(now, scope.zone)
    a = schema.assets
    query = (select(a.c.id, a.c.name, a.c.ref, a.c.commune_insee, a.c.properties)
             .where(scope.asset_visible(a), a.c.kind == BUILDING_KIND)
             .order_by(a.c.name, a.c.id))
    if commune is not None:
        if conn.execute(select(schema.communes.c.insee).where(
                scope.commune_visible(), schema.communes.c.insee == commune)).first() is None:
            raise Invalid("Commune inconnue.", errors=[{
                "field": "commune", "message": f"code INSEE « {commune} » inconnu dans votre "
                                               "périmètre"}])
        query = query.where(a.c.commune_insee == commune)
    rows = conn.execute(query).all()
    names = {row.id: row.name for row in rows}
    meters = measured_days(scope, conn, rows, date(year, 1, 1), date(year, 12, 31))
    anomalies = open_anomalies(conn, scope, names)
    rooms, measured_rooms = rooms_over_limit(conn, scope, names, now, limit)
    entries = []
    for row in rows:
        props = orjson.loads(row.properties or "{}")
        area = area_m2(props)
        figures = year_figures(year_of(row, year, meters[row.id]))
        kwh = figures["kwh"]
        mine = [x for x in anomalies if x["building_id"] == row.id]
        entries.append({
            "id": row.id, "name": row.name, "ref": row.ref, "commune": row.commune_insee,
            "usage": props.get("usage"), "usage_label": _USAGE.get(props.get("usage")),
            "area_m2": area, **figures,
            "kwh_per_m2": None if kwh is None or area is None else round(kwh / area, 1),
            "anomalies": len(mine),
            "kwh_per_week": round(sum(x["kwh_per_week"] or 0 for x in mine), 1)
            if mine else None,
            "eur_per_week": round(sum(x["eur_per_week"] or 0 for x in mine), 2)
            if mine else None,
            "rooms_over_limit": sum(1 for r in rooms if r["building_id"] == row.id)})
    _rank(entries, "kwh_per_m2", "rank_kwh_per_m2")
    _rank(entries, "eur_per_week", "rank_eur_per_week")
    entries.sort(key=lambda e: (e["rank_kwh_per_m2"] is None, e["rank_kwh_per_m2"] or 0,
                                e["name"]))
    return {"year": year, "commune": commune, "today": today.isoformat(),
            "partial_year": year >= today.year, "co2_limit_ppm": limit,
            "buildings": entries, "anomalies": anomalies, "rooms_over_limit": rooms,
            "rooms_measured_today": measured_rooms}
