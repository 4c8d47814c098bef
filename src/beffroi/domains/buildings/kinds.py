"""Asset kinds of public buildings: the building, its meters and its monitored rooms.

A building of 1,000 m² or more of tertiary floor area, alone or with the other buildings
of its site, falls under the décret tertiaire (décret 2019-771, art. R.174-22 CCH); schools
and childcare must evaluate their ventilation every year with a CO2 measurement (décrets
2022-1689/1690).

What each property is for:
- décret tertiaire: ``tertiary_areas`` (surface per OPERAT activity), ``site`` (buildings
  declared together), ``reference_year``, ``annual_energy`` (consumption per year and
  energy, kWh, entered from invoices when not metered), ``heating_share_pct`` (share of
  the consumption used for heating, the part climate correction applies to), the absolute
  targets ``cabs_*_kwh_m2`` entered by hand, ``operat_id``;
- climate: ``weather_station_ref``, the ref of the weather station asset whose
  temperatures give the building's degree days;
- occupancy (the waste detectors, the CO2 of occupied periods): ``opening_hours``,
  ``school_zone`` (the school holidays of that zone close the building when
  ``closed_school_holidays``), ``closed_public_holidays``;
- comfort: ``setpoint_occupied_c`` and ``setpoint_unoccupied_c`` (19 °C and 16 °C by
  default, art. R.241-26 of the code de l'énergie);
- indoor air: ``air_referent`` (who receives the CO2 alerts of the school and its rooms:
  ``alert_contacts``), ``ventilation_evaluations`` per school year (findings and action
  plan of the yearly ventilation evaluation; the rooms' ``air_evaluations``).

A meter (``buildings.meter``, child of its building) is an index counter: electricity,
gas, heat network, water, PV production. ``ENERGY_METRIC`` gives the stream each energy
reads; ``kwh_per_unit`` converts a gas meter's m³ to kWh (PCS coefficient of the bill);
``rollover`` is the index at which the totaliser goes back to 0 (inferred when absent).
"""

from ...core.domain import AlertContact
from ...core.registry import AssetKind, PropertySpec
from .occupancy import opening_hours_text

USAGES = ("mairie", "ecole", "creche", "gymnase", "salle_polyvalente", "bibliotheque",
          "atelier", "piscine", "bureaux", "autre")
USAGE_LABELS = (("mairie", "mairie"), ("ecole", "école"), ("creche", "crèche"),
                ("gymnase", "gymnase"), ("salle_polyvalente", "salle polyvalente"),
                ("bibliotheque", "bibliothèque"), ("atelier", "ateliers"),
                ("piscine", "piscine"), ("bureaux", "bureaux administratifs"),
                ("autre", "autre"))

# Energies by their French names (OPERAT's list of final energies, the ones a commune has).
ENERGIES = ("electricite", "gaz", "fioul", "bois", "reseau_chaleur", "reseau_froid",
            "propane")
ENERGY_LABELS = (("electricite", "électricité"), ("gaz", "gaz naturel"),
                 ("fioul", "fioul domestique"), ("bois", "bois"),
                 ("reseau_chaleur", "réseau de chaleur"), ("reseau_froid", "réseau de froid"),
                 ("propane", "propane"))
# Heating and hot-water energies: "electrique" (Joule effect) and "pompe_a_chaleur" are both
# electricity in the consumption per energy (``HEATING_ENERGY``).
HEATING = ("gaz", "fioul", "electrique", "bois", "reseau_chaleur", "pompe_a_chaleur",
           "propane")
HEATING_LABELS = (("gaz", "gaz naturel"), ("fioul", "fioul domestique"),
                  ("electrique", "électricité (effet Joule)"), ("bois", "bois"),
                  ("reseau_chaleur", "réseau de chaleur"),
                  ("pompe_a_chaleur", "pompe à chaleur (électricité)"), ("propane", "propane"))
HEATING_ENERGY = {"gaz": "gaz", "fioul": "fioul", "electrique": "electricite", "bois": "bois",
                  "reseau_chaleur": "reseau_chaleur", "pompe_a_chaleur": "electricite",
                  "propane": "propane"}
ROOM_TYPES = ("classe", "dortoir", "bureau", "salle_activite", "reunion")
ROOM_TYPE_LABELS = (("classe", "salle de classe"), ("dortoir", "dortoir"),
                    ("bureau", "bureau"), ("salle_activite", "salle d'activité"),
                    ("reunion", "salle de réunion"))
VENTILATION = ("naturelle", "vmc_simple_flux", "vmc_double_flux")
VENTILATION_LABELS = (("naturelle", "naturelle (ouvrants)"),
                      ("vmc_simple_flux", "VMC simple flux"),
                      ("vmc_double_flux", "VMC double flux"))
SCHOOL_ZONES = ("A", "B", "C")
SCHOOL_ZONE_LABELS = (("A", "zone A"), ("B", "zone B"), ("C", "zone C"))

METER_ENERGIES = ("electricite", "gaz", "reseau_chaleur", "eau", "production_pv")
METER_ENERGY_LABELS = (("electricite", "électricité"), ("gaz", "gaz naturel"),
                       ("reseau_chaleur", "réseau de chaleur"), ("eau", "eau"),
                       ("production_pv", "production photovoltaïque"))
# The index stream each meter energy reads (a counter).
ENERGY_METRIC = {"electricite": "energy.active_import", "gaz": "gas.volume",
                 "reseau_chaleur": "energy.heat", "eau": "water.volume",
                 "production_pv": "energy.active_export"}

# Opening hours: days then time ranges, groups separated by ";", local time:
# "MON,TUE,THU,FRI 08:30-11:30,13:30-16:30; WED 08:30-11:30".
_DAY = "(?:MON|TUE|WED|THU|FRI|SAT|SUN)"
_RANGE = r"(?:[01]\d|2[0-3]):[0-5]\d-(?:[01]\d|2[0-4]):[0-5]\d"
_GROUP = rf"{_DAY}(?:,{_DAY})* {_RANGE}(?:,{_RANGE})*"
OPENING_HOURS_PATTERN = rf"{_GROUP}(?: ?; ?{_GROUP})*"
OPENING_HOURS_HINT = ("jours abrégés en anglais séparés par des virgules, une espace, puis "
                      "les plages HH:MM-HH:MM séparées par des virgules ; plusieurs groupes "
                      "séparés par « ; » (ex. « MON,TUE,THU,FRI 08:30-11:30,13:30-16:30; "
                      "WED 08:30-11:30 »)")

ENERGY_YEAR_FIELDS = tuple(
    PropertySpec(f"{code}_kwh", "number", label, unit="kW.h", minimum=0)
    for code, label in ENERGY_LABELS)

# The yearly ventilation evaluation of a school (arrêté of 1 June 2016 modified on
# 27 December 2022): per school year ("2025-2026"), who evaluated and when, the findings
# and the action plan; per room, the openings and vents checked and what to do.
VENTILATION_EVALUATION = (
    PropertySpec("evaluator", "string", "Évaluation réalisée par"),
    PropertySpec("evaluated_on", "date", "Date de l'évaluation"),
    PropertySpec("findings", "string", "Constats"),
    PropertySpec("action_plan", "string", "Plan d'actions"),
    PropertySpec("responsible", "string", "Responsable du plan d'actions"),
    PropertySpec("due_date", "date", "Échéance du plan d'actions"),
)
ROOM_AIR_EVALUATION = (
    PropertySpec("openings_ok", "boolean", "Ouvrants accessibles et manœuvrables"),
    PropertySpec("vents_ok", "boolean", "Bouches et entrées d'air présentes et dégagées"),
    PropertySpec("findings", "string", "Constats"),
    PropertySpec("actions", "string", "Actions à mener"),
)

BUILDING = AssetKind(
    key="buildings.building",
    label="Bâtiment public",
    geometry_types=("Point", "Polygon", "MultiPolygon"),
    properties=(
        PropertySpec("usage", "enum", "Usage", required=True, choices=USAGES,
                     choice_labels=USAGE_LABELS),
        PropertySpec("floor_area_m2", "number", "Surface de plancher", unit="m2", minimum=0),
        PropertySpec("built_year", "integer", "Année de construction", minimum=1000,
                     maximum=2100, display="year"),
        PropertySpec("heating", "enum", "Énergie de chauffage", choices=HEATING,
                     choice_labels=HEATING_LABELS),
        PropertySpec("hot_water", "enum", "Énergie de l'eau chaude", choices=HEATING,
                     choice_labels=HEATING_LABELS),
        PropertySpec("site", "string", "Site (bâtiments déclarés ensemble)"),
        PropertySpec("tertiary_areas", "list", "Surfaces tertiaires par activité",
                     entry_label="Activité", entry_fields=(
                         PropertySpec("activity", "string", "Activité (catégorie OPERAT)",
                                      required=True),
                         PropertySpec("area_m2", "number", "Surface", unit="m2", minimum=0,
                                      required=True))),
        PropertySpec("tertiary_decree", "boolean",
                     "Assujetti au décret tertiaire (forcé à la main)"),
        PropertySpec("operat_id", "string", "Identifiant OPERAT"),
        PropertySpec("reference_year", "integer", "Année de référence (décret tertiaire)",
                     minimum=2010, maximum=2100, display="year"),
        PropertySpec("annual_energy", "object", "Consommations annuelles par énergie",
                     entry_label="Année", entry_fields=ENERGY_YEAR_FIELDS),
        PropertySpec("heating_share_pct", "number", "Part de la consommation due au chauffage",
                     unit="%", minimum=0, maximum=100),
        PropertySpec("cabs_2030_kwh_m2", "number", "Valeur absolue Cabs 2030",
                     unit="kW.h/m2", minimum=0),
        PropertySpec("cabs_2040_kwh_m2", "number", "Valeur absolue Cabs 2040",
                     unit="kW.h/m2", minimum=0),
        PropertySpec("cabs_2050_kwh_m2", "number", "Valeur absolue Cabs 2050",
                     unit="kW.h/m2", minimum=0),
        PropertySpec("weather_station_ref", "string", "Station météo de référence (réf.)"),
        PropertySpec("opening_hours", "string", "Heures d'ouverture",
                     pattern=OPENING_HOURS_PATTERN, pattern_hint=OPENING_HOURS_HINT,
                     describe=opening_hours_text),
        PropertySpec("school_zone", "enum", "Zone de vacances scolaires",
                     choices=SCHOOL_ZONES, choice_labels=SCHOOL_ZONE_LABELS),
        PropertySpec("closed_school_holidays", "boolean", "Fermé pendant les vacances scolaires"),
        PropertySpec("closed_public_holidays", "boolean", "Fermé les jours fériés"),
        PropertySpec("setpoint_occupied_c", "number", "Consigne de chauffage en occupation",
                     unit="Cel", minimum=5, maximum=30),
        PropertySpec("setpoint_unoccupied_c", "number", "Consigne de chauffage en inoccupation",
                     unit="Cel", minimum=5, maximum=30),
        PropertySpec("air_referent", "string", "Référent qualité de l'air (courriel)"),
        PropertySpec("ventilation_evaluations", "object",
                     "Évaluations annuelles des moyens d'aération",
                     entry_label="Année scolaire", entry_fields=VENTILATION_EVALUATION),
    ),
    metrics=("energy.active_import", "power.active", "water.volume"),
    alert_contacts=(AlertContact("air_referent", metrics=("air.co2",)),),
)

METER = AssetKind(
    key="buildings.meter",
    label="Compteur de bâtiment",
    parent_kinds=("buildings.building",),
    properties=(
        PropertySpec("energy", "enum", "Énergie comptée", required=True,
                     choices=METER_ENERGIES, choice_labels=METER_ENERGY_LABELS),
        PropertySpec("meter_number", "string", "Numéro du compteur (PDL, PCE…)"),
        PropertySpec("kwh_per_unit", "number", "Coefficient de conversion en kWh",
                     unit="kW.h/m3", minimum=0),
        PropertySpec("rollover", "number", "Index de retour à zéro", minimum=0),
    ),
    metrics=tuple(ENERGY_METRIC.values()),
)

ROOM = AssetKind(
    key="buildings.room",
    label="Pièce suivie",
    parent_kinds=("buildings.building",),
    properties=(
        PropertySpec("room_type", "enum", "Type de pièce", choices=ROOM_TYPES,
                     choice_labels=ROOM_TYPE_LABELS),
        PropertySpec("capacity", "integer", "Occupants prévus", minimum=0),
        PropertySpec("floor_area_m2", "number", "Surface", unit="m2", minimum=0),
        PropertySpec("ventilation", "enum", "Ventilation", choices=VENTILATION,
                     choice_labels=VENTILATION_LABELS),
        PropertySpec("air_evaluations", "object", "Évaluations de l'aération de la pièce",
                     entry_label="Année scolaire", entry_fields=ROOM_AIR_EVALUATION),
    ),
    metrics=("air.temperature", "air.humidity", "air.co2", "occupancy.presence"),
)

KINDS = (BUILDING, METER, ROOM)
