"""A sector's inflow read back from its meters' raw series (``detectors.sector_inflow``, what
the leak detector and the night-flow chart scan): every reading of the window, in time
order, as stored; the cumulative volume by trapezoids, computed here from the readings the
test writes; nothing without at least two readings."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import numpy as np
import pytest

from beffroi.core import assets, tenants
from beffroi.core.access import CLI, open_scope
from beffroi.core.alerting.detector_spec import DetectorContext
from beffroi.core.observations import store_rows
from beffroi.core.registry import load_registry
from beffroi.core.streams import ensure_stream
from beffroi.domains.water.detectors import sector_inflow

PARIS = ZoneInfo("Europe/Paris")
T0 = 1_774_738_800  # 29 March 2026 00:00 Paris (the spring change), epoch s
# Irregular readings (s after T0, m³/h), stored out of order.
READINGS = [(0, 4.0), (900, 5.5), (1800, 3.25), (2400, 7.0), (3600, 6.0), (7200, 2.5),
            (7500, 2.0)]


@pytest.fixture
def sector(db):
    registry = load_registry(["generic", "water"])
    with db.write() as conn:
        tenant = tenants.create_tenant(db, conn, CLI, name="Syndicat", registry=registry)
        scope = open_scope(db, conn, CLI, tenant["id"])
        point = {"type": "Point", "coordinates": [6.6, 48.0]}
        area = {"type": "Polygon", "coordinates": [[[6.59, 47.99], [6.61, 47.99],
                                                      [6.61, 48.01], [6.59, 47.99]]]}
        sector = assets.create_asset(scope, conn, registry, {
            "ref": "SEC-1", "kind": "water.sector", "name": "Secteur 1", "geometry": area})
        meter = assets.create_asset(scope, conn, registry, {
            "ref": "CPT-1", "kind": "water.meter", "name": "Entrée", "geometry": point,
            "parent_id": sector.id, "properties": {"role": "sector_inlet"}})
        stream = ensure_stream(scope, conn, registry, meter.id, "water.flow")
        rows = [(tenant["id"], stream, (T0 + s) * 1000, q, 0) for s, q in READINGS]
        store_rows(scope, conn, rows[::-1], PARIS)
    return {"db": db, "registry": registry, "tenant": tenant["id"], "id": sector.id}


def _inflow(sector, since_s: int, now_s: int):
    db = sector["db"]
    with db.read() as conn:
        scope = open_scope(db, conn, CLI, sector["tenant"])
        ctx = DetectorContext(db, conn, scope, sector["registry"], now_s * 1000)
        return sector_inflow(ctx, sector["id"], since_s * 1000)


def test_every_reading_of_the_window_in_order_and_its_volume(sector):
    t, volume = _inflow(sector, T0, T0 + 7500)
    assert t.dtype == volume.dtype == np.float64
    assert t.tolist() == [float(T0 + s) for s, _ in READINGS]
    expected, total = [0.0], 0.0
    for (s0, q0), (s1, q1) in zip(READINGS, READINGS[1:], strict=False):
        total += (q0 + q1) / 2 * (s1 - s0) / 3600
        expected.append(total)
    assert volume.tolist() == pytest.approx(expected, abs=1e-12)
    # The window bounds: from ``since`` to the run's instant, both included.
    t, volume = _inflow(sector, T0 + 900, T0 + 3600)
    assert t.tolist() == [float(T0 + s) for s in (900, 1800, 2400, 3600)]
    assert volume.tolist() == pytest.approx(
        [0.0, (5.5 + 3.25) / 2 / 4, (5.5 + 3.25) / 8 + (3.25 + 7.0) / 2 / 6,
         (5.5 + 3.25) / 8 + (3.25 + 7.0) / 12 + (7.0 + 6.0) / 2 * 1200 / 3600], abs=1e-12)


def test_fewer_than_two_readings_is_no_inflow(sector):
    assert _inflow(sector, T0 + 7500, T0 + 9000) is None  # one reading
    assert _inflow(sector, T0 + 8000, T0 + 9000) is None  # none
