"""The ``beffroi`` command: serve, demo, db, tenant, user, import, export, report."""

from __future__ import annotations

import os
import time
from pathlib import Path

import click

from ..core.registry import RegistryError, load_registry
from ..core.retention import purge_all
from ..storage.database import Database
from ..storage.migrate import head_revision, upgrade
from .common import database_url, db_option, friendly_errors, open_database, progress_bar
from .connectivity import MQTT_URL_ENV, device_group, ingest_mqtt, integration_group, mqtt_group
from .data import export, import_group
from .dev import dev_group
from .domains import domains_command
from .reports import report_group
from .tenants import tenant_group
from .usage_errors import FrenchErrorsGroup
from .users import user_group


@click.group(cls=FrenchErrorsGroup)
@click.version_option(package_name="beffroi", message="Beffroi %(version)s")
def cli() -> None:
    """Beffroi — hyperviseur territorial."""


def _check_legal_settings() -> None:
    """A malformed setting of the legal pages (``BEFFROI_RGAA_AUDIT``…) stops the server
    before it touches anything, with the French line that names it."""
    from ..web.legal import read_settings

    try:
        read_settings()
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None


def _run_server(database: Database, host: str, port: int) -> None:
    from ..api.app import run_server
    from ..runtime import build_runtime

    registry = load_registry()  # a wrong declaration stops here (RegistryError, see main)
    if database.schema_revision() != head_revision():
        if database.is_sqlite:
            upgrade(database)
        else:
            raise click.ClickException("Schéma de base non à jour : lancez « beffroi db upgrade ».")
    mqtt_url = os.environ.get(MQTT_URL_ENV)
    try:
        runtime = build_runtime(database, registry, mqtt_url=mqtt_url)
    except ValueError as exc:  # a malformed broker URL
        raise click.ClickException(str(exc)) from None
    runtime.start()
    click.echo("Commandes à distance actives (serveurs réseau LoRaWAN"
               + (f", MQTT : {MQTT_URL_ENV})." if mqtt_url else ") ; ingestion MQTT inactive "
                  f"({MQTT_URL_ENV} non défini)."))
    click.echo(f"Beffroi écoute sur http://{host}:{port}/ (API : /api/v1, documentation : /api/v1/docs)")
    try:
        run_server(runtime.app, host, port)
    finally:
        runtime.stop()


@cli.command()
@db_option
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
def serve(db: str | None, host: str, port: int) -> None:
    """Sert une base (SQLite ou PostgreSQL) ; un fichier SQLite absent est créé."""
    _check_legal_settings()
    new = "://" not in database_url(db) and not Path(database_url(db)).expanduser().exists()
    database = open_database(db, create=True, schema=None)
    if new:
        click.echo(f"Nouvelle base créée, vide : {Path(database_url(db)).expanduser()} "
                   "(« beffroi tenant create » y crée un territoire).", err=True)
    _run_server(database, host, port)


@cli.command()
@db_option
@click.option("--serve/--no-serve", default=True, help="Lancer le serveur après la construction.")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@friendly_errors
def demo(db: str | None, serve: bool, host: str, port: int) -> None:
    """Construit le territoire de démonstration (idempotent) puis le sert."""
    from ..demo.builder import DEMO_EMAIL, DEMO_PASSWORD, build_demo

    if serve:
        _check_legal_settings()
    database = open_database(db or os.environ.get("BEFFROI_DATABASE_URL") or "var/demo.db",
                             create=True, schema=None)
    started = time.monotonic()
    result = build_demo(database, load_registry(), progress=progress_bar)
    if result.built:
        click.echo(f"Démo construite en {time.monotonic() - started:.0f} s : {result.assets} "
                   f"équipements, {result.streams} flux, {result.observations} mesures.")
    else:
        click.echo(f"Démo déjà présente ({result.assets} équipements, {result.observations} mesures).")
    click.echo(f"Connexion : {DEMO_EMAIL} / mot de passe « {DEMO_PASSWORD} ».")
    if serve:
        _run_server(database, host, port)


@cli.group("db")
def db_group() -> None:
    """Base de données."""


@db_group.command("upgrade")
@db_option
def db_upgrade(db: str | None) -> None:
    """Applique les migrations du schéma (crée la base SQLite si besoin)."""
    database = open_database(db, create=True, schema=None)
    upgrade(database)
    click.echo(f"Schéma à jour ({database.schema_revision()}) sur {database_url(db)}.")


@db_group.command("purge")
@db_option
def db_purge(db: str | None) -> None:
    """Supprime ce qui dépasse les durées de conservation : mesures brutes, journal des
    actions, historique des notifications de chaque territoire."""
    click.echo(purge_all(open_database(db)).french())


for command in (tenant_group, user_group, import_group, export, device_group,
                integration_group, ingest_mqtt, mqtt_group, domains_command, dev_group,
                report_group):
    cli.add_command(command)


def add_domain_commands(group: click.Group) -> click.Group:
    """The command groups the installed domains declare (``beffroi lighting …``). A domain
    that does not load is left out with a warning: the other commands (``beffroi domains``
    first, which says why) keep working."""
    from ..core.installed_domains import installed_domains

    for item in installed_domains():
        if item.error:
            click.echo(f"Attention : le domaine « {item.name} » est inutilisable (détail : "
                       "beffroi domains).", err=True)
        if item.domain is not None and item.domain.cli is not None \
                and item.domain.cli.name not in group.commands:
            group.add_command(item.domain.cli)
    return group


def main() -> None:
    try:
        add_domain_commands(cli)(prog_name="beffroi")
    except RegistryError as exc:  # an installed domain or decoder declares something wrong
        click.echo(f"Beffroi ne peut pas démarrer : {exc}", err=True)
        raise SystemExit(1) from None

