"""A river gauge's level for the station panel and the risks page: recent series, vigilance
thresholds, historic floods, trend; and its rate-of-rise alert rule.

- ``station_level(scope, conn, station_id, hours=72, now=None)``: the raw ``hydro.level``
  points of the last ``hours`` (1 to 720: Hub'Eau keeps a month), the thresholds
  (``level_yellow_m``, ``level_orange_m``, ``level_red_m``), the historic floods (property
  ``historic_floods``, highest first), the latest value and the trend. Route:
  ``GET /api/v1/tenants/{t}/risks/stations/{id}/level?hours=72``.
- The trend is the least-squares slope of the points of the ``TREND_WINDOW_H`` hours
  before the latest one, in m/h: « en hausse » above ``STABLE_M_PER_H``, « en baisse »
  below its opposite, « stable » otherwise (None with fewer than two points).
- ``set_rise_rule(scope, conn, registry, station_id, body)``: creates or updates the
  station's ``rate_of_change`` rule on its level stream (« Montée rapide — <station> »),
  body ``{"amount_m": 0.15, "window_s": 3600, "severity": "critical"}``. Route:
  ``PUT /api/v1/tenants/{t}/risks/stations/{id}/rise-rule``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import orjson
from sqlalchemy import Connection, select

from ...core.access import TenantScope
from ...core.alerting import rules
from ...core.clock import HOUR_MS, format_instant, now_ms
from ...core.errors import Invalid, NotFound
from ...core.quality import counted
from ...core.registry import Registry
from ...core.storable import parse_count
from ...storage import schema
from .vigilance import GAUGE_KIND, VIGILANCE

DEFAULT_HOURS = 72
MAX_HOURS = 720
TREND_WINDOW_H = 3
STABLE_M_PER_H = 0.01  # 1 cm/h
RULE_PREFIX = "Montée rapide — "


def parse_hours(text: Any) -> int:
    return parse_count(text, "hours", 1, MAX_HOURS, "heures", title="Durée")


def gauge(scope: TenantScope, conn: Connection, station_id: int) -> Any:
    """The station (a visible ``risks.gauge``), else 404."""
    scope.require("read")
    row = scope.asset(conn, station_id)
    if row.kind != GAUGE_KIND:
        raise NotFound(f"Station hydrométrique {station_id} introuvable dans ce territoire.")
    return row


def level_stream(scope: TenantScope, conn: Connection, station_id: int) -> Any:
    s = schema.streams
    return conn.execute(select(s).where(scope.owns(s), s.c.asset_id == station_id,
                                        s.c.metric == "hydro.level")).first()


def trend(times_ms: list[int], values: list[float]) -> dict[str, Any]:
    """Slope (m/h) of the points of the last ``TREND_WINDOW_H`` hours before the latest."""
    out: dict[str, Any] = {"window_h": TREND_WINDOW_H, "rate_m_per_h": None, "label": None}
    if not times_ms:
        return out
    t = np.asarray(times_ms, dtype=np.float64)
    keep = t >= t[-1] - TREND_WINDOW_H * HOUR_MS
    if keep.sum() < 2:
        return out
    hours = (t[keep] - t[-1]) / HOUR_MS
    v = np.asarray(values, dtype=np.float64)[keep]
    slope = float(np.polyfit(hours, v, 1)[0])
    out["rate_m_per_h"] = round(slope, 4)
    out["label"] = ("en hausse" if slope > STABLE_M_PER_H else
                    "en baisse" if slope < -STABLE_M_PER_H else "stable")
    return out


def station_level(scope: TenantScope, conn: Connection, station_id: int,
                  hours: int = DEFAULT_HOURS, now: int | None = None) -> dict[str, Any]:
    station = gauge(scope, conn, station_id)
    props = orjson.loads(station.properties or "{}")
    end = now_ms() if now is None else now
    start = end - hours * HOUR_MS
    stream = level_stream(scope, conn, station_id)
    times: list[int] = []
    values: list[float] = []
    if stream is not None:
        o = schema.observations
        for r in conn.execute(select(o.c.t, o.c.value).where(
                o.c.tenant_id == scope.tenant_id, o.c.stream_id == stream.id,
                o.c.t >= start, o.c.t <= end, counted(o.c.quality)).order_by(o.c.t)):
            times.append(r[0])  # (Row.t is the row as a tuple)
            values.append(r[1])
    floods = sorted((f for f in props.get("historic_floods") or [] if isinstance(f, dict)),
                    key=lambda f: -float(f.get("height_m") or 0))
    return {
        "station": {"id": station.id, "ref": station.ref, "name": station.name,
                    "station_code": props.get("station_code"), "river": props.get("river"),
                    "commune": station.commune_insee},
        "unit": "m", "hours": hours, "from": format_instant(start), "to": format_instant(end),
        "stream_id": None if stream is None else stream.id,
        "points": [[format_instant(t), v] for t, v in zip(times, values, strict=True)],
        "latest": None if not times else {"time": format_instant(times[-1]),
                                          "value": values[-1]},
        # (vigilance.VIGILANCE's properties: "level_yellow_m" → key "yellow")
        "thresholds": [{"key": name.removeprefix("level_").removesuffix("_m"),
                        "label": f"Vigilance {colour}", "value_m": props[name]}
                       for name, colour, _ in VIGILANCE
                       if isinstance(props.get(name), int | float)],
        "historic_floods": floods,
        "trend": trend(times, values),
    }


def set_rise_rule(scope: TenantScope, conn: Connection, registry: Registry, station_id: int,
                  body: Any) -> dict[str, Any]:
    """Create or update the station's rate-of-rise rule; returns the rule."""
    scope.require("write")
    station = gauge(scope, conn, station_id)
    if not isinstance(body, dict):
        raise Invalid("Objet JSON attendu.")
    errors = [{"field": k, "message": "champ inconnu (attendus : amount_m, window_s, "
                                      "severity, enabled)"}
              for k in sorted(set(body) - {"amount_m", "window_s", "severity", "enabled"})]
    amount = body.get("amount_m")
    if isinstance(amount, bool) or not isinstance(amount, int | float) or not 0 < amount <= 10:
        errors.append({"field": "amount_m", "message": "montée en mètres, de 0 (exclu) à 10"})
    window = body.get("window_s", 3600)
    if isinstance(window, bool) or not isinstance(window, int) or not 300 <= window <= 86_400:
        errors.append({"field": "window_s", "message": "durée en secondes, entier de 300 à "
                                                       "86400"})
    if errors:
        raise Invalid("Règle de montée rapide invalide.", errors=errors)
    stream = level_stream(scope, conn, station_id)
    if stream is None:
        raise Invalid("Cette station n'a pas encore de hauteurs relevées (flux hydro.level).",
                      errors=[{"field": "", "message": "aucun flux de hauteur"}])
    data = {"name": (RULE_PREFIX + station.name)[:200], "kind": "rate_of_change",
            "stream_id": stream.id, "severity": body.get("severity", "critical"),
            "enabled": body.get("enabled", True),
            "params": {"direction": "rise", "amount": float(amount), "window_s": window}}
    r = schema.alert_rules
    existing = conn.execute(select(r.c.id).where(scope.owns(r), r.c.stream_id == stream.id,
                                                  r.c.kind == "rate_of_change",
                                                  r.c.name.like(RULE_PREFIX + "%"))).first()
    row = rules.update_rule(scope, conn, registry, existing.id, data) if existing else \
        rules.create_rule(scope, conn, registry, data)
    return {"id": row.id, "name": row.name, "stream_id": row.stream_id,
            "severity": row.severity, "enabled": row.enabled,
            "params": orjson.loads(row.params)}
