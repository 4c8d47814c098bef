"""Décret tertiaire (décret 2019-771, art. R.174-22 to R.174-32 CCH): which buildings are
subject, their reference, their targets and their progress year by year.

- **Tertiary area** of a building: the sum of its ``tertiary_areas`` when entered, else
  its ``floor_area_m2``.
- **Subject**: a building is subject when the tertiary area of its group reaches
  ``THRESHOLD_M2`` (1,000 m²); the group is the buildings of the tenant sharing its
  ``site`` (declared together), else the building alone. ``tertiary_decree`` true forces it
  in, false forces it out (a hand decision wins). The area of a site counts all the
  tenant's buildings of that site, even those a commune-restricted user does not see (only
  the visible ones are listed).
- **Reference year** (``reference_year``, 2010 or later) and its consumption per energy
  (``annual.building_years``: entry, else measure).
- **Targets**: −40 % in 2030, −50 % in 2040, −60 % in 2050 of the reference consumption
  (« valeur relative »), or, for a milestone whose ``cabs_<year>_kwh_m2`` is entered, the
  absolute value Cabs × tertiary area (« valeur absolue », arrêté of 10 April 2020; the
  entered value is taken as the one the building aims at).
- **Progress** of each year from the reference year to the last complete year: raw kWh,
  kWh/m², % against the reference; climate-corrected kWh (``degree_days``: the heating share
  of both the year and the reference brought to the normal DJU) when the station and the
  reference DJU allow it; **on track** when the year's consumption (corrected when
  available, else raw) is at or below the linear path from the reference consumption (at
  the reference year) to the 2030 target (at 2030) — our choice: the décret sets
  milestones only, a straight line is the simplest yardstick between them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from datetime import date
from typing import Any

import orjson
from sqlalchemy import Connection, select

from ...core.access import TenantScope
from ...core.clock import local_day, now_ms
from ...core.day_temperatures import station_days
from ...core.french_format import french_number
from ...storage import schema
from .annual import BUILDING_KIND, AnnualEnergy, building_years
from .degree_days import (
    corrected,
    heating_kwh,
    station_stream,
    tenant_dju,
    year_dju,
)

THRESHOLD_M2 = 1000.0
FIRST_REFERENCE_YEAR = 2010
MILESTONES = {2030: 40.0, 2040: 50.0, 2050: 60.0}  # reduction (%) against the reference


def _number(value: Any) -> float | None:
    if isinstance(value, int | float) and not isinstance(value, bool) and value >= 0:
        return float(value)
    return None


def tertiary_area(properties: Mapping[str, Any]) -> float:
    """Sum of ``tertiary_areas`` when entered, else ``floor_area_m2`` (0 without either)."""
    areas = properties.get("tertiary_areas")
    if isinstance(areas, list):
        total = [_number(a.get("area_m2")) for a in areas if isinstance(a, Mapping)]
        if any(v is not None for v in total):
            return float(sum(v for v in total if v is not None))
    return _number(properties.get("floor_area_m2")) or 0.0


def _site(properties: Mapping[str, Any]) -> str | None:
    site = properties.get("site")
    return site.strip() if isinstance(site, str) and site.strip() else None


def subjects(scope: TenantScope, conn: Connection) -> dict[int, dict[str, Any]]:
    """For every building of the tenant: {"area_m2", "site", "group_area_m2", "subject",
    "reason"} (see the module docstring)."""
    a = schema.assets
    rows = list(conn.execute(select(a.c.id, a.c.properties).where(
        scope.owns(a), a.c.kind == BUILDING_KIND)))
    props = {r.id: orjson.loads(r.properties) for r in rows}
    site_area: dict[str, float] = defaultdict(float)
    for p in props.values():
        if _site(p):
            site_area[_site(p)] += tertiary_area(p)
    out = {}
    for bid, p in props.items():
        area, site = tertiary_area(p), _site(p)
        group = site_area[site] if site else area
        forced = p.get("tertiary_decree")
        if forced is True:
            subject, reason = True, "assujetti (forcé à la main)"
        elif forced is False:
            subject, reason = False, "non assujetti (forcé à la main)"
        elif group >= THRESHOLD_M2:
            subject = True
            reason = (f"site « {site} » : {_m2(group)} tertiaires ≥ {_m2(THRESHOLD_M2)}"
                      if site else f"{_m2(area)} tertiaires ≥ {_m2(THRESHOLD_M2)}")
        else:
            subject = False
            reason = f"{_m2(group)} tertiaires < {_m2(THRESHOLD_M2)}"
        out[bid] = {"area_m2": area, "site": site, "group_area_m2": group,
                    "subject": subject, "reason": reason}
    return out


def _m2(value: float) -> str:
    """« 1 450 m² » (French number, up to one decimal)."""
    return f"{french_number(value, 1)} m²"


def target_kwh(properties: Mapping[str, Any], reference_kwh: float | None, area_m2: float,
               year: int) -> tuple[float | None, str | None]:
    """(kWh, "absolue" or "relative") of a milestone: Cabs × area when entered, else the
    reference reduced by the milestone's percentage; (None, None) without either."""
    cabs = _number(properties.get(f"cabs_{year}_kwh_m2"))
    if cabs is not None and area_m2 > 0:
        return cabs * area_m2, "absolue"
    if reference_kwh is not None:
        return reference_kwh * (1 - MILESTONES[year] / 100), "relative"
    return None, None


def targets(properties: Mapping[str, Any], reference_kwh: float | None,
            area_m2: float) -> list[dict[str, Any]]:
    """The 2030/2040/2050 targets (``target_kwh``), rounded for display."""
    out = []
    for year, cut in MILESTONES.items():
        kwh, kind = target_kwh(properties, reference_kwh, area_m2, year)
        out.append({"year": year, "reduction_pct": cut,
                    "cabs_kwh_m2": _number(properties.get(f"cabs_{year}_kwh_m2")),
                    "kind": kind, "kwh": _round(kwh),
                    "kwh_m2": _round(kwh / area_m2) if kwh is not None and area_m2 else None})
    return out


def path_kwh(reference_year: int, reference_kwh: float, target_2030: float,
             year: int) -> float:
    """The linear path from the reference (at its year) to the 2030 target (at 2030)."""
    if year >= 2030:
        return target_2030
    span = 2030 - reference_year
    return reference_kwh + (target_2030 - reference_kwh) * (year - reference_year) / span


def _round(value: float | None, digits: int = 1) -> float | None:
    return None if value is None else round(value, digits)


def trajectory(scope: TenantScope, conn: Connection, row: Any,
               today: date | None = None) -> dict[str, Any]:
    """A building's décret trajectory (row from ``scope.asset``): status, reference,
    targets and the progress of each year up to the last complete one."""
    today = today or local_day(now_ms(), scope.zone)
    properties = orjson.loads(row.properties)
    status = subjects(scope, conn).get(row.id, {})
    area = status.get("area_m2", 0.0)
    ref_year = properties.get("reference_year")
    ref_year = ref_year if isinstance(ref_year, int) and ref_year >= FIRST_REFERENCE_YEAR \
        else None
    last_year = today.year - 1
    dju = tenant_dju(scope.settings)
    station = station_stream(scope, conn, properties.get("weather_station_ref"))
    out: dict[str, Any] = {
        "building_id": row.id, "ref": row.ref, "name": row.name, "commune": row.commune_insee,
        "status": status, "dju": {**dju.public(),
                                  "station": None if station is None else {
                                      "ref": station.ref, "name": station.name}},
        "reference": None, "targets": targets(properties, None, area), "years": []}
    if ref_year is None or ref_year > last_year:
        out["message"] = ("Année de référence à choisir (2010 ou après, année complète)."
                          if ref_year is None else
                          f"Année de référence {ref_year} pas encore terminée.")
        return out
    years = building_years(scope, conn, row, range(ref_year, last_year + 1))
    temps = ([] if station is None else
             station_days(conn, scope.tenant_id, station.id, date(ref_year, 1, 1),
                          date(last_year, 12, 31), scope.zone))

    def figures(year: int, found: AnnualEnergy
                ) -> tuple[dict[str, Any], float | None, float | None]:
        total = found.total_kwh if found.complete else None
        dju_year = year_dju(temps, year, dju)
        heat, how = (heating_kwh(properties, total, {e.energy: e.kwh for e in found.energies})
                     if total is not None else (None, None))
        fixed = corrected(total, heat, dju.reference, dju_year) if total is not None else None
        return {"year": year, "kwh": _round(total),
                "kwh_m2": _round(total / area, 2) if total is not None and area else None,
                "complete": found.complete, "dju": _round(dju_year),
                "heating_kwh": _round(heat), "heating_share": how,
                "corrected_kwh": _round(fixed),
                "corrected_kwh_m2": _round(fixed / area, 2) if fixed is not None and area
                else None,
                "energies": [e.public() for e in found.energies]}, total, fixed

    reference, ref_kwh, ref_fixed = figures(ref_year, years[ref_year])
    out["reference"] = reference
    out["targets"] = targets(properties, ref_kwh, area)
    if ref_kwh is None:
        out["message"] = (f"Consommation {ref_year} incomplète : saisissez-la par énergie "
                          "(factures) ou complétez les relevés.")
    target_2030 = target_kwh(properties, ref_kwh, area, 2030)[0]
    for year in range(ref_year + 1, last_year + 1):
        item, total, fixed = figures(year, years[year])
        both = fixed is not None and ref_fixed is not None
        base, value = (ref_fixed, fixed) if both else (ref_kwh, total)
        item["compared"] = "corrigée" if both else "brute"
        item["change_pct"] = (_round((value - base) / base * 100)
                              if value is not None and base else None)
        if value is not None and base is not None and target_2030 is not None:
            # The path is scaled to the compared basis (corrected or raw reference).
            expected = path_kwh(ref_year, base, base * target_2030 / ref_kwh, year) \
                if ref_kwh else None
            item["path_kwh"] = _round(expected)
            item["on_track"] = expected is not None and value <= expected
        else:
            item["path_kwh"], item["on_track"] = None, None
        out["years"].append(item)
    return out


def tenant_status(scope: TenantScope, conn: Connection, today: date | None = None
                  ) -> list[dict[str, Any]]:
    """The visible subject buildings with their status and last year's progress."""
    a = schema.assets
    status = subjects(scope, conn)
    rows = conn.execute(select(a).where(scope.asset_visible(), a.c.kind == BUILDING_KIND)
                        .order_by(a.c.name, a.c.id))
    out = []
    for row in rows:
        if not status.get(row.id, {}).get("subject"):
            continue
        found = trajectory(scope, conn, row, today)
        last = found["years"][-1] if found["years"] else None
        out.append({"building_id": row.id, "ref": row.ref, "name": row.name,
                    "commune": row.commune_insee, **found["status"],
                    "reference_year": found["reference"]["year"] if found["reference"]
                    else None,
                    "reference_kwh": found["reference"]["kwh"] if found["reference"] else None,
                    "target_2030_kwh": found["targets"][0]["kwh"],
                    "last_year": last, "message": found.get("message")})
    return out
