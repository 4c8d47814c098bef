"""``beffroi tenant ...``: create, list, show and configure tenants."""

from __future__ import annotations

import click
import orjson
from sqlalchemy import select

from ..core import retention, tenants, textfiles
from ..core.access import CLI, open_scope
from ..core.registry import load_registry
from ..storage import schema
from .common import db_option, friendly_errors, open_database


@click.group("tenant")
def tenant_group() -> None:
    """Territoires hébergés (EPCI ou autres organisations)."""


@tenant_group.command("create")
@click.option("--epci", "siren", metavar="SIREN", help="SIREN d'un EPCI du référentiel officiel.")
@click.option("--name", help="Nom (obligatoire sans --epci ou pour un SIREN hors référentiel).")
@click.option("--retention-days", type=int, default=None,
              help="Durée de conservation des données brutes (jours).")
@db_option
@friendly_errors
def create(siren: str | None, name: str | None, retention_days: int | None, db: str | None) -> None:
    """Crée un territoire ; avec --epci, toutes ses communes membres."""
    if not siren and not name:
        raise click.UsageError("indiquez --epci SIREN ou --name NOM")
    database = open_database(db, create=True, schema="upgrade")
    settings = {"raw_retention_days": retention_days} if retention_days else {}
    with database.write() as conn:
        out = tenants.create_tenant(database, conn, CLI, siren=siren, name=name,
                                    settings=settings, registry=load_registry())
        n = conn.execute(select(schema.communes.c.insee)
                         .where(schema.communes.c.tenant_id == out["id"])).all()
    click.echo(f"Territoire créé : {out['name']} (id {out['id']}, {len(n)} communes).")


@tenant_group.command("list")
@db_option
@friendly_errors
def list_(db: str | None) -> None:
    """Liste les territoires."""
    database = open_database(db)
    with database.read() as conn:
        for t in tenants.list_tenants(conn, CLI):
            click.echo(f"{t['id']:>4}  {t['siren'] or '—':9}  {t['name']}")


@tenant_group.command("show")
@click.argument("tenant")
@db_option
@friendly_errors
def show(tenant: str, db: str | None) -> None:
    """Paramètres et volume de données d'un territoire (id ou SIREN)."""
    database = open_database(db)
    with database.read() as conn:
        scope = open_scope(database, conn, CLI, tenant)
        info = tenants.tenant_public(scope.tenant)
        info["storage"] = retention.storage_summary(conn, scope.tenant_id)
    click.echo(orjson.dumps(info, option=orjson.OPT_INDENT_2).decode())


@tenant_group.command("set")
@click.argument("tenant")
@click.option("--name")
@click.option("--retention-days", help="Jours de données brutes conservés, ou « aucune » pour tout garder.")
@click.option("--publish", multiple=True, help="Type d'équipement publié sans connexion (répétable).")
@click.option("--timezone")
@db_option
@friendly_errors
def set_(tenant: str, name: str | None, retention_days: str | None, publish: tuple[str, ...],
         timezone: str | None, db: str | None) -> None:
    """Modifie un territoire (effet immédiat, sans redémarrage)."""
    database = open_database(db)
    changes: dict = {}
    settings: dict = {}
    if name:
        changes["name"] = name
    if retention_days is not None:
        if retention_days.lower() in ("aucune", "none", "0"):
            settings["raw_retention_days"] = None
        elif retention_days.isdigit():
            settings["raw_retention_days"] = int(retention_days)
        else:
            raise click.BadParameter("nombre de jours ou « aucune »", param_hint="--retention-days")
    if publish:
        settings["published_kinds"] = list(publish)
    if timezone:
        settings["timezone"] = timezone
    if settings:
        changes["settings"] = settings
    with database.write() as conn:
        scope = open_scope(database, conn, CLI, tenant)
        out = tenants.update_tenant(scope, conn, changes, load_registry())
    click.echo(orjson.dumps(out, option=orjson.OPT_INDENT_2).decode())


@tenant_group.command("boundaries")
@click.argument("tenant")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@db_option
@friendly_errors
def boundaries(tenant: str, path: str, db: str | None) -> None:
    """Importe les contours des communes (FeatureCollection GeoJSON, code INSEE en « code »)."""
    database = open_database(db)
    with open(path, "rb") as fh:
        data, decoded = textfiles.load_json(fh.read(), "GeoJSON", items=("features",))
    with database.write() as conn:
        scope = open_scope(database, conn, CLI, tenant)
        out = tenants.import_boundaries(scope, conn, data)
    click.echo(f"Encodage détecté : {decoded.encoding_label}")
    click.echo(f"{len(out['updated'])} contours importés, {len(out['rejected'])} rejetés.")
    for r in out["rejected"]:
        click.echo(f"  - entité {r['index']} : {r['reason']}", err=True)
