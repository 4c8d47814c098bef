"""Renovation simulator: LED replacement and/or a programme → investment, annual savings,
simple payback, share of the commune's stock (Fonds vert: at least 20 %)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from suite_apps import fresh_app

from beffroi.core.registry import load_registry
from suite_accounts import bearer

from .lighting_fixtures import (
    INSEE,
    LED_40,
    OTHER,
    REMIREMONT,
    SODIUM_100,
    add_cabinet,
    ephem_night_hours,
    make_territory,
    year_bounds,
)


@pytest.fixture(scope="module")
def registry():
    return load_registry(["generic", "lighting"])


@pytest.fixture
def world(db, registry):
    tenant = make_territory(db, registry)
    sodium = add_cabinet(db, registry, tenant, "ARM-1", "dusk_to_dawn", [SODIUM_100] * 10)
    mixed = add_cabinet(db, registry, tenant, "ARM-2", "dusk_to_dawn",
                        [SODIUM_100] * 2 + [LED_40] * 8, commune=OTHER, at=(0.05, 0))
    with TestClient(fresh_app(db, registry)) as client:
        h = bearer(client, "elu@cc.fr", "password-123")  # a viewer: the simulation is a read

        def simulate(body):
            return client.post(f"/api/v1/tenants/{tenant}/lighting/renovation/simulate",
                               headers=h, json=body)
        yield {"tenant": tenant, "sodium": sodium, "mixed": mixed, "simulate": simulate}


def test_led_replacement_by_flux_payback_by_hand(world):
    """10 sodium lamps of 100 W (10,000 lm, ×1.15 ballast) replaced by LED at 130 lm/W
    (76.9 W), dusk to dawn over 2027 at Remiremont (night hours from PyEphem)."""
    answer = world["simulate"]({"commune": INSEE, "lamp_types": ["sodium_hp"], "year": 2027})
    assert answer.status_code == 200, answer.text
    r = answer.json()
    hours = ephem_night_hours(*REMIREMONT, *year_bounds(2027))
    before = 10 * 0.100 * 1.15 * hours
    after = 10 * (10_000 / 130) / 1000 * hours
    saved_eur = (before - after) * 0.25
    assert (r["luminaires"], r["replaced"], r["already_led"]) == (10, 10, 0)
    assert r["before"]["kwh"] == pytest.approx(before, rel=0.002)
    assert r["after"]["kwh"] == pytest.approx(after, rel=0.002)
    assert r["annual_savings"]["kwh"] == pytest.approx(before - after, rel=0.002)
    assert r["annual_savings"]["eur"] == pytest.approx(saved_eur, rel=0.002)
    assert r["annual_savings"]["kg_co2e"] == pytest.approx((before - after) * 0.052, rel=0.002)
    assert r["investment_eur"] == {"luminaires": 6000.0, "controllers": 0.0, "total": 6000.0}
    assert r["simple_payback_years"] == pytest.approx(6000 / saved_eur, rel=0.003)
    assert (r["before"]["power_kw"], r["after"]["power_kw"]) == (1.15, pytest.approx(0.769,
                                                                                      abs=1e-3))
    # 10 of the 10 luminaires of Remiremont: the whole stock.
    assert (r["share_of_stock"], r["fonds_vert_20_percent"]) == (100.0, True)


def test_led_by_ratio_with_a_programme_and_controller_costs(world):
    """Ratio 0.4 (40 W LED) and the 23:00-05:00 cut (6 h × 365 nights, all in the night):
    investment 10 × 450 € + 1 controller × 2,000 €."""
    r = world["simulate"]({
        "luminaires": world["sodium"]["luminaires"], "year": 2027,
        "programme": {"preset": "cut_23_5"}, "led": {"method": "ratio"},
        "unit_costs": {"luminaire_eur": 450, "controller_eur": 2000}}).json()
    hours = ephem_night_hours(*REMIREMONT, *year_bounds(2027))
    before = 10 * 0.115 * hours
    after = 10 * 0.040 * (hours - 6 * 365)
    investment = 10 * 450 + 2000
    assert r["programme"] == {"key": "cut_23_5", "label": "Extinction de 23 h à 5 h"}
    assert (r["cabinets"], r["controllers"]) == (1, 1)
    assert r["investment_eur"]["total"] == investment
    assert r["annual_savings"]["kwh"] == pytest.approx(before - after, rel=0.002)
    assert r["simple_payback_years"] == pytest.approx(
        investment / ((before - after) * 0.25), rel=0.003)
    # The programme alone: no luminaire replaced, the controller only.
    alone = world["simulate"]({"luminaires": world["sodium"]["luminaires"], "year": 2027,
                               "replace_by_led": False,
                               "programme": {"preset": "cut_23_5"}}).json()
    assert (alone["replaced"], alone["investment_eur"]["total"]) == (0, 1500.0)
    assert alone["annual_savings"]["kwh"] == pytest.approx(10 * 0.115 * 6 * 365, rel=0.001)
    assert alone["fonds_vert_20_percent"] is False


def test_fonds_vert_flag_exactly_at_20_percent(world):
    """The other commune holds 10 luminaires: 2 sodium + 8 LED."""
    two = world["simulate"]({"commune": OTHER, "lamp_types": ["sodium_hp"], "year": 2027}).json()
    assert (two["replaced"], two["stock"]["luminaires"]) == (2, 10)
    assert (two["share_of_stock"], two["fonds_vert_20_percent"]) == (20.0, True)
    assert two["stock"]["communes"] == [{"insee": OTHER, "luminaires": 10, "replaced": 2,
                                         "share_percent": 20.0, "fonds_vert_20_percent": True}]
    one = world["simulate"]({"luminaires": world["mixed"]["luminaires"][1:3],
                             "year": 2027}).json()  # one sodium, one LED (already LED)
    assert (one["replaced"], one["already_led"]) == (1, 1)
    assert (one["share_of_stock"], one["fonds_vert_20_percent"]) == (10.0, False)


BAD = [
    ({"commune": INSEE, "lamp_types": ["bougie"]}, {"lamp_types[0]"}),
    ({"commune": OTHER, "lamp_types": ["mercury"]}, {"luminaires"}),  # empty set
    ({"luminaires": []}, {"luminaires"}),
    ({"luminaires": [999_999]}, {"luminaires"}),
    ({}, {"luminaires"}),
    ({"commune": "99999"}, {"commune"}),
    ({"commune": INSEE, "unit_costs": {"luminaire_eur": -5, "controller_eur": "cher"}},
     {"unit_costs.luminaire_eur", "unit_costs.controller_eur"}),
    ({"commune": INSEE, "replace_by_led": False}, {"replace_by_led"}),
    ({"commune": INSEE, "year": 1999, "couleur": 1, "programme": {"preset": "x"}},
     {"year", "couleur", "programme.preset"}),
    ({"commune": INSEE, "led": {"method": "magie", "efficacy_lm_w": 1000, "power_ratio": 0}},
     {"led.method", "led.efficacy_lm_w", "led.power_ratio"}),
]


def test_bad_requests_name_each_field_in_french(world):
    for body, fields in BAD:
        answer = world["simulate"](body)
        assert answer.status_code == 422, (body, answer.text)
        assert answer.headers["content-type"].startswith("application/problem+json")
        errors = answer.json()["errors"]
        assert {e["field"] for e in errors} == fields, body
        assert all(e["message"] for e in errors)
    errors = world["simulate"]({"commune": INSEE, "lamp_types": ["bougie"],
                                "unit_costs": {"luminaire_eur": -1}}).json()["errors"]
    by = {e["field"]: e["message"] for e in errors}
    assert by["lamp_types[0]"].startswith("type de source inconnu « bougie »")
    assert by["unit_costs.luminaire_eur"] == "montant en euros positif ou nul attendu"
    empty = world["simulate"]({"commune": OTHER, "lamp_types": ["mercury"]}).json()
    assert empty["detail"] == "Aucun point lumineux ne correspond à la sélection."
