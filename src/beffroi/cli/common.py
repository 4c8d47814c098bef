"""Shared CLI plumbing: database option, French errors with exit codes, progress bars."""

from __future__ import annotations

import errno
import functools
import os
import re
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal

import click
from sqlalchemy.exc import DatabaseError

from ..core.errors import BeffroiError
from ..core.textfiles import ENCODING_LABELS
from ..storage.database import Database
from ..storage.migrate import head_revision, upgrade

DEFAULT_DB = "var/beffroi.db"


def database_url(db: str | None) -> str:
    return db or os.environ.get("BEFFROI_DATABASE_URL") or DEFAULT_DB


_SCHEMES = ("sqlite:", "postgresql://", "postgres://", "postgresql+psycopg://")
_FILE_ERRORS = {
    errno.ENOENT: "fichier ou dossier inexistant", errno.EACCES: "permission refusée",
    errno.EPERM: "opération non permise", errno.ENOTDIR: "un élément du chemin n'est pas un dossier",
    errno.EISDIR: "c'est un dossier", errno.ENOSPC: "plus de place sur le disque",
    errno.EROFS: "système de fichiers en lecture seule", errno.EEXIST: "existe déjà",
    errno.ENAMETOOLONG: "nom trop long"}


def os_error_text(exc: OSError) -> str:
    """The reason of a file error, in French (the system's text for a rare one)."""
    return _FILE_ERRORS.get(exc.errno, exc.strerror or str(exc))


def shown_url(url: str) -> str:
    """A database URL as it may be shown: without its password."""
    return re.sub(r"(://[^:/@]*):[^@/]*@", r"\1:***@", url)


def open_database(db: str | None, *, create: bool = False,
                  schema: Literal["check", "upgrade"] | None = "check") -> Database:
    """The database of ``--db`` (or $BEFFROI_DATABASE_URL, or the default file).

    A SQLite file that does not exist is an error (a mistyped path must not become a new,
    empty database) unless the command may ``create`` it. ``schema="check"``: the database
    must be at the current schema (« beffroi db upgrade » otherwise); ``"upgrade"``: the
    command migrates it; None: the command sees to it itself."""
    url = database_url(db)
    if "://" in url and not url.startswith(_SCHEMES):
        raise click.ClickException(
            f"Base de données « {shown_url(url)} » : adresse non reconnue ; attendu un chemin "
            "de fichier SQLite ou une URL postgresql://utilisateur:motdepasse@hôte:port/base.")
    if "://" not in url:
        path = Path(url).expanduser()
        if path.is_dir():
            raise click.ClickException(f"Base de données « {path} » : c'est un dossier ; "
                                       "attendu un fichier SQLite.")
        if not path.exists():
            if not create:
                raise click.ClickException(
                    f"Base de données introuvable : {path} (vérifiez --db ou "
                    "BEFFROI_DATABASE_URL). Une nouvelle base se crée par « beffroi db upgrade "
                    "--db CHEMIN », « beffroi serve » ou « beffroi tenant create ».")
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise click.ClickException(f"Base de données « {path} » : dossier impossible à "
                                           f"créer ({os_error_text(exc)}).") from None
    database = Database(url)
    try:
        if schema == "upgrade":
            upgrade(database)
        elif schema == "check" and (revision := database.schema_revision()) != head_revision():
            raise click.ClickException(
                f"La base {shown_url(url)} " + ("n'a pas le schéma de Beffroi" if revision is None
                                                 else "n'est pas au schéma de cette version")
                + f" : lancez « beffroi db upgrade --db {shown_url(url)} ».")
    except DatabaseError as exc:
        database.dispose()
        raise click.ClickException(database_error_text(url, exc)) from None
    return database


def database_error_text(url: str | None, exc: DatabaseError) -> str:
    """A French message for a database that cannot be reached or read (``url`` None: the
    one the command was given, unknown here)."""
    detail = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
    if url and "://" not in url and "not a database" in detail:
        return f"{url} n'est pas une base SQLite."
    where = f" : {shown_url(url)}" if url else ""
    return (f"Base de données inaccessible{where} — vérifiez l'adresse, le serveur et le "
            f"compte (détail : {detail}).")


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


def conclude_import(refused: int, *, written: bool, dry_run: bool, partial: bool) -> None:
    """The last line of an import (``--dry-run``: nothing written), and a non-zero exit when
    a row was refused: with ``--partial`` the valid rows are written all the same, without
    it nothing is."""
    if dry_run:
        click.echo("Validation seule (--dry-run) : rien n'a été écrit.")
    if not refused:
        return
    if written:
        raise click.ClickException(f"Import partiel : {refused} ligne(s) refusée(s), non "
                                   "importées ; les lignes valides ont été écrites.")
    hint = "" if partial else " (utilisez --partial pour importer les lignes valides)"
    raise click.ClickException(f"Import annulé : rien n'a été écrit{hint}.")


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
