"""Simulated lighting history: cabinets switched at sunset and sunrise, with night cut.

Each cabinet burns its connected load from sunset to sunrise (astronomical clock),
except during its night cut window; a few faults a year (lights left on by day,
a tripped breaker leaving a night dark) give the detectors of later issues
something real to find.
"""

from __future__ import annotations

import zlib

import numpy as np

from ...core.registry import DemoAsset
from ...demo.calendar import local_time, step_hours
from .sun import is_night


def _hours(text: str) -> float:
    h, m = text.split(":")
    return int(h) + int(m) / 60


def in_cut_window(local_hour: np.ndarray, start: str, end: str) -> np.ndarray:
    """True inside a night cut window given in local HH:MM (may span midnight)."""
    a, b = _hours(start), _hours(end)
    if a <= b:
        return (local_hour >= a) & (local_hour < b)
    return (local_hour >= a) | (local_hour < b)


def switched_on(asset: DemoAsset, t_s: np.ndarray) -> np.ndarray:
    """1.0 where the cabinet's circuit is on according to its schedule, else 0.0."""
    lon, lat = asset.geometry["coordinates"][:2]
    on = is_night(t_s, lat, lon)
    props = asset.properties
    if props.get("night_cut") and props.get("cut_start") and props.get("cut_end"):
        on &= ~in_cut_window(local_time(t_s).hour, props["cut_start"], props["cut_end"])
    return on.astype(np.float64)


def _with_faults(on: np.ndarray, t_s: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Up to two fault episodes a year: stuck on by day (2–4 days) or dark (1–3 days)."""
    out = on.copy()
    days = np.floor(t_s / 86400)
    if len(days) == 0:
        return out
    first, last = days[0], days[-1]
    for _ in range(int(rng.integers(0, 3))):
        day = rng.integers(int(first), int(last) + 1)
        if rng.random() < 0.5:
            out[(days >= day) & (days < day + rng.integers(2, 5))] = 1.0
        else:
            out[(days >= day) & (days < day + rng.integers(1, 4))] = 0.0
    return out


def _cabinet_power_kw(asset: DemoAsset, t_s: np.ndarray) -> np.ndarray:
    # One generator per asset, whatever the metric, so power and energy agree.
    rng = np.random.default_rng(zlib.crc32(asset.ref.encode()))
    on = _with_faults(switched_on(asset, t_s), t_s, rng)
    load = float(asset.properties.get("connected_power_kw") or 1.0)
    return on * load * (1 + rng.normal(0, 0.02, len(t_s)))


def simulate(asset: DemoAsset, metric: str, t_s: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    if asset.kind == "lighting.cabinet":
        power = np.clip(_cabinet_power_kw(asset, t_s), 0, None)
    else:  # a luminaire with its own node
        power = switched_on(asset, t_s) * float(asset.properties.get("power_w") or 50) / 1000
    if metric == "power.active":
        return np.round(power, 3)
    if metric == "lighting.on":
        return (power > 0).astype(np.float64)
    if metric == "lighting.dimming":
        return (power > 0) * 100.0
    if metric == "energy.active_import":
        step_h = step_hours(t_s)
        start_index = float(np.random.default_rng(zlib.crc32(asset.ref.encode()) + 1)
                            .uniform(5_000, 150_000))
        return np.round(start_index + np.cumsum(power * step_h), 2)
    raise ValueError(f"lighting simulator has no model for {metric!r}")
