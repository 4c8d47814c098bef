"""Free loopback ports for the servers the suite starts (brokers, web servers, receivers).

Kept out of ``conftest.py`` so that test modules import it by a name no other
``conftest`` shadows (see suite_databases.py).
"""

from __future__ import annotations

import socket


def free_ports(count: int) -> list[int]:
    """``count`` distinct free ports: all bound at once (one after another, the kernel may
    hand the same port back twice)."""
    sockets = [socket.socket() for _ in range(count)]
    try:
        for s in sockets:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


def free_port() -> int:
    return free_ports(1)[0]
