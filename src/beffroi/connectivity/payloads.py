"""Device payloads carried over MQTT: SenML JSON (RFC 8428) and Beffroi's native JSON.

Both become a list of readings (field name, time, value) that the device's
mapping turns into observations. Errors are French and say what is wrong.

Native JSON::

    {"time": "2026-11-23T08:00:00Z", "values": {"temperature": 21.5, "co2": 640},
     "battery": 87}

``time`` is optional (the reception time is used); ``battery`` (%) too.

SenML (RFC 8428 §4): a JSON array of records; base fields ``bn``, ``bt``, ``bu``,
``bv`` apply to the following records; ``n`` + ``bn`` names the field; ``t`` is
relative to ``bt``; a time below 2**28 is relative to now (§4.5.3); only numeric
values (``v``, or ``vb`` as 0/1) are stored, ``vs``/``vd`` are refused.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import orjson

from ..core import storable
from ..core.clock import parse_instant
from ..core.textfiles import json_error_text

SENML_RELATIVE_LIMIT = 2 ** 28  # RFC 8428 §4.5.3: smaller times are relative to now


class PayloadError(ValueError):
    """The payload cannot be read at all (French message); ``field``, when given, is the
    field at fault (``fCnt``, ``deviceInfo.devEui``): the API names it in its ``errors``."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


@dataclass
class Reading:
    name: str
    value: float
    time_ms: int | None = None  # None: reception time


@dataclass
class Payload:
    readings: list[Reading] = field(default_factory=list)
    battery: float | None = None
    problems: list[str] = field(default_factory=list)  # records skipped, with reasons


def parse_json(raw: bytes) -> Any:
    """The JSON document of a device's or a network server's message; PayloadError when it
    is malformed or names a key twice in one object (which of the two values counts would be
    the parser's choice), naming the key and where it is."""
    try:
        doc = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise PayloadError(f"JSON mal formé : {json_error_text(exc)}") from None
    found = storable.duplicate_keys(raw, doc)
    if found:
        path, key = found[0]
        raise PayloadError(f"JSON ambigu : {storable.duplicate_reason(path, key)}",
                           field=storable.dotted((*path, key)))
    return doc


def parse(raw: bytes, now_ms: int) -> Payload:
    """SenML when the document is an array, native JSON when it is an object."""
    doc = parse_json(raw)
    if isinstance(doc, list):
        return parse_senml(doc, now_ms)
    if isinstance(doc, dict):
        return parse_native(doc)
    raise PayloadError("Document JSON attendu : tableau SenML ou objet {\"values\": {…}}.")


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def parse_native(doc: dict[str, Any]) -> Payload:
    values = doc.get("values")
    if not isinstance(values, dict) or not values:
        raise PayloadError("Objet « values » attendu, par exemple {\"values\": {\"temperature\": 21.5}}.")
    unknown = sorted(set(doc) - {"time", "values", "battery"})
    if unknown:
        raise PayloadError(f"Champs inconnus : {', '.join(unknown)} (attendus : time, values, battery).")
    time_ms = None
    if doc.get("time") is not None:
        try:
            time_ms = parse_instant(doc["time"])
        except ValueError as exc:
            raise PayloadError(f"Horodatage « time » invalide : {exc}") from None
    out = Payload()
    for name, raw_value in values.items():
        value = _number(raw_value)
        if value is None:
            out.problems.append(f"« {name} » : valeur numérique attendue, reçu {raw_value!r:.40}")
            continue
        out.readings.append(Reading(str(name), value, time_ms))
    if doc.get("battery") is not None:
        out.battery = _number(doc["battery"])
        if out.battery is None:
            out.problems.append("« battery » : valeur numérique attendue")
    return out


def parse_senml(records: list[Any], now_ms: int) -> Payload:
    out = Payload()
    base_name, base_time, base_value = "", 0.0, 0.0
    for index, record in enumerate(records):
        if not isinstance(record, dict):
            out.problems.append(f"enregistrement {index} : objet attendu")
            continue
        if "bn" in record:
            base_name = str(record["bn"])
        if "bt" in record:
            bt = _number(record["bt"])
            if bt is None:
                out.problems.append(f"enregistrement {index} : « bt » numérique attendu")
                continue
            base_time = bt
        if "bv" in record:
            base_value = _number(record["bv"]) or 0.0
        if not any(k in record for k in ("v", "vb", "vs", "vd", "s")):
            continue  # a record carrying only base fields
        name = base_name + str(record.get("n", ""))
        if not name:
            out.problems.append(f"enregistrement {index} : nom (« bn » + « n ») absent")
            continue
        if "v" in record:
            value = _number(record["v"])
        elif "vb" in record and isinstance(record["vb"], bool):
            value = 1.0 if record["vb"] else 0.0
        else:
            out.problems.append(f"« {name} » : seules les valeurs numériques (v, vb) sont acceptées")
            continue
        if value is None:
            out.problems.append(f"« {name} » : valeur numérique attendue")
            continue
        t = _number(record.get("t", 0))
        if t is None:
            out.problems.append(f"« {name} » : « t » numérique attendu")
            continue
        seconds = base_time + t
        if base_time == 0 and "t" not in record:
            time_ms = None
        elif abs(seconds) < SENML_RELATIVE_LIMIT:
            time_ms = now_ms + round(seconds * 1000)
        else:
            time_ms = round(seconds * 1000)
        out.readings.append(Reading(name, value + base_value, time_ms))
    if not out.readings and not out.problems:
        raise PayloadError("SenML sans aucune mesure.")
    return out
