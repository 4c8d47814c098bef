"""How long the audit log, the notification history, uplink receipts and log-in counters are
kept: the daily purge deletes what is older than each tenant's setting (or the instance's
fixed span), keeps the rest and the other tenants' rows, and says what it did."""

from __future__ import annotations

import orjson
import pytest
from click.testing import CliRunner
from sqlalchemy import select, update

from beffroi.cli.main import cli
from beffroi.core import login_throttle, retention, tenants
from beffroi.core.access import CLI, open_scope
from beffroi.core.audit import write_audit
from beffroi.core.clock import DAY_MS
from beffroi.core.errors import Invalid
from beffroi.notifications.outbox import queue
from beffroi.runtime import server_jobs
from beffroi.storage import schema

NOW = 1_800_000_000_000  # 2027-01-15 08:00 UTC: a pinned clock
HOUR_MS = 3_600_000


def make_tenant(db, registry, name, settings=None):
    with db.write() as conn:
        return tenants.create_tenant(db, conn, CLI, name=name, registry=registry,
                                     settings=settings or {})["id"]


def audit_at(db, tenant_id, ages_days, action="update"):
    """One audit entry per age (days before NOW); {age: id}."""
    out = {}
    a = schema.audit_log
    with db.write() as conn:
        for age in ages_days:
            write_audit(conn, db, tenant_id, None, action, "asset", str(age), {"age": age})
            entry = conn.execute(select(a.c.id).where(a.c.tenant_id == tenant_id)
                                 .order_by(a.c.id.desc()).limit(1)).scalar()
            conn.execute(update(a).where(a.c.tenant_id == tenant_id, a.c.id == entry)
                         .values(at=NOW - int(age * DAY_MS)))
            out[age] = entry
    return out


def remaining_audit(db, tenant_id):
    a = schema.audit_log
    with db.read() as conn:
        return {r.id: (r.action, orjson.loads(r.details)) for r in conn.execute(
            select(a).where(a.c.tenant_id == tenant_id))}


def test_audit_entries_are_kept_the_tenants_span_and_no_longer(db, registry):
    default = make_tenant(db, registry, "CC par défaut")
    short = make_tenant(db, registry, "CC courte", {retention.AUDIT_DAYS: 180})
    span = retention.BY_KEY[retention.AUDIT_DAYS].default
    assert span == 365
    hour = HOUR_MS / DAY_MS
    first = audit_at(db, default, [span + hour, span - hour, 200, 1])
    second = audit_at(db, short, [400, 180 + hour, 180 - hour, 2])
    instance = audit_at(db, 0, [retention.INSTANCE_AUDIT_DAYS + hour,
                                retention.INSTANCE_AUDIT_DAYS - hour])

    report = retention.purge_all(db, NOW)

    assert report.audit_entries == {default: 1, short: 2, 0: 1}
    kept = remaining_audit(db, default)
    assert set(first.values()) - set(kept) == {first[span + hour]}
    # Each tenant's purge is written to its own log, with what it deleted.
    purges = [d for action, d in kept.values() if action == "purge"]
    assert purges == [{"audit_entries": 1, "notifications": 0}]
    kept = remaining_audit(db, short)
    assert set(second.values()) - set(kept) == {second[400], second[180 + hour]}
    kept = remaining_audit(db, 0)
    assert set(instance.values()) - set(kept) == {
        instance[retention.INSTANCE_AUDIT_DAYS + hour]}
    # A second run the same day deletes nothing more and writes no purge entry.
    before = {t: remaining_audit(db, t) for t in (default, short, 0)}
    again = retention.purge_all(db, NOW)
    assert again.audit_entries == {default: 0, short: 0, 0: 0}
    assert {t: remaining_audit(db, t) for t in (default, short, 0)} == before


def test_a_first_purge_of_a_long_history_runs_in_batches(db, registry, monkeypatch):
    tenant = make_tenant(db, registry, "CC")
    monkeypatch.setattr(retention, "BATCH", 3)
    old = audit_at(db, tenant, [400 + k for k in range(8)])  # 8 entries: batches 3, 3, 2
    recent = audit_at(db, tenant, [10])
    assert retention.purge_all(db, NOW).audit_entries[tenant] == len(old)
    kept = remaining_audit(db, tenant)
    assert recent[10] in kept and not set(old.values()) & set(kept)


def test_the_mark_of_a_whole_demo_is_kept_however_old(db, registry):
    """``demo.builder`` rebuilds a demo territory without it, losing what was changed."""
    tenant = make_tenant(db, registry, "Démo")
    mark = audit_at(db, tenant, [800], action="demo_built")
    old = audit_at(db, tenant, [800])
    assert retention.purge_all(db, NOW).audit_entries[tenant] == 1
    kept = remaining_audit(db, tenant)
    assert mark[800] in kept and old[800] not in kept


def notifications_at(db, tenant_id, cases):
    """One notification per (age in days, status); {(age, status): id}."""
    out = {}
    n = schema.notifications
    with db.write() as conn:
        for age, status in cases:
            at = NOW - int(age * DAY_MS)
            nid = queue(db, conn, tenant_id, channel="email", target="agent@cc.fr", kind="alert",
                        body=f"{age} {status}", now=at)
            conn.execute(update(n).where(n.c.tenant_id == tenant_id, n.c.id == nid)
                         .values(status=status))
            out[(age, status)] = nid
    return out


def test_sent_and_failed_notifications_go_after_the_span_pending_ones_stay(db, registry):
    tenant = make_tenant(db, registry, "CC", {retention.NOTIFICATION_DAYS: 30})
    other = make_tenant(db, registry, "Autre CC")  # the default span: a year
    mine = notifications_at(db, tenant, [(31, "sent"), (31, "failed"), (31, "pending"),
                                         (29, "sent"), (29, "failed")])
    theirs = notifications_at(db, other, [(31, "sent"), (366, "sent"), (364, "failed")])

    report = retention.purge_all(db, NOW)

    assert report.notifications == {tenant: 2, other: 1}
    n = schema.notifications
    with db.read() as conn:
        left = {(r.tenant_id, r.id) for r in conn.execute(select(n.c.tenant_id, n.c.id))}
    assert left == {(tenant, mine[k]) for k in [(31, "pending"), (29, "sent"), (29, "failed")]} \
        | {(other, theirs[k]) for k in [(31, "sent"), (364, "failed")]}
    purge = [d for action, d in remaining_audit(db, tenant).values() if action == "purge"]
    assert purge == [{"audit_entries": 0, "notifications": 2}]


def test_uplink_receipts_and_idle_log_in_counters_are_dropped(db, registry):
    tenant = make_tenant(db, registry, "CC")
    r, t = schema.uplink_receipts, schema.login_throttle
    week = retention.RECEIPT_DAYS * DAY_MS
    idle = login_throttle.KNOWN_ADDRESS_MS
    with db.write() as conn:
        conn.execute(r.insert(), [
            {"tenant_id": tenant, "digest": "old", "device_id": None,
             "received_at": NOW - week - HOUR_MS},
            {"tenant_id": tenant, "digest": "new", "device_id": None,
             "received_at": NOW - week + HOUR_MS}])
        conn.execute(t.insert(), [
            {"key": "idle", "failures": 3, "last_attempt_at": NOW - idle - HOUR_MS},
            {"key": "recent", "failures": 3, "last_attempt_at": NOW - idle + HOUR_MS}])

    report = retention.purge_all(db, NOW)

    assert (report.uplink_receipts, report.login_counters) == (1, 1)
    with db.read() as conn:
        assert [x.digest for x in conn.execute(select(r))] == ["new"]
        assert [x.key for x in conn.execute(select(t))] == ["recent"]


def test_the_server_job_purges_at_the_time_it_is_given(db, registry):
    tenant = make_tenant(db, registry, "CC")
    entries = audit_at(db, tenant, [366, 364])
    job = next(j for j in server_jobs(registry) if j.name == "retention.purge")
    assert job.interval_s == 86_400
    job.run(db, registry, NOW)  # the scheduler's instant, not the wall clock
    assert entries[366] not in remaining_audit(db, tenant)
    assert entries[364] in remaining_audit(db, tenant)


def test_db_purge_command_says_what_it_deleted(db, registry):
    tenant = make_tenant(db, registry, "CC")
    # Relative to the command's own clock: four entries far older than any span.
    audit_at(db, tenant, [NOW / DAY_MS - 1 for _ in range(4)])  # 1970-01-02
    result = CliRunner().invoke(cli, ["db", "purge", "--db", db.url], prog_name="beffroi")
    assert result.exit_code == 0, result.output
    assert "0 mesures brutes supprimées (agrégats conservés), 4 entrées du journal des " \
           "actions, 0 notifications envoyées" in result.output


@pytest.mark.parametrize("db", ["sqlite"], indirect=True)
def test_retention_settings_are_validated_and_null_restores_the_default(db, registry):
    tenant = make_tenant(db, registry, "CC")
    with db.write() as conn:
        scope = open_scope(db, conn, CLI, tenant)
        with pytest.raises(Invalid) as bad:
            tenants.update_tenant(scope, conn, {"settings": {
                retention.AUDIT_DAYS: 90, retention.NOTIFICATION_DAYS: "un an"}}, registry)
        errors = {e["field"]: e["message"] for e in bad.value.errors}
        assert set(errors) == {retention.AUDIT_DAYS, retention.NOTIFICATION_DAYS}
        assert errors[retention.AUDIT_DAYS].startswith("Journal des actions : durée de "
                                                       "conservation (jours) : ")
        assert "180" in errors[retention.AUDIT_DAYS]
        out = tenants.update_tenant(scope, conn, {"settings": {retention.AUDIT_DAYS: 730}},
                                    registry)
        assert out["settings"][retention.AUDIT_DAYS] == 730
        out = tenants.update_tenant(scope, conn, {"settings": {retention.AUDIT_DAYS: None}},
                                    registry)
        assert out["settings"][retention.AUDIT_DAYS] == 365
