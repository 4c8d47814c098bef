"""``beffroi lighting compliance``, ``beffroi lighting import-luminaires`` and
``beffroi lighting import-zones``."""

from __future__ import annotations

import csv
import io
import mimetypes
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
)
from ...core import registry as core_registry
from ...core.access import CLI, open_scope
from .cli import lighting
from .compliance import FIELD_LABELS
from .compliance_report import CSV_HEADER, commune_report, report_rows
from .inventory_import import ZONE_TYPES, import_luminaires, import_zones


@lighting.command("compliance")
@click.option("--tenant", required=True, help="Territoire (id ou SIREN).")
@click.option("--commune", help="Code INSEE (toutes les communes si absent).")
@click.option("--format", "fmt", type=click.Choice(["csv", "json"]), default="csv",
              show_default=True, help="Format de sortie.")
@db_option
@friendly_errors
def compliance(tenant: str, commune: str | None, fmt: str, db: str | None) -> None:
    """Conformité à l'arrêté du 27 décembre 2018 : chaque point lumineux, chaque règle
    enfreinte avec l'article, la valeur relevée et la limite, et les données de l'art. 5
    manquantes."""
    database = open_database(db)
    with database.read() as conn:
        scope = open_scope(database, conn, CLI, tenant)
        report = commune_report(scope, conn, commune)
    if fmt == "json":
        click.echo(orjson.dumps(report, option=orjson.OPT_INDENT_2).decode())
        return
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_HEADER)
    writer.writerows(report_rows(report))
    click.echo(out.getvalue(), nl=False)
    totals = report["totals"]
    click.echo(f"{totals['luminaires']} points lumineux : {totals['compliant']} conformes, "
               f"{totals['non_compliant']} non conformes, {totals['article5_incomplete']} aux "
               f"données de l'art. 5 incomplètes, {totals['mercury_lamps']} lampes à vapeur de "
               f"mercure.", err=True)
    for zone in report["zones"]["lit_areas"]:
        if zone["compliant"] is False:
            click.echo(f"Surface éclairée {zone['ref']} : {zone['density_lm_m2']:g} lm/m² "
                       f"(limite {zone['limit_lm_m2']:g}, art. 3).", err=True)


@lighting.command("import-luminaires")
@click.option("--tenant", required=True, help="Territoire (id ou SIREN).")
@click.option("--partial", is_flag=True,
              help="Importer les lignes valides même si d'autres sont en erreur.")
@click.option("--dry-run", is_flag=True, help="Valider sans rien écrire.")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@db_option
@friendly_errors
def import_luminaires_command(tenant: str, partial: bool, dry_run: bool, path: str,
                              db: str | None) -> None:
    """Importe un inventaire de points lumineux (export SIG CSV ou GeoJSON, colonnes en
    français) et indique les données de l'art. 5 manquantes."""
    database = open_database(db)
    raw = Path(path).read_bytes()
    content_type = mimetypes.guess_type(path)[0] or ""
    with database.write() as conn:
        scope = open_scope(database, conn, CLI, tenant)
        result = import_luminaires(scope, conn, core_registry.load_registry(), raw,
                                   content_type, path, dry_run=dry_run, partial=partial)
    report, complete = result["import"], result["completeness"]
    for column, target in result["columns"]["renamed"].items():
        click.echo(f"  colonne « {column} » → {target}")
    if result["columns"]["unmapped"]:
        click.echo("  colonnes gardées telles quelles : "
                   + ", ".join(result["columns"]["unmapped"]))
    echo_import_report(report)
    bad = report["total"] - report["valid"]
    click.echo(f"{report['total']} lignes lues, {report['valid']} valides, {bad} en erreur ; "
               f"{report['created']} créées, {report['updated']} mises à jour.")
    click.echo(f"Données de l'art. 5 : {complete['complete']} points lumineux complets, "
               f"{complete['incomplete']} incomplets.")
    for name, count in complete["missing_by_field"].items():
        click.echo(f"  {FIELD_LABELS.get(name, name)} ({name}) manquant : {count}")
    _conclude(report, dry_run, partial)


@lighting.command("import-zones")
@click.option("--tenant", required=True, help="Territoire (id ou SIREN).")
@click.option("--type", "zone_type", type=click.Choice(sorted(ZONE_TYPES)),
              default="surface-eclairee", show_default=True,
              help="Type des zones du fichier (sauf colonne « type_zone »).")
@click.option("--partial", is_flag=True,
              help="Importer les lignes valides même si d'autres sont en erreur.")
@click.option("--dry-run", is_flag=True, help="Valider sans rien écrire.")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@db_option
@friendly_errors
def import_zones_command(tenant: str, zone_type: str, partial: bool, dry_run: bool,
                         path: str, db: str | None) -> None:
    """Importe des surfaces éclairées ou des corridors de trame noire (polygones GeoJSON,
    ou CSV avec une colonne « geometry » en GeoJSON)."""
    database = open_database(db)
    raw = Path(path).read_bytes()
    content_type = mimetypes.guess_type(path)[0] or ""
    with database.write() as conn:
        scope = open_scope(database, conn, CLI, tenant)
        result = import_zones(scope, conn, core_registry.load_registry(), raw, content_type,
                              path, kind=ZONE_TYPES[zone_type], dry_run=dry_run,
                              partial=partial)
    report = result["import"]
    echo_import_report(report)
    click.echo(f"{report['total']} zones lues, {report['valid']} valides ; "
               f"{report['created']} créées, {report['updated']} mises à jour.")
    _conclude(report, dry_run, partial)


def _conclude(report: dict[str, Any], dry_run: bool, partial: bool) -> None:
    """The last line of an import, and a non-zero exit code when a row was refused."""
    refused = (report["total"] - report["valid"] or len(report["errors"])) if report["errors"] \
        else 0  # (an error of the whole file refuses every row)
    conclude_import(refused, written=bool(report["written"]), dry_run=dry_run, partial=partial)
