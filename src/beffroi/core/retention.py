"""Raw-data retention: drop raw observations older than a tenant's horizon, keep rollups.

Retention is explicit and visible: the tenant's ``raw_retention_days`` setting,
the storage summary below (shown by the API and ``beffroi tenant show``), and
``beffroi db purge``, which the server also runs once a day.
"""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

import orjson
from sqlalchemy import Connection, delete, func, select

from ..storage import schema
from ..storage.database import Database
from .clock import DAY_MS, format_instant, local_day_start, now_ms


def purge_tenant(conn: Connection, tenant: Any, now: int | None = None) -> int:
    """Delete the tenant's raw observations before its horizon (whole local days)."""
    settings = orjson.loads(tenant.settings)
    days = settings.get("raw_retention_days")
    if not days:
        return 0
    tz = ZoneInfo(settings.get("timezone") or "Europe/Paris")
    cutoff = local_day_start((now or now_ms()) - days * DAY_MS, tz)
    o = schema.observations
    return conn.execute(delete(o).where(o.c.tenant_id == tenant.id, o.c.t < cutoff)).rowcount


def purge_all(db: Database, now: int | None = None) -> dict[int, int]:
    with db.read() as conn:
        tenants = list(conn.execute(select(schema.tenants)))
    deleted = {}
    for tenant in tenants:
        with db.write() as conn:
            deleted[tenant.id] = purge_tenant(conn, tenant, now)
    return deleted


def storage_summary(conn: Connection, tenant_id: int) -> dict[str, Any]:
    o, h, d = schema.observations, schema.rollups_hourly, schema.rollups_daily
    raw = conn.execute(select(func.count(), func.min(o.c.t), func.max(o.c.t))
                       .where(o.c.tenant_id == tenant_id)).one()
    hourly = conn.execute(select(func.count(), func.min(h.c.bucket)).where(h.c.tenant_id == tenant_id)).one()
    daily = conn.execute(select(func.count()).where(d.c.tenant_id == tenant_id)).scalar()
    return {
        "raw_observations": raw[0], "raw_oldest": format_instant(raw[1]),
        "raw_newest": format_instant(raw[2]),
        "hourly_rollups": hourly[0], "hourly_oldest": format_instant(hourly[1]),
        "daily_rollups": daily,
    }
