"""A cabinet's programme: stored on the cabinet, pushed to a remote controller through the
command pipeline (and again when a seasonal variant starts), written out for agents who
set a plain clock by hand, and followed by the simulated meter."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import numpy as np
import orjson
import pytest
from fastapi.testclient import TestClient
from suite_apps import fresh_app

from beffroi.connectivity.downlinks import dispatch_due, handle_mqtt_ack
from beffroi.core import assets, devices, tenants, users
from beffroi.core.access import CLI, open_scope
from beffroi.core.clock import PARIS, now_ms
from beffroi.core.registry import DemoAsset, load_registry
from beffroi.domains.lighting.cabinet_programme import (
    cabinet_programme,
    parse_steps_text,
    programme_levels,
    push_seasonal_steps,
    steps_text,
)
from beffroi.domains.lighting.commands import encode_programme
from beffroi.domains.lighting.demo.simulator import simulate
from beffroi.domains.lighting.programmes import PRESETS, burn_hours, night_plan
from beffroi.storage import schema

REMIREMONT = (48.0167, 6.5917)
SUMMER_CUT = {"label": "Extinction 23 h–5 h, minuit en été", "steps": [
    {"at": "sunset", "level": 100}, {"at": "23:00", "level": 0}, {"at": "05:00", "level": 100},
    {"at": "sunrise", "level": 0}], "variants": [{"label": "Été", "start": "06-01",
                                                "end": "08-31", "steps": [
        {"at": "sunset", "level": 100}, {"at": "00:00", "level": 0},
        {"at": "05:00", "level": 100}, {"at": "sunrise", "level": 0}]}]}


@pytest.fixture
def world(db):
    registry = load_registry(["generic", "lighting"])
    with db.write() as conn:
        t = tenants.create_tenant(db, conn, CLI, name="CC", registry=registry)
        scope = open_scope(db, conn, CLI, t["id"])
        tenants.create_commune(scope, conn, {"insee": "88383", "name": "Remiremont"})
        ids = {}
        for ref, switching in (("ARM-REMOTE", "remote"), ("ARM-CLOCK", "astronomical_clock")):
            ids[ref] = assets.create_asset(scope, conn, registry, {
                "ref": ref, "kind": "lighting.cabinet", "name": f"Armoire {ref}",
                "commune": "88383", "properties": {"switching": switching},
                "geometry": {"type": "Point", "coordinates": [6.5917, 48.0167]}}).id
        devices.create_device(scope, conn, {"name": "Contrôleur", "asset_id": ids["ARM-REMOTE"]},
                              registry)
        for email, role in (("agent@cc.fr", "agent"), ("lecteur@cc.fr", "viewer")):
            users.add_member(scope, conn, {"email": email, "role": role,
                                           "password": "password-123"})
    with TestClient(fresh_app(db, registry)) as client:
        def headers(email):
            token = client.post("/api/v1/auth/token", json={
                "email": email, "password": "password-123"}).json()["access_token"]
            return {"Authorization": f"Bearer {token}"}

        yield {"db": db, "registry": registry, "client": client, "tenant": t["id"], "ids": ids,
               "agent": headers("agent@cc.fr"), "viewer": headers("lecteur@cc.fr"),
               "base": f"/api/v1/tenants/{t['id']}/lighting/cabinets"}


def commands_of(world, asset_id):
    with world["db"].read() as conn:
        c = schema.commands
        return list(conn.execute(c.select().where(c.c.asset_id == asset_id).order_by(c.c.id)))


def test_a_plain_clock_cabinet_stores_its_programme_and_gets_manual_settings(world):
    client, url = world["client"], f"{world['base']}/{world['ids']['ARM-CLOCK']}/programme"
    before = client.get(url, headers=world["viewer"]).json()
    assert (before["source"], before["programme"]["key"]) == ("default", "dusk_to_dawn")
    answer = client.put(url, headers=world["agent"], json={"programme": SUMMER_CUT})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["source"] == "stored" and body["remote"] is False
    assert body["manual_settings"] == [
        "Toute l'année : coucher du soleil : pleine puissance ; 23:00 : extinction ; "
        "05:00 : pleine puissance ; lever du soleil : extinction",
        "Du 01/06 au 31/08 (Été) : coucher du soleil : pleine puissance ; 00:00 : extinction ; "
        "05:00 : pleine puissance ; lever du soleil : extinction"]
    assert commands_of(world, world["ids"]["ARM-CLOCK"]) == []  # nothing to push to
    assert client.get(url, headers=world["viewer"]).json()["programme"]["variants"][0][
        "start"] == "06-01"


def test_bad_programmes_are_refused_field_by_field_and_change_nothing(world):
    client, url = world["client"], f"{world['base']}/{world['ids']['ARM-REMOTE']}/programme"
    bad = {"programme": {"steps": [{"at": "sunset", "level": 100}, {"at": "25:00", "level": 0},
                                   {"at": "sunrise", "level": 150}]}, "push": "oui", "x": 1}
    answer = client.put(url, headers=world["agent"], json=bad)
    assert answer.status_code == 422
    assert {e["field"] for e in answer.json()["errors"]} == {
        "programme.steps[1].at", "programme.steps[2].level", "push", "x"}
    assert client.put(url, headers=world["viewer"], json={
        "programme": {"preset": "cut_23_5"}}).status_code == 403
    nine = {"steps": [{"at": f"{h:02d}:00", "level": 100 - h} for h in range(13, 22)]}
    too_long = client.put(url, headers=world["agent"], json={"programme": nine})
    assert too_long.status_code == 422 and "8 étapes" in too_long.text
    assert client.get(url, headers=world["viewer"]).json()["source"] == "default"
    assert commands_of(world, world["ids"]["ARM-REMOTE"]) == []


def test_a_remote_cabinet_gets_its_dimming_programme_through_the_pipeline(world):
    client, cabinet = world["client"], world["ids"]["ARM-REMOTE"]
    url = f"{world['base']}/{cabinet}/programme"
    answer = client.put(url, headers=world["agent"], json={"programme": {"preset": "dim_50_22_6"}})
    assert answer.status_code == 200, answer.text
    assert answer.json()["last_push"]["steps"] == "sunset=100 22:00=50 06:00=100 sunrise=0"
    published: list = []
    dispatch_due(world["db"], world["registry"], now_ms(),
                 mqtt_publish=lambda t, p: published.append((t, p)))
    [(topic, payload)] = published
    message = orjson.loads(payload)
    assert message["action"] == "lighting.set_programme"
    assert message["params"] == {"steps": "sunset=100 22:00=50 06:00=100 sunrise=0"}
    handle_mqtt_ack(world["db"], world["tenant"], int(topic.split("/")[3]), orjson.dumps(
        {"command_id": message["command_id"], "status": "ok"}), now_ms())
    status = client.get(url, headers=world["viewer"]).json()
    assert status["last_push"]["status"] == "acknowledged"
    assert status["last_push"]["up_to_date"] is True and status["manual_settings"] == []
    # The same bytes as the preset sent by name.
    assert encode_programme({"steps": message["params"]["steps"]}) == encode_programme(
        {"programme": "dim_50_22_6"})


def test_seasonal_variants_are_pushed_when_they_start_and_end(world):
    db, registry, cabinet = world["db"], world["registry"], world["ids"]["ARM-REMOTE"]
    client = world["client"]
    client.put(f"{world['base']}/{cabinet}/programme", headers=world["agent"],
               json={"programme": SUMMER_CUT, "push": False})

    def at(day: str) -> int:
        return int(datetime.fromisoformat(f"{day}T14:00").replace(tzinfo=PARIS).timestamp()
                   * 1000)

    assert push_seasonal_steps(db, registry, at("2027-05-30")) == 1  # never pushed yet
    assert push_seasonal_steps(db, registry, at("2027-05-31")) == 0  # unchanged
    assert push_seasonal_steps(db, registry, at("2027-06-01")) == 1  # summer starts
    assert push_seasonal_steps(db, registry, at("2027-07-14")) == 0
    assert push_seasonal_steps(db, registry, at("2027-09-01")) == 1  # summer ends
    pushed = [orjson.loads(c.params)["steps"] for c in commands_of(world, cabinet)]
    assert pushed == ["sunset=100 23:00=0 05:00=100 sunrise=0",
                      "sunset=100 00:00=0 05:00=100 sunrise=0",
                      "sunset=100 23:00=0 05:00=100 sunrise=0"]
    # The plain clock cabinet has nothing to receive.
    assert commands_of(world, world["ids"]["ARM-CLOCK"]) == []


def test_set_programme_command_takes_a_preset_or_steps(world):
    client, h = world["client"], world["agent"]
    url = f"/api/v1/tenants/{world['tenant']}/commands"
    cabinet = world["ids"]["ARM-REMOTE"]
    for params, field in [({}, "params.programme"),
                          ({"programme": "cut_23_5", "steps": "sunset=100 sunrise=0"},
                           "params.programme"),
                          ({"steps": "sunset=100 23h=0 sunrise=0"}, "params.steps"),
                          ({"steps": "sunset=100 23:00=120 sunrise=0"}, "params.steps")]:
        answer = client.post(url, headers=h, json={
            "asset_id": cabinet, "action": "lighting.set_programme", "params": params})
        assert answer.status_code == 422, params
        assert [e["field"] for e in answer.json()["errors"]] == [field], params
    ok = client.post(url, headers=h, json={"asset_id": cabinet, "action": "lighting.set_programme",
                                           "params": {"steps": "sunset-10=100 sunrise+5=0"}})
    assert ok.status_code == 201, ok.text


def test_steps_text_round_trips_with_offsets():
    for programme in PRESETS.values():
        assert parse_steps_text(steps_text(programme.steps)) == programme.steps
    steps = parse_steps_text("civil_dusk-15=80 22:30=30 civil_dawn+10=0")
    assert [(s.at, s.offset_min, s.level) for s in steps] == [
        ("civil_dusk", -15, 80), ("22:30", 0, 30), ("civil_dawn", 10, 0)]


def test_legacy_night_cut_fields_read_as_a_programme():
    programme, source = cabinet_programme({"night_cut": True, "cut_start": "22:30",
                                           "cut_end": "05:30"})
    assert source == "night_cut"
    assert steps_text(programme.steps) == "sunset=100 22:30=0 05:30=100 sunrise=0"
    assert cabinet_programme({"night_cut": False})[1] == "default"
    # A stored programme wins over the legacy fields.
    stored, source = cabinet_programme({"programme": {"preset": "dim_50_22_6"},
                                        "night_cut": True, "cut_start": "23:00",
                                        "cut_end": "05:00"})
    assert (stored.key, source) == ("dim_50_22_6", "stored")


def test_levels_follow_the_night_plan_minute_by_minute():
    lat, lon = REMIREMONT
    programme = PRESETS["dim_50_22_6"]
    day = date(2027, 3, 27)  # the night of the spring clock change
    t0 = datetime(2027, 3, 27, 12, tzinfo=UTC).timestamp()
    t = np.arange(t0, t0 + 2 * 86_400, 60.0)
    levels = programme_levels(programme, t, lat, lon)
    for night in (day, day + timedelta(days=1)):
        plan = night_plan(programme, night, lat, lon)
        for (start, level), (end, _) in zip(plan, plan[1:], strict=False):
            inside = (t * 1000 >= start + 60_000) & (t * 1000 < end - 60_000)
            assert (levels[inside] == level).all()


def test_simulated_meter_matches_the_programme_burn_hours():
    """A year of the simulated energy meter equals load × hours at each level of the
    cabinet's programme (the demo's meter data is consistent with its programme)."""
    lat, lon = REMIREMONT
    cabinet = DemoAsset("ARM-TEST-001", "lighting.cabinet", "Armoire",
                        {"type": "Point", "coordinates": [lon, lat]},
                        {"connected_power_kw": 4.0, "programme": {"preset": "dim_50_22_6"}},
                        metrics=("energy.active_import",), step_s=600)
    start = datetime(2027, 1, 1, 12, tzinfo=PARIS).timestamp()
    end = datetime(2028, 1, 1, 12, tzinfo=PARIS).timestamp()
    t = np.arange(start, end, 600.0)
    index = simulate(cabinet, "energy.active_import", t, np.random.default_rng(0))
    measured = index[-1] - index[0]
    hours = burn_hours(PRESETS["dim_50_22_6"], date(2027, 1, 1), date(2027, 12, 31), lat, lon)
    expected = 4.0 * sum(level / 100 * h for level, h in hours.items())
    # 10-minute steps blur each switching by < 10 min; the load has 2 % noise.
    assert measured == pytest.approx(expected, rel=0.01)
