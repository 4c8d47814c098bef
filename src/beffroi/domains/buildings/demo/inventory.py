"""Demo inventory of public buildings, in proportion to each commune's population.

Every commune has its mairie and a village hall; schools come at about one per
1,200 inhabitants, then a gymnasium, workshop, library, crèche and a swimming
pool as the commune grows — about one public building per 400–500 inhabitants.
Two classrooms per school and the crèche's dormitory carry comfort/CO2 sensors.

Décret tertiaire: exactly two buildings are subject, both in Remiremont, the seat of the
communauté de communes — its headquarters (offices and the council room) and the
« Groupe scolaire du Centre » (``DECREE_BUILDINGS``), each with its tertiary areas per
OPERAT activity, OPERAT identifier, site, reference year 2019 and its invoiced
consumption per energy for 2019 and 2023–2025. Every other building stays under
1,000 m² (the programme's areas stop at 990 m²), so no other one is subject.

Orders of magnitude: the absolute targets Cabs 2030 of the arrêté du 10 avril 2020
(annexe II, zone H1b, 400–800 m, the Vosges) are 127 kWh/m² for standard offices
(CVC 77 + USE 50) and 116 kWh/m² for elementary classrooms (CVC 96 + USE 20); an
unrenovated building of the 1960s–70s consumes well above them: 200 kWh/m² for the
headquarters (gas heating) and 176 kWh/m² for the school (fuel oil) in 2019, then −14 %
to −26 % by 2025 (boiler regulation, LED lighting, roof insulation). The share of
heating (62 %, 72 %) is that of the heating energy in the total, the order of magnitude
of public buildings heated by a boiler in a cold climate.
"""

from __future__ import annotations

import copy

import numpy as np

from ....core.registry import DemoAsset, DemoCommune
from ....demo.placement import commune_area, point, points_near

METER_STEP_S = 3600
ROOM_STEP_S = 3600
CLASSROOMS_WITH_SENSORS = 2

# usage -> (label, minimum population, floor area range m²): all under 1,000 m² so that
# only the two ``DECREE_BUILDINGS`` are subject to the décret tertiaire.
_PROGRAMME = (
    ("mairie", "Mairie", 0, (250, 950)),
    ("salle_polyvalente", "Salle polyvalente", 0, (250, 900)),
    ("ecole", "École", 400, (500, 950)),
    ("atelier", "Ateliers municipaux", 1500, (300, 900)),
    ("bibliotheque", "Médiathèque", 1800, (200, 800)),
    ("gymnase", "Gymnase", 2000, (700, 980)),
    ("creche", "Multi-accueil", 3000, (250, 600)),
    ("piscine", "Piscine", 7000, (800, 990)),
)
INHABITANTS_PER_SCHOOL = 1200
# Buildings whose water meter is read remotely (the night-water detector watches them).
WATER_METERED = ("mairie", "ecole", "gymnase", "creche")

SEAT_INSEE = "88383"  # Remiremont, seat of the CC de la Porte des Vosges Méridionales
WEATHER_STATION_REF = f"METEO-{SEAT_INSEE}"  # the risks demo's weather station
OFFICE_HOURS = "MON,TUE,WED,THU,FRI 08:30-12:00,13:30-17:30"
SCHOOL_HOURS = "MON,TUE,THU,FRI 08:30-11:30,13:30-16:30"
# The two buildings subject to the décret tertiaire: (label, properties, classrooms as
# (name, ventilation)). Consumption in kWh from invoices (fuel oil: kWh PCI of the litres
# delivered, 9.97 kWh/l); 2019 is the reference year.
DECREE_BUILDINGS = (
    ("Siège de la communauté de communes", {
        "usage": "bureaux", "floor_area_m2": 1450.0, "built_year": 1978,
        "heating": "gaz", "hot_water": "electrique", "site": "Siège de la CC",
        "tertiary_areas": [
            {"activity": "Bureaux - Bureaux Standards (cloisonnés - attribués)",
             "area_m2": 1180.0},
            {"activity": "Bureaux - Grande salle de réunion - Auditorium - Amphithéâtre",
             "area_m2": 270.0}],
        "tertiary_decree": True, "operat_id": "EFA-DEMO-000101", "reference_year": 2019,
        "annual_energy": {
            "2019": {"electricite_kwh": 92000.0, "gaz_kwh": 198000.0},
            "2023": {"electricite_kwh": 86500.0, "gaz_kwh": 162000.0},
            "2024": {"electricite_kwh": 82000.0, "gaz_kwh": 153000.0},
            "2025": {"electricite_kwh": 78000.0, "gaz_kwh": 142000.0}},
        "heating_share_pct": 62.0, "weather_station_ref": WEATHER_STATION_REF,
        "opening_hours": OFFICE_HOURS, "closed_public_holidays": True,
        "setpoint_occupied_c": 19.0, "setpoint_unoccupied_c": 16.0}, ()),
    ("Groupe scolaire du Centre", {
        "usage": "ecole", "floor_area_m2": 1850.0, "built_year": 1965,
        "heating": "fioul", "hot_water": "electrique", "site": "Groupe scolaire du Centre",
        "tertiary_areas": [
            {"activity": "Enseignement primaire - Salle d'enseignement Elémentaire",
             "area_m2": 1250.0},
            {"activity": "Enseignement primaire - Salle multi-activités et Périscolaire",
             "area_m2": 600.0}],
        "tertiary_decree": True, "operat_id": "EFA-DEMO-000102", "reference_year": 2019,
        "annual_energy": {
            "2019": {"electricite_kwh": 64000.0, "fioul_kwh": 262000.0},
            "2023": {"electricite_kwh": 60000.0, "fioul_kwh": 224000.0},
            "2024": {"electricite_kwh": 57500.0, "fioul_kwh": 205000.0},
            "2025": {"electricite_kwh": 55000.0, "fioul_kwh": 188000.0}},
        "heating_share_pct": 72.0, "weather_station_ref": WEATHER_STATION_REF,
        "opening_hours": SCHOOL_HOURS, "school_zone": "B", "closed_school_holidays": True,
        "closed_public_holidays": True, "setpoint_occupied_c": 19.0,
        "setpoint_unoccupied_c": 16.0,
        "air_referent": "direction.gs-centre@remiremont.example"},
     (("Classe CM1", "naturelle"), ("Classe CE2", "vmc_double_flux"))),
)


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
                        "built_year": int(rng.integers(1880, 2020)), "heating": heating},
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
    if commune.insee == SEAT_INSEE:
        assets += _decree_buildings(commune, len(programme), rng)
    return assets


def _decree_buildings(commune: DemoCommune, numbered: int,
                      rng: np.random.Generator) -> list[DemoAsset]:
    """The headquarters and the school group, numbered after the programme (drawn last:
    the other buildings keep their places and properties)."""
    places = points_near(commune_area(commune), (commune.lon, commune.lat),
                         len(DECREE_BUILDINGS), rng, spread=0.003)
    out = []
    for b, ((label, props, classrooms), (x, y)) in enumerate(
            zip(DECREE_BUILDINGS, places, strict=True), start=numbered + 1):
        ref = f"BAT-{commune.insee}-{b:02d}"
        out.append(DemoAsset(ref=ref, kind="buildings.building",
                             name=f"{label} ({commune.name})", geometry=point(x, y),
                             properties=copy.deepcopy(props),
                             metrics=("energy.active_import",), step_s=METER_STEP_S))
        for r, (room_label, ventilation) in enumerate(classrooms, start=1):
            out.append(DemoAsset(
                ref=f"{ref}-P{r}", kind="buildings.room", name=f"{room_label} — {label}",
                geometry=point(x + 0.00005 * r, y), parent_ref=ref,
                properties={"room_type": "classe", "capacity": 26, "floor_area_m2": 56.0,
                            "ventilation": ventilation},
                metrics=("air.temperature", "air.co2"), step_s=ROOM_STEP_S))
    return out
