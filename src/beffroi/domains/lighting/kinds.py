"""Asset kinds of public lighting: control cabinets, the luminaires they feed, and the
zones the compliance report reads (lit areas, trame noire corridors).

Luminaire properties follow what an operator must hold under art. 5 of the arrêté du
27 décembre 2018 (ULR, CIE flux code n°3, colour temperature, power, source flux,
installation date of the head) and what is needed to check art. 2–4 against them
(category, built-up area, protected area, related activity hours).
"""

from ...core.registry import AssetKind, PropertySpec
from .programmes import programme_text

# Categories of art. 1 of the arrêté du 27 décembre 2018.
CATEGORIES = ("a", "b", "c", "d", "e", "f", "g")
LAMP_TYPES = ("led", "sodium_hp", "sodium_lp", "metal_halide", "mercury", "fluorescent")
SWITCHING = ("astronomical_clock", "photocell", "clock", "remote")
# Protected areas: art. 4 I (astronomical sites) and II (nature reserves) set stricter
# values; parks are recorded (art. 5 data) without a limit of their own by default.
PROTECTED_AREAS = ("none", "astronomical_site", "nature_reserve", "national_park",
                   "regional_park")
TARIFF_OPTIONS = ("base", "peak_offpeak", "public_lighting", "market_offer")
# French labels of the codes (schema ``x-enum-labels``).
CATEGORY_LABELS = tuple((c, f"catégorie {c.upper()}") for c in CATEGORIES)
LAMP_TYPE_LABELS = (("led", "LED"), ("sodium_hp", "sodium haute pression"),
                    ("sodium_lp", "sodium basse pression"),
                    ("metal_halide", "iodures métalliques"), ("mercury", "vapeur de mercure"),
                    ("fluorescent", "fluorescente"))
SWITCHING_LABELS = (("astronomical_clock", "horloge astronomique"),
                    ("photocell", "cellule photoélectrique"), ("clock", "horloge"),
                    ("remote", "télécommande"))
PROTECTED_AREA_LABELS = (("none", "aucun"), ("astronomical_site", "site astronomique"),
                         ("nature_reserve", "réserve naturelle"),
                         ("national_park", "parc national"),
                         ("regional_park", "parc naturel régional"))
TARIFF_OPTION_LABELS = (("base", "base"), ("peak_offpeak", "heures pleines / heures creuses"),
                        ("public_lighting", "éclairage public"),
                        ("market_offer", "offre de marché"))
HHMM = "(HH:MM, heure locale)"

CABINET = AssetKind(
    key="lighting.cabinet",
    label="Armoire d'éclairage public",
    properties=(
        PropertySpec("switching", "enum", "Mode d'allumage", choices=SWITCHING,
                     choice_labels=SWITCHING_LABELS),
        PropertySpec("programme", "object", "Programme d'allumage (programme type ou étapes)",
                     describe=programme_text),
        PropertySpec("circuits", "integer", "Nombre de départs (circuits)", minimum=1,
                     maximum=32),
        PropertySpec("connected_power_kw", "number", "Puissance raccordée", unit="kW", minimum=0),
        PropertySpec("subscribed_power_kva", "number", "Puissance souscrite", unit="kV.A",
                     minimum=0),
        PropertySpec("delivery_point", "string", "Point de livraison (PDL / PRM)"),
        PropertySpec("meter_ref", "string", "Compteur d'énergie (numéro)"),
        PropertySpec("contract", "string", "Contrat de fourniture (fournisseur, référence)"),
        PropertySpec("tariff_option", "enum", "Option tarifaire", choices=TARIFF_OPTIONS,
                     choice_labels=TARIFF_OPTION_LABELS),
        PropertySpec("installed", "date", "Mise en service"),
        # Legacy description of a night cut (inventories older than programmes):
        # read by cabinet_programme when no ``programme`` is stored.
        PropertySpec("night_cut", "boolean", "Extinction en cœur de nuit (ancien format)"),
        PropertySpec("cut_start", "string", f"Début d'extinction {HHMM} (ancien format)"),
        PropertySpec("cut_end", "string", f"Fin d'extinction {HHMM} (ancien format)"),
    ),
    metrics=("power.active", "energy.active_import", "lighting.on"),
)

LUMINAIRE = AssetKind(
    key="lighting.luminaire",
    label="Point lumineux",
    parent_kinds=("lighting.cabinet",),
    properties=(
        PropertySpec("category", "enum", "Catégorie (arrêté du 27/12/2018, art. 1)",
                     choices=CATEGORIES, choice_labels=CATEGORY_LABELS),
        PropertySpec("lamp_type", "enum", "Type de source", choices=LAMP_TYPES,
                     choice_labels=LAMP_TYPE_LABELS),
        PropertySpec("power_w", "number", "Puissance à pleine charge", unit="W", minimum=0,
                     maximum=2000),
        PropertySpec("flux_lm", "number", "Flux nominal de la source", unit="lm", minimum=0),
        PropertySpec("color_temperature_k", "integer", "Température de couleur nominale",
                     unit="K", minimum=1500, maximum=7000),
        PropertySpec("ulr_percent", "number", "ULR nominal (flux émis vers le haut)", unit="%",
                     minimum=0, maximum=100),
        PropertySpec("ulr_installed_percent", "number", "ULR en condition d'installation",
                     unit="%", minimum=0, maximum=100),
        PropertySpec("cie_flux_code_3_percent", "number", "Code flux CIE n°3", unit="%",
                     minimum=0, maximum=100),
        PropertySpec("head_installed", "date", "Date d'installation de la tête"),
        PropertySpec("mast_height_m", "number", "Hauteur de feu", unit="m", minimum=0,
                     maximum=40),
        PropertySpec("dimmable", "boolean", "Gradable"),
        PropertySpec("built_up_area", "boolean", "En agglomération"),
        PropertySpec("protected_area", "enum", "Espace protégé (art. 4)",
                     choices=PROTECTED_AREAS, choice_labels=PROTECTED_AREA_LABELS),
        PropertySpec("lit_area_m2", "number", "Surface éclairée attribuée au point", unit="m2",
                     minimum=0),
        PropertySpec("activity_related", "boolean", "Lié à une activité (art. 2)"),
        PropertySpec("activity_start", "string", f"Début de l'activité {HHMM}"),
        PropertySpec("activity_end", "string", f"Fin de l'activité ou fermeture {HHMM}"),
        PropertySpec("switch_on", "string", f"Rallumage propre au point {HHMM}"),
        PropertySpec("switch_off", "string", f"Extinction propre au point {HHMM}"),
    ),
    metrics=("lighting.on", "lighting.dimming", "power.active"),
)

ZONE_GEOMETRIES = ("Polygon", "MultiPolygon")

LIT_AREA = AssetKind(
    key="lighting.lit_area",
    label="Surface éclairée",
    geometry_types=ZONE_GEOMETRIES,
    geometry_required=True,
    properties=(
        PropertySpec("category", "enum", "Catégorie de l'éclairage (art. 1)",
                     choices=CATEGORIES, choice_labels=CATEGORY_LABELS),
        PropertySpec("built_up_area", "boolean", "En agglomération"),
        PropertySpec("declared_area_m2", "number", "Surface déclarée (remplace la surface "
                     "calculée du polygone)", unit="m2", minimum=0),
    ),
)

DARK_CORRIDOR = AssetKind(
    key="lighting.dark_corridor",
    label="Corridor de trame noire",
    geometry_types=ZONE_GEOMETRIES,
    geometry_required=True,
    properties=(
        PropertySpec("protected_area", "enum", "Statut de protection (art. 4)",
                     choices=PROTECTED_AREAS, choice_labels=PROTECTED_AREA_LABELS),
        PropertySpec("description", "string", "Description (milieu, espèces…)"),
    ),
)

KINDS = (CABINET, LUMINAIRE, LIT_AREA, DARK_CORRIDOR)
