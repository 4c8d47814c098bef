"""Alert rules driven by observation sequences through ingest: exact open/resolve times,
one alert per (rule, asset), flapping, late data, no-data checks, detectors."""

from __future__ import annotations

from datetime import UTC, datetime

import orjson
import pytest
from sqlalchemy import select

from beffroi.core import assets, devices, observations, streams, tenants, users
from beffroi.core.access import CLI, load_principal, open_scope
from beffroi.core.alerting import alerts, rules
from beffroi.core.alerting.detectors import Detector, Finding, run_detectors
from beffroi.core.alerting.evaluation import check_no_data
from beffroi.core.clock import format_instant
from beffroi.core.errors import Forbidden, Invalid
from beffroi.core.registry import Domain, build_registry, discover_domains
from beffroi.core.scheduler import Job, run_due
from beffroi.storage import schema

BASE = int(datetime(2026, 10, 1, tzinfo=UTC).timestamp() * 1000)
MIN = 60_000


def at(minutes: float) -> int:
    return BASE + int(minutes * MIN)


@pytest.fixture
def world(db, registry):
    with db.write() as conn:
        t = tenants.create_tenant(db, conn, CLI, name="CC des essais", registry=registry)
        scope = open_scope(db, conn, CLI, t["id"])
        out = {"tenant": t["id"], "assets": {}, "streams": {}}
        for insee, name in (("88383", "Remiremont"), ("88160", "Éloyes")):
            tenants.create_commune(scope, conn, {"insee": insee, "name": name})
            asset = assets.create_asset(scope, conn, registry, {
                "ref": f"ECHELLE-{insee}", "kind": "generic.site", "name": f"Échelle {name}",
                "commune": insee, "geometry": {"type": "Point", "coordinates": [6.6, 48.0]}})
            out["assets"][insee] = asset.id
            for metric in ("generic.value", "generic.state"):
                stream = streams.create_stream(scope, conn, registry, {
                    "asset_id": asset.id, "metric": metric})
                out["streams"][(insee, metric)] = stream.id
    return out


def feed(db, registry, world, points, insee="88383", metric="generic.value"):
    """Ingest (minutes, value) points as one batch; returns the ingest report."""
    sid = world["streams"][(insee, metric)]
    with db.write() as conn:
        scope = open_scope(db, conn, CLI, world["tenant"])
        report = observations.ingest(scope, conn, registry, [
            {"stream_id": sid, "time": format_instant(at(m)), "value": v} for m, v in points])
    assert not report.rejected, report.rejected
    return report


def new_rule(db, registry, world, **body):
    body.setdefault("name", "Niveau haut")
    if "metric" not in body:
        body.setdefault("stream_id", world["streams"][("88383", "generic.value")])
    with db.write() as conn:
        scope = open_scope(db, conn, CLI, world["tenant"])
        return rules.create_rule(scope, conn, registry, body)


def all_alerts(db, world):
    a = schema.alerts
    with db.read() as conn:
        return list(conn.execute(select(a).where(a.c.tenant_id == world["tenant"])
                                 .order_by(a.c.id)))


def events(db, world, alert_id):
    e = schema.alert_events
    with db.read() as conn:
        return [(r.kind, r.at, orjson.loads(r.details)) for r in conn.execute(
            select(e).where(e.c.tenant_id == world["tenant"], e.c.alert_id == alert_id)
            .order_by(e.c.id))]


THRESHOLD = {"operator": "above", "value": 3.0, "hysteresis": 0.1, "min_duration_s": 1200}
# A river gauge every 10 minutes: above 3.0 m from minute 10, long enough at minute 30
# (20 minutes above), back under 3.0 - 0.1 only at minute 70.
LEVELS = [(0, 2.9), (10, 3.1), (20, 3.2), (30, 3.3), (40, 3.15), (50, 3.05), (60, 2.95),
          (70, 2.85), (80, 2.7)]


@pytest.mark.parametrize("batches", [[LEVELS], [LEVELS[:3], LEVELS[3:6], LEVELS[6:]],
                                     [[p] for p in LEVELS]], ids=["one", "three", "each"])
def test_threshold_with_duration_and_hysteresis_opens_and_resolves_at_exact_times(
        db, registry, world, batches):
    rule = new_rule(db, registry, world, kind="threshold", params=THRESHOLD,
                    severity="critical")
    for batch in batches:
        feed(db, registry, world, batch)
    [alert] = all_alerts(db, world)
    assert (alert.opened_at, alert.resolved_at, alert.status) == (at(30), at(70), "resolved")
    assert alert.resolved_by is None and alert.severity == "critical"
    assert alert.key == f"rule:{rule.id}:asset:{world['assets']['88383']}"
    assert alert.title == "Niveau haut — Échelle Remiremont"
    assert alert.commune_insee == "88383" and alert.domain == "generic"
    details = orjson.loads(alert.details)
    assert details["since"] == format_instant(at(10))
    assert [k for k, _, _ in events(db, world, alert.id)] == ["opened", "resolved"]


def test_a_short_excursion_raises_nothing(db, registry, world):
    new_rule(db, registry, world, kind="threshold", params=THRESHOLD)
    feed(db, registry, world, [(0, 2.9), (10, 3.4), (20, 3.5), (25, 2.5), (30, 3.2), (40, 2.9)])
    assert all_alerts(db, world) == []


def test_below_threshold_without_options(db, registry, world):
    new_rule(db, registry, world, kind="threshold",
             params={"operator": "below", "value": 1.0})
    feed(db, registry, world, [(0, 1.5), (5, 0.99), (10, 0.5), (15, 1.0), (20, 0.7)])
    # Below 1.0 from minute 5, back at 1.0 at minute 15, below again at minute 20: within
    # the default re-notification delay, the same alert is reopened.
    [alert] = all_alerts(db, world)
    assert (alert.opened_at, alert.status, alert.trigger_count) == (at(5), "open", 2)
    assert [(k, t) for k, t, _ in events(db, world, alert.id)] == [
        ("opened", at(5)), ("resolved", at(15)), ("reopened", at(20))]


def test_rate_of_change_flags_a_river_rising_fast(db, registry, world):
    new_rule(db, registry, world, kind="rate_of_change", severity="warning",
             params={"direction": "rise", "amount": 0.10, "window_s": 3600})
    # Every 15 minutes: +0.13 m within the hour ending at minute 60 (1.00 → 1.13); at minute
    # 75 the hour holds 1.03..1.14 (+0.11, still rising fast); at minute 90, 1.06..1.14.
    feed(db, registry, world, [(0, 1.00), (15, 1.03), (30, 1.06), (45, 1.09), (60, 1.13),
                               (75, 1.14), (90, 1.14), (105, 1.14)])
    [alert] = all_alerts(db, world)
    assert (alert.opened_at, alert.resolved_at) == (at(60), at(90))
    assert orjson.loads(alert.details)["change"] == pytest.approx(0.13)


def test_state_change_opens_on_entering_a_state_and_resolves_on_leaving(db, registry, world):
    new_rule(db, registry, world, kind="state_change", name="Arrêt",
             stream_id=world["streams"][("88383", "generic.state")], params={"states": [0]})
    feed(db, registry, world, [(0, 1), (10, 1), (20, 0), (30, 0), (40, 1)],
         metric="generic.state")
    [alert] = all_alerts(db, world)
    assert (alert.opened_at, alert.resolved_at) == (at(20), at(40))


def test_one_alert_per_rule_and_asset_and_flapping_reopens_it(db, registry, world):
    new_rule(db, registry, world, kind="threshold", metric="generic.value",
             params={"operator": "above", "value": 5}, renotify_after_s=3600)
    feed(db, registry, world, [(0, 6), (10, 4), (20, 7), (30, 4)])  # flaps within the hour
    feed(db, registry, world, [(0, 8), (10, 9)], insee="88160")
    here, there = all_alerts(db, world)
    assert (here.commune_insee, here.trigger_count, here.status) == ("88383", 2, "resolved")
    assert (here.opened_at, here.resolved_at) == (at(0), at(30))
    assert [(k, t, d.get("notify")) for k, t, d in events(db, world, here.id)] == [
        ("opened", at(0), True), ("resolved", at(10), None), ("reopened", at(20), True),
        ("resolved", at(30), None)]
    assert (there.commune_insee, there.status, there.opened_at) == ("88160", "open", at(0))
    # Told recently: a new flap reopens it quietly.
    with db.write() as conn:
        conn.execute(schema.alerts.update().where(schema.alerts.c.id == here.id)
                     .values(last_notified_at=9_999_999_999_999))
    feed(db, registry, world, [(40, 6)])
    assert events(db, world, here.id)[-1][0::2] == ("reopened", {
        "metric": "generic.value", "unit": "1", "time": format_instant(at(40)), "value": 6.0,
        "operator": "above", "threshold": 5, "since": format_instant(at(40)), "notify": False})
    # Beyond the delay, the same key opens a new alert.
    feed(db, registry, world, [(50, 1), (200, 9)])
    assert [a.opened_at for a in all_alerts(db, world)] == [at(0), at(0), at(200)]


def test_late_data_does_not_move_rules(db, registry, world):
    new_rule(db, registry, world, kind="threshold", params={"operator": "above", "value": 5})
    feed(db, registry, world, [(100, 1), (110, 2)])
    feed(db, registry, world, [(50, 9), (60, 9)])  # older than what the stream holds
    assert all_alerts(db, world) == []


def test_disabled_rules_and_rules_changed_between_batches(db, registry, world):
    rule = new_rule(db, registry, world, kind="threshold", enabled=False,
                    params={"operator": "above", "value": 5})
    feed(db, registry, world, [(0, 9)])
    assert all_alerts(db, world) == []
    with db.write() as conn:  # the cached rules of this process are reloaded
        rules.update_rule(open_scope(db, conn, CLI, world["tenant"]), conn, registry, rule.id,
                          {"enabled": True})
    feed(db, registry, world, [(10, 9)])
    [alert] = all_alerts(db, world)
    assert alert.opened_at == at(10)
    with db.write() as conn:
        rules.delete_rule(open_scope(db, conn, CLI, world["tenant"]), conn, rule.id)
    feed(db, registry, world, [(20, 1)])
    assert all_alerts(db, world)[0].status == "open"  # no rule left to clear it


def test_no_data_opens_at_silence_plus_delay_and_resolves_on_the_next_value(db, registry,
                                                                             world):
    new_rule(db, registry, world, kind="no_data", params={"after_s": 3600})
    feed(db, registry, world, [(0, 1), (10, 2)])
    assert check_no_data(db, registry, at(10 + 59)) == 0
    assert check_no_data(db, registry, at(10 + 61)) == 1
    assert check_no_data(db, registry, at(10 + 120)) == 0  # still silent: same alert
    [alert] = all_alerts(db, world)
    assert alert.opened_at == at(70) and alert.status == "open"
    feed(db, registry, world, [(200, 3)])
    [alert] = all_alerts(db, world)
    assert alert.resolved_at == at(200)


def test_no_data_defaults_to_the_devices_expected_interval(db, registry, world):
    sid = world["streams"][("88160", "generic.value")]
    with db.write() as conn:
        scope = open_scope(db, conn, CLI, world["tenant"])
        device = devices.create_device(scope, conn, {
            "name": "Capteur", "asset_id": world["assets"]["88160"],
            "expected_interval_s": 600}, registry)
        streams.update_stream(scope, conn, sid, {"device_id": device.id})
    new_rule(db, registry, world, kind="no_data", metric="generic.value", commune="88160")
    feed(db, registry, world, [(0, 1)], insee="88160")
    assert check_no_data(db, registry, at(29)) == 0
    assert check_no_data(db, registry, at(31)) == 1  # 3 intervals of 10 minutes
    assert all_alerts(db, world)[0].opened_at == at(30)


def test_rule_validation_is_precise(db, registry, world):
    sid = world["streams"][("88383", "generic.value")]
    bad = [
        ({"kind": "seuil", "stream_id": sid}, {"kind"}),
        ({"kind": "threshold", "params": {"operator": "above", "value": 1}}, {"stream_id"}),
        ({"kind": "threshold", "stream_id": sid, "metric": "generic.value",
          "params": {"operator": "above", "value": 1}}, {"stream_id"}),
        ({"kind": "threshold", "stream_id": sid, "params": {"operator": "over", "value": "x",
                                                              "delay": 3}},
         {"params.operator", "params.value", "params.delay"}),
        ({"kind": "rate_of_change", "stream_id": sid, "params": {"direction": "rise",
                                                                 "amount": -1}},
         {"params.amount", "params.window_s"}),
        ({"kind": "state_change", "stream_id": sid, "params": {"states": [1]}}, {"kind"}),
        ({"kind": "state_change", "stream_id": world["streams"][("88383", "generic.state")],
          "params": {"states": [7]}}, {"params.states"}),
        ({"kind": "threshold", "metric": "generic.nope", "commune": "99999",
          "params": {"operator": "above", "value": 1}, "severity": "grave"},
         {"metric", "commune", "severity"}),
        ({"kind": "no_data", "stream_id": 999999}, {"stream_id"}),
    ]
    for body, fields in bad:
        with pytest.raises(Invalid) as info, db.write() as conn:
            rules.create_rule(open_scope(db, conn, CLI, world["tenant"]), conn, registry,
                              {"name": "R", **body})
        assert {e["field"] for e in info.value.errors} == fields, body
    a = schema.alert_rules
    with db.read() as conn:
        assert conn.execute(select(a)).first() is None


def test_members_limited_to_communes(db, registry, world):
    rule = new_rule(db, registry, world, kind="threshold", metric="generic.value",
                    params={"operator": "above", "value": 5})
    feed(db, registry, world, [(0, 9)])
    feed(db, registry, world, [(0, 9)], insee="88160")
    with db.write() as conn:
        scope = open_scope(db, conn, CLI, world["tenant"])
        member = users.add_member(scope, conn, {"email": "agent@eloyes.fr", "role": "agent",
                                                "communes": ["88160"],
                                                "password": "password-123"})
    with db.write() as conn:
        limited = open_scope(db, conn, load_principal(conn, member["id"]), world["tenant"])
        assert [a.commune_insee for a in alerts.list_alerts(limited, conn)] == ["88160"]
        assert rules.list_rules(limited, conn) == []  # a rule over every commune
        with pytest.raises(Forbidden):
            rules.create_rule(limited, conn, registry, {
                "name": "R", "kind": "threshold", "metric": "generic.value",
                "params": {"operator": "above", "value": 1}})
        mine = rules.create_rule(limited, conn, registry, {
            "name": "R", "kind": "threshold", "metric": "generic.value", "commune": "88160",
            "params": {"operator": "above", "value": 1}})
        assert [r.id for r in rules.list_rules(limited, conn)] == [mine.id]
    assert rule.id != mine.id


# -- detectors and the scheduler ----------------------------------------------------------------
def test_detectors_open_update_and_resolve_their_alerts_once_per_interval(db, world):
    seen = {"runs": 0, "findings": []}

    def detect(ctx):
        seen["runs"] += 1
        return seen["findings"]

    def broken(ctx):
        raise RuntimeError("capteur de référence absent")

    reg = build_registry(discover_domains(["generic"]) + [Domain(
        key="testing", label="Essais", detectors=(
            Detector("testing.leak", "Fuite", 900, detect),
            Detector("testing.broken", "En panne", 900, broken)))])
    asset = world["assets"]["88383"]
    seen["findings"] = [Finding(asset, "Fuite probable", "warning", details={"m3h": 1.5})]
    assert sorted(run_detectors(db, reg, at(0))) == [
        (world["tenant"], "testing.broken", "failed"), (world["tenant"], "testing.leak", "ok")]
    assert run_detectors(db, reg, at(10)) == []  # not due: 15-minute interval
    seen["findings"] = [Finding(asset, "Fuite probable", "critical", details={"m3h": 4})]
    run_detectors(db, reg, at(15))
    [alert] = all_alerts(db, world)
    assert (alert.severity, alert.opened_at, alert.status) == ("critical", at(0), "open")
    assert alert.key == f"detector:testing.leak:asset:{asset}:"
    assert orjson.loads(alert.details) == {"m3h": 4}
    seen["findings"] = []
    run_detectors(db, reg, at(30))
    [alert] = all_alerts(db, world)
    assert (alert.status, alert.resolved_at) == ("resolved", at(30))
    assert [k for k, _, _ in events(db, world, alert.id)] == ["opened", "triggered", "resolved"]
    assert seen["runs"] == 3
    r = schema.detector_runs
    with db.read() as conn:
        failed = conn.execute(select(r).where(r.c.detector == "testing.broken")).one()
    assert failed.status == "failed" and "capteur de référence absent" in failed.error


def test_an_ended_finding_resolves_its_alert_with_final_details_and_never_opens_one(
        db, world):
    findings = []
    reg = build_registry(discover_domains(["generic"]) + [Domain(
        key="testing", label="Essais", detectors=(
            Detector("testing.leak", "Fuite", 900, lambda ctx: findings),))])
    asset = world["assets"]["88383"]
    findings[:] = [Finding(asset, "Fuite terminée", ended=True, details={"m3": 5})]
    run_detectors(db, reg, at(0))
    assert all_alerts(db, world) == []  # over before it was ever seen: nothing to tell
    findings[:] = [Finding(asset, "Fuite probable", details={"m3": 10})]
    run_detectors(db, reg, at(15))
    findings[:] = [Finding(asset, "Fuite terminée le 3", ended=True, details={"m3": 12})]
    run_detectors(db, reg, at(30))
    [alert] = all_alerts(db, world)
    assert (alert.status, alert.resolved_at, alert.title) == ("resolved", at(30),
                                                              "Fuite terminée le 3")
    assert orjson.loads(alert.details) == {"m3": 12}  # the final figures, not the last open
    run_detectors(db, reg, at(45))  # still ended: the resolved alert is left alone
    [alert] = all_alerts(db, world)
    assert alert.status == "resolved" and [k for k, _, _ in events(db, world, alert.id)] == [
        "opened", "resolved"]


def test_a_job_runs_once_per_period_whatever_the_number_of_processes(db, registry):
    calls = []
    job = Job("testing.count", 60, lambda db_, reg, now: calls.append(now))
    # Three "processes" (holders) ticking at the same instants.
    for second in range(0, 181, 10):
        for holder in ("web-1", "web-2", "mqtt"):
            run_due(db, registry, [job], holder, now=BASE + second * 1000)
    assert calls == [BASE, BASE + 60_000, BASE + 120_000, BASE + 180_000]


def test_concurrent_processes_never_run_a_job_twice(db, registry):
    """Threads with their own holders race for the lease at the same instants."""
    import threading

    calls = []
    job = Job("testing.race", 60, lambda db_, reg, now: calls.append(now))
    barrier = threading.Barrier(4)

    def process(holder: str) -> None:
        for minute in range(5):
            barrier.wait()
            run_due(db, registry, [job], holder, now=BASE + minute * 60_000)

    threads = [threading.Thread(target=process, args=(f"p{i}",)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(calls) == [BASE + minute * 60_000 for minute in range(5)]
