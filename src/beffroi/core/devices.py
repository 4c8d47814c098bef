"""Devices: the hardware measuring or acting on an asset; swappable."""

from __future__ import annotations

import re
from typing import Any

import orjson
from sqlalchemy import Connection, and_, delete, select, update

from ..storage import schema
from .access import TenantScope
from .auth import issue_token
from .clock import format_instant, now_ms
from .errors import Conflict, Invalid, NotFound
from .registry import Registry
from .storable import is_id, text_error

DEV_EUI_RE = re.compile(r"^[0-9a-f]{16}$")
NAME_MAX, MODEL_MAX = 300, 120  # the columns' lengths (storage/schema.py)
DEVICE_FIELDS = {"name", "dev_eui", "model", "asset_id", "properties", "mapping",
                 "expected_interval_s"}
# A device is "silent" when nothing came for this many expected intervals.
SILENT_AFTER_INTERVALS = 3


def is_silent(last_seen: int | None, interval_s: int, now: int) -> bool:
    """Nothing received for ``SILENT_AFTER_INTERVALS`` expected intervals."""
    return last_seen is None or now - last_seen > SILENT_AFTER_INTERVALS * interval_s * 1000


def device_health(row: Any, now: int | None = None) -> dict[str, Any]:
    """Last seen, battery, counters and whether the device has gone silent."""
    now = now_ms() if now is None else now
    interval = row.expected_interval_s
    silent = None
    if interval:
        silent = is_silent(row.last_seen, interval, now)
    return {"last_seen": format_instant(row.last_seen), "expected_interval_s": interval,
            "silent": silent, "battery": row.battery, "uplinks": row.uplinks,
            "rejected": row.rejected, "last_error": row.last_error,
            "last_error_at": format_instant(row.last_error_at), "last_gateway": row.last_gateway}


def mqtt_username(tenant_id: int, device_id: int) -> str:
    """The device's account on the MQTT broker (connectivity/mqtt_broker.py)."""
    return f"dev-{tenant_id}-{device_id}"


def device_public(row: Any) -> dict[str, Any]:
    return {"id": row.id, "name": row.name, "dev_eui": row.dev_eui, "model": row.model,
            "asset_id": row.asset_id, "properties": orjson.loads(row.properties),
            "mapping": orjson.loads(row.mapping or "{}"), "health": device_health(row),
            "mqtt_username": mqtt_username(row.tenant_id, row.id)
            if row.mqtt_password_hash else None}


def _check(scope: TenantScope, conn: Connection, data: Any, partial: bool,
           registry: Registry | None = None) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise Invalid("Objet JSON attendu.")
    errors, values = [], {}
    for key in sorted(set(data) - DEVICE_FIELDS):
        errors.append({"field": key, "message": "champ inconnu"})
    if not partial or "name" in data:
        if not isinstance(data.get("name"), str) or not data["name"].strip():
            errors.append({"field": "name", "message": "nom obligatoire"})
        elif problem := _text_problem(data["name"].strip(), NAME_MAX):
            errors.append({"field": "name", "message": problem})
        else:
            values["name"] = data["name"].strip()
    if data.get("dev_eui") is not None:
        eui = str(data["dev_eui"]).lower().replace("-", "").replace(":", "")
        if not DEV_EUI_RE.match(eui):
            errors.append({"field": "dev_eui", "message": "DevEUI : 16 chiffres hexadécimaux attendus"})
        values["dev_eui"] = eui
    if "model" in data:
        model = data["model"]
        if model is not None and not isinstance(model, str):
            errors.append({"field": "model", "message": "texte attendu : le modèle du capteur "
                                                        "ou la clé de son décodeur (ex. elsys)"})
        elif problem := _text_problem((model or "").strip(), MODEL_MAX):
            errors.append({"field": "model", "message": problem})
        else:  # blank: no model (no Beffroi decoder)
            values["model"] = (model or "").strip() or None
    if data.get("asset_id") is not None:
        a = schema.assets
        if not is_id(data["asset_id"]) or not conn.execute(
                select(a.c.id).where(scope.asset_visible(), a.c.id == data["asset_id"])).first():
            errors.append({"field": "asset_id", "message": f"équipement {data['asset_id']} introuvable"})
        values["asset_id"] = data["asset_id"]
    elif "asset_id" in data:
        values["asset_id"] = None
    if "mapping" in data:
        mapping = data["mapping"] or {}
        if not isinstance(mapping, dict) or not all(
                isinstance(k, str) and isinstance(v, str) for k, v in mapping.items()):
            errors.append({"field": "mapping", "message": "objet {champ du message: clé de mesure} "
                                                          "attendu"})
        elif registry is not None:
            unknown = sorted(v for v in mapping.values() if v not in registry.metrics)
            if unknown:
                errors.append({"field": "mapping", "message": "mesures inconnues : "
                                                              + ", ".join(unknown)})
        values["mapping"] = orjson.dumps(mapping).decode()
    if data.get("expected_interval_s") is not None:
        interval = data["expected_interval_s"]
        if not isinstance(interval, int) or isinstance(interval, bool) or interval <= 0:
            errors.append({"field": "expected_interval_s",
                           "message": "nombre entier de secondes > 0 attendu"})
        values["expected_interval_s"] = interval
    elif "expected_interval_s" in data:
        values["expected_interval_s"] = None
    if "properties" in data or not partial:
        props = data.get("properties") or {}
        if not isinstance(props, dict):
            errors.append({"field": "properties", "message": "objet attendu"})
        values["properties"] = orjson.dumps(props).decode()
    if errors:
        raise Invalid("Capteur invalide.", errors=errors)
    return values


def _text_problem(text: str, max_len: int) -> str | None:
    """Why ``text`` cannot be stored in a column of ``max_len`` characters, or None."""
    if len(text) > max_len:
        return f"{max_len} caractères au plus (reçu {len(text)})"
    return text_error(text)


def _device_clause(scope: TenantScope):
    """Devices attached to an invisible asset are invisible too."""
    d, a = schema.devices, schema.assets
    if scope.communes is None and scope.kinds is None:
        return scope.owns(d)
    visible = select(a.c.id).where(scope.asset_visible())
    return and_(scope.owns(d), d.c.asset_id.in_(visible))


def list_devices(scope: TenantScope, conn: Connection, asset_id: int | None = None) -> list[Any]:
    scope.require("read")
    d = schema.devices
    query = select(d).where(_device_clause(scope)).order_by(d.c.id)
    if asset_id is not None:
        query = query.where(d.c.asset_id == asset_id)
    return list(conn.execute(query))


def get_device(scope: TenantScope, conn: Connection, device_id: int) -> Any:
    scope.require("read")
    d = schema.devices
    row = conn.execute(select(d).where(_device_clause(scope), d.c.id == device_id)).first()
    if row is None:
        raise NotFound(f"Capteur {device_id} introuvable dans ce territoire.")
    return row


def _unique_eui(scope: TenantScope, conn: Connection, eui: str | None, device_id: int | None) -> None:
    if eui is None:
        return
    d = schema.devices
    row = conn.execute(select(d.c.id).where(scope.owns(d), d.c.dev_eui == eui)).first()
    if row is not None and row.id != device_id:
        raise Conflict(f"Le DevEUI {eui} est déjà attribué au capteur {row.id}.")


def create_device(scope: TenantScope, conn: Connection, data: Any,
                  registry: Registry | None = None) -> Any:
    scope.require("write")
    values = _check(scope, conn, data, partial=False, registry=registry)
    _unique_eui(scope, conn, values.get("dev_eui"), None)
    device_id = scope.db.allocate_ids(conn, "devices")
    conn.execute(schema.devices.insert().values(tenant_id=scope.tenant_id, id=device_id,
                                                created_at=now_ms(), **values))
    scope.audit(conn, "create", "device", device_id, {k: v for k, v in values.items()
                                                       if k != "properties"})
    return get_device(scope, conn, device_id)


def update_device(scope: TenantScope, conn: Connection, device_id: int, data: Any,
                  registry: Registry | None = None) -> Any:
    """Update a device; changing ``asset_id`` is how a device is swapped."""
    scope.require("write")
    get_device(scope, conn, device_id)
    values = _check(scope, conn, data, partial=True, registry=registry)
    if values:  # an empty change (``{}``) changes nothing
        _unique_eui(scope, conn, values.get("dev_eui"), device_id)
        d = schema.devices
        conn.execute(update(d).where(scope.owns(d), d.c.id == device_id).values(**values))
        scope.audit(conn, "update", "device", device_id, data)
    return get_device(scope, conn, device_id)


def delete_device(scope: TenantScope, conn: Connection, device_id: int) -> None:
    scope.require("write")
    get_device(scope, conn, device_id)
    d, s, t = schema.devices, schema.streams, schema.tokens
    conn.execute(update(s).where(scope.owns(s), s.c.device_id == device_id).values(device_id=None))
    conn.execute(delete(t).where(t.c.tenant_id == scope.tenant_id, t.c.device_id == device_id))
    conn.execute(delete(d).where(scope.owns(d), d.c.id == device_id))
    scope.audit(conn, "delete", "device", device_id)


def create_device_token(scope: TenantScope, conn: Connection, device_id: int) -> dict[str, Any]:
    """An ingest token for one device: it may only post observations of its streams."""
    scope.require("write")
    get_device(scope, conn, device_id)
    token_id, secret = issue_token(scope.db, conn, "device", tenant_id=scope.tenant_id,
                                   device_id=device_id, name=f"device {device_id}")
    scope.audit(conn, "create", "device_token", token_id, {"device_id": device_id})
    return {"id": token_id, "token": secret}
