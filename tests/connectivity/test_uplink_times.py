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
    reception time; times before 1970 were stored; then 1970 itself (a device whose clock
    was reset)."""
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
        (topic, native("1970-01-01T00:00:00Z", 8), False),            # a clock reset
        (topic, native("2000-01-01T00:00:00Z", 5), False),            # the first instant
        (topic, native(None, 6), False),                              # reception time
        (topic, senml(NOW.timestamp() + 600, 7), False),              # 10 min ahead: kept
    ])
    assert rejections == []
    times = stored(db)
    assert times[0] == (int(datetime(2000, 1, 1, tzinfo=UTC).timestamp() * 1000), 5.0) and times[-1] == (NOW_MS + 600_000, 7.0)
    assert len(times) == 3 and times[1][1] == 6.0 and NOW_MS <= times[1][0] < NOW_MS + 1000
    d = schema.devices
    with db.read() as conn:
        row = conn.execute(select(d).where(d.c.id == device["device"])).one()
    assert (row.uplinks, row.rejected) == (8, 5)
    assert row.last_error == f"« temp » : {OUT_OF_BOUNDS}"


def test_each_uplink_of_a_batch_is_told_its_own_duplicates(db, registry, device, monkeypatch):
    """Uplinks stored together (an MQTT batch, network-server events grouped by the writer):
    the readings the database already held were all counted on the batch's last uplink,
    which was told « duplicate » for a reading it had just stored, and the first one
    « stored » for a reading already there."""
    from beffroi.connectivity.payloads import Payload, Reading
    from beffroi.connectivity.uplink import Uplink, digest, store_uplinks

    monkeypatch.setattr(observations, "now_ms", lambda: NOW_MS)
    t, d = schema.tenants, schema.devices
    with db.read() as conn:
        tenant = conn.execute(select(t).where(t.c.id == device["tenant"])).one()
        row = conn.execute(select(d).where(d.c.id == device["device"])).one()

    def uplink(n: int, minutes: int) -> Uplink:
        return Uplink(tenant, row, Payload([Reading("temp", 20.0 + n, NOW_MS - minutes * 60_000)]),
                      NOW_MS, digest(f"message {n}"))

    with db.write() as conn:
        [first] = store_uplinks(db, registry, conn, [uplink(0, 30)])
    assert (first.stored, first.duplicates) == (1, 0)
    with db.write() as conn:  # the same reading again (a new message), then a new one
        again, new = store_uplinks(db, registry, conn, [uplink(1, 30), uplink(2, 20)])
    assert (again.stored, again.duplicates) == (0, 1)
    assert (new.stored, new.duplicates) == (1, 0)
    assert [v for _, v in stored(db)] == [20.0, 22.0]
