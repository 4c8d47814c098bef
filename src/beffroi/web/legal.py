"""The pages every French public-sector site must have, and the footer linking them from
every page:

- ``/accessibilite``: the accessibility statement (article 47 of loi 2005-102, décret
  2019-768, RGAA), whose compliance status the footer repeats;
- ``/mentions-legales``: publisher, director of publication, host (LCEN, article 6);
- ``/donnees-personnelles``: what the instance keeps about persons and the rights over it
  (GDPR article 13), cookies included; the domains add what they keep
  (``Domain.personal_data``).

What only the operator knows comes from the environment (``ENV``, ``AUDIT_ENV``, and the
existing ``BEFFROI_PUBLIC_URL`` and ``BEFFROI_TILE_URL``), read once when the app is built
(``install_legal``): a malformed value is refused with one French line naming the variable
(ValueError), which ``beffroi serve`` checks before anything else; a missing one is said on
the pages (``NOT_FILLED``), never made up. Whatever comes from the environment is escaped
(Jinja2's autoescape). The footer is put into every page by the routes that serve them
(``with_footer``): no extra request, no script.

The status follows the RGAA: « totalement conforme » when an audit found every criterion
met, « partiellement conforme » from half of them, « non conforme » below or without any
audit — automated checks (the suite's axe-core runs) are not an audit.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from urllib.parse import urlsplit

from fastapi import FastAPI
from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup, escape

from ..api.deps import SESSION_COOKIE
from ..api.routes.map import TILE_URL_ENV
from ..core import clock, login_throttle, retention
from ..core.auth import (
    EMAIL_RE,
    PERSONAL_TOKEN_DEFAULT_DAYS,
    PERSONAL_TOKEN_MAX_DAYS,
    SESSION_TTL_MS,
)
from ..core.french_format import NBSP, french_number, local_date, long_date
from ..core.registry import Registry
from ..notifications.messages import PUBLIC_URL_ENV

ENV = {  # LegalSettings field -> environment variable
    "publisher": "BEFFROI_PUBLISHER",
    "publisher_address": "BEFFROI_PUBLISHER_ADDRESS",
    "director": "BEFFROI_PUBLICATION_DIRECTOR",
    "hosting_provider": "BEFFROI_HOSTING_PROVIDER",
    "contact_email": "BEFFROI_CONTACT_EMAIL",
    "dpo_email": "BEFFROI_DPO_EMAIL",
}
AUDIT_ENV = "BEFFROI_RGAA_AUDIT"
AUDIT_EXAMPLE = "2026-11-15 87,5 Cabinet Exemple"
NOT_FILLED = "non renseigné par l'exploitant de cette instance"
NON_COMPLIANT, PARTIAL, COMPLIANT = "non conforme", "partiellement conforme", "totalement conforme"
ACCESSIBILITY, LEGAL_NOTICE, PRIVACY = ("/accessibilite", "/mentions-legales",
                                        "/donnees-personnelles")
PAGES = {ACCESSIBILITY: "accessibilite.html.j2", LEGAL_NOTICE: "mentions-legales.html.j2",
         PRIVACY: "donnees-personnelles.html.j2"}
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_RATE = re.compile(r"^(\d{1,3}(?:[.,]\d+)?)%?$")


@dataclass(frozen=True)
class Audit:
    """An RGAA compliance audit: its day, the share of the criteria met (%), who made it."""

    day: date
    rate: float
    auditor: str | None = None


@dataclass(frozen=True)
class LegalSettings:
    """What the legal pages say of this instance; None: not filled in by the operator."""

    publisher: str | None = None
    publisher_address: str | None = None
    director: str | None = None
    hosting_provider: str | None = None  # name, address, phone: one line
    contact_email: str | None = None
    dpo_email: str | None = None  # the contact's when not set
    audit: Audit | None = None
    site: str | None = None  # BEFFROI_PUBLIC_URL
    tile_host: str | None = None  # the basemap's server (BEFFROI_TILE_URL), which sees visitors
    made_on: date | None = None  # the day the statement was made: when these were read

    @property
    def status(self) -> str:
        return compliance(self.audit)


def compliance(audit: Audit | None) -> str:
    """The RGAA status: every criterion met → totalement, at least half → partiellement,
    less or no audit at all → non conforme."""
    if audit is None or audit.rate < 50:
        return NON_COMPLIANT
    return COMPLIANT if audit.rate >= 100 else PARTIAL


def parse_audit(text: str | None, today: date) -> Audit | None:
    """``BEFFROI_RGAA_AUDIT``: « AAAA-MM-JJ taux [auditeur] » (« 2026-11-15 87,5 Cabinet X »);
    None when empty; ValueError (French, naming the variable) when malformed."""
    text = (text or "").strip()
    if not text:
        return None

    def refused(why: str) -> ValueError:
        return ValueError(f"{AUDIT_ENV} invalide : {why} (attendu : date de l'audit, part des "
                          f"critères RGAA respectés en %, auditeur facultatif, par exemple "
                          f"« {AUDIT_EXAMPLE} »).")

    day_text, _, rest = text.partition(" ")
    try:
        day = date.fromisoformat(day_text) if _DAY.match(day_text) else None
    except ValueError:
        day = None
    if day is None:
        raise refused(f"« {day_text} » n'est pas une date AAAA-MM-JJ")
    if day > today:
        raise refused(f"l'audit est daté du {local_date(day)}, dans le futur")
    if day < clock.EARLIEST_DAY:
        raise refused(f"l'audit est daté du {local_date(day)}, avant 2000")
    rate_text, _, auditor = rest.strip().partition(" ")
    auditor = auditor.strip()
    if auditor.startswith("%"):  # « 87,5 % Cabinet X »
        rate_text, auditor = rate_text + "%", auditor[1:].strip()
    found = _RATE.match(rate_text)
    if found is None:
        raise refused(f"« {rate_text} » n'est pas un taux de 0 à 100" if rate_text
                      else "taux de critères respectés manquant après la date")
    rate = float(found.group(1).replace(",", "."))
    if rate > 100:
        raise refused(f"taux de {french_number(rate)} %, au-delà de 100")
    return Audit(day, rate, auditor or None)


def _email(environ: Mapping[str, str], name: str) -> str | None:
    value = (environ.get(name) or "").strip()
    if value and not EMAIL_RE.match(value):  # (the accounts' rule)
        raise ValueError(f"{name} invalide : « {value} » n'est pas une adresse e-mail.")
    return value or None


def _tile_host(url: str | None) -> str | None:
    host = urlsplit((url or "").strip()).hostname
    return re.sub(r"^\{[a-z]+\}\.", "", host) if host else None


def read_settings(environ: Mapping[str, str] | None = None,
                  today: date | None = None) -> LegalSettings:
    """The settings of the legal pages; ValueError (one French line) on a malformed one."""
    env = os.environ if environ is None else environ
    today = today or clock.local_day(clock.now_ms(), clock.PARIS)
    text = {field: (env.get(name) or "").strip() or None for field, name in ENV.items()}
    contact = _email(env, ENV["contact_email"])
    return LegalSettings(
        **{**text, "contact_email": contact,
           "dpo_email": _email(env, ENV["dpo_email"]) or contact},
        audit=parse_audit(env.get(AUDIT_ENV), today),
        site=(env.get(PUBLIC_URL_ENV) or "").strip().rstrip("/") or None,
        tile_host=_tile_host(env.get(TILE_URL_ENV)),
        made_on=today)


def install_legal(app: FastAPI) -> None:
    """Read the settings into ``app.state.legal`` (raises ValueError when malformed)."""
    app.state.legal = read_settings()


# -- rendering ---------------------------------------------------------------------------
@lru_cache(maxsize=16)
def footer(status: str, current: str | None = None) -> str:
    """The footer of every page: the accessibility status and the three pages' links (made
    once per status and page: every page served carries it)."""
    links = ((ACCESSIBILITY, f"Accessibilité{NBSP}: {status}"),
             (LEGAL_NOTICE, "Mentions légales"), (PRIVACY, "Données personnelles"))
    current_page = ' aria-current="page"'
    items = "".join(f'<li><a href="{path}"{current_page if path == current else ""}>'
                    f"{escape(label)}</a></li>" for path, label in links)
    return (f'<footer class="site-footer" role="contentinfo">'
            f'<ul class="footer-links">{items}</ul></footer>')


def with_footer(html: str, legal: LegalSettings) -> str:
    """A page with the footer before its ``</body>`` (at its end when it has none)."""
    head, body_end, tail = html.rpartition("</body>")
    if not body_end:
        return html + footer(legal.status)
    return f"{head}{footer(legal.status)}\n{body_end}{tail}"


@lru_cache(maxsize=1)
def _environment() -> Environment:
    env = Environment(loader=PackageLoader("beffroi.web", "templates"), autoescape=True,
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters.update(long_date=long_date, number=french_number)
    env.globals.update(NOT_FILLED=NOT_FILLED, SESSION_COOKIE=SESSION_COOKIE,
                       SESSION_DAYS=SESSION_TTL_MS // clock.DAY_MS,
                       TOKEN_DAYS=PERSONAL_TOKEN_DEFAULT_DAYS,
                       TOKEN_MAX_DAYS=PERSONAL_TOKEN_MAX_DAYS,
                       AUDIT=retention.BY_KEY[retention.AUDIT_DAYS],
                       NOTIFICATIONS=retention.BY_KEY[retention.NOTIFICATION_DAYS],
                       INSTANCE_AUDIT_DAYS=retention.INSTANCE_AUDIT_DAYS,
                       THROTTLE_DAYS=login_throttle.KNOWN_ADDRESS_MS // clock.DAY_MS)
    return env


def _contact_properties(registry: Registry) -> list[str]:
    """« « Référent qualité de l'air (courriel) » (Bâtiment public) »: the properties of
    asset kinds whose e-mail addresses are told of alerts (``AssetKind.alert_contacts``)."""
    found = []
    for kind in registry.asset_kinds.values():
        for contact in kind.alert_contacts:
            spec = kind.property(contact.property)
            found.append(f"« {spec.label if spec else contact.property} » ({kind.label})")
    return sorted(set(found))


def render_page(path: str, legal: LegalSettings, registry: Registry) -> str:
    """One of the three pages (``PAGES``), with the footer."""
    domains = [(d.label, d.personal_data) for d in registry.domains.values() if d.personal_data]
    return _environment().get_template(PAGES[path]).render(
        legal=legal, footer=Markup(footer(legal.status, path)), domains=domains,
        contact_properties=_contact_properties(registry))
