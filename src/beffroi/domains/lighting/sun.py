"""Sunrise, sunset and civil twilight for lighting schedules (NOAA algorithm, as astral).

Conventions (DOMAIN-FACTS, "Sun events"): sunrise/sunset when the sun's centre is at a
zenith of 90.833° (upper limb on the horizon: 16' semi-diameter + 34' refraction), civil
dawn/dusk at 96°, no further refraction and sea level. Events are given per local date
of Europe/Paris, as epoch seconds UTC, so daylight-saving changes never shift a row.

``sun_events`` is the NOAA solar equations that astral implements, evaluated with numpy
over positions × dates (a year for 10,000 cabinets in about a second); ``astral_events``
is the same computation with astral itself, the reference the numpy version is checked
against (tests: within a second; against PyEphem: within 30 s).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, timedelta
from functools import lru_cache

import numpy as np
from astral import Observer, SunDirection
from astral.sun import time_at_elevation

from ...core.clock import utc_offsets

SUNRISE_ZENITH = 90.833
CIVIL_ZENITH = 96.0
EVENTS = ("sunrise", "sunset", "civil_dawn", "civil_dusk")
# event -> (zenith, +1 rising / -1 setting)
_EVENT_SPECS = {"sunrise": (SUNRISE_ZENITH, 1), "sunset": (SUNRISE_ZENITH, -1),
                "civil_dawn": (CIVIL_ZENITH, 1), "civil_dusk": (CIVIL_ZENITH, -1)}
_EPOCH = date(1970, 1, 1)
_JD_UNIX_EPOCH = 2440587.5  # Julian day of 1970-01-01 00:00 UTC
_TABLE_STEP_MIN = 10.0  # solar declination / equation of time sampled every 10 min


@dataclass(frozen=True)
class SunEvents:
    """Events per position (rows) and local date (columns), epoch seconds UTC, NaN when the
    sun does not cross the zenith that day (polar day or night)."""

    first: date
    sunrise: np.ndarray
    sunset: np.ndarray
    civil_dawn: np.ndarray
    civil_dusk: np.ndarray

    @property
    def dates(self) -> list[date]:
        return [self.first + timedelta(days=i) for i in range(self.sunrise.shape[1])]


def _solar(jc: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Solar declination (degrees) and equation of time (minutes) at Julian century ``jc``:
    the NOAA equations, term for term as in astral.sun."""
    l0 = (280.46646 + jc * (36000.76983 + 0.0003032 * jc)) % 360.0
    m = np.radians(357.52911 + jc * (35999.05029 - 0.0001537 * jc))
    e = 0.016708634 - jc * (0.000042037 + 0.0000001267 * jc)
    center = (np.sin(m) * (1.914602 - jc * (0.004817 + 0.000014 * jc))
              + np.sin(2 * m) * (0.019993 - 0.000101 * jc) + np.sin(3 * m) * 0.000289)
    omega = np.radians(125.04 - 1934.136 * jc)
    apparent_long = np.radians(l0 + center - 0.00569 - 0.00478 * np.sin(omega))
    seconds = 21.448 - jc * (46.815 + jc * (0.00059 - jc * 0.001813))
    obliquity = np.radians(23.0 + (26.0 + seconds / 60.0) / 60.0 + 0.00256 * np.cos(omega))
    declination = np.degrees(np.arcsin(np.sin(obliquity) * np.sin(apparent_long)))
    y = np.tan(obliquity / 2) ** 2
    l0r = np.radians(l0)
    eq_time = 4.0 * np.degrees(
        y * np.sin(2 * l0r) - 2 * e * np.sin(m) + 4 * e * y * np.sin(m) * np.cos(2 * l0r)
        - 0.5 * y * y * np.sin(4 * l0r) - 1.25 * e * e * np.sin(2 * m))
    return declination, eq_time


def _transit_minutes(day: np.ndarray, lat: np.ndarray, lon: np.ndarray, zenith: float,
                     direction: int, table: tuple[float, np.ndarray, np.ndarray, np.ndarray]
                     ) -> np.ndarray:
    """Minutes after 00:00 UTC of ``day`` (days since 1970) when the sun crosses ``zenith``;
    astral's time_of_transit (two iterations), broadcast over day × position."""
    start, sin_dec, cos_dec, eq_time = table
    lat_r = np.radians(np.clip(lat, -89.8, 89.8))
    sin_lat, cos_lat = np.sin(lat_r), np.cos(lat_r)
    cos_z = np.cos(np.radians(zenith))
    minutes: np.ndarray | float = 0.0  # first pass at 00:00 UTC: the same for every position
    for _ in range(2):
        at = (day * 1440.0 + np.nan_to_num(minutes, nan=720.0) - start) / _TABLE_STEP_MIN
        i = at.astype(np.int64)
        f = at - i

        def lerp(values: np.ndarray, i: np.ndarray = i, f: np.ndarray = f) -> np.ndarray:
            return values[i] + f * (values[i + 1] - values[i])

        cos_h = (cos_z - sin_lat * lerp(sin_dec)) / (cos_lat * lerp(cos_dec))
        with np.errstate(invalid="ignore"):
            hour_angle = np.degrees(np.arccos(np.where(np.abs(cos_h) <= 1, cos_h, np.nan)))
        offset = 4.0 * (-lon - direction * hour_angle) - lerp(eq_time)
        minutes = 720.0 + np.where(offset < -720.0, offset + 1440.0, offset) + (
            minutes - minutes)  # NaN (no crossing) stays NaN
    return np.asarray(minutes)


def _solar_table(first_day: int, last_day: int
                 ) -> tuple[float, np.ndarray, np.ndarray, np.ndarray]:
    """(start minute, sin and cos of the declination, equation of time) every 10 min from
    first_day - 2 to last_day + 3; linear interpolation in it is exact to a few ms."""
    start = (first_day - 2) * 1440.0
    grid = np.arange(start, (last_day + 3) * 1440.0 + 1, _TABLE_STEP_MIN)
    jc = (_JD_UNIX_EPOCH + grid / 1440.0 - 2451545.0) / 36525.0
    declination, eq_time = _solar(jc)
    dec = np.radians(declination)
    return start, np.sin(dec), np.cos(dec), eq_time


def local_days(t_s: np.ndarray) -> np.ndarray:
    """Europe/Paris local date of epoch seconds, as days since 1970-01-01."""
    t = np.asarray(t_s, dtype=np.float64)
    if not np.isfinite(t).any():
        return np.full(t.shape, -1, dtype=np.int64)
    with np.errstate(invalid="ignore"):
        return np.floor((t + utc_offsets(t, "Europe/Paris")) / 86400).astype(np.int64)


def sun_events(lat: float | np.ndarray, lon: float | np.ndarray, first: date, last: date
               ) -> SunEvents:
    """Sunrise, sunset, civil dawn and civil dusk for each position and each local
    (Europe/Paris) date from ``first`` to ``last`` inclusive."""
    lat_a = np.atleast_1d(np.asarray(lat, dtype=np.float64))[:, None]
    lon_a = np.atleast_1d(np.asarray(lon, dtype=np.float64))[:, None]
    first_day, last_day = (first - _EPOCH).days, (last - _EPOCH).days
    days = np.arange(first_day, last_day + 1, dtype=np.float64)[None, :]
    table = _solar_table(first_day, last_day)
    out = {}
    for name, (zenith, direction) in _EVENT_SPECS.items():
        minutes = _transit_minutes(days, lat_a, lon_a, zenith, direction, table)
        t = days * 86400.0 + minutes * 60
        # Paris is 1 or 2 h ahead of UTC: an event between 00:00 and 22:00 UTC is on the
        # local date of its UTC day (all of metropolitan France). Elsewhere the event of
        # UTC day d may fall on another local date: take it from the neighbouring UTC day
        # instead, as astral does for its own dates.
        rows, cols = np.nonzero((minutes < 0) | (minutes >= 1320))
        if rows.size:
            shift = cols + days[0, 0] - local_days(t[rows, cols])
            day = days[0, cols] + shift
            fixed = day * 86400.0 + 60 * _transit_minutes(
                day, lat_a[rows, 0], lon_a[rows, 0], zenith, direction, table)
            fixed[local_days(fixed) != days[0, cols]] = np.nan
            t[rows, cols] = fixed
        out[name] = t
    return SunEvents(first, **out)


def astral_events(lat: float, lon: float, on: date) -> dict[str, float]:
    """The four events of UTC date ``on`` with astral itself (the reference of sun_events;
    for metropolitan France the UTC and local dates of every event are the same)."""
    observer = Observer(latitude=lat, longitude=lon)
    out = {}
    for name, (zenith, direction) in _EVENT_SPECS.items():
        out[name] = time_at_elevation(
            observer, 90.0 - zenith, on,
            SunDirection.RISING if direction == 1 else SunDirection.SETTING,
            tzinfo=UTC, with_refraction=False).timestamp()
    return out


@lru_cache(maxsize=4096)
def _day_window(lat: float, lon: float, first_day: int, last_day: int
                ) -> tuple[np.ndarray, np.ndarray]:
    events = sun_events(lat, lon, _EPOCH + timedelta(days=first_day),
                        _EPOCH + timedelta(days=last_day))
    return events.sunrise[0], events.sunset[0]


def is_night(t_s: np.ndarray, lat: float, lon: float) -> np.ndarray:
    """True between sunset and the next sunrise, at epoch seconds ``t_s``. Positions are
    rounded to ~1 km (0.01°), which moves events by seconds."""
    t = np.asarray(t_s, dtype=np.float64)
    if t.size == 0:
        return np.zeros(t.shape, dtype=bool)
    days = local_days(t)
    first_day, last_day = int(days.min()), int(days.max())
    rise, set_ = _day_window(round(lat, 2), round(lon, 2), first_day, last_day)
    index = days - first_day
    return (t < rise[index]) | (t >= set_[index])


def utc_iso(t_s: np.ndarray) -> list[str]:
    """Epoch seconds as ISO 8601 UTC to the nearest second (``2027-01-01T07:23:33Z``);
    an empty string where there is no event."""
    t = np.asarray(t_s, dtype=np.float64)
    stamps = np.round(np.nan_to_num(t)).astype("datetime64[s]").astype(str)
    return [f"{s}Z" if np.isfinite(v) else "" for s, v in zip(stamps, t, strict=True)]
