"""A small water network for route tests: a tenant, its commune, one service and metered
sectors whose inlet flow series are given."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import numpy as np

from beffroi.core import assets, tenants
from beffroi.core.access import CLI, open_scope
from beffroi.core.observations import store_rows
from beffroi.core.streams import ensure_stream

from .night_series import square

PARIS = ZoneInfo("Europe/Paris")
POINT = {"type": "Point", "coordinates": [6.6, 48.005]}


def metered_sectors(db, conn, registry, t: np.ndarray,
                    sectors: dict[str, tuple[str, float, int, np.ndarray]],
                    metric: str = "water.flow") -> tuple[dict, dict[str, int]]:
    """The tenant « Syndicat des eaux » (commune Remiremont, service SVC-88383) and, per
    key, a sector (name, longitude, connections) whose inlet meter CPT-{key}-IN carries the
    series at ``t`` (``metric``: its flow in m³/h, or ``water.volume``: its index in m³);
    the tenant and {"service" or key: asset id}."""
    tenant = tenants.create_tenant(db, conn, CLI, name="Syndicat des eaux", registry=registry)
    scope = open_scope(db, conn, CLI, tenant["id"])
    tenants.create_commune(scope, conn, {"insee": "88383", "name": "Remiremont"})
    service = assets.create_asset(scope, conn, registry, {
        "ref": "SVC-88383", "kind": "water.service", "name": "Régie de Remiremont",
        "commune": "88383", "geometry": POINT})
    ids = {"service": service.id}
    for key, (name, x, connections, flow) in sectors.items():
        sector = assets.create_asset(scope, conn, registry, {
            "ref": f"SEC-{key}", "kind": "water.sector", "name": name, "commune": "88383",
            "geometry": square(x), "parent_id": service.id,
            "properties": {"connections": connections, "mains_length_km": 20}})
        meter = assets.create_asset(scope, conn, registry, {
            "ref": f"CPT-{key}-IN", "kind": "water.meter", "name": f"Entrée {key}",
            "commune": "88383", "geometry": POINT, "parent_id": sector.id,
            "properties": {"role": "sector_inlet"}})
        stream = ensure_stream(scope, conn, registry, meter.id, metric)
        store_rows(scope, conn, [(tenant["id"], stream, int(ti * 1000), round(float(q), 3), 0)
                                 for ti, q in zip(t, flow, strict=True)], PARIS)
        ids[key] = sector.id
    return tenant, ids
