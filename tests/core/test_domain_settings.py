"""Settings a domain declares (a tariff, an emission factor): validated like core ones,
defaulted with their source, read by the domain; a badly named one is refused at start."""

from __future__ import annotations

import orjson
import pytest

from beffroi.core import tenants
from beffroi.core.access import CLI, open_scope
from beffroi.core.errors import Invalid
from beffroi.core.registry import (
    Domain,
    PropertySpec,
    RegistryError,
    Setting,
    build_registry,
)
from beffroi.core.settings import setting, settings_schema
from beffroi.storage import schema

TARIFF = Setting(PropertySpec("demo.tariff_eur_kwh", "number", "Tarif", unit="EUR/kWh",
                              minimum=0, maximum=5), 0.25, "Tarif Bleu, décembre 2024")


@pytest.fixture
def registry():
    return build_registry([Domain(key="demo", label="Démo", settings=(TARIFF,))])


def test_domain_settings_are_defaulted_validated_and_stored(db, registry):
    with db.write() as conn:
        t = tenants.create_tenant(db, conn, CLI, name="CC", registry=registry)
        assert t["settings"]["demo.tariff_eur_kwh"] == 0.25
        scope = open_scope(db, conn, CLI, t["id"])
        assert setting(scope.tenant.settings, registry, "demo.tariff_eur_kwh") == 0.25
        with pytest.raises(Invalid) as bad:
            tenants.update_tenant(scope, conn, {"settings": {
                "demo.tariff_eur_kwh": -1, "demo.unknown": 3}}, registry)
        assert {e["field"] for e in bad.value.errors} == {"demo.tariff_eur_kwh", "demo.unknown"}
        assert "minimum" in str(bad.value.errors)
        out = tenants.update_tenant(scope, conn, {"settings": {"demo.tariff_eur_kwh": 0.19}},
                                    registry)
        assert out["settings"]["demo.tariff_eur_kwh"] == 0.19
        stored = conn.execute(schema.tenants.select()).one().settings
    assert orjson.loads(stored) == {"demo.tariff_eur_kwh": 0.19}
    assert setting(stored, registry, "demo.tariff_eur_kwh") == 0.19


def test_null_puts_a_domain_setting_back_to_its_default(db, registry):
    with db.write() as conn:
        t = tenants.create_tenant(db, conn, CLI, name="CC", registry=registry,
                                  settings={"demo.tariff_eur_kwh": 0.19})
        scope = open_scope(db, conn, CLI, t["id"])
        out = tenants.update_tenant(scope, conn, {"settings": {
            "demo.tariff_eur_kwh": None, "raw_retention_days": None}}, registry)
        assert out["settings"]["demo.tariff_eur_kwh"] == 0.25  # the declared default
        stored = orjson.loads(conn.execute(schema.tenants.select()).one().settings)
    # The domain setting is gone from what is stored; a core one keeps its meaningful null.
    assert "demo.tariff_eur_kwh" not in stored and stored["raw_retention_days"] is None
    assert setting(stored, registry, "demo.tariff_eur_kwh") == 0.25


def test_a_setting_outside_its_domain_namespace_is_refused():
    with pytest.raises(RegistryError, match=r"settings\[0\]\.spec\.name.*« tariff » hors de "
                                            "l'espace du domaine : « demo.nom »"):
        build_registry([Domain(key="demo", label="Démo", settings=(Setting(
            PropertySpec("tariff", "number", "Tarif"), 0.25),))])


def test_a_new_domain_setting_gets_its_field_in_the_settings_form(registry):
    """The page « Paramètres du territoire » is built from settings_schema: a domain's
    setting is there, in its domain's group, with no change to core or the web."""
    groups = settings_schema({"demo.tariff_eur_kwh": 0.19}, registry)
    assert [g["key"] for g in groups][-1] == "demo"
    demo = groups[-1]
    assert demo["label"] == "Démo"
    [field] = demo["settings"]
    assert {k: field[k] for k in ("key", "label", "type", "unit", "minimum", "maximum",
                                  "default", "source", "verified", "value", "own",
                                  "declared", "editable")} == {
        "key": "demo.tariff_eur_kwh", "label": "Tarif", "type": "number", "unit": "EUR/kWh",
        "minimum": 0, "maximum": 5, "default": 0.25, "source": "Tarif Bleu, décembre 2024",
        "verified": False, "value": 0.19, "own": True, "declared": True, "editable": True}
