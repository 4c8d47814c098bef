"""``beffroi import assets``, ``beffroi import observations`` and ``beffroi export``."""

from __future__ import annotations

import mimetypes
from pathlib import Path

import click

from ..core import importing, observation_import
from ..core.access import CLI, open_scope
from ..core.errors import Invalid
from ..core.export import export_tenant
from ..core.registry import load_registry
from ..core.streams import list_streams
from ..core.textfiles import ENCODING_LABELS
from .common import (
    conclude_import,
    db_option,
    echo_import_report,
    friendly_errors,
    open_database,
    os_error_text,
    progress_bar,
)
from .csv_input import SHOWN_ERRORS, Unusable


@click.group("import")
def import_group() -> None:
    """Imports de données."""


@import_group.command("assets")
@click.option("--tenant", required=True, help="Territoire (id ou SIREN).")
@click.option("--kind", help="Type d'équipement par défaut (si le fichier n'a pas de colonne kind).")
@click.option("--partial", is_flag=True, help="Importer les lignes valides même si d'autres sont en erreur.")
@click.option("--dry-run", is_flag=True, help="Valider sans rien écrire.")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@db_option
@friendly_errors
def import_assets(tenant: str, kind: str | None, partial: bool, dry_run: bool, path: str,
                  db: str | None) -> None:
    """Importe un inventaire GeoJSON ou CSV (export SIG) avec un rapport de validation."""
    database = open_database(db)
    raw = Path(path).read_bytes()
    content_type = mimetypes.guess_type(path)[0] or ""
    inventory = importing.parse_inventory(raw, content_type, filename=path, default_kind=kind)
    with progress_bar(len(inventory.rows), "Validation") as advance, database.write() as conn:
        scope = open_scope(database, conn, CLI, tenant)
        report = importing.import_assets(scope, conn, load_registry(), inventory,
                                         partial=partial, dry_run=dry_run, progress=advance)
    echo_import_report(report.as_dict())
    bad = len({e["row"] for e in report.errors})
    click.echo(f"{report.total} lignes lues, {report.total - bad} valides, {bad} en erreur ; "
               f"{report.created} créées, {report.updated} mises à jour.")
    conclude_import(bad, written=report.written, dry_run=dry_run, partial=partial)


@import_group.command("observations")
@click.option("--tenant", required=True, help="Territoire (id ou SIREN).")
@click.option("--partial", is_flag=True, help="Importer les lignes valides même si d'autres sont en erreur.")
@click.option("--dry-run", is_flag=True, help="Valider sans rien écrire.")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@db_option
@friendly_errors
def import_observations(tenant: str, partial: bool, dry_run: bool, path: str,
                        db: str | None) -> None:
    """Importe un historique de mesures CSV (asset_ref, metric, time, value[, quality]) :
    l'équipement par sa référence, la mesure par sa clé."""
    try:
        history = observation_import.read_history(Path(path).read_bytes())
    except OSError as exc:
        raise Unusable(f"{path} : lecture impossible ({os_error_text(exc)}).") from None
    except Invalid as exc:
        raise Unusable(f"{path} : {exc.detail}") from None
    database = open_database(db)
    registry = load_registry()
    with database.read() as conn:
        scope = open_scope(database, conn, CLI, tenant)
        with progress_bar(history.csv.line_count, "Validation") as advance:
            try:
                checked = observation_import.check_history(scope, conn, registry, history,
                                                           progress=advance)
            except Invalid as exc:
                raise Unusable(f"{path} : {exc.detail}") from None
    del history  # the file's text: what is written is in ``checked``
    report = checked.report
    if not dry_run and checked.to_write(partial):
        with progress_bar(checked.to_write(partial), "Enregistrement") as advance:
            observation_import.write_history(database, CLI, registry, checked,
                                             partial=partial, progress=advance)
    _echo_history_report(report)
    conclude_import(report.refused, written=report.written, dry_run=dry_run, partial=partial)


def _echo_history_report(report: observation_import.HistoryReport) -> None:
    """Encoding, refused lines (the first ``SHOWN_ERRORS``), then the summary."""
    if report.encoding:
        click.echo(f"Encodage détecté : {ENCODING_LABELS[report.encoding]}")
    for warning in report.warnings:
        click.echo(f"  avertissement, fichier : {warning}", err=True)
    for error in report.errors[:SHOWN_ERRORS]:
        where = f"{error.column} « {error.value} »" if error.column else "ligne entière"
        click.echo(f"  ligne {error.line} — {where} : {error.message}", err=True)
    if report.error_count > SHOWN_ERRORS:
        click.echo(f"  … et {report.error_count - SHOWN_ERRORS} autres", err=True)
    created = "à créer" if not report.written else "créés"
    click.echo(f"{report.read} lignes lues, {report.valid} valides, {report.refused} refusées ; "
               f"{report.stored} enregistrées, {report.already} déjà présentes ; "
               f"{report.streams_created} flux {created}.")
    if report.written and not report.stored:
        click.echo("Rien de nouveau : les mesures du fichier étaient déjà toutes enregistrées.")


@click.command("export")
@click.option("--tenant", required=True, help="Territoire (id ou SIREN).")
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False),
              help="Dossier de sortie.")
@click.option("--no-observations", is_flag=True, help="Sans les séries brutes.")
@db_option
@friendly_errors
def export(tenant: str, out_dir: str, no_observations: bool, db: str | None) -> None:
    """Exporte communes et équipements (GeoJSON), flux et mesures (CSV)."""
    database = open_database(db)
    with database.read() as conn:
        scope = open_scope(database, conn, CLI, tenant)
        n_streams = len(list_streams(scope, conn))
        with progress_bar(n_streams, "Export des séries") as advance:
            counts = export_tenant(scope, conn, Path(out_dir), observations=not no_observations,
                                   progress=advance)
    click.echo(f"Export terminé dans {out_dir} : {counts['communes']} communes, "
               f"{counts['assets']} équipements, {counts['streams']} flux, "
               f"{counts['observations']} mesures.")
