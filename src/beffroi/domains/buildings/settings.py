"""Per-tenant settings of public buildings (``Domain.settings``): the reference year their
energy is compared with in the impact report, and the price of their electricity.

Read with ``core.settings.setting(tenant_settings, registry, key)``.
"""

from __future__ import annotations

from ...core.registry import PropertySpec, Setting

REFERENCE_YEAR = "buildings.reference_year"
TARIFF = "buildings.tariff_eur_kwh"

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
)

# Prices and figures of the waste detectors (``waste_detectors``): what a week of waste costs.
GAS_TARIFF = "buildings.gas_tariff_eur_kwh"
HEAT_TARIFF = "buildings.heat_tariff_eur_kwh"
WATER_PRICE = "buildings.water_price_eur_m3"
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
