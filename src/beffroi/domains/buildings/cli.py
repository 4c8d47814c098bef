"""``beffroi buildings …``: the public buildings domain's commands (Domain.cli).

- ``beffroi buildings dju --csv FILE [--base 18] [--method meteo|costic]``: monthly degree
  days of a daily series (``degree_days``), CSV ``month,dju`` on standard output.
- ``beffroi buildings import-temperatures --tenant T --station REF --csv FILE``: a daily
  Tn/Tx series stored into the station asset's ``air.temperature`` stream (two readings a
  day, see ``degree_days``), so that the buildings referring to it get their degree days.
- ``beffroi buildings icone --csv FILE --occupancy "MON,TUE,THU,FRI 08:30-11:30,13:30-16:30"``:
  the ICONE confinement index of a room's CO2 readings (``indoor_air``), from the readings
  taken during the opening hours given (local time of Europe/Paris, ``occupancy``), as one
  JSON object ``{"icone", "f1", "f2", "readings"}`` (``readings``: the occupied-time
  readings used).
- ``beffroi buildings operat --tenant T --year YYYY --out FILE``: the OPERAT declaration
  file of a year (``operat_cli``).

A file that cannot be used (unreadable, wrong header, a bad row, a date or a time twice) is
refused as a whole with French messages naming the lines, exit code 2 (``cli.csv_input``):
an ignored row would be a gap that silently changes the result.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path

import click
import numpy as np
import orjson

from ...cli.common import db_option, friendly_errors, open_database
from ...cli.csv_input import Unusable, parse_number, read_daily_temperatures, read_rows
from ...core import registry as core_registry
from ...core import streams
from ...core.access import CLI, open_scope
from ...core.clock import TZ
from ...core.errors import NotFound
from ...core.observations import OUT_OF_BOUNDS, store_rows, time_in_bounds
from ...storage import schema
from .operat_cli import operat_command

HEADER = ("date", "tmin_c", "tmax_c")


def read_temperatures(path: Path) -> list:
    """The days of a ``date,tmin_c,tmax_c`` file, sorted; ``Unusable`` when any is bad."""
    from ...core.day_temperatures import DayTemperatures

    return [DayTemperatures(*row) for row in read_daily_temperatures(path)]


@click.group("buildings")
def buildings() -> None:
    """Bâtiments publics : degrés-jours, décret tertiaire, déclaration OPERAT, qualité de
    l'air intérieur (indice ICONE)."""


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


@buildings.command("dju")
@click.option("--csv", "csv_path", required=True, metavar="FICHIER",
              type=click.Path(dir_okay=False, path_type=Path),
              help="Série journalière, en-tête « date,tmin_c,tmax_c » (dates AAAA-MM-JJ).")
@click.option("--base", type=click.FloatRange(10, 25), default=18.0, show_default=True,
              metavar="°C", help="Température de base.")
@click.option("--method", type=click.Choice(["meteo", "costic"]), default="meteo",
              show_default=True, help="Méthode « Météo » ou COSTIC (professionnels de "
                                      "l'énergie).")
def dju_command(csv_path: Path, base: float, method: str) -> None:
    """Degrés-jours de chauffage par mois d'une série de températures.

    Écrit un CSV « month,dju » (mois AAAA-MM, DJU arrondis au centième). Un mois ne compte
    que les jours présents dans le fichier.
    """
    from .degree_days import by_month

    days = read_temperatures(csv_path)
    sys.stdout.write("month,dju\n")
    for month, (value, _) in by_month(days, base, method).items():
        sys.stdout.write(f"{month},{value:.2f}\n")


@buildings.command("import-temperatures")
@click.option("--tenant", required=True, help="Territoire (id ou SIREN).")
@click.option("--station", "station_ref", required=True, metavar="RÉF",
              help="Référence de l'équipement station météo (son flux « air.temperature » "
                   "est créé au besoin).")
@click.option("--csv", "csv_path", required=True, metavar="FICHIER",
              type=click.Path(dir_okay=False, path_type=Path),
              help="Série journalière, en-tête « date,tmin_c,tmax_c ».")
@db_option
@friendly_errors
def import_temperatures(tenant: str, station_ref: str, csv_path: Path, db: str | None) -> None:
    """Importe une série journalière Tn/Tx dans la station météo d'un territoire, pour les
    degrés-jours des bâtiments qui s'y réfèrent."""
    from sqlalchemy import select

    from .degree_days import TEMPERATURE, TN_CLOCK, TX_CLOCK

    days = read_temperatures(csv_path)
    database = open_database(db)
    registry = core_registry.load_registry()
    with database.write() as conn:
        scope = open_scope(database, conn, CLI, tenant)
        a, s = schema.assets, schema.streams
        station = conn.execute(select(a.c.id).where(scope.owns(a), a.c.ref == station_ref)
                               ).first()
        if station is None:
            raise NotFound(f"Aucun équipement de référence « {station_ref} » dans ce "
                           "territoire.")
        sid = conn.execute(select(s.c.id).where(scope.owns(s), s.c.asset_id == station.id,
                                                s.c.metric == TEMPERATURE)).scalar()
        if sid is None:
            sid = streams.create_stream(scope, conn, registry, {
                "asset_id": station.id, "metric": TEMPERATURE}).id
        zone = scope.zone
        rows, refused = [], []
        for d in days:
            for clock, value in ((TN_CLOCK, d.tmin_c), (TX_CLOCK, d.tmax_c)):
                at = int(datetime.combine(d.day, clock, zone).timestamp() * 1000)
                if not time_in_bounds(at):  # the bounds of every other entry point
                    refused.append(f"{d.day.isoformat()} ({'Tn' if clock == TN_CLOCK else 'Tx'}"
                                   f" à {clock:%H:%M})")
                rows.append((scope.tenant_id, sid, at, value, 0))
        if refused:
            raise Unusable(f"{csv_path} : {len(refused)} mesure(s) hors limites, fichier refusé "
                           f"— {OUT_OF_BOUNDS} : " + ", ".join(refused[:20])
                           + (" …" if len(refused) > 20 else "") + ".")
        store_rows(scope, conn, rows, zone)
    click.echo(f"{len(days)} jours importés dans la station « {station_ref} » "
               f"(du {days[0].day.isoformat()} au {days[-1].day.isoformat()}).")


buildings.add_command(operat_command)
