"""Webhooks: the documented payload reaches a real HTTP receiver, signed as documented."""

from __future__ import annotations

import inspect
import re
import time
from pathlib import Path

import orjson

from beffroi.core.alerting.alerts import acknowledge_alert, resolve_alert
from beffroi.notifications import webhooks
from beffroi.notifications.escalation import escalate_due
from beffroi.notifications.oncall import set_week
from beffroi.notifications.outbox import send_due
from beffroi.notifications.routing import route_events

from .conftest import as_user, deliver, notifications, paris, raise_

README = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")


def readme_verify_signature():
    """The verification snippet of the README, run as an operator would copy it."""
    [code] = [block for block in re.findall(r"```python\n(.*?)```", README, re.S)
              if "def verify_signature" in block]
    namespace: dict = {}
    exec(compile(code, "README.md", "exec"), namespace)
    return namespace["verify_signature"]


def test_the_readme_gives_operators_the_library_function():
    assert inspect.getsource(webhooks.verify_signature) in README


def add_webhook(db, registry, world, **data):
    with db.write() as conn:
        return webhooks.create_webhook(as_user(db, conn, world, "admin"), conn, registry, data)


def test_receiver_gets_the_documented_signed_payload(db, registry, world, receiver, mailbox):
    hook, secret = add_webhook(db, registry, world, url=receiver.url, min_severity="warning")
    assert secret.startswith("bwh_") and len(secret) > 40
    # Filtered out: another domain only, or a higher minimum severity.
    add_webhook(db, registry, world, url=receiver.url + "/eau", domains=["water"],
                min_severity="info")
    add_webhook(db, registry, world, url=receiver.url + "/info", min_severity="info",
                enabled=False)
    t0 = paris("2026-03-10 10:00")
    alert = raise_(db, registry, world, "site", "critical", t0, "Incendie à l'école",
                   details={"value": 71.5, "threshold": 60})
    deliver(db, registry, t0 + 1000)

    [request] = receiver.requests
    assert request["path"] == "/beffroi"
    headers, body = request["headers"], request["body"]
    assert headers["Content-Type"] == "application/json"
    assert headers["X-Beffroi-Event"] == "alert.opened"
    assert abs(int(headers["X-Beffroi-Timestamp"]) - time.time()) < 60
    assert headers["X-Beffroi-Signature"].startswith("sha256=")
    payload = orjson.loads(body)
    assert payload["event"] == "alert.opened" and isinstance(payload["event_id"], int)
    assert payload["occurred_at"] == "2026-03-10T09:00:00Z"
    assert payload["tenant"] == {"id": world["tenant"], "siren": None,
                                 "name": "CC de la Porte des Vosges"}
    assert payload["alert"] | {"details": None} == {
        "id": alert.id, "title": "Incendie à l'école", "severity": "critical",
        "status": "open", "domain": "generic",
        "commune": {"insee": "88383", "name": "Remiremont"},
        "asset": {"id": world["site"], "ref": "ECOLE-1", "name": "École Jules-Ferry",
                  "kind": "generic.site"},
        "opened_at": "2026-03-10T09:00:00Z", "last_triggered_at": "2026-03-10T09:00:00Z",
        "trigger_count": 1, "acknowledged_at": None, "resolved_at": None,
        "escalated_at": None, "details": None,
        "url": f"https://beffroi.example.fr/api/v1/tenants/{world['tenant']}/alerts/{alert.id}"}
    assert payload["alert"]["details"] == {"value": 71.5, "threshold": 60}
    assert payload["user"] is None and payload["comment"] is None
    # The README example documents exactly these keys.
    documented = orjson.loads(re.search(r"```json\n(.*?)```", README, re.S).group(1))
    assert documented.keys() == payload.keys()
    assert documented["alert"].keys() == payload["alert"].keys()

    timestamp, signature = headers["X-Beffroi-Timestamp"], headers["X-Beffroi-Signature"]
    old = str(int(time.time()) - 3600)
    for verify in (webhooks.verify_signature, readme_verify_signature()):
        assert verify(secret, timestamp, body, signature)
        assert not verify(secret, timestamp, body.replace(b"Incendie", b"Exercice"), signature)
        assert not verify("bwh_" + "x" * 43, timestamp, body, signature)
        assert not verify(secret, str(int(timestamp) + 1), body, signature)
        # A replay: correctly signed, but an hour old.
        assert not verify(secret, old, body, webhooks.sign(secret, old, body))
        assert verify(secret, old, body, webhooks.sign(secret, old, body), tolerance_s=7200)
        assert not verify(secret, "hier", body, signature)

    with db.write() as conn:
        acknowledge_alert(as_user(db, conn, world, "primary"), conn, alert.id,
                          {"comment": "Pompiers prévenus."})
    deliver(db, registry, t0 + 60_000)
    with db.write() as conn:
        resolve_alert(as_user(db, conn, world, "primary"), conn, alert.id, {})
    deliver(db, registry, t0 + 120_000)
    events = [orjson.loads(r["body"]) for r in receiver.requests]
    assert [e["event"] for e in events] == ["alert.opened", "alert.acknowledged",
                                            "alert.resolved"]
    assert [r["headers"]["X-Beffroi-Event"] for r in receiver.requests] == [
        e["event"] for e in events]
    assert events[1]["user"] == {"id": world["primary"], "name": "Primary"}
    assert events[1]["comment"] == "Pompiers prévenus."
    assert events[2]["alert"]["status"] == "resolved"
    assert all(webhooks.verify_signature(secret, r["headers"]["X-Beffroi-Timestamp"], r["body"],
                                         r["headers"]["X-Beffroi-Signature"])
               for r in receiver.requests)
    assert {n.webhook_id for n in notifications(db, channel="webhook")} == {hook.id}


def test_escalation_and_severity_raise_reach_webhooks(db, registry, world, receiver, mailbox):
    add_webhook(db, registry, world, url=receiver.url, min_severity="critical")
    with db.write() as conn:
        set_week(as_user(db, conn, world, "admin"), conn, "2026-03-09",
                 {"primary_user_id": world["primary"], "secondary_user_id": world["secondary"]})
    t0 = paris("2026-03-11 01:00")
    raise_(db, registry, world, "reservoir", "warning", t0, "Niveau bas", key="level")
    deliver(db, registry, t0 + 1000)
    assert receiver.requests == []  # below the webhook's minimum
    raise_(db, registry, world, "reservoir", "critical", t0 + 60_000, "Niveau très bas",
           key="level")
    deliver(db, registry, t0 + 61_000)
    escalate_due(db, registry, t0 + 61_000 + 30 * 60_000)
    deliver(db, registry, t0 + 62_000 + 30 * 60_000)
    assert [r["headers"]["X-Beffroi-Event"] for r in receiver.requests] == [
        "alert.severity_raised", "alert.escalated"]
    assert orjson.loads(receiver.requests[1]["body"])["alert"]["escalated_at"] is not None
    assert [rcpt for rcpt, _ in mailbox.messages] == [["primary@cc-vosges.fr"],
                                                      ["secondary@cc-vosges.fr"]]


def test_a_change_worth_telling_reaches_webhooks_as_alert_changed(db, registry, world,
                                                                   receiver):
    add_webhook(db, registry, world, url=receiver.url)
    t0 = paris("2026-03-11 10:00")
    watched = (("repair_status", "back"),)
    for k, status in enumerate(("none", "none", "back")):
        raise_(db, registry, world, "reservoir", "warning", t0 + k * 60_000, "Fuite",
               key="leak", details={"repair_status": status}, notify_on=watched)
    deliver(db, registry, t0 + 200_000)
    assert [r["headers"]["X-Beffroi-Event"] for r in receiver.requests] == [
        "alert.opened", "alert.changed"]
    assert orjson.loads(receiver.requests[1]["body"])["alert"]["details"] == {
        "repair_status": "back"}


def test_failing_receiver_is_retried_with_the_same_delivery_id(db, registry, world, receiver):
    add_webhook(db, registry, world, url=receiver.url)
    receiver.status = 503
    t0 = paris("2026-03-10 10:00")
    raise_(db, registry, world, "site", "warning", t0, "Porte ouverte")
    deliver(db, registry, t0)
    [row] = notifications(db)
    assert (row.status, row.attempts, row.next_attempt_at) == ("pending", 1, t0 + 60_000)
    assert row.error.startswith("Webhook en erreur : HTTP 503")
    assert send_due(db, t0 + 59_000) == []
    receiver.status = 200
    [outcome] = send_due(db, t0 + 60_000)
    assert outcome["status"] == "sent"
    first, second = receiver.requests
    assert first["body"] == second["body"]
    assert first["headers"]["X-Beffroi-Delivery"] == second["headers"]["X-Beffroi-Delivery"]


def test_deleted_webhook_fails_without_retry(db, registry, world, receiver):
    hook, _ = add_webhook(db, registry, world, url=receiver.url)
    t0 = paris("2026-03-10 10:00")
    raise_(db, registry, world, "site", "warning", t0, "Porte ouverte")
    route_events(db, registry, t0)
    with db.write() as conn:
        webhooks.delete_webhook(as_user(db, conn, world, "admin"), conn, hook.id)
    send_due(db, t0)
    [row] = notifications(db)
    assert (row.status, row.error) == ("failed", "Webhook supprimé avant l'envoi.")
    assert receiver.requests == []
