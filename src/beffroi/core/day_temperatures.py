"""Daily minimum and maximum temperatures of a stream, read from core's daily rollups (local
days of the tenant's time zone): what degree days (buildings) and heat-wave indices (risks)
are computed from."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, select

from ..storage import schema
from .clock import local_day, midnight_ms


@dataclass(frozen=True)
class DayTemperatures:
    day: date
    tmin_c: float
    tmax_c: float


def station_days(conn: Connection, tenant_id: int, stream_id: int, first: date, last: date,
                 zone: ZoneInfo) -> list[DayTemperatures]:
    """Tmin/Tmax of each local day from ``first`` to ``last`` that holds readings."""
    r = schema.rollups_daily
    rows = conn.execute(select(r.c.bucket, r.c.min, r.c.max).where(
        r.c.tenant_id == tenant_id, r.c.stream_id == stream_id,
        r.c.bucket >= midnight_ms(first, zone),
        r.c.bucket < midnight_ms(last + timedelta(days=1), zone)).order_by(r.c.bucket))
    return [DayTemperatures(local_day(b, zone), float(lo), float(hi))
            for b, lo, hi in rows if lo is not None and hi is not None]
