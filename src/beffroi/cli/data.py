"""``beffroi import assets`` and ``beffroi export``."""

from __future__ import annotations

import mimetypes
from pathlib import Path

import click

from ..core import importing
from ..core.access import CLI, open_scope
from ..core.export import export_tenant
from ..core.registry import load_registry
from ..core.streams import list_streams
from .common import db_option, echo_import_report, friendly_errors, open_database, progress_bar


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
    if dry_run:
        click.echo("Validation seule (--dry-run) : rien n'a été écrit.")
    if report.errors and report.written:  # --partial: a non-zero exit all the same
        raise click.ClickException(f"Import partiel : {bad} ligne(s) en erreur, non importées ; "
                                   "les lignes valides ont été écrites.")
    if report.errors:
        hint = "" if partial else " (utilisez --partial pour importer les lignes valides)"
        raise click.ClickException(f"Import annulé : rien n'a été écrit{hint}.")


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
