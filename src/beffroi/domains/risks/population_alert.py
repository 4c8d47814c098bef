"""Population alert: templates per risk, composition, channels and the delivery log.

Plain-function API (routes in ``population_alert_routes``, under
``/api/v1/tenants/{tenant}/risks/``):

- ``list_templates(scope, conn)`` / ``save_template(scope, conn, risk, data)`` /
  ``reset_template`` — one template per risk (``RISKS``: crue, canicule, feu_de_foret,
  autre), built-in wording unless the tenant saved its own. Placeholders: ``{commune}``,
  ``{level}``, ``{time}``, ``{advice}`` (no other is accepted when a template is saved).
- ``channel_settings`` / ``update_channels(scope, conn, data)`` (administrators): the
  e-mail list and the SMS gateway (URL, phone numbers; each recipient optionally limited
  to some communes). The gateway's signing secret is made by Beffroi and shown once.
- ``preview(scope, conn, registry, data)`` then ``compose(scope, conn, registry, data, now)``
  (agents and administrators): the alert and its deliveries, queued; ``send_due(db, now)``
  sends what is due (the route calls it right after composing; the ``risks.population_alert``
  job retries failed SMS webhook calls and e-mails with a growing delay). The same alert
  (same targets, channels and message) sent again within ``RESEND_WINDOW_MS`` is refused
  (``Conflict``, 409): a double click, two agents at once, a retry after a lost answer.
- ``list_alerts`` / ``alert_detail`` (the delivery log, recipient by recipient, for agents
  and administrators only: it holds addresses and phone numbers) / ``withdraw_banner``.

Targets: communes (INSEE codes of the territory) and flood zones (``risks.flood_zone``
assets); a zone reaches the commune it lies in. A recipient limited to some communes gets
the alert only if one of them is reached; an agent limited to some communes can only
target those.

Channels:
- ``email``: one e-mail per address, through the project's SMTP sending
  (``notifications.email``);
- ``sms``: one signed ``POST`` per phone number to the operator's gateway, as Beffroi's
  webhooks are (``notifications.webhooks``: ``X-Beffroi-Timestamp``,
  ``X-Beffroi-Signature: sha256=HMAC(secret, f"{timestamp}.{body}")``,
  ``X-Beffroi-Event: population_alert``, ``X-Beffroi-Delivery``), through
  ``core.outbound`` (public addresses only, checked when saved and at each call, no
  redirect); body ``{"alert_id", "delivery_id", "to", "message", "risk", "level",
  "communes"}``;
- ``banner``: the territory's public page (``/territoires/{siren}/indicateurs``) shows the
  alert until ``banner_hours`` have passed (setting ``public_banner``; escaped there).
"""

from __future__ import annotations

import re
import secrets
import string
from collections.abc import Mapping
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import orjson
from sqlalchemy import Connection, and_, delete, or_, select, update

from ...core import outbound
from ...core.access import TenantScope
from ...core.clock import format_instant, parse_instant
from ...core.errors import Conflict, Invalid, NotFound
from ...core.registry import Registry
from ...notifications.email import Mailer, MailError
from ...notifications.messages import public_url
from ...notifications.webhooks import DeliveryError, deliver
from ...storage import schema
from ...storage.database import Database

RISKS = {"crue": "Crue", "canicule": "Canicule", "feu_de_foret": "Feu de forêt",
         "autre": "Autre risque"}
LEVELS = ("jaune", "orange", "rouge")
CHANNELS = ("email", "sms", "banner")
PLACEHOLDERS = ("commune", "level", "time", "advice")
ZONE_KIND = "risks.flood_zone"
SECRET_PREFIX = "bsms_"
EVENT = "population_alert"
MAX_ATTEMPTS = 5
RETRY_DELAYS_S = (60, 300, 900, 3600)  # after the 1st, 2nd, 3rd, 4th failure
DEFAULT_BANNER_HOURS = 24
MAX_RECIPIENTS = 500
# The same alert sent again within this window is refused: residents must not get it twice
# (a double click, two posts of the crisis cell at once, a retry after a lost answer). A
# deliberate re-send waits for the window's end, or changes something (level, advice…).
RESEND_WINDOW_MS = 120_000
_PHONE = re.compile(r"^\+[1-9]\d{7,14}$")  # E.164
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,190}\.[^@\s]{2,}$")

DEFAULT_TEMPLATES: dict[str, tuple[str, str]] = {
    "crue": ("Alerte crue — vigilance {level} — {commune}",
             "Vigilance {level} crue sur {commune} à partir du {time}. Le niveau des cours "
             "d'eau monte. {advice} Ne vous engagez pas sur une route inondée. Suivez les "
             "consignes de la mairie."),
    "canicule": ("Alerte canicule — vigilance {level} — {commune}",
                 "Vigilance {level} canicule sur {commune} à partir du {time}. {advice} "
                 "Buvez de l'eau régulièrement, restez au frais et prenez des nouvelles de "
                 "vos proches isolés."),
    "feu_de_foret": ("Alerte feu de forêt — danger {level} — {commune}",
                     "Danger {level} de feu de forêt sur {commune} à partir du {time}. "
                     "{advice} N'allumez aucun feu, ne jetez pas de mégot ; en cas "
                     "d'incendie, appelez le 18 ou le 112."),
    "autre": ("Alerte — vigilance {level} — {commune}",
              "Vigilance {level} sur {commune} à partir du {time}. {advice}"),
}
SUBJECT_MAX, BODY_MAX, ADVICE_MAX = 200, 2000, 1000


# -- templates ---------------------------------------------------------------------------------
def _placeholder_errors(text: str, field: str) -> list[dict[str, str]]:
    try:
        parsed = list(string.Formatter().parse(text))
    except ValueError:
        return [{"field": field, "message": "accolades mal formées (écrivez {commune}, "
                                            "{level}, {time} ou {advice})"}]
    errors = []
    for _, name, spec, conversion in parsed:
        if name is None:
            continue
        if name not in PLACEHOLDERS or spec or conversion:
            errors.append({"field": field, "message": f"champ « {{{name}}} » inconnu (champs "
                                                      "possibles : {commune}, {level}, {time}, "
                                                      "{advice})"})
    return errors


def _check_risk(risk: str) -> str:
    if risk not in RISKS:
        raise NotFound(f"Risque « {risk[:40]} » inconnu (crue, canicule, feu_de_foret, autre).")
    return risk


def list_templates(scope: TenantScope, conn: Connection) -> list[dict[str, Any]]:
    scope.require("read")
    t = schema.risk_alert_templates
    own = {r.risk: r for r in conn.execute(select(t).where(scope.owns(t)))}
    out = []
    for risk, label in RISKS.items():
        row = own.get(risk)
        subject, body = (row.subject, row.body) if row else DEFAULT_TEMPLATES[risk]
        out.append({"risk": risk, "label": label, "subject": subject, "body": body,
                    "custom": row is not None,
                    "updated_at": format_instant(row.updated_at) if row else None})
    return out


def template(scope: TenantScope, conn: Connection, risk: str) -> dict[str, Any]:
    _check_risk(risk)
    return next(t for t in list_templates(scope, conn) if t["risk"] == risk)


def save_template(scope: TenantScope, conn: Connection, risk: str, data: Any,
                  now: int) -> dict[str, Any]:
    """The tenant's own wording of a risk's alert (agents and administrators)."""
    scope.require("write")
    _check_risk(risk)
    if not isinstance(data, dict):
        raise Invalid("Objet JSON attendu.")
    errors = [{"field": k, "message": "champ inconnu (attendus : subject, body)"}
              for k in sorted(set(data) - {"subject", "body"})]
    for key, limit in (("subject", SUBJECT_MAX), ("body", BODY_MAX)):
        value = data.get(key)
        if not isinstance(value, str) or not value.strip() or len(value) > limit:
            errors.append({"field": key, "message": f"texte de 1 à {limit} caractères attendu"})
        else:
            errors.extend(_placeholder_errors(value, key))
    if errors:
        raise Invalid("Modèle d'alerte invalide.", errors=errors)
    t = schema.risk_alert_templates
    conn.execute(delete(t).where(scope.owns(t), t.c.risk == risk))
    conn.execute(t.insert().values(tenant_id=scope.tenant_id, risk=risk,
                                   subject=data["subject"].strip(), body=data["body"].strip(),
                                   updated_at=now))
    scope.audit(conn, "update", "risk_alert_template", risk, data)
    return template(scope, conn, risk)


def reset_template(scope: TenantScope, conn: Connection, risk: str) -> dict[str, Any]:
    scope.require("write")
    _check_risk(risk)
    t = schema.risk_alert_templates
    conn.execute(delete(t).where(scope.owns(t), t.c.risk == risk))
    scope.audit(conn, "delete", "risk_alert_template", risk)
    return template(scope, conn, risk)


# -- channels ----------------------------------------------------------------------------------
def _channels_row(scope: TenantScope, conn: Connection) -> Any:
    c = schema.risk_alert_channels
    return conn.execute(select(c).where(scope.owns(c))).first()


def channel_settings(scope: TenantScope, conn: Connection) -> dict[str, Any]:
    """The e-mail list, the phone numbers and the gateway's URL (never its secret)."""
    scope.require("admin")
    row = _channels_row(scope, conn)
    return {"emails": orjson.loads(row.emails) if row else [],
            "phones": orjson.loads(row.phones) if row else [],
            "sms_url": row.sms_url if row else None,
            "sms_secret_set": bool(row and row.sms_secret)}


def _own_host(url: str) -> bool:
    """The URL leads back to this Beffroi (its public address): refused as a gateway."""
    return (urlsplit(url).hostname or "").lower() == (urlsplit(public_url()).hostname or "")


def _recipients(value: Any, field: str, key: str, pattern: re.Pattern, what: str,
                communes: set[str], errors: list[dict[str, str]]) -> list[dict[str, Any]]:
    if not isinstance(value, list) or len(value) > MAX_RECIPIENTS:
        errors.append({"field": field, "message": f"liste de {MAX_RECIPIENTS} destinataires "
                                                  "au plus attendue"})
        return []
    out, seen = [], set()
    for i, item in enumerate(value):
        if isinstance(item, str):
            item = {key: item}
        where = f"{field}[{i}]"
        if not isinstance(item, dict) or set(item) - {key, "communes"}:
            errors.append({"field": where, "message": f"objet {{{key}, communes}} attendu"})
            continue
        address = item.get(key)
        address = address.strip() if isinstance(address, str) else address
        if not isinstance(address, str) or not pattern.match(address):
            errors.append({"field": f"{where}.{key}", "message": f"{what} invalide"})
            continue
        if address.lower() in seen:
            errors.append({"field": f"{where}.{key}", "message": f"{what} en double"})
            continue
        seen.add(address.lower())
        limited = item.get("communes")
        if limited is not None:
            if (not isinstance(limited, list) or not limited
                    or not all(isinstance(c, str) for c in limited)):
                errors.append({"field": f"{where}.communes",
                               "message": "liste de codes INSEE ou null attendue"})
                continue
            unknown = sorted(set(limited) - communes)
            if unknown:
                errors.append({"field": f"{where}.communes", "message": "communes inconnues "
                               f"dans ce territoire : {', '.join(unknown)}"})
                continue
            limited = sorted(set(limited))
        out.append({key: address, "communes": limited})
    return out


def update_channels(scope: TenantScope, conn: Connection, data: Any,
                    now: int) -> dict[str, Any]:
    """Change the channels (administrators). ``sms_url`` null removes the gateway;
    ``rotate_secret: true`` makes a new secret. The answer holds ``sms_secret`` only when
    one was just made (first gateway URL or rotation): it is never shown again."""
    scope.require("admin")
    if not isinstance(data, dict):
        raise Invalid("Objet JSON attendu.")
    errors = [{"field": k, "message": "champ inconnu (attendus : emails, phones, sms_url, "
                                      "rotate_secret)"}
              for k in sorted(set(data) - {"emails", "phones", "sms_url", "rotate_secret"})]
    known = {r.insee for r in conn.execute(select(schema.communes.c.insee)
                                           .where(scope.owns(schema.communes)))}
    row = _channels_row(scope, conn)
    values: dict[str, Any] = {}
    if "emails" in data:
        values["emails"] = orjson.dumps(_recipients(
            data["emails"], "emails", "address", _EMAIL, "adresse e-mail", known,
            errors)).decode()
    if "phones" in data:
        values["phones"] = orjson.dumps(_recipients(
            data["phones"], "phones", "number", _PHONE,
            "numéro au format international (+33612345678)", known, errors)).decode()
    if "sms_url" in data:
        url = data["sms_url"]
        if url is None:
            values["sms_url"], values["sms_secret"] = None, None
        elif not isinstance(url, str) or len(url) > 1000:
            errors.append({"field": "sms_url", "message": "adresse https://… de 1000 "
                                                          "caractères au plus attendue"})
        elif problem := outbound.destination_problem(url.strip()):
            errors.append({"field": "sms_url", "message": problem})
        elif _own_host(url.strip()):
            errors.append({"field": "sms_url", "message": "adresse de Beffroi lui-même "
                                                          "refusée"})
        else:
            values["sms_url"] = url.strip()
    rotate = data.get("rotate_secret", False)
    if not isinstance(rotate, bool):
        errors.append({"field": "rotate_secret", "message": "true ou false attendu"})
    if errors:
        raise Invalid("Canaux d'alerte invalides.", errors=errors)
    secret = None
    has_url = values.get("sms_url", row.sms_url if row else None)
    if has_url and (rotate or not (row and row.sms_secret)):
        secret = values["sms_secret"] = SECRET_PREFIX + secrets.token_urlsafe(32)
    c = schema.risk_alert_channels
    if row is None:
        conn.execute(c.insert().values(tenant_id=scope.tenant_id, updated_at=now, **values))
    else:
        conn.execute(update(c).where(scope.owns(c)).values(updated_at=now, **values))
    scope.audit(conn, "update", "risk_alert_channels", scope.tenant_id,
                {k: v for k, v in data.items() if k != "rotate_secret"}
                | ({"secret_rotated": True} if secret else {}))
    out = channel_settings(scope, conn)
    if secret:
        out["sms_secret"] = secret
    return out


# -- composing ---------------------------------------------------------------------------------
def _french_list(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " et " + names[-1]


def _id_list(value: Any, field: str, errors: list[dict[str, str]]) -> list[int]:
    if value is None:
        return []
    if (not isinstance(value, list) or len(value) > 200
            or not all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in value)):
        errors.append({"field": field, "message": "liste d'identifiants (entiers positifs) "
                                                  "attendue"})
        return []
    return sorted(set(value))


def _check_alert(scope: TenantScope, conn: Connection, data: Any,
                 now: int) -> dict[str, Any]:
    """The validated alert to send: risk, level, communes reached (with their names),
    zones, rendered subject and body, channels and the banner's end."""
    if not isinstance(data, dict):
        raise Invalid("Objet JSON attendu.")
    allowed = {"risk", "level", "communes", "zones", "advice", "time", "channels",
               "banner_hours", "subject", "body"}
    errors = [{"field": k, "message": "champ inconnu"} for k in sorted(set(data) - allowed)]
    risk = data.get("risk")
    if not isinstance(risk, str) or risk not in RISKS:
        errors.append({"field": "risk", "message": "crue, canicule, feu_de_foret ou autre "
                                                   "attendu"})
    level = data.get("level")
    if not isinstance(level, str) or level not in LEVELS:
        errors.append({"field": "level", "message": "jaune, orange ou rouge attendu"})
    insee = data.get("communes") or []
    if not isinstance(insee, list) or not all(isinstance(c, str) for c in insee):
        errors.append({"field": "communes", "message": "liste de codes INSEE attendue"})
        insee = []
    zone_ids = _id_list(data.get("zones"), "zones", errors)
    advice = data.get("advice", "")
    if not isinstance(advice, str) or len(advice) > ADVICE_MAX:
        errors.append({"field": "advice", "message": f"texte de {ADVICE_MAX} caractères au "
                                                     "plus attendu"})
        advice = ""
    at = now
    if data.get("time") is not None:
        try:
            at = parse_instant(data["time"])
        except ValueError as exc:
            errors.append({"field": "time", "message": str(exc)})
    channels = data.get("channels")
    if channels is None or channels == []:
        errors.append({"field": "channels", "message": "Choisissez au moins un canal : e-mail, "
                                                       "SMS ou bandeau de la page publique"})
        channels = []
    elif (not isinstance(channels, list)
            or not all(isinstance(c, str) and c in CHANNELS for c in channels)):
        errors.append({"field": "channels", "message": "canal inconnu : e-mail (email), SMS "
                                                       "(sms) ou bandeau de la page publique "
                                                       "(banner) attendu"})
        channels = []
    hours = data.get("banner_hours", DEFAULT_BANNER_HOURS)
    if not isinstance(hours, int) or isinstance(hours, bool) or not 1 <= hours <= 240:
        errors.append({"field": "banner_hours", "message": "nombre d'heures entier de 1 à 240 "
                                                           "attendu"})
        hours = DEFAULT_BANNER_HOURS
    for key, limit in (("subject", SUBJECT_MAX), ("body", BODY_MAX)):
        value = data.get(key)
        if value is not None:
            if not isinstance(value, str) or not value.strip() or len(value) > limit:
                errors.append({"field": key, "message": f"texte de 1 à {limit} caractères "
                                                        "attendu"})
            else:
                errors.extend(_placeholder_errors(value, key))
    # Targets, in this tenant and in what this person may reach.
    c, a = schema.communes, schema.assets
    names = {r.insee: r.name for r in conn.execute(select(c.c.insee, c.c.name)
                                                   .where(scope.owns(c)))}
    for code in insee:
        if code not in names:
            errors.append({"field": "communes", "message": f"commune « {code[:10]} » inconnue "
                                                           "dans ce territoire"})
        elif scope.communes is not None and code not in scope.communes:
            errors.append({"field": "communes", "message": f"commune « {code} » hors de vos "
                                                           "communes"})
    zones = {r.id: r for r in conn.execute(select(a.c.id, a.c.name, a.c.commune_insee).where(
        scope.asset_visible(), a.c.kind == ZONE_KIND, a.c.id.in_(zone_ids or [0])))}
    for zone_id in zone_ids:
        if zone_id not in zones:
            errors.append({"field": "zones", "message": f"zone inondable {zone_id} introuvable "
                                                        "dans ce territoire"})
    if not insee and not zone_ids:
        errors.append({"field": "communes", "message": "Choisissez au moins une commune ou "
                                                       "une zone"})
    if errors:
        raise Invalid("Alerte à la population invalide.", errors=errors)
    reached = sorted(set(insee) | {z.commune_insee for z in zones.values() if z.commune_insee})
    zone_tz = scope.zone
    places = [names[code] for code in reached] + [
        f"la zone « {zones[z].name} »" for z in zone_ids if not zones[z].commune_insee]
    values = {
        "commune": _french_list(places),
        "level": level,
        "time": datetime.fromtimestamp(at / 1000, zone_tz).strftime("%d/%m/%Y à %H:%M"),
        "advice": advice.strip(),
    }
    wording = template(scope, conn, risk)
    subject = (data.get("subject") or wording["subject"]).format_map(values)
    body = (data.get("body") or wording["body"]).format_map(values)
    body = re.sub(r"[ \t]{2,}", " ", body).strip()
    return {"risk": risk, "level": level, "communes": reached, "zones": zone_ids,
            "subject": subject[:300], "body": body, "channels": sorted(set(channels)),
            "banner_until": now + hours * 3_600_000 if "banner" in channels else None}


def preview(scope: TenantScope, conn: Connection, data: Any, now: int) -> dict[str, Any]:
    """What ``compose`` would send (text and recipients' count per channel), sending
    nothing."""
    scope.require("write")
    alert = _check_alert(scope, conn, data, now)
    targets = _targets(scope, conn, alert)
    return {**_public(alert), "recipients": {ch: len(targets.get(ch, []))
                                             for ch in alert["channels"]}}


def _public(alert: Mapping[str, Any]) -> dict[str, Any]:
    return {"risk": alert["risk"], "level": alert["level"], "communes": alert["communes"],
            "zones": alert["zones"], "subject": alert["subject"], "body": alert["body"],
            "channels": alert["channels"],
            "banner_until": format_instant(alert["banner_until"])}


def _reached(limited: list[str] | None, communes: list[str]) -> bool:
    return limited is None or bool(set(limited) & set(communes))


def _targets(scope: TenantScope, conn: Connection, alert: Mapping[str, Any]
             ) -> dict[str, list[str]]:
    """The recipients of each channel; ``Invalid`` when a channel would reach nobody."""
    row = _channels_row(scope, conn)
    emails = orjson.loads(row.emails) if row else []
    phones = orjson.loads(row.phones) if row else []
    out: dict[str, list[str]] = {}
    errors = []
    if "email" in alert["channels"]:
        out["email"] = [e["address"] for e in emails if _reached(e["communes"],
                                                                 alert["communes"])]
        if not out["email"]:
            errors.append({"field": "channels", "message": "aucune adresse e-mail de la liste "
                                                           "ne concerne ces communes"})
    if "sms" in alert["channels"]:
        if not (row and row.sms_url and row.sms_secret):
            errors.append({"field": "channels", "message": "passerelle SMS non configurée "
                                                           "(administration du territoire)"})
        else:
            out["sms"] = [p["number"] for p in phones if _reached(p["communes"],
                                                                  alert["communes"])]
            if not out["sms"]:
                errors.append({"field": "channels", "message": "aucun numéro de la passerelle "
                                                               "SMS ne concerne ces communes"})
    if "banner" in alert["channels"]:
        out["banner"] = ["page publique du territoire"]
    if errors:
        raise Invalid("Alerte à la population invalide.", errors=errors)
    return out


def _same_alert_sent(scope: TenantScope, conn: Connection, data: Any,
                     alert: Mapping[str, Any], now: int) -> Any:
    """The alert of this territory sent less than RESEND_WINDOW_MS ago with the same risk,
    level, communes, zones and channels and the same message, if any. The message is
    compared as that alert rendered it: the same request made at its time (``{time}`` is
    the sending's minute by default, so a re-send a minute later is still the same)."""
    p = schema.population_alerts
    recent = conn.execute(select(p).where(
        scope.owns(p), p.c.created_at >= now - RESEND_WINDOW_MS, p.c.risk == alert["risk"],
        p.c.level == alert["level"], p.c.communes == orjson.dumps(alert["communes"]).decode(),
        p.c.zones == orjson.dumps(alert["zones"]).decode(),
        p.c.channels == orjson.dumps(alert["channels"]).decode()).order_by(p.c.id.desc()))
    for row in recent:
        then = alert if row.created_at == now else _check_alert(scope, conn, data,
                                                                row.created_at)
        if (then["subject"], then["body"]) == (row.subject, row.body):
            return row
    return None


def _already_sent(scope: TenantScope, conn: Connection, row: Any) -> Conflict:
    u = schema.users
    who = conn.execute(select(u.c.name, u.c.email).where(u.c.id == row.created_by)).first()
    zone = scope.zone
    sent = datetime.fromtimestamp(row.created_at / 1000, zone)
    again = datetime.fromtimestamp((row.created_at + RESEND_WINDOW_MS) / 1000, zone)
    by = f" par {who.name or who.email}" if who else ""
    return Conflict(
        f"Cette alerte a déjà été envoyée le {sent:%d/%m/%Y à %H:%M:%S}{by} (alerte n° "
        f"{row.id}) : elle n'est pas envoyée une seconde fois, pour ne pas prévenir deux fois "
        f"les mêmes personnes. Pour la renvoyer volontairement, réessayez après "
        f"{again:%H:%M:%S} ou modifiez-la (niveau, consigne, canaux, communes ou zones).",
        extra={"alert_id": row.id, "sent_at": format_instant(row.created_at)})


def compose(scope: TenantScope, conn: Connection, data: Any, now: int) -> dict[str, Any]:
    """Record the alert and queue one delivery per recipient (the banner is put up at
    once); ``send_due`` sends the queued ones. ``Conflict`` when the same alert was sent
    less than RESEND_WINDOW_MS ago (``_same_alert_sent``)."""
    scope.require("write")
    alert = _check_alert(scope, conn, data, now)
    targets = _targets(scope, conn, alert)
    scope.serialise_writes(conn)
    same = _same_alert_sent(scope, conn, data, alert, now)
    if same is not None:
        raise _already_sent(scope, conn, same)
    alert_id = scope.db.allocate_ids(conn, "population_alerts")
    conn.execute(schema.population_alerts.insert().values(
        tenant_id=scope.tenant_id, id=alert_id, risk=alert["risk"], level=alert["level"],
        subject=alert["subject"], body=alert["body"],
        communes=orjson.dumps(alert["communes"]).decode(),
        zones=orjson.dumps(alert["zones"]).decode(),
        channels=orjson.dumps(alert["channels"]).decode(), banner_until=alert["banner_until"],
        created_by=scope.principal.user_id, created_at=now))
    rows = [(channel, recipient) for channel in alert["channels"]
            for recipient in targets[channel]]
    first = scope.db.allocate_ids(conn, "population_alert_deliveries", len(rows))
    d = schema.population_alert_deliveries
    for offset, (channel, recipient) in enumerate(rows):
        banner = channel == "banner"
        conn.execute(d.insert().values(
            tenant_id=scope.tenant_id, id=first + offset, alert_id=alert_id, channel=channel,
            recipient=recipient, status="sent" if banner else "queued",
            attempts=1 if banner else 0, next_attempt_at=None if banner else now,
            sent_at=now if banner else None))
    if "banner" in alert["channels"]:
        _set_banner(conn, scope.tenant_id, {
            "title": alert["subject"][:200], "text": alert["body"][:2000], "level": alert["level"],
            "until": format_instant(alert["banner_until"])})
    scope.audit(conn, "create", "population_alert", alert_id, _public(alert))
    return alert_detail(scope, conn, alert_id)


def _set_banner(conn: Connection, tenant_id: int, banner: dict[str, Any] | None) -> None:
    t = schema.tenants
    settings = orjson.loads(conn.execute(select(t.c.settings).where(t.c.id == tenant_id))
                            .scalar_one() or "{}")
    settings["public_banner"] = banner
    conn.execute(update(t).where(t.c.id == tenant_id)
                 .values(settings=orjson.dumps(settings).decode()))


def withdraw_banner(scope: TenantScope, conn: Connection, alert_id: int,
                    now: int) -> dict[str, Any]:
    """Take the alert's banner off the public page now."""
    scope.require("write")
    row = _alert_row(scope, conn, alert_id)
    if row.banner_until is None or row.banner_until <= now:
        raise Invalid("Cette alerte n'a pas de bannière affichée.")
    p = schema.population_alerts
    conn.execute(update(p).where(scope.owns(p), p.c.id == alert_id).values(banner_until=now))
    current = orjson.loads(scope.tenant.settings).get("public_banner")
    if isinstance(current, dict) and current.get("until") == format_instant(row.banner_until):
        _set_banner(conn, scope.tenant_id, None)
    scope.audit(conn, "update", "population_alert", alert_id, {"banner": "withdrawn"})
    return alert_detail(scope, conn, alert_id)


# -- reading -----------------------------------------------------------------------------------
def _alert_row(scope: TenantScope, conn: Connection, alert_id: int) -> Any:
    scope.require("read")
    p = schema.population_alerts
    row = conn.execute(select(p).where(scope.owns(p), p.c.id == alert_id)).first()
    if row is None or (scope.communes is not None
                       and not set(orjson.loads(row.communes)) & scope.communes):
        raise NotFound(f"Alerte à la population {alert_id} introuvable dans ce territoire.")
    return row


def alert_public(row: Any) -> dict[str, Any]:
    return {"id": row.id, "risk": row.risk, "level": row.level, "subject": row.subject,
            "body": row.body, "communes": orjson.loads(row.communes),
            "zones": orjson.loads(row.zones), "channels": orjson.loads(row.channels),
            "banner_until": format_instant(row.banner_until), "created_by": row.created_by,
            "created_at": format_instant(row.created_at)}


def list_alerts(scope: TenantScope, conn: Connection, limit: int = 100) -> list[dict[str, Any]]:
    """The latest alerts first (a commune-restricted reader sees those reaching his
    communes)."""
    scope.require("read")
    p = schema.population_alerts
    rows = conn.execute(select(p).where(scope.owns(p)).order_by(p.c.id.desc()).limit(limit))
    return [alert_public(r) for r in rows
            if scope.communes is None or set(orjson.loads(r.communes)) & scope.communes]


def alert_detail(scope: TenantScope, conn: Connection, alert_id: int) -> dict[str, Any]:
    """The alert, its counts per channel and status and, for agents and administrators,
    the delivery log recipient by recipient."""
    row = _alert_row(scope, conn, alert_id)
    d = schema.population_alert_deliveries
    deliveries = list(conn.execute(select(d).where(scope.owns(d), d.c.alert_id == alert_id)
                                   .order_by(d.c.id)))
    counts: dict[str, dict[str, int]] = {}
    for r in deliveries:
        counts.setdefault(r.channel, {"queued": 0, "sent": 0, "failed": 0})[r.status] += 1
    out = {**alert_public(row), "counts": counts}
    if scope.can("write"):
        out["deliveries"] = [{"id": r.id, "channel": r.channel, "recipient": r.recipient,
                              "status": r.status, "attempts": r.attempts,
                              "next_attempt_at": format_instant(r.next_attempt_at),
                              "sent_at": format_instant(r.sent_at), "error": r.error}
                             for r in deliveries]
    return out


# -- sending -----------------------------------------------------------------------------------
def _message(alert: Any) -> str:
    return f"{alert.subject}\n\n{alert.body}"


def _sms_body(alert: Any, delivery: Any) -> bytes:
    return orjson.dumps({"alert_id": alert.id, "delivery_id": delivery.id,
                         "to": delivery.recipient, "message": _message(alert),
                         "risk": alert.risk, "level": alert.level,
                         "communes": orjson.loads(alert.communes)})


def send_due(db: Database, now: int, tenant_id: int | None = None,
             alert_id: int | None = None) -> int:
    """Send the deliveries due at ``now`` (queued, or failed with a retry planned); returns
    how many were tried. Network calls happen outside any transaction."""
    d, p, c = (schema.population_alert_deliveries, schema.population_alerts,
               schema.risk_alert_channels)
    with db.read() as conn:
        query = (select(d, p.c.subject, p.c.body, p.c.risk, p.c.level, p.c.communes,
                        c.c.sms_url, c.c.sms_secret)
                 .join(p, and_(p.c.tenant_id == d.c.tenant_id, p.c.id == d.c.alert_id))
                 .outerjoin(c, c.c.tenant_id == d.c.tenant_id)
                 .where(d.c.status.in_(("queued", "failed")), d.c.next_attempt_at.is_not(None),
                        d.c.next_attempt_at <= now, d.c.channel.in_(("email", "sms")))
                 .order_by(d.c.tenant_id, d.c.id).limit(1000))
        if tenant_id is not None:
            query = query.where(d.c.tenant_id == tenant_id)
        if alert_id is not None:
            query = query.where(d.c.alert_id == alert_id)
        due = list(conn.execute(query))
    if not due:
        return 0
    mailer, client = Mailer(), outbound.Client(timeout=10.0)
    results: list[tuple[Any, str | None, bool]] = []
    try:
        for row in due:
            alert = _AlertView(row.alert_id, row.subject, row.body, row.risk, row.level,
                               row.communes)
            try:
                if row.channel == "email":
                    mailer.send(row.recipient, alert.subject, alert.body)
                else:
                    if not (row.sms_url and row.sms_secret):
                        raise DeliveryError("passerelle SMS retirée", retryable=False)
                    deliver(client, row.sms_url, row.sms_secret, EVENT, _sms_body(alert, row),
                            row.id)
                results.append((row, None, False))
            except MailError as exc:
                results.append((row, f"E-mail non envoyé : {exc.message}", exc.retryable))
            except DeliveryError as exc:
                results.append((row, str(exc), exc.retryable))
    finally:
        mailer.close()
        client.close()
    with db.write() as conn:
        for row, error, retryable in results:
            attempts = row.attempts + 1
            if error is None:
                values: dict[str, Any] = {"status": "sent", "sent_at": now, "error": None,
                                          "next_attempt_at": None}
            else:
                again = retryable and attempts < MAX_ATTEMPTS
                values = {"status": "failed", "error": error[:1000], "next_attempt_at":
                          now + RETRY_DELAYS_S[min(attempts, len(RETRY_DELAYS_S)) - 1] * 1000
                          if again else None}
            conn.execute(update(d).where(d.c.tenant_id == row.tenant_id, d.c.id == row.id,
                                         or_(d.c.status == "queued", d.c.status == "failed"))
                         .values(attempts=attempts, **values))
    return len(results)


class _AlertView:
    def __init__(self, alert_id: int, subject: str, body: str, risk: str, level: str,
                 communes: str) -> None:
        self.id, self.subject, self.body = alert_id, subject, body
        self.risk, self.level, self.communes = risk, level, communes


def retry_job(db: Database, registry: Registry, now: int) -> None:
    """The ``risks.population_alert`` job: send what is due (retries included)."""
    send_due(db, now)
