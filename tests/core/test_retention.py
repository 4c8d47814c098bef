"""Raw-data retention: purge drops old raw points only, rollups survive, ingest horizon."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner

from beffroi.cli.main import cli
from beffroi.core import assets, retention, streams, tenants, users
from beffroi.core.access import CLI, open_scope
from beffroi.core.clock import now_ms
from suite_accounts import bearer

PARIS = ZoneInfo("Europe/Paris")
AGGS = ("mean", "sum", "min", "max", "first", "last", "count")
DAYS = 7


def iso(dt: datetime) -> str:
    return dt.astimezone(UTC).isoformat().replace("+00:00", "Z")


def horizon(now: datetime, days: int, tz: ZoneInfo = PARIS) -> datetime:
    """Independent reference: local midnight starting the local day of ``now − days``."""
    day = (now - timedelta(days=days)).astimezone(tz).date()
    return datetime(day.year, day.month, day.day, tzinfo=tz).astimezone(UTC)


@pytest.fixture
def site(db, registry, client, op_headers):
    def make(name):
        with db.write() as conn:
            t = tenants.create_tenant(db, conn, CLI, name=name, registry=registry)
            scope = open_scope(db, conn, CLI, t["id"])
            tenants.create_commune(scope, conn, {"insee": "88383", "name": "Remiremont"})
            asset = assets.create_asset(scope, conn, registry, {
                "ref": "S", "kind": "generic.site", "name": "Site", "commune": "88383",
                "geometry": {"type": "Point", "coordinates": [6.59, 48.02]}})
            stream = streams.create_stream(scope, conn, registry,
                                           {"asset_id": asset.id, "metric": "generic.value"})
        return {"id": t["id"], "base": f"/api/v1/tenants/{t['id']}", "stream": stream.id}

    first, other = make("Territoire A"), make("Territoire B")
    # 20 days of points every 20 minutes (at :05, :25, :45: never on a midnight), up to now
    now = datetime.now(UTC)
    start = (now - timedelta(days=20)).replace(minute=5, second=0, microsecond=0)
    points = []
    when = start
    while when < now - timedelta(minutes=30):
        points.append((when, round((len(points) * 37 % 101) / 4 - 7.25, 2)))
        when += timedelta(minutes=20)
    for s in (first, other):
        for i in range(0, len(points), 5000):
            response = client.post(f"{s['base']}/observations", headers=op_headers, json=[
                {"stream_id": s["stream"], "time": iso(t), "value": v}
                for t, v in points[i:i + 5000]])
            assert response.json()["stored"] == len(points[i:i + 5000]), response.text
    return {**first, "other": other, "points": points, "h": op_headers,
            "start": start - timedelta(days=2), "end": now + timedelta(days=1)}


def series(client, site, s=None, step="raw", agg="mean", start=None, end=None):
    s = s or site
    response = client.get(f"{s['base']}/streams/{s['stream']}/series", headers=site["h"], params={
        "start": iso(start or site["start"]), "end": iso(end or site["end"]), "step": step,
        "agg": agg})
    assert response.status_code == 200, response.text
    return response.json()["points"]


def rollups(client, site, s=None):
    return {(step, agg): series(client, site, s, step, agg) for step in ("1h", "1d") for agg in AGGS}


def storage(client, site):
    response = client.get(f"{site['base']}/storage", headers=site["h"])
    assert response.status_code == 200
    return response.json()


def check_purged(client, site, before, cut):
    points = site["points"]
    kept = [(t, v) for t, v in points if t >= cut]
    assert 0 < len(kept) < len(points)
    assert series(client, site, end=cut) == []  # nothing raw left before the horizon
    assert series(client, site) == [[iso(t), v, "good"] for t, v in kept]
    assert rollups(client, site) == before  # hourly and daily aggregates untouched
    summary = storage(client, site)
    assert summary["raw_observations"] == len(kept)
    assert summary["raw_oldest"] == iso(kept[0][0])
    assert summary["raw_newest"] == iso(points[-1][0])
    assert summary["raw_retention_days"] == DAYS
    return len(points) - len(kept)


def test_purge_drops_old_raw_points_and_keeps_rollups(db, client, site):
    points = site["points"]
    before = rollups(client, site)
    hours = {t.replace(minute=0) for t, _ in points}
    days = {t.astimezone(PARIS).date() for t, _ in points}
    assert len(before[("1h", "count")]) == len(hours) and len(before[("1d", "sum")]) == len(days)
    assert sum(v for _, v in before[("1d", "count")]) == len(points)
    summary = storage(client, site)
    assert summary == {"raw_observations": len(points), "raw_oldest": iso(points[0][0]),
                       "raw_newest": iso(points[-1][0]), "hourly_rollups": len(hours),
                       "hourly_oldest": iso(points[0][0].replace(minute=0)),
                       "daily_rollups": len(days), "raw_retention_days": None}

    assert retention.purge_all(db).raw_observations == {site["id"]: 0,
                                                        site["other"]["id"]: 0}  # no setting yet
    response = client.patch(site["base"], headers=site["h"],
                            json={"settings": {"raw_retention_days": DAYS}})
    assert response.status_code == 200
    now = now_ms()
    deleted = retention.purge_all(db, now=now).raw_observations
    cut = horizon(datetime.fromtimestamp(now / 1000, UTC), DAYS)
    assert deleted == {site["id"]: check_purged(client, site, before, cut),
                       site["other"]["id"]: 0}
    assert storage(client, site)["hourly_rollups"] == len(hours)
    assert storage(client, site)["daily_rollups"] == len(days)
    # the other tenant keeps everything
    assert len(series(client, site, site["other"])) == len(points)
    assert retention.purge_all(db, now=now).raw_observations[site["id"]] == 0  # idempotent


def test_purge_uses_the_tenant_time_zone_for_whole_days(db, client, site):
    client.patch(site["base"], headers=site["h"], json={"settings": {
        "raw_retention_days": DAYS, "timezone": "Pacific/Kiritimati"}})  # UTC+14
    now = now_ms()
    with db.read() as conn:
        tenant = open_scope(db, conn, CLI, site["id"]).tenant
    deleted = retention.purge_tenant(db, tenant, now)
    cut = horizon(datetime.fromtimestamp(now / 1000, UTC), DAYS, ZoneInfo("Pacific/Kiritimati"))
    assert cut.hour == 10  # local midnight at UTC+14
    assert deleted == sum(1 for t, _ in site["points"] if t < cut)
    remaining = series(client, site)
    assert datetime.fromisoformat(remaining[0][0]) >= cut
    assert datetime.fromisoformat(remaining[0][0]) - cut < timedelta(minutes=20)


def test_purge_deletes_in_batches_of_its_own_transactions(db, client, site, monkeypatch):
    """Years of history are not deleted in one transaction holding the writer: ``BATCH``
    points at a time, the oldest first, with the same result."""
    before = rollups(client, site)
    client.patch(site["base"], headers=site["h"], json={"settings": {"raw_retention_days": DAYS}})
    monkeypatch.setattr(retention, "BATCH", 100)
    writes, write = [], db.write

    def counted_write():
        writes.append(1)
        return write()

    now = now_ms()
    with db.read() as conn:
        tenant = open_scope(db, conn, CLI, site["id"]).tenant
    monkeypatch.setattr(db, "write", counted_write)
    deleted = retention.purge_tenant(db, tenant, now)
    monkeypatch.undo()
    cut = horizon(datetime.fromtimestamp(now / 1000, UTC), DAYS)
    expected = sum(1 for t, _ in site["points"] if t < cut)
    assert expected > 300  # several batches
    assert deleted == expected == check_purged(client, site, before, cut)
    assert len(writes) == expected // 100 + 1  # one per full batch, one for the rest


def test_beffroi_db_purge_command(db, client, site):
    before = rollups(client, site)
    client.patch(site["base"], headers=site["h"], json={"settings": {"raw_retention_days": DAYS}})
    runner = CliRunner()
    cut = horizon(datetime.now(UTC), DAYS)
    result = runner.invoke(cli, ["db", "purge", "--db", db.url], prog_name="beffroi")
    assert result.exit_code == 0, result.output
    deleted = check_purged(client, site, before, cut)
    assert result.output.startswith(f"{deleted} mesures brutes supprimées "
                                    "(agrégats conservés), ")
    again = runner.invoke(cli, ["db", "purge", "--db", db.url], prog_name="beffroi")
    assert again.output.startswith("0 mesures brutes supprimées (agrégats conservés), ")
    shown = runner.invoke(cli, ["tenant", "show", str(site["id"]), "--db", db.url])
    assert shown.exit_code == 0, shown.output
    assert re.search(rf'"raw_observations": {len(site["points"]) - deleted}\b', shown.output)


def test_ingest_before_the_horizon_is_refused(client, site):
    client.patch(site["base"], headers=site["h"], json={"settings": {"raw_retention_days": DAYS}})
    cut = horizon(datetime.now(UTC), DAYS)
    items = [{"stream_id": site["stream"], "time": iso(cut - timedelta(minutes=1)), "value": 1},
             {"stream_id": site["stream"], "time": iso(cut - timedelta(days=30)), "value": 2},
             {"stream_id": site["stream"], "time": iso(cut + timedelta(minutes=1)), "value": 3}]
    response = client.post(f"{site['base']}/observations", headers=site["h"], json=items)
    assert response.status_code == 422
    body = response.json()
    assert body["stored"] == 1
    assert body["rejected"] == [
        {"index": i, "reason": "horodatage antérieur à la durée de conservation des données "
                               "brutes du territoire"} for i in (0, 1)]
    # without retention, old history is accepted again
    client.patch(site["base"], headers=site["h"], json={"settings": {"raw_retention_days": None}})
    later = client.post(f"{site['base']}/observations", headers=site["h"], json=items[:2])
    assert later.status_code == 200 and later.json()["stored"] == 2


def test_storage_summary_is_for_tenant_admins(db, client, site):
    with db.write() as conn:
        scope = open_scope(db, conn, CLI, site["id"])
        users.add_member(scope, conn, {"email": "agent@x.fr", "role": "agent",
                                       "password": "password-123"})
    agent = bearer(client, "agent@x.fr", "password-123")
    assert client.get(f"{site['base']}/storage", headers=agent).status_code == 403
    assert client.get(f"{site['base']}/storage").status_code == 401
    other = client.get(f"{site['other']['base']}/storage", headers=agent)
    assert other.status_code == 404
