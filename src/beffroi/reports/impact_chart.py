"""Monthly bar charts as SVG drawn on the server: no script (WeasyPrint runs none), the same
drawing on the page and in the PDF.

One horizontal bar per month, months down the left, each month's value written at the right,
a value axis with a few round ticks under the bars, and a zero line that negative values
(losses) cross to the left. The drawing is sized in ``viewBox`` units: it scales to the width
it is given and stays legible on a phone (12-unit text in a 360-unit wide drawing: about 11 px on a phone, 16 px
in the page's 30rem at most, 10 pt in the PDF's 105 mm).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

WIDTH = 360.0
LABEL_W = 76.0  # month names, right-aligned at its end
VALUE_W = 100.0  # each month's value, right-aligned at the drawing's end
ROW_H = 22.0
BAR_H = 14.0
TOP = 6.0
AXIS_H = 40.0  # tick labels and the axis title under the bars


@dataclass(frozen=True)
class Bar:
    label: str  # « janv. 2026 »
    text: str  # the value as written at the right (« — » when unknown)
    x: float
    y: float  # top of the row
    width: float
    negative: bool


@dataclass(frozen=True)
class Tick:
    x: float
    text: str


@dataclass(frozen=True)
class Chart:
    width: float
    height: float
    plot_left: float
    plot_right: float
    plot_bottom: float
    zero_x: float
    bars: tuple[Bar, ...]
    ticks: tuple[Tick, ...]
    axis_title: str
    row_h: float = ROW_H
    bar_h: float = BAR_H


def nice_step(span: float, count: int = 4) -> float:
    """A round step (1, 2, 2.5 or 5 × 10ⁿ) giving about ``count`` intervals over ``span``."""
    if span <= 0:
        return 1.0
    raw = span / count
    power = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 2.5, 5, 10):
        if raw <= factor * power:
            return factor * power
    return 10 * power  # pragma: no cover (the loop always returns)


def bar_chart(labels: Sequence[str], values: Sequence[float | None], axis_title: str,
              value_text: Callable[[float], str], tick_text: Callable[[float], str]) -> Chart:
    """The geometry of a chart of ``values`` (None: unknown, no bar) labelled ``labels``."""
    known = [v for v in values if v is not None]
    low = min([0.0, *known])
    high = max([0.0, *known])
    step = nice_step(high - low)
    low = math.floor(low / step) * step
    high = math.ceil(high / step) * step
    if high == low:
        high = low + step
    left, right = LABEL_W + 6, WIDTH - VALUE_W - 8

    def x_of(value: float) -> float:
        return round(left + (value - low) / (high - low) * (right - left), 2)

    zero = x_of(0.0)
    bars = []
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        y = TOP + i * ROW_H
        if value is None:
            bars.append(Bar(label, "—", zero, y, 0.0, False))
            continue
        end = x_of(value)
        bars.append(Bar(label, value_text(value), min(zero, end), y, round(abs(end - zero), 2),
                        value < 0))
    count = round((high - low) / step)
    ticks = tuple(Tick(x_of(low + k * step), tick_text(low + k * step)) for k in range(count + 1))
    bottom = TOP + len(bars) * ROW_H
    return Chart(WIDTH, bottom + AXIS_H, left, right, bottom, zero, tuple(bars), ticks,
                 axis_title)
