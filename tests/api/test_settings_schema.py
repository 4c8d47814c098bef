"""GET /tenants/{t}/settings/schema: every setting of a territory, grouped (core's first, then
each domain's under its label), each with what its declaration says (label, unit, bounds,
choices, default, source, verified) and the territory's value; read by its members, changed
by its administrators only (PATCH /tenants/{t})."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from beffroi.core import tenants, users
from beffroi.core.access import CLI, open_scope
from beffroi.core.registry import load_registry
from beffroi.core.settings import CORE_GROUPS, DEFAULTS, declared_settings
from beffroi.storage import schema
from suite_accounts import bearer

PASSWORD = "mot-de-passe-essai"
ROLES = ("tenant_admin", "agent", "viewer")


@pytest.fixture(scope="module")
def registry():
    """Every installed domain: their settings are what the schema lists beside core's."""
    return load_registry()


@pytest.fixture
def two(db, registry, client):
    """Territories A and B; A with a member of each role, B with its administrator."""
    out = {}
    with db.write() as conn:
        for key, roles in (("a", ROLES), ("b", ("tenant_admin",))):
            t = tenants.create_tenant(db, conn, CLI, name=f"Territoire {key.upper()}",
                                      registry=registry)
            scope = open_scope(db, conn, CLI, t["id"])
            for role in roles:
                users.add_member(scope, conn, {"email": f"{role}-{key}@x.fr", "role": role,
                                               "password": PASSWORD})
            out[key] = {"tenant": t["id"], "base": f"/api/v1/tenants/{t['id']}"}
    for key, roles in (("a", ROLES), ("b", ("tenant_admin",))):
        out[key]["h"] = {role: bearer(client, f"{role}-{key}@x.fr", PASSWORD) for role in roles}
    return out


def _stored(db, tenant_id: int) -> str:
    t = schema.tenants
    with db.read() as conn:
        return conn.execute(select(t.c.settings).where(t.c.id == tenant_id)).scalar_one()


def _by_key(body: dict) -> dict[str, tuple[str, dict]]:
    return {s["key"]: (g["key"], s) for g in body["groups"] for s in g["settings"]}


def test_the_schema_lists_core_and_domain_settings_as_declared(client, two, registry):
    a = two["a"]
    answer = client.get(f"{a['base']}/settings/schema", headers=a["h"]["tenant_admin"])
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["tenant"] == {"id": a["tenant"], "name": "Territoire A"}
    assert body["can_edit"] is True
    listed = [s["key"] for g in body["groups"] for s in g["settings"]]
    assert len(listed) == len(set(listed))  # each setting once
    found = _by_key(body)

    # Every declared setting (core's impact.* and retention.*, each domain's), as declared.
    declared = declared_settings(registry)
    assert {"lighting.tariff_eur_kwh", "water.price_eur_m3", "risks.heat_department",
            "impact.pue", "retention.audit_days"} <= set(declared)
    for key, setting in declared.items():
        _, entry = found[key]
        spec = setting.spec
        assert (entry["label"], entry["type"], entry["unit"], entry["minimum"],
                entry["maximum"]) == (spec.label, spec.type, spec.unit, spec.minimum,
                                      spec.maximum), key
        labels = dict(spec.choice_labels)
        assert entry["choices"] == [{"value": c, "label": labels.get(c, c)}
                                    for c in spec.choices], key
        assert (entry["default"], entry["source"], entry["verified"]) == (
            setting.default, setting.source, setting.verified), key
        assert entry["declared"] is True and entry["own"] is False
        assert entry["value"] == setting.default
        assert entry["editable"] is (spec.type not in ("object", "list")), key

    # Each domain's settings in its own group, under its label, after core's groups.
    keys = [g["key"] for g in body["groups"]]
    core = [key for key, _, _ in CORE_GROUPS]
    assert keys[:len(core)] == core
    for key, domain in registry.domains.items():
        if not domain.settings:
            assert key not in keys
            continue
        group = body["groups"][keys.index(key)]
        assert group["label"] == domain.label
        assert [s["key"] for s in group["settings"]] == [s.spec.name for s in domain.settings]

    # Core's own settings, with their defaults; the public banner is not a field.
    for key, default in DEFAULTS.items():
        if key == "public_banner":
            assert key not in found
            continue
        group, entry = found[key]
        assert group in core and entry["default"] == default and entry["declared"] is False
    assert found["escalation_delay_min"][1]["minimum"] == 1
    assert found["escalation_delay_min"][1]["maximum"] == 1440
    kinds = found["published_kinds"][1]["choices"]
    assert [(c["value"], c["label"]) for c in kinds] == [
        (kind.key, kind.label) for d in registry.domains.values() for kind in d.asset_kinds]
    days = {f["key"]: f for f in found["working_hours"][1]["fields"]}
    assert [c["label"] for c in days["days"]["choices"]][:2] == ["lundi", "mardi"]


def test_the_schema_gives_the_territorys_own_values(client, db, two, registry):
    a = two["a"]
    admin = a["h"]["tenant_admin"]
    changed = client.patch(a["base"], headers=admin, json={"settings": {
        "lighting.tariff_eur_kwh": 0.19, "escalation_delay_min": 45,
        "published_kinds": ["lighting.cabinet"]}})
    assert changed.status_code == 200, changed.text
    found = _by_key(client.get(f"{a['base']}/settings/schema", headers=admin).json())
    assert (found["lighting.tariff_eur_kwh"][1]["value"],
            found["lighting.tariff_eur_kwh"][1]["own"]) == (0.19, True)
    assert (found["escalation_delay_min"][1]["value"],
            found["escalation_delay_min"][1]["own"]) == (45, True)
    assert found["published_kinds"][1]["value"] == ["lighting.cabinet"]
    default = declared_settings(registry)["lighting.co2_kg_per_kwh"].default
    assert (found["lighting.co2_kg_per_kwh"][1]["value"],
            found["lighting.co2_kg_per_kwh"][1]["own"]) == (default, False)
    # null brings a declared setting back to its default: no longer the territory's own.
    client.patch(a["base"], headers=admin, json={"settings": {"lighting.tariff_eur_kwh": None}})
    found = _by_key(client.get(f"{a['base']}/settings/schema", headers=admin).json())
    tariff = declared_settings(registry)["lighting.tariff_eur_kwh"].default
    assert (found["lighting.tariff_eur_kwh"][1]["value"],
            found["lighting.tariff_eur_kwh"][1]["own"]) == (tariff, False)


def test_members_read_the_settings_but_only_its_administrators_change_them(client, db, two):
    a, b = two["a"], two["b"]
    before = _stored(db, a["tenant"])
    for role in ("agent", "viewer"):
        read = client.get(f"{a['base']}/settings/schema", headers=a["h"][role])
        assert read.status_code == 200, read.text
        assert read.json()["can_edit"] is False
        refused = client.patch(a["base"], headers=a["h"][role],
                               json={"settings": {"escalation_delay_min": 5}})
        assert refused.status_code == 403, refused.text
    # Another territory's administrator neither reads nor changes A's settings.
    other = b["h"]["tenant_admin"]
    assert client.get(f"{a['base']}/settings/schema", headers=other).status_code in (403, 404)
    assert client.patch(a["base"], headers=other, json={
        "settings": {"escalation_delay_min": 5}}).status_code in (403, 404)
    # Nobody without an account either.
    assert client.get(f"{a['base']}/settings/schema").status_code == 401
    assert _stored(db, a["tenant"]) == before
    # B's own schema is B's.
    own = client.get(f"{b['base']}/settings/schema", headers=other).json()
    assert own["tenant"]["id"] == b["tenant"] and own["can_edit"] is True


def test_a_refused_change_saves_nothing(client, db, two):
    a = two["a"]
    before = _stored(db, a["tenant"])
    refused = client.patch(a["base"], headers=a["h"]["tenant_admin"], json={"settings": {
        "escalation_delay_min": 20, "lighting.tariff_eur_kwh": 99}})
    assert refused.status_code == 422, refused.text
    assert [e["field"] for e in refused.json()["errors"]] == ["lighting.tariff_eur_kwh"]
    assert _stored(db, a["tenant"]) == before
