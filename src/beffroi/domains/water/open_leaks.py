"""The open leaks of each sector: several leak alerts may be open on one sector at once
(``water.night_flow_leak`` opens one alert per leak), so a sector has a number of open leaks,
their total extra night flow and water lost, and the list of them.

Read from the alerts (open or acknowledged) as the detector last wrote their details, not
recomputed: what the dashboard and the sector panel show is what the alerts say.
"""

from __future__ import annotations

from typing import Any

import orjson
from sqlalchemy import Connection, select

from ...core.access import TenantScope
from ...core.alerting.alerts import ACTIVE, visible_alerts
from ...core.clock import format_instant
from ...core.errors import NotFound
from ...storage import schema
from .detectors import DETECTOR_KEY
from .exceptional_uses import sector_row

# What each leak of the list carries from its alert's details.
LEAK_FIELDS = ("extra_flow_m3h", "onset", "detected", "days_since_onset", "lost_m3",
               "lost_eur", "price_eur_m3", "reference_night_flow_m3h", "current_night_flow_m3h",
               "repair_status", "back_near_reference_since")


def _number(value: Any) -> float:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0.0


def _details(text: str | None) -> dict[str, Any]:
    try:
        details = orjson.loads(text or "{}")
    except orjson.JSONDecodeError:
        return {}
    return details if isinstance(details, dict) else {}


def sector_totals(leaks: list[dict[str, Any]]) -> dict[str, Any]:
    """Count and totals of a sector's open leaks (missing figures count as zero)."""
    return {"count": len(leaks),
            "extra_flow_m3h": round(sum(_number(k.get("extra_flow_m3h")) for k in leaks), 2),
            "lost_m3": round(sum(_number(k.get("lost_m3")) for k in leaks), 1),
            "lost_eur": round(sum(_number(k.get("lost_eur")) for k in leaks), 1)}


def open_leaks(scope: TenantScope, conn: Connection,
               sector_id: int | None = None) -> dict[int, dict[str, Any]]:
    """Sector id -> its open leaks (``leaks``, by estimated onset) with their ``count`` and
    totals (``extra_flow_m3h``, ``lost_m3``, ``lost_eur``); only sectors with at least
    one. The alerts the scope may see; none for the public."""
    scope.require("read")
    if scope.role == "public":
        return {}
    al = schema.alerts
    query = (select(al.c.id, al.c.asset_id, al.c.status, al.c.title, al.c.opened_at,
                    al.c.details)
             .where(visible_alerts(scope), al.c.detector == DETECTOR_KEY,
                    al.c.status.in_(ACTIVE), al.c.asset_id.is_not(None))
             .order_by(al.c.id))
    if sector_id is not None:
        query = query.where(al.c.asset_id == sector_id)
    by_sector: dict[int, list[dict[str, Any]]] = {}
    for row in conn.execute(query):
        details = _details(row.details)
        by_sector.setdefault(row.asset_id, []).append({
            "alert_id": row.id, "status": row.status, "title": row.title,
            "opened_at": format_instant(row.opened_at),
            **{k: details.get(k) for k in LEAK_FIELDS}})
    out = {}
    for sid, leaks in by_sector.items():
        leaks.sort(key=lambda k: (str(k["onset"] or ""), k["alert_id"]))
        out[sid] = {"sector_id": sid, **sector_totals(leaks), "leaks": leaks}
    return out


def summary(groups: dict[int, dict[str, Any]]) -> dict[str, Any]:
    """Every open leak of the territory: how many, on how many sectors, and the totals."""
    return {"leaks": sum(g["count"] for g in groups.values()), "sectors": len(groups),
            "extra_flow_m3h": round(sum(g["extra_flow_m3h"] for g in groups.values()), 2),
            "lost_m3": round(sum(g["lost_m3"] for g in groups.values()), 1),
            "lost_eur": round(sum(g["lost_eur"] for g in groups.values()), 1)}


def territory_open_leaks(scope: TenantScope, conn: Connection) -> dict[str, Any]:
    """The sectors with open leaks (reference and name with each) and the summary."""
    groups = open_leaks(scope, conn)
    a = schema.assets
    names = {r.id: r for r in conn.execute(
        select(a.c.id, a.c.ref, a.c.name, a.c.commune_insee)
        .where(scope.asset_visible(), a.c.id.in_(sorted(groups))))} if groups else {}
    groups = {sid: g for sid, g in groups.items() if sid in names}
    sectors = [{**g, "ref": names[sid].ref, "name": names[sid].name,
                "commune": names[sid].commune_insee}
               for sid, g in sorted(groups.items(), key=lambda i: names[i[0]].ref)]
    return {"sectors": sectors, "summary": summary(groups)}


def sector_open_leaks(scope: TenantScope, conn: Connection, sector_id: int) -> dict[str, Any]:
    """One sector's open leaks, count and totals (zero when none)."""
    scope.require("read")
    if scope.role == "public":  # alerts are never public
        raise NotFound(f"Équipement {sector_id} introuvable dans ce territoire.")
    row = sector_row(scope, conn, sector_id)
    group = open_leaks(scope, conn, row.id).get(row.id) or {
        "sector_id": row.id, **sector_totals([]), "leaks": []}
    return {**group, "ref": row.ref, "name": row.name, "commune": row.commune_insee}
