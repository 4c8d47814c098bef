"""``beffroi dev``: tools for the developers of extensions."""

from __future__ import annotations

from importlib.metadata import entry_points
from pathlib import Path

import click

from ..core import registry
from ..core.installed_domains import GROUP
from .scaffold import ScaffoldError, check_key, write_package


@click.group("dev")
def dev_group() -> None:
    """Outils pour les développeurs d'extensions."""


@dev_group.command("new-domain")
@click.argument("key")
@click.option("--out", "out", type=click.Path(file_okay=False, path_type=Path), default=".",
              show_default=True, help="Dossier où créer le paquet beffroi-KEY.")
@click.option("--label", help="Libellé du domaine, en français (par défaut : la clé).")
def new_domain(key: str, out: Path, label: str | None) -> None:
    """Écrit un paquet de domaine minimal qui fonctionne : pyproject.toml avec son point
    d'entrée, un type d'équipement et une mesure, un test."""
    taken = {ep.name for ep in entry_points(group=GROUP)}
    taken |= set(getattr(registry, "CORE_DOMAINS", ()))
    directory = out / f"beffroi-{key.replace('_', '-')}"
    try:
        check_key(key, taken)
        written = write_package(directory, key, label or key.replace("_", " ").capitalize())
    except ScaffoldError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Domaine « {key} » écrit dans {directory} ({len(written)} fichiers).")
    click.echo("Ensuite :")
    click.echo(f"  cd {directory}")
    click.echo("  pip install -e '.[test]'   # dans l'environnement de Beffroi")
    click.echo("  pytest                     # ses tests")
    click.echo(f"  beffroi domains            # « {key} » est listé")
