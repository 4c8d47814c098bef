"""Reading a CSV file a command is given (``--csv FILE``): a header checked exactly, every
line parsed, the file refused as a whole with French messages naming the lines.

A file that cannot be used (unreadable, wrong header, a bad row) is refused with exit code
2: an ignored row would be a gap that silently changes the result. Shared by the domains'
commands (``beffroi risks heatwave``, ``beffroi buildings icone``…).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import click

from ..core import textfiles
from ..core.errors import Invalid

SHOWN_ERRORS = 20


class Unusable(click.ClickException):
    """The input file cannot be used (French message); exit code 2."""

    exit_code = 2


def read_rows(path: Path, header: tuple[str, ...],
              parse: Callable[[dict[str, str]], Any]) -> list[tuple[int, Any]]:
    """(line, parsed row) of every record; ``Unusable`` listing every bad line (``parse``
    raises ValueError with a French message for a bad row)."""
    try:
        table = textfiles.read_csv(textfiles.decode(path.read_bytes()))
    except OSError as exc:
        raise Unusable(f"{path} : lecture impossible ({exc.strerror or exc}).") from None
    except Invalid as exc:
        raise Unusable(f"{path} : {exc.detail}") from None
    if tuple(name.strip().lower() for name in table.columns) != header:
        raise Unusable(f"{path}, ligne 1 : en-tête « {','.join(table.columns)} » inattendu ; "
                       f"attendu « {','.join(header)} ».")
    rows, errors = [], []
    for record in table.records:
        if record.values is None:
            errors.append(f"ligne {record.line} : {record.problem}.")
            continue
        values = {k.strip().lower(): v for k, v in record.values.items()}
        try:
            rows.append((record.line, parse(values)))
        except ValueError as exc:
            errors.append(f"ligne {record.line} : {exc}.")
    if errors:
        shown = "\n".join(errors[:SHOWN_ERRORS])
        more = (f"\n… et {len(errors) - SHOWN_ERRORS} autres lignes invalides."
                if len(errors) > SHOWN_ERRORS else "")
        raise Unusable(f"{path} : {len(errors)} ligne(s) invalide(s), fichier refusé.\n"
                       f"{shown}{more}")
    if not rows:
        raise Unusable(f"{path} : aucune ligne de données.")
    return rows


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
