"""Values written the French way for people (e-mails, alert details): numbers with a
decimal comma and narrow no-break spaces between thousands, UCUM units as people write
them, local dates and times ("10/11/2026 16:00") and durations."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

NNBSP = "\u202f"  # between digit groups, as Intl.NumberFormat("fr-FR") writes them
NBSP = "\u00a0"  # between a number and its unit
# UCUM codes as people write them (the web's common.js has the same list).
UNIT_SYMBOLS = {"kW.h": "kWh", "MW.h": "MWh", "kV.A": "kVA", "Cel": "°C", "m3": "m³",
                "m3/h": "m³/h", "m3/s": "m³/s", "[ppm]": "ppm", "dB[mW]": "dBm", "1": "",
                "d": "j", "EUR": "€", "EUR/m3": "€/m³", "EUR/(kW.h)": "€/kWh", "km": "km",
                "m3/km/d": "m³/km/j", "lm/m2": "lm/m²", "m2": "m²", "kW.h/m2": "kWh/m²",
                "kW.h/m3": "kWh/m³", "EUR/kW.h": "€/kWh", "kg/kW.h": "kg/kWh", "har": "ha",
                "[ppb]": "ppb", "deg": "°", "a": "ans", "EUR/km": "€/km", "EUR/h": "€/h"}


def unit_symbol(code: str | None) -> str:
    if not code:
        return ""
    return UNIT_SYMBOLS.get(code, code)


def french_number(value: float | int, digits: int = 2) -> str:
    """1 234,5 — at most ``digits`` decimals, trailing zeros dropped."""
    if isinstance(value, bool):
        return "oui" if value else "non"
    text = f"{float(value):,.{max(0, digits)}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    if text in ("-0", ""):
        text = "0"
    return text.replace(",", NNBSP).replace(".", ",").replace("-", "−")


def with_unit(value: float | int, unit: str | None, digits: int = 2) -> str:
    symbol = unit_symbol(unit)
    return french_number(value, digits) + (f"{NBSP}{symbol}" if symbol else "")


def local_datetime(instant_ms: int, tz: ZoneInfo) -> str:
    """« 10/11/2026 16:00 » in ``tz``."""
    return datetime.fromtimestamp(instant_ms / 1000, tz).strftime("%d/%m/%Y %H:%M")


def local_date(day: date) -> str:
    """« 03/12/2026 »; the year on four digits even before 1000 (« 03/12/0260 », a year
    mistyped, is then seen as such)."""
    return f"{day.day:02d}/{day.month:02d}/{day.year:04d}"


def duration(seconds: float) -> str:
    """« 45 s », « 10 min », « 2 h 30 min », « 3 j »."""
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds}{NBSP}s"
    days, rest = divmod(seconds, 86_400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    parts = [f"{n}{NBSP}{u}" for n, u in ((days, "j"), (hours, "h"), (minutes, "min")) if n]
    return " ".join(parts)


MONTHS = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
          "septembre", "octobre", "novembre", "décembre")


def long_date(day: date) -> str:
    """« 1er janvier 2026 », « 30 novembre 2026 »."""
    return f"{'1er' if day.day == 1 else day.day} {MONTHS[day.month - 1]} {day.year}"


def month_name(year: int, month: int) -> str:
    """« janvier 2026 »."""
    return f"{MONTHS[month - 1]} {year}"
