"""The river stations of a territory at a glance, for the risks page: each gauge's last level
against its vigilance thresholds, its trend, grouped by river (the river with the highest
vigilance first) and, along a river, upstream first.

Upstream order: by the gauge's interannual mean flow (``mean_flow_m3s``), smallest first —
a river's flow grows downstream; gauges without it come after, by name. Trend: as on the
station's panel (``stations.trend``: least-squares slope of the last three hours, in m/h).
"""

from __future__ import annotations

from typing import Any

import orjson
from sqlalchemy import Connection, and_, select

from ...core.access import TenantScope
from ...core.clock import HOUR_MS, format_instant
from ...core.errors import Invalid
from ...core.quality import counted
from ...storage import schema
from .stations import TREND_WINDOW_H, trend
from .vigilance import GAUGE_KIND, LEVEL, RECENT_MS, level_at_or_before, reached, thresholds

COLOUR_RANK = {None: 0, "jaune": 1, "orange": 2, "rouge": 3}


def station(conn: Connection, tenant_id: int, gauge: Any, now: int) -> dict[str, Any]:
    """One gauge's entry (see the module's doc)."""
    props = orjson.loads(gauge.properties or "{}")
    limits = thresholds(props)
    last = level_at_or_before(conn, tenant_id, gauge.stream_id, now, now - RECENT_MS)
    level = at = None
    slope: dict[str, Any] = {"rate_m_per_h": None, "label": None}
    if last is not None:
        at, level = last
        o = schema.observations
        points = conn.execute(select(o.c.t.label("at"), o.c.value).where(
            o.c.tenant_id == tenant_id, o.c.stream_id == gauge.stream_id, o.c.t <= at,
            o.c.t >= at - TREND_WINDOW_H * HOUR_MS, counted(o.c.quality)).order_by(o.c.t)).all()
        slope = trend([int(p.at) for p in points], [float(p.value) for p in points])
    top = None if level is None else reached(level, limits)
    mean_flow = props.get("mean_flow_m3s")
    return {
        "asset_id": gauge.asset_id, "name": gauge.name, "commune": gauge.commune_insee,
        "river": props.get("river"), "stream_id": gauge.stream_id,
        "mean_flow_m3s": mean_flow if isinstance(mean_flow, int | float) else None,
        "level_m": None if level is None else round(level, 3),
        "at": None if at is None else format_instant(at),
        "thresholds": {colour: height for height, colour, _ in limits},
        "vigilance": None if top is None else top[1],
        "severity": None if top is None else top[2],
        "next_threshold": next(({"vigilance": c, "level_m": h} for h, c, _ in limits
                                if level is not None and h > level), None),
        "trend_m_per_h": slope["rate_m_per_h"],
        "trend": slope["label"],
    }


def stations(scope: TenantScope, conn: Connection, now: int,
             commune: str | None = None) -> dict[str, Any]:
    """``rivers``: [{river, vigilance, stations: [...]}], the most alarming river first;
    ``silent``: how many gauges gave no level in the last six hours."""
    scope.require("read")
    if commune is not None and conn.execute(select(schema.communes.c.insee).where(
            scope.commune_visible(), schema.communes.c.insee == commune)).first() is None:
        raise Invalid("Commune inconnue.", errors=[{
            "field": "commune", "message": f"code INSEE « {commune} » inconnu dans votre "
                                           "périmètre"}])
    a, s = schema.assets, schema.streams
    query = (select(a.c.id.label("asset_id"), a.c.name, a.c.commune_insee, a.c.properties,
                    s.c.id.label("stream_id"))
             .join(s, and_(s.c.tenant_id == a.c.tenant_id, s.c.asset_id == a.c.id,
                           s.c.metric == LEVEL))
             .where(scope.asset_visible(a), a.c.kind == GAUGE_KIND).order_by(a.c.name))
    if commune is not None:
        query = query.where(a.c.commune_insee == commune)
    entries = [station(conn, scope.tenant_id, g, now) for g in conn.execute(query)]
    by_river: dict[str, list[dict[str, Any]]] = {}
    for entry in entries:
        by_river.setdefault(entry["river"] or "", []).append(entry)
    rivers = []
    for river, items in by_river.items():
        items.sort(key=lambda e: (e["mean_flow_m3s"] is None, e["mean_flow_m3s"] or 0,
                                  e["name"]))
        worst = max((e["vigilance"] for e in items), key=COLOUR_RANK.__getitem__)
        rivers.append({"river": river or None, "vigilance": worst, "stations": items})
    rivers.sort(key=lambda r: (-COLOUR_RANK[r["vigilance"]], r["river"] or "\uffff"))
    return {"rivers": rivers, "silent": sum(1 for e in entries if e["level_m"] is None),
            "at": format_instant(now)}
