"""What simulators schedule on: local civil time of simulated instants (``local_time``,
from core, which the product uses too), seasons, autocorrelated noise, sampling steps.

Simulators receive epoch seconds (UTC); people, schools and lighting timers live
in local time with daylight saving (offsets from ``core.clock.utc_offsets``).
"""

from __future__ import annotations

import numpy as np

from ..core.clock import TZ, LocalTime, local_time

__all__ = ["TZ", "LocalTime", "ar1_noise", "local_time", "seasonal", "step_hours"]

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
