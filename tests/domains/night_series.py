"""Synthetic night-flow series written from first principles: a sector's minimum night
flow (seasonal swing, weather-like autocorrelated noise) and the leaks added to it."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np

DAY = 86_400.0
T0 = datetime(2025, 1, 1, 3, tzinfo=UTC).timestamp()  # nights dated 03:00 UTC


def nights(seed: int, count: int = 365, level: float = 20.0, noise: float = 0.03
           ) -> tuple[np.ndarray, np.ndarray]:
    """A leak-free night flow: seasonal swing of ±3 %, weather-like autocorrelated noise."""
    rng = np.random.default_rng(seed)
    i = np.arange(count)
    wobble = np.zeros(count)
    for n in range(1, count):
        wobble[n] = 0.3 * wobble[n - 1] + rng.normal(0, noise * np.sqrt(1 - 0.09))
    seasonal = 1 + 0.03 * np.cos(2 * np.pi * (i - 200) / 365)
    return T0 + i * DAY, level * seasonal * (1 + wobble)


def leak(t: np.ndarray, onset_night: float, size: float, ramp_nights: float = 0,
         repair_night: float | None = None) -> np.ndarray:
    """The extra flow of one leak: a step at ``onset_night`` (or a ramp over
    ``ramp_nights``), gone from ``repair_night`` on."""
    night = (t - T0) / DAY
    grown = np.clip((night - onset_night) / ramp_nights, 0, 1) if ramp_nights else \
        (night >= onset_night).astype(float)
    if repair_night is not None:
        grown[night >= repair_night] = 0
    return size * grown


def square(x: float) -> dict:
    """A small sector polygon (GeoJSON) west–east at longitude ``x``."""
    return {"type": "Polygon", "coordinates": [[[x, 48.0], [x + 0.01, 48.0], [x + 0.01, 48.01],
                                                [x, 48.01], [x, 48.0]]]}


def sector_flow(t_s: np.ndarray, seed: int, level: float) -> np.ndarray:
    """A sector's 15-minute inflow: daily shape with its night minimum, noise."""
    rng = np.random.default_rng(seed)
    hour = (t_s / 3600 + 1) % 24
    shape = 1 + 1.2 * np.sin(np.pi * np.clip(hour - 5, 0, 18) / 18)
    return level * shape * rng.normal(1, 0.04, len(t_s))


def village_index(t_s: np.ndarray, seed: int, step_m3: float = 0.1, leak_m3h: float = 0.0,
                  leak_from_s: float = np.inf, lumps: float = 0.25) -> np.ndarray:
    """The index (m³) of a village sector's inlet meter read at ``t_s``, to ``step_m3``:
    night flow ≈ 1 m³/h, lumpy five-minute draws (± ``lumps``), a leak of ``leak_m3h``
    from ``leak_from_s``."""
    rng = np.random.default_rng(seed)
    fine = np.arange(t_s[0] - 300.0, t_s[-1] + 300.0, 300.0)
    hour = (fine / 3600 + 1) % 24  # (CET)
    flow = (1 + 1.5 * np.sin(np.pi * np.clip(hour - 5, 0, 18) / 18)) * np.exp(
        rng.normal(0, lumps, len(fine))) + leak_m3h * (fine >= leak_from_s)
    volume = np.concatenate([[0.0], np.cumsum(flow[1:] * 300 / 3600)])
    return 4_321.0 + np.floor(np.interp(t_s, fine, volume) / step_m3) * step_m3
