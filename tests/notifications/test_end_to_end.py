"""From a measurement to a phone: an observation at night crosses a rule, the server's own
scheduler jobs page the on-call agent through a real SMTP server, then escalate."""

from __future__ import annotations

from beffroi.core import observations, streams
from beffroi.core.access import CLI, open_scope
from beffroi.core.alerting import rules
from beffroi.core.clock import format_instant
from beffroi.core.scheduler import run_due
from beffroi.notifications import oncall
from beffroi.runtime import server_jobs
from beffroi.storage import schema

from .conftest import as_user, email_of, paris, rows

MIN = 60_000


def test_night_reading_to_on_call_mail_and_escalation(db, registry, world, mailbox):
    with db.write() as conn:
        scope = open_scope(db, conn, CLI, world["tenant"])
        level = streams.create_stream(scope, conn, registry, {
            "asset_id": world["reservoir"], "metric": "water.level"})
        rules.create_rule(scope, conn, registry, {
            "name": "Réservoir presque vide", "kind": "threshold", "stream_id": level.id,
            "severity": "critical", "params": {"operator": "below", "value": 1.0}})
        oncall.set_week(as_user(db, conn, world, "admin"), conn, "2026-03-09", {
            "primary_user_id": world["primary"], "secondary_user_id": world["secondary"]})
    night = paris("2026-03-10 02:30")  # Tuesday night, outside 08:00-18:00
    with db.write() as conn:
        report = observations.ingest(open_scope(db, conn, CLI, world["tenant"]), conn,
                                     registry, [
            {"stream_id": level.id, "time": format_instant(night - 10 * MIN), "value": 1.4},
            {"stream_id": level.id, "time": format_instant(night), "value": 0.4}])
    assert report.stored == 2
    [alert] = rows(db, schema.alerts)
    assert (alert.opened_at, alert.severity, alert.status) == (night, "critical", "open")

    jobs = server_jobs(registry)
    run_due(db, registry, jobs, "web-1", now=night + 5_000)
    [(recipients, page)] = mailbox.messages
    assert recipients == [email_of(world, "primary")]
    assert "Réservoir presque vide — Réservoir des Fourches" in page["Subject"]
    assert "02:30" in mailbox.text(page)
    # Issue #13: the details in French, with units and the local time of the reading.
    body = mailbox.text(page)
    assert "Détails :" in body
    assert "- Valeur mesurée : 0,4\u00a0m" in body and "- Seuil : 1\u00a0m" in body
    assert "- Seuil franchi : en dessous du seuil" in body
    assert "- Instant de la mesure : 10/03/2026 02:30" in body
    assert "threshold" not in body and "2026-03-10T" not in body

    # Nobody acknowledges: 30 minutes later the secondary is told, once, whichever
    # process runs the jobs.
    for holder in ("web-1", "web-2"):
        run_due(db, registry, jobs, holder, now=night + 20 * MIN)
    assert len(mailbox.messages) == 1
    for minute in (36, 37, 40):
        for holder in ("web-1", "web-2"):
            run_due(db, registry, jobs, holder, now=night + minute * MIN)
    assert [r for r, _ in mailbox.messages] == [[email_of(world, "primary")],
                                                [email_of(world, "secondary")]]
    assert rows(db, schema.alerts)[0].escalated_at is not None
