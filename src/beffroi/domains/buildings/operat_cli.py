"""``beffroi buildings operat --tenant T --year YYYY --out FILE``: the OPERAT declaration
file of a year (``operat``), its warnings and a progress line on stderr."""

from __future__ import annotations

from pathlib import Path

import click

from ...cli.common import db_option, friendly_errors, open_database, os_error_text
from ...core import clock
from ...core.access import CLI, open_scope
from .operat import operat_file, parse_year


@click.command("operat")
@click.option("--tenant", required=True, help="Territoire (id ou SIREN).")
@click.option("--year", required=True, metavar="AAAA",
              help="Année des consommations déclarées (N−1 : l'année écoulée).")
@click.option("--out", "out", required=True, metavar="FICHIER",
              type=click.Path(dir_okay=False, writable=True, path_type=Path),
              help="Fichier CSV à écrire (« ; », UTF-8 avec BOM).")
@db_option
@friendly_errors
def operat_command(tenant: str, year: str, out: Path, db: str | None) -> None:
    """Écrit le fichier de déclaration OPERAT d'une année : une ligne par bâtiment assujetti
    au décret tertiaire (consommations par énergie, surfaces et activités). Les points à
    vérifier avant le dépôt sont écrits sur la sortie d'erreur."""
    database = open_database(db)

    def progress(done: int, total: int) -> None:
        click.echo(f"\rBâtiments : {done}/{total}", nl=done == total, err=True)

    with database.read() as conn:
        scope = open_scope(database, conn, CLI, tenant)
        checked = parse_year(year, clock.local_day(clock.now_ms(), scope.zone).year)
        result = operat_file(scope, conn, checked, progress=progress)
    try:
        out.write_bytes(result.content)
    except OSError as exc:
        raise click.ClickException(f"{out} : écriture impossible ({os_error_text(exc)}).") \
            from None
    for w in result.warnings:
        click.echo(f"À vérifier — {w['ref']} ({w['name']}) : {w['message']}.", err=True)
    click.echo(f"{len(result.buildings)} bâtiment(s) assujetti(s) écrit(s) dans {out} pour "
               f"{result.year} ; {len(result.warnings)} point(s) à vérifier.")
