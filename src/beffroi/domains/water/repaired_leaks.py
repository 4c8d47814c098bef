"""The leaks repaired over a period (a calendar year for the RPQS report) and what their early
detection saved.

A leak is a ``water.night_flow_leak`` alert whose follow-up records a repair
(``interventions.REPAIRED``) dated in the period; for each: the day, the sector, where it
was (« conduite » / « branchement », position: the latest ``located`` step), the water lost
(the alert's last ``lost_m3``), the cost, and whether the following nights confirmed it:

- ``confirmed`` « confirmée » — the detector resolved the alert by itself after the repair
  day began (night flow back to its reference);
- ``refuted`` « fuite persistante » — still active, the detector saying the nights after the
  repair still show the leak (``repair_status == "refuted"`` in the alert's details);
- ``pending`` « en attente de confirmation » — still active otherwise;
- ``resolved_by_hand`` — resolved by a person: the nights did not say;
- ``ended_before_repair`` — the detector saw the leak end before the repair day entered.

Water saved by early detection, per leak: extra flow (m³/h) × 24 × max(0, usual duration −
actual duration) days, the actual duration running from the alert's estimated onset to the
repair, the usual one being the tenant setting ``water.usual_leak_duration_days`` (how long
an unreported leak runs before routine leak control finds it). Unknown (None, left out of
the totals) when the alert has no onset or extra flow.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import orjson
from sqlalchemy import Connection, and_, select

from ...core.access import TenantScope
from ...core.alerting.alerts import ACTIVE, visible_alerts
from ...core.clock import DAY_MS, format_instant
from ...core.registry import Registry
from ...core.settings import setting
from ...storage import schema
from .interventions import (
    DETECTOR_KEY,
    LOCATED,
    LOCATIONS,
    PIPE_MATERIALS,
    REPAIRED,
    latest_steps,
    onset_instant,
    repair_instant,
)
from .settings import PRICE, USUAL_LEAK_DURATION

CONFIRMATION_LABELS = {
    "confirmed": "confirmée", "refuted": "fuite persistante",
    "pending": "en attente de confirmation",
    "resolved_by_hand": "résolue à la main, non confirmée par les nuits",
    "ended_before_repair": "fin de fuite constatée avant la réparation saisie",
}


def saved_m3(extra_flow_m3h: float | None, onset_ms: int | None, repaired_ms: int,
             usual_days: float) -> float | None:
    """m³ early detection saved on one leak (see the module's doc); None if unknown."""
    if extra_flow_m3h is None or onset_ms is None:
        return None
    days = max(0.0, (repaired_ms - onset_ms) / DAY_MS)
    return extra_flow_m3h * 24 * max(0.0, usual_days - days)


def confirmation(alert: Any, repaired_ms: int) -> str:
    if alert.status in ACTIVE:
        refuted = orjson.loads(alert.details).get("repair_status") == "refuted"
        return "refuted" if refuted else "pending"
    if alert.resolved_by is not None:
        return "resolved_by_hand"
    return "confirmed" if alert.resolved_at >= repaired_ms else "ended_before_repair"


def _number(value: Any) -> float | None:
    return value if isinstance(value, int | float) and not isinstance(value, bool) else None


def _leak_alerts(scope: TenantScope, conn: Connection, commune: str | None) -> list[Any]:
    a, s = schema.alerts, schema.assets
    query = (select(a, s.c.ref.label("sector_ref"), s.c.name.label("sector_name"),
                    s.c.parent_id.label("service_id"))
             .outerjoin(s, and_(s.c.tenant_id == a.c.tenant_id, s.c.id == a.c.asset_id))
             .where(visible_alerts(scope), a.c.detector == DETECTOR_KEY).order_by(a.c.id))
    if commune:
        query = query.where(a.c.commune_insee == commune)
    return list(conn.execute(query))


def _item(alert: Any, repaired: tuple[dict, int], located: tuple[dict, int] | None,
          repaired_ms: int, usual_days: float, tz: ZoneInfo) -> dict[str, Any]:
    details = orjson.loads(alert.details)
    values = repaired[0]
    onset_ms = onset_instant(alert.details)
    extra = _number(details.get("extra_flow_m3h"))
    saved = saved_m3(extra, onset_ms, repaired_ms, usual_days)
    where = located[0] if located else {}
    status = confirmation(alert, repaired_ms)
    material = values.get("pipe_material")
    return {
        "alert_id": alert.id, "alert_status": alert.status,
        "sector": {"id": alert.asset_id, "ref": alert.sector_ref, "name": alert.sector_name},
        "service_id": alert.service_id, "commune": alert.commune_insee,
        "repaired_on": datetime.fromtimestamp(repaired_ms / 1000, tz).date().isoformat(),
        "onset": format_instant(onset_ms),
        "duration_days": None if onset_ms is None else round(
            max(0.0, (repaired_ms - onset_ms) / DAY_MS), 1),
        "located_on": where.get("located_on"),
        "located_on_label": LOCATIONS.get(where.get("located_on")),
        "position": where.get("position"),
        "extra_flow_m3h": extra, "lost_m3": _number(details.get("lost_m3")),
        "cost_eur": _number(values.get("cost_eur")),
        "pipe_material": material, "pipe_material_label": PIPE_MATERIALS.get(material),
        "diameter_mm": _number(values.get("diameter_mm")),
        "saved_m3": None if saved is None else round(saved, 1),
        "confirmation": status, "confirmation_label": CONFIRMATION_LABELS[status],
    }


def totals(items: list[dict[str, Any]], price: float) -> dict[str, Any]:
    def total(key: str) -> float:
        return sum(i[key] for i in items if i[key] is not None)

    saved = total("saved_m3")
    return {"count": len(items), "lost_m3": round(total("lost_m3"), 1),
            "cost_eur": round(total("cost_eur"), 2),
            "cost_unknown": sum(1 for i in items if i["cost_eur"] is None),
            "saved_m3": round(saved, 1), "saved_eur": round(saved * price, 2),
            "saved_unknown": sum(1 for i in items if i["saved_m3"] is None),
            "confirmed": sum(1 for i in items if i["confirmation"] == "confirmed")}


def repaired_leaks(scope: TenantScope, conn: Connection, registry: Registry, start_ms: int,
                   end_ms: int, commune: str | None = None) -> dict[str, Any]:
    """The leaks repaired in [start_ms, end_ms) that the caller sees (optionally in one
    commune), by repair day, with their totals and the settings used."""
    scope.require("read")
    public = scope.role == "public"  # alerts are never public: nor are their repairs
    tz = scope.zone
    usual_days = float(setting(scope.settings, registry, USUAL_LEAK_DURATION))
    price = float(setting(scope.settings, registry, PRICE))
    alerts = {} if public else {row.id: row for row in _leak_alerts(scope, conn, commune)}
    steps = latest_steps(conn, scope.tenant_id, list(alerts))
    items = []
    for alert_id, repaired in steps[REPAIRED].items():
        repaired_ms = repair_instant(repaired[0], repaired[1], tz)
        if start_ms <= repaired_ms < end_ms:
            items.append(_item(alerts[alert_id], repaired, steps[LOCATED].get(alert_id),
                               repaired_ms, usual_days, tz))
    items.sort(key=lambda i: (i["repaired_on"], i["alert_id"]))
    return {"usual_leak_duration_days": usual_days, "price_eur_m3": price,
            "items": items, "totals": totals(items, price)}
