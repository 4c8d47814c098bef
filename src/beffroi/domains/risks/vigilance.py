"""River vigilance: a gauge's level against its Vigicrues-style thresholds (jaune, orange,
rouge: properties ``level_yellow_m``, ``level_orange_m``, ``level_red_m``), and the
detector that raises a flood alert while a gauge is at or above its yellow threshold.

The alert names the colour reached and, once the river falls back, the episode's peak (the
highest level since the gauge was last under yellow); it is a warning at yellow and
critical from orange (the peak's colour: a falling river keeps its alert's severity),
a rise to a higher colour escalates it (core's alerts keep the worst severity and notify
the rise), and it is resolved once the level is back under yellow. The level read is the
gauge's last one up to the run's time and no older than ``RECENT_MS`` (a silent gauge says
nothing of the river: the data-freshness check reports it).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import orjson
from sqlalchemy import Connection, and_, func, select

from ...core.alerting.detector_spec import DetailField, Detector, DetectorContext, Finding
from ...core.clock import HOUR_MS
from ...core.quality import counted
from ...storage import schema

GAUGE_KIND, LEVEL = "risks.gauge", "hydro.level"
RECENT_MS = 6 * HOUR_MS  # a level older than this is no longer the river's
EPISODE_MS = 10 * 24 * HOUR_MS  # how far back a flood episode's peak is looked for
# (property, French colour, status/severity) from the lowest threshold up.
VIGILANCE = (("level_yellow_m", "jaune", "warning"), ("level_orange_m", "orange", "critical"),
             ("level_red_m", "rouge", "critical"))


def thresholds(properties: str | dict | None) -> list[tuple[float, str, str]]:
    """(height m, colour, severity) of a gauge's thresholds that are set, lowest first."""
    props = orjson.loads(properties or "{}") if not isinstance(properties, dict) \
        else properties
    out = []
    for name, colour, status in VIGILANCE:
        value = props.get(name)
        if isinstance(value, int | float) and not isinstance(value, bool):
            out.append((float(value), colour, status))
    return out


def reached(level: float, limits: list[tuple[float, str, str]]
            ) -> tuple[float, str, str] | None:
    """The highest threshold ``level`` reaches, or None below the lowest."""
    above = [t for t in limits if level >= t[0]]
    return above[-1] if above else None


def level_at_or_before(conn: Connection, tenant_id: int, stream_id: int, at: int,
                       after: int) -> tuple[int, float] | None:
    """(time, level) of the stream's last reading in (after, at], or None."""
    o = schema.observations
    row = conn.execute(select(o.c.t.label("at"), o.c.value).where(
        o.c.tenant_id == tenant_id, o.c.stream_id == stream_id, o.c.t <= at, o.c.t > after,
        counted(o.c.quality))
        .order_by(o.c.t.desc()).limit(1)).first()
    return None if row is None else (int(row.at), float(row.value))


def _latest_levels(ctx: DetectorContext) -> list[Any]:
    """Per visible gauge with thresholds: its last level in (now − RECENT_MS, now]."""
    a, s = schema.assets, schema.streams
    gauges = list(ctx.conn.execute(
        select(s.c.id, a.c.id.label("asset_id"), a.c.name, a.c.properties)
        .join(a, and_(a.c.tenant_id == s.c.tenant_id, a.c.id == s.c.asset_id))
        .where(ctx.scope.asset_visible(a), a.c.kind == GAUGE_KIND, s.c.metric == LEVEL)
        .order_by(a.c.id)))
    out = []
    for gauge in gauges:
        last = level_at_or_before(ctx.conn, ctx.tenant_id, gauge.id, ctx.now,
                                  ctx.now - RECENT_MS)
        if last is not None:
            out.append((gauge, *last))
    return out


def _metres(value: float) -> str:
    return f"{value:.2f}".replace(".", ",") + "\u00a0m"


def _peak(ctx: DetectorContext, stream_id: int, yellow: float, at: int) -> float:
    """The highest level since the gauge last was under yellow (within ``EPISODE_MS``)."""
    o = schema.observations
    since = ctx.conn.execute(select(func.max(o.c.t)).where(
        o.c.tenant_id == ctx.tenant_id, o.c.stream_id == stream_id, o.c.t <= at,
        o.c.t > at - EPISODE_MS, o.c.value < yellow, counted(o.c.quality))).scalar()
    return float(ctx.conn.execute(select(func.max(o.c.value)).where(
        o.c.tenant_id == ctx.tenant_id, o.c.stream_id == stream_id, o.c.t <= at,
        o.c.t > (since if since is not None else at - EPISODE_MS),
        counted(o.c.quality))).scalar())


def river_vigilance(ctx: DetectorContext) -> Iterable[Finding]:
    for gauge, at, level in _latest_levels(ctx):
        limits = thresholds(gauge.properties)
        top = reached(level, limits)
        if top is None:
            continue
        height, colour, severity = top
        peak = max(_peak(ctx, gauge.id, limits[0][0], at), level)
        peak_height, peak_colour, peak_severity = reached(peak, limits) or top
        title = (f"Crue : {gauge.name} en vigilance {colour} ({_metres(level)}, seuil "
                 f"{_metres(height)})")
        if peak_colour != colour:
            title += f" ; pic en vigilance {peak_colour} ({_metres(peak)})"
        yield Finding(
            gauge.asset_id, title, severity=peak_severity, at=at,
            details={"level_m": round(level, 3), "vigilance": colour,
                     "threshold_m": height,
                     "next_threshold_m": next((t[0] for t in limits if t[0] > height), None),
                     "peak_m": round(peak, 3), "peak_vigilance": peak_colour})


DETECTORS = (
    Detector("risks.river_vigilance", "Vigilance crue d'une station", 900, river_vigilance,
             renotify_after_s=6 * 3600, metrics=(LEVEL,),
             details=(DetailField("level_m", "Hauteur mesurée", unit="m", digits=2),
                      DetailField("vigilance", "Vigilance atteinte", "text"),
                      DetailField("threshold_m", "Seuil atteint", unit="m", digits=2),
                      DetailField("next_threshold_m", "Seuil suivant", unit="m", digits=2),
                      DetailField("peak_m", "Plus haut de l'épisode", unit="m", digits=2),
                      DetailField("peak_vigilance", "Vigilance la plus haute de l'épisode",
                                  "text"))),
)
