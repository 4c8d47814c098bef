"""Metrics of public lighting."""

from ...core.registry import Metric
from ..quantities import ENERGY_ACTIVE_IMPORT, POWER_ACTIVE

LIGHTING_ON = Metric("lighting.on", "Éclairage allumé", "1", kind="state", default_agg="last",
                     states={0: "éteint", 1: "allumé"})
DIMMING = Metric("lighting.dimming", "Niveau de gradation", "%", minimum=0, maximum=100)

METRICS = (POWER_ACTIVE, ENERGY_ACTIVE_IMPORT, LIGHTING_ON, DIMMING)
