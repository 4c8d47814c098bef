"""Issue #13: the lighting dashboard compares a year with the one before only over the days
both measured, cabinet by cabinet; says how many; calls a year "whole" only when it is;
and says when savings rest on estimates. Every expected figure is computed here, from the
readings the test writes; the clock is pinned (``today`` is passed)."""

from __future__ import annotations

from datetime import date, time, timedelta

import pytest

from beffroi.core import tenants
from beffroi.core.access import CLI, open_scope
from beffroi.core.registry import load_registry
from beffroi.domains.lighting.summary import lighting_summary

from .lighting_fixtures import LED_40, add_cabinet, local_ms, make_territory, store


@pytest.fixture(scope="module")
def registry():
    return load_registry(["generic", "lighting"])


def _days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def _usage(cabinet: str, day: date) -> float:
    """kWh a cabinet's meter counts on a day: varies with the day, 10 % less in 2026."""
    base = {"A": 20.0, "B": 35.0}[cabinet] + (day.toordinal() % 7) + day.month
    return round(base * (0.9 if day.year == 2026 else 1.0), 3)


def _meter(db, tenant, stream, cabinet: str, first: date, last: date) -> None:
    """Readings at 23:30 of each day from the day before ``first`` to ``last``: the day
    before carries the starting index, so that ``first`` is measured."""
    index, points = 10_000.0, [(local_ms(first - timedelta(days=1), time(23, 30)), 10_000.0)]
    for day in _days(first, last):
        index += _usage(cabinet, day)
        points.append((local_ms(day, time(23, 30)), round(index, 3)))
    store(db, tenant, stream, points)


@pytest.fixture
def measured(db, registry):
    """Cabinet A measured from 1 December 2025 only, B from 1 June 2025; both until
    31 December 2026; C without meter. The summaries below are asked on 20 or 6 December
    2026, so readings after that day are not used."""
    tenant = make_territory(db, registry)
    a = add_cabinet(db, registry, tenant, "A", "cut_23_5", [LED_40] * 10, meter=True)
    b = add_cabinet(db, registry, tenant, "B", "cut_23_5", [LED_40] * 20, meter=True,
                    at=(0.002, 0))
    add_cabinet(db, registry, tenant, "C", "cut_23_5", [LED_40] * 5, at=(0.004, 0))
    _meter(db, tenant, a["meter"], "A", date(2025, 12, 1), date(2026, 12, 31))
    _meter(db, tenant, b["meter"], "B", date(2025, 6, 1), date(2026, 12, 31))
    return tenant


def _summary(db, registry, tenant, year, today):
    with db.read() as conn:
        return lighting_summary(open_scope(db, conn, CLI, tenant), conn, registry, year, None,
                                today)


def _expected(pairs: list[tuple[str, date]]) -> tuple[float, float]:
    """(kWh of the days, kWh of the same days a year before), computed from ``_usage``."""
    now = sum(_usage(c, d) for c, d in pairs)
    before = sum(_usage(c, d.replace(year=d.year - 1)) for c, d in pairs)
    return now, before


def test_year_to_date_is_compared_only_over_days_measured_both_years(db, registry, measured):
    today = date(2026, 12, 20)  # compared until yesterday, the 19th
    energy = _summary(db, registry, measured, 2026, today)["energy"]
    first_a, first_b = date(2026, 12, 1), date(2026, 6, 1)
    pairs = ([("A", d) for d in _days(first_a, today - timedelta(days=1))]
             + [("B", d) for d in _days(first_b, today - timedelta(days=1))])
    now, before = _expected(pairs)
    c = energy["comparison"]
    assert (c["year"], c["from"], c["to"]) == (2025, "2026-06-01", "2026-12-19")
    assert c["days"] == (date(2026, 12, 19) - first_b).days + 1 == 202
    assert c["cabinets"] == 2
    assert c["kwh"] == pytest.approx(now, abs=0.05)
    assert c["previous_kwh"] == pytest.approx(before, abs=0.05)
    assert c["change_pct"] == pytest.approx(round(100 * (now - before) / before, 1), abs=0.05)
    # The sums of the two years are not what is compared: 2026 has 11 more months.
    assert energy["year_kwh"] > 2 * energy["previous_year_kwh"]

    months = {m["month"]: m for m in energy["months"]}
    jan = months["2026-01"]
    assert (jan["compared_days"], jan["change_pct"], jan["previous_kwh"]) == (0, None, None)
    assert jan["measured_days"] == 31 and jan["previous_measured_days"] == 0
    june = months["2026-06"]
    now, before = _expected([("B", d) for d in _days(date(2026, 6, 1), date(2026, 6, 30))])
    assert june["compared_days"] == 30
    assert june["change_pct"] == pytest.approx(round(100 * (now - before) / before, 1), abs=0.05)
    dec = months["2026-12"]
    assert dec["measured_days"] == 20 and dec["previous_measured_days"] == 31
    assert dec["compared_days"] == 19  # today is not over: the 20th is not compared
    now, before = _expected([(c, d) for c in "AB"
                             for d in _days(date(2026, 12, 1), date(2026, 12, 19))])
    assert dec["change_pct"] == pytest.approx(round(100 * (now - before) / before, 1), abs=0.05)
    # Both months are shown whole beside it, with how many days each has.
    assert dec["previous_kwh"] == pytest.approx(
        sum(_usage(c, d) for c in "AB" for d in _days(date(2025, 12, 1), date(2025, 12, 31))),
        abs=0.05)


def test_too_few_common_days_give_no_percentage(db, registry):
    """2025 measured from 1 December only, asked on 6 December 2026: 1–5 December are the
    only common days, fewer than a week: no change is given, only how many days there were
    (the fault seen on the demo: +709.9 % from eleven months against one)."""
    tenant = make_territory(db, registry)
    a = add_cabinet(db, registry, tenant, "A", "cut_23_5", [LED_40] * 10, meter=True)
    _meter(db, tenant, a["meter"], "A", date(2025, 12, 1), date(2026, 12, 31))
    energy = _summary(db, registry, tenant, 2026, date(2026, 12, 6))["energy"]
    c = energy["comparison"]
    assert c["days"] == 5 < c["min_days"] == 7
    assert (c["from"], c["to"], c["cabinets"]) == ("2026-12-01", "2026-12-05", 1)
    assert c["change_pct"] is None
    now, before = _expected([("A", d) for d in _days(date(2026, 12, 1), date(2026, 12, 5))])
    assert (c["kwh"], c["previous_kwh"]) == (pytest.approx(now, abs=0.05),
                                             pytest.approx(before, abs=0.05))
    dec = energy["months"][11]
    assert (dec["compared_days"], dec["change_pct"]) == (5, None)
    assert (dec["measured_days"], dec["previous_measured_days"]) == (6, 31)
    # 2025 is one month of readings: not "the whole year".
    prev = energy["coverage"]["previous_year"]
    assert prev == {"from": "2025-12-01", "to": "2025-12-31", "days": 31, "period_days": 365,
                    "complete": False}
    year = energy["coverage"]["year"]
    assert year == {"from": "2026-01-01", "to": "2026-12-06", "days": 340, "period_days": 340,
                    "complete": True}


def test_a_fully_measured_year_is_complete_and_a_year_without_readings_is_estimated(
        db, registry):
    tenant = make_territory(db, registry)
    a = add_cabinet(db, registry, tenant, "A", "cut_23_5", [LED_40] * 10, meter=True)
    _meter(db, tenant, a["meter"], "A", date(2025, 1, 1), date(2026, 2, 28))
    energy = _summary(db, registry, tenant, 2026, date(2026, 3, 1))["energy"]
    assert energy["coverage"]["previous_year"] == {
        "from": "2025-01-01", "to": "2025-12-31", "days": 365, "period_days": 365,
        "complete": True}
    assert energy["previous_year_kwh"] == pytest.approx(
        sum(_usage("A", d) for d in _days(date(2025, 1, 1), date(2025, 12, 31))), abs=0.05)
    assert energy["comparison"]["days"] == 59  # 1 January to 28 February
    # No reading at all in 2024: the savings are an estimate from the inventory, said so.
    s = _summary(db, registry, tenant, 2024, date(2026, 3, 1))["savings"]
    assert s["kwh"] is not None and s["estimated"] is True and s["measured_share"] == 0
    assert s["note"].startswith("Estimation sans mesure")
    assert _summary(db, registry, tenant, 2024, date(2026, 3, 1))["energy"]["coverage"][
        "year"]["days"] == 0


def test_savings_say_how_much_was_measured(db, registry, measured):
    """2025 for A (31 days), B (214 days) and C (no meter) out of 3 × 365 cabinet-days."""
    s = _summary(db, registry, measured, 2025, date(2026, 12, 20))["savings"]
    assert s["measured_share"] == round((31 + 214) / (3 * 365), 3)
    assert s["estimated"] is True and "22\u00a0% des jours-armoires" in s["note"]


def test_reference_year_savings_use_the_common_days_only(db, registry, measured):
    with db.write() as conn:
        tenants.update_tenant(open_scope(db, conn, CLI, measured), conn, {"settings": {
            "lighting.savings_baseline": "reference_year", "lighting.reference_year": 2025}},
            registry)
    s = _summary(db, registry, measured, 2026, date(2026, 12, 20))["savings"]
    pairs = ([("A", d) for d in _days(date(2026, 12, 1), date(2026, 12, 19))]
             + [("B", d) for d in _days(date(2026, 6, 1), date(2026, 12, 19))])
    now, before = _expected(pairs)
    assert s["baseline_kwh"] == pytest.approx(before, abs=0.1)
    assert s["actual_kwh"] == pytest.approx(now, abs=0.1)
    assert s["kwh"] == pytest.approx(before - now, abs=0.2)
    assert "202 jours comparés" in s["note"] and s["estimated"] is False
    # Fewer than a week in common: no saving rather than a wrong one.
    s = _summary(db, registry, measured, 2026, date(2026, 6, 4))["savings"]
    assert s["kwh"] is None and s["note"].startswith("Comparaison impossible : 3 jour(s)")
