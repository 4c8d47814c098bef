"""How fast a container fills: the least-squares line of its fill level since it was last
emptied, and the level it will reach at a given instant.

A container is emptied at collection: its fill level falls at once. The current cycle
starts after the last fall of ``EMPTYING_DROP`` points or more between two readings
(assumption: sensor noise and settling stay well below it). The trend is fitted on that
cycle only, when it holds ``MIN_POINTS`` readings over ``MIN_SPAN_MS`` at least: a line
through a few readings of one afternoon would take the day's rush for the daily rate.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

DAY_MS = 86_400_000
EMPTYING_DROP = 25.0  # percentage points between two readings
MIN_POINTS = 3
MIN_SPAN_MS = 6 * 3_600_000


@dataclass(frozen=True)
class Trend:
    """fill(t) = level_at_origin + per_day × (t − origin) / 1 day, t in epoch ms."""

    origin_ms: int  # the first reading of the cycle
    level_at_origin: float  # % (the line's value there, not the reading)
    per_day: float  # percentage points per day

    def at(self, t_ms: int) -> float:
        """The line's value at ``t_ms``, within [0, 100] %."""
        value = self.level_at_origin + self.per_day * (t_ms - self.origin_ms) / DAY_MS
        return min(100.0, max(0.0, value))


def cycle_start(values: Sequence[float], drop: float = EMPTYING_DROP) -> int:
    """Index of the first reading after the last emptying (0 if none is seen)."""
    for i in range(len(values) - 1, 0, -1):
        if values[i - 1] - values[i] >= drop:
            return i
    return 0


def fit_trend(times_ms: Sequence[int], values: Sequence[float]) -> Trend | None:
    """The least-squares line of the current cycle (readings sorted by time); None when the
    cycle is too short to tell."""
    start = cycle_start(values)
    t, v = times_ms[start:], values[start:]
    if len(t) < MIN_POINTS or t[-1] - t[0] < MIN_SPAN_MS:
        return None
    origin = t[0]
    x = [(ti - origin) / DAY_MS for ti in t]  # days since the cycle began
    n = len(x)
    mx, my = sum(x) / n, sum(v) / n
    sxx = sum((xi - mx) ** 2 for xi in x)
    sxy = sum((xi - mx) * (yi - my) for xi, yi in zip(x, v, strict=True))
    slope = sxy / sxx
    return Trend(origin, my - slope * mx, slope)
