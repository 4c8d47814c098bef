"""The home dashboard's cards: what core counts for every domain, domain KPIs with their
comparisons, status, note and link, the commune filter within the caller's scope, and the
KPI cache (kept while nothing they depend on changes, at most ``max_age_s`` old)."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from suite_apps import fresh_app

import beffroi.web
from beffroi.core import assets, devices, streams, tenants, users
from beffroi.core.access import CLI, open_scope
from beffroi.core.alerting import alerts
from beffroi.core.clock import PARIS, now_ms
from beffroi.core.dashboard import Kpi, KpiComparison, KpiValue, dashboard
from beffroi.core.dashboard_cache import KpiCache
from beffroi.core.observations import store_rows
from beffroi.core.registry import Domain, Page, build_registry, discover_domains
from suite_accounts import bearer

POINT = {"type": "Point", "coordinates": [6.6, 48.0]}
PAGES_DIR = str(Path(beffroi.web.__file__).parent / "pages")
NOW = 1_796_470_000_000  # 2026-12-05, pinned


def _registry(*kpis: Kpi, pages: tuple[Page, ...] = ()):
    return build_registry(discover_domains(["generic"]) + [Domain(
        key="testing", label="Essais", kpis=kpis, pages=pages,
        web_dir=PAGES_DIR if pages else None)])


def test_cards_count_assets_alerts_silent_devices_and_kpis(db):
    def broken(ctx):
        raise ZeroDivisionError

    reg = _registry(Kpi("testing.sites", "Sites suivis", "1",
                        lambda ctx: float(len(ctx.registry.domains))),
                    Kpi("testing.broken", "Indicateur en panne", "%", broken))
    with db.write() as conn:
        t = tenants.create_tenant(db, conn, CLI, name="CC", registry=reg)
        scope = open_scope(db, conn, CLI, t["id"])
        tenants.create_commune(scope, conn, {"insee": "88383", "name": "Remiremont"})
        ids = [assets.create_asset(scope, conn, reg, {
            "ref": f"S{i}", "kind": "generic.site", "name": f"Site {i}", "commune": "88383",
            "geometry": POINT}).id for i in range(3)]
        devices.create_device(scope, conn, {"name": "muet", "asset_id": ids[0],
                                            "expected_interval_s": 600}, reg)
        devices.create_device(scope, conn, {"name": "sans rythme", "asset_id": ids[1]}, reg)
        for i, severity in enumerate(("critical", "critical", "warning")):
            alerts.raise_alert(db, conn, reg, t["id"], alerts.Trigger(
                key=f"k{i}", severity=severity, title="A", at=now_ms(), asset_id=ids[i]))
        alerts.clear_alert(db, conn, t["id"], "k1", now_ms())
        cards = dashboard(scope, conn, reg, cache=None)
    generic, testing = cards
    assert (generic["domain"], generic["assets"], generic["silent_devices"]) == ("generic", 3, 1)
    assert generic["alerts"] == {"info": 0, "warning": 1, "critical": 1}
    assert (generic["status"], generic["link"]) == ("critical", None)
    assert generic["kinds"] == [{"kind": "generic.site", "label": "Site", "count": 3}]
    assert testing["assets"] == 0 and testing["status"] == "ok" and testing["kpis"] == [
        {"key": "testing.sites", "label": "Sites suivis", "unit": "1", "value": 3.0,
         "comparisons": [], "status": None, "note": None, "link": None},
        {"key": "testing.broken", "label": "Indicateur en panne", "unit": "%", "value": None,
         "comparisons": [], "status": None, "note": None, "link": None}]


def test_a_kpi_value_carries_its_comparisons_status_note_and_link(db):
    def figures(ctx):
        return KpiValue(12.0, (
            KpiComparison("attendu", 10.0),  # 12 / 10 − 1
            KpiComparison("mêmes jours l'an dernier", 16.0, delta_share=-0.1),  # given
            KpiComparison("seuil", 34.0, "Cel", relative=False),  # a ratio means nothing
            KpiComparison("inconnu", None), KpiComparison("nul", 0.0)),
            status="warning", note="sur 3 sites")

    reg = _registry(
        Kpi("testing.figures", "Chiffres", "kW.h", figures, link="/essais/detail"),
        Kpi("testing.own_link", "Lien propre", "1",
            lambda ctx: KpiValue(1.0, status="bogus", link="/essais/autre")),
        Kpi("testing.not_a_number", "Pas un nombre", "1", lambda ctx: float("nan")),
        pages=(Page("/essais/rapport", "accueil.html"),
               Page("/essais", "accueil.html", nav_label="Essais")))
    with db.write() as conn:
        t = tenants.create_tenant(db, conn, CLI, name="CC", registry=reg)
        cards = dashboard(open_scope(db, conn, CLI, t["id"]), conn, reg, cache=None)
    [testing] = cards
    assert (testing["status"], testing["link"]) == ("ok", "/essais")  # the first in the menu
    figures_out, own, nan = testing["kpis"]
    assert figures_out == {
        "key": "testing.figures", "label": "Chiffres", "unit": "kW.h", "value": 12.0,
        "comparisons": [
            {"label": "attendu", "value": 10.0, "unit": "kW.h", "delta_share": 0.2},
            {"label": "mêmes jours l'an dernier", "value": 16.0, "unit": "kW.h",
             "delta_share": -0.1},
            {"label": "seuil", "value": 34.0, "unit": "Cel", "delta_share": None},
            {"label": "inconnu", "value": None, "unit": "kW.h", "delta_share": None},
            {"label": "nul", "value": 0.0, "unit": "kW.h", "delta_share": None}],
        "status": "warning", "note": "sur 3 sites", "link": "/essais/detail"}
    assert (own["status"], own["link"]) == (None, "/essais/autre")
    assert nan["value"] is None


# -- the commune filter, within the caller's scope --------------------------------------------
def _visible_sites(ctx) -> KpiValue:
    """How many assets the KPI's scope sees, and the communes it was given."""
    sites, _ = assets.list_assets(ctx.scope, ctx.conn, assets.AssetFilter())
    return KpiValue(float(len(sites)), note=",".join(ctx.communes or ()) or None)


@pytest.fixture
def territory(db):
    reg = _registry(Kpi("testing.visible", "Sites vus", "1", _visible_sites,
                        link="/essais/detail?vue=1"),
                    pages=(Page("/essais", "accueil.html", nav_label="Essais"),))
    with db.write() as conn:
        t = tenants.create_tenant(db, conn, CLI, name="CC", registry=reg)
        scope = open_scope(db, conn, CLI, t["id"])
        for insee, count in (("88383", 2), ("88001", 3), ("88002", 1)):
            tenants.create_commune(scope, conn, {"insee": insee, "name": f"Commune {insee}"})
            for i in range(count):
                assets.create_asset(scope, conn, reg, {
                    "ref": f"S-{insee}-{i}", "kind": "generic.site", "name": f"Site {i}",
                    "commune": insee, "geometry": POINT})
        users.add_member(scope, conn, {"email": "elu@cc.fr", "role": "viewer",
                                       "password": "password-123",
                                       "communes": ["88383", "88001"]})
        other = tenants.create_tenant(db, conn, CLI, name="Autre", registry=reg)
        users.add_member(open_scope(db, conn, CLI, other["id"]), conn, {
            "email": "admin@autre.fr", "role": "tenant_admin", "password": "password-123"})
    with TestClient(fresh_app(db, reg)) as client:
        yield client, t["id"]


def _get(client, tenant, headers, *communes):
    return client.get(f"/api/v1/tenants/{tenant}/dashboard", headers=headers,
                      params=[("commune", c) for c in communes])


def _figures(response) -> tuple:
    assert response.status_code == 200, response.text
    generic, testing = response.json()
    [kpi] = testing["kpis"]
    return generic["assets"], kpi["value"], kpi["note"], testing["link"], kpi["link"]


def test_the_commune_filter_narrows_counts_kpis_and_links(territory, op_headers):
    client, tenant = territory
    assert _figures(_get(client, tenant, op_headers)) == (
        6, 6.0, None, "/essais", "/essais/detail?vue=1")
    assert _figures(_get(client, tenant, op_headers, "88001")) == (
        3, 3.0, "88001", "/essais?commune=88001", "/essais/detail?vue=1&commune=88001")
    # Two communes: the domain pages take one, the links go to the whole territory.
    assert _figures(_get(client, tenant, op_headers, "88383", "88001", "88383")) == (
        5, 5.0, "88001,88383", "/essais", "/essais/detail?vue=1")


def test_a_commune_restricted_member_sees_only_their_communes(territory):
    client, tenant = territory
    headers = bearer(client, "elu@cc.fr", "password-123")
    assert _figures(_get(client, tenant, headers))[:3] == (5, 5.0, None)
    assert _figures(_get(client, tenant, headers, "88383"))[:2] == (2, 2.0)
    # Asking for all their communes: the same assets, but the KPI is told (kept apart).
    assert _figures(_get(client, tenant, headers, "88001", "88383"))[:3] == (
        5, 5.0, "88001,88383")
    refused = _get(client, tenant, headers, "88002")  # exists, but not theirs
    assert refused.status_code == 422
    assert refused.json()["detail"] == ("Commune « 88002 » inconnue dans ce territoire ou "
                                        "hors de votre accès.")
    assert refused.json()["errors"] == [
        {"field": "commune", "message": "« 88002 » : commune inconnue ou hors de votre accès"}]


def test_bad_communes_are_refused_in_french(territory, op_headers):
    client, tenant = territory
    unknown = _get(client, tenant, op_headers, "88001", "99999")
    assert unknown.status_code == 422
    assert unknown.json()["errors"] == [
        {"field": "commune", "message": "« 99999 » : commune inconnue ou hors de votre accès"}]
    malformed = _get(client, tenant, op_headers, "Remiremont")
    assert malformed.status_code == 422
    assert malformed.json()["detail"] == "Code INSEE « Remiremont » invalide."
    assert _get(client, tenant, op_headers, *[f"{i:05d}" for i in range(101)]
                ).status_code == 422


def test_another_tenants_member_gets_404(territory):
    client, tenant = territory
    headers = bearer(client, "admin@autre.fr", "password-123")
    assert _get(client, tenant, headers).status_code == 404
    assert _get(client, tenant, headers, "88001").status_code == 404


# -- the cache ------------------------------------------------------------------------------
def _counter():
    calls = []

    def compute():
        calls.append(1)
        return len(calls)
    return compute


def test_the_cache_keeps_a_value_while_its_versions_hold_and_it_is_young():
    cache, compute = KpiCache(), _counter()
    key, versions = ("db", 1, "viewer", None, None, "k"), (4, 7, "{}")
    assert cache.value(key, versions, 60, NOW, compute) == 1
    assert cache.value(key, versions, 60, NOW + 59_999, compute) == 1
    assert cache.value(key, versions, 60, NOW + 60_000, compute) == 2  # too old
    assert cache.value(key, (5, 7, "{}"), 60, NOW + 60_001, compute) == 3  # the inventory
    assert cache.value(key, (5, 8, "{}"), 60, NOW + 60_002, compute) == 4  # an alert
    assert cache.value(key, (5, 8, '{"a": 1}'), 60, NOW + 60_003, compute) == 5  # settings
    assert cache.value(key, (5, 8, '{"a": 1}'), 60, NOW - 1, compute) == 6  # clock went back
    cache.invalidate(("db", 1))
    assert cache.value(key, (5, 8, '{"a": 1}'), 60, NOW, compute) == 7


def test_the_cache_drops_the_least_recently_used_values():
    cache, compute = KpiCache(max_entries=2), _counter()
    for name in ("a", "b", "a", "c"):  # "b" is the least recently used when "c" comes
        cache.value(("db", 1, name), (), 60, NOW, compute)
    assert len(cache) == 2
    assert cache.value(("db", 1, "a"), (), 60, NOW, compute) == 1
    assert cache.value(("db", 1, "b"), (), 60, NOW, compute) == 4


def test_concurrent_requests_compute_a_value_once():
    cache, calls = KpiCache(), []

    def slow():
        calls.append(1)
        time.sleep(0.2)
        return "valeur"

    results = []
    threads = [threading.Thread(target=lambda: results.append(
        cache.value(("db", 1, "k"), (), 60, NOW, slow))) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == ["valeur"] * 6 and len(calls) == 1


def test_kpis_are_recomputed_when_what_they_depend_on_changes(db):
    """A KPI reading the latest observation and the alerts, another neither: each is
    recomputed after an alert event only if it reads them, after a change of the inventory
    or of the settings always, and after new observations only once its ``max_age_s`` has
    passed."""
    computed = {"live": 0, "quiet": 0}

    def live(ctx):
        computed["live"] += 1
        [row] = streams.list_streams(ctx.scope, ctx.conn)
        return row.last_value

    def quiet(ctx):
        computed["quiet"] += 1
        return 1.0

    reg = _registry(Kpi("testing.live", "Dernière valeur", "1", live),
                    Kpi("testing.quiet", "Constante", "1", quiet, uses_alerts=False))
    cache = KpiCache()
    with db.write() as conn:
        t = tenants.create_tenant(db, conn, CLI, name="CC", registry=reg)
        scope = open_scope(db, conn, CLI, t["id"])
        tenants.create_commune(scope, conn, {"insee": "88383", "name": "Remiremont"})
        site = assets.create_asset(scope, conn, reg, {
            "ref": "S", "kind": "generic.site", "name": "Site", "commune": "88383",
            "geometry": POINT})
        stream = streams.create_stream(scope, conn, reg, {"asset_id": site.id,
                                                          "metric": "generic.value"})
        store_rows(scope, conn, [(t["id"], stream.id, NOW - 60_000, 1.0, 0)], PARIS)

    def figures(at: int, communes=None):
        with db.read() as conn:
            cards = dashboard(open_scope(db, conn, CLI, t["id"]), conn, reg, communes,
                              now=at, cache=cache)
        return [k["value"] for k in cards[1]["kpis"]], dict(computed)

    assert figures(NOW) == ([1.0, 1.0], {"live": 1, "quiet": 1})
    assert figures(NOW + 1000) == ([1.0, 1.0], {"live": 1, "quiet": 1})
    # New observations: the value is kept until it is max_age_s (60 s) old, not longer.
    with db.write() as conn:
        store_rows(open_scope(db, conn, CLI, t["id"]), conn,
                   [(t["id"], stream.id, NOW, 2.0, 0)], PARIS)
    assert figures(NOW + 59_000) == ([1.0, 1.0], {"live": 1, "quiet": 1})
    assert figures(NOW + 60_000) == ([2.0, 1.0], {"live": 2, "quiet": 2})
    # An alert: only the KPI that reads alerts.
    with db.write() as conn:
        alerts.raise_alert(db, conn, reg, t["id"], alerts.Trigger(
            key="k", severity="warning", title="A", at=NOW, asset_id=site.id))
    assert figures(NOW + 61_000) == ([2.0, 1.0], {"live": 3, "quiet": 2})
    with db.write() as conn:  # acknowledged: an event of the alert
        alerts.acknowledge_alert(open_scope(db, conn, CLI, t["id"]), conn,
                                 alerts.list_alerts(open_scope(db, conn, CLI, t["id"]),
                                                    conn)[0].id, {})
    assert figures(NOW + 62_000) == ([2.0, 1.0], {"live": 4, "quiet": 2})
    # The inventory (an asset renamed, one added), then the settings: both.
    with db.write() as conn:
        assets.update_asset(open_scope(db, conn, CLI, t["id"]), conn, reg, site.id,
                            {"name": "Site renommé"})
    assert figures(NOW + 63_000) == ([2.0, 1.0], {"live": 5, "quiet": 3})
    with db.write() as conn:
        assets.create_asset(open_scope(db, conn, CLI, t["id"]), conn, reg, {
            "ref": "S2", "kind": "generic.site", "name": "Autre", "commune": "88383",
            "geometry": POINT})
    assert figures(NOW + 63_500) == ([2.0, 1.0], {"live": 6, "quiet": 4})
    with db.write() as conn:
        tenants.update_tenant(open_scope(db, conn, CLI, t["id"]), conn,
                              {"settings": {"raw_retention_days": 400}}, reg)
    assert figures(NOW + 64_000) == ([2.0, 1.0], {"live": 7, "quiet": 5})
    # Another view (one commune) has its own values.
    assert figures(NOW + 65_000, ["88383"]) == ([2.0, 1.0], {"live": 8, "quiet": 6})
    assert figures(NOW + 66_000) == ([2.0, 1.0], {"live": 8, "quiet": 6})


def test_the_route_serves_kpis_from_the_cache(territory, op_headers, monkeypatch):
    """Two calls, one computation; a change of the inventory, a new one."""
    client, tenant = territory
    from beffroi.core import dashboard as module

    calls = []
    real = module._kpi
    monkeypatch.setattr(module, "_kpi", lambda kpi, ctx: calls.append(kpi.key) or real(kpi, ctx))
    monkeypatch.setattr(module, "CACHE", KpiCache())
    monkeypatch.setattr(module, "now_ms", lambda: NOW)
    assert _figures(_get(client, tenant, op_headers))[1] == 6.0
    assert _figures(_get(client, tenant, op_headers))[1] == 6.0
    assert calls == ["testing.visible"]
    created = client.post(f"/api/v1/tenants/{tenant}/assets", headers=op_headers, json={
        "ref": "S-NEW", "kind": "generic.site", "name": "Nouveau", "commune": "88002",
        "geometry": POINT})
    assert created.status_code == 201, created.text
    assert _figures(_get(client, tenant, op_headers))[1] == 7.0
    assert calls == ["testing.visible"] * 2
