"""A building's energy signature: its measured consumption of each month against the
month's degree days, with the least-squares line kWh = slope × DJU + intercept and its r².

The slope is the heating need per degree day (kWh/DJU), the intercept the consumption that
does not depend on the weather (hot water, lighting, appliances). Months whose consumption
is measured on less than ``annual.MIN_COVERAGE`` of their days, or whose temperatures miss
a day, are left out of the fit (listed with ``kwh`` or ``dju`` null). At least three months
are needed for a line.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import orjson
from sqlalchemy import Connection

from ...core.access import TenantScope
from ...core.day_temperatures import station_days
from .annual import measured_days, monthly_measured
from .degree_days import (
    by_month,
    month_days,
    station_stream,
    tenant_dju,
)

MIN_POINTS = 3


def fit(points: list[tuple[float, float]]) -> dict[str, float] | None:
    """Least squares y = slope × x + intercept over (x, y) points, with r²; None when fewer
    than ``MIN_POINTS`` or x does not vary."""
    n = len(points)
    if n < MIN_POINTS:
        return None
    mx = sum(x for x, _ in points) / n
    my = sum(y for _, y in points) / n
    sxx = sum((x - mx) ** 2 for x, _ in points)
    sxy = sum((x - mx) * (y - my) for x, y in points)
    syy = sum((y - my) ** 2 for _, y in points)
    if sxx == 0:
        return None
    slope = sxy / sxx
    r2 = (sxy * sxy) / (sxx * syy) if syy else 1.0
    return {"slope": slope, "intercept": my - slope * mx, "r2": r2, "points": n}


def energy_signature(scope: TenantScope, conn: Connection, row: Any,
                     year: int) -> dict[str, Any]:
    """Monthly kWh (every energy measured) and DJU of ``year`` for a building row."""
    properties = orjson.loads(row.properties)
    dju = tenant_dju(scope.settings)
    station = station_stream(scope, conn, properties.get("weather_station_ref"))
    first, last = date(year, 1, 1), date(year, 12, 31)
    meters = measured_days(scope, conn, [row], first, last)[row.id]
    months_kwh = monthly_measured(meters, year)
    temps = [] if station is None else station_days(
        conn, scope.tenant_id, station.id, first, last, scope.zone)
    months_dju = by_month(temps, dju.base_c, dju.method)
    months, points = [], []
    for i, (month, kwh, coverage) in enumerate(months_kwh, start=1):
        value, n = months_dju.get(month, (None, 0))
        value = value if n == month_days(year, i) else None
        months.append({"month": month, "kwh": None if kwh is None else round(kwh, 3),
                       "coverage": round(coverage, 4),
                       "dju": None if value is None else round(value, 2)})
        if kwh is not None and value is not None:
            points.append((value, kwh))
    line = fit(points)
    return {"building_id": row.id, "ref": row.ref, "name": row.name, "year": year,
            "dju": {**dju.public(), "station": None if station is None else {
                "ref": station.ref, "name": station.name}},
            "months": months,
            "fit": None if line is None else {k: round(v, 4) for k, v in line.items()},
            "message": None if station is not None else
            "Station météo de référence non renseignée ou sans températures : pas de "
            "degrés-jours."}
