"""Derived metrics (``AssetKind.derived``): a value computed at ingest from another metric of
the asset and its properties, on every entry point (API JSON and CSV, a device's token, MQTT
through a real Mosquitto, a ChirpStack webhook), the raw value always kept as it came."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from beffroi.connectivity.mqtt_worker import MqttWorker, wait_connected
from beffroi.core import assets, devices, tenants
from beffroi.core.access import CLI, open_scope
from beffroi.core.clock import parse_instant
from beffroi.core.registry import (
    AssetKind,
    DerivedMetric,
    Domain,
    Metric,
    PropertySpec,
    RegistryError,
    build_registry,
    discover_domains,
)
from beffroi.storage import schema

from .test_lorawan import sample
from .test_mqtt import publish_all, wait_for
from .test_network_servers import new_integration, post

SIREN = "200068377"
DEV_EUI = "0101010101010101"  # the device of the ChirpStack documentation sample
# Readings a few days old whatever the date the suite runs at (never in the future).
BASE = datetime.now(UTC).replace(microsecond=0) - timedelta(days=3)


def fill_percent(distance: float, props) -> float | None:
    """What the test domain declares: 100 × (height − distance) / height, within [0, 100]."""
    height = props.get("height_m")
    if not height:
        return None
    if distance == 13.0:
        raise RuntimeError("a domain's bug")
    return min(100.0, max(0.0, 100.0 * (height - distance) / height))


SILO = AssetKind(
    key="tank.silo", label="Silo",
    properties=(PropertySpec("height_m", "number", "Hauteur", unit="m", minimum=0),),
    metrics=("tank.distance", "tank.fill"),
    derived=(DerivedMetric("tank.distance", "tank.fill", fill_percent),),
)
TANK = Domain(key="tank", label="Cuves", asset_kinds=(SILO,), metrics=(
    Metric("tank.distance", "Distance mesurée", "m", minimum=0, maximum=20),
    Metric("tank.fill", "Remplissage", "%", minimum=0, maximum=100),
))


@pytest.fixture(scope="module")
def registry():
    return build_registry([*discover_domains(["generic"]), TANK])


@pytest.fixture
def silo(db, registry, client, op_headers) -> dict:
    """A 2.5 m silo with its distance stream and a device reading it (DevEUI of the
    ChirpStack sample), and a silo of unknown height."""
    with db.write() as conn:
        tenant = tenants.create_tenant(db, conn, CLI, siren=SIREN, registry=registry)
        scope = open_scope(db, conn, CLI, tenant["id"])
        ids = {}
        for ref, props in (("SILO-1", {"height_m": 2.5}), ("SILO-2", {})):
            ids[ref] = assets.create_asset(scope, conn, registry, {
                "ref": ref, "kind": "tank.silo", "name": ref, "commune": "88383",
                "properties": props,
                "geometry": {"type": "Point", "coordinates": [6.59, 48.02]}}).id
        device = devices.create_device(scope, conn, {
            "name": "Capteur ultrasons", "dev_eui": DEV_EUI, "asset_id": ids["SILO-1"],
            "mapping": {"distance": "tank.distance"}}, registry)
    return {"tenant": tenant["id"], "ids": ids, "device": device.id, "headers": op_headers}


def series(db, tenant_id: int, asset_id: int, metric: str) -> list[tuple[int, float, int]]:
    o, s = schema.observations, schema.streams
    with db.read() as conn:
        return [tuple(r) for r in conn.execute(
            select(o.c.t, o.c.value, o.c.quality)
            .join(s, (s.c.tenant_id == o.c.tenant_id) & (s.c.id == o.c.stream_id))
            .where(o.c.tenant_id == tenant_id, s.c.asset_id == asset_id, s.c.metric == metric)
            .order_by(o.c.t))]


def at(minutes: int) -> str:
    return (BASE + timedelta(minutes=minutes)).isoformat()


def ms(minutes: int) -> int:
    return parse_instant(at(minutes))


def test_http_json_keeps_the_raw_distance_and_stores_the_fill_level(client, db, silo):
    base = f"/api/v1/tenants/{silo['tenant']}"
    # Hand-computed for a 2.5 m silo: (2.5 − 2.0) / 2.5 = 20 %; 0.5 m → 80 %; 0.1 m → 96 %;
    # 2.7 m (an echo below the floor) → 0 %, clamped; quality is carried over.
    items = [{"asset": "SILO-1", "metric": "tank.distance", "time": at(0), "value": 2.0},
             {"asset": "SILO-1", "metric": "tank.distance", "time": at(10), "value": 0.5},
             {"asset": "SILO-1", "metric": "tank.distance", "time": at(20), "value": 0.1,
              "quality": "suspect"},
             {"asset": "SILO-1", "metric": "tank.distance", "time": at(30), "value": 2.7}]
    stream = client.post(f"{base}/streams", headers=silo["headers"], json={
        "asset_id": silo["ids"]["SILO-1"], "metric": "tank.distance"})
    assert stream.status_code == 201
    answer = client.post(f"{base}/observations", headers=silo["headers"], json=items)
    assert answer.status_code == 200, answer.text
    assert answer.json()["stored"] == 4  # the report counts what was sent, not what core added
    silo1 = silo["ids"]["SILO-1"]
    assert series(db, silo["tenant"], silo1, "tank.distance") == [
        (ms(0), 2.0, 0), (ms(10), 0.5, 0), (ms(20), 0.1, 1), (ms(30), 2.7, 0)]
    fill = series(db, silo["tenant"], silo1, "tank.fill")
    assert [(t, round(v, 9), q) for t, v, q in fill] == [
        (ms(0), 20.0, 0), (ms(10), 80.0, 0), (ms(20), 96.0, 1), (ms(30), 0.0, 0)]
    # The derived stream is an ordinary stream: latest value, rollups, series.
    latest = client.get(f"{base}/assets/{silo1}/latest", headers=silo["headers"]).json()
    assert {x["metric"]: x["value"] for x in latest} == {"tank.distance": 2.7, "tank.fill": 0.0}
    # Sent again: duplicates, and nothing derived twice.
    again = client.post(f"{base}/observations", headers=silo["headers"], json=items).json()
    assert (again["stored"], again["duplicates"]) == (0, 4)
    assert len(series(db, silo["tenant"], silo1, "tank.fill")) == 4


def test_csv_and_a_device_token_go_through_the_same_derivation(client, db, silo):
    base = f"/api/v1/tenants/{silo['tenant']}"
    silo1 = silo["ids"]["SILO-1"]
    client.post(f"{base}/streams", headers=silo["headers"],
                json={"asset_id": silo1, "metric": "tank.distance"})
    csv = f"asset,metric,time,value\nSILO-1,tank.distance,{at(0)},\"1,25\"\n"
    answer = client.post(f"{base}/observations", headers={
        **silo["headers"], "Content-Type": "text/csv"}, content=csv.encode())
    assert answer.status_code == 200, answer.text
    token = client.post(f"{base}/devices/{silo['device']}/tokens",
                        headers=silo["headers"]).json()["token"]
    answer = client.post(f"{base}/observations", headers={"Authorization": f"Bearer {token}"},
                         json=[{"asset": "SILO-1", "metric": "tank.distance", "time": at(5),
                                "value": 2.25}])
    assert answer.status_code == 200, answer.text
    # 1.25 m of 2.5 → 50 %; 2.25 m → 10 %.
    assert [(t, round(v, 9)) for t, v, _ in series(db, silo["tenant"], silo1, "tank.fill")] == [
        (ms(0), 50.0), (ms(5), 10.0)]


def test_what_cannot_be_derived_never_loses_the_raw_value(client, db, silo):
    base = f"/api/v1/tenants/{silo['tenant']}"
    for ref in ("SILO-1", "SILO-2"):
        client.post(f"{base}/streams", headers=silo["headers"],
                    json={"asset_id": silo["ids"][ref], "metric": "tank.distance"})
    answer = client.post(f"{base}/observations", headers=silo["headers"], json=[
        # no height: no fill level, the distance is kept
        {"asset": "SILO-2", "metric": "tank.distance", "time": at(0), "value": 1.0},
        # the domain's function fails on this value: the distance is kept
        {"asset": "SILO-1", "metric": "tank.distance", "time": at(1), "value": 13.0},
        # out of the distance's plausible range: rejected, nothing derived
        {"asset": "SILO-1", "metric": "tank.distance", "time": at(2), "value": 25.0},
        {"asset": "SILO-1", "metric": "tank.distance", "time": at(3), "value": 0.5}])
    assert answer.status_code == 422
    assert [r["index"] for r in answer.json()["rejected"]] == [2]
    assert answer.json()["stored"] == 3
    assert [v for _, v, _ in series(db, silo["tenant"], silo["ids"]["SILO-2"],
                                    "tank.distance")] == [1.0]
    assert series(db, silo["tenant"], silo["ids"]["SILO-2"], "tank.fill") == []
    silo1 = silo["ids"]["SILO-1"]
    assert [v for _, v, _ in series(db, silo["tenant"], silo1, "tank.distance")] == [13.0, 0.5]
    assert [(t, round(v, 9)) for t, v, _ in series(db, silo["tenant"], silo1, "tank.fill")] == [
        (ms(3), 80.0)]


def test_an_alert_rule_on_the_derived_metric_fires_at_ingest(client, db, silo):
    base = f"/api/v1/tenants/{silo['tenant']}"
    rule = client.post(f"{base}/alert-rules", headers=silo["headers"], json={
        "name": "Silo presque plein", "kind": "threshold", "metric": "tank.fill",
        "asset_kind": "tank.silo", "severity": "warning",
        "params": {"operator": "above", "value": 90}})
    assert rule.status_code == 201, rule.text
    client.post(f"{base}/streams", headers=silo["headers"],
                json={"asset_id": silo["ids"]["SILO-1"], "metric": "tank.distance"})
    client.post(f"{base}/observations", headers=silo["headers"], json=[
        {"asset": "SILO-1", "metric": "tank.distance", "time": at(0), "value": 0.5}])
    assert client.get(f"{base}/alerts", headers=silo["headers"]).json() == []
    client.post(f"{base}/observations", headers=silo["headers"], json=[
        {"asset": "SILO-1", "metric": "tank.distance", "time": at(10), "value": 0.1}])
    alerts = client.get(f"{base}/alerts", headers=silo["headers"]).json()
    assert [(a["asset_id"], a["status"]) for a in alerts] == [(silo["ids"]["SILO-1"], "open")]


def test_mqtt_through_a_real_broker(db, registry, broker, silo):
    worker = MqttWorker(db, registry, broker, client_id=f"test-{uuid.uuid4().hex[:8]}")
    thread = worker.start()
    try:
        assert wait_connected(worker), "worker did not subscribe"
        topic = f"beffroi/{SIREN}/devices/{DEV_EUI}/up"
        publish_all(broker, topic, [json.dumps({"time": at(i), "values": {"distance": d}})
                                    .encode() for i, d in ((0, 2.0), (15, 1.0))])
        silo1 = silo["ids"]["SILO-1"]
        wait_for(lambda: len(series(db, silo["tenant"], silo1, "tank.fill")) == 2, 20,
                 "derived fill levels")
    finally:
        worker.stop()
        thread.join(10)
    assert [(t, v) for t, v, _ in series(db, silo["tenant"], silo1, "tank.distance")] == [
        (ms(0), 2.0), (ms(15), 1.0)]
    # 2.0 m of 2.5 → 20 %; 1.0 m → 60 %.
    assert [(t, round(v, 9)) for t, v, _ in series(db, silo["tenant"], silo1, "tank.fill")] == [
        (ms(0), 20.0), (ms(15), 60.0)]


def test_chirpstack_webhook(client, db, silo):
    integration = new_integration(client, {"tenant": silo["tenant"],
                                           "headers": silo["headers"]}, "chirpstack")
    body = sample("chirpstack-v4-up.json")
    body["time"] = at(0)
    body["object"] = {"distance": 0.75}  # present when a codec is set in ChirpStack
    answer = post(client, integration, body, "up")
    assert answer.status_code == 200, answer.text
    assert answer.json()["problems"] == []
    silo1 = silo["ids"]["SILO-1"]
    assert [(t, v) for t, v, _ in series(db, silo["tenant"], silo1, "tank.distance")] == [
        (ms(0), 0.75)]
    # 0.75 m of 2.5 → 70 %.
    assert [(t, round(v, 9)) for t, v, _ in series(db, silo["tenant"], silo1, "tank.fill")] == [
        (ms(0), 70.0)]


@pytest.mark.parametrize("derived, fragment", [
    ((DerivedMetric("tank.depth", "tank.fill", fill_percent),), r"derived\[0\]\.source\) : mesure source inconnue « tank\.depth »"),
    ((DerivedMetric("tank.distance", "tank.level", fill_percent),), r"derived\[0\]\.target\) : mesure cible inconnue « tank\.level »"),
    ((DerivedMetric("tank.distance", "tank.fill", "100 - x"),), r"derived\[0\]\.compute\) : fonction attendue, reçu str '100 - x'"),
    ((DerivedMetric("tank.distance", "tank.fill", fill_percent),
      DerivedMetric("tank.fill", "tank.distance", fill_percent)), r"derived\[1\]\.source\) : la source « tank\.fill » est elle-même dérivée"),
    ((DerivedMetric("tank.distance", "tank.fill", fill_percent),
      DerivedMetric("tank.distance", "tank.fill", fill_percent)), r"derived\[1\]\.target\) : mesure « tank\.fill » dérivée deux fois"),
])
def test_a_wrong_derivation_is_refused_at_registration(derived, fragment):
    kind = AssetKind(key="tank.silo", label="Silo", derived=derived)
    domain = Domain(key="tank", label="Cuves", asset_kinds=(kind,), metrics=TANK.metrics)
    with pytest.raises(RegistryError, match=fragment):
        build_registry([domain])


def daily_rollups(db, tenant_id: int, asset_id: int, metric: str) -> list[tuple[float, int]]:
    r, s = schema.rollups_daily, schema.streams
    with db.read() as conn:
        return [(round(x.sum, 9), x.count) for x in conn.execute(
            select(r.c.sum, r.c.count)
            .join(s, (s.c.tenant_id == r.c.tenant_id) & (s.c.id == r.c.stream_id))
            .where(r.c.tenant_id == tenant_id, s.c.asset_id == asset_id, s.c.metric == metric)
            .order_by(r.c.bucket))]


def test_a_corrected_property_rewrites_the_derived_values(client, db, silo):
    """The height was wrong: once corrected, the fill levels are recomputed from the stored
    distances, with their rollups and latest value; removing it removes them."""
    base = f"/api/v1/tenants/{silo['tenant']}"
    silo2 = silo["ids"]["SILO-2"]  # no height yet: distances only
    client.post(f"{base}/streams", headers=silo["headers"],
                json={"asset_id": silo2, "metric": "tank.distance"})
    client.post(f"{base}/observations", headers=silo["headers"], json=[
        {"asset": "SILO-2", "metric": "tank.distance", "time": at(m), "value": d}
        for m, d in ((0, 3.0), (60, 1.0), (120, 0.5))])
    assert series(db, silo["tenant"], silo2, "tank.fill") == []
    answer = client.patch(f"{base}/assets/{silo2}", headers=silo["headers"],
                          json={"properties": {"height_m": 4.0}})
    assert answer.status_code == 200, answer.text
    # 3.0 m of 4 → 25 %; 1.0 → 75 %; 0.5 → 87.5 %.
    assert [(t, round(v, 9)) for t, v, _ in series(db, silo["tenant"], silo2, "tank.fill")] == [
        (ms(0), 25.0), (ms(60), 75.0), (ms(120), 87.5)]
    assert sum(s for s, _ in daily_rollups(db, silo["tenant"], silo2, "tank.fill")) == 187.5
    latest = client.get(f"{base}/assets/{silo2}/latest", headers=silo["headers"]).json()
    assert {x["metric"]: x["value"] for x in latest}["tank.fill"] == 87.5
    # Corrected again through an inventory import (same ref): 5 m → 40, 80, 90 %.
    report = client.post(f"{base}/assets/import", headers={
        **silo["headers"], "Content-Type": "text/csv"},
        content=b"ref,kind,name,commune,lon,lat,height_m\n"
                b"SILO-2,tank.silo,SILO-2,88383,6.59,48.02,5\n")
    assert report.status_code == 200, report.text
    assert [round(v, 9) for _, v, _ in series(db, silo["tenant"], silo2, "tank.fill")] == [
        40.0, 80.0, 90.0]
    assert sum(s for s, _ in daily_rollups(db, silo["tenant"], silo2, "tank.fill")) == 210.0
    # The height removed: no fill level can be computed any more, none is kept.
    client.patch(f"{base}/assets/{silo2}", headers=silo["headers"],
                 json={"properties": {"height_m": None}})
    assert series(db, silo["tenant"], silo2, "tank.fill") == []
    assert daily_rollups(db, silo["tenant"], silo2, "tank.fill") == []
    assert [v for _, v, _ in series(db, silo["tenant"], silo2, "tank.distance")] == [
        3.0, 1.0, 0.5]
