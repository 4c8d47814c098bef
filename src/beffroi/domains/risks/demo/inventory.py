"""Demo inventory of climate risks on the Porte des Vosges Méridionales.

The Moselle crosses Vecoux, Remiremont and Éloyes, the Combeauté Le Val-d'Ajol:
each gets a gauge and a flood zone along the river; Remiremont hosts the weather
station; every commune has its forest massif (the Vosges are two-thirds forest).
"""

from __future__ import annotations

import numpy as np
from shapely import affinity
from shapely.geometry import Point

from ....core.registry import DemoAsset, DemoCommune
from ....demo.placement import commune_area, geojson, point, points_near
from .hydrology import rating_height

# INSEE -> (river, interannual mean flow m³/s) — orders of magnitude, demo only.
GAUGED_RIVERS = {
    "88498": ("Moselle", 12.0),
    "88383": ("Moselle", 20.0),
    "88158": ("Moselle", 26.0),
    "88487": ("Combeauté", 2.5),
}
WEATHER_STATION_COMMUNE = "88383"
GAUGE_STEP_S = 900
WEATHER_STEP_S = 3600
# Vigilance thresholds as multiples of the mean flow (yellow, orange, red).
THRESHOLD_FLOWS = (4.0, 7.0, 10.0)


def _hectares(geom) -> float:
    lat = geom.representative_point().y
    return geom.area * 111.32 * np.cos(np.radians(lat)) * 110.57 * 100


def demo_inventory(commune: DemoCommune, rng: np.random.Generator) -> list[DemoAsset]:
    area = commune_area(commune)
    assets: list[DemoAsset] = []
    if commune.insee in GAUGED_RIVERS:
        river, mean_flow = GAUGED_RIVERS[commune.insee]
        x, y = points_near(area, (commune.lon, commune.lat), 1, rng, spread=0.003)[0]
        yellow, orange, red = (round(float(rating_height(np.array([k * mean_flow]), mean_flow)[0]), 2)
                               for k in THRESHOLD_FLOWS)
        assets.append(DemoAsset(
            ref=f"HYD-{commune.insee}", kind="risks.gauge",
            name=f"{river} à {commune.name}", geometry=point(x, y),
            properties={"river": river, "mean_flow_m3s": mean_flow, "level_yellow_m": yellow,
                        "level_orange_m": orange, "level_red_m": red},
            metrics=("hydro.level", "hydro.flow"), step_s=GAUGE_STEP_S))
        band = affinity.rotate(affinity.scale(Point(x, y).buffer(0.004), 3.0, 0.6),
                               float(rng.uniform(-30, 30)))
        zone = band.intersection(area)
        if not zone.is_empty:
            assets.append(DemoAsset(
                ref=f"ZI-{commune.insee}-1", kind="risks.flood_zone",
                name=f"Zone inondable de la {river} à {commune.name}", geometry=geojson(zone),
                properties={"hazard": "moyen", "source": "AZI (démonstration)", "river": river,
                            # flooded from the gauge's orange height (the January flood)
                            "reference_station": f"HYD-{commune.insee}",
                            "flood_level_m": orange}))
    if commune.insee == WEATHER_STATION_COMMUNE:
        x, y = points_near(area, (commune.lon, commune.lat), 1, rng, spread=0.004)[0]
        assets.append(DemoAsset(
            ref=f"METEO-{commune.insee}", kind="risks.weather_station",
            name=f"Station météo de {commune.name}", geometry=point(x, y),
            properties={"altitude_m": 400.0, "operator": "Communauté de communes"},
            metrics=("air.temperature", "air.humidity", "weather.precipitation",
                     "weather.wind_speed"),
            step_s=WEATHER_STEP_S))
    forest = area.difference(Point(commune.lon, commune.lat).buffer(0.012))
    if forest.geom_type == "MultiPolygon":
        forest = max(forest.geoms, key=lambda g: g.area)
    if not forest.is_empty:
        assets.append(DemoAsset(
            ref=f"FOR-{commune.insee}", kind="risks.forest", name=f"Forêt de {commune.name}",
            geometry=geojson(forest.simplify(0.0005)),
            properties={"area_ha": round(_hectares(forest)),
                        "dominant_species": str(rng.choice(["sapin", "épicéa", "hêtre"]))}))
    return assets
