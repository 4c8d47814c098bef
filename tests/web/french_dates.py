"""The dates the pages must write (``static/js/dates.js``), computed here in Python so
that a test says what is expected without asking the code under test: French words, Paris
time for instants, and the first day of a month written « 1er » (« 1er déc. 2026 »)."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

PARIS = ZoneInfo("Europe/Paris")
MONTHS = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
          "septembre", "octobre", "novembre", "décembre")
SHORT_MONTHS = ("janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.",
                "oct.", "nov.", "déc.")
WEEKDAYS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
SHORT_WEEKDAYS = ("lun.", "mar.", "mer.", "jeu.", "ven.", "sam.", "dim.")


def _day(value: date | datetime | str, tz: ZoneInfo) -> date:
    """A calendar day as itself; an instant as its day in ``tz``."""
    if isinstance(value, str):
        value = date.fromisoformat(value) if len(value) == 10 \
            else datetime.fromisoformat(value.replace("Z", "+00:00"))
    if isinstance(value, datetime):
        return value.astimezone(tz).date()
    return value


def day_number(value, tz: ZoneInfo = PARIS) -> str:
    """« 1er », « 2 », « 23 »."""
    day = _day(value, tz).day
    return "1er" if day == 1 else str(day)


def short_date(value, tz: ZoneInfo = PARIS) -> str:
    """``formatDate``: « 1er déc. 2026 », « 23 nov. 2026 »."""
    day = _day(value, tz)
    return f"{day_number(day)} {SHORT_MONTHS[day.month - 1]} {day.year}"


def date_time(instant: datetime, tz: ZoneInfo = PARIS) -> str:
    """``formatDateTime``: « 1er déc. 2026, 00:30 »."""
    local = instant.astimezone(tz)
    return f"{short_date(local.date())}, {local:%H:%M}"


def long_date(value, tz: ZoneInfo = PARIS) -> str:
    """``longDate``: « 1er décembre 2026 »."""
    day = _day(value, tz)
    return f"{day_number(day)} {MONTHS[day.month - 1]} {day.year}"


def day_month(value, tz: ZoneInfo = PARIS) -> str:
    """``dayMonth``: « 1er décembre »."""
    day = _day(value, tz)
    return f"{day_number(day)} {MONTHS[day.month - 1]}"


def short_weekday(value, tz: ZoneInfo = PARIS) -> str:
    """``shortWeekday``: « mar. 1er déc. »."""
    day = _day(value, tz)
    return f"{SHORT_WEEKDAYS[day.weekday()]} {day_number(day)} {SHORT_MONTHS[day.month - 1]}"


def long_weekday(value, tz: ZoneInfo = PARIS) -> str:
    """``longWeekday``: « mardi 1er décembre »."""
    day = _day(value, tz)
    return f"{WEEKDAYS[day.weekday()]} {day_number(day)} {MONTHS[day.month - 1]}"


def numeric_date(value, tz: ZoneInfo = PARIS) -> str:
    """``numericDate``: « 01/12/2026 », as a date field shows a day."""
    day = _day(value, tz)
    return f"{day.day:02d}/{day.month:02d}/{day.year}"
