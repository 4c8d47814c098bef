"""Simulated lighting history: cabinets switched at sunset and sunrise, with night cut.

Each cabinet burns its connected load from sunset to sunrise (astronomical clock),
except during its night cut window. Two faults are injected near the end of the history
so that the failure detectors have something real, and known, to find:
``INJECTED_FAULTS`` — a cabinet with a share of its lamps out, and one whose clock is
stuck (lit day and night).
"""

from __future__ import annotations

import zlib

import numpy as np

from ....core.registry import DemoAsset
from ....demo.calendar import step_hours
from ..cabinet_programme import cabinet_programme, programme_levels


def switched_on(asset: DemoAsset, t_s: np.ndarray, props: dict | None = None) -> np.ndarray:
    """Share of the full load drawn at each time under the cabinet's programme (0 off,
    0.5 dimmed to 50 %, 1 full); a luminaire follows its own properties' programme."""
    lon, lat = asset.geometry["coordinates"][:2]
    programme, _ = cabinet_programme(asset.properties if props is None else props)
    return programme_levels(programme, t_s, lat, lon) / 100


# ref -> (fault, days before the end of the history when it starts)
INJECTED_FAULTS = {
    "ARM-88383-002": ("lamps_out", 10),  # 40 % of the load gone at night
    "ARM-88383-003": ("stuck_on", 3),  # lit around the clock
}
LAMPS_OUT_SHARE = 0.4


def _with_fault(ref: str, on: np.ndarray, t_s: np.ndarray) -> np.ndarray:
    """The share of the load that burns, with the cabinet's injected fault if it has one."""
    fault = INJECTED_FAULTS.get(ref)
    if fault is None or len(t_s) == 0:
        return on
    kind, days = fault
    since = t_s >= t_s[-1] - days * 86_400
    out = on.copy()
    if kind == "lamps_out":
        out[since] *= 1 - LAMPS_OUT_SHARE
    else:
        out[since] = 1.0
    return out


def _cabinet_power_kw(asset: DemoAsset, t_s: np.ndarray) -> np.ndarray:
    # One generator per asset, whatever the metric, so power and energy agree.
    rng = np.random.default_rng(zlib.crc32(asset.ref.encode()))
    on = _with_fault(asset.ref, switched_on(asset, t_s), t_s)
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
