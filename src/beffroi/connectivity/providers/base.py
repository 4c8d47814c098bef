"""The contract every LoRaWAN network server meets in Beffroi, and what providers share.

A network server (ChirpStack, The Things Stack, ThingPark…) is one ``NetworkServer``
object in one module, registered under the ``beffroi.network_servers`` entry-point group
(see ``providers/__init__.py``). It says three things and nothing more:

- ``config_keys``: what an integration of this kind is configured with (the downlink API's
  address, a key…), each checked when saved; secret ones are never shown back.
- ``parse(inbound) -> ParsedEvent``: what one request the server posted to
  ``/api/v1/integrations/{id}/{key}`` means — an uplink, a device event (join, battery), and
  reports on downlinks (queued, transmitted, acknowledged, failed) naming the command by
  the correlation ``send`` returned, by its id, or by the device. Raise ``PayloadError``
  (French) for an event that cannot be read.
- ``send(config, target, downlink, http) -> correlation``: hand one downlink to the
  server's API through ``http`` (``post`` below: public addresses only, errors mapped to
  ``SendError``), and return what its later reports will carry to name it.

Providers never touch the database: ``network_servers`` stores uplinks and device events,
``downlinks`` runs the command state machine of core (``core.commands``) from the reports.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import orjson

from ...core import outbound
from ...core.clock import parse_instant
from ..payloads import PayloadError, parse_json

KEY_RE = re.compile(r"^[a-z][a-z0-9-]{1,19}$")  # stored in integrations.kind, commands.channel
CONFIG_VALUE_MAX = 500
USER_AGENT = "beffroi"


@dataclass(frozen=True)
class ConfigKey:
    """One setting of an integration, checked when it is saved."""

    name: str  # snake_case key of the integration's ``config``
    label: str  # French, shown in help and errors
    secret: bool = False  # never shown back: the API only says ``{name}_set``
    url: bool = False  # an address Beffroi calls: http(s), public (``core.outbound``)
    pattern: str | None = None  # a regular expression the whole value must match
    hint: str = ""  # French: what is expected when the pattern does not match
    required: bool = True  # needed to send downlinks


@dataclass(frozen=True)
class Inbound:
    """One request a network server posted to its integration's endpoint."""

    body: bytes
    query: Mapping[str, str]  # decoded query parameters
    config: Mapping[str, str]  # the integration's configuration, secrets included


@dataclass(frozen=True)
class Uplink:
    """A frame a device sent, as the network server reports it."""

    dev_eui: str  # 16 lower-case hexadecimal digits
    time_ms: int | None
    fields: dict[str, float] | None  # the network server's decoded object, flattened
    payload: bytes
    f_port: int | None
    radio: dict[str, float] = field(default_factory=dict)  # rssi, snr, frame_counter
    gateway: str | None = None
    # The server's own id of the event, as it sent it: recognises a retry. Where it is used
    # (network_servers), anything but a non-empty string is ignored (``message_id``, for
    # plug-in providers too): the body's own digest recognises a retry then.
    message_id: Any = None
    problems: tuple[str, ...] = ()  # French: why the bytes cannot be decoded (encrypted…)


@dataclass(frozen=True)
class DeviceEvent:
    """A device that joined (it is alive) or reported its battery."""

    dev_eui: str
    battery: float | None = None  # percent
    message_id: Any = None  # as the server sent it: see Uplink.message_id


# What happened to a downlink: queued by the server; transmitted over the air (the most a
# LoRaWAN network can tell of an unconfirmed downlink); acknowledged by the device;
# requeued (not acknowledged, the server sends it again by itself); retry (not sent or not
# acknowledged, and the server gave up: Beffroi sends it again); failed (for good).
Outcome = Literal["queued", "transmitted", "acknowledged", "requeued", "retry", "failed"]


@dataclass(frozen=True)
class DownlinkReport:
    """A network server's news of one downlink.

    It names the command by ``command_id`` (the server echoes an id Beffroi chose), else
    by ``correlation`` (what ``send`` returned), else — LoRaWAN's ACK bit names no
    downlink — by ``dev_eui`` alone: the oldest command still ``sent`` to that device
    through this server (the confirmed ones only for an acknowledgement).
    """

    outcome: Outcome
    correlation: str | None = None
    command_id: int | None = None
    dev_eui: str | None = None  # checked against the command's device when given
    detail: str | None = None  # French: why it failed or was not acknowledged


@dataclass(frozen=True)
class ParsedEvent:
    """What one posted request means; an event with none of these is accepted and ignored."""

    event: str  # "up", "join", "status", or the server's own name ("txack", "downlink_ack"…)
    uplink: Uplink | None = None
    device: DeviceEvent | None = None
    reports: tuple[DownlinkReport, ...] = ()


@dataclass(frozen=True)
class Target:
    """The device a downlink goes to."""

    dev_eui: str
    properties: Mapping[str, Any]  # the device's free properties (``tts_device_id``…)


@dataclass(frozen=True)
class Downlink:
    """One command as bytes for the device."""

    command_id: int
    f_port: int
    payload: bytes
    confirmed: bool  # ask the device to acknowledge it
    expires_at: int  # epoch ms: past it, the command expires in Beffroi


Parse = Callable[[Inbound], ParsedEvent]
Send = Callable[[Mapping[str, str], Target, Downlink, outbound.Client], "str | None"]


@dataclass(frozen=True)
class NetworkServer:
    """A LoRaWAN network server Beffroi receives events from and sends downlinks through."""

    key: str  # the integration's kind and the end of its endpoint: "chirpstack"
    label: str  # "ChirpStack v4"
    config_keys: tuple[ConfigKey, ...]
    parse: Parse
    send: Send
    # French, added where the endpoint is given to the user ("?event=…" for ChirpStack).
    endpoint_hint: str = ""

    def config_key(self, name: str) -> ConfigKey | None:
        return next((k for k in self.config_keys if k.name == name), None)

    def downlink_keys(self) -> tuple[ConfigKey, ...]:
        return tuple(k for k in self.config_keys if k.required)


class SendError(Exception):
    """A hand-over that did not happen; ``retryable`` tells whether to try again."""

    def __init__(self, message: str, *, retryable: bool) -> None:
        super().__init__(message)
        self.message = message
        self.retryable = retryable


# -- what parsers share ---------------------------------------------------------------------
# A field the event cannot be read without (the device, its time, its bytes, its frame
# counter) is refused when it has the wrong JSON type, naming the field and what is expected
# (``PayloadError(field=…)``: 422, the network server does not post it again); one that only
# helps (the message id, the port, the gateway, radio levels) is ignored when malformed, so
# that the readings are kept.
FRAME_COUNTER_MAX = 2**32 - 1  # LoRaWAN frame counters are 32-bit


def shown(value: Any) -> str:
    """A JSON value as an error quotes it (``"abc"``, ``{"a":1}``), 40 characters at most."""
    try:
        text = orjson.dumps(value).decode()
    except TypeError:
        text = repr(value)
    return text if len(text) <= 40 else text[:39] + "…"


def wrong(field: str, expected: str, value: Any) -> PayloadError:
    """« fCnt » : entier … attendu, reçu "abc" — the error of a field of the wrong type."""
    return PayloadError(f"« {field} » : {expected}, reçu {shown(value)}", field=field)


def object_at(value: Any, field: str) -> dict[str, Any]:
    """A JSON object of the event ({} when absent); PayloadError naming ``field`` otherwise."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise wrong(field, "objet JSON attendu", value)
    return value


def frame_counter(value: Any, field: str) -> float | None:
    """A frame counter: a whole number from 0 to 2³²−1, written as a number or as text
    (protobuf's JSON mapping accepts both); None when absent; PayloadError naming ``field``
    otherwise."""
    if value is None:
        return None
    if isinstance(value, str) and value.isascii() and value.isdigit():
        count: Any = int(value)
    elif isinstance(value, float) and value.is_integer():
        count = int(value)
    else:
        count = value
    if type(count) is not int or not 0 <= count <= FRAME_COUNTER_MAX:
        raise wrong(field, f"entier de 0 à {FRAME_COUNTER_MAX} attendu", value)
    return float(count)


def message_id(value: Any) -> str | None:
    """The network server's id of an event, or None when it is not a non-empty string: an
    id only recognises a retry, the event is stored without it."""
    return value if isinstance(value, str) and value.strip() else None


def f_port(value: Any) -> int | None:
    """A LoRaWAN port (0 to 255), or None when absent or malformed (decoders do without)."""
    return value if type(value) is int and 0 <= value <= 255 else None


def text_or_none(value: Any) -> str | None:
    """A non-empty string, or None (a gateway's id of another type is left out)."""
    return value if isinstance(value, str) and value else None


def strongest(rx: Any) -> dict[str, Any]:
    """The reception of the best gateway (highest RSSI) in a list of them ({} when none)."""
    if not isinstance(rx, list):
        return {}
    candidates = [r for r in rx if isinstance(r, dict)]
    return max(candidates, key=lambda r: _rssi(r.get("rssi")), default={})


def _rssi(value: Any) -> float:
    level = number(value)
    return -999.0 if level is None else level


def radio_levels(best: Mapping[str, Any]) -> dict[str, float]:
    """``rssi`` and ``snr`` of a gateway's reception, those that are numbers."""
    return {key: level for key in ("rssi", "snr")
            if (level := number(best.get(key))) is not None}


def json_object(raw: bytes) -> dict[str, Any]:
    """The JSON object of a request body; PayloadError (French) otherwise."""
    if not raw.strip():
        raise PayloadError("corps de requête vide : un événement JSON est attendu")
    doc = parse_json(raw)
    if not isinstance(doc, dict):
        raise PayloadError("objet JSON attendu")
    return doc


def flatten(obj: Any, prefix: str = "") -> dict[str, float]:
    """Numeric leaves of a decoded object as ``a_b_c`` fields (booleans as 0/1)."""
    out: dict[str, float] = {}
    if isinstance(obj, dict):
        for key, value in obj.items():
            out.update(flatten(value, f"{prefix}{key}_" if isinstance(value, dict)
                               else f"{prefix}{key}"))
    elif isinstance(obj, bool):
        out[prefix] = 1.0 if obj else 0.0
    elif isinstance(obj, int | float):
        out[prefix] = float(obj)
    return out


def from_base64(text: Any, what: str) -> bytes:
    if text in (None, ""):
        return b""
    try:
        return base64.b64decode(str(text), validate=True)
    except (binascii.Error, ValueError):
        raise PayloadError(f"« {what} » n'est pas du base64 valide",
                           field=what) from None


def from_hex(text: Any, what: str) -> bytes:
    if text in (None, ""):
        return b""
    try:
        return bytes.fromhex(str(text))
    except ValueError:
        raise PayloadError(f"« {what} » n'est pas de l'hexadécimal valide",
                           field=what) from None


def instant(text: Any, field: str | None = None) -> int | None:
    """Epoch ms of an ISO 8601 time with its offset; None when absent. PayloadError (naming
    ``field`` when given) otherwise."""
    if not text:
        return None
    try:
        return parse_instant(text)
    except ValueError as exc:
        where = f"« {field} » : " if field else ""
        raise PayloadError(f"{where}horodatage invalide : {exc}", field=field) from None


def number(value: Any) -> float | None:
    """A number sent as a number or as text ("-60.000000"); None when absent or not one."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            result = float(value)
        except ValueError:
            return None
        return result if result == result and abs(result) != float("inf") else None
    return None


def dev_eui(value: Any, missing: str, field: str | None = None) -> str:
    """A DevEUI in lower case; PayloadError(``missing``, French) when there is none, and
    naming ``field`` (default « DevEUI ») when it is not text."""
    if value is not None and not isinstance(value, str):
        raise wrong(field or "DevEUI", "texte attendu (16 chiffres hexadécimaux)", value)
    text = (value or "").strip().lower()
    if not text:
        raise PayloadError(missing, field=field)
    return text


# -- what senders share ---------------------------------------------------------------------
def post(client: outbound.Client, url: str, server: str, *, content: bytes = b"",
         headers: Mapping[str, str] | None = None) -> outbound.Reply:
    """POST to a network server's API through the outbound guard.

    2xx → the reply; 408, 425, 429, 5xx, time-outs and connection errors → SendError to
    retry; any other answer → SendError for good. Messages give the HTTP status, never
    the server's words nor the socket's (a hostile admin must not map the network).
    """
    try:
        reply = outbound.post(client, url, content=content,
                              headers={"User-Agent": USER_AGENT, **(headers or {})})
    except outbound.OutboundError as exc:
        raise SendError(f"{server} : {exc.message}.", retryable=exc.retryable) from None
    status = reply.status
    if reply.ok:
        return reply
    if status in (408, 425, 429) or status >= 500:
        raise SendError(f"{server} indisponible (HTTP {status}).", retryable=True)
    reason = {401: "clé d'API refusée", 403: "clé d'API sans le droit d'envoyer des commandes",
              404: "équipement ou application inconnu du serveur réseau"}.get(
        status, "commande refusée")
    raise SendError(f"{server} : {reason} (HTTP {status}).", retryable=False)


def post_json(client: outbound.Client, url: str, server: str, body: Any,
              bearer: str) -> Any:
    """POST a JSON body with a bearer key; the answer's JSON ({} when there is none)."""
    reply = post(client, url, server, content=orjson.dumps(body),
                 headers={"Authorization": f"Bearer {bearer}",
                          "Content-Type": "application/json", "Accept": "application/json"})
    try:
        return orjson.loads(reply.body) if reply.body else {}
    except orjson.JSONDecodeError:
        return {}
