"""Asset kinds of the drinking-water network: services, sectors, mains, meters,
reservoirs, pressure points and acoustic leak loggers.

A service (``water.service``: the régie or syndicat that reports an RPQS) holds its
sectors and its production, import and export meters as children, and the yearly
volumes entered by hand (``annual_volumes``). Sectors (secteurs de distribution, DMA)
are the polygons whose inflow is metered so that losses and the minimum night flow can
be computed per sector; the mains length of a sector is what the RPQS linear indices
(ILP, ILC) divide by.

A meter's ``role`` says where its water goes: ``production`` (leaving a treatment
works or a well into the network), ``import`` / ``export`` (bought from / sold in bulk
to another service), ``sector_inlet`` / ``sector_outlet`` (entering / leaving its
parent sector: a sector's inflow is the sum of its inlets minus the sum of its
outlets), ``customer`` (a subscriber's meter).
"""

from ...core.registry import AssetKind, PropertySpec
from .annual_volumes import FIELDS as YEAR_FIELDS
from .exceptional_uses import USES_SPEC

MATERIALS = ("fonte_grise", "fonte_ductile", "pvc", "pehd", "acier", "amiante_ciment")
METER_ROLES = ("production", "sector_inlet", "sector_outlet", "export", "import", "customer")
RESOURCES = ("forage", "source", "eau_de_surface")
MANAGEMENT = ("regie", "delegation")
CUSTOMER_CATEGORIES = ("domestic", "non_domestic", "public")
FITTINGS = ("vanne", "poteau_incendie", "branchement", "canalisation")
# French labels of the codes (schema ``x-enum-labels``).
MATERIAL_LABELS = (("fonte_grise", "fonte grise"), ("fonte_ductile", "fonte ductile"),
                   ("pvc", "PVC"), ("pehd", "PEHD"), ("acier", "acier"),
                   ("amiante_ciment", "amiante-ciment"))
METER_ROLE_LABELS = (("production", "production"), ("sector_inlet", "entrée de secteur"),
                     ("sector_outlet", "sortie de secteur"), ("export", "vente en gros"),
                     ("import", "achat en gros"), ("customer", "abonné"))
RESOURCE_LABELS = (("forage", "forage"), ("source", "source"),
                   ("eau_de_surface", "eau de surface"))
MANAGEMENT_LABELS = (("regie", "régie"), ("delegation", "délégation de service public"))
CUSTOMER_CATEGORY_LABELS = (("domestic", "domestique"), ("non_domestic", "non domestique"),
                            ("public", "bâtiment public"))
FITTING_LABELS = (("vanne", "vanne"), ("poteau_incendie", "poteau d'incendie"),
                  ("branchement", "branchement"), ("canalisation", "canalisation"))

SERVICE = AssetKind(
    key="water.service",
    label="Service d'eau potable",
    geometry_types=("Point", "Polygon", "MultiPolygon"),
    properties=(
        PropertySpec("management", "enum", "Mode de gestion", choices=MANAGEMENT,
                     choice_labels=MANAGEMENT_LABELS),
        PropertySpec("operator", "string", "Exploitant"),
        PropertySpec("sispea_id", "string", "Identifiant SISPEA du service"),
        # {"2025": {"produced_m3": ..., ...}}: written through PUT …/years/{year}
        PropertySpec("years", "object", "Volumes annuels saisis (RPQS)",
                     entry_fields=YEAR_FIELDS, entry_label="Année"),
    ),
)

SECTOR = AssetKind(
    key="water.sector",
    label="Secteur de distribution",
    geometry_types=("Polygon", "MultiPolygon"),
    parent_kinds=("water.service",),
    properties=(
        PropertySpec("population_served", "integer", "Population desservie", minimum=0),
        PropertySpec("connections", "integer", "Nombre de branchements", minimum=0),
        PropertySpec("customers", "integer", "Nombre d'abonnés", minimum=0),
        PropertySpec("mains_length_km", "number", "Linéaire de réseau (hors branchements)",
                     unit="km", minimum=0),
        PropertySpec("in_zre", "boolean", "En zone de répartition des eaux (ZRE)"),
        # [{"id", "start", "end", "label", "flow_m3h"}]: nights the leak detector leaves
        # out; written through …/water/sectors/{id}/exceptional-uses
        USES_SPEC,
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
        PropertySpec("material", "enum", "Matériau", choices=MATERIALS,
                     choice_labels=MATERIAL_LABELS),
        PropertySpec("laid_year", "integer", "Année de pose", minimum=1850, maximum=2100,
                     display="year"),
    ),
)

METER = AssetKind(
    key="water.meter",
    label="Compteur d'eau",
    parent_kinds=("water.sector", "water.service"),
    properties=(
        PropertySpec("role", "enum", "Rôle", required=True, choices=METER_ROLES,
                     choice_labels=METER_ROLE_LABELS),
        PropertySpec("resource", "enum", "Ressource (compteur de production)",
                     choices=RESOURCES, choice_labels=RESOURCE_LABELS),
        PropertySpec("in_zre", "boolean", "Prélèvement en zone de répartition des eaux (ZRE)"),
        PropertySpec("counterpart", "string",
                     "Service ou secteur à l'autre bout (import, export, sortie de secteur)"),
        PropertySpec("customer_category", "enum", "Catégorie d'abonné",
                     choices=CUSTOMER_CATEGORIES, choice_labels=CUSTOMER_CATEGORY_LABELS),
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

PRESSURE_POINT = AssetKind(
    key="water.pressure_point",
    label="Point de mesure de pression",
    parent_kinds=("water.sector",),
    properties=(
        PropertySpec("altitude_m", "number", "Altitude du capteur", unit="m"),
        PropertySpec("min_service_bar", "number", "Pression minimale de service", unit="bar",
                     minimum=0, maximum=25),
    ),
    metrics=("water.pressure",),
)

ACOUSTIC_LOGGER = AssetKind(
    key="water.acoustic_logger",
    label="Prélocalisateur acoustique de fuites",
    parent_kinds=("water.sector",),
    properties=(
        PropertySpec("serial", "string", "Numéro de série"),
        PropertySpec("fitting", "enum", "Pose", choices=FITTINGS,
                     choice_labels=FITTING_LABELS),
        PropertySpec("installed", "date", "Date de pose"),
    ),
    metrics=("water.leak_alarm", "water.leak_noise"),
)

# The leak detector links a sector's acoustic alarms to its open leak (``detectors``): no
# alert of their own. A territory that wants one alert per logger as well (located on the
# map) posts this body to POST /api/v1/tenants/{tenant}/alert-rules (the rule covers every
# logger, present and future, and is resolved when the logger falls silent again).
LOGGER_ALARM_RULE = {
    "name": "Bruit de fuite détecté par un prélocalisateur", "kind": "state_change",
    "metric": "water.leak_alarm", "asset_kind": "water.acoustic_logger",
    "severity": "warning", "params": {"states": [1, 2]},
}

KINDS = (SERVICE, SECTOR, MAIN, METER, RESERVOIR, PRESSURE_POINT, ACOUSTIC_LOGGER)
