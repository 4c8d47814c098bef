"""Helpers of the asset page tests: a cabinet with properties and a controller, and the
command state moves a dispatcher and a device would make."""

from __future__ import annotations

from sqlalchemy import select

from beffroi.core import assets, commands, devices
from beffroi.core.access import CLI, open_scope
from beffroi.core.clock import now_ms
from beffroi.storage import schema

CABINET_PROPERTIES = {"switching": "astronomical_clock", "night_cut": True,
                      "connected_power_kw": 12.5, "installed": "2019-03-14"}


def equip_cabinet(db, registry, territory: dict) -> int:
    """Give cabinet 1 typed properties and a LoRaWAN controller (commands need a device)."""
    cabinet = territory["cabinets"][0]
    with db.write() as conn:
        scope = open_scope(db, conn, CLI, territory["tenant"])
        assets.update_asset(scope, conn, registry, cabinet, {"properties": CABINET_PROPERTIES})
        devices.create_device(scope, conn, {"name": "Contrôleur armoire 1",
                                            "dev_eui": "70b3d57ed0000001",
                                            "asset_id": cabinet}, registry)
    return cabinet


def command_ids(db, tenant_id: int, asset_id: int) -> list[int]:
    c = schema.commands
    with db.read() as conn:
        return [r.id for r in conn.execute(select(c.c.id).where(
            c.c.tenant_id == tenant_id, c.c.asset_id == asset_id).order_by(c.c.id))]


def move_command(db, tenant_id: int, command_id: int, event: str) -> str:
    """``send`` or ``acknowledge`` one command as the dispatcher / device would."""
    c = schema.commands
    with db.write() as conn:
        row = conn.execute(select(c).where(c.c.tenant_id == tenant_id,
                                           c.c.id == command_id)).first()
        if event == "send":
            row = commands.mark_sent(db, conn, row, now_ms(), channel="lorawan")
        else:
            row = commands.mark_acknowledged(db, conn, row, now_ms())
        return row.status
