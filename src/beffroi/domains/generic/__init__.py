"""Generic domain: a plain site and sensor, so that core can be used and tested alone."""

from ...core.registry import ALL_GEOMETRIES, AssetKind, Domain, Metric, PropertySpec

DOMAIN = Domain(
    key="generic",
    label="Générique",
    asset_kinds=(
        AssetKind(
            key="generic.site",
            label="Site",
            geometry_types=ALL_GEOMETRIES,
            properties=(
                PropertySpec("description", "string", "Description"),
                PropertySpec("commissioned", "date", "Mise en service"),
                PropertySpec("capacity", "number", "Capacité", minimum=0),
                PropertySpec("floors", "integer", "Nombre de niveaux", minimum=0),
                PropertySpec("monitored", "boolean", "Télésurveillé"),
                PropertySpec("status", "enum", "État", choices=("active", "inactive"),
                             choice_labels=(("active", "en service"),
                                            ("inactive", "hors service"))),
            ),
            metrics=("generic.value", "generic.temperature", "generic.counter", "generic.state"),
        ),
    ),
    metrics=(
        Metric("generic.value", "Valeur", "1"),
        Metric("generic.temperature", "Température", "Cel", minimum=-60, maximum=90),
        Metric("generic.counter", "Compteur", "1", kind="counter", default_agg="last", minimum=0),
        Metric("generic.state", "État", "1", kind="state", default_agg="last",
               states={0: "arrêt", 1: "marche"}),
        # What generic sensors measure (the LoRaWAN decoders suggest them).
        Metric("generic.distance", "Distance", "m", minimum=0),
        Metric("generic.voltage", "Tension", "V"),
        Metric("generic.pulses", "Impulsions depuis le message précédent", "1",
               default_agg="sum", minimum=0),
        Metric("generic.pulse_rate", "Cadence d'impulsions", "1/h", minimum=0),
    ),
)
