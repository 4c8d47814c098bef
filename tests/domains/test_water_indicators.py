"""RPQS indicators: SISPEA formulas on worked examples computed by hand, the décret 2012-97
test at its edges, the ILP rating grid, the yearly volumes form over HTTP and the
indicators of the demo territory."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import numpy as np
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from suite_apps import fresh_app

from beffroi.core import assets, tenants, users
from beffroi.core.access import CLI, open_scope
from beffroi.core.clock import PARIS, now_ms
from beffroi.core.observations import store_rows
from beffroi.core.registry import load_registry
from beffroi.core.streams import ensure_stream
from beffroi.domains.water.demo.inventory import demo_inventory
from beffroi.domains.water.indicators import (
    DEFAULT_ILP_GRID,
    Volumes,
    authorised_consumption,
    decree_threshold,
    decree_verdict,
    distribution_input,
    grid_errors,
    ilc,
    ilp,
    ilvnc,
    indicator_set,
    losses,
    rate_ilp,
    rendement,
)
from beffroi.storage import schema

# A small rural service (the example).
RURAL = Volumes(produced=120_000, imported=5_000, exported=10_000, metered_consumption=85_000,
                unmetered_consumption=2_000, service_volume=1_000, mains_length_km=40)


def test_worked_example_of_a_small_rural_service():
    # V4 = 120 000 + 5 000 − 10 000 = 115 000 m³ put into distribution
    assert distribution_input(RURAL) == 115_000
    # V6 = 85 000 + 2 000 + 1 000 = 88 000 m³ of authorised consumption
    assert authorised_consumption(RURAL) == 88_000
    # V5 = 115 000 − 88 000 = 27 000 m³ lost
    assert losses(RURAL) == 27_000
    # P104.3 = (88 000 + 10 000) / (120 000 + 5 000) × 100 = 98 000 / 125 000 × 100 = 78.4 %
    assert rendement(RURAL) == 78.4
    # 365 × 40 km = 14 600 km·day
    # P106.3 ILP = 27 000 / 14 600 = 1.849315… m³/km/day
    assert ilp(RURAL) == 27_000 / 14_600
    # P105.3 ILVNC = (115 000 − 85 000) / 14 600 = 30 000 / 14 600 = 2.054794… m³/km/day
    assert ilvnc(RURAL) == 30_000 / 14_600
    # ILC = (88 000 + 10 000) / 14 600 = 98 000 / 14 600 = 6.712328… m³/km/day
    assert ilc(RURAL) == 98_000 / 14_600
    # Décret: 65 + 6.712328… / 5 = 66.342465… % < 85 %: threshold 66.34 %; 78.4 % passes
    assert decree_threshold(ilc(RURAL)) == 65 + 98_000 / 14_600 / 5
    published = indicator_set(RURAL)
    assert published["rendement_pct"] == 78.4
    assert published["ilp_m3_km_day"] == 1.85
    assert published["ilvnc_m3_km_day"] == 2.05
    assert published["ilc_m3_km_day"] == 6.71
    assert published["decree"]["threshold_pct"] == 66.3
    assert published["decree"]["compliant"] is True
    assert published["decree"]["message"].startswith("Conforme au décret 2012-97")
    # Rural (ILC 6.71 < 10): ILP 1.85 is ≥ 1.5 and < 2.5 → acceptable
    assert published["rating"] == {"category": "rural", "grade": "acceptable",
                                   "label": "acceptable (réseau rural)",
                                   "limits_m3_km_day": [1.5, 2.5, 4.0]}


def test_worked_example_of_a_town_abstracting_in_a_zre():
    town = Volumes(produced=3_000_000, imported=0, exported=200_000,
                   metered_consumption=2_100_000, unmetered_consumption=30_000,
                   service_volume=20_000, mains_length_km=100)
    # V4 = 3 000 000 − 200 000 = 2 800 000; V6 = 2 100 000 + 30 000 + 20 000 = 2 150 000
    # rendement = (2 150 000 + 200 000) / 3 000 000 × 100 = 78.333… %
    assert rendement(town) == 100 * 2_350_000 / 3_000_000
    # 365 × 100 = 36 500; ILC = 2 350 000 / 36 500 = 64.383561… (urban: ≥ 30)
    assert ilc(town) == 2_350_000 / 36_500
    # ILP = (2 800 000 − 2 150 000) / 36 500 = 17.808219…; ILVNC = 700 000 / 36 500 = 19.178…
    assert ilp(town) == 650_000 / 36_500
    assert ilvnc(town) == 700_000 / 36_500
    # Outside a ZRE: min(85, 65 + 12.876712…) = 77.876712… → 78.33 % passes
    assert indicator_set(town)["decree"]["compliant"] is True
    # 2.5 Mm³ abstracted in a ZRE: min(85, 70 + 12.876712…) = 82.876712… → 78.33 % fails
    zre = indicator_set(town, zre_abstraction_m3=2_500_000)
    assert zre["decree"]["threshold_pct"] == 82.9
    assert zre["decree"]["fixed_term_pct"] == 70
    assert zre["decree"]["compliant"] is False
    assert "plan d'actions" in zre["decree"]["message"]
    assert "zone de répartition" in zre["decree"]["message"]
    # Urban grid: ILP 17.81 ≥ 15 → poor
    assert zre["rating"]["category"] == "urban" and zre["rating"]["grade"] == "poor"
    assert zre["rating"]["label"] == "mauvais (réseau urbain)"


def test_decree_threshold_at_its_edges():
    # ILC 50: 65 + 50/5 = 75 exactly; the décret asks a plan only *below* the threshold
    assert decree_verdict(75.0, 50.0).compliant is True
    assert decree_verdict(74.99, 50.0).compliant is False
    # The fixed term is 70 only above 2 Mm³ abstracted in a ZRE, not at 2 Mm³
    assert decree_threshold(50.0, 2_000_000) == 75.0
    assert decree_threshold(50.0, 2_000_001) == 80.0
    assert decree_verdict(79.9, 50.0, 2_000_001).compliant is False
    # 85 % is enough whatever the ILC; a dense network's threshold is capped at 85 %
    assert decree_threshold(150.0) == 85.0
    assert decree_verdict(85.0, 150.0).compliant is True
    assert decree_verdict(84.9, 150.0).compliant is False
    # Without a mains length: 85 % still decides, below it the verdict is unknown
    assert decree_verdict(85.0, None).compliant is True
    undecided = decree_verdict(80.0, None)
    assert undecided.compliant is None and "linéaire" in undecided.message
    assert decree_verdict(None, 5.0).compliant is None


def test_indices_need_a_mains_length_and_rendement_an_inflow():
    no_length = Volumes(produced=1000, metered_consumption=800)
    assert rendement(no_length) == 80.0
    assert ilp(no_length) is None and ilc(no_length) is None and ilvnc(no_length) is None
    assert rendement(Volumes(metered_consumption=10, mains_length_km=1)) is None
    assert indicator_set(no_length)["rating"] is None


@pytest.mark.parametrize(("ilp_value", "ilc_value", "expected"), [
    (1.49, 9.99, ("rural", "good")),
    (1.5, 9.99, ("rural", "acceptable")),  # a value on a limit falls in the worse grade
    (4.0, 5.0, ("rural", "poor")),
    (2.99, 10.0, ("intermediate", "good")),  # ILC 10 is no longer rural
    (7.99, 29.9, ("intermediate", "mediocre")),
    (6.99, 30.0, ("urban", "good")),
    (15.0, 80.0, ("urban", "poor")),
])
def test_ilp_rating_on_the_default_grid(ilp_value, ilc_value, expected):
    rating = rate_ilp(ilp_value, ilc_value)
    assert (rating.category, rating.grade) == expected


def test_rating_grid_is_checked_and_configurable():
    assert grid_errors(DEFAULT_ILP_GRID) == []
    strict = {"rural": {"ilc_below": 10, "good": 1, "acceptable": 2, "mediocre": 3},
              "intermediate": {"ilc_below": 30, "good": 2, "acceptable": 4, "mediocre": 6},
              "urban": {"good": 5, "acceptable": 8, "mediocre": 12}}
    assert grid_errors(strict) == []
    assert rate_ilp(1.85, 6.7, strict).grade == "acceptable"
    assert rate_ilp(1.85, 6.7, {**strict, "rural": {**strict["rural"], "good": 2}}).grade == "good"
    bad = {"rural": {"ilc_below": 10, "good": 3, "acceptable": 2, "mediocre": 4},
           "intermediate": {"ilc_below": 5, "good": 3, "acceptable": 5, "mediocre": "x"},
           "suburban": {}}
    fields = {e["field"] for e in grid_errors(bad)}
    assert fields == {"water.ilp_grid.suburban", "water.ilp_grid.rural",
                      "water.ilp_grid.intermediate.mediocre", "water.ilp_grid.urban",
                      "water.ilp_grid.intermediate.ilc_below"}


# -- the demo territory --------------------------------------------------------------------------
def test_demo_figures_put_exactly_one_commune_below_the_decree(communes):
    verdicts = {}
    for insee, commune in communes.items():
        inventory = demo_inventory(commune, np.random.default_rng(7))
        service = next(a for a in inventory if a.kind == "water.service")
        sectors = [a for a in inventory if a.kind == "water.sector"]
        years = service.properties["years"]
        assert len(years) == 2
        for figures in years.values():
            assert figures["mains_length_km"] == round(
                sum(s.properties["mains_length_km"] for s in sectors), 1)
        last = years[max(years)]
        v = Volumes(produced=last["produced_m3"], imported=last["imported_m3"],
                    exported=last["exported_m3"],
                    metered_consumption=last["metered_consumption_m3"],
                    unmetered_consumption=last["unmetered_consumption_m3"],
                    service_volume=last["service_volume_m3"],
                    mains_length_km=last["mains_length_km"])
        result = indicator_set(v)
        verdicts[insee] = result["decree"]["compliant"]
        # margins of at least 2 points: the verdicts do not hang on the random sector cut
        assert abs(rendement(v) - decree_threshold(ilc(v))) > 2
    assert [insee for insee, ok in verdicts.items() if not ok] == ["88351"]  # Plombières
    # Le Val-d'Ajol sells to Girmont-Val-d'Ajol what Girmont buys
    sold = demo_inventory(communes["88487"], np.random.default_rng(7))[0].properties["years"]
    bought = demo_inventory(communes["88205"], np.random.default_rng(7))[0].properties["years"]
    assert [y["exported_m3"] for y in sold.values()] == [y["imported_m3"] for y in bought.values()]
    assert all(y["produced_m3"] == 0 for y in bought.values())


# -- the form and the indicators over HTTP ----------------------------------------------------
YEAR = datetime.now(PARIS).year - 2  # a whole year the meter's history barely reaches
FIGURES = {"produced_m3": 120_000, "imported_m3": 5_000, "exported_m3": 10_000,
           "metered_consumption_m3": 85_000, "unmetered_consumption_m3": 2_000,
           "service_volume_m3": 1_000, "mains_length_km": 40}
DAILY_M3 = 330


def _noon(day: date) -> int:
    return int(datetime(day.year, day.month, day.day, 12, tzinfo=PARIS).timestamp() * 1000)


@pytest.fixture
def water(db):
    registry = load_registry(["generic", "water"])
    with db.write() as conn:
        t = tenants.create_tenant(db, conn, CLI, name="CC", registry=registry)
        scope = open_scope(db, conn, CLI, t["id"])
        tenants.create_commune(scope, conn, {"insee": "88383", "name": "Remiremont"})
        point = {"type": "Point", "coordinates": [6.59, 48.01]}
        square = {"type": "Polygon", "coordinates": [[[6.5, 48], [6.6, 48], [6.6, 48.1],
                                                      [6.5, 48]]]}
        service = assets.create_asset(scope, conn, registry, {
            "ref": "SVC-88383", "kind": "water.service", "name": "Régie de Remiremont",
            "commune": "88383", "geometry": point})
        sector = assets.create_asset(scope, conn, registry, {
            "ref": "SEC-88383-1", "kind": "water.sector", "name": "Secteur 1",
            "commune": "88383", "geometry": square, "parent_ref": "SVC-88383",
            "properties": {"mains_length_km": 38.5, "population_served": 2000}})
        production = assets.create_asset(scope, conn, registry, {
            "ref": "CPT-88383-P1", "kind": "water.meter", "name": "Production",
            "commune": "88383", "geometry": point, "parent_ref": "SVC-88383",
            "properties": {"role": "production"}})
        other = assets.create_asset(scope, conn, registry, {
            "ref": "SITE", "kind": "generic.site", "name": "Site", "commune": "88383",
            "geometry": point})
        # A year and a few days of daily index readings at noon, 330 m³ a day, on a
        # five-digit totaliser that rolls over from 99 999 to 0.
        stream = ensure_stream(scope, conn, registry, production.id, "water.volume")
        today = datetime.fromtimestamp(now_ms() / 1000, PARIS).date()
        days = [today - timedelta(days=i) for i in range(370, -1, -1)]
        index = (80_000 + DAILY_M3 * np.arange(len(days))) % 100_000
        store_rows(scope, conn, [(t["id"], stream, _noon(d), float(v), 0)
                                 for d, v in zip(days, index, strict=True)], PARIS)
        for email, role in (("agent@cc.fr", "agent"), ("elu@cc.fr", "viewer")):
            users.add_member(scope, conn, {"email": email, "role": role,
                                           "password": "password-123"})
    with TestClient(fresh_app(db, registry)) as client:
        headers = {}
        for email in ("agent@cc.fr", "elu@cc.fr"):
            token = client.post("/api/v1/auth/token", json={
                "email": email, "password": "password-123"}).json()["access_token"]
            headers[email.split("@")[0]] = {"Authorization": f"Bearer {token}"}
        yield {"client": client, "db": db, "base": f"/api/v1/tenants/{t['id']}",
               "service": service.id, "sector": sector.id, "other": other.id,
               "h": headers["agent"], "viewer": headers["elu"], "tenant": t["id"]}


def test_yearly_volumes_form(water):
    client, h = water["client"], water["h"]
    url = f"{water['base']}/water/services/{water['service']}/years/{YEAR}"
    ok = client.put(url, headers=h, json=FIGURES)
    assert ok.status_code == 200, ok.text
    assert ok.json()["figures"] == FIGURES and ok.json()["rejected"] == []
    assert client.get(url, headers=water["viewer"]).json()["figures"] == FIGURES
    # A typo in one field: the others are stored, the bad one keeps its previous value
    typo = client.put(url, headers=h, json={**FIGURES, "produced_m3": "12O000",
                                            "service_volume_m3": -5, "couleur": "bleu",
                                            "imported_m3": 6_000})
    assert typo.status_code == 200, typo.text
    body = typo.json()
    assert {e["field"] for e in body["rejected"]} == {"produced_m3", "service_volume_m3",
                                                       "couleur"}
    assert all(e["message"] for e in body["rejected"])
    assert "Volume de service" in next(e["message"] for e in body["rejected"]
                                        if e["field"] == "service_volume_m3")
    assert body["kept"] == ["produced_m3", "service_volume_m3"]
    assert body["figures"] == {**FIGURES, "imported_m3": 6_000}
    assert "refusé" in body["message"]
    # Nothing valid at all: refused, nothing changes
    bad = client.put(url, headers=h, json={"produced_m3": True, "volume": 3})
    assert bad.status_code == 422
    assert {e["field"] for e in bad.json()["errors"]} == {"produced_m3", "volume"}
    assert client.put(url, headers=h, json=[1, 2]).status_code == 422
    stored = client.get(f"{water['base']}/water/services/{water['service']}/years",
                        headers=h).json()
    assert stored["years"] == {str(YEAR): {**FIGURES, "imported_m3": 6_000}}
    assert {f["name"] for f in stored["fields"]} >= set(FIGURES)
    # Every change is audited as a change of the service
    with water["db"].read() as conn:
        a = schema.audit_log
        changes = conn.execute(select(a.c.action).where(
            a.c.tenant_id == water["tenant"], a.c.entity == "asset",
            a.c.entity_id == str(water["service"]), a.c.action == "update")).all()
    assert len(changes) == 2


@pytest.mark.parametrize("year", ["25", "2025-01", "deux-mille", "0000", "2999", "1989"])
@pytest.mark.parametrize("db", ["sqlite"], indirect=True)  # refused before any storage
def test_unknown_year_formats_are_refused(water, year):
    url = f"{water['base']}/water/services/{water['service']}/years/{year}"
    answer = water["client"].put(url, headers=water["h"], json=FIGURES)
    assert answer.status_code == 422, answer.text
    assert answer.json()["errors"][0]["field"] == "year"
    assert water["client"].get(url, headers=water["h"]).status_code == 422


def test_who_may_write_the_form(water):
    client = water["client"]
    url = f"{water['base']}/water/services/{water['service']}/years/{YEAR}"
    refused = client.put(url, headers=water["viewer"], json=FIGURES)
    assert refused.status_code == 403
    assert refused.headers["content-type"] == "application/problem+json"
    assert client.get(url, headers=water["viewer"]).json()["figures"] == {}
    not_a_service = f"{water['base']}/water/services/{water['other']}/years/{YEAR}"
    assert client.put(not_a_service, headers=water["h"], json=FIGURES).status_code == 404
    assert client.put(url, json=FIGURES).status_code in (401, 404)


def test_indicators_for_a_year_and_the_last_twelve_months(water):
    client, h, base = water["client"], water["h"], water["base"]
    client.put(f"{base}/water/services/{water['service']}/years/{YEAR}", headers=h,
               json=FIGURES)
    year = client.get(f"{base}/water/indicators?year={YEAR}", headers=water["viewer"])
    assert year.status_code == 200, year.text
    service = year.json()["services"][0]
    assert service["ref"] == "SVC-88383" and service["commune_name"] == "Remiremont"
    produced = service["inputs"]["produced_m3"]
    # the meter only covers the end of that year: the entered figure is used
    assert produced["source"] == "entered" and produced["value"] == 120_000
    assert produced["metered"] is None and produced["metered_coverage"] < 0.2
    assert service["inputs"]["mains_length_km"]["value"] == 40
    assert service["inputs"]["mains_length_km"]["sectors"] == 38.5
    assert service["indicators"]["rendement_pct"] == 78.4
    assert service["indicators"]["ilp_m3_km_day"] == 1.85
    assert service["indicators"]["decree"]["compliant"] is True
    assert year.json()["summary"]["below_decree_threshold"] == []

    rolling = client.get(f"{base}/water/indicators?rolling=12m", headers=h).json()
    service = rolling["services"][0]
    produced = service["inputs"]["produced_m3"]
    # 365 days × 330 m³ read on the meter, through its roll-over at 99 999
    assert produced["source"] == "meters" and produced["metered_coverage"] == 1.0
    assert produced["value"] == pytest.approx(365 * DAILY_M3, abs=1e-6)
    consumption = service["inputs"]["metered_consumption_m3"]
    assert consumption["source"] == "previous_entry" and consumption["entered_year"] == YEAR
    # the mains length entered for the last whole year stands for the rolling months too
    assert service["inputs"]["mains_length_km"]["value"] == 40
    assert service["inputs"]["mains_length_km"]["source"] == "previous_entry"
    # (88 000 + 10 000) / (120 450 + 5 000) × 100 = 78.12 %
    assert service["indicators"]["rendement_pct"] == round(100 * 98_000 / 125_450, 1)
    assert rolling["period"]["year"] is None and "glissants" in rolling["period"]["label"]


def test_indicator_queries_are_checked(water):
    client, h, base = water["client"], water["h"], water["base"]
    for query in ("", f"?year={YEAR}&rolling=12m", "?rolling=6m", "?year=24"):
        assert client.get(f"{base}/water/indicators{query}", headers=h).status_code == 422
    # nothing entered and a meter covering a few weeks of the year: nothing is computed,
    # and the reasons are given
    empty = client.get(f"{base}/water/indicators?year={YEAR}", headers=h).json()["services"][0]
    assert empty["indicators"] is None
    assert empty["missing"] == ["Volume produit (V1)",
                                "Consommation comptabilisée, facturation (V7)"]
    assert any("compteurs incomplets" in note for note in empty["notes"])


def test_a_tenant_grid_replaces_the_default_one_unless_unusable():
    from dataclasses import replace
    from types import SimpleNamespace

    from beffroi.core.registry import build_registry
    from beffroi.domains.water import DOMAIN
    from beffroi.domains.water.rpqs import ilp_grid
    from beffroi.domains.water.settings import ILP_GRID as GRID_SETTING
    from beffroi.domains.water.settings import SETTINGS

    registry = build_registry([replace(DOMAIN, settings=SETTINGS)])
    assert registry.settings[GRID_SETTING].default == DEFAULT_ILP_GRID
    assert ilp_grid(SimpleNamespace(settings={}), registry) == (DEFAULT_ILP_GRID, [])
    mine = {**DEFAULT_ILP_GRID, "urban": {"good": 6, "acceptable": 9, "mediocre": 14}}
    assert ilp_grid(SimpleNamespace(settings={GRID_SETTING: mine}), registry) == (mine, [])
    grid, notes = ilp_grid(SimpleNamespace(settings={GRID_SETTING: {"rural": {}}}), registry)
    assert grid == DEFAULT_ILP_GRID and "grille par défaut" in notes[0]
