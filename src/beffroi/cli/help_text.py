"""The command line's help pages in French: Click writes their headings and its own texts
(« Usage: », « Options: », « Show this message and exit. », « [default: …] ») in English.

``FrenchHelpFormatter`` writes them in French; ``french_help`` gives it to every command of
a tree (the domains' groups and commands included), each of which makes its own context.
"""

from __future__ import annotations

import click

HEADINGS = {"Options": "Options", "Commands": "Commandes", "Arguments": "Arguments"}
# Click's own texts in the definition lists (options and commands), and their markers.
TEXTS = (("Show this message and exit.", "Affiche cette aide et s'arrête."),
         ("[default: ", "[défaut : "), ("[required]", "[obligatoire]"),
         ("[env var: ", "[variable d'environnement : "),
         ("Show the version and exit.", "Affiche la version et s'arrête."))


def _french(text: str) -> str:
    for english, french in TEXTS:
        text = text.replace(english, french)
    return text


class FrenchHelpFormatter(click.HelpFormatter):
    def write_usage(self, prog: str, args: str = "", prefix: str | None = None) -> None:
        super().write_usage(prog, args, "Utilisation : " if prefix is None else prefix)

    def write_heading(self, heading: str) -> None:
        self.write(f"{'':>{self.current_indent}}{HEADINGS.get(heading, heading)} :\n")

    def write_dl(self, rows, col_max: int = 30, col_spacing: int = 2) -> None:
        super().write_dl([(term, _french(text)) for term, text in rows], col_max, col_spacing)


class FrenchContext(click.Context):
    formatter_class = FrenchHelpFormatter


def french_help(command: click.Command) -> None:
    """Every command of the tree under ``command`` writes its help in French."""
    command.context_class = FrenchContext
    if isinstance(command, click.Group):
        if not command.chain:  # (« COMMAND [ARGS]... » in the usage line)
            command.subcommand_metavar = "COMMANDE [ARGUMENTS]..."
        for sub in command.commands.values():
            french_help(sub)
