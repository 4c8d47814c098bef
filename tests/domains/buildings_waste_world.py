"""A small territory of public buildings for the waste detectors, series written here.

Hourly readings over ``DAYS`` days before ``now``, exact (no noise), from this module's
own timetables (the usage defaults of ``occupancy``, typed again here, and the holidays
given by the caller) — not from the code under test. What each building holds:

- ``ECOLE``: a normal school (electricity 1 kW + 6 kW in lessons, water in lessons only,
  a classroom at 19.3 °C in lessons and 16 °C otherwise, CO2 1,000 ppm in lessons);
- ``GYM``: lit 16 kW from 23:00 to 06:00 every night of the last ``LIT_DAYS`` days
  (standby 2 kW, 8 kW open);
- ``MAIRIE``: a toilet cistern leaking 20 L/h for the last ``LEAK_DAYS`` days; ``MAIRIE2``
  leaking only the last 3 nights (not yet « every night »);
- ``BIBLIO``: its standby from 1.0 to 1.6 kW for the last 14 days (drift);
- ``CHAUFFEE``: gas heated, with a gas meter (2 m³/h, 10 kWh/m³), its classroom kept at
  ``HEATED_C`` every hour of the ``heated`` days;
- ``FENETRES``: a classroom (55 m²) whose temperature and CO2 fall together (2 °C and
  500 ppm in an hour) from 10:00 on the ``window_days``.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import numpy as np
from sqlalchemy import select

from beffroi.core import importing, tenants
from beffroi.core.access import CLI, open_scope
from beffroi.core.observations import store_rows
from beffroi.core.streams import ensure_stream
from beffroi.storage import schema

PARIS = ZoneInfo("Europe/Paris")
HOUR = 3600
DAYS = 70
LIT_DAYS = 10
LEAK_DAYS = 9
HEATED_C = 20.0
GAS_M3H, GAS_KWH_M3 = 2.0, 10.0
WINDOW_ROOM_M2 = 55.0


def _school(wd: int, x: float) -> bool:
    return wd in (0, 1, 3, 4) and (8.5 <= x < 11.5 or 13.5 <= x < 16.5)


def _gym(wd: int, x: float) -> bool:
    return (wd < 5 and 8 <= x < 22) or (wd == 5 and 9 <= x < 18)


def _mairie(wd: int, x: float) -> bool:
    return wd < 5 and 8 <= x < 17.5


def _biblio(wd: int, x: float) -> bool:
    return (wd in (1, 3) and 16 <= x < 18.5) or (wd == 2 and (10 <= x < 12 or 14 <= x < 18)) \
        or (wd == 5 and 10 <= x < 12)


class Clock:
    """Local calendar of each hourly reading."""

    def __init__(self, now_ms: int, holidays: set[date], public: set[date]):
        end = now_ms // 1000 // HOUR * HOUR
        self.t = np.arange(end - DAYS * 86_400, end, HOUR)
        self.local = [datetime.fromtimestamp(int(t), UTC).astimezone(PARIS) for t in self.t]
        self.holidays, self.public = holidays, public

    def at(self, rule, school: bool, quarters: bool) -> np.ndarray:
        """The rule at each reading instant, or over its hour (any quarter)."""
        out = []
        for lt in self.local:
            day = lt.date()
            closed = day in self.public or (school and day in self.holidays)
            x = lt.hour + lt.minute / 60
            marks = (x, x + 0.25, x + 0.5, x + 0.75) if quarters else (x,)
            out.append(not closed and any(rule(lt.weekday(), m) for m in marks))
        return np.array(out)

    def hour(self) -> np.ndarray:
        return np.array([lt.hour for lt in self.local])

    def day(self) -> np.ndarray:
        return np.array([lt.date() for lt in self.local])


def _index(use: np.ndarray, start: float = 1000.0) -> np.ndarray:
    """Index readings: the reading at hour i is everything used before it."""
    return start + np.concatenate([[0.0], np.cumsum(use)[:-1]])


def make_world(db, registry, now_ms: int, *, holidays: set[date], public: set[date],
               heated: set[date], window_days: set[date], name: str = "CC Bâtiments"
               ) -> dict[str, int]:
    """The territory; returns {ref: asset id} and "tenant"."""
    c = Clock(now_ms, holidays, public)
    last = c.t[-1]
    point = {"type": "Point", "coordinates": [6.59, 48.01]}

    def building(ref, usage, **props):
        return {"ref": ref, "kind": "buildings.building", "name": ref.title(), "geometry": point,
                "properties": {"usage": usage, "floor_area_m2": 1000.0, "heating": "gaz",
                               **props}}

    def room(ref, parent, area=50.0):
        return {"ref": ref, "kind": "buildings.room", "name": f"Classe {ref}",
                "parent_ref": parent, "geometry": point,
                "properties": {"room_type": "classe", "floor_area_m2": area}}

    rows = [building("ECOLE", "ecole"), room("ECOLE-C1", "ECOLE"),
            building("GYM", "gymnase", floor_area_m2=2000.0), building("MAIRIE", "mairie"),
            building("MAIRIE2", "mairie"), building("BIBLIO", "bibliotheque"),
            building("CHAUFFEE", "ecole"), room("CHAUFFEE-C1", "CHAUFFEE"),
            {"ref": "CHAUFFEE-GAZ", "kind": "buildings.meter", "name": "Compteur gaz",
             "parent_ref": "CHAUFFEE", "geometry": point,
             "properties": {"energy": "gaz", "kwh_per_unit": GAS_KWH_M3}},
            building("FENETRES", "ecole"), room("FENETRES-C1", "FENETRES", WINDOW_ROOM_M2)]

    school_h = c.at(_school, True, True).astype(float)
    school_t = c.at(_school, True, False)
    days = c.day()
    hours = c.hour()
    lit = (c.t >= last - LIT_DAYS * 86_400) & ((hours >= 23) | (hours < 6))
    leak = c.t >= last - LEAK_DAYS * 86_400
    mairie_h = c.at(_mairie, False, True).astype(float)
    classroom = np.where(school_t, 19.3, 16.0)
    co2 = np.where(school_t, 1000.0, 420.0)
    heated = np.isin(days, list(heated))
    window = np.isin(days, list(window_days)) & (hours == 10)
    series = {
        ("ECOLE", "energy.active_import"): _index(1 + 6 * school_h),
        ("ECOLE", "water.volume"): _index(0.05 * school_h),
        ("ECOLE-C1", "air.temperature"): classroom,
        ("ECOLE-C1", "air.co2"): co2,
        ("GYM", "energy.active_import"): _index(2 + 8 * c.at(_gym, False, True) + 16 * lit),
        ("MAIRIE", "water.volume"): _index(0.03 * mairie_h + 0.02 * leak),
        ("MAIRIE2", "water.volume"): _index(0.03 * mairie_h
                                            + 0.02 * (c.t >= last - 3 * 86_400)),
        ("BIBLIO", "energy.active_import"): _index(
            np.where(c.t >= last + HOUR - 14 * 86_400, 1.6, 1.0)
            + 3 * c.at(_biblio, False, True)),
        ("CHAUFFEE-GAZ", "gas.volume"): _index(np.full(len(c.t), GAS_M3H)),
        ("CHAUFFEE-C1", "air.temperature"): np.where(heated, HEATED_C, classroom),
        ("FENETRES-C1", "air.temperature"): np.where(window, 17.5, classroom),
        ("FENETRES-C1", "air.co2"): np.where(window, 500.0, np.where(school_t, 1000.0, 420.0)),
    }
    with db.write() as conn:
        tenant = tenants.create_tenant(db, conn, CLI, name=name, registry=registry)
        scope = open_scope(db, conn, CLI, tenant["id"])
        report = importing.import_assets(scope, conn, registry, rows)
        assert not report.errors, report.errors
        a = schema.assets
        ids = dict(conn.execute(select(a.c.ref, a.c.id).where(
            a.c.tenant_id == tenant["id"])).all())
        data = []
        for (ref, metric), values in series.items():
            sid = ensure_stream(scope, conn, registry, ids[ref], metric)
            data += [(tenant["id"], sid, int(t) * 1000, round(float(v), 4), 0)
                     for t, v in zip(c.t, values, strict=True)]
        store_rows(scope, conn, data, PARIS)
    return {**ids, "tenant": tenant["id"]}
