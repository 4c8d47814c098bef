"""Values of lighting inventories as people type them: booleans in French or English,
numbers with a decimal comma, clock times "23:00" or "23h", protected-area labels.

Readers of the inventory (compliance rules, zones, programmes, imports) share these so
that one spelling means the same everywhere.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

PROTECTION_ALIASES = {
    "national_park": "national_park", "parc national": "national_park",
    "parc_national": "national_park", "pn": "national_park",
    "regional_park": "regional_park", "parc naturel régional": "regional_park",
    "parc naturel regional": "regional_park", "parc_naturel_regional": "regional_park",
    "pnr": "regional_park",
    "none": "none", "aucune": "none", "aucun": "none", "non": "none", "false": "none",
    "0": "none", "nature_reserve": "nature_reserve", "reserve_naturelle": "nature_reserve",
    "réserve naturelle": "nature_reserve", "reserve naturelle": "nature_reserve",
    "astronomical_site": "astronomical_site", "site_astronomique": "astronomical_site",
    "site astronomique": "astronomical_site",
}
_TRUE = {"true", "vrai", "oui", "1", "yes", "o"}
_FALSE = {"false", "faux", "non", "0", "no", "n"}


def as_bool(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower() if value is not None else ""
    return True if text in _TRUE else False if text in _FALSE else None


def as_number(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return value  # type: ignore[return-value]  (shown as stored: 4000, not 4000.0)
    try:
        return float(str(value).strip().replace(" ", "").replace(",", "."))
    except ValueError:
        return None


def as_clock(value: Any) -> int | None:
    """"HH:MM" (or "HHhMM") -> minutes since midnight; None if unreadable."""
    if not isinstance(value, str):
        return None
    text = value.strip().lower().replace("h", ":")
    hours, _, minutes = text.partition(":")
    try:
        h, m = int(hours), int(minutes or 0)
    except ValueError:
        return None
    return h * 60 + m if 0 <= h < 24 and 0 <= m < 60 else None


def clock_text(minutes: int) -> str:
    minutes %= 1440
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def protection(props: Mapping[str, Any]) -> str | None:
    """One of ``kinds.PROTECTED_AREAS``, or None when unknown."""
    value = props.get("protected_area")
    if value is None or value == "":
        return None
    if value is False:
        return "none"
    return PROTECTION_ALIASES.get(str(value).strip().lower())
