"""Demo inventory of public buildings, in proportion to each commune's population.

Every commune has its mairie and a village hall; schools come at about one per
1,200 inhabitants, then a gymnasium, workshop, library, crèche and a swimming
pool as the commune grows — about one public building per 400–500 inhabitants.
Two classrooms per school and the crèche's dormitory carry comfort/CO2 sensors.
"""

from __future__ import annotations

import numpy as np

from ....core.registry import DemoAsset, DemoCommune
from ....demo.placement import commune_area, point, points_near

METER_STEP_S = 3600
ROOM_STEP_S = 3600
CLASSROOMS_WITH_SENSORS = 2

# usage -> (label, minimum population, floor area range m²)
_PROGRAMME = (
    ("mairie", "Mairie", 0, (250, 1400)),
    ("salle_polyvalente", "Salle polyvalente", 0, (250, 900)),
    ("ecole", "École", 400, (500, 1600)),
    ("atelier", "Ateliers municipaux", 1500, (300, 900)),
    ("bibliotheque", "Médiathèque", 1800, (200, 800)),
    ("gymnase", "Gymnase", 2000, (900, 2200)),
    ("creche", "Multi-accueil", 3000, (250, 600)),
    ("piscine", "Piscine", 7000, (1500, 2500)),
)
INHABITANTS_PER_SCHOOL = 1200
# Buildings whose water meter is read remotely (the night-water detector watches them).
WATER_METERED = ("mairie", "ecole", "gymnase", "creche")


def _programme(population: int) -> list[tuple[str, str, tuple[int, int]]]:
    out = []
    for usage, label, minimum, areas in _PROGRAMME:
        if population < minimum:
            continue
        count = max(1, population // INHABITANTS_PER_SCHOOL) if usage == "ecole" else 1
        out += [(usage, label if count == 1 else f"{label} n°{i}", areas)
                for i in range(1, count + 1)]
    return out


def demo_inventory(commune: DemoCommune, rng: np.random.Generator) -> list[DemoAsset]:
    area = commune_area(commune)
    programme = _programme(commune.population)
    places = points_near(area, (commune.lon, commune.lat), len(programme), rng, spread=0.004)
    assets: list[DemoAsset] = []
    for b, ((usage, label, (a_lo, a_hi)), (x, y)) in enumerate(
            zip(programme, places, strict=True), start=1):
        ref = f"BAT-{commune.insee}-{b:02d}"
        floor_area = float(round(rng.uniform(a_lo, a_hi), -1))
        heating = str(rng.choice(["gaz", "gaz", "fioul", "electrique", "bois", "pompe_a_chaleur"]))
        assets.append(DemoAsset(
            ref=ref, kind="buildings.building", name=f"{label} de {commune.name}",
            geometry=point(x, y),
            properties={"usage": usage, "floor_area_m2": floor_area,
                        "built_year": int(rng.integers(1880, 2020)), "heating": heating,
                        "tertiary_decree": floor_area >= 1000},
            metrics=("energy.active_import",) + (("water.volume",) if usage in WATER_METERED
                                                 else ()), step_s=METER_STEP_S))
        rooms = ([("classe", f"Classe {i}", 26) for i in range(1, CLASSROOMS_WITH_SENSORS + 1)]
                 if usage == "ecole" else
                 [("dortoir", "Dortoir", 12)] if usage == "creche" else [])
        for r, (room_type, room_label, capacity) in enumerate(rooms, start=1):
            assets.append(DemoAsset(
                ref=f"{ref}-P{r}", kind="buildings.room", name=f"{room_label} — {label}",
                geometry=point(x + 0.00005 * r, y), parent_ref=ref,
                properties={"room_type": room_type, "capacity": capacity,
                            "floor_area_m2": float(rng.integers(45, 65)),
                            "ventilation": str(rng.choice(["naturelle", "naturelle",
                                                           "vmc_simple_flux",
                                                           "vmc_double_flux"]))},
                metrics=("air.temperature", "air.co2"), step_s=ROOM_STEP_S))
    return assets
