"""The impact report's HTML fragment and PDF routes: the figures of the JSON route, checked
queries (422 in French), the tenant boundary and commune restrictions.

They render what ``beffroi.core.impact.report.impact_report`` computes (the impact branch of
#16): without it, this module is skipped.
"""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from suite_apps import fresh_app

from beffroi.api.routes import impact_report as routes
from beffroi.core import assets, tenants, users
from beffroi.core.access import CLI, open_scope
from beffroi.core.registry import load_registry
from beffroi.reports.impact_html import render_html
from beffroi.reports.impact_pdf import pdf_bytes
from suite_accounts import bearer

from .report_text import pdf_pages

pytest.importorskip("beffroi.core.impact.report",
                    reason="waits for the impact branch (beffroi.core.impact.report)")

PASSWORD = "mot-de-passe-essai"
PERIOD = {"from": "2026-01-01", "to": "2026-03-31"}
# Today for the report's checks (a period must be over): 15 June 2026, in Paris.
TODAY_MS = int(datetime(2026, 6, 15, 10, tzinfo=ZoneInfo("Europe/Paris")).timestamp() * 1000)
OTHER_COMMUNE = "Saint-Étienne-lès-Remiremont"


@pytest.fixture(autouse=True)
def today(monkeypatch):
    from beffroi.core.impact import request

    monkeypatch.setattr(request, "now_ms", lambda: TODAY_MS)


@pytest.fixture(scope="module")
def full_registry():
    return load_registry()


@pytest.fixture
def client(db, full_registry):
    with TestClient(fresh_app(db, full_registry)) as c:
        yield c


@pytest.fixture
def territory(db, full_registry) -> dict:
    """The CC of the Porte des Vosges Méridionales (its communes from the EPCI reference)
    with a lighting cabinet in two of them; a neighbour with its own commune; an agent, an
    élu of Remiremont only, and the neighbour's administrator."""
    with db.write() as conn:
        a = tenants.create_tenant(db, conn, CLI, siren="200068377", registry=full_registry)
        b = tenants.create_tenant(db, conn, CLI, name="Syndicat voisin", registry=full_registry)
        scope_a = open_scope(db, conn, CLI, a["id"])
        scope_b = open_scope(db, conn, CLI, b["id"])
        tenants.create_commune(scope_b, conn, {"insee": "51234", "name": "Commune du voisin"})
        for i, insee in enumerate(("88383", "88415")):
            assets.create_asset(scope_a, conn, full_registry, {
                "ref": f"ARM-{insee}", "kind": "lighting.cabinet", "name": f"Armoire {insee}",
                "commune": insee,
                "geometry": {"type": "Point", "coordinates": [6.59 + i * 0.01, 48.02]}})
        users.add_member(scope_a, conn, {"email": "agent@a.fr", "role": "agent",
                                         "password": PASSWORD})
        users.add_member(scope_a, conn, {"email": "elu@a.fr", "role": "viewer",
                                         "communes": ["88383"], "password": PASSWORD})
        users.add_member(scope_b, conn, {"email": "admin@b.fr", "role": "tenant_admin",
                                         "password": PASSWORD})
    return {"a": a["id"], "b": b["id"]}


def _without_date(html: str) -> str:
    """The report without the day it was made (``generated_at``)."""
    return re.sub(r'<p class="ir-generated">.*?</p>', "", html, flags=re.S)


def test_the_fragment_and_the_pdf_show_the_json_reports_figures(client, territory):
    headers = bearer(client, "agent@a.fr", PASSWORD)
    base = f"/api/v1/tenants/{territory['a']}"
    report = client.get(f"{base}/impact", params=PERIOD, headers=headers)
    assert report.status_code == 200, report.text
    fragment = client.get(f"{base}/impact.html", params=PERIOD, headers=headers)
    assert fragment.status_code == 200, fragment.text
    assert fragment.headers["content-type"].startswith("text/html")
    assert "no-store" in fragment.headers["cache-control"]
    assert _without_date(fragment.text) == _without_date(render_html(report.json(),
                                                                     for_print=False))
    pdf = client.get(f"{base}/impact.pdf", params=PERIOD, headers=headers)
    assert pdf.status_code == 200, pdf.text
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.headers["content-disposition"] == (
        'attachment; filename="impact-200068377-2026-01-01-2026-03-31.pdf"')
    made = [re.sub(r"Rapport établi le .*", "", page) for page in pdf_pages(pdf.content)]
    expected = [re.sub(r"Rapport établi le .*", "", page)
                for page in pdf_pages(pdf_bytes(report.json()))]
    assert made == expected


@pytest.mark.parametrize(("query", "field", "message"), [
    ({"to": "2026-03-31"}, "from", "obligatoire"),
    ({"from": "2026-02-30", "to": "2026-03-31"}, "from", "illisible"),
    ({"from": "01/02/2026", "to": "2026-03-31"}, "from", "AAAA-MM-JJ"),
    ({"from": "2026-03-31", "to": "2026-01-01"}, "to", "le suivre"),
    ({"from": "2000-01-01", "to": "2026-01-01"}, "to", "au plus"),
    ({"from": "2026-01-01", "to": "2026-06-15"}, "to", "jour achevé"),
    ({**PERIOD, "commune": "99999"}, "commune", "inconnu"),
])
@pytest.mark.parametrize("suffix", ["html", "pdf"])
@pytest.mark.parametrize("db", ["sqlite"], indirect=True)  # refused before any storage
def test_bad_queries_are_refused_in_french(client, territory, query, field, message, suffix):
    headers = bearer(client, "agent@a.fr", PASSWORD)
    answer = client.get(f"/api/v1/tenants/{territory['a']}/impact.{suffix}", params=query,
                        headers=headers)
    assert answer.status_code == 422, answer.text
    errors = answer.json()["errors"]
    assert [e["field"] for e in errors] == [field]
    assert message in errors[0]["message"]


def test_a_commune_restricted_user_reads_their_communes_only(client, territory):
    headers = bearer(client, "elu@a.fr", PASSWORD)
    base = f"/api/v1/tenants/{territory['a']}"
    refused = client.get(f"{base}/impact.html", params={**PERIOD, "commune": "88415"},
                         headers=headers)
    assert refused.status_code == 422
    assert "inconnu dans votre périmètre" in refused.json()["errors"][0]["message"]
    for query in (PERIOD, {**PERIOD, "commune": "88383"}):
        answer = client.get(f"{base}/impact.html", params=query, headers=headers)
        assert answer.status_code == 200, answer.text
        assert OTHER_COMMUNE not in answer.text and "88415" not in answer.text
    agent = client.get(f"{base}/impact.html", params={**PERIOD, "commune": "88415"},
                       headers=bearer(client, "agent@a.fr", PASSWORD))
    assert agent.status_code == 200 and OTHER_COMMUNE in agent.text


def test_other_tenants_and_anonymous_readers_get_nothing(client, territory, op_headers):
    base = f"/api/v1/tenants/{territory['a']}"
    neighbour = bearer(client, "admin@b.fr", PASSWORD)
    for suffix in ("html", "pdf"):
        assert client.get(f"{base}/impact.{suffix}", params=PERIOD,
                          headers=neighbour).status_code == 404
        assert client.get(f"{base}/impact.{suffix}", params=PERIOD).status_code == 401
    own = client.get(f"/api/v1/tenants/{territory['b']}/impact.html", params=PERIOD,
                     headers=neighbour)
    assert own.status_code == 200 and "Syndicat voisin" in own.text
    assert "Porte des Vosges" not in own.text and "Remiremont" not in own.text
    # a territory that publishes equipment kinds: still not its impact report
    published = client.patch(base, json={"settings": {"published_kinds": ["lighting.cabinet"]}},
                             headers=op_headers)
    assert published.status_code == 200, published.text
    assert client.get(f"{base}/impact.html", params=PERIOD).status_code == 401
    assert client.get(f"{base}/impact.html", params=PERIOD,
                      headers=neighbour).status_code == 403


def test_pdfs_wait_their_turn_then_get_a_503(client, territory, monkeypatch):
    headers = bearer(client, "agent@a.fr", PASSWORD)
    monkeypatch.setattr(routes, "PDF_WAIT_S", 0.05)
    held = [routes.PDF_SLOTS.acquire(timeout=1) for _ in range(2)]
    try:
        busy = client.get(f"/api/v1/tenants/{territory['a']}/impact.pdf", params=PERIOD,
                          headers=headers)
    finally:
        for _ in held:
            routes.PDF_SLOTS.release()
    assert busy.status_code == 503 and busy.headers["retry-after"] == "60"
    assert client.get(f"/api/v1/tenants/{territory['a']}/impact.pdf", params=PERIOD,
                      headers=headers).status_code == 200
