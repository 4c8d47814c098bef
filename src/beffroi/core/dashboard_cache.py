"""The home dashboard's KPI values, kept per process between requests.

A value is kept under (database, tenant, members or public, communes seen, kinds seen,
communes asked for, KPI key) with the *versions* of what it depends on at the time it was
computed, and given back while

- the versions have not moved: the inventory the view sees (how many assets, and the
  latest ``updated_at`` among them: every creation, change — properties, yearly volumes
  entered, programmes… — and deletion moves it), the last event of the tenant's alerts
  (opened, reopened, worsened, acknowledged, commented, resolved, a step of their
  follow-up) and the tenant's settings. They are read from the database at each request
  (the inventory in the query that counts the assets anyway, the alerts by one read along
  a primary key), so that a change made by another process (the MQTT worker, the
  scheduler) is seen as well;
- and it is younger than the KPI's ``max_age_s`` (60 s unless the KPI says otherwise).

A KPI that never reads the alerts says so (``Kpi.uses_alerts=False``): its value is kept
when an alert changes.

Observations are not a version: they arrive all the time, and recomputing every figure at
each reading would defeat the cache. What they change (energy of the month, a river level,
the water a running leak has lost — a detector refreshes its alert's figures without an
event) is therefore at most ``max_age_s`` old: the staleness is bounded, not zero. So is
what else a KPI may read besides assets, alerts and settings (a meter's stream added to an
asset, a device…).

While one request computes a value, the others asking for the same one wait for it
instead of computing it again (several home pages refetch at once after an alert).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, func, select

from ..storage import schema

MAX_ENTRIES = 4096  # least recently used values are dropped beyond


@dataclass(frozen=True)
class Entry:
    value: Any
    versions: tuple
    computed_at: int  # ms


def versions(conn: Connection, tenant_id: int, inventory: tuple, settings: str) -> tuple:
    """What the cached values of a view depend on besides observations: its ``inventory``
    (asset count, latest ``updated_at``), the last event of the tenant's alerts, the
    tenant's ``settings``."""
    ev = schema.alert_events
    alerts = conn.execute(select(func.max(ev.c.id)).where(ev.c.tenant_id == tenant_id)
                          ).scalar()
    return (inventory, alerts or 0, settings)


def without_alerts(depends: tuple) -> tuple:
    """The versions of a value that does not read the alerts."""
    inventory, _, settings = depends
    return (inventory, None, settings)


class KpiCache:
    """Values by key, valid while their versions hold and younger than a maximum age."""

    def __init__(self, max_entries: int = MAX_ENTRIES) -> None:
        self.max_entries = max_entries
        self._entries: OrderedDict[Hashable, Entry] = OrderedDict()
        self._lock = threading.Lock()
        self._computing: dict[Hashable, threading.Lock] = {}

    def get(self, key: Hashable, versions: tuple, max_age_s: float, now: int) -> Entry | None:
        """The entry of ``key`` if still valid at ``now`` (ms), else None."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            if entry.versions != versions or not 0 <= now - entry.computed_at < max_age_s * 1000:
                del self._entries[key]
                return None
            self._entries.move_to_end(key)
            return entry

    def put(self, key: Hashable, value: Any, versions: tuple, now: int) -> Entry:
        entry = Entry(value, versions, now)
        with self._lock:
            self._entries[key] = entry
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)
        return entry

    def value(self, key: Hashable, versions: tuple, max_age_s: float, now: int,
              compute: Callable[[], Any]) -> Any:
        """The valid value of ``key``, else ``compute()``'s, kept; one computation at a time
        per key (the others wait for it)."""
        entry = self.get(key, versions, max_age_s, now)
        if entry is not None:
            return entry.value
        with self._lock:
            gate = self._computing.setdefault(key, threading.Lock())
        with gate:
            entry = self.get(key, versions, max_age_s, now)  # computed while we waited
            if entry is None:
                entry = self.put(key, compute(), versions, now)
        with self._lock:
            if not gate.locked():
                self._computing.pop(key, None)
        return entry.value

    def invalidate(self, tenant_key: Hashable | None = None) -> None:
        """Forget every value (of one (database, tenant) pair when given)."""
        with self._lock:
            if tenant_key is None:
                self._entries.clear()
                return
            for key in [k for k in self._entries if k[:2] == tenant_key]:
                del self._entries[key]

    def __len__(self) -> int:
        return len(self._entries)


CACHE = KpiCache()
