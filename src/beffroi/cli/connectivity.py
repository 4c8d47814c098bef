"""CLI for connected devices: ``device create``, ``integration create``, ``ingest-mqtt``."""

from __future__ import annotations

import logging
import os
import secrets
import signal
from pathlib import Path

import click
import orjson
from sqlalchemy import select

from ..connectivity import integrations, mqtt_broker
from ..connectivity.providers import get_provider
from ..core import devices
from ..core.access import CLI, open_scope
from ..core.registry import load_registry
from ..storage import schema
from .common import db_option, friendly_errors, open_database

MQTT_URL_ENV = "BEFFROI_MQTT_URL"


@click.group("device")
def device_group() -> None:
    """Capteurs connectés."""


@device_group.command("create")
@click.option("--tenant", required=True, help="Territoire (identifiant ou SIREN).")
@click.option("--name", required=True, help="Nom du capteur.")
@click.option("--dev-eui", help="DevEUI LoRaWAN (16 chiffres hexadécimaux).")
@click.option("--model", help="Modèle / décodeur (ex. elsys, cayenne-lpp).")
@click.option("--asset", "asset_ref", help="Référence de l'équipement alimenté.")
@click.option("--map", "mappings", multiple=True, metavar="CHAMP=MESURE",
              help="Correspondance champ du message → mesure (répétable).")
@click.option("--interval", type=int, help="Intervalle d'émission attendu, en secondes.")
@db_option
@friendly_errors
def device_create(tenant: str, name: str, dev_eui: str | None, model: str | None,
                  asset_ref: str | None, mappings: tuple[str, ...], interval: int | None,
                  db: str | None) -> None:
    """Crée un capteur et l'associe à un équipement."""
    mapping = {}
    for item in mappings:
        field, sep, metric = item.partition("=")
        if not sep or not field.strip() or not metric.strip():
            raise click.BadParameter(f"« {item} » : CHAMP=MESURE attendu", param_hint="--map")
        mapping[field.strip()] = metric.strip()
    database = open_database(db)
    registry = load_registry()
    with database.write() as conn:
        scope = open_scope(database, conn, CLI, tenant)
        data: dict = {"name": name, "dev_eui": dev_eui, "model": model, "mapping": mapping,
                      "expected_interval_s": interval}
        if asset_ref:
            a = schema.assets
            row = conn.execute(select(a.c.id).where(scope.owns(a), a.c.ref == asset_ref)).first()
            if row is None:
                raise click.ClickException(f"Équipement « {asset_ref} » introuvable.")
            data["asset_id"] = row.id
        device = devices.create_device(scope, conn, data, registry)
    click.echo(f"Capteur {device.id} créé : {device.name}"
               + (f" (DevEUI {device.dev_eui})" if device.dev_eui else ""))
    click.echo(orjson.dumps(devices.device_public(device)).decode())


@device_group.command("mqtt-credentials")
@click.option("--tenant", required=True, help="Territoire (identifiant ou SIREN).")
@click.option("--device", "device_id", required=True, type=int, help="Identifiant du capteur.")
@click.option("--revoke", is_flag=True, help="Retire ses identifiants au lieu d'en créer.")
@db_option
@friendly_errors
def device_mqtt_credentials(tenant: str, device_id: int, revoke: bool, db: str | None) -> None:
    """Crée (ou renouvelle) les identifiants MQTT d'un capteur et les affiche une fois."""
    database = open_database(db)
    with database.write() as conn:
        scope = open_scope(database, conn, CLI, tenant)
        if revoke:
            mqtt_broker.revoke_credentials(scope, conn, device_id)
        else:
            issued = mqtt_broker.issue_credentials(scope, conn, device_id)
    if revoke:
        click.echo(f"Identifiants MQTT du capteur {device_id} retirés.")
    else:
        click.echo(f"utilisateur: {issued['username']}")
        click.echo(f"mot de passe: {issued['password']}")
        click.echo("publication : " + ", ".join(issued["publish"]))
        click.echo("abonnement : " + ", ".join(issued["subscribe"]))
        click.echo("Le mot de passe n'est plus affiché ensuite.")
    click.echo("Régénérez la configuration du courtier (beffroi mqtt broker-config) puis "
               "rechargez-le (kill -HUP) pour que ce changement prenne effet.")


@click.group("integration")
def integration_group() -> None:
    """Intégrations des serveurs réseau LoRaWAN (ChirpStack, The Things Stack, ThingPark…)."""


def _config_pairs(ctx: click.Context, param: click.Parameter, values: tuple[str, ...]
                  ) -> dict[str, str]:
    pairs = {}
    for value in values:
        name, sep, text = value.partition("=")
        if not sep or not name.strip():
            raise click.BadParameter(f"« {value} » : CLÉ=VALEUR attendu (par exemple "
                                     "as_id=TWA_100000001.1.AS)")
        pairs[name.strip()] = text
    return pairs


@integration_group.command("create")
@click.option("--tenant", required=True, help="Territoire (identifiant ou SIREN).")
@click.option("--kind", required=True, type=click.Choice(sorted(integrations.kinds())),
              help="Serveur réseau : " + ", ".join(f"{k} ({label})" for k, label
                                                   in integrations.kinds().items()) + ".")
@click.option("--name", help="Nom de l'intégration (par défaut, celui du serveur réseau).")
@click.option("--api-url", help="Adresse du serveur réseau, pour envoyer des commandes.")
@click.option("--api-key", help="Clé d'API du serveur réseau autorisée à envoyer des commandes.")
@click.option("--application-id", help="The Things Stack : identifiant de l'application.")
@click.option("--webhook-id", help="The Things Stack : identifiant du webhook.")
@click.option("--config", "config_pairs", multiple=True, callback=_config_pairs,
              metavar="CLÉ=VALEUR", help="Autre paramètre du serveur réseau (répétable), par "
                                         "exemple pour ThingPark : --config as_id=… "
                                         "--config as_key=…")
@db_option
@friendly_errors
def integration_create(tenant: str, kind: str, name: str | None, api_url: str | None,
                       api_key: str | None, application_id: str | None,
                       webhook_id: str | None, config_pairs: dict[str, str],
                       db: str | None) -> None:
    """Crée une intégration et affiche son identifiant et son secret (une seule fois)."""
    config = {k: v for k, v in (("api_url", api_url), ("api_key", api_key),
                                ("application_id", application_id),
                                ("webhook_id", webhook_id)) if v}
    config.update(config_pairs)
    data: dict = {"kind": kind, "config": config}
    if name:
        data["name"] = name
    database = open_database(db)
    with database.write() as conn:
        scope = open_scope(database, conn, CLI, tenant)
        row, secret = integrations.create_integration(scope, conn, data)
    public = integrations.integration_public(row)
    provider = get_provider(kind)
    click.echo(f"Intégration {row.id} créée : {row.name}")
    click.echo(f"id: {row.id}")
    click.echo(f"secret: {secret}")
    click.echo(f"Adresse à déclarer dans le serveur réseau : POST {public['endpoint']}"
               + (provider.endpoint_hint if provider else "")
               + f", en-tête « Authorization: Bearer {secret} ». Le secret n'est plus "
               "affiché ensuite.")


@integration_group.command("list")
@click.option("--tenant", required=True, help="Territoire (identifiant ou SIREN).")
@db_option
@friendly_errors
def integration_list(tenant: str, db: str | None) -> None:
    """Liste les intégrations d'un territoire (sans leurs secrets), au format JSON."""
    database = open_database(db)
    with database.read() as conn:
        scope = open_scope(database, conn, CLI, tenant)
        for row in integrations.list_integrations(scope, conn):
            click.echo(orjson.dumps(integrations.integration_public(row)).decode())


@click.command("ingest-mqtt")
@db_option
@click.option("--mqtt-url", envvar=MQTT_URL_ENV, required=True,
              help="Courtier MQTT, ex. mqtt://utilisateur:motdepasse@127.0.0.1:1883 "
                   f"(ou variable {MQTT_URL_ENV}).")
@click.option("--client-id", default="beffroi-ingest", show_default=True,
              help="Identifiant de session persistante auprès du courtier.")
def ingest_mqtt(db: str | None, mqtt_url: str, client_id: str) -> None:
    """Lance seul le service d'ingestion MQTT et l'envoi des commandes (arrêt propre sur
    SIGTERM / Ctrl-C)."""
    from ..core.supervisor import Supervisor
    from ..runtime import add_connectivity_loops

    _log_to_stderr()
    supervisor = Supervisor()
    try:
        worker = add_connectivity_loops(supervisor, open_database(db), load_registry(), mqtt_url,
                                        client_id=client_id)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    assert worker is not None
    signal.signal(signal.SIGTERM, lambda *_: supervisor.stopping.set())
    click.echo(f"Ingestion MQTT : {worker.address.host}:{worker.address.port} "
               f"(session « {client_id} »)")
    supervisor.start()
    try:
        while not supervisor.stopping.wait(1):
            pass
    except KeyboardInterrupt:
        pass
    supervisor.stop()


def _log_to_stderr() -> None:
    logging.basicConfig(level=os.environ.get("BEFFROI_LOG_LEVEL", "INFO"),
                        format="%(asctime)s %(levelname)s %(name)s %(message)s")


@click.group("mqtt")
def mqtt_group() -> None:
    """Courtier MQTT : configuration, droits des capteurs, messages mis de côté."""


@mqtt_group.command("broker-config")
@click.option("--out", "out", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Dossier où écrire passwd, acl et mosquitto.conf (ex. /etc/mosquitto/beffroi).")
@click.option("--mqtt-url", envvar=MQTT_URL_ENV, required=True,
              help="Adresse par laquelle Beffroi se connecte au courtier, avec son utilisateur "
                   f"et son mot de passe (ou variable {MQTT_URL_ENV}).")
@click.option("--port", default=1883, show_default=True, type=int,
              help="Port d'écoute du courtier.")
@click.option("--bind", help="Adresse d'écoute du courtier (défaut : toutes).")
@click.option("--persistence-dir", type=click.Path(file_okay=False, path_type=Path),
              default=Path("/var/lib/mosquitto"), show_default=True,
              help="Dossier de persistance du courtier (messages gardés pendant un arrêt).")
@click.option("--no-persistence", is_flag=True, help="Courtier sans persistance (essais).")
@click.option("--group", default="mosquitto", show_default=True,
              help="Groupe autorisé à lire passwd et acl (celui du courtier).")
@db_option
@friendly_errors
def mqtt_broker_config(out: Path, mqtt_url: str, port: int, bind: str | None,
                       persistence_dir: Path, no_persistence: bool, group: str,
                       db: str | None) -> None:
    """Écrit la configuration Mosquitto : un compte et des droits par capteur, un compte
    pour Beffroi, aucun accès anonyme."""
    from ..connectivity.mqtt_worker import parse_mqtt_url

    try:
        address = parse_mqtt_url(mqtt_url)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    if not address.username or not address.password:
        raise click.ClickException(
            f"L'URL MQTT de Beffroi ({MQTT_URL_ENV} ou --mqtt-url) doit porter son utilisateur "
            "et son mot de passe, par exemple mqtt://beffroi:"
            f"{secrets.token_urlsafe(24)}@{address.host}:{address.port} (mot de passe tiré au "
            "hasard à l'instant) : le même sert à Beffroi pour se connecter.")
    files = mqtt_broker.write_broker_config(
        open_database(db), out, address.username, address.password, port=port, bind=bind,
        persistence_dir=None if no_persistence else persistence_dir, group=group)
    click.echo(f"{out}/passwd, {out}/acl et {out}/mosquitto.conf écrits : {files.devices} "
               f"capteur(s) et l'utilisateur « {address.username} » de Beffroi.")
    click.echo("Rechargez le courtier pour les appliquer : kill -HUP <pid de mosquitto> "
               "(ou systemctl reload mosquitto).")


@mqtt_group.command("quarantine")
@db_option
def mqtt_quarantine(db: str | None) -> None:
    """Liste les messages MQTT mis de côté après une erreur interne (JSON, un par ligne)."""
    from ..connectivity import quarantine
    from ..core.clock import format_instant

    for row in quarantine.kept(open_database(db)):
        payload = bytes(row.payload)
        click.echo(orjson.dumps({
            "id": row.id, "tenant_id": row.tenant_id or None, "device_id": row.device_id,
            "received_at": format_instant(row.received_at), "topic": row.topic,
            "payload": payload.decode("utf-8", "replace")[:500], "bytes": len(payload),
            "attempts": row.attempts, "error": row.error}).decode())


@mqtt_group.command("replay")
@db_option
def mqtt_replay(db: str | None) -> None:
    """Rejoue les messages MQTT mis de côté (une fois la cause corrigée) ; ceux qui sont
    enregistrés quittent la quarantaine, un message déjà enregistré ne l'est pas deux fois."""
    from ..connectivity import quarantine
    from ..connectivity.mqtt_worker import MqttWorker

    _log_to_stderr()
    database = open_database(db)
    worker = MqttWorker(database, load_registry(), None)
    done, failed = quarantine.replay(database, lambda topic, payload:
                                     worker.handle(topic, payload, dup=True))
    click.echo(f"{done} message(s) rejoué(s), {failed} toujours en échec.")
    if failed:
        raise SystemExit(1)
