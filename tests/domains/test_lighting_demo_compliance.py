"""Issue #6 acceptance: the compliance report on the demo territory flags the
non-compliant luminaires it should, with article references; a dimming programme put on a
remote-managed demo cabinet is pushed to acknowledged.

What "should" means is re-derived here, independently of the module, from the rules as
DOMAIN-FACTS states them (arrêté du 27 décembre 2018): simple predicates over each demo
luminaire's properties, its cabinet's programme and the zones' polygons.
"""

from __future__ import annotations

import math
import zlib
from collections import Counter

import numpy as np
import orjson
import pytest
from shapely.geometry import Point, shape
from sqlalchemy import select

from beffroi.connectivity.downlinks import dispatch_due, handle_mqtt_ack
from beffroi.core import devices, importing, tenants
from beffroi.core.access import CLI, open_scope
from beffroi.core.clock import now_ms
from beffroi.core.registry import load_registry
from beffroi.domains.lighting.cabinet_programme import programme_status, set_programme
from beffroi.domains.lighting.compliance_report import commune_report, demo_report
from beffroi.domains.lighting.demo.inventory import PLANTED, demo_inventory
from beffroi.storage import schema

ART5 = ("ulr_percent", "cie_flux_code_3_percent", "color_temperature_k", "power_w",
        "flux_lm", "head_installed")
# Switch-off and morning relight of the presets, read from their description in
# programmes.PRESETS (the summer variant's later cut counts).
PRESET_TIMES = {"cut_23_5": ("23:00", "05:00"), "cut_23_5_summer_midnight": ("00:00", "05:00"),
                "dim_50_22_6": (None, None), "dusk_to_dawn": (None, None)}
SWITCH_OFF_ARTICLE = {"a": "art. 2, I", "b": "art. 2, II", "d": "art. 2, III",
                      "e": "art. 2, IV", "g": "art. 2, V"}


def minutes(text: str) -> int:
    h, m = text.split(":")
    return int(h) * 60 + int(m)


def after_noon(text: str | int | None) -> int:
    """Evening/night clock times (text or minutes) in order; None (lit until sunrise) last."""
    if text is None:
        return 1440
    return ((text if isinstance(text, int) else minutes(text)) - 720) % 1440


def programme_times(doc: dict) -> tuple[str | None, str | None]:
    if "preset" in doc:
        return PRESET_TIMES[doc["preset"]]
    fixed = [s for s in doc["steps"] if ":" in s["at"]]
    fixed.sort(key=lambda s: after_noon(s["at"]))
    off = next((s["at"] for s in fixed if s["level"] == 0), None)
    on = next((s["at"] for s in fixed if off and s["level"] > 0
               and after_noon(s["at"]) > after_noon(off)), None)
    return off, on


def area_m2(polygon) -> float:
    """Spherical equirectangular area around the polygon (R = 6 371 km): a different
    computation from the module's, close enough (< 0.5 %) for the demo's densities."""
    lat0 = math.radians(polygon.centroid.y)
    k = 6_371_000 * math.pi / 180
    xs, ys = polygon.exterior.coords.xy
    pts = [(x * k * math.cos(lat0), y * k) for x, y in zip(xs, ys, strict=True)]
    return abs(sum(x1 * y2 - x2 * y1 for (x1, y1), (x2, y2) in zip(pts, pts[1:], strict=False))) / 2


def expected_findings(assets) -> tuple[set[tuple[str, str, str]], dict[str, set[str]]]:
    """{(ref, rule, article)} the report must flag, and each luminaire's missing art. 5
    data, by the rules of DOMAIN-FACTS."""
    cabinets = {a.ref: a.properties for a in assets if a.kind == "lighting.cabinet"}
    luminaires = [a for a in assets if a.kind == "lighting.luminaire"]
    lit_areas = [(a.ref, shape(a.geometry), a.properties) for a in assets
                 if a.kind == "lighting.lit_area"]
    corridors = [(shape(a.geometry), a.properties) for a in assets
                 if a.kind == "lighting.dark_corridor"]
    where = {a.ref: Point(a.geometry["coordinates"]) for a in luminaires}
    found: set[tuple[str, str, str]] = set()
    missing: dict[str, set[str]] = {}
    for lum in luminaires:
        p = dict(lum.properties)
        ref, cat = lum.ref, p["category"]
        here = where[ref]
        areas = [z for z in lit_areas if z[1].intersects(here)]
        area = min(areas, key=lambda z: z[1].area) if areas else None
        if "protected_area" not in p:
            p["protected_area"] = next((c["protected_area"] for g, c in corridors
                                        if g.intersects(here)), None)
        if "built_up_area" not in p and area:
            p["built_up_area"] = area[2]["built_up_area"]
        missing[ref] = {f for f in ART5 if f not in p}
        if p["lamp_type"] == "mercury":
            found.add((ref, "mercury_lamp", "règlement (CE) n° 245/2009"))
        if p.get("head_installed", "0000") >= "2020-01-01":  # art. 3 and 4: new heads
            cct, ulr = p["color_temperature_k"], p.get("ulr_percent")
            if cat in "ade" and cct > 3000:
                found.add((ref, "color_temperature", "art. 3, II, 3°"))
            if p["protected_area"] == "nature_reserve" and cat in "abcdef" and cct > 2400:
                found.add((ref, "color_temperature_nature_reserve", "art. 4, II"))
            if cat in "ae" and ulr is not None and ulr >= 1:
                found.add((ref, "ulr_nominal", "art. 3, II, 1°"))
            if cat in "ae" and p.get("ulr_installed_percent", 0) >= 4:
                found.add((ref, "ulr_installed", "art. 3, II, 1°"))
            if cat in "ae" and ("lit_area_m2" in p or area) and p.get(
                    "built_up_area") is not None:
                if "lit_area_m2" in p:
                    density, zone_cat = p["flux_lm"] / p["lit_area_m2"], cat
                else:
                    inside = [o for o in luminaires if area[1].intersects(where[o.ref])]
                    density = sum(o.properties["flux_lm"] for o in inside) / area_m2(area[1])
                    zone_cat = area[2]["category"]
                outside = not p["built_up_area"] or p["protected_area"] in (
                    "nature_reserve", "astronomical_site")
                limit = {"a": (35, 25), "e": (25, 20)}[zone_cat][outside]
                if density >= limit:
                    found.add((ref, "flux_density", "art. 3, II, 4°"))
        # art. 2: categories tied to an activity (a and e only when stated), b, d, g.
        if cat in "bdg" or (cat in "ae" and p.get("activity_related")):
            programme = cabinets[lum.parent_ref]["programme"]
            off, on = programme_times(programme)
            if "switch_off" in p:
                off, on = p["switch_off"], p.get("switch_on")
            end = p.get("activity_end")
            latest = (minutes("01:00") if cat == "b" and end is None
                      else minutes(end) + (120 if cat == "e" else 60))
            if after_noon(off) > after_noon(latest):
                found.add((ref, "switch_off", SWITCH_OFF_ARTICLE[cat]))
            if cat in "ad" and on is not None:
                earliest = min(minutes("07:00"), minutes(p.get("activity_start", "23:59")) - 60)
                if minutes(on) < earliest:
                    found.add((ref, "switch_on", SWITCH_OFF_ARTICLE[cat]))
    return found, missing


@pytest.fixture(scope="module")
def demo(communes):
    """The demo inventory of every commune, seeded as the demo builder seeds it."""
    return {insee: demo_inventory(c, np.random.default_rng(zlib.crc32(f"lighting/{insee}"
                                                                      .encode())))
            for insee, c in communes.items()}


def test_report_flags_what_an_independent_check_finds_with_articles(demo):
    flagged_total: Counter[str] = Counter()
    for insee, assets in demo.items():
        report = demo_report(assets, insee)
        expected, missing = expected_findings(assets)
        found = {(e["ref"], v["rule"], v["article"]) for e in report["luminaires"]
                 for v in e["violations"]}
        assert found == expected, (insee, sorted(found ^ expected))
        for entry in report["luminaires"]:
            assert entry["compliant"] is not any(r == entry["ref"] for r, _, _ in expected)
            for v in entry["violations"]:
                assert v["article"] and v["value"] is not None and v["limit"] is not None
            assert set(entry["article5_missing"]) & set(ART5) == missing[entry["ref"]]
        flagged_total.update(rule for _, rule, _ in found)
    # Every planted case shows, and the bulk of the stock (old heads, compliant LEDs) not.
    assert {"color_temperature", "color_temperature_nature_reserve", "ulr_nominal",
            "ulr_installed", "flux_density", "switch_off", "mercury_lamp"} <= set(flagged_total)
    luminaires = sum(a.kind == "lighting.luminaire" for items in demo.values() for a in items)
    assert sum(flagged_total.values()) < 0.02 * luminaires


def test_mercury_and_missing_article5_data_are_reported(demo):
    totals = [demo_report(assets, insee)["totals"] for insee, assets in demo.items()]
    assert sum(t["mercury_lamps"] for t in totals) == sum(
        t["violations_by_rule"].get("mercury_lamp", 0) for t in totals) > 0
    incomplete = sum(t["article5_incomplete"] for t in totals)
    luminaires = sum(t["luminaires"] for t in totals)
    assert 0.05 * luminaires < incomplete < 0.5 * luminaires
    missing = Counter()
    for t in totals:
        missing.update(t["article5_missing_by_field"])
    assert {"ulr_percent", "cie_flux_code_3_percent", "head_installed"} <= set(missing)


def test_each_planted_commune_has_its_finding(demo):
    rule_of = {"cct_4000_street": "color_temperature", "car_park_ulr_3": "ulr_nominal",
               "church_until_2am": "switch_off", "car_park_dense": "flux_density",
               "reserve_3000k": "color_temperature_nature_reserve",
               "car_park_late": "switch_off", "building_late": "switch_off",
               "tilted_head": "ulr_installed", "mercury_left": "mercury_lamp"}
    for insee, cases in PLANTED.items():
        rules = demo_report(demo[insee], insee)["totals"]["violations_by_rule"]
        for case, _ in cases:
            assert rules.get(rule_of[case]), (insee, case)


def test_database_report_matches_the_demo_report(db, demo):
    """The same commune imported in a database gives the same findings (zones included)."""
    registry = load_registry(["generic", "lighting"])
    insee = "88415"  # the commune of the over-lit car park
    assets = demo[insee]
    with db.write() as conn:
        t = tenants.create_tenant(db, conn, CLI, name="Démo", registry=registry)
        scope = open_scope(db, conn, CLI, t["id"])
        tenants.create_commune(scope, conn, {"insee": insee, "name": "Saint-Étienne"})
        report = importing.import_assets(scope, conn, registry, [
            {"ref": a.ref, "kind": a.kind, "name": a.name, "commune": insee,
             "parent_ref": a.parent_ref, "geometry": dict(a.geometry),
             "properties": dict(a.properties)} for a in assets])
        assert report.errors == []
    with db.read() as conn:
        from_db = commune_report(open_scope(db, conn, CLI, t["id"]), conn, insee)
    from_demo = demo_report(assets, insee)

    def findings(r):
        return sorted((e["ref"], v["rule"], v["article"], v["value"]) for e in r["luminaires"]
                      for v in e["violations"])

    assert findings(from_db) == findings(from_demo) != []
    assert [z["density_lm_m2"] for z in from_db["zones"]["lit_areas"]] == [
        z["density_lm_m2"] for z in from_demo["zones"]["lit_areas"]]


def test_dimming_programme_pushed_to_a_remote_demo_cabinet_is_acknowledged(db, demo):
    """Remiremont's demo inventory, imported with its controllers as the demo builder does:
    a dimming programme put on a remote cabinet goes through the command pipeline (MQTT, no
    LoRaWAN network server configured) to acknowledged."""
    registry = load_registry(["generic", "lighting"])
    assets = demo["88383"]
    remote = next(a for a in assets if a.device is not None)
    with db.write() as conn:
        t = tenants.create_tenant(db, conn, CLI, name="Démo", registry=registry)
        scope = open_scope(db, conn, CLI, t["id"])
        tenants.create_commune(scope, conn, {"insee": "88383", "name": "Remiremont"})
        report = importing.import_assets(scope, conn, registry, [
            {"ref": a.ref, "kind": a.kind, "name": a.name, "commune": "88383",
             "parent_ref": a.parent_ref, "geometry": dict(a.geometry),
             "properties": dict(a.properties)} for a in assets])
        assert report.errors == []
        a = schema.assets
        ids = {r.ref: r.id for r in conn.execute(select(a.c.id, a.c.ref).where(scope.owns(a)))}
        for asset in assets:
            if asset.device is not None:
                devices.create_device(scope, conn, {**asset.device, "asset_id": ids[asset.ref]},
                                      registry)
        status = set_programme(scope, conn, registry, ids[remote.ref],
                               {"programme": {"preset": "dim_50_22_6"}})
    assert status["remote"] and status["last_push"]["status"] == "requested"
    published: list = []
    dispatch_due(db, registry, now_ms(), mqtt_publish=lambda topic, p: published.append(
        (topic, p)))
    [(topic, payload)] = published
    message = orjson.loads(payload)
    assert message["params"] == {"steps": "sunset=100 22:00=50 06:00=100 sunrise=0"}
    handle_mqtt_ack(db, t["id"], int(topic.split("/")[3]), orjson.dumps(
        {"command_id": message["command_id"], "status": "ok"}), now_ms())
    with db.read() as conn:
        status = programme_status(open_scope(db, conn, CLI, t["id"]), conn, ids[remote.ref])
    assert status["last_push"]["status"] == "acknowledged" and status["last_push"]["up_to_date"]
