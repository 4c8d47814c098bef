"""Issue #16: the key figures of drinking water on the home dashboard — open leaks and the
water they lost, sectors monitored, the last linear loss index — each checked against a
computation made here from the alerts, meters and yearly volumes the test writes, for the
whole territory, one commune and a member limited to another; the clock is pinned."""

from __future__ import annotations

import pytest

from beffroi.core import assets, streams, tenants, users
from beffroi.core.access import CLI, open_scope
from beffroi.core.alerting import alerts
from beffroi.core.clock import PARIS, format_instant
from beffroi.core.observations import store_rows
from beffroi.core.registry import load_registry
from beffroi.domains.water.detectors import DETECTOR_KEY

from .kpi_cards import domain_kpis

NOW = 1_780_000_000_000  # 2026-05-28, pinned
HOUR_MS, DAY_MS = 3_600_000, 86_400_000
R, S, T = "88383", "88413", "88001"
# Sector -> commune, open leaks (lost m³, lost €), inlet meter: (metric, hours since its
# last reading) or None.
SECTORS = {"A": (R, [(410, 861), (36, 76)], ("water.flow", 1)),
           "B": (S, [(50, 105)], ("water.volume", 48)),
           "C": (R, [], None)}
# Service -> commune, year, (V1, V2, V3, V7, V8, V9, L km)
SERVICES = {"SVC-R": (R, 2025, (150_000, 5_000, 10_000, 85_000, 2_000, 1_000, 40)),
            "SVC-S": (S, 2025, (60_000, 0, 0, 40_000, 500, 500, 30)),
            "SVC-T": (T, 2024, (10_000, 0, 0, 9_000, 0, 0, 10))}
FIELDS = ("produced_m3", "imported_m3", "exported_m3", "metered_consumption_m3",
          "unmetered_consumption_m3", "service_volume_m3", "mains_length_km")
# The default rating grid for rural networks (ILC < 10 m³/km/j): ILP upper bounds of
# "bon", "acceptable", "médiocre" (agences de l'eau, E. Renaud, Cemagref 2009).
RURAL = (1.5, 2.5, 4.0)


def _square(x: float) -> dict:
    return {"type": "Polygon", "coordinates": [[[x, 48.0], [x + 0.01, 48.0], [x + 0.01, 48.01],
                                                [x, 48.01], [x, 48.0]]]}


@pytest.fixture(scope="module")
def registry():
    return load_registry(["generic", "water"])


@pytest.fixture
def territory(db, registry):
    with db.write() as conn:
        t = tenants.create_tenant(db, conn, CLI, name="Syndicat des eaux", registry=registry)
        scope = open_scope(db, conn, CLI, t["id"])
        for insee in (R, S, T):
            tenants.create_commune(scope, conn, {"insee": insee, "name": f"Commune {insee}"})
        services = {}
        for ref, (insee, year, figures) in SERVICES.items():
            services[insee] = assets.create_asset(scope, conn, registry, {
                "ref": ref, "kind": "water.service", "name": ref, "commune": insee,
                "geometry": {"type": "Point", "coordinates": [6.6, 48.0]},
                "properties": {"years": {str(year): dict(zip(FIELDS, figures, strict=True))}}})
        for i, (key, (insee, leaks, inlet)) in enumerate(SECTORS.items()):
            sector = assets.create_asset(scope, conn, registry, {
                "ref": f"SEC-{key}", "kind": "water.sector", "name": f"Secteur {key}",
                "commune": insee, "parent_ref": services[insee].ref, "geometry": _square(6.6 + i / 50)})
            role, metric, hours = (("sector_inlet", *inlet) if inlet
                                   else ("customer", "water.volume", 1))
            meter = assets.create_asset(scope, conn, registry, {
                "ref": f"M-{key}", "kind": "water.meter", "name": f"Compteur {key}",
                "commune": insee, "parent_ref": f"SEC-{key}", "properties": {"role": role},
                "geometry": {"type": "Point", "coordinates": [6.6 + i / 50, 48.005]}})
            stream = streams.create_stream(scope, conn, registry,
                                           {"asset_id": meter.id, "metric": metric})
            store_rows(scope, conn, [(t["id"], stream.id, NOW - hours * HOUR_MS, 12.0, 0)],
                       PARIS)
            for j, (lost, eur) in enumerate(leaks):
                alerts.raise_alert(db, conn, registry, t["id"], alerts.Trigger(
                    key=alerts.detector_key(DETECTOR_KEY, sector.id, f"leak-{j}"),
                    severity="warning", title="Fuite probable", at=NOW - 5 * DAY_MS,
                    asset_id=sector.id, detector=DETECTOR_KEY, details={
                        "lost_m3": lost, "lost_eur": eur, "extra_flow_m3h": 1.0,
                        "onset": format_instant(NOW - 7 * DAY_MS)}))
            # Left out: a leak resolved, and another detector's alert.
            alerts.raise_alert(db, conn, registry, t["id"], alerts.Trigger(
                key=alerts.detector_key(DETECTOR_KEY, sector.id, "old"), severity="warning",
                title="Fuite réparée", at=NOW - 30 * DAY_MS, asset_id=sector.id,
                detector=DETECTOR_KEY, details={"lost_m3": 999, "lost_eur": 2000}))
            alerts.clear_alert(db, conn, t["id"],
                               alerts.detector_key(DETECTOR_KEY, sector.id, "old"), NOW - DAY_MS)
            alerts.raise_alert(db, conn, registry, t["id"], alerts.Trigger(
                key=f"other-{key}", severity="warning", title="Autre", at=NOW - DAY_MS,
                asset_id=sector.id, detector="water.other", details={"lost_m3": 777}))
        users.add_member(scope, conn, {"email": "s@eau.fr", "role": "agent",
                                       "password": "password-123", "communes": [S]})
    return t["id"]


def _kpis(db, registry, tenant, communes=None, email=None):
    return domain_kpis(db, registry, tenant, "water", NOW, communes, email)


def _leaks(*sectors: str) -> tuple[int, float, float]:
    leaks = [leak for s in sectors for leak in SECTORS[s][1]]
    return len(leaks), sum(m3 for m3, _ in leaks), sum(eur for _, eur in leaks)


def test_open_leaks_and_the_water_they_lost(db, registry, territory):
    kpis = _kpis(db, registry, territory)
    count, m3, eur = _leaks("A", "B", "C")
    assert (count, m3, eur) == (3, 496, 1042)
    leaks, lost = kpis["water.open_leaks"], kpis["water.leak_losses"]
    assert (leaks["value"], leaks["status"], leaks["link"]) == (count, "warning", "/eau")
    assert leaks["note"] == "496 m³ et 1\u202f042 € perdus depuis leur début"
    assert (lost["value"], lost["unit"]) == (m3, "m3")
    assert lost["note"] == "soit 1\u202f042 €, depuis le début estimé des fuites"
    mine = _kpis(db, registry, territory, [R])
    assert mine["water.open_leaks"]["value"] == _leaks("A", "C")[0] == 2
    assert mine["water.leak_losses"]["value"] == _leaks("A", "C")[1]
    theirs = _kpis(db, registry, territory, email="s@eau.fr")
    assert theirs["water.open_leaks"]["value"] == 1
    assert theirs["water.leak_losses"]["value"] == 50
    none = _kpis(db, registry, territory, [T])
    assert (none["water.open_leaks"]["value"], none["water.open_leaks"]["status"]) == (0, "ok")
    assert none["water.leak_losses"]["note"] == "aucune fuite en cours"


def test_sectors_monitored(db, registry, territory):
    """A's inlet read an hour ago; B's two days ago (silent); C has a customer meter only."""
    kpi = _kpis(db, registry, territory)["water.sectors_monitored"]
    assert (kpi["value"], kpi["status"]) == (1, "warning")
    assert kpi["note"] == "sur 3 secteurs ; 1 sans mesure d'entrée depuis 24 h"
    mine = _kpis(db, registry, territory, [R])["water.sectors_monitored"]
    assert (mine["value"], mine["status"], mine["note"]) == (1, "ok", "sur 2 secteurs")
    theirs = _kpis(db, registry, territory, email="s@eau.fr")["water.sectors_monitored"]
    assert (theirs["value"], theirs["status"]) == (0, "warning")
    empty = _kpis(db, registry, territory, [T])["water.sectors_monitored"]
    assert (empty["value"], empty["note"]) == (None, "aucun secteur")


def _ilp(*refs: str) -> tuple[float, float]:
    """(ILP, ILC) of services taken together: Σ losses / (365 × Σ L), losses = V1 + V2 − V3
    − (V7 + V8 + V9); ILC = (V7 + V8 + V9 + V3) / (365 × Σ L)."""
    rows = [SERVICES[r][2] for r in refs]
    losses = sum(v1 + v2 - v3 - (v7 + v8 + v9) for v1, v2, v3, v7, v8, v9, _ in rows)
    consumed = sum(v7 + v8 + v9 + v3 for _, _, v3, v7, v8, v9, _ in rows)
    length = sum(row[6] for row in rows)
    return losses / (365 * length), consumed / (365 * length)


def _grade(ilp: float, ilc: float) -> str:
    assert ilc < 10  # a rural network
    return next((g for g, limit in zip(("bon", "acceptable", "médiocre"), RURAL, strict=True)
                 if ilp < limit), "mauvais")


def test_last_linear_loss_index(db, registry, territory):
    kpi = _kpis(db, registry, territory)["water.ilp"]
    ilp, ilc = _ilp("SVC-R", "SVC-S")  # 2025: T has figures for 2024 only
    assert _grade(ilp, ilc) == "médiocre"
    assert (kpi["value"], kpi["unit"], kpi["status"]) == (round(ilp, 2), "m3/km/d", "warning")
    assert kpi["note"] == "année 2025, 2 services sur 3 ; médiocre (réseau rural)"
    assert kpi["link"] == "/eau?periode=2025&couleur=ilp"
    # T alone: 2025 has no volumes, so the year before.
    alone = _kpis(db, registry, territory, [T])["water.ilp"]
    ilp, ilc = _ilp("SVC-T")
    assert (alone["value"], alone["status"]) == (round(ilp, 2), "ok")
    assert alone["note"] == f"année 2024, 1 service sur 1 ; {_grade(ilp, ilc)} (réseau rural)"
    assert alone["link"] == f"/eau?periode=2024&couleur=ilp&commune={T}"
    theirs = _kpis(db, registry, territory, email="s@eau.fr")["water.ilp"]
    assert theirs["value"] == round(_ilp("SVC-S")[0], 2)


def test_no_ilp_without_yearly_volumes(db, registry):
    with db.write() as conn:
        t = tenants.create_tenant(db, conn, CLI, name="Vide", registry=registry)
    kpi = _kpis(db, registry, t["id"])["water.ilp"]
    assert (kpi["value"], kpi["note"], kpi["link"]) == (
        None, "volumes annuels de 2025 non saisis", "/eau/volumes")
