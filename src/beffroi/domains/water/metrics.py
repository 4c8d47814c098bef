"""Metrics of the drinking-water network."""

from ...core.registry import Metric
from ..quantities import WATER_VOLUME

FLOW = Metric("water.flow", "Débit", "m3/h", minimum=0, maximum=5_000)
LEVEL = Metric("water.level", "Niveau du réservoir", "m", minimum=0, maximum=50)
PRESSURE = Metric("water.pressure", "Pression", "bar", minimum=0, maximum=25)
# An acoustic logger listens to the network at night and reports whether the noise it
# hears is steady enough to be a leak (vendors' "no leak / possible / probable" alarms).
LEAK_ALARM = Metric("water.leak_alarm", "Alarme de bruit de fuite", "1", kind="state",
                    default_agg="last",
                    states={0: "pas de bruit suspect", 1: "fuite possible", 2: "fuite probable"})
LEAK_NOISE = Metric("water.leak_noise", "Niveau de bruit nocturne", "dB", minimum=0,
                    maximum=120)

METRICS = (WATER_VOLUME, FLOW, LEVEL, PRESSURE, LEAK_ALARM, LEAK_NOISE)
