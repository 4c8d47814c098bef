"""Reading a CSV file a command is given (``--csv FILE``): a header checked exactly, every
line parsed, the file refused as a whole with French messages naming the lines.

A file that cannot be used (unreadable, wrong header, a bad row) is refused with exit code
2: an ignored row would be a gap that silently changes the result. Shared by the domains'
commands (``beffroi risks heatwave``, ``beffroi buildings icone``…).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import click

from ..core import textfiles
from ..core.errors import Invalid
from ..core.textfiles import parse_day, parse_number
from .common import os_error_text

__all__ = ["SHOWN_ERRORS", "Unreadable", "Unusable", "open_table", "parse_day", "parse_number",
           "read_daily_temperatures", "read_rows"]

SHOWN_ERRORS = 20


class Unusable(click.ClickException):
    """The input file cannot be used (French message); exit code 2."""

    exit_code = 2


class Unreadable(ValueError):
    """The file cannot be read at all, or its header is not the one expected (French
    message naming the file)."""


def open_table(path: Path, header: tuple[str, ...]) -> textfiles.CsvTable:
    """The file read by core's strict text-file reader, its header checked exactly
    (case and surrounding spaces aside); ``Unreadable`` otherwise."""
    try:
        table = textfiles.read_csv(textfiles.decode(path.read_bytes()))
    except OSError as exc:
        raise Unreadable(f"{path} : lecture impossible ({os_error_text(exc)}).") from None
    except Invalid as exc:
        raise Unreadable(f"{path} : {exc.detail}") from None
    if tuple(name.strip().lower() for name in table.columns) != header:
        raise Unreadable(f"{path}, ligne 1 : en-tête « {','.join(table.columns)} » inattendu ; "
                         f"attendu « {','.join(header)} ».")
    return table


def read_rows(path: Path, header: tuple[str, ...],
              parse: Callable[[dict[str, str]], Any]) -> list[tuple[int, Any]]:
    """(line, parsed row) of every record; ``Unusable`` listing every bad line (``parse``
    raises ValueError with a French message for a bad row)."""
    try:
        table = open_table(path, header)
    except Unreadable as exc:
        raise Unusable(str(exc)) from None
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


def read_daily_temperatures(path: Path) -> list[tuple[date, float, float]]:
    """(day, Tmin, Tmax) of a ``date,tmin_c,tmax_c`` file (one row per local day: heat
    waves, degree days), sorted by day; ``Unusable`` naming every bad line and every date
    given twice."""
    def parse(values: dict[str, str]) -> tuple[date, float, float]:
        day = parse_day(values["date"])
        tmin = parse_number(values["tmin_c"], "tmin_c", -50, 50, "°C")
        tmax = parse_number(values["tmax_c"], "tmax_c", -50, 60, "°C")
        if tmin > tmax:
            raise ValueError(f"tmin_c {tmin:g} °C supérieure à tmax_c {tmax:g} °C")
        return day, tmin, tmax

    rows = read_rows(path, ("date", "tmin_c", "tmax_c"), parse)
    first: dict[date, int] = {}
    twice = []
    for line, (day, _, _) in rows:
        if day in first:
            twice.append(f"ligne {line} : la date {day.isoformat()} est donnée deux fois "
                         f"(déjà ligne {first[day]}).")
        first.setdefault(day, line)
    if twice:
        raise Unusable(f"{path} : {len(twice)} date(s) en double, fichier refusé.\n"
                       + "\n".join(twice[:SHOWN_ERRORS]))
    return sorted(row for _, row in rows)
