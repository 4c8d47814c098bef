"""Asset kinds of waste collection: collection points and their containers.

A collection point (point d'apport volontaire, a set of bins in a street) holds containers
as children. A container has a waste stream, a volume and a useful height: its fill sensor
(a device attached to it, reading distance, temperature and tilt) feeds its streams, and
core derives its fill level (%) from the distance and the height at ingest. Collection days
are a property of the container, else of its collection point (see ``collection_days``).
"""

from beffroi.plugin import AssetKind, DerivedMetric, PropertySpec

from .collection_days import HINT, PATTERN
from .fill import HEIGHT, fill_from_distance
from .metrics import DISTANCE, FILL, TEMPERATURE, TILT

STREAMS = ("ordures_menageres", "emballages", "papier", "verre")
STREAM_LABELS = {"ordures_menageres": "Ordures ménagères", "emballages": "Emballages",
                 "papier": "Papier", "verre": "Verre"}
INSTALLATIONS = ("aerien", "semi_enterre", "enterre", "bac_roulant")
INSTALLATION_LABELS = (("aerien", "aérien"), ("semi_enterre", "semi-enterré"),
                       ("enterre", "enterré"), ("bac_roulant", "bac roulant"))

COLLECTION_DAYS = PropertySpec("collection_days", "string", "Jours de collecte",
                               pattern=PATTERN, pattern_hint=HINT)

COLLECTION_POINT = AssetKind(
    key="waste.collection_point",
    label="Point de collecte",
    properties=(
        PropertySpec("address", "string", "Adresse"),
        COLLECTION_DAYS,
    ),
)

CONTAINER = AssetKind(
    key="waste.container",
    label="Conteneur à déchets",
    parent_kinds=("waste.collection_point",),
    properties=(
        PropertySpec("waste_stream", "enum", "Flux de déchets", required=True, choices=STREAMS,
                     choice_labels=tuple(STREAM_LABELS.items())),
        PropertySpec("volume_l", "number", "Volume", unit="L", minimum=0, maximum=100_000),
        PropertySpec(HEIGHT, "number", "Hauteur utile (capteur → fond)", unit="m",
                     required=True, minimum=0.1, maximum=10),
        PropertySpec("installation", "enum", "Implantation", choices=INSTALLATIONS,
                     choice_labels=INSTALLATION_LABELS),
        COLLECTION_DAYS,
    ),
    metrics=(DISTANCE, FILL, TEMPERATURE, TILT),
    derived=(DerivedMetric(DISTANCE, FILL, fill_from_distance),),
)

KINDS = (COLLECTION_POINT, CONTAINER)
