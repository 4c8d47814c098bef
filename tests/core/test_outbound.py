"""The outbound guard: which addresses a tenant-configured URL may lead to."""

from __future__ import annotations

import ipaddress

import pytest

from beffroi.core import outbound

ALLOW = outbound.ALLOW_ENV
REFUSED = outbound.REFUSED

# (address, public?) — classified by hand from the IANA special-purpose registries.
ADDRESSES = [
    ("93.184.215.14", True), ("8.8.8.8", True), ("2606:4700:4700::1111", True),
    ("127.0.0.1", False), ("127.255.255.254", False), ("10.0.0.1", False),
    ("172.16.0.1", False), ("172.31.255.255", False), ("172.32.0.1", True),
    ("192.168.0.1", False), ("169.254.169.254", False), ("100.64.0.1", False),
    ("100.127.255.254", False), ("100.128.0.1", True), ("0.0.0.0", False), ("0.1.2.3", False),
    ("224.0.0.1", False), ("239.255.255.250", False), ("240.0.0.1", False),
    ("255.255.255.255", False), ("192.0.0.8", False), ("192.0.2.1", False),
    ("198.18.0.1", False), ("198.51.100.7", False), ("203.0.113.9", False),
    ("::1", False), ("::", False), ("fe80::1", False), ("fc00::1", False), ("fd12::1", False),
    ("fec0::1", False), ("ff02::1", False), ("2001:db8::1", False),
    ("::ffff:127.0.0.1", False), ("::ffff:10.1.2.3", False), ("::ffff:8.8.8.8", True),
    ("64:ff9b::7f00:1", False), ("64:ff9b::808:808", True),  # NAT64 of 127.0.0.1, 8.8.8.8
    ("2002:7f00:1::1", False), ("2002:808:808::1", True),  # 6to4 of 127.0.0.1, 8.8.8.8
    ("::7f00:1", False),  # IPv4-compatible (deprecated)
]


def test_public_addresses_are_told_from_the_others():
    got = {a: outbound.is_public(ipaddress.ip_address(a)) for a, _ in ADDRESSES}
    assert got == dict(ADDRESSES)


def test_the_operator_allows_ranges_read_at_each_check(monkeypatch):
    loopback, mapped = ipaddress.ip_address("127.0.0.1"), ipaddress.ip_address("::ffff:127.0.0.1")
    private, other = ipaddress.ip_address("10.20.3.4"), ipaddress.ip_address("10.21.0.1")
    monkeypatch.delenv(ALLOW, raising=False)
    assert not any(outbound.is_allowed(ip) for ip in (loopback, mapped, private, other))
    monkeypatch.setenv(ALLOW, " 10.20.0.0/16 ;127.0.0.0/8, pas-un-réseau,")
    assert [outbound.is_allowed(ip) for ip in (loopback, mapped, private, other)] == [
        True, True, True, False]
    assert outbound.is_allowed(ipaddress.ip_address("8.8.8.8"))
    monkeypatch.setenv(ALLOW, "")
    assert not outbound.is_allowed(loopback)


@pytest.mark.parametrize("url, problem", [
    ("http://8.8.8.8/x", None),
    ("https://[2606:4700:4700::1111]:8443/x", None),
    ("http://name.invalid/x", None),  # does not resolve now: checked again at each call
    ("http://localhost/x", REFUSED),
    ("http://127.0.0.1:99999/x", "adresse http(s)://… invalide"),
    ("ftp://8.8.8.8/x", "adresse http(s)://… attendue"),
    ("http:///x", "adresse http(s)://… attendue"),
])
def test_destination_problem(monkeypatch, url, problem):
    monkeypatch.delenv(ALLOW, raising=False)
    assert outbound.destination_problem(url) == problem


def test_a_name_with_one_private_address_among_public_ones_is_refused(monkeypatch):
    monkeypatch.delenv(ALLOW, raising=False)
    monkeypatch.setattr(outbound, "resolve", lambda host, port: [
        ipaddress.ip_address("93.184.215.14"), ipaddress.ip_address("10.0.0.5")])
    assert outbound.destination_problem("https://mixte.example.fr/") == REFUSED
    with pytest.raises(outbound.DestinationRefused):
        outbound.checked_addresses("mixte.example.fr", 443)


def test_a_name_the_resolver_is_slow_to_answer_does_not_hold_the_saving(monkeypatch):
    """The resolver's timeout would hold the request: the check waits SAVE_LOOKUP_S, then
    accepts the name (it is checked again at each call); a refusal within it still counts."""
    import threading
    import time

    monkeypatch.delenv(ALLOW, raising=False)
    monkeypatch.setattr(outbound, "SAVE_LOOKUP_S", 0.2)
    answered = threading.Event()

    def slow(host, port):
        answered.wait(5)
        return [ipaddress.ip_address("10.0.0.5")]

    monkeypatch.setattr(outbound, "resolve", slow)
    started = time.monotonic()
    assert outbound.destination_problem("https://lent.example.fr/") is None
    assert time.monotonic() - started < 2
    answered.set()
    monkeypatch.setattr(outbound, "resolve", lambda host, port: [
        ipaddress.ip_address("10.0.0.5")])
    assert outbound.destination_problem("https://prive.example.fr/") == REFUSED


def test_outbound_calls_need_the_guarded_client():
    import httpx

    with httpx.Client() as plain, pytest.raises(TypeError):
        outbound.post(plain, "http://8.8.8.8/", content=b"", headers={})
