"""The pre-#15 leak detector, kept as a baseline for ``bench/leaks.py``.

A copy, unchanged in behaviour, of ``detect_leaks`` and its helpers as they were in
``beffroi.domains.water.leaks`` (commit 4d5d549) before issue #15 rewrote it: a robust
CUSUM of the nightly minimum flow against the sector's last normal nights, one leak at a
time (no stacked leaks), the onset back-dated to the start of the CUSUM run, and a leak
resolved by itself when its last nights fall back near the reference or drop by half its
excess. It takes no repair records. See that commit's module docstring for the details.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

MAD_TO_SD = 1.4826


@dataclass(frozen=True)
class LeakParams:
    reference_nights: int = 28
    min_reference_nights: int = 14
    min_scale_share: float = 0.03
    k: float = 1.5
    h: float = 4.0
    cap: float = 4.0
    min_excess: float = 2.5
    recent_nights: int = 7
    max_pending_nights: int = 21
    resolve_nights: int = 3
    resolve_share: float = 0.5
    resolve_sigma: float = 1.5
    drop_sigma: float = 2.5


@dataclass
class Leak:
    """One leak found in a night series (times in epoch seconds UTC)."""

    onset_s: float
    detected_s: float
    reference_m3h: float
    scale_m3h: float
    extra_flow_m3h: float = 0.0
    current_m3h: float = 0.0  # median of the recent nights
    lost_m3: float = 0.0
    resolved_s: float | None = None
    onset_night: int = 0  # indexes in the night series
    nights: list[int] = field(default_factory=list)

    @property
    def active(self) -> bool:
        return self.resolved_s is None


@dataclass(frozen=True)
class LeakScan:
    """The leaks of a series and, night by night, what the detector saw."""

    leaks: list[Leak]
    reference_m3h: np.ndarray  # NaN during the warm-up
    scale_m3h: np.ndarray  # the robust spread the reference came with (NaN likewise)


def _reference(normal: list[float], p: LeakParams) -> tuple[float, float]:
    window = np.asarray(normal[-p.reference_nights:])
    ref = float(np.median(window))
    mad = float(np.median(np.abs(window - ref))) * MAD_TO_SD
    return ref, max(mad, p.min_scale_share * abs(ref), 1e-6)


def _excess_volume(values: np.ndarray, times: np.ndarray, ref: float, onset_s: float) -> float:
    """m³ lost since onset: each night's excess (3-night running median, ≥ 0) over the
    time since the previous night (since the onset for the first one)."""
    if len(values) == 0:
        return 0.0
    padded = np.concatenate([[values[0]], values, [values[-1]]])
    smooth = np.median(np.lib.stride_tricks.sliding_window_view(padded, 3), axis=1)
    excess = np.clip(smooth - ref, 0, None)
    hours = np.diff(np.concatenate([[onset_s], times])) / 3600
    return float(np.sum(excess * np.clip(hours, 0, None)))


def _repaired(leak: Leak, x: np.ndarray, p: LeakParams) -> bool:
    """Whether the last nights show the leak over: back to the reference, or a drop of at
    least half the leak's excess (a repair while the season moves the night flow)."""
    values = x[leak.nights]
    if len(values) <= p.resolve_nights:
        return False
    recent = float(np.median(values[-p.resolve_nights:]))
    extra = max(leak.extra_flow_m3h, 0.0)
    if recent <= leak.reference_m3h + max(p.resolve_share * extra,
                                          p.resolve_sigma * leak.scale_m3h):
        return True
    before = values[-p.resolve_nights - p.recent_nights:-p.resolve_nights]
    if len(before) < p.resolve_nights:
        return False
    level = float(np.median(before))
    drop = level - recent
    return drop >= max(p.resolve_share * (level - leak.reference_m3h),
                       p.drop_sigma * leak.scale_m3h)


def detect_leaks(night_s: np.ndarray, flow_m3h: np.ndarray,
                 params: LeakParams = LeakParams()) -> LeakScan:
    """Leaks in a series of nightly minimum flows dated ``night_s`` (see module docstring)."""
    p = params
    t = np.asarray(night_s, dtype=np.float64)
    x = np.asarray(flow_m3h, dtype=np.float64)
    reference = np.full(len(x), np.nan)
    spread = np.full(len(x), np.nan)
    leaks: list[Leak] = []
    normal: list[float] = []
    pending: list[int] = []
    s = 0.0
    leak: Leak | None = None
    last_normal = None  # index of the last night known to be leak-free

    for n in range(len(x)):
        if not np.isfinite(x[n]):
            continue
        if leak is not None:
            reference[n], spread[n] = leak.reference_m3h, leak.scale_m3h
            leak.nights.append(n)
            if _repaired(leak, x, p):
                kept = leak.nights[:-p.resolve_nights]
                leak.nights = kept
                leak.resolved_s = float(t[n])
                leak.lost_m3 = _excess_volume(x[kept], t[kept], leak.reference_m3h,
                                              leak.onset_s)
                # The sector after a repair is a new sector: learn its reference again.
                leak, s, pending, normal = None, 0.0, [], []
            else:
                values = x[leak.nights]
                leak.current_m3h = float(np.median(values[-p.recent_nights:]))
                leak.extra_flow_m3h = max(leak.current_m3h - leak.reference_m3h, 0.0)
                leak.lost_m3 = _excess_volume(values, t[leak.nights], leak.reference_m3h,
                                              leak.onset_s)
            continue

        if len(normal) < p.min_reference_nights:
            normal.append(float(x[n]))
            last_normal = n
            continue
        ref, scale = _reference(normal, p)
        reference[n], spread[n] = ref, scale
        z = min((x[n] - ref) / scale, p.cap)
        s = max(0.0, s + z - p.k)
        if s == 0.0:
            normal += [float(x[i]) for i in pending] + [float(x[n])]
            pending, last_normal = [], n
            continue
        pending.append(n)
        if len(pending) > p.max_pending_nights:  # a slow drift, not a leak: let it in
            normal.append(float(x[pending.pop(0)]))
        excess = float(np.median(x[pending[-p.recent_nights:]])) - ref
        if s >= p.h and excess >= p.min_excess * scale:
            first = pending[0]
            before = t[last_normal] if last_normal is not None else t[first] - 86_400
            leak = Leak(onset_s=float((before + t[first]) / 2), detected_s=float(t[n]),
                        reference_m3h=ref, scale_m3h=scale, onset_night=first,
                        nights=list(pending))
            values = x[pending]
            leak.current_m3h = float(np.median(values[-p.recent_nights:]))
            leak.extra_flow_m3h = max(leak.current_m3h - ref, 0.0)
            leak.lost_m3 = _excess_volume(values, t[pending], ref, leak.onset_s)
            leaks.append(leak)
            pending = []
    return LeakScan(leaks, reference, spread)
