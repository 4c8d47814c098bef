"""Issue #18: a building's consumption per year and energy — its own electricity counter plus
its meters (a gas meter in m³ rolling over its totaliser, an electricity meter replaced in
June, readings missing for ten days), a hand entry that wins over the measure, a heat meter
connected in July (coverage too low: no yearly figure) — against sums written in the test."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest

from beffroi.core import assets, streams, tenants
from beffroi.core.access import CLI, open_scope
from beffroi.core.clock import PARIS
from beffroi.core.observations import store_rows
from beffroi.core.registry import load_registry
from beffroi.domains.buildings import annual

YEAR = 2024  # a leap year: 366 days
GAP = (date(2024, 3, 10), date(2024, 3, 20))  # own electricity counter not read
REPLACED = date(2024, 6, 15)  # electricity meter replaced: new index from 0 that morning
ROLLED = date(2024, 8, 1)  # gas totaliser 99 999 m³ passes 0 that day
GAS_COEF = 10.5
HEAT_FROM = date(2024, 7, 1)


def _days(first: date, last: date):
    d = first
    while d <= last:
        yield d
        d += timedelta(days=1)


def _own_use(d: date) -> float:
    return 100.0 + d.toordinal() % 7 * 3


def _gas_use(d: date) -> float:
    return 40.0 if d.month in (1, 2, 3, 11, 12) else 6.0 + d.day % 3


def _heat_use(d: date) -> float:
    return 20.0 + d.day % 5


def _at(d: date) -> int:
    return int(datetime.combine(d, time(23, 0), PARIS).timestamp() * 1000)


def _series(first: date, use, start: float, rollover: float | None = None,
            replaced: date | None = None, skip=()) -> list[tuple[int, float]]:
    out, index = [], start
    for d in _days(first, date(YEAR, 12, 31)):
        index = use(d) if d == replaced else index + use(d)
        if rollover and index >= rollover:
            index -= rollover
        if not (skip and skip[0] <= d <= skip[1]):
            out.append((_at(d), round(index, 3)))
    return out


@pytest.fixture(scope="module")
def registry():
    return load_registry(["generic", "buildings"])


@pytest.fixture
def world(db, registry):
    with db.write() as conn:
        t = tenants.create_tenant(db, conn, CLI, name="CC", registry=registry)
        scope = open_scope(db, conn, CLI, t["id"])
        tenants.create_commune(scope, conn, {"insee": "88383", "name": "Rambervillers"})

        def asset(ref, kind, props, parent=None):
            return assets.create_asset(scope, conn, registry, {
                "ref": ref, "kind": kind, "name": ref, "commune": "88383",
                "parent_ref": parent, "properties": props,
                "geometry": {"type": "Point", "coordinates": [6.63, 48.35]}})

        def stream(row, metric):
            return streams.create_stream(scope, conn, registry,
                                         {"asset_id": row.id, "metric": metric}).id

        mairie = asset("MAIRIE", "buildings.building", {
            "usage": "mairie", "annual_energy": {str(YEAR): {"gaz_kwh": 123456}}})
        elec = asset("MAIRIE-ELEC", "buildings.meter", {"energy": "electricite"}, "MAIRIE")
        gas = asset("MAIRIE-GAZ", "buildings.meter",
                    {"energy": "gaz", "kwh_per_unit": GAS_COEF, "rollover": 100_000}, "MAIRIE")
        water = asset("MAIRIE-EAU", "buildings.meter", {"energy": "eau"}, "MAIRIE")
        ecole = asset("ECOLE", "buildings.building", {"usage": "ecole"})
        heat = asset("ECOLE-CHAUF", "buildings.meter", {"energy": "reseau_chaleur"}, "ECOLE")
        eve = date(YEAR - 1, 12, 31)
        rows = []
        for sid, points in (
                (stream(mairie, "energy.active_import"),
                 _series(eve, _own_use, 5_000.0, skip=GAP)),
                (stream(elec, "energy.active_import"),
                 _series(eve, lambda d: 50.0, 20_000.0, replaced=REPLACED)),
                (stream(gas, "gas.volume"),
                 _series(eve, _gas_use, 100_003.0 - sum(_gas_use(d) for d in _days(eve, ROLLED)),
                         rollover=100_000)),
                (stream(water, "water.volume"), _series(eve, lambda d: 1.0, 10.0)),
                (stream(heat, "energy.heat"), _series(HEAT_FROM, _heat_use, 700.0))):
            rows += [(t["id"], sid, at, v, 0) for at, v in points]
        store_rows(scope, conn, rows, PARIS)
    return t["id"], mairie.id, ecole.id


def _year_days():
    return list(_days(date(YEAR, 1, 1), date(YEAR, 12, 31)))


def test_measured_and_entered_per_energy(db, world):
    tenant, mairie_id, ecole_id = world
    with db.read() as conn:
        scope = open_scope(db, conn, CLI, tenant)
        found = annual.building_year(scope, conn, scope.asset(conn, mairie_id), YEAR)
    by = {e.energy: e for e in found.energies}
    assert sorted(by) == ["electricite", "gaz"]  # water is not an energy
    electricity = sum(_own_use(d) for d in _year_days()) + 50.0 * 366
    assert by["electricite"].source == "mesuré"
    assert by["electricite"].kwh == pytest.approx(electricity, abs=1e-6)
    assert by["electricite"].coverage == 1.0  # the ten days of the gap are bridged
    replaced = next(m for m in by["electricite"].meters if m["ref"] == "MAIRIE-ELEC")
    assert replaced["resets"] == [REPLACED.isoformat()]
    # The hand entry wins; the measure (m³ × coefficient, through the roll-over) is reported.
    gas = by["gaz"]
    assert (gas.source, gas.kwh, gas.entered_kwh) == ("saisi", 123456.0, 123456.0)
    assert gas.measured_kwh == pytest.approx(sum(_gas_use(d) for d in _year_days()) * GAS_COEF)
    assert gas.meters[0]["rollovers"] == [ROLLED.isoformat()]
    assert found.total_kwh == pytest.approx(electricity + 123456.0)
    assert found.complete


def test_partial_year_gives_no_figure_but_reports_the_measure(db, world):
    tenant, _, ecole_id = world
    with db.read() as conn:
        scope = open_scope(db, conn, CLI, tenant)
        everything = annual.tenant_year(scope, conn, YEAR)
    ecole = next(b for b in everything if b.building_id == ecole_id)
    heat = ecole.energies[0]
    assert heat.energy == "reseau_chaleur" and heat.kwh is None and heat.source is None
    # First reading day counts from its own first index (one reading a day: nothing).
    assert heat.measured_kwh == pytest.approx(
        sum(_heat_use(d) for d in _days(HEAT_FROM + timedelta(days=1), date(YEAR, 12, 31))))
    assert heat.coverage == pytest.approx(184 / 366)
    assert ecole.total_kwh is None and not ecole.complete
    assert [b.ref for b in everything] == ["ECOLE", "MAIRIE"]


def test_year_without_data(db, world):
    tenant, mairie_id, _ = world
    with db.read() as conn:
        scope = open_scope(db, conn, CLI, tenant)
        found = annual.building_year(scope, conn, scope.asset(conn, mairie_id), 2019)
    assert [(e.energy, e.kwh, e.coverage) for e in found.energies] == [
        ("electricite", None, 0.0), ("gaz", None, 0.0)]
    assert found.total_kwh is None


def test_gap_spread_evenly():
    rows = [(date(2024, 1, 1), 10.0, 12.0), (date(2024, 1, 4), 30.0, 30.0)]
    days, resets, rolls = annual.spread_days(rows, per_unit=2.0)
    assert days == {date(2024, 1, 1): 4.0, date(2024, 1, 2): 12.0, date(2024, 1, 3): 12.0,
                    date(2024, 1, 4): 12.0}
    assert resets == rolls == []
