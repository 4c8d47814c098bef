"""Key figures of climate risks on the home dashboard (``Domain.kpis``): simple readings of
the gauges and the weather stations, until the risks domain has its own analyses.

- **River level**: of the gauges whose level (``hydro.level``) arrived in the last
  ``RECENT_MS``, the one highest against its vigilance thresholds (``level_yellow_m``,
  ``level_orange_m``, ``level_red_m``: the highest colour reached, then the smallest
  margin below — or largest above — the yellow one; gauges without thresholds come after,
  by level). Set against the next threshold it has not reached. Status: yellow reached →
  warning, orange or red → critical.
- **Heat**: today's highest temperature (local day of the tenant, daily rollups) at the
  weather stations, against the tenant's heat-wave threshold of maximum temperatures
  (IBMx: its department's, ``risks.heat_department``, unless overridden by
  ``risks.heat_max_threshold_c``; 34 °C in the Vosges; ``heatwave.tenant_thresholds``).
  Météo-France's vigilance uses 3-day means of minima and maxima (IBMn, IBMx): a single
  day above the threshold is a warning sign, not a heat wave.
- **Rain**: the most any weather station measured over the last 24 hours (hourly sums).

There is no forest-fire figure: the fire weather index (IFM) needs a daily series of
noon temperature, humidity, wind and rain that the risks domain does not compute yet.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, select

from ...core.clock import HOUR_MS, local_day_start
from ...core.kpis import Kpi, KpiComparison, KpiContext, KpiValue
from ...storage import schema
from .heatwave import tenant_thresholds
from .vigilance import GAUGE_KIND, LEVEL, RECENT_MS, thresholds

STATION_KIND = "risks.weather_station"
TEMPERATURE, RAIN = "air.temperature", "weather.precipitation"


def _streams(ctx: KpiContext, kind: str, metric: str) -> list[Any]:
    """(stream id, asset name, asset properties, last time, last value) of the visible
    assets of ``kind`` measuring ``metric``."""
    a, s = schema.assets, schema.streams
    return list(ctx.conn.execute(
        select(s.c.id, a.c.name, a.c.properties, s.c.last_t, s.c.last_value)
        .join(a, and_(a.c.tenant_id == s.c.tenant_id, a.c.id == s.c.asset_id))
        .where(ctx.scope.asset_visible(a), a.c.kind == kind, s.c.metric == metric)
        .order_by(a.c.name)))


def _rank(level: float, thresholds: list[tuple[float, str, str]]) -> tuple:
    if not thresholds:
        return (-1, level)
    reached = sum(1 for limit, _, _ in thresholds if level >= limit)
    return (reached, level - thresholds[0][0])


def river_level(ctx: KpiContext) -> KpiValue:
    rows = _streams(ctx, GAUGE_KIND, LEVEL)
    current = [r for r in rows if r.last_value is not None and r.last_t is not None
               and ctx.now - RECENT_MS <= r.last_t <= ctx.now]
    if not current:
        return KpiValue(None, note="aucune hauteur d'eau depuis 6 h" if rows else None)
    gauge = max(current, key=lambda r: _rank(r.last_value, thresholds(r.properties)))
    level, limits = float(gauge.last_value), thresholds(gauge.properties)
    reached = [t for t in limits if level >= t[0]]
    ahead = [t for t in limits if level < t[0]]
    compared = ahead[0] if ahead else (reached[-1] if reached else None)
    at = datetime.fromtimestamp(gauge.last_t / 1000, ctx.zone).strftime("%H:%M")
    note = f"{gauge.name}, {at}"
    if reached:
        note += f" ; vigilance {reached[-1][1]} atteinte"
    if len(current) > 1:
        note += f" ; la plus haute de {len(current)} stations"
    return KpiValue(
        round(level, 2),
        () if compared is None else (KpiComparison(f"seuil {compared[1]}", compared[0],
                                                   relative=False),),
        status=(reached[-1][2] if reached else "ok") if limits else None, note=note)


def heat(ctx: KpiContext) -> KpiValue:
    rows = {r.id: r for r in _streams(ctx, STATION_KIND, TEMPERATURE)}
    threshold = tenant_thresholds(ctx.scope.settings, ctx.registry).ibmx_c
    limit = KpiComparison("seuil canicule (IBMx)", threshold, relative=False)
    if not rows:
        return KpiValue(None)
    r = schema.rollups_daily
    today = local_day_start(ctx.now, ctx.zone)
    maxima = ctx.conn.execute(select(r.c.stream_id, r.c.max).where(
        r.c.tenant_id == ctx.scope.tenant_id, r.c.stream_id.in_(sorted(rows)),
        r.c.bucket == today)).all()
    if not maxima:
        return KpiValue(None, (limit,), note="aucune température aujourd'hui")
    stream, value = max(maxima, key=lambda m: m[1])
    note = f"maximum du jour, {rows[stream].name}"
    return KpiValue(round(value, 1), (limit,), status="warning" if value >= threshold else "ok",
                    note=note)


def rain(ctx: KpiContext) -> KpiValue:
    rows = {r.id: r for r in _streams(ctx, STATION_KIND, RAIN)}
    if not rows:
        return KpiValue(None)
    h = schema.rollups_hourly
    first_hour = ctx.now - ctx.now % HOUR_MS - 23 * HOUR_MS  # this hour and the 23 before
    sums = ctx.conn.execute(
        select(h.c.stream_id, func.sum(h.c.sum)).where(
            h.c.tenant_id == ctx.scope.tenant_id, h.c.stream_id.in_(sorted(rows)),
            h.c.bucket >= first_hour, h.c.bucket <= ctx.now)
        .group_by(h.c.stream_id)).all()
    if not sums:
        return KpiValue(None, note="aucune mesure de pluie depuis 24 h")
    stream, value = max(sums, key=lambda m: m[1])
    note = f"dernières 24 h, {rows[stream].name}"
    if len(rows) > 1:
        note += f" (la plus arrosée de {len(rows)} stations)"
    return KpiValue(round(value, 1), note=note)


KPIS = (
    Kpi("risks.river_level", "Hauteur d'eau la plus haute", "m", river_level,
        metrics=(LEVEL,), uses_alerts=False, link="/risques"),
    Kpi("risks.heat", "Température maximale du jour", "Cel", heat, metrics=(TEMPERATURE,),
        uses_alerts=False),
    Kpi("risks.rain_24h", "Pluie sur 24 h", "mm", rain, metrics=(RAIN,), uses_alerts=False),
)
