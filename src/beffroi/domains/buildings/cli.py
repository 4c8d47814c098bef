"""``beffroi buildings …``: the public buildings domain's commands (Domain.cli).

- ``beffroi buildings icone --csv FILE --occupancy "MON,TUE,THU,FRI 08:30-11:30,13:30-16:30"``:
  the ICONE confinement index of a room's CO2 readings (``indoor_air``), from the readings
  taken during the opening hours given (local time of Europe/Paris, ``occupancy``), as one
  JSON object ``{"icone", "f1", "f2", "readings"}`` (``readings``: the occupied-time
  readings used).

A file that cannot be used (unreadable, wrong header, a bad row, a time twice) is refused as
a whole with French messages naming the lines, exit code 2 (``cli.csv_input``).
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path

import click
import numpy as np
import orjson

from ...cli.csv_input import Unusable, parse_number, read_rows
from ...core.clock import TZ


@click.group("buildings")
def buildings() -> None:
    """Bâtiments publics : qualité de l'air intérieur (indice ICONE)."""


def parse_utc(text: str) -> int:
    """Epoch ms of « 2025-01-13T08:40:00Z » (an offset is honoured, none means UTC)."""
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"horodatage « {text.strip()[:30]} » illisible, ISO 8601 attendu "
                         "(ex. 2025-01-13T08:40:00Z)") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp() * 1000)


@buildings.command("icone")
@click.option("--csv", "csv_path", required=True, metavar="FICHIER",
              type=click.Path(dir_okay=False, path_type=Path),
              help="Mesures de CO2 d'une pièce, en-tête « time_utc,co2_ppm » (horodatage "
                   "ISO 8601 en UTC, concentration en ppm de 0 à 5 000).")
@click.option("--occupancy", required=True, metavar="HORAIRES",
              help="Heures d'occupation, heure locale de Paris : « MON,TUE,THU,FRI "
                   "08:30-11:30,13:30-16:30; WED 08:30-11:30 ».")
def icone_command(csv_path: Path, occupancy: str) -> None:
    """Indice de confinement ICONE (CSTB, 0 à 5) des mesures prises pendant l'occupation.

    f1 : part des mesures de 1 000 à 1 700 ppm ; f2 : part des mesures au-dessus de
    1 700 ppm ; ICONE = 2,5 / log10(2) × log10(1 + f1 + 3 f2), arrondi à l'entier le plus
    proche. Seules comptent les mesures prises pendant les heures données (ni vacances ni
    jours fériés retirés : donnez les heures de la période mesurée). Écrit un objet JSON
    {"icone", "f1", "f2", "readings"} (f1 et f2 arrondis à 4 décimales, readings : nombre
    de mesures utilisées).
    """
    from .indoor_air import icone
    from .occupancy import occupied_mask, parse_opening_hours

    try:
        parse_opening_hours(occupancy)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--occupancy") from None

    def parse(values: dict[str, str]) -> tuple[int, float]:
        return (parse_utc(values["time_utc"]),
                parse_number(values["co2_ppm"], "co2_ppm", 0, 5000, "ppm"))

    rows = read_rows(csv_path, ("time_utc", "co2_ppm"), parse)
    first_line: dict[int, int] = {}
    for line, (t, _) in rows:
        if t in first_line:
            raise Unusable(f"{csv_path}, ligne {line} : horodatage déjà donné ligne "
                           f"{first_line[t]} ; une mesure ne compte qu'une fois.")
        first_line[t] = line
    times = np.array([t for _, (t, _) in rows], dtype=np.int64)
    values = [v for _, (_, v) in rows]
    mask = occupied_mask({"opening_hours": occupancy, "closed_school_holidays": False,
                          "closed_public_holidays": False}, times, TZ)
    result = icone(v for v, occupied in zip(values, mask, strict=True) if occupied)
    if result is None:
        raise Unusable(f"{csv_path} : aucune des {len(rows)} mesures n'est dans les heures "
                       f"d'occupation « {occupancy} » (heure de Paris).")
    sys.stdout.write(orjson.dumps(result.public()).decode() + "\n")
