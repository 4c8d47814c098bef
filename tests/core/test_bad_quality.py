"""A reading sent with quality « bad » is stored and shown as such, never counted: not in
the hourly and daily aggregates, never the stream's latest value, moving no alert rule and
feeding no computation of the domains. « suspect » readings count like good ones."""

from __future__ import annotations

import statistics
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from beffroi.core import assets, observations, streams, tenants
from beffroi.core.access import CLI, open_scope
from beffroi.core.alerting import rules
from beffroi.core.export import export_tenant
from beffroi.core.series import stream_arrays
from beffroi.storage import schema

PARIS = ZoneInfo("Europe/Paris")
START = datetime(2026, 3, 28, 21, 0, tzinfo=UTC)  # over the spring DST change in Paris


@pytest.fixture
def site(db, registry, op_headers):
    with db.write() as conn:
        t = tenants.create_tenant(db, conn, CLI, name="Commune test", registry=registry)
        scope = open_scope(db, conn, CLI, t["id"])
        tenants.create_commune(scope, conn, {"insee": "88383", "name": "Remiremont"})
        asset = assets.create_asset(scope, conn, registry, {
            "ref": "SITE-1", "kind": "generic.site", "name": "Site 1", "commune": "88383",
            "geometry": {"type": "Point", "coordinates": [6.59, 48.02]}})
        sid = streams.create_stream(scope, conn, registry, {
            "asset_id": asset.id, "metric": "generic.value"}).id
    return {"tenant": t["id"], "base": f"/api/v1/tenants/{t['id']}", "h": op_headers,
            "sid": sid}


def iso(dt: datetime) -> str:
    return dt.astimezone(UTC).isoformat().replace("+00:00", "Z")


def readings(count: int = 400):
    """(time, value, quality): every 9th reading bad (far off, as a faulty sensor sends),
    every 7th suspect; the last one bad."""
    out = []
    for i in range(count):
        quality = "bad" if i % 9 == 4 or i == count - 1 else "suspect" if i % 7 == 0 else "good"
        value = 5000.0 + i if quality == "bad" else round((i * 37 % 101) - 20.5, 3)
        out.append((START + timedelta(minutes=11 * i), value, quality))
    return out


def _in_order(client, site, items):
    for i in range(0, len(items), 23):
        assert client.post(f"{site['base']}/observations", headers=site["h"],
                           json=items[i:i + 23]).status_code == 200


def _late_and_reversed(client, site, items):
    for part in (items[200:], items[:250][::-1]):  # the second recomputes from raw
        assert client.post(f"{site['base']}/observations", headers=site["h"],
                           json=part).status_code == 200


@pytest.mark.parametrize("delivery", [_in_order, _late_and_reversed], ids=["live", "late"])
def test_bad_readings_are_kept_but_enter_no_aggregate_nor_the_latest_value(
        db, client, site, delivery, tmp_path):
    points = readings()
    items = [{"stream_id": site["sid"], "time": iso(t), "value": v, "quality": q}
             for t, v, q in points]
    delivery(client, site, items)
    counted = [(t, v) for t, v, q in points if q != "bad"]
    url = f"{site['base']}/streams/{site['sid']}/series"
    end = points[-1][0] + timedelta(hours=1)

    raw = client.get(url, headers=site["h"], params={"start": iso(START), "end": iso(end)})
    assert raw.json()["points"] == [[iso(t), v, q] for t, v, q in points]  # all kept

    for step, key in (("1h", lambda t: t.replace(minute=0)),
                      ("1d", lambda t: t.astimezone(PARIS).date())):
        groups: dict = {}
        for t, v in counted:
            groups.setdefault(key(t), []).append(v)
        for agg, reference in (("count", len), ("max", max), ("mean", statistics.fmean),
                               ("last", lambda vs: vs[-1])):
            got = client.get(url, headers=site["h"], params={
                "start": iso(START - timedelta(days=1)), "end": iso(end), "step": step,
                "agg": agg}).json()["points"]
            assert len(got) == len(groups), (step, agg)
            for time, value in got:
                bucket = datetime.fromisoformat(time)
                bucket = bucket if step == "1h" else bucket.astimezone(PARIS).date()
                assert value == pytest.approx(reference(groups[bucket])), (step, agg, time)

    stream = client.get(f"{site['base']}/streams/{site['sid']}", headers=site["h"]).json()
    assert stream["last_time"] == iso(counted[-1][0])
    assert stream["last_value"] == counted[-1][1]

    with db.read() as conn:  # the export keeps every reading, with its quality
        export_tenant(open_scope(db, conn, CLI, site["tenant"]), conn, tmp_path)
    exported = (tmp_path / "observations.csv").read_text().splitlines()[1:]
    assert [line.rsplit(",", 1)[1] for line in exported] == [q for _, _, q in points]


def test_a_batch_of_bad_readings_only_is_stored_and_changes_nothing_else(client, site):
    good = [{"stream_id": site["sid"], "time": iso(START), "value": 1.5}]
    bad = [{"stream_id": site["sid"], "time": iso(START + timedelta(minutes=m)),
            "value": 900.0, "quality": "bad"} for m in (10, 20)]
    for batch in (good, bad):
        answer = client.post(f"{site['base']}/observations", headers=site["h"], json=batch)
        assert answer.status_code == 200 and answer.json()["stored"] == len(batch)
    stream = client.get(f"{site['base']}/streams/{site['sid']}", headers=site["h"]).json()
    assert (stream["last_time"], stream["last_value"]) == (iso(START), 1.5)
    hourly = client.get(f"{site['base']}/streams/{site['sid']}/series", headers=site["h"],
                        params={"start": iso(START), "end": iso(START + timedelta(hours=1)),
                                "step": "1h", "agg": "max"}).json()["points"]
    assert hourly == [[iso(START), 1.5]]


def test_a_bad_reading_over_a_threshold_raises_no_alert(db, registry, site):
    with db.write() as conn:
        scope = open_scope(db, conn, CLI, site["tenant"])
        rules.create_rule(scope, conn, registry, {
            "name": "Valeur haute", "kind": "threshold", "stream_id": site["sid"],
            "params": {"operator": "above", "value": 100.0}})

    def feed(minutes, value, quality):
        with db.write() as conn:
            scope = open_scope(db, conn, CLI, site["tenant"])
            report = observations.ingest(scope, conn, registry, [{
                "stream_id": site["sid"], "time": iso(START + timedelta(minutes=minutes)),
                "value": value, "quality": quality}])
        assert not report.rejected, report.rejected

    def open_alerts():
        a = schema.alerts
        with db.read() as conn:
            return conn.execute(select(a.c.opened_at).where(
                a.c.tenant_id == site["tenant"])).scalars().all()

    feed(0, 20.0, "good")
    feed(10, 950.0, "bad")
    feed(20, 30.0, "suspect")
    assert open_alerts() == []
    feed(30, 120.0, "good")
    assert open_alerts() == [int((START + timedelta(minutes=30)).timestamp() * 1000)]


def test_the_domains_read_only_the_readings_that_count(db, client, site):
    points = readings(60)
    client.post(f"{site['base']}/observations", headers=site["h"], json=[
        {"stream_id": site["sid"], "time": iso(t), "value": v, "quality": q}
        for t, v, q in points])
    with db.read() as conn:
        times, values = stream_arrays(conn, site["tenant"], site["sid"], 0, 2**62)
    expected = [(int(t.timestamp() * 1000), v) for t, v, q in points if q != "bad"]
    assert list(zip(times.tolist(), values.tolist(), strict=True)) == expected
