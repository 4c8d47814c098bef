"""``water.night_flow_leak``: the leak detector of distribution sectors (Domain.detectors).

For each sector (``water.sector``), the net inflow is rebuilt from its child meters:
inlets (role ``sector_inlet`` or ``import``) minus outlets (``sector_outlet``,
``export``), each from its ``water.flow`` stream (m³/h), else from its ``water.volume``
index (roll-overs and meter changes handled by ``counters``), minus the change of storage
of reservoirs placed in the sector (``water.level`` × capacity / height). The minimum
night flow of each night (``night_flow``, window and time zone from the tenant's
settings) goes through ``leaks.detect_leaks`` over the last ``LOOKBACK_DAYS`` (from before
the onset of a leak still open, however old: ``scan_start``), with the repairs recorded
on the sector's leak alerts (``interventions``) and its declared exceptional uses
(``exceptional_uses``): ``scan_sector``, which the sector's chart uses too.

Each leak still open is one finding, told apart by its onset (``_subjects`` keeps an
alert's subject while the onset estimate moves by less than ``SAME_ONSET_S``): stacked
leaks are alerts of their own, each with the sector's count of open leaks and total extra
flow. A leak ends only when its repair is confirmed or its night flow is back at its
reference (``leaks``); the engine then resolves its alert. The sector's acoustic loggers
back its open leaks (confidence « élevée », their names in the details) instead of
raising alerts of their own; a logger's « fuite probable » with no leak seen in the night
flow is one finding on the sector, of its own detector (``water.acoustic_leak``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import orjson
from sqlalchemy import and_, select

from ...core.alerting.detector_spec import DetailField, Detector, DetectorContext, Finding
from ...core.clock import parse_instant
from ...core.french_format import local_date
from ...core.quality import counted
from ...core.series import stream_arrays
from ...core.settings import setting
from ...storage import schema
from .counters import cumulative_volume
from .exceptional_uses import excluded_ranges, seasonal_ranges
from .interventions import LEAK_FOLLOW_UP, sector_follow_up
from .leaks import Leak, LeakScan, Repair, detect_leaks
from .night_flow import (
    Nights,
    NightWindow,
    cumulative_from_flow,
    iso_utc,
    net_volume,
    night_minima,
)
from .settings import (
    NIGHT_END,
    NIGHT_START,
    NIGHT_USE_PER_CONNECTION,
    NIGHT_USE_PER_LARGE_USER,
    PRICE,
    parse_clock,
)

# History read on each run: a year and a month, for the seasonal shift (leaks.py).
LOOKBACK_DAYS = 400
# An open leak older than that is read from this many days before its onset, so that the
# scan sees its pre-leak reference again (and does not take the leak for normal).
PRE_ONSET_DAYS = 60
DETECTOR_KEY = "water.night_flow_leak"
ACOUSTIC_KEY = "water.acoustic_leak"
SAME_ONSET_S = 3 * 86_400  # a leak found again with its onset moved by less is the same
INLET_ROLES = ("sector_inlet", "import")
OUTLET_ROLES = ("sector_outlet", "export")
LARGE_USER_CATEGORIES = ("non_domestic",)


def _props(row: Any) -> dict[str, Any]:
    return orjson.loads(row.properties or "{}")


def _read(ctx: DetectorContext, stream_id: int, since: int) -> tuple[np.ndarray, np.ndarray]:
    return stream_arrays(ctx.conn, ctx.tenant_id, stream_id, since, ctx.now)


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


REPAIR_STATUS = {"none": "aucune réparation enregistrée",
                 "confirmed": "réparation confirmée par les nuits suivantes",
                 "gone": "débit de nuit revenu à sa référence (fin de fuite constatée)",
                 "awaiting": "réparée, en attente de confirmation par les nuits suivantes",
                 "refuted": "fuite persistante : les nuits suivant la réparation n'ont pas "
                            "assez baissé",
                 "no_leak": "aucune fuite trouvée : hausse tenue pour un usage légitime",
                 "back": "à confirmer : le débit de nuit est revenu près de la référence de "
                         "cette fuite sans réparation consignée ; si une fuite du secteur a "
                         "été réparée, consignez-le sur son alerte, sinon « aucune fuite "
                         "trouvée »"}
CONFIDENCE = {"medium": "moyenne", "high": "élevée"}
KIND_LABELS = {"abrupt": "brutale", "incipient": "progressive (croissante)",
               "in_season": "apparue pendant un usage saisonnier de nuit (vue à sa fin)"}
ACOUSTIC_RECENT_MS = 3 * 86_400_000  # a logger's alarm this recent backs a leak


def leak_details(leak: Leak, price: float, legitimate_m3h: float, now_s: float) -> dict:
    end_s = leak.resolved_s if leak.resolved_s is not None else now_s
    return {
        "extra_flow_m3h": round(leak.extra_flow_m3h, 2),
        "onset": iso_utc(leak.onset_s),
        "detected": iso_utc(leak.detected_s),
        "days_since_onset": round((end_s - leak.onset_s) / 86_400, 1),
        "lost_m3": round(leak.lost_m3),
        "lost_eur": round(leak.lost_m3 * price),
        "price_eur_m3": price,
        "reference_night_flow_m3h": round(leak.reference_m3h, 2),
        "current_night_flow_m3h": round(leak.current_m3h, 2),
        "legitimate_night_use_m3h": round(legitimate_m3h, 2),
        "estimated_leakage_m3h": round(max(leak.current_m3h - legitimate_m3h, 0.0), 2),
        "leak_kind": leak.kind,
        **({"back_near_reference_since": iso_utc(leak.back_since_s)}
           if leak.back_since_s is not None else {}),  # (set on open leaks only)
        **({"repair_drop_m3h": round(leak.repair_drop_m3h, 2)}
           if leak.repair_drop_m3h is not None else {}),  # (set with a refuted repair)
    }


def open_leak_onsets(ctx: DetectorContext, sector_id: int) -> list[tuple[float, str]]:
    """(onset in epoch s, alert subject) of the sector's active leak alerts."""
    al = schema.alerts
    prefix = f"detector:{DETECTOR_KEY}:asset:{sector_id}:"
    out = []
    for key, details in ctx.conn.execute(select(al.c.key, al.c.details).where(
            al.c.tenant_id == ctx.tenant_id, al.c.asset_id == sector_id,
            al.c.detector == DETECTOR_KEY, al.c.status.in_(("open", "acknowledged")))
            .order_by(al.c.id)):
        onset = orjson.loads(details).get("onset")
        if onset and key.startswith(prefix):
            out.append((parse_instant(onset) / 1000, key[len(prefix):]))
    return out


def scan_start(ctx: DetectorContext, onsets: list[tuple[float, str]]) -> int:
    """Where a sector's scan starts (epoch ms): the look-back, or earlier for an open leak
    whose onset is older, so an unrepaired leak stays open however long it runs."""
    return int(min([ctx.now - LOOKBACK_DAYS * 86_400_000]
                   + [onset * 1000 - PRE_ONSET_DAYS * 86_400_000 for onset, _ in onsets]))


@dataclass(frozen=True)
class SectorScan:
    """What the detector sees of one sector: its nights, the leaks found in them, the
    (onset, subject) of its active leak alerts and the onsets of the alerts searched
    without finding a leak."""

    nights: Nights
    scan: LeakScan
    alerts: list[tuple[float, str]]
    searched: list[float] = field(default_factory=list)

    def no_leak_found(self, leak: Leak) -> bool:
        """Whether the operator searched this open leak's alert and found no leak."""
        return leak.active and any(abs(onset - leak.onset_s) <= SAME_ONSET_S
                                   for onset in self.searched)

    @property
    def leaking(self) -> list[Leak]:
        """The open leaks, but those searched without finding one."""
        return [leak for leak in self.scan.open_leaks if not self.no_leak_found(leak)]


def scan_sector(ctx: DetectorContext, sector: Any, since: int | None = None,
                window: NightWindow | None = None) -> SectorScan | None:
    """The sector's nights since ``since`` (at least from ``scan_start``) through the leak
    detector, with the repairs recorded on its leak alerts and its declared exceptional
    and seasonal uses; None without a metered inflow."""
    alerts = open_leak_onsets(ctx, sector.id)
    start = scan_start(ctx, alerts)
    inflow = sector_inflow(ctx, sector.id, min(start, since) if since is not None else start)
    if inflow is None:
        return None
    window = window or night_window(ctx)
    nights = night_minima(*inflow, window)
    recorded, searched = sector_follow_up(ctx.conn, ctx.tenant_id, sector.id)
    repairs = [Repair(r.onset_ms / 1000 if r.onset_ms is not None else None,
                      r.repaired_ms / 1000)
               for r in recorded]
    properties = _props(sector)
    excluded = excluded_ranges(properties, window.tz)
    seasonal = seasonal_ranges(properties, float(nights.start_s[0]), float(nights.end_s[-1]),
                               window.tz) if len(nights) else []
    return SectorScan(nights, detect_leaks(nights.end_s, nights.minimum_m3h,
                                           repairs=repairs, excluded=excluded,
                                           variability=nights.variability_m3h,
                                           resolution_m3h=nights.resolution_m3h,
                                           seasonal=seasonal), alerts, searched)


def _subjects(alerts: list[tuple[float, str]], leaks: list[Leak], ended: list[Leak]
              ) -> tuple[list[str], list[str | None]]:
    """Each open leak's alert subject: the one of the active alert whose onset is within
    ``SAME_ONSET_S`` of it (the onset estimate may move a little as nights come in), else
    a new one from its onset; then the subject of the active alert of each leak that has
    ended (None: it has none)."""
    known = list(alerts)
    matched: list[str | None] = []
    for leak in [*leaks, *ended]:
        match = min((k for k in known if abs(k[0] - leak.onset_s) <= SAME_ONSET_S),
                    key=lambda k: abs(k[0] - leak.onset_s), default=None)
        if match is not None:
            known.remove(match)
        matched.append(None if match is None else match[1])
    # (a subject may be "": a leak alert from before stacked leaks, kept as it is)
    subjects = [subject if subject is not None else datetime.fromtimestamp(
        leak.onset_s, UTC).strftime("%Y-%m-%dT%H:%MZ")
        for leak, subject in zip(leaks, matched, strict=False)]
    return subjects, matched[len(leaks):]


def acoustic_alarms(ctx: DetectorContext, sector_id: int) -> list[tuple[str, int]]:
    """(name, state) of the sector's acoustic loggers whose latest alarm state, reported
    within ``ACOUSTIC_RECENT_MS``, is « fuite possible » (1) or « fuite probable » (2)."""
    a, s, o = schema.assets, schema.streams, schema.observations
    loggers = ctx.conn.execute(
        select(a.c.name, s.c.id)
        .join(s, and_(s.c.tenant_id == a.c.tenant_id, s.c.asset_id == a.c.id))
        .where(a.c.tenant_id == ctx.tenant_id, a.c.parent_id == sector_id,
               a.c.kind == "water.acoustic_logger", s.c.metric == "water.leak_alarm")
        .order_by(a.c.name)).all()
    out = []
    for name, stream_id in loggers:  # its latest report as of the run (a past date too)
        value = ctx.conn.execute(select(o.c.value).where(
            o.c.tenant_id == ctx.tenant_id, o.c.stream_id == stream_id,
            o.c.t <= ctx.now, o.c.t > ctx.now - ACOUSTIC_RECENT_MS, counted(o.c.quality))
            .order_by(o.c.t.desc()).limit(1)).scalar()
        if value is not None and value >= 1:
            out.append((name, int(value)))
    return out


def night_flow_leaks(ctx: DetectorContext) -> Iterable[Finding]:
    """One finding per open leak of each sector (stacked leaks each their own), backed by
    the sector's acoustic alarms."""
    a = schema.assets
    window = night_window(ctx)
    price = float(setting(ctx.scope.settings, ctx.registry, PRICE))
    sectors = ctx.conn.execute(select(a.c.id, a.c.name, a.c.properties).where(
        a.c.tenant_id == ctx.tenant_id, a.c.kind == "water.sector").order_by(a.c.id)).all()
    tz = ZoneInfo(window.tz)
    for sector in sectors:
        seen = scan_sector(ctx, sector, window=window)
        if seen is None or not seen.scan.leaks:
            continue
        leaks = seen.leaking
        ended = [leak for leak in seen.scan.leaks if not leak.active or seen.no_leak_found(leak)]
        subjects, ended_subjects = _subjects(seen.alerts, leaks, ended)
        legitimate = legitimate_night_use(ctx, sector)
        for leak, subject in zip(ended, ended_subjects, strict=True):
            if subject is None:
                continue
            details = leak_details(leak, price, legitimate, ctx.now / 1000)
            if seen.no_leak_found(leak):  # a legitimate use: no water lost
                details.update(repair_status="no_leak", lost_m3=0, lost_eur=0)
                title = (f"Aucune fuite trouvée — {sector.name} : hausse de +"
                         f"{_fr(leak.extra_flow_m3h)} m³/h la nuit depuis le "
                         f"{_day(leak.onset_s, tz)}, tenue pour un usage légitime")
            else:
                details["repair_status"] = "confirmed" if leak.ended_by == "repair" \
                    else "gone"
                title = (f"Fuite terminée — {sector.name} : +{_fr(leak.extra_flow_m3h)} m³/h "
                         f"du {_day(leak.onset_s, tz)} au {_day(leak.resolved_s, tz)}")
            yield Finding(sector.id, title, subject=subject, details=details, ended=True)
        if not leaks:
            continue
        heard = _heard(acoustic_alarms(ctx, sector.id))
        total = sum(leak.extra_flow_m3h for leak in leaks)
        for leak, subject in zip(leaks, subjects, strict=True):
            details = leak_details(leak, price, legitimate, ctx.now / 1000)
            status = "awaiting" if leak.awaiting_repair_s is not None else \
                "refuted" if leak.refuted_repair_s is not None else \
                "back" if leak.back_since_s is not None else "none"
            details.update(
                repair_status=status, open_leaks_in_sector=len(leaks),
                sector_extra_flow_m3h=round(total, 2),
                confidence="high" if heard else "medium")
            if heard:
                details["acoustic_alarms"] = heard
            if seen.scan.sensitivity_m3h is not None:
                details["detection_limit_m3h"] = round(seen.scan.sensitivity_m3h, 2)
            onset = _day(leak.onset_s, tz)
            what = "Fuite persistante après réparation" if status == "refuted" else \
                "Fuite probable"
            title = f"{what} — {sector.name} : +{_fr(leak.extra_flow_m3h)} m³/h la nuit " \
                    f"depuis le {onset} environ"
            if status == "refuted" and leak.partly_repaired:
                title += (f" ; après la réparation du {_day(leak.refuted_repair_s, tz)}, le "
                          f"débit de nuit n'a baissé que de {_fr(leak.repair_drop_m3h)} m³/h "
                          "(une autre fuite ?)")
            if status == "back":
                title = (f"Fuite à confirmer — {sector.name} : fuite du {onset}, débit de nuit "
                         f"revenu près de sa référence depuis le {_day(leak.back_since_s, tz)}"
                         " sans réparation consignée")
            yield Finding(sector.id, title, "warning", subject=subject,
                          at=int(leak.detected_s * 1000), details=details)


def _day(seconds: float, tz: ZoneInfo) -> str:
    return local_date(datetime.fromtimestamp(seconds, tz).date())


def _heard(alarms: list[tuple[str, int]]) -> list[str]:
    return [f"{name} ({'fuite probable' if state == 2 else 'fuite possible'})"
            for name, state in alarms]


def acoustic_leaks(ctx: DetectorContext) -> Iterable[Finding]:
    """A « fuite probable » heard by a sector's acoustic loggers while its night flow shows
    no leak (no active leak alert): one finding on the sector, naming the loggers (a leak
    too small for the night flow, or a sector without an inlet meter)."""
    a, al = schema.assets, schema.alerts
    leaking = {row.asset_id for row in ctx.conn.execute(select(al.c.asset_id).where(
        al.c.tenant_id == ctx.tenant_id, al.c.detector == DETECTOR_KEY,
        al.c.status.in_(("open", "acknowledged"))))}
    for sector in ctx.conn.execute(select(a.c.id, a.c.name).where(
            a.c.tenant_id == ctx.tenant_id, a.c.kind == "water.sector").order_by(a.c.id)):
        alarms = acoustic_alarms(ctx, sector.id)
        if sector.id in leaking or not any(state == 2 for _, state in alarms):
            continue
        heard = _heard(alarms)
        yield Finding(sector.id, f"Bruit de fuite — {sector.name} : {', '.join(heard)}",
                      "warning", details={"acoustic_alarms": heard})


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
    DetailField("leak_kind", "Apparition", "choice", choices=KIND_LABELS),
    DetailField("repair_status", "Réparation", "choice", choices=REPAIR_STATUS),
    DetailField("back_near_reference_since", "Débit de nuit revenu près de la référence "
                                             "depuis", "instant"),
    DetailField("repair_drop_m3h", "Baisse du débit de nuit après la réparation",
                unit="m3/h"),
    DetailField("open_leaks_in_sector", "Fuites ouvertes dans le secteur", digits=0),
    DetailField("sector_extra_flow_m3h", "Débit de fuite total du secteur", unit="m3/h"),
    DetailField("confidence", "Confiance", "choice", choices=CONFIDENCE),
    DetailField("acoustic_alarms", "Alarmes des prélocalisateurs acoustiques", "list"),
    DetailField("detection_limit_m3h", "Plus petite fuite détectable dans ce secteur",
                unit="m3/h"),
)

DETECTORS = (
    Detector(DETECTOR_KEY, "Fuite détectée par le débit de nuit", 3600,
             night_flow_leaks, details=LEAK_DETAILS, follow_up=LEAK_FOLLOW_UP,
             notify_on=(("repair_status", "refuted"), ("repair_status", "back")),
             metrics=("water.flow", "water.volume", "water.level")),
    Detector(ACOUSTIC_KEY, "Bruit de fuite entendu sans fuite au débit de nuit", 3600,
             acoustic_leaks, details=(DetailField(
                 "acoustic_alarms", "Alarmes des prélocalisateurs acoustiques", "list"),),
             follow_up=LEAK_FOLLOW_UP, metrics=("water.leak_alarm",)),
)
