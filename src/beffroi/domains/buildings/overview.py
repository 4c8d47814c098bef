"""The public buildings at a glance, for the ``/batiments`` page: each building's energy per
m² over a year, the energy and money at stake in its open anomalies, and the rooms whose air
went above 1,500 ppm of CO2 today.

- **kWh/m²/an**: the building's electricity measured over the calendar year (``consumption``:
  a local day counts when its meter read that day and the day before, nothing is spread
  over gaps), divided by its area: the floor area (``floor_area_m2``), else the sum of its
  tertiary areas. The electricity is read from the building's meters (``buildings.meter``
  children counting ``electricite``) and, for a building without such a meter, from the
  building's own ``energy.active_import`` stream. ``measured_days`` says how many days of
  the year the figure covers: a building measured half the year is not comparable with one
  measured all of it, and the page says so.
- **At stake**: the active (open or acknowledged) alerts of the domain's detectors about the
  building or one of its meters and rooms whose details give the energy or the money lost
  per week (``kwh_per_week``, ``eur_per_week``, written by the waste detectors); their sums
  per building rank them.
- **Rooms over 1,500 ppm today**: rooms (``buildings.room``) whose highest CO2 of the local
  day so far (daily rollup) is above ``CO2_LIMIT_PPM``, the level at which a classroom's air
  counts as very confined (ICONE, décret 2022-1689), highest first.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import orjson
from sqlalchemy import Connection, and_, or_, select

from ...core.access import TenantScope
from ...core.clock import format_instant, local_day, local_day_start
from ...core.errors import Invalid
from ...storage import schema
from .consumption import daily_kwh
from .kinds import ENERGY_METRIC, USAGE_LABELS

BUILDING_KIND, METER_KIND, ROOM_KIND = "buildings.building", "buildings.meter", "buildings.room"
ELECTRICITY = ENERGY_METRIC["electricite"]
CO2 = "air.co2"
CO2_LIMIT_PPM = 1500.0
ACTIVE = ("open", "acknowledged")
FIRST_YEAR = 2000
_USAGE = dict(USAGE_LABELS)


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


def _electricity_streams(conn: Connection, tenant_id: int,
                         buildings: list[int]) -> dict[int, list[int]]:
    """Building id -> the streams its electricity is read from (see the module's doc)."""
    a, s = schema.assets, schema.streams
    meters: dict[int, list[int]] = {}
    for parent, sid, props in conn.execute(
            select(a.c.parent_id, s.c.id, a.c.properties)
            .join(s, and_(s.c.tenant_id == a.c.tenant_id, s.c.asset_id == a.c.id))
            .where(a.c.tenant_id == tenant_id, a.c.kind == METER_KIND,
                   a.c.parent_id.in_(buildings), s.c.metric == ELECTRICITY)):
        if orjson.loads(props or "{}").get("energy") == "electricite":
            meters.setdefault(parent, []).append(sid)
    for building, sid in conn.execute(
            select(s.c.asset_id, s.c.id).where(s.c.tenant_id == tenant_id,
                                               s.c.asset_id.in_(buildings),
                                               s.c.metric == ELECTRICITY)):
        if building not in meters:
            meters.setdefault(building, []).append(sid)
    return meters


def _year_electricity(conn: Connection, scope: TenantScope, buildings: list[int], year: int,
                      last: date) -> dict[int, tuple[float, int]]:
    """Building id -> (kWh measured, days measured) over ``year`` up to ``last``."""
    streams = _electricity_streams(conn, scope.tenant_id, buildings)
    if not streams:
        return {}
    first = date(year, 1, 1)
    days = daily_kwh(conn, scope.tenant_id, [sid for ids in streams.values() for sid in ids],
                     first, last, scope.zone)
    out = {}
    for building, ids in streams.items():
        measured = [days[sid] for sid in ids if days[sid]]
        if measured:
            out[building] = (sum(v for d in measured for v in d.values()),
                             len({day for d in measured for day in d}))
    return out


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
                       commune: str | None = None) -> dict[str, Any]:
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
    last = min(date(year, 12, 31), today - timedelta(days=1))
    electricity = _year_electricity(conn, scope, sorted(names), year, last) \
        if last.year == year else {}
    anomalies = open_anomalies(conn, scope, names)
    rooms, measured_rooms = rooms_over_limit(conn, scope, names, now)
    entries = []
    for row in rows:
        props = orjson.loads(row.properties or "{}")
        area = area_m2(props)
        kwh, days = electricity.get(row.id, (None, 0))
        mine = [x for x in anomalies if x["building_id"] == row.id]
        entries.append({
            "id": row.id, "name": row.name, "ref": row.ref, "commune": row.commune_insee,
            "usage": props.get("usage"), "usage_label": _USAGE.get(props.get("usage")),
            "area_m2": area, "kwh": None if kwh is None else round(kwh, 1),
            "measured_days": days,
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
    period_days = (last - date(year, 1, 1)).days + 1 if last.year == year else 0
    return {"year": year, "commune": commune, "today": today.isoformat(), "period_days": period_days,
            "partial_year": last < date(year, 12, 31), "co2_limit_ppm": CO2_LIMIT_PPM,
            "buildings": entries, "anomalies": anomalies, "rooms_over_limit": rooms,
            "rooms_measured_today": measured_rooms}
