"""What the details of an alert mean, declared as data, and the one place that writes
them in French for people (the API's ``details_display``, the inbox, the asset page and the
e-mails all read it).

Each detector declares its detail keys (``Detector.details``) and core's rules declare
theirs (``RULE_DETAILS``): a ``DetailField`` gives the French label, the kind of value and
its unit (UCUM, or the key of another detail holding it, as a rule's ``unit`` does).
Kinds:

- ``number`` (with ``unit`` and ``digits``) — « 3,42 kW »;
- ``percent`` — « 39,5 % »;
- ``instant`` (ISO 8601) — local time of the tenant, « 10/11/2026 16:00 »;
- ``date`` (``YYYY-MM-DD``) — « 10/11/2026 »;
- ``duration`` (seconds) — « 2 h 30 min »;
- ``choice`` (a code among ``choices``) — its French word;
- ``metric`` (a metric key) — the metric's label;
- ``state`` (a state code of the alert's ``metric``) — the state's label;
- ``text`` and ``list`` — as they are, a list joined by commas;
- ``position`` (``{"lon": …, "lat": …}``, WGS84) — « 48,01234° N, 6,59876° E ».

A key nobody declared is still shown, under its raw name and raw value: data is never
hidden because a label is missing.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

import orjson

from ..clock import parse_instant
from ..french_format import duration, french_number, local_date, local_datetime, with_unit
from ..registry import Registry
from .detector_spec import DetailField


def _text(f: DetailField, value: Any, details: Mapping[str, Any], registry: Registry,
          tz: ZoneInfo) -> str:
    if value is None:
        return "—"
    kind = f.kind
    if kind in ("number", "percent") and isinstance(value, int | float) \
            and not isinstance(value, bool):
        unit = "%" if kind == "percent" else (details.get(f.unit_from) if f.unit_from
                                             else f.unit)
        return with_unit(value, unit, f.digits)
    if kind == "instant" and isinstance(value, str):
        try:
            return local_datetime(parse_instant(value), tz)
        except ValueError:
            return value
    if kind == "date" and isinstance(value, str):
        try:
            return local_date(date.fromisoformat(value))
        except ValueError:
            return value
    if kind == "duration" and isinstance(value, int | float) and not isinstance(value, bool):
        return duration(value)
    if kind == "choice":
        return f.choices.get(str(value), str(value))
    if kind == "position" and isinstance(value, Mapping):
        return position(value) or _raw(dict(value))
    if kind == "metric":
        metric = registry.metrics.get(str(value))
        return metric.label if metric else str(value)
    if kind == "state":
        metric = registry.metrics.get(str(details.get("metric")))
        states = metric.states if metric else {}
        try:
            return states.get(int(value)) or french_number(value, 0)
        except (TypeError, ValueError):
            return str(value)
    return _raw(value)


def position(value: Mapping[str, Any]) -> str | None:
    """« 48,01234° N, 6,59876° E » (5 decimals, about a metre), or None if not a point."""
    lon, lat = value.get("lon"), value.get("lat")
    if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in (lon, lat)):
        return None
    return (f"{french_number(abs(lat), 5)}° {'N' if lat >= 0 else 'S'}, "
            f"{french_number(abs(lon), 5)}° {'E' if lon >= 0 else 'O'}")


def _raw(value: Any) -> str:
    if isinstance(value, bool):
        return "oui" if value else "non"
    if isinstance(value, int | float):
        return french_number(value, 3)
    if isinstance(value, list):
        return ", ".join(_raw(v) for v in value)
    if isinstance(value, dict):
        return orjson.dumps(value).decode()
    return str(value)


def declared_fields(registry: Registry, detector: str | None,
                    rule_id: int | None) -> tuple[DetailField, ...]:
    """The detail fields of an alert: its detector's, or core's rules' ones."""
    from .detectors import registered_detectors
    from .evaluation import RULE_DETAILS

    if detector:
        found = next((d for d in registered_detectors(registry) if d.key == detector), None)
        return tuple(found.details) if found else ()
    return RULE_DETAILS if rule_id is not None else ()


def details_display(registry: Registry, details: Mapping[str, Any], detector: str | None,
                    rule_id: int | None, tz: ZoneInfo) -> list[dict[str, Any]]:
    """[{key, label, value, text}]: declared keys in their order with their French label
    and formatted value, then any undeclared key under its raw name."""
    return fields_display(registry, declared_fields(registry, detector, rule_id), details, tz)


def fields_display(registry: Registry, declared: tuple[DetailField, ...],
                   details: Mapping[str, Any], tz: ZoneInfo) -> list[dict[str, Any]]:
    """``details_display`` with the fields given (a follow-up step's, say)."""
    fields = {f.key: f for f in declared}
    out = []
    for key, f in fields.items():
        if key in details and f.shown:
            out.append({"key": key, "label": f.label, "value": details[key],
                        "text": _text(f, details[key], details, registry, tz)})
    for key, value in details.items():
        if key not in fields:
            out.append({"key": key, "label": key, "value": value, "text": _raw(value)})
    return out
