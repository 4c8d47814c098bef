"""LoRaWAN network-server integrations of a tenant (ChirpStack, The Things Stack, ThingPark…).

An integration is what a network server posts its events to
(``/api/v1/integrations/{id}/{kind}``, ``kind`` being the key of its network server in
``connectivity/providers``). It has its own secret, shown once at creation and sent by the
network server as a bearer token; only its SHA-256 is kept. Its ``config`` holds what
Beffroi needs to send commands back through the server's downlink API; which keys, and how
each is checked, is the network server's declaration (``NetworkServer.config_keys``):

- ChirpStack: ``api_url`` (e.g. ``https://chirpstack.example.fr``) and ``api_key`` (an API
  token allowed to enqueue downlinks);
- The Things Stack: ``api_url`` (e.g. ``https://eu1.cloud.thethings.network``),
  ``api_key``, ``application_id`` and ``webhook_id``;
- ThingPark: ``api_url`` (e.g. ``https://api.thingpark.com``), ``as_id`` and ``as_key``.

Secret keys are never shown back, only whether they are set (``api_key_set``…). An address
Beffroi calls (``api_url``) must lead to a public address (``core.outbound``), checked when
saved and at each call.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from typing import Any
from urllib.parse import urlsplit

import orjson
from sqlalchemy import Connection, delete, select, update

from ..core import outbound
from ..core.access import TenantScope
from ..core.clock import format_instant, now_ms
from ..core.errors import Invalid, NotFound, Unauthorized
from ..core.storable import as_id
from ..storage import schema
from ..storage.database import Database
from .providers import get_provider, providers
from .providers.base import CONFIG_VALUE_MAX, NetworkServer

SECRET_PREFIX = "bfi_"
FIELDS = {"kind", "name", "config"}


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def kinds() -> dict[str, str]:
    """Every kind of integration this instance knows: network server key → label."""
    return {key: p.label for key, p in sorted(providers().items())}


def _secret_names(provider: NetworkServer | None, config: dict[str, Any]) -> set[str]:
    if provider is None:  # its plug-in was removed: show no value at all
        return set(config)
    return {k.name for k in provider.config_keys if k.secret}


def integration_public(row: Any) -> dict[str, Any]:
    provider = get_provider(row.kind)
    config = orjson.loads(row.config or "{}")
    secret = _secret_names(provider, config)
    keys = provider.config_keys if provider else ()
    return {"id": row.id, "kind": row.kind, "kind_label": provider.label if provider else None,
            "name": row.name,
            "config": {k: v for k, v in config.items() if k not in secret},
            **{f"{k.name}_set": bool(config.get(k.name)) for k in keys if k.secret},
            "downlinks_ready": provider is not None
            and all(config.get(k.name) for k in provider.downlink_keys()),
            "endpoint": f"/api/v1/integrations/{row.id}/{row.kind}",
            "created_at": format_instant(row.created_at),
            "last_used_at": format_instant(row.last_used_at),
            "events": row.events, "rejected": row.rejected, "last_error": row.last_error,
            "last_error_at": format_instant(row.last_error_at)}


def _check_config(provider: NetworkServer, config: Any,
                  errors: list[dict[str, str]]) -> dict[str, str]:
    if config is None:
        return {}
    if not isinstance(config, dict):
        errors.append({"field": "config", "message": "objet attendu"})
        return {}
    allowed = ", ".join(k.name for k in provider.config_keys)
    out: dict[str, str] = {}
    for name, value in config.items():
        key = provider.config_key(name)
        field = f"config.{name}"
        if key is None:
            errors.append({"field": field,
                           "message": f"paramètre inconnu (attendus : {allowed})"})
        elif value is None or value == "":
            continue
        elif not isinstance(value, str) or len(value) > CONFIG_VALUE_MAX:
            errors.append({"field": field,
                           "message": f"texte de {CONFIG_VALUE_MAX} caractères au plus"})
        elif key.url:
            parts = urlsplit(value)
            if parts.scheme not in ("http", "https") or not parts.netloc:
                errors.append({"field": field,
                               "message": "adresse http(s)://… du serveur réseau attendue"})
            elif problem := outbound.destination_problem(value):
                errors.append({"field": field, "message": problem})
            else:
                out[name] = value.rstrip("/")
        elif key.pattern and not re.fullmatch(key.pattern, value.strip()):
            errors.append({"field": field, "message": f"{key.label} : {key.hint or 'valeur invalide'}"})
        else:
            out[name] = value.strip()
    return out


def _check(data: Any, current: Any | None) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise Invalid("Objet JSON attendu.")
    errors: list[dict[str, str]] = [{"field": k, "message": "champ inconnu"}
                                    for k in sorted(set(data) - FIELDS)]
    values: dict[str, Any] = {}
    kind = current.kind if current is not None else data.get("kind")
    provider = get_provider(kind) if isinstance(kind, str) else None
    if current is None:
        if provider is None:
            errors.append({"field": "kind", "message": "serveur réseau attendu parmi : "
                                                       + ", ".join(kinds())})
        values["kind"] = kind
    elif "kind" in data and data["kind"] != current.kind:
        errors.append({"field": "kind", "message": "le type d'une intégration ne change pas ; "
                                                   "créez-en une autre"})
    elif provider is None:
        errors.append({"field": "kind", "message": f"serveur réseau « {current.kind} » absent "
                                                   "de cette instance (module non installé)"})
    if provider is None:
        raise Invalid("Intégration invalide.", errors=errors)
    if "name" in data or current is None:
        name = data.get("name", provider.label)
        if not isinstance(name, str) or not name.strip() or len(name) > 200:
            errors.append({"field": "name", "message": "nom de 1 à 200 caractères attendu"})
        else:
            values["name"] = name.strip()
    if "config" in data or current is None:
        config = _check_config(provider, data.get("config"), errors)
        if current is not None and isinstance(data.get("config"), dict | None):
            # A partial update keeps what it does not mention.
            merged = orjson.loads(current.config or "{}")
            for key in data.get("config") or {}:
                merged.pop(key, None)
            config = {**merged, **config}
        values["config"] = orjson.dumps(config).decode()
    if errors:
        raise Invalid("Intégration invalide.", errors=errors)
    return values


def list_integrations(scope: TenantScope, conn: Connection) -> list[Any]:
    scope.require("admin")
    i = schema.integrations
    return list(conn.execute(select(i).where(scope.owns(i)).order_by(i.c.id)))


def get_integration(scope: TenantScope, conn: Connection, integration_id: int) -> Any:
    scope.require("admin")
    i = schema.integrations
    row = conn.execute(select(i).where(scope.owns(i), i.c.id == integration_id)).first()
    if row is None:
        raise NotFound(f"Intégration {integration_id} introuvable dans ce territoire.")
    return row


def create_integration(scope: TenantScope, conn: Connection, data: Any) -> tuple[Any, str]:
    """The new integration and its secret (shown once: only its hash is kept)."""
    scope.require("admin")
    values = _check(data, None)
    secret = SECRET_PREFIX + secrets.token_urlsafe(32)
    integration_id = scope.db.allocate_ids(conn, "integrations")
    conn.execute(schema.integrations.insert().values(
        tenant_id=scope.tenant_id, id=integration_id, secret_hash=_digest(secret),
        created_at=now_ms(), **values))
    scope.audit(conn, "create", "integration", integration_id,
                {"kind": values["kind"], "name": values["name"]})
    return get_integration(scope, conn, integration_id), secret


def update_integration(scope: TenantScope, conn: Connection, integration_id: int,
                       data: Any) -> Any:
    current = get_integration(scope, conn, integration_id)
    values = _check(data, current)
    if values:  # an empty change (``{}``) changes nothing
        i = schema.integrations
        conn.execute(update(i).where(scope.owns(i), i.c.id == integration_id).values(**values))
        shown = {**data, "config": sorted(data.get("config") or {})} if "config" in data else data
        scope.audit(conn, "update", "integration", integration_id, shown)
    return get_integration(scope, conn, integration_id)


def renew_secret(scope: TenantScope, conn: Connection, integration_id: int) -> tuple[Any, str]:
    """Replace the secret (the old one stops working at once)."""
    get_integration(scope, conn, integration_id)
    secret = SECRET_PREFIX + secrets.token_urlsafe(32)
    i = schema.integrations
    conn.execute(update(i).where(scope.owns(i), i.c.id == integration_id)
                 .values(secret_hash=_digest(secret)))
    scope.audit(conn, "renew_secret", "integration", integration_id)
    return get_integration(scope, conn, integration_id), secret


def delete_integration(scope: TenantScope, conn: Connection, integration_id: int) -> None:
    get_integration(scope, conn, integration_id)
    i = schema.integrations
    conn.execute(delete(i).where(scope.owns(i), i.c.id == integration_id))
    scope.audit(conn, "delete", "integration", integration_id)


# -- what network servers call --------------------------------------------------------------
def authenticate(conn: Connection, integration_ref: str, secret: str | None) -> Any:
    """The integration a network server's request is for, if its secret matches."""
    if not secret:
        raise Unauthorized("Secret de l'intégration manquant (en-tête Authorization: "
                           "Bearer <secret>).")
    row = None
    integration_id = as_id(str(integration_ref))
    if integration_id is not None:
        i = schema.integrations
        row = conn.execute(select(i).where(i.c.id == integration_id)).first()
    # Same answer for an unknown integration and a wrong secret: nothing to probe.
    if row is None or not hmac.compare_digest(row.secret_hash, _digest(secret)):
        raise Unauthorized("Intégration inconnue ou secret incorrect.")
    return row


def record_event(db: Database, conn: Connection, integration: Any, at_ms: int,
                 error: str | None = None) -> None:
    """Count an event received by the integration, and a refused one with its reason."""
    record_events(conn, integration, at_ms, 1, [error] if error is not None else [])


def record_events(conn: Connection, integration: Any, at_ms: int, count: int,
                  errors: list[str]) -> None:
    """Count ``count`` events of the integration in one statement (a group of uplinks),
    ``errors`` the reasons of those refused or with problems (the last one is kept)."""
    i = schema.integrations
    values: dict[str, Any] = {"events": i.c.events + count, "last_used_at": at_ms}
    if errors:
        values.update(rejected=i.c.rejected + len(errors), last_error=errors[-1][:1000],
                      last_error_at=at_ms)
    conn.execute(update(i).where(i.c.tenant_id == integration.tenant_id,
                                 i.c.id == integration.id).values(**values))