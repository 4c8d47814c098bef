"""The lighting dashboard's figures computed the short way (issue #16: < 300 ms on the demo)
are the figures of their definition: expected kWh of whole years kept once computed,
meter days converted once, months grouped in one pass, and the compliance totals kept by
the content of the rows they read (never stale: a change is seen at once, whatever the
clock says). Every expected figure is computed here from the data the test writes; the
clock is pinned (``today`` is passed, asset writes happen at one fixed instant)."""

from __future__ import annotations

from datetime import date, time, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from suite_apps import fresh_app

from beffroi.core import assets, tenants, users
from beffroi.core.access import CLI, open_scope
from beffroi.core.alerting.alerts import Trigger, detector_key, raise_alert
from beffroi.core.registry import load_registry
from beffroi.domains.lighting import compliance_report, summary
from beffroi.domains.lighting.consumption import cabinet_load, daily_hours, daily_kwh
from beffroi.domains.lighting.energy import load_cabinets, measured_by_day
from beffroi.domains.lighting.memo import ContentMemo
from beffroi.domains.lighting.programmes import PRESETS
from beffroi.domains.lighting.summary import lighting_summary
from beffroi.storage import schema
from suite_accounts import bearer

from .lighting_fixtures import (
    INSEE,
    LED_40,
    OTHER,
    REMIREMONT,
    SODIUM_100,
    add_cabinet,
    local_ms,
    make_territory,
    store,
)

PINNED_MS = local_ms(date(2026, 3, 30), time(12))
# Every art. 5 field, compliant with the arrêté (category a, LED 3000 K, ULR 0.5 %).
COMPLIANT = {"category": "a", "lamp_type": "led", "power_w": 30, "flux_lm": 3000,
             "color_temperature_k": 3000, "ulr_percent": 0.5, "cie_flux_code_3_percent": 98,
             "head_installed": "2021-05-01", "mast_height_m": 6, "built_up_area": True,
             "protected_area": "none", "lit_area_m2": 200}
TOO_WARM = {**COMPLIANT, "color_temperature_k": 4000}  # > 3000 K: one breach
NO_ULR = {k: v for k, v in COMPLIANT.items() if k != "ulr_percent"}  # art. 5 incomplete


@pytest.fixture(scope="module")
def registry():
    return load_registry(["generic", "lighting"])


@pytest.fixture
def pinned(monkeypatch):
    """Asset writes stamped at one instant: two edits get the same ``updated_at``."""
    monkeypatch.setattr(assets, "now_ms", lambda: PINNED_MS)


def _days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


# -- expected kWh ----------------------------------------------------------------------------
def test_expected_kwh_of_a_range_over_two_years_and_the_dst_change():
    """10 LED of 40 W and 2 sodium lamps of 100 W under "50 % from 22:00 to 06:00", from
    20 December 2025 to 5 April 2026 (two partial years, the spring change on 29 March):
    each day's kWh is the hours at each level that day × the power drawn at that level,
    written here from the lamps' powers (LED in proportion to the level; sodium 1.15 × the
    lamp's power, 20 % + 80 % × the level)."""
    lat, lon = REMIREMONT
    programme = PRESETS["dim_50_22_6"]
    load = cabinet_load({}, [LED_40] * 10 + [SODIUM_100] * 2)

    def kw(level: float) -> float:
        led = 10 * 0.040 * level / 100
        sodium = 2 * 0.100 * 1.15 * (0.2 + 0.8 * level / 100) if level > 0 else 0.0
        return led + sodium

    first, last = date(2025, 12, 20), date(2026, 4, 5)
    got = daily_kwh(load, programme, lat, lon, first, last)
    hours = daily_hours(programme, lat, lon, first, last)
    assert list(got) == _days(first, last)  # every day, in order, unlit ones at 0
    for day in got:
        want = sum(kw(level) * h for level, h in hours.get(day, {}).items())
        assert got[day] == pytest.approx(want, rel=1e-9), day
    # The night of the change is an hour shorter: 28 March's evening and 29 March's morning
    # hold one hour of night less than the days around them would.
    assert sum(hours[date(2026, 3, 29)].values()) < sum(hours[date(2026, 3, 28)].values())
    # A new dict each time: what a caller does with it never reaches the next one.
    got[first] = -1.0
    assert daily_kwh(load, programme, lat, lon, first, last)[first] == pytest.approx(
        sum(kw(level) * h for level, h in hours[first].items()), rel=1e-9)
    # Another programme, another answer (the kept years are per programme and load).
    full = daily_kwh(load, PRESETS["dusk_to_dawn"], lat, lon, first, first)
    assert full[first] == pytest.approx(
        kw(100) * sum(daily_hours(PRESETS["dusk_to_dawn"], lat, lon, first, first)[first]
                      .values()), rel=1e-9)
    assert full[first] > got[first] + 1


# -- meters and months ---------------------------------------------------------------------------
def _usage(day: date) -> float:
    """kWh the meter counts on a day: varies with the day, 10 % less in 2026."""
    return round((20.0 + day.toordinal() % 5 + day.month) * (0.9 if day.year == 2026 else 1.0),
                 3)


TODAY = date(2026, 3, 30)
TODAY_SO_FAR = 4.25  # kWh counted by 10:00 on the day the summary is asked


@pytest.fixture
def metered(db, registry):
    """A cabinet read at 23:30 each day from 20 February 2025 (the starting index) to
    29 March 2026 (the 23-hour day of the spring change), then at 10:00 today (30 March,
    not over); a cabinet without meter beside it."""
    tenant = make_territory(db, registry)
    cab = add_cabinet(db, registry, tenant, "A", "cut_23_5", [LED_40] * 10, meter=True)
    add_cabinet(db, registry, tenant, "B", "cut_23_5", [LED_40] * 4, at=(0.002, 0))
    index = 5_000.0
    points = [(local_ms(date(2025, 2, 20), time(23, 30)), index)]
    for day in _days(date(2025, 2, 21), TODAY - timedelta(days=1)):
        index += _usage(day)
        points.append((local_ms(day, time(23, 30)), round(index, 3)))
    points.append((local_ms(TODAY, time(10)), round(index + TODAY_SO_FAR, 3)))
    store(db, tenant, cab["meter"], points)
    return tenant, cab


def test_meter_days_across_the_dst_change_and_a_day_not_over(db, registry, metered):
    tenant, cab = metered
    with db.read() as conn:
        scope = open_scope(db, conn, CLI, tenant)
        cabinets = load_cabinets(scope, conn)
        got = measured_by_day(scope, conn, cabinets, date(2026, 3, 25), TODAY)
    assert set(got) == {cab["id"]}  # the cabinet without meter has no measured day
    days = got[cab["id"]]
    assert list(days) == _days(date(2026, 3, 25), TODAY)
    for day in _days(date(2026, 3, 25), TODAY - timedelta(days=1)):
        assert days[day] == pytest.approx(_usage(day), abs=1e-6), day
    assert days[TODAY] == pytest.approx(TODAY_SO_FAR, abs=1e-6)


def test_summary_months_with_the_dst_change_and_a_day_not_over(db, registry, metered):
    tenant, _cab = metered
    with db.read() as conn:
        energy = lighting_summary(open_scope(db, conn, CLI, tenant), conn, registry, 2026,
                                  None, TODAY)["energy"]
    months = {m["month"]: m for m in energy["months"]}
    march = months["2026-03"]
    measured = sum(_usage(d) for d in _days(date(2026, 3, 1), date(2026, 3, 29)))
    assert march["kwh"] == pytest.approx(measured + TODAY_SO_FAR, abs=0.051)
    assert (march["measured_days"], march["previous_measured_days"]) == (30, 31)
    assert march["previous_kwh"] == pytest.approx(
        sum(_usage(d) for d in _days(date(2025, 3, 1), date(2025, 3, 31))), abs=0.051)
    # Compared until yesterday (today is not over), over the same days of 2025.
    before = sum(_usage(d) for d in _days(date(2025, 3, 1), date(2025, 3, 29)))
    assert march["compared_days"] == 29
    assert march["change_pct"] == pytest.approx(round(100 * (measured - before) / before, 1),
                                                abs=0.051)
    assert march["expected_kwh"] is not None and march["expected_kwh"] > 0
    february = months["2026-02"]  # 2025 measured from 21 February only
    assert (february["measured_days"], february["previous_measured_days"]) == (28, 8)
    now = sum(_usage(d) for d in _days(date(2026, 2, 21), date(2026, 2, 28)))
    before = sum(_usage(d) for d in _days(date(2025, 2, 21), date(2025, 2, 28)))
    assert february["compared_days"] == 8
    assert february["change_pct"] == pytest.approx(round(100 * (now - before) / before, 1),
                                                   abs=0.051)
    january = months["2026-01"]
    assert (january["measured_days"], january["previous_measured_days"]) == (31, 0)
    assert (january["compared_days"], january["change_pct"], january["previous_kwh"]) == (
        0, None, None)
    april = months["2026-04"]
    assert (april["kwh"], april["expected_kwh"], april["measured_days"]) == (None, None, 0)
    assert energy["year_kwh"] == pytest.approx(
        sum(_usage(d) for d in _days(date(2026, 1, 1), date(2026, 3, 29))) + TODAY_SO_FAR,
        abs=0.051)
    assert energy["measured_through"] == TODAY.isoformat()


# -- the summary kept by content -----------------------------------------------------------------
def _summary(db, registry, tenant, *, today=TODAY, communes=None, commune=None):
    with db.read() as conn:
        scope = open_scope(db, conn, CLI, tenant)
        if communes is not None:
            scope.communes = frozenset(communes)
        return lighting_summary(scope, conn, registry, 2026, commune, today)


def _fresh(db, registry, tenant, **kwargs):
    """The summary computed from scratch (nothing kept)."""
    summary.SUMMARY_MEMO.clear()
    compliance_report.TOTALS_MEMO.clear()
    return _summary(db, registry, tenant, **kwargs)


def test_kept_summary_follows_readings_assets_settings_and_the_day(db, registry, metered,
                                                                   pinned):
    tenant, cab = metered
    summary.SUMMARY_MEMO.clear()
    first = _summary(db, registry, tenant)
    assert _summary(db, registry, tenant) == first == _fresh(db, registry, tenant)
    kept = _summary(db, registry, tenant)
    kept["energy"]["months"].clear()  # a copy: what a caller does never reaches the next
    assert _summary(db, registry, tenant) == first
    march = {m["month"]: m for m in first["energy"]["months"]}["2026-03"]

    # A new reading of today (the meter's index 1.5 kWh further): today's consumption grows.
    with db.read() as conn:
        [last] = conn.execute(select(schema.streams.c.last_value).where(
            schema.streams.c.id == cab["meter"])).one()
    store(db, tenant, cab["meter"], [(local_ms(TODAY, time(11)), last + 1.5)])
    after = _summary(db, registry, tenant)
    assert after == _fresh(db, registry, tenant)
    got = {m["month"]: m for m in after["energy"]["months"]}["2026-03"]
    assert got["kwh"] == pytest.approx(march["kwh"] + 1.5, abs=0.051)

    # A luminaire more on the metered cabinet (stamped at the same instant as the others).
    _luminaires(db, registry, tenant, "A", INSEE, [LED_40], 0.0)
    more = _summary(db, registry, tenant)
    assert more["luminaires"] == first["luminaires"] + 1
    assert more["energy"]["expected_kwh"] > after["energy"]["expected_kwh"]
    assert more == _fresh(db, registry, tenant)

    # The tariff: the savings in euros follow.
    with db.write() as conn:
        tenants.update_tenant(open_scope(db, conn, CLI, tenant), conn,
                              {"settings": {"lighting.tariff_eur_kwh": 0.5}}, registry)
    priced = _summary(db, registry, tenant)
    assert priced["savings"]["tariff_eur_kwh"] == 0.5
    assert priced["savings"]["eur"] == pytest.approx(priced["savings"]["kwh"] * 0.5, abs=0.03)
    assert priced == _fresh(db, registry, tenant)

    # Another day: the comparisons stop the day before it.
    earlier = _summary(db, registry, tenant, today=TODAY - timedelta(days=1))
    assert earlier == _fresh(db, registry, tenant, today=TODAY - timedelta(days=1))
    assert earlier["energy"]["comparison"]["to"] == "2026-03-28"
    assert _summary(db, registry, tenant)["energy"]["comparison"]["to"] == "2026-03-29"


def test_kept_summary_of_a_restricted_member_a_commune_and_another_tenant(db, registry,
                                                                          metered):
    tenant, _cab = metered
    add_cabinet(db, registry, tenant, "C", "cut_23_5", [LED_40] * 7, commune=OTHER,
                at=(0.01, 0))
    summary.SUMMARY_MEMO.clear()
    everything = _summary(db, registry, tenant)
    assert (everything["cabinets"], everything["luminaires"]) == (3, 21)
    here = _summary(db, registry, tenant, communes={INSEE})
    assert (here["cabinets"], here["luminaires"]) == (2, 14)
    there = _summary(db, registry, tenant, communes={OTHER})
    assert (there["cabinets"], there["luminaires"]) == (1, 7)
    assert there["energy"]["year_kwh"] is None  # its only cabinet has no meter
    assert _summary(db, registry, tenant, commune=OTHER) == there | {"commune": OTHER}
    assert _summary(db, registry, tenant) == everything
    other = make_territory_without_members(db, registry)
    add_cabinet(db, registry, other, "A", "cut_23_5", [LED_40] * 2)
    theirs = _summary(db, registry, other)
    assert (theirs["cabinets"], theirs["luminaires"]) == (1, 2)
    assert _summary(db, registry, tenant) == everything


def test_failures_are_read_on_every_call(db, registry, metered):
    tenant, cab = metered
    summary.SUMMARY_MEMO.clear()
    assert _summary(db, registry, tenant)["failures"] == {"open": 0, "alerts": []}
    with db.write() as conn:
        raise_alert(db, conn, registry, tenant, Trigger(
            key=detector_key("lighting.dark_at_night", cab["id"]), severity="critical",
            title="Armoire éteinte la nuit — Armoire A", at=local_ms(TODAY),
            asset_id=cab["id"], detector="lighting.dark_at_night"))
    failures = _summary(db, registry, tenant)["failures"]
    assert failures["open"] == 1
    assert failures["alerts"][0]["title"] == "Armoire éteinte la nuit — Armoire A"


# -- compliance totals ---------------------------------------------------------------------------
def _non_compliances(db, registry, tenant, *, communes=None):
    with db.read() as conn:
        scope = open_scope(db, conn, CLI, tenant)
        if communes is not None:
            scope.communes = frozenset(communes)
        return lighting_summary(scope, conn, registry, 2026, None, TODAY)["non_compliances"]


def _luminaires(db, registry, tenant, cabinet_ref: str, commune: str, props: list[dict],
                at: float) -> list[int]:
    with db.write() as conn:
        scope = open_scope(db, conn, CLI, tenant)
        return [assets.create_asset(scope, conn, registry, {
            "ref": f"{cabinet_ref}-X{i}", "kind": "lighting.luminaire", "name": f"Point {i}",
            "commune": commune, "parent_ref": cabinet_ref,
            "geometry": {"type": "Point", "coordinates": [REMIREMONT[1] + at + 0.0003 * i,
                                                          REMIREMONT[0]]},
            "properties": p}).id for i, p in enumerate(props)]


def make_territory_without_members(db, registry) -> int:
    """A second tenant with Remiremont (``make_territory`` would add its member again)."""
    with db.write() as conn:
        other = tenants.create_tenant(db, conn, CLI, name="Autre communauté",
                                      registry=registry)["id"]
        tenants.create_commune(open_scope(db, conn, CLI, other), conn,
                               {"insee": INSEE, "name": "Remiremont"})
    return other


def _edit(db, registry, tenant, asset_id: int, props: dict) -> None:
    with db.write() as conn:
        assets.update_asset(open_scope(db, conn, CLI, tenant), conn, registry, asset_id,
                            {"properties": props})


@pytest.fixture
def inventory(db, registry, pinned):
    """Remiremont: 2 compliant luminaires, 1 too warm, 1 without its ULR; the other
    commune: 1 too warm. Cabinets without luminaires of their own."""
    compliance_report.TOTALS_MEMO.clear()
    compliance_report.REPORT_MEMO.clear()
    summary.SUMMARY_MEMO.clear()
    tenant = make_territory(db, registry)
    add_cabinet(db, registry, tenant, "R", None, [])
    add_cabinet(db, registry, tenant, "O", None, [], commune=OTHER, at=(0.01, 0))
    here = _luminaires(db, registry, tenant, "R", INSEE,
                       [COMPLIANT, COMPLIANT, TOO_WARM, NO_ULR], 0.0)
    there = _luminaires(db, registry, tenant, "O", OTHER, [TOO_WARM], 0.01)
    return tenant, here, there


def test_compliance_totals_follow_each_change_at_a_pinned_clock(db, registry, inventory):
    tenant, here, _there = inventory
    assert _non_compliances(db, registry, tenant) == {
        "luminaires": 2, "findings": 2, "article5_incomplete": 1}
    assert _non_compliances(db, registry, tenant) == {  # kept: the same rows, same totals
        "luminaires": 2, "findings": 2, "article5_incomplete": 1}
    # The same instant stamps every edit: only the content tells them apart.
    _edit(db, registry, tenant, here[0], TOO_WARM)
    assert _non_compliances(db, registry, tenant) == {
        "luminaires": 3, "findings": 3, "article5_incomplete": 1}
    _edit(db, registry, tenant, here[0], COMPLIANT)
    _edit(db, registry, tenant, here[3], COMPLIANT)
    assert _non_compliances(db, registry, tenant) == {
        "luminaires": 2, "findings": 2, "article5_incomplete": 0}
    with db.write() as conn:
        assets.delete_asset(open_scope(db, conn, CLI, tenant), conn, here[2])
    assert _non_compliances(db, registry, tenant) == {
        "luminaires": 1, "findings": 1, "article5_incomplete": 0}


def test_compliance_totals_of_a_commune_restricted_member_and_of_a_commune(
        db, registry, inventory):
    tenant, _here, _there = inventory
    everything = _non_compliances(db, registry, tenant)
    assert _non_compliances(db, registry, tenant, communes={INSEE}) == {
        "luminaires": 1, "findings": 1, "article5_incomplete": 1}
    assert _non_compliances(db, registry, tenant, communes={OTHER}) == {
        "luminaires": 1, "findings": 1, "article5_incomplete": 0}
    assert _non_compliances(db, registry, tenant) == everything == {
        "luminaires": 2, "findings": 2, "article5_incomplete": 1}
    with db.read() as conn:
        scope = open_scope(db, conn, CLI, tenant)
        assert lighting_summary(scope, conn, registry, 2026, OTHER, TODAY)[
            "non_compliances"] == {"luminaires": 1, "findings": 1, "article5_incomplete": 0}


def test_compliance_totals_of_another_tenant_are_its_own(db, registry, inventory):
    tenant, _here, _there = inventory
    other = make_territory_without_members(db, registry)
    add_cabinet(db, registry, other, "R", None, [])
    _luminaires(db, registry, other, "R", INSEE, [COMPLIANT, NO_ULR], 0.0)
    assert _non_compliances(db, registry, other) == {
        "luminaires": 0, "findings": 0, "article5_incomplete": 1}
    assert _non_compliances(db, registry, tenant) == {  # same refs, other content
        "luminaires": 2, "findings": 2, "article5_incomplete": 1}


def test_compliance_totals_are_a_copy_and_the_memo_is_bounded(db, registry, inventory):
    tenant, _here, _there = inventory
    with db.read() as conn:
        scope = open_scope(db, conn, CLI, tenant)
        totals = compliance_report.report_totals(scope, conn)
        assert totals == compliance_report.commune_report(scope, conn)["totals"]
        totals["violations_by_rule"].clear()
        totals["non_compliant"] = 99
        again = compliance_report.report_totals(scope, conn)
    assert again["non_compliant"] == 2
    assert again["violations_by_rule"] == {"color_temperature": 2}
    memo = ContentMemo(2)
    for i in range(3):
        memo.put((1, None, bytes([i])), {"n": i})
    assert memo.get((1, None, bytes([0]))) is None  # the least recently used went first
    assert [memo.get((1, None, bytes([i])))["n"] for i in (1, 2)] == [1, 2]


def test_compliance_route_follows_changes_and_scopes(db, registry, inventory):
    """The report over HTTP (kept serialised by content): each member sees what their scope
    holds, a change at the same instant is seen at once, another tenant's member gets 404."""
    tenant, here, there = inventory
    with db.write() as conn:
        users.add_member(open_scope(db, conn, CLI, tenant), conn, {
            "email": "maire@remiremont.fr", "role": "viewer", "communes": [INSEE],
            "password": "password-123"})
        other = tenants.create_tenant(db, conn, CLI, name="Autre", registry=registry)["id"]
        users.add_member(open_scope(db, conn, CLI, other), conn, {
            "email": "agent@autre.fr", "role": "agent", "password": "password-123"})
    url = f"/api/v1/tenants/{tenant}/lighting/compliance"

    def refs(body, compliant):
        return sorted(e["id"] for e in body["luminaires"] if e["compliant"] is compliant)

    with TestClient(fresh_app(db, registry)) as client:
        elu = bearer(client, "elu@cc.fr", "password-123")
        maire = bearer(client, "maire@remiremont.fr", "password-123")
        body = client.get(url, headers=elu).json()
        assert refs(body, False) == sorted([here[2], there[0]])
        assert (body["totals"]["non_compliant"], body["totals"]["luminaires"]) == (2, 5)
        assert client.get(url, headers=elu).json() == body  # kept: the same rows
        mine = client.get(url, headers=maire).json()
        assert {e["commune"] for e in mine["luminaires"]} == {INSEE}
        assert refs(mine, False) == [here[2]] and mine["totals"]["luminaires"] == 4
        assert client.get(url, headers=maire, params={"commune": OTHER}).status_code == 422
        _edit(db, registry, tenant, here[0], TOO_WARM)  # stamped at the same instant
        body = client.get(url, headers=elu).json()
        assert refs(body, False) == sorted([here[0], here[2], there[0]])
        mine = client.get(url, headers=maire).json()
        assert refs(mine, False) == sorted([here[0], here[2]])
        outsider = bearer(client, "agent@autre.fr", "password-123")
        assert client.get(url, headers=outsider).status_code in (403, 404)
