"""Network servers behind one contract: a server added by a plug-in works end to end.

``Relais`` below is a network server Beffroi has never heard of, written against
``beffroi.plugin`` alone and registered through the ``beffroi.network_servers``
entry points only. It is created as an integration, posts an uplink decoded by a Beffroi
decoder, receives a command through its own downlink API (a real HTTP server on
loopback), and reports it delivered then acknowledged — without any other module of
Beffroi knowing its name.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib.metadata import entry_points

import orjson
import pytest
from sqlalchemy import select

from beffroi.connectivity import entry_points as plugin_finder
from beffroi.connectivity import providers as providers_module
from beffroi.connectivity.downlinks import dispatch_due
from beffroi.connectivity.providers import chirpstack, providers, thingpark, tts
from beffroi.core import assets, commands, devices, tenants
from beffroi.core.access import CLI, open_scope
from beffroi.core.clock import parse_instant
from beffroi.core.registry import load_registry

# What the plug-in itself uses: beffroi.plugin only.
from beffroi.plugin import (
    CommandSpec,
    ConfigKey,
    Domain,
    DownlinkReport,
    LorawanEncoding,
    NetworkServer,
    ParsedEvent,
    PayloadError,
    PropertySpec,
    Uplink,
    from_hex,
    instant,
    json_object,
    post_json,
)
from beffroi.storage import schema

EUI = "a84041000181c61f"
PING = CommandSpec("relais.ping", "Ping", ("generic.site",),
                   encodings=(LorawanEncoding(lambda p: (7, bytes([p["level"]]))),),
                   params=(PropertySpec("level", "integer", "Niveau", required=True),))


def relais_parse(inbound):
    body = json_object(inbound.body)
    if body.get("kind") == "uplink":
        return ParsedEvent("up", uplink=Uplink(
            str(body["eui"]).lower(), instant(body.get("at")), None,
            from_hex(body.get("hex"), "hex"), body.get("port"), {"rssi": float(body["rssi"])},
            "relais-gw-1", body.get("id")))
    if body.get("kind") in ("delivered", "acked"):
        outcome = "transmitted" if body["kind"] == "delivered" else "acknowledged"
        return ParsedEvent(body["kind"], reports=(DownlinkReport(outcome,
                                                                 correlation=body["ref"]),))
    raise PayloadError("type de message Relais inconnu")


def relais_send(config, target, downlink, http):
    answer = post_json(http, f"{config['api_url']}/push", "Relais",
                       {"eui": target.dev_eui, "port": downlink.f_port,
                        "hex": downlink.payload.hex(), "confirmed": downlink.confirmed},
                       config["token"])
    return answer["ref"]


RELAIS = NetworkServer(
    key="relais", label="Relais (réseau de test)",
    config_keys=(ConfigKey("api_url", "adresse de l'API Relais", url=True),
                 ConfigKey("token", "jeton d'API", secret=True),
                 ConfigKey("region", "région", pattern="eu|us", hint="« eu » ou « us »")),
    parse=relais_parse, send=relais_send)


class _FakeEntryPoint:
    def __init__(self, name: str, obj: object) -> None:
        self.name, self.value, self._obj = name, f"tiers.module:{name}", obj

    def load(self) -> object:
        if isinstance(self._obj, Exception):
            raise self._obj
        return self._obj


class RelaisApi:
    """Relais' downlink API on loopback: checks the bearer token, answers a reference."""

    def __init__(self) -> None:
        self.requests: list[dict] = []
        api = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server naming)
                raw = self.rfile.read(int(self.headers.get("content-length") or 0))
                ok = self.path == "/push" and self.headers["Authorization"] == "Bearer jeton"
                if ok:
                    api.requests.append(json.loads(raw))
                body = json.dumps({"ref": f"R-{len(api.requests)}"} if ok else {}).encode()
                self.send_response(200 if ok else 401)
                self.send_header("Content-Type", "application/json")
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


@pytest.fixture
def registry():
    reg = load_registry(["generic", "buildings"])  # air.temperature, air.humidity
    reg.register(Domain(key="relais", label="Essais Relais", commands=(PING,)))
    return reg


@pytest.fixture
def relais(monkeypatch, caplog):
    """Relais installed as a plug-in, beside plug-ins that must be turned away."""
    impostor = NetworkServer("chirpstack", "Faux ChirpStack", (), relais_parse, relais_send)
    badly_named = NetworkServer("Relais 2!", "Mal nommé", (), relais_parse, relais_send)
    fake = [_FakeEntryPoint("relais", RELAIS), _FakeEntryPoint("faux", impostor),
            _FakeEntryPoint("mal-nomme", badly_named),
            _FakeEntryPoint("pas-un-serveur", object()),
            _FakeEntryPoint("casse", ImportError("module absent")),
            _FakeEntryPoint("chirpstack", chirpstack.NETWORK_SERVER)]
    installed = plugin_finder.entry_points
    monkeypatch.setattr(plugin_finder, "entry_points", lambda group: fake
                        if group == providers_module.ENTRY_POINT_GROUP else installed(group=group))
    monkeypatch.setenv("BEFFROI_ALLOW_PRIVATE_NETWORKS", "127.0.0.0/8")  # the API's loopback
    providers_module.reload()
    api = RelaisApi()
    yield api
    api.close()
    monkeypatch.undo()
    providers_module.reload()


def test_builtins_are_registered_as_entry_points():
    eps = {ep.name: ep for ep in entry_points(group="beffroi.network_servers")}
    assert eps["chirpstack"].load() is chirpstack.NETWORK_SERVER
    assert eps["tts"].load() is tts.NETWORK_SERVER
    assert eps["thingpark"].load() is thingpark.NETWORK_SERVER
    assert set(providers()) == {"chirpstack", "tts", "thingpark"}


def test_plugins_are_checked_when_discovered(relais, caplog):
    found = providers()
    assert found["relais"] is RELAIS
    assert found["chirpstack"] is chirpstack.NETWORK_SERVER  # a built-in cannot be replaced
    assert set(found) == {"chirpstack", "tts", "thingpark", "relais"}
    assert "reprend la clé d'un serveur intégré" in caplog.text
    assert "a une clé invalide 'Relais 2!'" in caplog.text
    assert "ne désigne pas un objet NetworkServer" in caplog.text
    assert "impossible à charger" in caplog.text


def test_a_network_server_added_by_a_plugin_works_end_to_end(relais, db, registry, client,
                                                              op_headers):
    with db.write() as conn:
        t = tenants.create_tenant(db, conn, CLI, name="CC Relais", registry=registry)
        scope = open_scope(db, conn, CLI, t["id"])
        tenants.create_commune(scope, conn, {"insee": "88383", "name": "Remiremont"})
        site = assets.create_asset(scope, conn, registry, {
            "ref": "S-1", "kind": "generic.site", "name": "École", "commune": "88383",
            "geometry": {"type": "Point", "coordinates": [6.59, 48.02]}})
        device = devices.create_device(scope, conn, {"name": "Capteur", "dev_eui": EUI,
                                                     "model": "elsys", "asset_id": site.id},
                                       registry)
    base = f"/api/v1/tenants/{t['id']}/integrations"
    # Its configuration is checked as it declares it.
    refused = client.post(base, headers=op_headers, json={
        "kind": "relais", "config": {"region": "mars", "colour": "bleu"}})
    assert refused.status_code == 422
    assert sorted((e["field"], e["message"]) for e in refused.json()["errors"]) == [
        ("config.colour", "paramètre inconnu (attendus : api_url, token, region)"),
        ("config.region", "région : « eu » ou « us »")]
    created = client.post(base, headers=op_headers, json={
        "kind": "relais", "config": {"api_url": relais.url, "token": "jeton", "region": "eu"}})
    assert created.status_code == 201, created.text
    integration = created.json()
    assert integration["name"] == "Relais (réseau de test)"
    assert integration["config"] == {"api_url": relais.url, "region": "eu"}
    assert integration["token_set"] is True and integration["downlinks_ready"] is True
    assert integration["endpoint"] == f"/api/v1/integrations/{integration['id']}/relais"
    assert "jeton" not in client.get(base, headers=op_headers).text

    def post(body, path="relais"):
        return client.post(f"/api/v1/integrations/{integration['id']}/{path}",
                           content=orjson.dumps(body),
                           headers={"Authorization": f"Bearer {integration['secret']}"})

    # An uplink, decoded by Beffroi's ELSYS decoder (22.6 °C, 41 %).
    at = "2026-11-23T08:00:00+01:00"
    up = post({"kind": "uplink", "eui": EUI.upper(), "port": 5, "hex": "0100e20229",
               "at": at, "rssi": -71, "id": "u-1"})
    assert up.status_code == 200, up.text
    assert (up.json()["stored"], up.json()["problems"]) == (3, [])
    o, s = schema.observations, schema.streams
    with db.read() as conn:
        stored = dict(conn.execute(select(s.c.metric, o.c.value).join(
            s, (s.c.tenant_id == o.c.tenant_id) & (s.c.id == o.c.stream_id)).where(
            o.c.tenant_id == t["id"], o.c.t == parse_instant(at))).all())
    assert stored == {"air.temperature": 22.6, "air.humidity": 41.0, "radio.rssi": -71.0}
    assert post({"kind": "uplink", "eui": EUI, "port": 5, "hex": "0100e20229", "at": at,
                 "rssi": -71, "id": "u-1"}).json()["redelivered"] is True
    # An id that is not text (the contract says text) is ignored: the uplink is stored.
    odd = post({"kind": "uplink", "eui": EUI, "port": 5, "hex": "0100e20229",
                "at": "2026-11-23T08:10:00+01:00", "rssi": -70, "id": 77})
    assert odd.status_code == 200 and odd.json()["stored"] == 3
    wrong = post({"kind": "uplink"}, path="chirpstack")
    assert wrong.status_code == 409 and "se termine par /relais" in wrong.json()["detail"]
    assert post({"kind": "?"}).status_code == 422
    assert post({}, path="inconnu").status_code == 404

    # A command goes out through Relais' own API, and its reports settle it.
    with db.write() as conn:
        command = commands.create_command(open_scope(db, conn, CLI, t["id"]), conn, registry, {
            "asset_id": site.id, "action": "relais.ping", "params": {"level": 9}})
    [outcome] = dispatch_due(db, registry)
    assert relais.requests == [{"eui": EUI, "port": 7, "hex": "09", "confirmed": True}]
    assert (outcome["status"], outcome["channel"], outcome["correlation"]) == (
        "sent", "relais", "R-1")
    delivered = post({"kind": "delivered", "ref": "R-1"}).json()
    assert delivered["command"]["status"] == "sent"  # confirmed: waits for the device
    done = post({"kind": "acked", "ref": "R-1"}).json()
    assert done["command"]["id"] == command.id and done["command"]["status"] == "acknowledged"
    assert post({"kind": "acked", "ref": "R-9"}).json() == {
        "event": "acked", "command": None, "ignored": True}
    assert device.id and client.get(f"{base}/{integration['id']}", headers=op_headers).json()[
        "events"] == 9
