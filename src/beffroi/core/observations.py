"""Observation batches: validated item by item, stored idempotently on (stream, time).

A rejected item is reported with its index and a French reason (an item the JSON reader
already refused, ``storable.Refused``, with its own); every valid item of the same batch is
stored. Writes are batched (one executemany) and the rollups of the touched days are
refreshed in the same transaction.

Many small batches (one reading per request) are stored together by the database's group
writer (``storage/group_commit.py``): ``store_posts`` opens each request's scope and
``ingest_many`` validates each batch in it, then stores the valid rows of a tenant's
batches at once, each batch getting its own report.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
from sqlalchemy import Connection, and_, or_, select

from ..storage import schema
from ..storage.database import Database
from . import rollups, textfiles
from .access import Principal, TenantScope, find_tenant, scope_of
from .alerting import evaluation
from .audit import write_audits
from .clock import DAY_MS, EARLIEST_DAY, local_day_start, now_ms, parse_instant
from .derived import derived_rows
from .errors import BeffroiError, Invalid, TooLarge
from .french_format import long_date
from .quality import BAD, QUALITY
from .registry import Metric, Registry
from .storable import Refused, integer_error, text_error

MAX_BATCH = 10_000
COLUMNWISE_MIN = 32  # smaller batches are checked item by item (cheaper than numpy's set-up)
GROUPED_MAX = 100  # a batch of at most this many items shares a transaction with others
# Accepted instants: from ``clock.EARLIEST_DAY`` (UTC) to a little after now. Before it, a
# device whose clock was reset counts from 1970 (or a year was mistyped): kept, such
# readings would fill 1970's rollups while the device looks silent; refused, the device's
# health shows why. After now: device clocks drift, but a local time sent as UTC, one or
# two hours ahead, is an error to fix, not data to keep.
EARLIEST_MS = (EARLIEST_DAY - date(1970, 1, 1)).days * DAY_MS
FUTURE_TOLERANCE_MS = 10 * 60 * 1000
OUT_OF_BOUNDS = (f"horodatage hors limites (avant le {long_date(EARLIEST_DAY)} : horloge de "
                 "l'appareil non réglée ou année mal saisie ; ou plus de "
                 f"{FUTURE_TOLERANCE_MS // 60_000} minutes dans le futur)")
BEFORE_RETENTION = ("horodatage antérieur à la durée de conservation des données brutes du "
                    "territoire")
ITEM_FIELDS = {"stream_id", "asset", "metric", "time", "value", "quality"}


@dataclass
class IngestReport:
    received: int = 0
    stored: int = 0
    duplicates: int = 0
    rejected: list[dict[str, Any]] = field(default_factory=list)
    encoding: str | None = None  # of a CSV file

    def as_dict(self) -> dict[str, Any]:
        out = {"received": self.received, "stored": self.stored, "duplicates": self.duplicates,
               "rejected_count": len(self.rejected), "rejected": self.rejected}
        return out if self.encoding is None else {**out, "encoding": self.encoding}


@dataclass(frozen=True)
class StreamTarget:
    """A stream a batch may write to, with its metric's validation bounds."""

    id: int
    metric: Metric | None
    low: float = -math.inf
    high: float = math.inf

    @classmethod
    def of(cls, stream_id: int, metric_key: str, registry: Registry) -> StreamTarget:
        metric = registry.metrics.get(metric_key)
        if metric is None:
            return cls(stream_id, None)
        low = -math.inf if metric.minimum is None else metric.minimum
        high = math.inf if metric.maximum is None else metric.maximum
        return cls(stream_id, metric, low, high)


def _writable_streams(scope: TenantScope):
    """Streams this scope may feed: a device feeds its own; people need write rights."""
    s, a, d = schema.streams, schema.assets, schema.devices
    base = select(s.c.id, s.c.metric, s.c.asset_id)
    if scope.role == "device":
        device_asset = select(d.c.asset_id).where(scope.owns(d), d.c.id == scope.principal.device_id)
        return base.where(scope.owns(s), or_(s.c.device_id == scope.principal.device_id,
                                             s.c.asset_id.in_(device_asset.scalar_subquery())))
    scope.require("write")
    return base.join(a, and_(a.c.tenant_id == s.c.tenant_id, a.c.id == s.c.asset_id)).where(
        scope.owns(s), scope.asset_visible(a))


def _resolve_targets(scope: TenantScope, conn: Connection, registry: Registry, items: list[Any]):
    """Load every stream the batch names, by id or by (asset ref, metric), in two queries."""
    objects = [item for item in items if type(item) is dict]
    # Ids and names the database could not hold name no stream: their items are rejected
    # one by one as unknown streams instead of failing the query.
    ids = {sid for item in objects
           if type(sid := item.get("stream_id")) is int and integer_error(sid) is None}
    pairs = {(str(item["asset"]), item["metric"]) for item in objects
             if "stream_id" not in item and isinstance(item.get("asset"), str | int)
             and isinstance(item.get("metric"), str) and text_error(str(item["asset"])) is None}
    s, a = schema.streams, schema.assets
    by_id: dict[int, StreamTarget] = {}
    by_pair: dict[tuple[str, str], StreamTarget] = {}
    query = _writable_streams(scope)
    for chunk in _chunks(sorted(ids), 900):
        for r in conn.execute(query.where(s.c.id.in_(chunk))):
            by_id[r.id] = StreamTarget.of(r.id, r.metric, registry)
    if pairs:
        refs = sorted({p[0] for p in pairs})
        asset_ids = {}
        for chunk in _chunks(refs, 900):
            for r in conn.execute(select(a.c.id, a.c.ref).where(scope.owns(a), a.c.ref.in_(chunk))):
                asset_ids[r.id] = r.ref
        for chunk in _chunks(sorted(asset_ids), 900):
            for r in conn.execute(query.where(s.c.asset_id.in_(chunk))):
                key = (asset_ids[r.asset_id], r.metric)
                if key in pairs:
                    by_pair[key] = StreamTarget.of(r.id, r.metric, registry)
    return by_id, by_pair


def _chunks(seq: list, size: int):
    for i in range(0, len(seq), size):
        yield seq[i:i + size]


def time_in_bounds(t: int, now: int | None = None) -> bool:
    """Whether an observation instant (epoch ms) may be stored: the one rule for every
    entry point (API JSON and CSV, MQTT, LoRaWAN, network servers), ``OUT_OF_BOUNDS``
    otherwise. ``now`` defaults to the clock."""
    return EARLIEST_MS <= t <= (now_ms() if now is None else now) + FUTURE_TOLERANCE_MS


def retention_horizon(scope: TenantScope, now: int) -> int | None:
    """The earliest instant the tenant keeps raw observations of (its
    ``raw_retention_days``), None when it keeps them forever: an older point is refused
    (``BEFORE_RETENTION``), the purge would remove it."""
    days = scope.settings.get("raw_retention_days")
    return local_day_start(now - days * DAY_MS, scope.zone) if days else None


def value_error(target: StreamTarget, value: float) -> str | None:
    """Why a finite value cannot be stored in a stream, in French (outside its metric's
    plausible range, not one of its states); None when it can."""
    if not target.low <= value <= target.high:
        return (f"valeur {value:g} hors de la plage plausible {_range_text(target.metric)} "
                f"{target.metric.unit}")
    if target.metric is not None and target.metric.states and int(value) not in target.metric.states:
        return f"état {value:g} inconnu pour « {target.metric.key} »"
    return None


@dataclass(frozen=True)
class Post:
    """One request's small batch, stored by the database's group writer with the others
    waiting (``db.group_commit.submit(store_posts, post)``)."""

    principal: Principal
    tenant: str | int  # as the request named it: id or SIREN
    items: Any
    registry: Registry


def store_posts(db: Database, conn: Connection, posts: Sequence[Post]
                ) -> list[IngestReport | BeffroiError]:
    """Group-commit kind: many requests' batches in the writer's transaction, each in the
    scope of its own caller (tenant and rights); a batch its caller may not write gets its
    error alone."""
    out: list[IngestReport | BeffroiError | None] = [None] * len(posts)
    tenants: dict[str, Any] = {}
    by_registry: dict[int, list[tuple[int, TenantScope]]] = {}
    for index, post in enumerate(posts):
        ref = str(post.tenant)
        if ref not in tenants:
            tenants[ref] = find_tenant(conn, ref)
        try:
            scope = scope_of(db, post.principal, tenants[ref], post.tenant)
        except BeffroiError as exc:
            out[index] = exc
            continue
        by_registry.setdefault(id(post.registry), []).append((index, scope))
    for pairs in by_registry.values():
        registry = posts[pairs[0][0]].registry
        reports = ingest_many(conn, registry, [(scope, posts[i].items) for i, scope in pairs])
        for (index, _), report in zip(pairs, reports, strict=True):
            out[index] = report
    return out  # type: ignore[return-value]


def ingest(scope: TenantScope, conn: Connection, registry: Registry, items: Any) -> IngestReport:
    """Validate and store a batch; returns what was stored, duplicated and rejected."""
    [report] = ingest_many(conn, registry, [(scope, items)])
    if isinstance(report, BeffroiError):
        raise report
    return report


def ingest_many(conn: Connection, registry: Registry,
                batches: Sequence[tuple[TenantScope, Any]]) -> list[IngestReport | BeffroiError]:
    """Validate and store many batches at once, each with its own scope (callers of several
    tenants, with different rights, may share one transaction): one report per batch, or
    the error that refuses it whole (nothing of it is written then).

    Each batch is validated against the streams its own scope may write. The valid rows of
    all the batches of a tenant are stored together: one insert, one rollup update and one
    rule evaluation per tenant. A point sent by two batches is stored once, for the first
    one; the other counts it as a duplicate, like a point already stored.
    """
    out: list[IngestReport | BeffroiError] = []
    for scope, items in batches:
        try:
            out.append(_check_batch(scope, items))
        except BeffroiError as exc:
            out.append(exc)
    # Streams are resolved once per access: same tenant, same rights, same visible streams.
    by_access: dict[tuple, list[int]] = {}
    for index, (scope, items) in enumerate(batches):
        if isinstance(out[index], IngestReport) and items:
            by_access.setdefault(_access_key(scope), []).append(index)
    rows_of: dict[int, list[tuple]] = {}
    metric_of: dict[int, str] = {}  # of the streams written, for the derived metrics
    now = now_ms()
    for indexes in by_access.values():
        scope = batches[indexes[0]][0]
        everything = [item for i in indexes for item in batches[i][1]]
        by_id, by_pair = _resolve_targets(scope, conn, registry, everything)
        if registry.derived:
            metric_of.update((t.id, t.metric.key) for t in (*by_id.values(), *by_pair.values())
                             if t.metric is not None)
        horizon = retention_horizon(scope, now)
        earliest = EARLIEST_MS if horizon is None else max(horizon, EARLIEST_MS)
        for i in indexes:
            items, report = batches[i][1], out[i]
            rows = None if len(items) < COLUMNWISE_MIN else _well_formed_rows(
                items, by_id, scope.tenant_id, earliest, now + FUTURE_TOLERANCE_MS)
            if rows is None:  # some item needs a closer look: check them one by one
                rows = _checked_rows(items, by_id, by_pair, scope.tenant_id, horizon, now, report)
            if rows:
                rows_of[i] = rows
    by_tenant: dict[int, list[int]] = {}
    for i in sorted(rows_of):
        by_tenant.setdefault(batches[i][0].tenant_id, []).append(i)
    audits = []
    for tenant_id in sorted(by_tenant):  # one lock order for every transaction (PostgreSQL)
        indexes = by_tenant[tenant_id]
        scope = batches[indexes[0]][0]
        if len(indexes) == 1:
            [i] = indexes
            stored = store_rows(scope, conn, rows_of[i], _timezone(scope), registry)
            out[i].stored = stored
            out[i].duplicates += len(rows_of[i]) - stored
        else:
            _store_together(scope, conn, registry, indexes, rows_of, out)
        # Values the assets' kinds compute from these (fill level from a distance...):
        # stored beside the raw ones, in the same transaction, not counted in the reports.
        derived = derived_rows(scope, conn, registry,
                               [row for i in indexes for row in rows_of[i]], metric_of)
        if derived:
            store_rows(scope, conn, derived, _timezone(scope), registry)
        for i in indexes:
            entry = batches[i][0].audit_entry("ingest", "observations", None, {
                "stored": out[i].stored, "rejected": len(out[i].rejected)})
            if entry is not None:
                audits.append(entry)
    if audits:
        write_audits(conn, batches[0][0].db, audits)
    return out


def _check_batch(scope: TenantScope, items: Any) -> IngestReport:
    if scope.role != "device":
        scope.require("write")
    if not isinstance(items, list):
        raise Invalid("Une liste d'observations est attendue.")
    if len(items) > MAX_BATCH:
        raise TooLarge(f"Lot de {len(items)} observations : {MAX_BATCH} au plus par requête ; "
                       "découpez-le en plusieurs lots.", extra={"max_batch": MAX_BATCH})
    return IngestReport(received=len(items))


def _access_key(scope: TenantScope) -> tuple:
    return (scope.tenant_id, scope.role, scope.communes, scope.kinds,
            scope.principal.device_id if scope.role == "device" else None)


def _timezone(scope: TenantScope) -> ZoneInfo:
    return scope.zone


def _store_together(scope: TenantScope, conn: Connection, registry: Registry,
                    indexes: list[int], rows_of: dict[int, list[tuple]],
                    reports: list) -> None:
    """The rows of several batches of one tenant in one store; each batch learns which of
    its rows were new."""
    owners: list[int] = []
    merged: list[tuple] = []
    seen: set[tuple[int, int]] = set()
    for i in indexes:
        for row in rows_of[i]:
            key = (row[1], row[2])
            if key in seen:  # sent by an earlier batch of this group
                reports[i].duplicates += 1
                continue
            seen.add(key)
            merged.append(row)
            owners.append(i)
    inserted: set[tuple[int, int]] = set()
    store_rows(scope, conn, merged, _timezone(scope), registry, inserted=inserted)
    for owner, row in zip(owners, merged, strict=True):
        if (row[1], row[2]) in inserted:
            reports[owner].stored += 1
        else:
            reports[owner].duplicates += 1


def _well_formed_rows(items: list, by_id: dict[int, StreamTarget], tenant_id: int,
                      earliest: float, latest_allowed: int) -> list[tuple] | None:
    """Rows of a batch in which every item is a plain, valid {stream_id, time, value}
    (the common case), checked column-wise; None as soon as anything is unusual."""
    try:
        if set(map(len, items)) != {3}:
            return None
        sids = [item["stream_id"] for item in items]
        times = [item["time"] for item in items]
        values = [item["value"] for item in items]
    except (KeyError, TypeError):
        return None
    if not set(map(type, sids)) <= {int} or not set(map(type, values)) <= {int, float}:
        return None
    unique_sids = set(sids)
    if not unique_sids <= by_id.keys() or not set(map(type, times)) <= {str}:
        return None
    parsed = {}
    for text in set(times):
        try:
            parsed[text] = parse_instant(text)
        except ValueError:
            return None
    t = np.fromiter(map(parsed.__getitem__, times), dtype=np.int64, count=len(times))
    v = np.asarray(values, dtype=np.float64)
    sid = np.asarray(sids, dtype=np.int64)
    ordered = sorted(unique_sids)
    if any(by_id[x].metric is not None and by_id[x].metric.states for x in ordered):
        return None
    index = np.searchsorted(ordered, sid)
    low = np.array([by_id[x].low for x in ordered])[index]
    high = np.array([by_id[x].high for x in ordered])[index]
    if not (np.isfinite(v).all() and (v >= low).all() and (v <= high).all()
            and (t <= latest_allowed).all() and (t >= earliest).all()):
        return None
    if len(np.unique(sid * (1 << 42) + t)) != len(t):  # ms times < 2^42 until 2109
        return None
    return list(zip([tenant_id] * len(t), sids, t.tolist(), v.tolist(), [0] * len(t),
                    strict=True))


def _checked_rows(items: list, by_id: dict[int, StreamTarget],
                  by_pair: dict[tuple[str, str], StreamTarget], tenant_id: int,
                  horizon: int | None, now: int, report: IngestReport) -> list[tuple]:
    """Rows of the valid items, each item checked alone; rejections go to ``report``."""
    parsed: dict[str, int] = {}  # timestamps repeat across the streams of a batch
    seen: set[tuple[int, int]] = set()
    rows: list[tuple[int, int, int, float, int]] = []
    reject = report.rejected.append
    for index, item in enumerate(items):
        if type(item) is not dict:
            reject({"index": index, "reason": item.reason if type(item) is Refused
                    else "objet JSON attendu"})
            continue
        if not ITEM_FIELDS.issuperset(item):
            extra = sorted(str(k) for k in item if k not in ITEM_FIELDS)
            reject({"index": index, "reason": f"champ inconnu : {', '.join(extra)}"})
            continue
        stream_id = item.get("stream_id")
        if stream_id is not None:
            target = by_id.get(stream_id) if type(stream_id) is int else None
            if target is None:
                reject({"index": index, "reason": f"flux inconnu ou non autorisé : {stream_id!r:.40}"})
                continue
        elif "asset" in item and "metric" in item:
            target = (by_pair.get((str(item["asset"]), item["metric"]))
                      if isinstance(item["metric"], str) else None)
            if target is None:
                reject({"index": index, "reason": f"aucun flux « {item['metric']!s:.60} » pour "
                                                  f"l'équipement « {item['asset']!s:.60} »"})
                continue
        else:
            reject({"index": index, "reason": "indiquez « stream_id » ou « asset » et « metric »"})
            continue
        text = item.get("time")
        t = parsed.get(text) if type(text) is str else None
        if t is None:
            try:
                t = parse_instant(text)
            except ValueError as exc:
                reject({"index": index, "reason": str(exc)})
                continue
            parsed[text] = t
        if not time_in_bounds(t, now):
            reject({"index": index, "reason": OUT_OF_BOUNDS})
            continue
        if horizon is not None and t < horizon:
            reject({"index": index, "reason": BEFORE_RETENTION})
            continue
        value = item.get("value")
        kind = type(value)
        if kind is int:
            value = float(value)
        elif kind is not float or not math.isfinite(value):
            reject({"index": index, "reason": f"valeur numérique attendue, reçu {value!r:.40}"})
            continue
        problem = value_error(target, value)
        if problem:
            reject({"index": index, "reason": problem})
            continue
        quality = item.get("quality")
        quality = 0 if quality is None else QUALITY.get(quality) if isinstance(quality, str) \
            else None
        if quality is None:
            reject({"index": index, "reason": "qualité attendue : good, suspect ou bad"})
            continue
        key = (target.id, t)
        if key in seen:
            report.duplicates += 1
            continue
        seen.add(key)
        rows.append((tenant_id, target.id, t, value, quality))
    return rows


def store_rows(scope: TenantScope, conn: Connection, rows: list[tuple], tz: ZoneInfo,
               registry: Registry | None = None, *,
               inserted: set[tuple[int, int]] | None = None) -> int:
    """Insert (tenant, stream, t, value, quality) rows, then refresh rollups and latest values;
    with a ``registry``, the tenant's alert rules are evaluated on the new points (bulk
    history loads pass none: old data raises no alert).

    Streams whose new points all come after their last stored time (live data, a
    forward backfill) have their rollups merged incrementally; any other stream
    (late or out-of-order points, duplicates) has its touched days recomputed from raw.

    With ``inserted``, the (stream, time) of each row actually inserted (not already
    stored) is added to that set.
    """
    db = scope.db
    ph = "?" if db.is_sqlite else "%s"
    # Per stream, sorted by time (ms times and ids are exact in float64 below 2^53).
    data = np.asarray(rows, dtype=np.float64)
    order = np.lexsort((data[:, 2], data[:, 1]))
    sid_all = data[order, 1].astype(np.int64)
    every_stream = sid_all[np.append(0, np.flatnonzero(np.diff(sid_all)) + 1)]  # sorted
    previous_last = _lock_streams(db, conn, scope.tenant_id, every_stream.tolist())
    counted = data[order, 4] < BAD  # bad points are stored, never counted (core/quality)
    if not counted.all():
        order, sid_all = order[counted], sid_all[counted]
    t_all = data[order, 2].astype(np.int64)
    v_all = data[order, 3]
    cuts = np.flatnonzero(np.diff(sid_all)) + 1
    stream_ids = sid_all[np.append(0, cuts)].tolist() if len(sid_all) else []
    if inserted is None:
        stored = conn.exec_driver_sql(
            "INSERT INTO observations (tenant_id, stream_id, t, value, quality) "
            f"VALUES ({ph}, {ph}, {ph}, {ph}, {ph}) "
            "ON CONFLICT (tenant_id, stream_id, t) DO NOTHING",
            rows,
        ).rowcount
    else:
        new = _insert_returning(conn, ph, rows)
        inserted.update(new)
        stored = len(new)
    if not stored or not stream_ids:
        return stored
    appended: dict[int, tuple] = {}
    recompute: dict[int, tuple[int, int]] = {}
    latest: list[tuple] = []
    for sid, t, v in zip(stream_ids, np.split(t_all, cuts), np.split(v_all, cuts), strict=True):
        last = previous_last.get(sid)
        if stored == len(rows) and (last is None or t[0] > last):
            appended[sid] = (t, v)
        else:
            recompute[sid] = (int(t[0]), int(t[-1]))
        latest.append((int(t[-1]), float(v[-1]), scope.tenant_id, sid, int(t[-1])))
    rollups.refresh(db, conn, scope.tenant_id, tz, recompute)
    with db.pipeline(conn):  # writes whose answers nothing waits for: one round trip
        rollups.append(db, conn, scope.tenant_id, tz, appended)
        conn.exec_driver_sql(
            f"UPDATE streams SET last_t = {ph}, last_value = {ph} WHERE tenant_id = {ph} "
            f"AND id = {ph} AND (last_t IS NULL OR last_t <= {ph})", latest)
    if registry is not None:
        series = {sid: (t.tolist(), v.tolist()) for sid, t, v in
                  zip(stream_ids, np.split(t_all, cuts), np.split(v_all, cuts), strict=True)}
        evaluation.on_observations(db, conn, registry, scope.tenant_id, series, previous_last)
    return stored


def store_history(scope: TenantScope, conn: Connection, registry: Registry, rows: list[tuple],
                  metric_of: Mapping[int, str]) -> int:
    """Store checked rows of a history (``observation_import``) as ``ingest`` stores a
    batch — idempotent on (stream, time), rollups and latest values refreshed, derived
    values beside the raw ones (``metric_of``: each stream's metric) — but as a bulk load
    of the past: no alert rule is evaluated (old data raises no alert) and no audit entry
    is written (the caller writes one for the whole load). Returns the rows inserted, those
    not already stored."""
    if not rows:
        return 0
    stored = store_rows(scope, conn, rows, scope.zone)
    derived = derived_rows(scope, conn, registry, rows, metric_of)
    if derived:
        store_rows(scope, conn, derived, scope.zone)
    return stored


def _insert_returning(conn: Connection, ph: str, rows: list[tuple]) -> set[tuple[int, int]]:
    """Insert rows (multi-row VALUES, RETURNING); the (stream, time) of those inserted."""
    new: set[tuple[int, int]] = set()
    for chunk in _chunks(rows, 1000):
        values = ", ".join([f"({ph}, {ph}, {ph}, {ph}, {ph})"] * len(chunk))
        new.update(map(tuple, conn.exec_driver_sql(
            "INSERT INTO observations (tenant_id, stream_id, t, value, quality) "
            f"VALUES {values} ON CONFLICT (tenant_id, stream_id, t) DO NOTHING "
            "RETURNING stream_id, t", tuple(v for row in chunk for v in row)).all()))
    return new


def _lock_streams(db, conn: Connection, tenant_id: int, stream_ids: list[int]) -> dict[int, Any]:
    """Each stream's last stored time; on PostgreSQL the rows stay locked until commit so
    that two concurrent batches for one stream cannot both merge into the same rollup."""
    ph = "?" if db.is_sqlite else "%s"
    out: dict[int, Any] = {}
    for chunk in _chunks(stream_ids, 900):
        sql = (f"SELECT id, last_t FROM streams WHERE tenant_id = {ph} AND id IN "
               f"({', '.join([ph] * len(chunk))}) ORDER BY id")
        if not db.is_sqlite:
            sql += " FOR UPDATE"
        out.update(conn.exec_driver_sql(sql, (tenant_id, *chunk)).all())
    return out


def _range_text(metric) -> str:
    lo = "−∞" if metric.minimum is None else f"{metric.minimum:g}"
    hi = "+∞" if metric.maximum is None else f"{metric.maximum:g}"
    return f"[{lo} ; {hi}]"


CSV_COLUMNS = ("stream_id", "asset", "metric", "time", "value", "quality")


@dataclass
class CsvBatch:
    """A CSV history read strictly: an item per readable record, the others rejected."""

    items: list[dict[str, Any]]
    origins: list[tuple[int, int]]  # (record index, file line) of each item
    rejected: list[dict[str, Any]]  # malformed records: index, line, reason
    total: int
    encoding: str


def parse_csv(raw: bytes) -> CsvBatch:
    """CSV bulk history -> observation items (header: stream_id or asset,metric; time;
    value; quality optional), decoded and parsed by ``textfiles``. ``asset_ref`` names the
    ``asset`` column too, as ``beffroi export`` writes it: an exported ``observations.csv``
    is posted back as it is."""
    table = textfiles.read_csv(textfiles.decode(raw), rename=_csv_column)
    header = set(table.columns) - {""}
    if "time" not in header or "value" not in header or not (
            "stream_id" in header or {"asset", "metric"} <= header):
        raise Invalid("En-tête CSV attendu : stream_id,time,value ou asset,metric,time,value "
                      "(asset ou asset_ref ; colonne quality facultative).")
    unknown = sorted(header - set(CSV_COLUMNS))
    if unknown:
        raise Invalid(f"En-tête CSV : colonne inconnue « {unknown[0]} » (attendues : "
                      f"{', '.join(CSV_COLUMNS)}).")
    if len(table.records) > MAX_BATCH:
        raise TooLarge(f"Lot de {len(table.records)} observations : {MAX_BATCH} au plus par "
                       "requête ; découpez-le en plusieurs lots.", extra={"max_batch": MAX_BATCH})
    batch = CsvBatch([], [], [], len(table.records), table.encoding)
    for record in table.records:
        row = record.values
        if row is None:
            batch.rejected.append({"index": record.index, "line": record.line,
                                   "reason": record.problem})
            continue
        item: dict[str, Any] = {"time": row["time"]}
        if row.get("asset") and row.get("metric"):
            # (an exported row: its stream_id is the exporting instance's, the pair names
            # the stream in any instance, this one included)
            item["asset"], item["metric"] = row["asset"], row["metric"]
        elif row.get("stream_id"):
            sid = row["stream_id"]
            item["stream_id"] = int(sid) if sid.isdigit() else sid
        else:
            item["asset"], item["metric"] = row.get("asset"), row.get("metric")
        try:
            item["value"] = float(row["value"].replace(",", "."))
        except ValueError:
            item["value"] = row["value"]
        if row.get("quality"):
            item["quality"] = row["quality"]
        batch.items.append(item)
        batch.origins.append((record.index, record.line))
    return batch


def _csv_column(name: str) -> str:
    return "asset" if name == "asset_ref" else name


def ingest_csv(scope: TenantScope, conn: Connection, registry: Registry,
               batch: CsvBatch) -> IngestReport:
    """Store the readable records of a CSV history; every rejected record (malformed or
    invalid) is reported with its index among the records and its line in the file."""
    report = ingest(scope, conn, registry, batch.items)
    report.received = batch.total
    report.encoding = batch.encoding
    located = [{"index": batch.origins[r["index"]][0], "line": batch.origins[r["index"]][1],
                "reason": r["reason"]} for r in report.rejected]
    report.rejected = sorted(located + batch.rejected, key=lambda r: r["index"])
    return report
