"""Darkness restored in trame-noire zones (``lighting.dark_corridor`` assets).

For each zone and each night of the period (dated by its evening), the hours between
sunset and the next sunrise at the zone's position during which *every* luminaire inside
the zone's polygon is off under its cabinet's programme. Against the dusk-to-dawn
baseline, where the luminaires burn all night (0 h of darkness), these hours are the
darkness restored. A zone without luminaire has nothing to restore (0 h).

A luminaire follows its cabinet's programme at the cabinet's position; a luminaire
without cabinet follows its own properties (``cabinet_programme``: dusk to dawn when
they say nothing).
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache
from typing import Any

import orjson
from shapely.geometry import shape
from shapely.prepared import prep
from sqlalchemy import Connection, select

from ...core.access import TenantScope
from ...storage import schema
from .cabinet_programme import cabinet_programme
from .programmes import PRESETS, Programme, night_plan

CORRIDOR_KIND = "lighting.dark_corridor"
LUMINAIRE_KIND = "lighting.luminaire"
Source = tuple[Programme, float, float]  # a programme at a position (rounded to 0.01°)


@lru_cache(maxsize=1024)
def _lit(programme: Programme, lat: float, lon: float, first: date, last: date
         ) -> tuple[tuple[tuple[int, int], ...], ...]:
    """Lit intervals (epoch ms) of each night from ``first`` to ``last``."""
    nights = []
    day = first
    while day <= last:
        plan = night_plan(programme, day, lat, lon)
        nights.append(tuple((t0, t1) for (t0, level), (t1, _) in zip(plan, plan[1:],
                                                                        strict=False)
                            if level))
        day += timedelta(days=1)
    return tuple(nights)


def dark_hours(sources: set[Source], lat: float, lon: float, first: date, last: date) -> float:
    """Hours within sunset → sunrise at (lat, lon), nights ``first``…``last``, during which
    none of the ``sources`` is lit."""
    if not sources:
        return 0.0
    lat, lon = round(lat, 2), round(lon, 2)
    windows = _lit(PRESETS["dusk_to_dawn"], lat, lon, first, last)
    lit = [_lit(p, la, lo, first, last) for p, la, lo in sources]
    total_ms = 0
    for i, window in enumerate(windows):
        if not window:
            continue
        start, end = window[0][0], window[-1][1]
        spans = sorted((max(a, start), min(b, end)) for nights in lit for a, b in nights[i]
                       if b > start and a < end)
        dark, cursor = 0, start
        for a, b in spans:
            if a > cursor:
                dark += a - cursor
            cursor = max(cursor, b)
        dark += max(0, end - cursor)
        total_ms += dark
    return total_ms / 3_600_000


def _zones(scope: TenantScope, conn: Connection, commune: str | None) -> list[Any]:
    a = schema.assets
    query = select(a.c.id, a.c.ref, a.c.name, a.c.geometry, a.c.minx, a.c.miny, a.c.maxx,
                   a.c.maxy).where(scope.asset_visible(), a.c.kind == CORRIDOR_KIND)
    if commune is not None:
        query = query.where(a.c.commune_insee == commune)
    return [z for z in conn.execute(query.order_by(a.c.id)) if z.geometry]


def darkness_restored(scope: TenantScope, conn: Connection, first: date, last: date,
                      commune: str | None = None) -> dict[str, Any]:
    """Per dark corridor the scope sees: luminaires inside, hours of darkness restored
    over the nights from ``first`` to ``last``; and the total."""
    scope.require("read")
    a = schema.assets
    out = []
    cabinets: dict[int, tuple[Programme, float, float] | None] = {}
    for zone in _zones(scope, conn, commune):
        polygon = shape(orjson.loads(zone.geometry))
        inside = prep(polygon)
        candidates = conn.execute(select(a.c.id, a.c.parent_id, a.c.geometry, a.c.properties)
                                  .where(scope.owns(a), a.c.kind == LUMINAIRE_KIND,
                                         a.c.maxx >= zone.minx, a.c.minx <= zone.maxx,
                                         a.c.maxy >= zone.miny, a.c.miny <= zone.maxy))
        sources: set[Source] = set()
        count = 0
        for lum in candidates:
            geometry = shape(orjson.loads(lum.geometry)) if lum.geometry else None
            if geometry is None or not inside.intersects(geometry):
                continue
            count += 1
            source = _source(conn, scope, lum, geometry, cabinets)
            if source is not None:
                sources.add(source)
        centre = polygon.representative_point()
        hours = dark_hours(sources, centre.y, centre.x, first, last) if count else 0.0
        out.append({"id": zone.id, "ref": zone.ref, "name": zone.name, "luminaires": count,
                    "darkness_hours_restored": round(hours, 1)})
    return {"from": first.isoformat(), "to": last.isoformat(), "dark_corridors": out,
            "darkness_hours_restored": round(sum(z["darkness_hours_restored"] for z in out), 1)}


def _source(conn: Connection, scope: TenantScope, lum: Any, geometry: Any,
            cabinets: dict[int, tuple[Programme, float, float] | None]) -> Source | None:
    a = schema.assets
    if lum.parent_id is not None:
        if lum.parent_id not in cabinets:
            row = conn.execute(select(a.c.geometry, a.c.properties).where(
                scope.owns(a), a.c.id == lum.parent_id)).first()
            cabinets[lum.parent_id] = None
            if row is not None and row.geometry:
                p = shape(orjson.loads(row.geometry)).representative_point()
                programme, _ = cabinet_programme(orjson.loads(row.properties or "{}"))
                cabinets[lum.parent_id] = (programme, round(p.y, 2), round(p.x, 2))
        if cabinets[lum.parent_id] is not None:
            return cabinets[lum.parent_id]
    p = geometry.representative_point()
    programme, _ = cabinet_programme(orjson.loads(lum.properties or "{}"))
    return programme, round(p.y, 2), round(p.x, 2)
