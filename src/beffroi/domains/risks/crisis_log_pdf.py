"""The main courante as a PDF, for the PCS debriefing (retour d'expérience).

The project's PDF conventions (``reports.impact_pdf``): WeasyPrint with a URL fetcher that
refuses every network URL (the document holds its own style sheet), A4, page numbers
(« page n / N »), French dates and times (``core.french_format``), a Jinja2 template with
autoescape (entries are free text typed by agents). Reproducible: the PDF's identifier is
derived from its content.

``log_pdf(scope, conn, log_id)`` -> bytes (readers of the territory).
"""

from __future__ import annotations

import hashlib
from typing import Any

from jinja2 import DictLoader, Environment, StrictUndefined
from sqlalchemy import Connection

from ...core.access import TenantScope
from ...core.clock import parse_instant
from ...core.french_format import NBSP, local_datetime
from .crisis_log import KINDS, get_log
from .population_alert import RISKS

TEMPLATE = """<!doctype html>
<html lang="fr">
<head>
<meta charset="utf-8">
<title>Main courante — {{ log.title }}</title>
<style>
@page { size: A4; margin: 20mm 16mm 20mm 16mm;
  @top-left { content: "{{ tenant_css }}"; font-size: 8pt; color: #3a3a3a; }
  @bottom-center { content: "page " counter(page) " / " counter(pages); font-size: 8pt; }
  @bottom-left { content: "Beffroi — main courante"; font-size: 8pt; color: #3a3a3a; } }
html { font-family: "DejaVu Sans", sans-serif; font-size: 9.5pt; line-height: 1.4;
  color: #161616; }
h1 { color: #000091; font-size: 18pt; margin: 0 0 4mm; }
.meta { margin: 0 0 6mm; }
table { width: 100%; border-collapse: collapse; }
th, td { text-align: left; vertical-align: top; border-bottom: 0.5pt solid #929292;
  padding: 1.5mm 1.5mm; }
th { background: #eeeeee; }
td.when { white-space: nowrap; width: 24mm; }
td.kind { width: 20mm; }
td.who { width: 28mm; }
.text { white-space: pre-wrap; }
.links, .correction { font-size: 8pt; color: #3a3a3a; }
tr { break-inside: avoid; }
</style>
</head>
<body>
<h1>Main courante — {{ log.title }}</h1>
<p class="meta">{{ tenant }} · Risque&nbsp;: {{ risk }} · Ouverte le {{ opened }}{% if closed %} · Close le {{ closed }}{% else %} · En cours{% endif %} · {{ entries|length }} entrée{{ "s" if entries|length > 1 }}</p>
<table>
<thead><tr><th scope="col">Date et heure</th><th scope="col">Type</th><th scope="col">Auteur</th><th scope="col">Entrée</th></tr></thead>
<tbody>
{% for e in entries %}
<tr>
<td class="when">{{ e.when }}</td>
<td class="kind">{{ e.kind }}</td>
<td class="who">{{ e.author }}</td>
<td><span class="ref">n°{{ e.id }}</span> <span class="text">{{ e.text }}</span>
{% if e.corrects %}<div class="correction">Corrige l'entrée n°{{ e.corrects }}.</div>{% endif %}
{% if e.links %}<div class="links">{{ e.links }}</div>{% endif %}</td>
</tr>
{% else %}
<tr><td colspan="4">Aucune entrée.</td></tr>
{% endfor %}
</tbody>
</table>
</body>
</html>
"""
LINK_LABELS = {"population_alerts": "alertes à la population", "alerts": "alertes",
               "assets": "équipements", "calls": "appels"}


def _environment() -> Environment:
    return Environment(loader=DictLoader({"log.html": TEMPLATE}), autoescape=True,
                       undefined=StrictUndefined)


def _css_string(text: str) -> str:
    """Text safe inside a CSS string in the page's style (no quote, backslash or break)."""
    return "".join(c for c in text if c not in '"\\<>&\'\n\r')[:80]


def log_html(scope: TenantScope, conn: Connection, log_id: int) -> str:
    log = get_log(scope, conn, log_id)
    tz = scope.zone

    def when(instant: str | None) -> str:
        return local_datetime(parse_instant(instant), tz).replace(" ", NBSP + "à" + NBSP) \
            if instant else ""

    rows = [{"id": e["id"], "when": when(e["at"]), "kind": KINDS[e["kind"]],
             "author": e["author"] or "—", "text": e["text"],
             "corrects": e["corrects"], "links": _links_text(e)}
            for e in log["entries"]]
    return _environment().get_template("log.html").render(
        log=log, tenant=scope.tenant.name, tenant_css=_css_string(scope.tenant.name),
        risk=RISKS[log["risk"]], opened=when(log["opened_at"]),
        closed=when(log["closed_at"]), entries=rows)


def _links_text(entry: dict[str, Any]) -> str:
    """« Équipements : Station de Remiremont (n°12) ; Appels : n°3 »."""
    parts = []
    for key, ids in entry["links"].items():
        if key not in LINK_LABELS:
            continue
        names = entry["link_names"].get(key, {})
        parts.append(f"{LINK_LABELS[key]} : " + ", ".join(
            f"{names[str(i)]} (n°{i})" if str(i) in names else f"n°{i}" for i in ids))
    return " ; ".join(parts)


def log_pdf(scope: TenantScope, conn: Connection, log_id: int) -> bytes:
    from weasyprint import HTML

    from ...reports.impact_pdf import PACKAGE, PackageOnlyFetcher

    html = log_html(scope, conn, log_id)
    identifier = hashlib.sha256(html.encode()).hexdigest()[:32].encode()
    return HTML(string=html, base_url=PACKAGE.as_uri() + "/",
                url_fetcher=PackageOnlyFetcher()).write_pdf(pdf_identifier=identifier,
                                                              pdf_tags=True)
