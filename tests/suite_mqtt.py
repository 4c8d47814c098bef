"""MQTT clients in the suite: stopping paho's network thread.

Kept out of ``conftest.py`` so that test modules import it by a name no other ``conftest``
shadows (see suite_databases.py).
"""

from __future__ import annotations

from paho.mqtt import client as mqtt


def stop_loop(client: mqtt.Client) -> None:
    """Stop a client's network thread (``loop_start``'s). paho's ``loop_stop`` raises the
    thread's stop flag, then reads the thread twice: a thread waking in between (its wait
    for the socket times out every second; the broker closed the connection) ends at the
    flag and clears itself, and ``loop_stop`` fails on None. Ended either way."""
    try:
        client.loop_stop()
    except AttributeError:  # the network thread had just ended by itself
        pass
