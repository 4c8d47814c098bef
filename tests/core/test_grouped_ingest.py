"""Small observation batches committed together (group commit): idempotence, each caller's
own scope, rules fired once, exact rollups, and an answer only after the commit."""

from __future__ import annotations

import random
import statistics
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import event, func, select

from beffroi.core import assets, devices, streams, tenants, users
from beffroi.core.access import CLI, Principal, load_principal, open_scope
from beffroi.core.alerting import rules
from beffroi.core.auth import issue_token, principal_for_token
from beffroi.core.clock import format_instant
from beffroi.core.errors import Forbidden, NotFound
from beffroi.core.observations import Post, store_posts
from beffroi.storage import schema

PARIS = ZoneInfo("Europe/Paris")
BASE = int(datetime(2026, 10, 1, tzinfo=UTC).timestamp() * 1000)
MIN = 60_000
TIMEOUT = 30


def at(minutes: float) -> str:
    return format_instant(BASE + int(minutes * MIN))


@pytest.fixture
def world(db, registry):
    """Two tenants, each with a site, two streams, an agent and a viewer; a device of A."""
    out = {}
    with db.write() as conn:
        for name in ("A", "B"):
            t = tenants.create_tenant(db, conn, CLI, name=f"Territoire {name}", registry=registry)
            scope = open_scope(db, conn, CLI, t["id"])
            tenants.create_commune(scope, conn, {"insee": "88383", "name": "Remiremont"})
            asset = assets.create_asset(scope, conn, registry, {
                "ref": f"SITE-{name}", "kind": "generic.site", "name": f"Site {name}",
                "commune": "88383", "geometry": {"type": "Point", "coordinates": [6.6, 48.0]}})
            ids = [streams.create_stream(scope, conn, registry, {
                "asset_id": asset.id, "metric": metric}).id
                for metric in ("generic.value", "generic.temperature")]
            people = {}
            for role in ("agent", "viewer"):
                member = users.add_member(scope, conn, {
                    "email": f"{role}-{name.lower()}@beffroi.test", "role": role})
                people[role] = load_principal(conn, member["id"])
            device = devices.create_device(scope, conn, {
                "name": f"Capteur {name}", "asset_id": asset.id}, registry)
            out[name] = {"tenant": t["id"], "streams": ids, "device": device.id, **people}
    return out


def post(world, registry, who: Principal, tenant: str, items) -> Post:
    return Post(who, str(world[tenant]["tenant"]), items, registry)


def count(db, stream_id: int) -> int:
    o = schema.observations
    with db.read() as conn:
        return conn.execute(select(func.count()).select_from(o).where(
            o.c.stream_id == stream_id)).scalar_one()


def test_a_point_sent_by_two_batches_of_a_group_is_stored_once(db, registry, world):
    a = world["A"]
    sid = a["streams"][0]
    point = {"stream_id": sid, "time": at(0), "value": 1.5}
    with db.write() as conn:
        first, second = store_posts(db, conn, [
            post(world, registry, a["agent"], "A", [point]),
            post(world, registry, a["agent"], "A", [point, {**point, "time": at(10)}])])
    assert (first.stored, first.duplicates) == (1, 0)
    assert (second.stored, second.duplicates) == (1, 1)
    with db.write() as conn:  # a later group: the point is already stored
        [again] = store_posts(db, conn, [post(world, registry, a["agent"], "A", [point])])
    assert (again.stored, again.duplicates) == (0, 1)
    assert count(db, sid) == 2


def test_concurrent_requests_for_the_same_point_store_one_row(db, client, world):
    """Twelve callers post the same point at once: one row, one caller told « stored »,
    the eleven others « duplicate »."""
    a = world["A"]
    with db.write() as conn:
        _, secret = issue_token(db, conn, "personal", user_id=a["agent"].user_id, name="t")
    headers = {"Authorization": f"Bearer {secret}"}
    body = [{"stream_id": a["streams"][0], "time": at(5), "value": 2.0}]
    url = f"/api/v1/tenants/{a['tenant']}/observations"
    with ThreadPoolExecutor(12) as pool:
        answers = list(pool.map(lambda _: client.post(url, headers=headers, json=body),
                                range(12)))
    assert [r.status_code for r in answers] == [200] * 12
    assert sorted((r.json()["stored"], r.json()["duplicates"]) for r in answers) == \
        [(0, 1)] * 11 + [(1, 0)]
    assert count(db, a["streams"][0]) == 1


def test_each_batch_of_a_group_is_checked_in_its_own_callers_scope(db, registry, world):
    """Callers of two tenants, with different rights, in one transaction: nobody writes
    where they may not, and a refused batch takes nothing of the others with it."""
    a, b = world["A"], world["B"]
    with db.write() as conn:
        device = principal_for_token(conn, devices.create_device_token(
            open_scope(db, conn, CLI, a["tenant"]), conn, a["device"])["token"])
    with db.write() as conn:
        results = store_posts(db, conn, [
            post(world, registry, a["agent"], "A", [{"stream_id": a["streams"][0],
                                                     "time": at(0), "value": 1.0}]),
            # B's agent names A's stream in B, then in A (of which it is no member)
            post(world, registry, b["agent"], "B", [{"stream_id": a["streams"][0],
                                                     "time": at(1), "value": 66.0},
                                                    {"stream_id": b["streams"][0],
                                                     "time": at(1), "value": 2.0}]),
            post(world, registry, b["agent"], "A", [{"stream_id": a["streams"][0],
                                                     "time": at(2), "value": 66.0}]),
            post(world, registry, a["viewer"], "A", [{"stream_id": a["streams"][0],
                                                      "time": at(3), "value": 66.0}]),
            # A's device feeds its asset's streams only: not B's
            post(world, registry, device, "A", [{"stream_id": a["streams"][1],
                                                 "time": at(4), "value": 4.0},
                                                {"stream_id": b["streams"][1],
                                                 "time": at(4), "value": 66.0}]),
        ])
    alice, bob_in_b, bob_in_a, viewer, sensor = results
    assert (alice.stored, alice.rejected) == (1, [])
    assert bob_in_b.stored == 1
    assert bob_in_b.rejected == [{"index": 0, "reason": f"flux inconnu ou non autorisé : "
                                                        f"{a['streams'][0]}"}]
    assert isinstance(bob_in_a, NotFound)
    assert isinstance(viewer, Forbidden)
    assert sensor.stored == 1
    assert [r["index"] for r in sensor.rejected] == [0 + 1]
    o = schema.observations
    with db.read() as conn:
        rows = sorted(conn.execute(select(o.c.tenant_id, o.c.stream_id, o.c.value)))
    assert rows == sorted([(a["tenant"], a["streams"][0], 1.0), (b["tenant"], b["streams"][0], 2.0),
                           (a["tenant"], a["streams"][1], 4.0)])
    # each person's write is audited in its own tenant, the device's is not
    log = schema.audit_log
    with db.read() as conn:
        audited = sorted(conn.execute(select(log.c.tenant_id, log.c.user_id).where(
            log.c.action == "ingest")))
    assert audited == sorted([(a["tenant"], a["agent"].user_id),
                              (b["tenant"], b["agent"].user_id)])


def test_a_rule_fires_once_for_the_points_of_a_group(db, registry, world):
    """Several single-point batches crossing a threshold, out of order and one point sent
    twice, in one group: one alert, opened at the first point above the threshold."""
    a = world["A"]
    sid = a["streams"][0]
    with db.write() as conn:
        rules.create_rule(open_scope(db, conn, CLI, a["tenant"]), conn, registry, {
            "name": "Seuil", "kind": "threshold", "stream_id": sid,
            "params": {"operator": "above", "value": 3.0}})
    values = [(0, 2.0), (10, 3.5), (20, 4.0), (30, 3.8)]
    batches = [[{"stream_id": sid, "time": at(m), "value": v}] for m, v in values]
    batches = [batches[2], batches[1], batches[3], batches[1], batches[0]]
    with db.write() as conn:
        reports = store_posts(db, conn, [post(world, registry, a["agent"], "A", items)
                                         for items in batches])
    assert sum(r.stored for r in reports) == 4 and sum(r.duplicates for r in reports) == 1
    alerts = schema.alerts
    with db.read() as conn:
        opened = conn.execute(select(alerts.c.opened_at).where(
            alerts.c.tenant_id == a["tenant"])).all()
    assert opened == [(BASE + 10 * MIN,)]


def _reference(points, key):
    groups: dict = {}
    for t, v in sorted(points):
        groups.setdefault(key(t), []).append(v)
    return {k: {"count": len(vs), "mean": statistics.fmean(vs), "min": min(vs), "max": max(vs),
                "sum": sum(vs), "first": vs[0], "last": vs[-1]} for k, vs in groups.items()}


def test_rollups_of_concurrent_single_point_posts_equal_a_recomputation(db, client, world):
    """240 points over a local midnight posted one per request by six clients at once,
    each client's points in random order: hourly and daily rollups are exact."""
    a = world["A"]
    sid = a["streams"][0]
    with db.write() as conn:
        _, secret = issue_token(db, conn, "personal", user_id=a["agent"].user_id, name="t")
    headers = {"Authorization": f"Bearer {secret}"}
    start = datetime(2026, 10, 1, 18, 0, tzinfo=UTC)
    points = [(start + timedelta(minutes=3 * i), round((i * 37 % 101) - 20.5, 3))
              for i in range(240)]
    order = list(points)
    random.Random(14).shuffle(order)
    url = f"/api/v1/tenants/{a['tenant']}/observations"

    def send(share):
        for t, v in share:
            response = client.post(url, headers=headers, json=[{
                "stream_id": sid, "time": t.isoformat().replace("+00:00", "Z"), "value": v}])
            assert response.status_code == 200 and response.json()["stored"] == 1

    with ThreadPoolExecutor(6) as pool:
        list(pool.map(send, [order[k::6] for k in range(6)]))
    series = f"/api/v1/tenants/{a['tenant']}/streams/{sid}/series"
    iso = lambda t: t.isoformat().replace("+00:00", "Z")  # noqa: E731
    end = points[-1][0] + timedelta(hours=1)
    hourly_ref = _reference(points, lambda t: t.replace(minute=0))
    daily_ref = _reference(points, lambda t: t.astimezone(PARIS).date())
    for agg in ("mean", "sum", "min", "max", "first", "last", "count"):
        hourly = client.get(series, headers=headers, params={
            "start": iso(start), "end": iso(end), "step": "1h", "agg": agg}).json()["points"]
        assert {datetime.fromisoformat(t): v for t, v in hourly} == pytest.approx(
            {k: r[agg] for k, r in hourly_ref.items()})
        daily = client.get(series, headers=headers, params={
            "start": iso(start - timedelta(days=1)), "end": iso(end), "step": "1d",
            "agg": agg}).json()["points"]
        assert {datetime.fromisoformat(t).astimezone(PARIS).date(): v for t, v in daily} == \
            pytest.approx({k: r[agg] for k, r in daily_ref.items()})
    assert len(daily_ref) == 2  # the points do cross a local midnight


class HeldCommit:
    """Holds the group writer's commit until released; then lets it through or fails it."""

    def __init__(self, db) -> None:
        self.db = db
        self.reached = threading.Event()
        self.release = threading.Event()
        self.fail = False

    def __call__(self, conn) -> None:
        if threading.current_thread().name != "beffroi-group-commit":
            return
        self.reached.set()
        assert self.release.wait(TIMEOUT)
        if self.fail:
            raise OSError("le serveur s'est arrêté avant la validation")

    def __enter__(self):
        event.listen(self.db.engine, "commit", self)
        return self

    def __exit__(self, *exc) -> None:
        self.release.set()
        event.remove(self.db.engine, "commit", self)


@pytest.mark.parametrize("commit_fails", [False, True], ids=["committed", "commit_fails"])
def test_a_post_is_answered_only_after_its_commit(db, app, world, commit_fails):
    from fastapi.testclient import TestClient

    client = TestClient(app, raise_server_exceptions=False)  # the answer a caller gets
    a = world["A"]
    sid = a["streams"][0]
    with db.write() as conn:
        _, secret = issue_token(db, conn, "personal", user_id=a["agent"].user_id, name="t")
    url = f"/api/v1/tenants/{a['tenant']}/observations"
    answers = []
    with HeldCommit(db) as held:
        sender = threading.Thread(target=lambda: answers.append(client.post(
            url, headers={"Authorization": f"Bearer {secret}"},
            json=[{"stream_id": sid, "time": at(0), "value": 1.0}])))
        sender.start()
        assert held.reached.wait(TIMEOUT)
        sender.join(0.5)
        assert sender.is_alive() and not answers  # written, not yet committed: no answer
        assert count(db, sid) == 0
        held.fail = commit_fails
        held.release.set()
        sender.join(TIMEOUT)
    [answer] = answers
    if commit_fails:
        assert answer.status_code == 500  # an error, never an acknowledgement
        assert count(db, sid) == 0
    else:
        assert answer.status_code == 200 and answer.json()["stored"] == 1
        assert count(db, sid) == 1


def test_two_writers_on_one_database_store_each_point_once(db, registry, world):
    """Two processes each with their own group writer (two Database objects here), sending
    the same points in different orders at once: each point stored once, counted « stored »
    exactly once across all the answers, and the rollups hold each point once."""
    from beffroi.storage.database import Database

    a = world["A"]
    sids = a["streams"]
    points = [{"stream_id": sids[i % 2], "time": at(i), "value": float(i % 50)}
              for i in range(120)]
    other = Database(db.url)
    try:
        def send(target, seed):
            order = list(points)
            random.Random(seed).shuffle(order)
            futures = [target.group_commit.submit(store_posts, post(
                world, registry, a["agent"], "A", [p])) for p in order]
            return [f.result(TIMEOUT) for f in futures]

        with ThreadPoolExecutor(4) as pool:
            answers = [r for batch in pool.map(send, [db, other, db, other], range(4))
                       for r in batch]
    finally:
        other.dispose()
    assert sum(r.stored for r in answers) == len(points)
    assert sum(r.duplicates for r in answers) == 3 * len(points)
    assert count(db, sids[0]) + count(db, sids[1]) == len(points)
    h = schema.rollups_hourly
    with db.read() as conn:
        counted = conn.execute(select(func.sum(h.c.count)).where(
            h.c.tenant_id == a["tenant"])).scalar_one()
    assert counted == len(points)
