"""Who is told: subscription filters, commune restrictions, digests, flapping alerts."""

from __future__ import annotations

import orjson
import pytest

from beffroi.core.alerting.alerts import clear_alert
from beffroi.core.clock import now_ms
from beffroi.notifications import subscriptions
from beffroi.notifications.digest import send_digests
from beffroi.notifications.routing import route_events
from beffroi.storage import schema

from .conftest import as_user, deliver, email_of, notifications, paris, raise_, rows


def subscribe(db, registry, world, who, **data):
    with db.write() as conn:
        return subscriptions.create_subscription(as_user(db, conn, world, who), conn, registry,
                                                 data)


def told(mailbox, title) -> set[str]:
    return {rcpt for rcpts, m in mailbox.messages if title in m["Subject"] for rcpt in rcpts}


def test_subscription_filters_and_commune_restrictions(db, registry, world, mailbox):
    subscribe(db, registry, world, "primary", domains=["water"], min_severity="info")
    subscribe(db, registry, world, "secondary", communes=["88413"], min_severity="info")
    subscribe(db, registry, world, "admin", min_severity="critical")
    subscribe(db, registry, world, "viewer", min_severity="warning")
    # Restricted to 88413 but subscribed to everything: still never told about 88383.
    subscribe(db, registry, world, "far", min_severity="info")
    day = paris("2026-03-10 10:00")  # working hours: nobody on call involved
    raise_(db, registry, world, "reservoir", "warning", day, "Niveau bas (eau, 88383)")
    raise_(db, registry, world, "far_site", "warning", day, "Porte ouverte (88413)")
    raise_(db, registry, world, "site", "critical", day, "Incendie (88383)")
    raise_(db, registry, world, "site", "info", day, "Information (88383)")
    deliver(db, registry, day + 10_000)

    def people(*keys):
        return {email_of(world, k) for k in keys}

    assert told(mailbox, "Niveau bas (eau, 88383)") == people("primary", "viewer")
    assert told(mailbox, "Porte ouverte (88413)") == people("secondary", "viewer", "far")
    assert told(mailbox, "Incendie (88383)") == people("admin", "viewer")
    assert told(mailbox, "Information (88383)") == set()
    assert len(mailbox.messages) == 7  # one e-mail per person and alert
    assert all(n.status == "sent" and n.kind == "alert" for n in notifications(db))
    notified = rows(db, schema.alert_events, kind="notified")
    assert len(notified) == 3
    # Someone's wish is not enough: a member removed from the tenant is not told any more.
    with db.write() as conn:
        conn.execute(schema.memberships.delete().where(
            schema.memberships.c.user_id == world["viewer"]))
    raise_(db, registry, world, "reservoir", "critical", day + 60_000, "Fuite (eau, 88383)")
    deliver(db, registry, day + 70_000)
    assert told(mailbox, "Fuite (eau, 88383)") == people("primary", "admin")


def test_several_subscriptions_of_one_person_make_one_email(db, registry, world, mailbox):
    subscribe(db, registry, world, "viewer", domains=["water"], min_severity="info")
    subscribe(db, registry, world, "viewer", communes=["88383"], min_severity="warning")
    day = paris("2026-03-10 11:00")
    raise_(db, registry, world, "reservoir", "warning", day, "Niveau bas")
    deliver(db, registry, day + 1000)
    assert [rcpt for rcpt, _ in mailbox.messages] == [[email_of(world, "viewer")]]


def test_raised_severity_is_told_again(db, registry, world, mailbox):
    subscribe(db, registry, world, "viewer", min_severity="warning")
    day = paris("2026-03-10 11:00")
    raise_(db, registry, world, "site", "info", day, "Température", key="temp")
    deliver(db, registry, day + 1000)
    assert mailbox.messages == []  # below the subscription's minimum
    raise_(db, registry, world, "site", "warning", day + 60_000, "Température", key="temp")
    raise_(db, registry, world, "site", "warning", day + 120_000, "Température", key="temp")
    deliver(db, registry, day + 130_000)
    [(_, message)] = mailbox.messages
    assert "gravité relevée" in message["Subject"]


def test_a_change_its_detector_declares_worth_telling_is_told_once(db, registry, world,
                                                                    mailbox):
    """A leak alert whose repair the following nights refute: told again, « mise à jour »;
    the same state at the next run, or a change nobody declared, tells nothing."""
    subscribe(db, registry, world, "viewer", min_severity="warning")
    day = paris("2026-03-10 11:00")
    watched = (("repair_status", "refuted"), ("repair_status", "back"))

    def leak(at: int, title: str, status: str, **details) -> None:
        raise_(db, registry, world, "reservoir", "warning", at, title, key="leak",
               details={"repair_status": status, **details}, notify_on=watched)

    leak(day, "Fuite probable", "none", lost_m3=10)
    deliver(db, registry, day + 1000)
    assert len(mailbox.messages) == 1  # the opening
    leak(day + 60_000, "Fuite probable", "awaiting", lost_m3=12)  # not declared: quiet
    leak(day + 120_000, "Fuite persistante après réparation", "refuted", lost_m3=14)
    leak(day + 180_000, "Fuite persistante après réparation", "refuted", lost_m3=16)
    deliver(db, registry, day + 200_000)
    assert len(mailbox.messages) == 2
    message = mailbox.messages[1][1]
    assert message["Subject"].startswith("[Beffroi] Avertissement (mise à jour) : Fuite "
                                         "persistante après réparation")
    [changed] = rows(db, schema.alert_events, kind="changed")
    assert orjson.loads(changed.details)["changed"] == ["repair_status"]
    assert "Fuite persistante" in message.get_body(("plain",)).get_content()


def test_digest_subscribers_get_warnings_once_a_day(db, registry, world, mailbox):
    subscribe(db, registry, world, "viewer", min_severity="warning", digest=True)
    subscribe(db, registry, world, "primary", min_severity="warning")
    d0 = "2026-03-10"
    assert send_digests(db, registry, paris(f"{d0} 08:00")) == 0  # first sight of the tenant
    for hour, title, asset in (("10:00", "Niveau bas", "reservoir"),
                               ("14:00", "Porte ouverte", "far_site")):
        raise_(db, registry, world, asset, "warning", paris(f"{d0} {hour}"), title)
        deliver(db, registry, paris(f"{d0} {hour}") + 5_000)
    raise_(db, registry, world, "site", "critical", paris(f"{d0} 15:00"), "Incendie")
    deliver(db, registry, paris(f"{d0} 15:00") + 5_000)
    viewer, primary = email_of(world, "viewer"), email_of(world, "primary")
    # Immediate subscriber: everything; digest subscriber: the critical alert only.
    assert [m["Subject"] for m in mailbox.to(viewer)] == [
        "[Beffroi] Alerte critique : Incendie — Remiremont"]
    assert len(mailbox.to(primary)) == 3

    assert send_digests(db, registry, paris("2026-03-11 07:00")) == 0  # before digest_time
    assert send_digests(db, registry, paris("2026-03-11 07:31")) == 1
    deliver(db, registry, paris("2026-03-11 07:32"))
    digest = mailbox.to(viewer)[-1]
    assert digest["Subject"].startswith("[Beffroi] Récapitulatif du mercredi 11 mars 2026 : "
                                        "2 alertes")
    text = mailbox.text(digest)
    assert "[avertissement] Niveau bas — Remiremont, Réservoir des Fourches" in text
    assert "[avertissement] Porte ouverte — Saint-Étienne-lès-Remiremont, Gymnase" in text
    assert "mardi 10 mars 2026 à 10:00" in text and "Incendie" not in text
    assert mailbox.to(primary)[-1]["Subject"] == mailbox.to(primary)[2]["Subject"]  # no digest
    [row] = notifications(db, kind="digest")
    assert (row.user_id, row.alert_id, row.status) == (world["viewer"], None, "sent")

    assert send_digests(db, registry, paris("2026-03-11 08:31")) == 0  # once a day
    assert send_digests(db, registry, paris("2026-03-12 07:35")) == 0  # nothing new
    raise_(db, registry, world, "reservoir", "warning", paris("2026-03-12 09:00"), "Turbidité")
    deliver(db, registry, paris("2026-03-12 09:00") + 5_000)
    assert send_digests(db, registry, paris("2026-03-12 23:00")) == 0  # today's is done
    assert send_digests(db, registry, paris("2026-03-13 07:30")) == 1
    deliver(db, registry, paris("2026-03-13 07:31"))
    text = mailbox.text(mailbox.to(viewer)[-1])
    assert "Turbidité" in text and "Niveau bas" not in text


def test_digest_respects_commune_restrictions(db, registry, world, mailbox):
    subscribe(db, registry, world, "far", min_severity="info", digest=True)
    send_digests(db, registry, paris("2026-03-10 08:00"))
    raise_(db, registry, world, "reservoir", "warning", paris("2026-03-10 10:00"), "Niveau bas")
    deliver(db, registry, paris("2026-03-10 10:01"))
    assert send_digests(db, registry, paris("2026-03-11 07:30")) == 0
    raise_(db, registry, world, "far_site", "info", paris("2026-03-11 10:00"), "Porte ouverte")
    deliver(db, registry, paris("2026-03-11 10:01"))
    assert send_digests(db, registry, paris("2026-03-12 07:30")) == 1
    deliver(db, registry, paris("2026-03-12 07:31"))
    [(rcpt, digest)] = mailbox.messages
    assert rcpt == [email_of(world, "far")] and "Niveau bas" not in mailbox.text(digest)


def test_flapping_alert_reopened_within_the_delay_sends_nothing_new(db, registry, world,
                                                                    mailbox):
    subscribe(db, registry, world, "viewer", min_severity="warning")
    t = now_ms()  # the re-notification delay is measured against the wall clock
    alert = raise_(db, registry, world, "reservoir", "warning", t, "Débit anormal", key="flap",
                   renotify_after_s=3600)
    deliver(db, registry, t + 1000)
    assert len(mailbox.messages) == 1
    for minute in (1, 3, 5):
        with db.write() as conn:
            clear_alert(db, conn, world["tenant"], "flap", t + minute * 60_000)
        again = raise_(db, registry, world, "reservoir", "warning", t + (minute + 1) * 60_000,
                       "Débit anormal", key="flap", renotify_after_s=3600)
        assert again.id == alert.id
        deliver(db, registry, t + (minute + 1) * 60_000 + 1000)
    reopened = rows(db, schema.alert_events, alert_id=alert.id, kind="reopened")
    assert len(reopened) == 3 and not any(orjson.loads(e.details)["notify"] for e in reopened)
    assert len(mailbox.messages) == 1 and len(notifications(db)) == 1


def test_routing_reads_each_event_once(db, registry, world, mailbox):
    subscribe(db, registry, world, "viewer", min_severity="info")
    day = paris("2026-03-10 11:00")
    for i in range(5):
        raise_(db, registry, world, "site", "warning", day + i, f"Alerte {i}")
    assert route_events(db, registry, day + 10, batch=2) == 5 + 5  # and the 5 "notified"
    assert route_events(db, registry, day + 20) == 0
    assert len(notifications(db)) == 5
    [lease] = rows(db, schema.job_leases, name="notifications.route")
    assert lease.cursor == max(e.id for e in rows(db, schema.alert_events))


@pytest.mark.parametrize("data, field, message", [
    ({"domains": ["eau"]}, "domains", "domaines inconnus : eau"),
    ({"domains": []}, "domains", "liste non vide"),
    ({"communes": ["99999"]}, "communes", "communes absentes du territoire : 99999"),
    ({"min_severity": "urgent"}, "min_severity", "gravité inconnue « urgent »"),
    ({"digest": "oui"}, "digest", "true ou false"),
    ({"channel": "sms"}, "channel", "seul « email »"),
    ({"colour": "bleu"}, "colour", "champ inconnu"),
    ({"user_id": 424242}, "user_id", "n'est pas un membre actif"),
])
def test_subscriptions_are_validated(db, registry, world, data, field, message):
    from beffroi.core.errors import Invalid

    with pytest.raises(Invalid) as caught:
        subscribe(db, registry, world, "admin", **data)
    assert any(e["field"] == field and message in e["message"] for e in caught.value.errors), \
        caught.value.errors
