"""Demo inventory of the water network, in proportion to each commune's population.

Each commune runs its own service (régie) with one production point (a spring or a
well) and one reservoir. A commune under 5,000 inhabitants is one distribution sector;
a town is cut into sectors of about 3,000 inhabitants — twelve sectors over the ten
communes of the demo territory, three of them in Remiremont. Each sector has its inlet
meter, a few mains and a pressure point; Remiremont's network also carries acoustic
leak loggers. A sample of customer meters is read remotely (about one per 25
inhabitants). Girmont-Val-d'Ajol buys its water from Le Val-d'Ajol.

The service holds the yearly volumes of the last two years as entered from billing
(``demo_years``): every commune meets the décret 2012-97 threshold except
Plombières-les-Bains, whose old cast-iron network loses too much.

The sector whose gardens are watered at night every summer (``simulator.WATERED``) holds
that season as a declared seasonal use, so that the leak detector watches it with caution.
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

import numpy as np
from shapely.geometry import Point

from ....core.clock import PARIS, now_ms
from ....core.registry import DemoAsset, DemoCommune
from ....demo.placement import commune_area, geojson, length_km, point, points_near, split_area
from ..kinds import MATERIALS
from .simulator import WATERED

TOWN_INHABITANTS = 5000  # below, a commune's network is one sector
INHABITANTS_PER_SECTOR = 3000  # in towns
INHABITANTS_PER_READ_METER = 25
PEOPLE_PER_CONNECTION = 2.3
CUSTOMERS_PER_CONNECTION = 1.08  # flats behind one connection have their own subscription
INLET_STEP_S = 900
PRODUCTION_STEP_S = 3600
CUSTOMER_STEP_S = 86_400
RESERVOIR_STEP_S = 3600
PRESSURE_STEP_S = 3600
LOGGER_STEP_S = 86_400  # one report a night
LOGGERS = {"88383": 6}  # acoustic leak loggers per commune

# Yearly volumes of the demo services (see ``demo_years``).
BILLED_M3_PER_INHABITANT = {"88383": 58.0}  # a town bills more (hospital, shops); else:
BILLED_M3_PER_INHABITANT_DEFAULT = 52.0
UNMETERED_SHARE = 0.015  # fire hydrants, fountains
SERVICE_SHARE = 0.010  # flushing, reservoir cleaning
# Rendement (%) of each service in the last whole year: all above the décret threshold
# (about 66 % for these rural networks, ILC ≈ 6 m³/km/day) except Plombières-les-Bains.
DEMO_RENDEMENT = {"88383": 79.5, "88429": 83.2, "88487": 74.6, "88415": 86.1, "88158": 81.4,
                  "88409": 77.3, "88148": 88.0, "88351": 61.8, "88498": 72.5}
DEMO_RENDEMENT_DEFAULT = 80.0
# Bulk sale: seller INSEE -> (buyer INSEE, buyer's name, m³ a year).
BULK_SALES = {"88487": ("88205", "Girmont-Val-d'Ajol", 19_000)}
BULK_PURCHASES = {buyer: (seller, volume) for seller, (buyer, _, volume) in BULK_SALES.items()}
SELLER_NAMES = {"88487": "Le Val-d'Ajol"}


def sector_count(population: int) -> int:
    """One sector for a village, one per started 3,000 inhabitants for a town."""
    if population < TOWN_INHABITANTS:
        return 1
    return math.ceil(population / INHABITANTS_PER_SECTOR)


def demo_years(commune: DemoCommune, mains_length_km: float,
               last_year: int) -> dict[str, dict[str, Any]]:
    """The volumes the demo service entered for its last two whole years (m³).

    Consumption comes from the population; the volume produced is what it takes to reach
    the commune's rendement, (V6 + V3) / (V1 + V2), given its imports and exports.
    """
    out = {}
    for year, drift in ((last_year - 1, 1.0), (last_year, 0.0)):
        per_head = BILLED_M3_PER_INHABITANT.get(commune.insee, BILLED_M3_PER_INHABITANT_DEFAULT)
        billed = round(commune.population * per_head * (1 + drift / 100))
        unmetered, service = round(billed * UNMETERED_SHARE), round(billed * SERVICE_SHARE)
        exported = BULK_SALES.get(commune.insee, (None, None, 0))[2]
        imported = BULK_PURCHASES.get(commune.insee, (None, 0))[1]
        rendement = DEMO_RENDEMENT.get(commune.insee, DEMO_RENDEMENT_DEFAULT) - drift
        entering = (billed + unmetered + service + exported) / (rendement / 100)
        out[str(year)] = {
            "produced_m3": float(max(0, round(entering - imported))),
            "imported_m3": float(imported), "exported_m3": float(exported),
            "metered_consumption_m3": float(billed),
            "unmetered_consumption_m3": float(unmetered),
            "service_volume_m3": float(service),
            "mains_length_km": round(mains_length_km, 1),
            "comment": "Facturation annuelle (relève d'octobre), démonstration",
        }
    return out


def _last_whole_year() -> int:
    return datetime.fromtimestamp(now_ms() / 1000, PARIS).year - 1


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


def _watering_season(inlet: str) -> dict[str, Any]:
    """The sector's declared garden watering season (a yearly use), if it has one."""
    if inlet not in WATERED:
        return {}
    first, last, _ = WATERED[inlet]
    return {"exceptional_uses": [{"id": "arrosage", "start": f"2025-{first}",
                                  "end": f"2025-{last}", "yearly": True,
                                  "label": "Arrosage des jardins du lotissement "
                                           "(programmateurs)"}]}


def demo_inventory(commune: DemoCommune, rng: np.random.Generator) -> list[DemoAsset]:
    area = commune_area(commune)
    service_ref = f"SVC-{commune.insee}"
    n_sectors = sector_count(commune.population)
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
    total_length = 0.0
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
        length = round(max(drawn, served * 0.025), 2)
        total_length += length
        connections = int(served / PEOPLE_PER_CONNECTION)
        assets.append(DemoAsset(
            ref=ref, kind="water.sector", name=f"Secteur {commune.name} {s}",
            geometry=geojson(cell), parent_ref=service_ref,
            properties={"population_served": served, "connections": connections,
                        "customers": round(connections * CUSTOMERS_PER_CONNECTION),
                        "mains_length_km": length, "in_zre": False,
                        **_watering_season(f"CPT-{commune.insee}-S{s}")}))
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

    assets += _points(commune, area, sector_refs, service_ref, rng)
    service = DemoAsset(
        ref=service_ref, kind="water.service", name=f"Service des eaux de {commune.name}",
        geometry=point(commune.lon, commune.lat),
        properties={"management": "regie", "operator": f"Régie des eaux de {commune.name}",
                    "years": demo_years(commune, total_length, _last_whole_year())})
    return [service, *assets]


def _points(commune: DemoCommune, area, sector_refs: list, service_ref: str,
            rng: np.random.Generator) -> list[DemoAsset]:
    """Production, bulk sale and purchase meters, pressure points, acoustic loggers.

    Pressure points, loggers and bulk meters carry no simulated history (read by hand,
    or fed by real devices): the demo simulator models flows and volumes only."""
    out: list[DemoAsset] = []
    insee = commune.insee
    if insee not in BULK_PURCHASES:  # a commune that buys all its water produces none
        x, y = points_near(area, (commune.lon, commune.lat), 1, rng, spread=0.012)[0]
        resource = str(rng.choice(["source", "source", "forage"]))
        out.append(DemoAsset(
            ref=f"CPT-{insee}-P1", kind="water.meter",
            name=f"Compteur de production, {'source' if resource == 'source' else 'forage'} "
                 f"de {commune.name}", parent_ref=service_ref, geometry=point(x, y),
            properties={"role": "production", "resource": resource, "in_zre": False,
                        "diameter_mm": 150, "population_served": commune.population,
                        "serial": f"P{rng.integers(10**7, 10**8)}"},
            metrics=("water.flow", "water.volume"), step_s=PRODUCTION_STEP_S))
    if insee in BULK_SALES:
        buyer, buyer_name, _ = BULK_SALES[insee]
        x, y = points_near(area, (commune.lon, commune.lat), 1, rng, spread=0.02)[0]
        out.append(DemoAsset(
            ref=f"CPT-{insee}-X1", kind="water.meter", name=f"Vente en gros vers {buyer_name}",
            parent_ref=service_ref, geometry=point(x, y),
            properties={"role": "export", "counterpart": buyer_name, "diameter_mm": 80}))
    if insee in BULK_PURCHASES:
        seller = BULK_PURCHASES[insee][0]
        x, y = points_near(area, (commune.lon, commune.lat), 1, rng, spread=0.01)[0]
        out.append(DemoAsset(
            ref=f"CPT-{insee}-I1", kind="water.meter",
            name=f"Achat d'eau à {SELLER_NAMES.get(seller, seller)}", parent_ref=service_ref,
            geometry=point(x, y),
            properties={"role": "import", "counterpart": SELLER_NAMES.get(seller, seller),
                        "diameter_mm": 80}))
    for s, (ref, cell) in enumerate(sector_refs, start=1):
        p = cell.representative_point()
        x, y = points_near(cell, (p.x, p.y), 1, rng, spread=0.004)[0]
        out.append(DemoAsset(
            ref=f"PRS-{insee}-{s}", kind="water.pressure_point",
            name=f"Pression {commune.name} {s}", parent_ref=ref, geometry=point(x, y),
            properties={"min_service_bar": 2.0},
            metrics=("water.pressure",), step_s=PRESSURE_STEP_S))
    for i in range(1, LOGGERS.get(insee, 0) + 1):
        ref, cell = sector_refs[(i - 1) % len(sector_refs)]
        p = cell.representative_point()
        x, y = points_near(cell, (p.x, p.y), 1, rng, spread=0.004)[0]
        out.append(DemoAsset(
            ref=f"ACO-{insee}-{i:02d}", kind="water.acoustic_logger",
            name=f"Prélocalisateur {commune.name} {i}", parent_ref=ref, geometry=point(x, y),
            properties={"fitting": str(rng.choice(["vanne", "poteau_incendie"])),
                        "serial": f"A{rng.integers(10**7, 10**8)}"},
            metrics=("water.leak_alarm", "water.leak_noise"), step_s=LOGGER_STEP_S))
    return out
