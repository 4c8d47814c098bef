"""Lighting savings against the baselines (dusk to dawn at full power, a measured
reference year), in kWh, euros and kg CO2e; darkness restored in trame-noire zones; the
dashboard summary's contract."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest
from fastapi.testclient import TestClient
from suite_apps import fresh_app

from beffroi.core import assets, tenants
from beffroi.core.access import CLI, open_scope
from beffroi.core.alerting.alerts import Trigger, detector_key, raise_alert
from beffroi.core.clock import PARIS
from beffroi.core.registry import load_registry
from beffroi.domains.lighting.summary import lighting_summary
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


@pytest.fixture(scope="module")
def registry():
    return load_registry(["generic", "lighting"])


def _summary(db, registry, tenant, year, today, commune=None, communes=None):
    with db.read() as conn:
        scope = open_scope(db, conn, CLI, tenant)
        if communes is not None:
            scope.communes = frozenset(communes)
        return lighting_summary(scope, conn, registry, year, commune, today)


def _set(db, registry, tenant, settings):
    with db.write() as conn:
        tenants.update_tenant(open_scope(db, conn, CLI, tenant), conn,
                              {"settings": settings}, registry)


def test_cut_23_5_saves_six_hours_a_night_against_dusk_to_dawn(db, registry):
    """10 LED × 40 W switched off from 23:00 to 05:00 every night of 2027 at Remiremont:
    the cut always falls in the night at 48° N, so the saving is exactly 6 h × 365 nights ×
    0.4 kW = 876 kWh (the DST nights, 5 h and 7 h, make up for each other), 219 € at
    0.25 €/kWh and 45.552 kg CO2e at 0.052 kg/kWh."""
    tenant = make_territory(db, registry)
    add_cabinet(db, registry, tenant, "ARM-1", "cut_23_5", [LED_40] * 10)
    add_cabinet(db, registry, tenant, "ARM-2", "dusk_to_dawn", [LED_40] * 5)  # saves nothing
    s = _summary(db, registry, tenant, 2027, date(2028, 2, 1))["savings"]
    assert s["baseline"] == "dusk_to_dawn"
    assert s["baseline_label"] == "Allumage du coucher au lever à pleine puissance"
    assert (s["from"], s["to"]) == ("2027-01-01", "2027-12-31")
    assert s["kwh"] == pytest.approx(876.0, abs=0.1)
    assert s["eur"] == pytest.approx(219.0, abs=0.03)
    assert s["kg_co2e"] == pytest.approx(45.6, abs=0.06)
    assert (s["tariff_eur_kwh"], s["co2_kg_per_kwh"]) == (0.25, 0.052)
    assert s["baseline_kwh"] - s["actual_kwh"] == pytest.approx(s["kwh"], abs=0.2)
    # Tenant settings change the price and the factor.
    _set(db, registry, tenant, {"lighting.tariff_eur_kwh": 0.2, "lighting.co2_kg_per_kwh": 0.1})
    s = _summary(db, registry, tenant, 2027, date(2028, 2, 1))["savings"]
    assert (s["eur"], s["kg_co2e"]) == (pytest.approx(175.2, abs=0.03), pytest.approx(87.6, abs=0.1))
    # Year to date: 1 January to yesterday.
    s = _summary(db, registry, tenant, 2027, date(2027, 1, 11))["savings"]
    assert (s["from"], s["to"]) == ("2027-01-01", "2027-01-10")
    assert s["kwh"] == pytest.approx(0.4 * 6 * 10, abs=0.1)
    # A year not begun: no day, no savings.
    s = _summary(db, registry, tenant, 2028, date(2027, 6, 1))["savings"]
    assert s["kwh"] is None and s["note"]


def test_bad_settings_are_refused(db, registry, client, op_headers):
    tenant = make_territory(db, registry)
    bad = client.patch(f"/api/v1/tenants/{tenant}", headers=op_headers, json={"settings": {
        "lighting.tariff_eur_kwh": -1, "lighting.savings_baseline": "moon"}})
    assert bad.status_code == 422
    assert {e["field"] for e in bad.json()["errors"]} == {"lighting.tariff_eur_kwh",
                                                          "lighting.savings_baseline"}
    shown = client.get(f"/api/v1/tenants/{tenant}", headers=op_headers).json()["settings"]
    assert shown["lighting.tariff_eur_kwh"] == 0.25
    assert shown["lighting.savings_baseline"] == "dusk_to_dawn"


def _meter_days(first: date, last: date, per_day: float, start: float = 1000.0):
    out, value, day = [], start, first
    while day <= last:
        value += per_day
        out.append((local_ms(day, time(23, 30)), value))
        day += timedelta(days=1)
    return out


def test_reference_year_baseline_from_measurements(db, registry):
    """January 2025 measured at 10 kWh a day, January 2026 at 8: 310 − 248 = 62 kWh saved."""
    tenant = make_territory(db, registry)
    cab = add_cabinet(db, registry, tenant, "ARM-1", "cut_23_5", [LED_40] * 10, meter=True)
    store(db, tenant, cab["meter"], _meter_days(date(2024, 12, 31), date(2025, 1, 31), 10.0))
    store(db, tenant, cab["meter"], _meter_days(date(2025, 12, 31), date(2026, 1, 31), 8.0,
                                                start=5000.0))
    _set(db, registry, tenant, {"lighting.savings_baseline": "reference_year"})
    s = _summary(db, registry, tenant, 2026, date(2026, 2, 1))["savings"]
    assert s["kwh"] is None and "non renseignée" in s["note"]
    _set(db, registry, tenant, {"lighting.reference_year": 2025})
    summary = _summary(db, registry, tenant, 2026, date(2026, 2, 1))
    s = summary["savings"]
    assert s["baseline"] == "reference_year"
    assert s["baseline_label"] == "Consommation mesurée de l'année de référence"
    assert (s["baseline_kwh"], s["actual_kwh"], s["kwh"]) == (310.0, 248.0, 62.0)
    assert s["eur"] == 15.5
    energy = summary["energy"]
    jan = energy["months"][0]
    assert (jan["month"], jan["kwh"], jan["previous_kwh"]) == ("2026-01", 248.0, 310.0)
    assert jan["expected_kwh"] > 0
    assert energy["months"][1]["kwh"] is None and energy["months"][1]["expected_kwh"] is None
    assert energy["year_kwh"] == 248.0 and energy["previous_year_kwh"] == 310.0
    assert energy["measured_through"] == "2026-01-31"


def _corridor(db, registry, tenant, ref, dx0, dx1, commune=INSEE):
    lat, lon = REMIREMONT
    ring = [[lon + dx0, lat - 0.001], [lon + dx1, lat - 0.001], [lon + dx1, lat + 0.001],
            [lon + dx0, lat + 0.001], [lon + dx0, lat - 0.001]]
    with db.write() as conn:
        scope = open_scope(db, conn, CLI, tenant)
        return assets.create_asset(scope, conn, registry, {
            "ref": ref, "kind": "lighting.dark_corridor", "name": f"Corridor {ref}",
            "commune": commune, "geometry": {"type": "Polygon", "coordinates": [ring]}}).id


def test_darkness_restored_in_dark_corridors(db, registry):
    """A corridor whose luminaires are all cut from 23:00 to 05:00 gets 6 h of darkness
    every night of 2027 (2,190 h); one holding a dusk-to-dawn luminaire gets none; one
    without luminaire has nothing to restore."""
    tenant = make_territory(db, registry)
    assert _summary(db, registry, tenant, 2027, date(2028, 1, 5))["savings"][
        "dark_corridors"] == 0  # no zone: fine
    add_cabinet(db, registry, tenant, "ARM-CUT", "cut_23_5", [LED_40] * 3)  # dx 0.0001..3
    add_cabinet(db, registry, tenant, "ARM-ALL", "dusk_to_dawn", [LED_40] * 2, at=(0.01, 0))
    _corridor(db, registry, tenant, "TN-1", 0.00005, 0.00035)  # the 3 cut luminaires
    _corridor(db, registry, tenant, "TN-2", 0.00005, 0.0105)  # cut + dusk-to-dawn ones
    _corridor(db, registry, tenant, "TN-3", 0.02, 0.03)  # no luminaire
    s = _summary(db, registry, tenant, 2027, date(2028, 1, 5))["savings"]
    assert s["dark_corridors"] == 3
    assert s["darkness_hours_restored"] == pytest.approx(6 * 365, abs=0.2)
    from beffroi.domains.lighting.darkness import darkness_restored

    with db.read() as conn:
        detail = darkness_restored(open_scope(db, conn, CLI, tenant), conn, date(2027, 1, 1),
                                   date(2027, 12, 31))
    by = {z["ref"]: z for z in detail["dark_corridors"]}
    assert by["TN-1"]["luminaires"] == 3 and by["TN-2"]["luminaires"] == 5
    assert by["TN-2"]["darkness_hours_restored"] == 0 and by["TN-3"] == {
        **by["TN-3"], "luminaires": 0, "darkness_hours_restored": 0}


def test_summary_contract_failures_non_compliances_and_communes(db, registry):
    tenant = make_territory(db, registry)
    mine = add_cabinet(db, registry, tenant, "ARM-1", "cut_23_5",
                       [LED_40] * 4 + [{**SODIUM_100, "lamp_type": "mercury"}], meter=True)
    other = add_cabinet(db, registry, tenant, "ARM-2", None, [SODIUM_100] * 3,
                        commune=OTHER, at=(0.05, 0))
    today = datetime.now(PARIS).date()  # the territory's date, not the machine's
    store(db, tenant, mine["meter"], _meter_days(today - timedelta(days=3),
                                                 today - timedelta(days=1), 4.0))
    with db.write() as conn:
        for asset, title in ((mine["id"], "Armoire éteinte la nuit — Armoire ARM-1"),
                             (other["id"], "Éclairage allumé en plein jour — Armoire ARM-2")):
            raise_alert(db, conn, registry, tenant, Trigger(
                key=detector_key("lighting.dark_at_night", asset), severity="critical",
                title=title, at=local_ms(today), asset_id=asset,
                detector="lighting.dark_at_night"))
    with TestClient(fresh_app(db, registry)) as client:
        h = bearer(client, "elu@cc.fr", "password-123")
        url = f"/api/v1/tenants/{tenant}/lighting/summary"
        body = client.get(url, headers=h).json()
        assert set(body) == {"year", "commune", "cabinets", "luminaires", "energy", "savings",
                             "failures", "non_compliances"}
        assert (body["year"], body["commune"], body["cabinets"], body["luminaires"]) == (
            today.year, None, 2, 8)
        energy = body["energy"]
        assert {"months", "year_kwh", "previous_year_kwh", "expected_kwh", "coverage",
                "comparison"} <= set(energy)
        assert len(energy["months"]) == 12
        assert set(energy["months"][0]) == {"month", "kwh", "previous_kwh", "expected_kwh",
                                            "measured_days", "previous_measured_days",
                                            "compared_days", "change_pct"}
        assert {"baseline", "baseline_label", "baseline_kwh", "kwh", "eur", "kg_co2e",
                "tariff_eur_kwh", "co2_kg_per_kwh", "darkness_hours_restored",
                "dark_corridors", "measured_share", "estimated"} <= set(body["savings"])
        failures = body["failures"]
        assert failures["open"] == 2
        assert {"id", "title", "severity", "asset_id", "ref", "opened_at"} <= set(
            failures["alerts"][0])
        assert {a["ref"] for a in failures["alerts"]} == {"ARM-1", "ARM-2"}
        assert body["non_compliances"]["luminaires"] >= 1  # the mercury lamp at least
        assert body["non_compliances"]["findings"] >= body["non_compliances"]["luminaires"]
        # One commune.
        one = client.get(url, headers=h, params={"commune": INSEE}).json()
        assert (one["commune"], one["cabinets"], one["luminaires"]) == (INSEE, 1, 5)
        assert [a["ref"] for a in one["failures"]["alerts"]] == ["ARM-1"]
        # Bad year, unknown commune: 422 with the field; other tenants: 404.
        bad = client.get(url, headers=h, params={"year": "deux mille"})
        assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "year"
        unknown = client.get(url, headers=h, params={"commune": "99999"})
        assert unknown.status_code == 422 and unknown.json()["errors"][0]["field"] == "commune"
        assert client.get(url).status_code == 401
    # A member limited to one commune sees that commune only.
    limited = _summary(db, registry, tenant, today.year, today, communes={OTHER})
    assert (limited["cabinets"], limited["luminaires"]) == (1, 3)
    assert [a["ref"] for a in limited["failures"]["alerts"]] == ["ARM-2"]
    assert limited["energy"]["metered_cabinets"] == 0
