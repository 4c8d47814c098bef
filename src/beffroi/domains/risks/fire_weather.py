"""Forest-fire weather: the Canadian Fire Weather Index system (the French IFM, « indice
forêt météo ») and danger classes.

``compute_fwi(days, lat, start)`` runs ``xclim.indices.fire.cffwis_indices`` (imported
lazily: it loads numba) on consecutive days of noon weather — temperature (°C), relative
humidity (%), wind (km/h) and the rain of the 24 hours to noon (mm) — from the start codes
of the day before the first (standard values FFMC 85, DMC 6, DC 15, ``StartCodes``).
What we pass to xclim: no season mask and ``season_method=None`` (no start-up or shutdown
of the fire season, as the R ``cffdrs::fwi`` function), ``overwintering=False``,
``dry_start=None``: the codes run from the first day given. A station's series
(``station_fwi``) therefore starts each year on ``SEASON_START`` (1 March) from the
standard values, the usual spring start-up after a snowless winter; winter days are not
computed.

Danger classes (``CLASSES``, ``danger_class``): Météo-France's « météo des forêts »
(since 2023) has four levels — faible, modéré, élevé, très élevé — but publishes no FWI
bounds we could verify: the bounds below are **à vérifier**. They reuse the bounds of the
European Forest Fire Information System (EFFIS, JRC) fire-danger classes on the FWI:
low < 11.2 (EFFIS "very low" and "low"), moderate 11.2–21.3, high 21.3–38.0, very high
≥ 38.0 (EFFIS "very high" and "extreme").

From a tenant's weather stations (``station_fwi``): for each local day, the noon values
are the hourly means of the hour before local noon (core's hourly rollups, 11:00–12:00)
of ``air.temperature``, ``air.humidity`` and ``weather.wind_speed`` (m/s, × 3.6 for
km/h); the rain is the sum of the 24 hourly sums before noon (12:00 the day before to
12:00) of ``weather.precipitation``. A day with one of these missing ends the series: the
codes restart from the standard values on the next complete day (computed on demand,
from rollups: a season is ~200 rows per metric).

Plain-function API: ``compute_fwi``, ``danger_class``, ``station_fwi``,
``tenant_fire_weather``; JSON route ``GET /api/v1/tenants/{t}/risks/fire-weather?days=N``
(``fire_weather_routes``); detector ``risks.fire_danger`` per forest massif
(``risks.forest``), on its nearest weather station (``detectors``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, and_, select

from ...core.access import TenantScope
from ...core.clock import HOUR_MS
from ...storage import schema

STATION_KIND = "risks.weather_station"
FOREST_KIND = "risks.forest"
TEMPERATURE, HUMIDITY = "air.temperature", "air.humidity"
WIND, RAIN = "weather.wind_speed", "weather.precipitation"
SEASON_START = (3, 1)  # month, day


@dataclass(frozen=True)
class DangerClass:
    key: str
    label: str  # French
    lower: float  # FWI from which the class applies


CLASSES = (DangerClass("faible", "faible", 0.0), DangerClass("modere", "modéré", 11.2),
           DangerClass("eleve", "élevé", 21.3), DangerClass("tres_eleve", "très élevé", 38.0))
CLASS_SOURCE = ("Bornes à vérifier : classes EFFIS (JRC) de l'IFM regroupées sur les quatre "
                "niveaux de la météo des forêts de Météo-France.")


@dataclass(frozen=True)
class StartCodes:
    ffmc: float = 85.0
    dmc: float = 6.0
    dc: float = 15.0


@dataclass(frozen=True)
class NoonWeather:
    day: date
    temp_c: float
    rh_pct: float
    wind_kmh: float
    rain_mm: float


@dataclass(frozen=True)
class FwiDay:
    day: date
    ffmc: float
    dmc: float
    dc: float
    isi: float
    bui: float
    fwi: float

    def public(self) -> dict[str, Any]:
        c = danger_class(self.fwi)
        return {"date": self.day.isoformat(), "ffmc": round(self.ffmc, 1),
                "dmc": round(self.dmc, 1), "dc": round(self.dc, 1), "isi": round(self.isi, 1),
                "bui": round(self.bui, 1), "fwi": round(self.fwi, 1), "class": c.key,
                "class_label": c.label}


def danger_class(fwi: float) -> DangerClass:
    return [c for c in CLASSES if fwi >= c.lower][-1] if fwi >= 0 else CLASSES[0]


def class_rank(key: str) -> int:
    return [c.key for c in CLASSES].index(key)


def compute_fwi(days: list[NoonWeather], lat: float,
                start: StartCodes | None = None) -> list[FwiDay]:
    """The six indices of consecutive days (``ValueError`` in French if they are not)."""
    if not days:
        return []
    for a, b in zip(days, days[1:], strict=False):
        if (b.day - a.day).days != 1:
            raise ValueError(f"jours non consécutifs : {a.day.isoformat()} puis "
                             f"{b.day.isoformat()}")
    import numpy as np
    import pandas as pd
    import xarray as xr
    from xclim.indices.fire import cffwis_indices

    start = start or StartCodes()
    index = pd.DatetimeIndex([pd.Timestamp(d.day) for d in days])

    def series(values: list[float], units: str) -> xr.DataArray:
        return xr.DataArray(np.asarray(values, dtype=float), dims=("time",),
                            coords={"time": index}, attrs={"units": units})

    def scalar(value: float, units: str = "") -> xr.DataArray:
        return xr.DataArray(float(value), attrs={"units": units})

    dc, dmc, ffmc, isi, bui, fwi = cffwis_indices(
        tas=series([d.temp_c for d in days], "degC"),
        pr=series([d.rain_mm for d in days], "mm/d"),
        sfcWind=series([d.wind_kmh for d in days], "km/h"),
        hurs=series([d.rh_pct for d in days], "%"),
        lat=scalar(lat, "degrees_north"),
        ffmc0=scalar(start.ffmc), dmc0=scalar(start.dmc), dc0=scalar(start.dc),
        season_method=None, overwintering=False, dry_start=None)
    values = [a.values for a in (ffmc, dmc, dc, isi, bui, fwi)]
    return [FwiDay(d.day, *(float(v[i]) for v in values)) for i, d in enumerate(days)]


# -- from a tenant's weather stations ------------------------------------------------------

def station_streams(scope: TenantScope, conn: Connection) -> dict[int, dict[str, Any]]:
    """Visible weather stations: {id: {name, commune, geometry, streams: {metric: id}}}."""
    a, s = schema.assets, schema.streams
    out: dict[int, dict[str, Any]] = {}
    for row in conn.execute(
            select(a.c.id, a.c.name, a.c.commune_insee, a.c.geometry, s.c.id.label("sid"),
                   s.c.metric)
            .join(s, and_(s.c.tenant_id == a.c.tenant_id, s.c.asset_id == a.c.id))
            .where(scope.asset_visible(a), a.c.kind == STATION_KIND,
                   s.c.metric.in_((TEMPERATURE, HUMIDITY, WIND, RAIN)))
            .order_by(a.c.name, a.c.id)):
        entry = out.setdefault(row.id, {"name": row.name, "commune": row.commune_insee,
                                        "geometry": row.geometry, "streams": {}})
        entry["streams"][row.metric] = row.sid
    return {k: v for k, v in out.items() if len(v["streams"]) == 4}


def _noon(day: date, zone: ZoneInfo) -> int:
    return int(datetime.combine(day, time(12), zone).timestamp() * 1000)


def noon_weather(conn: Connection, tenant_id: int, streams: dict[str, int], first: date,
                 last: date, zone: ZoneInfo) -> list[NoonWeather]:
    """Noon values of each local day from ``first`` to ``last`` with all four known."""
    h = schema.rollups_hourly
    lo, hi = _noon(first, zone) - 24 * HOUR_MS, _noon(last, zone)
    hours: dict[str, dict[int, tuple[float, int]]] = {}
    for metric, sid in streams.items():
        rows = conn.execute(select(h.c.bucket, h.c.sum, h.c.count).where(
            h.c.tenant_id == tenant_id, h.c.stream_id == sid, h.c.bucket >= lo,
            h.c.bucket < hi))
        hours[metric] = {b: (float(total), int(n)) for b, total, n in rows}
    out = []
    day = first
    while day <= last:
        noon = _noon(day, zone)
        before = noon - HOUR_MS
        means = {}
        for metric in (TEMPERATURE, HUMIDITY, WIND):
            cell = hours[metric].get(before)
            means[metric] = cell[0] / cell[1] if cell and cell[1] else None
        rain_hours = [hours[RAIN].get(noon - k * HOUR_MS) for k in range(1, 25)]
        rain = (sum(c[0] for c in rain_hours if c) if any(rain_hours) else None)
        if None not in means.values() and rain is not None:
            out.append(NoonWeather(day, means[TEMPERATURE], min(100.0, means[HUMIDITY]),
                                   means[WIND] * 3.6, max(0.0, rain)))
        day += timedelta(days=1)
    return out


def station_fwi(conn: Connection, tenant_id: int, streams: dict[str, int], today: date,
                zone: ZoneInfo, lat: float) -> list[FwiDay]:
    """FWI of each complete day of this fire season up to ``today`` (a missing day restarts
    the codes from the standard values)."""
    season = date(today.year, *SEASON_START)
    if today < season:
        return []
    weather = noon_weather(conn, tenant_id, streams, season, today, zone)
    out: list[FwiDay] = []
    run: list[NoonWeather] = []
    for w in weather:
        if run and (w.day - run[-1].day).days != 1:
            out += compute_fwi(run, lat)
            run = []
        run.append(w)
    return out + compute_fwi(run, lat)


def _lat(geometry: str | None) -> float:
    import orjson
    from shapely.geometry import shape
    try:
        return float(shape(orjson.loads(geometry)).centroid.y) if geometry else 48.0
    except (ValueError, TypeError, AttributeError):
        return 48.0


def tenant_fire_weather(scope: TenantScope, conn: Connection, now: int,
                        days: int) -> dict[str, Any]:
    """Per visible weather station with the four streams: the indices and class of the
    last ``days`` days."""
    zone = scope.zone
    today = datetime.fromtimestamp(now / 1000, zone).date()
    first = today - timedelta(days=days - 1)
    out = []
    for sid, info in station_streams(scope, conn).items():
        series = station_fwi(conn, scope.tenant_id, info["streams"], today, zone,
                             _lat(info["geometry"]))
        shown = [d.public() for d in series if d.day >= first]
        out.append({"id": sid, "name": info["name"], "commune": info["commune"],
                    "current": shown[-1] if shown else None, "days": shown})
    return {"today": today.isoformat(), "from": first.isoformat(), "days": days,
            "classes": [{"key": c.key, "label": c.label, "from_fwi": c.lower}
                        for c in CLASSES],
            "classes_source": CLASS_SOURCE, "stations": out}
