"""Asset kinds of public lighting: control cabinets and the luminaires they feed.

Luminaire properties follow what an operator must hold under art. 5 of the
arrêté du 27 décembre 2018 (ULR, CIE flux code n°3, colour temperature, power,
source flux, installation date of the head).
"""

from ...core.registry import AssetKind, PropertySpec

# Categories of art. 1 of the arrêté du 27 décembre 2018.
CATEGORIES = ("a", "b", "c", "d", "e", "f", "g")
LAMP_TYPES = ("led", "sodium_hp", "sodium_lp", "metal_halide", "mercury", "fluorescent")
SWITCHING = ("astronomical_clock", "photocell", "clock", "remote")

CABINET = AssetKind(
    key="lighting.cabinet",
    label="Armoire d'éclairage public",
    properties=(
        PropertySpec("switching", "enum", "Mode d'allumage", choices=SWITCHING),
        PropertySpec("night_cut", "boolean", "Extinction en cœur de nuit"),
        PropertySpec("cut_start", "string", "Début d'extinction (HH:MM, heure locale)"),
        PropertySpec("cut_end", "string", "Fin d'extinction (HH:MM, heure locale)"),
        PropertySpec("connected_power_kw", "number", "Puissance raccordée", unit="kW", minimum=0),
        PropertySpec("subscribed_power_kva", "number", "Puissance souscrite", unit="kV.A",
                     minimum=0),
        PropertySpec("delivery_point", "string", "Point de livraison (PDL)"),
        PropertySpec("installed", "date", "Mise en service"),
    ),
    metrics=("power.active", "energy.active_import", "lighting.on"),
)

LUMINAIRE = AssetKind(
    key="lighting.luminaire",
    label="Point lumineux",
    parent_kinds=("lighting.cabinet",),
    properties=(
        PropertySpec("category", "enum", "Catégorie (arrêté du 27/12/2018)", choices=CATEGORIES),
        PropertySpec("lamp_type", "enum", "Type de source", choices=LAMP_TYPES),
        PropertySpec("power_w", "number", "Puissance à pleine charge", unit="W", minimum=0,
                     maximum=2000),
        PropertySpec("flux_lm", "number", "Flux nominal de la source", unit="lm", minimum=0),
        PropertySpec("color_temperature_k", "integer", "Température de couleur", unit="K",
                     minimum=1500, maximum=7000),
        PropertySpec("ulr_percent", "number", "ULR (flux émis vers le haut)", unit="%",
                     minimum=0, maximum=100),
        PropertySpec("cie_flux_code_3_percent", "number", "Code flux CIE n°3", unit="%",
                     minimum=0, maximum=100),
        PropertySpec("head_installed", "date", "Date d'installation de la tête"),
        PropertySpec("mast_height_m", "number", "Hauteur de feu", unit="m", minimum=0,
                     maximum=40),
        PropertySpec("dimmable", "boolean", "Gradable"),
    ),
    metrics=("lighting.on", "lighting.dimming", "power.active"),
)

KINDS = (CABINET, LUMINAIRE)
