"""Metrics of climate risks: hydrometry and weather.

Hub'Eau publishes heights in mm and flows in L/s; Beffroi stores m and m³/s,
the units of flood vigilance thresholds, and converts on import.
"""

from ...core.registry import Metric
from ..quantities import AIR_TEMPERATURE, RELATIVE_HUMIDITY

LEVEL = Metric("hydro.level", "Hauteur d'eau", "m", minimum=-5, maximum=30)
FLOW = Metric("hydro.flow", "Débit du cours d'eau", "m3/s", minimum=0, maximum=20_000)
PRECIPITATION = Metric("weather.precipitation", "Précipitations", "mm", default_agg="sum",
                       minimum=0, maximum=500)
WIND_SPEED = Metric("weather.wind_speed", "Vitesse du vent", "m/s", minimum=0, maximum=90)

METRICS = (LEVEL, FLOW, AIR_TEMPERATURE, RELATIVE_HUMIDITY, PRECIPITATION, WIND_SPEED)
