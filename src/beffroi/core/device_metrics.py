"""Metrics every connected device reports about itself, declared by core.

Radio quality and battery are streams of the asset a device is attached to
(``device_id`` set on the stream), so that coverage and device health can be
shown whatever the domain. Declared through the same registration point as the
domains' metrics; ``build_registry`` always includes them.
"""

from .registry import Domain, Metric

RSSI = Metric("radio.rssi", "Puissance du signal reçu (RSSI)", "dB[mW]", minimum=-200, maximum=50)
SNR = Metric("radio.snr", "Rapport signal/bruit (SNR)", "dB", minimum=-50, maximum=50)
FRAME_COUNTER = Metric("radio.frame_counter", "Compteur de trames", "1", kind="counter",
                       default_agg="last", minimum=0)
BATTERY = Metric("device.battery", "Niveau de batterie", "%", minimum=0, maximum=100)
BATTERY_VOLTAGE = Metric("device.battery_voltage", "Tension de la batterie", "V", minimum=0,
                         maximum=60)

DEVICES = Domain(
    key="devices",
    label="Capteurs connectés",
    metrics=(RSSI, SNR, FRAME_COUNTER, BATTERY, BATTERY_VOLTAGE),
)
