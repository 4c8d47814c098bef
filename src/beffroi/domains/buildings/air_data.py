"""Indoor air of a building's rooms over a period, from the database: ICONE and CO2 class
per room from its occupied-time readings (``indoor_air``), and the CO2 of each room by hour
of the week (the heat map of the building page).

- ``building_air(scope, conn, registry, building_id, first, last)``: per room, the
  readings of its ``air.co2`` stream from local day ``first`` to ``last`` (inclusive) taken
  while the building is occupied (``occupancy.occupied_mask``: its opening hours, school
  holidays of its zone, public holidays), their ICONE, class and shares; readings of
  quality « bad » are left out;
- ``co2_week(scope, conn, building_id, first, last)``: per room, the mean CO2 of each of
  the 168 hours of the week (Monday 00:00–01:00 local first), weighted by the readings of
  each hour (core's hourly rollups: sum / count), None for an hour without reading.

Rooms are the building's ``buildings.room`` children the reader may see (a member limited
to some communes sees the rooms of their communes only); a building they may not see is
« introuvable » (404), as any asset.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import numpy as np
import orjson
from sqlalchemy import Connection, select

from ...core.access import TenantScope
from ...core.clock import local_day, local_time, midnight_ms, now_ms
from ...core.errors import Invalid
from ...core.registry import Registry
from ...core.series import stream_arrays
from ...core.settings import setting
from ...storage import schema
from .building_asset import building
from .indoor_air import Thresholds, room_air
from .occupancy import hours_label, occupancy, occupied_mask
from .settings import CO2_ACTION, CO2_URGENT

ROOM_KIND = "buildings.room"
DEFAULT_DAYS = 28
MAX_DAYS = 400
HOURS_OF_WEEK = 168


@dataclass(frozen=True)
class Period:
    """Local days from ``first`` to ``last`` (inclusive) and their bounds in epoch ms."""

    first: date
    last: date
    start_ms: int
    end_ms: int

    def public(self) -> dict[str, str]:
        return {"from": self.first.isoformat(), "to": self.last.isoformat()}


def make_period(scope: TenantScope, first: date, last: date) -> Period:
    return Period(first, last, midnight_ms(first, scope.zone),
                  midnight_ms(last + timedelta(days=1), scope.zone))


def period_request(scope: TenantScope, first: str | None, last: str | None,
                   today: date | None = None) -> Period:
    """The period of ``from`` and ``to`` (local days AAAA-MM-JJ, ``to`` included); by
    default the last ``DEFAULT_DAYS`` days up to today. 422 in French when unusable."""
    today = today or local_day(now_ms(), scope.zone)
    errors, days = [], {}
    for name, text in (("from", first), ("to", last)):
        if text is None:
            continue
        try:
            days[name] = date.fromisoformat(text)
        except ValueError:
            errors.append({"field": name, "message": f"date « {text[:20]} » invalide, "
                                                     "AAAA-MM-JJ attendu"})
    if errors:
        raise Invalid("Période invalide.", errors=errors)
    end = days.get("to", today)
    start = days.get("from", end - timedelta(days=DEFAULT_DAYS - 1))
    if end < start:
        errors.append({"field": "to", "message": "le dernier jour précède le premier"})
    elif (end - start).days + 1 > MAX_DAYS:
        errors.append({"field": "from", "message": f"période de {MAX_DAYS} jours au plus"})
    if errors:
        raise Invalid("Période invalide.", errors=errors)
    return make_period(scope, start, end)


def thresholds(scope: TenantScope, registry: Registry) -> Thresholds:
    """The tenant's CO2 thresholds; 422 when the urgent one does not exceed the other."""
    found = Thresholds(float(setting(scope.settings, registry, CO2_ACTION)),
                       float(setting(scope.settings, registry, CO2_URGENT)))
    errors = found.check()
    if errors:
        raise Invalid("Seuils de CO2 du territoire incohérents.", errors=errors)
    return found


def rooms(scope: TenantScope, conn: Connection, building_id: int) -> list[Any]:
    """The building's rooms the reader may see, by name, with their CO2 stream (or None)."""
    a, s = schema.assets, schema.streams
    rows = list(conn.execute(select(a).where(
        scope.asset_visible(), a.c.parent_id == building_id, a.c.kind == ROOM_KIND)
        .order_by(a.c.name, a.c.id)))
    streams = {r.asset_id: r.id for r in conn.execute(select(s.c.asset_id, s.c.id).where(
        scope.owns(s), s.c.asset_id.in_([r.id for r in rows] or [0]),
        s.c.metric == "air.co2"))}
    return [(row, streams.get(row.id)) for row in rows]


def readings(scope: TenantScope, conn: Connection, stream_id: int,
             period: Period) -> tuple[np.ndarray, np.ndarray]:
    """(times ms, values ppm) of a stream over the period, quality « bad » left out."""
    return stream_arrays(conn, scope.tenant_id, stream_id, period.start_ms, period.end_ms - 1)


def _properties(row: Any) -> dict[str, Any]:
    return orjson.loads(row.properties)


def _building_public(row: Any) -> dict[str, Any]:
    return {"id": row.id, "ref": row.ref, "name": row.name, "commune": row.commune_insee}


def _room_public(row: Any, stream_id: int | None) -> dict[str, Any]:
    props = _properties(row)
    return {"id": row.id, "ref": row.ref, "name": row.name,
            "room_type": props.get("room_type"), "ventilation": props.get("ventilation"),
            "capacity": props.get("capacity"), "stream_id": stream_id}


def building_air(scope: TenantScope, conn: Connection, registry: Registry, building_id: int,
                 period: Period) -> dict[str, Any]:
    """ICONE, CO2 class and shares of each room of a building over a period."""
    row = building(scope, conn, building_id)
    limits = thresholds(scope, registry)
    props = _properties(row)
    try:
        rules = occupancy(props)
    except ValueError as exc:
        raise Invalid("Occupation du bâtiment illisible.",
                      errors=[{"field": "opening_hours", "message": str(exc)}]) from None
    out = []
    for room, stream_id in rooms(scope, conn, building_id):
        entry = _room_public(room, stream_id)
        if stream_id is None:
            out.append({**entry, "readings_total": 0, **room_air([], limits)})
            continue
        times, values = readings(scope, conn, stream_id, period)
        mask = occupied_mask(props, times, str(scope.zone))
        occupied = [float(v) for v in values[mask]]
        out.append({**entry, "readings_total": int(times.size), **room_air(occupied, limits)})
    return {"building": _building_public(row), "period": period.public(),
            "thresholds": {"action_ppm": limits.action_ppm, "urgent_ppm": limits.urgent_ppm},
            "occupancy": {"opening_hours": rules.hours.text,
                          "opening_hours_label": hours_label(rules.hours),
                          "school_zone": rules.school_zone,
                          "closed_school_holidays": rules.closed_school_holidays,
                          "closed_public_holidays": rules.closed_public_holidays},
            "rooms": out}


def co2_week(scope: TenantScope, conn: Connection, building_id: int,
             period: Period) -> dict[str, Any]:
    """Mean CO2 of each room by hour of the week (168 values, Monday 00:00 local first)."""
    row = building(scope, conn, building_id)
    r = schema.rollups_hourly
    out = []
    for room, stream_id in rooms(scope, conn, building_id):
        sums = np.zeros(HOURS_OF_WEEK)
        counts = np.zeros(HOURS_OF_WEEK, dtype=np.int64)
        if stream_id is not None:
            buckets = conn.execute(select(r.c.bucket, r.c.sum, r.c.count).where(
                r.c.tenant_id == scope.tenant_id, r.c.stream_id == stream_id,
                r.c.bucket >= period.start_ms, r.c.bucket < period.end_ms)).all()
            if buckets:
                t = np.array([b[0] for b in buckets], dtype=np.float64) / 1000
                local = local_time(t, str(scope.zone))
                slot = (local.weekday * 24 + np.floor(local.hour).astype(np.int64))
                np.add.at(sums, slot, np.array([b[1] for b in buckets], dtype=np.float64))
                np.add.at(counts, slot, np.array([b[2] for b in buckets], dtype=np.int64))
        means = [round(float(s / c), 1) if c else None for s, c in zip(sums, counts,
                                                                       strict=True)]
        out.append({**_room_public(room, stream_id), "mean_ppm": means,
                    "readings": [int(c) for c in counts]})
    return {"building": _building_public(row), "period": period.public(), "rooms": out}
