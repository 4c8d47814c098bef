"""Rules at work: evaluated on each stored batch of observations, and the periodic
no-data check.

On ingest, only the streams of the batch that some enabled rule watches are looked
at; the rules of a tenant are cached per process and reloaded when the tenant's
rules version changes (one primary-key read per batch). Each (rule, stream) pair
keeps its state in ``alert_rule_states`` (pending since, active, recent points), so
evaluation is incremental and survives restarts. Points older than what the stream
already held (late data) do not move rules: alerts follow the live edge of the data.

Opening and resolution times are the times of the observations that caused them
(see rules.py for each kind); the no-data check opens its alert at the time the
stream fell silent plus the allowed silence.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson
from sqlalchemy import Connection, and_, or_, select

from ...storage import schema
from ...storage.database import Database
from ..clock import format_instant
from ..devices import SILENT_AFTER_INTERVALS
from ..registry import Registry
from .alerts import Trigger, clear_alert, raise_alert, rule_key
from .detector_spec import DetailField
from .rules import rules_version


@dataclass(frozen=True)
class Rule:
    id: int
    tenant_id: int
    name: str
    kind: str
    stream_id: int | None
    metric: str | None
    asset_kind: str | None
    commune: str | None
    params: dict[str, Any]
    severity: str
    renotify_after_s: int
    created_at: int

    def watches(self, stream: Any) -> bool:
        if self.stream_id is not None:
            return stream.id == self.stream_id
        return (stream.metric == self.metric
                and (self.asset_kind is None or stream.kind == self.asset_kind)
                and (self.commune is None or stream.commune_insee == self.commune))


@dataclass
class State:
    pending_since: int | None = None
    active: bool = False
    recent: list[list[float]] = field(default_factory=list)
    changed: bool = False


# (database URL, tenant) -> (rules version, enabled rules)
_cache: dict[tuple[str, int], tuple[int, list[Rule]]] = {}
_cache_lock = threading.Lock()


def _rule(row: Any) -> Rule:
    return Rule(row.id, row.tenant_id, row.name, row.kind, row.stream_id, row.metric,
                row.asset_kind, row.commune_insee, orjson.loads(row.params), row.severity,
                row.renotify_after_s, row.created_at)


def tenant_rules(db: Database, conn: Connection, tenant_id: int) -> list[Rule]:
    """The tenant's enabled rules, from this process's cache while they are unchanged."""
    version = rules_version(conn, tenant_id)
    with _cache_lock:
        cached = _cache.get((db.url, tenant_id))
    if cached is not None and cached[0] == version:
        return cached[1]
    rules: list[Rule] = []
    if version:
        r = schema.alert_rules
        rules = [_rule(row) for row in conn.execute(select(r).where(
            r.c.tenant_id == tenant_id, r.c.enabled.is_(True)).order_by(r.c.id))]
    with _cache_lock:
        _cache[(db.url, tenant_id)] = (version, rules)
    return rules


def _stream_info(conn: Connection, tenant_id: int, stream_ids: Sequence[int]) -> dict[int, Any]:
    """Metric, asset, asset kind, commune and name of each stream."""
    s, a = schema.streams, schema.assets
    out: dict[int, Any] = {}
    ids = sorted(stream_ids)
    for start in range(0, len(ids), 500):
        query = (select(s.c.id, s.c.metric, s.c.unit, s.c.asset_id, s.c.last_t, s.c.created_at,
                        s.c.device_id, a.c.kind, a.c.commune_insee, a.c.name)
                 .join(a, and_(a.c.tenant_id == s.c.tenant_id, a.c.id == s.c.asset_id))
                 .where(s.c.tenant_id == tenant_id, s.c.id.in_(ids[start:start + 500])))
        out.update({row.id: row for row in conn.execute(query)})
    return out


def _load_states(conn: Connection, tenant_id: int,
                 pairs: list[tuple[Rule, Any]]) -> dict[tuple[int, int], State]:
    """States of the given (rule, stream) pairs. Only pairs away from rest are stored
    (active, pending, or with a window of recent points), so this reads few rows."""
    st = schema.alert_rule_states
    wanted = {(rule.id, stream.id) for rule, stream in pairs}
    states: dict[tuple[int, int], State] = {}
    for row in conn.execute(select(st.c.rule_id, st.c.stream_id, st.c.pending_since,
                                   st.c.active, st.c.recent)
                            .where(st.c.tenant_id == tenant_id)):
        if (row.rule_id, row.stream_id) in wanted:
            states[(row.rule_id, row.stream_id)] = State(
                row.pending_since, bool(row.active), orjson.loads(row.recent or "[]"))
    return states


def _save_states(db: Database, conn: Connection, tenant_id: int,
                 states: dict[tuple[int, int], State]) -> None:
    """Write the changed states; a state back at rest is deleted."""
    ph = "?" if db.is_sqlite else "%s"
    changed = [(key, s) for key, s in states.items() if s.changed]
    at_rest = [(tenant_id, rule_id, stream_id) for (rule_id, stream_id), s in changed
               if not s.active and s.pending_since is None and not s.recent]
    busy = [(tenant_id, rule_id, stream_id, s.pending_since, s.active,
             orjson.dumps(s.recent).decode() if s.recent else None)
            for (rule_id, stream_id), s in changed
            if s.active or s.pending_since is not None or s.recent]
    if at_rest:
        conn.exec_driver_sql(f"DELETE FROM alert_rule_states WHERE tenant_id = {ph} AND "
                             f"rule_id = {ph} AND stream_id = {ph}", at_rest)
    if busy:
        conn.exec_driver_sql(
            "INSERT INTO alert_rule_states (tenant_id, rule_id, stream_id, pending_since, "
            f"active, recent) VALUES ({ph}, {ph}, {ph}, {ph}, {ph}, {ph}) "
            "ON CONFLICT (tenant_id, rule_id, stream_id) DO UPDATE SET "
            "pending_since = excluded.pending_since, active = excluded.active, "
            "recent = excluded.recent", busy)


# -- the kinds of rules: (params, state, times, values) -> [(time, raised?, details)] ------------
# Every key the rules put in an alert's details (``_apply`` adds metric, unit and time).
RULE_DETAILS = (
    DetailField("metric", "Mesure", "metric"),
    DetailField("value", "Valeur mesurée", unit_from="unit", digits=3),
    DetailField("time", "Instant de la mesure", "instant"),
    DetailField("operator", "Seuil franchi", "choice",
                choices={"above": "au-dessus du seuil", "below": "en dessous du seuil"}),
    DetailField("threshold", "Seuil", unit_from="unit", digits=3),
    DetailField("since", "Seuil franchi depuis", "instant"),
    DetailField("direction", "Sens de la variation", "choice",
                choices={"rise": "hausse", "fall": "baisse"}),
    DetailField("change", "Variation", unit_from="unit", digits=3),
    DetailField("amount", "Variation admise", unit_from="unit", digits=3),
    DetailField("window_s", "Sur une durée de", "duration"),
    DetailField("state", "État mesuré", "state"),
    DetailField("silent_since", "Silencieux depuis", "instant"),
    DetailField("allowed_s", "Silence admis", "duration"),
    DetailField("last_value_time", "Dernière mesure reçue", "instant"),
    DetailField("unit", "Unité", "text", shown=False),
)


def _threshold(p: dict[str, Any], state: State, ts: Sequence[int], vs: Sequence[float]) -> list:
    above, limit = p["operator"] == "above", p["value"]
    hysteresis, duration = p.get("hysteresis", 0), p.get("min_duration_s", 0) * 1000
    if not state.active and state.pending_since is None and (
            max(vs) <= limit if above else min(vs) >= limit):
        return []  # the common case: nothing crossed
    out = []
    for t, v in zip(ts, vs, strict=True):
        if state.active:
            if (v <= limit - hysteresis) if above else (v >= limit + hysteresis):
                state.active, state.pending_since, state.changed = False, None, True
                out.append((t, False, {"value": v}))
        elif (v > limit) if above else (v < limit):
            if state.pending_since is None:
                state.pending_since, state.changed = t, True
            if t - state.pending_since >= duration:
                state.active, state.changed = True, True
                out.append((t, True, {"value": v, "operator": p["operator"], "threshold": limit,
                                      "since": format_instant(state.pending_since)}))
        elif state.pending_since is not None:
            state.pending_since, state.changed = None, True
    return out


def _rate_of_change(p: dict[str, Any], state: State, ts: Sequence[int],
                    vs: Sequence[float]) -> list:
    rise, amount, window = p["direction"] == "rise", p["amount"], p["window_s"] * 1000
    recent = state.recent
    out = []
    for t, v in zip(ts, vs, strict=True):
        recent.append([t, v])
        while recent[0][0] < t - window:
            recent.pop(0)
        values = [x[1] for x in recent]
        change = v - min(values) if rise else max(values) - v
        if change > amount and not state.active:
            state.active = True
            out.append((t, True, {"value": v, "change": round(change, 9),
                                  "direction": p["direction"], "amount": amount,
                                  "window_s": p["window_s"]}))
        elif change <= amount and state.active:
            state.active = False
            out.append((t, False, {"value": v, "change": round(change, 9)}))
    state.changed = True
    return out


def _state_change(p: dict[str, Any], state: State, ts: Sequence[int],
                  vs: Sequence[float]) -> list:
    watched = set(p["states"])
    out = []
    for t, v in zip(ts, vs, strict=True):
        inside = int(v) in watched
        if inside != state.active:
            state.active, state.changed = inside, True
            out.append((t, inside, {"value": v, "state": int(v)}))
    return out


def _no_data_on_ingest(p: dict[str, Any], state: State, ts: Sequence[int],
                       vs: Sequence[float]) -> list:
    if not state.active:
        return []
    state.active, state.changed = False, True
    return [(ts[0], False, {"value": vs[0]})]


KIND_FUNCTIONS = {"threshold": _threshold, "rate_of_change": _rate_of_change,
                  "state_change": _state_change, "no_data": _no_data_on_ingest}


def _apply(db: Database, conn: Connection, registry: Registry, rule: Rule, stream: Any,
           transitions: list) -> None:
    key = rule_key(rule.id, stream.asset_id)
    for t, raised, details in transitions:
        details = {"metric": stream.metric, "unit": stream.unit, "time": format_instant(t),
                   **details}
        if raised:
            raise_alert(db, conn, registry, rule.tenant_id, Trigger(
                key=key, severity=rule.severity, title=f"{rule.name} — {stream.name}", at=t,
                asset_id=stream.asset_id, stream_id=stream.id, rule_id=rule.id,
                details=details, renotify_after_s=rule.renotify_after_s))
        else:
            clear_alert(db, conn, rule.tenant_id, key, t, details)


@dataclass(frozen=True)
class _StreamRef:
    """A stream known by its id only (rules that name their stream need no more)."""

    id: int


def on_observations(db: Database, conn: Connection, registry: Registry, tenant_id: int,
                    series: dict[int, tuple[Sequence[int], Sequence[float]]],
                    previous_last: dict[int, Any]) -> None:
    """Evaluate the tenant's rules on a stored batch: ``series`` maps each stream to its
    new points sorted by time; ``previous_last`` is each stream's last time before."""
    rules = tenant_rules(db, conn, tenant_id)
    if not rules:
        return
    by_stream: dict[int, list[Rule]] = {}
    by_metric: dict[str, list[Rule]] = {}
    for rule in rules:
        if rule.stream_id is not None:
            by_stream.setdefault(rule.stream_id, []).append(rule)
        else:
            by_metric.setdefault(rule.metric or "", []).append(rule)
    if by_metric:  # matching by metric, kind and commune needs the streams' assets
        info = _stream_info(conn, tenant_id, list(series))
        pairs = [(rule, stream) for stream in info.values()
                 for rule in by_stream.get(stream.id, []) + by_metric.get(stream.metric, [])
                 if rule.watches(stream)]
    else:
        info = {}
        pairs = [(rule, _StreamRef(sid)) for sid in series for rule in by_stream.get(sid, ())]
    if not pairs:
        return
    states = _load_states(conn, tenant_id, pairs)
    for rule, stream in pairs:
        ts, vs = series[stream.id]
        last = previous_last.get(stream.id)
        if last is not None and ts[-1] <= last:
            continue  # late data only
        if last is not None and ts[0] <= last:
            keep = [i for i, t in enumerate(ts) if t > last]
            ts, vs = [ts[i] for i in keep], [vs[i] for i in keep]
        state = states.setdefault((rule.id, stream.id), State())
        transitions = KIND_FUNCTIONS[rule.kind](rule.params, state, ts, vs)
        if transitions:
            if stream.id not in info:
                info.update(_stream_info(conn, tenant_id, [stream.id]))
            _apply(db, conn, registry, rule, info[stream.id], transitions)
    _save_states(db, conn, tenant_id, states)


# -- the periodic no-data check ------------------------------------------------------------------
def check_no_data(db: Database, registry: Registry, now: int) -> int:
    """Raise a no-data alert for every watched stream silent for longer than allowed;
    returns the number of alerts raised."""
    r = schema.alert_rules
    with db.read() as conn:
        tenant_ids = sorted({row.tenant_id for row in conn.execute(
            select(r.c.tenant_id).where(r.c.kind == "no_data", r.c.enabled.is_(True)))})
    raised = 0
    for tenant_id in tenant_ids:
        with db.write() as conn:
            raised += _check_tenant(db, conn, registry, tenant_id, now)
    return raised


def _check_tenant(db: Database, conn: Connection, registry: Registry, tenant_id: int,
                  now: int) -> int:
    rules = [rule for rule in tenant_rules(db, conn, tenant_id) if rule.kind == "no_data"]
    if not rules:
        return 0
    s, a, d = schema.streams, schema.assets, schema.devices
    clauses = []
    for rule in rules:
        if rule.stream_id is not None:
            clauses.append(s.c.id == rule.stream_id)
        else:
            clause = s.c.metric == rule.metric
            if rule.asset_kind:
                clause = and_(clause, a.c.kind == rule.asset_kind)
            if rule.commune:
                clause = and_(clause, a.c.commune_insee == rule.commune)
            clauses.append(clause)
    query = (select(s.c.id, s.c.metric, s.c.unit, s.c.asset_id, s.c.last_t, s.c.created_at,
                    a.c.kind, a.c.commune_insee, a.c.name, d.c.expected_interval_s)
             .join(a, and_(a.c.tenant_id == s.c.tenant_id, a.c.id == s.c.asset_id))
             .outerjoin(d, and_(d.c.tenant_id == s.c.tenant_id, d.c.id == s.c.device_id))
             .where(s.c.tenant_id == tenant_id, or_(*clauses)))
    streams = list(conn.execute(query))
    pairs = [(rule, stream) for stream in streams for rule in rules if rule.watches(stream)]
    if not pairs:
        return 0
    states = _load_states(conn, tenant_id, pairs)
    raised = 0
    for rule, stream in pairs:
        state = states.setdefault((rule.id, stream.id), State())
        if state.active:
            continue
        allowed_s = rule.params.get("after_s") or (
            SILENT_AFTER_INTERVALS * stream.expected_interval_s
            if stream.expected_interval_s else None)
        if allowed_s is None:
            continue  # no expected rhythm known for this stream
        silent_since = stream.last_t if stream.last_t is not None else max(
            stream.created_at, rule.created_at)
        due = silent_since + allowed_s * 1000
        if now < due:
            continue
        state.active, state.changed = True, True
        _apply(db, conn, registry, rule, stream, [(due, True, {
            "silent_since": format_instant(silent_since), "allowed_s": allowed_s,
            "last_value_time": format_instant(stream.last_t)})])
        raised += 1
    _save_states(db, conn, tenant_id, states)
    return raised
