"""Climate risks in the impact report (``Domain.impacts``): no energy, but how often the
platform warned ahead of a flood threshold.

For each river gauge of the report with a yellow vigilance height (``level_yellow_m``) and a
level stream (``hydro.level``): every *crossing* of that height in the period — an hour whose
highest level is above it right after an hour that was not (core's hourly rollups) — and,
for each crossing, whether an alert on that gauge (any rule or detector of the domain: a
fast rise, a threshold…) was opened within the ``LEAD_WINDOW_H`` hours before it, the
horizon of the Vigicrues forecasts. The counts are the crossings, those warned ahead, and
the mean lead of the first such alert. A crossing whose previous hour has no reading is
not counted (its start is unknown).
"""

from __future__ import annotations

from typing import Any

import orjson
from sqlalchemy import and_, select

from ...core.alerting.alerts import visible_alerts
from ...plugin import (
    Coverage,
    DomainImpact,
    ImpactContext,
    ImpactCount,
    ImpactSource,
)
from ...storage import schema

GAUGE_KIND = "risks.gauge"
LEVEL_METRIC = "hydro.level"
LEAD_WINDOW_H = 24
HOUR_MS = 3_600_000


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) \
        else None


def gauges(ctx: ImpactContext) -> list[tuple[int, float | None, int | None]]:
    """(gauge id, yellow height, level stream id) of the report's gauges."""
    a, s = schema.assets, schema.streams
    rows = ctx.conn.execute(
        select(a.c.id, a.c.commune_insee, a.c.properties, s.c.id.label("stream_id"))
        .outerjoin(s, and_(s.c.tenant_id == a.c.tenant_id, s.c.asset_id == a.c.id,
                           s.c.metric == LEVEL_METRIC))
        .where(ctx.scope.asset_visible(), a.c.kind == GAUGE_KIND).order_by(a.c.id))
    return [(r.id, _number(orjson.loads(r.properties).get("level_yellow_m")), r.stream_id)
            for r in rows if ctx.covers(r.commune_insee)]


def crossings(ctx: ImpactContext, stream_id: int, threshold: float) -> list[int]:
    """Start (epoch ms) of each hour of the period whose highest level passed ``threshold``
    right after an hour that did not."""
    h = schema.rollups_hourly
    rows = ctx.conn.execute(
        select(h.c.bucket, h.c.max).where(
            h.c.tenant_id == ctx.scope.tenant_id, h.c.stream_id == stream_id,
            h.c.bucket >= ctx.start_ms - HOUR_MS, h.c.bucket < ctx.end_ms)
        .order_by(h.c.bucket))
    out, previous = [], None
    for bucket, high in rows:
        if previous is not None and previous[0] == bucket - HOUR_MS and previous[1] <= threshold \
                < high and bucket >= ctx.start_ms:
            out.append(bucket)
        previous = (bucket, high)
    return out


def alert_times(ctx: ImpactContext, gauge_id: int) -> list[int]:
    """When the alerts of a gauge (of this domain) were opened, oldest first."""
    al = schema.alerts
    return [t for (t,) in ctx.conn.execute(
        select(al.c.opened_at).where(visible_alerts(ctx.scope), al.c.asset_id == gauge_id,
                                     al.c.domain == "risks",
                                     al.c.opened_at >= ctx.start_ms - LEAD_WINDOW_H * HOUR_MS,
                                     al.c.opened_at < ctx.end_ms)
        .order_by(al.c.opened_at))]


def risks_impact(ctx: ImpactContext) -> DomainImpact:
    found = gauges(ctx)
    watched = [(gid, yellow, sid) for gid, yellow, sid in found
               if yellow is not None and sid is not None]
    events = warned = 0
    leads: list[float] = []
    for gauge_id, yellow, stream_id in watched:
        opened = alert_times(ctx, gauge_id)
        for t in crossings(ctx, stream_id, yellow):  # type: ignore[arg-type]
            events += 1
            ahead = [o for o in opened if t - LEAD_WINDOW_H * HOUR_MS <= o < t]
            if ahead:
                warned += 1
                leads.append((t - ahead[0]) / HOUR_MS)
    text = (f"{len(watched)} station(s) hydrométrique(s) avec hauteur de vigilance jaune et "
            f"mesure de hauteur, sur {len(found)} station(s).")
    return DomainImpact(
        baseline="Aucune alerte avant le dépassement du seuil de vigilance (sans surveillance).",
        method=("Dépassement : une heure dont la hauteur maximale passe au-dessus de la hauteur "
                "de vigilance jaune de la station juste après une heure qui ne la dépassait pas. "
                f"Alerte en avance : une alerte ouverte sur cette station dans les "
                f"{LEAD_WINDOW_H} heures qui précèdent (horizon des prévisions Vigicrues) ; "
                "l'avance est comptée depuis la première. Pas d'énergie ni de coût : des "
                "comptes seulement."),
        coverage=Coverage(len(watched) / len(found) if found else None, text),
        quality="measured",
        counts=(
            ImpactCount("risks.threshold_crossings", "Dépassements du seuil de vigilance "
                        "jaune", events, "dépassements"),
            ImpactCount("risks.alerts_ahead", "Dépassements précédés d'une alerte "
                        f"({LEAD_WINDOW_H} h avant au plus)", warned, "alertes"),
            ImpactCount("risks.mean_lead_hours", "Avance moyenne de l'alerte",
                        sum(leads) / len(leads) if leads else None, "h"),
        ))


IMPACTS = (ImpactSource("risks.alerts_ahead", "Alertes en avance des crues", risks_impact),)
