"""On-call rota, working hours and escalation, through a real SMTP server."""

from __future__ import annotations

import orjson
import pytest

from beffroi.core.access import CLI, open_scope
from beffroi.core.alerting.alerts import acknowledge_alert
from beffroi.core.errors import Invalid
from beffroi.core.settings import with_defaults
from beffroi.notifications import oncall
from beffroi.notifications.escalation import escalate_due
from beffroi.storage import schema

from .conftest import as_user, deliver, email_of, notifications, paris, raise_, rows

MIN = 60_000
TITLE = "Niveau très bas au réservoir des Fourches"


def set_rota(db, world, week_start="2026-03-09", secondary=True):
    with db.write() as conn:
        scope = as_user(db, conn, world, "admin")
        return oncall.set_week(scope, conn, week_start, {
            "primary_user_id": world["primary"],
            "secondary_user_id": world["secondary"] if secondary else None})


def test_night_critical_alert_pages_on_call_then_escalates_once(db, registry, world, mailbox):
    set_rota(db, world)
    t0 = paris("2026-03-10 02:30")  # a Tuesday night, working hours are 08:00-18:00
    alert = raise_(db, registry, world, "reservoir", "critical", t0, TITLE)

    deliver(db, registry, t0 + 5_000)
    [(recipients, page)] = mailbox.messages
    assert recipients == [email_of(world, "primary")]
    assert page["From"] == "alertes@beffroi.test"
    assert TITLE in page["Subject"] and "ASTREINTE" in page["Subject"]
    text = mailbox.text(page)
    assert "mardi 10 mars 2026 à 02:30 (heure de Paris)" in text
    assert "Réservoir des Fourches (RES-FOURCHES)" in text
    assert "Commune : Remiremont (88383)" in text
    assert f"https://beffroi.example.fr/api/v1/tenants/{world['tenant']}/alerts/{alert.id}" in text
    [sent] = notifications(db, alert_id=alert.id)
    assert (sent.kind, sent.channel, sent.user_id, sent.status) == (
        "oncall", "email", world["primary"], "sent")
    assert rows(db, schema.alerts, id=alert.id)[0].last_notified_at == t0 + 5_000

    # Not acknowledged: nothing before the delay (30 min), then the secondary, once.
    assert escalate_due(db, registry, t0 + 5_000 + 29 * MIN) == []
    assert escalate_due(db, registry, t0 + 5_000 + 31 * MIN) == [alert.id]
    deliver(db, registry, t0 + 32 * MIN)
    [(recipients, escalation)] = mailbox.messages[1:]
    assert recipients == [email_of(world, "secondary")]
    assert "ESCALADE" in escalation["Subject"] and TITLE in escalation["Subject"]
    assert "transmise à Primary (astreinte) le mardi 10 mars 2026 à 02:30" in mailbox.text(
        escalation)
    [row] = rows(db, schema.alerts, id=alert.id)
    assert row.escalated_at == t0 + 5_000 + 31 * MIN
    [event] = rows(db, schema.alert_events, alert_id=alert.id, kind="escalated")
    assert orjson.loads(event.details)["secondary_user_id"] == world["secondary"]

    assert escalate_due(db, registry, t0 + 120 * MIN) == []
    deliver(db, registry, t0 + 121 * MIN)
    assert len(mailbox.messages) == 2
    assert [n.kind for n in notifications(db, alert_id=alert.id)] == ["oncall", "escalation"]


def test_acknowledged_page_does_not_escalate(db, registry, world, mailbox):
    set_rota(db, world)
    t0 = paris("2026-03-10 23:10")
    alert = raise_(db, registry, world, "reservoir", "critical", t0, TITLE)
    deliver(db, registry, t0 + 5_000)
    assert [rcpt for rcpt, _ in mailbox.messages] == [[email_of(world, "primary")]]
    with db.write() as conn:
        acknowledge_alert(as_user(db, conn, world, "primary"), conn, alert.id,
                          {"comment": "J'y vais."})
    assert escalate_due(db, registry, t0 + 90 * MIN) == []
    deliver(db, registry, t0 + 91 * MIN)
    assert len(mailbox.messages) == 1
    assert rows(db, schema.alerts, id=alert.id)[0].escalated_at is None


def test_alert_in_working_hours_or_not_critical_does_not_page(db, registry, world, mailbox):
    set_rota(db, world)
    raise_(db, registry, world, "reservoir", "critical", paris("2026-03-10 10:30"), TITLE)
    raise_(db, registry, world, "site", "warning", paris("2026-03-10 03:00"), "Porte ouverte")
    deliver(db, registry, paris("2026-03-10 10:31"))
    assert mailbox.messages == [] and notifications(db) == []
    assert escalate_due(db, registry, paris("2026-03-10 12:00")) == []
    # Saturday is not a working day: the same alert pages in daytime.
    raise_(db, registry, world, "site", "critical", paris("2026-03-14 10:30"), "Incendie",
           key="saturday")
    deliver(db, registry, paris("2026-03-14 10:31"))
    assert [rcpt for rcpt, _ in mailbox.messages] == [[email_of(world, "primary")]]


def test_week_without_rota_or_secondary(db, registry, world, mailbox):
    t0 = paris("2026-03-10 02:30")
    raise_(db, registry, world, "reservoir", "critical", t0, TITLE)
    deliver(db, registry, t0 + 1000)
    assert mailbox.messages == []  # no rota this week: nobody to page
    set_rota(db, world, "2026-03-16", secondary=False)
    t1 = paris("2026-03-17 03:00")
    alert = raise_(db, registry, world, "site", "critical", t1, "Chaudière en panne")
    deliver(db, registry, t1 + 1000)
    assert len(mailbox.messages) == 1
    assert "elle sera signalée comme escaladée" in mailbox.text(mailbox.messages[0][1])
    assert escalate_due(db, registry, t1 + 31 * MIN) == [alert.id]
    deliver(db, registry, t1 + 32 * MIN)
    assert len(mailbox.messages) == 1  # no secondary to e-mail, but the escalation is recorded
    [event] = rows(db, schema.alert_events, alert_id=alert.id, kind="escalated")
    assert orjson.loads(event.details)["secondary_user_id"] is None


def test_working_hours_follow_daylight_saving_time():
    settings = with_defaults({})
    # 06:15 UTC on a Monday: 07:15 in winter (CET), 08:15 in summer (CEST).
    assert oncall.outside_working_hours(settings, paris("2026-03-23 07:15"))
    assert not oncall.outside_working_hours(settings, paris("2026-03-30 08:15"))
    assert paris("2026-03-30 08:15") - paris("2026-03-23 07:15") == 7 * 86_400_000
    assert not oncall.outside_working_hours(settings, paris("2026-10-19 08:15"))
    assert oncall.outside_working_hours(settings, paris("2026-10-26 07:15"))
    assert paris("2026-10-26 07:15") - paris("2026-10-19 08:15") == 7 * 86_400_000
    assert oncall.outside_working_hours(settings, paris("2026-03-10 18:00"))
    assert not oncall.outside_working_hours(settings, paris("2026-03-10 17:59"))
    assert oncall.outside_working_hours(settings, paris("2026-03-14 12:00"))  # Saturday
    cayenne = with_defaults({"timezone": "America/Cayenne", "working_hours": {
        "days": [1, 2, 3, 4, 5, 6, 7], "start": "07:00", "end": "12:00"}})
    assert not oncall.outside_working_hours(cayenne, paris("2026-03-14 12:00"))  # 08:00 there
    assert oncall.outside_working_hours(cayenne, paris("2026-03-14 17:00"))  # 13:00 there


def test_on_call_week_is_the_local_week(db, world):
    set_rota(db, world, "2026-03-09")
    with db.write() as conn:
        oncall.set_week(open_scope(db, conn, CLI, world["tenant"]), conn, "2026-03-16",
                        {"primary_user_id": world["secondary"]})
        tenant = rows(db, schema.tenants, id=world["tenant"])[0]
        # Sunday 23:30 in Paris is still the first week, Monday 00:30 the next one, although
        # both are Sunday in UTC.
        assert oncall.on_call(conn, tenant, paris("2026-03-15 23:30")) == (
            world["primary"], world["secondary"])
        assert oncall.on_call(conn, tenant, paris("2026-03-16 00:30")) == (
            world["secondary"], None)
        assert oncall.on_call(conn, tenant, paris("2026-03-23 00:30")) == (None, None)


@pytest.mark.parametrize("week, body, field, message", [
    ("2026-03-10", {"primary_user_id": "primary"}, "week_start", "est un mardi"),
    ("2026-02-30", {"primary_user_id": "primary"}, "week_start", "date inexistante"),
    ("2026-03-09", {}, "primary_user_id", "obligatoire"),
    ("2026-03-09", {"primary_user_id": "viewer"}, "primary_user_id", "rôle agent"),
    ("2026-03-09", {"primary_user_id": "far"}, "primary_user_id", "toutes les communes"),
    ("2026-03-09", {"primary_user_id": 999}, "primary_user_id", "n'est pas un membre"),
    ("2026-03-09", {"primary_user_id": "primary", "secondary_user_id": "primary"},
     "secondary_user_id", "une autre personne"),
    ("2026-03-09", {"primary_user_id": "primary", "backup": 1}, "backup", "champ inconnu"),
])
def test_rota_is_validated(db, world, week, body, field, message):
    body = {k: world.get(v, v) if isinstance(v, str) else v for k, v in body.items()}
    with db.write() as conn, pytest.raises(Invalid) as caught:
        oncall.set_week(as_user(db, conn, world, "admin"), conn, week, body)
    assert any(e["field"] == field and message in e["message"] for e in caught.value.errors), \
        caught.value.errors
