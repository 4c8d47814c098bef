"""The waste domain's computations, checked against values computed another way: fill
levels by hand, trends by numpy's least squares and the standard library's regression,
collection rounds on a calendar, fire signs on hand-made series."""

from __future__ import annotations

import statistics
from datetime import datetime
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from beffroi_dechets.collection_days import days_text, next_collection, parse_days
from beffroi_dechets.fill import fill_from_distance, fill_percent
from beffroi_dechets.fire import fire_sign
from beffroi_dechets.tour import ContainerState, predicted, suggest, trend_word
from beffroi_dechets.trend import DAY_MS, Trend, cycle_start, fit_trend

PARIS = ZoneInfo("Europe/Paris")
HOUR = 3_600_000


def ms(text: str) -> int:
    return int(datetime.fromisoformat(text).timestamp() * 1000)


# -- fill level ---------------------------------------------------------------------------
@pytest.mark.parametrize("distance, height, expected", [
    (0.30, 1.20, 75.0),  # (1.20 − 0.30) / 1.20
    (1.20, 1.20, 0.0),  # the bottom: empty
    (0.0, 1.20, 100.0),  # waste touching the sensor
    (1.50, 1.20, 0.0),  # an echo below the bottom: clamped
    (0.45, 1.80, 75.0),  # (1.80 − 0.45) / 1.80
    (1.35, 1.80, 25.0),
])
def test_fill_percent_by_hand(distance, height, expected):
    assert fill_percent(distance, height) == pytest.approx(expected, abs=1e-12)


@pytest.mark.parametrize("props", [{}, {"height_m": 0}, {"height_m": -1}, {"height_m": "1,2"},
                                   {"height_m": True}])
def test_no_fill_level_without_a_usable_height(props):
    assert fill_from_distance(0.3, props) is None


def test_fill_from_distance_reads_the_height_property():
    assert fill_from_distance(0.3, {"height_m": 1.2}) == pytest.approx(75.0)
    assert fill_from_distance(0.3, {"height_m": 2}) == pytest.approx(85.0)


# -- trend ----------------------------------------------------------------------------------
def test_the_trend_of_a_steady_fill_is_its_daily_rate():
    t0 = ms("2026-10-05T06:00:00+02:00")
    times = [t0 + k * 12 * HOUR for k in range(4)]  # every 12 h: +6 points → 12 %/day
    trend = fit_trend(times, [10.0, 16.0, 22.0, 28.0])
    assert trend.per_day == pytest.approx(12.0)
    assert trend.level_at_origin == pytest.approx(10.0)
    assert trend.at(t0 + 3 * DAY_MS) == pytest.approx(46.0)
    assert trend.at(t0 + 30 * DAY_MS) == 100.0  # clamped


def test_the_trend_is_the_least_squares_line_of_the_current_cycle():
    rng = np.random.default_rng(7)
    t0 = ms("2026-10-05T00:00:00+02:00")
    # Two cycles: a full container emptied on day 2 at 06:00, then a new, noisy cycle.
    before = [(t0 + h * HOUR, 40 + 2.0 * h) for h in range(0, 30, 3)]
    start = t0 + 30 * HOUR
    after = [(start + h * HOUR, 3 + 0.9 * h + float(rng.normal(0, 2))) for h in range(0, 40, 2)]
    times = [t for t, _ in before + after]
    values = [v for _, v in before + after]
    assert cycle_start(values) == len(before)
    trend = fit_trend(times, values)
    days = np.array([(t - start) / DAY_MS for t, _ in after])
    y = np.array([v for _, v in after])
    (slope, intercept), *_ = np.linalg.lstsq(np.vstack([days, np.ones_like(days)]).T, y,
                                             rcond=None)
    assert trend.per_day == pytest.approx(slope, rel=1e-9)
    assert trend.level_at_origin == pytest.approx(intercept, rel=1e-9)
    # The standard library's regression (hours as x) agrees as well.
    reg = statistics.linear_regression([(t - start) / HOUR for t, _ in after], list(y))
    assert trend.per_day == pytest.approx(reg.slope * 24, rel=1e-9)
    assert trend.origin_ms == start


def test_too_short_a_cycle_has_no_trend():
    t0 = ms("2026-10-05T08:00:00+02:00")
    assert fit_trend([t0, t0 + HOUR, t0 + 2 * HOUR], [10.0, 12.0, 15.0]) is None  # 2 h
    assert fit_trend([t0, t0 + 8 * HOUR], [10.0, 20.0]) is None  # 2 readings
    # Emptied 3 h ago: only the readings since count.
    times = [t0 + k * 3 * HOUR for k in range(6)]
    assert fit_trend(times, [50, 60, 70, 80, 90, 5]) is None


# -- collection rounds --------------------------------------------------------------------------
def test_collection_days_are_read_and_refused_precisely():
    assert parse_days("lun,jeu") == {0, 3}
    assert parse_days(" Lun , JEU ,lun") == {0, 3}
    assert parse_days(None) == parse_days("") == set(range(7))
    with pytest.raises(ValueError, match="« lundi » n'est pas un jour"):
        parse_days("lundi")
    assert days_text(parse_days("jeu,lun")) == "lundi, jeudi"
    assert days_text(parse_days("")) == "tous les jours"


@pytest.mark.parametrize("now, days, expected", [
    # Thursday 10 a.m.: Monday's round is next week; Thursday's is over.
    ("2026-10-08T10:00:00+02:00", "lun,jeu", "2026-10-12T06:00:00+02:00"),
    # Thursday 5 a.m.: today's round is still to come.
    ("2026-10-08T05:00:00+02:00", "lun,jeu", "2026-10-08T06:00:00+02:00"),
    ("2026-10-08T06:00:00+02:00", "jeu", "2026-10-15T06:00:00+02:00"),  # strictly after
    # Saturday before the spring change: Monday 6 a.m. is summer time (UTC+2).
    ("2027-03-27T12:00:00+01:00", "lun", "2027-03-29T06:00:00+02:00"),
    # New Year's Eve 23:30: the first round of the year.
    ("2026-12-31T23:30:00+01:00", "ven", "2027-01-01T06:00:00+01:00"),
    ("2026-12-31T23:30:00+01:00", "", "2027-01-01T06:00:00+01:00"),  # on demand: every day
])
def test_next_collection_round(now, days, expected):
    at = next_collection(ms(now), parse_days(days), PARIS)
    assert at.isoformat() == expected


# -- the round suggestion -------------------------------------------------------------------
def state(ref, commune, fill, measured, trend=None, days="lun,jeu", **kw):
    return ContainerState(id=int(ref[-2:]), ref=ref, name=f"Conteneur {ref}", commune=commune,
                          waste_stream=kw.get("waste_stream", "glass"), volume_l=3000.0,
                          days=parse_days(days), fill=fill, measured_ms=measured, trend=trend)


def test_the_suggestion_takes_each_container_at_its_next_round():
    now = ms("2026-10-08T10:00:00+02:00")  # Thursday; next rounds: Monday 12th 06:00
    monday = ms("2026-10-12T06:00:00+02:00")
    friday = ms("2026-10-09T06:00:00+02:00")
    origin = now - DAY_MS
    states = [
        # 50 % now, +10 %/day: 50 + 10 × (monday − now) / 1 day = 50 + 10 × 3.8333 = 88.3 %
        state("CTR-88383-01", "88383", 50.0, now, Trend(origin, 40.0, 10.0)),
        # 40 % now, +5 %/day: 40 + 5 × 3.8333 = 59.2 %: not yet
        state("CTR-88383-02", "88383", 40.0, now, Trend(origin, 35.0, 5.0)),
        # already 85 %, no trend: taken as it is
        state("CTR-88383-03", "88383", 85.0, now - HOUR),
        # on demand (every day), next round tomorrow 06:00: 70 + 15 × 0.8333 = 82.5 %
        state("CTR-88413-04", "88413", 70.0, now, Trend(origin, 55.0, 15.0), days=""),
        # silent for three days: listed apart
        state("CTR-88413-05", "88413", 95.0, now - 3 * DAY_MS),
        # a trend going down (settling waste) never predicts below the current level
        state("CTR-88413-06", "88413", 81.0, now, Trend(origin, 90.0, -9.0)),
    ]
    assert predicted(states[0], next_collection(now, states[0].days, PARIS)) == \
        pytest.approx(40.0 + 10.0 * (monday - origin) / DAY_MS)
    assert predicted(states[3], next_collection(now, states[3].days, PARIS)) == \
        pytest.approx(55.0 + 15.0 * (friday - origin) / DAY_MS)
    out = suggest(states, now, 80.0, PARIS, {"88383": "Remiremont",
                                             "88413": "Saint-Étienne-lès-Remiremont"})
    assert (out["considered"], out["suggested"], out["unmeasured"]) == (5, 4, 1)
    remiremont, saint_etienne = out["communes"]
    assert remiremont["name"] == "Remiremont"
    assert [(c["ref"], c["next_collection"], c["predicted_percent"], c["trend"])
            for c in remiremont["containers"]] == [
        ("CTR-88383-01", "2026-10-12", 88.3, "rise"),
        ("CTR-88383-03", "2026-10-12", 85.0, "unknown")]
    assert [(c["ref"], c["next_collection"], c["predicted_percent"], c["trend"],
             c["trend_percent_per_day"]) for c in saint_etienne["containers"]] == [
        ("CTR-88413-04", "2026-10-09", 82.5, "rise", 15.0),
        ("CTR-88413-06", "2026-10-12", 81.0, "fall", -9.0)]
    assert [c["ref"] for c in saint_etienne["unmeasured"]] == ["CTR-88413-05"]


def test_trend_words():
    assert trend_word(None) == "unknown"
    assert [trend_word(Trend(0, 0, x)) for x in (4.0, 0.5, -0.5, -3.0)] == [
        "rise", "steady", "steady", "fall"]


# -- fire -----------------------------------------------------------------------------------------
MIN = 60_000


@pytest.mark.parametrize("series, expected", [
    # the reading at 0 min is out of the window: the rise is counted from 19 °C
    ([(0, 18.0), (30, 19.0), (60, 64.0)], ("threshold", 64.0, 45.0)),
    # +21 °C in 20 minutes, still far below 60 °C
    ([(0, 8.0), (10, 9.0), (20, 22.0), (30, 30.0)], ("rise", 30.0, 22.0)),
    # +20 °C exactly within the window
    ([(0, 10.0), (29, 30.0)], ("rise", 30.0, 20.0)),
    # the same rise over 45 minutes: the low point is out of the 30-minute window
    ([(0, 10.0), (45, 31.0)], None),
    ([(0, 25.0), (30, 35.0), (60, 41.0)], None),  # a hot afternoon
    ([], None),
])
def test_fire_signs(series, expected):
    sign = fire_sign([t * MIN for t, _ in series], [v for _, v in series], 60.0, 20.0, 30 * MIN)
    if expected is None:
        assert sign is None
    else:
        assert (sign.reason, sign.temperature_c, sign.rise_c) == expected
        assert sign.at_ms == series[-1][0] * MIN
