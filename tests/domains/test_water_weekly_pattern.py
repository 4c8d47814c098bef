"""A sector whose night flow follows the days of the week (a factory working weekday
nights): its weekly pattern is measured on the weeks before each night's and taken out
before the leak detector judges it; a sector without one is left exactly as it was."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pytest

from beffroi.domains.water.leaks import LeakParams, detect_leaks
from beffroi.domains.water.night_flow import NightWindow, night_windows
from beffroi.domains.water.weekly_pattern import night_weekday, weekly_offsets

from .night_series import DAY, T0, leak, nights

FACTORY_M3H = 4.0  # on weekday nights, on a sector of 20 m³/h at night (noise 0.6)


def weekday_nights(t: np.ndarray) -> np.ndarray:
    """Whether each night (dated by its end, 03:00 UTC) follows a working day: the nights
    ending Tuesday to Saturday morning (1 January 2025 was a Wednesday)."""
    return np.isin(np.floor((t - T0) / DAY).astype(int) % 7, [0, 1, 2, 3, 6])


def factory_nights(seed: int, count: int = 220) -> tuple[np.ndarray, np.ndarray]:
    t, flow = nights(seed, count=count)
    return t, flow + FACTORY_M3H * weekday_nights(t)


@pytest.mark.parametrize("seed", range(4))
def test_the_factorys_weekly_pattern_is_measured_from_the_weeks_before(seed):
    t, flow = factory_nights(seed)
    offsets = weekly_offsets(t, flow)
    week = np.floor((t - t[0]) / DAY).astype(int) // 7
    assert (offsets[week < 6] == 0).all()  # six weeks before any
    later = week >= 6
    working = weekday_nights(t)
    # Centred on the median offset (the five working nights' level); each offset a median
    # over 6 to 12 weeks of nights with a noise of 0.6 m³/h (standard error 0.2–0.3).
    for nights_of, expected in ((later & working, 0.0), (later & ~working, -FACTORY_M3H)):
        assert np.median(offsets[nights_of]) == pytest.approx(expected, abs=0.5)
        assert offsets[nights_of] == pytest.approx(expected, abs=1.2)


@pytest.mark.parametrize("seed", range(8))
def test_a_sector_without_a_weekly_pattern_is_left_as_it_was(seed):
    t, flow = nights(seed, count=365)
    assert (weekly_offsets(t, flow) == 0).all()


@pytest.mark.parametrize("seed", range(6))
def test_a_leak_under_a_factorys_weekday_nights_is_found(seed):
    # 2 m³/h (10 % of the night flow, 3.3 spreads) from night 150.5. Against one
    # reference for all nights, the weekend nights stood 4 m³/h under it: the run of a
    # leak broke every weekend, its low nights never up, and it was never found.
    t, clean = nights(seed, count=220)
    flow = clean + FACTORY_M3H * weekday_nights(t)
    assert detect_leaks(t, flow).leaks == []
    found = detect_leaks(t, flow + leak(t, 150.5, 2.0)).leaks
    assert len(found) == 1
    assert 0 < (found[0].detected_s - T0) / DAY - 150.5 <= 21
    # (dated to its night, or — found by its rise over the weeks, as on the same sector
    # without the factory — to when the nights left the reference, the spring's drift
    # before it)
    onset = (found[0].onset_s - T0) / DAY
    assert 129 <= onset <= 152
    # Its extra flow: 2 m³/h and what the spring added to the sector since its reference
    # (the four weeks before its onset), as the series without leak nor factory shows.
    rise = np.median(clean[-7:]) - np.median(clean[int(onset) - 28:int(onset)])
    assert found[0].extra_flow_m3h == pytest.approx(2.0 + rise, abs=0.8)
    # Without the pattern taken out: not found.
    assert detect_leaks(t, flow + leak(t, 150.5, 2.0), LeakParams(weekly_pattern=False)
                        ).leaks == []


def test_the_reference_is_returned_with_the_pattern_around_the_nights_as_measured():
    t, flow = factory_nights(0)
    scan = detect_leaks(t, flow)
    week = np.floor((t - t[0]) / DAY).astype(int) // 7
    later = (week >= 8) & np.isfinite(scan.reference_m3h)
    working = weekday_nights(t)
    gap = (np.median(scan.reference_m3h[later & working])
           - np.median(scan.reference_m3h[later & ~working]))
    assert gap == pytest.approx(FACTORY_M3H, abs=0.5)
    assert np.median(np.abs(flow[later] - scan.reference_m3h[later])) < 0.6


@pytest.mark.parametrize("window", [("02:00", "04:00"), ("23:00", "01:00"), ("22:00", "23:30")])
def test_each_night_has_the_next_day_of_the_week_across_the_clock_changes(window):
    # A window ending at 01:00 in Paris ends at 00:00 UTC in winter and at 23:00 UTC the
    # day before in summer: labelled by its UTC end date, two nights in a row had the same
    # day at the spring change (and none was skipped in autumn): a weekly pattern (or the
    # nights of one day of the week) then mixed two days.
    days, _, ends = night_windows(datetime(2025, 1, 1, tzinfo=UTC).timestamp(),
                                  datetime(2026, 1, 1, tzinfo=UTC).timestamp(),
                                  NightWindow.from_clock(*window))
    labels = night_weekday(ends)
    assert len(labels) >= 364
    assert ((np.diff(labels) % 7) == 1).all()
    # (the same label for the same day of the week the window starts on)
    starts = np.array([d.astype(object).weekday() for d in days])
    assert len({(int(a) - int(b)) % 7 for a, b in zip(labels, starts, strict=True)}) == 1
