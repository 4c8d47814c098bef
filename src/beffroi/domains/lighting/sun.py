"""Sunset and sunrise for lighting schedules, from astral (NOAA algorithm).

Official sunrise/sunset use a zenith of 90.833° (upper limb with refraction),
astral's default; its NOAA algorithm is within ~20 s of ephemeris results in France.
"""

from __future__ import annotations

from datetime import UTC, date, timedelta
from functools import lru_cache

import numpy as np
from astral import Observer
from astral.sun import sunrise, sunset

_EPOCH = date(1970, 1, 1)


@lru_cache(maxsize=50_000)
def _events(lat: float, lon: float, day: int) -> tuple[float, float]:
    """(sunrise, sunset) of UTC day number ``day``, as epoch seconds."""
    observer = Observer(latitude=lat, longitude=lon)
    on = _EPOCH + timedelta(days=day)
    return (sunrise(observer, on, tzinfo=UTC).timestamp(),
            sunset(observer, on, tzinfo=UTC).timestamp())


def is_night(t_s: np.ndarray, lat: float, lon: float) -> np.ndarray:
    """True between sunset and sunrise. Valid at French latitudes, where both fall on
    the same UTC day; positions are rounded to ~1 km, which moves events by seconds."""
    t = np.asarray(t_s, dtype=np.float64)
    days = np.floor(t / 86400).astype(np.int64)
    unique, inverse = np.unique(days, return_inverse=True)
    events = np.array([_events(round(lat, 2), round(lon, 2), int(d)) for d in unique])
    rise, set_ = events[inverse, 0], events[inverse, 1]
    return (t < rise) | (t >= set_)
