"""The public impact indicators of a territory: the headline figures (gross gains, the
platform's footprint, net) of the last full year and of the year to date, for citizens, as
a page and as an open-data CSV.

Published only when the territory sets ``impact.public_indicators`` to true; otherwise (and
for an unknown SIREN) there is nothing, which the routes answer with the same 404. Only the
whole territory's headline aggregates leave this module: no domain, commune, equipment,
setting or data note of the report.

The computation reads the whole territory (a reader's scope, made here since nobody is
signed in) and is kept an hour per territory and day, so that anonymous visits cannot make
the server compute reports over and over.
"""

from __future__ import annotations

import csv
import io
import re
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import orjson
from sqlalchemy import Connection, select

from ..core import clock
from ..core.access import ANONYMOUS, TenantScope
from ..core.french_format import long_date
from ..core.registry import Registry
from ..core.series import first_observation_ms
from ..storage import schema
from ..storage.database import Database
from .impact_html import QUANTITIES, environment

SETTING = "impact.public_indicators"
SIREN = re.compile(r"^\d{9}$")
KEPT_S = 3600.0
PARTS = (("gross", "brut", "Gains bruts"),
         ("footprint", "empreinte", "Empreinte de la plateforme (à déduire)"),
         ("net", "net", "Gains nets (gains bruts − empreinte)"))
# As the impact report's own CSV names them (core.impact.open_data), with the period's key.
CSV_COLUMNS = ("siren", "territoire", "periode", "periode_debut", "periode_fin", "cle",
               "libelle", "kwh", "eur", "kgco2e", "m3")

Compute = Callable[[TenantScope, Connection, Registry, date, date], Mapping[str, Any]]


@dataclass(frozen=True)
class Period:
    key: str  # « annee_2025 », « annee_2026_en_cours »: the CSV's « periode »
    label: str
    start: date
    end: date


def periods(today: date, first_day: date | None = None) -> list[Period]:
    """The last full calendar year, and this year up to yesterday (none on 1 January);
    from the territory's first measured day when it falls inside one (a year with none
    is not shown): never a few weeks of figures under the name of a whole year."""
    year = today.year
    yesterday = today - timedelta(days=1)
    out = []
    for key, y, end in ((f"annee_{year - 1}", year - 1, date(year - 1, 12, 31)),
                        (f"annee_{year}_en_cours", year, yesterday)):
        start = date(y, 1, 1)
        if end < start or (first_day is not None and first_day > end):
            continue
        if first_day is not None and first_day > start:
            label = (f"Année {y}, du {long_date(first_day)} (premières mesures) "
                     f"au {long_date(end)}")
            start = first_day
        elif y == year:
            label = f"Année {y}, du 1er janvier au {long_date(end)}"
        else:
            label = f"Année {y}"
        out.append(Period(key, label, start, end))
    return out


def published_tenant(conn: Connection, siren: str) -> Any | None:
    """The tenant of this SIREN if it publishes its indicators, else None (unknown or not
    published: the same answer, so that the page reveals nothing)."""
    if not SIREN.match(siren):
        return None
    t = schema.tenants
    row = conn.execute(select(t).where(t.c.siren == siren)).first()
    if row is None or orjson.loads(row.settings or "{}").get(SETTING) is not True:
        return None
    return row


def _zone(tenant: Any) -> ZoneInfo:
    return ZoneInfo(orjson.loads(tenant.settings or "{}").get("timezone") or clock.TZ)


def local_today(tenant: Any) -> date:
    return clock.local_day(clock.now_ms(), _zone(tenant))


def first_measured_day(conn: Connection, tenant: Any) -> date | None:
    """The local day of the territory's first measurement (None: none yet)."""
    ms = first_observation_ms(conn, tenant.id)
    return None if ms is None else clock.local_day(ms, _zone(tenant))


def headline(report: Mapping[str, Any]) -> dict[str, dict[str, float | None]]:
    """Gross, footprint and net of the whole territory: nothing else of the report."""
    out = {}
    for part, _, _ in PARTS:
        figures = report.get(part) or {}
        out[part] = {q.key: (None if figures.get(q.key) is None else round(figures[q.key], 3))
                     for q in QUANTITIES if q.key in figures}
    return out


def _impact_report(scope: TenantScope, conn: Connection, registry: Registry, start: date,
                   end: date) -> Mapping[str, Any]:
    from ..core.impact.report import impact_report

    return impact_report(scope, conn, registry, start, end)


def compute_indicators(db: Database, conn: Connection, registry: Registry, tenant: Any,
                       today: date, compute: Compute = _impact_report) -> dict[str, Any]:
    scope = TenantScope(db, ANONYMOUS, tenant, "viewer")  # reads all; only aggregates leave
    first_day = first_measured_day(conn, tenant)
    return {
        "tenant": {"name": tenant.name, "siren": tenant.siren},
        "today": today.isoformat(),
        "new_year": (today.month, today.day) == (1, 1),
        "first_day": None if first_day is None else long_date(first_day),
        "periods": [{"key": p.key, "label": p.label, "from": p.start.isoformat(),
                     "to": p.end.isoformat(),
                     **headline(compute(scope, conn, registry, p.start, p.end))}
                    for p in periods(today, first_day)],
    }


@dataclass
class IndicatorCache:
    """Indicators computed in the last hour, per tenant (for the same day and settings);
    one computation at a time per tenant. ``compute`` makes a tenant's report for a period
    (the impact report, by default)."""

    compute: Compute = _impact_report
    kept_s: float = KEPT_S
    # tenant id -> ((day, settings), computed at (monotonic s), indicators)
    _entries: dict[int, tuple[tuple[str, str], float, dict[str, Any]]] = field(
        default_factory=dict)
    _locks: dict[int, threading.Lock] = field(default_factory=dict)
    _guard: threading.Lock = field(default_factory=threading.Lock)

    def get(self, db: Database, registry: Registry, siren: str) -> dict[str, Any] | None:
        with db.read() as conn:
            tenant = published_tenant(conn, siren)
            if tenant is None:
                return None
            today = local_today(tenant)
            key = (today.isoformat(), tenant.settings)
            with self._guard:
                lock = self._locks.setdefault(tenant.id, threading.Lock())
            with lock:
                kept = self._entries.get(tenant.id)
                if kept and kept[0] == key and time.monotonic() - kept[1] < self.kept_s:
                    return kept[2]
                value = compute_indicators(db, conn, registry, tenant, today, self.compute)
                self._entries[tenant.id] = (key, time.monotonic(), value)
                return value


def _csv_number(value: float | None) -> str:
    """A decimal point, at most three decimals, never an exponent; empty when unknown."""
    if value is None:
        return ""
    return f"{float(value):.3f}".rstrip("0").rstrip(".")


def indicators_csv(indicators: Mapping[str, Any]) -> str:
    """Open data (UTF-8, comma, decimal point, ISO dates): one line per period and part
    (gross, footprint, net)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    tenant = indicators["tenant"]
    for period in indicators["periods"]:
        for part, key, label in PARTS:
            figures = period[part]
            writer.writerow([tenant["siren"], tenant["name"], period["key"], period["from"],
                             period["to"], key, label,
                             *(_csv_number(figures.get(q.key)) for q in QUANTITIES)])
    return out.getvalue()


def current_banner(db: Database, siren: str, now: int) -> dict[str, Any] | None:
    """The territory's public banner (setting ``public_banner``, e.g. a population alert)
    while it lasts, read at each visit (never cached); None when there is none."""
    with db.read() as conn:
        tenant = published_tenant(conn, siren)
    if tenant is None:
        return None
    banner = orjson.loads(tenant.settings or "{}").get("public_banner")
    if not isinstance(banner, dict):
        return None
    try:
        until = clock.parse_instant(banner.get("until"))
    except (TypeError, ValueError):
        return None
    if until <= now:
        return None
    zone = _zone(tenant)
    return {"title": str(banner.get("title") or ""), "text": str(banner.get("text") or ""),
            "level": banner.get("level") if banner.get("level") in ("jaune", "orange", "rouge")
            else "jaune",
            "until": datetime.fromtimestamp(until / 1000, zone).strftime("%d/%m/%Y à %H:%M")}


def render_page(indicators: Mapping[str, Any], banner: Mapping[str, Any] | None = None) -> str:
    return environment().get_template("public_indicators.html.j2").render(
        indicators=indicators, parts=PARTS, banner=banner)


def render_not_found() -> str:
    return environment().get_template("public_not_found.html.j2").render()
