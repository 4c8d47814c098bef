"""Values of the daily weather files users give (``beffroi risks heatwave``, ``fwi``, the
forecast import): a date ``AAAA-MM-JJ`` and a number within its plausible range, each
refused with a French ``ValueError`` naming the column."""

from __future__ import annotations

import math
from datetime import date


def parse_day(text: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"date « {text.strip()[:20]} » invalide, AAAA-MM-JJ attendu") from None


def parse_number(text: str, label: str, low: float, high: float, unit: str) -> float:
    try:
        value = float(text.strip().replace(",", "."))
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        raise ValueError(f"{label} « {text.strip()[:20]} » invalide, nombre attendu")
    if not low <= value <= high:
        raise ValueError(f"{label} {value:g} {unit} hors de l'intervalle plausible "
                         f"({low:g} à {high:g} {unit})")
    return value
