"""When a public building is occupied: opening hours, public holidays, school holidays.

A building is occupied at a local time when that time lies in one of its opening ranges
for that weekday, the day is not a public holiday (unless the building opens on public
holidays) and not a school holiday of its zone (when it closes during school holidays).

Properties read (``kinds.BUILDING``), each with a default by ``usage`` when absent
(``USAGE_DEFAULTS``, editable: a building's own property always wins):

=================== ==================================================== ======= =======
usage               opening hours (local time)                           school  public
                                                                         hol.    hol.
=================== ==================================================== ======= =======
ecole               MON,TUE,THU,FRI 08:30-11:30,13:30-16:30              closed  closed
creche              MON–FRI 07:30-18:30                                  open    closed
mairie              MON–FRI 08:00-17:30                                  open    closed
gymnase             MON–FRI 08:00-22:00; SAT 09:00-18:00                 open    closed
salle_polyvalente   FRI 18:00-24:00; SAT 08:00-24:00; SUN 08:00-20:00    open    closed
bibliotheque        TUE,THU 16:00-18:30; WED 10:00-12:00,14:00-18:00;    open    closed
                    SAT 10:00-12:00
atelier             MON–FRI 07:30-12:00,13:00-16:30                      open    closed
piscine             every day 09:00-20:00                                open    open
autre               MON–FRI 08:00-18:00                                  open    closed
=================== ==================================================== ======= =======

The school default is the four-day week most rural communes chose (décret 2017-1108,
no class on Wednesday); a crèche follows its own closing weeks, not the school calendar,
so it is not closed during school holidays by default. These are typical values « à
adapter » per building through its properties.

Public holidays (``public_holidays``): the eleven days of the code du travail
(art. L3133-1): 1 January, Easter Monday, 1 May, 8 May, Ascension Thursday, Whit Monday,
14 July, 15 August, 1 November, 11 November, 25 December. Easter is computed with the
anonymous Gregorian algorithm (Meeus/Jones/Butcher). Good Friday and 26 December are
public holidays only in Alsace-Moselle (Bas-Rhin, Haut-Rhin, Moselle, art. L3134-13):
not for the Vosges, so ``public_holidays(year, alsace_moselle=True)`` adds them only on
request. Whit Monday is often the « journée de solidarité », worked in some communes: a
building open that day sets ``closed_public_holidays`` to false or adds the day itself.

School holidays come from ``school_calendar`` (official calendar, zones A/B/C, school
years 2022-2023 to 2026-2027; which dates were checked is said there); the building's
``school_zone`` or, when absent, the tenant's (``school_zone`` argument, zone B of the
académie de Nancy-Metz by default).

Times: opening hours are local wall-clock times of the tenant's time zone (``zone``,
``Europe/Paris`` by default, the tenant's ``scope.zone``), so a school opens at 08:30
local time both sides of a DST change; ``occupied_mask`` converts UTC epoch milliseconds
with the zone's real offsets.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import numpy as np

from ...core.clock import utc_offsets
from .school_calendar import ZONES, school_holidays

DAYS = ("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN")
DAY_LABELS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
DEFAULT_TZ = "Europe/Paris"
DEFAULT_SCHOOL_ZONE = "B"  # académie de Nancy-Metz (Vosges)

_WEEKDAYS = "MON,TUE,WED,THU,FRI"
USAGE_DEFAULTS: dict[str, tuple[str, bool, bool]] = {
    # usage: (opening_hours, closed_school_holidays, closed_public_holidays)
    "ecole": ("MON,TUE,THU,FRI 08:30-11:30,13:30-16:30", True, True),
    "creche": (f"{_WEEKDAYS} 07:30-18:30", False, True),
    "mairie": (f"{_WEEKDAYS} 08:00-17:30", False, True),
    "gymnase": (f"{_WEEKDAYS} 08:00-22:00; SAT 09:00-18:00", False, True),
    "salle_polyvalente": ("FRI 18:00-24:00; SAT 08:00-24:00; SUN 08:00-20:00", False, True),
    "bibliotheque": ("TUE,THU 16:00-18:30; WED 10:00-12:00,14:00-18:00; SAT 10:00-12:00",
                     False, True),
    "atelier": (f"{_WEEKDAYS} 07:30-12:00,13:00-16:30", False, True),
    "piscine": (f"{_WEEKDAYS},SAT,SUN 09:00-20:00", False, False),
    "autre": (f"{_WEEKDAYS} 08:00-18:00", False, True),
}

_TIME = re.compile(r"(\d{2}):(\d{2})")
_DAY_MS = 86_400_000


@dataclass(frozen=True)
class OpeningHours:
    """Opening ranges per weekday (Monday first), minutes after local midnight,
    start inclusive, end exclusive (end 1440 = 24:00)."""

    days: tuple[tuple[tuple[int, int], ...], ...]
    text: str = ""

    def is_open(self, weekday: int, minute: int) -> bool:
        return any(start <= minute < end for start, end in self.days[weekday])

    def minute_table(self) -> np.ndarray:
        """Boolean array [7, 1440]: open at that weekday and minute."""
        table = np.zeros((7, 1440), dtype=bool)
        for weekday, ranges in enumerate(self.days):
            for start, end in ranges:
                table[weekday, start:end] = True
        return table

    def weekly_hours(self) -> float:
        return sum(end - start for ranges in self.days for start, end in ranges) / 60


def _minutes(text: str, where: str, is_end: bool) -> int:
    match = _TIME.fullmatch(text)
    if not match:
        raise ValueError(f"{where} : heure « {text} » invalide, attendu HH:MM (ex. 08:30)")
    hours, mins = int(match[1]), int(match[2])
    if mins > 59 or hours > 24 or (hours == 24 and (mins or not is_end)):
        raise ValueError(f"{where} : heure « {text} » invalide (de 00:00 à 23:59, "
                         "24:00 seulement en fin de plage)")
    return hours * 60 + mins


def parse_opening_hours(text: str) -> OpeningHours:
    """Parse "MON,TUE,THU,FRI 08:30-11:30,13:30-16:30; WED 08:30-11:30" (format of
    ``kinds.OPENING_HOURS_PATTERN``). A day may appear in several groups (its ranges add
    up); overlapping ranges merge. Raises ValueError with a French message."""
    if not isinstance(text, str) or not text.strip():
        raise ValueError("heures d'ouverture vides : attendu par exemple « MON,TUE,THU,FRI "
                         "08:30-11:30,13:30-16:30; WED 08:30-11:30 »")
    per_day: list[list[tuple[int, int]]] = [[] for _ in DAYS]
    for number, group in enumerate(text.split(";"), start=1):
        group = group.strip()
        where = f"groupe {number} « {group} »"
        parts = group.split()
        if len(parts) != 2:
            raise ValueError(f"{where} : attendu les jours, une espace, puis les plages "
                             "horaires (ex. « MON,TUE 08:30-11:30,13:30-16:30 »)")
        days_text, ranges_text = parts
        weekdays = []
        for day in days_text.split(","):
            if day.upper() not in DAYS:
                raise ValueError(f"{where} : jour « {day} » inconnu (MON, TUE, WED, THU, "
                                 "FRI, SAT ou SUN)")
            weekdays.append(DAYS.index(day.upper()))
        for piece in ranges_text.split(","):
            bounds = piece.split("-")
            if len(bounds) != 2:
                raise ValueError(f"{where} : plage « {piece} » invalide, attendu "
                                 "HH:MM-HH:MM")
            start = _minutes(bounds[0], where, is_end=False)
            end = _minutes(bounds[1], where, is_end=True)
            if end <= start:
                raise ValueError(f"{where} : la plage « {piece} » finit avant de commencer ; "
                                 "une plage qui passe minuit s'écrit en deux (jusqu'à 24:00 "
                                 "puis à partir de 00:00 le jour suivant)")
            for weekday in weekdays:
                per_day[weekday].append((start, end))
    return OpeningHours(tuple(_merged(ranges) for ranges in per_day), text.strip())


def _clock(minute: int) -> str:
    return f"{minute // 60:02d} h {minute % 60:02d}"


def hours_label(hours: OpeningHours) -> str:
    """« lundi, mardi, jeudi, vendredi de 08 h 30 à 11 h 30 et de 13 h 30 à 16 h 30 »."""
    groups: dict[tuple, list[str]] = {}
    for weekday, ranges in enumerate(hours.days):
        if ranges:
            groups.setdefault(ranges, []).append(DAY_LABELS[weekday])
    return " ; ".join(
        f"{', '.join(days)} " + " et ".join(f"de {_clock(a)} à {_clock(b)}" for a, b in ranges)
        for ranges, days in groups.items()) or "jamais"


def opening_hours_text(text: object) -> str | None:
    """The French reading of a stored ``opening_hours`` rule (None: not a valid one)."""
    try:
        return hours_label(parse_opening_hours(text))  # type: ignore[arg-type]
    except ValueError:
        return None


def _merged(ranges: list[tuple[int, int]]) -> tuple[tuple[int, int], ...]:
    out: list[tuple[int, int]] = []
    for start, end in sorted(ranges):
        if out and start <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], end))
        else:
            out.append((start, end))
    return tuple(out)


# ------------------------------------------------------------------ public holidays

def easter_sunday(year: int) -> date:
    """Easter Sunday of a Gregorian year (anonymous algorithm, Meeus/Jones/Butcher)."""
    a = year % 19
    b, c = divmod(year, 100)
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    l = (32 + 2 * e + 2 * i - h - k) % 7  # noqa: E741 (the algorithm's name)
    m = (a + 11 * h + 22 * l) // 451
    month, day = divmod(h + l - 7 * m + 114, 31)
    return date(year, month, day + 1)


def public_holidays(year: int, alsace_moselle: bool = False) -> dict[date, str]:
    """The French public holidays of a year, date → French name, in date order."""
    easter = easter_sunday(year)
    days = {
        date(year, 1, 1): "Jour de l'an",
        easter + timedelta(days=1): "Lundi de Pâques",
        date(year, 5, 1): "Fête du Travail",
        date(year, 5, 8): "Victoire 1945",
        easter + timedelta(days=39): "Ascension",
        easter + timedelta(days=50): "Lundi de Pentecôte",
        date(year, 7, 14): "Fête nationale",
        date(year, 8, 15): "Assomption",
        date(year, 11, 1): "Toussaint",
        date(year, 11, 11): "Armistice 1918",
        date(year, 12, 25): "Noël",
    }
    if alsace_moselle:
        days[easter - timedelta(days=2)] = "Vendredi saint"
        days[date(year, 12, 26)] = "Saint-Étienne"
    return dict(sorted(days.items()))


# ------------------------------------------------------------------ a building's calendar

@dataclass(frozen=True)
class Occupancy:
    """A building's resolved occupancy rules."""

    hours: OpeningHours
    closed_school_holidays: bool
    closed_public_holidays: bool
    school_zone: str

    def closed_days(self, first: date, last: date) -> set[date]:
        """Whole local days the building is closed between two dates (inclusive)."""
        closed: set[date] = set()
        if self.closed_public_holidays:
            for year in range(first.year, last.year + 1):
                closed.update(d for d in public_holidays(year) if first <= d <= last)
        if self.closed_school_holidays:
            for holiday in school_holidays(self.school_zone):
                day = max(holiday.start, first)
                end = min(holiday.end, last + timedelta(days=1))
                while day < end:
                    closed.add(day)
                    day += timedelta(days=1)
        return closed


def occupancy(props: dict, school_zone: str | None = None) -> Occupancy:
    """The occupancy rules of a building from its properties, defaults by usage.
    ``school_zone`` is the tenant's default zone, used when the building has none."""
    props = props or {}
    usage = props.get("usage") if props.get("usage") in USAGE_DEFAULTS else "autre"
    default_hours, default_school, default_public = USAGE_DEFAULTS[usage]
    text = props.get("opening_hours") or default_hours
    zone = props.get("school_zone") or school_zone or DEFAULT_SCHOOL_ZONE
    if zone not in ZONES:
        raise ValueError(f"zone de vacances scolaires inconnue « {zone} » (A, B ou C)")
    school = props.get("closed_school_holidays")
    public = props.get("closed_public_holidays")
    return Occupancy(_parsed(text),
                     default_school if school is None else bool(school),
                     default_public if public is None else bool(public),
                     zone)


@lru_cache(maxsize=256)
def _parsed(text: str) -> OpeningHours:
    return parse_opening_hours(text)


def occupied(props: dict, when: datetime, zone: str = DEFAULT_TZ,
             school_zone: str | None = None) -> bool:
    """Is the building occupied at ``when``? An aware datetime is converted to the time
    zone ``zone`` (the tenant's ``scope.zone``); a naive one is read as its local
    wall-clock time."""
    rules = occupancy(props, school_zone)
    local = when.astimezone(ZoneInfo(zone)) if when.tzinfo else when
    day = local.date()
    if day in rules.closed_days(day, day):
        return False
    return rules.hours.is_open(local.weekday(), local.hour * 60 + local.minute)


def local_ms(times_ms, zone: str = DEFAULT_TZ) -> np.ndarray:
    """UTC epoch milliseconds → local wall-clock milliseconds (as if local were UTC),
    with the zone's offset at each instant (DST included)."""
    times = np.asarray(times_ms, dtype=np.int64)
    if times.size == 0:
        return times.copy()
    offsets_s = utc_offsets(times / 1000, zone)
    return times + np.round(offsets_s * 1000).astype(np.int64)


def occupied_mask(props: dict, times_ms, zone: str = DEFAULT_TZ,
                  school_zone: str | None = None) -> np.ndarray:
    """Vectorised ``occupied``: one bool per UTC epoch millisecond of ``times_ms``
    (any step, any order)."""
    rules = occupancy(props, school_zone)
    local = local_ms(times_ms, zone)
    if local.size == 0:
        return np.zeros(0, dtype=bool)
    days = local // _DAY_MS  # local days since 1970-01-01 (a Thursday)
    weekday = (days + 3) % 7
    minute = (local % _DAY_MS) // 60_000
    mask = rules.hours.minute_table()[weekday, minute]
    epoch = date(1970, 1, 1)
    first = epoch + timedelta(days=int(days.min()))
    last = epoch + timedelta(days=int(days.max()))
    closed = rules.closed_days(first, last)
    if closed:
        closed_days = np.fromiter(((d - epoch).days for d in closed), dtype=np.int64)
        mask &= ~np.isin(days, closed_days)
    return mask
