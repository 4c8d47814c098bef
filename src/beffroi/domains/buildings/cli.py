"""``beffroi buildings …``: the public buildings domain's commands (Domain.cli).

- ``beffroi buildings operat --tenant T --year YYYY --out FILE``: the OPERAT declaration
  file of a year (``operat_cli``).
"""

from __future__ import annotations

import click

from .operat_cli import operat_command


@click.group("buildings")
def buildings() -> None:
    """Bâtiments publics : décret tertiaire, déclaration OPERAT."""


buildings.add_command(operat_command)
