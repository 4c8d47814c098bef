"""The building a request names: a ``buildings.building`` the reader may see, else 404."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection

from ...core.access import TenantScope
from ...core.errors import NotFound

BUILDING_KIND = "buildings.building"


def building(scope: TenantScope, conn: Connection, building_id: int) -> Any:
    """The building row the reader may see; 404 for anything else."""
    scope.require("read")
    row = scope.asset(conn, building_id)
    if row.kind != BUILDING_KIND:
        raise NotFound(f"Bâtiment {building_id} introuvable dans ce territoire.")
    return row
