"""Per-tenant settings of climate risks (``Domain.settings``)."""

from __future__ import annotations

from ...core.registry import PropertySpec, Setting

HEAT_THRESHOLD = "risks.heat_max_threshold_c"
HUBEAU_ENABLED = "risks.hubeau_enabled"

SETTINGS = (
    Setting(PropertySpec(HEAT_THRESHOLD, "number", "Seuil canicule des températures "
                         "maximales (IBMx du département)", unit="Cel", minimum=20, maximum=50),
            34.0, "Météo-France, seuils départementaux de vigilance canicule (IBMn/IBMx) : "
                  "IBMx 34 °C dans les Vosges, la Meuse, la Moselle et la "
                  "Meurthe-et-Moselle ; à vérifier pour les autres départements (Marne)."),
    Setting(PropertySpec(HUBEAU_ENABLED, "boolean", "Relever les stations hydrométriques "
                         "Hub'Eau du territoire"),
            False, "Désactivé par défaut : le territoire choisit de relever les hauteurs et "
                   "débits publiés par Hub'Eau (SCHAPI) pour ses stations.", verified=True),
)
