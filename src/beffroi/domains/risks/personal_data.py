"""What the risks domain keeps about persons, for the instance's « Données personnelles »
page (``Domain.personal_data``): written from the register's own declarations (situations,
needs, consent version, re-confirmation setting), so that the page says what the code does."""

from __future__ import annotations

from .register.persons import CATEGORIES, CONSENT_VERSION, NEEDS
from .register.retention import SETTINGS as REGISTER_SETTINGS

_RECONFIRM = REGISTER_SETTINGS[0]
_SITUATIONS = [f"« {label} »" for label in CATEGORIES.values()]

REGISTER = (
    "Registre des personnes vulnérables (article L121-6-1 du code de l'action sociale et "
    "des familles) : nom, prénom, date de naissance, situation ("
    + ", ".join(_SITUATIONS[:-1]) + " ou " + _SITUATIONS[-1]
    + "), adresse et position du domicile, téléphones, personnes à prévenir, besoins ("
    + ", ".join(NEEDS.values()) + " : des données de santé), vie seule ou non, médecin "
    "traitant, remarques, et le suivi des appels passés lors d'un épisode (canicule, "
    "crue…). Une personne y est inscrite à sa demande écrite ou à celle d'un tiers, avec son "
    f"consentement explicite (texte de consentement, version {CONSENT_VERSION}). Finalité : "
    "contacter et aider les personnes inscrites lorsque le plan d'alerte et d'urgence est "
    "déclenché ; le registre est alors communiqué au préfet et aux services qui "
    "interviennent. Seuls les référents du registre désignés par le territoire le "
    "consultent, et chaque consultation est inscrite au journal des actions (sans nom). Une "
    "inscription est supprimée à la demande de la personne, et automatiquement lorsqu'elle "
    f"n'a pas été confirmée depuis {_RECONFIRM.default} mois (durée que chaque territoire "
    f"peut fixer entre {_RECONFIRM.spec.minimum:g} et {_RECONFIRM.spec.maximum:g} mois).")

POPULATION_ALERTS = (
    "Alertes à la population : les adresses e-mail et numéros de téléphone des destinataires "
    "que le territoire a enregistrés, et le journal des envois de chaque alerte "
    "(destinataire, état de l'envoi), consultables par les agents et administrateurs du "
    "territoire. Les SMS passent par la passerelle d'envoi choisie par le territoire, qui "
    "reçoit le numéro et le message. Les destinataires restent enregistrés jusqu'à ce qu'un "
    "administrateur les retire ; le journal des envois est conservé avec l'alerte.")

CRISIS_LOG = (
    "Main courante des événements : les inscriptions des agents (date, auteur, texte), qui "
    "ne sont jamais modifiées ni supprimées, une correction étant une nouvelle inscription.")

PERSONAL_DATA = (REGISTER, POPULATION_ALERTS, CRISIS_LOG)
