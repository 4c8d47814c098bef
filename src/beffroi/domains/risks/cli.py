"""``beffroi risks …``: the climate-risks domain's commands (Domain.cli).

- ``beffroi risks heatwave --csv FILE --department 88`` (or ``--ibmn 18 --ibmx 34``):
  heat-wave episodes of a daily series (``heatwave``), one JSON line per episode then a
  JSON summary line.
- ``beffroi risks fwi --csv FILE [--lat 48.0]``: the FWI system of a daily noon series
  (``fire_weather``), as CSV.
- ``beffroi risks forecast-import --tenant T --station REF --csv FILE [--source TEXT]``:
  a weather station's daily forecasts (``forecasts``); unlike the two commands above, the
  valid lines are kept and the others reported (exit code 1 when some are refused, 2 when
  none is usable).
- ``beffroi risks hubeau-sync --tenant T``: finds the territory's Hub'Eau stations and
  catches their observations up, with a progress line per station (``hubeau``).
- ``beffroi risks import-flood-zones --tenant T FILE``: flood zones from GeoJSON
  (``flood_zones``).

A file that cannot be used (unreadable, wrong header, a bad row, a date twice) is refused
as a whole with French messages naming the lines, exit code 2 (``cli.csv_input``): an
ignored row would be a gap that silently changes the result.
"""

from __future__ import annotations

import csv
import mimetypes
import sys
from pathlib import Path
from typing import Any

import click
import orjson

from ...cli.common import (
    conclude_import,
    db_option,
    echo_import_report,
    friendly_errors,
    open_database,
    os_error_text,
)
from ...cli.csv_input import (
    SHOWN_ERRORS,
    Unusable,
    parse_day,
    parse_number,
    read_daily_temperatures,
    read_rows,
)
from ...core import registry as core_registry
from ...core.access import CLI, open_scope
from ...core.errors import Invalid
from .flood_zones import import_flood_zones
from .hubeau import HubEauClient, HubEauUnavailable, PollReport, sync_tenant


def _write_json(value: Any) -> None:
    sys.stdout.write(orjson.dumps(value).decode() + "\n")


@click.group("risks")
def risks() -> None:
    """Risques climatiques : canicule, météo des forêts, stations hydrométriques, zones
    inondables."""


@risks.command("heatwave")
@click.option("--csv", "csv_path", required=True, metavar="FICHIER",
              type=click.Path(dir_okay=False, path_type=Path),
              help="Série journalière, en-tête « date,tmin_c,tmax_c » (une ligne par jour "
                   "local, dates AAAA-MM-JJ).")
@click.option("--department", metavar="CODE",
              help="Département dont on prend les seuils (88, 55, 57, 54 ou 51).")
@click.option("--ibmn", type=click.FloatRange(-20, 50), metavar="°C",
              help="Seuil IBMn (remplace celui du département).")
@click.option("--ibmx", type=click.FloatRange(-20, 60), metavar="°C",
              help="Seuil IBMx (remplace celui du département).")
def heatwave_command(csv_path: Path, department: str | None, ibmn: float | None,
                     ibmx: float | None) -> None:
    """Épisodes de canicule d'une série de températures (indicateurs IBMn/IBMx).

    IBM du jour J : moyenne des jours J-2, J-1 et J. Un épisode est une suite maximale de
    jours où IBMn et IBMx atteignent tous deux leur seuil. Écrit une ligne JSON par
    épisode, puis une ligne JSON de synthèse. Un jour manquant rend l'IBM inconnu sur les
    trois jours qu'il touche et coupe l'épisode.
    """
    from ...core.day_temperatures import DayTemperatures
    from .heatwave import (
        Thresholds,
        department_thresholds,
        find_episodes,
        ibm_series,
    )

    if department is not None:
        try:
            base = department_thresholds(department)
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="--department") from None
        thresholds = Thresholds(ibmn if ibmn is not None else base.ibmn_c,
                                ibmx if ibmx is not None else base.ibmx_c,
                                base.department, base.verified)
    elif ibmn is not None and ibmx is not None:
        thresholds = Thresholds(ibmn, ibmx)
    else:
        raise click.UsageError("donnez --department, ou les deux seuils --ibmn et --ibmx.")

    days = [DayTemperatures(*row) for row in read_daily_temperatures(csv_path)]
    ibm = ibm_series(days)
    episodes = find_episodes(ibm, thresholds)
    for episode in episodes:
        _write_json(episode.public())
    span = (days[-1].day - days[0].day).days + 1
    _write_json({"summary": True, "episodes": len(episodes),
                 "episode_days": sum(e.days for e in episodes),
                 "days": len(days), "missing_days": span - len(days),
                 "days_with_ibm": len(ibm), "first": days[0].day.isoformat(),
                 "last": days[-1].day.isoformat(), "thresholds": thresholds.public()})


@risks.command("fwi")
@click.option("--csv", "csv_path", required=True, metavar="FICHIER",
              type=click.Path(dir_okay=False, path_type=Path),
              help="Série journalière de midi, en-tête « date,temp_c,rh_pct,wind_kmh,"
                   "rain_mm » (pluie des 24 h jusqu'à midi).")
@click.option("--lat", type=click.FloatRange(-90, 90), default=48.0, show_default=True,
              help="Latitude (longueur du jour des codes DMC et DC).")
@click.option("--ffmc0", type=click.FloatRange(0, 101), default=85.0, show_default=True,
              help="FFMC de la veille du premier jour.")
@click.option("--dmc0", type=click.FloatRange(min=0), default=6.0, show_default=True,
              help="DMC de la veille du premier jour.")
@click.option("--dc0", type=click.FloatRange(min=0), default=15.0, show_default=True,
              help="DC de la veille du premier jour.")
def fwi_command(csv_path: Path, lat: float, ffmc0: float, dmc0: float, dc0: float) -> None:
    """Indices du système canadien FWI (IFM) d'une série journalière de midi.

    Écrit un CSV « date,ffmc,dmc,dc,isi,bui,fwi » (une décimale). Les jours doivent se
    suivre : un jour manquant refuse le fichier.
    """
    from .fire_weather import NoonWeather, StartCodes, compute_fwi

    def parse(values: dict[str, str]) -> NoonWeather:
        return NoonWeather(parse_day(values["date"]),
                           parse_number(values["temp_c"], "temp_c", -50, 60, "°C"),
                           parse_number(values["rh_pct"], "rh_pct", 0, 100, "%"),
                           parse_number(values["wind_kmh"], "wind_kmh", 0, 300, "km/h"),
                           parse_number(values["rain_mm"], "rain_mm", 0, 500, "mm"))

    rows = read_rows(csv_path, ("date", "temp_c", "rh_pct", "wind_kmh", "rain_mm"), parse)
    days = sorted(rows, key=lambda r: r[1].day)
    for (_, a), (line_b, b) in zip(days, days[1:], strict=False):
        if (b.day - a.day).days != 1:
            what = "donnée deux fois" if a.day == b.day else "manquante"
            missing = a.day if a.day == b.day else a.day.fromordinal(a.day.toordinal() + 1)
            raise Unusable(f"{csv_path}, ligne {line_b} : la date {missing.isoformat()} est "
                           f"{what} ; les jours doivent se suivre.")
    result = compute_fwi([r for _, r in days], lat, StartCodes(ffmc0, dmc0, dc0))
    out = csv.writer(sys.stdout, lineterminator="\n")
    out.writerow(("date", "ffmc", "dmc", "dc", "isi", "bui", "fwi"))
    for d in result:
        out.writerow((d.day.isoformat(), *(f"{v:.1f}" for v in
                                           (d.ffmc, d.dmc, d.dc, d.isi, d.bui, d.fwi))))


@risks.command("hubeau-sync")
@click.option("--tenant", required=True, help="Territoire (id ou SIREN).")
@click.option("--no-discover", is_flag=True,
              help="Ne pas chercher de nouvelles stations, relever les connues seulement.")
@db_option
@friendly_errors
def hubeau_sync(tenant: str, no_discover: bool, db: str | None) -> None:
    """Cherche les stations Hub'Eau du territoire (et en amont) puis relève leurs hauteurs
    et débits depuis la dernière observation enregistrée."""
    database = open_database(db)

    def progress(done: int, total: int, report: PollReport) -> None:
        click.echo(f"\rStations relevées : {done}/{total} — {report.stored} observations "
                   f"enregistrées, {report.duplicates} déjà connues", nl=done == total,
                   err=True)

    try:
        with HubEauClient() as client:
            result = sync_tenant(database, tenant, core_registry.load_registry(), client,
                                 discover=not no_discover, progress=progress)
    except HubEauUnavailable as exc:
        raise click.ClickException(str(exc)) from None
    found, obs = result["stations"], result["observations"]
    if found is not None:
        click.echo(f"{found['found']} stations trouvées ({found['upstream']} en amont) : "
                   f"{found['created']} créées, {found['adopted']} déjà présentes.")
    click.echo(f"{obs['stations']} stations, {obs['pages']} pages lues : {obs['stored']} "
               f"observations enregistrées, {obs['duplicates']} déjà connues, "
               f"{obs['malformed']} mal formées ignorées, {obs['rejected']} refusées.")
    for failure in obs["failed"]:
        click.echo(f"  non rattrapée : {failure}", err=True)


@risks.command("import-flood-zones")
@click.option("--tenant", required=True, help="Territoire (id ou SIREN).")
@click.option("--dry-run", is_flag=True, help="Valider sans rien écrire.")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@db_option
@friendly_errors
def import_flood_zones_command(tenant: str, dry_run: bool, path: str, db: str | None) -> None:
    """Importe des zones inondables (PPRi, AZI : polygones GeoJSON) rattachées à leur station
    de référence et à la hauteur qui les inonde ; les entités valides sont gardées."""
    database = open_database(db)
    raw = Path(path).read_bytes()
    with database.write() as conn:
        scope = open_scope(database, conn, CLI, tenant)
        report = import_flood_zones(scope, conn, core_registry.load_registry(), raw,
                                    mimetypes.guess_type(path)[0] or "", path, dry_run=dry_run)
    echo_import_report(report)
    click.echo(f"{report['total']} zones lues, {report['valid']} valides ; "
               f"{report['created']} créées, {report['updated']} mises à jour.")
    # The valid zones are kept (as with --partial elsewhere), the exit code says a refusal.
    conclude_import(report["total"] - report["valid"],
                    written=not dry_run and report["valid"] > 0, dry_run=dry_run, partial=True)


@risks.command("forecast-import")
@click.option("--tenant", required=True, help="Territoire (id ou SIREN).")
@click.option("--station", required=True, metavar="REF",
              help="Identifiant (ref) de la station météo.")
@click.option("--csv", "csv_path", required=True, metavar="FICHIER",
              type=click.Path(dir_okay=False, path_type=Path),
              help="Prévisions journalières, en-tête « date,tmin_c,tmax_c,temp_c,rh_pct,"
                   "wind_kmh,rain_mm ».")
@click.option("--source", metavar="TEXTE", help="Origine de la prévision (ex. Météo-France).")
@click.option("--issued-at", metavar="INSTANT",
              help="Date d'émission (ISO 8601 avec fuseau) ; par défaut maintenant.")
@db_option
@friendly_errors
def forecast_import(tenant: str, station: str, csv_path: Path, source: str | None,
                    issued_at: str | None, db: str | None) -> None:
    """Importe les prévisions météo journalières d'une station (chaleur et météo des forêts
    des prochains jours).

    Chaque ligne est vérifiée seule : les lignes valides sont enregistrées, les autres
    signalées avec leur numéro. Les jours passés sont ignorés ; au plus 15 jours à l'avance.
    Une prévision remplace celle du même jour émise avant elle.
    """
    from ...core.clock import now_ms, parse_instant
    from .forecasts import import_forecasts, station_by_ref

    issued = None
    if issued_at is not None:
        try:
            issued = parse_instant(issued_at)
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="--issued-at") from None
    try:
        raw = csv_path.read_bytes()
    except OSError as exc:
        raise Unusable(f"{csv_path} : lecture impossible ({os_error_text(exc)}).") from None
    database = open_database(db)
    try:
        with database.write() as conn:
            scope = open_scope(database, conn, CLI, tenant)
            row = station_by_ref(scope, conn, station)
            report = import_forecasts(scope, conn, row.id, raw, now=now_ms(), source=source,
                                      issued_at=issued)
    except Invalid as exc:
        lines = [f"{csv_path} : {exc.detail}"] + [
            f"  {_line(e)}{e['message']}" for e in exc.errors[:SHOWN_ERRORS]]
        raise Unusable("\n".join(lines)) from None
    for label, items in (("", report["errors"]), ("avertissement, ", report["warnings"])):
        for item in items[:SHOWN_ERRORS]:
            click.echo(f"  {label}{_line(item)}{item['message']}", err=True)
        if len(items) > SHOWN_ERRORS:
            click.echo(f"  … et {len(items) - SHOWN_ERRORS} autres", err=True)
    span = f" du {report['first']} au {report['last']}" if report["first"] else ""
    click.echo(f"{report['station']['name']} : {report['total']} lignes lues, "
               f"{report['written']} jours enregistrés{span} ({report['created']} nouveaux, "
               f"{report['replaced']} remplacés), {report['ignored_past']} jours passés "
               f"ignorés, {report['kept_newer']} gardés (prévision plus récente), "
               f"{len({e['line'] for e in report['errors']})} lignes refusées.")
    if report["errors"]:
        sys.exit(1)


def _line(item: dict[str, Any]) -> str:
    where = f"ligne {item['line']}" if item.get("line") else "fichier"
    return f"{where} — {item['field']} : " if item.get("field") else f"{where} : "
