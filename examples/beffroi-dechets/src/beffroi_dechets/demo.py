"""Demo inventory and simulator of waste collection (``DemoSpec``: loaded by ``beffroi
demo`` only, never by the product).

Two communes get collection points (points d'apport volontaire), each with a household
waste, a packaging and a paper container, and every other one a glass container too; each
container carries a fill sensor. The simulated sensor reads every two hours: the waste
surface rises with the day's deposits (none at night, more at the weekend for sorted
waste), the container is emptied at 06:00 on its collection days, and the fill level is
derived from the distance exactly as core does at ingest. One container in Remiremont
catches fire in the last hours of the history.
"""

from __future__ import annotations

import zlib
from datetime import datetime
from zoneinfo import ZoneInfo

import numpy as np

from beffroi.plugin import DemoAsset, DemoCommune, commune_area, point, points_near, seasonal

from .collection_days import COLLECTION_HOUR, parse_days
from .fill import fill_percent
from .kinds import STREAM_LABELS
from .metrics import DISTANCE, FILL, TEMPERATURE

PARIS = ZoneInfo("Europe/Paris")
STEP_S = 7200  # one reading every two hours
POINTS = {"88383": 8, "88415": 5}  # Remiremont, Saint-Étienne-lès-Remiremont
POINT_DAYS = {"88383": "lun,jeu", "88415": "mar,ven"}  # household waste rounds
# stream -> (volume L, useful height m, own collection days, fill rate %/day low–high)
STREAMS = {
    "ordures_menageres": (5000, 1.8, None, (16.0, 26.0)),
    "emballages": (4000, 1.8, "mer", (7.0, 13.0)),
    "papier": (4000, 1.8, "sam", (5.0, 10.0)),
    "verre": (3000, 1.6, "mer", (3.0, 7.0)),
}
FIRE_REF = "CTR-88383-03-EMB"
METRICS = (DISTANCE, FILL, TEMPERATURE)


def inventory(commune: DemoCommune, rng: np.random.Generator) -> list[DemoAsset]:
    if commune.insee not in POINTS:
        return []
    area = commune_area(commune)
    out: list[DemoAsset] = []
    spots = points_near(area, (commune.lon, commune.lat), POINTS[commune.insee], rng,
                        spread=0.006)
    for i, (x, y) in enumerate(spots, start=1):
        ref = f"PAV-{commune.insee}-{i:02d}"
        out.append(DemoAsset(ref=ref, kind="waste.collection_point",
                             name=f"Point de collecte {i} — {commune.name}",
                             geometry=point(x, y),
                             properties={"collection_days": POINT_DAYS[commune.insee],
                                         "address": f"Point d'apport volontaire n° {i}"}))
        streams = [s for s in STREAMS if s != "verre" or i % 2 == 0]
        for j, stream in enumerate(streams):
            volume, height, days, _ = STREAMS[stream]
            code = {"ordures_menageres": "OM", "emballages": "EMB", "papier": "PAP",
                    "verre": "VER"}[stream]
            ctr = f"CTR-{commune.insee}-{i:02d}-{code}"
            props = {"waste_stream": stream, "volume_l": volume, "height_m": height,
                     "installation": "enterre" if stream == "ordures_menageres" else "aerien"}
            if days:
                props["collection_days"] = days
            eui = f"{zlib.crc32(ctr.encode()):08x}{zlib.crc32(ctr[::-1].encode()):08x}"
            out.append(DemoAsset(
                ref=ctr, kind="waste.container", parent_ref=ref,
                name=f"Conteneur {STREAM_LABELS[stream].lower()} {i} — {commune.name}",
                geometry=point(x + 0.00004 * (j - 1), y + 0.00002 * j), properties=props,
                metrics=METRICS, step_s=STEP_S,
                device={"name": f"Capteur de remplissage {ctr}", "dev_eui": eui,
                        "model": "capteur de remplissage à ultrasons"}))
    return out


def _local(t_s: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Local hour of day, weekday (Monday 0) and date ordinal of each instant (Paris)."""
    days = np.floor(t_s / 86400).astype(np.int64)
    offsets = {}
    for day in np.unique(days).tolist():  # the offset of each UTC day at noon
        at = datetime.fromtimestamp(day * 86400 + 43200, PARIS)
        offsets[day] = at.utcoffset().total_seconds()
    local = t_s + np.array([offsets[d] for d in days.tolist()])
    ordinal = np.floor(local / 86400).astype(np.int64)
    hour = (local % 86400) / 3600
    weekday = (ordinal + 3) % 7  # 1970-01-01 was a Thursday
    return hour, weekday, ordinal


def fill_series(asset: DemoAsset, t_s: np.ndarray) -> np.ndarray:
    """The container's true fill level (%) at each instant, the same for every metric."""
    props = asset.properties
    rng = np.random.default_rng(zlib.crc32(asset.ref.encode()))
    low, high = STREAMS[props["waste_stream"]][3]
    rate = rng.uniform(low, high)  # %/day
    days = parse_days(props.get("collection_days") or POINT_DAYS[asset.ref.split("-")[1]])
    hour, weekday, ordinal = _local(t_s)
    # Deposits from 7 to 21 h, most around 11 and 18 h; none at night.
    profile = np.where((hour >= 7) & (hour < 21),
                       1 + np.cos((hour - 11) * np.pi / 3.5) ** 2, 0.0)
    weekend = np.where(weekday >= 5, 1.0 if props["waste_stream"] == "ordures_menageres"
                       else 1.4, 1.0)
    step_h = float(np.median(np.diff(t_s))) / 3600 if len(t_s) > 1 else 2.0
    increments = rate * profile * weekend * step_h / 22.0  # profile averages ≈ 22/24 a day
    increments *= rng.lognormal(0, 0.35, len(t_s))
    collection = COLLECTION_HOUR.hour
    emptied = np.isin(weekday, sorted(days)) & (hour >= collection) & (hour < collection + step_h)
    level = np.empty(len(t_s))
    current = rng.uniform(5, 60)
    for k in range(len(t_s)):
        if emptied[k]:
            current = rng.uniform(1, 4)
        current = min(100.0, current + increments[k])
        level[k] = current
    return level


def simulate(asset: DemoAsset, metric: str, t_s: np.ndarray, rng: np.random.Generator
             ) -> np.ndarray:
    if metric == TEMPERATURE:
        return _temperature(asset, t_s, rng)
    height = float(asset.properties["height_m"])
    noise = np.random.default_rng(zlib.crc32(f"{asset.ref}/noise".encode()))
    distance = height * (1 - fill_series(asset, t_s) / 100) + noise.normal(0, 0.02, len(t_s))
    distance = np.clip(distance, 0.0, height + 0.1).round(3)
    if metric == DISTANCE:
        return distance
    return np.array([fill_percent(d, height) for d in distance.tolist()])


def _temperature(asset: DemoAsset, t_s: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Air under the lid: the season and the day's sun, a fire at the end for one."""
    doy = (t_s / 86400) % 365.25
    hour, _, _ = _local(t_s)
    values = (12 - 9 * seasonal(doy) + 6 * np.cos((hour - 15) * np.pi / 12)
              + rng.normal(0, 0.8, len(t_s)))
    if asset.ref == FIRE_REF and len(t_s) >= 3:
        values[-3:] = [values[-3] + 6, 48.0, 74.0]  # +50 °C in four hours, then above 60 °C
    return values.round(1)

