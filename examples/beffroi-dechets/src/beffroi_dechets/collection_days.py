"""Collection days: the weekdays a container is emptied, and the next collection instant.

A container's ``collection_days`` property (else its collection point's) lists French
weekday abbreviations separated by commas: ``"lun,jeu"``. A container without any is
collected on demand: every day is a possible collection day. Collection rounds start at
``COLLECTION_HOUR`` local time (assumption: morning rounds, before the day's deposits).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

WEEKDAYS = ("lun", "mar", "mer", "jeu", "ven", "sam", "dim")  # date.weekday() order
WEEKDAY_NAMES = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
PATTERN = r"\s*(lun|mar|mer|jeu|ven|sam|dim)(\s*,\s*(lun|mar|mer|jeu|ven|sam|dim))*\s*"
HINT = "jours abrégés séparés par des virgules, par exemple « lun,jeu »"
EVERY_DAY = frozenset(range(7))
COLLECTION_HOUR = time(6, 0)


def parse_days(text: str | None) -> frozenset[int]:
    """Weekday numbers (Monday 0) of a ``collection_days`` text; every day when empty.
    ValueError (French) on a word that is not a weekday abbreviation."""
    if text is None or not text.strip():
        return EVERY_DAY
    days = set()
    for word in text.split(","):
        word = word.strip().lower()
        if word not in WEEKDAYS:
            raise ValueError(f"« {word} » n'est pas un jour ({HINT})")
        days.add(WEEKDAYS.index(word))
    return frozenset(days)


def next_collection(now_ms: int, days: frozenset[int], tz: ZoneInfo) -> datetime:
    """The first collection round (local ``COLLECTION_HOUR`` of a collection day) strictly
    after ``now_ms``, as an aware local datetime."""
    local_now = datetime.fromtimestamp(now_ms / 1000, tz)
    day: date = local_now.date()
    for _ in range(8):
        at = datetime.combine(day, COLLECTION_HOUR, tz)
        if day.weekday() in days and at.timestamp() * 1000 > now_ms:
            return at
        day += timedelta(days=1)
    raise ValueError("aucun jour de collecte")  # unreachable with a non-empty set


def days_text(days: frozenset[int]) -> str:
    """French words for a set of collection days: « lundi, jeudi » or « tous les jours »."""
    if days == EVERY_DAY:
        return "tous les jours"
    return ", ".join(WEEKDAY_NAMES[d] for d in sorted(days))
