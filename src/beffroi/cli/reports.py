"""``beffroi report impact``: the impact report of a territory, written as JSON, CSV or PDF
according to the extension of ``--out``."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click
import orjson

from ..core.access import CLI, open_scope
from ..core.impact.open_data import report_csv
from ..core.impact.report import impact_report
from ..core.impact.request import local_today, parse_period
from ..core.registry import load_registry
from .common import db_option, friendly_errors, open_database

FORMATS = (".json", ".csv", ".pdf")
PDF_MODULE = "beffroi.reports.impact_pdf"


@click.group("report")
def report_group() -> None:
    """Rapports d'un territoire."""


class ProgressBar:
    """The report's progress callback as a click progress bar on stderr, opened at the
    first step (when the number of steps is known)."""

    def __init__(self) -> None:
        self.bar: Any = None
        self.done = 0

    def __call__(self, done: int, total: int, label: str) -> None:
        if self.bar is None:
            self.bar = click.progressbar(length=total, label="Rapport d'impact",
                                         show_pos=True, file=sys.stderr)
            self.bar.__enter__()
        self.bar.label = f"Rapport d'impact — {label}"
        self.bar.update(done - self.done)
        self.done = done

    def close(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)


def _pdf_writer() -> Any:
    """``write_pdf(report, path)`` of the PDF module, or a French error if it is missing."""
    import importlib

    try:
        module = importlib.import_module(PDF_MODULE)
    except ImportError as exc:
        raise click.ClickException(
            f"Le rapport PDF n'est pas disponible dans cette installation (module {PDF_MODULE} "
            f"introuvable : {exc}) ; choisissez un fichier .json ou .csv.") from None
    writer = getattr(module, "write_pdf", None)
    if not callable(writer):
        raise click.ClickException(f"Le module {PDF_MODULE} ne fournit pas write_pdf(report, "
                                   "path) : rapport PDF impossible.")
    return writer


@report_group.command("impact")
@click.option("--tenant", required=True, help="Territoire (id ou SIREN).")
@click.option("--from", "first", required=True, metavar="AAAA-MM-JJ",
              help="Premier jour de la période (inclus).")
@click.option("--to", "last", required=True, metavar="AAAA-MM-JJ",
              help="Dernier jour de la période (inclus ; au plus tard la veille).")
@click.option("--commune", "communes", multiple=True, metavar="INSEE",
              help="Code INSEE d'une commune (répétable ; tout le territoire si absent).")
@click.option("--out", "out", required=True, metavar="FICHIER",
              help="Fichier écrit : .json, .csv (données ouvertes) ou .pdf.")
@db_option
@friendly_errors
def impact(tenant: str, first: str, last: str, communes: tuple[str, ...], out: str,
           db: str | None) -> None:
    """Rapport d'impact : gains par domaine, déplacements évités, empreinte de la
    plateforme et gains nets, avec les paramètres utilisés."""
    path = Path(out)
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise click.UsageError(f"extension « {suffix or 'aucune'} » de --out non prise en "
                               "charge : .json, .csv ou .pdf attendue.")
    write_pdf = _pdf_writer() if suffix == ".pdf" else None
    database = open_database(db)
    registry = load_registry()
    progress = ProgressBar()
    try:
        with database.read() as conn:
            scope = open_scope(database, conn, CLI, tenant)
            start, end = parse_period(first, last, local_today(scope))
            report = impact_report(scope, conn, registry, start, end, communes or None,
                                   progress=progress)
    finally:
        progress.close()
    if suffix == ".json":
        path.write_bytes(orjson.dumps(report, option=orjson.OPT_INDENT_2) + b"\n")
    elif suffix == ".csv":
        path.write_text(report_csv(report), encoding="utf-8", newline="")
    else:
        write_pdf(report, path)  # type: ignore[misc]
    net = report["net"]
    click.echo(f"Rapport d'impact du {start.strftime('%d/%m/%Y')} au {end.strftime('%d/%m/%Y')} "
               f"écrit dans {path} : gains nets {_number(net['kgco2e'])} kg CO2e, "
               f"{_number(net['eur'])} €.", err=True)


def _number(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:,.0f}".replace(",", "\u202f")
