"""Commands: an order for the device of an asset, followed until it is settled.

Domains declare the actions they offer as ``CommandSpec`` objects in
``Domain.commands``; core validates a request against the spec (asset kind,
parameters typed like asset properties) and runs one state machine for every
command, whatever the domain and the transport.

States and the only transitions allowed (``TRANSITIONS``)::

    from \\ event  activate   send  acknowledge  retry      fail    expire   cancel
    scheduled      requested   -        -          -          -     expired  cancelled
    requested         -       sent  acknowledged requested  failed  expired  cancelled
    sent              -        -    acknowledged requested  failed  expired     -

``acknowledged``, ``failed``, ``expired`` and ``cancelled`` are final: nothing
leaves them. Every transition writes its timestamp (``sent_at``,
``acknowledged_at``, ``finished_at`` or ``next_attempt_at``) and an audit entry:
people's actions through ``TenantScope.audit``, the dispatcher's and the
devices' with no user and an ``actor`` in the details.

Choices worth knowing:

- *Nothing stays pending forever*: every command gets ``expires_at`` (its spec's
  ``ttl_s`` after it becomes due) and ``expire_due`` closes whatever passed it.
- *Retries*: a failed hand-over (network server down, MQTT unavailable) or a
  confirmed downlink the device did not acknowledge goes back to ``requested``
  with an exponential back-off (30 s, 60 s, 120 s… capped at 30 min) until
  ``max_attempts`` hand-overs were made, then ``failed``. Refusals that a retry
  cannot fix (unknown device, bad API key, device answered "error") fail at once.
- ``requested → acknowledged`` is allowed because a fast device's answer can
  overtake the dispatcher's own bookkeeping of the hand-over.
- *Cancel*: only ``scheduled`` and ``requested`` commands. A ``sent`` one is
  already in the network server's queue or the device's hands and cannot be
  recalled reliably, so it runs to acknowledgement, failure or expiry.
  Cancelling one occurrence of a recurring command stops the series.
- *Schedules*: ``not_before`` (ISO 8601) delays a command; ``recurrence``
  repeats it, in the tenant's time zone, with a deliberately small syntax:
  ``daily HH:MM`` or ``weekly DAY HH:MM`` (DAY = MON…SUN, or LUN…DIM). When an
  occurrence becomes due, the next one is created. A local time that does not
  exist (spring-forward) runs one hour later; an ambiguous one (fall-back) runs
  at its first instance.
- The device is the one given as ``device_id`` or else the asset's attached
  device with the lowest id; the dispatcher re-resolves it at send time so that
  a swapped device receives the programmes of its asset.
- *What an asset can receive* (``available_actions``, ``GET …/assets/{id}/commands/
  available``) is decided by the same rule that refuses a command (``receiver``): the
  action applies to the asset's kind and a device is attached to receive it. People are
  offered only those actions, and told why not the others, before they confirm anything.
  A spec may word the missing-device reason for its domain (``no_device_reason``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import orjson
from sqlalchemy import Connection, and_, select, update

from ..storage import schema
from ..storage.database import Database
from .access import TenantScope
from .audit import write_audit
from .clock import format_instant, now_ms, parse_instant
from .command_spec import CommandSpec
from .errors import Conflict, Forbidden, Invalid, NotFound, Unauthorized
from .properties import TYPE_LABELS, check_value, property_schema
from .registry import Registry

STATUSES = ("scheduled", "requested", "sent", "acknowledged", "failed", "expired", "cancelled")
PENDING = ("scheduled", "requested", "sent")
FINISHED = ("acknowledged", "failed", "expired", "cancelled")
STATUS_LABELS = {"scheduled": "programmée", "requested": "demandée", "sent": "transmise",
                 "acknowledged": "acquittée", "failed": "en échec", "expired": "expirée",
                 "cancelled": "annulée"}
EVENT_LABELS = {"activate": "activée", "send": "transmise", "acknowledge": "acquittée",
                "retry": "renvoyée", "fail": "mise en échec", "expire": "expirée",
                "cancel": "annulée"}
TRANSITIONS: dict[tuple[str, str], str] = {
    ("scheduled", "activate"): "requested",
    ("scheduled", "expire"): "expired",
    ("scheduled", "cancel"): "cancelled",
    ("requested", "send"): "sent",
    ("requested", "acknowledge"): "acknowledged",
    ("requested", "retry"): "requested",
    ("requested", "fail"): "failed",
    ("requested", "expire"): "expired",
    ("requested", "cancel"): "cancelled",
    ("sent", "acknowledge"): "acknowledged",
    ("sent", "retry"): "requested",
    ("sent", "fail"): "failed",
    ("sent", "expire"): "expired",
}
RETRY_BASE_MS = 30_000
RETRY_CAP_MS = 30 * 60_000
CLAIM_LEASE_MS = 60_000  # a claimed command is retried if its sender died mid-way
COMMAND_FIELDS = {"asset_id", "action", "params", "device_id", "not_before", "recurrence"}


class InvalidTransition(Conflict):
    """The state machine refuses this event in the command's current state."""


def next_status(status: str, event: str) -> str:
    """The state after ``event``, or InvalidTransition (French message)."""
    try:
        return TRANSITIONS[(status, event)]
    except KeyError:
        raise InvalidTransition(
            f"Une commande {STATUS_LABELS.get(status, status)} ne peut pas être "
            f"{EVENT_LABELS.get(event, event)}.") from None


def retry_delay_ms(attempts: int) -> int:
    """Back-off before the next hand-over, after ``attempts`` (≥ 1) hand-overs."""
    return min(RETRY_CAP_MS, RETRY_BASE_MS * 2 ** max(0, attempts - 1))


def command_specs(registry: Registry) -> dict[str, CommandSpec]:
    """Every action the loaded domains declare, by key."""
    return {spec.key: spec for domain in registry.domains.values() for spec in domain.commands}


def spec_public(spec: CommandSpec, registry: Registry) -> dict[str, Any]:
    """An action as API clients see it: its parameters as JSON Schema."""
    props = {p.name: property_schema(p) for p in spec.params}
    domain = next((d.key for d in registry.domains.values() if spec in d.commands), None)
    return {"key": spec.key, "label": spec.label, "domain": domain,
            "asset_kinds": list(spec.asset_kinds), "ttl_s": spec.ttl_s,
            "confirmed": spec.confirmed, "max_attempts": spec.max_attempts,
            "encodings": sorted({e.transport for e in spec.encodings}),
            "params": {"type": "object", "properties": props,
                       "required": [p.name for p in spec.params if p.required],
                       "additionalProperties": False}}


# -- recurrence -------------------------------------------------------------------------
_DAYS = {"MON": 0, "TUE": 1, "WED": 2, "THU": 3, "FRI": 4, "SAT": 5, "SUN": 6,
         "LUN": 0, "MAR": 1, "MER": 2, "JEU": 3, "VEN": 4, "SAM": 5, "DIM": 6}
_DAY_NAMES = ("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN")
_RECURRENCE_RE = re.compile(r"^\s*(daily|weekly\s+([A-Za-z]{3}))\s+(\d{1,2}):(\d{2})\s*$",
                            re.IGNORECASE)


def parse_recurrence(text: Any) -> tuple[int | None, int, int]:
    """(weekday or None for daily, hour, minute); ValueError in French."""
    hint = "« daily HH:MM » ou « weekly JOUR HH:MM » (JOUR = MON…SUN ou LUN…DIM) attendu"
    match = _RECURRENCE_RE.match(text) if isinstance(text, str) else None
    if match is None:
        raise ValueError(f"récurrence « {str(text)[:40]} » illisible : {hint}")
    day_text, hour, minute = match.group(2), int(match.group(3)), int(match.group(4))
    if hour > 23 or minute > 59:
        raise ValueError(f"heure {hour:02d}:{minute:02d} invalide")
    if day_text is None:
        return None, hour, minute
    if day_text.upper() not in _DAYS:
        raise ValueError(f"jour « {day_text} » inconnu : {hint}")
    return _DAYS[day_text.upper()], hour, minute


def normalise_recurrence(text: str) -> str:
    weekday, hour, minute = parse_recurrence(text)
    if weekday is None:
        return f"daily {hour:02d}:{minute:02d}"
    return f"weekly {_DAY_NAMES[weekday]} {hour:02d}:{minute:02d}"


def next_occurrence(recurrence: str, after_ms: int, tz: ZoneInfo) -> int:
    """First occurrence strictly after ``after_ms`` (epoch ms), local wall-clock time."""
    weekday, hour, minute = parse_recurrence(recurrence)
    day = datetime.fromtimestamp(after_ms / 1000, tz=tz).date()
    for offset in range(9):
        candidate_day = day + timedelta(days=offset)
        if weekday is not None and candidate_day.weekday() != weekday:
            continue
        local = datetime.combine(candidate_day, time(hour, minute), tzinfo=tz)
        # A non-existent local time (spring-forward gap) is normalised one hour later.
        ms = int(local.timestamp() * 1000)
        if ms > after_ms:
            return ms
    raise AssertionError("unreachable: a week always holds the next occurrence")


def tenant_timezone(conn: Connection, tenant_id: int) -> ZoneInfo:
    row = conn.execute(select(schema.tenants.c.settings)
                       .where(schema.tenants.c.id == tenant_id)).first()
    settings = orjson.loads(row.settings) if row is not None else {}
    return ZoneInfo(settings.get("timezone") or "Europe/Paris")


# -- reading ------------------------------------------------------------------------------
def command_public(row: Any, registry: Registry | None = None) -> dict[str, Any]:
    doc = {"id": row.id, "asset_id": row.asset_id, "device_id": row.device_id,
           "action": row.action, "params": orjson.loads(row.params), "status": row.status,
           "status_label": STATUS_LABELS.get(row.status, row.status), "channel": row.channel,
           "requested_by": row.requested_by, "created_at": format_instant(row.created_at),
           "not_before": format_instant(row.not_before), "recurrence": row.recurrence,
           "expires_at": format_instant(row.expires_at), "sent_at": format_instant(row.sent_at),
           "acknowledged_at": format_instant(row.acknowledged_at),
           "finished_at": format_instant(row.finished_at), "attempts": row.attempts,
           "max_attempts": row.max_attempts,
           "next_attempt_at": format_instant(row.next_attempt_at)
           if row.status in ("scheduled", "requested") else None,
           "correlation": row.correlation, "error": row.error}
    if registry is not None:
        spec = command_specs(registry).get(row.action)
        doc["action_label"] = spec.label if spec else None
    return doc


def _require_member(scope: TenantScope) -> None:
    """Commands are operational data: members only, never the public."""
    scope.require("read")
    if scope.role in ("public", "device"):
        if scope.principal.is_anonymous:
            raise Unauthorized("Connexion requise pour consulter les commandes.")
        raise Forbidden("Les commandes ne sont visibles que des membres du territoire.")


def _visible(scope: TenantScope):
    """Commands of assets outside a commune-restricted scope are invisible."""
    c, a = schema.commands, schema.assets
    if scope.communes is None and scope.kinds is None:
        return scope.owns(c)
    return and_(scope.owns(c), c.c.asset_id.in_(select(a.c.id).where(scope.asset_visible())))


def list_commands(scope: TenantScope, conn: Connection, asset_id: int | None = None,
                  status: str | None = None, limit: int = 100) -> list[Any]:
    """Newest first."""
    _require_member(scope)
    if status is not None and status not in STATUSES:
        raise Invalid(f"État « {status} » inconnu (attendu : {', '.join(STATUSES)}).")
    if not 1 <= limit <= 1000:
        raise Invalid("« limit » doit être compris entre 1 et 1000.")
    c = schema.commands
    query = select(c).where(_visible(scope)).order_by(c.c.id.desc()).limit(limit)
    if asset_id is not None:
        query = query.where(c.c.asset_id == asset_id)
    if status is not None:
        query = query.where(c.c.status == status)
    return list(conn.execute(query))


def get_command(scope: TenantScope, conn: Connection, command_id: int) -> Any:
    _require_member(scope)
    c = schema.commands
    row = conn.execute(select(c).where(_visible(scope), c.c.id == command_id)).first()
    if row is None:
        raise NotFound(f"Commande {command_id} introuvable dans ce territoire.")
    return row


def _load(conn: Connection, tenant_id: int, command_id: int) -> Any:
    c = schema.commands
    return conn.execute(select(c).where(c.c.tenant_id == tenant_id,
                                        c.c.id == command_id)).first()


# -- creating -------------------------------------------------------------------------------
def validate_params(spec: CommandSpec, params: Any) -> tuple[dict[str, Any], list[dict[str, str]]]:
    """Clean parameters plus {field, message} errors, checked like asset properties."""
    if params is None:
        params = {}
    if not isinstance(params, dict):
        return {}, [{"field": "params", "message": "objet attendu"}]
    clean: dict[str, Any] = {}
    errors: list[dict[str, str]] = []
    for name, value in params.items():
        p = spec.param(name)
        if p is None:
            known = ", ".join(x.name for x in spec.params) or "aucun"
            errors.append({"field": f"params.{name}",
                           "message": f"paramètre inconnu (attendus : {known})"})
            continue
        if value is None:
            continue
        value, message = check_value(p, value)
        if message:
            errors.append({"field": f"params.{name}", "message": f"{p.label} : {message}"})
        else:
            clean[name] = value
    for p in spec.params:
        if p.required and params.get(p.name) is None:
            unit = f" en {p.unit}" if p.unit else ""
            errors.append({"field": f"params.{p.name}",
                           "message": f"obligatoire ({p.label}, {TYPE_LABELS[p.type]}{unit})"})
    if not errors and spec.check is not None:
        errors = [{**e, "field": f"params.{e['field']}"} for e in spec.check(clean)]
    return clean, errors


def _devices_of(conn: Connection, tenant_id: int, asset_id: int) -> list[Any]:
    d = schema.devices
    return list(conn.execute(select(d).where(d.c.tenant_id == tenant_id, d.c.asset_id == asset_id)
                             .order_by(d.c.id)))


def receiver(conn: Connection, registry: Registry, asset: Any, spec: CommandSpec,
             device_id: Any = None, attached: list[Any] | None = None
             ) -> tuple[Any | None, dict[str, str] | None]:
    """(device, None) when ``asset`` can receive ``spec`` now, else (None, {field, message}):
    the one rule behind both refusing a command and offering an action."""
    if asset.kind not in spec.asset_kinds:
        kind = registry.asset_kinds.get(asset.kind)
        return None, {"field": "action", "message": (
            f"L'action « {spec.label} » ne s'applique pas à un équipement de type "
            f"« {kind.label if kind else asset.kind} » (types possibles : "
            f"{', '.join(spec.asset_kinds)}).")}
    if attached is None:
        attached = _devices_of(conn, asset.tenant_id, asset.id)
    if device_id is not None:
        device = next((d for d in attached if d.id == device_id), None)
        if device is None:
            return None, {"field": "device_id", "message":
                          f"Le capteur {device_id} n'est pas rattaché à cet équipement."}
        return device, None
    if not attached:
        return None, {"field": "asset_id", "message": spec.no_device_reason}
    return attached[0], None


def available_actions(scope: TenantScope, conn: Connection, registry: Registry,
                      asset_id: int) -> list[dict[str, Any]]:
    """Every action that applies to the asset's kind: whether it can be sent now, and why
    not otherwise (French), with its parameters; members only."""
    _require_member(scope)
    asset = scope.asset(conn, asset_id)
    attached = _devices_of(conn, scope.tenant_id, asset.id)
    out = []
    for spec in command_specs(registry).values():
        if asset.kind not in spec.asset_kinds:
            continue
        _, refusal = receiver(conn, registry, asset, spec, attached=attached)
        out.append({"action": spec.key, "label": spec.label, "available": refusal is None,
                    "reason": refusal["message"] if refusal else None,
                    "params": spec_public(spec, registry)["params"]})
    return out


def create_command(scope: TenantScope, conn: Connection, registry: Registry, data: Any) -> Any:
    """Validate and record a command; the dispatcher sends it when it is due."""
    scope.require("write")
    if not isinstance(data, dict):
        raise Invalid("Objet JSON attendu.")
    errors = [{"field": k, "message": "champ inconnu"} for k in sorted(set(data) - COMMAND_FIELDS)]
    now = now_ms()
    asset = device = spec = None
    params: dict[str, Any] = {}
    asset_id = data.get("asset_id")
    if not isinstance(asset_id, int) or isinstance(asset_id, bool):
        errors.append({"field": "asset_id", "message": "identifiant d'équipement (entier) obligatoire"})
    else:
        asset = conn.execute(select(schema.assets).where(
            scope.asset_visible(), schema.assets.c.id == asset_id)).first()
        if asset is None:
            errors.append({"field": "asset_id", "message": f"équipement {asset_id} introuvable"})
    action = data.get("action")
    specs = command_specs(registry)
    if not isinstance(action, str) or not action:
        errors.append({"field": "action", "message": "action obligatoire"})
    elif action not in specs:
        known = ", ".join(sorted(specs)) or "aucune"
        errors.append({"field": "action", "message": f"action « {action} » inconnue (connues : {known})"})
    else:
        spec = specs[action]
        if asset is not None:
            device, refusal = receiver(conn, registry, asset, spec, data.get("device_id"))
            if refusal is not None:
                errors.append(refusal)
        params, param_errors = validate_params(spec, data.get("params"))
        errors.extend(param_errors)
    not_before = recurrence = None
    if data.get("not_before") is not None:
        try:
            not_before = parse_instant(data["not_before"])
        except ValueError as exc:
            errors.append({"field": "not_before", "message": str(exc)})
    if data.get("recurrence") is not None:
        try:
            recurrence = normalise_recurrence(data["recurrence"])
        except ValueError as exc:
            errors.append({"field": "recurrence", "message": str(exc)})
    if errors:
        raise Invalid("Commande invalide.", errors=errors)
    assert spec is not None and asset is not None and device is not None
    if recurrence is not None and not_before is None:
        tz = scope.zone
        not_before = next_occurrence(recurrence, now, tz)
    due = not_before if not_before is not None and not_before > now else now
    status = "scheduled" if due > now else "requested"
    command_id = scope.db.allocate_ids(conn, "commands")
    conn.execute(schema.commands.insert().values(
        tenant_id=scope.tenant_id, id=command_id, asset_id=asset.id, device_id=device.id,
        action=spec.key, params=orjson.dumps(params).decode(), status=status,
        requested_by=scope.principal.user_id, created_at=now, not_before=not_before,
        recurrence=recurrence, expires_at=due + spec.ttl_s * 1000, attempts=0,
        max_attempts=spec.max_attempts, next_attempt_at=due))
    scope.audit(conn, "create", "command", command_id, {
        "asset_id": asset.id, "device_id": device.id, "action": spec.key, "params": params,
        "status": status, "not_before": format_instant(not_before), "recurrence": recurrence})
    return get_command(scope, conn, command_id)


# -- transitions ------------------------------------------------------------------------------
def _apply(db: Database, conn: Connection, row: Any, event: str, now: int, *,
           actor: str | None = None, scope: TenantScope | None = None,
           details: Mapping[str, Any] | None = None, **fields: Any) -> Any:
    """Move one command through the state machine, timestamped and audited.

    The update is conditional on the status read, so two concurrent writers
    (dispatcher and an incoming acknowledgement) cannot both win.
    """
    status = next_status(row.status, event)
    values: dict[str, Any] = {"status": status, **fields}
    if event == "send":
        values["sent_at"] = now
    elif event == "acknowledge":
        values.update(acknowledged_at=now, finished_at=now, error=None,
                      sent_at=row.sent_at or now)
    elif event in ("fail", "expire", "cancel"):
        values["finished_at"] = now
    elif event == "activate":
        values["next_attempt_at"] = now
    c = schema.commands
    result = conn.execute(update(c).where(c.c.tenant_id == row.tenant_id, c.c.id == row.id,
                                          c.c.status == row.status).values(**values))
    if result.rowcount != 1:
        raise InvalidTransition(f"La commande {row.id} a changé d'état entre-temps.")
    entry = {"from": row.status, "to": status, **(details or {})}
    if values.get("error"):
        entry["error"] = values["error"]
    if scope is not None:
        scope.audit(conn, event, "command", row.id, entry)
    else:
        write_audit(conn, db, row.tenant_id, None, event, "command", row.id,
                    {**entry, "actor": actor or "system"})
    return _load(conn, row.tenant_id, row.id)


def cancel_command(scope: TenantScope, conn: Connection, command_id: int,
                   reason: str | None = None) -> Any:
    """Cancel a scheduled or requested command (a sent one can no longer be recalled)."""
    scope.require("write")
    row = get_command(scope, conn, command_id)
    if row.status == "sent":
        raise InvalidTransition("La commande a déjà été transmise à l'équipement : elle ne peut "
                                "plus être annulée ; elle sera acquittée, en échec ou expirée.")
    if row.status in FINISHED:
        raise InvalidTransition(f"La commande est déjà {STATUS_LABELS[row.status]} : "
                                "elle ne peut plus être annulée.")
    error = "Annulée" + (f" : {str(reason)[:300]}" if reason else " par un utilisateur.")
    _apply(scope.db, conn, row, "cancel", now_ms(), scope=scope, error=error,
           details={"reason": reason} if reason else None)
    return get_command(scope, conn, command_id)


def mark_sent(db: Database, conn: Connection, row: Any, now: int, *, channel: str,
              device_id: int | None = None, correlation: str | None = None,
              actor: str = "dispatcher") -> Any:
    fields: dict[str, Any] = {"channel": channel, "error": None}
    if device_id is not None:
        fields["device_id"] = device_id
    if correlation is not None:
        fields["correlation"] = correlation
    return _apply(db, conn, row, "send", now, actor=actor, details={"channel": channel}, **fields)


def mark_acknowledged(db: Database, conn: Connection, row: Any, now: int, *,
                      actor: str = "device") -> Any:
    return _apply(db, conn, row, "acknowledge", now, actor=actor)


def mark_failed(db: Database, conn: Connection, row: Any, now: int, error: str, *,
                retryable: bool = True, actor: str = "dispatcher") -> Any:
    """A failed hand-over: retry with back-off while attempts remain, else ``failed``."""
    if retryable and row.attempts < row.max_attempts:
        delay = retry_delay_ms(max(1, row.attempts))
        return _apply(db, conn, row, "retry", now, actor=actor, error=error,
                      next_attempt_at=now + delay,
                      details={"attempt": row.attempts, "retry_in_s": delay // 1000})
    if retryable:
        error = f"Échec après {row.attempts} tentative{'s' if row.attempts > 1 else ''} : {error}"
    return _apply(db, conn, row, "fail", now, actor=actor, error=error)


def record_hand_over(conn: Connection, row: Any, *, channel: str,
                     correlation: str | None) -> Any:
    """How a command went out, when its state moved on before the sender could record it
    (the device's answer overtook the dispatcher, a person cancelled meanwhile): fills the
    channel and correlation it does not have yet; its state is left as it is."""
    values = {k: v for k, v in (("channel", channel), ("correlation", correlation))
              if v is not None and getattr(row, k) is None}
    if not values:
        return row
    c = schema.commands
    conn.execute(update(c).where(c.c.tenant_id == row.tenant_id, c.c.id == row.id)
                 .values(**values))
    return _load(conn, row.tenant_id, row.id)


def note_error(db: Database, conn: Connection, row: Any, error: str, *, actor: str,
               event: str) -> Any:
    """A problem that changes no state (a network server that sends the command again by
    itself after the device did not acknowledge it): shown on the command and audited."""
    c = schema.commands
    conn.execute(update(c).where(c.c.tenant_id == row.tenant_id, c.c.id == row.id)
                 .values(error=error))
    write_audit(conn, db, row.tenant_id, None, event, "command", row.id,
                {"actor": actor, "status": row.status, "error": error})
    return _load(conn, row.tenant_id, row.id)


def _spawn_next(db: Database, conn: Connection, row: Any, after: int) -> int:
    """The next occurrence of a recurring command, scheduled after ``after``."""
    tz = tenant_timezone(conn, row.tenant_id)
    at = next_occurrence(row.recurrence, after, tz)
    ttl = (row.expires_at or 0) - (row.not_before or row.created_at)
    if ttl <= 0:
        ttl = 3_600_000
    command_id = db.allocate_ids(conn, "commands")
    conn.execute(schema.commands.insert().values(
        tenant_id=row.tenant_id, id=command_id, asset_id=row.asset_id, device_id=row.device_id,
        action=row.action, params=row.params, status="scheduled", requested_by=row.requested_by,
        created_at=now_ms(), not_before=at, recurrence=row.recurrence, expires_at=at + ttl,
        attempts=0, max_attempts=row.max_attempts, next_attempt_at=at))
    write_audit(conn, db, row.tenant_id, None, "create", "command", command_id,
                {"actor": "schedule", "previous": row.id, "recurrence": row.recurrence,
                 "not_before": format_instant(at)})
    return command_id


def activate_due(db: Database, now: int) -> int:
    """Scheduled commands whose time has come become requested (next occurrence created)."""
    c = schema.commands
    count = 0
    with db.write() as conn:
        rows = list(conn.execute(select(c).where(c.c.status == "scheduled",
                                                 c.c.next_attempt_at <= now,
                                                 c.c.expires_at > now)))
        for row in rows:
            _apply(db, conn, row, "activate", now, actor="schedule")
            if row.recurrence:
                _spawn_next(db, conn, row, max(row.not_before or now, now))
            count += 1
    return count


def expire_due(db: Database, now: int) -> int:
    """Close every pending command past its ``expires_at``; returns how many."""
    c = schema.commands
    messages = {
        "scheduled": "Commande programmée non exécutée avant la fin de sa validité.",
        "requested": "Commande non transmise avant la fin de sa validité.",
        "sent": "Aucun acquittement de l'équipement avant la fin de validité de la commande.",
    }
    count = 0
    with db.write() as conn:
        rows = list(conn.execute(select(c).where(c.c.status.in_(PENDING),
                                                 c.c.expires_at <= now)))
        for row in rows:
            error = messages[row.status]
            if row.error:
                error += f" Dernière erreur : {row.error}"
            _apply(db, conn, row, "expire", now, actor="dispatcher", error=error)
            if row.status == "scheduled" and row.recurrence:
                _spawn_next(db, conn, row, now)
            count += 1
    return count


def claim_due(db: Database, now: int, limit: int = 100) -> list[Any]:
    """Requested commands due for a hand-over, leased to this dispatcher.

    Claiming counts the attempt and pushes ``next_attempt_at`` by a lease, with a
    conditional update: two dispatchers never send the same command, and one
    that dies mid-send leaves the command to be retried when the lease ends.
    """
    c = schema.commands
    claimed = []
    with db.write() as conn:
        rows = list(conn.execute(select(c).where(c.c.status == "requested",
                                                 c.c.next_attempt_at <= now,
                                                 c.c.expires_at > now)
                                 .order_by(c.c.next_attempt_at, c.c.id).limit(limit)))
        for row in rows:
            if row.attempts >= row.max_attempts:
                # The last attempt's sender never reported back (process died).
                mark_failed(db, conn, row, now, row.error or "transmission interrompue",
                            retryable=True)
                continue
            result = conn.execute(
                update(c).where(c.c.tenant_id == row.tenant_id, c.c.id == row.id,
                                c.c.status == "requested",
                                c.c.next_attempt_at == row.next_attempt_at)
                .values(attempts=row.attempts + 1, next_attempt_at=now + CLAIM_LEASE_MS))
            if result.rowcount == 1:
                claimed.append(_load(conn, row.tenant_id, row.id))
    return claimed
