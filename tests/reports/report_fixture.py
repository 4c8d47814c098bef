"""A contract-C impact report dict (see the impact report's JSON route), written by hand for
the rendering tests: every figure the tests look for is here, with its expected French text
beside it where it matters."""

from __future__ import annotations

import copy
from typing import Any

_REPORT: dict[str, Any] = {
    "tenant": {"id": 1, "name": "CC de la Porte des Vosges Méridionales", "siren": "200068377"},
    "period": {"from": "2026-01-01", "to": "2026-03-31", "days": 90},
    "communes": None,
    "generated_at": "2026-12-05T10:00:00+01:00",
    "domains": [
        {"domain": "lighting", "label": "Éclairage public",
         "kwh": 12345.678, "eur": 2469.136, "kgco2e": 641.975, "m3": None,
         "baseline": "Allumage du crépuscule à l'aube à pleine puissance.",
         "method": "Énergie mesurée aux compteurs des armoires, comparée au référentiel.",
         "coverage": {"share": 0.857, "text": "12 armoires sur 14 mesurées"},
         "quality": "measured",
         "items": [
             {"key": "lighting.savings", "label": "Économies d'énergie", "kwh": 12345.678,
              "eur": 2469.136, "kgco2e": 641.975, "m3": None, "quality": "measured",
              "note": "Extinction de 23 h à 5 h"},
         ],
         "counts": [{"key": "lighting.dark_hours", "label": "Heures de nuit noire restituées",
                     "value": 1520}],
         "monthly": [
             {"month": "2026-01", "kwh": 5000.5, "eur": 1000.1, "kgco2e": 260.026, "m3": None},
             {"month": "2026-02", "kwh": 4345.178, "eur": 869.036, "kgco2e": 225.949,
              "m3": None},
             {"month": "2026-03", "kwh": 3000.0, "eur": 600.0, "kgco2e": 156.0, "m3": None},
         ],
         "by_commune": [
             {"insee": "88383", "name": "Remiremont", "kwh": 10000.0, "eur": 2000.0,
              "kgco2e": 520.0, "m3": None},
             {"insee": "88413", "name": "Saint-Étienne-lès-Remiremont", "kwh": 2345.678,
              "eur": 469.136, "kgco2e": 121.975, "m3": None},
         ]},
        {"domain": "water", "label": "Eau potable",
         "kwh": None, "eur": 3150.0, "kgco2e": None, "m3": 1575.25,
         "baseline": "Durée habituelle de détection sans télérelève : 90 jours.",
         "method": "Pertes des fuites trouvées multipliées par les jours gagnés.",
         "coverage": {"share": None, "text": "3 secteurs sur 5 équipés"},
         "quality": "estimated",
         "items": [
             {"key": "water.leaks_found_early", "label": "Fuites trouvées plus tôt",
              "kwh": None, "eur": 3150.0, "kgco2e": None, "m3": 1575.25,
              "quality": "estimated", "note": None},
         ],
         "counts": [],
         "monthly": [
             {"month": "2026-01", "kwh": None, "eur": 1000.0, "kgco2e": None, "m3": 500.0},
             {"month": "2026-02", "kwh": None, "eur": None, "kgco2e": None, "m3": None},
             {"month": "2026-03", "kwh": None, "eur": 2150.0, "kgco2e": None, "m3": 1075.25},
         ],
         "by_commune": [
             {"insee": "88383", "name": "Remiremont <Centre>", "kwh": None, "eur": 3150.0,
              "kgco2e": None, "m3": 1575.25},
         ]},
        {"domain": "risks", "label": "Risques climatiques",
         "kwh": None, "eur": None, "kgco2e": None, "m3": None,
         "baseline": "Aucun gain d'énergie : les alertes sont comptées.",
         "method": "Alertes envoyées avant le dépassement du seuil.",
         "coverage": {"share": 1.0, "text": "2 échelles de crue sur 2"},
         "quality": "measured",
         "items": [],
         "counts": [{"key": "risks.alerts_ahead",
                     "label": "Alertes envoyées avant un événement", "value": 3}],
         "monthly": [],
         "by_commune": []},
    ],
    "field_trips": {"trips": 12, "km": 240.0, "hours": 6.0, "eur": 150.0, "kgco2e": 46.08,
                    "quality": "estimated",
                    "method": "Actions à distance multipliées par un trajet type.",
                    "items": [{"action": "lighting.set_schedule",
                               "label": "Programmation d'une armoire", "trips": 12,
                               "km_per_trip": 20.0, "hours_per_trip": 0.5}]},
    "gross": {"kwh": 12345.678, "eur": 5769.136, "kgco2e": 688.055, "m3": 1575.25},
    "footprint": {"kgco2e": 900.5, "kwh": 310.0, "eur": 120.0,
                  "parts": [
                      {"key": "devices", "label": "Fabrication des capteurs", "kgco2e": 840.0,
                       "kwh": None, "eur": None, "quality": "assumed",
                       "method": "Empreinte de fabrication répartie sur la durée de vie.",
                       "detail": [{"label": "Capteurs LoRaWAN", "count": 120,
                                   "kgco2e": 600.0},
                                  {"label": "Passerelles", "count": 4, "kgco2e": 240.0}]},
                      {"key": "connectivity", "label": "Connectivité", "kgco2e": 20.5,
                       "kwh": 60.0, "eur": 20.0, "quality": "estimated",
                       "method": "Messages envoyés multipliés par un facteur par message.",
                       "detail": []},
                      {"key": "hosting", "label": "Hébergement", "kgco2e": 40.0,
                       "kwh": 250.0, "eur": 100.0, "quality": "estimated",
                       "method": "Part du serveur × PUE × facteur du réseau.",
                       "detail": []},
                  ]},
    "net": {"kwh": 12035.678, "eur": 5649.136, "kgco2e": -212.445, "m3": 1575.25},
    "settings": [
        {"key": "impact.grid_kgco2e_per_kwh", "label": "Facteur d'émission de l'électricité",
         "value": 0.052, "unit": "kg CO2e/kWh",
         "source": "ADEME Base Carbone, mix moyen (2024)", "verified": False,
         "default": True},
        {"key": "impact.electricity_eur_per_kwh", "label": "Prix de l'électricité",
         "value": 0.2, "unit": "EUR/(kW.h)", "source": "Facture du territoire (2026)",
         "verified": True, "default": False},
    ],
    "data": {"from": "2026-01-01", "to": "2026-03-31",
             "note": "Observations du 1er janvier au 31 mars 2026 ; 2 compteurs silencieux."},
}


def report() -> dict[str, Any]:
    """A fresh copy: tests change it freely."""
    return copy.deepcopy(_REPORT)
