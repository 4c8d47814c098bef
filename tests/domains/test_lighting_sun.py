"""Sun events: numpy NOAA vs astral, vs PyEphem over a year, CLI and API."""

from __future__ import annotations

from datetime import UTC, date, datetime

import ephem
import numpy as np
import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient
from suite_apps import fresh_app

from beffroi.cli.main import add_domain_commands, cli
from beffroi.core.registry import load_registry
from beffroi.domains.lighting.sun import EVENTS, astral_events, is_night, sun_events
from suite_accounts import bearer

YEAR = (date(2027, 1, 1), date(2027, 12, 31))


def _ephem_events(lat: float, lon: float, on: date) -> dict[str, float]:
    observer = ephem.Observer()
    observer.lat, observer.lon, observer.elevation = str(lat), str(lon), 0
    observer.pressure = 0  # no refraction model of its own: the horizon carries it
    observer.date = ephem.Date(datetime(on.year, on.month, on.day, tzinfo=UTC)
                               .replace(tzinfo=None))
    sun = ephem.Sun()
    out = {}
    observer.horizon = "-0:34"
    out["sunrise"] = observer.next_rising(sun, use_center=False)
    out["sunset"] = observer.next_setting(sun, use_center=False)
    observer.horizon = "-6"
    out["civil_dawn"] = observer.next_rising(sun, use_center=True)
    out["civil_dusk"] = observer.next_setting(sun, use_center=True)
    return {k: ephem.Date(v).datetime().replace(tzinfo=UTC).timestamp() for k, v in out.items()}


def test_demo_communes_agree_with_pyephem_within_30_s_all_year(communes):
    """Both sides use the same conventions, from DOMAIN-FACTS: sunrise/sunset when the upper
    limb is 34' below the horizon (Beffroi: sun centre at zenith 90.833° = 34' refraction +
    16' mean semi-diameter; PyEphem: pressure=0, horizon='-0:34', use_center=False, its own
    true semi-diameter of the day), civil dawn/dusk with the sun's centre 6° below the
    horizon (Beffroi: zenith 96°, no refraction; PyEphem: horizon='-6', use_center=True).
    Sea level on both sides. PyEphem (VSOP87/Meeus ephemeris in libastro) is independent of
    astral's NOAA equations. Every local date of 2027 (both DST changes included)."""
    assert len(communes) == 10  # representative points of the demo EPCI's communes
    lat = np.array([c.lat for c in communes.values()])
    lon = np.array([c.lon for c in communes.values()])
    ours = sun_events(lat, lon, *YEAR)
    worst = 0.0
    for i, (la, lo) in enumerate(zip(lat, lon, strict=True)):
        for j, on in enumerate(ours.dates):
            ref = _ephem_events(la, lo, on)
            for event in EVENTS:
                worst = max(worst, abs(getattr(ours, event)[i, j] - ref[event]))
    print(f"max deviation vs PyEphem: {worst:.1f} s")
    assert worst < 30


def test_numpy_events_match_astral_within_a_second():
    rng = np.random.default_rng(6)
    lat, lon = rng.uniform(47.8, 48.5, 5), rng.uniform(5.4, 7.2, 5)
    ours = sun_events(lat, lon, *YEAR)
    days = rng.choice(365, 25, replace=False)
    for i in range(5):
        for j in days:
            ref = astral_events(float(lat[i]), float(lon[i]), ours.dates[j])
            for event in EVENTS:
                assert abs(getattr(ours, event)[i, j] - ref[event]) < 1, (i, j, event)


def test_rows_are_local_dates_across_dst_changes():
    # 28 March and 31 October 2027: the days of the clock changes in France.
    ours = sun_events(48.017, 6.591, date(2027, 3, 27), date(2027, 3, 29))
    for j, on in enumerate(ours.dates):
        for event in EVENTS:
            t = datetime.fromtimestamp(getattr(ours, event)[0, j], UTC)
            assert t.date() == on and 0 <= t.hour < 22
    # Sunrise moves by about 2 min a day in spring, never by an hour at the change.
    assert np.all(np.abs(np.diff(ours.sunrise[0]) - 86400) < 300)


def test_no_crossing_gives_nan_and_far_positions_keep_local_dates():
    ours = sun_events([70.0, -33.9], [20.0, 151.2], date(2027, 6, 1), date(2027, 6, 3))
    assert np.isnan(ours.sunset[0]).all()  # midnight sun at Tromsø
    sydney = [datetime.fromtimestamp(t, UTC) for t in ours.sunrise[1]]
    # Sydney's sunrise of 2 June local is at 20:5x UTC on 1 June = 22:5x in Paris on 1 June.
    assert [(t.day, t.hour) for t in sydney] == [(1, 20), (2, 20), (3, 20)]


def test_is_night_uses_the_local_date():
    rise = sun_events(48.017, 6.591, date(2027, 1, 1), date(2027, 1, 1)).sunrise[0, 0]
    t = np.array([rise - 60, rise + 60, rise + 16 * 3600])
    assert is_night(t, 48.017, 6.591).tolist() == [True, False, True]
    assert is_night(np.array([]), 48.0, 6.5).tolist() == []


@pytest.fixture
def lighting_client(db):
    registry = load_registry(["generic", "lighting"])
    with TestClient(fresh_app(db, registry)) as c:
        yield c, registry


def _run(*args: str):
    return CliRunner().invoke(add_domain_commands(cli), ["lighting", "sun", *args])


def test_cli_prints_one_csv_row_per_local_date():
    result = _run("--lat", "48.017", "--lon", "6.591", "--from", "2027-01-01",
                  "--to", "2027-12-31")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "date,sunrise_utc,sunset_utc,civil_dawn_utc,civil_dusk_utc"
    assert len(lines) == 366
    first = lines[1].split(",")
    assert first[0] == "2027-01-01"
    ref = astral_events(48.017, 6.591, date(2027, 1, 1))
    for value, event in zip(first[1:], EVENTS, strict=True):
        assert value.endswith("Z")
        parsed = datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
        assert abs(parsed.timestamp() - ref[event]) <= 1
    assert lines[-1].startswith("2027-12-31,")


@pytest.mark.parametrize(("args", "message"), [
    (("--lat", "91", "--lon", "6.5"), "latitude"),
    (("--lat", "abc", "--lon", "6.5"), "latitude"),
    (("--lat", "48", "--lon", "181"), "longitude"),
    (("--lat", "48", "--lon", "6.5", "--from", "2027-13-01"), "AAAA-MM-JJ"),
    (("--lat", "48", "--lon", "6.5", "--from", "2027-02-01", "--to", "2027-01-01"),
     "postérieure"),
    (("--lat", "48", "--lon", "6.5", "--from", "2020-01-01", "--to", "2031-01-01"), "10 ans"),
])
def test_cli_rejects_bad_input_in_french(args, message):
    result = _run(*args)
    assert result.exit_code == 2
    assert message in result.output


def test_api_sun_table(lighting_client):
    client, _ = lighting_client
    r = client.get("/api/v1/lighting/sun", params={"lat": 48.017, "lon": 6.591,
                                                   "from": "2027-03-27", "to": "2027-03-28"})
    assert r.status_code == 200, r.text
    rows = r.json()
    assert [row["date"] for row in rows] == ["2027-03-27", "2027-03-28"]
    assert rows[0]["sunrise_utc"].endswith("Z")
    assert rows[0]["sunrise_local"].endswith("+01:00")
    assert rows[1]["sunrise_local"].endswith("+02:00")


@pytest.mark.parametrize(("params", "field"), [
    ({"lat": 95, "lon": 6}, "lat"),
    ({"lat": 48, "lon": "x"}, "lon"),
    ({"lat": 48, "lon": 6, "from": "demain"}, "from"),
    ({"lat": 48, "lon": 6, "from": "2027-02-01", "to": "2027-01-01"}, "to"),
    ({"lat": 48, "lon": 6, "from": "2020-01-01", "to": "2031-01-01"}, "to"),
])
def test_api_sun_table_rejects_bad_parameters(lighting_client, params, field):
    client, _ = lighting_client
    r = client.get("/api/v1/lighting/sun", params=params)
    assert r.status_code == 422
    assert r.headers["content-type"] == "application/problem+json"
    assert field in [e["field"] for e in r.json()["errors"]]


def test_cabinet_sun_table_is_tenant_scoped(lighting_client, db, operator):
    from beffroi.core import assets, tenants, users
    from beffroi.core.access import CLI, open_scope

    client, registry = lighting_client
    made = {}
    with db.write() as conn:
        for name, insee in (("Éclairage A", "88383"), ("Éclairage B", "51237")):
            t = tenants.create_tenant(db, conn, CLI, name=name, registry=registry)
            scope = open_scope(db, conn, CLI, t["id"])
            tenants.create_commune(scope, conn, {"insee": insee, "name": name})
            cabinet = assets.create_asset(scope, conn, registry, {
                "ref": f"ARM-{insee}", "kind": "lighting.cabinet", "name": "Armoire 1",
                "commune": insee, "geometry": {"type": "Point", "coordinates": [6.591, 48.017]}})
            site = assets.create_asset(scope, conn, registry, {
                "ref": f"S-{insee}", "kind": "generic.site", "name": "Site", "commune": insee,
                "geometry": {"type": "Point", "coordinates": [6.591, 48.017]}})
            made[name[-1]] = (t["id"], cabinet.id, site.id)
        users.add_member(open_scope(db, conn, CLI, made["A"][0]),
                         conn, {"email": "a@x.fr", "role": "viewer", "password": "password-123"})
    h = bearer(client, "a@x.fr", "password-123")
    (ta, cab_a, site_a), (tb, cab_b, _) = made["A"], made["B"]
    url = f"/api/v1/tenants/{ta}/lighting/cabinets/{cab_a}/sun"
    r = client.get(url, params={"from": "2027-01-01", "to": "2027-01-31"}, headers=h)
    assert r.status_code == 200, r.text
    body = r.json()
    assert len(body["rows"]) == 31 and body["lat"] == pytest.approx(48.017)
    assert body["rows"][0]["date"] == "2027-01-01"
    assert client.get(f"/api/v1/tenants/{ta}/lighting/cabinets/{site_a}/sun",
                      headers=h).status_code == 404
    # Another tenant's cabinet, directly or smuggled through A's path: not found.
    assert client.get(f"/api/v1/tenants/{tb}/lighting/cabinets/{cab_b}/sun",
                      headers=h).status_code == 404
    assert client.get(f"/api/v1/tenants/{ta}/lighting/cabinets/{cab_b}/sun",
                      headers=h).status_code == 404
    assert client.get(url).status_code == 401
    assert client.get(url, params={"from": "x"}, headers=h).status_code == 422
