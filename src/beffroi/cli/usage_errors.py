"""The command line's errors said in French: Click's own (a missing or unknown option, a
value of the wrong type, an unknown command), the ones the commands raise, and a database
or a file that cannot be used.

``FrenchErrorsGroup`` is the ``beffroi`` group's class: it runs Click without its own
error printing (English) and prints these instead, with the same exit codes (2 for a
wrong usage, the exception's own otherwise, 1 for a database or file error).
"""

from __future__ import annotations

import re
import sys

import click
from sqlalchemy.exc import DatabaseError

from .common import database_error_text, os_error_text
from .help_text import french_help

_VALUE_MESSAGES = (  # Click's type-conversion messages (click/types.py), to French
    (re.compile(r"^(?P<v>.+) is not a valid integer\.$"), "{v} n'est pas un nombre entier"),
    (re.compile(r"^(?P<v>.+) is not a valid (float|number)\.$"), "{v} n'est pas un nombre"),
    (re.compile(r"^(?P<v>.+) is not a valid boolean\..*$"),
     "{v} n'est pas une valeur oui/non (true, false, 1, 0)"),
    (re.compile(r"^(?P<v>.+) is not one of (?P<c>.+)\.$", re.S), "{v} n'est pas parmi {c}"),
    (re.compile(r"^(?P<v>.+) is not in the range (?P<c>.+)\.$"), "{v} n'est pas dans {c}"),
    (re.compile(r"^(?P<v>.+) does not match the formats? (?P<c>.+)\.$"),
     "{v} n'est pas au format {c}"),
    (re.compile(r"^(File|Path) (?P<v>.+) does not exist\.$"), "fichier {v} introuvable"),
    (re.compile(r"^Directory (?P<v>.+) does not exist\.$"), "dossier {v} introuvable"),
    (re.compile(r"^(File|Path) (?P<v>.+) is a directory\.$"), "{v} est un dossier"),
    (re.compile(r"^Directory (?P<v>.+) is a file\.$"), "{v} est un fichier"),
    (re.compile(r"^(File|Path|Directory) (?P<v>.+) is not readable\.$"), "{v} illisible"),
    (re.compile(r"^(File|Path|Directory) (?P<v>.+) is not writable\.$"),
     "{v} : écriture interdite"),
)


def _value_message(message: str) -> str:
    for pattern, french in _VALUE_MESSAGES:
        found = pattern.match(message.strip())
        if found:
            return french.format(**found.groupdict())
    return message


def _param_name(param: click.Parameter | None) -> str:
    if param is None:
        return "paramètre"
    if isinstance(param, click.Option):
        return " / ".join(param.opts)
    return (param.human_readable_name or param.name or "argument").upper()


def french_message(exc: click.UsageError) -> str:
    """The message of a usage error in French (the commands' own already are)."""
    if isinstance(exc, click.MissingParameter):
        if isinstance(exc.param, click.Argument):
            return f"argument {_param_name(exc.param)} manquant"
        return f"option {_param_name(exc.param)} obligatoire"
    if isinstance(exc, click.NoSuchOption):
        hint = (f" (vouliez-vous dire {' ou '.join(sorted(exc.possibilities))} ?)"
                if exc.possibilities else "")
        return f"option inconnue : {exc.option_name}{hint}"
    if isinstance(exc, click.BadParameter):
        return f"valeur invalide pour {_param_name(exc.param)} : {_value_message(exc.message)}"
    if getattr(exc, "command_name", None):  # click.NoSuchCommand (Click 8.4 and later)
        names = getattr(exc, "possibilities", None) or []
        hint = f" (vouliez-vous dire {' ou '.join(sorted(names))} ?)" if names else ""
        return f"commande inconnue : {exc.command_name}{hint}"
    message = exc.message
    found = re.match(r"^Option '(?P<o>[^']*)' requires an argument\.$", message)
    if found:
        return f"l'option {found['o']} attend une valeur"
    found = re.match(r"^Got unexpected extra arguments? \((?P<a>.*)\)$", message)
    if found:
        return f"argument en trop : {found['a']}"
    if message == "Missing command.":
        return "commande manquante"
    return message


def show_usage_error(exc: click.UsageError) -> None:
    if exc.ctx is not None:
        pieces = " ".join(exc.ctx.command.collect_usage_pieces(exc.ctx))
        click.echo(f"Utilisation : {exc.ctx.command_path} {pieces}".rstrip(), err=True)
        click.echo(f"Aide : {exc.ctx.command_path} --help", err=True)
    click.echo(f"Erreur : {french_message(exc)}", err=True)


class FrenchErrorsGroup(click.Group):
    """A command group whose errors are printed in French (see the module's docstring), and
    whose help pages are written in French (``help_text``)."""

    def main(self, *args, standalone_mode: bool = True, **kwargs):
        french_help(self)
        if not standalone_mode:
            return super().main(*args, standalone_mode=False, **kwargs)
        try:
            result = super().main(*args, standalone_mode=False, **kwargs)
        except click.UsageError as exc:
            show_usage_error(exc)
            sys.exit(exc.exit_code)
        except click.ClickException as exc:
            click.echo(f"Erreur : {exc.format_message()}", err=True)
            sys.exit(exc.exit_code)
        except click.Abort:
            click.echo("Interrompu.", err=True)
            sys.exit(1)
        except DatabaseError as exc:  # the database went away, or refused a statement
            click.echo(f"Erreur : {database_error_text(None, exc)}", err=True)
            sys.exit(1)
        except OSError as exc:  # a file a command reads or writes (--out, --csv…)
            where = f"{exc.filename} : " if exc.filename else ""
            click.echo(f"Erreur : {where}{os_error_text(exc)}.", err=True)
            sys.exit(1)
        sys.exit(result if isinstance(result, int) else 0)
