"""Issue #16: the key figures of climate risks on the home dashboard — the river highest
against its vigilance thresholds, today's highest temperature against the heat-wave
threshold, the rain of the last 24 hours — checked against what the test writes, for the
whole territory, some communes and a member limited to some; the clock is pinned."""

from __future__ import annotations

from datetime import date, datetime, time

import pytest

from beffroi.core import assets, streams, tenants, users
from beffroi.core.access import CLI, open_scope
from beffroi.core.clock import PARIS
from beffroi.core.observations import store_rows
from beffroi.core.registry import load_registry

from .kpi_cards import domain_kpis

HOUR_MS = 3_600_000
NOW = int(datetime.combine(date(2026, 7, 10), time(15, 20), PARIS).timestamp() * 1000)
MIDNIGHT = int(datetime.combine(date(2026, 7, 10), time(0), PARIS).timestamp() * 1000)
R, V, E, A = "88383", "88498", "88158", "88487"
# Gauge -> commune, (yellow, orange, red) or None, level, minutes since it was measured
GAUGES = {"Moselle à Remiremont": (R, (2.0, 2.6, 3.2), 1.5, 15),
          "Moselle à Vecoux": (V, (1.0, 1.5, 2.0), 1.2, 30),  # yellow reached
          "Moselle à Éloyes": (E, (1.0, 1.5, 2.0), 5.0, 7 * 60),  # too old to count
          "Ruisseau d'Éloyes": (E, None, 0.8, 10),  # no thresholds
          "Combeauté au Val-d'Ajol": (A, (1.0, 1.5, 2.0), 2.4, 5)}  # red reached
# Station -> commune, today's hourly temperatures (from midnight), rain per hour (the last
# 30 hours, newest first)
STATIONS = {"Station de Remiremont": (R, [14 + 0.5 * h for h in range(16)],
                                      [0.1 * k for k in range(30)]),
            "Station de Vecoux": (V, [16 + 1.2 * h for h in range(16)],
                                  [0.05 * k for k in range(30)])}
YESTERDAY_HOT = 39.0  # at Remiremont yesterday afternoon: not today's


@pytest.fixture(scope="module")
def registry():
    return load_registry(["generic", "risks"])


def _point(i: int) -> dict:
    return {"type": "Point", "coordinates": [6.6 + i / 100, 48.0]}


@pytest.fixture
def territory(db, registry):
    with db.write() as conn:
        t = tenants.create_tenant(db, conn, CLI, name="CC", registry=registry)
        scope = open_scope(db, conn, CLI, t["id"])
        for insee in (R, V, E, A):
            tenants.create_commune(scope, conn, {"insee": insee, "name": f"Commune {insee}"})
        rows = []

        def stream_of(asset_id: int, metric: str) -> int:
            return streams.create_stream(scope, conn, registry,
                                         {"asset_id": asset_id, "metric": metric}).id

        for i, (name, (insee, limits, level, minutes)) in enumerate(GAUGES.items()):
            props = {} if limits is None else dict(zip(
                ("level_yellow_m", "level_orange_m", "level_red_m"), limits, strict=True))
            gauge = assets.create_asset(scope, conn, registry, {
                "ref": f"HYD-{i}", "kind": "risks.gauge", "name": name, "commune": insee,
                "geometry": _point(i), "properties": props})
            sid = stream_of(gauge.id, "hydro.level")
            rows += [(t["id"], sid, NOW - minutes * 60_000 - HOUR_MS, level - 0.3, 0),
                     (t["id"], sid, NOW - minutes * 60_000, level, 0)]
        for i, (name, (insee, temperatures, rain)) in enumerate(STATIONS.items()):
            station = assets.create_asset(scope, conn, registry, {
                "ref": f"METEO-{i}", "kind": "risks.weather_station", "name": name,
                "commune": insee, "geometry": _point(10 + i)})
            sid = stream_of(station.id, "air.temperature")
            rows += [(t["id"], sid, MIDNIGHT + h * HOUR_MS, v, 0)
                     for h, v in enumerate(temperatures)]
            rows.append((t["id"], sid, MIDNIGHT - 9 * HOUR_MS, YESTERDAY_HOT, 0))
            sid = stream_of(station.id, "weather.precipitation")
            hour = NOW - NOW % HOUR_MS
            rows += [(t["id"], sid, hour - k * HOUR_MS + 600_000, v, 0)
                     for k, v in enumerate(rain)]
        store_rows(scope, conn, rows, PARIS)
        users.add_member(scope, conn, {"email": "rv@cc.fr", "role": "viewer",
                                       "password": "password-123", "communes": [R, V]})
    return t["id"]


def _kpis(db, registry, tenant, communes=None, email=None):
    return domain_kpis(db, registry, tenant, "risks", NOW, communes, email)


def _at(name: str) -> str:
    minutes = GAUGES[name][3]
    return datetime.fromtimestamp((NOW - minutes * 60_000) / 1000, PARIS).strftime("%H:%M")


def _threshold(label: str, value: float) -> list[dict]:
    return [{"label": label, "value": value, "unit": "m", "delta_share": None}]


def test_the_river_highest_against_its_thresholds(db, registry, territory):
    kpi = _kpis(db, registry, territory)["risks.river_level"]
    # The Combeauté is past its red threshold: it comes first, set against it.
    name = "Combeauté au Val-d'Ajol"
    assert (kpi["value"], kpi["unit"], kpi["status"]) == (2.4, "m", "critical")
    assert kpi["comparisons"] == _threshold("seuil rouge", 2.0)
    assert kpi["note"] == f"{name}, {_at(name)} ; vigilance rouge atteinte ; la plus haute de " \
                          "4 stations"
    # Remiremont and Vecoux: Vecoux has reached yellow, set against orange.
    theirs = _kpis(db, registry, territory, email="rv@cc.fr")["risks.river_level"]
    assert (theirs["value"], theirs["status"]) == (1.2, "warning")
    assert theirs["comparisons"] == _threshold("seuil orange", 1.5)
    assert theirs["note"].startswith(f"Moselle à Vecoux, {_at('Moselle à Vecoux')} ; vigilance "
                                     "jaune atteinte")
    mine = _kpis(db, registry, territory, [R])["risks.river_level"]
    assert (mine["value"], mine["status"], mine["comparisons"]) == (
        1.5, "ok", _threshold("seuil jaune", 2.0))
    assert mine["note"] == f"Moselle à Remiremont, {_at('Moselle à Remiremont')}"
    # Éloyes: the gauge with thresholds has not spoken for 7 hours; the other has none.
    eloyes = _kpis(db, registry, territory, [E])["risks.river_level"]
    assert (eloyes["value"], eloyes["status"], eloyes["comparisons"]) == (0.8, None, [])


def test_today_highest_temperature_against_the_heat_threshold(db, registry, territory):
    hottest = max(STATIONS["Station de Vecoux"][1])
    assert 34 <= hottest < 36
    kpi = _kpis(db, registry, territory)["risks.heat"]
    assert (kpi["value"], kpi["unit"], kpi["status"]) == (round(hottest, 1), "Cel", "warning")
    assert kpi["comparisons"] == [{"label": "seuil canicule (IBMx)", "value": 34.0,
                                   "unit": "Cel", "delta_share": None}]
    assert kpi["note"] == "maximum du jour, Station de Vecoux"
    mine = _kpis(db, registry, territory, [R])["risks.heat"]
    # Yesterday's 39 °C at Remiremont is not today's.
    assert (mine["value"], mine["status"]) == (max(STATIONS["Station de Remiremont"][1]), "ok")
    # The territory's own threshold.
    with db.write() as conn:
        tenants.update_tenant(open_scope(db, conn, CLI, territory), conn,
                              {"settings": {"risks.heat_max_threshold_c": 36}}, registry)
    kpi = _kpis(db, registry, territory)["risks.heat"]
    assert (kpi["status"], kpi["comparisons"][0]["value"]) == ("ok", 36.0)


def test_rain_of_the_last_24_hours(db, registry, territory):
    """The hour under way and the 23 before it: the first 24 hourly values of each station."""
    sums = {name: sum(rain[:24]) for name, (_, _, rain) in STATIONS.items()}
    kpi = _kpis(db, registry, territory)["risks.rain_24h"]
    assert kpi["value"] == pytest.approx(round(sums["Station de Remiremont"], 1))
    assert kpi["note"] == ("dernières 24 h, Station de Remiremont (la plus arrosée de 2 "
                           "stations)")
    vecoux = _kpis(db, registry, territory, [V])["risks.rain_24h"]
    assert vecoux["value"] == pytest.approx(round(sums["Station de Vecoux"], 1))
    assert vecoux["note"] == "dernières 24 h, Station de Vecoux"
    assert _kpis(db, registry, territory, [E])["risks.rain_24h"]["value"] is None
