"""LoRaWAN payload decoders, checked byte for byte against published examples.

Every vector says where it was published. Sources:

* LPP  = myDevicesIoT/cayenne-docs, docs/LORA.md, "Cayenne Low Power Payload" > "Examples"
  (the myDevices documentation of the format).
* TTN  = TheThingsNetwork/lorawan-devices, vendor/elsys/<device>-codec.yaml (``examples:``,
  uplink bytes, fPort and expected ``output.data``) and vendor/adeunis/pulse-codec.yaml.
* ADEUNIS-LIB = sln-nc/adeunis-codecs-lib, src/products/pulse/*.parser.spec.ts: the unit
  tests of the Adeunis codec library (a public copy of Adeunis' "Adeunis codecs"
  TypeScript project), frame hex string and expected values.
* ADEUNIS-UG = Adeunis PULSE user guide, §"Alarm frame" (0x47) example "in grey"
  (WMBUS Pulse user guide V2.2.0 §4.2.6, manualslib.fr/manual/540129 page 83; the same
  example is in the Sigfox RC2 Pulse user guide V1.0.0 §4.1.7).

Values a source gives in other units are converted the way the decoder documents it
(ELSYS mV -> V, ELSYS acceleration counts -> g with 63 = 1 g).
"""

from __future__ import annotations

import pytest

from beffroi.connectivity import decoders as registry_module
from beffroi.connectivity import entry_points as plugin_finder
from beffroi.connectivity.decoders import (
    DecodeError,
    Decoder,
    adeunis_pulse,
    cayenne_lpp,
    decoders,
    elsys,
    get_decoder,
)
from beffroi.core.registry import load_registry


def h(text: str) -> bytes:
    return bytes.fromhex(text.replace(" ", ""))


def assert_values(got: dict[str, float], expected: dict[str, float]) -> None:
    assert set(got) == set(expected)
    for name, value in expected.items():
        assert got[name] == pytest.approx(value), name
        assert isinstance(got[name], float), name


# --------------------------------------------------------------------------- registry


def test_decoders_lists_the_three_builtins() -> None:
    found = decoders()
    assert {"cayenne-lpp", "elsys", "adeunis-pulse"} <= set(found)
    assert found["cayenne-lpp"] is cayenne_lpp.DECODER
    assert found["elsys"] is elsys.DECODER
    assert found["adeunis-pulse"] is adeunis_pulse.DECODER
    for key, decoder in found.items():
        assert isinstance(decoder, Decoder)
        assert decoder.key == key


def test_builtins_are_registered_as_entry_points() -> None:
    from importlib.metadata import entry_points

    eps = {ep.name: ep for ep in entry_points(group="beffroi.decoders")}
    assert eps["cayenne-lpp"].load() is cayenne_lpp.DECODER
    assert eps["elsys"].load() is elsys.DECODER
    assert eps["adeunis-pulse"].load() is adeunis_pulse.DECODER


def test_get_decoder_returns_the_decoder() -> None:
    decoder = get_decoder("elsys")
    assert decoder.label == "ELSYS (ERS, EMS, ELT)"
    assert decoder.decode(h("0100E2"), 1) == {"temperature": 22.6}


def test_get_decoder_unknown_key_says_so_in_french_and_lists_keys() -> None:
    with pytest.raises(KeyError) as info:
        get_decoder("nke-watteco")
    message = info.value.args[0]
    assert message.startswith("décodeur inconnu « nke-watteco »")
    assert "adeunis-pulse, cayenne-lpp, elsys" in message


class _FakeEntryPoint:
    def __init__(self, name: str, obj: object) -> None:
        self.name, self.value, self._obj = name, f"tiers.module:{name}", obj

    def load(self) -> object:
        if isinstance(self._obj, Exception):
            raise self._obj
        return self._obj


def test_third_party_decoders_come_from_entry_points(monkeypatch, caplog) -> None:
    def plugin_decode(payload: bytes, fport: int | None) -> dict[str, float]:
        return {"level": float(payload[0])}

    plugin = Decoder("tiers-niveau", "Sonde de niveau (tiers)", plugin_decode,
                     {"level": ("water.level", "m")})
    impostor = Decoder("elsys", "Faux ELSYS", plugin_decode, {})
    fake = [_FakeEntryPoint("tiers-niveau", plugin), _FakeEntryPoint("faux-elsys", impostor),
            _FakeEntryPoint("pas-un-decodeur", object()),
            _FakeEntryPoint("casse", ImportError("module absent")),
            _FakeEntryPoint("elsys", elsys.DECODER)]
    installed = plugin_finder.entry_points
    monkeypatch.setattr(plugin_finder, "entry_points", lambda group: fake
                        if group == registry_module.ENTRY_POINT_GROUP else installed(group=group))
    registry_module.reload()
    try:
        found = decoders()
        assert found["tiers-niveau"] is plugin
        assert get_decoder("tiers-niveau").decode(b"\x07", None) == {"level": 7.0}
        assert found["elsys"] is elsys.DECODER  # a built-in cannot be replaced
        assert set(found) == {"cayenne-lpp", "elsys", "adeunis-pulse", "tiers-niveau"}
        assert "ne désigne pas un objet Decoder" in caplog.text
        assert "reprend la clé d'un décodeur intégré" in caplog.text
        assert "impossible à charger" in caplog.text
    finally:
        monkeypatch.undo()
        registry_module.reload()
    assert "tiers-niveau" not in decoders()


def test_suggested_metrics_that_exist_have_the_registry_unit() -> None:
    metrics = load_registry().metrics
    checked = 0
    for decoder in decoders().values():
        for name, (metric, unit) in decoder.fields.items():
            if metric in metrics:
                assert metrics[metric].unit == unit, (decoder.key, name, metric)
                checked += 1
    assert checked > 20


@pytest.mark.parametrize("decoder", [cayenne_lpp.DECODER, elsys.DECODER, adeunis_pulse.DECODER],
                         ids=lambda d: d.key)
def test_empty_payload_is_a_decode_error(decoder: Decoder) -> None:
    with pytest.raises(DecodeError) as info:
        decoder.decode(b"", 1)
    assert str(info.value) == "charge utile vide : aucun octet à décoder"
    assert info.value.offset == 0


def test_decode_error_is_a_value_error() -> None:
    assert issubclass(DecodeError, ValueError)
    with pytest.raises(DecodeError) as info:
        elsys.decode("0100E2", 1)  # type: ignore[arg-type]
    assert "des octets sont attendus" in str(info.value)


# --------------------------------------------------------------------------- Cayenne LPP


@pytest.mark.parametrize(("payload", "expected"), [
    # LPP, "Device with 2 temperature sensors": 0110 = 272 => 27.2°C, 00FF = 255 => 25.5°C
    ("03 67 01 10 05 67 00 FF", {"temperature_3": 27.2, "temperature_5": 25.5}),
    # LPP, "Device with temperature and acceleration sensors", Frame N: FFD7 = -41 => -4.1°C
    ("01 67 FF D7", {"temperature_1": -4.1}),
    # LPP, same example, Frame N+1: X 04D2 = +1.234G, Y FB2E = -1.234G, Z 0000 = 0G
    ("06 71 04 D2 FB 2E 00 00",
     {"accelerometer_x_6": 1.234, "accelerometer_y_6": -1.234, "accelerometer_z_6": 0.0}),
    # LPP, "Device with GPS": 06765f => 42.3519, F2960a => -87.9094, 0003E8 => 10 meters
    ("01 88 06 76 5f f2 96 0a 00 03 e8",
     {"latitude_1": 42.3519, "longitude_1": -87.9094, "altitude_1": 10.0}),
], ids=["two-temperatures", "negative-temperature", "accelerometer", "gps"])
def test_cayenne_lpp_documented_examples(payload: str, expected: dict[str, float]) -> None:
    assert_values(cayenne_lpp.decode(h(payload), None), expected)


def test_cayenne_lpp_documented_frames_concatenated() -> None:
    # The two frames of the LPP temperature + acceleration example sent in one uplink.
    values = cayenne_lpp.decode(h("01 67 FF D7 06 71 04 D2 FB 2E 00 00"), 2)
    assert values["temperature_1"] == -4.1
    assert values["accelerometer_y_6"] == -1.234


def test_cayenne_lpp_other_standard_types() -> None:
    # Not a published example: one value of each remaining type, encoded by hand from the
    # LPP data-type table (size and resolution per bit).
    payload = h(
        "01 00 01"        # digital input, channel 1: 1
        "02 01 00"        # digital output, channel 2: 0
        "05 02 FF 38"     # analog input, 0.01 signed: -200 -> -2.0
        "06 03 01 F4"     # analog output, 0.01 signed: 500 -> 5.0
        "07 65 01 2C"     # illuminance, 1 lux unsigned: 300
        "08 66 01"        # presence: 1
        "09 68 51"        # humidity, 0.5 % unsigned: 81 -> 40.5
        "0A 73 27 8D"     # barometer, 0.1 hPa unsigned: 10125 -> 1012.5
        "0B 86 00 64 FF 9C 00 00"  # gyrometer, 0.01 °/s signed: 1.0, -1.0, 0.0
    )
    assert_values(cayenne_lpp.decode(payload, None), {
        "digital_input_1": 1, "digital_output_2": 0, "analog_input_5": -2.0,
        "analog_output_6": 5.0, "illuminance_7": 300, "presence_8": 1, "humidity_9": 40.5,
        "barometer_10": 1012.5, "gyrometer_x_11": 1.0, "gyrometer_y_11": -1.0,
        "gyrometer_z_11": 0.0,
    })


def test_cayenne_lpp_truncated_value_names_the_offset() -> None:
    # LPP "Device with GPS" example cut after its latitude.
    with pytest.raises(DecodeError) as info:
        cayenne_lpp.decode(h("01 88 06 76 5f"), None)
    assert info.value.offset == 2
    assert str(info.value) == (
        "trame tronquée : la valeur « position GPS » (type 0x88) du canal 1 attend 9 octet(s) "
        "à l'offset 2, 3 disponible(s) (charge utile de 5 octets)")


def test_cayenne_lpp_truncated_header_names_the_offset() -> None:
    # LPP two-temperature example followed by a lone channel byte.
    with pytest.raises(DecodeError) as info:
        cayenne_lpp.decode(h("03 67 01 10 05"), None)
    assert info.value.offset == 4
    assert "l'en-tête (canal, type) attend 2 octet(s) à l'offset 4, 1 disponible(s)" \
        in str(info.value)


def test_cayenne_lpp_unknown_type_names_byte_and_offset() -> None:
    with pytest.raises(DecodeError) as info:
        cayenne_lpp.decode(h("03 67 01 10 05 99 00 FF"), None)
    assert info.value.offset == 5
    assert str(info.value) == "type de donnée Cayenne LPP inconnu 0x99 à l'offset 5 (canal 5)"


def test_cayenne_lpp_fields_cover_every_channel() -> None:
    fields = cayenne_lpp.DECODER.fields
    assert fields["temperature_3"] == ("generic.temperature", "Cel")
    assert fields["humidity_0"] == ("air.humidity", "%")
    assert fields["accelerometer_x_255"] == ("device.acceleration_x", "[g]")
    assert fields["latitude_1"] == ("device.latitude", "deg")
    assert fields["illuminance_7"] == ("air.illuminance", "lx")
    assert fields["analog_input_5"] == ("generic.value", "1")
    for missing in ("temperature_256", "temperature_03", "temperature", "pression_1", "_1"):
        assert missing not in fields
    assert len(fields) == 256 * 18 == len(list(fields))
    # every field a decoded payload can give is described
    for name in cayenne_lpp.decode(h("01 88 06 76 5f f2 96 0a 00 03 e8"), None):
        assert name in fields


# --------------------------------------------------------------------------- ELSYS


@pytest.mark.parametrize(("source", "payload", "expected"), [
    ("TTN vendor/elsys/ers-codec.yaml (fPort 1)", "01 00 E2 02 29 04 00 27 05 06",
     {"temperature": 22.6, "humidity": 41, "light": 39, "motion": 6}),
    ("TTN vendor/elsys/ers-co2-codec.yaml (fPort 1)", "01 00 E2 02 29 04 00 27 05 06 06 03 08",
     {"temperature": 22.6, "humidity": 41, "light": 39, "motion": 6, "co2": 776}),
    ("TTN vendor/elsys/ers-lite-codec.yaml (fPort 1)", "01 00 E2 02 29",
     {"temperature": 22.6, "humidity": 41}),
    ("TTN vendor/elsys/ers-eye-codec.yaml (fPort 1)",
     "01 00 E2 02 29 04 00 27 05 06 11 01",
     {"temperature": 22.6, "humidity": 41, "light": 39, "motion": 6, "occupancy": 1}),
    # soundPeak: 1, soundAvg: 1
    ("TTN vendor/elsys/ers-sound-codec.yaml (fPort 1)",
     "01 00 E2 02 29 04 00 27 05 06 15 01 01",
     {"temperature": 22.6, "humidity": 41, "light": 39, "motion": 6, "sound_peak": 1,
      "sound_average": 1}),
    # x: 1, y: 39, z: 5 (counts, 63 = 1 g); occupancy: 2
    ("TTN vendor/elsys/ems-desk-codec.yaml (fPort 1)", "01 00 E2 02 29 03 01 27 05 11 02",
     {"temperature": 22.6, "humidity": 41, "acceleration_x": 1 / 63, "acceleration_y": 39 / 63,
      "acceleration_z": 5 / 63, "occupancy": 2}),
    # waterleak: 17
    ("TTN vendor/elsys/ems-lite-codec.yaml (fPort 1)", "01 00 E2 02 29 12 11",
     {"temperature": 22.6, "humidity": 41, "water_leak": 17}),
    # Two 0x0A elements: the published output keeps the last one (pulse1: 8465); waterleak: 17
    ("TTN vendor/elsys/ems-codec.yaml (fPort 1)",
     "01 00 E2 02 29 03 01 27 05 0A 11 01 12 11 0A 21 11",
     {"temperature": 22.6, "humidity": 41, "acceleration_x": 1 / 63, "acceleration_y": 39 / 63,
      "acceleration_z": 5 / 63, "pulse_count_1": 8465, "water_leak": 17}),
    # pulse1: 4353, pulseAbs: 655377
    ("TTN vendor/elsys/ems-door-codec.yaml (fPort 1)",
     "03 01 27 05 0A 11 01 0B 00 0A 00 11",
     {"acceleration_x": 1 / 63, "acceleration_y": 39 / 63, "acceleration_z": 5 / 63,
      "pulse_count_1": 4353, "pulse_count_abs_1": 655377}),
    # Example left commented out in the file (commit c918a5d): pressure: 100729.105 (hPa)
    ("TTN vendor/elsys/elt-2-codec.yaml (fPort 1, commented-out example)",
     "01 00 E2 02 29 03 01 27 05 14 06 01 01 11",
     {"temperature": 22.6, "humidity": 41, "acceleration_x": 1 / 63, "acceleration_y": 39 / 63,
      "acceleration_z": 5 / 63, "pressure": 100729.105}),
    # The ELSYS example payload reproduced by many public decoders' tests (vdd: 3426 mV): the
    # TTN ers-co2-codec.yaml example followed by a 0x07 VDD element (type table of TTN
    # vendor/elsys/elsys.js: 2 bytes, mV).
    ("ELSYS example 0100E202290400270506060308070D62", "0100E202290400270506060308070D62",
     {"temperature": 22.6, "humidity": 41, "light": 39, "motion": 6, "co2": 776,
      "battery_voltage": 3.426}),
], ids=["ers", "ers-co2", "ers-lite", "ers-eye", "ers-sound", "ems-desk", "ems-lite", "ems",
        "ems-door", "elt-2", "ers-co2-vdd"])
def test_elsys_published_examples(source: str, payload: str, expected: dict[str, float]) -> None:
    assert_values(elsys.decode(h(payload), 1), expected)


def test_elsys_negative_and_repeated_external_temperatures() -> None:
    # Not a published example: encoded from the TTN elsys.js type table (0x0C and 0x19,
    # signed 0.1 °C; 0x0D digital input; 0x0E distance in mm; 0x3D debug, 4 bytes).
    values = elsys.decode(h("0C FF 9C 19 00 E2 19 00 A3 0D 01 0E 04 D2 3D 01 02 03 04"), 5)
    assert_values(values, {"external_temperature": -10.0, "external_temperature_2": 22.6,
                           "external_temperature_2_2": 16.3, "digital_input_1": 1,
                           "distance": 1.234})


def test_elsys_truncated_value_names_the_offset() -> None:
    # TTN ers-co2-codec.yaml example cut in the middle of its CO2 value.
    with pytest.raises(DecodeError) as info:
        elsys.decode(h("01 00 E2 02 29 04 00 27 05 06 06 03"), 1)
    assert info.value.offset == 11
    assert str(info.value) == ("trame tronquée : la valeur « CO2 » (type 0x06) attend 2 octet(s) "
                               "à l'offset 11, 1 disponible(s) (charge utile de 12 octets)")


def test_elsys_type_byte_without_value() -> None:
    with pytest.raises(DecodeError) as info:
        elsys.decode(h("01 00 E2 07"), 1)
    assert info.value.offset == 4
    assert "« tension d'alimentation » (type 0x07) attend 2 octet(s) à l'offset 4, " \
        "0 disponible(s)" in str(info.value)


def test_elsys_unknown_type_names_byte_and_offset() -> None:
    with pytest.raises(DecodeError) as info:
        elsys.decode(h("01 00 E2 02 29 7F 00"), 1)
    assert info.value.offset == 5
    assert str(info.value) == "type de donnée ELSYS inconnu 0x7F à l'offset 5"


def test_elsys_fields_describe_every_decoded_field() -> None:
    fields = elsys.DECODER.fields
    assert fields["temperature"] == ("air.temperature", "Cel")
    assert fields["co2"] == ("air.co2", "[ppm]")
    assert fields["battery_voltage"] == ("device.battery_voltage", "V")
    assert fields["pulse_count_abs_1"] == ("generic.counter", "1")
    grideye = bytes([0x13, 20]) + bytes(range(64))  # Grid-EYE: reference + 64 pixels
    decoded = elsys.decode(h("0100E202290400270506060308070D62") + grideye, 1)
    assert decoded["grideye_min"] == 20.0 and decoded["grideye_max"] == 26.3
    assert decoded["grideye_mean"] == pytest.approx(23.15)
    assert set(decoded) <= set(fields)


# --------------------------------------------------------------------------- Adeunis PULSE


def test_adeunis_pulse_v4_data_with_history_ttn_example() -> None:
    # TTN vendor/adeunis/pulse-codec.yaml, "0x5a Pulse 4 data - channel A" (fPort 1):
    # counterValues [295, 294, 292, 289, 285] (t=0 first), status frameCounter 3, lowBattery
    # true, configurationDone true, timestamp true (4 trailing bytes).
    payload = bytes([0x5A, 0x67, 0x00, 0x00, 0x01, 0x27, 0x00, 0x01, 0x00, 0x02, 0x00, 0x03,
                     0x00, 0x04, 0x14, 0xAB, 0xA3, 0xE9])
    assert_values(adeunis_pulse.decode(payload, 1), {
        "pulse_count_a": 295, "status_frame_counter": 3, "low_battery": 1,
        "configuration_done": 1})


def test_adeunis_pulse_data_frame() -> None:
    # ADEUNIS-LIB 0x46.parser.spec.ts: "46800000009f00000002" -> counterValues [159, 2];
    # status 0x80: frame counter 4 (ADEUNIS-LIB status-byte parser, bits 7-5).
    assert_values(adeunis_pulse.decode(h("46800000009f00000002"), 1), {
        "pulse_count_a": 159, "pulse_count_b": 2, "status_frame_counter": 4, "low_battery": 0,
        "configuration_done": 0})


def test_adeunis_pulse_data_frame_with_v4_timestamp() -> None:
    # The ADEUNIS-LIB 0x46 example with the v4 timestamp of the TTN 0x5A example appended
    # (TTN pulse_lib.js: 0x46 reads the timestamp at offset 10 when status bit 2 is set).
    values = adeunis_pulse.decode(h("4684 0000009f 00000002 14ABA3E9"), 1)
    assert (values["pulse_count_a"], values["pulse_count_b"]) == (159.0, 2.0)


@pytest.mark.parametrize(("payload", "expected"), [
    # ADEUNIS-LIB 0x47.parser.spec.ts: "47a00f780000" -> flowValues [3960, 0]
    ("47a00f780000", {"flow_rate_a": 3960, "flow_rate_b": 0, "status_frame_counter": 5,
                      "low_battery": 0, "configuration_done": 0}),
    # ADEUNIS-UG: 0x47 0xA3 0x2904 0x206C -> 10,500 and 8,300 pulses per hour
    ("47 A3 2904 206C", {"flow_rate_a": 10500, "flow_rate_b": 8300, "status_frame_counter": 5,
                         "low_battery": 1, "configuration_done": 1}),
], ids=["adeunis-lib", "user-guide"])
def test_adeunis_pulse_alarm_frame(payload: str, expected: dict[str, float]) -> None:
    assert_values(adeunis_pulse.decode(h(payload), 1), expected)


def test_adeunis_pulse_keep_alive_frame() -> None:
    # ADEUNIS-LIB 0x30.parser.spec.ts: "30e0150400030002000100" -> channel A: flow alarm,
    # last24hMin 512, last24hMax 1024, tamper alarm, leakage alarm; channel B: no alarm,
    # last24hMin 256, last24hMax 768.
    assert_values(adeunis_pulse.decode(h("30e0150400030002000100"), 1), {
        "flow_alarm_a": 1, "tamper_alarm_a": 1, "leak_alarm_a": 1,
        "flow_alarm_b": 0, "tamper_alarm_b": 0, "leak_alarm_b": 0,
        "flow_max_24h_a": 1024, "flow_min_24h_a": 512,
        "flow_max_24h_b": 768, "flow_min_24h_b": 256,
        "status_frame_counter": 7, "low_battery": 0, "configuration_done": 0})


@pytest.mark.parametrize(("payload", "expected"), [
    # ADEUNIS-LIB status-byte.parser.spec.ts: "20820501" -> frameCounter 4, lowBattery true,
    # configurationDone false; "20490501" -> frameCounter 2, lowBattery false,
    # configurationDone true. 0x20 (network configuration) carries no measurement.
    ("20820501", {"status_frame_counter": 4, "low_battery": 1, "configuration_done": 0}),
    ("20490501", {"status_frame_counter": 2, "low_battery": 0, "configuration_done": 1}),
])
def test_adeunis_pulse_configuration_frames_give_the_status_only(
        payload: str, expected: dict[str, float]) -> None:
    assert_values(adeunis_pulse.decode(h(payload), 1), expected)


def test_adeunis_pulse_truncated_data_frame_names_the_offset() -> None:
    # ADEUNIS-LIB 0x46 example cut in channel B's index.
    with pytest.raises(DecodeError) as info:
        adeunis_pulse.decode(h("46800000009f0000"), 1)
    assert info.value.offset == 6
    assert str(info.value) == ("trame tronquée : l'index de la voie B attend 4 octet(s) à "
                               "l'offset 6, 2 disponible(s) (charge utile de 8 octets)")


def test_adeunis_pulse_frame_without_status_byte() -> None:
    with pytest.raises(DecodeError) as info:
        adeunis_pulse.decode(h("46"), 1)
    assert info.value.offset == 1
    assert "l'octet de statut attend 1 octet(s) à l'offset 1, 0 disponible(s)" in str(info.value)


def test_adeunis_pulse_unexpected_length() -> None:
    # ADEUNIS-LIB 0x47 example with one byte too many.
    with pytest.raises(DecodeError) as info:
        adeunis_pulse.decode(h("47a00f78000000"), 1)
    assert info.value.offset == 6
    assert str(info.value) == ("longueur inattendue pour la trame 0x47 : 7 octets (6, ou 10 avec "
                               "horodatage, attendus)")


def test_adeunis_pulse_history_with_odd_length() -> None:
    # TTN 0x5A example with its timestamp's last byte missing.
    payload = h("5A67 00000127 0001 0002 0003 0004 14ABA3")
    with pytest.raises(DecodeError) as info:
        adeunis_pulse.decode(payload, 1)
    assert info.value.offset == 16
    assert "le dernier octet (offset 16) est isolé" in str(info.value)


def test_adeunis_pulse_unknown_and_unsupported_frames() -> None:
    with pytest.raises(DecodeError) as info:
        adeunis_pulse.decode(h("99800000009f00000002"), 1)
    assert info.value.offset == 0
    assert str(info.value) == "code de trame Adeunis PULSE inconnu 0x99 à l'offset 0"
    # ADEUNIS-LIB 0x48.parser.spec.ts frame: hourly history over several uplinks, refused.
    with pytest.raises(DecodeError) as info:
        adeunis_pulse.decode(h("4820000000010000000200"), 1)
    assert "trame 0x48" in str(info.value) and "non prise en charge" in str(info.value)


def test_adeunis_pulse_fields() -> None:
    fields = adeunis_pulse.DECODER.fields
    assert fields["pulse_count_a"] == ("generic.counter", "1")
    assert fields["flow_rate_b"] == ("generic.pulse_rate", "1/h")
    decoded = adeunis_pulse.decode(h("30e0150400030002000100"), 1)
    decoded |= adeunis_pulse.decode(h("46800000009f00000002"), 1)
    decoded |= adeunis_pulse.decode(h("47a00f780000"), 1)
    assert set(decoded) == set(fields)
