"""Per-territory settings of waste collection (``Domain.settings``)."""

from beffroi.plugin import PropertySpec, Setting

FILL_ALERT = "waste.fill_alert_percent"
ROUND_THRESHOLD = "waste.round_threshold_percent"
FIRE_TEMPERATURE = "waste.fire_temperature_c"
FIRE_RISE = "waste.fire_rise_c"
FIRE_WINDOW = "waste.fire_rise_minutes"

SETTINGS = (
    Setting(PropertySpec(FILL_ALERT, "number", "Seuil d'alerte de remplissage", unit="%",
                         minimum=1, maximum=100),
            90, "Hypothèse : un conteneur est « plein » à 90 % (seuil « haut » réglable des "
                "capteurs de remplissage, objet LwM2M uCIFI 3435) ; à adapter au flux."),
    Setting(PropertySpec(ROUND_THRESHOLD, "number", "Remplissage à atteindre pour proposer "
                         "un conteneur à la tournée", unit="%", minimum=1, maximum=100),
            80, "Proposition de tournée : conteneurs attendus pleins à 80 % ou plus au jour de "
                "leur prochaine collecte."),
    Setting(PropertySpec(FIRE_TEMPERATURE, "number", "Température signalant un feu",
                         unit="Cel", minimum=30, maximum=150),
            60, "Détecteurs de chaleur ponctuels de classe A1 (norme EN 54-5) : déclenchement "
                "entre 54 et 65 °C pour une ambiance de 25 °C ; hypothèse à vérifier auprès "
                "des fabricants de capteurs."),
    Setting(PropertySpec(FIRE_RISE, "number", "Hausse de température signalant un feu",
                         unit="Cel", minimum=1, maximum=100),
            20, "Hypothèse : le soleil ne réchauffe jamais un conteneur de 20 °C en 30 min "
                "(principe des détecteurs thermovélocimétriques, suffixe R de l'EN 54-5)."),
    Setting(PropertySpec(FIRE_WINDOW, "integer", "Durée sur laquelle la hausse est mesurée",
                         unit="min", minimum=5, maximum=24 * 60),
            30, "Hypothèse, avec la hausse ci-dessus."),
)
