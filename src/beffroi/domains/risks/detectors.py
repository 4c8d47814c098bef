"""Detectors of climate risks (``Domain.detectors``).

- ``risks.river_vigilance``: a flood alert per gauge at or above its yellow threshold
  (``vigilance``, where it is declared with its logic).
- ``risks.heatwave``: one alert per tenant (no asset) while a heat-wave episode runs at
  one of its weather stations (``heatwave.running``: the episode reaches today or
  yesterday), with the figures of the station whose episode is hottest (highest IBMx).
  Without one, a warning « Canicule prévue à partir du … » when imported forecasts make an
  episode in the coming days (``forecasts.tenant_outlook``: the earliest, at any station);
  the same alert, escalated to critical, once the episode is observed.
- ``risks.fire_danger``: one alert per forest massif (``risks.forest``) when the danger
  class of today's FWI (else yesterday's) at its nearest weather station (centroids)
  reaches the tenant's level (setting ``risks.fire_alert_level``, default « élevé »);
  otherwise a warning when a forecast day of that station reaches it (the first one,
  « … prévu le … »).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta

import orjson
from shapely.geometry import shape
from sqlalchemy import select

from ...core.alerting.detector_spec import DetailField, Detector, DetectorContext, Finding
from ...core.clock import local_day
from ...core.french_format import local_date
from ...core.settings import setting
from ...storage import schema
from . import fire_weather as fw
from . import forecasts as fc
from .heatwave import tenant_heat
from .settings import FIRE_ALERT_LEVEL
from .vigilance import DETECTORS as VIGILANCE

HEAT_LOOKBACK_DAYS = 30
FORECAST = {"forecast": "prevision"}  # the details of an alert raised on forecasts
ORIGINS = {"prevision": "prévision météo importée"}


def heatwave_findings(ctx: DetectorContext) -> Iterable[Finding]:
    heat = tenant_heat(ctx.scope, ctx.conn, ctx.registry, ctx.now, HEAT_LOOKBACK_DAYS)
    running = [(s, s["running"]) for s in heat["stations"] if s["running"]]
    if not running:
        return forecast_heatwave(ctx)
    station, episode = max(running, key=lambda r: (r[1]["peak_ibmx"], r[1]["peak_ibmn"]))
    t = heat["thresholds"]
    since = local_date(date.fromisoformat(episode["start"]))
    return [Finding(None, f"Canicule en cours depuis le {since} "
                          f"({station['name']})", "critical", subject="heatwave",
                    details={"start": episode["start"], "days": episode["days"],
                             "ibmn": station["current"]["ibmn"],
                             "ibmx": station["current"]["ibmx"],
                             "peak_ibmn": episode["peak_ibmn"],
                             "peak_ibmx": episode["peak_ibmx"],
                             "threshold_ibmn": t["ibmn"], "threshold_ibmx": t["ibmx"],
                             "station": station["name"], "stations": len(running)})]


def forecast_heatwave(ctx: DetectorContext) -> list[Finding]:
    """The earliest heat-wave episode the imported forecasts make, at any station."""
    if not fc.has_forecasts(ctx.conn, ctx.tenant_id, local_day(ctx.now, ctx.scope.zone)):
        return []
    outlook = fc.tenant_outlook(ctx.scope, ctx.conn, ctx.registry, ctx.now,
                                fc.MAX_AHEAD_DAYS + 1, parts=("heat",))
    coming = [(s, e) for s in outlook["stations"] for e in s["heat"]["episodes"]
              if e["forecast"]]
    if not coming:
        return []
    station, episode = min(coming, key=lambda c: (c[1]["start"], -c[1]["peak_ibmx"]))
    t = outlook["thresholds"]
    since = local_date(date.fromisoformat(episode["start"]))
    return [Finding(None, f"Canicule prévue à partir du {since} ({station['name']})",
                    "warning", subject="heatwave",
                    details={"start": episode["start"], "days": episode["days"],
                             "peak_ibmn": episode["peak_ibmn"],
                             "peak_ibmx": episode["peak_ibmx"],
                             "threshold_ibmn": t["ibmn"], "threshold_ibmx": t["ibmx"],
                             "station": station["name"],
                             "stations": len({s["id"] for s, _ in coming}), **FORECAST})]


def _forecast_fire(ctx: DetectorContext, level: int) -> dict[int, dict]:
    """Per station: its first forecast day whose danger class reaches ``level``."""
    if not fc.has_forecasts(ctx.conn, ctx.tenant_id, local_day(ctx.now, ctx.scope.zone)):
        return {}
    outlook = fc.tenant_outlook(ctx.scope, ctx.conn, ctx.registry, ctx.now,
                                fc.MAX_AHEAD_DAYS + 1, parts=("fire",))
    out = {}
    for s in outlook["stations"]:
        ahead = [d for d in s["fire"]["days"]
                 if d["forecast"] and fw.class_rank(d["class"]) >= level]
        if ahead:
            out[s["id"]] = ahead[0]
    return out


def _centroid(geometry: str | None):
    try:
        return shape(orjson.loads(geometry)).centroid if geometry else None
    except (ValueError, TypeError, AttributeError):
        return None


def fire_findings(ctx: DetectorContext) -> Iterable[Finding]:
    a = schema.assets
    forests = ctx.conn.execute(select(a.c.id, a.c.name, a.c.geometry).where(
        a.c.tenant_id == ctx.tenant_id, a.c.kind == fw.FOREST_KIND)).all()
    if not forests:
        return []
    stations = fw.station_streams(ctx.scope, ctx.conn)
    placed = {sid: (info, _centroid(info["geometry"])) for sid, info in stations.items()}
    placed = {k: v for k, v in placed.items() if v[1] is not None}
    if not placed:
        return []
    zone = ctx.scope.zone
    today = datetime.fromtimestamp(ctx.now / 1000, zone).date()
    level = fw.class_rank(setting(ctx.scope.settings, ctx.registry, FIRE_ALERT_LEVEL))
    latest: dict[int, fw.FwiDay | None] = {}
    ahead: dict[int, dict] | None = None  # computed on the first massif that needs it
    out = []
    for forest in forests:
        centre = _centroid(forest.geometry)
        if centre is None:
            continue
        sid, (info, point) = min(placed.items(), key=lambda p: centre.distance(p[1][1]))
        if sid not in latest:
            series = fw.station_fwi(ctx.conn, ctx.tenant_id, info["streams"], today, zone,
                                    point.y)
            recent = [d for d in series if d.day >= today - timedelta(days=1)]
            latest[sid] = recent[-1] if recent else None
        day = latest[sid]
        danger = fw.danger_class(day.fwi) if day is not None else None
        if day is None or danger is None or fw.class_rank(danger.key) < level:  # forecast?
            if ahead is None:
                ahead = _forecast_fire(ctx, level)
            coming = ahead.get(sid)
            if coming is not None:
                when = local_date(date.fromisoformat(coming["date"]))
                out.append(Finding(forest.id, f"Danger météorologique de feux de forêts "
                                              f"{coming['class_label']} prévu le {when} "
                                              f"({forest.name})", "warning",
                                   subject="fire_danger",
                                   details={**{k: coming[k] for k in (
                                       "date", "class", "fwi", "ffmc", "dmc", "dc", "isi",
                                       "bui")}, "station": info["name"], **FORECAST}))
            continue
        if fw.class_rank(danger.key) >= level:
            out.append(Finding(forest.id, f"Danger météorologique de feux de forêts "
                                          f"{danger.label} ({forest.name})",
                               "critical" if danger.key == "tres_eleve" else "warning",
                               subject="fire_danger",
                               details={"date": day.day.isoformat(), "class": danger.key,
                                        "fwi": round(day.fwi, 1), "ffmc": round(day.ffmc, 1),
                                        "dmc": round(day.dmc, 1), "dc": round(day.dc, 1),
                                        "isi": round(day.isi, 1), "bui": round(day.bui, 1),
                                        "station": info["name"]}))
    return out


_INDEX = {"digits": 1}
DETECTORS = VIGILANCE + (
    Detector("risks.heatwave", "Canicule (indicateurs IBMn/IBMx)", 3600, heatwave_findings,
             details=(DetailField("start", "Début de l'épisode", "date"),
                      DetailField("days", "Durée", "number", unit="d", digits=0),
                      DetailField("ibmn", "IBMn", unit="Cel", digits=1),
                      DetailField("ibmx", "IBMx", unit="Cel", digits=1),
                      DetailField("peak_ibmn", "IBMn maximal", unit="Cel", digits=1),
                      DetailField("peak_ibmx", "IBMx maximal", unit="Cel", digits=1),
                      DetailField("threshold_ibmn", "Seuil IBMn", unit="Cel", digits=1),
                      DetailField("threshold_ibmx", "Seuil IBMx", unit="Cel", digits=1),
                      DetailField("station", "Station", "text"),
                      DetailField("stations", "Stations en épisode", digits=0),
                      DetailField("forecast", "Origine", "choice", choices=ORIGINS)),
             metrics=("air.temperature",)),
    Detector("risks.fire_danger", "Danger météorologique de feux de forêts (IFM)", 3600,
             fire_findings,
             details=(DetailField("date", "Jour", "date"),
                      DetailField("class", "Niveau de danger", "choice",
                                  choices={c.key: c.label for c in fw.CLASSES}),
                      *(DetailField(k, k.upper(), **_INDEX)
                        for k in ("fwi", "ffmc", "dmc", "dc", "isi", "bui")),
                      DetailField("station", "Station météo", "text"),
                      DetailField("forecast", "Origine", "choice", choices=ORIGINS)),
             metrics=("air.temperature", "air.humidity", "weather.wind_speed",
                      "weather.precipitation")),
)
