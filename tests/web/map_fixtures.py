"""More of the territory for the map: the other commune, a water main (a line), a public
building (a polygon) and a water meter whose sensor has gone silent."""

from __future__ import annotations

import pytest
from sqlalchemy import update

from beffroi.core import assets, devices
from beffroi.core.access import CLI, open_scope
from beffroi.core.clock import now_ms
from beffroi.storage import schema


@pytest.fixture(name="map_territory")
def map_territory_fixture(web_db, web_registry, territory) -> dict:
    db, reg = web_db, web_registry
    with db.write() as conn:
        scope = open_scope(db, conn, CLI, territory["tenant"])
        main = assets.create_asset(scope, conn, reg, {
            "ref": "CAN-88413-01", "kind": "water.main", "name": "Canalisation rue de la Gare",
            "commune": "88413", "geometry": {"type": "LineString", "coordinates": [
                [6.61, 48.03], [6.62, 48.035], [6.63, 48.034]]}})
        meter = assets.create_asset(scope, conn, reg, {
            "ref": "CPT-88413-01", "kind": "water.meter", "name": "Compteur de la mairie",
            "commune": "88413", "geometry": {"type": "Point", "coordinates": [6.625, 48.036]},
            "properties": {"role": "customer", "customer_category": "public"}})
        school = assets.create_asset(scope, conn, reg, {
            "ref": "BAT-88383-01", "kind": "buildings.building", "name": "École Jules-Ferry",
            "commune": "88383", "geometry": {"type": "Polygon", "coordinates": [[
                [6.575, 48.01], [6.578, 48.01], [6.578, 48.012], [6.575, 48.012],
                [6.575, 48.01]]]}, "properties": {"usage": "ecole"}})
        sensor = devices.create_device(scope, conn, {"name": "Tête radio du compteur",
                                                     "asset_id": meter.id,
                                                     "expected_interval_s": 3600})
        conn.execute(update(schema.devices).where(schema.devices.c.id == sensor.id)
                     .values(last_seen=now_ms() - 86_400_000))
    return {**territory, "main": main.id, "meter": meter.id, "school": school.id}
