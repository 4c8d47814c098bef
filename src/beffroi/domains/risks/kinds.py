"""Asset kinds of climate risks: river gauges, weather stations, flood zones, forests."""

from ...core.registry import AssetKind, PropertySpec

HAZARD_LEVELS = ("faible", "moyen", "fort", "tres_fort")
HAZARD_LABELS = (("faible", "faible"), ("moyen", "moyen"), ("fort", "fort"),
                 ("tres_fort", "très fort"))

GAUGE = AssetKind(
    key="risks.gauge",
    label="Station hydrométrique",
    properties=(
        PropertySpec("river", "string", "Cours d'eau"),
        PropertySpec("station_code", "string", "Code station (Hydroportail / Hub'Eau)"),
        PropertySpec("mean_flow_m3s", "number", "Module (débit moyen interannuel)", unit="m3/s",
                     minimum=0),
        PropertySpec("level_yellow_m", "number", "Hauteur de vigilance jaune", unit="m"),
        PropertySpec("level_orange_m", "number", "Hauteur de vigilance orange", unit="m"),
        PropertySpec("level_red_m", "number", "Hauteur de vigilance rouge", unit="m"),
        PropertySpec("historic_floods", "list", "Crues historiques", entry_label="Crue",
                     entry_fields=(
                         PropertySpec("date", "date", "Date", required=True),
                         PropertySpec("height_m", "number", "Hauteur atteinte", unit="m",
                                      required=True, minimum=-5, maximum=30),
                         PropertySpec("label", "string", "Description"),
                     )),
        PropertySpec("source", "string", "Source des données (hubeau : relevé automatique)"),
    ),
    metrics=("hydro.level", "hydro.flow"),
)

WEATHER_STATION = AssetKind(
    key="risks.weather_station",
    label="Station météorologique",
    properties=(
        PropertySpec("altitude_m", "number", "Altitude", unit="m"),
        PropertySpec("operator", "string", "Exploitant"),
    ),
    metrics=("air.temperature", "air.humidity", "weather.precipitation", "weather.wind_speed"),
)

FLOOD_ZONE = AssetKind(
    key="risks.flood_zone",
    label="Zone inondable",
    geometry_types=("Polygon", "MultiPolygon"),
    geometry_required=True,
    properties=(
        PropertySpec("hazard", "enum", "Aléa", choices=HAZARD_LEVELS,
                     choice_labels=HAZARD_LABELS),
        PropertySpec("source", "string", "Source (PPRi, AZI…)"),
        PropertySpec("river", "string", "Cours d'eau"),
        PropertySpec("reference_station", "string", "Station de référence (code Hub'Eau ou "
                     "identifiant de l'échelle)"),
        PropertySpec("flood_level_m", "number", "Hauteur à la station à partir de laquelle la "
                     "zone est inondée", unit="m", minimum=-5, maximum=30),
    ),
)

FOREST = AssetKind(
    key="risks.forest",
    label="Massif forestier",
    geometry_types=("Polygon", "MultiPolygon"),
    geometry_required=True,
    properties=(
        PropertySpec("area_ha", "number", "Surface", unit="har", minimum=0),
        PropertySpec("dominant_species", "string", "Essence dominante"),
    ),
)

KINDS = (GAUGE, WEATHER_STATION, FLOOD_ZONE, FOREST)
