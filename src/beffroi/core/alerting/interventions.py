"""The follow-up of an alert: the steps people record on it (search, location, repair…),
declared by its detector (``Detector.follow_up``).

Each step recorded is an ``alert_events`` row of kind ``intervention``: its ``at`` is when
the work was done, its details hold ``step``, the step's checked fields and
``recorded_at`` (when it was entered). The rules:

- who: the roles that acknowledge and comment an alert (``write``), on an alert they see
  in their tenant; audited like the other alert actions;
- only the alerts of a detector that declares steps have a follow-up (others: 409);
- ``at`` is an ISO instant or a date (its local midnight in the tenant's time zone), now
  if absent, never in the future; dates and instants of the fields neither;
- nor before the alert's start (``alert_start``, its local day — what the alert reports
  began then: nothing was searched nor repaired before), and never before 2000 (a year
  mistyped: « 20260 » typed in a date picker gives 0260); the start is the alert's opening,
  or the estimated onset its details carry when earlier (``onset``: a leak is raised
  nights after it began, and may be repaired before the alert was raised);
- every error at once, each naming its field, and nothing stored then;
- on an active alert any step, in any order (a repair may be entered without the search
  before it; a repair the following nights refute is followed by a new search); on a
  resolved alert only a ``final`` step: a repair is often entered after the fact, when the
  alert has already closed itself, while searching a leak that is over makes no sense;
- the first step on an open alert also takes it in hand (acknowledged, by the same person):
  someone is on it, nobody needs to be paged further;
- the final step does not resolve the alert: its detector does, when the data show the
  problem gone — which is what confirms the repair.
"""

from __future__ import annotations

from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

import orjson
from sqlalchemy import Connection

from ..access import TenantScope
from ..clock import format_instant, local_day, midnight_ms, now_ms, parse_instant
from ..errors import Conflict, Invalid
from ..registry import Registry
from .alerts import MAX_COMMENT, STATUS_LABELS, add_event, get_alert, take_in_hand
from .details import fields_display
from .detector_spec import FollowUpStep
from .detectors import registered_detectors
from .field_values import (
    FieldError,
    check_past_day,
    check_past_instant,
    check_value,
    local_today,
    parse_day,
)

KIND = "intervention"  # of the alert_events rows


def follow_up_steps(registry: Registry, detector: str | None) -> tuple[FollowUpStep, ...]:
    """The steps declared by the detector of an alert (none for a rule's alert)."""
    if not detector:
        return ()
    found = next((d for d in registered_detectors(registry) if d.key == detector), None)
    return found.follow_up if found else ()


def tenant_tz(scope: TenantScope) -> ZoneInfo:
    return scope.zone


def alert_start(row: Any) -> int:
    """When what the alert reports began (epoch ms): its opening, or the estimated onset its
    details carry (``onset``, an ISO instant) when that is earlier."""
    start = row.opened_at
    try:
        onset = orjson.loads(row.details or "{}").get("onset")
        if isinstance(onset, str):
            start = min(start, parse_instant(onset))
    except (ValueError, AttributeError):  # details not an object, onset unreadable
        pass
    return start


def first_day(row: Any, now: int, tz: ZoneInfo) -> date:
    """The first day (local) a step of the alert may be dated: the day it started — today
    at the latest, should the data that opened it be dated a little ahead."""
    return min(local_day(alert_start(row), tz), local_today(now, tz))


def _at(value: Any, now: int, tz: ZoneInfo, since: date | None = None) -> int:
    """When the step was done (epoch ms): an ISO instant, or a date's local midnight; from
    the day ``since`` on, up to now."""
    if value is None or value == "":
        return now
    if isinstance(value, str) and len(value) == 10:
        day = parse_day(value)
        check_past_day(day, local_today(now, tz), since)
        return midnight_ms(day, tz)
    try:
        at = parse_instant(value)
    except ValueError as exc:
        raise FieldError(f"{exc}, ou date AAAA-MM-JJ") from None
    check_past_instant(at, now, tz, since)
    return at


def _step(steps: tuple[FollowUpStep, ...], body: dict[str, Any]) -> FollowUpStep:
    names = ", ".join(f"{s.key} ({s.label})" for s in steps)
    key = body.get("step")
    if key is None or key == "":
        raise Invalid("Étape de suivi manquante.",
                      errors=[{"field": "step", "message": f"étape obligatoire : {names}"}])
    step = next((s for s in steps if s.key == key), None)
    if step is None:
        raise Invalid(f"Étape de suivi « {str(key)[:40]} » inconnue.",
                      errors=[{"field": "step", "message": f"étape attendue parmi : {names}"}])
    return step


def _comment(value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise FieldError("texte attendu")
    text = value.strip()
    if len(text) > MAX_COMMENT:
        raise FieldError(f"{MAX_COMMENT} caractères au plus")
    return text or None


def check_body(steps: tuple[FollowUpStep, ...], body: Any, now: int, tz: ZoneInfo,
               since: date | None = None) -> tuple[FollowUpStep, int, str | None, dict[str, Any]]:
    """(step, at, comment, values) of a request, or Invalid listing every field at fault,
    its detail naming them in French; its dates and instants from the local day ``since``
    (the alert's ``first_day``) to now."""
    if not isinstance(body, dict):
        raise Invalid("Objet JSON attendu.")
    step = _step(steps, body)
    fields = {f.key: f for f in step.fields}
    labels = {"at": "Date", "comment": "Commentaire", **{f.key: f.label for f in step.fields}}
    errors = [{"field": key, "message": f"champ inconnu de l'étape « {step.label} »"}
              for key in sorted(set(body) - {"step", "at", "comment", *fields})]
    at, comment = now, None
    try:
        at = _at(body.get("at"), now, tz, since)
    except FieldError as exc:
        errors.append({"field": "at", "message": str(exc)})
    try:
        comment = _comment(body.get("comment"))
    except FieldError as exc:
        errors.append({"field": "comment", "message": str(exc)})
    values: dict[str, Any] = {}
    for key, f in fields.items():
        try:
            value = check_value(f, body.get(key), now, tz, since)
        except FieldError as exc:
            errors.append({"field": f"{key}.{exc.field}" if exc.field else key,
                           "message": str(exc)})
            continue
        if value is not None:
            values[key] = value
        elif f.required:
            errors.append({"field": key, "message": "champ obligatoire"})
    if errors:
        detail = " ; ".join(f"{labels.get(e['field'].split('.')[0], e['field'])} : "
                            f"{e['message']}" for e in errors)
        raise Invalid(f"Étape « {step.label} » non enregistrée — {detail}.", errors=errors)
    return step, at, comment, values


def record_intervention(scope: TenantScope, conn: Connection, registry: Registry,
                        alert_id: int, body: Any) -> Any:
    """Record a follow-up step on an alert (see the module's rules); the alert row."""
    scope.require("write")
    row = get_alert(scope, conn, alert_id)
    steps = follow_up_steps(registry, row.detector)
    if not steps:
        raise Conflict(f"L'alerte {alert_id} n'a pas de suivi d'intervention : seules les "
                       "alertes d'un détecteur qui déclare des étapes de suivi en ont.")
    now = now_ms()
    tz = tenant_tz(scope)
    step, at, comment, values = check_body(steps, body, now, tz, first_day(row, now, tz))
    if row.status == "resolved" and not step.final:
        finals = ", ".join(f"« {s.label} »" for s in steps if s.final) or "aucune"
        raise Conflict(f"L'alerte {alert_id} est {STATUS_LABELS['resolved']} : seule une "
                       f"étape finale ({finals}) peut encore y être enregistrée.")
    if row.status == "open":
        take_in_hand(scope, conn, row, details={"by_intervention": True}, at=at)
    add_event(scope.db, conn, scope.tenant_id, alert_id, at, KIND,
              user_id=scope.principal.user_id, comment=comment,
              details={"step": step.key, **values, "recorded_at": format_instant(now)})
    scope.audit(conn, KIND, "alert", alert_id, {"step": step.key, "at": format_instant(at),
                                                **values, "comment": comment})
    return get_alert(scope, conn, alert_id)


def interventions_public(registry: Registry, detector: str | None,
                         history: list[dict[str, Any]], tz: ZoneInfo) -> list[dict[str, Any]]:
    """The steps recorded on an alert, from its history (``alerts.history``), in the order
    they were done, each with its fields in French (``display``: label, unit, local time)."""
    steps = {s.key: s for s in follow_up_steps(registry, detector)}
    out = []
    for event in history:
        if event["kind"] != KIND:
            continue
        values = dict(event["details"])
        key = values.pop("step", None)
        recorded_at = values.pop("recorded_at", None)
        step = steps.get(key)
        out.append({
            "step": key, "step_label": step.label if step else key,
            "final": bool(step and step.final), "at": event["at"], "recorded_at": recorded_at,
            "user_id": event["user_id"], "user_email": event["user_email"],
            "comment": event["comment"], "values": values,
            "display": fields_display(registry, step.fields if step else (), values, tz)})
    out.sort(key=lambda item: parse_instant(item["at"]))
    return out
