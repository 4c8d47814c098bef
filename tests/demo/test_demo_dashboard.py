"""Issue #16's acceptance, on the demo territory itself (a year of history): the home
dashboard gives at least two key figures for each of the four domains, for the whole
territory and for one commune."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from suite_apps import fresh_app

from beffroi.core import dashboard
from beffroi.core.registry import load_registry
from beffroi.demo.builder import DEMO_EMAIL, DEMO_PASSWORD, DEMO_SIREN, build_demo
from beffroi.storage.database import Database
from suite_accounts import bearer

NOW = 1_790_000_000_000  # fixed clock: 2026-09-21
DOMAINS = ("lighting", "water", "risks", "buildings")


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """The demo of the four domains (the waste example only adds volume), with 40 days of
    history: the dashboard's figures are of the current month and the last weeks (the same
    ones are there with the demo's full year, a build three times as long)."""
    registry = load_registry(["generic", *DOMAINS])
    db = Database(str(tmp_path_factory.mktemp("demo") / "demo.db"))
    build_demo(db, registry, now=NOW, history_days=40)
    yield db, registry
    db.dispose()


def test_the_demo_dashboard_has_two_figures_or_more_per_domain(demo, monkeypatch):
    db, registry = demo
    monkeypatch.setattr(dashboard, "now_ms", lambda: NOW)
    with TestClient(fresh_app(db, registry)) as client:
        headers = bearer(client, DEMO_EMAIL, DEMO_PASSWORD)
        url = f"/api/v1/tenants/{DEMO_SIREN}/dashboard"
        for params in ({}, {"commune": "88383"}):  # Remiremont has a bit of everything
            answer = client.get(url, headers=headers, params=params)
            assert answer.status_code == 200, answer.text
            cards = {c["domain"]: c for c in answer.json()}
            figures = {d: {k["key"]: k["value"] for k in cards[d]["kpis"]
                           if k["value"] is not None} for d in DOMAINS}
            assert all(len(figures[d]) >= 2 for d in DOMAINS), figures
            assert cards["lighting"]["link"] == ("/eclairage" if not params
                                                 else "/eclairage?commune=88383")
            assert figures["lighting"]["lighting.energy_month"] > 0
            assert figures["water"]["water.sectors_monitored"] >= 1
