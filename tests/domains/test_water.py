"""Water: sectors tile the commune, inflow has its night minimum, indices integrate flow."""

from __future__ import annotations

import numpy as np
import pytest
from shapely.geometry import shape
from shapely.ops import unary_union

from beffroi.core.registry import DemoAsset
from beffroi.demo.calendar import local_time
from beffroi.domains.water.demo.inventory import demo_inventory, sector_count
from beffroi.domains.water.demo.simulator import BACKGROUND_LOSS_SHARE, INJECTED_LEAK, simulate


def _inlet(people: int = 4000) -> DemoAsset:
    return DemoAsset("CPT-88383-S3", "water.meter", "Compteur",
                     {"type": "Point", "coordinates": [6.59, 48.01]},
                     {"role": "sector_inlet", "population_served": people},
                     metrics=("water.flow", "water.volume"))


def test_sectors_tile_the_commune_without_overlap(communes):
    commune = communes["88383"]
    assets = demo_inventory(commune, np.random.default_rng(3))
    sectors = [shape(a.geometry) for a in assets if a.kind == "water.sector"]
    assert len(sectors) == sector_count(commune.population) == 3
    area = shape(commune.boundary)
    assert unary_union(sectors).area == pytest.approx(area.area, rel=0.01)
    assert sum(s.area for s in sectors) == pytest.approx(area.area, rel=0.01)  # no overlap
    served = sum(a.properties["population_served"] for a in assets if a.kind == "water.sector")
    assert served == pytest.approx(commune.population, abs=len(sectors))
    inlets = [a for a in assets if a.properties.get("role") == "sector_inlet"]
    assert len(inlets) == len(sectors) and all(a.step_s <= 900 for a in inlets)
    customers = [a for a in assets if a.properties.get("role") == "customer"]
    assert len(customers) == commune.population // 25


def test_minimum_night_flow_falls_between_two_and_four(year_of):
    t = year_of(900)
    flow = simulate(_inlet(), "water.flow", t, np.random.default_rng(0))
    lt = local_time(t)
    per_day = flow.reshape(365, 96)  # 2025 starts at local 01:00: each row is one day
    hours = lt.hour.reshape(365, 96)[np.arange(365), per_day.argmin(axis=1)]
    assert np.mean((hours >= 1.5) & (hours <= 4.5)) > 0.8


def test_inflow_covers_consumption_plus_losses(year_of):
    t = year_of(900)
    people = 4000
    flow = simulate(_inlet(people), "water.flow", t, np.random.default_rng(0))
    daily = flow.mean() * 24
    consumption = people * 0.150
    # consumption (noise has mean 1) + background losses; no leak on this meter
    assert daily == pytest.approx(consumption * (1 + BACKGROUND_LOSS_SHARE), rel=0.02)
    rendement = consumption / daily
    assert 0.8 < rendement < 0.86


def test_only_the_injected_sector_leaks(year_of):
    t = year_of(900)
    (ref, (days, size)), = INJECTED_LEAK.items()
    leaking = DemoAsset(ref, "water.meter", "Compteur",
                        {"type": "Point", "coordinates": [6.59, 48.01]},
                        {"role": "sector_inlet", "population_served": 4000},
                        metrics=("water.flow", "water.volume"))
    with_leak = simulate(leaking, "water.flow", t, np.random.default_rng(0))
    without = simulate(_inlet(), "water.flow", t, np.random.default_rng(0))
    onset = t[-1] - days * 86_400
    assert 14 <= days <= 35 and 1 <= size <= 5  # a few weeks old, a realistic burst
    # Same people, other noise: equal before the onset, + size after it (on average).
    before, after = t < onset, t >= onset
    assert with_leak[before].mean() == pytest.approx(without[before].mean(), rel=0.01)
    assert with_leak[after].mean() - without[after].mean() == pytest.approx(size, rel=0.1)


def test_volume_index_is_the_integral_of_flow(year_of):
    t = year_of(900)[: 96 * 30]
    flow = simulate(_inlet(), "water.flow", t, np.random.default_rng(0))
    volume = simulate(_inlet(), "water.volume", t, np.random.default_rng(1))
    assert np.all(np.diff(volume) >= 0)
    assert volume[-1] - volume[0] == pytest.approx(flow[1:].sum() * 0.25, rel=0.01)


def test_customer_meter_reads_daily_domestic_use(year_of):
    meter = DemoAsset("CPT-88383-0001", "water.meter", "Abonné",
                      {"type": "Point", "coordinates": [6.59, 48.01]},
                      {"role": "customer", "customer_category": "domestic"},
                      metrics=("water.volume",), step_s=86400)
    index = simulate(meter, "water.volume", year_of(86400), np.random.default_rng(0))
    yearly = index[-1] - index[0]
    assert 80 < yearly < 160  # a French household uses ~120 m³ a year
