"""Vectorised UTC offsets agree with zoneinfo instant by instant, across clock changes; times
as files write them are read with or without an offset."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from beffroi.core.clock import PARIS, format_instant, parse_written_time, utc_offsets


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


@pytest.mark.parametrize("text, instant", [
    ("2024-10-27T02:30:00+02:00", "2024-10-27T00:30:00Z"),
    ("2024-10-27T01:30:00Z", "2024-10-27T01:30:00Z"),
    ("27/10/2024 03:00", "2024-10-27T02:00:00Z"),        # winter time, UTC+1
    ("27/10/2024 01:59:59", "2024-10-26T23:59:59Z"),     # summer time, UTC+2
    ("5/1/2024 8:00", "2024-01-05T07:00:00Z"),
    (" 2024-01-05 08:00 ", "2024-01-05T07:00:00Z"),
    ("2024-01-05T08:00:00,5", "2024-01-05T07:00:00.500Z"),
    ("2024-03-31 03:00:00", "2024-03-31T01:00:00Z"),     # the first minute of summer time
])
def test_written_times_with_or_without_an_offset(text, instant):
    assert format_instant(parse_written_time(text, PARIS)) == instant


@pytest.mark.parametrize("text, reason", [
    ("27/10/2024 02:00", "heure répétée au retour à l'heure d'hiver"),
    ("2024-10-27 02:59:59", "heure répétée au retour à l'heure d'hiver"),
    ("31/03/2024 02:00", "heure sautée au passage à l'heure d'été"),
    ("31/02/2024 10:00", "date ou heure inexistante"),
    ("05/01/2024 24:00", "date ou heure inexistante"),
    ("2024-01-05", "date sans heure"),
    ("05/01/2024", "horodatage illisible"),
    ("1704441600", "horodatage illisible"),
])
def test_written_times_that_name_no_single_instant_are_refused(text, reason):
    with pytest.raises(ValueError, match=reason):
        parse_written_time(text, PARIS)
