"""Shared helpers of the lighting energy, savings and renovation tests: a small territory
at Remiremont, meter readings, and night lengths from PyEphem (the independent reference:
VSOP87/Meeus ephemeris, not astral's NOAA equations)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import ephem

from beffroi.core import assets, streams, tenants, users
from beffroi.core.access import CLI, open_scope
from beffroi.core.observations import store_rows

PARIS = ZoneInfo("Europe/Paris")
REMIREMONT = (48.017, 6.59)  # lat, lon
INSEE, OTHER = "88383", "88001"
LED_40 = {"category": "a", "lamp_type": "led", "power_w": 40, "flux_lm": 5200,
          "color_temperature_k": 3000}
SODIUM_100 = {"category": "a", "lamp_type": "sodium_hp", "power_w": 100, "flux_lm": 10000,
              "color_temperature_k": 2000}


def point(dx: float = 0.0, dy: float = 0.0) -> dict:
    return {"type": "Point", "coordinates": [REMIREMONT[1] + dx, REMIREMONT[0] + dy]}


def local_ms(day: date, clock: time = time(0)) -> int:
    return int(datetime.combine(day, clock, PARIS).timestamp() * 1000)


def make_territory(db, registry) -> int:
    with db.write() as conn:
        t = tenants.create_tenant(db, conn, CLI, name="Communauté test", registry=registry)
        scope = open_scope(db, conn, CLI, t["id"])
        tenants.create_commune(scope, conn, {"insee": INSEE, "name": "Remiremont"})
        tenants.create_commune(scope, conn, {"insee": OTHER, "name": "Autre"})
        users.add_member(scope, conn, {"email": "elu@cc.fr", "role": "viewer",
                                       "password": "password-123"})
    return t["id"]


def add_cabinet(db, registry, tenant: int, ref: str, programme: str | None,
                luminaires: list[dict], *, commune: str = INSEE, at: tuple = (0.0, 0.0),
                switching: str = "astronomical_clock", meter: bool = False,
                extra: dict | None = None) -> dict:
    """A cabinet with ``luminaires`` (properties) around it; ids of what was created."""
    props = {"switching": switching, **(extra or {})}
    if programme:
        props["programme"] = {"preset": programme}
    with db.write() as conn:
        scope = open_scope(db, conn, CLI, tenant)
        cabinet = assets.create_asset(scope, conn, registry, {
            "ref": ref, "kind": "lighting.cabinet", "name": f"Armoire {ref}",
            "commune": commune, "geometry": point(*at), "properties": props})
        ids = []
        for i, lum in enumerate(luminaires):
            ids.append(assets.create_asset(scope, conn, registry, {
                "ref": f"{ref}-L{i:03d}", "kind": "lighting.luminaire",
                "name": f"Point {ref} {i}", "commune": commune, "parent_ref": ref,
                "geometry": point(at[0] + 0.0001 * (i + 1), at[1]),
                "properties": lum}).id)
        stream = None
        if meter:
            stream = streams.create_stream(scope, conn, registry, {
                "asset_id": cabinet.id, "metric": "energy.active_import"}).id
    return {"id": cabinet.id, "luminaires": ids, "meter": stream}


def store(db, tenant: int, stream_id: int, points: list[tuple[int, float]]) -> None:
    with db.write() as conn:
        scope = open_scope(db, conn, CLI, tenant)
        store_rows(scope, conn, [(tenant, stream_id, t, v, 0) for t, v in points], PARIS)


def ephem_night_hours(lat: float, lon: float, start: datetime, end: datetime) -> float:
    """Hours between sunset and sunrise (upper limb 34' below the horizon, sea level) that
    fall within [start, end), from PyEphem."""
    observer = ephem.Observer()
    observer.lat, observer.lon, observer.elevation = str(lat), str(lon), 0
    observer.pressure = 0
    observer.horizon = "-0:34"
    sun = ephem.Sun()

    def to_dt(value) -> datetime:
        return ephem.Date(value).datetime().replace(tzinfo=UTC)

    cursor = start - timedelta(days=1)
    total = 0.0
    while cursor < end:
        observer.date = ephem.Date(cursor.astimezone(UTC).replace(tzinfo=None))
        dusk = to_dt(observer.next_setting(sun, use_center=False))
        observer.date = ephem.Date(dusk.replace(tzinfo=None))
        dawn = to_dt(observer.next_rising(sun, use_center=False))
        lo, hi = max(dusk, start), min(dawn, end)
        if hi > lo:
            total += (hi - lo).total_seconds() / 3600
        cursor = dawn
    return total


def year_bounds(year: int) -> tuple[datetime, datetime]:
    return (datetime(year, 1, 1, tzinfo=PARIS), datetime(year + 1, 1, 1, tzinfo=PARIS))
