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

# Meters of buildings (index counters, as the electricity and water ones).
GAS_VOLUME = Metric("gas.volume", "Index du compteur de gaz", "m3", kind="counter",
                    default_agg="last", minimum=0)
HEAT_ENERGY = Metric("energy.heat", "Énergie thermique livrée (index)", "kW.h", kind="counter",
                     default_agg="last", minimum=0)
ENERGY_EXPORT = Metric("energy.active_export", "Énergie électrique produite (index)", "kW.h",
                       kind="counter", default_agg="last", minimum=0)

# Indoor comfort and occupancy, as room sensors (ELSYS ERS, Cayenne LPP devices) report them.
ILLUMINANCE = Metric("air.illuminance", "Éclairement", "lx", minimum=0, maximum=200_000)
PRESSURE = Metric("air.pressure", "Pression atmosphérique", "hPa", minimum=300, maximum=1_100)
TVOC = Metric("air.tvoc", "Composés organiques volatils totaux (COV)", "[ppb]", minimum=0,
              maximum=60_000)
MOTION = Metric("occupancy.motion", "Passages détectés (infrarouge)", "1", default_agg="sum",
                minimum=0)
PRESENCE = Metric("occupancy.presence", "Présence", "1", kind="state", default_agg="last",
                  states={0: "absence", 1: "présence"})
OCCUPANCY = Metric("occupancy.state", "Occupation", "1", kind="state", default_agg="last",
                   states={0: "libre", 1: "en attente", 2: "occupé"})
SOUND_PEAK = Metric("sound.level_peak", "Niveau sonore de crête", "dB", default_agg="max",
                    minimum=0, maximum=150)
SOUND_AVERAGE = Metric("sound.level_average", "Niveau sonore moyen", "dB", minimum=0,
                       maximum=150)
# A floor water sensor (ELSYS ERS Leak): 0 dry to 255 wet.
WATER_LEAK = Metric("water.leak", "Présence d'eau au sol (détecteur de fuite)", "1",
                    default_agg="max", minimum=0, maximum=255)

METRICS = (ENERGY_ACTIVE_IMPORT, POWER_ACTIVE, WATER_VOLUME, GAS_VOLUME, HEAT_ENERGY,
           ENERGY_EXPORT, AIR_TEMPERATURE, RELATIVE_HUMIDITY,
           CO2, ILLUMINANCE, PRESSURE, TVOC, MOTION, PRESENCE, OCCUPANCY, SOUND_PEAK,
           SOUND_AVERAGE, WATER_LEAK)
