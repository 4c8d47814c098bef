"""The live event stream's hub: one watcher per tenant, shared by all its subscribers.

``GET /api/v1/tenants/{t}/events`` (``routes/events.py``) subscribes its caller here. The
first subscriber of a tenant starts that tenant's *watcher*, an asyncio task of the server's
event loop; the last one to leave stops it. The watcher reads the database from a worker
thread (``core/live.py``), never blocking the loop, and gives each subscriber the events
its rights let it see:

- every ``POLL_S``: the alert events after its cursor (one primary-key range read, whoever
  wrote them: API, scheduler, MQTT ingest, command line) → ``alert`` events, the
  ``asset_status`` of the assets concerned, and a ``dashboard`` event naming their domains;
- every ``RESCAN_S``: the status of every asset (devices fall silent without any write),
  and each subscriber's rights checked again in one query (a session logged out, a member
  removed or restricted: the stream ends or narrows; a deleted tenant's streams end at the
  next poll);
- every ``DATA_S``: the domains whose streams got new measurements → ``dashboard``.

So a tenant costs one small query a second however many people watch it, and nothing when
nobody does. A subscriber restricted to communes gets only the alerts of its communes (and
those of no commune, as ``alerts.visible_alerts``) and the assets of its communes; the
``public`` role (anonymous readers of a published territory) gets only keep-alives.

Event ids are the alert-event cursor: a client that reconnects with ``Last-Event-ID`` gets
the alert changes it missed (up to ``REPLAY_MAX`` events; beyond, a ``dashboard`` event
naming every domain, to reload). A client too slow to read (``QUEUE_MAX`` events waiting)
is disconnected, and resumes the same way. ``close()`` ends every stream: the server calls
it when it shuts down (``server.Server``), since a stream never ends by itself.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from typing import Any

import orjson
from starlette.concurrency import run_in_threadpool

from ..core.access import ANONYMOUS, SYSTEM, Principal, TenantScope, scope_of
from ..core.auth import principals_for_tokens
from ..core.clock import now_ms
from ..core.errors import BeffroiError, NotFound
from ..core.live import (
    AlertChange,
    alert_changes,
    asset_states,
    data_changes,
    latest_data,
    latest_event,
    places,
)
from ..core.registry import Registry
from ..storage import schema
from ..storage.database import Database

log = logging.getLogger("beffroi.events")

POLL_S = 1.0
RESCAN_S = 30.0
DATA_S = 60.0
KEEPALIVE_S = 15.0
RETRY_MS = 3000
QUEUE_MAX = 1000
REPLAY_MAX = 500
ERROR_PAUSE_S = 5.0
KEEPALIVE = b": keep-alive\n\n"
READY = object()  # queued to the subscribers that came before the watcher's first read


def frame(event: str, data: dict[str, Any], cursor: int | None) -> bytes:
    """One Server-Sent Event (the JSON of ``data`` holds no line break)."""
    head = f"event: {event}\n" + (f"id: {cursor}\n" if cursor is not None else "")
    return head.encode() + b"data: " + orjson.dumps(data) + b"\n\n"


@dataclass(frozen=True)
class Audience:
    """What a subscriber may see of its tenant's events."""

    private: bool  # False for the public role: no event at all
    communes: frozenset[str] | None  # None: the whole tenant

    def sees_alert(self, commune: str | None) -> bool:
        return self.private and (self.communes is None or commune is None
                                 or commune in self.communes)

    def sees_asset(self, commune: str | None) -> bool:
        return self.private and (self.communes is None or commune in self.communes)


def audience_of(scope: TenantScope) -> Audience:
    return Audience(scope.role != "public", scope.communes)


@dataclass(eq=False)
class Subscriber:
    tenant_id: int
    audience: Audience
    secret: str | None  # the caller's token, to check its rights again
    queue: asyncio.Queue[bytes | object | None] = field(
        default_factory=lambda: asyncio.Queue(QUEUE_MAX))
    since: int | None = None  # the watcher's cursor when this subscriber joined
    closed: bool = False

    def send(self, message: bytes | object) -> None:
        if self.closed:
            return
        try:
            self.queue.put_nowait(message)
        except asyncio.QueueFull:  # a reader too slow: it reconnects and resumes
            log.info("event stream of tenant %s too slow: closed", self.tenant_id)
            self.close()

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        while not self.queue.empty():
            self.queue.get_nowait()
        self.queue.put_nowait(None)


class TenantWatcher:
    """Reads what changed in one tenant and hands it to the tenant's subscribers."""

    def __init__(self, hub: EventHub, tenant_id: int) -> None:
        self.hub, self.tenant_id = hub, tenant_id
        self.subscribers: set[Subscriber] = set()
        self.cursor: int | None = None  # last alert event handed out
        self.data_after = 0  # latest measurement already reported
        self.statuses: dict[int, str] = {}
        self.loop = asyncio.get_running_loop()
        self.task = self.loop.create_task(self.run(), name=f"events-{tenant_id}")

    # -- reads, in a worker thread ----------------------------------------------------------
    def _system_scope(self, conn) -> TenantScope:
        tenant = conn.execute(schema.tenants.select().where(
            schema.tenants.c.id == self.tenant_id)).first()
        return scope_of(self.hub.db, SYSTEM, tenant, self.tenant_id)

    def _read_start(self) -> tuple[int, dict[int, str], int]:
        with self.hub.db.read() as conn:
            scope = self._system_scope(conn)
            now = now_ms()
            return (latest_event(conn, self.tenant_id), asset_states(scope, conn, now),
                    min(latest_data(conn, self.tenant_id), now))

    def _read_alerts(self, after: int) -> tuple[list[AlertChange], int, dict[int, str],
                                                   dict[int, tuple[str | None, str | None]]]:
        with self.hub.db.read() as conn:
            scope = self._system_scope(conn)  # NotFound once the tenant is deleted
            changes: list[AlertChange] = []
            cursor, more = after, True
            while more:
                batch, cursor, more = alert_changes(conn, self.tenant_id, cursor)
                changes += batch
            assets = sorted({c.data["asset_id"] for c in changes
                             if c.data["asset_id"] is not None})
            if not assets:
                return changes, cursor, {}, {}
            return (changes, cursor, asset_states(scope, conn, now_ms(), assets),
                    places(conn, self.hub.registry, self.tenant_id, assets))

    def _read_statuses(self) -> dict[int, str]:
        with self.hub.db.read() as conn:
            return asset_states(self._system_scope(conn), conn, now_ms())

    def _read_places(self, asset_ids: list[int]) -> dict[int, tuple[str | None, str | None]]:
        with self.hub.db.read() as conn:
            return places(conn, self.hub.registry, self.tenant_id, asset_ids)

    def _read_data(self, after: int) -> tuple[set[tuple[str, str | None]], int]:
        with self.hub.db.read() as conn:
            return data_changes(conn, self.hub.registry, self.tenant_id, after, now_ms())

    def _read_rights(self, secrets: list[str]) -> tuple[Any, list[Principal | BeffroiError]]:
        with self.hub.db.read() as conn:
            tenant = conn.execute(schema.tenants.select().where(
                schema.tenants.c.id == self.tenant_id)).first()
            found = principals_for_tokens(None, conn, secrets) if secrets else []
            return tenant, found

    # -- the loop ---------------------------------------------------------------------------
    async def run(self) -> None:
        try:
            await self.watch()
        except NotFound:  # the tenant has been deleted: its streams end
            for subscriber in list(self.subscribers):
                subscriber.close()

    async def watch(self) -> None:
        while True:
            try:
                self.cursor, self.statuses, self.data_after = await run_in_threadpool(
                    self._read_start)
                break
            except NotFound:
                raise
            except Exception:
                log.exception("live events of tenant %s: first read failed", self.tenant_id)
                await asyncio.sleep(ERROR_PAUSE_S)
        for subscriber in self.subscribers:
            if subscriber.since is None:
                subscriber.since = self.cursor
                subscriber.send(READY)
        clock = self.loop.time
        rescanned = refreshed = clock()
        while True:
            await asyncio.sleep(POLL_S)
            try:
                await self.poll()
                if clock() - rescanned >= RESCAN_S:
                    rescanned = clock()
                    await self.rescan()
                    await self.check_rights()
                if clock() - refreshed >= DATA_S:
                    refreshed = clock()
                    await self.refresh_data()
            except NotFound:
                raise
            except Exception:
                log.exception("live events of tenant %s: read failed", self.tenant_id)
                await asyncio.sleep(ERROR_PAUSE_S)

    async def poll(self) -> None:
        changes, cursor, states, where = await run_in_threadpool(self._read_alerts,
                                                                 self.cursor)
        if cursor == self.cursor:
            return
        self.cursor = cursor
        self.dispatch(changes, self._changed(states, where), set(), cursor)

    async def rescan(self) -> None:
        states = await run_in_threadpool(self._read_statuses)
        changed = {asset_id: status for asset_id, status in states.items()
                   if self.statuses.get(asset_id) != status}
        changed.update({asset_id: "unknown" for asset_id in self.statuses
                        if asset_id not in states})
        self.statuses = states
        if changed:
            where = await run_in_threadpool(self._read_places, sorted(changed))
            self.dispatch([], [(asset_id, status, *where.get(asset_id, (None, None)))
                               for asset_id, status in sorted(changed.items())],
                          set(), self.cursor)

    async def refresh_data(self) -> None:
        pairs, self.data_after = await run_in_threadpool(self._read_data, self.data_after)
        if pairs:
            self.dispatch([], [], pairs, self.cursor)

    async def check_rights(self) -> None:
        subscribers = list(self.subscribers)
        secrets = sorted({s.secret for s in subscribers if s.secret})
        tenant, found = await run_in_threadpool(self._read_rights, secrets)
        principals: dict[str | None, Principal | BeffroiError] = {
            None: ANONYMOUS, **dict(zip(secrets, found, strict=True))}
        for subscriber in subscribers:
            principal = principals[subscriber.secret]
            try:
                if isinstance(principal, BeffroiError):
                    raise principal
                scope = scope_of(self.hub.db, principal, tenant, self.tenant_id)
                scope.require("read")
            except BeffroiError:
                subscriber.close()  # logged out, removed, tenant deleted: the stream ends
                continue
            subscriber.audience = audience_of(scope)

    def _changed(self, states: dict[int, str],
                 where: dict[int, tuple[str | None, str | None]]
                 ) -> list[tuple[int, str, str | None, str | None]]:
        """The assets whose status differs from the one last handed out (remembered)."""
        out = []
        for asset_id, status in states.items():
            if self.statuses.get(asset_id, "unknown") == status:
                continue
            if status == "unknown":
                self.statuses.pop(asset_id, None)
            else:
                self.statuses[asset_id] = status
            out.append((asset_id, status, *where.get(asset_id, (None, None))))
        return out

    def dispatch(self, changes: list[AlertChange],
                 statuses: list[tuple[int, str, str | None, str | None]],
                 data: set[tuple[str, str | None]], cursor: int | None) -> None:
        """Hand each subscriber the events it may see, then one ``dashboard`` event naming
        the domains they concern."""
        alerts = [(c, frame("alert", c.data, c.cursor)) for c in changes]
        assets = [(commune, domain, frame("asset_status", {
            "asset_id": asset_id, "status": status, "domain": domain}, cursor))
            for asset_id, status, domain, commune in statuses]
        for subscriber in list(self.subscribers):
            audience = subscriber.audience
            if not audience.private or subscriber.since is None:
                continue
            domains: set[str] = set()
            for change, message in alerts:
                if audience.sees_alert(change.commune):
                    subscriber.send(message)
                    domains.add(change.domain or "")
            for commune, domain, message in assets:
                if audience.sees_asset(commune):
                    subscriber.send(message)
                    domains.add(domain or "")
            domains.update(domain for domain, commune in data if audience.sees_asset(commune))
            domains.discard("")
            if domains:
                subscriber.send(frame("dashboard", {"domains": sorted(domains)}, cursor))


class EventHub:
    """The watchers of the tenants someone is watching; lives in ``app.state.event_hub``."""

    def __init__(self, db: Database, registry: Registry) -> None:
        self.db, self.registry = db, registry
        self.watchers: dict[int, TenantWatcher] = {}
        self.closed = False

    def subscribe(self, scope: TenantScope, secret: str | None) -> Subscriber:
        """A new subscriber of the scope's tenant (from the server's event loop)."""
        subscriber = Subscriber(scope.tenant_id, audience_of(scope), secret or None)
        if self.closed:  # the server is stopping: the stream ends at once
            subscriber.close()
            return subscriber
        watcher = self.watchers.get(scope.tenant_id)
        if watcher is not None and watcher.loop is not asyncio.get_running_loop():
            watcher.task.cancel()  # left by an event loop that has ended (tests)
            watcher = None
        if watcher is None:
            watcher = self.watchers[scope.tenant_id] = TenantWatcher(self, scope.tenant_id)
        if watcher.cursor is not None:
            subscriber.since = watcher.cursor
        watcher.subscribers.add(subscriber)
        return subscriber

    def unsubscribe(self, subscriber: Subscriber) -> None:
        watcher = self.watchers.get(subscriber.tenant_id)
        if watcher is None:
            return
        watcher.subscribers.discard(subscriber)
        if not watcher.subscribers:
            watcher.task.cancel()
            del self.watchers[subscriber.tenant_id]

    def close(self) -> None:
        """End every stream and stop the watchers (the server is shutting down)."""
        self.closed = True
        for watcher in self.watchers.values():
            for subscriber in watcher.subscribers:
                subscriber.close()
            watcher.task.cancel()
        self.watchers.clear()

    def replay(self, subscriber: Subscriber, after: int) -> list[bytes]:
        """The alert changes a reconnecting subscriber missed, from event ``after`` to the
        cursor it joined at (in a worker thread)."""
        until = subscriber.since
        if until is None or after >= until:
            return []
        with self.db.read() as conn:
            changes, _, more = alert_changes(conn, subscriber.tenant_id, after, until=until,
                                             limit=REPLAY_MAX)
        audience = subscriber.audience
        if not audience.private:
            return []
        if more:  # too much missed: reload everything
            domains = sorted(self.registry.domains)
            return [frame("dashboard", {"domains": domains, "reload": True}, until)]
        seen = [c for c in changes if audience.sees_alert(c.commune)]
        out = [frame("alert", c.data, c.cursor) for c in seen]
        domains = sorted({c.domain for c in seen if c.domain})
        if domains:
            out.append(frame("dashboard", {"domains": domains}, until))
        return out
