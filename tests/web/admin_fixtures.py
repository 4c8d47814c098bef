"""Devices for the administration page: one that reports, one gone silent."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from sqlalchemy import update

from beffroi.core import devices, streams
from beffroi.core.access import CLI, open_scope
from beffroi.core.clock import now_ms
from beffroi.core.observations import store_rows
from beffroi.storage import schema


def add_devices(db, registry, territory: dict) -> dict:
    now = now_ms()
    with db.write() as conn:
        scope = open_scope(db, conn, CLI, territory["tenant"])
        alive = devices.create_device(scope, conn, {
            "name": "Compteur armoire 1", "dev_eui": "70b3d57ed0000001", "model": "Compteur LoRa",
            "asset_id": territory["cabinets"][0], "expected_interval_s": 900}, registry)
        silent = devices.create_device(scope, conn, {
            "name": "Sonde Moselle", "dev_eui": "70b3d57ed0000002", "model": "Sonde radar",
            "asset_id": territory["gauge"], "expected_interval_s": 600}, registry)
        d = schema.devices
        conn.execute(update(d).where(d.c.id == alive.id).values(
            last_seen=now - 60_000, battery=87, last_gateway="gw-remiremont"))
        conn.execute(update(d).where(d.c.id == silent.id).values(
            last_seen=now - 86_400_000, battery=12, last_error="trame illisible",
            last_error_at=now - 90_000_000))
        rssi = streams.create_stream(scope, conn, registry, {
            "asset_id": territory["cabinets"][0], "metric": "radio.rssi"})
    with db.write() as conn:
        store_rows(open_scope(db, conn, CLI, territory["tenant"]), conn,
                   [(territory["tenant"], rssi.id, now - 60_000, -97.0, 0)],
                   ZoneInfo("Europe/Paris"))
    return {"alive": alive.id, "silent": silent.id}
