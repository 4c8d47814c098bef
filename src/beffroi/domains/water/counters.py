"""Volume counters: from a meter's index readings to the volume of each step.

The logic is core's (``core.counters``, any unit); this module names it in m³ for water.

A volume counter (``water.volume``, m³) only grows, except in three cases that a naive
difference would turn into huge negative — or positive — volumes:

- **roll-over**: the index passes its maximum (99 999 m³ for a 5-digit totaliser,
  999 999 m³ for 6 digits…) and starts again from 0. The step's volume is
  ``index[i] + rollover - index[i - 1]``. When ``rollover`` is not given it is inferred:
  a drop from within the top 10 % of a power of ten (≥ 90 000 for 10⁵) to the bottom
  10 % of it is a roll-over of that power of ten.
  Either way the wrapped volume must be less than 10 % of the range, otherwise the drop is
  a reset (one step never reads a tenth of a totaliser).
- **reset**: the meter was replaced (or its head re-initialised) and its index starts
  again from about 0. The volume of that step is unknown (part on the old meter, part
  on the new one); it is estimated from the median flow rate of up to four neighbouring
  steps times the step's duration, else taken as the new index (a new meter starts at 0).
- **back-step**: a small backward move (reverse flow through a bidirectional meter, a
  corrected reading) of at most ``BACKSTEP_M3`` is kept as a negative volume, so that
  the volumes of a period still add up to the index difference.

Readings must be sorted by time without duplicates (``sorted_unique`` does that).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ...core.counters import (  # noqa: F401 (re-exported for water's modules and tests)
    BACKSTEP,
    NEIGHBOURS,
    NORMAL,
    RESET,
    ROLLOVER,
    ROLLOVER_MARGIN,
    sorted_unique,
    steps,
)

BACKSTEP_M3 = 1.0  # backward moves up to this are reverse flow / corrections, not resets


@dataclass(frozen=True)
class CounterSteps:
    """The volume of each step between consecutive readings (length n - 1)."""

    volume_m3: np.ndarray
    kind: np.ndarray  # NORMAL, ROLLOVER, RESET or BACKSTEP per step


def counter_steps(t_ms: np.ndarray, index: np.ndarray,
                  rollover: float | None = None) -> CounterSteps:
    """Volume and kind of each step of a sorted index series (see the module docstring)."""
    found = steps(t_ms, index, rollover, BACKSTEP_M3)
    return CounterSteps(found.delta, found.kind)


def volume_deltas(t_ms: np.ndarray, index: np.ndarray, rollover: float | None = None
                  ) -> np.ndarray:
    """Volume (m³) between consecutive readings, roll-overs and resets handled: n - 1 values."""
    return counter_steps(t_ms, index, rollover).volume_m3


def cumulative_volume(t_ms: np.ndarray, index: np.ndarray, rollover: float | None = None
                      ) -> np.ndarray:
    """Volume (m³) since the first reading, at each reading: n values starting at 0."""
    return np.concatenate([[0.0], np.cumsum(volume_deltas(t_ms, index, rollover))])


def step_flows(t_ms: np.ndarray, index: np.ndarray, rollover: float | None = None
               ) -> np.ndarray:
    """Mean flow (m³/h) over each step, dated at the step's end: n - 1 values."""
    hours = np.diff(np.asarray(t_ms, dtype=np.float64)) / 3_600_000
    volume = volume_deltas(t_ms, index, rollover)
    return np.divide(volume, hours, out=np.full(len(volume), np.nan), where=hours > 0)
