"""Hub'Eau connector against a local stand-in replaying recorded-style fixtures: stations
found in the territory's box and upstream, values in SI units, 206 pages followed,
malformed items skipped and counted, a 6-hour outage caught up with no gap and no
duplicate, the job limited to opted-in tenants, the CLI."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import orjson
import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from beffroi.core import assets, tenants
from beffroi.core.access import CLI, open_scope
from beffroi.core.errors import Invalid
from beffroi.core.reference import demonstrator_boundaries
from beffroi.core.registry import load_registry
from beffroi.domains.risks import hubeau
from beffroi.domains.risks.cli import risks
from beffroi.storage import schema

from .hubeau_server import HubEauStandIn, load

T0 = datetime(2026, 11, 20, tzinfo=UTC)
INSEE = "88383"
EXPECTED = {"A405062001", "A414061001",  # in the box (+10 km)
            "A400061001", "A401061001", "A402062001",  # the 3 just upstream on the Moselle
            "A412061001", "A413061001"}  # upstream on the Moselotte


def ms(at: datetime) -> int:
    return int(at.timestamp() * 1000)


@pytest.fixture
def registry():
    return load_registry(["generic", "risks"])


@pytest.fixture
def stand_in(monkeypatch):
    with HubEauStandIn() as server:
        monkeypatch.setenv(hubeau.URL_ENV, server.base)
        yield server


def _boundary(insee: str) -> dict:
    return next(f["geometry"] for f in demonstrator_boundaries()["features"]
                if f["properties"]["code"] == insee)


def make_tenant(db, registry, name="CC Remiremont", enabled=True) -> int:
    with db.write() as conn:
        tenant = tenants.create_tenant(db, conn, CLI, name=name, registry=registry)
        scope = open_scope(db, conn, CLI, tenant["id"])
        tenants.create_commune(scope, conn, {"insee": INSEE, "name": "Remiremont",
                                             "boundary": _boundary(INSEE)})
        if enabled:
            tenants.update_tenant(scope, conn, {"settings": {hubeau.HUBEAU_ENABLED: True}},
                                  registry)
    return tenant["id"]


def client(sleeps=None) -> hubeau.HubEauClient:
    return hubeau.HubEauClient(sleep=(sleeps.append if sleeps is not None else lambda s: None))


def gauges(db, tenant) -> dict:
    a = schema.assets
    with db.read() as conn:
        return {r.ref: r for r in conn.execute(select(a).where(a.c.tenant_id == tenant,
                                                               a.c.kind == "risks.gauge"))}


def series(db, tenant, ref, metric) -> list[tuple[int, float, int]]:
    a, s, o = schema.assets, schema.streams, schema.observations
    with db.read() as conn:
        return [tuple(r) for r in conn.execute(
            select(o.c.t, o.c.value, o.c.quality)
            .join(s, (s.c.tenant_id == o.c.tenant_id) & (s.c.id == o.c.stream_id))
            .join(a, (a.c.tenant_id == s.c.tenant_id) & (a.c.id == s.c.asset_id))
            .where(o.c.tenant_id == tenant, a.c.ref == ref, s.c.metric == metric)
            .order_by(o.c.t))]


def test_stations_in_the_box_and_upstream(db, registry, stand_in):
    tenant = make_tenant(db, registry)
    with db.write() as conn, client() as c:
        found = hubeau.discover_stations(open_scope(db, conn, CLI, tenant), conn, registry, c)
    assert (found.found, found.created, found.upstream) == (7, 7, 5)
    made = gauges(db, tenant)
    assert set(made) == {f"hubeau:{code}" for code in EXPECTED}
    # The box asked for: Remiremont's boundary widened by 10 km, computed here.
    coords = [p for ring in _boundary(INSEE)["coordinates"] for p in ring] \
        if _boundary(INSEE)["type"] == "Polygon" else \
        [p for poly in _boundary(INSEE)["coordinates"] for ring in poly for p in ring]
    xs, ys = [p[0] for p in coords], [p[1] for p in coords]
    dlat = 10 / 111.32
    dlon = 10 / (111.32 * math.cos(math.radians((min(ys) + max(ys)) / 2)))
    [bbox] = [q["bbox"][0] for path, q in stand_in.log if "bbox" in q]
    assert [float(v) for v in bbox.split(",")] == pytest.approx(
        [min(xs) - dlon, min(ys) - dlat, max(xs) + dlon, max(ys) + dlat], abs=1e-4)
    remiremont = made["hubeau:A405062001"]
    props = orjson.loads(remiremont.properties)
    assert props == {"station_code": "A405062001", "source": "hubeau", "river": "La Moselle"}
    assert orjson.loads(remiremont.external_ids) == {"hubeau": "A405062001"}
    assert remiremont.commune_insee == INSEE and remiremont.name == "La Moselle à Remiremont"
    assert orjson.loads(remiremont.geometry)["coordinates"] == [6.5885, 48.0146]
    assert made["hubeau:A414061001"].commune_insee is None  # Vagney is not a commune of the tenant
    s = schema.streams
    with db.read() as conn:
        metrics = {(r.asset_id, r.metric, r.unit) for r in conn.execute(
            select(s).where(s.c.tenant_id == tenant))}
    assert metrics == {(row.id, "hydro.level", "m") for row in made.values()}
    # Again: nothing new.
    with db.write() as conn, client() as c:
        again = hubeau.discover_stations(open_scope(db, conn, CLI, tenant), conn, registry, c)
    assert (again.created, again.adopted) == (0, 7)
    assert len(gauges(db, tenant)) == 7


def test_a_gauge_already_declared_is_adopted(db, registry, stand_in):
    tenant = make_tenant(db, registry)
    with db.write() as conn:
        scope = open_scope(db, conn, CLI, tenant)
        assets.create_asset(scope, conn, registry, {
            "ref": "HYD-REM", "kind": "risks.gauge", "name": "Échelle de Remiremont",
            "commune": INSEE, "geometry": {"type": "Point", "coordinates": [6.59, 48.01]},
            "properties": {"station_code": "A405062001", "level_yellow_m": 2.0}})
        with client() as c:
            found = hubeau.discover_stations(scope, conn, registry, c)
    assert (found.created, found.adopted) == (6, 1)
    assert "hubeau:A405062001" not in gauges(db, tenant) and "HYD-REM" in gauges(db, tenant)


def test_without_boundaries_the_search_is_refused(db, registry, stand_in):
    with db.write() as conn:
        tenant = tenants.create_tenant(db, conn, CLI, name="Sans contours", registry=registry)
        scope = open_scope(db, conn, CLI, tenant["id"])
        tenants.create_commune(scope, conn, {"insee": INSEE, "name": "Remiremont"})
        with pytest.raises(Invalid, match="contour"), client() as c:
            hubeau.discover_stations(scope, conn, registry, c)


def test_recorded_pages_give_si_values_and_skip_malformed_items(db, registry, stand_in,
                                                                caplog):
    tenant = make_tenant(db, registry)
    stand_in.mode = "pages"
    with caplog.at_level("WARNING", "beffroi.risks.hubeau"):
        result = hubeau.sync_tenant(db, tenant, registry, client(), now=ms(T0 + timedelta(
            hours=1)))
    obs = result["observations"]
    assert (obs["pages"], obs["malformed"], obs["stored"], obs["failed"]) == (2 + 6, 4, 7, [])
    assert "4 malformed" in caplog.text
    cursors = [q.get("cursor") for path, q in stand_in.log
               if path.endswith("observations_tr") and q["code_entite"] == ["A405062001"]]
    assert cursors == [None, ["AoJwgKb8"]]
    # Independently: every well-formed item of the two pages, mm -> m and L/s -> m3/s.
    items = [i for name in ("observations_tr_page1.json", "observations_tr_page2.json")
             for i in load(name)["data"] if isinstance(i, dict)
             and i["grandeur_hydro"] in ("H", "Q") and isinstance(i["resultat_obs"], int | float)
             and i["date_obs"][:4] == "2026"]
    for grandeur, metric in (("H", "hydro.level"), ("Q", "hydro.flow")):
        expected = sorted((ms(datetime.fromisoformat(i["date_obs"].replace("Z", "+00:00"))),
                           i["resultat_obs"] / 1000, 1 if i["code_qualification_obs"] == 12
                           else 0) for i in items if i["grandeur_hydro"] == grandeur)
        got = series(db, tenant, "hubeau:A405062001", metric)
        assert [(t, q) for t, _, q in got] == [(t, q) for t, _, q in expected]
        assert [v for _, v, _ in got] == pytest.approx([v for _, v, _ in expected])
    level = series(db, tenant, "hubeau:A405062001", "hydro.level")
    assert level[0] == (ms(datetime(2026, 11, 19, 23, 20, tzinfo=UTC)), 1.262, 0)  # +01:00
    assert level[-1][1] == pytest.approx(1.251)
    flow = series(db, tenant, "hubeau:A405062001", "hydro.flow")
    assert flow[-1][1] == pytest.approx(25.9505)
    s = schema.streams
    with db.read() as conn:
        units = {r.metric: r.unit for r in conn.execute(select(s).where(s.c.tenant_id == tenant))}
    assert units == {"hydro.level": "m", "hydro.flow": "m3/s"}


def _expected_series(code: str, grandeur: str, until: datetime) -> list[tuple[int, float]]:
    return [(ms(datetime.fromisoformat(i["date_obs"].replace("Z", "+00:00"))),
             i["resultat_obs"] / 1000)
            for i in load("observations_tr_series.json")["data"]
            if i["code_station"] == code and i["grandeur_hydro"] == grandeur
            and datetime.fromisoformat(i["date_obs"].replace("Z", "+00:00")) <= until]


def test_six_hour_outage_is_caught_up_without_gap_or_duplicate(db, registry, stand_in,
                                                               monkeypatch):
    monkeypatch.setattr(hubeau, "PAGE_SIZE", 40)  # several 206 pages per station
    tenant = make_tenant(db, registry)
    start = T0 + timedelta(days=1)
    stand_in.available_until = start
    first = hubeau.sync_tenant(db, tenant, registry, client(), now=ms(start))["observations"]
    assert first["failed"] == [] and first["malformed"] == 0
    assert first["stored"] == 97 + 97 + 49
    assert any("cursor" in q for path, q in stand_in.log if path.endswith("observations_tr"))
    # Hub'Eau down for six hours: every poll fails after its retries, nothing breaks.
    stand_in.down = True
    for hours in (2, 4, 6):
        sleeps: list[float] = []
        stand_in.available_until = start + timedelta(hours=hours)
        down = hubeau.poll_observations(db, tenant, registry, client(sleeps),
                                        now=ms(start + timedelta(hours=hours)))
        assert down.stored == 0 and len(down.failed) == 7
        assert "HTTP 503" in down.failed[0]
        assert sleeps.count(hubeau.BACKOFF_S * 4) == 7  # 2, 4, 8 s before retries 1-3
    # Back with the backlog: asked from the last stored time.
    stand_in.down = False
    stand_in.log.clear()
    back_at = start + timedelta(hours=6)
    stand_in.available_until = back_at
    back = hubeau.poll_observations(db, tenant, registry, client(), now=ms(back_at))
    [since] = {q["date_debut_obs"][0] for path, q in stand_in.log
               if path.endswith("observations_tr") and q["code_entite"] == ["A405062001"]
               and "cursor" not in q}
    assert since == "2026-11-21T00:00:00Z"
    assert back.stored == 24 + 24 + 12
    assert back.duplicates == 3  # the last point of each stream, asked again
    for code, grandeur, metric in (("A405062001", "H", "hydro.level"),
                                   ("A405062001", "Q", "hydro.flow"),
                                   ("A414061001", "H", "hydro.level")):
        got = series(db, tenant, f"hubeau:{code}", metric)
        expected = _expected_series(code, grandeur, back_at)
        assert [t for t, _, _ in got] == [t for t, _ in expected]  # no gap, no duplicate
        assert [v for _, v, _ in got] == pytest.approx([v for _, v in expected])
    step = {b - a for (a, _, _), (b, _, _) in zip(got[:-1], got[1:], strict=True)}
    assert step == {30 * 60_000}  # A414061001 publishes every 30 min: no hole
    o = schema.observations
    with db.read() as conn:
        total, distinct = conn.execute(select(func.count(), func.count(func.distinct(
            o.c.stream_id * 10_000_000_000_000 + o.c.t))).where(o.c.tenant_id == tenant)).one()
    assert total == distinct == 121 + 121 + 61
    # Nothing new: nothing stored.
    assert hubeau.poll_observations(db, tenant, registry, client(), now=ms(back_at)).stored == 0
    # Polled readings are not audited, like a device's; the stations created are.
    log = schema.audit_log
    with db.read() as conn:
        actions = [(r.action, r.entity) for r in conn.execute(
            select(log.c.action, log.c.entity).where(log.c.tenant_id == tenant))]
    assert [a for a in actions if a[0] == "ingest"] == []
    assert actions.count(("create", "asset")) == 7


def test_page_size_stays_within_the_service_limit(db, registry, stand_in, monkeypatch):
    monkeypatch.setattr(hubeau, "PAGE_SIZE", 50_000)
    tenant = make_tenant(db, registry)
    stand_in.available_until = T0 + timedelta(hours=2)
    result = hubeau.sync_tenant(db, tenant, registry, client(), now=ms(T0 + timedelta(hours=2)))
    assert result["observations"]["failed"] == []
    sizes = {q["size"][0] for path, q in stand_in.log if path.endswith("observations_tr")}
    assert sizes == {"20000"}


def test_a_next_link_to_another_host_is_not_followed(stand_in):
    with client() as c:
        c._get = lambda url, params: {"data": [1], "next": "http://169.254.169.254/x"}
        pages = c.pages("observations_tr", {})
        assert next(pages) == [1]
        with pytest.raises(hubeau.HubEauUnavailable, match="autre hôte"):
            next(pages)


def test_a_request_error_is_not_retried(stand_in):
    sleeps: list[float] = []
    with client(sleeps) as c, pytest.raises(hubeau.HubEauUnavailable, match="HTTP 404"):
        list(c.pages("inconnu", {}))
    assert c.requests == 1


def test_the_job_polls_opted_in_tenants_only(db, registry, stand_in):
    on = make_tenant(db, registry, "CC Porte des Vosges méridionales")
    off = make_tenant(db, registry, "Autre territoire", enabled=False)
    stand_in.available_until = T0 + timedelta(hours=1)
    hubeau.run_poll_job(db, registry, ms(T0 + timedelta(hours=1)), client_factory=client)
    assert len(gauges(db, on)) == 7 and gauges(db, off) == {}
    assert len(series(db, on, "hubeau:A405062001", "hydro.level")) == 5


def test_the_setting_is_a_boolean(db, registry):
    tenant = make_tenant(db, registry, enabled=False)
    with db.write() as conn:
        scope = open_scope(db, conn, CLI, tenant)
        with pytest.raises(Invalid) as err:
            tenants.update_tenant(scope, conn, {"settings": {hubeau.HUBEAU_ENABLED: "oui"}},
                                  registry)
    assert hubeau.HUBEAU_ENABLED in str(err.value.errors)


@pytest.mark.parametrize("db", ["sqlite"], indirect=True)  # the command line, once
def test_cli_sync_with_progress(db, registry, stand_in, monkeypatch):
    monkeypatch.setattr(hubeau, "POLITE_DELAY_S", 0)
    monkeypatch.setattr(hubeau, "FIRST_DAYS", 400)
    tenant = make_tenant(db, registry)
    result = CliRunner().invoke(risks, ["hubeau-sync", "--tenant", str(tenant), "--db", db.url])
    assert result.exit_code == 0, result.output
    assert "7 stations trouvées (5 en amont) : 7 créées" in result.output
    assert "Stations relevées : 7/7" in result.output
    assert "303 observations enregistrées" in result.output


def test_the_daily_job_refreshes_the_stations_of_opted_in_tenants(db, registry, stand_in,
                                                                  monkeypatch):
    monkeypatch.setattr(hubeau, "POLITE_DELAY_S", 0)
    on = make_tenant(db, registry, "Territoire inscrit")
    off = make_tenant(db, registry, "Territoire non inscrit", enabled=False)
    hubeau.run_stations_job(db, registry, ms(T0))
    assert len(gauges(db, on)) == 7 and gauges(db, off) == {}
    assert series(db, on, "hubeau:A405062001", "hydro.level") == []  # stations only


def test_upstream_stations_are_those_of_upstream_sites():
    from beffroi.domains.risks.hubeau import upstream_of

    def station(code):
        return {"code": code}

    local = [station("A405062001"), station("A414061001")]
    river = [station(c) for c in ("A400061001", "A401061001", "A401061002", "A402062001",
                                  "A405062000", "A405062001", "A406061001")]
    # A405062000 is another station of the territory's site A4050620, not upstream of it;
    # two stations of the same upstream site both count.
    assert [s["code"] for s in upstream_of(local, river)] == [
        "A401061001", "A401061002", "A402062001"]
