"""The public impact indicators of a territory (/territoires/{siren}/indicateurs and its CSV):
404 unless the territory publishes them, the headline figures of the last full year and of
the year to date only (from its first measured day when that falls inside one), never
another territory's, computed at most once an hour.

The report computation is given to the app's ``IndicatorCache`` by the test (a function that
records its calls and answers figures written here, with private details the page must not
show); the last test uses the real impact report (skipped without the impact branch).
"""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from suite_apps import fresh_app

from beffroi.core import assets, clock, streams, tenants, users
from beffroi.core.access import CLI, open_scope
from beffroi.core.observations import store_rows
from beffroi.reports.public_indicators import IndicatorCache, periods
from suite_accounts import bearer

from .report_text import MINUS, NBSP, NNBSP, html_text, row_cells

PASSWORD = "mot-de-passe-essai"
SIREN = "200068377"
NEIGHBOUR = "200000172"
SECRETS = ("Éclairage secret", "Remiremont", "Source privée", "Note privée", "ARM-")


def paris_ms(text: str) -> int:
    return int(datetime.fromisoformat(text).replace(tzinfo=ZoneInfo("Europe/Paris"))
               .timestamp() * 1000)


class FakeReports:
    """The impact report of a period: figures written here, and private details."""

    def __init__(self) -> None:
        self.calls: list[tuple[int, str, frozenset | None, date, date]] = []

    def __call__(self, scope, conn, registry, start, end):
        self.calls.append((scope.tenant_id, scope.role, scope.communes, start, end))
        last_year = start.year == 2025
        net_kwh = 12345.678 if last_year else -50.25
        return {
            "tenant": {"id": scope.tenant_id, "name": scope.tenant.name,
                       "siren": scope.tenant.siren},
            "gross": {"kwh": net_kwh + 310, "eur": 5769.136, "kgco2e": 688.055,
                      "m3": None if last_year else 12.5},
            "footprint": {"kwh": 310.0, "eur": 120.0, "kgco2e": 900.5,
                          "parts": [{"label": "Source privée"}]},
            "net": {"kwh": net_kwh, "eur": 5649.136, "kgco2e": -212.445,
                    "m3": None if last_year else 12.5},
            "domains": [{"label": "Éclairage secret",
                         "by_commune": [{"insee": "88383", "name": "Remiremont"}]}],
            "settings": [{"source": "Source privée"}],
            "data": {"note": "Note privée : ARM-88383-01 silencieuse"},
        }


@pytest.fixture
def now(monkeypatch):
    """The clock, pinned (Paris time): 15 March 2026 unless a test moves it."""
    pinned = {"ms": paris_ms("2026-03-15T10:00:00")}
    monkeypatch.setattr(clock, "now_ms", lambda: pinned["ms"])
    return pinned


@pytest.fixture
def fake() -> FakeReports:
    return FakeReports()


@pytest.fixture
def client(db, registry, fake, now):
    app = fresh_app(db, registry)
    app.state.public_indicators = IndicatorCache(compute=fake)
    with TestClient(app) as c:
        yield c


@pytest.fixture
def territories(db, registry) -> dict:
    with db.write() as conn:
        a = tenants.create_tenant(db, conn, CLI, siren=SIREN, registry=registry)
        b = tenants.create_tenant(db, conn, CLI, name="Syndicat voisin", siren=NEIGHBOUR,
                                  registry=registry)
        users.add_member(open_scope(db, conn, CLI, a["id"]), conn, {
            "email": "admin@a.fr", "role": "tenant_admin", "password": PASSWORD})
    return {"a": a["id"], "b": b["id"]}


def publish(client, tenant_id: int, value=True):
    headers = bearer(client, "admin@a.fr", PASSWORD)
    return client.patch(f"/api/v1/tenants/{tenant_id}",
                        json={"settings": {"impact.public_indicators": value}}, headers=headers)


def test_nothing_is_public_until_the_territory_publishes(client, territories, fake):
    missing = client.get("/territoires/999999999/indicateurs")
    assert missing.status_code == 404 and "Page introuvable" in missing.text
    # A page like the others: the way to skip to its content, the site's banner, its footer.
    assert '<a class="skip-link" href="#contenu">' in missing.text
    assert 'role="banner"' in missing.text and 'role="contentinfo"' in missing.text
    for path in (f"/territoires/{SIREN}/indicateurs", f"/territoires/{SIREN}/indicateurs.csv",
                 "/territoires/abc/indicateurs", f"/territoires/{NEIGHBOUR}/indicateurs"):
        answer = client.get(path)
        assert answer.status_code == 404, path
        assert answer.text == missing.text  # unknown or unpublished: the same answer
    assert fake.calls == []


def test_the_setting_is_checked(client, territories):
    refused = publish(client, territories["a"], "oui")
    assert refused.status_code == 422
    assert refused.json()["errors"] == [{"field": "impact.public_indicators",
                                         "message": "true (publier les indicateurs) ou false "
                                                    "attendu"}]


def test_the_headline_figures_of_last_year_and_the_year_to_date(client, territories, fake):
    assert publish(client, territories["a"]).status_code == 200
    page = client.get(f"/territoires/{SIREN}/indicateurs")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    # the whole territory, read as a reader would, for the two periods (15 March 2026)
    assert fake.calls == [
        (territories["a"], "viewer", None, date(2025, 1, 1), date(2025, 12, 31)),
        (territories["a"], "viewer", None, date(2026, 1, 1), date(2026, 3, 14))]
    html = page.text
    text = html_text(html)
    assert "Indicateurs d'impact CC de la Porte des Vosges Méridionales" in text
    assert "Année 2025" in text and "Année 2026, du 1er janvier au 14 mars 2026" in text
    last_year = html[html.index('id="periode-1"'):html.index('id="periode-2"')]
    assert row_cells(last_year, "Gains nets (gains bruts − empreinte)") == [
        f"12{NNBSP}346{NBSP}kWh", f"5{NNBSP}649{NBSP}€", f"{MINUS}212{NBSP}kg{NBSP}CO₂e",
        "non disponible"]
    assert row_cells(last_year, "Empreinte de la plateforme (à déduire)")[3] == "sans objet"
    this_year = html[html.index('id="periode-2"'):]
    assert row_cells(this_year, "Gains nets (gains bruts − empreinte)")[0] == f"{MINUS}50,2{NBSP}kWh"
    assert "net-card negative" in this_year
    for secret in SECRETS:
        assert secret not in html
    assert f'href="/territoires/{SIREN}/indicateurs.csv"' in html


def test_the_open_data_file(client, territories):
    publish(client, territories["a"])
    answer = client.get(f"/territoires/{SIREN}/indicateurs.csv")
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "text/csv; charset=utf-8"
    assert answer.headers["access-control-allow-origin"] == "*"
    assert f'filename="indicateurs-impact-{SIREN}.csv"' in answer.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(answer.text)))
    assert list(rows[0]) == ["siren", "territoire", "periode", "periode_debut", "periode_fin",
                             "cle", "libelle", "kwh", "eur", "kgco2e", "m3"]
    name = "CC de la Porte des Vosges Méridionales"
    last, this = ("annee_2025", "2025-01-01", "2025-12-31"), \
        ("annee_2026_en_cours", "2026-01-01", "2026-03-14")
    assert [(r["siren"], r["territoire"], r["periode"], r["periode_debut"], r["periode_fin"],
             r["cle"]) for r in rows] == [
        (SIREN, name, *last, "brut"), (SIREN, name, *last, "empreinte"),
        (SIREN, name, *last, "net"), (SIREN, name, *this, "brut"),
        (SIREN, name, *this, "empreinte"), (SIREN, name, *this, "net")]
    assert rows[2]["libelle"] == "Gains nets (gains bruts − empreinte)"
    net = rows[2]
    assert (net["kwh"], net["eur"], net["kgco2e"], net["m3"]) == (
        "12345.678", "5649.136", "-212.445", "")  # unknown: empty, never 0
    assert rows[1]["m3"] == "" and rows[4]["kwh"] == "310"
    assert float(rows[3]["kwh"]) == pytest.approx(-50.25 + 310)
    for secret in SECRETS:
        assert secret not in answer.text


def test_another_territory_is_never_shown(client, territories, fake):
    publish(client, territories["a"])
    html = client.get(f"/territoires/{SIREN}/indicateurs").text
    assert "Syndicat voisin" not in html
    assert {call[0] for call in fake.calls} == {territories["a"]}
    assert client.get(f"/territoires/{NEIGHBOUR}/indicateurs").status_code == 404
    # turned off again: gone at once
    assert publish(client, territories["a"], False).status_code == 200
    assert client.get(f"/territoires/{SIREN}/indicateurs").status_code == 404
    assert client.get(f"/territoires/{SIREN}/indicateurs.csv").status_code == 404


def test_computed_at_most_once_an_hour_per_day_and_settings(client, territories, fake, now):
    publish(client, territories["a"])
    for _ in range(3):
        assert client.get(f"/territoires/{SIREN}/indicateurs").status_code == 200
    assert client.get(f"/territoires/{SIREN}/indicateurs.csv").status_code == 200
    assert len(fake.calls) == 2  # once, for its two periods
    now["ms"] = paris_ms("2026-03-16T00:30:00")  # a new day: a new period
    client.get(f"/territoires/{SIREN}/indicateurs")
    assert len(fake.calls) == 4 and fake.calls[-1][-1] == date(2026, 3, 15)
    headers = bearer(client, "admin@a.fr", PASSWORD)
    client.patch(f"/api/v1/tenants/{territories['a']}",
                 json={"settings": {"digest_time": "06:00"}}, headers=headers)
    client.get(f"/territoires/{SIREN}/indicateurs")
    assert len(fake.calls) == 6  # settings changed: computed again
    client.app.state.public_indicators.kept_s = 0.0
    client.get(f"/territoires/{SIREN}/indicateurs")
    assert len(fake.calls) == 8  # kept no longer


def test_on_the_first_of_january_only_last_year(client, territories, fake, now):
    now["ms"] = paris_ms("2026-01-01T08:00:00")
    publish(client, territories["a"])
    html = client.get(f"/territoires/{SIREN}/indicateurs").text
    assert [call[3:] for call in fake.calls] == [(date(2025, 1, 1), date(2025, 12, 31))]
    assert "L'année vient de commencer" in html_text(html)
    assert len(list(csv.reader(io.StringIO(
        client.get(f"/territoires/{SIREN}/indicateurs.csv").text)))) == 1 + 3


@pytest.mark.parametrize(("today", "expected"), [
    (date(2026, 3, 15), [(date(2025, 1, 1), date(2025, 12, 31)),
                         (date(2026, 1, 1), date(2026, 3, 14))]),
    (date(2026, 1, 2), [(date(2025, 1, 1), date(2025, 12, 31)),
                        (date(2026, 1, 1), date(2026, 1, 1))]),
    (date(2024, 12, 31), [(date(2023, 1, 1), date(2023, 12, 31)),
                          (date(2024, 1, 1), date(2024, 12, 30))]),
])
def test_periods(today, expected):
    assert [(p.start, p.end) for p in periods(today)] == expected


@pytest.mark.parametrize(("first_day", "expected"), [
    (date(2024, 6, 1), [("Année 2025", date(2025, 1, 1), date(2025, 12, 31)),
                        ("Année 2026, du 1er janvier au 6 décembre 2026", date(2026, 1, 1),
                         date(2026, 12, 6))]),
    (date(2025, 12, 7), [("Année 2025, du 7 décembre 2025 (premières mesures) au "
                          "31 décembre 2025", date(2025, 12, 7), date(2025, 12, 31)),
                         ("Année 2026, du 1er janvier au 6 décembre 2026", date(2026, 1, 1),
                          date(2026, 12, 6))]),
    (date(2026, 3, 1), [("Année 2026, du 1er mars 2026 (premières mesures) au "
                         "6 décembre 2026", date(2026, 3, 1), date(2026, 12, 6))]),
    (date(2026, 12, 6), [("Année 2026, du 6 décembre 2026 (premières mesures) au "
                          "6 décembre 2026", date(2026, 12, 6), date(2026, 12, 6))]),
    (date(2026, 12, 7), []),  # measured since today: no day to show yet
])
def test_periods_start_at_the_first_measured_day(first_day, expected):
    assert [(p.label, p.start, p.end) for p in periods(date(2026, 12, 7), first_day)] == \
        expected


def _measured_since(db, registry, tenant_id: int, instants: list[str]) -> None:
    """A site of the territory measured at these Paris instants."""
    with db.write() as conn:
        scope = open_scope(db, conn, CLI, tenant_id)
        site = assets.create_asset(scope, conn, registry, {
            "ref": "S1", "kind": "generic.site", "name": "Site", "commune": "88383"})
        sid = streams.create_stream(scope, conn, registry, {"asset_id": site.id,
                                                            "metric": "generic.value"}).id
        store_rows(scope, conn, [(tenant_id, sid, paris_ms(at), float(k), 0)
                                 for k, at in enumerate(instants)], ZoneInfo("Europe/Paris"))


def test_a_territory_measured_since_november_shows_last_year_from_then(
        client, db, registry, territories, fake):
    _measured_since(db, registry, territories["a"], ["2025-11-20T00:30:00",
                                                     "2026-02-01T12:00:00"])
    publish(client, territories["a"])
    text = html_text(client.get(f"/territoires/{SIREN}/indicateurs").text)
    # (00:30 in Paris on 20 November is still the 19th in UTC: the day is Paris's)
    assert [call[3:] for call in fake.calls] == [(date(2025, 11, 20), date(2025, 12, 31)),
                                                 (date(2026, 1, 1), date(2026, 3, 14))]
    assert "Année 2025, du 20 novembre 2025 (premières mesures) au 31 décembre 2025" in text
    assert "L'année vient de commencer" not in text
    rows = list(csv.DictReader(io.StringIO(
        client.get(f"/territoires/{SIREN}/indicateurs.csv").text)))
    assert {(r["periode"], r["periode_debut"]) for r in rows} == {
        ("annee_2025", "2025-11-20"), ("annee_2026_en_cours", "2026-01-01")}


def test_a_territory_measured_since_today_has_no_figures_yet(client, db, registry,
                                                             territories, fake, now):
    _measured_since(db, registry, territories["a"], ["2026-03-15T08:00:00"])
    publish(client, territories["a"])
    page = client.get(f"/territoires/{SIREN}/indicateurs")
    assert page.status_code == 200 and fake.calls == []
    assert "Les premières mesures du territoire datent du 15 mars 2026 : ses premiers " \
           "chiffres paraîtront demain." in html_text(page.text).replace(NBSP, " ")


def test_with_the_real_impact_report(db, now, monkeypatch):
    """The page shows the net figures of the impact report's JSON for the same periods."""
    pytest.importorskip("beffroi.core.impact.report",
                        reason="waits for the impact branch (beffroi.core.impact.report)")
    from beffroi.core.impact import request
    from beffroi.core.registry import load_registry

    monkeypatch.setattr(request, "now_ms", lambda: now["ms"])  # the JSON route's today

    registry = load_registry()
    with db.write() as conn:
        a = tenants.create_tenant(db, conn, CLI, siren=SIREN, registry=registry,
                                  settings={"impact.public_indicators": True})
        tenants.create_tenant(db, conn, CLI, name="Syndicat voisin", siren=NEIGHBOUR,
                              registry=registry)
        users.add_member(open_scope(db, conn, CLI, a["id"]), conn, {
            "email": "admin@a.fr", "role": "tenant_admin", "password": PASSWORD})
    with TestClient(fresh_app(db, registry)) as client:
        rows = list(csv.DictReader(io.StringIO(
            client.get(f"/territoires/{SIREN}/indicateurs.csv").text)))
        headers = bearer(client, "admin@a.fr", PASSWORD)
        report = client.get(f"/api/v1/tenants/{a['id']}/impact",
                            params={"from": "2025-01-01", "to": "2025-12-31"},
                            headers=headers).json()
        assert client.get(f"/territoires/{NEIGHBOUR}/indicateurs").status_code == 404
    net = next(r for r in rows if r["periode"] == "annee_2025" and r["cle"] == "net")
    for key in ("kwh", "eur", "kgco2e", "m3"):
        value = report["net"].get(key)
        assert (None if net[key] == "" else float(net[key])) == value
