"""What the water dashboard and the sector panel read: each sector's night-flow series
with its reference band and the leaks found in it, and an overview of every sector (open
leak, water lost since its onset, ILP of its service).

The series is computed exactly as the live detector (``detectors.night_flow_leaks``) does:
same inflow (``sector_inflow``), same night window and legitimate night use (tenant
settings), same ``detect_leaks`` defaults, over at least the detector's look-back, so the
leak shown on the chart is the one of the alert. Only the last ``days`` nights are
returned (beyond the detector's 180 nights the scan starts earlier, so an old leak may be
dated slightly differently than its alert was).

The reference band of a night is the detector's reference (median of the sector's recent
normal nights, frozen while a leak runs) ± ``LeakParams.min_excess`` × the spread it
came with (``LeakScan.scale_m3h``: 1.4826 × the MAD of the same nights, floored at
``min_scale_share`` of the reference). Nights persistently above the
band make a leak. The rolling 20th percentile of the last 7 nights (UKWIR practice) is
given as well.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import orjson
from fastapi import APIRouter, Query
from sqlalchemy import Connection, select

from ...core.access import TenantScope
from ...core.alerting import alerts as core_alerts
from ...core.alerting.detector_spec import DetectorContext
from ...core.clock import DAY_MS, format_instant, now_ms
from ...core.errors import NotFound
from ...core.registry import Registry
from ...core.settings import setting
from ...core.storable import parse_count
from ...plugin import CtxDep, Id, JSONResponse, Object
from ...storage import schema
from ...storage.database import Database
from . import detectors
from .annual_volumes import parse_year
from .leaks import LeakParams
from .night_flow import Nights, NightWindow, iso_utc, rolling_percentile
from .rpqs import tenant_indicators, year_period
from .settings import PRICE

SECTOR_KIND = "water.sector"
DEFAULT_DAYS = 90
MAX_DAYS = 365
P20_NIGHTS = 7

router = APIRouter()


def _round(value: float, digits: int = 3) -> float | None:
    return None if value is None or not np.isfinite(value) else round(float(value), digits)


def _night_date(nights: Nights, end_s: float) -> str:
    """The local date of the night whose window ends at ``end_s``."""
    return str(nights.day[min(int(np.searchsorted(nights.end_s, end_s)), len(nights) - 1)])


def parse_days(text: Any) -> int:
    """The number of nights shown: an integer from 7 to 365."""
    return parse_count(text, "days", 7, MAX_DAYS, "nuits")


def sector_night_flow(db: Database, scope: TenantScope, conn: Connection, registry: Registry,
                      sector_id: int, days: int, now: int | None = None) -> dict[str, Any]:
    """Night by night over the last ``days``: minimum night flow, reference and band, P20,
    legitimate night use; the leaks found (also those begun earlier and still running); a
    rise of the last nights held as a night use switching on and off (``night_use``)."""
    scope.require("read")
    if scope.role == "public":  # built from meters and alerts, which the public never sees
        raise NotFound(f"Équipement {sector_id} introuvable dans ce territoire.")
    sector = scope.asset(conn, sector_id)
    if sector.kind != SECTOR_KIND:
        raise NotFound(f"L'équipement {sector_id} n'est pas un secteur de distribution.")
    now = now or now_ms()
    ctx = DetectorContext(db, conn, scope, registry, now)
    window = detectors.night_window(ctx)
    price = float(setting(scope.settings, registry, PRICE))
    legitimate = detectors.legitimate_night_use(ctx, sector)
    shown_from = now - days * DAY_MS
    out: dict[str, Any] = {
        "sector": {"id": sector.id, "ref": sector.ref, "name": sector.name,
                   "commune": sector.commune_insee},
        "days": days, "from": format_instant(shown_from), "to": format_instant(now),
        "window": {"start": f"{window.start_min // 60:02d}:{window.start_min % 60:02d}",
                   "end": f"{window.end_min // 60:02d}:{window.end_min % 60:02d}",
                   "tz": window.tz},
        "legitimate_night_use_m3h": round(legitimate, 3), "price_eur_m3": price,
        "band": {"reference": "médiane des nuits normales récentes du secteur (référence du "
                              "détecteur, figée pendant une fuite)",
                 "width": f"± {LeakParams().min_excess:g} × dispersion robuste (MAD)".replace(".", ","),
                 "p20": f"20e centile des {P20_NIGHTS} dernières nuits"},
        "measured": False, "nights": [], "leaks": [], "sensitivity": None, "night_use": None,
        "seen_season": None, "weekly_pattern": None,
    }
    seen = detectors.scan_sector(ctx, sector, now - days * DAY_MS, window)
    if seen is None:
        out["note"] = ("Aucun débit entrant mesuré pour ce secteur : ajoutez un compteur "
                       "d'entrée de secteur avec son débit ou son index.")
        return out
    nights, scan, params = seen.nights, seen.scan, LeakParams()
    if scan.sensitivity_m3h is not None and scan.sensitivity_share is not None:
        out["sensitivity"] = {"min_leak_m3h": _round(scan.sensitivity_m3h),
                              "share_of_night_flow": _round(scan.sensitivity_share)}
        if scan.lasting_sensitivity_m3h is not None \
                and scan.lasting_sensitivity_share is not None:
            out["sensitivity"] |= {
                "min_lasting_leak_m3h": _round(scan.lasting_sensitivity_m3h),
                "lasting_share_of_night_flow": _round(scan.lasting_sensitivity_share),
                "lasting_nights": params.long_run_nights}
        if scan.limiting_resolution_m3 is not None:  # the meter's resolution sets it
            out["sensitivity"]["meter_resolution_m3"] = _round(scan.limiting_resolution_m3)
    p20 = rolling_percentile(nights.minimum_m3h, P20_NIGHTS, 20)
    leak_of = {n: i for i, leak in enumerate(scan.leaks) for n in leak.nights}
    first_shown = shown_from / 1000
    for j in range(len(nights)):
        if nights.end_s[j] < first_shown:
            continue
        ref, width = scan.reference_m3h[j], params.min_excess * scan.scale_m3h[j]
        out["nights"].append({
            "date": str(nights.day[j]), "end": iso_utc(float(nights.end_s[j])),
            "minimum_m3h": _round(nights.minimum_m3h[j]),
            "at": iso_utc(float(nights.at_s[j])) if np.isfinite(nights.at_s[j]) else None,
            "variability_m3h": _round(nights.variability_m3h[j]),
            "reference_m3h": _round(ref), "band_low_m3h": _round(max(ref - width, 0.0)),
            "band_high_m3h": _round(ref + width), "p20_m3h": _round(p20[j]),
            "leak": leak_of.get(j)})
    out["measured"] = any(n["minimum_m3h"] is not None for n in out["nights"])
    tz = ZoneInfo(window.tz)
    if scan.night_use is not None:
        since = scan.night_use.since_s  # the end of its first night's window
        out["night_use"] = {"since": iso_utc(since), "since_date": _night_date(nights, since),
                            "variability_ratio": round(scan.night_use.variability_ratio, 1)}
    seasons = [(since, until) for since, until in scan.seen_seasons
               if until is None or until >= first_shown]
    if seasons:  # the latest seasonal night use seen in the nights shown
        since, until = seasons[-1]
        out["seen_season"] = {"since": iso_utc(since), "since_date": _night_date(nights, since),
                              "until": iso_utc(until),
                              "until_date": None if until is None else _night_date(nights, until)}
    out["weekly_pattern"] = _weekly_pattern(nights, scan.weekly_offset_m3h, window)
    for i, leak in enumerate(scan.leaks):
        end = leak.resolved_s if leak.resolved_s is not None else now / 1000
        if end < first_shown:
            continue
        item = detectors.leak_details(leak, price, legitimate, end)
        searched = seen.no_leak_found(leak)  # a legitimate use, the operator found
        if searched:
            item.update(lost_m3=0, lost_eur=0)
        item.update(index=i, active=leak.active and not searched, no_leak_found=searched,
                    ended_by=leak.ended_by,
                    resolved=iso_utc(leak.resolved_s),
                    onset_date=datetime.fromtimestamp(leak.onset_s, tz).date().isoformat(),
                    detected_date=datetime.fromtimestamp(leak.detected_s, tz).date().isoformat())
        out["leaks"].append(item)
    return out


def _weekly_pattern(nights: Nights, offsets: np.ndarray | None, window: NightWindow
                    ) -> dict | None:
    """The weekly pattern the detector took out of the last week of nights (each night's
    usual offset for its day of the week, ``weekly_pattern``), by the weekday its night
    starts on (0: the night from Monday to Tuesday; a window after midnight lies on the
    next day's date); None when it took none out then."""
    if offsets is None:
        return None
    known = np.flatnonzero(np.isfinite(nights.minimum_m3h))[-14:]
    after_midnight = window.start_min < 12 * 60
    by_day = {(nights.day[j].astype(date).weekday() - after_midnight) % 7: float(offsets[j])
              for j in known}
    if len(by_day) < 7 or not any(by_day.values()):  # (the latest night of each day)
        return None
    return {"offsets": [{"weekday": day, "offset_m3h": _round(by_day[day])}
                        for day in sorted(by_day)]}


# -- every sector at once ---------------------------------------------------------------------
def _last_full_year(scope: TenantScope, now: int) -> int:
    tz = scope.zone
    return datetime.fromtimestamp(now / 1000, tz).year - 1


def _metered_sectors(scope: TenantScope, conn: Connection, sector_ids: list[int]) -> set[int]:
    """The sectors with an inlet meter that has a flow or volume stream (whose night flow
    the detector can follow)."""
    a, s = schema.assets, schema.streams
    rows = conn.execute(
        select(a.c.parent_id, a.c.properties)
        .join(s, (s.c.tenant_id == a.c.tenant_id) & (s.c.asset_id == a.c.id))
        .where(scope.owns(a), a.c.kind == "water.meter", a.c.parent_id.in_(sector_ids),
               s.c.metric.in_(("water.flow", "water.volume"))))
    return {r.parent_id for r in rows
            if orjson.loads(r.properties or "{}").get("role") in detectors.INLET_ROLES}


def sectors_status(scope: TenantScope, conn: Connection, registry: Registry,
                   year: int | None = None, now: int | None = None) -> dict[str, Any]:
    """Each sector with whether its inflow is metered, its open leak alert (extra flow, onset, water lost and its cost as
    of the detector's last run) and the ILP of its service for ``year`` (default: the last
    full year)."""
    scope.require("read")
    now = now or now_ms()
    year = year or _last_full_year(scope, now)
    a, c = schema.assets, schema.communes
    rows = list(conn.execute(select(a.c.id, a.c.ref, a.c.name, a.c.commune_insee,
                                    a.c.parent_id, a.c.properties)
                             .where(scope.asset_visible(), a.c.kind == SECTOR_KIND)
                             .order_by(a.c.ref)))
    names = {r.insee: r.name for r in conn.execute(
        select(c.c.insee, c.c.name).where(scope.commune_visible()))}
    tz = scope.zone
    services = {s["service_id"]: s for s in tenant_indicators(
        scope, conn, registry, year_period(year, tz))["services"]}
    metered = _metered_sectors(scope, conn, [r.id for r in rows])
    leaks: dict[int, Any] = {}
    if scope.role != "public":
        for alert in core_alerts.list_alerts(scope, conn, status="active", domain="water",
                                             limit=1000):
            if alert.detector == detectors.DETECTOR_KEY and alert.asset_id is not None:
                leaks.setdefault(alert.asset_id, alert)
    out = []
    for row in rows:
        service = services.get(row.parent_id)
        indicators = service["indicators"] if service else None
        alert = leaks.get(row.id)
        leak = None
        if alert is not None:
            details = orjson.loads(alert.details)
            leak = {"alert_id": alert.id, "status": alert.status, "title": alert.title,
                    "opened_at": format_instant(alert.opened_at),
                    **{k: details.get(k) for k in (
                        "extra_flow_m3h", "onset", "detected", "days_since_onset", "lost_m3",
                        "lost_eur", "price_eur_m3", "reference_night_flow_m3h",
                        "current_night_flow_m3h")}}
        props = orjson.loads(row.properties or "{}")
        out.append({
            "id": row.id, "ref": row.ref, "name": row.name, "commune": row.commune_insee,
            "commune_name": names.get(row.commune_insee or ""),
            "metered": row.id in metered,
            "connections": props.get("connections"),
            "mains_length_km": props.get("mains_length_km"),
            "service": None if service is None else {
                "id": service["service_id"], "ref": service["ref"], "name": service["name"]},
            "leak": leak,
            "ilp": None if not indicators or indicators["ilp_m3_km_day"] is None else {
                "value": indicators["ilp_m3_km_day"],
                "grade": indicators["rating"]["grade"] if indicators["rating"] else None,
                "label": indicators["rating"]["label"] if indicators["rating"] else None,
                "rendement_pct": indicators["rendement_pct"],
                "compliant": indicators["decree"]["compliant"]},
        })
    return {"year": year, "generated_at": format_instant(now), "sectors": out,
            "summary": {"sectors": len(out), "leaks": sum(1 for s in out if s["leak"]),
                        "lost_m3": sum(s["leak"]["lost_m3"] or 0 for s in out if s["leak"]),
                        "lost_eur": sum(s["leak"]["lost_eur"] or 0 for s in out if s["leak"])}}


def _year(text: str | None) -> int | None:
    return None if text is None else parse_year(text)


@router.get("/tenants/{tenant}/water/sectors/status", response_model=Object)
def status(ctx: CtxDep, tenant: str,
           year: str | None = Query(None, description="année de l'ILP (défaut : la dernière "
                                                      "année complète)")):
    """Every sector with its open leak (extra flow, onset, water lost and its cost since the
    onset) and the ILP of its service."""
    with ctx.reading(tenant) as (scope, conn):
        return JSONResponse(sectors_status(scope, conn, ctx.registry, _year(year)))


@router.get("/tenants/{tenant}/water/sectors/{asset_id}/night-flow", response_model=Object)
def night_flow(ctx: CtxDep, tenant: str, asset_id: Id,
               days: str = Query(str(DEFAULT_DAYS), description="nombre de nuits, 7 à 365")):
    """Minimum night flow of the sector night by night, with the detector's reference band,
    the rolling 20th percentile and the legitimate night use; the leaks found (onset,
    detection, extra flow, water lost, repair)."""
    nights = parse_days(days)
    with ctx.reading(tenant) as (scope, conn):
        return JSONResponse(sector_night_flow(ctx.db, scope, conn, ctx.registry, asset_id,
                                              nights))

