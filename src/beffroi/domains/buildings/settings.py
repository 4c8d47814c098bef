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
