"""Actility ThingPark: reports in, downlinks out, against the documented tunnel interface.

ThingPark cannot run here, so ``FakeThingPark`` is a local HTTP server reproducing its
documented contract (``fixtures/thingpark/SOURCES.md``): the LRC's downlink API
(``POST /thingpark/lrc/rest/downlink?DevEUI=…&FPort=…&Payload=…&AS_ID=…&Time=…&Token=…``,
the token checked like the LRC does — SHA-256 of the decoded query string followed by the
AS key —, the AS_ID, the time deviation, the device, the parameters; answer ``Request
queued by LRC``), and the reports the LRC posts to the application server, signed the
documented way. Beffroi's side is the real one: its HTTP endpoint, its decoders, its
command dispatcher and state machine, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import quote, unquote, urlencode, urlsplit

import orjson
import pytest
from sqlalchemy import select

from beffroi.connectivity.downlinks import dispatch_due
from beffroi.connectivity.lorawan import LorawanEncoding
from beffroi.connectivity.payloads import PayloadError
from beffroi.connectivity.providers import thingpark
from beffroi.connectivity.providers.base import Inbound
from beffroi.core import assets, commands, devices, outbound, tenants
from beffroi.core.access import CLI, open_scope
from beffroi.core.clock import now_ms, parse_instant
from beffroi.core.commands import CommandSpec
from beffroi.core.registry import Domain, load_registry
from beffroi.storage import schema

from .test_network_servers import observations

FIXTURES = Path(__file__).parent / "fixtures" / "thingpark"
AS_ID = "TWA_100000507.4711.AS"
AS_KEY = "46ab678cd45df4a4e4b375Eacd096acc"  # as ThingPark gives it (KPN's example)
CUSTOMER = "100000507"
SENSOR = "70b3d5e75e00aa01"  # an ELSYS sensor on a school
CONTROLLER = "70b3d5e75e00bb02"  # a lighting cabinet's controller
UPLINK_TIME = "2015-07-09T16:06:38.49+02:00"  # "Time" of Actility's sample uplink
QUEUED = "<html><body>Request queued by LRC</body></html>"
PING = CommandSpec("essais.ping", "Ping", ("generic.site",),
                   encodings=(LorawanEncoding(lambda p: (3, b"\x0f")),), confirmed=False)


def sample(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text())


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, tz=UTC).isoformat(timespec="milliseconds")


class FakeThingPark:
    """ThingPark's LRC, as documented: its downlink API and the reports it signs."""

    PATH = "/thingpark/lrc/rest/downlink"
    ORDER = ("DevEUI", "FPort", "Payload", "Confirmed", "FlushDownlinkQueue", "ValidityTime",
             "AS_ID", "Time", "CorrelationID")

    def __init__(self, devices: tuple[str, ...], max_deviation_ms: int = 60_000) -> None:
        self.devices = {d.upper() for d in devices}
        self.max_deviation_ms = max_deviation_ms
        self.queued: list[dict[str, str]] = []  # accepted downlinks, decoded parameters
        self.refused: list[tuple[int, str]] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server naming)
                self.rfile.read(int(self.headers.get("content-length") or 0))
                split = urlsplit(self.path)
                if split.path != fake.PATH:
                    status, text = 404, "<html><body>Not found</body></html>"
                else:
                    status, text = fake.downlink(split.query)
                body = text.encode()
                self.send_response(status)
                self.send_header("Content-Type", "text/html")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def _refuse(self, status: int, why: str) -> tuple[int, str]:
        self.refused.append((status, why))
        return status, f"<html><body>{why}</body></html>"

    def downlink(self, query: str) -> tuple[int, str]:
        """The LRC's checks of a downlink request, in the documented terms."""
        pairs = [(unquote(k), unquote(v)) for k, _, v in
                 (part.partition("=") for part in query.split("&") if part)]
        if not pairs or pairs[-1][0] != "Token":
            return self._refuse(403, "Token missing")
        signed = "&".join(f"{k}={v}" for k, v in pairs[:-1])
        if sha256(signed + AS_KEY) != pairs[-1][1]:
            return self._refuse(403, "Invalid Token")
        params = dict(pairs[:-1])
        names = [k for k, _ in pairs[:-1]]
        if any(k not in self.ORDER for k in names) or \
                names != sorted(names, key=self.ORDER.index):
            return self._refuse(400, "Unexpected parameter order")
        if params.get("AS_ID") != AS_ID:
            return self._refuse(403, "Unknown AS_ID")
        if abs(parse_instant(params["Time"]) - now_ms()) > self.max_deviation_ms:
            return self._refuse(400, "Time deviation too large")
        if params.get("DevEUI", "").upper() not in self.devices:
            return self._refuse(404, "Unknown DevEUI")
        if not re.fullmatch(r"\d{1,3}", params.get("FPort", "")) \
                or not 1 <= int(params["FPort"]) <= 224:
            return self._refuse(400, "Invalid FPort")
        if not re.fullmatch(r"(?:[0-9a-fA-F]{2})*", params.get("Payload", "-")):
            return self._refuse(400, "Invalid Payload")
        if params.get("Confirmed", "0") not in ("0", "1") \
                or not re.fullmatch(r"[0-9A-F]{16}", params.get("CorrelationID", "")):
            return self._refuse(400, "Invalid parameter")
        parse_instant(params["ValidityTime"])
        self.queued.append(params)
        return 200, QUEUED

    def report(self, kind: str, doc: dict, elements: tuple[str, ...]) -> tuple[str, bytes]:
        """(query string, body) of a report as the LRC posts it, signed with the AS key."""
        query = [("LrnDevEui", doc["DevEUI"]), ("LrnFPort", str(doc.get("FPort", ""))),
                 ("LrnInfos", f"{AS_ID}-1-{len(self.queued)}"), ("AS_ID", AS_ID),
                 ("Time", datetime.now(UTC).isoformat(timespec="milliseconds"))]
        token = sha256("".join(str(doc[e]) for e in elements)
                       + "&".join(f"{k}={v}" for k, v in query) + AS_KEY)
        return (urlencode([*query, ("Token", token)], quote_via=quote, safe=""),
                orjson.dumps({kind: doc}))

    def uplink(self, eui: str, payload_hex: str, *, ack: bool = False, **fields) -> tuple:
        doc = {**sample("uplink-frame.json")["DevEUI_uplink"], "DevEUI": eui.upper(),
               "payload_hex": payload_hex, "FPort": "5", "CustomerID": CUSTOMER, **fields}
        doc.pop("ACKbit")
        if ack:
            doc["ACKbit"] = "1"
        return self.report("DevEUI_uplink", doc,
                           ("CustomerID", "DevEUI", "FPort", "FCntUp", "payload_hex"))

    def sent(self, request: dict[str, str], status: int, causes=("00", "00", "00")) -> tuple:
        """The downlink frame sent report of a request the LRC queued."""
        doc = {**sample("downlink-sent.json")["DevEUI_downlink_Sent"],
               "DevEUI": request["DevEUI"], "FPort": int(request["FPort"]),
               "FCntDn": 48 + len(self.queued), "CustomerID": CUSTOMER,
               "DeliveryStatus": status, "DeliveryFailedCause1": causes[0],
               "DeliveryFailedCause2": causes[1], "DeliveryFailedCause3": causes[2],
               "CorrelationID": request["CorrelationID"]}
        return self.report("DevEUI_downlink_Sent", doc,
                           ("CustomerID", "DevEUI", "FPort", "FCntDn"))


@pytest.fixture
def registry():
    reg = load_registry(["generic", "lighting", "buildings"])  # buildings: air.* metrics
    reg.register(Domain(key="essais", label="Essais", commands=(PING,)))
    return reg


@pytest.fixture
def lrc(monkeypatch):
    monkeypatch.setenv("BEFFROI_ALLOW_PRIVATE_NETWORKS", "127.0.0.0/8")  # it runs on loopback
    server = FakeThingPark(devices=(SENSOR, CONTROLLER))
    yield server
    server.close()


@pytest.fixture
def http():
    with outbound.Client(timeout=2) as client:
        yield client


@pytest.fixture
def world(db, registry, client, op_headers) -> dict:
    with db.write() as conn:
        t = tenants.create_tenant(db, conn, CLI, name="CC des Ballons", registry=registry)
        scope = open_scope(db, conn, CLI, t["id"])
        tenants.create_commune(scope, conn, {"insee": "88383", "name": "Remiremont"})
        point = {"type": "Point", "coordinates": [6.59, 48.02]}
        school = assets.create_asset(scope, conn, registry, {
            "ref": "ECOLE-1", "kind": "generic.site", "name": "École", "commune": "88383",
            "geometry": point})
        cabinet = assets.create_asset(scope, conn, registry, {
            "ref": "ARM-1", "kind": "lighting.cabinet", "name": "Armoire 1",
            "commune": "88383", "geometry": point})
        sensor = devices.create_device(scope, conn, {
            "name": "Capteur ELSYS", "dev_eui": SENSOR, "model": "elsys",
            "asset_id": school.id}, registry)
        controller = devices.create_device(scope, conn, {
            "name": "Contrôleur", "dev_eui": CONTROLLER, "asset_id": cabinet.id}, registry)
    return {"tenant": t["id"], "school": school.id, "cabinet": cabinet.id,
            "sensor": sensor.id, "controller": controller.id, "headers": op_headers}


def new_integration(client, world, **config) -> dict:
    response = client.post(f"/api/v1/tenants/{world['tenant']}/integrations",
                           headers=world["headers"], json={"kind": "thingpark", "config": config})
    assert response.status_code == 201, response.text
    return response.json()


def post(client, integration, report: tuple[str, bytes], secret=None):
    query, body = report
    return client.post(f"/api/v1/integrations/{integration['id']}/thingpark?{query}",
                       content=body, headers={
                           "Authorization": f"Bearer {secret or integration['secret']}",
                           "Content-Type": "application/json"})


def order(db, registry, world, asset, action, params) -> int:
    with db.write() as conn:
        return commands.create_command(open_scope(db, conn, CLI, world["tenant"]), conn,
                                       registry, {"asset_id": world[asset], "action": action,
                                                  "params": params}).id


def command(db, world, command_id):
    c = schema.commands
    with db.read() as conn:
        return conn.execute(select(c).where(c.c.tenant_id == world["tenant"],
                                            c.c.id == command_id)).first()


# -- the acceptance: an uplink and a downlink round trip -------------------------------------
def test_thingpark_uplink_and_downlink_round_trip(db, registry, client, world, lrc, http):
    integration = new_integration(client, world, api_url=lrc.url, as_id=AS_ID, as_key=AS_KEY)
    assert integration["config"] == {"api_url": lrc.url, "as_id": AS_ID}  # the key is secret
    assert integration["as_key_set"] is True and integration["downlinks_ready"] is True
    assert integration["endpoint"] == f"/api/v1/integrations/{integration['id']}/thingpark"
    assert AS_KEY not in client.get(f"/api/v1/tenants/{world['tenant']}/integrations",
                                    headers=world["headers"]).text

    # An uplink frame report: its bytes decoded by Beffroi's ELSYS decoder (elements 0x01
    # temperature 0x00E2 = 22.6 °C, 0x02 humidity 0x29 = 41 %), its radio data kept.
    up = post(client, integration, lrc.uplink(SENSOR, "0100e20229"))
    assert up.status_code == 200, up.text
    assert (up.json()["stored"], up.json()["problems"]) == (5, [])
    at = parse_instant(UPLINK_TIME)
    assert observations(db, world["tenant"]) == {
        "air.humidity": [(at, 41.0)], "air.temperature": [(at, 22.6)],
        "radio.frame_counter": [(at, 7011.0)], "radio.rssi": [(at, -60.0)],
        "radio.snr": [(at, 9.75)]}
    d = schema.devices
    with db.read() as conn:
        sensor = conn.execute(select(d).where(d.c.id == world["sensor"])).first()
    assert (sensor.last_gateway, sensor.uplinks) == ("08040059", 1)
    again = post(client, integration, lrc.uplink(SENSOR, "0100e20229")).json()
    assert (again["stored"], again["redelivered"]) == (0, True)

    # A confirmed command to the cabinet: queued by the LRC with the documented parameters.
    switch = order(db, registry, world, "cabinet", "lighting.switch", {"state": "off"})
    before = now_ms()
    [outcome] = dispatch_due(db, registry, http=http)
    [request] = lrc.queued
    row = command(db, world, switch)
    assert (outcome["status"], outcome["channel"]) == ("sent", "thingpark")
    assert outcome["correlation"] == request["CorrelationID"] == row.correlation
    assert {k: v for k, v in request.items() if k not in ("Time", "CorrelationID")} == {
        "DevEUI": CONTROLLER.upper(), "FPort": "10", "Payload": "0200", "Confirmed": "1",
        "ValidityTime": iso(row.expires_at), "AS_ID": AS_ID}
    assert before - 1000 <= parse_instant(request["Time"]) <= now_ms()
    # Sent over the air: a confirmed command waits for the device's acknowledgement…
    sent = post(client, integration, lrc.sent(request, status=1)).json()
    assert (sent["event"], sent["command"]["status"]) == ("DevEUI_downlink_Sent", "sent")
    # … which is the ACK bit of the controller's next uplink (a MAC-only frame here).
    acked = post(client, integration, lrc.uplink(CONTROLLER, "", ack=True, FCntUp="7012"))
    assert acked.status_code == 200, acked.text
    assert (acked.json()["stored"], acked.json()["command"]["id"]) == (3, switch)
    assert acked.json()["command"]["status"] == "acknowledged"
    assert command(db, world, switch).status == "acknowledged"
    # The same uplink posted again is recognised: it does not acknowledge a later command.
    dimming = order(db, registry, world, "cabinet", "lighting.set_dimming", {"level": 30})
    dispatch_due(db, registry, http=http)
    assert lrc.queued[1]["Payload"] == "011e"
    again = post(client, integration, lrc.uplink(CONTROLLER, "", ack=True, FCntUp="7012"))
    assert (again.json()["redelivered"], again.json()["command"]) == (True, None)
    assert command(db, world, dimming).status == "sent"

    # An unconfirmed command is done once ThingPark reports it sent over the air.
    ping = order(db, registry, world, "school", "essais.ping", {})
    dispatch_due(db, registry, http=http)
    assert (lrc.queued[2]["Payload"], "Confirmed" in lrc.queued[2]) == ("0f", False)
    done = post(client, integration, lrc.sent(lrc.queued[2], status=1)).json()
    assert done["command"]["id"] == ping and done["command"]["status"] == "acknowledged"
    assert lrc.refused == []


def test_a_downlink_thingpark_did_not_send_is_sent_again_then_a_rejected_one_fails(
        db, registry, client, world, lrc, http):
    integration = new_integration(client, world, api_url=f"{lrc.url}{lrc.PATH}", as_id=AS_ID,
                                  as_key=AS_KEY)  # the full address is accepted too
    switch = order(db, registry, world, "cabinet", "lighting.switch", {"state": "on"})
    now = now_ms()
    dispatch_due(db, registry, now, http=http)
    # Not sent over the air on RX1 (too late) nor RX2 (duty cycle): ThingPark will not
    # retransmit it, "the downlink frame will have to be reinitiated by the AS".
    report = post(client, integration, lrc.sent(lrc.queued[0], status=0, causes=("B0", "DA",
                                                                                  "00")))
    after = report.json()["command"]
    assert (after["status"], after["error"]) == (
        "requested", "ThingPark n'a pas pu émettre la commande : RX1 B0 (reçue trop tard pour "
                     "la fenêtre) ; RX2 DA (limite de temps d'émission (LRC)).")
    retry_at = parse_instant(after["next_attempt_at"])  # 30 s after the report came
    assert now + 30_000 <= retry_at <= now_ms() + 30_000
    assert dispatch_due(db, registry, retry_at - 1, http=http) == []
    [second] = dispatch_due(db, registry, retry_at, http=http)
    assert (second["status"], second["attempts"]) == ("sent", 2)
    first, retried = lrc.queued
    assert retried["CorrelationID"] != first["CorrelationID"]
    assert second["correlation"] == lrc.queued[1]["CorrelationID"]
    # A late report of the first attempt no longer names the command.
    assert post(client, integration, lrc.sent(lrc.queued[0], status=1)).json() == {
        "event": "DevEUI_downlink_Sent", "command": None, "ignored": True}
    rejected = {"DevEUI_downlink_Rejected": {
        "Time": "2019-08-22T16:48:02.000+02:00", "DevEUI": CONTROLLER.upper(), "FPort": 10,
        "DeliveryStatus": 350, "DownlinkRejectionCause": "Downlink counter value already used",
        "CustomerID": CUSTOMER, "CorrelationID": lrc.queued[1]["CorrelationID"]}}
    failed = post(client, integration, ("", orjson.dumps(rejected))).json()["command"]
    assert (failed["status"], failed["error"]) == (
        "failed", "ThingPark a refusé la commande : Downlink counter value already used")
    assert command(db, world, switch).finished_at is not None


# -- signatures, both ways -----------------------------------------------------------------------
def test_the_token_of_a_report_is_checked_against_thingpark_s_own_sample(db, registry, client,
                                                                         world, lrc):
    """Actility's published report, signed by ThingPark with its AS key, is accepted; the
    same report altered, or unsigned, is refused and counted."""
    signed = sample("uplink-signed.json")
    with db.write() as conn:
        devices.create_device(open_scope(db, conn, CLI, world["tenant"]), conn, {
            "name": "Traceur", "dev_eui": signed["body"]["DevEUI_uplink"]["DevEUI"],
            "asset_id": world["school"]}, registry)
    integration = new_integration(client, world, as_key=signed["as_key"])
    query = urlencode(signed["query"], quote_via=quote, safe="")
    accepted = post(client, integration, (query, orjson.dumps(signed["body"])))
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["stored"] == 3  # rssi, snr, frame counter: its bytes are not ours
    tampered = json.loads(json.dumps(signed["body"]))
    tampered["DevEUI_uplink"]["payload_hex"] = "00" + tampered["DevEUI_uplink"]["payload_hex"]
    for case, report in (("altered", (query, orjson.dumps(tampered))),
                         ("unsigned", (query.split("&Token=")[0], orjson.dumps(signed["body"])))):
        refused = post(client, integration, report)
        assert refused.status_code == 401, case
        assert "Token" in refused.json()["detail"], case
    i = schema.integrations
    with db.read() as conn:
        row = conn.execute(select(i).where(i.c.id == integration["id"])).first()
    assert row.events == 3 and "Token" in row.last_error


def test_downlinks_are_signed_as_thingpark_documents(db, registry, client, world, lrc, http):
    # KPN's published example of the downlink token (the key as given, upper-case E kept).
    assert thingpark.sign("DevEUI=000000000F1D8693&FPort=1&Payload=00&AS_ID=app1.sample.com"
                          "&Time=2016-01-11T14:28:00", "46ab678cd45df4a4e4b375Eacd096acc") == (
        "b5a84fe9c8921e9de359e3041a37b76c4b122f6f9b83577b5596c842052f7e62")
    # Signed with another key, the LRC refuses it: the command fails at once.
    new_integration(client, world, api_url=lrc.url, as_id=AS_ID, as_key="0" * 32)
    order(db, registry, world, "cabinet", "lighting.switch", {"state": "on"})
    [outcome] = dispatch_due(db, registry, http=http)
    assert (outcome["status"], outcome["error"]) == (
        "failed", "ThingPark : clé d'API sans le droit d'envoyer des commandes (HTTP 403).")
    assert lrc.queued == [] and lrc.refused == [(403, "Invalid Token")]


def test_thingpark_configuration_is_checked(client, world):
    base = f"/api/v1/tenants/{world['tenant']}/integrations"
    response = client.post(base, headers=world["headers"], json={
        "kind": "thingpark", "config": {"as_key": "not-a-key", "api_key": "x"}})
    assert response.status_code == 422
    assert sorted((e["field"], e["message"]) for e in response.json()["errors"]) == [
        ("config.api_key", "paramètre inconnu (attendus : api_url, as_id, as_key)"),
        ("config.as_key", "clé d'authentification de l'interface tunnel (clé AS) : 32 chiffres "
                          "hexadécimaux (clé de 128 bits) attendus")]
    partial = client.post(base, headers=world["headers"], json={
        "kind": "thingpark", "config": {"as_id": AS_ID}}).json()
    assert partial["downlinks_ready"] is False and partial["as_key_set"] is False


# -- the documented samples, read -----------------------------------------------------------------
def parse(body: dict, **query):
    return thingpark.parse(Inbound(orjson.dumps(body), query, {}))


def test_actility_s_uplink_sample_reads_as_documented():
    event = parse(sample("uplink-frame.json"))
    up = event.uplink
    assert (up.dev_eui, up.time_ms, up.payload, up.f_port) == (
        "000000000f1d8693", parse_instant(UPLINK_TIME), bytes.fromhex("0027bd00"), 2)
    assert up.radio == {"rssi": -60.0, "snr": 9.75, "frame_counter": 7011.0}
    assert (up.gateway, up.fields, up.problems) == ("08040059", None, ())
    # ACKbit 1: the device acknowledges its last confirmed downlink, which it does not name.
    [ack] = event.reports
    assert (ack.outcome, ack.dev_eui, ack.correlation, ack.command_id) == (
        "acknowledged", "000000000f1d8693", None, None)
    encrypted = sample("uplink-frame.json")
    encrypted["DevEUI_uplink"]["PayloadEncryption"] = 1
    up = parse(encrypted).uplink
    assert up.payload == b"" and up.problems == (
        "trame 0027bd00 chiffrée par ThingPark (PayloadEncryption 1) : confiez la clé AppSKey "
        "du capteur à ThingPark pour la recevoir en clair",)


def test_notifications_and_downlink_reports_read_as_documented():
    join = parse(sample("notification-join.json"))
    assert (join.event, join.device.dev_eui, join.device.battery) == (
        "join", "000000000f1d8693", None)
    status = sample("notification-join.json")
    status["DevEUI_notification"].update(Type="devstatusans", Var1="127", Var2="7")
    assert parse(status).device.battery == 50.0  # LoRaWAN DevStatusAns: 127 of 1–254
    status["DevEUI_notification"]["Var1"] = "0"  # on mains: no battery level
    assert (parse(status).event, parse(status).device.battery) == ("status", None)
    status["DevEUI_notification"]["Var1"] = "300"
    with pytest.raises(PayloadError, match="de 0 à 255"):
        parse(status)
    sent = sample("downlink-sent.json")
    assert parse(sent).reports == ()  # no CorrelationID: not a downlink Beffroi asked for
    sent["DevEUI_downlink_Sent"]["CorrelationID"] = "4434704901c7450b"
    [report] = parse(sent).reports
    assert (report.outcome, report.correlation, report.dev_eui, report.detail) == (
        "retry", "4434704901C7450B", "0018b20000000d48",
        "ThingPark n'a pas pu émettre la commande : RX1 B0 (reçue trop tard pour la "
        "fenêtre).")
    with pytest.raises(PayloadError, match="sans type reconnu"):
        parse({"DevEUI_unknown": {}})


@pytest.mark.parametrize("report, change, field, fragment", [
    ("uplink-frame.json", {"DevEUI": 1018000}, "DevEUI_uplink.DevEUI",
     "« DevEUI_uplink.DevEUI » : texte attendu (16 chiffres hexadécimaux), reçu 1018000"),
    ("uplink-frame.json", {"Time": ["2015-07-09T16:06:38.49+02:00"]}, "DevEUI_uplink.Time",
     "« DevEUI_uplink.Time » : horodatage invalide"),
    ("uplink-frame.json", {"payload_hex": "zz"}, "payload_hex",
     "« payload_hex » n'est pas de l'hexadécimal valide"),
    ("notification-join.json", {"DevEUI": {"a": 1}}, "DevEUI_notification.DevEUI",
     '« DevEUI_notification.DevEUI » : texte attendu (16 chiffres hexadécimaux), reçu {"a":1}'),
])
def test_a_report_field_of_the_wrong_type_is_named(report, change, field, fragment):
    """A DevEUI that is not text was read as its Python text (``{'a': 1}``) and looked up
    as a device; a time that is not text was read the same way."""
    body = sample(report)
    next(iter(body.values())).update(change)
    with pytest.raises(PayloadError) as refused:
        parse(body)
    assert refused.value.field == field and fragment in str(refused.value)


def test_a_report_naming_a_key_twice_is_refused_naming_it():
    raw = orjson.dumps(sample("uplink-frame.json")).replace(
        b'"payload_hex":', b'"payload_hex":"00","payload_hex":', 1)
    with pytest.raises(PayloadError) as refused:
        thingpark.parse(Inbound(raw, {}, {}))
    assert str(refused.value) == "JSON ambigu : clé « payload_hex » en double dans « DevEUI_uplink »"
    assert refused.value.field == "DevEUI_uplink.payload_hex"
