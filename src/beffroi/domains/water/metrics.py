"""Metrics of the drinking-water network."""

from ...core.registry import Metric
from ..quantities import WATER_VOLUME

FLOW = Metric("water.flow", "Débit", "m3/h", minimum=0, maximum=5_000)
LEVEL = Metric("water.level", "Niveau du réservoir", "m", minimum=0, maximum=50)
PRESSURE = Metric("water.pressure", "Pression", "bar", minimum=0, maximum=25)

METRICS = (WATER_VOLUME, FLOW, LEVEL, PRESSURE)
