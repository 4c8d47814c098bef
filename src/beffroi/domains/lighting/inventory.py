"""Demo inventory of public lighting, in proportion to each commune's population.

Rural French communes count roughly one light point per 5–7 inhabitants and
60–80 light points per control cabinet; the stock mixes recent LED heads with
older sodium and a few banned-from-sale mercury lamps, as real inventories do.
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np

from ...core.registry import DemoAsset, DemoCommune
from ...demo.placement import commune_area, point, points_near

INHABITANTS_PER_LIGHT_POINT = 6
LIGHT_POINTS_PER_CABINET = 70
HISTORY_STEP_S = 3600

# lamp type -> (share of the stock, power range W, colour temperatures K, ULR % range,
#               installation years)
_STOCK = {
    "led": (0.42, (25, 70), (2700, 3000, 3000, 4000), (0.0, 1.0), (2015, 2025)),
    "sodium_hp": (0.43, (70, 150), (2000,), (2.0, 12.0), (1990, 2014)),
    "metal_halide": (0.09, (70, 150), (3000, 4200), (1.0, 8.0), (2000, 2014)),
    "mercury": (0.04, (125, 125), (4000,), (10.0, 20.0), (1978, 1995)),
    "fluorescent": (0.02, (36, 55), (4000,), (5.0, 15.0), (1985, 2005)),
}
_LUMENS_PER_WATT = {"led": 130, "sodium_hp": 100, "metal_halide": 85, "mercury": 50,
                    "fluorescent": 70}


def _random_date(rng: np.random.Generator, first_year: int, last_year: int) -> str:
    start = date(first_year, 1, 1)
    span = (date(last_year, 12, 31) - start).days
    return (start + timedelta(days=int(rng.integers(0, span + 1)))).isoformat()


def _luminaire(rng: np.random.Generator) -> dict:
    types = list(_STOCK)
    lamp = types[rng.choice(len(types), p=[_STOCK[t][0] for t in types])]
    _, (p_lo, p_hi), temps, (u_lo, u_hi), (y_lo, y_hi) = _STOCK[lamp]
    power = float(round(rng.uniform(p_lo, p_hi) / 5) * 5) or float(p_lo)
    return {
        "category": str(rng.choice(["a"] * 17 + ["b", "b", "e"])),
        "lamp_type": lamp,
        "power_w": power,
        "flux_lm": round(power * _LUMENS_PER_WATT[lamp]),
        "color_temperature_k": int(rng.choice(temps)),
        "ulr_percent": round(float(rng.uniform(u_lo, u_hi)), 1),
        "cie_flux_code_3_percent": round(float(rng.uniform(95, 100) if lamp == "led"
                                               else rng.uniform(70, 95)), 1),
        "head_installed": _random_date(rng, y_lo, y_hi),
        "mast_height_m": float(rng.choice([4.0, 6.0, 6.0, 8.0, 10.0])),
        "dimmable": bool(lamp == "led" and rng.random() < 0.6),
    }


def demo_inventory(commune: DemoCommune, rng: np.random.Generator) -> list[DemoAsset]:
    area = commune_area(commune)
    n_points = max(20, round(commune.population / INHABITANTS_PER_LIGHT_POINT))
    n_cabinets = max(1, round(n_points / LIGHT_POINTS_PER_CABINET))
    cabinet_at = points_near(area, (commune.lon, commune.lat), n_cabinets, rng, spread=0.008)
    per_cabinet = rng.multinomial(n_points - n_cabinets, [1 / n_cabinets] * n_cabinets) + 1
    cut_share = 0.3 if commune.population > 5000 else 0.65

    assets: list[DemoAsset] = []
    number = 0
    for c, ((x, y), count) in enumerate(zip(cabinet_at, per_cabinet, strict=True), start=1):
        cabinet_ref = f"ARM-{commune.insee}-{c:03d}"
        luminaires = [_luminaire(rng) for _ in range(int(count))]
        losses = [1.0 if lum["lamp_type"] == "led" else 1.15 for lum in luminaires]
        connected_kw = sum(lum["power_w"] * k for lum, k in zip(luminaires, losses, strict=True))
        night_cut = bool(rng.random() < cut_share)
        cabinet = {
            "switching": str(rng.choice(["astronomical_clock", "astronomical_clock", "photocell",
                                         "clock"])),
            "night_cut": night_cut,
            "connected_power_kw": round(connected_kw / 1000, 2),
            "subscribed_power_kva": float(max(3, int(np.ceil(connected_kw / 1000 / 3)) * 3)),
            "delivery_point": f"{rng.integers(10**13, 10**14 - 1):014d}",
            "installed": _random_date(rng, 1985, 2022),
        }
        if night_cut:
            cabinet["cut_start"], cabinet["cut_end"] = (
                ("23:00", "05:00") if rng.random() < 0.7 else ("22:30", "05:30"))
        assets.append(DemoAsset(
            ref=cabinet_ref, kind="lighting.cabinet", name=f"Armoire {commune.name} n°{c}",
            geometry=point(x, y), properties=cabinet,
            metrics=("power.active", "energy.active_import"), step_s=HISTORY_STEP_S))
        for (lx, ly), props in zip(points_near(area, (x, y), len(luminaires), rng, spread=0.002),
                                   luminaires, strict=True):
            number += 1
            assets.append(DemoAsset(
                ref=f"LUM-{commune.insee}-{number:04d}", kind="lighting.luminaire",
                name=f"Point lumineux {commune.name} {number}", geometry=point(lx, ly),
                properties=props, parent_ref=cabinet_ref))
    return assets
