"""Outgoing webhooks of a tenant: managed by its admins, signed with HMAC-SHA256.

Each delivery is a ``POST`` of a JSON document (``messages.webhook_payload``) with:

- ``X-Beffroi-Event``: ``alert.opened``, ``alert.reopened``, ``alert.severity_raised``,
  ``alert.changed``, ``alert.escalated``, ``alert.resolved`` or ``alert.acknowledged``;
- ``X-Beffroi-Timestamp``: the sending time, in Unix seconds;
- ``X-Beffroi-Signature``: ``sha256=`` + hex HMAC-SHA256 of ``f"{timestamp}.{body}"``
  keyed with the webhook's secret (shown once, at creation);
- ``X-Beffroi-Delivery``: the notification id, the same on every retry.

The secret is kept as is (it is needed to sign) and never shown again. The URL must
lead to a public address (``core.outbound``: checked when saved and at each delivery);
redirects are not followed.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import Connection, delete, select, update

from ..core import outbound
from ..core.access import TenantScope
from ..core.clock import format_instant, now_ms
from ..core.errors import Invalid, NotFound
from ..core.registry import Registry
from ..storage import schema
from .filters import as_list, check_domains, check_severity

SECRET_PREFIX = "bwh_"
FIELDS = {"name", "url", "min_severity", "domains", "enabled"}
DEFAULT_MIN_SEVERITY = "warning"
HTTP_TIMEOUT_S = 10.0
USER_AGENT = "Beffroi-Webhooks/1"


def webhook_public(row: Any) -> dict[str, Any]:
    return {"id": row.id, "name": row.name, "url": row.url, "min_severity": row.min_severity,
            "domains": as_list(row.domains), "enabled": bool(row.enabled),
            "created_at": format_instant(row.created_at)}


def _check(data: Any, registry: Registry, creating: bool) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise Invalid("Objet JSON attendu.")
    errors: list[dict[str, str]] = [{"field": k, "message": "champ inconnu"}
                                    for k in sorted(set(data) - FIELDS)]
    values: dict[str, Any] = {}
    if "url" in data or creating:
        url = data.get("url")
        parts = urlsplit(url) if isinstance(url, str) else None
        if (parts is None or parts.scheme not in ("http", "https") or not parts.hostname
                or len(url) > 1000):
            errors.append({"field": "url", "message": "adresse http(s)://… de 1000 caractères "
                                                      "au plus attendue"})
        elif problem := outbound.destination_problem(url.strip()):
            errors.append({"field": "url", "message": problem})
        else:
            values["url"] = url.strip()
    if "name" in data or (creating and "url" in values):  # named after its host by default
        name = data.get("name", urlsplit(values.get("url", "")).hostname)
        if not isinstance(name, str) or not name.strip() or len(name) > 200:
            errors.append({"field": "name", "message": "nom de 1 à 200 caractères attendu"})
        else:
            values["name"] = name.strip()
    if "min_severity" in data or creating:
        values["min_severity"] = check_severity(data.get("min_severity", DEFAULT_MIN_SEVERITY),
                                                "min_severity", errors)
    if "domains" in data:
        values["domains"] = check_domains(data["domains"], registry, errors)
    if "enabled" in data:
        if not isinstance(data["enabled"], bool):
            errors.append({"field": "enabled", "message": "true ou false attendu"})
        values["enabled"] = data["enabled"] is True
    if errors:
        raise Invalid("Webhook invalide.", errors=errors)
    return values


def list_webhooks(scope: TenantScope, conn: Connection) -> list[Any]:
    scope.require("admin")
    w = schema.webhooks
    return list(conn.execute(select(w).where(scope.owns(w)).order_by(w.c.id)))


def get_webhook(scope: TenantScope, conn: Connection, webhook_id: int) -> Any:
    scope.require("admin")
    w = schema.webhooks
    row = conn.execute(select(w).where(scope.owns(w), w.c.id == webhook_id)).first()
    if row is None:
        raise NotFound(f"Webhook {webhook_id} introuvable dans ce territoire.")
    return row


def create_webhook(scope: TenantScope, conn: Connection, registry: Registry,
                   data: Any) -> tuple[Any, str]:
    """The new webhook and its signing secret (shown this once)."""
    scope.require("admin")
    values = _check(data, registry, creating=True)
    secret = SECRET_PREFIX + secrets.token_urlsafe(32)
    webhook_id = scope.db.allocate_ids(conn, "webhooks")
    conn.execute(schema.webhooks.insert().values(
        tenant_id=scope.tenant_id, id=webhook_id, secret=secret, created_at=now_ms(), **values))
    row = get_webhook(scope, conn, webhook_id)
    scope.audit(conn, "create", "webhook", webhook_id, webhook_public(row))
    return row, secret


def update_webhook(scope: TenantScope, conn: Connection, registry: Registry, webhook_id: int,
                   data: Any) -> Any:
    get_webhook(scope, conn, webhook_id)
    values = _check(data, registry, creating=False)
    if values:
        w = schema.webhooks
        conn.execute(update(w).where(scope.owns(w), w.c.id == webhook_id).values(**values))
        scope.audit(conn, "update", "webhook", webhook_id, data)
    return get_webhook(scope, conn, webhook_id)


def delete_webhook(scope: TenantScope, conn: Connection, webhook_id: int) -> None:
    row = get_webhook(scope, conn, webhook_id)
    w = schema.webhooks
    conn.execute(delete(w).where(scope.owns(w), w.c.id == webhook_id))
    scope.audit(conn, "delete", "webhook", webhook_id, {"url": row.url})


def tenant_webhooks(conn: Connection, tenant_id: int) -> list[Any]:
    """Enabled webhooks of a tenant, for routing."""
    w = schema.webhooks
    return list(conn.execute(select(w).where(w.c.tenant_id == tenant_id, w.c.enabled)
                             .order_by(w.c.id)))


# -- signing -----------------------------------------------------------------------------------
def sign(secret: str, timestamp: str | int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


# The same function is given to operators in README.md ("Webhooks"), to check what they receive.
def verify_signature(secret: str, timestamp: str, body: bytes, signature: str,
                     tolerance_s: int = 300) -> bool:
    """True if a request really comes from Beffroi and is recent.

    secret: the webhook's secret (bwh_…); timestamp: the X-Beffroi-Timestamp header;
    body: the raw request body (bytes, as received); signature: X-Beffroi-Signature.
    """
    try:
        sent = int(timestamp)
    except (TypeError, ValueError):
        return False
    if abs(time.time() - sent) > tolerance_s:
        return False  # too old (or from the future): a replayed request
    if isinstance(body, str):
        body = body.encode()
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return hmac.compare_digest("sha256=" + mac.hexdigest(), signature or "")


class DeliveryError(Exception):
    """A webhook delivery that did not go through (French message)."""

    def __init__(self, message: str, *, retryable: bool = True) -> None:
        super().__init__(message)
        self.retryable = retryable


def deliver(client: outbound.Client, url: str, secret: str, event: str, body: bytes,
            delivery_id: int) -> None:
    """POST one signed event; raises ``DeliveryError`` unless the receiver answers 2xx.

    Errors say what happened without the receiver's words or the socket's: a refused
    destination, a connection that could not be made, or the HTTP status."""
    timestamp = str(int(time.time()))
    headers = {"Content-Type": "application/json", "User-Agent": USER_AGENT,
               "X-Beffroi-Event": event, "X-Beffroi-Timestamp": timestamp,
               "X-Beffroi-Signature": sign(secret, timestamp, body),
               "X-Beffroi-Delivery": str(delivery_id)}
    try:
        reply = outbound.post(client, url, content=body, headers=headers)
    except outbound.OutboundError as exc:
        raise DeliveryError(f"Webhook non délivré : {exc.message}.",
                            retryable=exc.retryable) from None
    if not reply.ok:
        raise DeliveryError(f"Webhook en erreur : HTTP {reply.status}.")
