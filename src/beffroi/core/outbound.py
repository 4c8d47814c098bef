"""Outbound HTTP to addresses a tenant chose: the guard against request forgery (SSRF).

A tenant admin configures URLs that the server then calls: webhooks, and the API of a
LoRaWAN network server (``api_url`` of a ChirpStack or The Things Stack integration).
Left unchecked, such a URL lets a hostile admin reach what only the server can reach
(``127.0.0.1``, the cloud metadata service at ``169.254.169.254``, the private network),
and the delivery log would tell which ports are open. So every such call goes through
this module:

- when a URL is saved, ``destination_problem`` checks its scheme and host, resolves the
  host (for two seconds at most) and refuses it if any of its addresses is not public;
- when it is called, ``Client`` resolves the host again and connects only to an address
  it has just checked (the TLS name and the ``Host`` header stay the host's), so a DNS
  answer that changes in between (DNS rebinding) cannot lead elsewhere; redirects are
  never followed (a 3xx is a failure); errors are generic ("destination refusée",
  "connexion impossible", the HTTP status), never the socket's own message.

Not public: loopback, private (RFC 1918, IPv6 ULA), link-local, multicast, unspecified
(``0.0.0.0``, ``::``), shared address space (CGNAT ``100.64.0.0/10``), documentation,
benchmarking and reserved ranges, and IPv6 addresses that embed such an IPv4 address
(IPv4-mapped, IPv4-compatible, 6to4, NAT64). An operator whose receivers are on premises
allows some of these ranges with ``BEFFROI_ALLOW_PRIVATE_NETWORKS`` (comma-separated
CIDRs, e.g. ``10.20.0.0/16``), read at each check.
"""

from __future__ import annotations

import functools
import ipaddress
import logging
import os
import socket
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpcore
import httpx

ALLOW_ENV = "BEFFROI_ALLOW_PRIVATE_NETWORKS"
MAX_REPLY_BYTES = 1024 * 1024  # what is kept of an answer (its status is what matters)
REFUSED = "destination refusée (adresse locale, privée ou réservée)"
UNKNOWN = "destination introuvable (nom de domaine sans adresse)"
UNREACHABLE = "connexion impossible"
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
log = logging.getLogger("beffroi.outbound")

_IETF_PROTOCOL = ipaddress.ip_network("192.0.0.0/24")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


class OutboundError(Exception):
    """A call that did not go through; ``message`` is French and generic."""

    def __init__(self, message: str, *, retryable: bool) -> None:
        super().__init__(message)
        self.message = message
        self.retryable = retryable


class DestinationRefused(OutboundError):
    def __init__(self) -> None:
        super().__init__(REFUSED, retryable=False)


class DestinationUnknown(OutboundError):
    def __init__(self) -> None:
        super().__init__(UNKNOWN, retryable=True)


# -- which addresses ---------------------------------------------------------------------------
def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip in _NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def _effective(ip: IPAddress) -> IPAddress:
    """The address really reached: the IPv4 address an IPv6 one embeds, if any."""
    if ip.version == 6:
        return _embedded_ipv4(ip) or ip  # type: ignore[arg-type]
    return ip


def is_public(ip: IPAddress) -> bool:
    ip = _effective(ip)
    if (not ip.is_global or ip.is_multicast or ip.is_reserved or ip.is_loopback
            or ip.is_link_local or ip.is_unspecified):
        return False
    if ip.version == 6:
        return not ip.is_site_local  # type: ignore[union-attr]
    return ip not in _IETF_PROTOCOL


@functools.lru_cache(maxsize=8)
def _parse_allowed(text: str) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    networks = []
    for entry in text.replace(";", ",").split(","):
        if entry.strip():
            try:
                networks.append(ipaddress.ip_network(entry.strip(), strict=False))
            except ValueError:
                log.warning("%s: « %s » is not a CIDR range, ignored", ALLOW_ENV, entry.strip())
    return tuple(networks)


def allowed_networks(environ: Mapping[str, str] | None = None
                     ) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    """The ranges the operator allows despite being private (read at each call)."""
    env = os.environ if environ is None else environ
    return _parse_allowed(env.get(ALLOW_ENV, ""))


def is_allowed(ip: IPAddress, environ: Mapping[str, str] | None = None) -> bool:
    """A public address, or one in a range the operator allowed."""
    if is_public(ip):
        return True
    reached = _effective(ip)
    return any(reached in network or ip in network for network in allowed_networks(environ))


def resolve(host: str, port: int) -> list[IPAddress]:
    """Every address ``host`` stands for (a literal address stands for itself).

    Module-level so that tests can stand in for DNS (``monkeypatch.setattr``)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError, OSError):
        return []
    seen: dict[IPAddress, None] = {}
    for *_, sockaddr in infos:
        seen.setdefault(ipaddress.ip_address(sockaddr[0]), None)
    return list(seen)


def checked_addresses(host: str, port: int) -> list[IPAddress]:
    """The addresses to connect to; refused when any of them is not allowed (a name with
    one public and one private address could lead to either)."""
    addresses = resolve(host, port)
    if not addresses:
        raise DestinationUnknown()
    if not all(is_allowed(ip) for ip in addresses):
        raise DestinationRefused()
    return addresses


# -- when a URL is saved -----------------------------------------------------------------------
# The resolver's own timeout (5 s per try, and getaddrinfo cannot be cancelled) would hold the
# request saving a URL: the look-up gets SAVE_LOOKUP_S, in a small pool of its own (a tenant
# saving many slow names keeps at most its threads busy, not the server's).
SAVE_LOOKUP_S = 2.0
_save_lookups = ThreadPoolExecutor(max_workers=4, thread_name_prefix="beffroi-dns-check")


def destination_problem(url: str) -> str | None:
    """Why ``url`` cannot be an outbound destination (French), or None.

    A host that does not resolve now, or not within ``SAVE_LOOKUP_S``, is accepted: it is
    checked again at each call.
    """
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return "adresse http(s)://… invalide"
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "adresse http(s)://… attendue"
    host, port = parts.hostname, port or (443 if parts.scheme == "https" else 80)
    lookup = _save_lookups.submit(lambda: checked_addresses(host, port))
    try:
        lookup.result(timeout=SAVE_LOOKUP_S)
    except DestinationRefused:
        return REFUSED
    except (DestinationUnknown, FutureTimeout):
        return None
    return None


# -- when it is called -------------------------------------------------------------------------
class _GuardedBackend(httpcore.SyncBackend):
    """Resolves, checks, then connects to a checked address only."""

    def connect_tcp(self, host: str, port: int, timeout: float | None = None,
                    local_address: str | None = None,
                    socket_options: Iterable[Any] | None = None) -> httpcore.NetworkStream:
        error: Exception | None = None
        for ip in checked_addresses(host, port):
            try:
                return super().connect_tcp(str(ip), port, timeout, local_address,
                                           socket_options)
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                error = exc
        raise error or httpcore.ConnectError(UNREACHABLE)


class _GuardedTransport(httpx.HTTPTransport):
    def __init__(self) -> None:
        super().__init__(trust_env=False)
        # httpx builds its connection pool without a way to choose the network backend:
        # the same pool, with the guarded one (no proxy: the destination is what is checked).
        self._pool = httpcore.ConnectionPool(ssl_context=httpx.create_ssl_context(),
                                             network_backend=_GuardedBackend())


class Client(httpx.Client):
    """An HTTP client that only reaches allowed addresses and never follows redirects."""

    def __init__(self, timeout: float = 10.0) -> None:
        super().__init__(transport=_GuardedTransport(), timeout=timeout, trust_env=False,
                         follow_redirects=False)


@dataclass(frozen=True)
class Reply:
    status: int
    body: bytes  # at most MAX_REPLY_BYTES

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


def post(client: Client, url: str, *, content: bytes, headers: Mapping[str, str]) -> Reply:
    """POST to an outbound destination; raises ``OutboundError`` unless an HTTP answer
    other than a redirect comes back (whatever its status)."""
    if not isinstance(client, Client):
        raise TypeError("outbound calls need an outbound.Client")
    try:
        with client.stream("POST", url, content=content, headers=dict(headers),
                           follow_redirects=False) as response:
            body = bytearray()
            for chunk in response.iter_bytes():
                body += chunk
                if len(body) >= MAX_REPLY_BYTES:
                    break
    except OutboundError:
        raise
    except httpx.HTTPError:
        # Refused, reset, timed out, not HTTP…: one message, which tells nothing of the port.
        raise OutboundError(UNREACHABLE, retryable=True) from None
    if 300 <= response.status_code < 400:
        raise OutboundError(f"redirection non suivie (HTTP {response.status_code})",
                            retryable=False)
    return Reply(response.status_code, bytes(body[:MAX_REPLY_BYTES]))
