"""Per-tenant settings of climate risks (``Domain.settings``)."""

from __future__ import annotations

from ...core.registry import PropertySpec, Setting

HEAT_THRESHOLD = "risks.heat_max_threshold_c"

SETTINGS = (
    Setting(PropertySpec(HEAT_THRESHOLD, "number", "Seuil canicule des températures "
                         "maximales (IBMx du département)", unit="Cel", minimum=20, maximum=50),
            34.0, "Météo-France, seuils départementaux de vigilance canicule (IBMn/IBMx) : "
                  "IBMx 34 °C dans les Vosges, la Meuse, la Moselle et la "
                  "Meurthe-et-Moselle ; à vérifier pour les autres départements (Marne)."),
)
