"""What a chart's axes say, read from the tick labels uPlot drew (``charts.makeChart``
writes them into ``data-x-ticks`` / ``data-y-ticks``), and the French formats they must
follow: 24-hour clock, day before month, French month names, French digit grouping."""

from __future__ import annotations

import re

from .conftest import wait_for  # not wait_for_function: the pages' CSP forbids its eval

US_TIME = re.compile(r"\d\s?(am|pm)\b", re.IGNORECASE)
US_DATE = re.compile(r"\b\d{1,2}/\d{1,2}/\d{2}\b")
ENGLISH_MONTH = re.compile(r"\b(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)\b")
DAY_MONTH = re.compile(r"\b(\d{2})/(\d{2})\b")


def ticks(chart) -> tuple[str, str]:
    """(x ticks, y ticks) of a chart's root element (a ``.uplot`` locator)."""
    chart.wait_for(state="attached")
    wait_for(chart.page, "e => e.dataset.xTicks", arg=chart.element_handle())
    return chart.get_attribute("data-x-ticks"), chart.get_attribute("data-y-ticks")


def assert_french_time_axis(text: str) -> None:
    assert text, "no tick drawn"
    assert not US_TIME.search(text), text
    assert not US_DATE.search(text), text
    assert not ENGLISH_MONTH.search(text), text
    for day, month in DAY_MONTH.findall(text):
        assert 1 <= int(day) <= 31 and 1 <= int(month) <= 12, text  # dd/mm, not mm/dd


def assert_french_numbers(text: str) -> None:
    assert text, "no tick drawn"
    assert not re.search(r"\d,\d{3}\b", text), text  # no "150,000"
    assert not re.search(r"\d\.\d", text), text  # a decimal comma, never a point
