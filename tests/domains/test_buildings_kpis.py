"""Issue #16: the key figures of public buildings on the home dashboard — energy of the month
so far against the same days a year before, rooms whose CO2 went above 1,500 ppm today and
the day's highest CO2 — checked against what the test writes (daily meter readings with a
missing day and a meter replaced, CO2 readings of today and yesterday), for the whole
territory, one commune and a member limited to one; the clock is pinned."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest

from beffroi.core import assets, streams, tenants, users
from beffroi.core.access import CLI, open_scope
from beffroi.core.clock import PARIS
from beffroi.core.observations import store_rows
from beffroi.core.registry import load_registry

from .kpi_cards import domain_kpis

R, V = "88383", "88498"
TODAY = date(2026, 3, 15)
NOW = int(datetime.combine(TODAY, time(10, 0), PARIS).timestamp() * 1000)
MARCH = [date(2026, 3, d) for d in range(1, 15)]  # the month so far: 1 to 14 March
# Building -> commune, years metered, days without reading, day its meter was replaced
BUILDINGS = {"Mairie": (R, (2025, 2026), (), date(2026, 3, 10)),
             "École": (V, (2025, 2026), (date(2026, 3, 5),), None),
             "Gymnase": (R, (2026,), (), None)}
# Room -> (building, today's CO2 readings, yesterday's)
ROOMS = {"Salle du conseil": ("Mairie", [600, 1650, 900], [700]),
         "Bureau": ("Mairie", [500, 1200], []),
         "Classe 1": ("École", [800, 1520], [1000]),
         "Classe 2": ("École", [], [2000])}  # nothing today
LIMIT = 1500


def _usage(building: str, day: date) -> float:
    base = {"Mairie": 300.0, "École": 150.0, "Gymnase": 80.0}[building]
    return round((base + (day.toordinal() % 4) * 10) * (1.1 if day.year == 2025 else 1.0), 3)


def _local_ms(day: date, clock: time) -> int:
    return int(datetime.combine(day, clock, PARIS).timestamp() * 1000)


def _readings(building: str) -> list[tuple[int, float]]:
    """An index read at 23:00 from 27 February to 20 March of each metered year."""
    _, years, missing, replaced = BUILDINGS[building]
    points = []
    for year in years:
        index = 10_000.0 * year
        day = date(year, 2, 27)
        while day <= date(year, 3, 20):
            index = 50.0 if day == replaced else index + _usage(building, day)
            if day not in missing:
                points.append((_local_ms(day, time(23, 0)), round(index, 3)))
            day += timedelta(days=1)
    return points


def _measured(building: str, year: int) -> dict[date, float]:
    """The days of 1–14 March of ``year`` with a reading on the day and the day before,
    the meter not replaced on the day: their consumption."""
    _, years, missing, replaced = BUILDINGS[building]
    if year not in years:
        return {}
    out = {}
    for d in (m.replace(year=year) for m in MARCH):
        if d not in missing and d - timedelta(days=1) not in missing and d != replaced:
            out[d] = _usage(building, d)
    return out


@pytest.fixture(scope="module")
def registry():
    return load_registry(["generic", "buildings"])


@pytest.fixture
def territory(db, registry):
    with db.write() as conn:
        t = tenants.create_tenant(db, conn, CLI, name="CC", registry=registry)
        scope = open_scope(db, conn, CLI, t["id"])
        for insee in (R, V):
            tenants.create_commune(scope, conn, {"insee": insee, "name": f"Commune {insee}"})
        rows = []
        for i, (name, (insee, _, _, _)) in enumerate(BUILDINGS.items()):
            building = assets.create_asset(scope, conn, registry, {
                "ref": f"BAT-{i}", "kind": "buildings.building", "name": name,
                "commune": insee, "properties": {"usage": "mairie"},
                "geometry": {"type": "Point", "coordinates": [6.6 + i / 100, 48.0]}})
            sid = streams.create_stream(scope, conn, registry, {
                "asset_id": building.id, "metric": "energy.active_import"}).id
            rows += [(t["id"], sid, at, v, 0) for at, v in _readings(name)]
        for j, (name, (building, today, yesterday)) in enumerate(ROOMS.items()):
            insee = BUILDINGS[building][0]
            room = assets.create_asset(scope, conn, registry, {
                "ref": f"PIECE-{j}", "kind": "buildings.room", "name": name, "commune": insee,
                "parent_ref": f"BAT-{list(BUILDINGS).index(building)}",
                "geometry": {"type": "Point", "coordinates": [6.6, 48.001 + j / 1000]}})
            sid = streams.create_stream(scope, conn, registry,
                                        {"asset_id": room.id, "metric": "air.co2"}).id
            rows += [(t["id"], sid, _local_ms(TODAY, time(7 + k)), v, 0)
                     for k, v in enumerate(today)]
            rows += [(t["id"], sid, _local_ms(TODAY - timedelta(days=1), time(15 + k)), v, 0)
                     for k, v in enumerate(yesterday)]
        store_rows(scope, conn, rows, PARIS)
        users.add_member(scope, conn, {"email": "v@cc.fr", "role": "viewer",
                                       "password": "password-123", "communes": [V]})
    return t["id"]


def _kpis(db, registry, tenant, communes=None, email=None):
    return domain_kpis(db, registry, tenant, "buildings", NOW, communes, email)


def _expected(*names: str) -> tuple[float, float, float, int]:
    """(kWh of 1–14 March 2026; of the (building, day) pairs measured both years, kWh in
    2026 and in 2025; days compared)."""
    now = sum(v for n in names for v in _measured(n, 2026).values())
    pairs = [(n, d) for n in names for d in _measured(n, 2026)
             if d.replace(year=2025) in _measured(n, 2025)]
    paired_now = sum(_measured(n, 2026)[d] for n, d in pairs)
    paired_before = sum(_measured(n, 2025)[d.replace(year=2025)] for n, d in pairs)
    return now, paired_now, paired_before, len({d for _, d in pairs})


def test_energy_of_the_month_against_the_same_days_last_year(db, registry, territory):
    kpi = _kpis(db, registry, territory)["buildings.energy_month"]
    now, paired_now, before, days = _expected("Mairie", "École", "Gymnase")
    assert days == 14  # every day has a pair somewhere, though not every building
    assert (kpi["value"], kpi["unit"]) == (pytest.approx(now, abs=0.05), "kW.h")
    [last_year] = kpi["comparisons"]
    assert last_year["label"] == "mêmes jours en 2025"
    assert last_year["value"] == pytest.approx(before, abs=0.05)
    assert last_year["delta_share"] == pytest.approx(paired_now / before - 1, abs=0.0001)
    assert kpi["note"] == ("du 01/03 au 14/03 ; 3 bâtiments mesurés sur 3 ; 14 jours comparés "
                           "avec 2025")
    mine = _kpis(db, registry, territory, [R])["buildings.energy_month"]
    now, paired_now, before, days = _expected("Mairie", "Gymnase")
    assert mine["value"] == pytest.approx(now, abs=0.05)
    assert mine["comparisons"][0]["value"] == pytest.approx(before, abs=0.05)
    assert mine["note"].endswith(f" ; {days} jours comparés avec 2025")
    theirs = _kpis(db, registry, territory, email="v@cc.fr")["buildings.energy_month"]
    assert theirs["value"] == pytest.approx(_expected("École")[0], abs=0.05)


def test_rooms_above_1500_ppm_today_and_the_highest_co2(db, registry, territory):
    def today_max(*rooms):
        return {r: max(ROOMS[r][1]) for r in rooms if ROOMS[r][1]}

    everywhere = today_max(*ROOMS)
    kpi = _kpis(db, registry, territory)
    confined, peak = kpi["buildings.confined_rooms"], kpi["buildings.co2_peak"]
    above = sum(1 for v in everywhere.values() if v > LIMIT)
    assert (confined["value"], confined["status"]) == (above, "warning") == (2, "warning")
    assert confined["note"] == f"sur {len(everywhere)} pièces mesurées aujourd'hui"
    assert (peak["value"], peak["status"]) == (max(everywhere.values()), "warning")
    assert peak["note"] == "depuis minuit, Salle du conseil"
    assert peak["comparisons"] == [{"label": "air confiné", "value": 1500.0, "unit": "[ppm]",
                                    "delta_share": None}]
    mine = _kpis(db, registry, territory, [R])["buildings.confined_rooms"]
    assert (mine["value"], mine["note"]) == (1, "sur 2 pièces mesurées aujourd'hui")
    theirs = _kpis(db, registry, territory, email="v@cc.fr")
    # Classe 2's 2,000 ppm were yesterday's.
    assert theirs["buildings.confined_rooms"]["value"] == 1
    assert theirs["buildings.co2_peak"]["value"] == max(ROOMS["Classe 1"][1])
