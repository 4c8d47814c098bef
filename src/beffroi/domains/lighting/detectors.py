"""Failure detectors of public lighting, run by the alerting engine (Domain.detectors).

They read each cabinet's measured active power (``power.active``) against what its
programme implies at its own position (``cabinet_programme``: sun events, night cut,
dimming), with a margin
of 45 minutes around sun events so that a photocell or a clock a few minutes off is not
a failure:

- ``lighting.lit_by_day``: lit in broad daylight for 2 hours or more in the last 24 hours
  (stuck clock, contactor welded);
- ``lighting.dark_at_night``: off in the dark while its programme lights it, for 2 hours or
  more in the last 24 hours (tripped breaker, failed controller);
- ``lighting.night_power_drop``: the mean power of the last 3 nights more than 20 % below
  the median of the previous nights (lamps out);
- ``lighting.consumption_drift``: night after night, the energy measured while the
  programme lights the cabinet against the energy its luminaires should draw then
  (``consumption.CabinetLoad``: inventory, ballast losses, dimming); when the median
  ratio of the last 14 nights exceeds the median of the previous nights (at least 14) by
  more than 15 %, the consumption drifts (lamps burning at full power after a dimming
  failure, luminaires added without inventory, ageing ballasts, a leak to earth).
  Daytime and night-cut hours are ignored: a stuck clock is ``lit_by_day``'s.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import orjson
from sqlalchemy import and_, select

from ...core.alerting.detector_spec import DetailField, Detector, DetectorContext, Finding
from ...core.clock import local_time
from ...core.series import stream_arrays
from ...storage import schema
from .cabinet_programme import cabinet_programme, programme_levels
from .consumption import CabinetLoad, cabinet_load
from .sun import is_night

MARGIN_S = 45 * 60  # around sunrise and sunset: not a failure
LIT_SHARE = 0.1  # above this share of the connected load, the circuit is lit
MIN_POINTS = 2  # hourly readings showing the fault before it is reported
DROP = 0.2  # night power drop worth a visit (lamps out)
RECENT_NIGHTS, MIN_REFERENCE_NIGHTS = 3, 7
WINDOW_DAYS = 31
DRIFT = 0.15  # rise of night consumption against expected worth a visit
DRIFT_RECENT_NIGHTS, DRIFT_MIN_REFERENCE_NIGHTS = 14, 14
DRIFT_WINDOW_DAYS = 42
POWER = "power.active"  # the cabinets' metric every detector here reads


def _cabinets(ctx: DetectorContext, days: int = WINDOW_DAYS
              ) -> Iterable[tuple[Any, np.ndarray, np.ndarray]]:
    """(cabinet, times in s, power in kW) of every cabinet with a power stream."""
    a, s = schema.assets, schema.streams
    conn, tenant = ctx.conn, ctx.tenant_id
    rows = conn.execute(select(a.c.id, a.c.name, a.c.geometry, a.c.properties, s.c.id.label("sid"))
                        .join(s, and_(s.c.tenant_id == a.c.tenant_id, s.c.asset_id == a.c.id))
                        .where(a.c.tenant_id == tenant, a.c.kind == "lighting.cabinet",
                               s.c.metric == POWER))
    since = ctx.now - days * 86_400_000
    for cabinet in rows:
        t_ms, power = stream_arrays(conn, tenant, cabinet.sid, since, ctx.now)
        if len(t_ms):
            yield cabinet, t_ms / 1000, power


def _schedule(cabinet: Any, t: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(deep night, broad day, share of the load the programme asks for) at each time."""
    lon, lat = orjson.loads(cabinet.geometry)["coordinates"][:2]
    before, after = is_night(t - MARGIN_S, lat, lon), is_night(t + MARGIN_S, lat, lon)
    programme, _ = cabinet_programme(orjson.loads(cabinet.properties or "{}"))
    return before & after, ~before & ~after, programme_levels(programme, t, lat, lon) / 100


def _load(cabinet: Any, power: np.ndarray, night: np.ndarray) -> float:
    props = orjson.loads(cabinet.properties or "{}")
    load = props.get("connected_power_kw")
    if load:
        return float(load)
    lit = power[night]
    return float(np.median(lit)) if len(lit) else 0.0


def lit_by_day(ctx: DetectorContext) -> Iterable[Finding]:
    for cabinet, t, power in _cabinets(ctx):
        night, day, _ = _schedule(cabinet, t)
        load = _load(cabinet, power, night)
        wrong = day & (t >= ctx.now / 1000 - 86_400) & (power > LIT_SHARE * load)
        if load and wrong.sum() >= MIN_POINTS:
            yield Finding(cabinet.id, f"Éclairage allumé en plein jour — {cabinet.name}",
                          "warning", at=int(t[wrong][-1] * 1000),
                          details={"hours_lit_by_day": int(wrong.sum()),
                                   "power_kw": round(float(power[wrong][-1]), 3)})


def dark_at_night(ctx: DetectorContext) -> Iterable[Finding]:
    for cabinet, t, power in _cabinets(ctx):
        night, _, expected = _schedule(cabinet, t)
        load = _load(cabinet, power, night)
        wrong = night & (expected > 0) & (t >= ctx.now / 1000 - 86_400) & (power < LIT_SHARE * load)
        if load and wrong.sum() >= MIN_POINTS:
            yield Finding(cabinet.id, f"Armoire éteinte la nuit — {cabinet.name}", "critical",
                          at=int(t[wrong][-1] * 1000),
                          details={"dark_hours": int(wrong.sum())})


def night_power_drop(ctx: DetectorContext) -> Iterable[Finding]:
    for cabinet, t, power in _cabinets(ctx):
        night, _, expected = _schedule(cabinet, t)
        lit = night & (expected > 0) & (power > 0)
        if not lit.any():
            continue
        # One mean per night of the power at full output (dimmed readings scaled up), a
        # night being dated by its evening (local time - 12 h).
        nights = local_time(t[lit] - 43_200).day
        full = power[lit] / expected[lit]
        means = {d: float(full[nights == d].mean()) for d in np.unique(nights)}
        order = sorted(means)
        recent, reference = order[-RECENT_NIGHTS:], order[:-RECENT_NIGHTS]
        if len(reference) < MIN_REFERENCE_NIGHTS:
            continue
        usual = float(np.median([means[d] for d in reference]))
        now_level = float(np.mean([means[d] for d in recent]))
        if usual > 0 and now_level < (1 - DROP) * usual:
            drop = 1 - now_level / usual
            yield Finding(cabinet.id, f"Baisse de puissance nocturne de {drop:.0%} — "
                          f"{cabinet.name} (lampes hors service ?)".replace("%", " %"),
                          "warning", at=int(t[lit][-1] * 1000),
                          details={"usual_night_kw": round(usual, 3),
                                   "recent_night_kw": round(now_level, 3),
                                   "drop_percent": round(drop * 100, 1)})


def _loads(ctx: DetectorContext) -> dict[int, CabinetLoad]:
    """The load of every cabinet of the tenant, from its luminaires (or connected power)."""
    a = schema.assets
    luminaires: dict[int, list[dict]] = {}
    for parent, props in ctx.conn.execute(select(a.c.parent_id, a.c.properties).where(
            a.c.tenant_id == ctx.tenant_id, a.c.kind == "lighting.luminaire",
            a.c.parent_id.is_not(None))):
        luminaires.setdefault(parent, []).append(orjson.loads(props))
    return {r.id: cabinet_load(orjson.loads(r.properties or "{}"), luminaires.get(r.id, ()))
            for r in ctx.conn.execute(select(a.c.id, a.c.properties).where(
                a.c.tenant_id == ctx.tenant_id, a.c.kind == "lighting.cabinet"))}


def consumption_drift(ctx: DetectorContext) -> Iterable[Finding]:
    loads = _loads(ctx)
    for cabinet, t, power in _cabinets(ctx, DRIFT_WINDOW_DAYS):
        load = loads.get(cabinet.id)
        if load is None or load.full_kw <= 0:
            continue
        night, _, share = _schedule(cabinet, t)
        lit = night & (share > 0)
        if not lit.any():
            continue
        expected = load.kw_at(share[lit] * 100)
        nights = local_time(t[lit] - 43_200).day  # a night is dated by its evening
        ratios = {}
        for d in np.unique(nights):
            mine = nights == d
            if expected[mine].sum() > 0:
                ratios[d] = float(power[lit][mine].sum() / expected[mine].sum())
        order = sorted(ratios)
        recent, reference = order[-DRIFT_RECENT_NIGHTS:], order[:-DRIFT_RECENT_NIGHTS]
        if len(recent) < DRIFT_RECENT_NIGHTS or len(reference) < DRIFT_MIN_REFERENCE_NIGHTS:
            continue
        usual = float(np.median([ratios[d] for d in reference]))
        now_ratio = float(np.median([ratios[d] for d in recent]))
        if usual > 0 and now_ratio > (1 + DRIFT) * usual:
            rise = now_ratio / usual - 1
            yield Finding(cabinet.id, f"Dérive de la consommation nocturne de +{rise:.0%} — "
                          f"{cabinet.name}".replace("%", " %"), "warning",
                          at=int(t[lit][-1] * 1000),
                          details={"usual_ratio": round(usual, 3),
                                   "recent_ratio": round(now_ratio, 3),
                                   "rise_percent": round(rise * 100, 1),
                                   "recent_nights": len(recent),
                                   "reference_nights": len(reference)})


DETECTORS = (
    Detector("lighting.lit_by_day", "Éclairage allumé en plein jour", 3600, lit_by_day,
             metrics=(POWER,), details=(DetailField("hours_lit_by_day", "Heures allumées en plein jour "
                                  "(dernières 24 h)", unit="h", digits=0),
                      DetailField("power_kw", "Puissance mesurée en dernier", unit="kW",
                                  digits=3))),
    Detector("lighting.dark_at_night", "Armoire éteinte la nuit", 3600, dark_at_night,
             metrics=(POWER,), details=(DetailField("dark_hours", "Heures éteintes de nuit (dernières 24 h)",
                                  unit="h", digits=0),)),
    Detector("lighting.night_power_drop", "Baisse de puissance nocturne", 3600,
             night_power_drop, metrics=(POWER,),
             details=(DetailField("usual_night_kw", "Puissance de nuit habituelle",
                                  unit="kW", digits=3),
                      DetailField("recent_night_kw", "Puissance des dernières nuits",
                                  unit="kW", digits=3),
                      DetailField("drop_percent", "Baisse", "percent", digits=1))),
    Detector("lighting.consumption_drift", "Dérive de la consommation nocturne", 3600,
             consumption_drift, metrics=(POWER,),
             details=(DetailField("usual_ratio", "Consommation mesurée / attendue, "
                                  "habituellement", digits=3),
                      DetailField("recent_ratio", "Consommation mesurée / attendue, "
                                  "dernières nuits", digits=3),
                      DetailField("rise_percent", "Hausse", "percent", digits=1),
                      DetailField("recent_nights", "Nuits récentes comparées", digits=0),
                      DetailField("reference_nights", "Nuits de référence", digits=0))),
)
