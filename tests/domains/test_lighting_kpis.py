"""Issue #16: the key figures of public lighting on the home dashboard — energy of the month
so far against the inventory × programmes and against the same days a year before, open
failures, non-compliant points — each checked against a computation made here from the
data the test writes (night lengths from PyEphem, meter readings, alerts, luminaires), for
the whole territory, one commune and a member limited to another; the clock is pinned."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest

from beffroi.core import assets, users
from beffroi.core.access import CLI, open_scope
from beffroi.core.alerting import alerts
from beffroi.core.registry import load_registry

from .kpi_cards import domain_kpis
from .lighting_fixtures import (
    INSEE,
    OTHER,
    PARIS,
    REMIREMONT,
    add_cabinet,
    ephem_night_hours,
    local_ms,
    make_territory,
    store,
)

NOW = local_ms(date(2026, 3, 15), time(12, 0))  # the month so far: 1 to 14 March
# A luminaire that breaks no rule of the 2018 order (see test_lighting_compliance), and the
# same at 4000 K (above 3000 K: art. 3, II, 3°).
BASE = {"category": "a", "lamp_type": "led", "power_w": 30, "flux_lm": 3000,
        "color_temperature_k": 3000, "ulr_percent": 0.5, "cie_flux_code_3_percent": 98,
        "head_installed": "2021-05-01", "mast_height_m": 6, "built_up_area": True,
        "protected_area": "none", "lit_area_m2": 200}
COLD = {**BASE, "color_temperature_k": 4000}
# Cabinet -> (commune, offset of its position, luminaires, metered since)
CABINETS = {"A": (INSEE, (0.0, 0.0), [BASE] * 7 + [COLD] * 3, date(2025, 2, 27)),
            "B": (OTHER, (0.002, 0.0), [BASE] * 3 + [COLD] * 2, date(2026, 2, 27)),
            "C": (INSEE, (0.004, 0.0), [BASE] * 4, None)}


@pytest.fixture(scope="module")
def registry():
    return load_registry(["generic", "lighting"])


def _days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def _usage(cabinet: str, day: date) -> float:
    """kWh a meter counts on a day: varies with the day, 20 % more in 2025."""
    base = {"A": 4.0, "B": 2.0}[cabinet] + (day.toordinal() % 5) * 0.3
    return round(base * (1.2 if day.year == 2025 else 1.0), 3)


def _meter(db, tenant, stream, cabinet: str, first: date, last: date) -> None:
    """Readings at 23:30 from ``first`` (the starting index) to ``last``."""
    index, points = 5_000.0, [(local_ms(first, time(23, 30)), 5_000.0)]
    for day in _days(first + timedelta(days=1), last):
        index += _usage(cabinet, day)
        points.append((local_ms(day, time(23, 30)), round(index, 3)))
    store(db, tenant, stream, points)


@pytest.fixture
def territory(db, registry):
    tenant = make_territory(db, registry)
    made = {}
    for ref, (commune, at, luminaires, since) in CABINETS.items():
        made[ref] = add_cabinet(db, registry, tenant, ref, "dusk_to_dawn", luminaires,
                                commune=commune, at=at, meter=since is not None)
        if since is not None:
            _meter(db, tenant, made[ref]["meter"], ref, since, date(2026, 3, 31))
    with db.write() as conn:
        scope = open_scope(db, conn, CLI, tenant)
        users.add_member(scope, conn, {"email": "autre@cc.fr", "role": "viewer",
                                       "password": "password-123", "communes": [OTHER]})
        site = assets.create_asset(scope, conn, registry, {
            "ref": "SITE", "kind": "generic.site", "name": "Site", "commune": INSEE,
            "geometry": {"type": "Point", "coordinates": [6.59, 48.017]}})
        for key, severity, asset_id in (("a", "critical", made["A"]["id"]),
                                        ("b", "warning", made["B"]["luminaires"][0]),
                                        ("c", "warning", made["C"]["id"]),
                                        ("site", "critical", site.id)):
            alerts.raise_alert(db, conn, registry, tenant, alerts.Trigger(
                key=key, severity=severity, title="Panne", at=NOW - 3_600_000,
                asset_id=asset_id))
        alerts.clear_alert(db, conn, tenant, "c", NOW - 60_000)  # resolved: not a failure
    return tenant, made


def _kpis(db, registry, tenant, communes=None, now=NOW, email=None):
    return domain_kpis(db, registry, tenant, "lighting", now, communes, email)


def _expected_kwh(cabinet: str, days: list[date]) -> float:
    """Full power (LED: the luminaires' watts) × PyEphem's hours of night in each local day:
    the programme is dusk to dawn at 100 %."""
    commune, (dx, dy), luminaires, _ = CABINETS[cabinet]
    kw = sum(lum["power_w"] for lum in luminaires) / 1000
    lat, lon = REMIREMONT[0] + dy, REMIREMONT[1] + dx
    return sum(kw * ephem_night_hours(lat, lon, datetime.combine(d, time(0), PARIS),
                                      datetime.combine(d + timedelta(days=1), time(0), PARIS))
               for d in days)


MARCH = _days(date(2026, 3, 1), date(2026, 3, 14))


def test_energy_of_the_month_against_expected_and_last_year(db, registry, territory):
    tenant, _ = territory
    kpi = _kpis(db, registry, tenant)["lighting.energy_month"]
    measured = sum(_usage(c, d) for c in "AB" for d in MARCH)
    expected = _expected_kwh("A", MARCH) + _expected_kwh("B", MARCH)
    # Last year: cabinet A only (B was not metered in 2025), over the same 14 days.
    now_a = sum(_usage("A", d) for d in MARCH)
    before_a = sum(_usage("A", d.replace(year=2025)) for d in MARCH)
    assert kpi["unit"] == "kW.h" and kpi["link"] == "/eclairage"
    assert kpi["value"] == pytest.approx(measured, abs=0.05)
    attendu, last_year = kpi["comparisons"]
    assert attendu["label"] == "attendu (inventaire × programmes)"
    assert attendu["value"] == pytest.approx(expected, rel=0.003)
    assert attendu["delta_share"] == pytest.approx(measured / expected - 1, abs=0.003)
    assert last_year["label"] == "mêmes jours en 2025"
    assert last_year["value"] == pytest.approx(before_a, abs=0.05)
    assert last_year["delta_share"] == pytest.approx(now_a / before_a - 1, abs=0.0002)
    assert kpi["note"] == ("du 01/03 au 14/03 ; 2 armoires mesurées sur 3 ; 14 jours comparés "
                           "avec 2025")


def test_energy_of_one_commune_and_of_a_member_limited_to_another(db, registry, territory):
    tenant, _ = territory
    kpi = _kpis(db, registry, tenant, [INSEE])["lighting.energy_month"]
    assert kpi["value"] == pytest.approx(sum(_usage("A", d) for d in MARCH), abs=0.05)
    assert kpi["comparisons"][0]["value"] == pytest.approx(_expected_kwh("A", MARCH),
                                                           rel=0.003)
    assert kpi["note"].startswith("du 01/03 au 14/03 ; 1 armoire mesurée sur 2 ;")
    assert kpi["link"] == f"/eclairage?commune={INSEE}"
    theirs = _kpis(db, registry, tenant, email="autre@cc.fr")["lighting.energy_month"]
    assert theirs["value"] == pytest.approx(sum(_usage("B", d) for d in MARCH), abs=0.05)
    assert theirs["comparisons"][1]["value"] is None  # B has no 2025 readings
    assert theirs["note"] == "du 01/03 au 14/03 ; 1 armoire mesurée sur 1"


def test_on_the_first_of_the_month_the_whole_month_before(db, registry, territory):
    tenant, _ = territory
    april_first = local_ms(date(2026, 4, 1), time(8, 0))
    kpi = _kpis(db, registry, tenant, now=april_first)["lighting.energy_month"]
    whole = _days(date(2026, 3, 1), date(2026, 3, 31))
    assert kpi["value"] == pytest.approx(sum(_usage(c, d) for c in "AB" for d in whole),
                                         abs=0.05)
    assert kpi["note"].startswith("du 01/03 au 31/03 ;")


def test_a_month_without_readings_has_no_value(db, registry, territory):
    tenant, _ = territory
    kpi = _kpis(db, registry, tenant, now=local_ms(date(2026, 6, 10), time(8, 0)))[
        "lighting.energy_month"]
    assert (kpi["value"], kpi["note"]) == (None, "aucun relevé de compteur du 01/06 au 09/06")


def test_open_failures(db, registry, territory):
    tenant, _ = territory
    kpi = _kpis(db, registry, tenant)["lighting.failures"]
    # A (critical) and B's luminaire (warning); C's is resolved, the site is not lighting.
    assert (kpi["value"], kpi["status"], kpi["note"]) == (2.0, "critical", "dont 1 critique")
    theirs = _kpis(db, registry, tenant, email="autre@cc.fr")["lighting.failures"]
    assert (theirs["value"], theirs["status"], theirs["note"]) == (1.0, "warning", None)


def test_non_compliant_points(db, registry, territory):
    tenant, _ = territory
    cold = {c: sum(1 for lum in lums if lum is COLD) for c, (_, _, lums, _) in CABINETS.items()}
    total = sum(len(lums) for _, _, lums, _ in CABINETS.values())
    kpi = _kpis(db, registry, tenant)["lighting.non_compliant"]
    assert kpi["value"] == cold["A"] + cold["B"] == 5
    assert (kpi["status"], kpi["note"], kpi["link"]) == (
        "warning", f"sur {total} points lumineux", "/eclairage/conformite")
    mine = _kpis(db, registry, tenant, [INSEE])["lighting.non_compliant"]
    assert mine["value"] == cold["A"]
    assert mine["note"] == f"sur {len(CABINETS['A'][2]) + len(CABINETS['C'][2])} points lumineux"
    assert mine["link"] == f"/eclairage/conformite?commune={INSEE}"
    theirs = _kpis(db, registry, tenant, email="autre@cc.fr")["lighting.non_compliant"]
    assert theirs["value"] == cold["B"]
