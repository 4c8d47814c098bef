"""Webhook destinations: a tenant admin cannot make Beffroi call what only the server reaches.

Refused when saved (loopback, link-local, private, multicast… and names resolving to them),
refused again at each delivery (the name may point elsewhere by then), connected to the
address just checked, never redirected, and logged with generic errors only.
"""

from __future__ import annotations

import ipaddress
import socket

import pytest

from beffroi.core import outbound
from beffroi.notifications.outbox import send_due
from beffroi.notifications.routing import route_events

from .conftest import notifications, paris, raise_, token
from .test_webhooks import add_webhook

ALLOW = "BEFFROI_ALLOW_PRIVATE_NETWORKS"
REFUSED = "destination refusée (adresse locale, privée ou réservée)"


def _fields(response) -> dict[str, str]:
    return {e["field"]: e["message"] for e in response.json().get("errors", [])}


NOT_PUBLIC = [
    "http://127.0.0.1:8080/hook",
    "http://127.8.9.10/",
    "http://localhost:6379/",  # a name that resolves to loopback
    "http://169.254.169.254/latest/meta-data/",  # cloud metadata service
    "http://10.1.2.3/hook",
    "http://172.16.0.1/",
    "http://192.168.1.1/",
    "http://100.64.0.1/",  # CGNAT shared address space
    "http://0.0.0.0:8000/",
    "http://224.0.0.1/",
    "http://[::1]:8080/",
    "http://[::]/",
    "http://[::ffff:127.0.0.1]:8080/",  # IPv4-mapped loopback
    "http://[fe80::1]/",
    "http://[fd12:3456::1]/",
    "http://[ff02::1]/",
    "https://240.0.0.1/",  # reserved
]


def test_creation_and_update_refuse_non_public_destinations(client, db, world, monkeypatch):
    monkeypatch.delenv(ALLOW, raising=False)
    base = f"/api/v1/tenants/{world['tenant']}/webhooks"
    admin = token(db, world, "admin")
    hook = client.post(base, headers=admin, json={"url": "https://hooks.example.fr/b"}).json()
    answers = {}
    for url in NOT_PUBLIC:
        created = client.post(base, headers=admin, json={"url": url})
        changed = client.patch(f"{base}/{hook['id']}", headers=admin, json={"url": url})
        answers[url] = (created.status_code, _fields(created),
                        changed.status_code, _fields(changed))
    # The same words whatever the address: nothing to learn about the network.
    assert answers == {url: (422, {"url": REFUSED}, 422, {"url": REFUSED}) for url in NOT_PUBLIC}
    assert client.get(f"{base}/{hook['id']}", headers=admin).json()["url"] == \
        "https://hooks.example.fr/b"
    assert [h["id"] for h in client.get(base, headers=admin).json()] == [hook["id"]]


def test_an_allowed_private_range_is_accepted_and_only_it(client, db, world, monkeypatch):
    monkeypatch.setenv(ALLOW, "10.20.0.0/16, fd00:beef::/32")
    base = f"/api/v1/tenants/{world['tenant']}/webhooks"
    admin = token(db, world, "admin")
    for url in ("http://10.20.3.4:8080/alertes", "http://[fd00:beef::7]/alertes"):
        assert client.post(base, headers=admin, json={"url": url}).status_code == 201
    for url in ("http://10.21.0.1/", "http://127.0.0.1/", "http://169.254.169.254/"):
        assert _fields(client.post(base, headers=admin, json={"url": url})) == {"url": REFUSED}


class FakeDns:
    """Stands in for DNS: what each name resolves to now, and how often it was asked."""

    def __init__(self) -> None:
        self.answers: dict[str, list[str]] = {}
        self.asked: list[str] = []

    def __call__(self, host: str, port: int):
        self.asked.append(host)
        if host in self.answers:
            return [ipaddress.ip_address(a) for a in self.answers[host]]
        return []


@pytest.fixture
def dns(monkeypatch) -> FakeDns:
    fake = FakeDns()
    monkeypatch.setattr(outbound, "resolve", fake)
    return fake


def _one_alert(db, registry, world, t0):
    raise_(db, registry, world, "site", "warning", t0, "Porte ouverte")
    route_events(db, registry, t0)


def test_a_name_that_now_resolves_to_loopback_is_refused_at_send_time(db, registry, world,
                                                                      receiver, dns, monkeypatch):
    port = receiver.server_address[1]
    dns.answers["alertes.example.fr"] = ["93.184.215.14"]  # public when the webhook is saved
    add_webhook(db, registry, world, url=f"http://alertes.example.fr:{port}/beffroi")
    monkeypatch.delenv(ALLOW)
    dns.answers["alertes.example.fr"] = ["127.0.0.1"]  # then rebound to the server itself
    t0 = paris("2026-03-10 10:00")
    _one_alert(db, registry, world, t0)
    [outcome] = send_due(db, t0)
    [row] = notifications(db)
    assert (row.status, row.attempts) == ("failed", 1)  # no retry: it cannot get better
    assert row.error == f"Webhook non délivré : {REFUSED}."
    assert outcome["status"] == "failed"
    assert receiver.requests == []


def test_a_range_no_longer_allowed_is_refused_at_send_time(db, registry, world, receiver,
                                                            monkeypatch):
    add_webhook(db, registry, world, url=receiver.url)  # allowed by the operator then
    monkeypatch.setenv(ALLOW, "10.20.0.0/16")  # …and no longer
    t0 = paris("2026-03-10 10:00")
    _one_alert(db, registry, world, t0)
    send_due(db, t0)
    [row] = notifications(db)
    assert (row.status, row.error) == ("failed", f"Webhook non délivré : {REFUSED}.")
    assert receiver.requests == []


def test_delivery_connects_to_the_checked_address_and_keeps_the_host_name(db, registry, world,
                                                                          receiver, dns):
    """No second lookup between the check and the connection: the name is resolved once,
    by the guard, and the request still names the host (Host header)."""
    port = receiver.server_address[1]
    dns.answers["alertes.example.fr"] = ["127.0.0.1"]  # allowed: loopback, by the fixture
    add_webhook(db, registry, world, url=f"http://alertes.example.fr:{port}/beffroi")
    dns.asked.clear()
    t0 = paris("2026-03-10 10:00")
    _one_alert(db, registry, world, t0)
    [outcome] = send_due(db, t0)
    assert outcome["status"] == "sent"
    [request] = receiver.requests
    assert request["headers"]["Host"] == f"alertes.example.fr:{port}"
    assert dns.asked == ["alertes.example.fr"]  # the system resolver was never asked


def test_a_redirect_is_not_followed(db, registry, world, receiver):
    receiver.status = 302
    receiver.location = f"http://127.0.0.1:{receiver.server_address[1]}/interne"
    add_webhook(db, registry, world, url=receiver.url)
    t0 = paris("2026-03-10 10:00")
    _one_alert(db, registry, world, t0)
    send_due(db, t0)
    [row] = notifications(db)
    assert (row.status, row.error) == ("failed",
                                       "Webhook non délivré : redirection non suivie (HTTP 302).")
    assert [r["path"] for r in receiver.requests] == ["/beffroi"]


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # closed again when the block ends


def test_delivery_errors_tell_nothing_of_ports_or_answers(db, registry, world, receiver):
    add_webhook(db, registry, world, url=f"http://127.0.0.1:{_closed_port()}/")
    receiver.status, receiver.reply = 500, b"redis_version:7.2.4 / mot de passe interne"
    add_webhook(db, registry, world, url=receiver.url)
    t0 = paris("2026-03-10 10:00")
    _one_alert(db, registry, world, t0)
    send_due(db, t0)
    errors = sorted(row.error for row in notifications(db))
    assert errors == ["Webhook en erreur : HTTP 500.",
                      "Webhook non délivré : connexion impossible."]
