"""Demo inventory of the water network, in proportion to each commune's population.

One distribution sector per started 4,000 inhabitants, each with its inlet meter
and a few mains; one reservoir per commune; a sample of remotely read customer
meters (about one per 25 inhabitants).
"""

from __future__ import annotations

import numpy as np
from shapely.geometry import Point

from ...core.registry import DemoAsset, DemoCommune
from ...demo.placement import commune_area, geojson, length_km, point, points_near, split_area
from .kinds import MATERIALS

INHABITANTS_PER_SECTOR = 4000
INHABITANTS_PER_READ_METER = 25
PEOPLE_PER_CONNECTION = 2.3
INLET_STEP_S = 900
CUSTOMER_STEP_S = 86_400
RESERVOIR_STEP_S = 3600


def _mains(sector_ref: str, shape_, start: tuple[float, float], rng: np.random.Generator,
           insee: str, first: int) -> list[DemoAsset]:
    out = []
    for i in range(4):
        ends = points_near(shape_, start, 3, rng, spread=0.004)
        coords = [start, *ends]
        out.append(DemoAsset(
            ref=f"CAN-{insee}-{first + i:03d}", kind="water.main",
            name=f"Canalisation {first + i}", parent_ref=sector_ref,
            geometry={"type": "LineString", "coordinates": [list(c) for c in coords]},
            properties={"diameter_mm": int(rng.choice([60, 80, 100, 125, 150, 200])),
                        "material": str(rng.choice(MATERIALS)),
                        "laid_year": int(rng.integers(1950, 2024))}))
    return out


def demo_inventory(commune: DemoCommune, rng: np.random.Generator) -> list[DemoAsset]:
    area = commune_area(commune)
    n_sectors = 1 + commune.population // INHABITANTS_PER_SECTOR
    cells = split_area(area, n_sectors, rng)
    shares = rng.dirichlet([4.0] * len(cells))
    assets: list[DemoAsset] = []

    rx, ry = points_near(area, (commune.lon, commune.lat), 1, rng, spread=0.01)[0]
    assets.append(DemoAsset(
        ref=f"RES-{commune.insee}-1", kind="water.reservoir", name=f"Réservoir de {commune.name}",
        geometry=point(rx, ry),
        properties={"capacity_m3": float(max(100, round(commune.population * 0.3, -1))),
                    "max_level_m": 5.0},
        metrics=("water.level",), step_s=RESERVOIR_STEP_S))

    sector_refs = []
    for s, (cell, share) in enumerate(zip(cells, shares, strict=True), start=1):
        ref = f"SEC-{commune.insee}-{s}"
        sector_refs.append((ref, cell))
        served = int(round(commune.population * share))
        centre = cell.representative_point()
        mains = _mains(ref, cell, (round(centre.x, 6), round(centre.y, 6)), rng, commune.insee,
                       first=4 * (s - 1) + 1)
        # The drawn mains are a sketch; the declared length is the realistic network
        # length (rural networks run ~ 25 m of main per inhabitant).
        drawn = sum(length_km(m.geometry["coordinates"]) for m in mains)
        assets.append(DemoAsset(
            ref=ref, kind="water.sector", name=f"Secteur {commune.name} {s}",
            geometry=geojson(cell),
            properties={"population_served": served,
                        "connections": int(served / PEOPLE_PER_CONNECTION),
                        "mains_length_km": round(max(drawn, served * 0.025), 2)}))
        assets.append(DemoAsset(
            ref=f"CPT-{commune.insee}-S{s}", kind="water.meter",
            name=f"Compteur de sectorisation {commune.name} {s}", parent_ref=ref,
            geometry=point(centre.x, centre.y),
            properties={"role": "sector_inlet", "diameter_mm": 100, "population_served": served,
                        "serial": f"S{rng.integers(10**7, 10**8)}"},
            metrics=("water.flow", "water.volume"), step_s=INLET_STEP_S))
        assets += mains

    n_read = max(2, commune.population // INHABITANTS_PER_READ_METER)
    for i, (x, y) in enumerate(points_near(area, (commune.lon, commune.lat), n_read, rng,
                                           spread=0.006), start=1):
        parent = next((ref for ref, cell in sector_refs if cell.contains(Point(x, y))),
                      sector_refs[0][0])
        category = str(rng.choice(["domestic"] * 18 + ["non_domestic", "public"]))
        assets.append(DemoAsset(
            ref=f"CPT-{commune.insee}-{i:04d}", kind="water.meter",
            name=f"Compteur abonné {commune.name} {i}", parent_ref=parent, geometry=point(x, y),
            properties={"role": "customer", "customer_category": category,
                        "diameter_mm": 15 if category == "domestic" else 30,
                        "serial": f"C{rng.integers(10**7, 10**8)}"},
            metrics=("water.volume",), step_s=CUSTOMER_STEP_S))
    return assets
