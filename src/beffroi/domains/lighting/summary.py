"""The lighting dashboard of a year: energy month by month against last year and against
the programme, savings, failures and non-compliances, for the territory or a commune.

Energy per month (``energy.months``): ``kwh`` is what the cabinets' meters measured,
``previous_kwh`` the same month of the year before, ``expected_kwh`` what the inventory
and the programmes imply *for the same cabinets and days as the measurements* (so that
the two compare); null where no meter has data. ``measured_days`` and
``previous_measured_days`` tell how many days of each month have readings.

Comparisons with the year before (``energy.comparison`` for the year to date, and
``compared_days`` / ``change_pct`` of each month) are made only over the days *both*
years measured, cabinet by cabinet (``comparison``): a month or a year is never set
against a period the meters covered differently. They stop yesterday (today is not over)
and give no change below ``comparison.MIN_COMPARED_DAYS`` compared days. The coverage of
each year (``energy.coverage``) says which days have readings and whether the year is
complete (every metered cabinet, every day): only then is it "the whole year".

Savings run from 1 January to yesterday (the whole year once it is over); how much of
them rests on measurements is in ``savings.measured_share`` (see ``savings``). Failures
are the active (open or acknowledged) alerts on lighting assets, newest first.
"""

from __future__ import annotations

import copy
from datetime import date, timedelta
from typing import Any

import numpy as np
import orjson
from sqlalchemy import Connection, func, select

from ...core.access import TenantScope
from ...core.alerting.alerts import list_alerts
from ...core.clock import format_instant
from ...core.errors import Invalid
from ...core.registry import Registry
from ...storage import schema
from .comparison import coverage, same_days_comparison
from .compliance_report import report_totals
from .darkness import darkness_restored
from .energy import (
    CABINET_KIND,
    LUMINAIRE_KIND,
    METER_METRIC,
    expected_by_day,
    load_cabinets,
    measured_by_day,
    tenant_zone,
)
from .kinds import KINDS
from .memo import ContentMemo, digest
from .meters import read_rollups
from .savings import same_days_of, savings
from .settings import lighting_settings

MAX_ALERTS_LISTED = 50


def summary_request(year: str | None, today: date) -> int:
    if year is None or year == "":
        return today.year
    try:
        value = int(year)
    except ValueError:
        value = 0
    if not 2000 <= value <= 2100:
        raise Invalid("Année invalide.", errors=[{"field": "year",
                                                  "message": "année AAAA entre 2000 et 2100"}])
    return value


def _check_commune(scope: TenantScope, conn: Connection, commune: str | None) -> None:
    if commune is None:
        return
    c = schema.communes
    if conn.execute(select(c.c.insee).where(scope.commune_visible(), c.c.insee == commune)
                    ).first() is None:
        raise Invalid(f"Commune « {commune} » inconnue dans ce territoire.",
                      errors=[{"field": "commune", "message": "code INSEE inconnu"}])


def _by_month(per_cabinet: dict[int, dict[date, float]]
              ) -> dict[tuple[int, int], dict[int, dict[date, float]]]:
    """The same values split by (year, month), each cabinet's days in their order (so that
    sums over a month add the same numbers in the same order as over the whole)."""
    out: dict[tuple[int, int], dict[int, dict[date, float]]] = {}
    for cid, days in per_cabinet.items():
        for d, v in days.items():
            out.setdefault((d.year, d.month), {}).setdefault(cid, {})[d] = v
    return out


def _month_sum(month: dict[int, dict[date, float]] | None) -> float | None:
    values = [v for days in (month or {}).values() for v in days.values()]
    return round(sum(values), 1) if values else None


def _distinct_days(month: dict[int, dict[date, float]] | None) -> int:
    """Days of the month with a reading of at least one cabinet (``coverage``'s ``days``)."""
    return len({d for days in (month or {}).values() for d in days})


def _total(values: list[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return round(sum(present), 1) if present else None


def _month_days(year: int, month: int) -> tuple[date, date]:
    following = date(year + (month == 12), month % 12 + 1, 1)
    return date(year, month, 1), following - timedelta(days=1)


def _energy(cabinets, measured, expected, year: int, today: date) -> dict[str, Any]:
    expected_measured = {cid: {d: expected[cid].get(d, 0.0) for d in days}
                         for cid, days in measured.items()}
    metered = [c.id for c in cabinets if c.meter is not None]
    # Comparisons stop yesterday: today is not over.
    compared_last = min(date(year, 12, 31), today - timedelta(days=1))
    measured_months, expected_months = _by_month(measured), _by_month(expected_measured)
    months = []
    for m in range(1, 13):
        first, last = _month_days(year, m)
        current, before = measured_months.get((year, m)), measured_months.get((year - 1, m))
        kwh = _month_sum(current)
        # Only this month's days of each cabinet can pair with the year before's.
        month = same_days_comparison(current or {}, measured, first,
                                     min(last, compared_last), year - 1)
        months.append({"month": f"{year}-{m:02d}", "kwh": kwh,
                       "previous_kwh": _month_sum(before),
                       "expected_kwh": None if kwh is None
                       else _month_sum(expected_months.get((year, m))),
                       "measured_days": _distinct_days(current),
                       "previous_measured_days": _distinct_days(before),
                       "compared_days": month["days"], "change_pct": month["change_pct"]})
    last_day = max((d for days in measured.values() for d in days if d.year == year),
                   default=None)
    year_end = min(date(year, 12, 31), today)
    return {"months": months,
            "year_kwh": _total([m["kwh"] for m in months]),
            "previous_year_kwh": _total([m["previous_kwh"] for m in months]),
            "expected_kwh": _total([m["expected_kwh"] for m in months]),
            "coverage": {
                "year": coverage(measured, metered, date(year, 1, 1), year_end),
                "previous_year": coverage(measured, metered, date(year - 1, 1, 1),
                                          date(year - 1, 12, 31))},
            "comparison": same_days_comparison(measured, measured, date(year, 1, 1),
                                               compared_last, year - 1),
            "metered_cabinets": len(metered),
            "measured_through": last_day.isoformat() if last_day else None}


def _failures(scope: TenantScope, conn: Connection, commune: str | None) -> dict[str, Any]:
    rows = list_alerts(scope, conn, status="active", domain="lighting", commune=commune,
                       limit=1000)
    return {"open": len(rows), "alerts": [
        {"id": r.id, "title": r.title, "severity": r.severity, "asset_id": r.asset_id,
         "ref": r.asset_ref, "opened_at": format_instant(r.opened_at), "status": r.status,
         "detector": r.detector} for r in rows[:MAX_ALERTS_LISTED]]}


def _non_compliances(scope: TenantScope, conn: Connection, commune: str | None
                     ) -> dict[str, Any]:
    totals = report_totals(scope, conn, commune)
    return {"luminaires": totals["non_compliant"],
            "findings": sum(totals["violations_by_rule"].values()),
            "article5_incomplete": totals["article5_incomplete"]}


def _savings_period(year: int, today: date) -> tuple[date, date]:
    """Savings: 1 January to yesterday (today is not over), the whole year once it is."""
    return date(year, 1, 1), min(date(year, 12, 31), today - timedelta(days=1))


def _reference_period(values: dict[str, Any], s_first: date, s_last: date
                      ) -> tuple[date, date] | None:
    """The same days of the reference year, when the savings are measured against it."""
    ref_year = values.get("reference_year")
    if values["savings_baseline"] == "reference_year" and ref_year and s_first <= s_last:
        return same_days_of(int(ref_year), s_first, s_last)
    return None


def _read_periods(values: dict[str, Any], year: int, today: date) -> list[tuple[date, date]]:
    """The days whose meter readings the summary reads."""
    first, end = date(year - 1, 1, 1), min(date(year, 12, 31), today)
    reference = _reference_period(values, *_savings_period(year, today))
    return [p for p in ((first, end), reference) if p is not None and p[0] <= p[1]]


# Figures of the summary (all but the failures, read on every call) by ``_fingerprint``.
SUMMARY_MEMO = ContentMemo(128)
LIGHTING_KINDS = tuple(sorted(kind.key for kind in KINDS))


def _fingerprint(scope: TenantScope, conn: Connection, values: dict[str, Any], year: int,
                 commune: str | None, today: date
                 ) -> tuple[tuple[Any, ...], dict[tuple[date, date], np.ndarray]]:
    """(key, rollups): what the summary's figures are computed from — the request, what the
    scope may see, the tenant's settings, and the digest of every lighting asset of the
    tenant with the cabinets' meters and their daily readings over the days read (a
    superset of what the figures read, so that equal keys mean equal figures); and those
    readings by period, for the figures to use rather than read them again."""
    a, s = schema.assets, schema.streams
    assets = [tuple(row) for row in conn.execute(
        select(a.c.id, a.c.kind, a.c.ref, a.c.name, a.c.commune_insee, a.c.parent_id,
               a.c.geometry, a.c.minx, a.c.miny, a.c.maxx, a.c.maxy, a.c.properties)
        .where(scope.owns(a), a.c.kind.in_(LIGHTING_KINDS)).order_by(a.c.id))]
    meters = [tuple(row) for row in conn.execute(
        select(s.c.asset_id, s.c.id)
        .join(a, (a.c.tenant_id == s.c.tenant_id) & (a.c.id == s.c.asset_id))
        .where(scope.owns(s), s.c.metric == METER_METRIC, a.c.kind == CABINET_KIND)
        .order_by(s.c.id))]
    tz = tenant_zone(scope)
    rollups = {period: read_rollups(conn, scope.tenant_id, [m[1] for m in meters], *period, tz)
               for period in _read_periods(values, year, today)}
    key = (scope.tenant_id, scope.role,
           None if scope.communes is None else tuple(sorted(scope.communes)),
           None if scope.kinds is None else tuple(sorted(scope.kinds)),
           orjson.dumps(scope.settings, option=orjson.OPT_SORT_KEYS),
           orjson.dumps(values, option=orjson.OPT_SORT_KEYS), year, commune, today,
           digest(assets, meters, *(rows for rows in rollups.values())))
    return key, rollups


def lighting_summary(scope: TenantScope, conn: Connection, registry: Registry, year: int,
                     commune: str | None, today: date) -> dict[str, Any]:
    """The dashboard of ``year`` (see the module's docstring); its figures are computed once
    per content of what they read (``SUMMARY_MEMO``), the failures on every call."""
    scope.require("read")
    _check_commune(scope, conn, commune)
    values = lighting_settings(scope.settings, registry)
    key, rollups = _fingerprint(scope, conn, values, year, commune, today)
    figures = SUMMARY_MEMO.get(key)
    if figures is None:
        figures = _figures(scope, conn, values, year, commune, today, rollups)
        SUMMARY_MEMO.put(key, figures)
    figures = copy.deepcopy(figures)
    return {"year": year, "commune": commune, "cabinets": figures["cabinets"],
            "luminaires": figures["luminaires"], "energy": figures["energy"],
            "savings": figures["savings"], "failures": _failures(scope, conn, commune),
            "non_compliances": figures["non_compliances"]}


def _figures(scope: TenantScope, conn: Connection, values: dict[str, Any], year: int,
             commune: str | None, today: date,
             rollups: dict[tuple[date, date], np.ndarray]) -> dict[str, Any]:
    cabinets = load_cabinets(scope, conn, commune)
    a = schema.assets
    query = select(func.count()).select_from(a).where(scope.asset_visible(),
                                                      a.c.kind == LUMINAIRE_KIND)
    if commune is not None:
        query = query.where(a.c.commune_insee == commune)
    luminaires = conn.execute(query).scalar_one()

    first, end = date(year - 1, 1, 1), min(date(year, 12, 31), today)
    expected = {c.id: expected_by_day(c, first, end) for c in cabinets} if first <= end else {}
    measured = (measured_by_day(scope, conn, cabinets, first, end, expected,
                                rollups[(first, end)]) if first <= end else {})
    s_first, s_last = _savings_period(year, today)
    in_period = {cid: {d: v for d, v in days.items() if s_first <= d <= s_last}
                 for cid, days in measured.items()}
    reference = None
    reference_days = _reference_period(values, s_first, s_last)
    if reference_days is not None:
        reference = {cid: days for cid, days in measured_by_day(
            scope, conn, cabinets, *reference_days, rollups=rollups[reference_days]).items()
            if days}
    saved = savings(cabinets, s_first if s_first <= s_last else None,
                    s_last if s_first <= s_last else None, values,
                    {cid: {d: v for d, v in days.items() if s_first <= d <= s_last}
                     for cid, days in expected.items()}, in_period, reference)
    dark = (darkness_restored(scope, conn, s_first, s_last, commune) if s_first <= s_last
            else {"dark_corridors": [], "darkness_hours_restored": 0.0})
    saved["darkness_hours_restored"] = dark["darkness_hours_restored"]
    saved["dark_corridors"] = len(dark["dark_corridors"])
    return {"cabinets": len(cabinets), "luminaires": luminaires,
            "energy": _energy(cabinets, measured, expected, year, today),
            "savings": saved, "non_compliances": _non_compliances(scope, conn, commune)}
