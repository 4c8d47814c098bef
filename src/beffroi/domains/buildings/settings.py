"""Per-tenant settings of public buildings (``Domain.settings``): the reference year their
energy is compared with in the impact report, and the price of their electricity.

Read with ``core.settings.setting(tenant_settings, registry, key)``.
"""

from __future__ import annotations

from ...core.registry import PropertySpec, Setting

REFERENCE_YEAR = "buildings.reference_year"
TARIFF = "buildings.tariff_eur_kwh"
CO2_ACTION = "buildings.co2_action_ppm"
CO2_URGENT = "buildings.co2_urgent_ppm"

SETTINGS = (
    Setting(PropertySpec(REFERENCE_YEAR, "integer", "Année de référence des consommations",
                         minimum=2000, maximum=2100),
            None, "À choisir : l'année dont la consommation mesurée des bâtiments sert de "
                  "référence au rapport d'impact (comme l'année de référence du décret "
                  "tertiaire, au plus tôt 2010)."),
    Setting(PropertySpec(TARIFF, "number", "Prix de l'électricité des bâtiments",
                         unit="EUR/kW.h", minimum=0, maximum=10),
            0.25, "Tarif Bleu EDF (tarif réglementé), option base, ≈ 0,25 €/kWh TTC, "
                  "décembre 2024 ; à remplacer par le prix des contrats des bâtiments."),
    Setting(PropertySpec(CO2_ACTION, "number", "Seuil de CO2 appelant des actions correctives",
                         unit="[ppm]", minimum=400, maximum=5000),
            800.0, "Arrêté du 27 décembre 2022, art. 4 : au-dessous de 800 ppm, renouvellement "
                   "de l'air satisfaisant ; son dépassement implique des actions.",
            verified=True),
    Setting(PropertySpec(CO2_URGENT, "number", "Seuil de CO2 imposant d'agir au plus vite",
                         unit="[ppm]", minimum=400, maximum=5000),
            1500.0, "Arrêté du 27 décembre 2022, art. 4 : au-dessus de 1 500 ppm, "
                    "renouvellement de l'air insuffisant, actions dans les plus brefs délais.",
            verified=True),
)

# -- décret tertiaire: consumption per year and degree days (annual.py, degree_days.py) --
GAS_KWH_PER_M3 = "buildings.gas_kwh_per_m3"

SETTINGS = SETTINGS + (
    Setting(PropertySpec(GAS_KWH_PER_M3, "number", "Coefficient de conversion du gaz par "
                         "défaut", unit="kW.h/m3", minimum=5, maximum=15),
            11.2, "À vérifier : valeur moyenne du coefficient de conversion des factures de "
                  "gaz naturel (PCS × correction d'altitude, de 10 à 12 kWh/m³ selon la zone "
                  "et le mois) ; s'applique aux compteurs de gaz sans coefficient propre "
                  "(propriété « kwh_per_unit » du compteur, à reprendre de la facture)."),
)


def tenant_value(stored: dict, key: str):
    """A buildings setting of a tenant (its stored settings): its value, else the default."""
    if key in stored and stored[key] is not None:
        return stored[key]
    return next(s.default for s in SETTINGS if s.spec.name == key)


DJU_METHOD = "buildings.dju_method"
DJU_BASE = "buildings.dju_base_c"
DJU_REFERENCE = "buildings.dju_reference"
DJU_REFERENCE_PERIOD = "buildings.dju_reference_period"
DJU_REFERENCE_MIN = 500

SETTINGS = SETTINGS + (
    Setting(PropertySpec(DJU_METHOD, "enum", "Méthode de calcul des degrés-jours",
                         choices=("meteo", "costic"),
                         choice_labels=(("meteo", "Météo"),
                                        ("costic", "COSTIC (professionnels de l'énergie)"))),
            "meteo", "Méthode « Météo » : DJ = max(0, base − (Tn + Tx)/2) (Météo-France, fiche "
                     "méthode Degrés Jours) ; la méthode COSTIC compte aussi les jours de "
                     "mi-saison où le minimum passe sous la base."),
    Setting(PropertySpec(DJU_BASE, "number", "Température de base des degrés-jours",
                         unit="Cel", minimum=10, maximum=25),
            18.0, "18 °C : base des « degrés-jours unifiés » (DJU) en France (Météo-France, "
                  "COSTIC)."),
    # From DJU_REFERENCE_MIN: C_heating × DJU_ref / DJU_year scales the heating share, so 0
    # (or 25 typed for 2,500) would erase it. French stations' normals in base 18 °C are of
    # the order of 1,500 (Mediterranean coast) to 3,500 (mountains) DJU a year; 500 leaves
    # room for a lower base or a mild station. No heating season (overseas): no value, the
    # setting's null, which means no correction (degree_days.corrected).
    Setting(PropertySpec(DJU_REFERENCE, "number", "DJU de référence (climat normal)",
                         minimum=DJU_REFERENCE_MIN, maximum=6000),
            None, "À saisir (à vérifier) : moyenne des DJU annuels de la station de référence "
                  "sur la période de référence, même méthode et même base que ci-dessus ; "
                  "de 500 à 6 000 (en métropole, de l'ordre de 1 500 sur le littoral "
                  "méditerranéen à 3 500 en montagne, base 18 °C). Sans elle, la correction "
                  "climatique n'est pas calculée : laissez-la vide pour un territoire sans "
                  "saison de chauffage."),
    Setting(PropertySpec(DJU_REFERENCE_PERIOD, "string", "Période de référence des DJU"),
            "2001-2020", "À vérifier : période des DJU moyens retenue pour la correction "
                         "climatique du décret tertiaire (2000–2019, puis 2001–2020 après la "
                         "modification de 2022, d'après les notes du projet) ; information "
                         "affichée avec la valeur saisie."),
)

# Prices and figures of the waste detectors (``waste_detectors``): what a week of waste costs.
GAS_TARIFF = "buildings.gas_tariff_eur_kwh"
HEAT_TARIFF = "buildings.heat_tariff_eur_kwh"
WATER_PRICE = "buildings.water_price_eur_m3"
FUEL_OIL_TARIFF = "buildings.fuel_oil_tariff_eur_kwh"
WOOD_TARIFF = "buildings.wood_tariff_eur_kwh"
PROPANE_TARIFF = "buildings.propane_tariff_eur_kwh"
SAVING_PER_DEGREE = "buildings.heating_saving_pct_per_degree"

SETTINGS = SETTINGS + (
    Setting(PropertySpec(GAS_TARIFF, "number", "Prix du gaz naturel des bâtiments",
                         unit="EUR/(kW.h)", minimum=0, maximum=10),
            0.10, "Prix repère de vente de gaz de la CRE, usage chauffage, ≈ 0,103 €/kWh TTC "
                  "en octobre 2025 (relevé dans la presse, pas sur le site de la CRE) — à "
                  "vérifier ; à remplacer par le prix du contrat des bâtiments."),
    Setting(PropertySpec(HEAT_TARIFF, "number", "Prix de la chaleur livrée par le réseau",
                         unit="EUR/(kW.h)", minimum=0, maximum=10),
            0.10, "Ordre de grandeur d'un réseau de chaleur (≈ 0,10 €/kWh TTC) — à vérifier ; "
                  "à remplacer par le prix de la police d'abonnement du réseau."),
    Setting(PropertySpec(FUEL_OIL_TARIFF, "number", "Prix du fioul domestique des bâtiments",
                         unit="EUR/(kW.h)", minimum=0, maximum=10),
            0.12, "Ordre de grandeur : fioul domestique ≈ 1,20 €/l TTC livré, 9,97 kWh PCI "
                  "par litre (annexe I de l'arrêté du 10 avril 2020) — à vérifier ; à "
                  "remplacer par le prix des dernières livraisons."),
    Setting(PropertySpec(WOOD_TARIFF, "number", "Prix du bois de chauffage des bâtiments",
                         unit="EUR/(kW.h)", minimum=0, maximum=10),
            0.08, "Ordre de grandeur : granulés en vrac ≈ 0,37 €/kg TTC, 4,6 kWh par kg "
                  "(annexe I de l'arrêté du 10 avril 2020) — à vérifier ; à remplacer par le "
                  "prix du contrat de fourniture."),
    Setting(PropertySpec(PROPANE_TARIFF, "number", "Prix du propane des bâtiments",
                         unit="EUR/(kW.h)", minimum=0, maximum=10),
            0.17, "Ordre de grandeur : propane en citerne ≈ 2,1 €/kg TTC, 12,66 kWh par kg "
                  "(annexe I de l'arrêté du 10 avril 2020) — à vérifier ; à remplacer par le "
                  "prix du contrat de fourniture."),
    Setting(PropertySpec(WATER_PRICE, "number", "Prix de l'eau des bâtiments (eau potable et "
                                                "assainissement)", unit="EUR/m3", minimum=0,
                         maximum=100),
            4.52, "Prix moyen TTC de l'eau potable et de l'assainissement collectif au "
                  "1er janvier 2023 pour 120 m³/an : 4,52 €/m³ (14e rapport de l'observatoire "
                  "des services publics d'eau et d'assainissement, OFB, cité par la Banque des "
                  "territoires) ; à remplacer par le prix de la facture d'eau de la commune."),
    Setting(PropertySpec(SAVING_PER_DEGREE, "number",
                         "Énergie de chauffage par degré au-dessus de la consigne",
                         unit="%", minimum=0, maximum=50),
            7.0, "« 1 °C de moins, c'est 7 % d'énergie de chauffage en moins » : chiffre que "
                 "l'ADEME diffuse, dont l'origine n'est pas publiée (plus élevé dans un "
                 "bâtiment bien isolé) — à vérifier."),
)
