"""Occupancy of public buildings: opening hours, French public holidays, school holidays
per zone, occupied masks across DST changes. Expected values are written by hand from
the published calendars, not computed by the code under test."""

from datetime import UTC, date, datetime, timedelta

import numpy as np
import pytest

from beffroi.domains.buildings.occupancy import (
    easter_sunday,
    occupancy,
    occupied,
    occupied_mask,
    parse_opening_hours,
    public_holidays,
)
from beffroi.domains.buildings.school_calendar import school_holidays

SCHOOL = {"usage": "ecole", "school_zone": "B"}
H = 3_600_000


def ms(*args) -> int:
    return int(datetime(*args, tzinfo=UTC).timestamp() * 1000)


# ------------------------------------------------------------------ opening hours

def test_parse_opening_hours_groups_and_ranges():
    hours = parse_opening_hours("MON,TUE,THU,FRI 08:30-11:30,13:30-16:30; WED 08:30-11:30")
    assert hours.days[0] == ((510, 690), (810, 990))
    assert hours.days[2] == ((510, 690),)
    assert hours.days[5] == () and hours.days[6] == ()
    assert hours.weekly_hours() == 4 * 6 + 3
    assert hours.is_open(0, 510) and not hours.is_open(0, 690)  # end exclusive
    # a day in two groups adds up, overlaps merge, 24:00 closes the day
    hours = parse_opening_hours("SAT 08:00-12:00;SAT 11:00-14:00; SUN 20:00-24:00")
    assert hours.days[5] == ((480, 840),)
    assert hours.days[6] == ((1200, 1440),)


@pytest.mark.parametrize("text, fragment", [
    ("", "vides"),
    ("MON 08:30-11:30;", "groupe 2"),
    ("XYZ 08:00-09:00", "jour « XYZ » inconnu"),
    ("MON08:00-09:00", "une espace"),
    ("MON 8:00-09:00", "heure « 8:00 » invalide"),
    ("MON 25:00-26:00", "heure « 25:00 » invalide"),
    ("MON 08:00-24:30", "24:00 seulement"),
    ("MON 24:00-24:00", "24:00 seulement"),
    ("MON 12:00-08:00", "finit avant de commencer"),
    ("MON 08:00", "plage « 08:00 » invalide"),
])
def test_bad_opening_hours_are_refused_in_french(text, fragment):
    with pytest.raises(ValueError) as error:
        parse_opening_hours(text)
    assert fragment in str(error.value)


# ------------------------------------------------------------------ public holidays

@pytest.mark.parametrize("year, day", [
    (1818, date(1818, 3, 22)), (1943, date(1943, 4, 25)), (2000, date(2000, 4, 23)),
    (2019, date(2019, 4, 21)), (2022, date(2022, 4, 17)), (2023, date(2023, 4, 9)),
    (2024, date(2024, 3, 31)), (2025, date(2025, 4, 20)), (2026, date(2026, 4, 5)),
    (2027, date(2027, 3, 28)), (2038, date(2038, 4, 25)), (2285, date(2285, 3, 22)),
])
def test_easter_matches_published_dates(year, day):
    assert easter_sunday(year) == day


def test_public_holidays_2024_and_2025():
    assert list(public_holidays(2024)) == [
        date(2024, 1, 1), date(2024, 4, 1), date(2024, 5, 1), date(2024, 5, 8),
        date(2024, 5, 9), date(2024, 5, 20), date(2024, 7, 14), date(2024, 8, 15),
        date(2024, 11, 1), date(2024, 11, 11), date(2024, 12, 25)]
    holidays = public_holidays(2025)
    assert holidays[date(2025, 4, 21)] == "Lundi de Pâques"
    assert holidays[date(2025, 5, 29)] == "Ascension"
    assert holidays[date(2025, 6, 9)] == "Lundi de Pentecôte"
    assert len(holidays) == 11
    assert date(2025, 4, 18) not in holidays and date(2025, 12, 26) not in holidays
    alsace = public_holidays(2025, alsace_moselle=True)
    assert alsace[date(2025, 4, 18)] == "Vendredi saint"
    assert alsace[date(2025, 12, 26)] == "Saint-Étienne"


# ------------------------------------------------------------------ school holidays

def test_school_holidays_2025_2026_per_zone():
    # Official calendar 2025-2026: winter A 7-23 Feb, B 14 Feb-2 Mar, C 21 Feb-9 Mar 2026;
    # spring A 4-20 Apr, B 11-27 Apr, C 18 Apr-4 May 2026 (return on the end date).
    expected = {"A": ((date(2026, 2, 7), date(2026, 2, 23)), (date(2026, 4, 4), date(2026, 4, 20))),
                "B": ((date(2026, 2, 14), date(2026, 3, 2)), (date(2026, 4, 11), date(2026, 4, 27))),
                "C": ((date(2026, 2, 21), date(2026, 3, 9)), (date(2026, 4, 18), date(2026, 5, 4)))}
    for zone, periods in expected.items():
        got = {(h.name, h.start, h.end) for h in school_holidays(zone)}
        assert ("Vacances d'hiver", *periods[0]) in got
        assert ("Vacances de printemps", *periods[1]) in got
        assert ("Vacances de la Toussaint", date(2025, 10, 18), date(2025, 11, 3)) in got
        assert ("Vacances de Noël", date(2025, 12, 20), date(2026, 1, 5)) in got
    with pytest.raises(ValueError, match="zone de vacances scolaires inconnue"):
        school_holidays("D")


def test_school_closed_days_in_zone_b_february_2026():
    rules = occupancy(SCHOOL)
    closed = rules.closed_days(date(2026, 2, 1), date(2026, 3, 31))
    winter = {date(2026, 2, 14) + timedelta(days=i) for i in range(16)}  # 14 Feb .. 1 Mar
    assert closed == winter
    # the same school in zone A is closed two weeks earlier
    closed_a = occupancy({**SCHOOL, "school_zone": "A"}).closed_days(date(2026, 2, 1),
                                                                   date(2026, 3, 31))
    assert min(closed_a) == date(2026, 2, 7) and max(closed_a) == date(2026, 2, 22)


def test_occupied_on_school_days_holidays_and_public_holidays():
    # Thursday 12 Feb 2026, 09:00 Paris: a school day in zone B
    assert occupied(SCHOOL, datetime(2026, 2, 12, 9, 0))
    assert not occupied(SCHOOL, datetime(2026, 2, 12, 12, 0))  # lunch break
    assert not occupied(SCHOOL, datetime(2026, 2, 11, 9, 0))  # Wednesday: no class
    # Thursday 19 Feb 2026: zone B winter holidays, but zone C is still at school
    assert not occupied(SCHOOL, datetime(2026, 2, 19, 9, 0))
    assert occupied({**SCHOOL, "school_zone": "C"}, datetime(2026, 2, 19, 9, 0))
    # the school's own choice wins over the default
    assert occupied({**SCHOOL, "closed_school_holidays": False}, datetime(2026, 2, 19, 9, 0))
    # Monday 2 March 2026: back to school at 08:30
    assert occupied(SCHOOL, datetime(2026, 3, 2, 8, 30))
    # Friday 1 May 2026 is a public holiday; the mairie is closed, the pool open
    assert not occupied({"usage": "mairie"}, datetime(2026, 5, 1, 10, 0))
    assert occupied({"usage": "mairie"}, datetime(2026, 4, 30, 10, 0))
    assert occupied({"usage": "piscine"}, datetime(2026, 5, 1, 10, 0))
    assert occupied({"usage": "mairie", "closed_public_holidays": False},
                    datetime(2026, 5, 1, 10, 0))
    # an aware datetime is read in the tenant's zone: 07:30 UTC = 08:30 Paris in winter
    assert occupied(SCHOOL, datetime(2026, 2, 12, 7, 30, tzinfo=UTC))
    assert not occupied(SCHOOL, datetime(2026, 2, 12, 7, 29, tzinfo=UTC))


def test_default_opening_hours_by_usage():
    assert occupancy({"usage": "mairie"}).hours.days[2] == ((480, 1050),)  # 08:00-17:30
    assert occupancy({"usage": "ecole"}).hours.days[2] == ()
    own = occupancy({"usage": "ecole", "opening_hours": "WED 08:30-11:30"})
    assert own.hours.days[2] == ((510, 690),) and own.hours.days[0] == ()
    assert occupancy({"usage": "ecole"}).closed_school_holidays
    assert not occupancy({"usage": "creche"}).closed_school_holidays
    assert occupancy({}).school_zone == "B"
    assert occupancy({}, school_zone="A").school_zone == "A"
    assert occupancy({"school_zone": "C"}, school_zone="A").school_zone == "C"


# ------------------------------------------------------------------ masks and DST

def _expected_school(times, transition_ms, before_h, after_h, holidays=()):
    """Independent reading: local time by fixed offsets either side of the change."""
    out = []
    for t in times:
        offset = before_h if t < transition_ms else after_h
        local = datetime.fromtimestamp(t / 1000, UTC).replace(tzinfo=None) + timedelta(hours=offset)
        minute = local.hour * 60 + local.minute
        day_ok = local.weekday() in (0, 1, 3, 4) and local.date() not in holidays
        out.append(day_ok and (510 <= minute < 690 or 810 <= minute < 990))
    return np.array(out)


def test_mask_across_spring_dst_change():
    # Clocks go forward on Sunday 30 March 2025 at 01:00 UTC (02:00 → 03:00 Paris).
    # Zone B spring holidays start on 5 April: Thursday 27 March to Friday 4 April are
    # school days but the Wednesday.
    times = np.arange(ms(2025, 3, 27), ms(2025, 4, 5), 15 * 60_000)
    mask = occupied_mask(SCHOOL, times, "Europe/Paris")
    expected = _expected_school(times, ms(2025, 3, 30, 1), 1, 2)
    assert mask.dtype == bool and mask.shape == times.shape
    assert np.array_equal(mask, expected)
    # 08:30 local is 07:30 UTC on Friday and 06:30 UTC on Monday
    at = dict(zip(times.tolist(), mask.tolist(), strict=True))
    assert at[ms(2025, 3, 28, 7, 30)] and not at[ms(2025, 3, 28, 7, 15)]
    assert at[ms(2025, 3, 31, 6, 30)] and not at[ms(2025, 3, 31, 6, 15)]
    assert mask.sum() == 6 * 6 * 4  # 6 school days of 6 hours, four quarters an hour


def test_mask_across_autumn_dst_change_and_holidays():
    # Clocks go back on Sunday 26 October 2025 at 01:00 UTC; the Toussaint holidays run
    # from 18 October to 3 November (return on Monday 3 November at 08:30 = 07:30 UTC).
    times = np.arange(ms(2025, 10, 13), ms(2025, 11, 8), H)
    mask = occupied_mask(SCHOOL, times)
    toussaint = {date(2025, 10, 18) + timedelta(days=i) for i in range(16)}
    expected = _expected_school(times, ms(2025, 10, 26, 1), 2, 1,
                                holidays=toussaint | {date(2025, 11, 1)})
    assert np.array_equal(mask, expected)
    at = dict(zip(times.tolist(), mask.tolist(), strict=True))
    assert at[ms(2025, 10, 13, 7)]  # Monday 13 Oct 09:00 CEST
    assert not at[ms(2025, 10, 20, 7)]  # holidays
    assert at[ms(2025, 11, 3, 8)] and not at[ms(2025, 11, 3, 7)]  # 09:00 CET yes, 08:00 no


def test_mask_matches_occupied_in_another_zone_and_any_order():
    props = {"usage": "mairie", "opening_hours": "MON,WED 07:00-09:00; SUN 22:00-24:00"}
    rng = np.random.default_rng(7)
    times = rng.integers(ms(2024, 3, 1), ms(2024, 11, 30), 500)
    for zone in ("Europe/Paris", "America/New_York"):
        mask = occupied_mask(props, times, zone)
        one_by_one = [occupied(props, datetime.fromtimestamp(t / 1000, UTC), zone)
                      for t in times.tolist()]
        assert mask.tolist() == one_by_one
    assert occupied_mask(props, np.array([], dtype=np.int64)).shape == (0,)
