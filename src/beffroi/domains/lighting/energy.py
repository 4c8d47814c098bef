"""Energy of lighting cabinets: expected (inventory × programme) against measured (the
cabinet's meter), per day or per month, and the gap between them.

``load_cabinets`` reads what the computations need from the database (through the
scope: a member limited to some communes gets their cabinets only; a cabinet's load
counts all its luminaires, wherever they stand, since its meter measures them all).
The rest are plain functions over ``Cabinet`` values.

The gap of a period compares the measured kWh with the expected kWh *of the days that
have a reading*, so that a month half covered by the meter does not show a false 50 %
gap; ``days`` and ``measured_days`` tell how complete each period is.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import orjson
from shapely.geometry import shape
from sqlalchemy import Connection, and_, select

from ...core.access import TenantScope
from ...core.clock import PARIS
from ...core.errors import Invalid, NotFound
from ...storage import schema
from .cabinet_programme import cabinet_programme
from .cli import check_range, parse_date
from .consumption import CabinetLoad, cabinet_load, daily_kwh
from .meters import daily_consumption, daily_readings, readings_of
from .programmes import Programme

CABINET_KIND = "lighting.cabinet"
LUMINAIRE_KIND = "lighting.luminaire"
METER_METRIC = "energy.active_import"
STEPS = ("day", "month")
MAX_ENERGY_DAYS = 3 * 366 + 1


@dataclass(frozen=True)
class Cabinet:
    """What the energy computations know of one cabinet."""

    id: int
    ref: str
    name: str
    commune: str | None
    lat: float | None
    lon: float | None
    props: Mapping[str, Any]
    programme: Programme
    load: CabinetLoad
    meter: int | None  # stream id of its energy counter
    luminaires: tuple[Mapping[str, Any], ...] = field(default=(), repr=False)


def tenant_zone(scope: TenantScope) -> ZoneInfo:
    return scope.zone


def local_today(scope: TenantScope | None = None) -> date:
    return datetime.now(tenant_zone(scope) if scope is not None else PARIS).date()


def _position(geometry: str | None) -> tuple[float | None, float | None]:
    if not geometry:
        return None, None
    point = shape(orjson.loads(geometry)).representative_point()
    return point.y, point.x


def load_cabinets(scope: TenantScope, conn: Connection, commune: str | None = None,
                  ids: Iterable[int] | None = None) -> list[Cabinet]:
    """The cabinets the scope sees (in ``commune``, or with these ``ids``), with their
    luminaires, programme and meter."""
    scope.require("read")
    a, s = schema.assets, schema.streams
    query = select(a.c.id, a.c.ref, a.c.name, a.c.commune_insee, a.c.geometry,
                   a.c.properties).where(scope.asset_visible(), a.c.kind == CABINET_KIND)
    if commune is not None:
        query = query.where(a.c.commune_insee == commune)
    if ids is not None:
        query = query.where(a.c.id.in_(sorted(set(ids))))
    rows = list(conn.execute(query.order_by(a.c.id)))
    cabinet_ids = [r.id for r in rows]
    luminaires: dict[int, list[dict[str, Any]]] = {i: [] for i in cabinet_ids}
    meters: dict[int, int] = {}
    for chunk in (cabinet_ids[i:i + 500] for i in range(0, len(cabinet_ids), 500)):
        for parent, props in conn.execute(select(a.c.parent_id, a.c.properties).where(
                scope.owns(a), a.c.kind == LUMINAIRE_KIND, a.c.parent_id.in_(chunk))):
            luminaires[parent].append(orjson.loads(props))
        for asset_id, sid in conn.execute(select(s.c.asset_id, s.c.id).where(and_(
                scope.owns(s), s.c.metric == METER_METRIC, s.c.asset_id.in_(chunk)))):
            meters[asset_id] = sid
    out = []
    for r in rows:
        props = orjson.loads(r.properties or "{}")
        lat, lon = _position(r.geometry)
        lums = tuple(luminaires[r.id])
        out.append(Cabinet(r.id, r.ref, r.name, r.commune_insee, lat, lon, props,
                           cabinet_programme(props)[0], cabinet_load(props, lums),
                           meters.get(r.id), lums))
    return out


def expected_by_day(cabinet: Cabinet, first: date, last: date,
                    programme: Programme | None = None,
                    load: CabinetLoad | None = None) -> dict[date, float]:
    """Expected kWh of each local day (its programme and load, or the ones given)."""
    if cabinet.lat is None or cabinet.lon is None:
        return {first + timedelta(days=i): 0.0 for i in range((last - first).days + 1)}
    return daily_kwh(load or cabinet.load, programme or cabinet.programme, cabinet.lat,
                     cabinet.lon, first, last)


def measured_by_day(scope: TenantScope, conn: Connection, cabinets: Iterable[Cabinet],
                    first: date, last: date,
                    expected: Mapping[int, Mapping[date, float]] | None = None,
                    rollups: np.ndarray | None = None) -> dict[int, dict[date, float]]:
    """Measured kWh per cabinet (by id) and local day, for the cabinets with a meter; from
    ``rollups`` when given (``meters.read_rollups`` of these days, their meters among
    others), else read here."""
    metered = [c for c in cabinets if c.meter is not None]
    meters, tz = [c.meter for c in metered], tenant_zone(scope)
    readings = (readings_of(rollups, meters, tz) if rollups is not None
                else daily_readings(conn, scope.tenant_id, meters, first, last, tz))
    expected = expected or {}
    return {c.id: daily_consumption(readings[c.meter], first, last, expected.get(c.id))
            for c in metered}


# -- per period ----------------------------------------------------------------------------------
def periods(first: date, last: date, step: str) -> list[tuple[str, date, date]]:
    """(label, first day, last day) of each day or calendar month, clipped to the range."""
    out = []
    day = first
    while day <= last:
        if step == "day":
            out.append((day.isoformat(), day, day))
            day += timedelta(days=1)
            continue
        following = date(day.year + (day.month == 12), day.month % 12 + 1, 1)
        end = min(last, following - timedelta(days=1))
        out.append((day.strftime("%Y-%m"), day, end))
        day = following
    return out


def _round(value: float | None, digits: int = 1) -> float | None:
    return None if value is None else round(value, digits)


def gap_point(label: str, days: list[date], expected: Mapping[date, float],
              measured: Mapping[date, float]) -> dict[str, Any]:
    covered = [d for d in days if d in measured]
    exp_all = sum(expected.get(d, 0.0) for d in days)
    meas = sum(measured[d] for d in covered) if covered else None
    exp_covered = sum(expected.get(d, 0.0) for d in covered)
    gap = None if meas is None else meas - exp_covered
    return {"period": label, "days": len(days), "measured_days": len(covered),
            "measured_kwh": _round(meas), "expected_kwh": _round(exp_all),
            "gap_kwh": _round(gap),
            "gap_percent": (None if gap is None or exp_covered <= 0
                            else round(100 * gap / exp_covered, 1))}


def compare(expected: Mapping[date, float], measured: Mapping[date, float], first: date,
            last: date, step: str) -> dict[str, Any]:
    """Points per period and totals of measured against expected kWh."""
    points = []
    for label, lo, hi in periods(first, last, step):
        days = [lo + timedelta(days=i) for i in range((hi - lo).days + 1)]
        points.append(gap_point(label, days, expected, measured))
    all_days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
    totals = gap_point(f"{first.isoformat()}/{last.isoformat()}", all_days, expected, measured)
    del totals["period"]
    return {"points": points, "totals": totals}


# -- the request ---------------------------------------------------------------------------------
def energy_request(first: str | None, last: str | None, step: str | None,
                   today: date) -> tuple[date, date, str]:
    """Read ``from``/``to``/``step`` (defaults: 1 January of this year, today, month)."""
    errors = []
    start = end = None
    try:
        start = parse_date(first, "de début") if first else date(today.year, 1, 1)
    except ValueError as exc:
        errors.append({"field": "from", "message": str(exc)})
    try:
        end = parse_date(last, "de fin") if last else today
    except ValueError as exc:
        errors.append({"field": "to", "message": str(exc)})
    if start and end:
        try:
            check_range(start, end)
            if (end - start).days + 1 > MAX_ENERGY_DAYS:
                raise ValueError(f"période de {(end - start).days + 1} jours : 3 ans au plus.")
        except ValueError as exc:
            errors.append({"field": "to", "message": str(exc)})
    step = step or "month"
    if step not in STEPS:
        errors.append({"field": "step", "message": "valeurs possibles : day (jour), "
                                                   "month (mois)"})
    if errors:
        raise Invalid("Paramètres de consommation invalides.", errors=errors)
    return start, end, step  # type: ignore[return-value]


def cabinet_energy(scope: TenantScope, conn: Connection, asset_id: int, first: date,
                   last: date, step: str) -> dict[str, Any]:
    """Measured and expected energy of one cabinet, per day or month, and the gap."""
    scope.require("read")
    row = scope.asset(conn, asset_id)
    if row.kind != CABINET_KIND:
        raise NotFound(f"Équipement {asset_id} : ce n'est pas une armoire d'éclairage public.")
    [cabinet] = load_cabinets(scope, conn, ids=[asset_id])
    expected = expected_by_day(cabinet, first, last)
    measured = measured_by_day(scope, conn, [cabinet], first, last,
                               {cabinet.id: expected}).get(cabinet.id, {})
    return {"asset_id": cabinet.id, "ref": cabinet.ref, "name": cabinet.name,
            "from": first.isoformat(), "to": last.isoformat(), "step": step,
            "programme": {"key": cabinet.programme.key, "label": cabinet.programme.label},
            "model": {"luminaires": len(cabinet.luminaires),
                      "full_power_kw": round(cabinet.load.full_kw, 3),
                      "source": ("inventaire des points lumineux"
                                 if cabinet.load.luminaires_listed
                                 else "puissance raccordée de l'armoire")},
            "metered": cabinet.meter is not None,
            **compare(expected, measured, first, last, step)}
