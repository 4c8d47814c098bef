"""Shared CLI plumbing: database option, French errors with exit codes, progress bars."""

from __future__ import annotations

import functools
import os
from contextlib import contextmanager
from typing import Any

import click

from ..core.errors import BeffroiError
from ..core.textfiles import ENCODING_LABELS
from ..storage.database import Database

DEFAULT_DB = "var/beffroi.db"


def database_url(db: str | None) -> str:
    return db or os.environ.get("BEFFROI_DATABASE_URL") or DEFAULT_DB


def open_database(db: str | None) -> Database:
    url = database_url(db)
    if "://" not in url:
        os.makedirs(os.path.dirname(os.path.abspath(url)), exist_ok=True)
    return Database(url)


db_option = click.option(
    "--db", "db", metavar="CHEMIN|URL", default=None,
    help="Fichier SQLite ou URL PostgreSQL (défaut : $BEFFROI_DATABASE_URL ou var/beffroi.db).")


def friendly_errors(func):
    """Turn core errors into a French message and a non-zero exit code."""
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except BeffroiError as exc:
            message = exc.detail
            for err in exc.errors[:20]:
                where = err.get("field") or err.get("index", "")
                message += f"\n  - {where} : {err.get('message') or err.get('reason')}"
            raise click.ClickException(message) from None
    return wrapper


@contextmanager
def progress_bar(total: int, label: str):
    """A click progress bar; yields a function advancing it by n steps."""
    with click.progressbar(length=max(total, 1), label=label, show_pos=True,
                           show_percent=True, file=None) as bar:
        yield bar.update


def echo_import_report(report: dict[str, Any], limit: int = 200) -> None:
    """The encoding, row errors and warnings of an import report (``core.importing``):
    a CSV row is named by its line in the file, a GeoJSON one by its feature number."""
    if report.get("encoding"):
        click.echo(f"Encodage détecté : {ENCODING_LABELS[report['encoding']]}")
    for label, items in (("", report["errors"]), ("avertissement, ", report.get("warnings", []))):
        for item in items[:limit]:
            click.echo(f"  {label}{_where(item)} — {item.get('field') or 'fichier'} : "
                       f"{item['message']}", err=True)
        if len(items) > limit:
            click.echo(f"  … et {len(items) - limit} autres", err=True)


def _where(item: dict[str, Any]) -> str:
    ref = f" ({item.get('ref') or '?'})"
    if item.get("line"):
        return f"ligne {item['line']}{ref}"
    return f"entité {item['row']}{ref}" if item.get("row") else "fichier"
