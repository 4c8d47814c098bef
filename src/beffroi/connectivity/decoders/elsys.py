"""ELSYS sensors (ERS, ERS CO2, ERS Lite, ERS Eye, ERS Sound, EMS, ELT...).

The payload is a sequence of ``type (1 byte) | value``, the type fixing the
value's size (ELSYS' sensor payload table, as published with their decoder in
TheThingsNetwork/lorawan-devices vendor/elsys/elsys.js). Values are big-endian.
Decoded here, converted to SI/UCUM units:

====  =====================================  =====  ==================================
type  field(s)                               bytes  encoding
====  =====================================  =====  ==================================
0x01  temperature                            2      signed, 0.1 °C
0x02  humidity                               1      %
0x03  acceleration_x/_y/_z                   3      3 x signed 8 bits, 63 = 1 g
0x04  light                                  2      lux
0x05  motion                                 1      PIR motion count
0x06  co2                                    2      ppm
0x07  battery_voltage                        2      mV (given in V)
0x08  analog_input_1                         2      mV (given in V)
0x09  gps_latitude_raw / gps_longitude_raw   6      2 x 3 bytes, given raw (unscaled)
0x0A  pulse_count_1                          2      pulses since the previous uplink
0x0B  pulse_count_abs_1                      4      absolute pulse count
0x0C  external_temperature                   2      signed, 0.1 °C
0x0D  digital_input_1                        1      0 or 1
0x0E  distance                               2      mm (given in m)
0x0F  acc_motion                             1      accelerometer motion count
0x10  ir_internal/ir_external_temperature    4      2 x signed, 0.1 °C
0x11  occupancy                              1      0 free, 1 pending, 2 occupied
0x12  water_leak                             1      0..255
0x13  grideye_reference/_min/_max/_mean      65     reference °C + 64 pixels of 0.1 °C
0x14  pressure                               4      1/1000 hPa
0x15  sound_peak, sound_average              2      dB
0x16  pulse_count_2                          2      pulses since the previous uplink
0x17  pulse_count_abs_2                      4      absolute pulse count
0x18  analog_input_2                         2      mV (given in V)
0x19  external_temperature_2                 2      signed, 0.1 °C (repeatable)
0x1A  digital_input_2                        1      0 or 1
0x1B  load_cell_voltage                      4      signed µV (given in V)
0x1C  tvoc                                   2      ppb
0x3D  (debug, skipped)                       4
====  =====================================  =====  ==================================

A repeated type keeps its last value, except 0x19 whose repetitions are kept as
``external_temperature_2``, ``external_temperature_2_2``, ``external_temperature_2_3``...
The 64 Grid-EYE pixels are summarised (min, max, mean). Any other type is refused
with its offset: after an unknown type the rest of the payload cannot be cut. The
fPort is not used (ELSYS sensors send their data on a configurable port).
"""

from __future__ import annotations

from collections.abc import Callable

from ._base import DecodeError, Decoder, hex_byte, require_payload, signed, take, unsigned

Handler = Callable[[bytes, dict[str, float]], None]


def _set(name: str, divisor: float = 1, *, is_signed: bool = False) -> Handler:
    def handle(data: bytes, out: dict[str, float]) -> None:
        raw = signed(data) if is_signed else unsigned(data)
        out[name] = raw / divisor
    return handle


def _acceleration(data: bytes, out: dict[str, float]) -> None:
    for axis, byte in zip("xyz", data, strict=True):
        out[f"acceleration_{axis}"] = signed(bytes([byte])) / 63


def _gps(data: bytes, out: dict[str, float]) -> None:
    out["gps_latitude_raw"] = float(unsigned(data[0:3]))
    out["gps_longitude_raw"] = float(unsigned(data[3:6]))


def _ir_temperature(data: bytes, out: dict[str, float]) -> None:
    out["ir_internal_temperature"] = signed(data[0:2]) / 10
    out["ir_external_temperature"] = signed(data[2:4]) / 10


def _grideye(data: bytes, out: dict[str, float]) -> None:
    reference = data[0]
    pixels = data[1:]
    out["grideye_reference"] = float(reference)
    out["grideye_min"] = reference + min(pixels) / 10
    out["grideye_max"] = reference + max(pixels) / 10
    out["grideye_mean"] = reference + sum(pixels) / len(pixels) / 10


def _sound(data: bytes, out: dict[str, float]) -> None:
    out["sound_peak"] = float(data[0])
    out["sound_average"] = float(data[1])


def _external_temperature_2(data: bytes, out: dict[str, float]) -> None:
    name, n = "external_temperature_2", 1
    while name in out:
        n += 1
        name = f"external_temperature_2_{n}"
    out[name] = signed(data) / 10


def _ignore(data: bytes, out: dict[str, float]) -> None:
    return None


# type -> (size in bytes, French label for error messages, handler)
TYPES: dict[int, tuple[int, str, Handler]] = {
    0x01: (2, "température", _set("temperature", 10, is_signed=True)),
    0x02: (1, "humidité", _set("humidity")),
    0x03: (3, "accélération", _acceleration),
    0x04: (2, "éclairement", _set("light")),
    0x05: (1, "mouvements (PIR)", _set("motion")),
    0x06: (2, "CO2", _set("co2")),
    0x07: (2, "tension d'alimentation", _set("battery_voltage", 1000)),
    0x08: (2, "entrée analogique 1", _set("analog_input_1", 1000)),
    0x09: (6, "position GPS", _gps),
    0x0A: (2, "impulsions 1", _set("pulse_count_1")),
    0x0B: (4, "index d'impulsions 1", _set("pulse_count_abs_1")),
    0x0C: (2, "température externe", _set("external_temperature", 10, is_signed=True)),
    0x0D: (1, "entrée numérique 1", _set("digital_input_1")),
    0x0E: (2, "distance", _set("distance", 1000)),
    0x0F: (1, "mouvements (accéléromètre)", _set("acc_motion")),
    0x10: (4, "température infrarouge", _ir_temperature),
    0x11: (1, "occupation", _set("occupancy")),
    0x12: (1, "fuite d'eau", _set("water_leak")),
    0x13: (65, "Grid-EYE", _grideye),
    0x14: (4, "pression", _set("pressure", 1000)),
    0x15: (2, "niveau sonore", _sound),
    0x16: (2, "impulsions 2", _set("pulse_count_2")),
    0x17: (4, "index d'impulsions 2", _set("pulse_count_abs_2")),
    0x18: (2, "entrée analogique 2", _set("analog_input_2", 1000)),
    0x19: (2, "température externe 2", _external_temperature_2),
    0x1A: (1, "entrée numérique 2", _set("digital_input_2")),
    0x1B: (4, "tension de cellule de charge", _set("load_cell_voltage", 1_000_000,
                                                      is_signed=True)),
    0x1C: (2, "COV totaux", _set("tvoc")),
    0x3D: (4, "débogage", _ignore),
}


def decode(payload: bytes, fport: int | None = None) -> dict[str, float]:
    payload = require_payload(payload)
    values: dict[str, float] = {}
    offset = 0
    while offset < len(payload):
        code = payload[offset]
        entry = TYPES.get(code)
        if entry is None:
            raise DecodeError(f"type de donnée ELSYS inconnu {hex_byte(code)} à l'offset {offset}",
                              offset=offset)
        size, label, handler = entry
        data = take(payload, offset + 1, size, f"la valeur « {label} » (type {hex_byte(code)})")
        handler(data, values)
        offset += 1 + size
    return values


FIELDS: dict[str, tuple[str, str]] = {
    "temperature": ("air.temperature", "Cel"),
    "humidity": ("air.humidity", "%"),
    "acceleration_x": ("device.acceleration_x", "[g]"),
    "acceleration_y": ("device.acceleration_y", "[g]"),
    "acceleration_z": ("device.acceleration_z", "[g]"),
    "light": ("air.illuminance", "lx"),
    "motion": ("occupancy.motion", "1"),
    "co2": ("air.co2", "[ppm]"),
    "battery_voltage": ("device.battery_voltage", "V"),
    "analog_input_1": ("generic.voltage", "V"),
    "gps_latitude_raw": ("generic.value", "1"),
    "gps_longitude_raw": ("generic.value", "1"),
    "pulse_count_1": ("generic.pulses", "1"),
    "pulse_count_abs_1": ("generic.counter", "1"),
    "external_temperature": ("generic.temperature", "Cel"),
    "digital_input_1": ("generic.state", "1"),
    "distance": ("generic.distance", "m"),
    "acc_motion": ("device.motion", "1"),
    "ir_internal_temperature": ("generic.temperature", "Cel"),
    "ir_external_temperature": ("generic.temperature", "Cel"),
    "occupancy": ("occupancy.state", "1"),
    "water_leak": ("water.leak", "1"),
    "grideye_reference": ("generic.temperature", "Cel"),
    "grideye_min": ("generic.temperature", "Cel"),
    "grideye_max": ("generic.temperature", "Cel"),
    "grideye_mean": ("generic.temperature", "Cel"),
    "pressure": ("air.pressure", "hPa"),
    "sound_peak": ("sound.level_peak", "dB"),
    "sound_average": ("sound.level_average", "dB"),
    "pulse_count_2": ("generic.pulses", "1"),
    "pulse_count_abs_2": ("generic.counter", "1"),
    "analog_input_2": ("generic.voltage", "V"),
    "external_temperature_2": ("generic.temperature", "Cel"),
    "external_temperature_2_2": ("generic.temperature", "Cel"),
    "external_temperature_2_3": ("generic.temperature", "Cel"),
    "digital_input_2": ("generic.state", "1"),
    "load_cell_voltage": ("generic.voltage", "V"),
    "tvoc": ("air.tvoc", "[ppb]"),
}

DECODER = Decoder(
    key="elsys",
    label="ELSYS (ERS, EMS, ELT)",
    decode=decode,
    fields=FIELDS,
)
