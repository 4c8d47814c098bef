"""Demo inventory of public lighting, in proportion to each commune's population.

Rural French communes count roughly one light point per 5–7 inhabitants and 60–80 light
points per control cabinet. Renovation goes street by street, so a cabinet is either
renovated (LED heads, mostly installed since 2016) or still old stock (high-pressure
sodium from 1985–2014, a few metal halide, very few mercury lamps left to replace). Old
stock often lacks art. 5 data (ULR, CIE flux code, installation date): the completeness
report has something real to say.

Each commune also gets what makes the compliance report worth reading:

- a church lit by heritage lighting (category b) on its own clock, car parks (e) with
  their lit areas (``lighting.lit_area``), in larger communes a renovated main street
  with its lit area and a municipal depot lit in working hours only (a, tied to an
  activity), in some a trame noire corridor (``lighting.dark_corridor``);
- ``PLANTED``: a handful of luminaires installed after 2020 that break a rule on
  purpose (4000 K in category a, a car park at 3 % ULR, a church lit until 02:00…).

Cabinets carry their programme (``programme``: a preset or a full programme, see
``programmes``): small communes mostly switch off from 23:00 to 05:00 (some from midnight
in summer), larger ones dim or burn all night. Renovated cabinets of the larger communes
are partly remote-managed, with a controller (``DemoAsset.device``).
"""

from __future__ import annotations

import math
from datetime import date, timedelta
from typing import Any

import numpy as np
from shapely.geometry import LineString, Point, box
from shapely.geometry.base import BaseGeometry

from ....core.registry import DemoAsset, DemoCommune
from ....demo.placement import commune_area, geojson, point, points_near

INHABITANTS_PER_LIGHT_POINT = 6
LIGHT_POINTS_PER_CABINET = 70
HISTORY_STEP_S = 3600
DEVICE_MODEL = "beffroi-lighting-v1"
FAULTY_CABINETS = ("ARM-88383-002", "ARM-88383-003")  # simulator.INJECTED_FAULTS: not remote
REMOTE_CABINET = "ARM-88383-001"  # a renovated, remote-managed cabinet in Remiremont

_EFFICACY = {"led": (120, 150), "sodium_hp": (95, 110), "metal_halide": (80, 95),
             "mercury": (50, 50), "fluorescent": (65, 75)}
_LOSSES = 1.15  # ballast losses of discharge lamps (LED drivers: counted in the power)
CUSTOM_PROGRAMMES = (
    {"label": "Extinction de minuit à 5 h 30",
     "steps": [{"at": "sunset", "level": 100}, {"at": "00:00", "level": 0},
               {"at": "05:30", "level": 100}, {"at": "sunrise", "level": 0}]},
    {"label": "Abaissement à 30 % de 21 h 30 à 6 h",
     "steps": [{"at": "sunset", "level": 100}, {"at": "21:30", "level": 30},
               {"at": "06:00", "level": 100}, {"at": "sunrise", "level": 0}]},
)
# Non-compliant on purpose (heads installed after 2020): commune -> (case, count); the
# count is the number of heads for the cases that plant several (4000 K street heads,
# 3000 K heads in the reserve, mercury lamps), the car park cases concern a whole car park.
PLANTED: dict[str, tuple[tuple[str, int], ...]] = {
    "88383": (("cct_4000_street", 3),),
    "88429": (("car_park_ulr_3", 1),),
    "88487": (("church_until_2am", 1),),
    "88415": (("car_park_dense", 1),),
    "88158": (("reserve_3000k", 3),),
    "88351": (("car_park_late", 1),),
    "88148": (("building_late", 1),),
    "88409": (("tilted_head", 1),),
    "88205": (("mercury_left", 2),),
}
# Communes with a trame noire corridor: insee -> (protection status, name).
CORRIDORS = {
    "88383": ("none", "Corridor de trame noire — vallée"),
    "88487": ("none", "Corridor de trame noire — ruisseau"),
    "88158": ("nature_reserve", "Réserve naturelle (zone fictive de démonstration)"),
}


def _metres(lat: float) -> tuple[float, float]:
    """Degrees per metre (longitude, latitude) at a latitude."""
    return 1 / (111_320 * math.cos(math.radians(lat))), 1 / 110_600


def _random_date(rng: np.random.Generator, first_year: int, last_year: int) -> str:
    start = date(first_year, 1, 1)
    span = (date(last_year, 12, 31) - start).days
    return (start + timedelta(days=int(rng.integers(0, span + 1)))).isoformat()


def _flux(rng: np.random.Generator, lamp: str, power: float) -> int:
    lo, hi = _EFFICACY[lamp]
    return int(round(power * rng.uniform(lo, hi), -1))


def _led(rng: np.random.Generator, *, since: int = 2016, category: str = "a",
         built_up: bool = True) -> dict[str, Any]:
    """A LED head: compliant when installed from 2020 (art. 3 applies), whatever before."""
    installed = _random_date(rng, since, 2025)
    recent = installed >= "2020"
    power = float(rng.choice([20, 25, 30, 35, 40, 50]))
    flux = _flux(rng, "led", power)
    props = {
        "category": category, "lamp_type": "led", "power_w": power, "flux_lm": flux,
        "color_temperature_k": int(rng.choice([2700, 3000, 3000]) if recent
                                   else rng.choice([3000, 4000, 4000])),
        "ulr_percent": round(float(rng.uniform(0, 0.5) if recent else rng.uniform(0, 3)), 1),
        "cie_flux_code_3_percent": round(float(rng.uniform(95, 100)), 1),
        "head_installed": installed, "mast_height_m": float(rng.choice([4.0, 6.0, 6.0, 8.0])),
        "dimmable": bool(rng.random() < 0.7), "built_up_area": built_up,
        "protected_area": "none",
    }
    if recent and category == "a" and rng.random() < 0.95:
        # Renovation studies give the lit surface of each point; kept below the limit.
        target = rng.uniform(10, 28) if built_up else rng.uniform(8, 20)
        props["lit_area_m2"] = float(round(flux / target))
    return props


def _old(rng: np.random.Generator, *, mercury_share: float, built_up: bool = True
         ) -> dict[str, Any]:
    """A head of the old stock: discharge lamps, data often incomplete."""
    roll = rng.random()
    lamp = ("mercury" if roll < mercury_share else "metal_halide" if roll < 0.09
            else "fluorescent" if roll < 0.11 else "sodium_hp")
    power = {"sodium_hp": float(rng.choice([70, 100, 100, 150])),
             "metal_halide": float(rng.choice([70, 100, 150])),
             "mercury": 125.0, "fluorescent": float(rng.choice([36, 55]))}[lamp]
    years = {"sodium_hp": (1985, 2014), "metal_halide": (2000, 2014), "mercury": (1975, 1992),
             "fluorescent": (1985, 2005)}[lamp]
    installed = _random_date(rng, *years)
    old = installed < "2005"
    props: dict[str, Any] = {
        "category": "a", "lamp_type": lamp, "power_w": power, "flux_lm": _flux(rng, lamp, power),
        "color_temperature_k": {"sodium_hp": 2000, "mercury": 4000, "fluorescent": 4000,
                                "metal_halide": int(rng.choice([3000, 4200]))}[lamp],
        "ulr_percent": round(float(rng.uniform(0.5, 15)), 1),
        "cie_flux_code_3_percent": round(float(rng.uniform(70, 95)), 1),
        "head_installed": installed, "mast_height_m": float(rng.choice([6.0, 8.0, 8.0, 10.0])),
        "dimmable": False, "built_up_area": built_up, "protected_area": "none",
    }
    if old and rng.random() < 0.4:
        del props["ulr_percent"]  # never measured on these old lanterns
    if old and rng.random() < 0.5:
        del props["cie_flux_code_3_percent"]
    if installed < "2000" and rng.random() < 0.2:
        del props["head_installed"]  # "pre-2000", says the old register
    if rng.random() < 0.04:
        del props["built_up_area"]
    return props


def _programme(rng: np.random.Generator, large: bool, remote: bool) -> dict[str, Any]:
    if remote:
        return ({"preset": "dim_50_22_6"} if rng.random() < 0.6
                else dict(CUSTOM_PROGRAMMES[1]))
    roll = rng.random()
    if not large:
        preset = ("cut_23_5" if roll < 0.65 else "cut_23_5_summer_midnight" if roll < 0.85
                  else "dusk_to_dawn")
        return {"preset": preset}
    if roll < 0.85:
        return {"preset": "dim_50_22_6" if roll < 0.4 else "dusk_to_dawn" if roll < 0.65
                else "cut_23_5"}
    return dict(CUSTOM_PROGRAMMES[0])


def _rectangle(area: BaseGeometry, near: tuple[float, float], width_m: float, height_m: float,
               rng: np.random.Generator, taken: list[BaseGeometry]) -> BaseGeometry:
    """A width × height rectangle near a point, inside the commune, clear of ``taken``."""
    dx, dy = _metres(near[1])
    for spread in (0.0015, 0.003, 0.006, 0.012):
        for _ in range(30):
            (x, y), = points_near(area, near, 1, rng, spread=spread)
            rect = box(x - width_m / 2 * dx, y - height_m / 2 * dy, x + width_m / 2 * dx,
                       y + height_m / 2 * dy)
            if area.contains(rect) and not any(rect.buffer(0.0003).intersects(t) for t in taken):
                return rect
    raise RuntimeError("no room for a demo zone")


def _grid(rect: BaseGeometry, n: int) -> list[tuple[float, float]]:
    """``n`` positions spread over a rectangle (rows along its long side)."""
    minx, miny, maxx, maxy = rect.bounds
    rows = 1 if n <= 3 else 2
    cols = math.ceil(n / rows)
    out = []
    for i in range(n):
        r, c = divmod(i, cols)
        out.append((minx + (maxx - minx) * (c + 0.5) / cols,
                    miny + (maxy - miny) * (r + 0.5) / rows))
    return [(round(x, 6), round(y, 6)) for x, y in out]


class _Builder:
    """Accumulates one commune's assets; groups replace some of a cabinet's luminaires."""

    def __init__(self, commune: DemoCommune, rng: np.random.Generator) -> None:
        self.commune, self.rng = commune, rng
        self.area = commune_area(commune)
        self.zones: list[DemoAsset] = []
        self.taken: list[BaseGeometry] = []
        self.groups: dict[str, list[tuple[tuple[float, float], dict[str, Any]]]] = {}

    def zone(self, kind: str, suffix: str, name: str, geom: BaseGeometry,
             props: dict[str, Any]) -> None:
        ref = f"{'ZE' if kind == 'lighting.lit_area' else 'TN'}-{self.commune.insee}-{suffix}"
        self.zones.append(DemoAsset(ref=ref, kind=kind, name=name, geometry=geojson(geom),
                                    properties=props))
        self.taken.append(geom)

    def group(self, cabinet: str, members: list[tuple[tuple[float, float], dict[str, Any]]]
              ) -> None:
        self.groups.setdefault(cabinet, []).extend(members)


def _church(b: _Builder, cabinet: str, near: tuple[float, float], until_2am: bool) -> None:
    rng = b.rng
    rect = _rectangle(b.area, near, 30, 20, rng, b.taken)
    b.taken.append(rect)
    n = 3 if until_2am else int(rng.integers(2, 5))
    members = []
    for i, xy in enumerate(_grid(rect, n)):
        props = _led(rng, since=2012, category="b")
        props.pop("lit_area_m2", None)
        props.update(color_temperature_k=3000, mast_height_m=1.0, dimmable=False,
                     switch_off=str(rng.choice(["23:00", "00:00", "00:30"])))
        if until_2am and i == 0:
            props.update(head_installed="2022-10-14", switch_off="02:00")
        members.append((xy, props))
    b.group(cabinet, members)


def _car_park(b: _Builder, cabinet: str, near: tuple[float, float], number: int,
              case: str | None) -> None:
    rng = b.rng
    width, height = (70, 40) if case == "car_park_dense" else (50, 30)
    rect = _rectangle(b.area, near, width, height, rng, b.taken)
    n = 8 if case == "car_park_dense" else int(rng.integers(4, 7))
    members = []
    for i, xy in enumerate(_grid(rect, n)):
        props = _led(rng, since=2020, category="e")
        props.pop("lit_area_m2", None)
        props.pop("built_up_area")  # the lit area says it
        props.update(power_w=30.0, flux_lm=4000, color_temperature_k=3000)
        if case == "car_park_ulr_3" and i == 0:
            props.update(ulr_percent=3.0, head_installed="2021-06-02")
        if case == "car_park_dense":
            props.update(power_w=100.0, flux_lm=15000, head_installed="2023-03-20")
        if case == "car_park_late":  # the car park of a spa, closed at 20:00
            props.update(activity_related=True, activity_start="09:00", activity_end="20:00",
                         head_installed="2021-09-01")
        members.append((xy, props))
    b.zone("lighting.lit_area", f"P{number}", f"Parking n°{number} — {b.commune.name}", rect,
           {"category": "e", "built_up_area": True})
    b.group(cabinet, members)


def _main_street(b: _Builder, cabinet: str, near: tuple[float, float], planted_4000k: int
                 ) -> None:
    rng = b.rng
    rect = _rectangle(b.area, near, 330, 12, rng, b.taken)
    members = []
    for i, xy in enumerate(_grid(rect, 11)):
        props = _led(rng, since=2020)
        props.pop("lit_area_m2", None)
        props.pop("built_up_area")
        if i < planted_4000k:
            props.update(color_temperature_k=4000, head_installed="2021-04-12")
        members.append((xy, props))
    b.zone("lighting.lit_area", "R1", f"Rue principale — {b.commune.name}", rect,
           {"category": "a", "built_up_area": True})
    b.group(cabinet, members)


def _depot(b: _Builder, cabinet: str, near: tuple[float, float]) -> None:
    """Municipal depot (enclosed, economic activity): lit in working hours only."""
    rng = b.rng
    rect = _rectangle(b.area, near, 40, 30, rng, b.taken)
    b.taken.append(rect)
    members = []
    for xy in _grid(rect, 3):
        props = _led(rng, since=2020)
        props.update(activity_related=True, activity_start="07:30", activity_end="17:30",
                     switch_off="18:30", switch_on="07:00")
        members.append((xy, props))
    b.group(cabinet, members)


def _building(b: _Builder, cabinet: str, near: tuple[float, float], late: bool) -> None:
    """Façade of a village hall (d): off 1 h after it is vacated."""
    rng = b.rng
    rect = _rectangle(b.area, near, 25, 15, rng, b.taken)
    b.taken.append(rect)
    props = _led(rng, since=2020, category="d")
    props.pop("lit_area_m2", None)
    props.update(activity_related=True, activity_start="14:00", activity_end="22:00",
                 switch_off="00:30" if late else "23:00", head_installed="2022-01-17")
    b.group(cabinet, [(_grid(rect, 1)[0], props)])


def _corridor(b: _Builder, cabinet: str, near: tuple[float, float], status: str, name: str,
              led_3000k: int) -> None:
    """A trame noire band (about 120 m wide) across the commune, with a lit path in it."""
    rng = b.rng
    dx, dy = _metres(near[1])
    (x, y), = points_near(b.area, near, 1, rng, spread=0.004)
    angle = float(rng.uniform(0, math.pi))
    half = 1500
    line = LineString([(x - half * dx * math.cos(angle), y - half * dy * math.sin(angle)),
                       (x + half * dx * math.cos(angle), y + half * dy * math.sin(angle))])
    band = line.buffer(60 * dy, cap_style="flat").intersection(b.area)
    if band.geom_type == "MultiPolygon":
        band = max(band.geoms, key=lambda g: g.area)
    b.zone("lighting.dark_corridor", "1", name, band, {"protected_area": status})
    members = []
    for i in range(max(led_3000k, 3)):
        t = (i - 1) * 40
        px, py = x + t * dx * math.cos(angle), y + t * dy * math.sin(angle)
        props = _led(rng, since=2020)
        props.pop("lit_area_m2", None)
        props.pop("protected_area")  # the corridor says it
        props.update(color_temperature_k=3000 if i < led_3000k else 2200, power_w=20.0,
                     flux_lm=2400, head_installed="2021-11-05" if i < led_3000k
                     else props["head_installed"])
        members.append(((round(px, 6), round(py, 6)), props))
    b.group(cabinet, members)


def demo_inventory(commune: DemoCommune, rng: np.random.Generator) -> list[DemoAsset]:
    area = commune_area(commune)
    n_points = max(20, round(commune.population / INHABITANTS_PER_LIGHT_POINT))
    n_cabinets = max(1, round(n_points / LIGHT_POINTS_PER_CABINET))
    cabinet_at = points_near(area, (commune.lon, commune.lat), n_cabinets, rng, spread=0.008)
    per_cabinet = rng.multinomial(n_points - n_cabinets, [1 / n_cabinets] * n_cabinets) + 1
    large = commune.population > 2500
    insee = commune.insee
    planted = dict(PLANTED.get(insee, ()))
    refs = [f"ARM-{insee}-{c:03d}" for c in range(1, n_cabinets + 1)]

    # Special places, each fed by a cabinet (cycling through them).
    b = _Builder(commune, rng)
    feeders = iter(list(zip(refs, cabinet_at, strict=True)) * 8)
    ref, xy = next(feeders)
    _church(b, ref, xy, "church_until_2am" in planted)
    for number in range(1, (3 if large else 2 if commune.population > 800 else 1) + 1):
        ref, xy = next(feeders)
        case = next((c for c in planted if c.startswith("car_park")), None) if number == 1 else None
        _car_park(b, ref, xy, number, case)
    if large:
        ref, xy = next(feeders)
        _main_street(b, ref, xy, planted.get("cct_4000_street", 0))
        ref, xy = next(feeders)
        _depot(b, ref, xy)
    if "building_late" in planted or large:
        ref, xy = next(feeders)
        _building(b, ref, xy, "building_late" in planted)
    if insee in CORRIDORS:
        status, name = CORRIDORS[insee]
        ref, xy = next(feeders)
        _corridor(b, ref, xy, status, name, planted.get("reserve_3000k", 0))

    assets: list[DemoAsset] = []
    number = 0
    mercury_share = 0.004 if large else 0.012
    for c, (cabinet_ref, (x, y), count) in enumerate(zip(refs, cabinet_at, per_cabinet,
                                                          strict=True), start=1):
        group = b.groups.get(cabinet_ref, [])
        count = max(int(count), len(group))
        renovated = cabinet_ref == REMOTE_CABINET or (
            cabinet_ref not in FAULTY_CABINETS and rng.random() < 0.45)
        remote = cabinet_ref == REMOTE_CABINET or (
            large and renovated and cabinet_ref not in FAULTY_CABINETS and rng.random() < 0.35)
        outside = c > 1 and rng.random() < 0.12  # a hamlet or a road out of the village
        street = []
        for _ in range(count - len(group)):
            if renovated and rng.random() < 0.9:
                props = _led(rng, built_up=not outside)
            else:
                props = _old(rng, mercury_share=mercury_share, built_up=not outside)
            if remote and props["lamp_type"] == "led":
                props["dimmable"] = True
            street.append(props)
        if "tilted_head" in planted and c == 1 and street:
            street[0] = {**_led(rng, since=2020), "head_installed": "2020-08-25",
                         "ulr_percent": 0.5, "ulr_installed_percent": 5.0}
        for i in range(min(planted.get("mercury_left", 0), len(street))):
            street[i] = _old(rng, mercury_share=1.0)
        luminaires = [props for _, props in group] + street
        connected_kw = sum(lum["power_w"] * (1 if lum["lamp_type"] == "led" else _LOSSES)
                           for lum in luminaires) / 1000
        programme = _programme(rng, large, remote)
        cabinet: dict[str, Any] = {
            "switching": "remote" if remote else str(rng.choice(
                ["astronomical_clock", "astronomical_clock", "photocell"])),
            "programme": programme,
            "circuits": max(1, math.ceil(len(luminaires) / 30)),
            "connected_power_kw": round(connected_kw, 2),
            "subscribed_power_kva": float(max(3, int(np.ceil(connected_kw / 3)) * 3)),
            "delivery_point": f"{rng.integers(10**13, 10**14 - 1):014d}",
            "meter_ref": f"{rng.integers(10**11, 10**12 - 1):012d}",
            "contract": str(rng.choice(["EDF — Tarif Bleu éclairage public",
                                        "Offre de marché — groupement d'achat du syndicat "
                                        "d'énergie"])),
            "installed": _random_date(rng, 1985, 2022),
        }
        cabinet["tariff_option"] = ("public_lighting" if cabinet["contract"].startswith("EDF")
                                    else "market_offer")
        device = None
        if remote:
            device = {"name": f"Contrôleur {cabinet_ref}", "model": DEVICE_MODEL,
                      "dev_eui": f"beff{insee}{0:03d}{c:04d}".lower()}
        assets.append(DemoAsset(
            ref=cabinet_ref, kind="lighting.cabinet", name=f"Armoire {commune.name} n°{c}",
            geometry=point(x, y), properties=cabinet,
            metrics=("power.active", "energy.active_import"), step_s=HISTORY_STEP_S,
            device=device))
        spread = points_near(area, (x, y), len(street), rng, spread=0.002)
        spread = [_clear(b, area, p, (x, y), rng) for p in spread]
        for (lx, ly), props in zip([xy for xy, _ in group] + spread, luminaires, strict=True):
            number += 1
            assets.append(DemoAsset(
                ref=f"LUM-{insee}-{number:04d}", kind="lighting.luminaire",
                name=f"Point lumineux {commune.name} {number}", geometry=point(lx, ly),
                properties=props, parent_ref=cabinet_ref))
    return assets + b.zones


def _clear(b: _Builder, area: BaseGeometry, xy: tuple[float, float],
           centre: tuple[float, float], rng: np.random.Generator) -> tuple[float, float]:
    """A street luminaire's position moved out of the special places (their flux and
    status are the zones' own)."""
    for _ in range(20):
        if not any(t.buffer(0.0001).contains(Point(xy)) for t in b.taken):
            return xy
        (xy,) = points_near(area, centre, 1, rng, spread=0.003)
    return xy
