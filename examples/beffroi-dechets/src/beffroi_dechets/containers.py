"""The state of a territory's containers, read through Beffroi's tenant-scoped helpers:
latest fill level and temperature, trend over the current cycle, collection days, next
round and the level expected then. Shared by the round suggestion and the dashboard."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from beffroi.plugin import (
    AssetFilter,
    asset_public,
    format_instant,
    latest,
    list_assets,
    parse_instant,
    series,
)

from .collection_days import EVERY_DAY, days_text, next_collection, parse_days
from .kinds import COLLECTION_POINT, CONTAINER, STREAM_LABELS
from .metrics import FILL, TEMPERATURE
from .tour import ContainerState, predicted, trend_word
from .trend import DAY_MS, fit_trend

LOOKBACK_MS = 14 * DAY_MS  # history read for a trend: a cycle is rarely longer
PAGE = 10_000


@dataclass(frozen=True)
class Territory:
    """Every container of a tenant with what the waste pages show of it."""

    states: list[ContainerState]
    assets: dict[int, dict[str, Any]]  # container id -> asset (``asset_public``)
    points: dict[int, dict[str, Any]]  # collection point id -> asset
    readings: dict[tuple[int, str], dict[str, Any]]  # (asset id, metric) -> latest


def all_assets(scope, conn, kind: str, commune: str | None = None) -> list[dict[str, Any]]:
    out, cursor = [], None
    while True:
        rows, cursor = list_assets(scope, conn, AssetFilter(kind=kind, commune=commune,
                                                            cursor=cursor, limit=PAGE))
        out += [asset_public(r) for r in rows]
        if cursor is None:
            return out


def collection_days_of(asset: dict[str, Any], points: dict[int, dict[str, Any]]
                       ) -> frozenset[int]:
    """The container's own days, else its collection point's, else every day. A text
    that is not a list of days (stored before it was checked) counts as every day."""
    text = asset["properties"].get("collection_days")
    if not text and asset["parent_id"] in points:
        text = points[asset["parent_id"]]["properties"].get("collection_days")
    try:
        return parse_days(text if isinstance(text, str) else None)
    except ValueError:
        return EVERY_DAY


def read_territory(scope, conn, now: int, commune: str | None = None) -> Territory:
    containers = all_assets(scope, conn, CONTAINER.key, commune)
    points = {p["id"]: p for p in all_assets(scope, conn, COLLECTION_POINT.key)}
    readings = {(r["asset_id"], r["metric"]): r
                for r in latest(scope, conn, kind=CONTAINER.key) if r["time"] is not None}
    states = []
    for asset in containers:
        fill = readings.get((asset["id"], FILL))
        value = measured = trend = None
        if fill is not None:
            # The readings up to ``now`` only: a suggestion asked for a past instant does
            # not see what came after it.
            points_ = series(scope, conn, fill["stream_id"], now - LOOKBACK_MS, now + 1)["points"]
            times = [parse_instant(p[0]) for p in points_]
            values = [p[1] for p in points_]
            if times:
                value, measured = values[-1], times[-1]
                trend = fit_trend(times, values)
            elif parse_instant(fill["time"]) <= now:  # silent for longer than the look-back
                value, measured = fill["value"], parse_instant(fill["time"])
        props = asset["properties"]
        states.append(ContainerState(
            id=asset["id"], ref=asset["ref"], name=asset["name"], commune=asset["commune"],
            waste_stream=props.get("waste_stream"), volume_l=props.get("volume_l"),
            days=collection_days_of(asset, points), fill=value, measured_ms=measured,
            trend=trend))
    return Territory(states, {a["id"]: a for a in containers}, points, readings)


def container_rows(territory: Territory, now: int, tz: ZoneInfo) -> list[dict[str, Any]]:
    """One row per container for the dashboard's table."""
    out = []
    for state in territory.states:
        asset = territory.assets[state.id]
        point = territory.points.get(asset["parent_id"])
        temperature = territory.readings.get((state.id, TEMPERATURE))
        at = next_collection(now, state.days, tz)
        level = predicted(state, at)
        out.append({
            "id": state.id, "ref": state.ref, "name": state.name, "commune": state.commune,
            "waste_stream": state.waste_stream,
            "waste_stream_label": STREAM_LABELS.get(state.waste_stream or "", None),
            "volume_l": state.volume_l,
            "collection_point": {"id": point["id"], "name": point["name"]} if point else None,
            "collection_days": days_text(state.days),
            "fill_percent": None if state.fill is None else round(state.fill, 1),
            "measured_at": format_instant(state.measured_ms),
            "trend_percent_per_day": round(state.trend.per_day, 1) if state.trend else None,
            "trend": trend_word(state.trend),
            "next_collection": at.date().isoformat(),
            "predicted_percent": None if level is None else round(level, 1),
            "temperature_c": temperature["value"] if temperature else None,
            "temperature_at": temperature["time"] if temperature else None,
        })
    return out
