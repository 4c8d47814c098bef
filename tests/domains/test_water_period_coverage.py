"""Issue #13: the water indicators never take what meters measured during a year not yet
over for the year's volume, and say when volumes of different periods meet. The clock is
pinned (``now`` is passed); expected volumes are computed from the readings written here."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from beffroi.core import assets, tenants
from beffroi.core.access import CLI, open_scope
from beffroi.core.observations import store_rows
from beffroi.core.registry import load_registry
from beffroi.core.streams import ensure_stream
from beffroi.domains.water.rpqs import rolling_period, tenant_indicators, year_period

PARIS = ZoneInfo("Europe/Paris")
DAILY_M3 = 330.0
BILLING = {"imported_m3": 0, "exported_m3": 0, "metered_consumption_m3": 85_000,
           "unmetered_consumption_m3": 2_000, "service_volume_m3": 1_000,
           "mains_length_km": 40}


def _noon(day: date) -> int:
    return int(datetime(day.year, day.month, day.day, 12, tzinfo=PARIS).timestamp() * 1000)


@pytest.fixture
def service(db):
    """A service whose production meter is read every day at noon from 31 December 2025
    to 4 December 2026 (330 m³ a day), with the billing figures of 2025 and 2026 entered
    (but no production figure for 2026)."""
    registry = load_registry(["generic", "water"])
    with db.write() as conn:
        t = tenants.create_tenant(db, conn, CLI, name="CC", registry=registry)
        scope = open_scope(db, conn, CLI, t["id"])
        tenants.create_commune(scope, conn, {"insee": "88383", "name": "Remiremont"})
        point = {"type": "Point", "coordinates": [6.59, 48.01]}
        assets.create_asset(scope, conn, registry, {
            "ref": "SVC-1", "kind": "water.service", "name": "Régie", "commune": "88383",
            "geometry": point, "properties": {"years": {
                "2025": {**BILLING, "produced_m3": 120_000}, "2026": BILLING}}})
        meter = assets.create_asset(scope, conn, registry, {
            "ref": "CPT-P1", "kind": "water.meter", "name": "Production", "commune": "88383",
            "geometry": point, "parent_ref": "SVC-1", "properties": {"role": "production"}})
        stream = ensure_stream(scope, conn, registry, meter.id, "water.volume")
        first, last = date(2025, 12, 31), date(2026, 12, 4)
        days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
        store_rows(scope, conn, [(t["id"], stream, _noon(d), 1000 + DAILY_M3 * i, 0)
                                 for i, d in enumerate(days)], PARIS)
    return {"db": db, "registry": registry, "tenant": t["id"]}


def _indicators(service, period, now):
    db = service["db"]
    with db.read() as conn:
        return tenant_indicators(open_scope(db, conn, CLI, service["tenant"]), conn,
                                 service["registry"], period, now=now)


def test_a_year_not_over_is_not_measured_by_its_meters(service):
    """On 5 December 2026 the meter covers 338 of 365 days (93 %, above the 90 % asked of
    a year): those eleven months of volume are not the production of 2026."""
    now = _noon(date(2026, 12, 5))
    result = _indicators(service, year_period(2026, PARIS), now)
    assert result["period"]["complete"] is False
    assert any("en cours" in n for n in result["notes"])
    [svc] = result["services"]
    produced = svc["inputs"]["produced_m3"]
    assert produced["metered_coverage"] == round(338 / 365, 3) > 0.9
    assert produced["value"] is None and produced["metered"] is None
    assert svc["indicators"] is None and "Volume produit (V1)" in svc["missing"]

    # Once the year is over, the meter counts again under the usual coverage rule.
    later = _indicators(service, year_period(2026, PARIS), _noon(date(2027, 1, 2)))
    assert later["period"]["complete"] is True and not any(
        "en cours" in n for n in later["notes"])
    assert later["services"][0]["inputs"]["produced_m3"]["metered"] is not None


def test_twelve_rolling_months_say_which_periods_meet(service):
    now = _noon(date(2026, 12, 5))
    result = _indicators(service, rolling_period(now, PARIS), now)
    [svc] = result["services"]
    produced = svc["inputs"]["produced_m3"]
    assert produced["source"] == "meters"
    # 5 December 2025 to 4 December 2026: the meter's first reading is 31 December, so
    # it covers 339 of the 365 days (93 %) and 338 days of volume.
    assert produced["value"] == pytest.approx(338 * DAILY_M3)
    assert svc["inputs"]["metered_consumption_m3"]["entered_year"] == 2025
    assert any(n.startswith("Périodes différentes : Volume produit (V1)") and "2025" in n
               for n in svc["notes"])
