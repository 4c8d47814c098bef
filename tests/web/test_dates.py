"""Dates are written one way on every page (``static/js/dates.js``), the way the server's
texts write them (``core/french_format``): French words, the territory's time zone, and
the first day of a month written « 1er » in every form that shows the day."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import beffroi
from beffroi.core import french_format
from beffroi.core.clock import local_day
from beffroi.notifications import messages
from web import french_dates as expected
from web.conftest import AT_DESK

PARIS = ZoneInfo("Europe/Paris")
REUNION = ZoneInfo("Indian/Reunion")  # UTC+4, no summer time

INSTANTS = [
    datetime(2026, 12, 1, 10, 0, tzinfo=UTC),    # the 1st: « 1er »
    datetime(2026, 12, 2, 10, 0, tzinfo=UTC),    # the 2nd: « 2 »
    datetime(2026, 11, 30, 23, 30, tzinfo=UTC),  # 00:30 on 1 December in Paris
    datetime(2026, 5, 31, 22, 30, tzinfo=UTC),   # 00:30 on 1 June (summer time, UTC+2)
    datetime(2026, 5, 31, 21, 30, tzinfo=UTC),   # 23:30 on 31 May
    datetime(2026, 3, 29, 0, 30, tzinfo=UTC),    # 01:30 before the spring change
    datetime(2026, 3, 29, 1, 30, tzinfo=UTC),    # 03:30 after it
    datetime(2026, 10, 25, 0, 30, tzinfo=UTC),   # 02:30 summer time, before the autumn change
    datetime(2026, 10, 25, 1, 30, tzinfo=UTC),   # 02:30 winter time, after it
    datetime(2026, 12, 31, 23, 30, tzinfo=UTC),  # 1 January 2027 in Paris
]
DAYS = ["2026-12-01", "2026-12-02", "2027-01-01", "2026-03-29", "2026-10-25", "2026-06-30"]
NAMES = ["formatDateTime", "formatDate", "longDate", "dayMonth", "dayNumber", "shortWeekday",
         "longWeekday", "numericDate"]

WRITE = """async ([values, zone]) => {
  const m = await import('/static/js/dates.js');
  const names = NAMES;
  return values.map((v) => Object.fromEntries(names.map((n) => [n, m[n](v, zone)])));
}""".replace("NAMES", json.dumps(NAMES))


def _iso(instant: datetime) -> str:
    return instant.strftime("%Y-%m-%dT%H:%M:%SZ")


def _expected(value, tz: ZoneInfo) -> dict[str, str]:
    return {"formatDate": expected.short_date(value, tz), "longDate": expected.long_date(value, tz),
            "dayMonth": expected.day_month(value, tz), "dayNumber": expected.day_number(value, tz),
            "shortWeekday": expected.short_weekday(value, tz),
            "longWeekday": expected.long_weekday(value, tz),
            "numericDate": expected.numeric_date(value, tz)}


def _plain(text: str) -> str:
    return text.replace("\u202f", " ").replace("\xa0", " ")


@AT_DESK
def test_instants_are_written_in_the_territorys_time_with_the_first_of_the_month(
        page, server, size):
    page.goto(f"{server.url}/connexion")
    for tz in (PARIS, REUNION):
        written = page.evaluate(WRITE, [[_iso(t) for t in INSTANTS], tz.key])
        for instant, said in zip(INSTANTS, written, strict=True):
            want = {"formatDateTime": expected.date_time(instant, tz), **_expected(instant, tz)}
            assert {k: _plain(v) for k, v in said.items()} == want, (instant, tz)
            # The server writes the same day the same way (e-mails, reports).
            day = instant.astimezone(tz).date()
            assert said["longDate"] == french_format.long_date(day)
            assert said["numericDate"] == french_format.local_date(day)
    # Epoch milliseconds and Date objects are instants too.
    ms = int(INSTANTS[2].timestamp() * 1000)
    assert page.evaluate("async (ms) => { const m = await import('/static/js/dates.js');"
                         " return [m.formatDate(ms), m.longDate(new Date(ms))]; }", ms) \
        == ["1er déc. 2026", "1er décembre 2026"]


@AT_DESK
def test_calendar_days_are_written_as_themselves_in_every_zone(page, server, size):
    page.goto(f"{server.url}/connexion")
    for zone in ("Europe/Paris", "Pacific/Kiritimati", "Pacific/Pago_Pago"):  # UTC+14, UTC−11
        written = page.evaluate(WRITE, [DAYS, zone])
        for day, said in zip(DAYS, written, strict=True):
            want = _expected(day, PARIS)
            assert {k: _plain(v) for k, v in said.items() if k != "formatDateTime"} == want
            assert said["longDate"] == french_format.long_date(date.fromisoformat(day))
            assert said["numericDate"] == french_format.local_date(date.fromisoformat(day))
    assert page.evaluate(WRITE, [["2026-12-01"], "Europe/Paris"])[0]["shortWeekday"] \
        == "mar. 1er déc."
    # Nothing is a dash, as everywhere in the pages.
    assert set(page.evaluate(WRITE, [[None], "Europe/Paris"])[0].values()) == {"—"}


def test_the_pages_have_no_date_formatter_of_their_own():
    """Every French date of the pages comes from dates.js: no other module builds an
    fr-FR formatter with a day, nor asks the browser for its own locale's date."""
    root = Path(beffroi.__file__).parent
    files = [*root.glob("web/static/js/*.js"), *root.glob("domains/*/web/static/*.js"),
             *(root.parents[1] / "examples").glob("*/src/*/web/static/*.js")]
    assert len(files) > 30
    own = re.compile(r'DateTimeFormat\("fr-FR"[^)]*(day|dateStyle)|toLocale(Date)?String\(\s*\)'
                     r'|toLocale(Date|Time)?String\("fr|split\("-"\)\.reverse\(\)')
    offenders = [f.name for f in files if f.name != "dates.js" and own.search(f.read_text())]
    assert offenders == []


def test_the_servers_texts_write_the_first_of_the_month_the_same_way():
    """E-mails (an alert's day, an on-call week) and reports use core/french_format."""
    assert french_format.long_date(date(2026, 12, 1)) == "1er décembre 2026"
    assert messages.french_day(date(2026, 12, 1)) == "mardi 1er décembre 2026"
    assert messages.french_day(date(2026, 3, 10)) == "mardi 10 mars 2026"
    assert messages.french_date({"timezone": "Europe/Paris"},
                                int(INSTANTS[2].timestamp() * 1000)) == "mardi 1er décembre 2026"


@AT_DESK
def test_the_day_the_territory_is_living_is_its_local_calendar_day(page, server, size):
    """``localDay``: the "YYYY-MM-DD" of an instant in the territory's zone (date fields,
    periods asked of the API), as the server's ``clock.local_day``."""
    page.goto(f"{server.url}/connexion")
    days = page.evaluate("""async ([values, zones]) => {
      const m = await import('/static/js/dates.js');
      return zones.map((z) => values.map((v) => m.localDay(v, z))); }""",
                         [[int(t.timestamp() * 1000) for t in INSTANTS], [PARIS.key, REUNION.key]])
    for tz, said in zip((PARIS, REUNION), days, strict=True):
        assert said == [local_day(int(t.timestamp() * 1000), tz).isoformat() for t in INSTANTS]
    assert days[0][2] == "2026-12-01"  # 23:30 UTC on 30 November
