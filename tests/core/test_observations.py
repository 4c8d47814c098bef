"""Observation batches, rollups and series, through the API, on both backends."""

from __future__ import annotations

import statistics
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from beffroi.core import assets, observations, streams, tenants
from beffroi.core.access import CLI, open_scope
from beffroi.core.observations import FUTURE_TOLERANCE_MS, MAX_BATCH, OUT_OF_BOUNDS

PARIS = ZoneInfo("Europe/Paris")


@pytest.fixture
def site(db, registry, client, op_headers):
    with db.write() as conn:
        t = tenants.create_tenant(db, conn, CLI, name="Commune test", registry=registry)
        scope = open_scope(db, conn, CLI, t["id"])
        tenants.create_commune(scope, conn, {"insee": "88383", "name": "Remiremont"})
        asset = assets.create_asset(scope, conn, registry, {
            "ref": "ARM-1", "kind": "generic.site", "name": "Armoire 1", "commune": "88383",
            "geometry": {"type": "Point", "coordinates": [6.59, 48.02]}})
        ids = {m: streams.create_stream(scope, conn, registry, {"asset_id": asset.id, "metric": m}).id
               for m in ("generic.value", "generic.temperature", "generic.state")}
    return {"tenant": t["id"], "base": f"/api/v1/tenants/{t['id']}", "h": op_headers, **ids}


def iso(dt: datetime) -> str:
    return dt.astimezone(UTC).isoformat().replace("+00:00", "Z")


def post(client, site, items, **kw):
    return client.post(f"{site['base']}/observations", headers=site["h"], json=items, **kw)


def test_valid_batch_is_stored_and_repeating_it_is_idempotent(client, site):
    sid = site["generic.value"]
    start = datetime(2026, 5, 1, tzinfo=UTC)
    items = [{"stream_id": sid, "time": iso(start + timedelta(minutes=10 * i)), "value": i}
             for i in range(300)]
    first = post(client, site, items)
    assert first.status_code == 200
    assert first.json() | {"rejected": []} == {"received": 300, "stored": 300, "duplicates": 0,
                                               "rejected_count": 0, "rejected": []}
    again = post(client, site, items)
    assert again.json()["stored"] == 0 and again.json()["duplicates"] == 300
    raw = client.get(f"{site['base']}/streams/{sid}/series", headers=site["h"], params={
        "start": iso(start), "end": iso(start + timedelta(days=3))}).json()
    assert len(raw["points"]) == 300
    assert raw["points"][5] == [iso(start + timedelta(minutes=50)), 5.0, "good"]


def test_bad_items_are_reported_one_by_one_and_the_rest_is_kept(client, site):
    sid, temp, state = site["generic.value"], site["generic.temperature"], site["generic.state"]
    now = datetime.now(UTC)
    items = [
        {"stream_id": sid, "time": "2026-05-01T00:00:00Z", "value": 1},            # 0 ok
        {"stream_id": sid, "time": "2026-05-01T00:00:00", "value": 1},             # 1 no tz
        {"stream_id": sid, "time": iso(now + timedelta(days=2)), "value": 1},      # 2 future
        {"stream_id": 987654, "time": "2026-05-01T00:00:00Z", "value": 1},         # 3 unknown
        {"stream_id": sid, "time": "2026-05-01T01:00:00Z", "value": "douze"},      # 4 text
        {"stream_id": sid, "time": "2026-05-01T00:00:00Z", "value": 2},            # 5 dup in batch
        {"stream_id": sid, "time": "hier", "value": 1},                            # 6 unreadable
        {"stream_id": temp, "time": "2026-05-01T00:00:00Z", "value": 250},         # 7 implausible
        {"stream_id": state, "time": "2026-05-01T00:00:00Z", "value": 7},          # 8 unknown state
        {"stream_id": sid, "time": "2026-05-01T02:00:00Z", "value": True},         # 9 boolean
        {"stream_id": sid, "time": "2026-05-01T03:00:00Z", "value": 3, "extra": 1},  # 10 field
        "not an object",                                                           # 11
        {"time": "2026-05-01T03:00:00Z", "value": 3},                              # 12 no target
        {"asset": "ARM-1", "metric": "generic.value", "time": "2026-05-01T04:00:00+02:00",
         "value": 4.5},                                                            # 13 ok by ref
        {"asset": "ARM-404", "metric": "generic.value", "time": "2026-05-01T04:00:00Z",
         "value": 1},                                                              # 14 bad ref
        {"stream_id": sid, "time": "2026-05-01T05:00:00Z", "value": 5, "quality": "meh"},  # 15
    ]
    response = post(client, site, items)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["stored"] == 2 and body["duplicates"] == 1
    reasons = {r["index"]: r["reason"] for r in body["rejected"]}
    assert sorted(reasons) == [1, 2, 3, 4, 6, 7, 8, 9, 10, 11, 12, 14, 15]
    assert "fuseau" in reasons[1]
    assert "futur" in reasons[2]
    assert "flux inconnu" in reasons[3]
    assert "numérique" in reasons[4] and "numérique" in reasons[9]
    assert "plage plausible" in reasons[7]
    assert "état" in reasons[8]
    assert "extra" in reasons[10]
    assert "ARM-404" in reasons[14]
    latest = client.get(f"{site['base']}/latest", headers=site["h"],
                        params={"streams": str(sid)}).json()
    # 04:00+02:00 is 02:00Z, later than 00:00Z: the latest value is 4.5.
    assert latest == [{"stream_id": sid, "asset_id": latest[0]["asset_id"], "metric": "generic.value",
                       "unit": "1", "time": "2026-05-01T02:00:00Z", "value": 4.5}]


def post_raw(client, site, raw: bytes):
    return client.post(f"{site['base']}/observations", content=raw,
                       headers={**site["h"], "content-type": "application/json"})


def series_of(client, site, sid: int) -> list:
    return client.get(f"{site['base']}/streams/{sid}/series", headers=site["h"], params={
        "start": "2026-05-01T00:00:00Z", "end": "2026-05-04T00:00:00Z"}).json()["points"]


@pytest.mark.parametrize("size", [3, 200])  # grouped with other small posts; alone, column-wise
def test_an_item_naming_a_key_twice_is_refused_alone(client, site, size):
    sid = site["generic.value"]
    start = datetime(2026, 5, 1, tzinfo=UTC)
    items = [b'{"stream_id": %d, "time": "%s", "value": %d}'
             % (sid, iso(start + timedelta(minutes=i)).encode(), i) for i in range(size)]
    # Which of 1 or 1000 counts would be the parser's choice: the item is refused.
    items[1] = b'{"stream_id": %d, "time": "%s", "value": 1, "value": 1000}' % (
        sid, iso(start + timedelta(minutes=1)).encode())
    # A nested object too, the reason naming it (the value would be refused anyway).
    items[2] = b'{"stream_id": %d, "time": "%s", "value": {"v": 2, "v": 3}}' % (
        sid, iso(start + timedelta(minutes=2)).encode())
    response = post_raw(client, site, b"[" + b",\n".join(items) + b"]")
    assert response.status_code == 422
    body = response.json()
    assert body["rejected"] == [
        {"index": 1, "reason": "clé « value » en double dans l'objet n° 1"},
        {"index": 2, "reason": "clé « v » en double dans « value » de l'objet n° 2"}]
    assert body["stored"] == size - 2
    points = series_of(client, site, sid)
    assert [p[1] for p in points] == [0.0, *map(float, range(3, size))]


def test_a_key_named_twice_outside_the_items_refuses_the_batch(client, site):
    sid = site["generic.value"]
    item = b'{"stream_id": %d, "time": "2026-05-01T00:00:00Z", "value": 1}' % sid
    # Wrapped in {"observations": [...]}: an item is refused alone, with its number in the list.
    wrapped = post_raw(client, site, b'{"observations": [%s, {"stream_id": %d, "stream_id": 1, '
                                     b'"time": "2026-05-01T01:00:00Z", "value": 2}]}' % (item, sid))
    assert wrapped.status_code == 422
    assert wrapped.json()["rejected"] == [
        {"index": 1, "reason": "clé « stream_id » en double dans l'objet n° 1"}]
    assert [p[1] for p in series_of(client, site, sid)] == [1.0]
    # Two lists of observations: which one is the batch? Nothing is stored.
    twice = post_raw(client, site, b'{"observations": [], "observations": [%s]}'
                     % item.replace(b"00:00:00Z", b"02:00:00Z"))
    assert twice.status_code == 422
    assert twice.json()["detail"] == ("JSON ambigu : clé « observations » en double ; une "
                                      "seule valeur est attendue par clé.")
    assert twice.json()["errors"] == [{"field": "observations", "message": "clé en double"}]
    assert [p[1] for p in series_of(client, site, sid)] == [1.0]


def test_a_batch_without_a_key_named_twice_is_unaffected(client, site):
    sid = site["generic.value"]
    # Blanks before the colons, a key in two objects, an escaped quote and ":" in a string
    # value: keys named once each.
    raw = (b'[{"stream_id" : %d, "time"\n: "2026-05-01T00:00:00Z", "value": 1},\n'
           b' {"asset": "ARM-1", "metric": "generic.value", "time": "2026-05-01T01:00:00Z", '
           b'"value": 2, "quality": "good"},\n'
           b' {"stream_id": %d, "time": "2026-05-01T02:00:00Z", "value": 3, '
           b'"quality": "x\\":"}]' % (sid, sid))
    response = post_raw(client, site, raw)
    assert response.status_code == 422
    assert response.json()["stored"] == 2
    assert response.json()["rejected"] == [
        {"index": 2, "reason": "qualité attendue : good, suspect ou bad"}]


def test_malformed_and_oversize_batches_store_nothing(client, site):
    sid = site["generic.value"]
    bad = client.post(f"{site['base']}/observations", headers={**site["h"],
                      "content-type": "application/json"}, content=b'[{"stream_id": 1,')
    assert bad.status_code == 422
    assert bad.json()["detail"] == ("JSON mal formé : le texte s'arrête avant la fin du "
                                    "document, ligne 1, colonne 18.")
    too_many = [{"stream_id": sid, "time": iso(datetime(2026, 1, 1, tzinfo=UTC)
                                                + timedelta(minutes=i)), "value": 1}
                for i in range(MAX_BATCH + 1)]
    big = post(client, site, too_many)
    assert big.status_code == 413 and big.json()["max_batch"] == MAX_BATCH
    assert client.get(f"{site['base']}/latest", headers=site["h"]).json()[0]["value"] is None
    empty = client.post(f"{site['base']}/observations", headers=site["h"], content=b"")
    assert empty.status_code == 422
    wrong_type = client.post(f"{site['base']}/observations", content=b"a=b",
                             headers={**site["h"], "content-type": "application/x-www-form-urlencoded"})
    assert wrong_type.status_code == 415


def pin_clock(monkeypatch, at: datetime) -> None:
    monkeypatch.setattr(observations, "now_ms", lambda: int(at.timestamp() * 1000))


def test_csv_history_reports_bad_lines(client, site, monkeypatch):
    pin_clock(monkeypatch, datetime(2026, 6, 1, tzinfo=UTC))  # the rows are in the past
    sid = site["generic.value"]
    text = ("stream_id,time,value\n"
            f"{sid},2026-03-01T00:00:00Z,1.5\n"
            f"{sid},2026-03-01T01:00:00Z,n/a\n"
            f"{sid},2026-03-01T02:00:00Z,\"2,5\"\n"
            f"{sid},2026-03-01T03:00:00Z,nan\n")
    response = client.post(f"{site['base']}/observations", content=text.encode(),
                           headers={**site["h"], "content-type": "text/csv"})
    assert response.status_code == 422
    assert response.json()["stored"] == 2
    assert [(r["index"], r["line"]) for r in response.json()["rejected"]] == [(1, 3), (3, 5)]
    assert response.json()["encoding"] == "utf-8"
    header = client.post(f"{site['base']}/observations", content=b"a,b\n1,2\n",
                         headers={**site["h"], "content-type": "text/csv"})
    assert header.status_code == 422 and "En-tête CSV" in header.json()["detail"]


def test_an_exported_observations_csv_posts_back_as_it_is(client, site, monkeypatch):
    """``beffroi export`` names each row's stream by id and by (asset_ref, metric) too; the
    pair decides: the id is the exporting instance's (here, another stream's of this one)."""
    pin_clock(monkeypatch, datetime(2026, 6, 1, tzinfo=UTC))
    sid = site["generic.value"]
    other = next(v for k, v in site.items() if k.startswith("generic.") and v != sid)
    text = ("stream_id,asset_ref,metric,time,value,quality\n"
            f"{other},ARM-1,generic.value,2026-03-01T00:00:00Z,1.5,suspect\n"
            ",ARM-1,generic.value,2026-03-01T01:00:00Z,2.5,good\n")
    response = client.post(f"{site['base']}/observations", content=text.encode(),
                           headers={**site["h"], "content-type": "text/csv"})
    assert response.status_code == 200, response.text
    assert response.json()["stored"] == 2
    raw = client.get(f"{site['base']}/streams/{sid}/series", headers=site["h"], params={
        "start": "2026-03-01T00:00:00Z", "end": "2026-03-02T00:00:00Z"}).json()
    assert raw["points"] == [["2026-03-01T00:00:00Z", 1.5, "suspect"],
                             ["2026-03-01T01:00:00Z", 2.5, "good"]]
    assert client.get(f"{site['base']}/streams/{other}/series", headers=site["h"], params={
        "start": "2026-03-01T00:00:00Z", "end": "2026-03-02T00:00:00Z"}).json()["points"] == []


def test_csv_history_is_read_strictly_and_keeps_the_valid_records(client, site, monkeypatch):
    """A CR inside a quoted cell raised csv.Error (HTTP 500); a quote left open swallowed
    the rest of the file; a non-UTF-8 file was refused whole."""
    pin_clock(monkeypatch, datetime(2026, 6, 1, tzinfo=UTC))  # the rows are in the past
    sid = site["generic.value"]
    text = ("asset;metric;time;value\r\n"                                    # 1
            "ARM-1;generic.value;2026-03-01T00:00:00Z;1,5\r\n"               # 2
            'ARM-1;generic.value;"2026-03-01T01:00\r:00Z";2\r\n'            # 3-4
            "ARM-1;generic.value;2026-03-01T02:00:00Z;3;en trop\r\n"         # 5
            'ARM-1;generic.value;2026-03-01T03:00:00Z;"4\r\n'                # 6 never closed
            "ARM-1;generic.value;2026-03-01T04:00:00Z;5\r\n"                 # 7
            "ARM-1;generic.value;2026-03-01T05:00:00Z;6 °C\r\n")             # 8 (Windows-1252)
    response = client.post(f"{site['base']}/observations", content=text.encode("cp1252"),
                           headers={**site["h"], "content-type": "text/csv"})
    assert response.status_code == 422, response.text
    body = response.json()
    assert (body["received"], body["stored"], body["encoding"]) == (6, 2, "windows-1252")
    assert [(r["index"], r["line"]) for r in body["rejected"]] == [(1, 3), (2, 5), (3, 6), (5, 8)]
    reasons = [r["reason"] for r in body["rejected"]]
    assert "horodatage illisible" in reasons[0]
    assert reasons[1].startswith("5 champs au lieu de 4")
    assert reasons[2] == "guillemet ouvert ligne 6 jamais refermé"
    assert "valeur numérique attendue" in reasons[3]
    raw = client.get(f"{site['base']}/streams/{sid}/series", headers=site["h"], params={
        "start": "2026-03-01T00:00:00Z", "end": "2026-03-02T00:00:00Z"}).json()
    assert [p[:2] for p in raw["points"]] == [["2026-03-01T00:00:00Z", 1.5],
                                               ["2026-03-01T04:00:00Z", 5.0]]
    stray = client.post(f"{site['base']}/observations", headers={**site["h"],
                        "content-type": "text/csv"}, content=b"stream_id,time,value\n"
                        + f"{sid},2026-03-02T00:00:00Z,1 °C\n".encode() + b"\xff\n")
    assert stray.status_code == 422 and "octet invalide (0xFF) ligne 3" in stray.json()["detail"]
    unknown = client.post(f"{site['base']}/observations", content=b"stream_id,time,value,unit\n",
                          headers={**site["h"], "content-type": "text/csv"})
    assert unknown.status_code == 422 and "colonne inconnue « unit »" in unknown.json()["detail"]


def test_timestamps_before_2000_or_too_far_ahead_are_refused(client, site, monkeypatch):
    """Before 1970 was stored (the retention horizon was the only lower bound); then 1970
    itself, what a device whose clock was reset sends."""
    now = datetime(2026, 3, 29, 0, 30, tzinfo=UTC)  # the clock is pinned
    pin_clock(monkeypatch, now)
    sid = site["generic.value"]
    edge = now + timedelta(milliseconds=FUTURE_TOLERANCE_MS)
    times = ["1999-12-31T23:59:59.999Z",              # 0 refused
             "2000-01-01T00:00:00Z",                  # 1 first instant accepted
             iso(edge),                               # 2 last instant accepted
             iso(edge + timedelta(milliseconds=1)),   # 3 refused
             "0001-01-01T00:00:00+14:00",             # 4 refused
             "9999-12-31T23:59:59-12:00",             # 5 refused
             "1970-01-01T00:00:00Z",                  # 6 refused: a clock reset
             "1970-01-01T00:03:20Z"]                  # 7 refused: 200 s after the reset
    # the plain batch goes through the column-wise path, then item by item
    body = post(client, site, [{"stream_id": sid, "time": t, "value": i}
                               for i, t in enumerate(times)]).json()
    assert body["stored"] == 2
    assert {r["index"]: r["reason"] for r in body["rejected"]} == dict.fromkeys(
        [0, 3, 4, 5, 6, 7], OUT_OF_BOUNDS)
    assert OUT_OF_BOUNDS == ("horodatage hors limites (avant le 1er janvier 2000 : horloge de "
                             "l'appareil non réglée ou année mal saisie ; ou plus de 10 minutes "
                             "dans le futur)")
    only_old = post(client, site, [{"stream_id": sid, "time": "1969-07-20T20:17:40Z",
                                    "value": 1}]).json()
    assert only_old["stored"] == 0 and only_old["rejected"][0]["reason"] == OUT_OF_BOUNDS
    # More than COLUMNWISE_MIN items, all well formed: the column-wise path's own bound.
    many = [{"stream_id": sid, "time": iso(now - timedelta(minutes=k + 1)), "value": k}
            for k in range(40)] + [{"stream_id": sid, "time": "1970-01-01T00:00:05Z",
                                    "value": 99}]
    body = post(client, site, many).json()
    assert body["stored"] == 40 and body["rejected"] == [{"index": 40, "reason": OUT_OF_BOUNDS}]
    csv_text = f"stream_id,time,value\n{sid},1999-07-20T20:17:40Z,1\n{sid},{iso(now)},7\n"
    by_csv = client.post(f"{site['base']}/observations", content=csv_text.encode(),
                         headers={**site["h"], "content-type": "text/csv"}).json()
    assert by_csv["stored"] == 1
    assert by_csv["rejected"] == [{"index": 0, "line": 2, "reason": OUT_OF_BOUNDS}]
    raw = client.get(f"{site['base']}/streams/{sid}/series", headers=site["h"], params={
        "start": "1960-01-01T00:00:00Z", "end": iso(edge + timedelta(days=1))}).json()
    assert [p[0] for p in raw["points"]] == [
        "2000-01-01T00:00:00Z", *[m["time"] for m in reversed(many[:40])], iso(now), iso(edge)]


def _reference_rollups(points, key):
    """Independent grouping with the standard library."""
    groups: dict = {}
    for t, v in sorted(points):
        groups.setdefault(key(t), []).append(v)
    return {k: {"count": len(vs), "mean": statistics.fmean(vs), "min": min(vs), "max": max(vs),
                "sum": sum(vs), "first": vs[0], "last": vs[-1]} for k, vs in groups.items()}


def _out_of_order(client, site, items):
    post(client, site, items[600:] + items[:50])
    post(client, site, items[:650][::-1])  # overlapping, reversed: duplicates ignored


def _live(client, site, items):
    for i in range(0, len(items), 37):  # small in-order batches: incremental merging
        post(client, site, items[i:i + 37])


def _live_with_late_data(client, site, items):
    for i in range(0, 500, 53):
        post(client, site, items[i:i + 53])
    post(client, site, items[700:900])  # a gap...
    post(client, site, items[500:700])  # ...filled late: recomputed from raw
    post(client, site, items[880:1000])  # overlaps what is stored
    for i in range(1000, len(items), 41):
        post(client, site, items[i:i + 41])


@pytest.mark.parametrize("delivery", [_out_of_order, _live, _live_with_late_data],
                         ids=["out_of_order", "live", "live_with_late_data"])
@pytest.mark.parametrize("agg", ["mean", "sum", "min", "max", "first", "last", "count"])
def test_rollups_match_an_independent_computation_across_dst(client, site, agg, delivery):
    """Data over the spring DST change (29 March 2026, a 23-hour local day), delivered out of
    order, live in small batches, or live with late data: hourly and local-daily aggregates
    must be exact."""
    sid = site["generic.value"]
    start = datetime(2026, 3, 27, 22, 0, tzinfo=UTC)
    points = [(start + timedelta(minutes=7 * i), round((i * 37 % 101) - 20.5, 3))
              for i in range(1200)]
    items = [{"stream_id": sid, "time": iso(t), "value": v} for t, v in points]
    delivery(client, site, items)
    end = points[-1][0] + timedelta(hours=2)

    hourly_ref = _reference_rollups(points, lambda t: t.replace(minute=0, second=0))
    hourly = client.get(f"{site['base']}/streams/{sid}/series", headers=site["h"], params={
        "start": iso(start), "end": iso(end), "step": "1h", "agg": agg}).json()["points"]
    assert len(hourly) == len(hourly_ref)
    for time, value in hourly:
        expected = hourly_ref[datetime.fromisoformat(time)][agg]
        assert value == pytest.approx(expected), (time, agg)

    daily_ref = _reference_rollups(points, lambda t: t.astimezone(PARIS).date())
    daily = client.get(f"{site['base']}/streams/{sid}/series", headers=site["h"], params={
        "start": iso(start - timedelta(days=1)), "end": iso(end), "step": "1d",
        "agg": agg}).json()["points"]
    assert len(daily) == len(daily_ref)
    for time, value in daily:
        local = datetime.fromisoformat(time).astimezone(PARIS)
        assert (local.hour, local.minute) == (0, 0)  # buckets start at local midnight
        assert value == pytest.approx(daily_ref[local.date()][agg]), (time, agg)
    # the DST day has 23 hours of data in its bucket
    dst_day = datetime(2026, 3, 29).date()
    assert daily_ref[dst_day]["count"] == pytest.approx(23 * 60 / 7, abs=1)


def test_series_parameters_are_validated(client, site):
    url = f"{site['base']}/streams/{site['generic.value']}/series"
    for params, field in (({"step": "5m"}, "step"), ({"step": "1h", "agg": "median"}, "agg"),
                          ({"start": "2026-01-02T00:00:00Z", "end": "2026-01-01T00:00:00Z"}, "to"),
                          ({"start": "2026-01-02"}, "start/end")):
        response = client.get(url, headers=site["h"], params=params)
        assert response.status_code == 422, params
        assert any(e["field"] == field for e in response.json()["errors"]), response.json()
    assert client.get(f"{site['base']}/streams/424242/series", headers=site["h"]).status_code == 404


@pytest.mark.parametrize("defect, fragment", [
    ({"value": True}, "numérique"),
    ({"value": "12"}, "numérique"),
    ({"value": 1e9}, None),  # generic.value has no bounds: stored
    ({"time": "2026-05-01T00:00:00"}, "fuseau"),
    ({"time": "2099-01-01T00:00:00Z"}, "futur"),
    ({"stream_id": 987654}, "flux inconnu"),
    ({"stream_id": "1"}, "flux inconnu"),
    ({"time": "2026-05-01T00:00:00Z"}, "duplicate"),
    ({"stream": "temperature", "value": 250}, "plage plausible"),
    ({"stream": "state", "value": 7}, "état"),
])
def test_one_defect_in_a_well_formed_batch_is_found(client, site, defect, fragment):
    """A batch of plain {stream_id, time, value} items takes a fast, column-wise path;
    a single defect anywhere must still be reported at its index with the rest stored."""
    sid = site["generic.value"]
    start = datetime(2026, 5, 1, tzinfo=UTC)
    items = [{"stream_id": sid, "time": iso(start + timedelta(minutes=10 * i)), "value": i}
             for i in range(100)]
    bad = dict(defect)
    if "stream" in bad:
        bad["stream_id"] = site[f"generic.{bad.pop('stream')}"]
    items[57] = {**items[57], **bad}
    body = post(client, site, items).json()
    if fragment is None:
        assert body["stored"] == 100 and body["rejected_count"] == 0
    elif fragment == "duplicate":
        assert body["stored"] == 99 and body["duplicates"] == 1
    else:
        assert body["stored"] == 99
        assert [r["index"] for r in body["rejected"]] == [57]
        assert fragment in body["rejected"][0]["reason"]
