"""The status of each asset, as the map colours it: alert, silent, ok (or none: unknown).

- ``alert``: the asset has an active alert (open or acknowledged);
- ``silent``: else, one of its devices has gone silent (see ``devices.device_health``);
- ``ok``: else, it has a device or a stream that has received data;
- absent from the answer: nothing is known about it ("unknown" for the map).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import Connection, and_, select

from ..storage import schema
from .access import TenantScope
from .alerting.alerts import ACTIVE
from .clock import now_ms
from .devices import is_silent
from .registry import Registry


def status_sets(scope: TenantScope, conn: Connection, now: int,
                asset_ids: Iterable[int] | None = None) -> tuple[set[int], set[int], set[int]]:
    """(alerting, silent, known): the visible assets (of ``asset_ids`` only, when given)
    with an active alert, with a silent device, and with a device or a stream with data."""
    scope.require("read")
    a, al, d, s = schema.assets, schema.alerts, schema.devices, schema.streams
    only = [] if asset_ids is None else [a.c.id.in_(sorted(set(asset_ids)))]

    def joined(table):
        return and_(a.c.tenant_id == table.c.tenant_id, a.c.id == table.c.asset_id)

    alerting = set(conn.execute(
        select(al.c.asset_id).distinct().join(a, joined(al))
        .where(scope.owns(al), scope.asset_visible(a), al.c.status.in_(ACTIVE), *only)
    ).scalars())
    silent: set[int] = set()
    known: set[int] = set()
    devices = conn.execute(
        select(d.c.asset_id, d.c.expected_interval_s, d.c.last_seen).join(a, joined(d))
        .where(scope.owns(d), scope.asset_visible(a), *only))
    for asset_id, interval, last_seen in devices:
        known.add(asset_id)
        if interval and is_silent(last_seen, interval, now):
            silent.add(asset_id)
    known.update(conn.execute(
        select(s.c.asset_id).distinct().join(a, joined(s))
        .where(scope.owns(s), scope.asset_visible(a), s.c.last_t.is_not(None), *only)
    ).scalars())
    return alerting, silent, known


def statuses_of(alerting: set[int], silent: set[int], known: set[int]) -> dict[int, str]:
    out = {asset_id: "ok" for asset_id in known}
    out.update({asset_id: "silent" for asset_id in silent})
    out.update({asset_id: "alert" for asset_id in alerting})
    return out


def asset_statuses(scope: TenantScope, conn: Connection,
                   now: int | None = None) -> dict[int, str]:
    """Asset id -> "alert" | "silent" | "ok", for the visible assets that have a status."""
    return statuses_of(*status_sets(scope, conn, now_ms() if now is None else now))


ATTENTION_MAX = 2000


def attention_assets(scope: TenantScope, conn: Connection, registry: Registry,
                     now: int | None = None, limit: int = ATTENTION_MAX
                     ) -> tuple[list[dict[str, Any]], int]:
    """The visible assets that need attention: in alert, or with a silent device (even when
    in alert too: ``silent``); alerts first, then by id, at most ``limit``; with how many
    there are. Each: id, ref, kind, domain, name, commune, status, silent and its geometry
    as stored (GeoJSON text, or None)."""
    alerting, silent, known = status_sets(scope, conn, now_ms() if now is None else now)
    ranked = sorted(alerting | silent, key=lambda i: (i not in alerting, i))
    chosen = ranked[:limit]
    a = schema.assets
    rows = conn.execute(select(a.c.id, a.c.ref, a.c.kind, a.c.name, a.c.commune_insee,
                               a.c.geometry).where(scope.asset_visible(), a.c.id.in_(chosen))
                        ) if chosen else []
    found = {row.id: row for row in rows}
    out = []
    for asset_id in chosen:
        row = found.get(asset_id)
        if row is None:
            continue
        out.append({"id": row.id, "ref": row.ref, "kind": row.kind,
                    "domain": registry.kind_domain.get(row.kind), "name": row.name,
                    "commune": row.commune_insee,
                    "status": "alert" if asset_id in alerting else "silent",
                    "silent": asset_id in silent, "geometry": row.geometry})
    return out, len(ranked)
