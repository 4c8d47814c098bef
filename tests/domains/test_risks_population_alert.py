"""Population alert: templates, e-mail through a real SMTP server (aiosmtpd), the SMS
gateway through a signed webhook received by a real HTTP server on loopback (allowed for
this test only, as the operator would with BEFFROI_ALLOW_PRIVATE_NETWORKS), the public
banner (escaped), the delivery log and its retries, roles, isolation and bad input."""

from __future__ import annotations

import threading

import orjson
import pytest

from beffroi.core.registry import load_registry
from beffroi.domains.risks import population_alert_routes
from beffroi.domains.risks.population_alert import compose, send_due

from .risks_world import (
    SIREN,
    as_user,
    build_world,
    expected_signature,
    paris,
    start_receiver,
    token,
)

NOW = paris("2026-01-12T14:30:00")
BASE = "/api/v1/tenants/{}/risks"


@pytest.fixture(scope="module")
def registry():
    return load_registry(["generic", "risks"])


@pytest.fixture
def world(db, registry):
    return build_world(db, registry)


@pytest.fixture(autouse=True)
def pinned(monkeypatch):
    monkeypatch.setattr(population_alert_routes, "now_ms", lambda: NOW)
    monkeypatch.setenv("BEFFROI_PUBLIC_URL", "https://beffroi.example.fr/")


@pytest.fixture(scope="module")
def gateway():
    server, _ = start_receiver()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def receiver(gateway, monkeypatch):
    """The gateway on loopback: reachable only because this test allows 127.0.0.0/8."""
    gateway.requests.clear()
    gateway.status = 200
    monkeypatch.setenv("BEFFROI_ALLOW_PRIVATE_NETWORKS", "127.0.0.0/8")
    return gateway


def base(world) -> str:
    return BASE.format(world["tenant"])


def configure(client, db, world, url: str | None) -> str | None:
    answer = client.put(f"{base(world)}/alert-channels", headers=token(db, world, "admin"), json={
        "emails": [{"address": "mairie@remiremont.fr", "communes": ["88383"]},
                   {"address": "mairie@st-etienne.fr", "communes": ["88415"]},
                   "cellule@cc-vosges.fr"],
        "phones": [{"number": "+33612345678", "communes": ["88383"]},
                   {"number": "+33698765432", "communes": ["88415"]}],
        "sms_url": url})
    assert answer.status_code == 200, answer.text
    assert "sms_secret" not in client.get(f"{base(world)}/alert-channels",
                                          headers=token(db, world, "admin")).json()
    return answer.json().get("sms_secret")


def test_an_alert_by_email_sms_and_banner(client, db, world, mailbox, receiver):
    secret = configure(client, db, world, receiver.url)
    assert secret and secret.startswith("bsms_")
    answer = client.post(f"{base(world)}/population-alerts", headers=token(db, world, "agent"),
                         json={"risk": "crue", "level": "orange", "zones": [world["zone"]],
                               "advice": "Montez les biens à l'étage.",
                               "channels": ["email", "sms", "banner"]})
    assert answer.status_code == 201, answer.text
    alert = answer.json()
    # The zone reaches its commune, Remiremont: the template is filled in.
    assert alert["communes"] == ["88383"]
    assert alert["subject"] == "Alerte crue — vigilance orange — Remiremont"
    assert "à partir du 12/01/2026 à 14:30" in alert["body"]
    assert "Montez les biens à l'étage." in alert["body"]
    # E-mails: Remiremont's address and the unrestricted one, not Saint-Étienne's.
    assert mailbox.wait_for("mairie@remiremont.fr")
    assert "Montez les biens à l'étage." in mailbox.wait_for("cellule@cc-vosges.fr")
    assert mailbox.to("mairie@st-etienne.fr") == []
    assert mailbox.to("mairie@remiremont.fr")[0]["Subject"] == alert["subject"]
    # SMS: one signed call for Remiremont's number, checked as a receiver would.
    assert len(receiver.requests) == 1
    request = receiver.requests[0]
    headers = {k.lower(): v for k, v in request["headers"].items()}
    assert headers["x-beffroi-signature"] == expected_signature(
        secret, headers["x-beffroi-timestamp"], request["body"])
    assert headers["x-beffroi-event"] == "population_alert"
    payload = orjson.loads(request["body"])
    assert payload["to"] == "+33612345678" and payload["alert_id"] == alert["id"]
    assert payload["communes"] == ["88383"] and alert["subject"] in payload["message"]
    # The delivery log, recipient by recipient.
    log = {(d["channel"], d["recipient"]): d["status"] for d in alert["deliveries"]}
    assert log == {("email", "mairie@remiremont.fr"): "sent",
                   ("email", "cellule@cc-vosges.fr"): "sent",
                   ("sms", "+33612345678"): "sent",
                   ("banner", "page publique du territoire"): "sent"}
    assert alert["counts"]["email"] == {"queued": 0, "sent": 2, "failed": 0}


def test_failed_webhook_calls_are_retried_then_sent(client, db, world, receiver):
    configure(client, db, world, receiver.url)
    receiver.status = 503
    alert = client.post(f"{base(world)}/population-alerts", headers=token(db, world, "admin"),
                        json={"risk": "canicule", "level": "rouge", "communes": ["88415"],
                              "channels": ["sms"]}).json()
    (delivery,) = alert["deliveries"]
    assert delivery["recipient"] == "+33698765432"
    assert delivery["status"] == "failed" and delivery["attempts"] == 1
    assert delivery["error"] == "Webhook en erreur : HTTP 503."
    # Nothing before the planned retry (one minute later), then it goes through.
    assert send_due(db, NOW + 59_000) == 0
    receiver.status = 200
    assert send_due(db, NOW + 60_000) == 1
    detail = client.get(f"{base(world)}/population-alerts/{alert['id']}",
                        headers=token(db, world, "agent")).json()
    (delivery,) = detail["deliveries"]
    assert (delivery["status"], delivery["attempts"], delivery["error"]) == ("sent", 2, None)
    assert len(receiver.requests) == 2
    # The viewer sees the counts, never the numbers.
    seen = client.get(f"{base(world)}/population-alerts/{alert['id']}",
                      headers=token(db, world, "viewer")).json()
    assert "deliveries" not in seen and seen["counts"]["sms"]["sent"] == 1


def test_retries_stop_after_five_attempts(client, db, world, receiver):
    configure(client, db, world, receiver.url)
    receiver.status = 500
    alert = client.post(f"{base(world)}/population-alerts", headers=token(db, world, "admin"),
                        json={"risk": "autre", "level": "jaune", "communes": ["88415"],
                              "channels": ["sms"]}).json()
    at = NOW
    for delay_s in (60, 300, 900, 3600):
        at += delay_s * 1000
        assert send_due(db, at) == 1
    assert send_due(db, at + 10 * 86_400_000) == 0
    (delivery,) = client.get(f"{base(world)}/population-alerts/{alert['id']}",
                             headers=token(db, world, "admin")).json()["deliveries"]
    assert delivery["attempts"] == 5 and delivery["status"] == "failed"
    assert delivery["next_attempt_at"] is None


def test_a_private_gateway_address_is_refused(client, db, world, monkeypatch):
    monkeypatch.delenv("BEFFROI_ALLOW_PRIVATE_NETWORKS", raising=False)
    headers = token(db, world, "admin")
    for url in ("http://127.0.0.1:9/sms", "http://169.254.169.254/latest", "http://10.0.0.5/",
                "http://[::ffff:192.168.1.1]/", "ftp://sms.example.fr/",
                "https://beffroi.example.fr/api/v1/tenants/2/assets"):
        answer = client.put(f"{base(world)}/alert-channels", headers=headers,
                            json={"sms_url": url})
        assert answer.status_code == 422, url
        assert answer.json()["errors"][0]["field"] == "sms_url"


def test_a_gateway_that_became_private_is_not_called(client, db, world, receiver, monkeypatch):
    """Saved while allowed, then the operator withdraws the allowance: the call is refused
    at sending time (core.outbound checks again) and not retried."""
    configure(client, db, world, receiver.url)
    monkeypatch.delenv("BEFFROI_ALLOW_PRIVATE_NETWORKS")
    alert = client.post(f"{base(world)}/population-alerts", headers=token(db, world, "admin"),
                        json={"risk": "crue", "level": "jaune", "communes": ["88383"],
                              "channels": ["sms"]}).json()
    (delivery,) = alert["deliveries"]
    assert delivery["status"] == "failed" and delivery["next_attempt_at"] is None
    assert "destination refusée" in delivery["error"]
    assert receiver.requests == []


def test_the_banner_is_escaped_on_the_public_page(client, db, world, monkeypatch):
    import beffroi.web.public_indicators as page

    headers = token(db, world, "admin")
    assert client.patch(f"/api/v1/tenants/{world['tenant']}", headers=headers, json={
        "settings": {"impact.public_indicators": True}}).status_code == 200
    hostile = '<script>alert("x")</script> & <b>gras</b>'
    answer = client.post(f"{base(world)}/population-alerts", headers=headers, json={
        "risk": "autre", "level": "rouge", "communes": ["88383"], "advice": hostile,
        "channels": ["banner"], "banner_hours": 2})
    assert answer.status_code == 201, answer.text
    alert = answer.json()
    assert alert["banner_until"] == "2026-01-12T15:30:00Z"  # 16:30 in Paris
    for at, shown in ((NOW, True), (NOW + 2 * 3_600_000, False)):
        monkeypatch.setattr(page, "now_ms", lambda at=at: at)  # the page's clock
        html = client.get(f"/territoires/{SIREN}/indicateurs").text
        assert ("public-banner-rouge" in html) is shown
        assert "<script>alert" not in html and "<b>gras</b>" not in html
        if shown:
            assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; &lt;b&gt;gras" in html
            assert "affiché jusqu'au 12/01/2026 à 16:30" in html
    # Withdrawn: gone at once.
    monkeypatch.setattr(page, "now_ms", lambda: NOW + 60_000)
    assert client.delete(f"{base(world)}/population-alerts/{alert['id']}/banner",
                         headers=headers).status_code == 200
    assert "public-banner" not in client.get(f"/territoires/{SIREN}/indicateurs").text


def test_templates_are_editable_per_tenant(client, db, world):
    headers = token(db, world, "agent")
    url = f"{base(world)}/alert-templates/canicule"
    answer = client.put(url, headers=headers, json={
        "subject": "Canicule {level} à {commune}", "body": "Dès le {time}. {advice}"})
    assert answer.status_code == 200 and answer.json()["custom"] is True
    preview = client.post(f"{base(world)}/population-alerts/preview", headers=headers, json={
        "risk": "canicule", "level": "orange", "communes": ["88383", "88415"],
        "advice": "Buvez.", "channels": ["banner"]}).json()
    assert preview["subject"] == "Canicule orange à Remiremont et Saint-Étienne-lès-Remiremont"
    assert preview["body"] == "Dès le 12/01/2026 à 14:30. Buvez."
    assert preview["recipients"] == {"banner": 1}
    # The other territory keeps the built-in wording.
    other = token(db, world, "other")
    theirs = client.get(BASE.format(world["other_tenant"]) + "/alert-templates",
                        headers=other).json()
    assert next(t for t in theirs if t["risk"] == "canicule")["custom"] is False
    bad = client.put(url, headers=headers, json={"subject": "{commune.__class__}",
                                                  "body": "{0} {nom}", "extra": 1})
    assert bad.status_code == 422
    assert {e["field"] for e in bad.json()["errors"]} == {"subject", "body", "extra"}
    assert client.delete(url, headers=headers).json()["custom"] is False


def test_roles_isolation_and_bad_input(client, db, world):
    url = f"{base(world)}/population-alerts"
    body = {"risk": "crue", "level": "orange", "communes": ["88383"], "channels": ["banner"]}
    assert client.post(url, headers=token(db, world, "viewer"), json=body).status_code == 403
    assert client.put(f"{base(world)}/alert-channels", headers=token(db, world, "agent"),
                      json={"emails": []}).status_code == 403
    # Another territory's user: the territory is not found.
    other = token(db, world, "other")
    assert client.post(url, headers=other, json=body).status_code == 404
    assert client.get(url, headers=other).status_code == 404
    # Targets of another territory, or out of a restricted agent's communes.
    mine = token(db, world, "admin")
    foreign = client.post(url, headers=mine, json={**body, "communes": ["55040"],
                                                   "zones": [world["zone_b"]]})
    assert foreign.status_code == 422
    assert [e["field"] for e in foreign.json()["errors"]] == ["communes", "zones"]
    far = token(db, world, "far")
    assert client.post(url, headers=far, json=body).status_code == 422
    sent = client.post(url, headers=far, json={**body, "communes": [],
                                               "zones": [world["far_zone"]]})
    assert sent.status_code == 201 and sent.json()["communes"] == ["88415"]
    # The restricted agent sees only alerts reaching his communes.
    client.post(url, headers=mine, json=body)
    assert [a["communes"] for a in client.get(url, headers=far).json()] == [["88415"]]
    # Bad input: every field named, in French.
    bad = client.post(url, headers=mine, json={"risk": "tsunami", "level": "violet",
                                               "channels": ["pigeon"], "banner_hours": 0,
                                               "time": "demain"})
    assert bad.status_code == 422
    assert {e["field"] for e in bad.json()["errors"]} == {
        "risk", "level", "channels", "banner_hours", "time", "communes"}
    # A channel without recipients or gateway: refused, nothing recorded.
    empty = client.post(url, headers=mine, json={**body, "channels": ["email", "sms"]})
    assert empty.status_code == 422
    assert "passerelle SMS non configurée" in empty.text
    bad_channels = client.put(f"{base(world)}/alert-channels", headers=mine, json={
        "emails": ["pas-une-adresse"], "phones": [{"number": "0612345678"}],
        "rotate_secret": "oui"})
    assert {e["field"] for e in bad_channels.json()["errors"]} == {
        "emails[0].address", "phones[0].number", "rotate_secret"}



def test_the_same_alert_is_not_sent_twice_within_two_minutes(client, db, world, monkeypatch):
    """A double click on « Oui, envoyer maintenant », or a retry after a network error whose
    first try did reach the server: the same alert (targets, channels, message) within two
    minutes is refused with a 409 saying when it went, and the residents get it once. A
    deliberate re-send waits for the two minutes to pass, or changes the alert."""
    clock = {"ms": NOW}
    monkeypatch.setattr(population_alert_routes, "now_ms", lambda: clock["ms"])
    url, headers = f"{base(world)}/population-alerts", token(db, world, "agent")
    body = {"risk": "crue", "level": "orange", "communes": ["88383"],
            "advice": "Montez les biens à l'étage.", "channels": ["banner"]}
    first = client.post(url, headers=headers, json=body)
    assert first.status_code == 201, first.text
    sent = first.json()["id"]
    clock["ms"] = NOW + 3  # the second click, 3 ms later
    again = client.post(url, headers=headers, json=body)
    assert again.status_code == 409, again.text
    problem = again.json()
    assert problem["detail"] == (
        f"Cette alerte a déjà été envoyée le 12/01/2026 à 14:30:00 par Agent (alerte n° {sent}) "
        ": elle n'est pas envoyée une seconde fois, pour ne pas prévenir deux fois les mêmes "
        "personnes. Pour la renvoyer volontairement, réessayez après 14:32:00 ou modifiez-la "
        "(niveau, consigne, canaux, communes ou zones).")
    assert (problem["alert_id"], problem["sent_at"]) == (sent, "2026-01-12T13:30:00Z")
    # Another agent, a minute later (its {time} would read 14:31): still the same alert;
    # the order of the communes, channels or zones given does not matter either.
    clock["ms"] = NOW + 60_000
    other = client.post(url, headers=token(db, world, "admin"),
                        json={**body, "channels": ["banner", "banner"], "zones": []})
    assert other.status_code == 409
    assert [a["id"] for a in client.get(url, headers=headers).json()] == [sent]
    # A changed alert is another alert: sent.
    changed = client.post(url, headers=headers, json={**body, "advice": "Évacuez les caves."})
    assert changed.status_code == 201, changed.text
    assert client.post(url, headers=headers, json={**body, "level": "rouge"}).status_code == 201
    # The window is two minutes: at 14:32:00 it is still refused, just after it goes.
    clock["ms"] = NOW + 120_000
    assert client.post(url, headers=headers, json=body).status_code == 409
    clock["ms"] = NOW + 120_001
    resent = client.post(url, headers=headers, json=body)
    assert resent.status_code == 201, resent.text
    # Another territory's identical alert is not this one.
    theirs = client.post(BASE.format(world["other_tenant"]) + "/population-alerts",
                         headers=token(db, world, "other"),
                         json={**body, "communes": ["55040"]})
    assert theirs.status_code == 201, theirs.text


def test_two_sends_at_once_make_one_alert(client, db, world):
    """The two requests of a double click run at the same time: the second waits for the
    first's transaction to end, then sees its alert (on PostgreSQL as on SQLite)."""
    body = {"risk": "crue", "level": "orange", "communes": ["88383"], "channels": ["banner"]}
    headers = token(db, world, "agent")
    answers = []
    second = threading.Thread(target=lambda: answers.append(client.post(
        f"{base(world)}/population-alerts", headers=headers, json=body)))
    with db.write() as conn:
        compose(as_user(db, conn, world, "agent"), conn, body, NOW)
        second.start()
        second.join(0.5)
        assert second.is_alive(), "the second send must wait for the first"
    second.join(30)
    assert answers[0].status_code == 409, answers[0].text
    assert len(client.get(f"{base(world)}/population-alerts", headers=headers).json()) == 1


def test_a_preview_without_target_nor_channel_says_it_in_the_words_of_the_form(client, db,
                                                                              world):
    answer = client.post(f"{base(world)}/population-alerts/preview",
                         headers=token(db, world, "agent"),
                         json={"risk": "crue", "level": "orange", "communes": [], "zones": [],
                               "advice": "", "channels": []})
    assert answer.status_code == 422
    assert answer.json()["errors"] == [
        {"field": "channels",
         "message": "Choisissez au moins un canal : e-mail, SMS ou bandeau de la page publique"},
        {"field": "communes", "message": "Choisissez au moins une commune ou une zone"}]
