"""The rolling 20th percentile of the night flow (UKWIR: P20 of the last 7 nights) shown
on the sector's chart: each night's value is the percentile of its own window, computed
here by linear interpolation between the sorted known nights, whether the window is full
(computed all at once) or has missing nights (computed alone)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from beffroi.domains.water.night_flow import rolling_percentile


def _p(values: list[float], q: float) -> float:
    """The q-th percentile, linear interpolation (rank q/100 × (n − 1) in sorted values)."""
    ordered = sorted(values)
    rank = q / 100 * (len(ordered) - 1)
    low = math.floor(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


@pytest.mark.parametrize("nights, q", [(7, 20), (3, 50), (1, 20), (10, 90)])
def test_each_night_is_the_percentile_of_its_own_window(nights, q):
    rng = np.random.default_rng(nights)
    values = rng.normal(12.0, 2.5, 90)
    values[[5, 6, 7, 30, 44, 45, 46, 47, 48, 70]] = np.nan  # missing nights
    got = rolling_percentile(values, nights, q)
    assert len(got) == len(values)
    for i in range(len(values)):
        window = values[max(0, i - nights + 1):i + 1]
        known = [float(v) for v in window if np.isfinite(v)]
        if len(known) * 2 >= nights:
            assert got[i] == pytest.approx(_p(known, q), rel=1e-12), i
            assert got[i] == np.percentile(known, q)  # to the last bit, as one by one
        else:
            assert np.isnan(got[i]), i


def test_fewer_nights_than_the_window():
    got = rolling_percentile(np.array([4.0, 8.0, 6.0]), 7, 20)
    assert np.isnan(got[:3]).all()  # 1, 2, 3 known nights out of 7
    got = rolling_percentile(np.array([4.0, 8.0, 6.0, 5.0]), 7, 20)
    assert got[3] == pytest.approx(_p([4.0, 8.0, 6.0, 5.0], 20))
    assert len(rolling_percentile(np.array([]), 7, 20)) == 0
