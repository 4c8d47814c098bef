"""Quality of a measurement, as its sender states it: ``good`` (the default), ``suspect``
(kept and counted, e.g. Hub'Eau's doubtful readings) or ``bad`` (a reading its sender
knows to be wrong: a sensor in fault, under maintenance, out of its range).

A bad reading is stored and shown as such (raw series, exports) but never counted: it
enters no hourly or daily aggregate, is never a stream's latest value, moves no alert
rule and feeds no computation of the domains, which read a stream's points through
``counted``.
"""

from __future__ import annotations

QUALITY = {"good": 0, "suspect": 1, "bad": 2}
QUALITY_NAMES = {v: k for k, v in QUALITY.items()}
BAD = QUALITY["bad"]


def counted(quality_column):
    """SQL condition on an observations ``quality`` column: the points that count."""
    return quality_column < BAD
