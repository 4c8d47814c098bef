"""The territory's settings of the impact report that core computes itself (``impact.*``):
the platform's own footprint (devices, connectivity, hosting) and the site visits avoided.

They are declared like a domain's ``Setting``s (type, bounds, default, source) and
validated, defaulted and changed like them (``PATCH /tenants/{t}`` with ``settings``);
``core.settings`` takes them beside the registry's. Every default carries its source and
date; none is ``verified``: each is shown "à vérifier" in the report until the territory
puts its own figure (its contract, its host's PUE, its devices' environmental sheets).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..domain import PropertySpec, Setting

GRID = "impact.grid_kgco2e_per_kwh"
ELECTRICITY_PRICE = "impact.electricity_eur_kwh"
SERVER_POWER = "impact.server_power_w"
SERVER_SHARE = "impact.server_share"
PUE = "impact.pue"
LORAWAN_KG = "impact.device_lorawan_kgco2e"
LORAWAN_YEARS = "impact.device_lorawan_lifetime_years"
OTHER_KG = "impact.device_other_kgco2e"
OTHER_YEARS = "impact.device_other_lifetime_years"
MESSAGE_KG = "impact.message_kgco2e"
GATEWAYS = "impact.gateway_count"
GATEWAY_POWER = "impact.gateway_power_w"
GATEWAY_KG = "impact.gateway_kgco2e"
GATEWAY_YEARS = "impact.gateway_lifetime_years"
TRIP_KM = "impact.trip_km"
TRIP_HOURS = "impact.trip_hours"
TRIP_EUR_KM = "impact.trip_eur_per_km"
TRIP_EUR_HOUR = "impact.trip_eur_per_hour"
TRIP_KG_KM = "impact.trip_kgco2e_per_km"
TRIPS_BY_ACTION = "impact.trips_by_action"
MAX_TRIP_KM = 10_000
MAX_TRIP_HOURS = 1_000


def _number(name: str, label: str, unit: str, default: float, source: str, *,
            minimum: float = 0, maximum: float | None = None) -> Setting:
    return Setting(PropertySpec(name, "number", label, unit=unit, minimum=minimum,
                                maximum=maximum), default, source)


def trips_errors(value: Any) -> list[dict[str, str]]:
    """{action: {"km": n, "hours": n}}: numbers ≥ 0 for each action named (which actions
    exist is checked by ``core.settings`` against the registry)."""
    if not isinstance(value, Mapping):
        return [{"field": TRIPS_BY_ACTION, "message": 'objet attendu, par exemple '
                 '{"lighting.switch": {"km": 25, "hours": 1}}'}]
    errors = []
    for action, entry in value.items():
        where = f"{TRIPS_BY_ACTION}.{action}"
        if not isinstance(entry, Mapping):
            errors.append({"field": where, "message": 'objet {"km": …, "hours": …} attendu'})
            continue
        for name in sorted(set(entry) - {"km", "hours"}):
            errors.append({"field": f"{where}.{name}",
                           "message": "champ inconnu (attendus : km, hours)"})
        for name, limit in (("km", MAX_TRIP_KM), ("hours", MAX_TRIP_HOURS)):
            if name not in entry:
                continue
            number = entry[name]
            if not isinstance(number, int | float) or isinstance(number, bool) \
                    or not 0 <= number <= limit:
                errors.append({"field": f"{where}.{name}",
                               "message": f"nombre de 0 à {limit} attendu"})
    return errors


SETTINGS: tuple[Setting, ...] = (
    # -- electricity ------------------------------------------------------------------------
    _number(GRID, "Facteur d'émission de l'électricité", "kg/kW.h", 0.052,
            "ADEME Base Carbone, électricité « mix de consommation — moyen » ; valeur citée "
            "≈ 0,052 kg CO2e/kWh (2024), à vérifier sur la Base Carbone.", maximum=2),
    _number(ELECTRICITY_PRICE, "Prix de l'électricité de l'hébergement", "EUR/kW.h", 0.25,
            "Tarif Bleu EDF (tarif réglementé), option base, ≈ 0,25 €/kWh TTC, décembre 2024 ; "
            "à remplacer par le prix payé par l'hébergeur.", maximum=10),
    # -- hosting ----------------------------------------------------------------------------
    _number(SERVER_POWER, "Puissance électrique moyenne du serveur", "W", 100.0,
            "Hypothèse : petit serveur 1U à charge modérée (2024) ; à mesurer (wattmètre, "
            "tableau de bord de l'hébergeur).", maximum=100_000),
    _number(SERVER_SHARE, "Part du serveur attribuée au territoire", "1", 1.0,
            "Hypothèse prudente : serveur dédié au territoire ; sur une instance mutualisée, "
            "la part du territoire (1/nombre de territoires hébergés par exemple).",
            maximum=1),
    _number(PUE, "PUE du centre de données (efficacité énergétique)", "1", 1.58,
            "Uptime Institute, Global Data Center Survey 2023 : PUE moyen annuel des centres "
            "de données 1,58 ; à remplacer par le PUE de l'hébergeur.", minimum=1, maximum=5),
    # -- devices ----------------------------------------------------------------------------
    _number(LORAWAN_KG, "Fabrication d'un capteur ou contrôleur LoRaWAN", "kg", 5.0,
            "Ordre de grandeur d'un capteur simple à pile (carte électronique, pile, boîtier) "
            "d'après les analyses de cycle de vie publiées de capteurs connectés (Pirson et "
            "Bol, 2021) ; à remplacer par la fiche environnementale du fabricant.",
            maximum=10_000),
    _number(LORAWAN_YEARS, "Durée de vie d'un capteur ou contrôleur LoRaWAN", "a", 8.0,
            "Hypothèse : durée de pile annoncée par les fabricants de capteurs LoRaWAN (5 à "
            "10 ans), 2024.", minimum=0.5, maximum=50),
    _number(OTHER_KG, "Fabrication d'un autre équipement connecté (contrôleur IP, "
            "passerelle MQTT)", "kg", 20.0,
            "Hypothèse : équipement alimenté sur secteur, avec alimentation et boîtier "
            "(ordre de grandeur, 2024) ; à remplacer par la fiche environnementale du "
            "fabricant.", maximum=10_000),
    _number(OTHER_YEARS, "Durée de vie d'un autre équipement connecté", "a", 10.0,
            "Hypothèse : durée d'amortissement courante d'un équipement électronique "
            "d'exploitation (2024).", minimum=0.5, maximum=50),
    # -- connectivity -----------------------------------------------------------------------
    _number(MESSAGE_KG, "Émissions par message transmis", "kg", 0.00000005,
            "Ordre de grandeur : 1 ko par message (charge utile, en-têtes et accusés) × "
            "≈ 50 g CO2e/Go, ratio majorant du réseau mobile français de la méthode "
            "simplifiée de l'ADEME pour l'affichage des opérateurs (2022) ; à vérifier.",
            maximum=1),
    Setting(PropertySpec(GATEWAYS, "integer", "Passerelles LoRaWAN exploitées par le "
                         "territoire (0 : celles qui ont reçu les capteurs)", minimum=0,
                         maximum=100_000), 0,
            "Par défaut, les passerelles distinctes qui ont reçu le dernier message des "
            "capteurs du territoire (inventaire des capteurs)."),
    _number(GATEWAY_POWER, "Puissance électrique d'une passerelle LoRaWAN", "W", 10.0,
            "Hypothèse : passerelle extérieure, 5 à 15 W selon les fiches des fabricants "
            "(2024).", maximum=10_000),
    _number(GATEWAY_KG, "Fabrication d'une passerelle LoRaWAN", "kg", 50.0,
            "Hypothèse : ordre de grandeur d'un équipement réseau extérieur (électronique, "
            "boîtier, antenne), 2024 ; à remplacer par la fiche du fabricant.",
            maximum=100_000),
    _number(GATEWAY_YEARS, "Durée de vie d'une passerelle LoRaWAN", "a", 8.0,
            "Hypothèse : durée d'amortissement courante d'un équipement réseau (2024).",
            minimum=0.5, maximum=50),
    # -- site visits avoided ----------------------------------------------------------------
    _number(TRIP_KM, "Distance aller-retour d'une intervention sur place", "km", 20.0,
            "Hypothèse : intercommunalité rurale, trajet aller-retour des services techniques "
            "à un équipement (2024) ; à ajuster, et par action avec impact.trips_by_action.",
            maximum=MAX_TRIP_KM),
    _number(TRIP_HOURS, "Durée d'une intervention sur place, trajet compris", "h", 1.0,
            "Hypothèse : trajet et manœuvre d'une armoire ou d'un équipement (2024) ; à "
            "ajuster, et par action avec impact.trips_by_action.", maximum=MAX_TRIP_HOURS),
    _number(TRIP_EUR_KM, "Coût d'un kilomètre parcouru", "EUR/km", 0.636,
            "Barème kilométrique fiscal 2024 (véhicule de 5 CV, jusqu'à 5 000 km : "
            "0,636 €/km) ; à remplacer par le coût de la flotte.", maximum=100),
    _number(TRIP_EUR_HOUR, "Coût horaire d'un agent technique", "EUR/h", 40.0,
            "Hypothèse : coût horaire chargé d'un agent technique territorial (2024) ; à "
            "remplacer par le coût du service.", maximum=10_000),
    _number(TRIP_KG_KM, "Émissions d'un kilomètre en véhicule de service", "kg/km", 0.218,
            "ADEME, Base Carbone et comparateur Impact CO2 : voiture thermique ≈ 0,218 kg "
            "CO2e/km (fabrication et combustion), 2023 ; un utilitaire émet davantage — à "
            "vérifier.", maximum=10),
    Setting(PropertySpec(TRIPS_BY_ACTION, "object", "Distance et durée par action "
                         "(déplacements évités)"), {},
            "Vide : chaque commande à distance vaut un déplacement de impact.trip_km et "
            "impact.trip_hours, chaque relève à distance la valeur de son domaine.",
            check=trips_errors),
)
BY_KEY: dict[str, Setting] = {s.spec.name: s for s in SETTINGS}
