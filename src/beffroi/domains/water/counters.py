"""Volume counters: from a meter's index readings to the volume of each step.

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

NORMAL, ROLLOVER, RESET, BACKSTEP = 0, 1, 2, 3
BACKSTEP_M3 = 1.0  # backward moves up to this are reverse flow / corrections, not resets
ROLLOVER_MARGIN = 0.1  # share of the range: near the top before, near 0 after
NEIGHBOURS = 4  # steps each side used to estimate the volume of a reset step


@dataclass(frozen=True)
class CounterSteps:
    """The volume of each step between consecutive readings (length n - 1)."""

    volume_m3: np.ndarray
    kind: np.ndarray  # NORMAL, ROLLOVER, RESET or BACKSTEP per step


def sorted_unique(t: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Readings sorted by time, non-finite values dropped, the last of duplicate times kept."""
    t = np.asarray(t, dtype=np.float64)
    values = np.asarray(values, dtype=np.float64)
    keep = np.isfinite(t) & np.isfinite(values)
    t, values = t[keep], values[keep]
    order = np.argsort(t, kind="stable")
    t, values = t[order], values[order]
    if len(t) > 1:
        last = np.append(t[1:] != t[:-1], True)
        t, values = t[last], values[last]
    return t, values


def _inferred_rollover(before: float, after: float) -> float | None:
    """The power of ten the index has just passed, if the drop looks like a roll-over."""
    if before <= 0:
        return None
    power = 10.0 ** np.ceil(np.log10(before + 1e-9))
    if before >= (1 - ROLLOVER_MARGIN) * power and 0 <= after <= ROLLOVER_MARGIN * power:
        return power
    return None


def counter_steps(t_ms: np.ndarray, index: np.ndarray,
                  rollover: float | None = None) -> CounterSteps:
    """Volume and kind of each step of a sorted index series (see the module docstring)."""
    t = np.asarray(t_ms, dtype=np.float64)
    index = np.asarray(index, dtype=np.float64)
    if len(t) != len(index):
        raise ValueError("t_ms and index differ in length")
    diff = np.diff(index)
    kind = np.full(len(diff), NORMAL, dtype=np.int8)
    volume = diff.copy()
    for i in np.flatnonzero(diff < 0):
        before, after = index[i], index[i + 1]
        span = rollover if rollover else _inferred_rollover(before, after)
        if span and 0 <= after + span - before < ROLLOVER_MARGIN * span:
            volume[i], kind[i] = after + span - before, ROLLOVER
        elif before - after <= BACKSTEP_M3:
            kind[i] = BACKSTEP
        else:
            kind[i] = RESET
    resets = np.flatnonzero(kind == RESET)
    if len(resets):
        dt = np.diff(t)
        ok = (kind == NORMAL) & (dt > 0)
        rate = np.where(ok, volume / np.where(dt > 0, dt, 1), np.nan)
        for i in resets:
            around = rate[max(0, i - NEIGHBOURS):i + NEIGHBOURS + 1]
            around = around[np.isfinite(around)]
            volume[i] = (float(np.median(around)) * dt[i] if len(around)
                         else max(float(index[i + 1]), 0.0))
    return CounterSteps(volume, kind)


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
