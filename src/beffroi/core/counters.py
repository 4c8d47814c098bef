"""Index counters: from a meter's index readings to the quantity of each step.

A counter (water ``m³``, energy ``kWh``, gas ``m³``: any unit) only grows, except in three
cases that a naive difference would turn into huge negative — or positive — quantities:

- **roll-over**: the index passes its maximum (99 999 for a 5-digit totaliser, 999 999
  for 6 digits…) and starts again from 0. The step's quantity is
  ``index[i] + rollover - index[i - 1]``. When ``rollover`` is not given it is inferred:
  a drop from within the top 10 % of a power of ten (≥ 90 000 for 10⁵) to the bottom
  10 % of it is a roll-over of that power of ten.
  Either way the wrapped quantity must be less than 10 % of the range, otherwise the drop
  is a reset (one step never reads a tenth of a totaliser).
- **reset**: the meter was replaced (or its head re-initialised) and its index starts
  again from about 0. The quantity of that step is unknown (part on the old meter, part
  on the new one); it is estimated from the median rate of up to four neighbouring steps
  times the step's duration, else taken as the new index (a new meter starts at 0).
- **back-step**: a small backward move (reverse flow through a bidirectional meter, a
  corrected reading) of at most ``backstep`` units (``BACKSTEP`` = 1 by default) is kept
  as a negative quantity, so that the steps of a period still add up to the index
  difference.

Readings must be sorted by time without duplicates (``sorted_unique`` does that).
Used by the water domain (``water.volume``) and public buildings (electricity, gas, heat).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

NORMAL, ROLLOVER, RESET, BACKSTEP = 0, 1, 2, 3
BACKSTEP_UNITS = 1.0  # backward moves up to this are reverse flow / corrections, not resets
ROLLOVER_MARGIN = 0.1  # share of the range: near the top before, near 0 after
NEIGHBOURS = 4  # steps each side used to estimate the quantity of a reset step


@dataclass(frozen=True)
class Steps:
    """The quantity of each step between consecutive readings (length n - 1)."""

    delta: np.ndarray
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


def steps(t_ms: np.ndarray, index: np.ndarray, rollover: float | None = None,
          backstep: float = BACKSTEP_UNITS) -> Steps:
    """Quantity and kind of each step of a sorted index series (see the module docstring)."""
    t = np.asarray(t_ms, dtype=np.float64)
    index = np.asarray(index, dtype=np.float64)
    if len(t) != len(index):
        raise ValueError("t_ms and index differ in length")
    diff = np.diff(index)
    kind = np.full(len(diff), NORMAL, dtype=np.int8)
    delta = diff.copy()
    for i in np.flatnonzero(diff < 0):
        before, after = index[i], index[i + 1]
        span = rollover if rollover else _inferred_rollover(before, after)
        if span and 0 <= after + span - before < ROLLOVER_MARGIN * span:
            delta[i], kind[i] = after + span - before, ROLLOVER
        elif before - after <= backstep:
            kind[i] = BACKSTEP
        else:
            kind[i] = RESET
    resets = np.flatnonzero(kind == RESET)
    if len(resets):
        dt = np.diff(t)
        ok = (kind == NORMAL) & (dt > 0)
        rate = np.where(ok, delta / np.where(dt > 0, dt, 1), np.nan)
        for i in resets:
            around = rate[max(0, i - NEIGHBOURS):i + NEIGHBOURS + 1]
            around = around[np.isfinite(around)]
            delta[i] = (float(np.median(around)) * dt[i] if len(around)
                        else max(float(index[i + 1]), 0.0))
    return Steps(delta, kind)


def deltas(t_ms: np.ndarray, index: np.ndarray, rollover: float | None = None) -> np.ndarray:
    """Quantity between consecutive readings, roll-overs and resets handled: n - 1 values."""
    return steps(t_ms, index, rollover).delta
