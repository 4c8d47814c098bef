"""Like-for-like comparisons of measured consumption between two periods, and how much of
a period the meters cover.

A comparison with another year is made **per cabinet and per day**: a day of the period
counts for a cabinet only when that cabinet's meter measured both the day and the same
calendar day of the other year (29 February has no counterpart and is never compared).
Both sums then cover exactly the same cabinets and days, so a year measured for one month
is never set against eleven months of the next. The answer says how many days were
compared (distinct calendar days on which at least one cabinet was compared), over how
many cabinets, and between which dates; below ``MIN_COMPARED_DAYS`` the change is not
given (``change_pct`` null): a few days say more about the weather than about the
programmes.

Coverage of a period: the days on which at least one meter gave a reading, the first and
last of them, and whether the period is *complete* — every metered cabinet measured on
every day of it. Only a complete calendar year may be called "the whole year".
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, timedelta
from typing import Any

MIN_COMPARED_DAYS = 7

PerCabinet = Mapping[int, Mapping[date, float]]


def counterpart(day: date, year: int) -> date | None:
    """The same calendar day in ``year``; None for 29 February when ``year`` has none."""
    try:
        return day.replace(year=year)
    except ValueError:
        return None


def _days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def paired_days(current: PerCabinet, other: PerCabinet, first: date, last: date,
                other_year: int) -> dict[int, list[tuple[date, date]]]:
    """(day, counterpart) pairs of each cabinet measured on both, from ``first`` to ``last``."""
    out: dict[int, list[tuple[date, date]]] = {}
    twins: dict[date, date | None] = {}  # the cabinets share their days
    for cid, days in current.items():
        theirs = other.get(cid) or {}
        pairs = []
        for d in sorted(days):
            if first <= d <= last:
                twin = twins[d] if d in twins else twins.setdefault(d, counterpart(d, other_year))
                if twin is not None and twin in theirs:
                    pairs.append((d, twin))
        if pairs:
            out[cid] = pairs
    return out


def same_days_comparison(current: PerCabinet, other: PerCabinet, first: date | None,
                         last: date | None, other_year: int) -> dict[str, Any]:
    """Measured kWh of ``first``…``last`` against the same cabinets and calendar days of
    ``other_year``; ``change_pct`` only from ``MIN_COMPARED_DAYS`` compared days on."""
    pairs = (paired_days(current, other, first, last, other_year)
             if first is not None and last is not None and first <= last else {})
    days = sorted({d for p in pairs.values() for d, _ in p})
    kwh = sum(current[cid][d] for cid, p in pairs.items() for d, _ in p)
    before = sum(other[cid][twin] for cid, p in pairs.items() for _, twin in p)
    enough = len(days) >= MIN_COMPARED_DAYS and before > 0
    return {
        "year": other_year,
        "from": days[0].isoformat() if days else None,
        "to": days[-1].isoformat() if days else None,
        "days": len(days), "cabinets": len(pairs), "min_days": MIN_COMPARED_DAYS,
        "kwh": round(kwh, 1) if days else None,
        "previous_kwh": round(before, 1) if days else None,
        "change_pct": round(100 * (kwh - before) / before, 1) if enough else None,
    }


def coverage(measured: PerCabinet, metered: Iterable[int], first: date, last: date
             ) -> dict[str, Any]:
    """Which days of ``first``…``last`` the meters cover; ``complete`` when every metered
    cabinet has a reading on every day."""
    metered = list(metered)
    period = _days(first, last) if first <= last else []
    seen = sorted({d for days in measured.values() for d in days if first <= d <= last})
    complete = bool(period) and bool(metered) and all(
        all(d in (measured.get(cid) or {}) for d in period) for cid in metered)
    return {"from": seen[0].isoformat() if seen else None,
            "to": seen[-1].isoformat() if seen else None,
            "days": len(seen), "period_days": len(period), "complete": complete}
