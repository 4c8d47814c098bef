"""What notifications say: French e-mails and the JSON payload of webhooks.

Texts are rendered when a notification is queued and stored with it, so the log shows
exactly what was sent and a retry sends the same thing.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

import orjson
from sqlalchemy import Connection, select

from ..core.alerting.alerts import SEVERITY_LABELS, STATUS_LABELS
from ..core.alerting.details import details_display
from ..core.clock import format_instant
from ..core.french_format import long_date
from ..core.registry import Registry
from ..storage import schema
from .oncall import WEEKDAYS, local_time, tenant_settings

PUBLIC_URL_ENV = "BEFFROI_PUBLIC_URL"
DEFAULT_PUBLIC_URL = "http://127.0.0.1:8000"
HEADINGS = {"info": "Information", "warning": "Avertissement", "critical": "Alerte critique"}
# Webhook event names, by alert event kind.
WEBHOOK_EVENTS = {"opened": "alert.opened", "reopened": "alert.reopened",
                  "triggered": "alert.severity_raised", "escalated": "alert.escalated",
                  "resolved": "alert.resolved", "acknowledged": "alert.acknowledged",
                  "changed": "alert.changed"}
TEST_EVENT = "webhook.test"  # a test delivery asked by an admin (POST …/webhooks/{id}/test)
SIGNATURE = "—\nBeffroi, hyperviseur territorial"


@dataclass(frozen=True)
class AlertFacts:
    """An alert with what people need to read about it."""

    tenant: Any  # tenants row
    settings: dict[str, Any]
    alert: Any  # alerts row
    asset: Any | None  # (id, ref, name, kind)
    commune_name: str | None
    domain_label: str | None
    details: tuple[dict[str, Any], ...] = ()  # core.alerting.details.details_display

    @property
    def link(self) -> str:
        return alert_link(self.tenant.id, self.alert.id)


def public_url() -> str:
    return (os.environ.get(PUBLIC_URL_ENV) or DEFAULT_PUBLIC_URL).rstrip("/")


def alert_link(tenant_id: int, alert_id: int) -> str:
    return f"{public_url()}/api/v1/tenants/{tenant_id}/alerts/{alert_id}"


def load_facts(conn: Connection, registry: Registry, tenant: Any, alert: Any) -> AlertFacts:
    asset = commune = None
    if alert.asset_id is not None:
        a = schema.assets
        asset = conn.execute(select(a.c.id, a.c.ref, a.c.name, a.c.kind).where(
            a.c.tenant_id == tenant.id, a.c.id == alert.asset_id)).first()
    if alert.commune_insee is not None:
        c = schema.communes
        commune = conn.execute(select(c.c.name).where(
            c.c.tenant_id == tenant.id, c.c.insee == alert.commune_insee)).scalar()
    domain = registry.domains.get(alert.domain or "")
    settings = tenant_settings(tenant)
    details = details_display(registry, orjson.loads(alert.details), alert.detector,
                              alert.rule_id, ZoneInfo(settings["timezone"]))
    return AlertFacts(tenant, settings, alert, asset, commune,
                      domain.label if domain else alert.domain, tuple(details))


# -- dates, the French way ---------------------------------------------------------------------
def french_day(day: date) -> str:
    """« mardi 10 mars 2026 », « mardi 1er décembre 2026 »."""
    return f"{WEEKDAYS[day.isoweekday() - 1]} {long_date(day)}"


def french_date(settings: dict[str, Any], at_ms: int) -> str:
    """The local day of an instant, in the tenant's time zone."""
    return french_day(local_time(settings, at_ms).date())


def french_datetime(settings: dict[str, Any], at_ms: int) -> str:
    """« mardi 10 mars 2026 à 02:30 (heure de Paris) »."""
    local = local_time(settings, at_ms)
    zone = settings["timezone"]
    where = "heure de Paris" if zone == "Europe/Paris" else f"heure locale, {zone}"
    return f"{french_date(settings, at_ms)} à {local:%H:%M} ({where})"


# -- e-mails ---------------------------------------------------------------------------------
def _subject(prefix: str, facts: AlertFacts) -> str:
    place = f" — {facts.commune_name}" if facts.commune_name else ""
    return f"[Beffroi] {prefix} : {facts.alert.title}{place}"[:300]


def _summary(facts: AlertFacts) -> list[str]:
    a, s = facts.alert, facts.settings
    lines = [f"{HEADINGS[a.severity]} — {facts.tenant.name}", "", a.title, "",
             f"Gravité : {SEVERITY_LABELS[a.severity]}"]
    if facts.asset is not None:
        lines.append(f"Équipement : {facts.asset.name} ({facts.asset.ref})")
    if a.commune_insee:
        lines.append(f"Commune : {facts.commune_name or a.commune_insee} ({a.commune_insee})")
    if facts.domain_label:
        lines.append(f"Domaine : {facts.domain_label}")
    lines.append(f"Ouverte le {french_datetime(s, a.opened_at)}")
    if a.last_triggered_at != a.opened_at:
        lines.append(f"Dernier déclenchement le {french_datetime(s, a.last_triggered_at)}")
    lines.append(f"État : {STATUS_LABELS[a.status]}")
    if facts.details:
        lines += ["", "Détails :"] + [f"- {d['label']} : {d['text']}" for d in facts.details]
    return lines


def alert_email(facts: AlertFacts, event_kind: str) -> tuple[str, str]:
    """(subject, body) for a subscriber told about an opened, reopened, worsened or changed
    alert."""
    heading = HEADINGS[facts.alert.severity]
    prefix = {"reopened": f"{heading} (de nouveau)",
              "triggered": f"{heading} (gravité relevée)",
              "changed": f"{heading} (mise à jour)"}.get(event_kind, heading)
    lines = _summary(facts) + [
        "", f"Voir l'alerte : {facts.link}", "",
        "Vous recevez ce message parce que l'un de vos abonnements aux alertes de "
        f"{facts.tenant.name} la couvre.", "", SIGNATURE]
    return _subject(prefix, facts), "\n".join(lines)


def oncall_email(facts: AlertFacts, week_start: str, delay_min: int,
                 has_secondary: bool) -> tuple[str, str]:
    after = ("elle sera transmise au suppléant d'astreinte" if has_secondary
             else "elle sera signalée comme escaladée")
    lines = _summary(facts) + [
        "", f"Vous êtes d'astreinte cette semaine (semaine du "
            f"{french_day(date.fromisoformat(week_start))}) et cette alerte critique survient "
            "en dehors des heures ouvrées.",
        f"Prenez-la en compte au plus vite : sans prise en compte dans les {delay_min} "
        f"minutes, {after}.", "", f"Prendre en compte : {facts.link}", "", SIGNATURE]
    return _subject("ASTREINTE — Alerte critique", facts), "\n".join(lines)


def escalation_email(facts: AlertFacts, primary_name: str, paged_at: int,
                     delay_min: int) -> tuple[str, str]:
    lines = _summary(facts) + [
        "", f"Cette alerte critique a été transmise à {primary_name} (astreinte) le "
            f"{french_datetime(facts.settings, paged_at)} et n'a pas été prise en compte "
            f"depuis {delay_min} minutes.",
        "Vous êtes suppléant d'astreinte cette semaine : merci de la prendre en charge.", "",
        f"Prendre en compte : {facts.link}", "", SIGNATURE]
    return _subject("ESCALADE — Alerte critique non prise en compte", facts), "\n".join(lines)


def digest_email(tenant: Any, settings: dict[str, Any], at_ms: int,
                 items: list[AlertFacts]) -> tuple[str, str]:
    count = len(items)
    plural = "s" if count > 1 else ""
    subject = (f"[Beffroi] Récapitulatif du {french_date(settings, at_ms)} : "
               f"{count} alerte{plural} — {tenant.name}")
    lines = [f"Récapitulatif quotidien des alertes — {tenant.name}", "",
             f"{count} alerte{plural} ouverte{plural} depuis le précédent récapitulatif :", ""]
    for facts in items:
        a = facts.alert
        where = [x for x in (facts.commune_name,
                             facts.asset.name if facts.asset is not None else None) if x]
        lines.append(f"- [{SEVERITY_LABELS[a.severity]}] {a.title}"
                     + (f" — {', '.join(where)}" if where else ""))
        lines.append(f"  ouverte le {french_datetime(settings, a.opened_at)}, "
                     f"{STATUS_LABELS[a.status]} — {facts.link}")
    lines += ["", "Les alertes critiques vous sont toujours envoyées sur le moment.", "",
              SIGNATURE]
    return subject[:300], "\n".join(lines)


# -- webhooks --------------------------------------------------------------------------------
def webhook_payload(facts: AlertFacts, event: Any, actor: Any | None) -> bytes:
    """The JSON body POSTed to webhooks (documented in README.md)."""
    a, t = facts.alert, facts.tenant
    return orjson.dumps({
        "event": WEBHOOK_EVENTS[event.kind],
        "event_id": event.id,
        "occurred_at": format_instant(event.at),
        "tenant": {"id": t.id, "siren": t.siren, "name": t.name},
        "alert": {
            "id": a.id, "title": a.title, "severity": a.severity, "status": a.status,
            "domain": a.domain,
            "commune": ({"insee": a.commune_insee, "name": facts.commune_name}
                        if a.commune_insee else None),
            "asset": ({"id": facts.asset.id, "ref": facts.asset.ref, "name": facts.asset.name,
                       "kind": facts.asset.kind} if facts.asset is not None else None),
            "opened_at": format_instant(a.opened_at),
            "last_triggered_at": format_instant(a.last_triggered_at),
            "trigger_count": a.trigger_count,
            "acknowledged_at": format_instant(a.acknowledged_at),
            "resolved_at": format_instant(a.resolved_at),
            "escalated_at": format_instant(a.escalated_at),
            "details": orjson.loads(a.details),
            "url": facts.link,
        },
        "user": {"id": actor.id, "name": actor.name} if actor is not None else None,
        "comment": event.comment,
    })


def webhook_test_payload(tenant: Any, webhook: Any, user: Any | None, at: int) -> bytes:
    """The JSON body of a test delivery (documented in README.md): no alert, a French
    message saying it is a test."""
    return orjson.dumps({
        "event": TEST_EVENT,
        "occurred_at": format_instant(at),
        "tenant": {"id": tenant.id, "siren": tenant.siren, "name": tenant.name},
        "webhook": {"id": webhook.id, "name": webhook.name},
        "user": {"id": user.id, "name": user.name} if user is not None else None,
        "message": ("Essai d'envoi demandé depuis Beffroi : ce message ne correspond à aucune "
                    "alerte. S'il vous parvient avec une signature valide, le webhook est "
                    "bien configuré."),
    })
