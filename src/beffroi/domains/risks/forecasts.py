"""Weather forecasts of the weather stations, and the heat and forest-fire levels of the
coming days.

Import (``import_forecasts``): a CSV file of daily forecasts for one weather station
(``risks.weather_station``), header ``date,tmin_c,tmax_c,temp_c,rh_pct,wind_kmh,rain_mm``
(any order; read by ``core.textfiles``: UTF-8 or Windows-1252, ``,`` ``;`` or tab). Two
groups of cells, each given whole or left empty: ``tmin_c,tmax_c`` (the day's extremes, for
heat waves) and ``temp_c,rh_pct,wind_kmh,rain_mm`` (noon weather and the rain of the 24
hours to noon, for the FWI); a line needs at least one group. Values within the plausible
ranges of ``beffroi risks heatwave`` / ``fwi``. Each line is checked alone: the valid ones
are written, the others reported with their line and a French message (a partial import,
unlike the CLI commands on a whole series, where a gap would change every result).

- Past days (before the tenant's local today) are **ignored**, with a warning per line: the
  past is observed, a forecast of it is of no use (a forecast file often starts the day
  before). Today and up to ``MAX_AHEAD_DAYS`` (15) days ahead are kept; further is refused.
- A date given twice in the file is refused on its second line.
- A forecast replaces the stored one of the same station and day, unless the stored one was
  issued later (``issued_at``, the import time by default): that line is kept back with a
  warning, so that an old file imported late never overwrites a fresher forecast.
- Nothing valid and some errors: ``Invalid`` (422) with every error. The import is audited.

Outlook (``tenant_outlook``), per visible weather station, for today and the coming days up
to ``today + days − 1``:

- heat: the daily Tmin/Tmax series is the observed days before today (core's daily
  rollups, ``core.day_temperatures.station_days``) followed by the forecast days from today (today's
  forecast replaces today's partial observed extremes; without one, today's observed ones
  are used). ``heatwave.ibm_series`` over it gives IBMn/IBMx of each day (D−2 and D−1 from
  the observations where needed), ``heatwave.find_episodes`` the episodes; each day says
  whether it reaches both thresholds (level ``canicule``) and whether it rests on a forecast
  (``forecast``: one of its three days is forecast, « prévision »); the episodes reaching
  today or later are listed, flagged the same way.
- fire: the FWI codes of the station's observed series (``fire_weather.station_fwi``) are
  continued over the forecast noon weather: the first forecast day after the last computed
  observed day starts from that day's FFMC/DMC/DC (``StartCodes``); when the observed series
  does not reach the day before (no streams, a gap, winter), from the standard values, as a
  station's series does after a gap. Forecast days already computed from observations (today
  after noon) are not used. Days before the fire season (1 March) are not computed.
- Without forecasts, the days are today's observed values only.

JSON route ``GET /api/v1/tenants/{t}/risks/outlook?days=8`` and import route
``POST /api/v1/tenants/{t}/risks/stations/{asset_id}/forecasts`` (``forecasts_routes``);
CLI ``beffroi risks forecast-import --tenant T --station REF --csv FILE``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Connection, select

from ...core import textfiles
from ...core.access import TenantScope
from ...core.clock import format_instant, local_day
from ...core.day_temperatures import DayTemperatures, station_days
from ...core.errors import Invalid, NotFound
from ...core.registry import Registry
from ...core.textfiles import parse_day, parse_number
from ...storage import schema
from . import fire_weather as fw
from . import heatwave as hw

MAX_AHEAD_DAYS = 15
HEADER = ("date", "tmin_c", "tmax_c", "temp_c", "rh_pct", "wind_kmh", "rain_mm")
HEAT_COLUMNS = ("tmin_c", "tmax_c")
FIRE_COLUMNS = ("temp_c", "rh_pct", "wind_kmh", "rain_mm")
RANGES = {"tmin_c": (-50, 50, "°C"), "tmax_c": (-50, 60, "°C"), "temp_c": (-50, 60, "°C"),
          "rh_pct": (0, 100, "%"), "wind_kmh": (0, 300, "km/h"), "rain_mm": (0, 500, "mm")}
MAX_SOURCE = 200
HEAT_LOOKBACK_DAYS = 30  # observed days read before today: a running episode's true start
HEAT_LEVELS = {"canicule": "canicule (seuils IBMn et IBMx atteints)",
               "normal": "sous les seuils de canicule"}


@dataclass(frozen=True)
class Forecast:
    """A stored forecast day of a station."""

    day: date
    tmin_c: float | None
    tmax_c: float | None
    temp_c: float | None
    rh_pct: float | None
    wind_kmh: float | None
    rain_mm: float | None
    issued_at: int
    source: str | None

    def temperatures(self) -> DayTemperatures | None:
        if self.tmin_c is None or self.tmax_c is None:
            return None
        return DayTemperatures(self.day, self.tmin_c, self.tmax_c)

    def noon(self) -> fw.NoonWeather | None:
        values = (self.temp_c, self.rh_pct, self.wind_kmh, self.rain_mm)
        if any(v is None for v in values):
            return None
        return fw.NoonWeather(self.day, *values)  # type: ignore[arg-type]


# -- import ------------------------------------------------------------------------------------
def weather_station(scope: TenantScope, conn: Connection, asset_id: int) -> Any:
    """A visible weather station (404 in French otherwise)."""
    row = scope.asset(conn, asset_id)
    if row.kind != fw.STATION_KIND:
        raise NotFound(f"Station météo {asset_id} introuvable dans ce territoire.")
    return row


def station_by_ref(scope: TenantScope, conn: Connection, ref: str) -> Any:
    """A visible weather station by its ref (404 in French otherwise)."""
    a = schema.assets
    row = conn.execute(select(a).where(scope.asset_visible(), a.c.ref == ref.strip(),
                                       a.c.kind == fw.STATION_KIND)).first()
    if row is None:
        raise NotFound(f"Station météo « {ref.strip()[:60]} » introuvable dans ce territoire.")
    return row


def parse_line(values: dict[str, str]) -> tuple[date | None, dict[str, float | None],
                                                list[tuple[str, str]]]:
    """(day, cells, problems) of one line; problems are (column, French message)."""
    problems: list[tuple[str, str]] = []
    day = None
    try:
        day = parse_day(values["date"])
    except ValueError as exc:
        problems.append(("date", str(exc)))
    cells: dict[str, float | None] = {}
    for column, (low, high, unit) in RANGES.items():
        text = values[column].strip()
        if not text:
            cells[column] = None
            continue
        try:
            cells[column] = parse_number(text, column, low, high, unit)
        except ValueError as exc:
            cells[column] = None
            problems.append((column, str(exc)))
    if problems:
        return day, cells, problems
    for group, what in ((HEAT_COLUMNS, "températures du jour"),
                        (FIRE_COLUMNS, "météo de midi")):
        given = [c for c in group if values[c].strip()]
        if given and len(given) < len(group):
            missing = [c for c in group if not values[c].strip()]
            problems.append((missing[0], f"{what} incomplètes : {', '.join(missing)} "
                                         f"manquant(s) (donnez tout le groupe "
                                         f"{','.join(group)} ou laissez-le vide)"))
    if not problems and all(cells[c] is None for c in RANGES):
        problems.append(("", "aucune valeur : donnez tmin_c,tmax_c ou "
                             "temp_c,rh_pct,wind_kmh,rain_mm"))
    if cells["tmin_c"] is not None and cells["tmax_c"] is not None \
            and cells["tmin_c"] > cells["tmax_c"]:
        problems.append(("tmin_c", f"tmin_c {cells['tmin_c']:g} °C supérieure à tmax_c "
                                   f"{cells['tmax_c']:g} °C"))
    return day, cells, problems


def _check_source(source: str | None) -> str | None:
    if source is None or not source.strip():
        return None
    text = source.strip()
    if len(text) > MAX_SOURCE or any(ord(c) < 32 or ord(c) == 127 for c in text):
        raise Invalid("Source invalide.", errors=[{
            "field": "source", "message": f"texte de {MAX_SOURCE} caractères au plus, sans "
                                          "caractère de contrôle"}])
    return text


def import_forecasts(scope: TenantScope, conn: Connection, asset_id: int, raw: bytes, *,
                     now: int, source: str | None = None,
                     issued_at: int | None = None) -> dict[str, Any]:
    """Store the valid forecast lines of a CSV file for one station; the report (see the
    module's docstring)."""
    scope.require("write")
    station = weather_station(scope, conn, asset_id)
    source = _check_source(source)
    issued = now if issued_at is None else issued_at
    if issued > now:
        raise Invalid("Date d'émission dans le futur.", errors=[{
            "field": "issued_at", "message": "la prévision ne peut être émise après "
                                             "maintenant"}])
    decoded = textfiles.decode(raw)
    table = textfiles.read_csv(decoded)
    names = [c.strip().lower() for c in table.columns]
    if sorted(names) != sorted(HEADER):
        raise Invalid("En-tête inattendu.", errors=[{
            "field": "header", "line": 1,
            "message": f"en-tête « {','.join(table.columns)[:200]} » inattendu ; attendu "
                       f"« {','.join(HEADER)} »"}])
    if not table.records:
        raise Invalid("Aucune ligne de données.", errors=[{
            "field": "file", "message": "le fichier n'a que l'en-tête"}])
    today = local_day(now, scope.zone)
    horizon = today + timedelta(days=MAX_AHEAD_DAYS)
    errors: list[dict[str, Any]] = []
    warnings: list[dict[str, Any]] = []
    seen: dict[date, int] = {}
    rows: list[tuple[int, date, dict[str, float | None]]] = []
    past = 0
    for record in table.records:
        if record.values is None:
            errors.append({"line": record.line, "field": "", "message": record.problem})
            continue
        values = {k.strip().lower(): v or "" for k, v in record.values.items()}
        day, cells, problems = parse_line(values)
        if day is not None and not problems:
            if day in seen:
                problems.append(("date", f"la date {day.isoformat()} est déjà donnée ligne "
                                         f"{seen[day]}"))
            elif day > horizon:
                problems.append(("date", f"{day.isoformat()} est à plus de {MAX_AHEAD_DAYS} "
                                         f"jours (au plus le {horizon.isoformat()})"))
        if problems:
            errors += [{"line": record.line, "field": f, "message": m} for f, m in problems]
            continue
        assert day is not None
        seen[day] = record.line
        if day < today:
            past += 1
            warnings.append({"line": record.line, "field": "date", "message": (
                f"jour passé ({day.isoformat()}) ignoré : les jours passés sont observés")})
            continue
        rows.append((record.line, day, cells))
    f = schema.weather_forecasts
    stored = {r.day: r.issued_at for r in conn.execute(select(f.c.day, f.c.issued_at).where(
        f.c.tenant_id == scope.tenant_id, f.c.asset_id == station.id,
        f.c.day.in_([d.isoformat() for _, d, _ in rows])))} if rows else {}
    created = replaced = kept = 0
    for line, day, cells in rows:
        key = day.isoformat()
        values = {**cells, "issued_at": issued, "source": source,
                  "imported_by": scope.principal.user_id, "imported_at": now}
        if key not in stored:
            conn.execute(f.insert().values(tenant_id=scope.tenant_id, asset_id=station.id,
                                           day=key, **values))
            created += 1
        elif stored[key] > issued:
            kept += 1
            warnings.append({"line": line, "field": "date", "message": (
                f"prévision du {key} déjà enregistrée, émise plus tard "
                f"({format_instant(stored[key])}) : gardée")})
        else:
            conn.execute(f.update().where(f.c.tenant_id == scope.tenant_id,
                                          f.c.asset_id == station.id, f.c.day == key)
                         .values(**values))
            replaced += 1
    written = created + replaced
    days = sorted(d for _, d, _ in rows)
    report = {"station": {"id": station.id, "ref": station.ref, "name": station.name},
              "total": len(table.records),
              "valid": len(table.records) - len({e["line"] for e in errors}),
              "written": written, "created": created, "replaced": replaced,
              "kept_newer": kept, "ignored_past": past,
              "first": days[0].isoformat() if days else None,
              "last": days[-1].isoformat() if days else None,
              "issued_at": format_instant(issued), "source": source,
              "encoding": decoded.encoding,
              "errors": sorted(errors, key=lambda e: e["line"]),
              "warnings": sorted(warnings, key=lambda e: e["line"])}
    if errors and not written:
        raise Invalid(f"Aucune prévision enregistrée : {len(errors)} anomalie(s).",
                      errors=report["errors"], extra={"report": report})
    scope.audit(conn, "risks.forecast_import", "asset", station.id,
                {"written": written, "errors": len(errors), "first": report["first"],
                 "last": report["last"], "source": source})
    return report


# -- outlook -------------------------------------------------------------------------------------
def station_forecasts(conn: Connection, tenant_id: int, asset_ids: list[int], first: date,
                      last: date) -> dict[int, list[Forecast]]:
    """Stored forecasts of the stations from ``first`` to ``last``, by station, by day."""
    f = schema.weather_forecasts
    out: dict[int, list[Forecast]] = {}
    if not asset_ids:
        return out
    for r in conn.execute(select(f).where(
            f.c.tenant_id == tenant_id, f.c.asset_id.in_(asset_ids),
            f.c.day >= first.isoformat(), f.c.day <= last.isoformat()).order_by(
            f.c.asset_id, f.c.day)):
        out.setdefault(r.asset_id, []).append(Forecast(
            date.fromisoformat(r.day), r.tmin_c, r.tmax_c, r.temp_c, r.rh_pct, r.wind_kmh,
            r.rain_mm, r.issued_at, r.source))
    return out


def heat_outlook(observed: list[DayTemperatures], forecasts: list[Forecast], today: date,
                 last: date, thresholds: hw.Thresholds) -> dict[str, Any]:
    """IBM days from today to ``last`` and the episodes reaching today or later, over the
    observed days before today (and today's, without a forecast of it) then the forecast
    days."""
    series = {d.day: d for d in observed if d.day <= today}
    predicted = set()
    for f in forecasts:
        temps = f.temperatures()
        if temps is not None and f.day >= today:
            series[f.day] = temps
            predicted.add(f.day)
    ibm = hw.ibm_series(series.values())

    def rests_on_forecast(day: date) -> bool:
        return any(day - timedelta(days=k) in predicted for k in (0, 1, 2))

    days = []
    for d in ibm:
        if today <= d.day <= last:
            temps = series[d.day]
            reached = hw.reaches(d, thresholds)
            days.append({"date": d.day.isoformat(), "tmin": round(temps.tmin_c, 2),
                         "tmax": round(temps.tmax_c, 2), "ibmn": round(d.ibmn_c, 2),
                         "ibmx": round(d.ibmx_c, 2),
                         "level": "canicule" if reached else "normal",
                         "forecast": rests_on_forecast(d.day)})
    episodes = []
    for e in hw.find_episodes([d for d in ibm if d.day <= last], thresholds):
        if e.end >= today:
            span = [e.start + timedelta(days=k) for k in range(e.days)]
            episodes.append({**e.public(), "days": e.days,
                             "forecast": any(rests_on_forecast(d) for d in span)})
    return {"days": days, "episodes": episodes}


def fire_outlook(observed: list[fw.FwiDay], forecasts: list[Forecast], today: date,
                 last: date, lat: float) -> dict[str, Any]:
    """FWI days from today to ``last``: the observed ones, then the forecast ones continued
    from the last observed codes (standard values after a gap)."""
    done = observed[-1].day if observed else None
    noon = [w for w in (f.noon() for f in forecasts if today <= f.day <= last)
            if w is not None and (done is None or w.day > done)
            and w.day >= date(w.day.year, *fw.SEASON_START)]
    runs: list[list[fw.NoonWeather]] = []
    for w in noon:
        if runs and (w.day - runs[-1][-1].day).days == 1:
            runs[-1].append(w)
        else:
            runs.append([w])
    computed: list[tuple[fw.FwiDay, bool]] = [(d, False) for d in observed
                                               if today <= d.day <= last]
    start = None
    for i, run in enumerate(runs):
        codes = None
        if done is not None and run[0].day == done + timedelta(days=1):
            codes = fw.StartCodes(observed[-1].ffmc, observed[-1].dmc, observed[-1].dc)
        if i == 0:
            start = {"from": done.isoformat() if codes else None,
                     "ffmc": round((codes or fw.StartCodes()).ffmc, 1),
                     "dmc": round((codes or fw.StartCodes()).dmc, 1),
                     "dc": round((codes or fw.StartCodes()).dc, 1)}
        computed += [(d, True) for d in fw.compute_fwi(run, lat, codes)]
    return {"days": [{**d.public(), "forecast": predicted} for d, predicted in computed],
            "start": start}


def _issues(forecasts: list[Forecast]) -> list[dict[str, Any]]:
    """The distinct issues (time, source) of a station's forecast days, latest first."""
    by_issue: dict[tuple[int, str | None], list[date]] = {}
    for f in forecasts:
        by_issue.setdefault((f.issued_at, f.source), []).append(f.day)
    return [{"issued_at": format_instant(at), "source": source, "first": min(d).isoformat(),
             "last": max(d).isoformat(), "days": len(d)}
            for (at, source), d in sorted(by_issue.items(), key=lambda i: -i[0][0])]


def has_forecasts(conn: Connection, tenant_id: int, today: date) -> bool:
    """Whether the tenant holds a forecast of today or later (any station)."""
    f = schema.weather_forecasts
    return conn.execute(select(f.c.day).where(f.c.tenant_id == tenant_id,
                                              f.c.day >= today.isoformat()).limit(1)).first() \
        is not None


def tenant_outlook(scope: TenantScope, conn: Connection, registry: Registry, now: int,
                   days: int, parts: tuple[str, ...] = ("heat", "fire")) -> dict[str, Any]:
    """Per visible weather station: the heat and fire levels from today to today + days − 1,
    from the imported forecasts where there are some (see the module's docstring); ``parts``
    limits the work to the heat or the fire levels (the detectors)."""
    zone = scope.zone
    today = local_day(now, zone)
    last = today + timedelta(days=days - 1)
    thresholds = hw.tenant_thresholds(scope.settings, registry)
    a = schema.assets
    stations = conn.execute(select(a.c.id, a.c.name, a.c.commune_insee, a.c.geometry).where(
        scope.asset_visible(), a.c.kind == fw.STATION_KIND).order_by(a.c.name, a.c.id)).all()
    temperature = {r.id: r.stream_id for r in hw.stations(scope, conn)} \
        if "heat" in parts else {}
    fire_streams = fw.station_streams(scope, conn) if "fire" in parts else {}
    forecasts = station_forecasts(conn, scope.tenant_id, [s.id for s in stations], today,
                                  last)
    out = []
    for s in stations:
        mine = forecasts.get(s.id, [])
        entry: dict[str, Any] = {
            "id": s.id, "name": s.name, "commune": s.commune_insee,
            "forecast": {"issues": _issues(mine), "days": len(mine),
                         "first": mine[0].day.isoformat(),
                         "last": mine[-1].day.isoformat()} if mine else None}
        if "heat" in parts:
            observed = (station_days(conn, scope.tenant_id, temperature[s.id],
                                     today - timedelta(days=HEAT_LOOKBACK_DAYS + 2), today,
                                     zone) if s.id in temperature else [])
            entry["heat"] = heat_outlook(observed, mine, today, last, thresholds)
        if "fire" in parts:
            lat = fw._lat(s.geometry)
            fire = (fw.station_fwi(conn, scope.tenant_id, fire_streams[s.id]["streams"], today,
                                   zone, lat) if s.id in fire_streams else [])
            entry["fire"] = fire_outlook(fire, mine, today, last, lat)
        out.append(entry)
    return {"today": today.isoformat(), "until": last.isoformat(), "days": days,
            "horizon_days": MAX_AHEAD_DAYS + 1, "thresholds": thresholds.public(),
            "heat_levels": [{"key": k, "label": v} for k, v in HEAT_LEVELS.items()],
            "classes": [{"key": c.key, "label": c.label, "from_fwi": c.lower}
                        for c in fw.CLASSES],
            "classes_source": fw.CLASS_SOURCE, "stations": out}
