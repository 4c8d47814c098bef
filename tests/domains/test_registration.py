"""The four domains plug into core through the registration point alone."""

from __future__ import annotations

import numpy as np
import pytest
from shapely.geometry import shape

from beffroi.core.registry import (
    DemoAsset,
    Domain,
    Metric,
    RegistryError,
    build_registry,
    load_registry,
)
from beffroi.demo.builder import load_demos

DOMAINS = ("lighting", "water", "risks", "buildings")


def test_entry_points_load_every_domain():
    registry = load_registry()
    assert set(DOMAINS) | {"generic"} <= set(registry.domains)
    for key in DOMAINS:
        domain = registry.domains[key]
        assert domain.asset_kinds and domain.metrics
        assert domain.demo is not None
        assert all(kind.key.startswith(f"{key}.") for kind in domain.asset_kinds)


def test_shared_metrics_are_one_declaration():
    registry = load_registry()
    # Lighting and buildings both meter electricity through the very same metric.
    lighting, buildings = registry.domains["lighting"], registry.domains["buildings"]
    shared = {m.key for m in lighting.metrics} & {m.key for m in buildings.metrics}
    assert {"energy.active_import", "power.active"} <= shared
    assert registry.metrics["energy.active_import"].kind == "counter"


def test_conflicting_declaration_is_refused():
    clash = Domain(key="other", label="Autre",
                   metrics=(Metric("energy.active_import", "Énergie", "W.h", kind="counter"),))
    with pytest.raises(RegistryError):
        build_registry([*load_registry(["lighting"]).domains.values(), clash])


@pytest.mark.parametrize("key", DOMAINS)
def test_demo_inventory_is_valid_and_inside_its_commune(key, communes):
    registry = load_registry()
    demo = load_demos(registry)[key]
    for commune in communes.values():
        assets = demo.inventory(commune, np.random.default_rng(1))
        refs = {a.ref for a in assets}
        assert len(refs) == len(assets), "refs must be unique"
        area = shape(commune.boundary).buffer(1e-6)
        for asset in assets:
            kind = registry.asset_kinds[asset.kind]
            assert asset.geometry["type"] in kind.geometry_types
            assert area.contains(shape(asset.geometry).representative_point()), asset.ref
            assert commune.insee in asset.ref
            assert set(asset.metrics) <= set(kind.metrics)
            if asset.parent_ref:
                assert asset.parent_ref in refs
                parent = next(a for a in assets if a.ref == asset.parent_ref)
                assert not kind.parent_kinds or parent.kind in kind.parent_kinds


@pytest.mark.parametrize("key", DOMAINS)
def test_simulators_cover_every_demo_stream(key, communes):
    """Every stream the demo creates gets finite values inside the metric's range."""
    registry = load_registry()
    demo = load_demos(registry)[key]
    seen: set[tuple[str, str]] = set()
    for commune in communes.values():
        for asset in demo.inventory(commune, np.random.default_rng(2)):
            for metric in asset.metrics:
                if (asset.kind, metric) in seen:
                    continue
                seen.add((asset.kind, metric))
                t = np.arange(1.75e9, 1.75e9 + 14 * 86400, asset.step_s)
                values = np.asarray(demo.simulator(asset, metric, t, np.random.default_rng(3)))
                spec = registry.metrics[metric]
                assert values.shape == t.shape and np.isfinite(values).all()
                assert spec.minimum is None or values.min() >= spec.minimum, (asset.ref, metric)
                assert spec.maximum is None or values.max() <= spec.maximum, (asset.ref, metric)
    assert seen


def test_simulator_rejects_unknown_metric(communes):
    registry = load_registry()
    asset = DemoAsset("ARM-88383-001", "lighting.cabinet", "A", {"type": "Point",
                      "coordinates": [6.59, 48.02]})
    with pytest.raises(ValueError):
        load_demos(registry)["lighting"].simulator(asset, "air.co2", np.arange(0, 3600, 900.0),
                                                   np.random.default_rng(0))


def test_a_domain_adds_api_routes_and_cli_commands_through_its_domain_object(db):
    import click
    from click.testing import CliRunner
    from fastapi import APIRouter
    from fastapi.testclient import TestClient
    from suite_apps import fresh_app

    from beffroi.core.registry import Domain, build_registry, discover_domains

    router = APIRouter()

    @router.get("/testing/ping")
    def ping():
        return {"pong": True}

    @click.group("testing")
    def group():
        """Essais."""

    @group.command("hello")
    def hello():
        click.echo("bonjour")

    reg = build_registry(discover_domains(["generic"]) + [
        Domain(key="testing", label="Essais", api_router=router, cli=group)])
    with TestClient(fresh_app(db, reg)) as client:
        assert client.get("/api/v1/testing/ping").json() == {"pong": True}
    top = click.Group("beffroi")
    top.add_command(reg.domains["testing"].cli)
    assert CliRunner().invoke(top, ["testing", "hello"]).output == "bonjour\n"


@pytest.mark.parametrize("key", sorted(load_registry().domains))
def test_every_enumeration_people_read_has_a_french_label_per_code(key):
    """An asset's properties (its page, the inventory) and the territory's settings (their
    form, the impact report's appendix) show an enumeration's label, never its code
    (« ordures_menageres », « tres_eleve », « dusk_to_dawn », « active »)."""
    domain = load_registry().domains[key]
    specs = [(kind.key, p) for kind in domain.asset_kinds for p in kind.properties]
    specs += [("settings", s.spec) for s in domain.settings]
    unlabelled = {f"{where}: {spec.name}": sorted(set(spec.choices)
                                                   - {c for c, _ in spec.choice_labels})
                  for where, spec in specs if spec.type == "enum"}
    assert {name: codes for name, codes in unlabelled.items() if codes} == {}
