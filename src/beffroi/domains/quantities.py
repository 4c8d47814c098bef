"""Physical quantities measured by more than one domain, declared once.

Lighting cabinets and public buildings both meter electricity; water networks and
buildings both meter water. The registry accepts a metric declared by several
domains only if the declarations are identical, so they share these objects.
"""

from ..core.registry import Metric

ENERGY_ACTIVE_IMPORT = Metric(
    "energy.active_import", "Énergie active consommée (index)", "kW.h",
    kind="counter", default_agg="last", minimum=0,
)
POWER_ACTIVE = Metric(
    "power.active", "Puissance active", "kW", minimum=0, maximum=10_000,
)
WATER_VOLUME = Metric(
    "water.volume", "Volume d'eau (index)", "m3", kind="counter", default_agg="last", minimum=0,
)
AIR_TEMPERATURE = Metric(
    "air.temperature", "Température de l'air", "Cel", minimum=-50, maximum=60,
)
RELATIVE_HUMIDITY = Metric(
    "air.humidity", "Humidité relative", "%", minimum=0, maximum=100,
)
