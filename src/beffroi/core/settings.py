"""Per-tenant settings: validated, defaulted, changeable without restart.

Core's own settings are the plain ``DEFAULTS`` below, the impact report's factors
(``impact.*``, declared as ``Setting``s in ``impact.settings``) and the retention of the
audit log and notifications (``retention.*``, in ``retention``); domains declare theirs on
their ``Domain``. All are changed the same way (``PATCH /tenants/{t}``) and read with their
default (``with_defaults``, ``setting``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import orjson

from .access import TenantScope
from .clock import parse_instant
from .errors import Forbidden, Invalid, Unauthorized
from .impact.settings import BY_KEY as IMPACT_SETTINGS
from .impact.settings import TRIPS_BY_ACTION
from .properties import check_value
from .registry import PropertySpec, Registry
from .retention import BY_KEY as RETENTION_SETTINGS

DEFAULTS: dict[str, Any] = {
    "timezone": "Europe/Paris",
    "raw_retention_days": None,  # None keeps raw observations forever; rollups are kept always
    "published_kinds": [],  # asset kinds readable without login
    # Office hours in the tenant's time zone (ISO weekdays, 1 = Monday); outside them a
    # critical alert pages the on-call person of the week.
    "working_hours": {"days": [1, 2, 3, 4, 5], "start": "08:00", "end": "18:00"},
    "escalation_delay_min": 30,  # unacknowledged page -> the on-call secondary
    "digest_time": "07:30",  # local time of the daily digest e-mail
    # The public indicators page (/territoires/{siren}/indicateurs): headline net impact
    # figures for citizens, published only when the territory chooses to.
    "impact.public_indicators": False,
    # A notice shown at the top of the territory's public page until ``until`` (a
    # population alert's banner): {"title", "text", "level", "until"} or None.
    "public_banner": None,
}

_CLOCK = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
MAX_ESCALATION_MIN = 24 * 60


def parse_clock(text: str) -> int:
    """"HH:MM" (already validated) -> minutes since midnight."""
    hours, minutes = text.split(":")
    return int(hours) * 60 + int(minutes)


def _is_clock(value: Any) -> bool:
    return isinstance(value, str) and bool(_CLOCK.match(value))


def _working_hours_errors(value: Any) -> list[dict[str, str]]:
    field = "working_hours"
    if not isinstance(value, dict):
        return [{"field": field, "message": 'objet attendu, par exemple {"days": [1, 2, 3, 4, 5], '
                                            '"start": "08:00", "end": "18:00"}'}]
    errors = [{"field": f"{field}.{k}", "message": "champ inconnu (attendus : days, start, end)"}
              for k in sorted(set(value) - {"days", "start", "end"})]
    days = value.get("days")
    if (not isinstance(days, list) or len(set(days)) != len(days)
            or not all(isinstance(d, int) and not isinstance(d, bool) and 1 <= d <= 7
                       for d in days)):
        errors.append({"field": f"{field}.days",
                       "message": "liste de jours ISO distincts, de 1 (lundi) à 7 (dimanche)"})
    for key in ("start", "end"):
        if not _is_clock(value.get(key)):
            errors.append({"field": f"{field}.{key}", "message": "heure HH:MM attendue"})
    if (_is_clock(value.get("start")) and _is_clock(value.get("end"))
            and parse_clock(value["start"]) >= parse_clock(value["end"])):
        errors.append({"field": f"{field}.end", "message": "doit être après le début (start)"})
    return errors


def declared_settings(registry: Registry | None) -> dict[str, Any]:
    """Every declared ``Setting`` by key: core's impact factors, then the domains'."""
    return {**IMPACT_SETTINGS, **RETENTION_SETTINGS, **(registry.settings if registry else {})}


def _trip_actions(registry: Registry | None) -> set[str]:
    """What ``impact.trips_by_action`` may name: the commands and the site visits the
    domains declare."""
    if registry is None:
        return set()
    return ({c.key for d in registry.domains.values() for c in d.commands}
            | {t.key for d in registry.domains.values() for i in d.impacts for t in i.trips})


def validate_settings(changes: dict[str, Any], registry: Registry | None) -> dict[str, Any]:
    known_kinds = set(registry.asset_kinds) if registry else set()
    declared = declared_settings(registry)
    errors = []
    for key, value in changes.items():
        if key in declared:
            if value is None:
                continue  # back to the declared default (``stored_settings`` drops it)
            spec, check = declared[key].spec, declared[key].check
            _, message = check_value(spec, value)
            if message:
                errors.append({"field": key, "message": f"{spec.label} : {message}"})
            elif check is not None:
                found = check(value)
                errors.extend(found)
                if key == TRIPS_BY_ACTION and not found:
                    known = _trip_actions(registry)
                    errors.extend({"field": f"{key}.{action}", "message": "action inconnue "
                                   "(une commande ou un déplacement déclaré par un domaine)"}
                                  for action in value if action not in known)
        elif key not in DEFAULTS:
            errors.append({"field": key, "message": "paramètre inconnu"})
        elif key == "timezone":
            try:
                ZoneInfo(str(value))
            except (ZoneInfoNotFoundError, ValueError):
                errors.append({"field": key, "message": f"fuseau horaire inconnu « {value} »"})
        elif key == "raw_retention_days":
            if value is not None and (not isinstance(value, int) or isinstance(value, bool)
                                      or value < 1):
                errors.append({"field": key,
                               "message": "nombre de jours entier ≥ 1, ou null pour tout garder"})
        elif key == "published_kinds":
            if not isinstance(value, list) or not all(isinstance(k, str) for k in value):
                errors.append({"field": key, "message": "liste de types d'équipements attendue"})
            else:
                unknown = [k for k in value if k not in known_kinds]
                if unknown:
                    errors.append({"field": key,
                                   "message": f"types d'équipements inconnus : {', '.join(unknown)}"})
        elif key == "working_hours":
            errors.extend(_working_hours_errors(value))
        elif key == "escalation_delay_min":
            if (not isinstance(value, int) or isinstance(value, bool)
                    or not 1 <= value <= MAX_ESCALATION_MIN):
                errors.append({"field": key, "message": "nombre entier de minutes, de 1 à "
                                                        f"{MAX_ESCALATION_MIN}"})
        elif key == "digest_time":
            if not _is_clock(value):
                errors.append({"field": key, "message": "heure HH:MM attendue, par exemple 07:30"})
        elif key == "impact.public_indicators":
            if not isinstance(value, bool):
                errors.append({"field": key, "message": "true (publier les indicateurs) ou "
                                                        "false attendu"})
        elif key == "public_banner":
            errors.extend(public_banner_errors(value))
    if errors:
        raise Invalid("Paramètres du territoire invalides.", errors=errors)
    return changes


BANNER_LEVELS = ("jaune", "orange", "rouge")
BANNER_LIMITS = {"title": 200, "text": 2000}


def public_banner_errors(value: Any) -> list[dict[str, str]]:
    """What is wrong with a ``public_banner`` setting: None, or an object with ``title``
    (1–200 characters), ``text`` (1–2000), ``level`` (jaune, orange, rouge) and ``until``
    (an ISO 8601 instant with its offset)."""
    field = "public_banner"
    if value is None:
        return []
    if not isinstance(value, dict):
        return [{"field": field, "message": "objet {title, text, level, until} ou null attendu"}]
    errors = [{"field": f"{field}.{k}", "message": "champ inconnu (attendus : title, text, "
                                                   "level, until)"}
              for k in sorted(set(value) - {"title", "text", "level", "until"})]
    for key, limit in BANNER_LIMITS.items():
        text = value.get(key)
        if not isinstance(text, str) or not text.strip() or len(text) > limit:
            errors.append({"field": f"{field}.{key}",
                           "message": f"texte de 1 à {limit} caractères attendu"})
    if value.get("level") not in BANNER_LEVELS:
        errors.append({"field": f"{field}.level", "message": "jaune, orange ou rouge attendu"})
    try:
        parse_instant(value.get("until"))
    except (TypeError, ValueError, AttributeError):
        errors.append({"field": f"{field}.until",
                       "message": "instant ISO 8601 avec fuseau attendu"})
    return errors


def stored_settings(previous: Mapping[str, Any], changes: Mapping[str, Any],
                    registry: Registry | None) -> dict[str, Any]:
    """The settings to store after validated ``changes``: a domain setting set to ``null``
    goes back to its declared default (its stored value is dropped; core settings keep
    ``null``, which means something for them: keep raw data forever, no banner)."""
    declared = declared_settings(registry)
    merged = {**previous, **changes}
    return {k: v for k, v in merged.items() if not (v is None and k in declared)}


def with_defaults(stored: dict[str, Any], registry: Registry | None = None) -> dict[str, Any]:
    declared = {k: s.default for k, s in declared_settings(registry).items()}
    return {**DEFAULTS, **declared, **stored}


def setting(stored: Mapping[str, Any] | str, registry: Registry, key: str) -> Any:
    """A domain setting of a tenant (its stored settings, as a dict or JSON): the tenant's
    value, else the declared default."""
    values = orjson.loads(stored) if isinstance(stored, str | bytes) else stored
    if key in values:
        return values[key]
    return declared_settings(registry)[key].default


# -- the settings form: what each setting is, for a page that edits them ------------------
# (``GET /tenants/{t}/settings/schema``, the page « Paramètres du territoire »)

# The time zones of France (metropolitan and overseas) offered by the form; any other IANA
# zone stays valid through the API, and is offered when it is the territory's.
TIME_ZONES = (
    ("Europe/Paris", "Métropole et Corse"),
    ("America/Guadeloupe", "Guadeloupe"), ("America/Martinique", "Martinique"),
    ("America/Cayenne", "Guyane"), ("Indian/Reunion", "La Réunion"),
    ("Indian/Mayotte", "Mayotte"), ("America/Miquelon", "Saint-Pierre-et-Miquelon"),
    ("Pacific/Noumea", "Nouvelle-Calédonie"), ("Pacific/Tahiti", "Polynésie française"),
    ("Pacific/Wallis", "Wallis-et-Futuna"),
)
WEEKDAYS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")


def _entry(key: str, type_: str, label: str, **extra: Any) -> dict[str, Any]:
    """One field of the form: its key, type (a property type, or ``time`` for HH:MM, or
    ``list`` with ``choices`` for a set of ticked values), label and what else it has."""
    return {"key": key, "type": type_, "label": label, "unit": None, "minimum": None,
            "maximum": None, "choices": [], "pattern_hint": "", "help": "", "empty": None,
            "fields": [], "entry_fields": [], "entry_label": None, "key_labels": {}, **extra}


def _spec_entry(spec: PropertySpec) -> dict[str, Any]:
    labels = dict(spec.choice_labels)
    return _entry(spec.name, spec.type, spec.label, unit=spec.unit, minimum=spec.minimum,
                  maximum=spec.maximum,
                  choices=[{"value": c, "label": labels.get(c, c)} for c in spec.choices],
                  pattern_hint=spec.pattern_hint,
                  entry_fields=[_spec_entry(f) for f in spec.entry_fields],
                  entry_label=spec.entry_label,
                  key_labels=labels if spec.type == "object" else {})


def _core_entries(registry: Registry | None, current: Mapping[str, Any]
                  ) -> dict[str, dict[str, Any]]:
    """Core's own settings (``DEFAULTS``, validated by ``validate_settings``) described as
    form fields; ``public_banner`` is not one (a population alert sets it)."""
    zones = [{"value": z, "label": f"{label} ({z})"} for z, label in TIME_ZONES]
    if current["timezone"] not in {z for z, _ in TIME_ZONES}:
        zones.append({"value": current["timezone"], "label": current["timezone"]})
    kinds = []
    if registry is not None:
        kinds = [{"value": kind.key, "label": kind.label, "group": domain.label}
                 for domain in registry.domains.values() for kind in domain.asset_kinds]
    entries = [
        _entry("timezone", "enum", "Fuseau horaire", choices=zones,
               help="Heure locale des journées agrégées, des heures ouvrées et du "
                    "récapitulatif ; le changer recalcule les cumuls journaliers."),
        _entry("working_hours", "object", "Heures ouvrées", fields=[
            _entry("days", "list", "Jours ouvrés",
                   choices=[{"value": n, "label": day}
                            for n, day in enumerate(WEEKDAYS, start=1)]),
            _entry("start", "time", "Début"), _entry("end", "time", "Fin")],
               help="À l'heure locale du territoire. En dehors, une alerte critique part à "
                    "la personne d'astreinte ; aucun jour coché : astreinte en permanence."),
        _entry("escalation_delay_min", "integer", "Délai avant de prévenir le suppléant "
               "d'astreinte", unit="min", minimum=1, maximum=MAX_ESCALATION_MIN,
               help="Temps laissé à la personne d'astreinte pour prendre en compte une "
                    "alerte critique avant qu'elle parte au suppléant."),
        _entry("digest_time", "time", "Heure du récapitulatif quotidien",
               help="Heure locale de l'envoi du récapitulatif des alertes non critiques."),
        _entry("published_kinds", "list", "Types d'équipements consultables sans connexion",
               choices=kinds, help="Données ouvertes : ces équipements et leurs mesures sont "
                                   "lisibles par tous, sans compte."),
        _entry("impact.public_indicators", "boolean", "Publier les indicateurs d'impact "
               "du territoire", help="Page publique, sans connexion, des gains nets de la "
                                     "dernière année complète et de l'année en cours (chiffres "
                                     "globaux seulement)."),
        _entry("raw_retention_days", "integer", "Mesures brutes : durée de conservation",
               unit="d", minimum=1, empty="tout garder",
               help="Les agrégats horaires et journaliers sont toujours conservés ; la purge "
                    "a lieu chaque jour."),
    ]
    return {e["key"]: e for e in entries}


# Core's groups of the form, in order: (key, French label, setting keys).
CORE_GROUPS = (
    ("general", "Fonctionnement et astreinte",
     ("timezone", "working_hours", "escalation_delay_min", "digest_time")),
    ("publication", "Publication et données ouvertes",
     ("published_kinds", "impact.public_indicators")),
    ("retention", "Conservation des données", ("raw_retention_days", *RETENTION_SETTINGS)),
    ("impact", "Rapport d'impact", tuple(IMPACT_SETTINGS)),
)


def settings_schema(stored: Mapping[str, Any], registry: Registry | None
                    ) -> list[dict[str, Any]]:
    """Every setting a territory's administrator may change, grouped (core's groups, then
    one per domain under its label, then any other declared setting): its field (type,
    label, unit, bounds, choices), the territory's value and whether it is its own, the
    default with its source and whether it was checked, and whether ``null`` brings the
    default back (``declared``) and the form can edit it (``editable``: an object without a
    fixed shape is changed through the API)."""
    current = with_defaults(dict(stored), registry)
    core = _core_entries(registry, current)
    declared = declared_settings(registry)
    groups: list[tuple[str, str, tuple[str, ...]]] = list(CORE_GROUPS)
    if registry is not None:
        groups += [(key, domain.label, tuple(s.spec.name for s in domain.settings))
                   for key, domain in registry.domains.items() if domain.settings]
    placed = {k for _, _, keys in groups for k in keys}
    others = tuple(k for k in declared if k not in placed)
    if others:
        groups.append(("other", "Autres paramètres", others))

    def described(key: str) -> dict[str, Any]:
        if key in declared:
            setting = declared[key]
            entry = _spec_entry(setting.spec)
            entry.update(default=setting.default, source=setting.source,
                         verified=setting.verified, declared=True,
                         empty="valeur par défaut" if setting.default is not None
                         else "non renseigné")
        else:
            entry = {**core[key], "default": DEFAULTS[key], "source": "",
                     "verified": True, "declared": False}
        entry["editable"] = entry["type"] not in ("object", "list") or bool(
            entry["fields"] or entry["choices"])
        return {**entry, "value": current.get(key), "own": key in stored}

    return [{"key": key, "label": label, "settings": [described(k) for k in keys]}
            for key, label, keys in groups if keys]


def settings_form(scope: TenantScope, registry: Registry | None) -> dict[str, Any]:
    """The territory's settings as a form (``settings_schema``) for one of its members;
    ``can_edit``: whether they may change them (its administrators)."""
    scope.require("read")
    if scope.role in ("public", "device"):
        if scope.principal.is_anonymous:
            raise Unauthorized("Connexion requise pour consulter les paramètres du territoire.")
        raise Forbidden("Les paramètres ne sont visibles que des membres du territoire.")
    return {"tenant": {"id": scope.tenant_id, "name": scope.tenant.name},
            "can_edit": scope.can("admin"),
            "groups": settings_schema(scope.settings, registry)}
