"""Commands out: MQTT, ChirpStack and The Things Stack downlinks, acknowledgements, retries.

Neither ChirpStack nor The Things Stack can run on the test machine, so
``FakeNetworkServer`` is a local HTTP server reproducing their documented API
contract: ChirpStack v4 REST ``POST /api/devices/{devEui}/queue`` (grpc-gateway
binding of ``DeviceService.Enqueue`` in chirpstack ``api/proto/api/device.proto``:
body ``{"queueItem": {...}}``, answer ``{"id": "<uuid>"}``, errors
``{"code", "message", "details"}``) and The Things Stack v3 webhook downlink push
(``POST /api/v3/as/applications/{app}/webhooks/{webhook}/devices/{device}/down/push``,
body ``{"downlinks": [...]}``, answer ``{}``). It checks the bearer key and the
request shape as the real servers do and answers like them; tests can force 5xx
answers and timeouts. MQTT goes through a fake publish callable here; the test
against a real Mosquitto is elsewhere.
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import orjson
import pytest
from sqlalchemy import select, update

from beffroi.connectivity import downlinks
from beffroi.connectivity.dispatcher import run_dispatcher, run_once
from beffroi.connectivity.downlinks import AckError, dispatch_due, handle_mqtt_ack
from beffroi.connectivity.lorawan import LorawanEncoding
from beffroi.connectivity.network_servers import handle_event
from beffroi.core import assets, commands, devices, outbound, tenants
from beffroi.core.access import CLI, open_scope
from beffroi.core.clock import now_ms
from beffroi.core.commands import CommandSpec
from beffroi.core.errors import Invalid
from beffroi.core.registry import Domain, load_registry
from beffroi.domains.lighting.commands import encode_dimming, encode_switch
from beffroi.storage import schema

DEV_EUI = "70b3d5e75e001234"
CS_KEY = "cs-api-key"
TTS_KEY = "NNSXS.TESTKEY"
POINT = {"type": "Point", "coordinates": [6.59, 48.02]}

PING = CommandSpec("testing.ping", "Ping", ("generic.site",),
                   encodings=(LorawanEncoding(lambda p: (2, b"\x00")),), confirmed=False,
                   ttl_s=600)


class NbiotEncoding:
    """An encoding for a transport neither core nor connectivity knows."""

    transport = "nbiot"


NBIOT_ONLY = CommandSpec("testing.nbiot_only", "Réservée à NB-IoT", ("generic.site",),
                         encodings=(NbiotEncoding(),))
BAD_PORT = CommandSpec("testing.bad_port", "Port interdit", ("generic.site",),
                       encodings=(LorawanEncoding(lambda p: (0, b"\x01")),))


@pytest.fixture(scope="module")
def registry():
    """Lighting (confirmed commands) plus a test-only domain with an unconfirmed one."""
    reg = load_registry(["generic", "lighting"])
    reg.register(Domain(key="testing", label="Essais", commands=(PING, NBIOT_ONLY, BAD_PORT)))
    return reg


class FakeNetworkServer:
    """ChirpStack v4 REST and The Things Stack v3 downlink APIs, as documented."""

    CHIRPSTACK = re.compile(r"^/api/devices/([0-9a-fA-F]{16})/queue$")
    TTS = re.compile(r"^/api/v3/as/applications/([a-z0-9-]+)/webhooks/([a-z0-9-]+)/devices/"
                     r"([a-z0-9-]+)/down/push$")

    def __init__(self, known_devices=(DEV_EUI, f"eui-{DEV_EUI}", "armoire-12")) -> None:
        self.requests: list[dict] = []
        self.answers: list = []  # what was answered to each request, in order
        self.forced: list = []  # answers to give first: (status, body) or "timeout"
        self.known = set(known_devices)
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server naming)
                raw = self.rfile.read(int(self.headers.get("content-length") or 0))
                fake.requests.append({"method": "POST", "path": self.path,
                                      "headers": {k.lower(): v for k, v in self.headers.items()},
                                      "body": orjson.loads(raw) if raw else None})
                answer = fake.forced.pop(0) if fake.forced else fake.answer(self.path,
                                                                            self.headers, raw)
                fake.answers.append(answer)
                if answer == "timeout":
                    time.sleep(1.0)
                    return
                status, body = answer
                payload = orjson.dumps(body)
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except OSError:
                    pass

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def answer(self, path, headers, raw):
        """The real servers' answers: grpc-gateway status JSON on errors."""
        cs, tts = self.CHIRPSTACK.match(path), self.TTS.match(path)
        if not cs and not tts:
            return 404, {"code": 5, "message": "Not Found", "details": []}
        key = CS_KEY if cs else TTS_KEY
        if headers.get("Authorization") != f"Bearer {key}":
            return 401, {"code": 16, "message": "authentication failed", "details": []}
        try:
            body = orjson.loads(raw)
            if cs:
                item = body["queueItem"]
                assert isinstance(item["fPort"], int) and item["fPort"] > 0
                base64.b64decode(item["data"], validate=True)
            else:
                for d in body["downlinks"]:
                    assert isinstance(d["f_port"], int) and d["f_port"] > 0
                    base64.b64decode(d["frm_payload"], validate=True)
        except Exception:
            return 400, {"code": 3, "message": "invalid request body", "details": []}
        device = (cs.group(1).lower() if cs else tts.group(3))
        if device not in self.known:
            return 404, {"code": 5, "message": "Object does not exist", "details": []}
        return (200, {"id": str(uuid.uuid4())}) if cs else (200, {})

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def ns(monkeypatch):
    monkeypatch.setenv("BEFFROI_ALLOW_PRIVATE_NETWORKS", "127.0.0.0/8")  # it runs on loopback
    server = FakeNetworkServer()
    yield server
    server.close()


@pytest.fixture
def http():
    with outbound.Client(timeout=0.3) as client:
        yield client


def make_world(db, registry, *, kind=None, config=None, dev_eui=DEV_EUI, properties=None,
          asset_kind="lighting.cabinet"):
    with db.write() as conn:
        t = tenants.create_tenant(db, conn, CLI, name=f"T{uuid.uuid4().hex[:6]}", registry=registry)
        scope = open_scope(db, conn, CLI, t["id"])
        tenants.create_commune(scope, conn, {"insee": "88383", "name": "Commune"})
        asset = assets.create_asset(scope, conn, registry, {
            "ref": "A-1", "kind": asset_kind, "name": "Armoire 12", "commune": "88383",
            "geometry": POINT})
        device = devices.create_device(scope, conn, {"name": "Contrôleur", "dev_eui": dev_eui,
                                                     "asset_id": asset.id,
                                                     "properties": properties or {}})
        if kind:
            conn.execute(schema.integrations.insert().values(
                tenant_id=t["id"], id=db.allocate_ids(conn, "integrations"), kind=kind,
                name=f"{kind} de test", secret_hash=hashlib.sha256(os.urandom(16)).hexdigest(),
                config=orjson.dumps(config or {}).decode(), created_at=now_ms()))
    return {"tenant": t["id"], "asset": asset.id, "device": device.id}


def order(db, registry, w, action="lighting.set_dimming", params=None, **extra):
    doc = {"asset_id": w["asset"], "action": action,
           "params": {"level": 40} if params is None else params} | extra
    with db.write() as conn:
        return commands.create_command(open_scope(db, conn, CLI, w["tenant"]), conn, registry, doc)


def load(db, w, command_id):
    c = schema.commands
    with db.read() as conn:
        return conn.execute(select(c).where(c.c.tenant_id == w["tenant"],
                                            c.c.id == command_id)).first()


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def report(db, registry, tenant_id, body, now=None, **query):
    """An event posted by the tenant's network server, through the path of its endpoint
    (its provider reads it, the state machine applies it): the command it moved, if any."""
    i = schema.integrations
    with db.read() as conn:
        integration = conn.execute(select(i).where(i.c.tenant_id == tenant_id)).first()
    result = handle_event(db, registry, integration, integration.kind, query,
                          orjson.dumps(body), now)
    return result.get("command")


def cs_event(queue_id, **fields):
    return {"deduplicationId": str(uuid.uuid4()), "time": "2026-11-23T20:30:00+00:00",
            "deviceInfo": {"tenantId": str(uuid.uuid4()), "applicationId": str(uuid.uuid4()),
                           "deviceName": "Contrôleur", "devEui": DEV_EUI},
            "queueItemId": queue_id, **fields}


def tts_message(kind, command_id, confirmed=True, dev_eui=DEV_EUI, **fields):
    downlink = {"f_port": 10, "f_cnt": 3, "frm_payload": b64(b"\x01\x28"), "priority": "NORMAL",
                "correlation_ids": [f"beffroi:command:{command_id}", "as:downlink:01JDX"]}
    if confirmed:
        downlink["confirmed"] = True  # TTS omits false fields
    message = {"downlink": downlink, **fields} if kind == "downlink_failed" else downlink
    return {"end_device_ids": {"device_id": f"eui-{dev_eui}",
                               "application_ids": {"application_id": "eclairage"},
                               "dev_eui": dev_eui.upper()},
            "correlation_ids": ["as:downlink:01JDX", f"beffroi:command:{command_id}"],
            "received_at": "2026-11-23T20:30:00.123Z", kind: message}


def chirpstack(db, registry, ns, **kwargs):
    return make_world(db, registry, kind="chirpstack",
                 config={"api_url": ns.url + "/", "api_key": CS_KEY}, **kwargs)


def tts(db, registry, ns, **kwargs):
    return make_world(db, registry, kind="tts", config={
        "api_url": ns.url, "api_key": TTS_KEY, "application_id": "eclairage",
        "webhook_id": "beffroi"}, **kwargs)


# -- ChirpStack ---------------------------------------------------------------------------------
def test_chirpstack_enqueue_matches_the_api_contract_and_ack_completes(db, registry, ns, http):
    w = chirpstack(db, registry, ns)
    row = order(db, registry, w)
    [outcome] = dispatch_due(db, registry, now_ms(), http=http)
    [request] = ns.requests
    assert request["path"] == f"/api/devices/{DEV_EUI}/queue"
    assert request["headers"]["authorization"] == f"Bearer {CS_KEY}"
    assert request["headers"]["content-type"] == "application/json"
    assert request["body"] == {"queueItem": {"devEui": DEV_EUI, "confirmed": True, "fPort": 10,
                                             "data": b64(bytes([0x01, 40]))}}
    assert outcome["status"] == "sent" and outcome["channel"] == "chirpstack"
    queue_id = outcome["correlation"]
    assert uuid.UUID(queue_id) and load(db, w, row.id).sent_at is not None
    # txack: the gateway accepted the transmission; a confirmed downlink waits for the device.
    txack = cs_event(queue_id, downlinkId=123, fCntDown=7, gatewayId="0016c001f153a14c")
    assert report(db, registry, w["tenant"], txack, event="txack")["status"] == "sent"
    done = report(db, registry, w["tenant"], cs_event(queue_id, acknowledged=True, fCntDown=7),
                  event="ack")
    assert done["status"] == "acknowledged" and done["acknowledged_at"] is not None
    again = report(db, registry, w["tenant"], cs_event(queue_id, acknowledged=True, fCntDown=7),
                   event="ack")
    assert again == done  # a re-delivered event changes nothing
    assert report(db, registry, w["tenant"], cs_event(str(uuid.uuid4()), acknowledged=True),
                  event="ack") is None


def test_chirpstack_nack_is_enqueued_again(db, registry, ns, http):
    w = chirpstack(db, registry, ns)
    row = order(db, registry, w, action="lighting.switch", params={"state": "off"})
    now = now_ms()
    first = dispatch_due(db, registry, now, http=http)[0]["correlation"]
    after = report(db, registry, w["tenant"], cs_event(first, acknowledged=False, fCntDown=7),
                   now, event="ack")
    assert after["status"] == "requested" and "n'a pas acquitté" in after["error"]
    assert dispatch_due(db, registry, now + 29_999, http=http) == []
    second = dispatch_due(db, registry, now + 30_000, http=http)[0]
    assert second["status"] == "sent" and second["correlation"] != first
    assert second["attempts"] == 2
    assert [r["body"] for r in ns.requests] == [{"queueItem": {
        "devEui": DEV_EUI, "confirmed": True, "fPort": 10, "data": b64(b"\x02\x00")}}] * 2
    assert report(db, registry, w["tenant"], cs_event(second["correlation"], acknowledged=True),
                  event="ack")["status"] == "acknowledged"
    assert load(db, w, row.id).status == "acknowledged"


def test_chirpstack_event_for_another_device_is_refused(db, registry, ns, http):
    w = chirpstack(db, registry, ns)
    order(db, registry, w)
    queue_id = dispatch_due(db, registry, now_ms(), http=http)[0]["correlation"]
    event = cs_event(queue_id, acknowledged=True)
    event["deviceInfo"]["devEui"] = "0101010101010101"
    with pytest.raises(Invalid, match="DevEUI 0101010101010101, mais la commande"):
        report(db, registry, w["tenant"], event, event="ack")


# -- The Things Stack ------------------------------------------------------------------------------
@pytest.mark.parametrize("properties, tts_device", [
    ({}, f"eui-{DEV_EUI}"),
    ({"tts_device_id": "armoire-12"}, "armoire-12"),
])
def test_tts_push_matches_the_api_contract_and_events_complete(db, registry, ns, http,
                                                               properties, tts_device):
    w = tts(db, registry, ns, properties=properties)
    row = order(db, registry, w)
    [outcome] = dispatch_due(db, registry, now_ms(), http=http)
    [request] = ns.requests
    assert request["path"] == (f"/api/v3/as/applications/eclairage/webhooks/beffroi/devices/"
                               f"{tts_device}/down/push")
    assert request["headers"]["authorization"] == f"Bearer {TTS_KEY}"
    assert request["body"] == {"downlinks": [{
        "f_port": 10, "frm_payload": b64(b"\x01\x28"), "priority": "NORMAL", "confirmed": True,
        "correlation_ids": [f"beffroi:command:{row.id}"]}]}
    assert (outcome["status"], outcome["channel"]) == ("sent", "tts")
    assert outcome["correlation"] == f"beffroi:command:{row.id}"
    tenant = w["tenant"]
    assert report(db, registry, tenant, tts_message("downlink_queued", row.id))["status"] == "sent"
    assert report(db, registry, tenant, tts_message("downlink_sent", row.id))["status"] == "sent"
    nacked = report(db, registry, tenant, tts_message("downlink_nack", row.id))
    assert nacked["status"] == "sent" and "la renvoie" in nacked["error"]  # TTS re-queues it
    done = report(db, registry, tenant, tts_message("downlink_ack", row.id))
    assert done["status"] == "acknowledged" and done["error"] is None
    stranger = tts_message("downlink_ack", row.id)
    stranger["correlation_ids"] = stranger["downlink_ack"]["correlation_ids"] = ["as:x"]
    assert report(db, registry, tenant, stranger) is None


def test_tts_downlink_failed_fails_the_command(db, registry, ns, http):
    w = tts(db, registry, ns)
    row = order(db, registry, w)
    dispatch_due(db, registry, now_ms(), http=http)
    failed = report(db, registry, w["tenant"], tts_message(
        "downlink_failed", row.id, error={"namespace": "pkg/networkserver",
                                          "name": "payload_too_long",
                                          "message_format": "application payload too long",
                                          "code": 3}))
    assert failed["status"] == "failed"
    assert failed["error"] == ("The Things Stack n'a pas pu transmettre la commande : "
                               "application payload too long")


# -- unconfirmed downlinks -----------------------------------------------------------------------------
def test_unconfirmed_downlinks_are_acknowledged_once_the_network_server_sent_them(db, registry,
                                                                                   ns, http):
    cs = chirpstack(db, registry, ns, asset_kind="generic.site")
    row = order(db, registry, cs, action="testing.ping", params={})
    queue_id = dispatch_due(db, registry, now_ms(), http=http)[0]["correlation"]
    assert ns.requests[0]["body"]["queueItem"]["confirmed"] is False
    assert load(db, cs, row.id).status == "sent"
    done = report(db, registry, cs["tenant"], cs_event(queue_id, fCntDown=1), event="txack")
    assert done["status"] == "acknowledged"

    t = tts(db, registry, ns, asset_kind="generic.site", dev_eui="70b3d5e75e005678",
            properties={"tts_device_id": "armoire-12"})
    row = order(db, registry, t, action="testing.ping", params={})
    dispatch_due(db, registry, now_ms(), http=http)
    assert ns.requests[1]["body"]["downlinks"][0]["confirmed"] is False
    sent = report(db, registry, t["tenant"], tts_message("downlink_sent", row.id, confirmed=False,
                                                          dev_eui="70b3d5e75e005678"))
    assert sent["status"] == "acknowledged"

    m = make_world(db, registry, dev_eui=None, asset_kind="generic.site")
    row = order(db, registry, m, action="testing.ping", params={})
    dispatch_due(db, registry, now_ms(), mqtt_publish=lambda topic, payload: None)
    assert load(db, m, row.id).status == "acknowledged"  # the broker took it (QoS 1)


def test_a_command_s_lorawan_payload_is_declared_with_it_and_read_by_connectivity(
        db, registry, ns, http):
    """Core keeps an action's encodings without knowing any transport; the dispatcher
    reads the LoRaWAN one and refuses, precisely, an action without one or a bad one."""
    assert commands.spec_public(PING, registry)["encodings"] == ["lorawan"]
    assert commands.spec_public(NBIOT_ONLY, registry)["encodings"] == ["nbiot"]
    w = chirpstack(db, registry, ns, asset_kind="generic.site")
    no_bytes = order(db, registry, w, action="testing.nbiot_only", params={})
    bad = order(db, registry, w, action="testing.bad_port", params={})
    outcomes = {o["id"]: o for o in dispatch_due(db, registry, now_ms(), http=http)}
    assert (outcomes[no_bytes.id]["status"], outcomes[no_bytes.id]["error"]) == (
        "failed", "L'action « Réservée à NB-IoT » n'a pas d'encodage LoRaWAN : elle ne peut "
                  "pas être transmise à un équipement LoRaWAN.")
    assert (outcomes[bad.id]["status"], outcomes[bad.id]["error"]) == (
        "failed", "Encodage LoRaWAN invalide (FPort 1 à 223 et octets attendus).")
    assert ns.requests == []
    # Over MQTT the parameters go out as JSON: no encoding is needed.
    m = make_world(db, registry, dev_eui=None, asset_kind="generic.site")
    row = order(db, registry, m, action="testing.nbiot_only", params={})
    published = []
    dispatch_due(db, registry, now_ms(), mqtt_publish=lambda t, p: published.append(t))
    assert len(published) == 1 and load(db, m, row.id).status == "sent"


# -- failures and retries --------------------------------------------------------------------------------
@pytest.mark.parametrize("problem, fragment", [
    ((503, {"code": 14, "message": "upstream connect error", "details": []}),
     "ChirpStack indisponible (HTTP 503)."),
    ((429, {"code": 8, "message": "rate limited", "details": []}),
     "ChirpStack indisponible (HTTP 429)."),
    # A time-out and a closed port read alike: the log must not tell which ports are open.
    ("timeout", "ChirpStack : connexion impossible."),
    ("refused", "ChirpStack : connexion impossible."),
])
def test_transient_failures_are_retried_with_backoff_then_fail(db, registry, ns, http, problem,
                                                               fragment):
    w = chirpstack(db, registry, ns)
    if problem == "refused":
        with db.write() as conn:  # a port nobody listens on
            conn.execute(update(schema.integrations).values(config=orjson.dumps(
                {"api_url": "http://127.0.0.1:9", "api_key": CS_KEY}).decode()))
    else:
        ns.forced = [problem] * 3
    row = order(db, registry, w)
    now = now_ms()
    first = dispatch_due(db, registry, now, http=http)[0]
    assert (first["status"], first["attempts"], first["error"]) == ("requested", 1, fragment)
    second = dispatch_due(db, registry, now + 30_000, http=http)[0]
    assert (second["status"], second["attempts"]) == ("requested", 2)
    assert dispatch_due(db, registry, now + 30_000 + 59_999, http=http) == []
    last = dispatch_due(db, registry, now + 90_000, http=http)[0]
    assert last["status"] == "failed" and last["error"] == f"Échec après 3 tentatives : {fragment}"
    assert len(ns.requests) == (0 if problem == "refused" else 3)
    assert load(db, w, row.id).finished_at == now + 90_000


def test_a_transient_failure_then_success(db, registry, ns, http):
    w = chirpstack(db, registry, ns)
    order(db, registry, w)
    ns.forced = [(500, {"code": 13, "message": "internal", "details": []})]
    now = now_ms()
    assert dispatch_due(db, registry, now, http=http)[0]["status"] == "requested"
    done = dispatch_due(db, registry, now + 30_000, http=http)[0]
    assert (done["status"], done["attempts"], done["error"]) == ("sent", 2, None)


@pytest.mark.parametrize("config, known, fragment", [
    ({"api_key": "wrong"}, None,
     "ChirpStack : clé d'API refusée (HTTP 401)."),
    ({}, (), "ChirpStack : équipement ou application inconnu du serveur réseau (HTTP 404)."),
])
def test_refusals_fail_at_once(db, registry, ns, http, config, known, fragment):
    if known is not None:
        ns.known = set(known)
    w = make_world(db, registry, kind="chirpstack",
              config={"api_url": ns.url, "api_key": CS_KEY} | config)
    order(db, registry, w)
    [outcome] = dispatch_due(db, registry, now_ms(), http=http)
    assert (outcome["status"], outcome["error"], outcome["attempts"]) == ("failed", fragment, 1)
    assert len(ns.requests) == 1


def test_a_network_server_address_no_longer_allowed_is_refused_at_send_time(
        db, registry, ns, http, monkeypatch):
    w = chirpstack(db, registry, ns)  # on loopback, allowed by the operator when saved
    order(db, registry, w)
    monkeypatch.setenv("BEFFROI_ALLOW_PRIVATE_NETWORKS", "")  # then no longer
    [outcome] = dispatch_due(db, registry, now_ms(), http=http)
    assert (outcome["status"], outcome["attempts"], outcome["error"]) == (
        "failed", 1, "ChirpStack : destination refusée (adresse locale, privée ou réservée).")
    assert ns.requests == []


def test_a_network_server_redirect_is_not_followed(db, registry, ns, http):
    w = chirpstack(db, registry, ns)
    order(db, registry, w)
    ns.forced = [(307, {"message": "ailleurs"})]
    [outcome] = dispatch_due(db, registry, now_ms(), http=http)
    assert (outcome["status"], outcome["error"]) == (
        "failed", "ChirpStack : redirection non suivie (HTTP 307).")
    assert len(ns.requests) == 1


def test_integration_without_downlink_configuration_fails_the_command(db, registry, http):
    w = make_world(db, registry, kind="tts", config={"api_url": "http://127.0.0.1:9"})
    order(db, registry, w)
    [outcome] = dispatch_due(db, registry, now_ms(), http=http,
                             mqtt_publish=lambda t, p: pytest.fail("not an MQTT device"))
    assert outcome["status"] == "failed"
    assert "n'est pas configurée pour les commandes" in outcome["error"]


# -- MQTT --------------------------------------------------------------------------------------------------
def test_mqtt_dispatch_and_device_acknowledgements(db, registry, ns, http):
    # A device without DevEUI goes through MQTT even when the tenant has a network server.
    w = make_world(db, registry, kind="chirpstack", config={"api_url": ns.url, "api_key": CS_KEY},
              dev_eui=None)
    published = []
    first = order(db, registry, w)
    second = order(db, registry, w, action="lighting.switch", params={"state": "on"})
    outcomes = dispatch_due(db, registry, now_ms(), mqtt_publish=lambda t, p: published.append((t, p)),
                            http=http)
    assert [o["status"] for o in outcomes] == ["sent", "sent"] and ns.requests == []
    topic = f"beffroi/{w['tenant']}/devices/{w['device']}/down"
    assert [t for t, _ in published] == [topic, topic]
    assert orjson.loads(published[0][1]) == {
        "command_id": first.id, "action": "lighting.set_dimming", "params": {"level": 40},
        "expires_at": commands.command_public(first)["expires_at"]}
    tenant, device = w["tenant"], w["device"]
    ok = handle_mqtt_ack(db, tenant, device, orjson.dumps({"command_id": first.id, "status": "ok"}))
    assert ok["status"] == "acknowledged" and ok["channel"] == "mqtt"
    refused = handle_mqtt_ack(db, tenant, device, orjson.dumps(
        {"command_id": second.id, "status": "error", "error": "relais bloqué"}))
    assert refused["status"] == "failed"
    assert refused["error"] == "L'équipement a refusé la commande : relais bloqué"
    for payload, fragment in ((b"{oops", "JSON attendu"),
                              (orjson.dumps({"command_id": "1", "status": "ok"}), "entier"),
                              (orjson.dumps({"command_id": first.id, "status": "done"}),
                               "« ok » ou « error »"),
                              (orjson.dumps({"command_id": 999999, "status": "ok"}), "inconnue"),
                              (b'{"command_id": %d, "status": "ok", "status": "error"}'
                               % first.id, "^Acquittement ambigu : clé « status » en double\\.$")):
        with pytest.raises(AckError, match=fragment):
            handle_mqtt_ack(db, tenant, device, payload)
    with pytest.raises(AckError, match="inconnue pour ce capteur"):  # another device's command
        handle_mqtt_ack(db, tenant, device + 1000, orjson.dumps({"command_id": first.id,
                                                                 "status": "ok"}))


@pytest.mark.parametrize("ack_comes", ["during the publication",
                                       "before the hand-over is recorded",
                                       "while the hand-over is being recorded"])
def test_an_acknowledgement_racing_the_hand_over_is_never_lost(db, registry, monkeypatch,
                                                               ack_comes):
    """A fast device answers while the dispatcher, in its own transaction, records that the
    command went out. Whatever the interleaving, the command ends acknowledged, sent over
    MQTT. (SQLite's single writer serialises the last two anyway; on PostgreSQL the answer
    used to be lost — the command stayed "sent" — or to abort the dispatcher's pass; and an
    answer that came first left the channel unrecorded.)"""
    w = make_world(db, registry, dev_eui=None)
    command_id = order(db, registry, w, action="lighting.switch", params={"state": "on"}).id
    answer = orjson.dumps({"command_id": command_id, "status": "ok"})
    device = threading.Thread(target=handle_mqtt_ack, args=(db, w["tenant"], w["device"], answer))
    real_mark_sent = downlinks.mark_sent
    published = []

    def publish(topic, payload):
        published.append(topic)
        if ack_comes.startswith("during"):
            device.start()
            device.join(10)  # answered and stored before the dispatcher records anything

    def mark_sent(*args, **kwargs):
        """The dispatcher's own step, with the device's answer arriving in another thread
        just before it, or once the row is changed but not yet committed."""
        if ack_comes.startswith("while"):
            result = real_mark_sent(*args, **kwargs)
        device.start()
        device.join(0.5)  # done at once, or waiting for the dispatcher's transaction
        if ack_comes.startswith("before"):
            result = real_mark_sent(*args, **kwargs)
        return result

    if not ack_comes.startswith("during"):
        monkeypatch.setattr(downlinks, "mark_sent", mark_sent)
    [outcome] = dispatch_due(db, registry, now_ms(), mqtt_publish=publish)
    device.join(10)
    assert not device.is_alive() and len(published) == 1
    row = load(db, w, command_id)
    assert (row.status, row.channel) == ("acknowledged", "mqtt")
    assert row.sent_at is not None and row.sent_at <= row.acknowledged_at
    assert outcome["id"] == command_id


def test_mqtt_unavailable_is_retried(db, registry):
    w = make_world(db, registry, dev_eui=None)
    order(db, registry, w)
    now = now_ms()
    assert dispatch_due(db, registry, now)[0]["error"] == (
        "Messagerie MQTT indisponible : la commande sera renvoyée.")

    def broken(topic, payload):
        raise OSError("broker gone")

    again = dispatch_due(db, registry, now + 30_000, mqtt_publish=broken)[0]
    assert (again["status"], again["error"]) == ("requested",
                                                 "Publication MQTT impossible : broker gone")


# -- schedules and the loop ------------------------------------------------------------------------------------
def test_recurring_command_is_sent_at_its_time_and_rescheduled(db, registry):
    w = make_world(db, registry, dev_eui=None)
    row = order(db, registry, w, recurrence="daily 21:30")
    published = []
    run_once(db, registry, lambda t, p: published.append(t), now=row.not_before - 1)
    assert published == []
    run_once(db, registry, lambda t, p: published.append(t), now=row.not_before)
    assert len(published) == 1 and load(db, w, row.id).status == "sent"
    c = schema.commands
    with db.read() as conn:
        nxt = conn.execute(select(c).where(c.c.status == "scheduled")).first()
    assert nxt.not_before > row.not_before and nxt.recurrence == "daily 21:30"


def test_dispatcher_loop_sends_and_expires_until_stopped(db, registry):
    w = make_world(db, registry, dev_eui=None)
    stale = order(db, registry, w)
    c = schema.commands
    with db.write() as conn:  # already past its validity
        conn.execute(update(c).where(c.c.id == stale.id).values(expires_at=now_ms() - 1))
    fresh = order(db, registry, w)
    published = []
    stop = threading.Event()
    thread = threading.Thread(target=run_dispatcher, args=(db, registry, stop),
                              kwargs={"mqtt_publish": lambda t, p: published.append(p),
                                      "interval_s": 0.05})
    thread.start()
    try:
        deadline = time.monotonic() + 10
        while not published and time.monotonic() < deadline:
            time.sleep(0.02)
    finally:
        stop.set()
        thread.join(5)
    assert not thread.is_alive()
    assert [orjson.loads(p)["command_id"] for p in published] == [fresh.id]
    assert load(db, w, stale.id).status == "expired"
    assert load(db, w, fresh.id).status == "sent"


def test_lighting_payloads_are_beffroi_s_own_encoding():
    assert encode_dimming({"level": 40}) == (10, b"\x01\x28")
    assert encode_dimming({"level": 0}) == (10, b"\x01\x00")
    assert encode_switch({"state": "on"}) == (10, b"\x02\x01")
    assert encode_switch({"state": "off"}) == (10, b"\x02\x00")
    assert downlinks.MQTT_DOWN_TOPIC.format(tenant_id=1, device_id=2) == "beffroi/1/devices/2/down"
