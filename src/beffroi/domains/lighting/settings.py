"""Per-tenant settings of public lighting (``Domain.settings``): prices, emission factor,
the savings baseline and the renovation simulator's assumptions.

Each default carries where it comes from (French, shown with the value). Figures marked
"hypothèse" are orders of magnitude to replace with the tenant's own contracts and quotes.
"""

from __future__ import annotations

from typing import Any

from ...core.registry import PropertySpec, Registry, Setting
from ...core.settings import setting

BASELINES = ("dusk_to_dawn", "reference_year")
BASELINE_LABELS = {
    "dusk_to_dawn": "Allumage du coucher au lever à pleine puissance",
    "reference_year": "Consommation mesurée de l'année de référence",
}

SETTINGS = (
    Setting(PropertySpec("lighting.tariff_eur_kwh", "number", "Prix de l'électricité",
                         unit="EUR/kW.h", minimum=0, maximum=10),
            0.25, "Tarif Bleu EDF (tarif réglementé), option base, ≈ 0,25 €/kWh TTC, "
                  "décembre 2024 ; à remplacer par le prix du contrat de la collectivité."),
    Setting(PropertySpec("lighting.co2_kg_per_kwh", "number", "Facteur d'émission de "
                         "l'électricité", unit="kg/kW.h", minimum=0, maximum=2),
            0.052, "ADEME Base Carbone, électricité « mix de consommation — moyen » ; "
                   "valeur citée ≈ 0,052 kgCO2e/kWh, à vérifier sur la Base Carbone."),
    Setting(PropertySpec("lighting.savings_baseline", "enum", "Référence des économies",
                         choices=BASELINES, choice_labels=tuple(BASELINE_LABELS.items())),
            "dusk_to_dawn", "Allumage du coucher au lever du soleil à pleine puissance, "
                            "le fonctionnement d'un éclairage sans programme."),
    Setting(PropertySpec("lighting.reference_year", "integer", "Année de référence mesurée",
                         minimum=2000, maximum=2100),
            None, "À choisir : l'année dont la consommation mesurée sert de référence "
                  "(référence « Consommation mesurée de l'année de référence »)."),
    Setting(PropertySpec("lighting.led_efficacy_lm_w", "number", "Efficacité lumineuse des "
                         "luminaires LED de remplacement", unit="lm/W", minimum=20, maximum=300),
            130.0, "Hypothèse : ordre de grandeur des luminaires routiers LED récents "
                   "(120 à 160 lm/W) ; à ajuster avec les fiches des produits retenus."),
    Setting(PropertySpec("lighting.led_power_ratio", "number", "Puissance LED / puissance "
                         "de la lampe remplacée", minimum=0.05, maximum=1),
            0.4, "Milieu de la fourchette d'économies d'un passage aux LED (−50 à −75 %) "
                 "citée par les guides de rénovation de l'éclairage public."),
    Setting(PropertySpec("lighting.cost_luminaire_eur", "number", "Coût d'un luminaire LED "
                         "posé", unit="EUR", minimum=0, maximum=100_000),
            600.0, "Hypothèse : ordre de grandeur d'une tête LED fournie et posée, hors "
                   "mât ; à remplacer par les prix des devis ou du marché."),
    Setting(PropertySpec("lighting.cost_controller_eur", "number", "Coût d'un contrôleur "
                         "d'armoire (télégestion)", unit="EUR", minimum=0, maximum=100_000),
            1500.0, "Hypothèse : ordre de grandeur d'un module de télégestion d'armoire posé "
                    "; à remplacer par les prix des devis ou du marché."),
)


def lighting_settings(tenant_settings: Any, registry: Registry) -> dict[str, Any]:
    """Every lighting setting of a tenant (its value, else the default), without the
    ``lighting.`` prefix."""
    return {s.spec.name.removeprefix("lighting."): setting(tenant_settings, registry,
                                                           s.spec.name)
            for s in SETTINGS}


def defaults() -> dict[str, Any]:
    """The defaults, for computations made outside a tenant (tests, CLI)."""
    return {s.spec.name.removeprefix("lighting."): s.default for s in SETTINGS}
