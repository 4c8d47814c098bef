"""``beffroi risks …``: the climate-risks domain's commands (Domain.cli).

``beffroi risks hubeau-sync --tenant T`` finds the territory's Hub'Eau stations and
catches their observations up, with a progress line per station.
"""

from __future__ import annotations

import mimetypes
from pathlib import Path

import click

from ...cli.common import db_option, echo_import_report, friendly_errors, open_database
from ...core import registry as core_registry
from ...core.access import CLI, open_scope
from .flood_zones import import_flood_zones
from .hubeau import HubEauClient, HubEauUnavailable, PollReport, sync_tenant


@click.group("risks")
def risks() -> None:
    """Risques climatiques : stations hydrométriques, zones inondables."""


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
    if dry_run:
        click.echo("Validation seule (--dry-run) : rien n'a été écrit.")
