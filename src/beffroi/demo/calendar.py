"""Local civil time of simulated instants, vectorised: what simulators schedule on.

Simulators receive epoch seconds (UTC); people, schools and lighting timers live
in local time with daylight saving (offsets from ``core.clock.utc_offsets``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..core.clock import utc_offsets

TZ = "Europe/Paris"


@dataclass(frozen=True)
class LocalTime:
    seconds: np.ndarray  # local wall-clock seconds since 1970-01-01 00:00 local
    hour: np.ndarray  # 0 <= hour < 24, fractional
    weekday: np.ndarray  # 0 = Monday
    day: np.ndarray  # local day number since 1970-01-01
    day_of_year: np.ndarray  # 0 = 1 January


def local_time(t_s: np.ndarray, tz: str = TZ) -> LocalTime:
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


def seasonal(day_of_year: np.ndarray, coldest_day: int = 15) -> np.ndarray:
    """+1 at the coldest day of the year, -1 six months later (cosine)."""
    return np.cos(2 * np.pi * (day_of_year - coldest_day) / 365.25)


def ar1_noise(n: int, rng: np.random.Generator, sigma: float, memory: float) -> np.ndarray:
    """Autocorrelated noise (AR(1), coefficient ``memory``) with stationary std ``sigma``.

    Computed as white noise convolved with the AR(1) impulse response, truncated
    where it falls below 1 %, which keeps it vectorised.
    """
    if n == 0:
        return np.zeros(0)
    length = max(1, int(np.ceil(np.log(0.01) / np.log(memory)))) if 0 < memory < 1 else 1
    kernel = memory ** np.arange(length)
    white = rng.normal(0.0, 1.0, n + length - 1)
    out = np.convolve(white, kernel, mode="valid")
    return out * sigma / np.sqrt((kernel ** 2).sum())


def step_hours(t_s: np.ndarray) -> float:
    """The sampling step of a simulated series, in hours (1 for a single point)."""
    return float(np.median(np.diff(t_s))) / 3600 if len(t_s) > 1 else 1.0
