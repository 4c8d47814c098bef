"""Actility ThingPark (Wireless, Enterprise, Community), through its LRC–AS tunnel interface.

What the public documentation says, and where (copied with the samples in
``tests/connectivity/fixtures/thingpark/SOURCES.md``):

Reports (LRC → application server): one HTTP POST per report, a JSON document whose only
key names its type — ``DevEUI_uplink`` (uplink frame report: ``Time``, ``DevEUI``,
``FPort``, ``FCntUp``, ``payload_hex``, ``LrrRSSI``, ``LrrSNR``, ``Lrrid`` of the best
gateway, ``CustomerID``, ``ACKbit``…; numbers may be written as text, ``"-60.000000"``),
``DevEUI_notification`` (``Type`` ``join``, ``reset``, ``devstatusans`` with the battery
0–255 in ``Var1``), ``DevEUI_downlink_Sent`` (``DeliveryStatus`` 1 sent over the air, 0
not sent — "the downlink frame will have to be reinitiated by the Application Server" —
with ``DeliveryFailedCause1/2/3`` and the ``CorrelationID`` of the request),
``DevEUI_downlink_Rejected`` (``DownlinkRejectionCause``), ``DevEUI_location``…
The query string carries ``LrnDevEui``, ``LrnFPort``, ``LrnInfos``, ``AS_ID``, ``Time`` and
``Token`` = SHA-256 of the body elements (uplink: ``CustomerID + DevEUI + FPort + FCntUp +
payload_hex``; downlink sent report: ``CustomerID + DevEUI + FPort + FCntDn``), then
``LrnDevEui=…&LrnFPort=…&LrnInfos=…&AS_ID=…&Time=…`` (decoded values), then the tunnel
interface authentication key (the AS key). When the integration knows the AS key, Beffroi
checks that token on those two reports and refuses a report whose token is absent or wrong
(401): only ThingPark, which holds the key, can have signed it. The integration's own
secret is sent by ThingPark as a custom HTTP header of the connection
(``Authorization: Bearer …``), like the other network servers.

Downlinks (application server → LRC): ``POST {api_url}/thingpark/lrc/rest/downlink`` with
the parameters in the query string, in this order: ``DevEUI``, ``FPort``, ``Payload``
(hexadecimal), ``Confirmed=1`` for a confirmed downlink, ``ValidityTime`` (Beffroi's expiry
of the command: the LRC drops it from its queue past it), ``AS_ID``, ``Time`` (ISO 8601 of
the request; the LRC refuses one too far from its clock), ``CorrelationID`` (64 bits in
hexadecimal, echoed in the downlink sent report), then ``Token`` = SHA-256 of that query
string (decoded values) followed by the AS key. The LRC answers ``Request queued by LRC``.

Acknowledgements: an unconfirmed downlink is done once reported sent over the air; a
confirmed one when the device's next uplink carries ``ACKbit`` 1 (LoRaWAN's ACK bit, which
names no downlink: it acknowledges the device's oldest confirmed command still sent through
ThingPark, the LRC sending a device's queue in order). A report of a downlink not sent
(``DeliveryStatus`` 0) makes Beffroi send it again (with back-off, within its attempts).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, urlencode

from ...core import outbound
from ...core.clock import now_ms
from ...core.errors import Unauthorized
from ..payloads import PayloadError
from .base import (
    ConfigKey,
    DeviceEvent,
    Downlink,
    DownlinkReport,
    Inbound,
    NetworkServer,
    ParsedEvent,
    Target,
    Uplink,
    dev_eui,
    flatten,
    from_hex,
    instant,
    json_object,
    number,
    post,
)

LABEL = "Actility ThingPark"
DOWNLINK_PATH = "/thingpark/lrc/rest/downlink"
REPORTS = ("DevEUI_uplink", "DevEUI_notification", "DevEUI_downlink_Sent",
           "DevEUI_downlink_Rejected", "DevEUI_location", "DevEUI_multicast_summary")
SIGNED_QUERY = ("LrnDevEui", "LrnFPort", "LrnInfos", "AS_ID", "Time")
# Why a downlink was not sent over the air, per receive window (downlink frame sent report).
CAUSES = {
    "A0": "radio arrêtée", "A1": "émission radio arrêtée", "A2": "fenêtre indisponible",
    "A3": "radio occupée", "A4": "canal occupé (écoute avant émission)",
    "A5": "erreur de la carte radio", "B0": "reçue trop tard pour la fenêtre",
    "C0": "le LRC a choisi RX2", "D0": "limite de temps d'émission (passerelle)",
    "DA": "limite de temps d'émission (LRC)", "DB": "durée d'émission maximale (LRC)",
    "DC": "aucune passerelle synchronisée par GPS", "DD": "aucune passerelle connectée",
    "DE": "limite de temps d'émission refusée par l'opérateur partenaire",
    "DF": "NetID erroné", "E0": "délai maximal de la classe C dépassé"}
WINDOWS = (("DeliveryFailedCause1", "RX1"), ("DeliveryFailedCause2", "RX2"),
           ("DeliveryFailedCause3", "ping slot"))


def sign(text: str, as_key: str) -> str:
    """ThingPark's token: SHA-256, in hexadecimal, of ``text`` followed by the AS key as it
    was given (the published examples use it as is, upper-case digits included)."""
    return hashlib.sha256((text + as_key).encode()).hexdigest()


def _text(value: Any) -> str:
    """A body element as ThingPark wrote it, for the token."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(int(value))
    return str(value)


def _int(value: Any) -> int | None:
    result = number(value)
    return int(result) if result is not None and result == int(result) else None


def _check_token(inbound: Inbound, report: str, doc: dict[str, Any],
                 elements: tuple[str, ...]) -> None:
    key = inbound.config.get("as_key")
    if not key:
        return  # no AS key known: the integration's secret alone authenticates
    token = inbound.query.get("Token")
    if not token:
        raise Unauthorized(f"Rapport ThingPark {report} sans jeton « Token » alors que la clé "
                           "AS de l'intégration est renseignée.")
    body = "".join(_text(doc.get(name)) for name in elements)
    query = "&".join(f"{name}={inbound.query.get(name, '')}" for name in SIGNED_QUERY)
    expected = sign(body + query, key)
    if not hmac.compare_digest(expected.encode(), token.strip().lower().encode()):
        raise Unauthorized(f"Jeton « Token » du rapport ThingPark {report} incorrect : il "
                           "n'a pas été signé avec la clé AS de l'intégration.")


def _uplink(doc: dict[str, Any]) -> Uplink:
    eui = dev_eui(doc.get("DevEUI"), "rapport ThingPark DevEUI_uplink sans « DevEUI »",
                  "DevEUI_uplink.DevEUI")
    payload = from_hex(doc.get("payload_hex"), "payload_hex")
    problems: tuple[str, ...] = ()
    if _int(doc.get("PayloadEncryption")) == 1:
        problems = (f"trame {payload.hex()} chiffrée par ThingPark (PayloadEncryption 1) : "
                    "confiez la clé AppSKey du capteur à ThingPark pour la recevoir en clair",)
        payload = b""
    radio = {key: value for key, value in (("rssi", number(doc.get("LrrRSSI"))),
                                           ("snr", number(doc.get("LrrSNR"))),
                                           ("frame_counter", number(doc.get("FCntUp"))))
             if value is not None}
    decoded = doc.get("payload")  # ThingPark X: the object decoded by a driver
    message_id = f"{eui}:{_text(doc.get('FCntUp'))}:{_text(doc.get('Time'))}"
    return Uplink(eui, instant(doc.get("Time"), "DevEUI_uplink.Time"),
                  flatten(decoded) if isinstance(decoded, dict) and decoded else None,
                  payload, _int(doc.get("FPort")), radio,
                  str(doc["Lrrid"]) if doc.get("Lrrid") else None, message_id, problems)


def _notification(doc: dict[str, Any]) -> ParsedEvent:
    eui = dev_eui(doc.get("DevEUI"), "rapport ThingPark DevEUI_notification sans « DevEUI »",
                  "DevEUI_notification.DevEUI")
    kind = str(doc.get("Type") or "")
    if kind == "join":
        return ParsedEvent("join", device=DeviceEvent(eui))
    if kind == "devstatusans":
        level = _int(doc.get("Var1"))  # LoRaWAN DevStatusAns: 0 mains, 1–254, 255 unknown
        if level is None or not 0 <= level <= 255:
            raise PayloadError("« Var1 » d'une notification devstatusans doit être un entier "
                               "de 0 à 255 (batterie)")
        battery = round(level / 254 * 100, 1) if 1 <= level <= 254 else None
        return ParsedEvent("status", device=DeviceEvent(
            eui, battery, f"notification:{eui}:{_text(doc.get('Time'))}"))
    return ParsedEvent(f"notification {kind}" if kind else "notification")


def _causes(doc: dict[str, Any]) -> str:
    parts = []
    for field, window in WINDOWS:
        code = str(doc.get(field) or "00").upper()
        if code != "00":
            parts.append(f"{window} {code}" + (f" ({CAUSES[code]})" if code in CAUSES else ""))
    return " ; ".join(parts) or "cause non précisée"


def _sent(doc: dict[str, Any]) -> tuple[DownlinkReport, ...]:
    correlation = str(doc.get("CorrelationID") or "").upper()
    if not correlation:
        return ()  # a downlink Beffroi did not request
    eui = str(doc.get("DevEUI") or "").lower() or None
    if _int(doc.get("DeliveryStatus")) == 1:
        return (DownlinkReport("transmitted", correlation=correlation, dev_eui=eui),)
    return (DownlinkReport("retry", correlation=correlation, dev_eui=eui,
                           detail=f"ThingPark n'a pas pu émettre la commande : {_causes(doc)}."),)


def _rejected(doc: dict[str, Any]) -> tuple[DownlinkReport, ...]:
    eui = dev_eui(doc.get("DevEUI"), "rapport ThingPark DevEUI_downlink_Rejected sans "
                                     "« DevEUI »", "DevEUI_downlink_Rejected.DevEUI")
    cause = str(doc.get("DownlinkRejectionCause") or "cause non précisée")[:300]
    correlation = str(doc.get("CorrelationID") or "").upper() or None
    return (DownlinkReport("failed", correlation=correlation, dev_eui=eui,
                           detail=f"ThingPark a refusé la commande : {cause}"),)


def parse(inbound: Inbound) -> ParsedEvent:
    body = json_object(inbound.body)
    report = next((k for k in REPORTS if k in body), None)
    if report is None:
        raise PayloadError("document ThingPark sans type reconnu (" + ", ".join(REPORTS)
                           + ") : choisissez le format JSON pour la connexion")
    doc = body[report]
    if not isinstance(doc, dict):
        raise PayloadError(f"« {report} » doit être un objet JSON", field=report)
    if report == "DevEUI_uplink":
        if "payload_hex" not in doc and "rawJoinRequest" in doc:  # a join request
            return ParsedEvent("join", device=DeviceEvent(dev_eui(
                doc.get("DevEUI"), "rapport ThingPark DevEUI_uplink sans « DevEUI »",
                "DevEUI_uplink.DevEUI")))
        _check_token(inbound, report, doc, ("CustomerID", "DevEUI", "FPort", "FCntUp",
                                            "payload_hex"))
        up = _uplink(doc)
        acked = _int(doc.get("ACKbit")) == 1
        return ParsedEvent("up", uplink=up, reports=(
            DownlinkReport("acknowledged", dev_eui=up.dev_eui),) if acked else ())
    if report == "DevEUI_notification":
        return _notification(doc)
    if report == "DevEUI_downlink_Sent":
        _check_token(inbound, report, doc, ("CustomerID", "DevEUI", "FPort", "FCntDn"))
        return ParsedEvent(report, reports=_sent(doc))
    if report == "DevEUI_downlink_Rejected":
        return ParsedEvent(report, reports=_rejected(doc))
    return ParsedEvent(report)


def _iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, tz=UTC).isoformat(timespec="milliseconds")


def downlink_query(config: Mapping[str, str], target: Target, downlink: Downlink,
                   correlation: str, at_ms: int) -> str:
    """The query string of a downlink request, signed with the AS key."""
    params = [("DevEUI", target.dev_eui.upper()), ("FPort", str(downlink.f_port)),
              ("Payload", downlink.payload.hex())]
    if downlink.confirmed:
        params.append(("Confirmed", "1"))
    params += [("ValidityTime", _iso(downlink.expires_at)), ("AS_ID", config["as_id"]),
               ("Time", _iso(at_ms)), ("CorrelationID", correlation)]
    token = sign("&".join(f"{name}={value}" for name, value in params), config["as_key"])
    return urlencode([*params, ("Token", token)], quote_via=quote, safe="")


def send(config: Mapping[str, str], target: Target, downlink: Downlink,
         http: outbound.Client) -> str:
    base = config["api_url"].rstrip("/")
    url = base if base.endswith(DOWNLINK_PATH) else base + DOWNLINK_PATH
    correlation = secrets.token_hex(8).upper()
    query = downlink_query(config, target, downlink, correlation, now_ms())
    post(http, f"{url}?{query}", "ThingPark",
         headers={"Content-Type": "application/x-www-form-urlencoded"})
    return correlation


NETWORK_SERVER = NetworkServer(
    key="thingpark",
    label=LABEL,
    config_keys=(
        ConfigKey("api_url", "adresse de l'API ThingPark (https://api.thingpark.com)",
                  url=True),
        ConfigKey("as_id", "identifiant du serveur d'application (AS_ID du profil AS)"),
        ConfigKey("as_key", "clé d'authentification de l'interface tunnel (clé AS)",
                  secret=True, pattern=r"[0-9a-fA-F]{32}",
                  hint="32 chiffres hexadécimaux (clé de 128 bits) attendus"),
    ),
    parse=parse,
    send=send,
)
