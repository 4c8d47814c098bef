"""Network-server uplinks: the official samples of ChirpStack v4 and The Things Stack v3."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from beffroi.connectivity.payloads import PayloadError
from beffroi.connectivity.providers.base import flatten
from beffroi.connectivity.providers.chirpstack import uplink as chirpstack_up
from beffroi.connectivity.providers.tts import uplink as tts_uplink

# Copies of ../shared/data/lorawan-samples/: the samples published in each network
# server's own documentation (chirpstack-docs integrations/events; lorawan-stack-docs
# integrations/data-formats).
FIXTURES = Path(__file__).parent / "fixtures"


def sample(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text())


def test_chirpstack_v4_sample_uplink():
    up = chirpstack_up(sample("chirpstack-v4-up.json"))
    assert up.dev_eui == "0101010101010101"
    assert up.time_ms == 1658136855775  # 2022-07-18T09:34:15.775Z
    assert up.payload == b"\xaa" and up.f_port == 1  # "qg==" in base64
    assert up.fields is None  # no codec configured: Beffroi decodes the bytes
    assert up.radio == {"rssi": -36.0, "snr": 10.5, "frame_counter": 0.0}  # fCnt omitted = 0
    assert up.gateway == "0016c001f153a14c"
    assert up.message_id == "3ac7e3c4-4401-4b8d-9386-a5c902f9202d"


def test_tts_v3_sample_uplink():
    up = tts_uplink(sample("tts-v3-uplink.json"))
    assert up.dev_eui == "0004a30b001c0530"
    assert up.fields == {"temperature": 1.0, "luminosity": 0.64}
    assert up.payload == bytes.fromhex("8241de")  # "gkHe"
    assert up.f_port is None  # omitted in the sample
    assert up.radio == {"rssi": -35.0, "snr": 5.0, "frame_counter": 1.0}
    assert up.gateway == "gtw1"
    assert up.time_ms == 1581520545789  # uplink_message.received_at, 2020-02-12T15:15:45.789Z


def test_best_gateway_is_the_strongest():
    body = sample("chirpstack-v4-up.json")
    body["rxInfo"].append({"gatewayId": "aa", "rssi": -20, "snr": 3})
    assert chirpstack_up(body).gateway == "aa"
    assert chirpstack_up(body).radio["rssi"] == -20.0


@pytest.mark.parametrize("mutate, fragment", [
    (lambda b: b.pop("deviceInfo"), "devEui"),
    (lambda b: b.update(data="%%%"), "base64"),
    (lambda b: b.update(time="hier"), "horodatage"),
])
def test_bad_chirpstack_events_are_refused_precisely(mutate, fragment):
    body = sample("chirpstack-v4-up.json")
    mutate(body)
    with pytest.raises(PayloadError, match=fragment):
        chirpstack_up(body)


def test_tts_without_uplink_message_is_refused():
    body = sample("tts-v3-uplink.json")
    body.pop("uplink_message")
    with pytest.raises(PayloadError, match="uplink_message"):
        tts_uplink(body)


def test_flatten_nested_decoded_objects():
    assert flatten({"a": {"b": 1, "c": {"d": 2.5}}, "ok": True, "txt": "x", "l": [1]}) == {
        "a_b": 1.0, "a_c_d": 2.5, "ok": 1.0}
