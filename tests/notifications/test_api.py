"""The notification routes: validation (422 with the fields in error), rights, audit."""

from __future__ import annotations

import re
from pathlib import Path

import orjson
from sqlalchemy import select

from beffroi.core import tenants
from beffroi.core.access import CLI, open_scope
from beffroi.notifications import webhooks
from beffroi.notifications.outbox import send_due
from beffroi.storage import schema

from .conftest import deliver, notifications, paris, raise_, token

README = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")


def audit(db, tenant_id: int, entity: str) -> list[tuple]:
    a = schema.audit_log
    with db.read() as conn:
        return [(r.action, r.user_id, r.entity_id, orjson.loads(r.details)) for r in conn.execute(
            select(a).where(a.c.tenant_id == tenant_id, a.c.entity == entity).order_by(a.c.id))]


def fields(response) -> set[str]:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    return {e["field"] for e in response.json()["errors"]}


def test_subscriptions(client, db, world):
    base = f"/api/v1/tenants/{world['tenant']}/subscriptions"
    viewer, admin, far = (token(db, world, k) for k in ("viewer", "admin", "far"))
    created = client.post(base, headers=viewer, json={"domains": ["water"],
                                                      "min_severity": "warning"})
    assert created.status_code == 201, created.text
    mine = created.json()
    assert mine | {"id": 0, "created_at": None} == {
        "id": 0, "user_id": world["viewer"], "domains": ["water"], "communes": None,
        "min_severity": "warning", "digest": False, "channel": "email", "created_at": None}
    bad = client.post(base, headers=viewer, json={
        "domains": ["eau"], "communes": ["99999"], "min_severity": "urgent", "digest": "oui",
        "colour": "bleu"})
    assert fields(bad) == {"domains", "communes", "min_severity", "digest", "colour"}
    assert "domaines inconnus : eau" in bad.text
    outside = client.post(base, headers=far, json={"communes": ["88383"]})
    assert fields(outside) == {"communes"} and "hors de l'accès de ce membre : 88383" in outside.text
    assert client.post(base, headers=viewer, json={"user_id": world["admin"]}).status_code == 403
    assert client.post(base, json={}).status_code == 401

    for_viewer = client.post(base, headers=admin, json={"user_id": world["viewer"],
                                                        "min_severity": "critical"})
    assert for_viewer.status_code == 201 and for_viewer.json()["user_id"] == world["viewer"]
    own_admin = client.post(base, headers=admin, json={}).json()
    assert own_admin["min_severity"] == "warning" and own_admin["domains"] is None

    assert {s["id"] for s in client.get(base, headers=viewer).json()} == {
        mine["id"], for_viewer.json()["id"]}
    assert len(client.get(base, headers=admin).json()) == 3
    assert len(client.get(f"{base}?user_id={world['viewer']}", headers=admin).json()) == 2
    assert client.get(f"{base}?user_id={world['admin']}", headers=viewer).status_code == 403

    assert client.patch(f"{base}/{own_admin['id']}", headers=viewer,
                        json={"digest": True}).status_code == 403
    assert client.delete(f"{base}/{own_admin['id']}", headers=viewer).status_code == 403
    changed = client.patch(f"{base}/{mine['id']}", headers=admin, json={"digest": True})
    assert changed.status_code == 200 and changed.json()["digest"] is True
    assert fields(client.patch(f"{base}/{mine['id']}", headers=viewer,
                               json={"user_id": world["admin"]})) == {"user_id"}
    assert client.delete(f"{base}/{mine['id']}", headers=viewer).status_code == 204
    assert client.get(f"{base}/{mine['id']}", headers=viewer).status_code == 404
    assert client.patch(f"{base}/999999", headers=admin, json={}).status_code == 404

    assert [(action, user, entity_id) for action, user, entity_id, _ in
            audit(db, world["tenant"], "subscription")] == [
        ("create", world["viewer"], str(mine["id"])),
        ("create", world["admin"], str(for_viewer.json()["id"])),
        ("create", world["admin"], str(own_admin["id"])),
        ("update", world["admin"], str(mine["id"])),
        ("delete", world["viewer"], str(mine["id"]))]


def test_webhooks(client, db, world):
    base = f"/api/v1/tenants/{world['tenant']}/webhooks"
    admin = token(db, world, "admin")
    body = {"name": "Supervision", "url": "https://hooks.example.fr/beffroi",
            "min_severity": "critical", "domains": ["water"]}
    for who in ("viewer", "primary"):
        assert client.post(base, headers=token(db, world, who), json=body).status_code == 403
        assert client.get(base, headers=token(db, world, who)).status_code == 403
    bad = client.post(base, headers=admin, json={"url": "ftp://hooks.example.fr",
                                                 "min_severity": "grave", "domains": ["eau"],
                                                 "enabled": "oui", "secret": "mine"})
    assert fields(bad) == {"url", "min_severity", "domains", "enabled", "secret"}
    assert fields(client.post(base, headers=admin, json={})) == {"url"}

    created = client.post(base, headers=admin, json=body)
    assert created.status_code == 201, created.text
    hook = created.json()
    assert hook["secret"].startswith("bwh_") and hook["enabled"] is True
    listed = client.get(base, headers=admin).json()
    assert [h["id"] for h in listed] == [hook["id"]] and "secret" not in listed[0]
    assert hook["secret"] not in client.get(f"{base}/{hook['id']}", headers=admin).text
    changed = client.patch(f"{base}/{hook['id']}", headers=admin,
                           json={"enabled": False, "domains": None})
    assert changed.status_code == 200
    assert (changed.json()["enabled"], changed.json()["domains"]) == (False, None)
    assert fields(client.patch(f"{base}/{hook['id']}", headers=admin,
                               json={"url": "pas une adresse"})) == {"url"}
    assert client.delete(f"{base}/{hook['id']}", headers=admin).status_code == 204
    assert client.get(f"{base}/{hook['id']}", headers=admin).status_code == 404
    trail = audit(db, world["tenant"], "webhook")
    assert [a for a, *_ in trail] == ["create", "update", "delete"]
    assert hook["secret"] not in str(trail)


def test_oncall_rota(client, db, world):
    base = f"/api/v1/tenants/{world['tenant']}/oncall"
    admin, viewer = token(db, world, "admin"), token(db, world, "viewer")
    week = {"primary_user_id": world["primary"], "secondary_user_id": world["secondary"]}
    assert fields(client.put(f"{base}/2026-03-10", headers=admin, json=week)) == {"week_start"}
    assert fields(client.put(f"{base}/semaine", headers=admin, json=week)) == {"week_start"}
    assert fields(client.put(f"{base}/2026-03-09", headers=admin, json={
        "primary_user_id": world["viewer"], "secondary_user_id": "x"})) == {
        "primary_user_id", "secondary_user_id"}
    assert client.put(f"{base}/2026-03-09", headers=viewer, json=week).status_code == 403

    done = client.put(f"{base}/2026-03-09", headers=admin, json=week)
    assert done.status_code == 200, done.text
    assert done.json() == {
        "week_start": "2026-03-09", "week_end": "2026-03-15",
        "primary": {"id": world["primary"], "email": "primary@cc-vosges.fr", "name": "Primary"},
        "secondary": {"id": world["secondary"], "email": "secondary@cc-vosges.fr",
                      "name": "Secondary"}}
    swapped = client.put(f"{base}/2026-03-16", headers=admin,
                         json={"primary_user_id": world["secondary"]})
    assert swapped.status_code == 200 and swapped.json()["secondary"] is None
    weeks = client.get(f"{base}?from=2026-03-11", headers=viewer).json()  # members may read
    assert [w["week_start"] for w in weeks] == ["2026-03-09", "2026-03-16"]
    assert [w["week_start"] for w in client.get(f"{base}?from=2026-03-16",
                                                headers=viewer).json()] == ["2026-03-16"]
    assert fields(client.get(f"{base}?from=hier", headers=viewer)) == {"from"}
    assert client.delete(f"{base}/2026-03-16", headers=viewer).status_code == 403
    assert client.delete(f"{base}/2026-03-16", headers=admin).status_code == 204
    assert client.delete(f"{base}/2026-03-16", headers=admin).status_code == 404
    assert client.get(f"{base}/2026-03-16", headers=admin).status_code == 404
    assert [(a, e) for a, _, e, _ in audit(db, world["tenant"], "oncall_week")] == [
        ("create", "2026-03-09"), ("create", "2026-03-16"), ("delete", "2026-03-16")]


def test_notification_log(client, db, registry, world, mailbox):
    admin = token(db, world, "admin")
    client.post(f"/api/v1/tenants/{world['tenant']}/subscriptions", headers=admin, json={})
    alert = raise_(db, registry, world, "site", "warning", paris("2026-03-10 10:00"), "Porte")
    deliver(db, registry, paris("2026-03-10 10:01"))
    base = f"/api/v1/tenants/{world['tenant']}/notifications"
    [entry] = client.get(f"{base}?alert_id={alert.id}&status=sent", headers=admin).json()
    assert entry["target"] == "admin@cc-vosges.fr" and entry["kind"] == "alert"
    assert entry["status"] == "sent" and entry["error"] is None and entry["attempts"] == 1
    assert entry["sent_at"] == "2026-03-10T09:01:00Z"
    assert client.get(f"{base}?status=failed", headers=admin).json() == []
    assert fields(client.get(f"{base}?status=perdu&limit=0", headers=admin)) == {"status", "limit"}
    assert client.get(base, headers=token(db, world, "viewer")).status_code == 403


def test_notification_settings_of_the_tenant(client, db, world):
    url = f"/api/v1/tenants/{world['tenant']}"
    admin = token(db, world, "admin")
    bad = client.patch(url, headers=admin, json={"settings": {
        "working_hours": {"days": [0, 1, 1], "start": "8h", "end": "07:00", "lunch": True},
        "escalation_delay_min": 0, "digest_time": "25:00"}})
    assert fields(bad) == {"working_hours.days", "working_hours.start", "working_hours.lunch",
                           "escalation_delay_min", "digest_time"}
    assert fields(client.patch(url, headers=admin, json={"settings": {
        "working_hours": {"days": [1], "start": "18:00", "end": "08:00"}}})) == {
        "working_hours.end"}
    good = {"working_hours": {"days": [1, 2, 3, 4, 5, 6], "start": "07:30", "end": "19:00"},
            "escalation_delay_min": 15, "digest_time": "06:45"}
    response = client.patch(url, headers=admin, json={"settings": good})
    assert response.status_code == 200, response.text
    assert response.json()["settings"] | good == response.json()["settings"]
    defaults = client.get(url, headers=token(db, world, "viewer")).json()["settings"]
    assert defaults["digest_time"] == "06:45"


def test_a_webhook_test_goes_through_the_outbox_signed_and_logged(client, db, registry, world,
                                                                  receiver):
    """POST …/webhooks/{id}/test queues a delivery that the sending job signs, sends to the
    checked address and logs like an alert's; admins of the webhook's territory only."""
    base = f"/api/v1/tenants/{world['tenant']}/webhooks"
    admin = token(db, world, "admin")
    created = client.post(base, headers=admin, json={"name": "Supervision", "url": receiver.url})
    assert created.status_code == 201, created.text
    hook, secret = created.json(), created.json()["secret"]
    with db.write() as conn:  # another territory, with a webhook of its own
        other = tenants.create_tenant(db, conn, CLI, name="Autre territoire", registry=registry)
        theirs, _ = webhooks.create_webhook(open_scope(db, conn, CLI, other["id"]), conn,
                                            registry, {"url": "https://hooks.example.fr/b"})

    for who in ("viewer", "primary"):
        refused = client.post(f"{base}/{hook['id']}/test", headers=token(db, world, who))
        assert refused.status_code == 403, refused.text
    assert client.post(f"{base}/{hook['id']}/test").status_code == 401
    assert client.post(f"{base}/{theirs.id}/test", headers=admin).status_code == 404
    assert client.post(f"{base}/999999/test", headers=admin).status_code == 404
    assert notifications(db) == []

    answer = client.post(f"{base}/{hook['id']}/test", headers=admin)
    assert answer.status_code == 202, answer.text
    queued = answer.json()
    assert queued | {"id": 0, "created_at": None, "next_attempt_at": None} == {
        "id": 0, "alert_id": None, "user_id": None, "webhook_id": hook["id"],
        "channel": "webhook", "target": receiver.url, "kind": "test", "subject": "webhook.test",
        "status": "pending", "attempts": 0, "next_attempt_at": None, "created_at": None,
        "sent_at": None, "error": None}
    assert [(a, u, e) for a, u, e, _ in audit(db, world["tenant"], "webhook")][-1] == (
        "test", world["admin"], str(hook["id"]))

    # Sent by the sending job, signed with the webhook's secret, as any delivery.
    [outcome] = send_due(db)
    assert outcome["status"] == "sent"
    [request] = receiver.requests
    headers = request["headers"]
    assert headers["X-Beffroi-Event"] == "webhook.test"
    assert headers["X-Beffroi-Delivery"] == str(queued["id"])
    assert webhooks.verify_signature(secret, headers["X-Beffroi-Timestamp"], request["body"],
                                     headers["X-Beffroi-Signature"])
    payload = orjson.loads(request["body"])
    assert payload | {"occurred_at": None} == {
        "event": "webhook.test", "occurred_at": None,
        "tenant": {"id": world["tenant"], "siren": None, "name": "CC de la Porte des Vosges"},
        "webhook": {"id": hook["id"], "name": "Supervision"},
        "user": {"id": world["admin"], "name": "Admin"},
        "message": "Essai d'envoi demandé depuis Beffroi : ce message ne correspond à aucune "
                   "alerte. S'il vous parvient avec une signature valide, le webhook est bien "
                   "configuré."}
    # The README documents exactly these keys, and the same message.
    [documented] = [orjson.loads(block) for block in re.findall(r"```json\n(.*?)```", README, re.S)
                    if '"webhook.test"' in block]
    assert documented.keys() == payload.keys() and documented["message"] == payload["message"]
    assert documented["webhook"].keys() == payload["webhook"].keys()
    [logged] = client.get(f"/api/v1/tenants/{world['tenant']}/notifications",
                          headers=admin).json()
    assert (logged["id"], logged["status"], logged["kind"]) == (queued["id"], "sent", "test")

    # A disabled webhook is not tried: said at once, nothing queued.
    client.patch(f"{base}/{hook['id']}", headers=admin, json={"enabled": False})
    disabled = client.post(f"{base}/{hook['id']}/test", headers=admin)
    assert disabled.status_code == 409
    assert disabled.json()["detail"] == (
        "Ce webhook est désactivé : activez-le pour envoyer un essai.")
    assert len(notifications(db)) == 1


def test_a_webhook_test_to_a_private_address_fails_at_sending(client, db, world, receiver,
                                                              monkeypatch):
    """The address is checked again when the test leaves, as for an alert's delivery."""
    base = f"/api/v1/tenants/{world['tenant']}/webhooks"
    admin = token(db, world, "admin")
    hook = client.post(base, headers=admin, json={"url": receiver.url}).json()
    assert client.post(f"{base}/{hook['id']}/test", headers=admin).status_code == 202
    monkeypatch.delenv("BEFFROI_ALLOW_PRIVATE_NETWORKS")
    [outcome] = send_due(db)
    assert (outcome["status"], outcome["error"]) == (
        "failed", "Webhook non délivré : destination refusée (adresse locale, privée ou réservée).")
    assert receiver.requests == []
