"""Per-tenant settings of climate risks (``Domain.settings``)."""

from __future__ import annotations

from ...core.registry import PropertySpec, Setting
from .fire_weather import CLASSES

HEAT_THRESHOLD = "risks.heat_max_threshold_c"
HEAT_MAX_THRESHOLD = HEAT_THRESHOLD  # the IBMx threshold (heat waves, dashboard figure)
HEAT_MIN_THRESHOLD = "risks.heat_min_threshold_c"
HEAT_DEPARTMENT = "risks.heat_department"
FIRE_ALERT_LEVEL = "risks.fire_alert_level"

# Codes of the departments with known heat-wave thresholds (heatwave.DEPARTMENTS).
HEAT_DEPARTMENTS = ("88", "55", "57", "54", "51")
HEAT_DEPARTMENT_LABELS = (("88", "Vosges (88)"), ("55", "Meuse (55)"), ("57", "Moselle (57)"),
                          ("54", "Meurthe-et-Moselle (54)"), ("51", "Marne (51)"))
# Fire danger classes (fire_weather.CLASSES), from which an alert is raised.
FIRE_LEVELS = ("modere", "eleve", "tres_eleve")
HUBEAU_ENABLED = "risks.hubeau_enabled"

SETTINGS = (
    Setting(PropertySpec(HEAT_DEPARTMENT, "enum", "Département des seuils canicule",
                         choices=HEAT_DEPARTMENTS, choice_labels=HEAT_DEPARTMENT_LABELS),
            "88", "Météo-France, seuils départementaux de vigilance canicule (IBMn/IBMx) : "
                  "Vosges, Meuse, Meurthe-et-Moselle 18/34 °C, Moselle 19/34 °C ; Marne "
                  "18/34 °C à vérifier."),
    Setting(PropertySpec(HEAT_MIN_THRESHOLD, "number", "Seuil canicule des températures "
                         "minimales (IBMn), s'il diffère de celui du département",
                         unit="Cel", minimum=10, maximum=35),
            None, "Par défaut, le seuil IBMn du département (paramètre "
                  "risks.heat_department)."),
    Setting(PropertySpec(HEAT_THRESHOLD, "number", "Seuil canicule des températures "
                         "maximales (IBMx), s'il diffère de celui du département",
                         unit="Cel", minimum=20, maximum=50),
            None, "Par défaut, le seuil IBMx du département (paramètre "
                  "risks.heat_department) : 34 °C dans les Vosges, la Meuse, la Moselle et "
                  "la Meurthe-et-Moselle ; à vérifier pour la Marne."),
    Setting(PropertySpec(FIRE_ALERT_LEVEL, "enum", "Niveau de danger météorologique de feux "
                         "de forêts qui déclenche une alerte par massif", choices=FIRE_LEVELS,
                         choice_labels=tuple((c.key, c.label) for c in CLASSES
                                             if c.key in FIRE_LEVELS)),
            "eleve", "Classes de danger de l'indice forêt météo (IFM) : bornes à vérifier "
                     "(voir la documentation Risques)."),
    Setting(PropertySpec(HUBEAU_ENABLED, "boolean", "Relever les stations hydrométriques "
                         "Hub'Eau du territoire"),
            False, "Désactivé par défaut : le territoire choisit de relever les hauteurs et "
                   "débits publiés par Hub'Eau (SCHAPI) pour ses stations.", verified=True),
)
