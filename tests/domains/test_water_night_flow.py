"""Minimum night flow: local window across daylight-saving changes, gaps, irregular steps,
several meters, counters."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pytest

from beffroi.domains.water.counters import cumulative_volume
from beffroi.domains.water.night_flow import (
    NightWindow,
    cumulative_from_flow,
    lattice_step,
    net_volume,
    night_minima,
    night_minima_from_flow,
    night_windows,
    rolling_percentile,
)


def utc(text: str) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp()


def quarter_hours(first: str, last: str) -> np.ndarray:
    return np.arange(utc(first), utc(last) + 1, 900, dtype=np.float64)


def with_dip(t: np.ndarray, start: str, end: str, base: float = 10.0, low: float = 5.0):
    return np.where((t >= utc(start)) & (t <= utc(end)), low, base)


@pytest.mark.parametrize(("day", "first_utc", "hours"), [
    ("2025-01-15", "2025-01-15T01:00:00", 2),  # winter: 02:00 CET = 01:00 UTC
    ("2025-07-15", "2025-07-15T00:00:00", 2),  # summer: 02:00 CEST = 00:00 UTC
    ("2025-03-30", "2025-03-30T01:00:00", 1),  # clocks forward: 02:00–03:00 never happens
    ("2025-10-26", "2025-10-26T00:00:00", 3),  # clocks back: 02:00–03:00 happens twice
])
def test_local_window_in_utc_across_dst(day, first_utc, hours):
    days, starts, ends = night_windows(utc(f"{day}T00:00:00") - 86_400,
                                       utc(f"{day}T12:00:00"))
    j = list(days.astype(str)).index(day)
    assert starts[j] == utc(first_utc)
    assert ends[j] - starts[j] == hours * 3600


def test_minimum_rolling_hour_on_ordinary_and_dst_nights():
    t = quarter_hours("2025-03-28T12:00:00", "2025-10-27T12:00:00")
    flow = np.full(len(t), 10.0)
    dips = {  # one exact hour at 5 m³/h inside each window; others outside it
        "2025-03-29": ("2025-03-29T01:30:00", "2025-03-29T02:30:00"),  # 02:30–03:30 CET
        "2025-03-30": ("2025-03-30T01:00:00", "2025-03-30T02:00:00"),  # 03:00–04:00 CEST
        "2025-10-26": ("2025-10-26T01:00:00", "2025-10-26T02:00:00"),  # 2nd 02:00–03:00
    }
    for start, end in dips.values():
        flow = np.minimum(flow, with_dip(t, start, end))
    # A deeper dip just before the window (01:00–01:45 local, summer) is not the night's.
    flow = np.minimum(flow, with_dip(t, "2025-07-14T23:00:00", "2025-07-14T23:45:00", low=1))
    nights = night_minima_from_flow(t, flow)
    by_day = dict(zip(nights.day.astype(str), zip(nights.minimum_m3h, nights.at_s,
                                                 strict=True), strict=True))
    for day, (_, end) in dips.items():
        assert by_day[day][0] == pytest.approx(5.0)
        assert by_day[day][1] == utc(end)
    assert by_day["2025-07-15"][0] == pytest.approx(10.0)
    assert by_day["2025-03-31"][0] == pytest.approx(10.0)


def test_window_past_midnight():
    t = quarter_hours("2025-02-01T00:00:00", "2025-02-04T00:00:00")
    flow = with_dip(t, "2025-02-01T23:00:00", "2025-02-02T00:00:00")  # 00:00–01:00 CET
    nights = night_minima_from_flow(t, flow, NightWindow.from_clock("23:00", "01:00"))
    by_day = dict(zip(nights.day.astype(str), nights.minimum_m3h, strict=True))
    assert by_day["2025-02-01"] == pytest.approx(5.0)
    assert by_day["2025-02-02"] == pytest.approx(10.0)


def test_irregular_steps_and_gaps():
    rng = np.random.default_rng(4)
    t = np.sort(rng.uniform(utc("2025-02-01T00:00:00"), utc("2025-02-10T00:00:00"), 1500))
    t = t[(t < utc("2025-02-05T00:30:00")) | (t > utc("2025-02-05T03:30:00"))]  # a gap
    nights = night_minima_from_flow(t, np.full(len(t), 7.0))
    by_day = dict(zip(nights.day.astype(str), nights.minimum_m3h, strict=True))
    assert np.isnan(by_day["2025-02-05"])
    assert [v for d, v in by_day.items() if d != "2025-02-05"] == pytest.approx([7.0] * 8)


def test_net_inflow_of_two_inlets_and_an_outlet_with_their_own_steps():
    t1 = quarter_hours("2025-02-01T00:00:00", "2025-02-03T00:00:00")
    t2 = np.arange(t1[0], t1[-1] + 1, 600.0)
    t3 = np.arange(t1[0], t1[-1] + 1, 1200.0)
    t, volume = net_volume([(1.0, t1, cumulative_from_flow(t1, np.full(len(t1), 10.0))),
                            (1.0, t2, cumulative_from_flow(t2, np.full(len(t2), 3.0))),
                            (-1.0, t3, cumulative_from_flow(t3, np.full(len(t3), 4.0)))])
    nights = night_minima(t, volume)
    assert nights.minimum_m3h[np.isfinite(nights.minimum_m3h)] == pytest.approx([9.0, 9.0])


def test_a_silent_meter_is_not_a_null_flow():
    t1 = quarter_hours("2025-02-01T00:00:00", "2025-02-03T00:00:00")
    t2 = t1[(t1 < utc("2025-02-02T00:00:00")) | (t1 > utc("2025-02-02T04:00:00"))]
    t, volume = net_volume([(1.0, t1, cumulative_from_flow(t1, np.full(len(t1), 10.0))),
                            (-1.0, t2, cumulative_from_flow(t2, np.full(len(t2), 4.0)))])
    nights = night_minima(t, volume)
    by_day = dict(zip(nights.day.astype(str), nights.minimum_m3h, strict=True))
    assert by_day["2025-02-01"] == pytest.approx(6.0)
    assert np.isnan(by_day["2025-02-02"])  # the outlet was silent all night


def test_counter_index_gives_the_same_night_flow():
    t = quarter_hours("2025-02-01T00:00:00", "2025-02-03T00:00:00")
    index = 99_950.0 + 8.0 * (t - t[0]) / 3600  # 8 m³/h, rolls over at 10^5 m³
    index = np.where(index >= 100_000, index - 100_000, index)
    nights = night_minima(t, cumulative_volume(t * 1000, index))
    assert nights.minimum_m3h[np.isfinite(nights.minimum_m3h)] == pytest.approx([8.0, 8.0])


def quarter_volume(t: np.ndarray, flows: dict[str, float], base: float) -> np.ndarray:
    """The cumulative volume of a flow constant over each quarter hour: ``base`` m³/h,
    or ``flows[start of the quarter, UTC]``."""
    rates = np.array([flows.get(datetime.fromtimestamp(s, UTC).strftime("%Y-%m-%dT%H:%M"),
                                base) for s in t[:-1]])
    return np.concatenate([[0.0], np.cumsum(rates * 0.25)])


def test_variability_of_the_window_quarter_hours():
    t = quarter_hours("2025-02-01T00:00:00", "2025-02-04T00:00:00")
    # Night of 1 February (window 02:00–04:00 CET = 01:00–03:00 UTC): a garden timer at
    # 16 m³/h for two of its eight quarter hours; the next night steady at 10 m³/h.
    volume = quarter_volume(t, {"2025-02-01T01:30": 16.0, "2025-02-01T01:45": 16.0}, 10.0)
    nights = night_minima(t, volume)
    by_day = dict(zip(nights.day.astype(str), nights.variability_m3h, strict=True))
    # Quarter flows 10, 10, 16, 16, 10, 10, 10, 10: mean 11.5, variance
    # (6 × 1.5² + 2 × 4.5²) / 8 = 6.75.
    assert by_day["2025-02-01"] == pytest.approx(6.75 ** 0.5)
    assert by_day["2025-02-02"] == pytest.approx(0.0, abs=1e-9)
    minimum = dict(zip(nights.day.astype(str), nights.minimum_m3h, strict=True))
    assert minimum["2025-02-01"] == pytest.approx(10.0)  # the timer missed the lowest hour


def test_variability_is_unknown_when_readings_are_hourly():
    t = np.arange(utc("2025-02-01T00:00:00"), utc("2025-02-04T00:00:00") + 1, 3600.0)
    nights = night_minima_from_flow(t, np.full(len(t), 7.0))
    known = np.isfinite(nights.minimum_m3h)
    assert nights.minimum_m3h[known] == pytest.approx([7.0] * int(known.sum()))
    assert np.isnan(nights.variability_m3h).all()


def test_rolling_20th_percentile_over_seven_nights():
    values = np.array([10, 12, 11, 30, 13, 14, 9, np.nan, 15], dtype=float)
    p20 = rolling_percentile(values)
    assert np.isnan(p20[2])  # 3 nights known out of 7: not enough
    assert p20[3] == pytest.approx(np.percentile([10, 12, 11, 30], 20))
    assert p20[8] == pytest.approx(np.percentile([11, 30, 13, 14, 9, 15], 20))


def test_the_resolution_of_a_meter_read_to_100_litres():
    # An index read to 0.1 m³ every quarter hour (a pulse per 100 L): it moves by whole
    # tenths, and so do its rolling-hour flows (give or take the interpolation between
    # readings not on the window's hours); a flow series moves by no step.
    rng = np.random.default_rng(3)
    t = quarter_hours("2025-02-01T00:00:00", "2025-02-11T00:00:00")
    flow = rng.uniform(0.6, 1.4, len(t))
    exact = cumulative_from_flow(t, flow)
    index = np.floor(exact / 0.1) * 0.1 + 12_345.0
    assert night_minima(t, index).resolution_m3h == pytest.approx(0.1)
    assert night_minima(t + 300, index).resolution_m3h == pytest.approx(0.1)  # (at :05)
    assert night_minima(t, exact).resolution_m3h == 0.0
    assert night_minima_from_flow(t, flow).resolution_m3h == 0.0


@pytest.mark.parametrize(("values", "step"), [
    ([1.0, 0.9, 1.1, 1.0, 1.3], 0.1),
    ([0.2, 0.7, 1.2, 0.2], 0.5),
    ([1.0, 1.0, 1.0], 0.0),  # one value: no gap, no lattice known
    ([1.0, 1.013, 1.1, 0.96, 1.27], 0.0),
])
def test_lattice_step(values, step):
    assert lattice_step(np.array(values)) == pytest.approx(step)
