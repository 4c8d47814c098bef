"""Heat waves: Météo-France's biometeorological indicators (IBM) and episodes.

Definitions (Météo-France heat-wave vigilance, see DOMAIN-FACTS "Heat waves"):

- For each local day D with a minimum (Tmin) and a maximum (Tmax) temperature, IBMn(D)
  is the mean of Tmin over D−2, D−1 and D, IBMx(D) the mean of Tmax over the same days.
  A missing day leaves IBM unknown on the three days it touches (itself and the two after).
- An episode is a maximal run of consecutive days where both IBMn ≥ the IBMn threshold and
  IBMx ≥ the IBMx threshold ("reach": equality counts). Its peak values are the highest
  IBMn and the highest IBMx over the run (not necessarily on the same day). A day with no
  IBM ends the run: two runs around a gap are two episodes.
- Input days may come in any order: they are sorted; a date given twice is refused.

Thresholds are departmental (``DEPARTMENTS``): a tenant chooses its department
(setting ``risks.heat_department``) and may override either threshold
(``risks.heat_min_threshold_c`` for IBMn, and the dashboard's existing
``risks.heat_max_threshold_c`` for IBMx): ``tenant_thresholds``.

Plain-function API (for the ``/risques`` page and the detector):
``ibm_series(days)``, ``find_episodes(ibm, thresholds)`` (from the daily Tmin/Tmax of
``core.day_temperatures``), ``tenant_heat(...)`` (per station: IBM and episodes over the
last days); JSON route
``GET /api/v1/tenants/{t}/risks/heatwave?days=N`` (``heatwave_routes``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Connection, and_, select

from ...core.access import TenantScope
from ...core.clock import local_day
from ...core.day_temperatures import DayTemperatures, station_days
from ...core.registry import Registry
from ...core.settings import setting
from ...storage import schema
from .settings import HEAT_DEPARTMENT, HEAT_MAX_THRESHOLD, HEAT_MIN_THRESHOLD

STATION_KIND = "risks.weather_station"
TEMPERATURE = "air.temperature"


@dataclass(frozen=True)
class Department:
    code: str
    name: str
    ibmn_c: float
    ibmx_c: float
    verified: bool  # False: "à vérifier" (value not found in a source)


# Météo-France departmental heat-wave thresholds (IBMn/IBMx, °C): secondary sources
# (DOMAIN-FACTS, tag [S]); the Marne's were not found: 18/34 like its neighbours, to
# verify.
DEPARTMENTS: dict[str, Department] = {d.code: d for d in (
    Department("88", "Vosges", 18.0, 34.0, True),
    Department("55", "Meuse", 18.0, 34.0, True),
    Department("57", "Moselle", 19.0, 34.0, True),
    Department("54", "Meurthe-et-Moselle", 18.0, 34.0, True),
    Department("51", "Marne", 18.0, 34.0, False),
)}


@dataclass(frozen=True)
class Thresholds:
    ibmn_c: float
    ibmx_c: float
    department: str | None = None
    verified: bool = True

    def public(self) -> dict[str, Any]:
        out: dict[str, Any] = {"ibmn": self.ibmn_c, "ibmx": self.ibmx_c}
        if self.department is not None:
            out["department"] = self.department
            out["verified"] = self.verified
            if not self.verified:
                out["note"] = "seuils à vérifier"
        return out


@dataclass(frozen=True)
class IbmDay:
    day: date
    ibmn_c: float
    ibmx_c: float


@dataclass(frozen=True)
class Episode:
    start: date
    end: date
    peak_ibmn_c: float
    peak_ibmx_c: float

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def public(self) -> dict[str, Any]:
        return {"start": self.start.isoformat(), "end": self.end.isoformat(),
                "peak_ibmn": round(self.peak_ibmn_c, 2), "peak_ibmx": round(self.peak_ibmx_c, 2)}


def department_thresholds(code: str) -> Thresholds:
    """The default thresholds of a department (``ValueError`` in French if unknown)."""
    found = DEPARTMENTS.get(str(code).strip())
    if found is None:
        raise ValueError(f"département « {code} » sans seuils connus (connus : "
                         f"{', '.join(DEPARTMENTS)})")
    return Thresholds(found.ibmn_c, found.ibmx_c, found.code, found.verified)


def tenant_thresholds(stored: Mapping[str, Any], registry: Registry) -> Thresholds:
    """A tenant's thresholds: its department's, with its own overrides."""
    base = department_thresholds(setting(stored, registry, HEAT_DEPARTMENT))
    ibmn = setting(stored, registry, HEAT_MIN_THRESHOLD)
    ibmx = setting(stored, registry, HEAT_MAX_THRESHOLD)
    return Thresholds(float(ibmn) if ibmn is not None else base.ibmn_c,
                      float(ibmx) if ibmx is not None else base.ibmx_c,
                      base.department, base.verified)


def sorted_days(days: Iterable[DayTemperatures]) -> list[DayTemperatures]:
    """The days sorted by date; ``ValueError`` (French) if a date comes twice."""
    out = sorted(days, key=lambda d: d.day)
    for before, after in zip(out, out[1:], strict=False):
        if before.day == after.day:
            raise ValueError(f"la date {after.day.isoformat()} est donnée deux fois")
    return out


def ibm_series(days: Iterable[DayTemperatures]) -> list[IbmDay]:
    """IBMn/IBMx of each day whose two previous days are known too."""
    ordered = sorted_days(days)
    by_day = {d.day: d for d in ordered}
    out = []
    for d in ordered:
        window = [by_day.get(d.day - timedelta(days=k)) for k in (2, 1, 0)]
        if all(w is not None for w in window):
            out.append(IbmDay(d.day, sum(w.tmin_c for w in window) / 3,  # type: ignore[union-attr]
                              sum(w.tmax_c for w in window) / 3))  # type: ignore[union-attr]
    return out


def reaches(value: IbmDay, thresholds: Thresholds) -> bool:
    """Both thresholds reached (equality counts)."""
    # Rounded to 1e-9: a mean of three tenths must reach a threshold it equals.
    return (round(value.ibmn_c, 9) >= thresholds.ibmn_c
            and round(value.ibmx_c, 9) >= thresholds.ibmx_c)


def find_episodes(ibm: Iterable[IbmDay], thresholds: Thresholds) -> list[Episode]:
    """Maximal runs of consecutive days reaching both thresholds."""
    episodes: list[Episode] = []
    run: list[IbmDay] = []

    def close() -> None:
        if run:
            episodes.append(Episode(run[0].day, run[-1].day, max(d.ibmn_c for d in run),
                                    max(d.ibmx_c for d in run)))
            run.clear()

    for d in sorted(ibm, key=lambda i: i.day):
        if not reaches(d, thresholds) or (run and d.day != run[-1].day + timedelta(days=1)):
            close()
        if reaches(d, thresholds):
            run.append(d)
    close()
    return episodes


# -- from a tenant's weather stations ------------------------------------------------------

def stations(scope: TenantScope, conn: Connection) -> list[Any]:
    """(asset id, name, commune, stream id) of the visible weather stations measuring the
    air temperature."""
    a, s = schema.assets, schema.streams
    return list(conn.execute(
        select(a.c.id, a.c.name, a.c.commune_insee, s.c.id.label("stream_id"))
        .join(s, and_(s.c.tenant_id == a.c.tenant_id, s.c.asset_id == a.c.id))
        .where(scope.asset_visible(a), a.c.kind == STATION_KIND, s.c.metric == TEMPERATURE)
        .order_by(a.c.name, a.c.id)))




def running(episodes: list[Episode], today: date) -> Episode | None:
    """The episode still running: one that reaches today or yesterday (today's extremes are
    partial until the evening, so a complete yesterday keeps the episode going)."""
    if episodes and episodes[-1].end >= today - timedelta(days=1):
        return episodes[-1]
    return None


def tenant_heat(scope: TenantScope, conn: Connection, registry: Registry, now: int,
                days: int) -> dict[str, Any]:
    """Per visible weather station: IBM of the last ``days`` local days up to today, the
    episodes that touch them and the one running; the tenant's thresholds."""
    zone = scope.zone
    thresholds = tenant_thresholds(scope.settings, registry)
    today = local_day(now, zone)
    first = today - timedelta(days=days - 1)
    out_stations = []
    for row in stations(scope, conn):
        temps = station_days(conn, scope.tenant_id, row.stream_id, first - timedelta(days=2),
                             today, zone)
        ibm = ibm_series(temps)
        episodes = find_episodes(ibm, thresholds)
        current = running(episodes, today)
        last = ibm[-1] if ibm else None
        out_stations.append({
            "id": row.id, "name": row.name, "commune": row.commune_insee,
            "current": None if last is None else {
                "date": last.day.isoformat(), "ibmn": round(last.ibmn_c, 2),
                "ibmx": round(last.ibmx_c, 2)},
            "running": None if current is None else {**current.public(),
                                                     "days": current.days},
            "days": [{"date": d.day.isoformat(), "tmin": round(d.tmin_c, 2),
                      "tmax": round(d.tmax_c, 2)} for d in temps if d.day >= first],
            "ibm": [{"date": d.day.isoformat(), "ibmn": round(d.ibmn_c, 2),
                     "ibmx": round(d.ibmx_c, 2)} for d in ibm if d.day >= first],
            "episodes": [e.public() for e in episodes],
        })
    return {"thresholds": thresholds.public(), "today": today.isoformat(),
            "from": first.isoformat(), "days": days, "stations": out_stations}

