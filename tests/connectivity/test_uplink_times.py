"""Device clocks (MQTT native JSON and SenML, LoRaWAN): the observations' time bounds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import orjson
from sqlalchemy import select

from beffroi.connectivity import mqtt_worker
from beffroi.connectivity.mqtt_worker import MqttWorker
from beffroi.core import observations
from beffroi.core.observations import OUT_OF_BOUNDS
from beffroi.storage import schema

NOW = datetime(2026, 10, 25, 0, 30, tzinfo=UTC)  # the clock is pinned
NOW_MS = int(NOW.timestamp() * 1000)


def stored(db) -> list[tuple[int, float]]:
    o = schema.observations
    with db.read() as conn:
        return [tuple(r) for r in conn.execute(select(o.c.t, o.c.value).order_by(o.c.t))]


def test_device_times_out_of_bounds_are_refused_without_breaking_the_batch(
        db, registry, device, monkeypatch):
    """A SenML base time in year 33658 made ``format_instant`` raise inside the batch
    (the whole MQTT batch failed); 1970-01-01T00:00:00Z (0 ms) was replaced by the
    reception time; times before 1970 were stored."""
    monkeypatch.setattr(observations, "now_ms", lambda: NOW_MS)
    monkeypatch.setattr(mqtt_worker, "now_ms", lambda: NOW_MS)
    worker = MqttWorker(db, registry, "mqtt://127.0.0.1:1")  # never connected: handle() only
    topic = device["topic"]

    def senml(bt: float, v: float) -> bytes:
        return orjson.dumps([{"bn": "", "bt": bt, "n": "temp", "v": v}])

    def native(time: str | None, v: float) -> bytes:
        return orjson.dumps({"values": {"temp": v}} | ({"time": time} if time else {}))

    later = NOW + timedelta(minutes=10, seconds=1)
    rejections = worker.handle_batch([
        (topic, senml(10 ** 12, 1), False),                           # year 33658
        (topic, senml(-10 ** 9, 2), False),                           # 1938
        (topic, native("1969-12-31T23:59:59Z", 3), False),
        (topic, native(later.isoformat(), 4), False),
        (topic, native("1970-01-01T00:00:00Z", 5), False),            # the first instant
        (topic, native(None, 6), False),                              # reception time
        (topic, senml(NOW.timestamp() + 600, 7), False),              # 10 min ahead: kept
    ])
    assert rejections == []
    times = stored(db)
    assert times[0] == (0, 5.0) and times[-1] == (NOW_MS + 600_000, 7.0)
    assert len(times) == 3 and times[1][1] == 6.0 and NOW_MS <= times[1][0] < NOW_MS + 1000
    d = schema.devices
    with db.read() as conn:
        row = conn.execute(select(d).where(d.c.id == device["device"])).one()
    assert (row.uplinks, row.rejected) == (7, 4)
    assert row.last_error == f"« temp » : {OUT_OF_BOUNDS}"
