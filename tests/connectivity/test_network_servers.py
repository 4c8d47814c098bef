"""Network-server endpoints: integrations, the official ChirpStack v4 and TTS v3 samples,
device events, downlink events, and every way a request can be refused."""

from __future__ import annotations

import json
import uuid

import pytest
from sqlalchemy import select

from beffroi.connectivity.downlinks import dispatch_due
from beffroi.connectivity.integrations import list_integrations
from beffroi.core import assets, commands, devices, tenants
from beffroi.core.access import CLI, open_scope
from beffroi.core.clock import format_instant, now_ms, parse_instant
from beffroi.core.registry import load_registry
from beffroi.storage import schema

from .test_downlinks import CS_KEY, FakeNetworkServer
from .test_lorawan import sample

CS_EUI = "0101010101010101"  # the device of the ChirpStack documentation sample
TTS_EUI = "0004a30b001c0530"  # the device of The Things Stack documentation sample
CS_TIME = parse_instant("2022-07-18T09:34:15.775Z")  # "time" of the ChirpStack sample
TTS_TIME = parse_instant("2020-02-12T15:15:45.789585559Z")  # uplink_message.received_at


@pytest.fixture(scope="module")
def registry():
    """Every domain: decoders suggest shared quantities (air.temperature, air.co2…)."""
    return load_registry()


@pytest.fixture
def site(db, registry, client, op_headers) -> dict:
    with db.write() as conn:
        t = tenants.create_tenant(db, conn, CLI, name="CC de test", registry=registry)
        scope = open_scope(db, conn, CLI, t["id"])
        tenants.create_commune(scope, conn, {"insee": "88383", "name": "Remiremont"})
        asset = assets.create_asset(scope, conn, registry, {
            "ref": "ECOLE-1", "kind": "generic.site", "name": "École", "commune": "88383",
            "geometry": {"type": "Point", "coordinates": [6.59, 48.02]}})
    return {"tenant": t["id"], "asset": asset.id, "headers": op_headers}


def add_device(db, registry, site, eui, **fields) -> int:
    with db.write() as conn:
        scope = open_scope(db, conn, CLI, site["tenant"])
        return devices.create_device(scope, conn, {"name": f"Capteur {eui}", "dev_eui": eui,
                                                   "asset_id": site["asset"], **fields},
                                     registry).id


def new_integration(client, site, kind, **body) -> dict:
    response = client.post(f"/api/v1/tenants/{site['tenant']}/integrations",
                           headers=site["headers"], json={"kind": kind, **body})
    assert response.status_code == 201, response.text
    return response.json()


def post(client, integration, body, event=None, secret=None):
    kind = integration["kind"]
    url = f"/api/v1/integrations/{integration['id']}/{kind}"
    if event:
        url += f"?event={event}"
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    return client.post(url, content=content, headers={
        "Authorization": f"Bearer {secret or integration['secret']}",
        "Content-Type": "application/json"})


def observations(db, tenant_id) -> dict[str, list[tuple[int, float]]]:
    """{metric: [(time, value)]} of every stored observation of the tenant."""
    o, s = schema.observations, schema.streams
    query = (select(s.c.metric, o.c.t, o.c.value)
             .join(s, (s.c.tenant_id == o.c.tenant_id) & (s.c.id == o.c.stream_id))
             .where(o.c.tenant_id == tenant_id).order_by(s.c.metric, o.c.t))
    out: dict[str, list] = {}
    with db.read() as conn:
        for metric, time, value in conn.execute(query):
            out.setdefault(metric, []).append((time, value))
    return out


def device_row(db, tenant_id, device_id):
    d = schema.devices
    with db.read() as conn:
        return conn.execute(select(d).where(d.c.tenant_id == tenant_id,
                                            d.c.id == device_id)).first()


# -- integrations ----------------------------------------------------------------------------
def test_integration_lifecycle(client, db, registry, site):
    base = f"/api/v1/tenants/{site['tenant']}/integrations"
    h = site["headers"]
    created = new_integration(client, site, "tts", name="TTN du syndicat", config={
        "api_url": "https://eu1.cloud.thethings.network/", "api_key": "NNSXS.SECRET",
        "application_id": "eclairage"})
    assert created["secret"].startswith("bfi_") and len(created["secret"]) > 40
    assert created["config"] == {"api_url": "https://eu1.cloud.thethings.network",
                                 "application_id": "eclairage"}  # the key is never shown
    assert created["api_key_set"] is True and created["downlinks_ready"] is False
    assert created["endpoint"] == f"/api/v1/integrations/{created['id']}/tts"
    listed = client.get(base, headers=h).json()
    assert [i["id"] for i in listed] == [created["id"]]
    assert "secret" not in listed[0] and "NNSXS" not in client.get(base, headers=h).text
    # A partial update keeps the rest of the configuration.
    patched = client.patch(f"{base}/{created['id']}", headers=h,
                           json={"config": {"webhook_id": "beffroi"}}).json()
    assert patched["downlinks_ready"] is True and patched["api_key_set"] is True
    assert patched["config"]["application_id"] == "eclairage"
    # The secret works, a renewed one replaces it at once.
    join = {"end_device_ids": {"dev_eui": TTS_EUI}, "join_accept": {"session_key_id": "x"}}
    add_device(db, registry, site, TTS_EUI)
    assert post(client, created, join).status_code == 200
    renewed = client.post(f"{base}/{created['id']}/secret", headers=h).json()
    assert renewed["secret"] != created["secret"]
    assert post(client, created, join).status_code == 401
    assert post(client, created, join, secret=renewed["secret"]).status_code == 200
    # Deleted: the endpoint refuses it.
    assert client.delete(f"{base}/{created['id']}", headers=h).status_code == 204
    assert client.get(base, headers=h).json() == []
    assert post(client, created, join, secret=renewed["secret"]).status_code == 401
    a = schema.audit_log
    with db.read() as conn:
        audited = [(r.action, r.entity) for r in conn.execute(
            select(a).where(a.c.tenant_id == site["tenant"], a.c.entity == "integration"))]
    assert audited == [("create", "integration"), ("update", "integration"),
                       ("renew_secret", "integration"), ("delete", "integration")]


@pytest.mark.parametrize("body, fields", [
    ({"kind": "lora"}, ["kind"]),
    ({"kind": "chirpstack", "config": {"api_url": "ftp://x", "application_id": "a"}},
     ["config.api_url", "config.application_id"]),
    ({"kind": "tts", "name": "", "colour": "bleu"}, ["colour", "name"]),
    ({"kind": "tts", "config": ["api_url"]}, ["config"]),
])
def test_invalid_integrations_are_refused_field_by_field(client, db, site, body, fields):
    response = client.post(f"/api/v1/tenants/{site['tenant']}/integrations",
                           headers=site["headers"], json=body)
    assert response.status_code == 422
    assert sorted(e["field"] for e in response.json()["errors"]) == sorted(fields)
    with db.read() as conn:
        assert list_integrations(open_scope(db, conn, CLI, site["tenant"]), conn) == []


def test_the_api_url_must_lead_to_a_public_address(client, site, monkeypatch):
    """The server calls the api_url to send commands: it must not reach the server's own
    services, the cloud metadata service or the private network (unless allowed)."""
    monkeypatch.delenv("BEFFROI_ALLOW_PRIVATE_NETWORKS", raising=False)
    base = f"/api/v1/tenants/{site['tenant']}/integrations"
    refused = "destination refusée (adresse locale, privée ou réservée)"
    cs = new_integration(client, site, "chirpstack",
                         config={"api_url": "https://8.8.8.8", "api_key": CS_KEY})
    for url in ("http://127.0.0.1:8080", "http://localhost:8080", "http://169.254.169.254",
                "http://10.20.0.5:8080", "http://[::1]:8080", "http://[::ffff:10.0.0.1]"):
        created = client.post(base, headers=site["headers"], json={
            "kind": "tts", "config": {"api_url": url}})
        changed = client.patch(f"{base}/{cs['id']}", headers=site["headers"],
                               json={"config": {"api_url": url}})
        for answer in (created, changed):
            assert answer.status_code == 422, (url, answer.text)
            assert answer.json()["errors"] == [{"field": "config.api_url", "message": refused}]
    monkeypatch.setenv("BEFFROI_ALLOW_PRIVATE_NETWORKS", "10.20.0.0/16")
    changed = client.patch(f"{base}/{cs['id']}", headers=site["headers"],
                           json={"config": {"api_url": "http://10.20.0.5:8080"}})
    assert changed.status_code == 200
    assert changed.json()["config"]["api_url"] == "http://10.20.0.5:8080"


def test_the_kind_of_an_integration_cannot_change(client, site):
    created = new_integration(client, site, "chirpstack")
    response = client.patch(f"/api/v1/tenants/{site['tenant']}/integrations/{created['id']}",
                            headers=site["headers"], json={"kind": "tts"})
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "kind"


# -- the official samples ------------------------------------------------------------------------
def test_chirpstack_sample_without_codec_keeps_radio_data_and_reports_the_bytes(
        client, db, registry, site):
    device_id = add_device(db, registry, site, CS_EUI)  # no model: no Beffroi decoder
    integration = new_integration(client, site, "chirpstack")
    response = post(client, integration, sample("chirpstack-v4-up.json"), "up")
    assert response.status_code == 200, response.text
    answer = response.json()
    assert (answer["device_id"], answer["stored"], answer["redelivered"]) == (device_id, 3, False)
    assert answer["problems"] == ["trame aa non décodée : ni objet décodé par le serveur "
                                  "réseau, ni modèle (décodeur) indiqué pour le capteur"]
    assert observations(db, site["tenant"]) == {
        "radio.frame_counter": [(CS_TIME, 0.0)],  # fCnt omitted by protobuf JSON when zero
        "radio.rssi": [(CS_TIME, -36.0)], "radio.snr": [(CS_TIME, 10.5)]}
    row = device_row(db, site["tenant"], device_id)
    assert (row.last_seen, row.last_gateway, row.uplinks, row.rejected) == (
        CS_TIME, "0016c001f153a14c", 1, 1)
    assert "non décodée" in row.last_error
    # ChirpStack posts it again (e.g. after a time-out): recognised, nothing stored twice.
    again = post(client, integration, sample("chirpstack-v4-up.json"), "up").json()
    assert (again["stored"], again["redelivered"]) == (0, True)
    assert sum(map(len, observations(db, site["tenant"]).values())) == 3


def test_chirpstack_sample_with_a_codec_object(client, db, registry, site):
    add_device(db, registry, site, CS_EUI, mapping={"temperature": "generic.temperature"})
    body = sample("chirpstack-v4-up.json")
    body["object"] = {"temperature": 21.5}  # present when a codec is set in ChirpStack
    answer = post(client, new_integration(client, site, "chirpstack"), body, "up").json()
    assert answer["stored"] == 4 and answer["problems"] == []
    assert observations(db, site["tenant"])["generic.temperature"] == [(CS_TIME, 21.5)]


def test_chirpstack_sample_decoded_by_the_device_model(client, db, registry, site):
    add_device(db, registry, site, CS_EUI, model="elsys")
    body = sample("chirpstack-v4-up.json")
    # ELSYS elements (types 0x01, 0x02, 0x06, 0x07 of the published example 0100E2022904…):
    # 22.6 °C, 41 %, 776 ppm CO2, 3.426 V.
    body["data"] = "AQDiAikGAwgHDWI="
    answer = post(client, new_integration(client, site, "chirpstack"), body, "up").json()
    assert answer["problems"] == [] and answer["stored"] == 7
    stored = observations(db, site["tenant"])
    assert {m: v[0][1] for m, v in stored.items() if not m.startswith("radio.")} == {
        "air.temperature": 22.6, "air.humidity": 41.0, "air.co2": 776.0,
        "device.battery_voltage": 3.426}


def test_tts_sample_uplink(client, db, registry, site):
    device_id = add_device(db, registry, site, TTS_EUI, mapping={
        "temperature": "generic.temperature", "luminosity": "generic.value"})
    integration = new_integration(client, site, "tts")
    response = post(client, integration, sample("tts-v3-uplink.json"))
    assert response.status_code == 200, response.text
    assert response.json()["stored"] == 5 and response.json()["problems"] == []
    assert observations(db, site["tenant"]) == {
        "generic.temperature": [(TTS_TIME, 1.0)], "generic.value": [(TTS_TIME, 0.64)],
        "radio.frame_counter": [(TTS_TIME, 1.0)], "radio.rssi": [(TTS_TIME, -35.0)],
        "radio.snr": [(TTS_TIME, 5.0)]}
    assert device_row(db, site["tenant"], device_id).last_gateway == "gtw1"
    again = post(client, integration, sample("tts-v3-uplink.json")).json()
    assert again["redelivered"] is True and again["stored"] == 0


# -- device events ---------------------------------------------------------------------------------
def status_event(**fields):
    return {"deduplicationId": str(uuid.uuid4()), "time": "2026-11-23T10:00:00Z",
            "deviceInfo": {"devEui": CS_EUI, "deviceName": "Capteur"}, "margin": 7, **fields}


def test_chirpstack_status_feeds_the_battery(client, db, registry, site):
    device_id = add_device(db, registry, site, CS_EUI)
    integration = new_integration(client, site, "chirpstack")
    answer = post(client, integration, status_event(batteryLevel=75.5), "status").json()
    assert (answer["event"], answer["battery"], answer["stored"]) == ("status", 75.5, 1)
    assert [v for _, v in observations(db, site["tenant"])["device.battery"]] == [75.5]
    assert device_row(db, site["tenant"], device_id).battery == 75.5
    # Mains-powered: no battery level to store.
    answer = post(client, integration, status_event(externalPowerSource=True), "status").json()
    assert answer["battery"] is None and answer["stored"] == 0
    refused = post(client, integration, status_event(batteryLevel=180), "status")
    assert refused.status_code == 422 and "batteryLevel" in refused.json()["detail"]


def test_join_events_mark_the_device_alive(client, db, registry, site):
    device_id = add_device(db, registry, site, CS_EUI)
    cs = new_integration(client, site, "chirpstack")
    before = now_ms()
    join = {"deduplicationId": str(uuid.uuid4()), "time": "2026-11-23T10:00:00Z",
            "deviceInfo": {"devEui": CS_EUI}, "devAddr": "01f5e1a0"}
    assert post(client, cs, join, "join").json() == {"event": "join", "device_id": device_id,
                                                    "stored": 0, "battery": None}
    assert device_row(db, site["tenant"], device_id).last_seen >= before
    for event in ("log", "location", "integration"):  # accepted, nothing to do
        assert post(client, cs, {"deviceInfo": {"devEui": CS_EUI}}, event).json()["ignored"]


# -- downlink events through the endpoints -----------------------------------------------------------
def test_chirpstack_ack_through_the_endpoint_acknowledges_the_command(client, db, registry,
                                                                      site, monkeypatch):
    monkeypatch.setenv("BEFFROI_ALLOW_PRIVATE_NETWORKS", "127.0.0.0/8")  # the fake server's
    ns = FakeNetworkServer(known_devices=("70b3d5e75e001234",))
    try:
        with db.write() as conn:
            scope = open_scope(db, conn, CLI, site["tenant"])
            cabinet = assets.create_asset(scope, conn, registry, {
                "ref": "ARM-1", "kind": "lighting.cabinet", "name": "Armoire 1",
                "commune": "88383", "geometry": {"type": "Point", "coordinates": [6.6, 48.0]}})
            devices.create_device(scope, conn, {"name": "Contrôleur",
                                                "dev_eui": "70b3d5e75e001234",
                                                "asset_id": cabinet.id}, registry)
            command = commands.create_command(scope, conn, registry, {
                "asset_id": cabinet.id, "action": "lighting.switch", "params": {"state": "off"}})
        cs = new_integration(client, site, "chirpstack",
                             config={"api_url": ns.url, "api_key": CS_KEY})
        [sent] = dispatch_due(db, registry, now_ms())
        assert sent["status"] == "sent"
        ack = {"deduplicationId": str(uuid.uuid4()), "time": "2026-11-23T20:30:00Z",
               "deviceInfo": {"devEui": "70b3d5e75e001234"}, "queueItemId": sent["correlation"],
               "acknowledged": True, "fCntDown": 4}
        answer = post(client, cs, ack, "ack").json()
        assert answer["command"]["id"] == command.id
        assert answer["command"]["status"] == "acknowledged"
        stranger = post(client, cs, {**ack, "queueItemId": str(uuid.uuid4())}, "ack").json()
        assert stranger == {"event": "ack", "command": None, "ignored": True}
    finally:
        ns.close()


def test_tts_downlink_event_without_beffroi_correlation_is_ignored(client, site):
    tts = new_integration(client, site, "tts")
    event = {"end_device_ids": {"dev_eui": TTS_EUI}, "correlation_ids": ["as:downlink:01"],
             "downlink_ack": {"f_port": 1, "frm_payload": "AQ==", "correlation_ids": ["x"]}}
    assert post(client, tts, event).json() == {"event": "downlink_ack", "command": None,
                                               "ignored": True}


# -- refusals ---------------------------------------------------------------------------------------
def integration_row(db, integration_id):
    i = schema.integrations
    with db.read() as conn:
        return conn.execute(select(i).where(i.c.id == integration_id)).first()


def test_authentication_is_required_and_checked(client, site):
    cs = new_integration(client, site, "chirpstack")
    url = f"/api/v1/integrations/{cs['id']}/chirpstack?event=up"
    body = sample("chirpstack-v4-up.json")
    missing = client.post(url, json=body)
    assert missing.status_code == 401 and "Bearer" in missing.json()["detail"]
    assert missing.headers["www-authenticate"].startswith("Bearer")
    for headers in ({"Authorization": "Bearer bfi_wrong"}, {"Authorization": f"Basic {cs['secret']}"},
                    site["headers"]):  # a user's token is not an integration secret
        assert client.post(url, json=body, headers=headers).status_code == 401
    unknown = client.post("/api/v1/integrations/999999/chirpstack?event=up", json=body,
                          headers={"Authorization": f"Bearer {cs['secret']}"})
    assert unknown.status_code == 401
    assert unknown.json()["detail"] == "Intégration inconnue ou secret incorrect."


def test_refused_events_are_precise_and_counted(client, db, registry, site):
    device_id = add_device(db, registry, site, CS_EUI)
    cs = new_integration(client, site, "chirpstack")
    tts = new_integration(client, site, "tts")
    up = sample("chirpstack-v4-up.json")
    cases = [
        (post(client, cs, up, "uplink"), 422, "Événement ChirpStack « uplink » inconnu"),
        (post(client, cs, up), 422, "Événement ChirpStack «  » inconnu"),
        (post(client, cs, b'{"deviceInfo": ', "up"), 422, "JSON mal formé"),
        (post(client, cs, [up], "up"), 422, "objet JSON attendu"),
        (post(client, cs, {**up, "data": "%%"}, "up"), 422, "« data » n'est pas du base64"),
        (post(client, cs, {**up, "deviceInfo": {"devEui": "ffffffffffffffff"}}, "up"), 404,
         "Aucun capteur de DevEUI ffffffffffffffff"),
        (post(client, {**tts, "kind": "chirpstack"}, up, "up"), 409, "de type « tts »"),
        (post(client, tts, {"end_device_ids": {"dev_eui": TTS_EUI}, "surprise": {}}), 422,
         "sans type reconnu"),
    ]
    for response, status, fragment in cases:
        assert response.status_code == status, response.text
        assert response.headers["content-type"] == "application/problem+json"
        assert fragment in response.json()["detail"], response.json()["detail"]
    assert observations(db, site["tenant"]) == {}
    # Every refusal after authentication is counted on the integration that received it.
    counted = integration_row(db, cs["id"])
    assert (counted.events, counted.rejected) == (6, 6)
    assert "ffffffffffffffff" in counted.last_error
    assert integration_row(db, tts["id"]).rejected == 2
    assert device_row(db, site["tenant"], device_id).rejected == 0  # none was about it


@pytest.mark.parametrize("kind, event, fragment, place", [
    ("chirpstack", "up", '"object": {"temperature": 21.5', "object"),
    ("tts", None, '"decoded_payload": {"temperature": 1.0', "uplink_message.decoded_payload"),
])
def test_an_event_naming_a_key_twice_is_refused_and_counted(client, db, registry, site, kind,
                                                            event, fragment, place):
    """Which of 21.5 and 99 was measured would be the parser's choice: the event is refused
    as a malformed one is (422, counted on the integration), naming the key and where."""
    device_id = add_device(db, registry, site, CS_EUI if kind == "chirpstack" else TTS_EUI,
                           mapping={"temperature": "generic.temperature"})
    integration = new_integration(client, site, kind)
    body = sample("chirpstack-v4-up.json" if kind == "chirpstack" else "tts-v3-uplink.json")
    if kind == "chirpstack":
        body["object"] = {"temperature": 21.5}
    text = json.dumps(body)
    assert fragment in text
    refused = post(client, integration, text.replace(
        fragment, f'{fragment}, "temperature": 99').encode(), event)
    assert refused.status_code == 422, refused.text
    message = f"JSON ambigu : clé « temperature » en double dans « {place} »"
    assert refused.json()["detail"] == f"Événement refusé : {message}."
    assert refused.json()["errors"] == [{"field": f"{place}.temperature", "message": message}]
    assert observations(db, site["tenant"]) == {}
    row = integration_row(db, integration["id"])
    assert (row.rejected, row.last_error) == (1, f"Événement refusé : {message}.")
    # The same event, each key once: stored.
    stored = post(client, integration, text.encode(), event)
    assert stored.status_code == 200, stored.text
    assert [v for _, v in observations(db, site["tenant"])["generic.temperature"]] == [
        21.5 if kind == "chirpstack" else 1.0]
    assert device_row(db, site["tenant"], device_id).uplinks == 1


def test_a_device_without_asset_is_refused_and_counted_on_the_device(client, db, registry,
                                                                     site):
    with db.write() as conn:
        scope = open_scope(db, conn, CLI, site["tenant"])
        device_id = devices.create_device(scope, conn, {"name": "En stock",
                                                        "dev_eui": CS_EUI}, registry).id
    cs = new_integration(client, site, "chirpstack")
    response = post(client, cs, sample("chirpstack-v4-up.json"), "up")
    assert response.status_code == 422 and "rattaché à aucun équipement" in response.text
    row = device_row(db, site["tenant"], device_id)
    assert row.rejected == 1 and "rattaché à aucun équipement" in row.last_error


def test_concurrent_uplinks_are_each_answered_with_their_own_outcome(client, db, registry,
                                                                     site):
    """Uplinks posted at once share the group writer's transactions: each is answered with
    its own counts, a network server's retry of one of them is recognised, and an unknown
    device's uplink is refused alone, every event counted on the integration."""
    from concurrent.futures import ThreadPoolExecutor

    euis = [f"{n + 1:016x}" for n in range(4)]
    ids = {eui: add_device(db, registry, site, eui, mapping={"value": "generic.value"})
           for eui in euis}
    cs = new_integration(client, site, "chirpstack")

    def uplink(n: int, eui: str | None = None) -> dict:
        return {"deduplicationId": f"msg-{n}", "time": format_instant(CS_TIME + n * 60_000),
                "deviceInfo": {"devEui": eui or euis[n % 4]}, "fPort": 1,
                "object": {"value": float(n)},
                "rxInfo": [{"gatewayId": "0016c001f153a14c", "rssi": -40 - n, "snr": 9.5}]}

    bodies = [uplink(n) for n in range(12)] + [uplink(5), uplink(99, "ffffffffffffffff")]
    with ThreadPoolExecutor(len(bodies)) as pool:
        answers = list(pool.map(lambda body: post(client, cs, body, "up"), bodies))
    assert [a.status_code for a in answers] == [200] * 13 + [404]
    outcomes = [(a.json()["stored"], a.json()["redelivered"]) for a in answers[:13]]
    # value, rssi, snr and frame counter of each uplink; the retry of msg-5 is recognised,
    # whichever of the two was committed first
    assert outcomes[:5] + outcomes[6:12] == [(4, False)] * 11
    assert sorted([outcomes[5], outcomes[12]]) == [(0, True), (4, False)]
    assert [a.json()["device_id"] for a in answers[:12]] == [ids[euis[n % 4]]
                                                            for n in range(12)]
    assert observations(db, site["tenant"])["generic.value"] == [
        (CS_TIME + n * 60_000, float(n)) for n in range(12)]
    counted = integration_row(db, cs["id"])
    assert (counted.events, counted.rejected) == (14, 1)
    assert [device_row(db, site["tenant"], ids[eui]).uplinks for eui in euis] == [3, 3, 3, 3]
    assert {device_row(db, site["tenant"], ids[eui]).last_gateway for eui in euis} == {
        "0016c001f153a14c"}


# -- fields of the wrong JSON type -------------------------------------------------------------------
def test_a_message_id_that_is_not_text_is_ignored_and_the_event_stored(client, db, registry,
                                                                       site):
    """The id only recognises a retry: one of another type (it was a server error, which a
    network server posts again and again) is ignored, the readings are stored and an
    identical retry is still recognised, by the body's digest."""
    add_device(db, registry, site, CS_EUI, mapping={"value": "generic.value"})
    add_device(db, registry, site, TTS_EUI, mapping={"temperature": "generic.temperature"})
    cs, tts = new_integration(client, site, "chirpstack"), new_integration(client, site, "tts")
    for n, dedup in enumerate((12345, {"a": 1}, ["x"], "", None)):
        body = {"deviceInfo": {"devEui": CS_EUI}, "deduplicationId": dedup,
                "time": format_instant(CS_TIME + n * 60_000), "object": {"value": float(n)}}
        first = post(client, cs, body, "up")
        assert first.status_code == 200, (dedup, first.text)
        assert (first.json()["stored"], first.json()["redelivered"]) == (2, False)
        again = post(client, cs, body, "up").json()
        assert (again["stored"], again["redelivered"]) == (0, True)
    assert [v for _, v in observations(db, site["tenant"])["generic.value"]] == [
        0.0, 1.0, 2.0, 3.0, 4.0]
    status = post(client, cs, status_event(batteryLevel=60, deduplicationId=12345), "status")
    assert status.status_code == 200 and status.json()["stored"] == 1
    for n, ids in enumerate(([42], [{"a": 1}, "as:up:01"], "as:up:01", {"a": 1})):
        body = sample("tts-v3-uplink.json")
        body["correlation_ids"] = ids
        del body["uplink_message"]["decoded_payload"]["luminosity"]  # not mapped here
        body["uplink_message"]["received_at"] = format_instant(TTS_TIME + n * 60_000)
        answer = post(client, tts, body)
        assert answer.status_code == 200, (ids, answer.text)
        assert answer.json()["stored"] == 4  # temperature, frame counter, rssi, snr
    assert integration_row(db, cs["id"]).rejected == 0
    assert integration_row(db, tts["id"]).rejected == 0


@pytest.mark.parametrize("kind, event, change, field, message", [
    ("chirpstack", "up", {"fCnt": "abc"}, "fCnt",
     '« fCnt » : entier de 0 à 4294967295 attendu, reçu "abc"'),
    ("chirpstack", "up", {"fCnt": -1}, "fCnt",
     "« fCnt » : entier de 0 à 4294967295 attendu, reçu -1"),
    ("chirpstack", "up", {"fCnt": 2.5}, "fCnt",
     "« fCnt » : entier de 0 à 4294967295 attendu, reçu 2.5"),
    ("chirpstack", "up", {"fCnt": [1]}, "fCnt",
     "« fCnt » : entier de 0 à 4294967295 attendu, reçu [1]"),
    ("chirpstack", "up", {"deviceInfo": "abc"}, "deviceInfo",
     '« deviceInfo » : objet JSON attendu, reçu "abc"'),
    ("chirpstack", "up", {"deviceInfo": {"devEui": {"a": 1}}}, "deviceInfo.devEui",
     '« deviceInfo.devEui » : texte attendu (16 chiffres hexadécimaux), reçu {"a":1}'),
    ("chirpstack", "up", {"time": 1658136855}, "time",
     "« time » : horodatage invalide : l'horodatage doit être une chaîne ISO 8601"),
    ("chirpstack", "up", {"data": "%%"}, "data", "« data » n'est pas du base64 valide"),
    ("chirpstack", "status", {"deviceInfo": ["x"]}, "deviceInfo",
     '« deviceInfo » : objet JSON attendu, reçu ["x"]'),
    ("chirpstack", "ack", {"deviceInfo": "x", "queueItemId": "q-1"}, "deviceInfo",
     '« deviceInfo » : objet JSON attendu, reçu "x"'),
    ("tts", None, {"uplink_message": {"f_cnt": "abc", "frm_payload": "gkHe"}},
     "uplink_message.f_cnt",
     '« uplink_message.f_cnt » : entier de 0 à 4294967295 attendu, reçu "abc"'),
    ("tts", None, {"uplink_message": ["x"]}, "uplink_message",
     '« uplink_message » : objet JSON attendu, reçu ["x"]'),
    ("tts", None, {"end_device_ids": "x"}, "end_device_ids",
     '« end_device_ids » : objet JSON attendu, reçu "x"'),
    ("tts", None, {"end_device_ids": {"dev_eui": 42}, "join_accept": {}},
     "end_device_ids.dev_eui",
     "« end_device_ids.dev_eui » : texte attendu (16 chiffres hexadécimaux), reçu 42"),
])
def test_a_field_of_the_wrong_type_is_refused_naming_it(client, db, registry, site, kind,
                                                        event, change, field, message):
    add_device(db, registry, site, CS_EUI)
    add_device(db, registry, site, TTS_EUI)
    integration = new_integration(client, site, kind)
    body = (sample("chirpstack-v4-up.json") if kind == "chirpstack"
            else sample("tts-v3-uplink.json"))
    body.update(change)
    response = post(client, integration, body, event)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["detail"] == f"Événement refusé : {message}."
    assert response.json()["errors"] == [{"field": field, "message": message}]
    assert observations(db, site["tenant"]) == {}
    assert integration_row(db, integration["id"]).rejected == 1


def test_optional_fields_of_the_wrong_type_are_ignored(client, db, registry, site):
    """A port, a gateway or radio levels of the wrong type do not cost the readings; a frame
    counter written as text (protobuf's JSON mapping allows it) is read."""
    add_device(db, registry, site, CS_EUI, mapping={"value": "generic.value"})
    add_device(db, registry, site, TTS_EUI, mapping={"temperature": "generic.temperature"})
    cs, tts = new_integration(client, site, "chirpstack"), new_integration(client, site, "tts")
    body = {"deduplicationId": "m-1", "time": format_instant(CS_TIME),
            "deviceInfo": {"devEui": CS_EUI}, "fPort": "1", "fCnt": "12",
            "object": {"value": 5.0},
            "rxInfo": [{"gatewayId": {"a": 1}, "rssi": "fort", "snr": [1]},
                       {"gatewayId": "0016c001f153a14c", "rssi": -70, "snr": 2.5}]}
    answer = post(client, cs, body, "up")
    assert answer.status_code == 200, answer.text
    assert observations(db, site["tenant"]) == {
        "generic.value": [(CS_TIME, 5.0)], "radio.frame_counter": [(CS_TIME, 12.0)],
        "radio.rssi": [(CS_TIME, -70.0)], "radio.snr": [(CS_TIME, 2.5)]}
    body = sample("tts-v3-uplink.json")
    del body["uplink_message"]["decoded_payload"]["luminosity"]  # not mapped here
    body["uplink_message"].update(f_port="deux", rx_metadata=[{"gateway_ids": "gtw1",
                                                                "rssi": -35}])
    answer = post(client, tts, body)
    assert answer.status_code == 200, answer.text
    assert (answer.json()["stored"], answer.json()["problems"]) == (3, [])  # no snr
    # Correlation ids of another type on a downlink report: no command named, nothing else.
    report = {"end_device_ids": {"dev_eui": TTS_EUI}, "correlation_ids": 5,
              "downlink_failed": {"correlation_ids": 7, "error": "x",
                                  "downlink": {"correlation_ids": {"a": 1}}}}
    assert post(client, tts, report).json() == {"event": "downlink_failed", "command": None,
                                                "ignored": True}
