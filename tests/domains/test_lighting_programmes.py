"""Switching programmes: presets, sun-bounded windows, daylight-saving nights, variants,
annual burn hours, and precise errors on programmes sent by users."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from astral import Observer
from astral.sun import sunrise, sunset

from beffroi.domains.lighting.programmes import (
    PRESETS,
    ProgrammeError,
    burn_hours,
    night_plan,
    parse_programme,
)

REMIREMONT = (48.017, 6.591)


def ms(text: str) -> int:
    return int(datetime.fromisoformat(text).timestamp() * 1000)


def sun(day: date, event) -> int:
    return int(event(Observer(*REMIREMONT), day, tzinfo=UTC).timestamp() * 1000)


def test_dusk_to_dawn_follows_the_sun():
    plan = night_plan(PRESETS["dusk_to_dawn"], date(2026, 12, 21), *REMIREMONT)
    assert plan == [(sun(date(2026, 12, 21), sunset), 100), (sun(date(2026, 12, 22), sunrise), 0)]


def test_night_cut_across_the_autumn_clock_change():
    # Night of 24 to 25 October 2026: at 03:00 CEST clocks go back to 02:00 CET, so the
    # cut from 23:00 (CEST, 21:00 UTC) to 05:00 (CET, 04:00 UTC) lasts 7 hours.
    plan = night_plan(PRESETS["cut_23_5"], date(2026, 10, 24), *REMIREMONT)
    assert plan == [(sun(date(2026, 10, 24), sunset), 100), (ms("2026-10-24T21:00:00+00:00"), 0),
                    (ms("2026-10-25T04:00:00+00:00"), 100), (sun(date(2026, 10, 25), sunrise), 0)]


def test_lamps_never_burn_in_daylight_and_open_at_the_level_of_the_hour():
    # Midsummer: sunrise is before 06:00, so "full again at 06:00" is void.
    plan = night_plan(PRESETS["dim_50_22_6"], date(2026, 6, 21), *REMIREMONT)
    assert [level for _, level in plan] == [100, 50, 0]
    assert plan[-1][0] == sun(date(2026, 6, 22), sunrise) < ms("2026-06-22T06:00:00+02:00")
    # A programme whose dimming starts before sunset opens dimmed.
    early = parse_programme({"steps": [{"at": "sunset", "level": 100},
                                       {"at": "20:00", "level": 50},
                                       {"at": "sunrise", "level": 0}]})
    plan = night_plan(early, date(2026, 6, 21), *REMIREMONT)
    assert plan == [(sun(date(2026, 6, 21), sunset), 50), (sun(date(2026, 6, 22), sunrise), 0)]


def test_sun_offsets_and_a_plain_clock():
    late = parse_programme({"steps": [{"at": "sunset", "level": 100, "offset_min": 15},
                                      {"at": "sunrise", "level": 0, "offset_min": -15}]})
    day = date(2026, 3, 2)
    assert night_plan(late, day, *REMIREMONT) == [
        (sun(day, sunset) + 15 * 60_000, 100), (sun(date(2026, 3, 3), sunrise) - 15 * 60_000, 0)]
    clock = parse_programme({"steps": [{"at": "18:00", "level": 100}, {"at": "07:00", "level": 0}]})
    assert night_plan(clock, day, *REMIREMONT) == [
        (ms("2026-03-02T12:00:00+01:00"), 0), (ms("2026-03-02T18:00:00+01:00"), 100),
        (ms("2026-03-03T07:00:00+01:00"), 0)]


def test_variants_by_season_and_over_the_new_year():
    summer = PRESETS["cut_23_5_summer_midnight"]
    july = night_plan(summer, date(2026, 7, 14), *REMIREMONT)
    assert ms("2026-07-15T00:00:00+02:00") in [t for t, _ in july]
    march = night_plan(summer, date(2026, 3, 14), *REMIREMONT)
    assert ms("2026-03-14T23:00:00+01:00") in [t for t, _ in march]
    christmas = parse_programme({
        "steps": [{"at": "sunset", "level": 100}, {"at": "23:00", "level": 0},
                  {"at": "05:00", "level": 100}, {"at": "sunrise", "level": 0}],
        "variants": [{"label": "Illuminations", "start": "12-01", "end": "01-06",
                      "steps": [{"at": "sunset", "level": 100}, {"at": "sunrise", "level": 0}]}]})
    assert len(night_plan(christmas, date(2026, 12, 31), *REMIREMONT)) == 2
    assert len(night_plan(christmas, date(2027, 1, 6), *REMIREMONT)) == 2
    assert len(night_plan(christmas, date(2027, 1, 7), *REMIREMONT)) == 4


def test_annual_burn_hours():
    year = (date(2027, 1, 1), date(2027, 12, 31))
    full = burn_hours(PRESETS["dusk_to_dawn"], *year, *REMIREMONT)
    # Sunset to sunrise at 48° N: 12 h a night on average less the ~15 minutes that
    # refraction and the sun's radius add to each day, about 4,290 h a year (the 4,100 h
    # often quoted for France count photocells switching after sunset, before sunrise).
    assert 4_250 < full[100] < 4_330
    cut = burn_hours(PRESETS["cut_23_5"], *year, *REMIREMONT)
    # 23:00-05:00 lies inside every night at this latitude: exactly 6 h a night less (the
    # two clock-change nights give 7 h and 5 h).
    assert cut[100] == pytest.approx(full[100] - 6 * 365, abs=0.05)
    dim = burn_hours(PRESETS["dim_50_22_6"], *year, *REMIREMONT)
    assert dim[100] + dim[50] == pytest.approx(full[100], abs=0.05)
    assert 2_400 < dim[50] < 2_920  # 8 h a night, less where sunrise comes before 06:00


@pytest.mark.parametrize("doc, fields", [
    ({"preset": "tout_la_nuit"}, {"preset"}),
    ({"steps": []}, {"steps"}),
    ({"steps": [{"at": "25:00", "level": 100}, {"at": "sunrise", "level": 120}]},
     {"steps[0].at", "steps[1].level"}),
    ({"steps": [{"at": "22:00", "level": 50, "offset_min": 10}]}, {"steps[0].offset_min"}),
    ({"steps": [{"at": "sunset", "level": 100}, {"at": "civil_dusk", "level": 100}]},
     {"steps"}),
    ({"steps": [{"at": "sunset", "level": 100}],
      "variants": [{"start": "13-01", "end": "02-30", "weekdays": [0], "steps": "x"}]},
     {"variants[0].start", "variants[0].end", "variants[0].weekdays", "variants[0].steps"}),
])
def test_bad_programmes_are_refused_field_by_field(doc, fields):
    with pytest.raises(ProgrammeError) as info:
        parse_programme(doc)
    assert {e["field"] for e in info.value.errors} == fields


def test_preview_of_a_programme_at_a_cabinet_over_http(db):
    from fastapi.testclient import TestClient
    from suite_apps import fresh_app

    from beffroi.core import assets, tenants, users
    from beffroi.core.access import CLI, open_scope
    from beffroi.core.registry import load_registry

    registry = load_registry(["generic", "lighting"])
    with db.write() as conn:
        t = tenants.create_tenant(db, conn, CLI, name="CC", registry=registry)
        scope = open_scope(db, conn, CLI, t["id"])
        tenants.create_commune(scope, conn, {"insee": "88383", "name": "Remiremont"})
        cabinet = assets.create_asset(scope, conn, registry, {
            "ref": "ARM-1", "kind": "lighting.cabinet", "name": "Armoire 1", "commune": "88383",
            "geometry": {"type": "Point", "coordinates": [REMIREMONT[1], REMIREMONT[0]]}})
        users.add_member(scope, conn, {"email": "elu@cc.fr", "role": "viewer",
                                       "password": "password-123"})
    with TestClient(fresh_app(db, registry)) as client:
        token = client.post("/api/v1/auth/token", json={"email": "elu@cc.fr",
                                                         "password": "password-123"}).json()
        h = {"Authorization": f"Bearer {token['access_token']}"}
        presets = client.get("/api/v1/lighting/programmes/presets").json()
        assert [p["key"] for p in presets] == list(PRESETS)
        assert presets[1]["label"] == "Extinction de 23 h à 5 h"
        url = f"/api/v1/tenants/{t['id']}/lighting/cabinets/{cabinet.id}/programme/preview"
        answer = client.post(url, headers=h, json={"programme": {"preset": "cut_23_5"},
                                                   "from": "2026-10-24", "days": 2})
        assert answer.status_code == 200, answer.text
        first = answer.json()["nights"][0]
        assert first["date"] == "2026-10-24"
        assert [c["at"] for c in first["changes"]][1:3] == ["2026-10-24T21:00:00Z",
                                                              "2026-10-25T04:00:00Z"]
        hours = answer.json()["annual_burn_hours"]
        assert set(hours) == {"100"} and 2_000 < hours["100"] < 2_200
        bad = client.post(url, headers=h, json={"programme": {"steps": [{"at": "midi",
                                                                          "level": 5}]},
                                                "days": 90, "couleur": 1})
        assert bad.status_code == 422
        assert {e["field"] for e in bad.json()["errors"]} == {
            "couleur", "programme.steps[0].at", "days"}
        site = client.post(f"/api/v1/tenants/{t['id']}/lighting/cabinets/999/programme/preview",
                           headers=h, json={"programme": {"preset": "cut_23_5"}})
        assert site.status_code == 404
