"""Buildings: programme in proportion, electricity intensity, classroom CO2 timetable."""

from __future__ import annotations

import numpy as np
import pytest

from beffroi.core.registry import DemoAsset
from beffroi.demo.calendar import local_time
from beffroi.domains.buildings.demo.inventory import demo_inventory
from beffroi.domains.buildings.demo.simulator import ELECTRICITY_KWH_M2, simulate

POINT = {"type": "Point", "coordinates": [6.59, 48.01]}


def _room(ventilation: str) -> DemoAsset:
    return DemoAsset("BAT-88383-03-P1", "buildings.room", "Classe", POINT,
                     {"room_type": "classe", "ventilation": ventilation},
                     metrics=("air.co2",), step_s=900)


def test_programme_in_proportion_to_population(communes):
    total_people = sum(c.population for c in communes.values())
    buildings, rooms = [], []
    for commune in communes.values():
        assets = demo_inventory(commune, np.random.default_rng(0))
        buildings += [a for a in assets if a.kind == "buildings.building"]
        rooms += [a for a in assets if a.kind == "buildings.room"]
        usages = [a.properties["usage"] for a in assets if a.kind == "buildings.building"]
        assert usages.count("mairie") == 1
    assert 350 < total_people / len(buildings) < 600
    schools = [b for b in buildings if b.properties["usage"] == "ecole"]
    assert len([r for r in rooms if r.properties["room_type"] == "classe"]) == 2 * len(schools)
    subject = [b for b in buildings if b.properties.get("tertiary_decree")]
    assert sorted(b.name for b in subject) == ["Groupe scolaire du Centre (Remiremont)",
                                               "Siège de la communauté de communes (Remiremont)"]
    for b in buildings:  # no other building reaches the décret's 1,000 m²
        assert b in subject or b.properties["floor_area_m2"] < 1000


@pytest.mark.parametrize("usage", ["mairie", "ecole", "gymnase"])
def test_annual_electricity_intensity(usage, year_of):
    building = DemoAsset("BAT-88383-01", "buildings.building", "B", POINT,
                         {"usage": usage, "floor_area_m2": 800.0, "heating": "gaz"},
                         metrics=("energy.active_import",), step_s=3600)
    index = simulate(building, "energy.active_import", year_of(3600), np.random.default_rng(0))
    intensity = (index[-1] - index[0]) / 800
    assert intensity == pytest.approx(ELECTRICITY_KWH_M2[usage], rel=0.1)


def test_electric_heating_adds_winter_load(year_of):
    t = year_of(3600)
    props = {"usage": "mairie", "floor_area_m2": 800.0}
    gas = DemoAsset("BAT-1", "buildings.building", "B", POINT, {**props, "heating": "gaz"})
    elec = DemoAsset("BAT-1", "buildings.building", "B", POINT, {**props, "heating": "electrique"})
    jan, jul = slice(0, 24 * 31), slice(24 * 181, 24 * 212)
    p_gas = simulate(gas, "power.active", t, np.random.default_rng(0))
    p_elec = simulate(elec, "power.active", t, np.random.default_rng(0))
    assert p_elec[jan].mean() > 2 * p_gas[jan].mean()
    assert p_elec[jul].mean() == pytest.approx(p_gas[jul].mean(), rel=0.05)


def test_classroom_co2_follows_lessons(year_of):
    t = year_of(900)
    co2 = simulate(_room("naturelle"), "air.co2", t, np.random.default_rng(0))
    lt = local_time(t)
    in_term = (lt.day_of_year > 250) & (lt.day_of_year < 285)  # September–October
    late_morning = (lt.hour >= 11) & (lt.hour < 11.5)
    monday, wednesday, sunday = lt.weekday == 0, lt.weekday == 2, lt.weekday == 6
    assert np.median(co2[in_term & late_morning & monday]) > 1500  # > 1,500 ppm: act
    assert np.median(co2[in_term & late_morning & wednesday]) < 600  # no school
    assert np.median(co2[in_term & late_morning & sunday]) < 600
    night = (lt.hour >= 2) & (lt.hour < 4)
    assert np.median(co2[night]) == pytest.approx(420, abs=40)
    summer = (lt.day_of_year > 200) & (lt.day_of_year < 230)
    assert co2[summer].max() < 600  # summer holidays


def test_mechanical_ventilation_keeps_co2_lower(year_of):
    t = year_of(900)[: 96 * 60]
    natural = simulate(_room("naturelle"), "air.co2", t, np.random.default_rng(0))
    mechanical = simulate(_room("vmc_double_flux"), "air.co2", t, np.random.default_rng(0))
    assert mechanical.max() < 1200 < natural.max()
