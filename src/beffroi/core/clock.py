"""Time conventions: stored as epoch milliseconds UTC, exchanged as ISO 8601."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

import numpy as np

TZ = "Europe/Paris"
PARIS = ZoneInfo(TZ)
HOUR_MS = 3_600_000
DAY_MS = 86_400_000
# Nothing Beffroi holds (measures, work done, reports) predates this day: a date before it
# is a year mistyped (« 20260 » typed in a date picker gives 0260), refused as such.
EARLIEST_DAY = date(2000, 1, 1)


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def parse_instant(text: str) -> int:
    """ISO 8601 with an explicit offset (or Z) -> epoch ms. Raises ValueError in French."""
    if not isinstance(text, str):
        raise ValueError("l'horodatage doit être une chaîne ISO 8601")
    try:
        dt = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"horodatage illisible « {text[:40]} » (ISO 8601 attendu)") from None
    if dt.tzinfo is None or dt.utcoffset() is None:
        raise ValueError(
            f"horodatage « {text[:40]} » sans fuseau horaire (ajoutez Z ou +01:00)"
        )
    return int(dt.timestamp() * 1000)


# Wall-clock times without an offset, as spreadsheets and supervisory systems write them:
# « 27/10/2024 02:30[:00] » and « 2024-10-27 02:30[:00] » (or with a T).
_FRENCH_LOCAL = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})[ T]+(\d{1,2}):(\d{2})(?::(\d{2}))?")
_ISO_LOCAL = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[ T]+(\d{1,2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,6}))?)?")
WRITTEN_FORMS = ("ISO 8601 avec fuseau (2024-10-27T02:30:00+02:00 ou 2024-10-27T00:30:00Z), "
                 "ou heure locale JJ/MM/AAAA HH:MM[:SS] ou AAAA-MM-JJ HH:MM[:SS]")


def parse_written_time(text: str, tz: ZoneInfo) -> int:
    """An instant as a file from another tool writes it -> epoch ms: ISO 8601 with ``Z``
    or an offset, or a wall-clock time of ``tz`` without one (« 27/10/2024 02:30 »,
    « 2024-10-27 02:30:00 »). A wall-clock time that does not exist (skipped when summer
    time starts) or exists twice (repeated when it ends) is refused: its instant cannot be
    known. Raises ValueError in French, saying how to write it."""
    text = text.strip()
    match = _FRENCH_LOCAL.fullmatch(text)
    if match:
        day, month, year, hour, minute, second = match.groups()
        fraction = None
    elif match := _ISO_LOCAL.fullmatch(text):
        year, month, day, hour, minute, second, fraction = match.groups()
    else:
        try:
            dt = datetime.fromisoformat(text)
        except ValueError:
            raise ValueError(f"horodatage illisible : {WRITTEN_FORMS} attendu") from None
        if dt.tzinfo is None or dt.utcoffset() is None:
            what = "date sans heure" if ":" not in text else "horodatage illisible"
            raise ValueError(f"{what} : {WRITTEN_FORMS} attendu")
        return int(dt.timestamp() * 1000)
    try:
        wall = datetime(int(year), int(month), int(day), int(hour), int(minute),
                        int(second or 0), int((fraction or "0").ljust(6, "0")))
    except ValueError:
        raise ValueError("date ou heure inexistante (jour, mois ou heure hors limites)") from None
    first, second_time = wall.replace(tzinfo=tz), wall.replace(tzinfo=tz, fold=1)
    if first.utcoffset() != second_time.utcoffset():
        written = wall.isoformat(timespec="seconds")
        if first.astimezone(UTC).astimezone(tz).replace(tzinfo=None) != wall:
            raise ValueError(
                f"heure sautée au passage à l'heure d'été ({tz.key}), elle n'existe pas : "
                f"écrivez l'horodatage avec son décalage ({written}{_offset_text(first)} si "
                "l'appareil était resté à l'heure d'hiver) ou en UTC (suffixe Z)")
        raise ValueError(
            f"heure répétée au retour à l'heure d'hiver ({tz.key}), elle a lieu deux fois : "
            f"écrivez l'horodatage avec son décalage ({written}{_offset_text(first)} la "
            f"première fois, {written}{_offset_text(second_time)} la seconde) ou en UTC "
            "(suffixe Z)")
    return int(first.timestamp() * 1000)


def _offset_text(dt: datetime) -> str:
    return dt.isoformat()[-6:]


def format_instant(ms: int | None) -> str | None:
    if ms is None:
        return None
    dt = datetime.fromtimestamp(ms / 1000, tz=UTC)
    text = dt.isoformat(timespec="milliseconds" if ms % 1000 else "seconds")
    return text.replace("+00:00", "Z")


def local_day(ms: int, tz: ZoneInfo) -> date:
    """The local calendar date of instant ``ms`` (``local_day(now_ms(), tz)``: today)."""
    return datetime.fromtimestamp(ms / 1000, tz=tz).date()


def midnight_ms(day: date, tz: ZoneInfo) -> int:
    """Epoch ms of the start of local calendar day ``day`` in ``tz``."""
    return int(datetime(day.year, day.month, day.day, tzinfo=tz).timestamp() * 1000)


def local_day_start(ms: int, tz: ZoneInfo) -> int:
    """Start (epoch ms) of the local calendar day holding instant ``ms``."""
    local = datetime.fromtimestamp(ms / 1000, tz=tz)
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
    return int(midnight.timestamp() * 1000)


def format_instants(values: list[int]) -> list[str]:
    """Vectorised ``format_instant`` for long series.

    Regular series (rollups, periodic sensors) repeat few dates and few times of
    day: each distinct one is formatted once and the texts are joined, twice as
    fast as numpy's formatter, which irregular instants still go through.
    """
    if not values:
        return []
    ms = np.asarray(values, dtype=np.int64)
    with_ms = bool((ms % 1000).any())
    days, in_day = np.divmod(ms, DAY_MS)
    if np.unique(in_day[:1024]).size <= 256:
        clock_keys, clock_index = np.unique(in_day, return_inverse=True)
        if clock_keys.size <= max(256, len(ms) // 8):
            day_keys, day_index = np.unique(days, return_inverse=True)
            dates = [text + "T" for text in
                     np.datetime_as_string(day_keys.astype("datetime64[D]")).tolist()]
            clocks = [_clock_text(k, with_ms) for k in clock_keys.tolist()]
            return [dates[d] + clocks[c]
                    for d, c in zip(day_index.tolist(), clock_index.tolist(), strict=True)]
    unit = "ms" if with_ms else "s"
    stamps = ms.astype("datetime64[ms]").astype(f"datetime64[{unit}]")
    return [text + "Z" for text in np.datetime_as_string(stamps, unit=unit).tolist()]


def _clock_text(ms_in_day: int, with_ms: bool) -> str:
    seconds, milli = divmod(ms_in_day, 1000)
    hours, rest = divmod(seconds, 3600)
    text = f"{hours:02d}:{rest // 60:02d}:{rest % 60:02d}"
    return f"{text}.{milli:03d}Z" if with_ms else text + "Z"


@lru_cache(maxsize=256)
def _transitions(first_day: int, last_day: int, tz: str) -> tuple[np.ndarray, np.ndarray]:
    """(instants, offsets): the zone's UTC offset in seconds in force from each instant,
    over the UTC days ``first_day`` to ``last_day`` (days since 1970-01-01)."""
    zone = ZoneInfo(tz)

    def offset(t: int) -> float:
        return datetime.fromtimestamp(t, zone).utcoffset().total_seconds()  # type: ignore[union-attr]

    instants, offsets = [first_day * 86400], [offset(first_day * 86400)]
    for day in range(first_day, last_day + 1):
        after = offset((day + 1) * 86400)
        if after != offsets[-1]:  # changes happen on a whole hour (or half hour) of the day
            step = next(m for m in range(30, 24 * 60 + 1, 30)
                        if offset(day * 86400 + m * 60) == after)
            instants.append(day * 86400 + step * 60)
            offsets.append(after)
    return np.array(instants, dtype=np.float64), np.array(offsets)


def utc_offsets(t_s: np.ndarray, tz: str = "Europe/Paris") -> np.ndarray:
    """UTC offset (seconds) of the time zone at each epoch second, vectorised: local
    wall-clock seconds are ``t_s + utc_offsets(t_s)`` (daylight saving included)."""
    t = np.asarray(t_s, dtype=np.float64)
    finite = t[np.isfinite(t)]
    if finite.size == 0:
        return np.zeros(t.shape)
    lo, hi = int(finite.min() // 86400) - 1, int(finite.max() // 86400) + 1
    instants, offsets = _transitions(lo, hi, tz)
    index = np.clip(np.searchsorted(instants, np.nan_to_num(t), side="right") - 1, 0, None)
    return offsets[index]


@dataclass(frozen=True)
class LocalTime:
    """Local civil time of many instants (``local_time``), as arrays."""

    seconds: np.ndarray  # local wall-clock seconds since 1970-01-01 00:00 local
    hour: np.ndarray  # 0 <= hour < 24, fractional
    weekday: np.ndarray  # 0 = Monday
    day: np.ndarray  # local day number since 1970-01-01
    day_of_year: np.ndarray  # 0 = 1 January


def local_time(t_s: np.ndarray, tz: str = TZ) -> LocalTime:
    """Local wall-clock time of epoch seconds, vectorised, daylight saving included."""
    t = np.asarray(t_s, dtype=np.float64)
    local = t + utc_offsets(t, tz)
    day = np.floor(local / 86400).astype(np.int64)
    dates = day.astype("datetime64[D]")
    years = dates.astype("datetime64[Y]")
    return LocalTime(
        seconds=local,
        hour=(local - day * 86400) / 3600,
        weekday=((day + 3) % 7),  # 1970-01-01 was a Thursday
        day=day,
        day_of_year=(dates - years).astype(np.int64),
    )
