"""Alert rules: what to watch, and when to raise an alert.

A rule watches one stream (``stream_id``) or every stream of a metric (``metric``),
optionally only those of one asset kind (``asset_kind``) and/or one commune
(``commune``). Its ``params`` depend on its kind:

- ``threshold``: ``{"operator": "above"|"below", "value": 3.2, "hysteresis": 0.1,
  "min_duration_s": 600}`` — raised at the first observation at which the value has
  been beyond ``value`` for ``min_duration_s`` (0: at once); resolved at the first
  observation back on the right side of ``value`` by at least ``hysteresis``.
- ``rate_of_change``: ``{"direction": "rise"|"fall", "amount": 0.10, "window_s": 3600}``
  — raised when the value has risen (fallen) by more than ``amount`` (unit of the
  metric) within the last ``window_s`` seconds, e.g. a river rising by more than 10 cm
  in an hour; resolved when that is no longer the case.
- ``no_data``: ``{"after_s": 3600}`` — raised when a stream has received nothing for
  ``after_s`` (default: 3 × the expected interval of the stream's device), at the
  time it fell silent plus ``after_s``; resolved by its next observation.
- ``state_change``: ``{"states": [2, 3]}`` — on a state stream, raised when the state
  enters one of ``states``, resolved when it leaves them.

Each change of a tenant's rules bumps its rules version, so that every process
(web server, MQTT worker) reloads them before its next batch.
"""

from __future__ import annotations

import math
from typing import Any

import orjson
from sqlalchemy import Connection, delete, select, update

from ...storage import schema
from ..access import TenantScope
from ..clock import DAY_MS, format_instant, now_ms
from ..errors import Invalid, NotFound
from ..registry import Registry
from ..storable import is_id
from .alerts import SEVERITIES

KINDS = {"threshold": "seuil", "rate_of_change": "variation rapide",
         "no_data": "absence de données", "state_change": "changement d'état"}
FIELDS = {"name", "kind", "stream_id", "metric", "asset_kind", "commune", "params",
          "severity", "enabled", "renotify_after_s"}
DEFAULT_RENOTIFY_S = 3600
MAX_RENOTIFY_S = 7 * DAY_MS // 1000


def version_counter(tenant_id: int) -> str:
    """Name of the id counter bumped at each change of a tenant's rules."""
    return f"alert_rules:{tenant_id}"


def rules_version(conn: Connection, tenant_id: int) -> int:
    """Asked by every observation store (whether the cached rules still hold): plain SQL."""
    ph = "?" if conn.dialect.name == "sqlite" else "%s"
    row = conn.exec_driver_sql(f"SELECT next_value FROM id_counters WHERE name = {ph}",
                               (version_counter(tenant_id),)).first()
    return int(row[0]) if row else 0


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _seconds(value: Any, minimum: int = 1) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= minimum


def _check_params(kind: str, params: Any, metric: Any, errors: list[dict[str, str]]) -> dict:
    if not isinstance(params, dict):
        errors.append({"field": "params", "message": "objet attendu"})
        return {}
    allowed = {"threshold": {"operator", "value", "hysteresis", "min_duration_s"},
               "rate_of_change": {"direction", "amount", "window_s"},
               "no_data": {"after_s"},
               "state_change": {"states"}}[kind]
    for key in sorted(set(params) - allowed):
        errors.append({"field": f"params.{key}",
                       "message": "paramètre inconnu (attendus : " + ", ".join(sorted(allowed))
                                  + ")"})
    out: dict[str, Any] = {}

    def need(key: str, ok, message: str, default: Any = None, required: bool = True) -> None:
        if key not in params or params[key] is None:
            if required:
                errors.append({"field": f"params.{key}", "message": f"obligatoire : {message}"})
            elif default is not None:
                out[key] = default
        elif not ok(params[key]):
            errors.append({"field": f"params.{key}", "message": message})
        else:
            out[key] = params[key]

    if kind == "threshold":
        need("operator", lambda v: v in ("above", "below"), "« above » ou « below »")
        need("value", _number, "nombre attendu")
        need("hysteresis", lambda v: _number(v) and v >= 0, "nombre ≥ 0", 0, required=False)
        need("min_duration_s", lambda v: _seconds(v, 0), "secondes (entier ≥ 0)", 0,
             required=False)
    elif kind == "rate_of_change":
        need("direction", lambda v: v in ("rise", "fall"), "« rise » ou « fall »")
        need("amount", lambda v: _number(v) and v > 0, "nombre > 0")
        need("window_s", lambda v: _seconds(v) and v <= 7 * 86_400,
             "secondes (entier de 1 à 604 800)")
    elif kind == "no_data":
        need("after_s", lambda v: _seconds(v, 60), "secondes (entier ≥ 60)", required=False)
    elif kind == "state_change":
        need("states", lambda v: isinstance(v, list) and v and all(
            isinstance(x, int) and not isinstance(x, bool) for x in v),
            "liste non vide d'états (entiers)")
        known = dict(getattr(metric, "states", {}) or {})
        if "states" in out and known:
            unknown = [s for s in out["states"] if s not in known]
            if unknown:
                errors.append({"field": "params.states", "message": "états inconnus pour "
                               f"« {metric.key} » : {unknown} (connus : {sorted(known)})"})
    if metric is not None:
        if kind == "state_change" and metric.kind != "state":
            errors.append({"field": "kind", "message": f"« {metric.key} » n'est pas une mesure "
                                                       "d'état"})
        if kind in ("threshold", "rate_of_change") and metric.kind == "state":
            errors.append({"field": "kind", "message": f"« {metric.key} » est une mesure "
                                                       "d'état : utilisez state_change"})
    return out


def _check(scope: TenantScope, conn: Connection, registry: Registry, data: Any,
           current: Any | None) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise Invalid("Objet JSON attendu.")
    merged = dict(data)
    if current is not None:  # a partial update is checked as the whole rule it makes
        base = {"name": current.name, "kind": current.kind, "stream_id": current.stream_id,
                "metric": current.metric, "asset_kind": current.asset_kind,
                "commune": None if current.stream_id is not None else current.commune_insee,
                "params": orjson.loads(current.params),
                "severity": current.severity, "enabled": current.enabled,
                "renotify_after_s": current.renotify_after_s}
        if "kind" in data and data["kind"] != current.kind and "params" not in data:
            base["params"] = {}
        merged = {**base, **data}
    errors: list[dict[str, str]] = [{"field": k, "message": "champ inconnu"}
                                    for k in sorted(set(data) - FIELDS)]
    values: dict[str, Any] = {}
    name = merged.get("name")
    if not isinstance(name, str) or not name.strip() or len(name) > 200:
        errors.append({"field": "name", "message": "nom de 1 à 200 caractères attendu"})
    else:
        values["name"] = name.strip()
    kind = merged.get("kind")
    if not isinstance(kind, str):
        kind = None  # an object or a list names no kind (and is no dictionary key)
    if kind not in KINDS:
        errors.append({"field": "kind", "message": "threshold, rate_of_change, no_data ou "
                                                   "state_change attendu"})
    values["kind"] = kind
    metric = None
    stream_id, metric_key = merged.get("stream_id"), merged.get("metric")
    if (stream_id is None) == (metric_key is None):
        errors.append({"field": "stream_id", "message": "indiquez soit « stream_id » (un flux), "
                                                        "soit « metric » (tous ses flux)"})
    elif stream_id is not None:
        if not is_id(stream_id):
            errors.append({"field": "stream_id", "message": "identifiant de flux attendu"})
        else:
            try:
                stream = scope.stream(conn, stream_id)
                metric = registry.metrics.get(stream.metric)
            except NotFound as exc:
                errors.append({"field": "stream_id", "message": exc.detail})
        for key in ("asset_kind", "commune"):
            if merged.get(key) is not None:
                errors.append({"field": key, "message": "seulement avec « metric »"})
    else:
        metric = registry.metrics.get(metric_key) if isinstance(metric_key, str) else None
        if metric is None:
            errors.append({"field": "metric", "message": f"mesure inconnue « {metric_key} »"})
        kind_key = merged.get("asset_kind")
        if kind_key is not None and (not isinstance(kind_key, str)
                                     or kind_key not in registry.asset_kinds):
            errors.append({"field": "asset_kind", "message": f"type inconnu « {kind_key} »"})
        commune = merged.get("commune")
        if commune is not None:
            c = schema.communes
            if not isinstance(commune, str) or conn.execute(select(c.c.insee).where(
                    scope.commune_visible(), c.c.insee == commune)).first() is None:
                errors.append({"field": "commune", "message": f"commune « {commune} » "
                                                              "inconnue dans ce territoire"})
    # A stream rule is filed under its stream's commune, so that members limited to some
    # communes see (and may only write) the rules of their communes.
    commune = (_stream_commune(conn, scope, stream_id) if metric_key is None
               else merged.get("commune"))
    if scope.communes is not None and not errors:
        scope.require_commune(commune)
    values.update(stream_id=stream_id if metric_key is None else None,
                  metric=metric_key if stream_id is None else None,
                  asset_kind=merged.get("asset_kind") if stream_id is None else None,
                  commune_insee=commune)
    if kind in KINDS:
        values["params"] = orjson.dumps(_check_params(kind, merged.get("params") or {}, metric,
                                                      errors)).decode()
    severity = merged.get("severity", "warning")
    if not isinstance(severity, str) or severity not in SEVERITIES:
        errors.append({"field": "severity", "message": "info, warning ou critical"})
    values["severity"] = severity
    enabled = merged.get("enabled", True)
    if not isinstance(enabled, bool):
        errors.append({"field": "enabled", "message": "true ou false"})
    values["enabled"] = enabled
    renotify = merged.get("renotify_after_s", DEFAULT_RENOTIFY_S)
    if not _seconds(renotify, 0) or renotify > MAX_RENOTIFY_S:
        errors.append({"field": "renotify_after_s",
                       "message": f"secondes (entier de 0 à {MAX_RENOTIFY_S})"})
    values["renotify_after_s"] = renotify
    if errors:
        raise Invalid("Règle d'alerte invalide.", errors=errors)
    return values


def _stream_commune(conn: Connection, scope: TenantScope, stream_id: Any) -> str | None:
    if not is_id(stream_id):
        return None
    s, a = schema.streams, schema.assets
    row = conn.execute(select(a.c.commune_insee).join(
        s, (s.c.tenant_id == a.c.tenant_id) & (s.c.asset_id == a.c.id)).where(
        s.c.tenant_id == scope.tenant_id, s.c.id == stream_id)).first()
    return row.commune_insee if row else None


def _bump(scope: TenantScope, conn: Connection) -> None:
    scope.db.allocate_ids(conn, version_counter(scope.tenant_id))


def _visible(scope: TenantScope):
    r = schema.alert_rules
    clause = scope.owns(r)
    if scope.communes is not None:
        clause = clause & r.c.commune_insee.in_(sorted(scope.communes))
    return clause


def list_rules(scope: TenantScope, conn: Connection) -> list[Any]:
    scope.require("read")
    if scope.role == "public":
        return []
    r = schema.alert_rules
    return list(conn.execute(select(r).where(_visible(scope)).order_by(r.c.id)))


def get_rule(scope: TenantScope, conn: Connection, rule_id: int) -> Any:
    scope.require("read")
    r = schema.alert_rules
    row = None if scope.role == "public" else conn.execute(
        select(r).where(_visible(scope), r.c.id == rule_id)).first()
    if row is None:
        raise NotFound(f"Règle d'alerte {rule_id} introuvable dans ce territoire.")
    return row


def create_rule(scope: TenantScope, conn: Connection, registry: Registry, data: Any) -> Any:
    scope.require("write")
    values = _check(scope, conn, registry, data, None)
    rule_id = scope.db.allocate_ids(conn, "alert_rules")
    now = now_ms()
    conn.execute(schema.alert_rules.insert().values(
        tenant_id=scope.tenant_id, id=rule_id, created_by=scope.principal.user_id,
        created_at=now, updated_at=now, **values))
    _bump(scope, conn)
    scope.audit(conn, "create", "alert_rule", rule_id, data)
    return get_rule(scope, conn, rule_id)


def update_rule(scope: TenantScope, conn: Connection, registry: Registry, rule_id: int,
                data: Any) -> Any:
    scope.require("write")
    current = get_rule(scope, conn, rule_id)
    values = _check(scope, conn, registry, data, current)
    if not data:  # an empty change (``{}``) changes nothing
        return current
    r, st = schema.alert_rules, schema.alert_rule_states
    conn.execute(update(r).where(scope.owns(r), r.c.id == rule_id)
                 .values(updated_at=now_ms(), **values))
    if any(values[k] != getattr(current, k) for k in ("kind", "params", "stream_id", "metric",
                                                     "asset_kind", "commune_insee")):
        # A changed condition starts afresh (its open alerts stay until they clear).
        conn.execute(delete(st).where(st.c.tenant_id == scope.tenant_id, st.c.rule_id == rule_id))
    _bump(scope, conn)
    scope.audit(conn, "update", "alert_rule", rule_id, data)
    return get_rule(scope, conn, rule_id)


def delete_rule(scope: TenantScope, conn: Connection, rule_id: int) -> None:
    scope.require("write")
    get_rule(scope, conn, rule_id)
    r, st = schema.alert_rules, schema.alert_rule_states
    conn.execute(delete(st).where(st.c.tenant_id == scope.tenant_id, st.c.rule_id == rule_id))
    conn.execute(delete(r).where(scope.owns(r), r.c.id == rule_id))
    _bump(scope, conn)
    scope.audit(conn, "delete", "alert_rule", rule_id)


def rule_public(row: Any) -> dict[str, Any]:
    return {"id": row.id, "name": row.name, "kind": row.kind, "kind_label": KINDS[row.kind],
            "stream_id": row.stream_id, "metric": row.metric, "asset_kind": row.asset_kind,
            "commune": row.commune_insee, "params": orjson.loads(row.params),
            "severity": row.severity, "enabled": bool(row.enabled),
            "renotify_after_s": row.renotify_after_s, "created_by": row.created_by,
            "created_at": format_instant(row.created_at),
            "updated_at": format_instant(row.updated_at)}
