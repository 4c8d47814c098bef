"""Container fire: a temperature that is high, or that rises fast.

A fire in a container shows on the temperature its sensor reads under the lid. Two signs,
from the latest reading ``(t_n, T_n)``:

- ``T_n ≥ threshold`` (default 60 °C): the fixed-temperature sign. Point heat detectors of
  class A1 (EN 54-5) respond between 54 and 65 °C for a typical ambient of 25 °C; a closed
  container in summer sun stays below it (assumption, to check with the sensors' makers);
- ``T_n − min(T over [t_n − window, t_n]) ≥ rise`` (default +20 °C within 30 minutes): the
  rate-of-rise sign (suffix R of EN 54-5), which catches a fire starting in a cold
  container long before it reaches the threshold (assumption: weather never warms a
  container by 20 °C in 30 minutes).

Both are tenant settings. The sign holds as long as the latest reading shows it: the
alert is resolved once the temperature is back below the threshold and no longer rising.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class FireSign:
    temperature_c: float  # the latest reading
    rise_c: float  # over the window before it
    at_ms: int  # its time
    reason: str  # "threshold" or "rise"


def fire_sign(times_ms: Sequence[int], temperatures: Sequence[float], threshold_c: float,
              rise_c: float, window_ms: int) -> FireSign | None:
    """The fire sign the latest reading shows, if any (readings sorted by time)."""
    if not times_ms:
        return None
    t_n, latest = times_ms[-1], temperatures[-1]
    lowest = min(v for t, v in zip(times_ms, temperatures, strict=True)
                 if t >= t_n - window_ms)
    rise = latest - lowest
    if latest >= threshold_c:
        return FireSign(latest, rise, t_n, "threshold")
    if rise >= rise_c:
        return FireSign(latest, rise, t_n, "rise")
    return None
