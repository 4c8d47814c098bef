"""The weekly pattern of a sector's night flow: a factory, a farm or a hospital whose night
work follows the days of the week lifts some nights of every week and not the others.

Against one reference for all nights, such a sector looks noisy (its spread holds the
pattern), its low nights are the quiet days' and a leak is told from them only when it is
larger than the pattern: a leak of 2 m³/h on a sector of 20 m³/h at night whose factory
draws 4 m³/h on weekday nights was never found. Each night's *usual offset* for its day of
the week is taken out before the detector sees it (``leaks.detect_leaks``).

The offsets are measured on the weeks before the night's (causal: the nights of a week are
judged with what the weeks before taught), ``window_weeks`` of them at most and
``min_weeks`` at least: within each week, each night's difference to that week's median
(a leak or the season, steady over the week, cancels out); for each day of the week, the
median of those differences over the weeks (a leak starting mid-week shifts one week's,
outvoted). The pattern is kept only where it stands out of the noise: its range (largest −
smallest offset) at least ``min_range`` standard errors of an offset (1.2533 × the
nights' noise / √weeks; the noise from each night's difference to the same night a week
before, where the pattern cancels out): seven offsets of a sector without a pattern span
more than six standard errors once in a thousand. Once kept, it stays while it spans half
as much (a noisy week does not switch it off and on). Else every offset is 0: a sector
without a weekly pattern is left exactly as it was (on the benchmark's 120 sectors, three
had one for a few weeks — 7 to 18 % of their nights —, and no figure changes).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .night_flow import MAD_TO_SD, MEDIAN_SE

DAY_S = 86_400.0


@dataclass(frozen=True)
class WeeklyParams:
    window_weeks: int = 12
    min_weeks: int = 6
    min_nights: int = 5  # a week with fewer known nights is left out
    min_range: float = 7.0  # standard errors of an offset


def night_weekday(night_s: np.ndarray) -> np.ndarray:
    """Each night's day of the week (0–6, a steady labelling: 0 is no particular day),
    from the end of its window: the UTC date twelve hours before it, the evening the night
    starts on whatever the window (ending between noon the day before and noon) and
    whatever the season (a window ending at 01:00 in Paris ends on the previous UTC date in
    summer, on the same in winter)."""
    return (np.floor((np.asarray(night_s, dtype=np.float64) - DAY_S / 2) / DAY_S)
            % 7).astype(np.int64)


def weekly_offsets(night_s: np.ndarray, flow_m3h: np.ndarray,
                   params: WeeklyParams = WeeklyParams()) -> np.ndarray:
    """Each night's usual offset (m³/h) for its day of the week, from the weeks before its
    own (0 where no pattern stands out, or without ``min_weeks`` weeks before); NaN nights
    (missing, or left out by the caller) teach nothing."""
    t = np.asarray(night_s, dtype=np.float64)
    x = np.asarray(flow_m3h, dtype=np.float64)
    out = np.zeros(len(t))
    if len(t) == 0:
        return out
    day = np.floor((t - DAY_S / 2) / DAY_S).astype(np.int64)  # (as ``night_weekday``)
    weekday = day % 7
    week = (day - day[0]) // 7
    # Per week: each known night's difference to the week's median.
    weeks: list[np.ndarray | None] = []  # row per week: the differences by day of the week
    bounds = np.searchsorted(week, np.arange(int(week[-1]) + 2))  # (nights in time order)
    for w in range(int(week[-1]) + 1):
        mine = np.arange(bounds[w], bounds[w + 1])
        mine = mine[np.isfinite(x[mine])]
        if len(mine) < params.min_nights:
            weeks.append(None)
            continue
        row = np.full(7, np.nan)
        row[weekday[mine]] = x[mine] - np.median(x[mine])
        weeks.append(row)
    held = False  # a pattern seen stays while it stands at half its threshold
    for w in range(int(week[-1]) + 1):
        before = [row for row in weeks[max(0, w - params.window_weeks):w] if row is not None]
        if len(before) < params.min_weeks:
            continue
        offsets = _pattern(np.array(before), params, params.min_range / (2 if held else 1))
        held = offsets is not None
        if held:
            nights = week == w
            out[nights] = offsets[weekday[nights]]
    return out


def _pattern(rows: np.ndarray, params: WeeklyParams, least: float) -> np.ndarray | None:
    """The offsets by day of the week from weeks of differences (NaN: unknown), centred on
    their median; None when their range is under ``least`` standard errors."""
    counts = np.isfinite(rows).sum(axis=0)
    if (counts < params.min_weeks // 2).any():
        return None
    # (each column's median of its known values: NaNs sort last; np.nanmedian is 20 times
    # slower on such small arrays)
    ordered, columns = np.sort(rows, axis=0), np.arange(rows.shape[1])
    offsets = (ordered[(counts - 1) // 2, columns] + ordered[counts // 2, columns]) / 2
    offsets -= np.median(offsets)
    # The noise, from each night's difference to the same night of the week before (the
    # pattern cancels out): √2 × the nights' own.
    steps = (rows[1:] - rows[:-1]).ravel()
    steps = steps[np.isfinite(steps)]
    if len(steps) < params.min_weeks:
        return None
    noise = MAD_TO_SD * float(np.median(np.abs(steps - np.median(steps)))) / np.sqrt(2)
    error = MEDIAN_SE * noise / np.sqrt(counts.min())  # of an offset
    if offsets.max() - offsets.min() < least * max(error, 1e-9):
        return None
    return offsets
