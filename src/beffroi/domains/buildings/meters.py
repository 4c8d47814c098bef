"""A building's meters and their last readings, for the meters panel of the building page.

Each meter (``buildings.meter`` child of the building) with the energy it counts by its
French name, its number (PDL, PCE…), its conversion coefficient, and the last value of each
of its streams (the index, kept on the stream row by ingest) with the metric's French label
and the unit as people write it (``kWh``, ``m³``). A gas meter's index in m³ is also given
in kWh when the meter has its ``kwh_per_unit`` (PCS coefficient of the bill).
"""

from __future__ import annotations

from typing import Any

import orjson
from sqlalchemy import Connection, select

from ...core.access import TenantScope
from ...core.clock import format_instant
from ...core.french_format import unit_symbol
from ...core.registry import Registry
from ...storage import schema
from .building_asset import building
from .kinds import ENERGY_METRIC, METER_ENERGY_LABELS

METER_KIND = "buildings.meter"
_ENERGY = dict(METER_ENERGY_LABELS)


def building_meters(scope: TenantScope, conn: Connection, registry: Registry,
                    building_id: int) -> dict[str, Any]:
    """``meters``: the building's meters by energy then name, each with its ``readings``."""
    building(scope, conn, building_id)
    a, s = schema.assets, schema.streams
    meters = conn.execute(select(a.c.id, a.c.name, a.c.ref, a.c.properties).where(
        scope.asset_visible(a), a.c.kind == METER_KIND, a.c.parent_id == building_id)).all()
    streams: dict[int, list[Any]] = {}
    for row in conn.execute(select(s.c.asset_id, s.c.metric, s.c.unit, s.c.last_t,
                                   s.c.last_value)
                            .where(s.c.tenant_id == scope.tenant_id,
                                   s.c.asset_id.in_([m.id for m in meters]))
                            .order_by(s.c.asset_id, s.c.metric)):
        streams.setdefault(row.asset_id, []).append(row)
    out = []
    for meter in meters:
        props = orjson.loads(meter.properties or "{}")
        energy = props.get("energy")
        factor = props.get("kwh_per_unit")
        factor = float(factor) if isinstance(factor, int | float) and factor > 0 else None
        readings = []
        for row in streams.get(meter.id, []):
            metric = registry.metrics.get(row.metric)
            reading = {"metric": row.metric, "label": metric.label if metric else row.metric,
                       "unit": row.unit, "unit_symbol": unit_symbol(row.unit),
                       "value": row.last_value, "time": format_instant(row.last_t),
                       "main": row.metric == ENERGY_METRIC.get(energy)}
            if reading["main"] and row.metric == "gas.volume" and factor is not None \
                    and row.last_value is not None:
                reading["kwh"] = round(row.last_value * factor, 1)
            readings.append(reading)
        readings.sort(key=lambda r: (not r["main"], r["label"]))
        out.append({"id": meter.id, "name": meter.name, "ref": meter.ref, "energy": energy,
                    "energy_label": _ENERGY.get(energy, energy),
                    "meter_number": props.get("meter_number"), "kwh_per_unit": factor,
                    "readings": readings})
    order = {code: i for i, (code, _) in enumerate(METER_ENERGY_LABELS)}
    out.sort(key=lambda m: (order.get(m["energy"], len(order)), m["name"]))
    return {"building_id": building_id, "meters": out}
