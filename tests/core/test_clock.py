"""Vectorised UTC offsets agree with zoneinfo instant by instant, across clock changes."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from beffroi.core.clock import utc_offsets


@pytest.mark.parametrize("tz", ["Europe/Paris", "America/Cayenne", "Australia/Adelaide",
                                "America/St_Johns"])
def test_offsets_match_zoneinfo_around_every_change(tz):
    rng = np.random.default_rng(4)
    start = datetime(2025, 1, 1, tzinfo=UTC).timestamp()
    t = np.sort(rng.uniform(start, start + 2 * 365 * 86_400, 20_000))
    # Plus the seconds around the 2026 European changes (29 March, 25 October, 01:00 UTC).
    edges = [datetime(2026, 3, 29, 1, tzinfo=UTC).timestamp(),
             datetime(2026, 10, 25, 1, tzinfo=UTC).timestamp()]
    t = np.concatenate([t, [e + d for e in edges for d in (-1.0, 0.0, 1.0)]])
    zone = ZoneInfo(tz)
    expected = [datetime.fromtimestamp(x, zone).utcoffset().total_seconds() for x in t]
    assert utc_offsets(t, tz).tolist() == expected


def test_no_finite_instant_gives_zero_offsets():
    assert utc_offsets(np.array([np.nan, np.inf])).tolist() == [0.0, 0.0]
