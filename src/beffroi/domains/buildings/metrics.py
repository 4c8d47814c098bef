"""Metrics of public buildings."""

from ...core.registry import Metric
from ..quantities import (
    AIR_TEMPERATURE,
    ENERGY_ACTIVE_IMPORT,
    POWER_ACTIVE,
    RELATIVE_HUMIDITY,
    WATER_VOLUME,
)

# NDIR sensors measure 0–5,000 ppm (décret 2022-1689 device requirements).
CO2 = Metric("air.co2", "Concentration en CO2", "[ppm]", minimum=0, maximum=5_000)

METRICS = (ENERGY_ACTIVE_IMPORT, POWER_ACTIVE, WATER_VOLUME, AIR_TEMPERATURE, RELATIVE_HUMIDITY,
           CO2)
