"""``water.night_flow_leak``: the leak detector of distribution sectors (Domain.detectors).

For each sector (``water.sector``), the net inflow is rebuilt from its child meters:
inlets (role ``sector_inlet`` or ``import``) minus outlets (``sector_outlet``,
``export``), each from its ``water.flow`` stream (m³/h), else from its ``water.volume``
index (roll-overs and meter changes handled by ``counters``), minus the change of storage
of reservoirs placed in the sector (``water.level`` × capacity / height). The minimum
night flow of each night (``night_flow``, window and time zone from the tenant's
settings) goes through ``leaks.detect_leaks`` over the last ``LOOKBACK_DAYS`` (from before the
onset of a leak still open, however old: ``scan_start``); a leak
still running at the last night is the finding. Once night flow is back to its
reference (repair), the finding is gone and the engine resolves the alert.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import orjson
from sqlalchemy import and_, select

from ...core.alerting.detector_spec import DetailField, Detector, DetectorContext, Finding
from ...core.clock import parse_instant
from ...core.settings import setting
from ...storage import schema
from .counters import cumulative_volume
from .interventions import LEAK_FOLLOW_UP
from .leaks import Leak, detect_leaks
from .night_flow import NightWindow, cumulative_from_flow, iso_utc, net_volume, night_minima
from .settings import (
    NIGHT_END,
    NIGHT_START,
    NIGHT_USE_PER_CONNECTION,
    NIGHT_USE_PER_LARGE_USER,
    PRICE,
    parse_clock,
)

LOOKBACK_DAYS = 180  # history read on each run
# An open leak older than that is read from this many days before its onset, so that the
# scan sees its pre-leak reference again (and does not take the leak for normal).
PRE_ONSET_DAYS = 60
DETECTOR_KEY = "water.night_flow_leak"
INLET_ROLES = ("sector_inlet", "import")
OUTLET_ROLES = ("sector_outlet", "export")
LARGE_USER_CATEGORIES = ("non_domestic",)


def _props(row: Any) -> dict[str, Any]:
    return orjson.loads(row.properties or "{}")


def _read(ctx: DetectorContext, stream_id: int, since: int) -> tuple[np.ndarray, np.ndarray]:
    o = schema.observations
    rows = ctx.conn.execute(select(o.c.t, o.c.value).where(
        o.c.tenant_id == ctx.tenant_id, o.c.stream_id == stream_id, o.c.t >= since,
        o.c.t <= ctx.now).order_by(o.c.t)).all()
    data = np.asarray(rows, dtype=np.float64).reshape(-1, 2)
    return data[:, 0], data[:, 1]


def _cumulative(ctx: DetectorContext, streams: dict[str, int], since: int, rollover: Any
                ) -> tuple[np.ndarray, np.ndarray] | None:
    """(times in s, cumulative m³) of one meter: from its flow, else from its index."""
    if "water.flow" in streams:
        t_ms, flow = _read(ctx, streams["water.flow"], since)
        if len(t_ms) >= 2:
            return t_ms / 1000, cumulative_from_flow(t_ms / 1000, flow)
    if "water.volume" in streams:
        t_ms, index = _read(ctx, streams["water.volume"], since)
        if len(t_ms) >= 2:
            return t_ms / 1000, cumulative_volume(t_ms, index, float(rollover) if rollover
                                                  else None)
    return None


def sector_inflow(ctx: DetectorContext, sector_id: int, since: int
                  ) -> tuple[np.ndarray, np.ndarray] | None:
    """(times in s, cumulative net inflow m³) of a sector, or None without inlet data."""
    a, s = schema.assets, schema.streams
    children = ctx.conn.execute(
        select(a.c.id, a.c.kind, a.c.properties, s.c.id.label("sid"), s.c.metric)
        .join(s, and_(s.c.tenant_id == a.c.tenant_id, s.c.asset_id == a.c.id))
        .where(a.c.tenant_id == ctx.tenant_id, a.c.parent_id == sector_id,
               a.c.kind.in_(("water.meter", "water.reservoir")),
               s.c.metric.in_(("water.flow", "water.volume", "water.level")))).all()
    assets: dict[int, tuple[str, dict, dict[str, int]]] = {}
    for row in children:
        kind, props, streams = assets.setdefault(row.id, (row.kind, _props(row), {}))
        streams[row.metric] = row.sid
    parts, inlets = [], 0
    for kind, props, streams in assets.values():
        if kind == "water.meter" and props.get("role") in INLET_ROLES + OUTLET_ROLES:
            series = _cumulative(ctx, streams, since, props.get("rollover_m3"))
            if series is None:
                continue
            inlet = props["role"] in INLET_ROLES
            inlets += inlet
            parts.append((1.0 if inlet else -1.0, *series))
        elif kind == "water.reservoir" and "water.level" in streams:
            area = _area_m2(props)
            if area:
                t_ms, level = _read(ctx, streams["water.level"], since)
                if len(t_ms) >= 2:  # water stored in the sector was not consumed
                    parts.append((-area, t_ms / 1000, level - level[0]))
    if not inlets:
        return None
    t, volume = net_volume(parts)
    return (t, volume) if len(t) >= 2 else None


def _area_m2(props: dict[str, Any]) -> float | None:
    capacity, height = props.get("capacity_m3"), props.get("max_level_m")
    if isinstance(capacity, int | float) and isinstance(height, int | float) and height > 0:
        return float(capacity) / float(height)
    return None


def _fr(value: float, digits: int = 1) -> str:
    """A number written the French way: 1 234,5."""
    return f"{value:,.{digits}f}".replace(",", "\u202f").replace(".", ",")


def legitimate_night_use(ctx: DetectorContext, sector: Any) -> float:
    """m³/h used at night by customers: connections × per-connection use + large users ×
    their use (tenant settings)."""
    a = schema.assets
    props = _props(sector)
    stored = ctx.scope.settings
    per_connection = float(setting(stored, ctx.registry, NIGHT_USE_PER_CONNECTION))
    per_large = float(setting(stored, ctx.registry, NIGHT_USE_PER_LARGE_USER))
    large = sum(1 for row in ctx.conn.execute(select(a.c.properties).where(
        a.c.tenant_id == ctx.tenant_id, a.c.parent_id == sector.id, a.c.kind == "water.meter"))
        if _props(row).get("role") == "customer"
        and _props(row).get("customer_category") in LARGE_USER_CATEGORIES)
    connections = props.get("connections") or 0
    return (float(connections) * per_connection + large * per_large) / 1000


def night_window(ctx: DetectorContext) -> NightWindow:
    stored = ctx.scope.settings
    start = parse_clock(setting(stored, ctx.registry, NIGHT_START), "début de la nuit")
    end = parse_clock(setting(stored, ctx.registry, NIGHT_END), "fin de la nuit")
    return NightWindow(start, end, str(stored.get("timezone") or "Europe/Paris"))


def leak_details(leak: Leak, price: float, legitimate_m3h: float, now_s: float) -> dict:
    return {
        "extra_flow_m3h": round(leak.extra_flow_m3h, 2),
        "onset": iso_utc(leak.onset_s),
        "detected": iso_utc(leak.detected_s),
        "days_since_onset": round((now_s - leak.onset_s) / 86_400, 1),
        "lost_m3": round(leak.lost_m3),
        "lost_eur": round(leak.lost_m3 * price),
        "price_eur_m3": price,
        "reference_night_flow_m3h": round(leak.reference_m3h, 2),
        "current_night_flow_m3h": round(leak.current_m3h, 2),
        "legitimate_night_use_m3h": round(legitimate_m3h, 2),
        "estimated_leakage_m3h": round(max(leak.current_m3h - legitimate_m3h, 0.0), 2),
    }


def scan_start(ctx: DetectorContext, sector_id: int) -> int:
    """Where a sector's scan starts (epoch ms): the look-back, or earlier for an open leak
    whose onset is older, so an unrepaired leak stays open however long it runs."""
    since = ctx.now - LOOKBACK_DAYS * 86_400_000
    al = schema.alerts
    for (details,) in ctx.conn.execute(select(al.c.details).where(
            al.c.tenant_id == ctx.tenant_id, al.c.asset_id == sector_id,
            al.c.detector == DETECTOR_KEY, al.c.status.in_(("open", "acknowledged")))):
        onset = orjson.loads(details).get("onset")
        if onset:
            since = min(since, parse_instant(onset) - PRE_ONSET_DAYS * 86_400_000)
    return since


def night_flow_leaks(ctx: DetectorContext) -> Iterable[Finding]:
    a = schema.assets
    window = night_window(ctx)
    price = float(setting(ctx.scope.settings, ctx.registry, PRICE))
    sectors = ctx.conn.execute(select(a.c.id, a.c.name, a.c.properties).where(
        a.c.tenant_id == ctx.tenant_id, a.c.kind == "water.sector").order_by(a.c.id)).all()
    for sector in sectors:
        inflow = sector_inflow(ctx, sector.id, scan_start(ctx, sector.id))
        if inflow is None:
            continue
        nights = night_minima(*inflow, window)
        scan = detect_leaks(nights.end_s, nights.minimum_m3h)
        leak = scan.leaks[-1] if scan.leaks and scan.leaks[-1].active else None
        if leak is None:
            continue
        details = leak_details(leak, price, legitimate_night_use(ctx, sector), ctx.now / 1000)
        onset = datetime.fromtimestamp(leak.onset_s, ZoneInfo(window.tz)).strftime("%d/%m/%Y")
        yield Finding(
            sector.id, f"Fuite probable — {sector.name} : +{_fr(leak.extra_flow_m3h)} m³/h la "
                       f"nuit depuis le {onset} environ", "warning",
            at=int(leak.detected_s * 1000), details=details)


LEAK_DETAILS = (
    DetailField("extra_flow_m3h", "Débit de fuite (en plus de la référence)", unit="m3/h"),
    DetailField("onset", "Début estimé", "instant"),
    DetailField("detected", "Détectée le", "instant"),
    DetailField("days_since_onset", "Durée depuis le début", unit="d", digits=1),
    DetailField("lost_m3", "Eau perdue depuis le début", unit="m3", digits=0),
    DetailField("lost_eur", "Coût de l'eau perdue", unit="EUR", digits=0),
    DetailField("price_eur_m3", "Prix de l'eau", unit="EUR/m3"),
    DetailField("reference_night_flow_m3h", "Débit de nuit de référence", unit="m3/h"),
    DetailField("current_night_flow_m3h", "Débit de nuit actuel", unit="m3/h"),
    DetailField("legitimate_night_use_m3h", "Consommation nocturne légitime estimée",
                unit="m3/h"),
    DetailField("estimated_leakage_m3h", "Fuite estimée (débit de nuit − consommation "
                                         "légitime)", unit="m3/h"),
)

DETECTORS = (
    Detector(DETECTOR_KEY, "Fuite détectée par le débit de nuit", 3600,
             night_flow_leaks, details=LEAK_DETAILS, follow_up=LEAK_FOLLOW_UP,
             metrics=("water.flow", "water.volume", "water.level")),
)
