"""Minimum night flow of a sector: one value per night from its net inflow.

The night window is set in local wall-clock time (default 02:00–04:00, Europe/Paris), so
it is 2 hours long on ordinary nights, 1 hour on the night clocks go forward (02:00–03:00
does not exist) and 3 hours on the night they go back (02:00–03:00 happens twice). The
value of a night is the **minimum rolling hour**: the lowest mean flow over any 60
minutes lying entirely inside the window (UKWIR practice).

Everything works on the *cumulative volume* of the sector (m³ since the first reading),
which is what flow meters (integrated, trapezoids) and volume counters (``counters``)
both give, whatever their steps — regular or not — and which adds up over several
meters: net inflow = Σ inlets − Σ outlets − change of storage of the sector's reservoirs.
A rolling hour's mean flow is then ``V(t) − V(t − 1 h)``, read by linear interpolation.

A night is missing (NaN) when the readings leave a gap longer than ``max_gap_s`` over
its window.

Each night also gets its **variability**: the standard deviation of the mean flows of the
window's quarter hours (from the same cumulative volume). A leak is a steady flow: it
lifts the night flow and leaves its variability as it was; garden timers, a night shift
or a filling tank switch on and off inside the window and raise it (the leak detector
uses it to tell such night use from a leak). It is NaN when the readings are too sparse
to see quarter hours (fewer than one per ``VARIABILITY_STEP_S`` on average over the
window, e.g. hourly meter indexes).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np

from ...core.clock import format_instant

HOUR_S = 3600.0
# Robust statistics of nights (the leak detector's, the weekly pattern's): σ from a MAD,
# and the standard error of a median of n normal values × √n / σ.
MAD_TO_SD = 1.4826
MEDIAN_SE = 1.2533
MAX_GAP_S = 3600.0
VARIABILITY_STEP_S = 900.0


@dataclass(frozen=True)
class NightWindow:
    """The local hours of the night analysis; a window may run past midnight (23:00–01:00)."""

    start_min: int = 120  # minutes after local midnight
    end_min: int = 240
    tz: str = "Europe/Paris"

    @classmethod
    def from_clock(cls, start: str, end: str, tz: str = "Europe/Paris") -> NightWindow:
        """From "HH:MM" texts."""
        def minutes(text: str) -> int:
            hours, mins = str(text).split(":")
            return int(hours) * 60 + int(mins)
        return cls(minutes(start), minutes(end), tz)


@dataclass(frozen=True)
class Nights:
    """One row per local night, dated by the local date the window starts on."""

    day: np.ndarray  # datetime64[D]
    start_s: np.ndarray  # window bounds, epoch seconds UTC
    end_s: np.ndarray
    minimum_m3h: np.ndarray  # minimum rolling-hour mean flow; NaN when data are missing
    at_s: np.ndarray  # end of that hour (epoch s UTC); NaN when missing
    # standard deviation of the window's quarter-hour flows (m³/h); NaN when unknown
    variability_m3h: np.ndarray
    # the resolution of the rolling-hour flows (m³/h): the step of the volume's index
    # (``lattice_step`` of its increments; a meter read to 100 L: 0.1), 0 when continuous
    resolution_m3h: float = 0.0

    def __len__(self) -> int:
        return len(self.day)


def _utc_s(day: date, minutes: int, tz: ZoneInfo) -> float:
    # fold=0: a non-existent local time (clocks forward) is read with the winter offset,
    # i.e. it falls on the instant of the change; an ambiguous one is its first occurrence.
    local = datetime(day.year, day.month, day.day, tzinfo=tz) + timedelta(minutes=minutes)
    return local.replace(fold=0).astimezone(UTC).timestamp()


def night_windows(first_s: float, last_s: float, window: NightWindow = NightWindow()
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(local dates, window starts, window ends) of the nights whose window lies within
    [first_s, last_s]."""
    tz = ZoneInfo(window.tz)
    crosses = window.end_min <= window.start_min
    day = datetime.fromtimestamp(first_s, tz).date() - timedelta(days=1)
    last = datetime.fromtimestamp(last_s, tz).date()
    days, starts, ends = [], [], []
    while day <= last:
        # Arithmetic on wall-clock fields, then converted: hence the local hours.
        start = _utc_s(day, window.start_min, tz)
        end_day = day + timedelta(days=1) if crosses else day
        end = _utc_s(end_day, window.end_min, tz)
        if start >= first_s and end <= last_s:
            days.append(np.datetime64(day, "D"))
            starts.append(start)
            ends.append(end)
        day += timedelta(days=1)
    return (np.array(days, dtype="datetime64[D]"), np.array(starts, dtype=np.float64),
            np.array(ends, dtype=np.float64))


def cumulative_from_flow(t_s: np.ndarray, flow_m3h: np.ndarray) -> np.ndarray:
    """Cumulative volume (m³) of a flow series (m³/h), by trapezoids; starts at 0."""
    t = np.asarray(t_s, dtype=np.float64)
    q = np.asarray(flow_m3h, dtype=np.float64)
    if len(t) == 0:
        return np.zeros(0)
    return np.concatenate([[0.0], np.cumsum((q[1:] + q[:-1]) / 2 * np.diff(t) / HOUR_S)])


def covered(t_s: np.ndarray, at_s: np.ndarray, max_gap_s: float = MAX_GAP_S) -> np.ndarray:
    """Whether each instant of ``at_s`` lies between two readings of ``t_s`` at most
    ``max_gap_s`` apart (or on a reading)."""
    t = np.asarray(t_s, dtype=np.float64)
    at = np.asarray(at_s, dtype=np.float64)
    if len(t) == 0:
        return np.zeros(len(at), dtype=bool)
    i = np.searchsorted(t, at, side="left")
    exact = (i < len(t)) & (t[np.minimum(i, len(t) - 1)] == at)
    inside = (i > 0) & (i < len(t))
    gap = t[np.minimum(i, len(t) - 1)] - t[np.maximum(i - 1, 0)]
    return exact | (inside & (gap <= max_gap_s))


def net_volume(parts: Sequence[tuple[float, np.ndarray, np.ndarray]],
               max_gap_s: float = MAX_GAP_S) -> tuple[np.ndarray, np.ndarray]:
    """Σ sign × cumulative volume of several series, on the union of their times.

    ``parts`` are (sign, times in s, cumulative m³). Instants where one of the series
    has a gap longer than ``max_gap_s`` are left out, so a meter's silence is never
    read as a null flow.
    """
    parts = [(sign, np.asarray(t, dtype=np.float64), np.asarray(v, dtype=np.float64))
             for sign, t, v in parts if len(t)]
    if not parts:
        return np.zeros(0), np.zeros(0)
    grid = np.unique(np.concatenate([t for _, t, _ in parts]))
    keep = np.ones(len(grid), dtype=bool)
    for _, t, _ in parts:
        keep &= covered(t, grid, max_gap_s)
    grid = grid[keep]
    total = np.zeros(len(grid))
    for sign, t, v in parts:
        total += sign * np.interp(grid, t, v)
    return grid, total


def night_minima(t_s: np.ndarray, volume_m3: np.ndarray, window: NightWindow = NightWindow(),
                 max_gap_s: float = MAX_GAP_S) -> Nights:
    """Minimum rolling-hour flow of each night, from a cumulative volume series."""
    t = np.asarray(t_s, dtype=np.float64)
    v = np.asarray(volume_m3, dtype=np.float64)
    if len(t) < 2:
        empty = np.zeros(0)
        return Nights(np.zeros(0, dtype="datetime64[D]"), empty, empty, empty, empty, empty)
    days, starts, ends = night_windows(t[0], t[-1], window)
    minimum = np.full(len(days), np.nan)
    at = np.full(len(days), np.nan)
    variability = np.full(len(days), np.nan)
    for j, (start, end) in enumerate(zip(starts, ends, strict=True)):
        if end - start < HOUR_S:
            continue
        lo = max(int(np.searchsorted(t, start, side="right")) - 1, 0)  # last reading ≤ start
        hi = min(int(np.searchsorted(t, end, side="left")), len(t) - 1)  # first ≥ end
        if t[lo] > start or t[hi] < end or np.max(np.diff(t[lo:hi + 1]), initial=0) > max_gap_s:
            continue
        inner = t[lo:hi + 1]
        candidates = np.unique(np.concatenate([
            [start + HOUR_S, end], inner[(inner > start + HOUR_S) & (inner < end)],
            inner[(inner > start) & (inner < end - HOUR_S)] + HOUR_S]))
        means = np.interp(candidates, t, v) - np.interp(candidates - HOUR_S, t, v)
        best = int(np.argmin(means))
        minimum[j], at[j] = means[best], candidates[best]  # m³ in one hour = m³/h
        variability[j] = _variability(t[lo:hi + 1], v[lo:hi + 1], start, end)
    return Nights(days, starts, ends, minimum, at, variability,
                  lattice_step(np.abs(np.diff(v))))


def lattice_step(values: np.ndarray) -> float:
    """The step of the lattice ``values`` lie on, 0 when they lie on none: the smallest
    gap between distinct values (to the millionth: differences of a meter's index carry
    rounding errors), when nine in ten gaps are whole multiples of it and it is a tenth of
    a litre at least (finer, no meter's resolution matters here). A sector meter
    read to 100 L (a pulse per 100 L, an index in tenths of m³) moves by steps of 0.1 m³,
    and its rolling-hour flows come in steps of 0.1 m³/h: most quiet nights then show the
    same value or the next one, and their MAD is 0 or a whole step."""
    gaps = np.diff(np.unique(np.round(np.asarray(values, dtype=np.float64), 6)))
    if len(gaps) == 0:
        return 0.0
    step = float(gaps.min())
    if step < 1e-4:
        return 0.0
    ratio = gaps / step
    return step if np.mean(np.abs(ratio - np.round(ratio)) <= 0.02) >= 0.9 else 0.0


def _variability(t: np.ndarray, v: np.ndarray, start: float, end: float) -> float:
    """Standard deviation of the mean flows (m³/h) of the quarter hours of [start, end],
    from the readings around it (NaN when they are sparser than one per quarter hour)."""
    inside = int(np.count_nonzero((t >= start) & (t <= end)))
    quarters = int((end - start) // VARIABILITY_STEP_S)
    if quarters < 2 or inside < quarters:
        return float("nan")
    edges = start + VARIABILITY_STEP_S * np.arange(quarters + 1)
    flows = np.diff(np.interp(edges, t, v)) * HOUR_S / VARIABILITY_STEP_S
    return float(np.std(flows))


def night_minima_from_flow(t_s: np.ndarray, flow_m3h: np.ndarray,
                           window: NightWindow = NightWindow(),
                           max_gap_s: float = MAX_GAP_S) -> Nights:
    """Minimum rolling-hour flow of each night, from a flow series (m³/h)."""
    return night_minima(t_s, cumulative_from_flow(t_s, flow_m3h), window, max_gap_s)


def rolling_percentile(values: np.ndarray, nights: int = 7, q: float = 20) -> np.ndarray:
    """The ``q``-th percentile of the last ``nights`` values (this one included), missing
    nights ignored; NaN while fewer than half of them are known (UKWIR: P20 over 7 days)."""
    values = np.asarray(values, dtype=np.float64)
    out = np.full(len(values), np.nan)
    whole = np.zeros(len(values), dtype=bool)  # full windows of known nights: all at once
    if len(values) >= nights:
        windows = np.lib.stride_tricks.sliding_window_view(values, nights)
        full = np.isfinite(windows).all(axis=1)
        whole[nights - 1:] = full
        # The same interpolation, row by row, as on each window alone.
        out[nights - 1:][full] = np.percentile(windows[full], q, axis=1)
    for i in np.flatnonzero(~whole):
        recent = values[max(0, i - nights + 1):i + 1]
        recent = recent[np.isfinite(recent)]
        if len(recent) * 2 >= nights:
            out[i] = np.percentile(recent, q)
    return out


def iso_utc(seconds: float | None) -> str | None:
    """Epoch seconds as ISO 8601 UTC (``…Z``), None kept."""
    return None if seconds is None else format_instant(int(round(seconds * 1000)))

