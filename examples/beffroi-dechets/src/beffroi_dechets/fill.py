"""Fill level of a container from the distance its ultrasonic sensor measures.

The sensor sits under the lid and measures the distance down to the surface of the waste;
``height_m`` is the container's useful height, from the sensor to the bottom. The fill
level is ``100 × (height − distance) / height``, kept within [0, 100] %: an echo below the
bottom (noise, an empty container) reads 0 %, an object touching the sensor 100 %.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

HEIGHT = "height_m"


def fill_percent(distance_m: float, height_m: float) -> float:
    """The fill level (%) of a container ``height_m`` deep whose surface is ``distance_m``
    below the sensor."""
    return min(100.0, max(0.0, 100.0 * (height_m - distance_m) / height_m))


def fill_from_distance(distance_m: float, properties: Mapping[str, Any]) -> float | None:
    """The derived metric's function (``DerivedMetric``): None while the container's height
    is unknown, so that the distance is kept and no wrong fill level is stored."""
    height = properties.get(HEIGHT)
    if isinstance(height, bool) or not isinstance(height, int | float) or height <= 0:
        return None
    return fill_percent(distance_m, float(height))
