"""Metrics every connected device reports about itself, declared by core.

Radio quality and battery are streams of the asset a device is attached to
(``device_id`` set on the stream), so that coverage and device health can be
shown whatever the domain; so are the motion, position and status flags that
generic sensors report (the LoRaWAN decoders suggest them). Registered like any
domain (``core.registry.CORE_DOMAINS``): always loaded, whatever is installed.
"""

from .domain import Domain, Metric

RSSI = Metric("radio.rssi", "Puissance du signal reçu (RSSI)", "dB[mW]", minimum=-200, maximum=50)
SNR = Metric("radio.snr", "Rapport signal/bruit (SNR)", "dB", minimum=-50, maximum=50)
FRAME_COUNTER = Metric("radio.frame_counter", "Compteur de trames", "1", kind="counter",
                       default_agg="last", minimum=0)
BATTERY = Metric("device.battery", "Niveau de batterie", "%", minimum=0, maximum=100)
BATTERY_VOLTAGE = Metric("device.battery_voltage", "Tension de la batterie", "V", minimum=0,
                         maximum=60)
LOW_BATTERY = Metric("device.low_battery", "Batterie faible", "1", kind="state",
                     default_agg="last", states={0: "normale", 1: "faible"})
ALARM = Metric("device.alarm", "Alarme du capteur", "1", kind="state", default_agg="last",
               states={0: "normal", 1: "alarme"})
CONFIGURATION_DONE = Metric("device.configuration_done", "Configuration appliquée", "1",
                            kind="state", default_agg="last", states={0: "non", 1: "oui"})
# Adeunis status byte: a 3-bit frame counter (0 to 7).
STATUS_FRAME_COUNTER = Metric("device.status_frame_counter", "Compteur de trames du statut",
                              "1", default_agg="last", minimum=0, maximum=7)
# Accelerometers: Cayenne LPP carries ±32.767 g, ELSYS ±2 g.
ACCELERATION = tuple(
    Metric(f"device.acceleration_{axis}", f"Accélération (axe {axis.upper()})", "[g]",
           minimum=-33, maximum=33) for axis in "xyz")
# Gyrometers: Cayenne LPP carries ±327.67 °/s.
ANGULAR_RATE = tuple(
    Metric(f"device.angular_rate_{axis}", f"Vitesse angulaire (axe {axis.upper()})", "deg/s",
           minimum=-328, maximum=328) for axis in "xyz")
MOTION = Metric("device.motion", "Mouvements détectés par l'accéléromètre", "1",
                default_agg="sum", minimum=0)
LATITUDE = Metric("device.latitude", "Latitude (GPS)", "deg", default_agg="last",
                  minimum=-90, maximum=90)
LONGITUDE = Metric("device.longitude", "Longitude (GPS)", "deg", default_agg="last",
                   minimum=-180, maximum=180)
ALTITUDE = Metric("device.altitude", "Altitude (GPS)", "m", default_agg="last",
                  minimum=-500, maximum=10_000)

DEVICES = Domain(
    key="devices",
    label="Capteurs connectés",
    metrics=(RSSI, SNR, FRAME_COUNTER, BATTERY, BATTERY_VOLTAGE, LOW_BATTERY, ALARM,
             CONFIGURATION_DONE, STATUS_FRAME_COUNTER, *ACCELERATION, *ANGULAR_RATE, MOTION,
             LATITUDE, LONGITUDE, ALTITUDE),
)
