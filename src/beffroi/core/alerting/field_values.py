"""What people type in a declared field (a ``DetailField`` of a follow-up step), checked:
the value to store, or a French message saying what is expected.

Kinds people can enter (``INPUT_KINDS``):

- ``number``, ``percent`` — a JSON number within the field's bounds (a percent: 0 to 100
  unless declared otherwise);
- ``date`` — ``YYYY-MM-DD``, not after today (local day of the tenant): people record what
  was done; nor before ``EARLIEST_DAY`` (a year mistyped: « 20260 » typed in a date picker
  gives 0260), nor before the day given as ``since`` (the start of the alert the step
  follows: ``interventions.alert_start``);
- ``instant`` — ISO 8601 with its offset, not in the future, nor before the start of
  those days; stored as UTC ``…Z``;
- ``choice`` — one of the declared codes;
- ``text`` — at most ``MAX_TEXT`` characters, blanks trimmed (empty: no value);
- ``position`` — ``{"lon": …, "lat": …}`` in WGS84 degrees.
"""

from __future__ import annotations

import math
import re
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from ..clock import EARLIEST_DAY, format_instant, local_day, midnight_ms, parse_instant
from ..french_format import french_number, local_date, with_unit
from .detector_spec import DetailField

MAX_TEXT = 2000
FUTURE_TOLERANCE_MS = 5 * 60_000  # a phone's clock a little ahead of the server's
DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class FieldError(ValueError):
    """A value refused: ``str(error)`` is the French message; ``field`` a sub-field
    (``lat`` of a position) when the fault is there."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


def _number(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) \
            or not math.isfinite(value):
        raise FieldError("nombre attendu")
    return value


def _bounds(f: DetailField, value: float) -> None:
    low, high = f.minimum, f.maximum
    if f.kind == "percent":
        low = 0.0 if low is None else low
        high = 100.0 if high is None else high
    if low is not None and high is not None and not low <= value <= high:
        raise FieldError(f"entre {french_number(low, 6)} et {with_unit(high, f.unit, 6)} "
                         "attendu")
    if low is not None and value < low:
        raise FieldError(f"{with_unit(low, f.unit, 6)} au minimum")
    if high is not None and value > high:
        raise FieldError(f"{with_unit(high, f.unit, 6)} au maximum")


local_today = local_day  # (now, tz) -> today's date there


def parse_day(value: Any) -> date:
    if not isinstance(value, str):
        raise FieldError("date AAAA-MM-JJ attendue")
    try:
        if not DAY.match(value):
            raise ValueError
        return date.fromisoformat(value)
    except ValueError:
        raise FieldError(f"date « {value[:20]} » illisible : AAAA-MM-JJ attendue") from None


def first_day(since: date | None) -> date:
    """The first day a date of what was done may be: ``since`` (the start of the alert),
    never before ``EARLIEST_DAY``."""
    return max(EARLIEST_DAY, since) if since is not None else EARLIEST_DAY


def check_past_day(day: date, today: date, since: date | None) -> None:
    """A day something was done: from ``first_day(since)`` to ``today``; FieldError (French)
    otherwise."""
    if day > today:
        raise FieldError(f"date dans le futur ({local_date(day)}) : on enregistre ce qui a "
                         "été fait")
    if day < EARLIEST_DAY:
        raise FieldError(f"date du {local_date(day)} impossible : le "
                         f"{local_date(EARLIEST_DAY)} au plus tôt (année mal saisie ?)")
    if since is not None and day < since:
        raise FieldError(f"date du {local_date(day)} antérieure au début de l'alerte "
                         f"({local_date(since)}) : une intervention le suit")


def check_past_instant(instant: int, now_ms: int, tz: ZoneInfo, since: date | None) -> None:
    """An instant something was done: not in the future (a phone's clock a little ahead
    tolerated), nor before the start of ``first_day(since)`` in ``tz``."""
    if instant > now_ms + FUTURE_TOLERANCE_MS:
        raise FieldError("instant dans le futur : on enregistre ce qui a été fait")
    if instant < midnight_ms(first_day(since), tz):
        check_past_day(local_day(instant, tz), local_day(now_ms, tz), since)


def _position(value: Any) -> dict[str, float]:
    if not isinstance(value, dict) or set(value) != {"lon", "lat"}:
        raise FieldError('objet {"lon": …, "lat": …} attendu (degrés WGS84)')
    lon, lat = value["lon"], value["lat"]
    for name, v, limit, word in (("lon", lon, 180, "longitude"), ("lat", lat, 90, "latitude")):
        try:
            _number(v)
        except FieldError:
            raise FieldError(f"{word} : nombre attendu", name) from None
        if not -limit <= v <= limit:
            raise FieldError(f"{word} entre −{limit} et {limit} degrés attendue (WGS84), "
                             f"reçu {v:g}", name)
    return {"lon": float(lon), "lat": float(lat)}


def check_value(f: DetailField, value: Any, now_ms: int, tz: ZoneInfo,
                since: date | None = None) -> Any:
    """The value to store for ``f``, or None for no value; raises ``FieldError``. A date or
    an instant is of something done: up to now, from ``since`` (a local day) on."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    kind = f.kind
    if kind in ("number", "percent"):
        _bounds(f, _number(value))
        return value
    if kind == "date":
        day = parse_day(value)
        check_past_day(day, local_today(now_ms, tz), since)
        return day.isoformat()
    if kind == "instant":
        try:
            instant = parse_instant(value)
        except ValueError as exc:
            raise FieldError(str(exc)) from None
        check_past_instant(instant, now_ms, tz, since)
        return format_instant(instant)
    if kind == "choice":
        if not isinstance(value, str) or value not in f.choices:
            options = ", ".join(f"{code} ({label})" for code, label in f.choices.items())
            raise FieldError(f"valeur attendue parmi : {options}")
        return value
    if kind == "text":
        if not isinstance(value, str):
            raise FieldError("texte attendu")
        text = value.strip()
        if len(text) > MAX_TEXT:
            raise FieldError(f"{MAX_TEXT} caractères au plus")
        return text
    if kind == "position":
        return _position(value)
    raise FieldError(f"type « {kind} » impossible à saisir")
