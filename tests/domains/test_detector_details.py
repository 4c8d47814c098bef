"""Issue #13: every detector of every domain declares each key its alerts' details hold,
with a French label, a kind and a unit. The detectors of the full registry are run on
small territories made to trip each of them; a detector added without a case here fails
the test, as does a finding with an undeclared key."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import numpy as np
import orjson
from sqlalchemy import select

from beffroi.core import importing, streams, tenants
from beffroi.core.access import CLI, open_scope
from beffroi.core.alerting.details import details_display
from beffroi.core.alerting.detectors import registered_detectors, run_detectors
from beffroi.core.observations import store_rows
from beffroi.core.registry import load_registry
from beffroi.core.streams import ensure_stream
from beffroi.domains.lighting.cabinet_programme import programme_levels
from beffroi.domains.lighting.programmes import PRESETS
from beffroi.storage import schema

from .lighting_fixtures import LED_40, REMIREMONT, add_cabinet, make_territory, store

NOW = 1_795_000_000_000  # 2026-11-18: a pinned clock
DAY = 86_400
PARIS = ZoneInfo("Europe/Paris")


def _lighting(db, registry) -> None:
    """Four cabinets of 10 LED × 40 W lit dusk to dawn, hourly power over 42 days: one
    drifting up 25 % the last 14 nights, one losing half its power the last 3 nights, one
    lit in daylight the last day, one dark the last night."""
    tenant = make_territory(db, registry)
    t = np.arange(NOW // 1000 - 42 * DAY, NOW // 1000, 3600, dtype=np.float64)
    level = programme_levels(PRESETS["dusk_to_dawn"], t, *REMIREMONT) / 100
    last_day = t >= NOW / 1000 - DAY
    cases = {
        "ARM-DERIVE": 0.4 * level * np.where(t >= NOW / 1000 - 14 * DAY, 1.25, 1.0),
        "ARM-BAISSE": 0.4 * level * np.where(t >= NOW / 1000 - 3 * DAY, 0.5, 1.0),
        "ARM-JOUR": np.where(last_day & (level == 0), 0.4, 0.4 * level),
        "ARM-NUIT": np.where(last_day, 0.0, 0.4 * level),
    }
    for i, (ref, power) in enumerate(cases.items()):
        cab = add_cabinet(db, registry, tenant, ref, "dusk_to_dawn", [LED_40] * 10,
                          at=(0.002 * i, 0))
        with db.write() as conn:
            sid = streams.create_stream(open_scope(db, conn, CLI, tenant), conn, registry, {
                "asset_id": cab["id"], "metric": "power.active"}).id
        store(db, tenant, sid, [(int(x * 1000), round(float(p), 4))
                                for x, p in zip(t, power, strict=True)])


def _water(db, registry) -> None:
    """A sector whose inflow gains 2 m³/h from 20 days before NOW (a leak); another, with
    no inlet meter, whose acoustic logger hears a probable leak."""
    t = np.arange(NOW / 1000 - 90 * DAY, NOW / 1000, 900.0)
    rng = np.random.default_rng(1)
    hour = (t / 3600 + 1) % 24
    flow = 10 * (1 + 1.2 * np.sin(np.pi * np.clip(hour - 5, 0, 18) / 18)) * rng.normal(
        1, 0.04, len(t)) + np.where(t >= NOW / 1000 - 20 * DAY, 2.0, 0.0)
    with db.write() as conn:
        tenant = tenants.create_tenant(db, conn, CLI, name="Syndicat des eaux",
                                       registry=registry)
        scope = open_scope(db, conn, CLI, tenant["id"])
        square = {"type": "Polygon", "coordinates": [[[6.6, 48.0], [6.61, 48.0], [6.61, 48.01],
                                                      [6.6, 48.01], [6.6, 48.0]]]}
        report = importing.import_assets(scope, conn, registry, [
            {"ref": "SEC-A", "kind": "water.sector", "name": "Secteur A", "geometry": square,
             "properties": {"connections": 1000}},
            {"ref": "CPT-A-IN", "kind": "water.meter", "name": "Entrée A", "parent_ref": "SEC-A",
             "geometry": {"type": "Point", "coordinates": [6.605, 48.005]},
             "properties": {"role": "sector_inlet"}},
            {"ref": "SEC-B", "kind": "water.sector", "name": "Secteur B", "geometry": square},
            {"ref": "ACO-B", "kind": "water.acoustic_logger", "name": "Prélocalisateur B",
             "parent_ref": "SEC-B",
             "geometry": {"type": "Point", "coordinates": [6.605, 48.006]}}])
        assert not report.errors, report.errors
        a = schema.assets
        meter = conn.execute(select(a.c.id).where(a.c.tenant_id == tenant["id"],
                                                  a.c.ref == "CPT-A-IN")).scalar_one()
        sid = ensure_stream(scope, conn, registry, meter, "water.flow")
        store_rows(scope, conn, [(tenant["id"], sid, int(x * 1000), round(float(v), 3), 0)
                                 for x, v in zip(t, flow, strict=True)], PARIS)
        logger = conn.execute(select(a.c.id).where(a.c.tenant_id == tenant["id"],
                                                   a.c.ref == "ACO-B")).scalar_one()
        alarm = ensure_stream(scope, conn, registry, logger, "water.leak_alarm")
        store_rows(scope, conn, [(tenant["id"], alarm, NOW - DAY * 1000, 2.0, 0)], PARIS)


def _waste(db, registry) -> None:
    """The waste example (examples/beffroi-dechets), when installed: a container at 95 %,
    another at 70 °C."""
    with db.write() as conn:
        tenant = tenants.create_tenant(db, conn, CLI, name="SICTOM", registry=registry)
        scope = open_scope(db, conn, CLI, tenant["id"])
        report = importing.import_assets(scope, conn, registry, [
            {"ref": ref, "kind": "waste.container", "name": f"Conteneur {ref}",
             "geometry": {"type": "Point", "coordinates": [6.6, 48.0]},
             "properties": {"waste_stream": "verre", "height_m": 1.6}}
            for ref in ("CTR-PLEIN", "CTR-FEU")])
        assert not report.errors, report.errors
        a = schema.assets
        ids = dict(conn.execute(select(a.c.ref, a.c.id).where(a.c.tenant_id == tenant["id"]))
                   .all())
        fill = ensure_stream(scope, conn, registry, ids["CTR-PLEIN"], "waste.fill_level")
        heat = ensure_stream(scope, conn, registry, ids["CTR-FEU"], "waste.temperature")
        store_rows(scope, conn, [(tenant["id"], fill, NOW - 3_600_000, 95.0, 0),
                                 (tenant["id"], heat, NOW - 3_600_000, 70.0, 0)], PARIS)


def _risks(db, registry) -> None:
    """A gauge over its yellow height; a weather station in a hot, dry, windy week (a heat
    wave by the Vosges thresholds, and fire weather); a forest massif next to it."""
    from beffroi.core import assets

    with db.write() as conn:
        tenant = tenants.create_tenant(db, conn, CLI, name="CC Risques", registry=registry)
        scope = open_scope(db, conn, CLI, tenant["id"])
        tenants.create_commune(scope, conn, {"insee": "88383", "name": "Remiremont"})

        def asset(ref, kind, geometry, props=None):
            names = {"HYD": "Moselle à Remiremont", "METEO": "Station météo de Remiremont",
                     "FORET": "Forêt de Remiremont"}
            return assets.create_asset(scope, conn, registry, {
                "ref": ref, "kind": kind, "name": names[ref], "commune": "88383",
                "geometry": geometry, "properties": props or {}}).id

        gauge = asset("HYD", "risks.gauge", {"type": "Point", "coordinates": [6.6, 48.0]},
                      {"level_yellow_m": 2.0, "level_orange_m": 2.6, "level_red_m": 3.2})
        station = asset("METEO", "risks.weather_station",
                        {"type": "Point", "coordinates": [6.6, 48.01]})
        asset("FORET", "risks.forest", {"type": "Polygon", "coordinates": [[
            [6.61, 48.0], [6.63, 48.0], [6.63, 48.02], [6.61, 48.0]]]})
        rows = [(tenant["id"], ensure_stream(scope, conn, registry, gauge, "hydro.level"),
                 NOW - 600_000, 2.4, 0)]
        t = np.arange(NOW // 1000 - 8 * DAY, NOW // 1000, 3600, dtype=np.float64)
        hour = (t % DAY) / 3600
        series = {"air.temperature": 30 + 8 * np.sin((hour - 9) / 24 * 2 * np.pi),
                  "air.humidity": np.full(len(t), 15.0),
                  "weather.wind_speed": np.full(len(t), 12.0),
                  "weather.precipitation": np.zeros(len(t))}
        for metric, values in series.items():
            sid = ensure_stream(scope, conn, registry, station, metric)
            rows += [(tenant["id"], sid, int(x * 1000), round(float(v), 2), 0)
                     for x, v in zip(t, values, strict=True)]
        store_rows(scope, conn, rows, PARIS)


def _buildings(db, registry) -> None:
    """The waste territory of the buildings' tests at NOW (a Wednesday after the Toussaint
    holidays): a gym lit at night, a leak, a drifting standby, a school kept at 20 °C the
    last week, a classroom aired while heated."""
    from datetime import date, timedelta

    from .buildings_waste_world import make_world

    toussaint = {date(2026, 10, 17) + timedelta(days=i) for i in range(16)}
    make_world(db, registry, NOW, holidays=toussaint, public={date(2026, 11, 1),
                                                              date(2026, 11, 11)},
               heated={date(2026, 11, 11) + timedelta(days=i) for i in range(7)},
               window_days={date(2026, 11, 12), date(2026, 11, 13), date(2026, 11, 16),
                            date(2026, 11, 17)})


def test_every_detector_declares_the_details_it_writes(db):
    registry = load_registry()  # every installed domain
    _lighting(db, registry)
    _water(db, registry)
    _risks(db, registry)
    _buildings(db, registry)
    if "waste" in registry.domains:
        _waste(db, registry)
    runs = run_detectors(db, registry, NOW)
    assert {status for _, _, status in runs} == {"ok"}, runs
    al = schema.alerts
    with db.read() as conn:
        raised = [(r.detector, orjson.loads(r.details)) for r in conn.execute(
            select(al.c.detector, al.c.details).where(al.c.detector.is_not(None)))]
    detectors = {d.key: d for d in registered_detectors(registry)}
    assert {key for key, _ in raised} == set(detectors), "a detector without a case here"
    for key, details in raised:
        declared = {f.key for f in detectors[key].details}
        assert details and set(details) <= declared, (key, set(details) - declared)
        for item in details_display(registry, details, key, None, PARIS):
            assert item["label"] != item["key"] and item["text"], (key, item)
            assert "Z" not in item["text"] and "T" not in item["text"][:11], item  # local time
    leak = next(d for k, d in raised if k == "water.night_flow_leak")
    shown = {i["key"]: i["text"] for i in details_display(registry, leak,
                                                          "water.night_flow_leak", None, PARIS)}
    assert shown["lost_m3"].endswith("\u00a0m³") and shown["lost_eur"].endswith("\u00a0€")
    assert shown["extra_flow_m3h"].endswith("\u00a0m³/h")
