"""The status of each asset, as the map colours it: alert, silent, ok (or none: unknown).

- ``alert``: the asset has an active alert (open or acknowledged);
- ``silent``: else, one of its devices has gone silent (see ``devices.device_health``);
- ``ok``: else, it has a device or a stream that has received data;
- absent from the answer: nothing is known about it ("unknown" for the map).
"""

from __future__ import annotations

from sqlalchemy import Connection, and_, select

from ..storage import schema
from .access import TenantScope
from .alerting.alerts import ACTIVE
from .clock import now_ms
from .devices import is_silent


def asset_statuses(scope: TenantScope, conn: Connection,
                   now: int | None = None) -> dict[int, str]:
    """Asset id -> "alert" | "silent" | "ok", for the visible assets that have a status."""
    scope.require("read")
    now = now_ms() if now is None else now
    a, al, d, s = schema.assets, schema.alerts, schema.devices, schema.streams

    def joined(table):
        return and_(a.c.tenant_id == table.c.tenant_id, a.c.id == table.c.asset_id)

    alerting = set(conn.execute(
        select(al.c.asset_id).distinct().join(a, joined(al))
        .where(scope.owns(al), scope.asset_visible(a),
               al.c.status.in_(ACTIVE))).scalars())
    silent: set[int] = set()
    known: set[int] = set()
    devices = conn.execute(
        select(d.c.asset_id, d.c.expected_interval_s, d.c.last_seen).join(a, joined(d))
        .where(scope.owns(d), scope.asset_visible(a)))
    for asset_id, interval, last_seen in devices:
        known.add(asset_id)
        if interval and is_silent(last_seen, interval, now):
            silent.add(asset_id)
    known.update(conn.execute(
        select(s.c.asset_id).distinct().join(a, joined(s))
        .where(scope.owns(s), scope.asset_visible(a), s.c.last_t.is_not(None))).scalars())
    out = {asset_id: "ok" for asset_id in known}
    out.update({asset_id: "silent" for asset_id in silent})
    out.update({asset_id: "alert" for asset_id in alerting})
    return out
