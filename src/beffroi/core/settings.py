"""Per-tenant settings: validated, defaulted, changeable without restart."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .errors import Invalid

DEFAULTS: dict[str, Any] = {
    "timezone": "Europe/Paris",
    "raw_retention_days": None,  # None keeps raw observations forever; rollups are kept always
    "published_kinds": [],  # asset kinds readable without login
}


def validate_settings(changes: dict[str, Any], known_kinds: set[str]) -> dict[str, Any]:
    errors = []
    for key, value in changes.items():
        if key not in DEFAULTS:
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
    if errors:
        raise Invalid("Paramètres du territoire invalides.", errors=errors)
    return changes


def with_defaults(stored: dict[str, Any]) -> dict[str, Any]:
    return {**DEFAULTS, **stored}
