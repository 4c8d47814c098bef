"""The daily round ("tournée") suggestion: the containers expected to be full enough by
their next collection round to be worth emptying then, per commune, with each one's trend.

Each container's fill level at its next round is read on its trend line (``trend``); a
container without a trend yet (just emptied, too few readings) is taken at its current
level. Containers whose latest reading is older than ``STALE_AFTER_MS`` are listed apart,
to be checked on site: their sensor has stopped sending.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from .collection_days import next_collection
from .trend import Trend

STALE_AFTER_MS = 2 * 86_400_000
STEADY_PER_DAY = 1.0  # |trend| below this many points a day reads as "stable"


@dataclass(frozen=True)
class ContainerState:
    """What the suggestion needs of one container."""

    id: int
    ref: str
    name: str
    commune: str | None  # INSEE code
    waste_stream: str | None
    volume_l: float | None
    days: frozenset[int]  # collection weekdays (Monday 0)
    fill: float | None  # latest fill level, %
    measured_ms: int | None  # time of that reading
    trend: Trend | None


def trend_word(trend: Trend | None) -> str:
    """``rise``, ``steady``, ``fall`` (filling, stable, settling) or ``unknown``."""
    if trend is None:
        return "unknown"
    if trend.per_day > STEADY_PER_DAY:
        return "rise"
    return "fall" if trend.per_day < -STEADY_PER_DAY else "steady"


def predicted(state: ContainerState, at: datetime) -> float | None:
    """The fill level expected at ``at``, never below the current one (a container does
    not empty itself before its round)."""
    if state.fill is None:
        return None
    if state.trend is None:
        return state.fill
    return max(state.fill, state.trend.at(int(at.timestamp() * 1000)))


def suggest(states: Iterable[ContainerState], now_ms: int, threshold: float, tz: ZoneInfo,
            communes: dict[str, str]) -> dict[str, Any]:
    """The round suggestion at ``now_ms``: per commune (by name), the containers whose
    predicted level at their next round reaches ``threshold`` (fullest first), and apart
    those without a recent reading."""
    groups: dict[str | None, dict[str, list]] = {}
    considered = 0
    for state in states:
        group = groups.setdefault(state.commune, {"containers": [], "unmeasured": []})
        if state.fill is None or state.measured_ms is None \
                or now_ms - state.measured_ms > STALE_AFTER_MS:
            group["unmeasured"].append(_item(state, None, None))
            continue
        considered += 1
        at = next_collection(now_ms, state.days, tz)
        level = predicted(state, at)
        if level >= threshold:
            group["containers"].append(_item(state, at, level))
    out = []
    for insee, group in groups.items():
        if not group["containers"] and not group["unmeasured"]:
            continue
        group["containers"].sort(key=lambda c: (c["next_collection"], -c["predicted_percent"],
                                                c["ref"]))
        group["unmeasured"].sort(key=lambda c: c["ref"])
        out.append({"insee": insee, "name": communes.get(insee or "", insee or "Sans commune"),
                    **group})
    out.sort(key=lambda g: g["name"])
    return {"threshold_percent": threshold, "considered": considered,
            "suggested": sum(len(g["containers"]) for g in out),
            "unmeasured": sum(len(g["unmeasured"]) for g in out), "communes": out}


def _item(state: ContainerState, at: datetime | None, level: float | None) -> dict[str, Any]:
    return {"id": state.id, "ref": state.ref, "name": state.name,
            "waste_stream": state.waste_stream, "volume_l": state.volume_l,
            "fill_percent": _round(state.fill), "measured_ms": state.measured_ms,
            "trend_percent_per_day": _round(state.trend.per_day) if state.trend else None,
            "trend": trend_word(state.trend),
            "next_collection": at.date().isoformat() if at else None,
            "predicted_percent": _round(level)}


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)
