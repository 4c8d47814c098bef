"""Issue #17: weather forecasts of the weather stations and the heat and fire levels of the
coming days. A small territory built here — a station with hourly observations of its four
metrics in one commune, a station without any in another, a neighbour tenant's station —
at a pinned clock (14:00, after today's noon, and 10:00, before it). The import keeps the
valid lines and reports the others in French; a forecast issued later replaces an earlier
one; the roles and tenants are checked. The outlook's IBM are checked against means written
here from the test's own temperatures, its FWI against the whole series (observed then
forecast noon weather) computed at once."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import orjson
import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient
from sqlalchemy import select
from suite_apps import fresh_app

from beffroi.core import assets, tenants, users
from beffroi.core.access import CLI, open_scope
from beffroi.core.alerting.detectors import run_detector
from beffroi.core.observations import store_rows
from beffroi.core.registry import load_registry
from beffroi.core.streams import ensure_stream
from beffroi.domains.risks import forecasts_routes
from beffroi.domains.risks.cli import risks
from beffroi.domains.risks.fire_weather import NoonWeather, compute_fwi, danger_class
from beffroi.storage import schema
from suite_accounts import bearer

PARIS = ZoneInfo("Europe/Paris")
TODAY = date(2025, 7, 20)
R, V = "88383", "88498"
LAT = 48.0
HEADER = "date,tmin_c,tmax_c,temp_c,rh_pct,wind_kmh,rain_mm"


def ms(day: date, hour: int, minute: int = 0) -> int:
    return int(datetime.combine(day, time(hour, minute), PARIS).timestamp() * 1000)


def d(k: int) -> date:
    return TODAY + timedelta(days=k)


# Observed days (k = days from today): Tmin, Tmax, humidity (%), wind (m/s), rain (mm, all at
# 03:00, so that the 24 hours to noon hold exactly it).
OBSERVED = {k: (16.0, 28.0, 50.0 + k, 3.0, 0.0) for k in range(-10, 1)}
OBSERVED[-7] = (15.0, 24.0, 80.0, 2.0, 6.0)
OBSERVED[-2] = (18.0, 33.0, 35.0, 4.0, 0.0)
OBSERVED[-1] = (19.0, 35.0, 30.0, 5.0, 0.0)
OBSERVED[0] = (20.0, 36.0, 28.0, 4.0, 0.0)


def temperature_at(k: int, hour: int) -> float:
    """Hourly temperature: Tmin at 05:00, Tmax at 15:00, linear in between."""
    tmin, tmax = OBSERVED[k][:2]
    return round(tmin + (tmax - tmin) * max(0.0, 1 - abs(hour - 15) / 10), 2)


def observed_noon(k: int) -> NoonWeather:
    """The noon weather of an observed day, from the values written above (the 11:00 hour's
    temperature, humidity, wind × 3.6, the rain of 03:00)."""
    _, _, rh, wind, rain = OBSERVED[k]
    return NoonWeather(d(k), temperature_at(k, 11), rh, wind * 3.6, rain)


# The forecast file: (k, tmin, tmax, temp, rh, wind km/h, rain); None = empty cell.
FORECAST = [
    (-1, 19.0, 35.0, 30.0, 30.0, 10.0, 0.0),  # a past day: ignored
    (0, 20.0, 36.0, 31.0, 28.0, 12.0, 0.0),
    (1, 21.0, 37.0, 32.0, 25.0, 15.0, 0.0),
    (2, 14.0, 26.0, 22.0, 60.0, 8.0, 4.5),
    (3, 22.0, 38.0, 33.0, 22.0, 20.0, 0.0),
    (4, None, None, 34.0, 20.0, 25.0, 0.0),
    (5, 20.0, 35.0, None, None, None, None),
    (6, 18.0, 30.0, 29.0, 35.0, 10.0, 0.0),
]


def csv_text(rows) -> bytes:
    def cell(v):
        return "" if v is None else f"{v:g}"
    lines = [HEADER] + [",".join([d(r[0]).isoformat(), *(cell(v) for v in r[1:])])
                        for r in rows]
    return ("\n".join(lines) + "\n").encode()


@pytest.fixture(params=[14, 10], ids=["after-noon", "before-noon"])
def site(db, request, monkeypatch):
    now = ms(TODAY, request.param)
    monkeypatch.setattr(forecasts_routes, "now_ms", lambda: now)
    registry = load_registry(["generic", "risks"])
    with db.write() as conn:
        t = tenants.create_tenant(db, conn, CLI, name="CC", registry=registry)
        other = tenants.create_tenant(db, conn, CLI, name="Autre", registry=registry)
        scope = open_scope(db, conn, CLI, t["id"])
        for insee in (R, V):
            tenants.create_commune(scope, conn, {"insee": insee, "name": f"Commune {insee}"})
        station = assets.create_asset(scope, conn, registry, {
            "ref": "METEO-R", "kind": "risks.weather_station", "name": "Station de Remiremont",
            "commune": R, "geometry": {"type": "Point", "coordinates": [6.6, LAT]}})
        bare = assets.create_asset(scope, conn, registry, {
            "ref": "METEO-V", "kind": "risks.weather_station", "name": "Station du Val",
            "commune": V, "geometry": {"type": "Point", "coordinates": [6.7, LAT]}})
        gauge = assets.create_asset(scope, conn, registry, {
            "ref": "ECH-1", "kind": "risks.gauge", "name": "Échelle", "commune": R})
        sids = {m: ensure_stream(scope, conn, registry, station.id, m) for m in (
            "air.temperature", "air.humidity", "weather.wind_speed", "weather.precipitation")}
        rows = []
        for k, (_, _, rh, wind, rain) in OBSERVED.items():
            for hour in range(24):
                at = ms(d(k), hour)
                if at > now:
                    continue
                rows += [(t["id"], sids["air.temperature"], at, temperature_at(k, hour), 0),
                         (t["id"], sids["air.humidity"], at, rh, 0),
                         (t["id"], sids["weather.wind_speed"], at, wind, 0),
                         (t["id"], sids["weather.precipitation"], at,
                          rain if hour == 3 else 0.0, 0)]
        store_rows(scope, conn, rows, PARIS)
        for email, role, communes in (("agent@cc.fr", "agent", None),
                                      ("viewer@cc.fr", "viewer", None),
                                      ("val@cc.fr", "agent", [V])):
            users.add_member(scope, conn, {"email": email, "role": role, "communes": communes,
                                           "password": "password-123"})
        scope_b = open_scope(db, conn, CLI, other["id"])
        tenants.create_commune(scope_b, conn, {"insee": "55040", "name": "Belleville"})
        foreign = assets.create_asset(scope_b, conn, registry, {
            "ref": "METEO-B", "kind": "risks.weather_station", "name": "Station voisine",
            "commune": "55040"})
        users.add_member(scope_b, conn, {"email": "x@autre.fr", "role": "tenant_admin",
                                         "password": "password-123"})
    with TestClient(fresh_app(db, registry)) as client:
        headers = {email: bearer(client, email, "password-123")
                   for email in ("agent@cc.fr", "viewer@cc.fr", "val@cc.fr", "x@autre.fr")}
        yield {"client": client, "db": db, "tenant": t["id"], "other": other["id"],
               "registry": registry,
               "base": f"/api/v1/tenants/{t['id']}", "h": headers, "now": now,
               "hour": request.param, "station": station.id, "bare": bare.id,
               "gauge": gauge.id, "foreign": foreign.id}


def post(site, body: bytes, who: str = "agent@cc.fr", station: str = "station", **params):
    return site["client"].post(
        f"{site['base']}/risks/stations/{site[station]}/forecasts", content=body,
        params=params, headers={**site["h"][who], "Content-Type": "text/csv"})


def stored(site) -> dict[str, tuple]:
    f = schema.weather_forecasts
    with site["db"].read() as conn:
        return {r.day: r for r in conn.execute(select(f).where(
            f.c.tenant_id == site["tenant"], f.c.asset_id == site["station"]))}


def test_import_keeps_the_forecast_days_and_ignores_the_past(site):
    answer = post(site, csv_text(FORECAST), source="Météo-France",
                  issued_at="2025-07-20T06:00:00+02:00")
    assert answer.status_code == 200, answer.text
    report = answer.json()
    assert (report["total"], report["written"], report["created"], report["replaced"],
            report["ignored_past"], report["errors"]) == (8, 7, 7, 0, 1, [])
    assert report["warnings"] == [{"line": 2, "field": "date", "message":
                                   "jour passé (2025-07-19) ignoré : les jours passés sont "
                                   "observés"}]
    assert (report["first"], report["last"]) == ("2025-07-20", "2025-07-26")
    rows = stored(site)
    assert sorted(rows) == [d(k).isoformat() for k in range(0, 7)]
    four = rows[d(4).isoformat()]
    assert (four.tmin_c, four.tmax_c, four.temp_c, four.rh_pct, four.wind_kmh,
            four.rain_mm) == (None, None, 34.0, 20.0, 25.0, 0.0)
    five = rows[d(5).isoformat()]
    assert (five.tmin_c, five.tmax_c, five.temp_c) == (20.0, 35.0, None)
    assert four.source == "Météo-France"
    assert four.issued_at == ms(TODAY, 6) and four.imported_at == site["now"]
    with site["db"].read() as conn:
        audit = conn.execute(select(schema.audit_log).where(
            schema.audit_log.c.action == "risks.forecast_import")).all()
    assert len(audit) == 1


def test_bad_lines_are_refused_and_the_valid_rest_kept(site):
    lines = [HEADER,
             f"{d(1)},20,35,30,30,10,0",          # 2: good
             "2025-13-01,20,35,30,30,10,0",       # 3: bad date
             f"{d(2)},20,35,30,120,10,0",         # 4: humidity out of range
             f"{d(3)},20,,,,,",                   # 5: heat group incomplete
             f"{d(4)},30,25,,,,",                 # 6: tmin above tmax
             f"{d(16)},20,35,,,,",                # 7: beyond 15 days
             f"{d(1)},21,36,,,,",                 # 8: date twice
             f"{d(5)},,,,,,",                     # 9: no value
             f"{d(6)},20,35",                     # 10: missing fields
             f"{d(7)},abc,35,,,,",                # 11: not a number
             f"{d(15)},,,30,40,10,1",             # 12: good, 15 days ahead
             ]
    answer = post(site, ("\n".join(lines) + "\n").encode())
    assert answer.status_code == 200, answer.text
    report = answer.json()
    assert report["written"] == 2 and report["total"] == 11
    assert sorted(stored(site)) == [d(1).isoformat(), d(15).isoformat()]
    errors = {e["line"]: (e["field"], e["message"]) for e in report["errors"]}
    assert sorted(errors) == [3, 4, 5, 6, 7, 8, 9, 10, 11]
    assert errors[3] == ("date", "date « 2025-13-01 » invalide, AAAA-MM-JJ attendu")
    assert errors[4] == ("rh_pct", "rh_pct 120 % hors de l'intervalle plausible (0 à 100 %)")
    assert errors[5][0] == "tmax_c" and "températures du jour incomplètes" in errors[5][1]
    assert errors[6] == ("tmin_c", "tmin_c 30 °C supérieure à tmax_c 25 °C")
    assert errors[7] == ("date", "2025-08-05 est à plus de 15 jours (au plus le 2025-08-04)")
    assert errors[8] == ("date", "la date 2025-07-21 est déjà donnée ligne 2")
    assert "aucune valeur" in errors[9][1]
    assert "champ" in errors[10][1] or "colonne" in errors[10][1]
    assert errors[11] == ("tmin_c", "tmin_c « abc » invalide, nombre attendu")


def test_nothing_valid_is_refused_with_every_error(site):
    answer = post(site, f"{HEADER}\n{d(1)},20,,,,,\n{d(2)},x,1,,,,\n".encode())
    assert answer.status_code == 422
    body = answer.json()
    assert [e["line"] for e in body["errors"]] == [2, 3]
    assert body["report"]["written"] == 0 and stored(site) == {}
    wrong = post(site, b"date,tmin,tmax\n2025-07-21,1,2\n")
    assert wrong.status_code == 422 and wrong.json()["errors"][0]["field"] == "header"
    assert post(site, csv_text(FORECAST[1:2]), issued_at="demain").status_code == 422
    future = post(site, csv_text(FORECAST[1:2]), issued_at="2025-07-21T00:00:00Z")
    assert future.status_code == 422 and future.json()["errors"][0]["field"] == "issued_at"
    assert post(site, csv_text(FORECAST[1:2]), source="x" * 201).status_code == 422
    json_body = site["client"].post(
        f"{site['base']}/risks/stations/{site['station']}/forecasts", json={"a": 1},
        headers=site["h"]["agent@cc.fr"])
    assert json_body.status_code == 415
    assert stored(site) == {}


def test_a_later_forecast_replaces_an_earlier_one_never_the_reverse(site):
    first = [(1, 20.0, 35.0, None, None, None, None), (2, 21.0, 36.0, None, None, None, None)]
    assert post(site, csv_text(first), issued_at="2025-07-20T05:00:00+02:00",
                source="A").status_code == 200
    later = [(2, 15.0, 25.0, 20.0, 50.0, 10.0, 1.0), (3, 16.0, 26.0, None, None, None, None)]
    report = post(site, csv_text(later), issued_at="2025-07-20T07:00:00+02:00",
                  source="B").json()
    assert (report["created"], report["replaced"]) == (1, 1)
    rows = stored(site)
    assert (rows[d(1).isoformat()].tmax_c, rows[d(1).isoformat()].source) == (35.0, "A")
    two = rows[d(2).isoformat()]
    assert (two.tmin_c, two.tmax_c, two.temp_c, two.source) == (15.0, 25.0, 20.0, "B")
    older = [(2, 30.0, 40.0, None, None, None, None)]
    report = post(site, csv_text(older), issued_at="2025-07-20T06:00:00+02:00",
                  source="C").json()
    assert (report["written"], report["kept_newer"]) == (0, 1)
    assert "émise plus tard" in report["warnings"][0]["message"]
    assert stored(site)[d(2).isoformat()].source == "B"


def test_roles_tenants_and_communes(site):
    body = csv_text(FORECAST[1:3])
    assert post(site, body, who="viewer@cc.fr").status_code == 403
    assert post(site, body, who="x@autre.fr").status_code in (403, 404)
    assert post(site, body, station="foreign").status_code == 404  # another tenant's station
    assert post(site, body, station="gauge").status_code == 404  # not a weather station
    assert post(site, body, who="val@cc.fr").status_code == 404  # outside its commune
    assert post(site, body, who="val@cc.fr", station="bare").status_code == 200
    assert stored(site) == {}
    client, base = site["client"], site["base"]
    mine = client.get(f"{base}/risks/outlook", headers=site["h"]["val@cc.fr"]).json()
    assert [s["name"] for s in mine["stations"]] == ["Station du Val"]
    assert mine["stations"][0]["forecast"]["days"] == 2
    assert client.get(f"{base}/risks/outlook", headers=site["h"]["x@autre.fr"]).status_code \
        in (403, 404)
    assert client.get(f"{base}/risks/outlook").status_code in (401, 403, 404)
    bad = client.get(f"{base}/risks/outlook?days=17", headers=site["h"]["viewer@cc.fr"])
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "days"


def test_outlook_without_forecasts_gives_today_only(site):
    body = site["client"].get(f"{site['base']}/risks/outlook?days=8",
                              headers=site["h"]["viewer@cc.fr"]).json()
    assert (body["today"], body["until"]) == ("2025-07-20", "2025-07-27")
    station = {s["name"]: s for s in body["stations"]}["Station de Remiremont"]
    assert station["forecast"] is None
    # Today's IBM from the observed days (today's extremes so far).
    hour = site["hour"]
    today_max = max(temperature_at(0, h) for h in range(hour + 1))
    today_min = min(temperature_at(0, h) for h in range(hour + 1))
    assert station["heat"]["days"] == [{
        "date": "2025-07-20", "tmin": today_min, "tmax": today_max,
        "ibmn": round((18 + 19 + today_min) / 3, 2), "ibmx": round((33 + 35 + today_max) / 3, 2),
        "level": "canicule" if (18 + 19 + today_min) / 3 >= 18
        and (33 + 35 + today_max) / 3 >= 34 else "normal", "forecast": False}]
    fire_days = [x["date"] for x in station["fire"]["days"]]
    assert fire_days == (["2025-07-20"] if hour >= 12 else [])
    bare = {s["name"]: s for s in body["stations"]}["Station du Val"]
    assert bare["heat"]["days"] == [] and bare["fire"]["days"] == []


def test_outlook_continues_heat_and_fire_over_the_forecast(site):
    assert post(site, csv_text(FORECAST), source="Météo-France",
                issued_at="2025-07-20T06:00:00+02:00").status_code == 200
    body = site["client"].get(f"{site['base']}/risks/outlook?days=8",
                              headers=site["h"]["viewer@cc.fr"]).json()
    station = {s["name"]: s for s in body["stations"]}["Station de Remiremont"]
    assert station["forecast"]["issues"] == [{
        "issued_at": "2025-07-20T04:00:00Z", "source": "Météo-France", "first": "2025-07-20",
        "last": "2025-07-26", "days": 7}]

    # Heat: observed Tmin/Tmax before today, forecast from today (today's forecast wins).
    tmin = {-2: 18.0, -1: 19.0, 0: 20.0, 1: 21.0, 2: 14.0, 3: 22.0, 5: 20.0, 6: 18.0}
    tmax = {-2: 33.0, -1: 35.0, 0: 36.0, 1: 37.0, 2: 26.0, 3: 38.0, 5: 35.0, 6: 30.0}
    expected = []
    for k in (0, 1, 2, 3):  # day 4 has no temperatures: IBM unknown on 4, 5 and 6
        ibmn = (tmin[k - 2] + tmin[k - 1] + tmin[k]) / 3
        ibmx = (tmax[k - 2] + tmax[k - 1] + tmax[k]) / 3
        expected.append({"date": d(k).isoformat(), "tmin": tmin[k], "tmax": tmax[k],
                         "ibmn": round(ibmn, 2), "ibmx": round(ibmx, 2),
                         "level": "canicule" if ibmn >= 18 and ibmx >= 34 else "normal",
                         "forecast": True})
    assert station["heat"]["days"] == expected
    assert [e["level"] for e in expected] == ["canicule", "canicule", "normal", "normal"]
    # IBMn of the day before (observed): (16 + 18 + 19) / 3 < 18, so the episode starts today.
    assert station["heat"]["episodes"] == [{
        "start": "2025-07-20", "end": "2025-07-21", "peak_ibmn": 20.0, "peak_ibmx": 36.0,
        "days": 2, "forecast": True}]

    # Fire: the whole series at once — observed noon weather up to the last complete day
    # (today after noon, yesterday before), then the forecast's — equals the outlook, whose
    # forecast days start from the last observed day's codes.
    last_observed = 0 if site["hour"] >= 12 else -1
    fc = {r[0]: r for r in FORECAST}

    def forecast_noon(k):
        return NoonWeather(d(k), *fc[k][3:])

    series = [observed_noon(k) for k in range(-10, last_observed + 1)]
    series += [forecast_noon(k) for k in range(last_observed + 1, 5)]
    whole = {x.day: x for x in compute_fwi(series, LAT)}
    restart = compute_fwi([forecast_noon(6)], LAT)[0]  # after the gap of day 5
    got = {x["date"]: x for x in station["fire"]["days"]}
    assert list(got) == [d(k).isoformat() for k in (0, 1, 2, 3, 4, 6)]
    for k in (0, 1, 2, 3, 4, 6):
        ref = whole[d(k)] if k != 6 else restart
        shown = got[d(k).isoformat()]
        assert [shown[i] for i in ("ffmc", "dmc", "dc", "isi", "bui", "fwi")] == [
            round(v, 1) for v in (ref.ffmc, ref.dmc, ref.dc, ref.isi, ref.bui, ref.fwi)]
        assert shown["forecast"] is (k > last_observed)
    codes = whole[d(last_observed)]
    assert station["fire"]["start"] == {"from": d(last_observed).isoformat(),
                                        "ffmc": round(codes.ffmc, 1),
                                        "dmc": round(codes.dmc, 1), "dc": round(codes.dc, 1)}
    assert got[d(2).isoformat()]["class"] in ("faible", "modere")  # the rainy cool day
    assert got[d(4).isoformat()]["class_label"] in ("élevé", "très élevé")


@pytest.mark.parametrize("db", ["sqlite"], indirect=True)  # the command line, once
@pytest.mark.parametrize("site", [14], ids=["after-noon"], indirect=True)
def test_cli_import(site, tmp_path, monkeypatch):
    from beffroi.core import clock
    monkeypatch.setattr(clock, "now_ms", lambda: site["now"])
    path = tmp_path / "prevision.csv"
    path.write_bytes(csv_text(FORECAST) + f"{d(20)},1,2,,,,\n".encode())
    result = CliRunner().invoke(risks, [
        "forecast-import", "--tenant", str(site["tenant"]), "--station", "METEO-R", "--csv",
        str(path), "--source", "Météo-France", "--db", site["db"].url])
    assert result.exit_code == 1, result.output
    assert ("Station de Remiremont : 9 lignes lues, 7 jours enregistrés du 2025-07-20 au "
            "2025-07-26 (7 nouveaux, 0 remplacés), 1 jours passés ignorés") in result.output
    assert "ligne 10 — date : 2025-08-09 est à plus de 15 jours" in result.output
    assert sorted(stored(site)) == [d(k).isoformat() for k in range(0, 7)]
    missing = CliRunner().invoke(risks, [
        "forecast-import", "--tenant", str(site["tenant"]), "--station", "INCONNUE", "--csv",
        str(path), "--db", site["db"].url])
    assert missing.exit_code != 0 and "introuvable" in missing.output


def alerts_of(site, detector: str) -> list:
    a = schema.alerts
    with site["db"].read() as conn:
        return conn.execute(select(a).where(a.c.tenant_id == site["tenant"],
                                            a.c.detector == detector,
                                            a.c.status != "resolved")).all()


# Before noon only: no episode is observed yet (after noon, today's partial extremes already
# make one: the critical alert of the observations).
@pytest.mark.parametrize("site", [10], ids=["before-noon"], indirect=True)
def test_heatwave_detector_warns_ahead_from_the_forecast(site):
    db, registry, tid, now = site["db"], site["registry"], site["tenant"], site["now"]
    assert run_detector(db, registry, tid, "risks.heatwave", now) == "ok"
    assert alerts_of(site, "risks.heatwave") == []
    # IBM from the forecast: day 3 gives (15 + 22 + 22) / 3 and (25 + 38 + 38) / 3 = 33.7,
    # below 34; day 4 gives 22 / 38: the episode starts on day 4 (24 July).
    hot = [(0, 15.0, 25.0), (1, 15.0, 25.0), (2, 22.0, 38.0), (3, 22.0, 38.0),
           (4, 22.0, 38.0)]
    assert post(site, csv_text([(k, lo, hi, None, None, None, None) for k, lo, hi in hot]),
                issued_at="2025-07-20T06:00:00+02:00").status_code == 200
    assert run_detector(db, registry, tid, "risks.heatwave", now) == "ok"
    [alert] = alerts_of(site, "risks.heatwave")
    assert alert.title == "Canicule prévue à partir du 24/07/2025 (Station de Remiremont)"
    assert alert.severity == "warning" and alert.asset_id is None
    details = orjson.loads(alert.details)
    assert (details["start"], details["days"], details["peak_ibmx"], details["forecast"]) == (
        "2025-07-24", 1, 38.0, "prevision")


def test_fire_detector_warns_ahead_from_the_forecast(site):
    db, registry, tid, now = site["db"], site["registry"], site["tenant"], site["now"]
    with db.write() as conn:
        scope = open_scope(db, conn, CLI, tid)
        tenants.update_tenant(scope, conn, {"settings": {"risks.fire_alert_level":
                                                         "tres_eleve"}}, registry)
        forest = assets.create_asset(scope, conn, registry, {
            "ref": "FORET-R", "kind": "risks.forest", "name": "Forêt du Fossard",
            "commune": R, "geometry": {"type": "Polygon", "coordinates": [[
                [6.5, 47.9], [6.7, 47.9], [6.7, 48.1], [6.5, 48.1], [6.5, 47.9]]]}})
    assert run_detector(db, registry, tid, "risks.fire_danger", now) == "ok"
    assert alerts_of(site, "risks.fire_danger") == []
    dry = {k: (38.0, 10.0, 50.0, 0.0) for k in (0, 1, 2, 3)}
    assert post(site, csv_text([(k, None, None, *w) for k, w in dry.items()]),
                issued_at="2025-07-20T06:00:00+02:00").status_code == 200
    # The whole series computed here: observed noon weather to the last complete day, then
    # the forecast's; the first forecast day « très élevé » is the one announced.
    last_observed = 0 if site["hour"] >= 12 else -1
    series = [observed_noon(k) for k in range(-10, last_observed + 1)]
    series += [NoonWeather(d(k), *dry[k]) for k in range(last_observed + 1, 4)]
    whole = compute_fwi(series, LAT)
    observed = [x for x in whole if x.day <= d(last_observed)]
    assert danger_class(observed[-1].fwi).key != "tres_eleve"
    first = next(x for x in whole if x.day > d(last_observed) and x.fwi >= 38.0)
    assert run_detector(db, registry, tid, "risks.fire_danger", now) == "ok"
    [alert] = alerts_of(site, "risks.fire_danger")
    assert alert.asset_id == forest.id and alert.severity == "warning"
    assert alert.title == (f"Danger météorologique de feux de forêts très élevé prévu le "
                           f"{first.day:%d/%m/%Y} (Forêt du Fossard)")
    details = orjson.loads(alert.details)
    assert (details["date"], details["fwi"], details["forecast"]) == (
        first.day.isoformat(), round(first.fwi, 1), "prevision")
