"""A rise of the night flow held as a night use switching on and off, over HTTP: a sector
whose inflow is steady at night until garden timers start switching on and off inside the
night window; the night-flow answer holds it (no leak), says since when and how much more
its nights vary, and gives each night's variability."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from fastapi.testclient import TestClient
from suite_apps import fresh_app

from beffroi.core import users
from beffroi.core.access import CLI, open_scope
from beffroi.core.registry import load_registry
from beffroi.domains.water import night_flow_routes
from suite_accounts import bearer

from .water_network import metered_sectors

DAY = 86_400
PARIS = ZoneInfo("Europe/Paris")
TIMER_NIGHTS = 5  # the last nights, with garden timers
# A fixed clock, a weekday morning with last night's window over: the sector's nights and
# the route's 60 days do not depend on when the suite runs (run between 01:00 and 05:00,
# tonight's timers were half there and the first of them read as a leak).
NOW_MS = int(datetime(2026, 11, 18, 10, tzinfo=PARIS).timestamp() * 1000)


@pytest.fixture(autouse=True)
def pinned_clock(monkeypatch):
    monkeypatch.setattr(night_flow_routes, "now_ms", lambda: NOW_MS)


def local(t: np.ndarray) -> list[datetime]:
    return [datetime.fromtimestamp(s, PARIS) for s in t]


@pytest.fixture
def sector(db):
    """60 days of 15-minute inflow up to the pinned clock: 10 m³/h at night (1 % noise), more by day;
    over the last ``TIMER_NIGHTS`` nights, timers add 8 and 2 m³/h by turns, half an hour
    each, from 01:00 to 05:00 local time (flow readings every quarter hour)."""
    yield from _sector(db, TIMER_NIGHTS, 0)


@pytest.fixture
def seasonal_sector(db):
    """The same sector, its timers on for 30 nights that ended 15 nights ago, but every
    fourth night (a rainy one)."""
    yield from _sector(db, 45, 15, pause=4)


def _sector(db, first_back: int, quiet: int, pause: int = 0):
    """The sector, timers on from ``first_back`` nights ago to ``quiet`` nights ago, but
    every ``pause``-th night."""
    registry = load_registry(["generic", "water"])
    end = NOW_MS // 900_000 * 900
    t = np.arange(end - 60 * DAY, end + 1, 900.0)
    when = local(t)
    hour = np.array([w.hour + w.minute / 60 for w in when])
    rng = np.random.default_rng(3)
    flow = 10.0 * (1 + 1.2 * np.sin(np.pi * np.clip(hour - 5, 0, 18) / 18)) \
        * rng.normal(1, 0.01, len(t))
    first = datetime.fromtimestamp(end, PARIS).date().toordinal() - first_back + 1
    last = first + first_back - quiet - 1  # the last night with timers
    timers = np.array([first <= w.date().toordinal() <= last and 1 <= w.hour < 5
                       and not (pause and (w.date().toordinal() - first) % pause == pause - 1)
                       for w in when])
    quarter = np.array([(w.hour * 4 + w.minute // 15) // 2 % 2 for w in when])
    flow = flow + np.where(timers, np.where(quarter == 0, 8.0, 2.0), 0.0)
    with db.write() as conn:
        tenant, ids = metered_sectors(db, conn, registry, t, {
            "J": ("Secteur des jardins", 6.6, 800, flow)})
        scope = open_scope(db, conn, CLI, tenant["id"])
        users.add_member(scope, conn, {"email": "agent@eau.fr", "role": "agent",
                                       "password": "password-123"})
    with TestClient(fresh_app(db, registry)) as client:
        yield {"client": client, "id": ids["J"], "first": first, "last": last,
               "url": f"/api/v1/tenants/{tenant['id']}/water/sectors/{ids['J']}/night-flow",
               "h": bearer(client, "agent@eau.fr", "password-123")}


def test_timers_switching_in_the_window_are_held_as_night_use(sector):
    r = sector["client"].get(sector["url"], params={"days": 60}, headers=sector["h"])
    assert r.status_code == 200, r.text
    d = r.json()
    first = datetime.fromordinal(sector["first"]).date().isoformat()
    assert d["leaks"] == []
    use = d["night_use"]
    assert use["since_date"] == first
    nights = [n for n in d["nights"] if n["variability_m3h"] is not None]
    timers = [n for n in nights if n["date"] >= first]
    before = [n for n in nights if n["date"] < first][-28:]
    assert len(timers) == TIMER_NIGHTS
    # Readings of 18, 18, 12, 12 m³/h… : quarter hours of 18, 15, 12, 15 m³/h… (between
    # two readings, their mean), a spread of √((9 + 0 + 9 + 0) / 4) = √4.5 m³/h; before,
    # about 1 % of 10 m³/h. The ratio is the one of the nights the answer lists (the
    # first left out).
    assert all(n["variability_m3h"] == pytest.approx(4.5 ** 0.5, rel=0.1) for n in timers)
    assert all(n["variability_m3h"] < 0.3 for n in before)
    # Each night against the usual of its day of the week (the nights of that day among
    # the 56 before; a night's day is its UTC end date's, here its local date).
    wide = [n for n in nights if n["date"] < first][-56:]

    def weekday(night: dict) -> int:
        return (date.fromisoformat(night["date"]) - date(1970, 1, 1)).days % 7

    usual = {day: np.median([n["variability_m3h"] for n in wide if weekday(n) == day])
             for day in range(7)}
    assert all(sum(weekday(n) == day for n in wide) >= 3 for day in range(7))
    expected = np.median([n["variability_m3h"] / usual[weekday(n)] for n in timers[1:]])
    # (the listed variabilities are rounded to 0.001 m³/h, those before are ~0.05)
    assert use["variability_ratio"] == pytest.approx(expected, rel=0.02)
    assert use["variability_ratio"] > 2  # twice as much or more: held
    # Their minimum hour is up by 5 m³/h (any hour: quarters of +8, +5, +2, +5 m³/h).
    assert timers[-1]["minimum_m3h"] == pytest.approx(15.0, rel=0.05)


def test_a_season_of_timers_is_seen_in_the_nights_and_said(seasonal_sector):
    # Thirty nights of timers (three in four), over for fifteen: the detector took them for
    # a seasonal night use as if declared, from the night six of the last fourteen had
    # switched (40 %: the sixth timer night, the seventh night) to the last night that
    # switched; no leak raised.
    d = seasonal_sector["client"].get(seasonal_sector["url"], params={"days": 60},
                                      headers=seasonal_sector["h"]).json()
    assert d["leaks"] == [] and d["night_use"] is None
    since = datetime.fromordinal(seasonal_sector["first"] + 6).date().isoformat()
    until = datetime.fromordinal(seasonal_sector["last"]).date().isoformat()
    assert d["seen_season"]["since_date"] == since
    assert d["seen_season"]["until_date"] == until
    shown = {n["date"]: n for n in d["nights"]}
    assert d["seen_season"]["until"] == shown[until]["end"]
