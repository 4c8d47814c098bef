"""Measured electricity of public buildings, day by day, from their energy counters.

A building's meter is its ``energy.active_import`` stream (a counter, kWh). The
consumption of a local day is the last reading of that day minus the last reading of the
day before, both from core's daily rollups (days in the tenant's time zone): a day whose
previous day has no reading, or whose difference is negative (meter replaced or reset), is
not measured. Nothing is spread over gaps: a comparison uses measured days only.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, select

from ...core.clock import midnight_ms
from ...storage import schema


def daily_kwh(conn: Connection, tenant_id: int, stream_ids: Iterable[int], first: date,
              last: date, tz: ZoneInfo) -> dict[int, dict[date, float]]:
    """kWh of each measured local day from ``first`` to ``last``, per stream."""
    ids = sorted(set(stream_ids))
    out: dict[int, dict[date, float]] = {sid: {} for sid in ids}
    r = schema.rollups_daily
    lo = midnight_ms(first - timedelta(days=1), tz)
    hi = midnight_ms(last + timedelta(days=1), tz)
    for chunk in (ids[i:i + 500] for i in range(0, len(ids), 500)):
        previous: dict[int, tuple[date, float]] = {}
        for sid, bucket, value in conn.execute(
                select(r.c.stream_id, r.c.bucket, r.c.last).where(
                    r.c.tenant_id == tenant_id, r.c.stream_id.in_(chunk), r.c.bucket >= lo,
                    r.c.bucket < hi).order_by(r.c.stream_id, r.c.bucket)):
            day = datetime.fromtimestamp(bucket / 1000, tz).date()
            before = previous.get(sid)
            if before is not None and (day - before[0]).days == 1 and value >= before[1] \
                    and first <= day <= last:
                out[sid][day] = float(value) - before[1]
            previous[sid] = (day, float(value))
    return out


def counterpart(day: date, year: int) -> date | None:
    """The same calendar day in ``year``; None for 29 February when ``year`` has none."""
    try:
        return day.replace(year=year)
    except ValueError:
        return None
