"""Asset kinds of the drinking-water network: sectors, mains, meters, reservoirs.

Sectors (secteurs de distribution) are the polygons whose inflow is metered so
that losses and the minimum night flow can be computed per sector; the mains
length of a sector is what the RPQS linear indices (ILP, ILC) divide by.
"""

from ...core.registry import AssetKind, PropertySpec

MATERIALS = ("fonte_grise", "fonte_ductile", "pvc", "pehd", "acier", "amiante_ciment")
METER_ROLES = ("production", "sector_inlet", "export", "import", "customer")
CUSTOMER_CATEGORIES = ("domestic", "non_domestic", "public")

SECTOR = AssetKind(
    key="water.sector",
    label="Secteur de distribution",
    geometry_types=("Polygon", "MultiPolygon"),
    properties=(
        PropertySpec("population_served", "integer", "Population desservie", minimum=0),
        PropertySpec("connections", "integer", "Nombre de branchements", minimum=0),
        PropertySpec("mains_length_km", "number", "Linéaire de réseau (hors branchements)",
                     unit="km", minimum=0),
    ),
)

MAIN = AssetKind(
    key="water.main",
    label="Canalisation",
    geometry_types=("LineString", "MultiLineString"),
    parent_kinds=("water.sector",),
    properties=(
        PropertySpec("diameter_mm", "integer", "Diamètre nominal", unit="mm", minimum=10,
                     maximum=2000),
        PropertySpec("material", "enum", "Matériau", choices=MATERIALS),
        PropertySpec("laid_year", "integer", "Année de pose", minimum=1850, maximum=2100),
    ),
)

METER = AssetKind(
    key="water.meter",
    label="Compteur d'eau",
    parent_kinds=("water.sector",),
    properties=(
        PropertySpec("role", "enum", "Rôle", required=True, choices=METER_ROLES),
        PropertySpec("customer_category", "enum", "Catégorie d'abonné",
                     choices=CUSTOMER_CATEGORIES),
        PropertySpec("serial", "string", "Numéro de série"),
        PropertySpec("diameter_mm", "integer", "Calibre", unit="mm", minimum=10, maximum=1000),
        PropertySpec("installed", "date", "Date de pose"),
        PropertySpec("population_served", "integer", "Population en aval (sectorisation)",
                     minimum=0),
    ),
    metrics=("water.volume", "water.flow"),
)

RESERVOIR = AssetKind(
    key="water.reservoir",
    label="Réservoir",
    properties=(
        PropertySpec("capacity_m3", "number", "Capacité", unit="m3", minimum=0),
        PropertySpec("max_level_m", "number", "Hauteur utile", unit="m", minimum=0),
    ),
    metrics=("water.level",),
)

KINDS = (SECTOR, MAIN, METER, RESERVOIR)
