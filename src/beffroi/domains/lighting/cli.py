"""``beffroi lighting …``: the lighting domain's commands (Domain.cli)."""

from __future__ import annotations

from datetime import date

import click

from .sun import EVENTS, sun_events, utc_iso

MAX_DAYS = 3653  # ten years


def parse_date(value: str, label: str) -> date:
    """A date AAAA-MM-JJ, with a French message naming ``label`` otherwise."""
    try:
        return date.fromisoformat(value)
    except (TypeError, ValueError):
        raise ValueError(f"date {label} « {value} » invalide : format attendu AAAA-MM-JJ "
                         "(par exemple 2027-01-31).") from None


def parse_coordinate(value: str, name: str, limit: float) -> float:
    try:
        number = float(str(value).replace(",", "."))
    except ValueError:
        raise ValueError(f"{name} « {value} » invalide : nombre décimal attendu "
                         "(degrés WGS84, par exemple 48.017).") from None
    if not -limit <= number <= limit:
        raise ValueError(f"{name} {number} hors de l'intervalle [-{limit:g}, {limit:g}] degrés.")
    return number


def check_range(first: date, last: date) -> None:
    if first > last:
        raise ValueError(f"la date de fin ({last}) doit être postérieure ou égale à la date "
                         f"de début ({first}).")
    if (last - first).days + 1 > MAX_DAYS:
        raise ValueError(f"période de {(last - first).days + 1} jours : 10 ans au plus "
                         f"({MAX_DAYS} jours).")


def _option(parse):
    def callback(ctx: click.Context, param: click.Parameter, value: str | None):
        if value is None:
            return None
        try:
            return parse(value)
        except ValueError as exc:
            raise click.BadParameter(str(exc), ctx=ctx, param=param) from None
    return callback


@click.group("lighting")
def lighting() -> None:
    """Éclairage public."""


@lighting.command("sun")
@click.option("--lat", required=True, metavar="DEGRÉS",
              callback=_option(lambda v: parse_coordinate(v, "latitude", 90)),
              help="Latitude WGS84 en degrés décimaux (par exemple 48.017).")
@click.option("--lon", required=True, metavar="DEGRÉS",
              callback=_option(lambda v: parse_coordinate(v, "longitude", 180)),
              help="Longitude WGS84 en degrés décimaux (par exemple 6.591).")
@click.option("--from", "first", metavar="AAAA-MM-JJ",
              callback=_option(lambda v: parse_date(v, "de début")),
              help="Première date locale (Europe/Paris) ; par défaut le 1er janvier de l'année.")
@click.option("--to", "last", metavar="AAAA-MM-JJ",
              callback=_option(lambda v: parse_date(v, "de fin")),
              help="Dernière date locale, incluse ; par défaut le 31 décembre de l'année de début.")
def sun(lat: float, lon: float, first: date | None, last: date | None) -> None:
    """Lever et coucher du soleil, aube et crépuscule civils, en CSV (heures UTC).

    Une ligne par date locale (Europe/Paris) : lever/coucher au bord supérieur du disque
    (zénith 90,833°, réfraction comprise), aube et crépuscule civils à 6° sous l'horizon.
    """
    first = first or date(date.today().year, 1, 1)
    last = last or date(first.year, 12, 31)
    try:
        check_range(first, last)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="'--to'") from None
    events = sun_events(lat, lon, first, last)
    columns = [utc_iso(getattr(events, name)[0]) for name in EVENTS]
    click.echo("date,sunrise_utc,sunset_utc,civil_dawn_utc,civil_dusk_utc")
    for j, on in enumerate(events.dates):
        click.echo(",".join([on.isoformat(), *(column[j] for column in columns)]))
