"""``beffroi lighting …``: the lighting domain's commands (Domain.cli)."""

from __future__ import annotations

import click


@click.group("lighting")
def lighting() -> None:
    """Éclairage public."""
