"""What subscriptions and webhooks filter alerts on: domains, communes, minimum severity."""

from __future__ import annotations

from typing import Any

import orjson

from ..core.alerting.alerts import SEVERITIES, SEVERITY_RANK
from ..core.registry import Registry

SEVERITY_CHOICES = "info, warning ou critical"


def check_severity(value: Any, field: str, errors: list[dict[str, str]]) -> str | None:
    if value not in SEVERITIES:
        errors.append({"field": field, "message": f"gravité inconnue « {value} » "
                                                  f"(attendu : {SEVERITY_CHOICES})"})
        return None
    return value


def check_domains(value: Any, registry: Registry, errors: list[dict[str, str]]) -> str | None:
    """A JSON list of known domain keys as stored, or None for every domain."""
    if value is None:
        return None
    if not isinstance(value, list) or not value or not all(isinstance(d, str) for d in value):
        errors.append({"field": "domains", "message": "liste non vide de domaines attendue, "
                                                      "ou null pour tous"})
        return None
    unknown = sorted({d for d in value if d not in registry.domains})
    if unknown:
        errors.append({"field": "domains",
                       "message": "domaines inconnus : " + ", ".join(unknown)
                       + " (connus : " + ", ".join(sorted(registry.domains)) + ")"})
        return None
    return orjson.dumps(sorted(set(value))).decode()


def as_list(stored: str | None) -> list[str] | None:
    return orjson.loads(stored) if stored else None


def severity_at_least(severity: str, minimum: str) -> bool:
    return SEVERITY_RANK[severity] >= SEVERITY_RANK[minimum]


def matches(alert: Any, *, domains: str | None, communes: str | None, min_severity: str) -> bool:
    """Whether an alert passes a filter (lists stored as JSON; None = everything)."""
    if not severity_at_least(alert.severity, min_severity):
        return False
    wanted = as_list(domains)
    if wanted is not None and alert.domain not in wanted:
        return False
    places = as_list(communes)
    return places is None or alert.commune_insee in places


def member_sees(member_communes: str | None, alert: Any) -> bool:
    """A member restricted to some communes sees only their alerts (and tenant-wide ones,
    as in ``core.alerting.alerts``)."""
    allowed = as_list(member_communes)
    return allowed is None or alert.commune_insee is None or alert.commune_insee in allowed
