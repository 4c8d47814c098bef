"""What a container's fill sensor measures (ultrasonic distance, temperature, tilt) and the
fill level core derives from the distance (``kinds.CONTAINER.derived``)."""

from beffroi.plugin import Metric

DISTANCE = "waste.distance"
FILL = "waste.fill_level"
TEMPERATURE = "waste.temperature"
TILT = "waste.tilt"

METRICS = (
    Metric(DISTANCE, "Distance mesurée (capteur → déchets)", "m", minimum=0, maximum=10),
    Metric(FILL, "Taux de remplissage", "%", minimum=0, maximum=100),
    # Beyond the 85 °C most sensors are rated for: a fire is read until the sensor dies.
    Metric(TEMPERATURE, "Température dans le conteneur", "Cel", minimum=-40, maximum=200),
    Metric(TILT, "Inclinaison du capteur", "deg", minimum=0, maximum=180),
)
