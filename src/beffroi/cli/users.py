"""``beffroi user create``: accounts, operator admins and tenant roles."""

from __future__ import annotations

import click

from ..core import users
from ..core.access import CLI, MEMBER_ROLES, open_scope
from .common import db_option, friendly_errors, open_database


@click.group("user")
def user_group() -> None:
    """Comptes utilisateurs."""


@user_group.command("create")
@click.option("--email", required=True)
@click.option("--name")
@click.option("--password", prompt="Mot de passe", hide_input=True, confirmation_prompt=True,
              help="Mot de passe (demandé s'il n'est pas donné).")
@click.option("--operator-admin", is_flag=True, help="Administrateur de toute l'instance.")
@click.option("--tenant", help="Territoire (id ou SIREN) auquel rattacher le compte.")
@click.option("--role", type=click.Choice(MEMBER_ROLES), help="Rôle dans ce territoire.")
@click.option("--commune", "communes", multiple=True, help="Limiter à ces communes (INSEE, répétable).")
@db_option
@friendly_errors
def create(email: str, name: str | None, password: str, operator_admin: bool, tenant: str | None,
           role: str | None, communes: tuple[str, ...], db: str | None) -> None:
    """Crée un compte, éventuellement rattaché à un territoire avec un rôle."""
    if bool(tenant) != bool(role):
        raise click.UsageError("--tenant et --role vont ensemble")
    if communes and not tenant:
        raise click.UsageError("--commune limite un membre d'un territoire : indiquez aussi "
                               "--tenant et --role")
    password_hash = users.new_password_hash(password)  # before the transaction: argon2 is slow
    database = open_database(db, create=True, schema="upgrade")
    with database.write() as conn:
        user = users.create_user(database, conn, email=email, name=name,
                                 password_hash=password_hash, is_operator_admin=operator_admin)
        if tenant:
            scope = open_scope(database, conn, CLI, tenant)
            users.add_member(scope, conn, {"email": user["email"], "role": role,
                                           "communes": list(communes) or None})
    where = f" — {role} sur {tenant}" if tenant else ""
    click.echo(f"Compte créé : {user['email']} (id {user['id']}){where}.")


@user_group.command("deactivate")
@click.argument("email")
@db_option
@friendly_errors
def deactivate(email: str, db: str | None) -> None:
    """Désactive un compte : plus de connexion ; sessions, jetons et liens révoqués."""
    database = open_database(db, schema="upgrade")
    with database.write() as conn:
        user = users.deactivate_account(database, conn, users.find_user(conn, email).id,
                                        actor=None, details={"actor": "cli"})
    click.echo(f"Compte désactivé : {user['email']} ; ses sessions et jetons sont révoqués.")


@user_group.command("activate")
@click.argument("email")
@db_option
@friendly_errors
def activate(email: str, db: str | None) -> None:
    """Réactive un compte désactivé."""
    database = open_database(db, schema="upgrade")
    with database.write() as conn:
        user = users.activate_account(database, conn, users.find_user(conn, email).id,
                                      actor=None)
    click.echo(f"Compte réactivé : {user['email']}.")
