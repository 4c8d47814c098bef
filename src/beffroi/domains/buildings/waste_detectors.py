"""Waste and anomaly detectors of public buildings (``Domain.detectors``).

Each runs hourly on the last whole hours before its run and says, per building, what is
at stake each week: ``details.kwh_per_week`` and ``details.eur_per_week`` (the dashboard
ranks anomalies by them; ``m3_per_week`` for water), with a French ``explanation`` of what
was seen (figures and period). The computations are in ``waste`` (thresholds and their
reasons there); the building's occupancy is ``occupancy.occupied_mask`` (opening hours,
public and school holidays), its use per hour ``hourly_use``.

- ``buildings.off_hours_use`` — consumption while closed beyond the baseload, per building
  and energy (subject: the energy);
- ``buildings.baseload_drift`` — the baseload rising over weeks, per building and energy;
  a heating energy (gas, heat network, and electricity of a building heated by
  electricity or a heat pump) only when none of the weeks compared is in the heating
  season (``HEATING_SEASON_MONTHS``, 1 October to 20 May rounded to months), since the
  weather moves its baseload;
- ``buildings.night_water_flow`` — water flowing every night (a leak inside the building);
- ``buildings.overheating`` — rooms warmer than the building's setpoints in the cold months;
- ``buildings.window_open_heating`` — heating with the windows open, per room (subject).

Prices: electricity ``buildings.tariff_eur_kwh``, gas ``buildings.gas_tariff_eur_kwh``,
heat network ``buildings.heat_tariff_eur_kwh``, fuel oil, wood and propane
``buildings.fuel_oil_tariff_eur_kwh``, ``…wood…``, ``…propane…``, water
``buildings.water_price_eur_m3``; an energy without a price (district cooling) leaves its €
empty.

Energy at stake of a temperature anomaly: the heating energy of the week × the share per
degree (``buildings.heating_saving_pct_per_degree``, ADEME's 7 %) × the degrees above the
setpoints (averaged over the week's hours). The heating energy of the week is, in order:
the week's reading of the building's gas or heat-network meter (electricity × the
building's ``heating_share_pct`` for electric heating); its latest ``annual_energy`` of
its heating energy × ``heating_share_pct`` (``DEFAULT_HEATING_SHARE_PCT`` when absent)
spread over ``HEATING_SEASON_WEEKS``; its floor area × ``DEFAULT_HEATING_KWH_M2`` spread
likewise. An open window loses 0.34 Wh/(m³·K) × ``OPEN_WINDOW_ACH`` × the room's volume
(floor area × ``CEILING_M``) × (occupied setpoint − ``COLD_OUTDOOR_C``) per hour open.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import orjson
from sqlalchemy import and_, select

from ...core.alerting.detector_spec import DetailField, Detector, DetectorContext, Finding
from ...core.clock import format_instant
from ...core.french_format import french_number, local_date
from ...core.settings import setting
from ...storage import schema
from . import waste
from .hourly_use import HOUR_MS, building_counters, hourly_use
from .hourly_use import series as read_series
from .kinds import HEATING_ENERGY
from .occupancy import local_ms, occupied_mask
from .settings import (
    FUEL_OIL_TARIFF,
    GAS_TARIFF,
    HEAT_TARIFF,
    PROPANE_TARIFF,
    SAVING_PER_DEGREE,
    TARIFF,
    WATER_PRICE,
    WOOD_TARIFF,
)

OFF_HOURS = "buildings.off_hours_use"
DRIFT = "buildings.baseload_drift"
NIGHT_WATER = "buildings.night_water_flow"
OVERHEATING = "buildings.overheating"
WINDOWS = "buildings.window_open_heating"

PRICE_SETTING = {"electricite": TARIFF, "gaz": GAS_TARIFF, "reseau_chaleur": HEAT_TARIFF,
                 "fioul": FUEL_OIL_TARIFF, "bois": WOOD_TARIFF, "propane": PROPANE_TARIFF,
                 "eau": WATER_PRICE}
ENERGY_NAMES = {"electricite": "électricité", "gaz": "gaz naturel",
                "reseau_chaleur": "réseau de chaleur", "eau": "eau", "fioul": "fioul",
                "bois": "bois", "propane": "propane"}
HEATING_SEASON_MONTHS = (10, 11, 12, 1, 2, 3, 4, 5)
HEATING_SEASON_WEEKS = 33  # 1 October to 20 May, the conventional heating season
DEFAULT_HEATING_SHARE_PCT = 70.0  # heating in a heated public building's energy « à vérifier »
DEFAULT_HEATING_KWH_M2 = 100.0  # kWh/m²/year of heating, tertiary order of magnitude « à vérifier »
SETPOINT_OCCUPIED_C = 19.0  # art. R.241-26 code de l'énergie
SETPOINT_UNOCCUPIED_C = 16.0  # art. R.241-27 (inoccupation of 24 to 48 h)
CEILING_M = 2.5
OPEN_WINDOW_ACH = 10.0  # air changes per hour through a wide-open window « à vérifier »
COLD_OUTDOOR_C = 5.0  # mean outdoor temperature of the cold months « à vérifier »
DEFAULT_ROOM_M2 = 50.0


# ------------------------------------------------------------------ shared reading

def _props(raw: Any) -> dict[str, Any]:
    return orjson.loads(raw or "{}")


def _buildings(ctx: DetectorContext) -> list[tuple[int, str, dict[str, Any]]]:
    a = schema.assets
    return [(r.id, r.name, _props(r.properties)) for r in ctx.conn.execute(
        select(a.c.id, a.c.name, a.c.properties).where(
            a.c.tenant_id == ctx.tenant_id, a.c.kind == "buildings.building").order_by(a.c.id))]


class Hours:
    """The whole hours of an analysis (the last ``days`` days before the run), in local
    time and occupancy of a building."""

    def __init__(self, ctx: DetectorContext, days: int):
        self.end = ctx.now // HOUR_MS * HOUR_MS
        self.n = days * 24
        self.start = self.end - self.n * HOUR_MS
        self.t = self.start + np.arange(self.n, dtype=np.int64) * HOUR_MS
        self.tz_name = str(ctx.scope.settings.get("timezone") or "Europe/Paris")
        self.tz = ZoneInfo(self.tz_name)
        local = local_ms(self.t, self.tz_name)
        self.local_hour = (local // HOUR_MS) % 24
        self.local_day = local // 86_400_000
        self.month = (local.astype("datetime64[ms]").astype("datetime64[M]").astype(np.int64)
                      % 12) + 1

    def occupied(self, props: dict[str, Any]) -> np.ndarray:
        """An hour is occupied when any quarter of it is."""
        out = np.zeros(self.n, dtype=bool)
        for quarter in range(4):
            out |= occupied_mask(props, self.t + quarter * 900_000, self.tz_name)
        return out

    def day(self, ms: int) -> str:
        return local_date(datetime.fromtimestamp(ms / 1000, self.tz).date())

    def week_text(self) -> str:
        return f"du {self.day(self.end - waste.WEEK_H * HOUR_MS)} au {self.day(self.end - 1)}"

    def week_dates(self) -> dict[str, str]:
        return {"period_start": format_instant(self.end - waste.WEEK_H * HOUR_MS),
                "period_end": format_instant(self.end)}


def _price(ctx: DetectorContext, energy: str | None) -> float | None:
    key = PRICE_SETTING.get(energy or "")
    return float(setting(ctx.scope.settings, ctx.registry, key)) if key else None


def _money(kwh: float | None, price: float | None) -> float | None:
    return None if kwh is None or price is None else round(kwh * price, 2)


def _fr(value: float, digits: int = 0) -> str:
    return french_number(value, digits)


def _of(name: str) -> str:
    """« d'électricité », « de gaz naturel »: the French elision before a vowel."""
    return f"d'{name}" if name[:1].lower() in "aeiouyéèêàâîôûh" else f"de {name}"


def _stake(kwh: float | None, eur: float | None) -> str:
    if kwh is None:
        return "énergie en jeu non estimable"
    text = f"≈ {_fr(kwh)} kWh par semaine"
    return text + (f", soit ≈ {_fr(eur)} € par semaine" if eur is not None else
                   " (prix de cette énergie non renseigné)")


# ------------------------------------------------------------------ off-hours use

def off_hours_findings(ctx: DetectorContext) -> Iterable[Finding]:
    hours = Hours(ctx, waste.BASELOAD_DAYS)
    buildings = _buildings(ctx)
    counters = building_counters(ctx.conn, ctx.tenant_id, [b[0] for b in buildings])
    for bid, name, props in buildings:
        energies = [c for c in counters[bid] if c.energy != "eau"]
        if not energies:
            continue
        closed = waste.closed_hours(hours.occupied(props))
        for energy, use in hourly_use(ctx.conn, ctx.tenant_id, energies, hours.start,
                                      hours.n).items():
            seen = waste.off_hours_use(use, closed, hours.local_hour)
            if seen is None or not seen.flagged:
                continue
            price = _price(ctx, energy)
            kwh = round(seen.excess_kwh, 1)
            eur = _money(kwh, price)
            base_kwh = seen.baseload_kw * seen.closed_hours
            where = "surtout la nuit (22 h–6 h)" if seen.night_share >= 0.6 else \
                "surtout en journée, bâtiment fermé" if seen.night_share <= 0.3 else \
                "de jour comme de nuit"
            text = (f"Bâtiment fermé {_fr(seen.closed_hours)} heures {hours.week_text()} "
                    f"(nuits, week-end, congés) : {_fr(seen.closed_kwh)} kWh "
                    f"{_of(ENERGY_NAMES[energy])} consommés, dont {_fr(seen.excess_kwh)} kWh "
                    f"au-delà de sa consommation de base ({_fr(seen.baseload_kw, 2)} kW, "
                    f"soit {_fr(base_kwh)} kWh sur ces heures), {where}. "
                    f"En jeu : {_stake(kwh, eur)}.")
            yield Finding(bid, f"Consommation hors occupation — {name} : +{_fr(kwh)} kWh "
                               f"{_of(ENERGY_NAMES[energy])} en une semaine", "warning",
                          subject=energy, details={
                              "energy": energy, "kwh_per_week": kwh, "eur_per_week": eur,
                              "price_eur_kwh": price,
                              "baseload_kw": round(seen.baseload_kw, 3),
                              "closed_hours": seen.closed_hours,
                              "closed_kwh": round(seen.closed_kwh, 1),
                              "excess_pct": round(100 * seen.excess_kwh / base_kwh, 1)
                              if base_kwh > 0 else None,
                              "night_share_pct": round(100 * seen.night_share, 1),
                              **hours.week_dates(), "explanation": text})


# ------------------------------------------------------------------ baseload drift

def drift_findings(ctx: DetectorContext) -> Iterable[Finding]:
    hours = Hours(ctx, waste.DRIFT_WEEKS * 7)
    in_season = bool(np.isin(hours.month, HEATING_SEASON_MONTHS).any())
    buildings = _buildings(ctx)
    counters = building_counters(ctx.conn, ctx.tenant_id, [b[0] for b in buildings])
    for bid, name, props in buildings:
        heating = {HEATING_ENERGY.get(props.get("heating") or "")}
        energies = [c for c in counters[bid] if c.energy != "eau"
                    and not (in_season and (c.energy in ("gaz", "reseau_chaleur")
                                            or c.energy in heating))]
        if not energies:
            continue
        closed = waste.closed_hours(hours.occupied(props))
        for energy, use in hourly_use(ctx.conn, ctx.tenant_id, energies, hours.start,
                                      hours.n).items():
            seen = waste.baseload_drift(use, closed)
            if seen is None or not seen.flagged:
                continue
            price = _price(ctx, energy)
            kwh = round(seen.extra_kwh_per_week, 1)
            eur = _money(kwh, price)
            rise = 100 * (seen.recent_kw / seen.before_kw - 1) if seen.before_kw > 0 else None
            text = (f"Consommation de base ({ENERGY_NAMES[energy]}, bâtiment fermé) passée de "
                    f"{_fr(seen.before_kw, 2)} kW (médiane des semaines {hours.day(hours.start)}"
                    f"–{hours.day(hours.end - waste.DRIFT_RECENT_WEEKS * 7 * 86_400_000)}) à "
                    f"{_fr(seen.recent_kw, 2)} kW ces {waste.DRIFT_RECENT_WEEKS} dernières "
                    f"semaines{f' (+{_fr(rise)} %)' if rise is not None else ''} : un appareil "
                    f"qui ne s'arrête plus ? En jeu, toutes les heures de la semaine : "
                    f"{_stake(kwh, eur)}.")
            yield Finding(bid, f"Dérive de la consommation de base — {name} : "
                               f"{_fr(seen.before_kw, 2)} → {_fr(seen.recent_kw, 2)} kW",
                          "warning", subject=energy, details={
                              "energy": energy, "kwh_per_week": kwh, "eur_per_week": eur,
                              "price_eur_kwh": price,
                              "baseload_before_kw": round(seen.before_kw, 3),
                              "baseload_recent_kw": round(seen.recent_kw, 3),
                              "drift_pct": round(rise, 1) if rise is not None else None,
                              **hours.week_dates(), "explanation": text})


# ------------------------------------------------------------------ water at night

def night_water_findings(ctx: DetectorContext) -> Iterable[Finding]:
    hours = Hours(ctx, waste.LEAK_NIGHTS + 1)
    buildings = _buildings(ctx)
    counters = building_counters(ctx.conn, ctx.tenant_id, [b[0] for b in buildings])
    price = _price(ctx, "eau")
    for bid, name, props in buildings:
        water = [c for c in counters[bid] if c.energy == "eau"]
        if not water:
            continue
        use = hourly_use(ctx.conn, ctx.tenant_id, water, hours.start, hours.n)["eau"]
        closed = waste.closed_hours(hours.occupied(props), 0)
        seen = waste.night_water(use, closed, hours.local_hour, hours.local_day)
        if seen is None or not seen.flagged:
            continue
        m3 = round(seen.m3_per_week, 2)
        eur = _money(m3, price)
        lowest = min(seen.minima_m3h) * 1000
        text = (f"Le compteur d'eau ne s'arrête jamais la nuit : sur les {len(seen.minima_m3h)} "
                f"dernières nuits ({hours.week_text()}), le plus faible débit horaire entre 1 h "
                f"et 5 h n'est jamais descendu sous {_fr(lowest)} L/h (médiane "
                f"{_fr(seen.leak_m3h * 1000)} L/h), bâtiment fermé. Une fuite (chasse d'eau, "
                f"robinet, canalisation) qui coule jour et nuit : ≈ {_fr(m3, 1)} m³ par semaine"
                + (f", soit ≈ {_fr(eur)} € par semaine." if eur is not None else "."))
        yield Finding(bid, f"Écoulement d'eau permanent la nuit — {name} : "
                           f"{_fr(seen.leak_m3h * 1000)} L/h", "warning", details={
                               "m3_per_week": m3, "kwh_per_week": 0.0, "eur_per_week": eur,
                               "price_eur_m3": price,
                               "leak_l_h": round(seen.leak_m3h * 1000, 1),
                               "lowest_night_l_h": round(lowest, 1),
                               **hours.week_dates(), "explanation": text})


# ------------------------------------------------------------------ rooms

def _rooms(ctx: DetectorContext) -> dict[int, list[tuple[int, str, dict, dict[str, int]]]]:
    """Rooms of each building: (id, name, properties, {metric: stream id})."""
    a, s = schema.assets, schema.streams
    rooms: dict[int, dict[int, tuple[int, str, dict, dict[str, int]]]] = {}
    for row in ctx.conn.execute(
            select(a.c.id, a.c.parent_id, a.c.name, a.c.properties, s.c.id.label("sid"),
                   s.c.metric)
            .join(s, and_(s.c.tenant_id == a.c.tenant_id, s.c.asset_id == a.c.id))
            .where(a.c.tenant_id == ctx.tenant_id, a.c.kind == "buildings.room",
                   s.c.metric.in_(("air.temperature", "air.co2"))).order_by(a.c.id)):
        room = rooms.setdefault(row.parent_id, {}).setdefault(
            row.id, (row.id, row.name, _props(row.properties), {}))
        room[3][row.metric] = row.sid
    return {bid: list(by_id.values()) for bid, by_id in rooms.items()}


def _hourly_mean(t_ms: np.ndarray, values: np.ndarray, hours: Hours) -> np.ndarray:
    total = np.zeros(hours.n)
    count = np.zeros(hours.n)
    slot = (t_ms - hours.start) // HOUR_MS
    ok = (slot >= 0) & (slot < hours.n)
    np.add.at(total, slot[ok], values[ok])
    np.add.at(count, slot[ok], 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, total / count, np.nan)


def _setpoints(props: dict[str, Any]) -> tuple[float, float]:
    occ = props.get("setpoint_occupied_c")
    unocc = props.get("setpoint_unoccupied_c")
    return (float(occ) if occ is not None else SETPOINT_OCCUPIED_C,
            float(unocc) if unocc is not None else SETPOINT_UNOCCUPIED_C)


def heating_week_kwh(props: dict[str, Any], metered_week: dict[str, float]
                     ) -> tuple[float | None, str | None]:
    """(kWh of heating in a cold week, how it was obtained), module doc."""
    energy = HEATING_ENERGY.get(props.get("heating") or "")
    share = props.get("heating_share_pct")
    if energy in ("gaz", "reseau_chaleur") and energy in metered_week:
        return metered_week[energy], "measured"
    if energy == "electricite" and share is not None and energy in metered_week:
        return metered_week[energy] * float(share) / 100, "measured"
    annual = props.get("annual_energy") or {}
    if energy and isinstance(annual, dict):
        for year in sorted(annual, reverse=True):
            kwh = (annual[year] or {}).get(f"{energy}_kwh") if isinstance(
                annual[year], dict) else None
            if isinstance(kwh, int | float) and kwh > 0:
                pct = float(share) if share is not None else DEFAULT_HEATING_SHARE_PCT
                return kwh * pct / 100 / HEATING_SEASON_WEEKS, "annual"
    area = props.get("floor_area_m2")
    if isinstance(area, int | float) and area > 0:
        return area * DEFAULT_HEATING_KWH_M2 / HEATING_SEASON_WEEKS, "area"
    return None, None


def _metered_week(ctx: DetectorContext, counters, hours: Hours) -> dict[str, float]:
    out = {}
    week = slice(hours.n - waste.WEEK_H, hours.n)
    for energy, use in hourly_use(ctx.conn, ctx.tenant_id, [c for c in counters
                                                             if c.energy != "eau"],
                                  hours.start, hours.n).items():
        values = use[week]
        measured = ~np.isnan(values)
        if measured.sum() >= waste.WEEK_H / 2:
            out[energy] = float(values[measured].sum()) * waste.WEEK_H / int(measured.sum())
    return out


def overheating_findings(ctx: DetectorContext) -> Iterable[Finding]:
    hours = Hours(ctx, 7)
    cold = np.isin(hours.month, waste.COLD_MONTHS)
    if not cold.any():
        return
    rooms = _rooms(ctx)
    buildings = [b for b in _buildings(ctx) if b[0] in rooms]
    counters = building_counters(ctx.conn, ctx.tenant_id, [b[0] for b in buildings])
    pct = float(setting(ctx.scope.settings, ctx.registry, SAVING_PER_DEGREE))
    for bid, name, props in buildings:
        per_room = []
        for _, room_name, _, streams in rooms[bid]:
            if "air.temperature" in streams:
                t, v = read_series(ctx.conn, ctx.tenant_id, streams["air.temperature"],
                                   hours.start, hours.end - 1)
                per_room.append((room_name, _hourly_mean(t, v, hours)))
        if not per_room:
            continue
        matrix = np.vstack([m for _, m in per_room])
        with warnings.catch_warnings():  # an hour no room measured: NaN, said quietly
            warnings.simplefilter("ignore", RuntimeWarning)
            temp = np.nanmean(matrix, axis=0)
        occupied = hours.occupied(props)
        sp_occ, sp_unocc = _setpoints(props)
        seen = waste.overheating(temp, occupied, cold, sp_occ, sp_unocc)
        if seen is None or not seen.flagged:
            continue
        heating_kwh, source = heating_week_kwh(props, _metered_week(ctx, counters[bid], hours))
        energy = HEATING_ENERGY.get(props.get("heating") or "")
        kwh = round(heating_kwh * pct / 100 * seen.mean_excess_c, 1) if heating_kwh else None
        eur = _money(kwh, _price(ctx, energy))
        parts = []
        if seen.occupied_flagged:
            parts.append(f"{_fr(seen.occupied_mean_c, 1)} °C en moyenne pendant l'occupation "
                         f"(consigne {_fr(sp_occ, 1)} °C)")
        if seen.unoccupied_flagged:
            parts.append(f"{_fr(seen.unoccupied_mean_c, 1)} °C en moyenne bâtiment fermé "
                         f"(consigne de réduit {_fr(sp_unocc, 1)} °C)")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            hot = [n for n, m in per_room
                   if np.nanmean(np.where(cold, m, np.nan)) > sp_unocc + 1]
        text = (f"{hours.week_text().capitalize()}, les {len(per_room)} pièce(s) suivie(s) "
                f"étaient à {' et '.join(parts)} ; {_fr(seen.mean_excess_c, 1)} °C au-dessus "
                f"des consignes en moyenne sur la semaine. Chaque degré de trop coûte ≈ "
                f"{_fr(pct)} % de l'énergie de chauffage"
                + (f" ({_fr(heating_kwh)} kWh {_of(ENERGY_NAMES.get(energy or '', 'chauffage'))} "
                   f"par semaine, {SOURCE_TEXT[source]})" if heating_kwh else "")
                + f". En jeu : {_stake(kwh, eur)}.")
        yield Finding(bid, f"Surchauffe — {name} : {_fr(seen.mean_excess_c, 1)} °C au-dessus "
                           "des consignes", "warning", details={
                               "kwh_per_week": kwh, "eur_per_week": eur,
                               "occupied_mean_c": _round(seen.occupied_mean_c),
                               "unoccupied_mean_c": _round(seen.unoccupied_mean_c),
                               "setpoint_occupied_c": sp_occ,
                               "setpoint_unoccupied_c": sp_unocc,
                               "mean_excess_c": round(seen.mean_excess_c, 2),
                               "heating_kwh_per_week": _round(heating_kwh, 0),
                               "heating_estimate": source, "rooms": hot or
                               [n for n, _ in per_room],
                               **hours.week_dates(), "explanation": text})


SOURCE_TEXT = {"measured": "mesurés au compteur", "annual": "d'après la consommation annuelle",
               "area": "estimés d'après la surface"}


def _round(value: float | None, digits: int = 1) -> float | None:
    return None if value is None else round(value, digits)


def window_findings(ctx: DetectorContext) -> Iterable[Finding]:
    hours = Hours(ctx, 7)
    cold_hours = np.isin(hours.month, waste.COLD_MONTHS)
    if not cold_hours.any():
        return
    rooms = _rooms(ctx)
    for bid, name, props in _buildings(ctx):
        for room_id, room_name, room_props, streams in rooms.get(bid, []):
            if not {"air.temperature", "air.co2"} <= set(streams):
                continue
            t, temp = read_series(ctx.conn, ctx.tenant_id, streams["air.temperature"],
                                  hours.start, hours.end)
            ct, co2 = read_series(ctx.conn, ctx.tenant_id, streams["air.co2"], hours.start,
                                  hours.end)
            if len(t) < 2:
                continue
            slot = np.clip((t - hours.start) // HOUR_MS, 0, hours.n - 1)
            occupied = occupied_mask(props, t, hours.tz_name)
            seen = waste.window_openings(t, temp, ct, co2, occupied, cold_hours[slot])
            if not seen.flagged:
                continue
            sp_occ, _ = _setpoints(props)
            area = room_props.get("floor_area_m2") or DEFAULT_ROOM_M2
            volume = float(area) * CEILING_M
            kwh = round(0.34e-3 * OPEN_WINDOW_ACH * volume * max(sp_occ - COLD_OUTDOOR_C, 0)
                        * seen.open_hours, 1)
            energy = HEATING_ENERGY.get(props.get("heating") or "")
            eur = _money(kwh, _price(ctx, energy))
            text = (f"{room_name} : {seen.intervals} fois {hours.week_text()}, pendant les "
                    f"cours et le chauffage en marche, la température et le CO2 ont chuté "
                    f"ensemble (au moins {_fr(waste.WINDOW_TEMP_DROP_C_H, 1)} °C et "
                    f"{_fr(waste.WINDOW_CO2_DROP_PPM_H)} ppm par heure) : fenêtres ouvertes "
                    f"≈ {_fr(seen.open_hours, 1)} h en tout. Aérer 5 à 10 minutes suffit ; "
                    f"chaque heure d'ouverture perd ≈ "
                    f"{_fr(kwh / seen.open_hours if seen.open_hours else 0, 1)} kWh "
                    f"(pièce de {_fr(volume)} m³). En jeu : {_stake(kwh, eur)}.")
            yield Finding(bid, f"Chauffage fenêtres ouvertes — {room_name} ({name})",
                          "warning", subject=f"room:{room_id}", details={
                              "room": room_name, "kwh_per_week": kwh, "eur_per_week": eur,
                              "openings": seen.intervals,
                              "open_hours": round(seen.open_hours, 1),
                              "first_opening": format_instant(seen.first_ms),
                              **hours.week_dates(), "explanation": text})


# ------------------------------------------------------------------ declarations

ENERGY_CHOICES = dict(ENERGY_NAMES)
STAKE = (
    DetailField("kwh_per_week", "Énergie en jeu par semaine", unit="kW.h", digits=0),
    DetailField("eur_per_week", "Coût en jeu par semaine", unit="EUR", digits=0),
)
PERIOD = (
    DetailField("period_start", "Semaine analysée, du", "instant"),
    DetailField("period_end", "au", "instant"),
    DetailField("explanation", "Ce qui a été constaté", "text"),
)
ENERGY = DetailField("energy", "Énergie", "choice", choices=ENERGY_CHOICES)
PRICE = DetailField("price_eur_kwh", "Prix retenu", unit="EUR/(kW.h)", digits=3)

DETECTORS = (
    Detector(OFF_HOURS, "Consommation hors occupation", 3600, off_hours_findings,
             details=(ENERGY, *STAKE, PRICE,
                      DetailField("baseload_kw", "Consommation de base", unit="kW", digits=2),
                      DetailField("closed_hours", "Heures de fermeture dans la semaine",
                                  unit="h", digits=0),
                      DetailField("closed_kwh", "Consommée bâtiment fermé", unit="kW.h",
                                  digits=0),
                      DetailField("excess_pct", "Au-delà de la consommation de base",
                                  "percent", digits=0),
                      DetailField("night_share_pct", "Part de l'excès la nuit (22 h–6 h)",
                                  "percent", digits=0), *PERIOD),
             metrics=("energy.active_import", "gas.volume", "energy.heat")),
    Detector(DRIFT, "Dérive de la consommation de base", 3600, drift_findings,
             details=(ENERGY, *STAKE, PRICE,
                      DetailField("baseload_before_kw", "Consommation de base avant",
                                  unit="kW", digits=2),
                      DetailField("baseload_recent_kw", "Consommation de base récente",
                                  unit="kW", digits=2),
                      DetailField("drift_pct", "Hausse", "percent", digits=0), *PERIOD),
             metrics=("energy.active_import", "gas.volume", "energy.heat")),
    Detector(NIGHT_WATER, "Écoulement d'eau permanent la nuit", 3600, night_water_findings,
             details=(DetailField("m3_per_week", "Eau perdue par semaine", unit="m3",
                                  digits=1), *STAKE,
                      DetailField("price_eur_m3", "Prix de l'eau", unit="EUR/m3"),
                      DetailField("leak_l_h", "Débit de fuite (médiane des minimums de nuit)",
                                  unit="L/h", digits=0),
                      DetailField("lowest_night_l_h", "Plus faible minimum de nuit",
                                  unit="L/h", digits=0), *PERIOD),
             metrics=("water.volume",)),
    Detector(OVERHEATING, "Surchauffe par rapport aux consignes", 3600, overheating_findings,
             details=(*STAKE,
                      DetailField("occupied_mean_c", "Température moyenne en occupation",
                                  unit="Cel", digits=1),
                      DetailField("unoccupied_mean_c", "Température moyenne bâtiment fermé",
                                  unit="Cel", digits=1),
                      DetailField("setpoint_occupied_c", "Consigne en occupation", unit="Cel",
                                  digits=1),
                      DetailField("setpoint_unoccupied_c", "Consigne en inoccupation",
                                  unit="Cel", digits=1),
                      DetailField("mean_excess_c", "Au-dessus des consignes (moyenne)",
                                  unit="Cel", digits=1),
                      DetailField("heating_kwh_per_week", "Énergie de chauffage de la semaine",
                                  unit="kW.h", digits=0),
                      DetailField("heating_estimate", "Énergie de chauffage", "choice",
                                  choices=SOURCE_TEXT),
                      DetailField("rooms", "Pièces trop chaudes", "list"), *PERIOD),
             metrics=("air.temperature",)),
    Detector(WINDOWS, "Chauffage fenêtres ouvertes", 3600, window_findings,
             details=(DetailField("room", "Pièce", "text"), *STAKE,
                      DetailField("openings", "Chutes simultanées de température et de CO2",
                                  digits=0),
                      DetailField("open_hours", "Durée d'ouverture estimée", unit="h",
                                  digits=1),
                      DetailField("first_opening", "Première constatée", "instant"),
                      *PERIOD),
             metrics=("air.temperature", "air.co2")),
)
