"""Per-tenant settings of the water domain (``Domain.settings``), read with
``core.settings.setting(tenant_settings, registry, key)``.

Defaults marked "à vérifier" are orders of magnitude, not regulatory values
(DOMAIN-FACTS [U]): each service should set its own.
"""

from __future__ import annotations

from ...core.registry import PropertySpec, Setting
from .indicators import CATEGORY_LABELS, DEFAULT_ILP_GRID, GRID_SOURCE, grid_errors

PRICE = "water.price_eur_m3"
NIGHT_START = "water.night_start"
NIGHT_END = "water.night_end"
NIGHT_USE_PER_CONNECTION = "water.night_use_l_h_per_connection"
NIGHT_USE_PER_LARGE_USER = "water.night_use_l_h_per_large_user"
ILP_GRID = "water.ilp_grid"
# How long an unreported leak runs, without night-flow monitoring, before the service finds
# it: the typical run time of a leak found by routine active leak control (a survey of the
# network every few months to a few years). The m³ saved by early detection are counted
# against it (``repaired_leaks``). An order of magnitude, not a measured figure: the service
# should set it from its own survey cycle and the run times of the leaks it found.
USUAL_LEAK_DURATION = "water.usual_leak_duration_days"
# Impact report (``impact``): the year whose linear loss index (ILP) the later years are
# compared with; the energy to produce and distribute one m³ (pumping, treatment), which
# turns the m³ saved into kWh and kg CO2e only once the service has entered it; and how
# many times a year a customer meter is read by hand where it is not read remotely.
REFERENCE_YEAR = "water.reference_year"
ENERGY_PER_M3 = "water.energy_kwh_per_m3"
MANUAL_READINGS = "water.manual_readings_per_year"
# The columns of the ILP grid (indicators.DEFAULT_ILP_GRID), one row per type of network.
ILP_GRID_FIELDS = (
    PropertySpec("ilc_below", "number", "Type retenu tant que l'ILC est inférieur à",
                 unit="m3/km/d"),
    PropertySpec("good", "number", "Bon en dessous de", unit="m3/km/d"),
    PropertySpec("acceptable", "number", "Acceptable en dessous de", unit="m3/km/d"),
    PropertySpec("mediocre", "number", "Médiocre en dessous de (mauvais au-delà)",
                 unit="m3/km/d"),
)

SETTINGS = (
    Setting(PropertySpec(PRICE, "number", "Prix de l'eau perdue", unit="EUR/m3", minimum=0,
                         maximum=100),
            2.1, "Prix moyen du service d'eau potable en France, hors assainissement, "
                 "≈ 2,1 €/m³ TTC (observatoire SISPEA, OFB) — à vérifier ; mettre le prix "
                 "de vente ou le coût de production du service."),
    Setting(PropertySpec(NIGHT_START, "string", "Début de la fenêtre de nuit (HH:MM, heure "
                                                "locale)"),
            "02:00", "Pratique courante : débit minimum de nuit entre 2 h et 4 h.",
            check=lambda value: _clock_errors(NIGHT_START, value, "Début de la fenêtre de nuit")),
    Setting(PropertySpec(NIGHT_END, "string", "Fin de la fenêtre de nuit (HH:MM, heure locale)"),
            "04:00", "Pratique courante : débit minimum de nuit entre 2 h et 4 h.",
            check=lambda value: _clock_errors(NIGHT_END, value, "Fin de la fenêtre de nuit")),
    Setting(PropertySpec(NIGHT_USE_PER_CONNECTION, "number",
                         "Consommation nocturne légitime par branchement", unit="L/h",
                         minimum=0, maximum=1000),
            1.7, "Usage britannique (UKWIR) : ≈ 1,7 L/h par logement la nuit — à vérifier."),
    Setting(PropertySpec(NIGHT_USE_PER_LARGE_USER, "number",
                         "Consommation nocturne légitime par gros consommateur (abonné non "
                         "domestique)", unit="L/h", minimum=0, maximum=1_000_000),
            20.0, "Ordre de grandeur pour un abonné non domestique — à vérifier ; "
                  "mesurer les gros consommateurs de nuit quand c'est possible."),
    Setting(PropertySpec(USUAL_LEAK_DURATION, "number", "Durée habituelle d'une fuite non "
                         "signalée avant sa découverte sans surveillance du débit de nuit",
                         unit="d", minimum=1, maximum=3650),
            90, "Durée typique de fuite d'une fuite non signalée trouvée par la recherche "
                "de fuites de routine — ordre de grandeur à ajuster par le service selon la "
                "fréquence de ses campagnes de recherche ; sert à estimer l'eau économisée "
                "par la détection précoce."),
    Setting(PropertySpec(REFERENCE_YEAR, "integer", "Année de référence des pertes (ILP)",
                         minimum=1990, maximum=2100),
            None, "À choisir : l'année dont l'indice linéaire de pertes sert de référence au "
                  "rapport d'impact (pertes évitées) ; ses volumes annuels doivent être "
                  "saisis."),
    Setting(PropertySpec(ENERGY_PER_M3, "number", "Énergie de production et de distribution "
                         "d'un m³ (pompage, traitement)", unit="kW.h/m3", minimum=0,
                         maximum=50),
            None, "À renseigner : kWh des factures des stations de pompage et de traitement "
                  "divisés par le volume produit ; tant qu'il manque, l'eau économisée "
                  "n'est pas convertie en kWh ni en kg CO2e."),
    Setting(PropertySpec(MANUAL_READINGS, "number", "Relèves manuelles d'un compteur "
                         "d'abonné par an, sans télérelève", minimum=0, maximum=366),
            1, "Pratique courante d'une facturation annuelle : une relève par an "
               "(deux pour une facturation semestrielle) — à vérifier."),
    # RPQS: the rating grid of the ILP by network category (see indicators.DEFAULT_ILP_GRID).
    Setting(PropertySpec(ILP_GRID, "object", "Grille de notation de l'indice linéaire de "
                                             "pertes (ILP, m³/km/j) par type de réseau",
                         entry_label="Type de réseau", entry_fields=ILP_GRID_FIELDS,
                         choice_labels=tuple(CATEGORY_LABELS.items())),
            DEFAULT_ILP_GRID, GRID_SOURCE, check=grid_errors),
)


def _clock_errors(key: str, value: object, label: str) -> list[dict[str, str]]:
    try:
        parse_clock(value, label)
    except ValueError as exc:
        return [{"field": key, "message": str(exc)}]
    return []


def parse_clock(value: object, label: str) -> int:
    """ "HH:MM" -> minutes after midnight, or a French error naming ``label``."""
    text = str(value)
    try:
        hours, minutes = text.split(":")
        h, m = int(hours), int(minutes)
        if len(minutes) == 2 and 0 <= h < 24 and 0 <= m < 60:
            return h * 60 + m
    except ValueError:
        pass
    raise ValueError(f"{label} « {text} » invalide : heure HH:MM attendue (par exemple 02:00).")
