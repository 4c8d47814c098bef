"""Asset kinds of public buildings: the building (with its meters) and monitored rooms.

A building of 1,000 m² or more of tertiary floor area falls under the décret
tertiaire (décret 2019-771, art. R.174-22 CCH); schools and childcare must
measure CO2 in their rooms (décrets 2022-1689/1690).
"""

from ...core.registry import AssetKind, PropertySpec

USAGES = ("mairie", "ecole", "creche", "gymnase", "salle_polyvalente", "bibliotheque",
          "atelier", "piscine", "autre")
HEATING = ("gaz", "fioul", "electrique", "bois", "reseau_chaleur", "pompe_a_chaleur")
ROOM_TYPES = ("classe", "dortoir", "bureau", "salle_activite", "reunion")
VENTILATION = ("naturelle", "vmc_simple_flux", "vmc_double_flux")

BUILDING = AssetKind(
    key="buildings.building",
    label="Bâtiment public",
    geometry_types=("Point", "Polygon", "MultiPolygon"),
    properties=(
        PropertySpec("usage", "enum", "Usage", required=True, choices=USAGES),
        PropertySpec("floor_area_m2", "number", "Surface de plancher", unit="m2", minimum=0),
        PropertySpec("built_year", "integer", "Année de construction", minimum=1000,
                     maximum=2100),
        PropertySpec("heating", "enum", "Énergie de chauffage", choices=HEATING),
        PropertySpec("tertiary_decree", "boolean", "Assujetti au décret tertiaire"),
        PropertySpec("operat_id", "string", "Identifiant OPERAT"),
    ),
    metrics=("energy.active_import", "power.active", "water.volume"),
)

ROOM = AssetKind(
    key="buildings.room",
    label="Pièce suivie",
    parent_kinds=("buildings.building",),
    properties=(
        PropertySpec("room_type", "enum", "Type de pièce", choices=ROOM_TYPES),
        PropertySpec("capacity", "integer", "Occupants prévus", minimum=0),
        PropertySpec("floor_area_m2", "number", "Surface", unit="m2", minimum=0),
        PropertySpec("ventilation", "enum", "Ventilation", choices=VENTILATION),
    ),
    metrics=("air.temperature", "air.humidity", "air.co2"),
)

KINDS = (BUILDING, ROOM)
