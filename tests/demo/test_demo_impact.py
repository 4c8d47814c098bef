"""Issue #16's acceptance on the demo territory: the impact report of its year has lighting and
water figures, a footprint and a net figure, and the route and the command line agree.

The demo is built at a pinned date with a year of history (lighting and water, the domains
whose figures the acceptance names; the others only add volume); the period is read from
the demo's own data: 1 January to the last day of its history."""

from __future__ import annotations

import json
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from suite_apps import fresh_app

import beffroi.cli.reports
import beffroi.core.impact.request as impact_request
from beffroi.cli.main import cli
from beffroi.core.registry import load_registry
from beffroi.demo.builder import DEMO_EMAIL, DEMO_PASSWORD, DEMO_SIREN, build_demo
from beffroi.storage import schema
from beffroi.storage.database import Database
from suite_accounts import bearer

PARIS = ZoneInfo("Europe/Paris")
NOW = int(datetime(2026, 12, 1, tzinfo=PARIS).timestamp() * 1000)  # the demo's build date


@pytest.fixture(scope="module")
def registry():
    return load_registry(["generic", "lighting", "water"])


@pytest.fixture(scope="module")
def demo(tmp_path_factory, registry):
    db = Database(str(tmp_path_factory.mktemp("demo") / "demo.db"))
    result = build_demo(db, registry, now=NOW)
    yield db, result
    db.dispose()


@pytest.fixture(autouse=True)
def pinned(monkeypatch, registry):
    monkeypatch.setattr(impact_request, "now_ms", lambda: NOW + 3_600_000)
    monkeypatch.setattr(beffroi.cli.reports, "load_registry", lambda *a, **k: registry)


def _period(db, tenant_id: int) -> tuple[date, date]:
    """1 January of the demo's last day of history, and that day."""
    r = schema.rollups_daily
    with db.read() as conn:
        last = conn.execute(select(func.max(r.c.bucket)).where(
            r.c.tenant_id == tenant_id)).scalar_one()
    end = datetime.fromtimestamp(last / 1000, PARIS).date()
    return date(end.year, 1, 1), end


def test_the_demo_year_has_lighting_and_water_figures_a_footprint_and_a_net(demo, registry,
                                                                            tmp_path):
    db, result = demo
    start, end = _period(db, result.tenant_id)
    assert (start, end) == (date(2026, 1, 1), date(2026, 11, 30))
    params = {"from": start.isoformat(), "to": end.isoformat()}
    with TestClient(fresh_app(db, registry)) as client:
        headers = bearer(client, DEMO_EMAIL, DEMO_PASSWORD)
        answer = client.get(f"/api/v1/tenants/{DEMO_SIREN}/impact", headers=headers,
                            params=params)
    assert answer.status_code == 200, answer.text
    report = answer.json()
    assert report["tenant"]["siren"] == DEMO_SIREN and report["period"]["days"] == 334
    domains = {d["domain"]: d for d in report["domains"]}
    lighting, water = domains["lighting"], domains["water"]
    assert lighting["kwh"] > 0 and lighting["eur"] > 0 and lighting["kgco2e"] > 0
    assert lighting["eur"] == pytest.approx(lighting["kwh"] * 0.25, rel=1e-4)
    assert len(lighting["monthly"]) == 11 and len(lighting["by_commune"]) == 10
    assert water["m3"] > 0 and water["eur"] == pytest.approx(water["m3"] * 2.1, rel=1e-4)
    assert "fuite(s) réparée(s)" in water["coverage"]["text"]
    assert report["field_trips"]["trips"] > 0  # the customer meters read remotely
    footprint = report["footprint"]
    assert footprint["kgco2e"] > 0
    assert {p["key"] for p in footprint["parts"]} == {"devices", "connectivity", "hosting"}
    assert report["net"]["kgco2e"] == pytest.approx(
        report["gross"]["kgco2e"] - footprint["kgco2e"], abs=2e-3)
    assert report["net"]["eur"] == pytest.approx(report["gross"]["eur"] - footprint["eur"],
                                                 abs=2e-3)
    assert report["data"]["from"] == "2026-01-01" and report["data"]["to"] == "2026-11-30"

    out = tmp_path / "rapport.json"
    run = CliRunner().invoke(cli, ["report", "impact", "--tenant", DEMO_SIREN, "--from",
                                   params["from"], "--to", params["to"], "--out", str(out),
                                   "--db", db.url], prog_name="beffroi")
    assert run.exit_code == 0, run.output
    written = json.loads(out.read_text(encoding="utf-8"))
    assert report.pop("generated_at") and written.pop("generated_at")
    assert written == report
