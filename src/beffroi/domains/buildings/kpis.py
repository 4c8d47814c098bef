"""Key figures of public buildings on the home dashboard (``Domain.kpis``).

- **Energy of the month so far** (the 1st to yesterday): what the buildings' energy
  counters (``energy.active_import``, kWh) measured, against the same buildings and
  calendar days a year before, compared only over the days both years measured. A day's
  consumption is the difference between the last reading of that day and the last
  reading of the day before (daily rollups, local days of the tenant); a day after a
  missing one, or with a negative difference (meter replaced), is not measured.
- **Rooms in confined air today**: rooms whose CO2 (``air.co2``) went above
  ``CO2_LIMIT_PPM`` since local midnight, out of the rooms measured today; and the
  highest CO2 of the day against that limit. 1,500 ppm is the level at which a
  classroom's air counts as confined (ICONE index, décret 2022-1689), the demo rule's.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, and_, select

from ...core.clock import local_day_start, midnight_ms
from ...core.kpis import Kpi, KpiComparison, KpiContext, KpiValue
from ...storage import schema

BUILDING_KIND, ROOM_KIND = "buildings.building", "buildings.room"
ENERGY, CO2 = "energy.active_import", "air.co2"
CO2_LIMIT_PPM = 1500.0
MIN_COMPARED_DAYS = 7  # fewer compared days say more about the weather than the buildings


def _s(count: int) -> str:
    return "s" if count > 1 else ""


def _streams(ctx: KpiContext, kind: str, metric: str) -> dict[int, Any]:
    """Stream id -> (id, asset name) of the visible assets of ``kind`` measuring ``metric``."""
    a, s = schema.assets, schema.streams
    return {r.id: r for r in ctx.conn.execute(
        select(s.c.id, a.c.name)
        .join(a, and_(a.c.tenant_id == s.c.tenant_id, a.c.id == s.c.asset_id))
        .where(ctx.scope.asset_visible(a), a.c.kind == kind, s.c.metric == metric))}


def daily_consumption(conn: Connection, tenant_id: int, stream_ids: Iterable[int], first: date,
                      last: date, tz: ZoneInfo) -> dict[int, dict[date, float]]:
    """Consumption of each local day from ``first`` to ``last`` that the readings cover,
    per counter stream."""
    ids = sorted(set(stream_ids))
    r = schema.rollups_daily
    lo, hi = midnight_ms(first - timedelta(days=1), tz), midnight_ms(last + timedelta(days=1), tz)
    readings: dict[int, dict[date, float]] = {sid: {} for sid in ids}
    for chunk in (ids[i:i + 500] for i in range(0, len(ids), 500)):
        for sid, bucket, value in conn.execute(select(r.c.stream_id, r.c.bucket, r.c.last).where(
                r.c.tenant_id == tenant_id, r.c.stream_id.in_(chunk), r.c.bucket >= lo,
                r.c.bucket < hi)):
            readings[sid][datetime.fromtimestamp(bucket / 1000, tz).date()] = float(value)
    out: dict[int, dict[date, float]] = {sid: {} for sid in ids}
    for sid, days in readings.items():
        for day, value in days.items():
            before = days.get(day - timedelta(days=1))
            if first <= day <= last and before is not None and value >= before:
                out[sid][day] = value - before
    return out


def energy_month(ctx: KpiContext) -> KpiValue:
    meters = _streams(ctx, BUILDING_KIND, ENERGY)
    if not meters:
        return KpiValue(None)
    first, last = ctx.month_so_far()
    period = f"du {first:%d/%m} au {last:%d/%m}"
    now = {sid: days for sid, days in daily_consumption(
        ctx.conn, ctx.scope.tenant_id, meters, first, last, ctx.zone).items() if days}
    if not now:
        return KpiValue(None, note=f"aucun relevé de compteur {period}")
    year = first.year - 1
    before = daily_consumption(ctx.conn, ctx.scope.tenant_id, now, _last_year(first, year),
                               _last_year(last, year), ctx.zone)
    pairs = [(sid, day, twin) for sid, days in now.items() for day in days
             if (twin := _counterpart(day, year)) is not None and twin in before[sid]]
    compared_days = len({day for _, day, _ in pairs})
    kwh = sum(v for days in now.values() for v in days.values())
    paired_now = sum(now[sid][day] for sid, day, _ in pairs)
    paired_before = sum(before[sid][twin] for sid, _, twin in pairs)
    enough = compared_days >= MIN_COMPARED_DAYS and paired_before > 0
    s = _s(len(now))
    note = f"{period} ; {len(now)} bâtiment{s} mesuré{s} sur {len(meters)}"
    if compared_days:
        s = _s(compared_days)
        note += f" ; {compared_days} jour{s} comparé{s} avec {year}"
    return KpiValue(round(kwh, 1), (KpiComparison(
        f"mêmes jours en {year}", round(paired_before, 1) if enough else None,
        delta_share=paired_now / paired_before - 1 if enough else None),), note=note)


def _counterpart(day: date, year: int) -> date | None:
    try:
        return day.replace(year=year)
    except ValueError:  # 29 February
        return None


def _last_year(day: date, year: int) -> date:
    return _counterpart(day, year) or date(year, 2, 28)


def _co2_today(ctx: KpiContext) -> tuple[dict[int, Any], list[tuple[int, float]]]:
    rooms = _streams(ctx, ROOM_KIND, CO2)
    if not rooms:
        return rooms, []
    r = schema.rollups_daily
    maxima = ctx.conn.execute(select(r.c.stream_id, r.c.max).where(
        r.c.tenant_id == ctx.scope.tenant_id, r.c.stream_id.in_(sorted(rooms)),
        r.c.bucket == local_day_start(ctx.now, ctx.zone))).all()
    return rooms, [(sid, float(value)) for sid, value in maxima]


def confined_rooms(ctx: KpiContext) -> KpiValue:
    rooms, maxima = _co2_today(ctx)
    if not rooms:
        return KpiValue(None)
    if not maxima:
        return KpiValue(None, note="aucune mesure de CO2 aujourd'hui")
    above = sum(1 for _, value in maxima if value > CO2_LIMIT_PPM)
    return KpiValue(float(above), status="warning" if above else "ok",
                    note=f"sur {len(maxima)} pièce{_s(len(maxima))} mesurée{_s(len(maxima))} "
                         "aujourd'hui")


def co2_peak(ctx: KpiContext) -> KpiValue:
    rooms, maxima = _co2_today(ctx)
    if not maxima:
        return KpiValue(None, note="aucune mesure de CO2 aujourd'hui" if rooms else None)
    sid, value = max(maxima, key=lambda m: m[1])
    return KpiValue(round(value), (KpiComparison("air confiné", CO2_LIMIT_PPM, relative=False),),
                    status="warning" if value > CO2_LIMIT_PPM else "ok",
                    note=f"depuis minuit, {rooms[sid].name}")


KPIS = (
    Kpi("buildings.energy_month", "Énergie du mois", "kW.h", energy_month, metrics=(ENERGY,),
        uses_alerts=False),
    Kpi("buildings.confined_rooms", "Pièces au-delà de 1 500 ppm aujourd'hui", "1",
        confined_rooms, metrics=(CO2,), uses_alerts=False),
    Kpi("buildings.co2_peak", "CO2 le plus élevé aujourd'hui", "[ppm]", co2_peak,
        metrics=(CO2,), uses_alerts=False),
)
