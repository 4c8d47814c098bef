"""Schemathesis over the whole OpenAPI document: no operation may answer a server error.

One test per API operation (so pytest-xdist spreads them), on PostgreSQL: the stricter of
the two backends on what it stores (it refuses a NUL character in text, and integers beyond
64 bits as SQLite does), so that a value no edge check caught fails there first; the rest of
the suite runs every route on both backends (on SQLite too, the fuzzing took a minute and a
half of the suite's twelve, December 2026). A request is
sent as generated (random ids, huge integers, odd strings) with an operator admin's token,
and as the admin of a second territory with its path aimed at that territory's real objects
(a commune, assets of several domains, a device, a stream, an integration, a webhook…) so
that fuzzed bodies and queries reach the code behind the 404s. Random and example cases are
sent both ways; a coverage case with path parameters one way (see the test).

The seeded territories are built once per process and backend into a template that each
test clones, so every test still starts from the same fresh database.
``BEFFROI_FUZZ_EXAMPLES`` (default 3) sets the number of random examples per operation;
the coverage phase (boundary values, unexpected methods) comes on top.
"""

from __future__ import annotations

import os
import zlib
from collections.abc import Iterator

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import not_a_server_error
from schemathesis.core.parameters import ParameterLocation
from schemathesis.generation.meta import TestPhase
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
    unsupported_method,
)
from suite_apps import fresh_app

from beffroi.api.app import create_app
from beffroi.api.problems import PROBLEM_BASE, UNSTORABLE_SLUG
from beffroi.connectivity import integrations
from beffroi.core import assets, auth, commands, devices, streams, tenants, users
from beffroi.core.access import CLI, load_principal, open_scope
from beffroi.core.alerting import alerts, rules
from beffroi.core.registry import load_registry
from beffroi.notifications import subscriptions, webhooks
from beffroi.storage.database import Database
from suite_databases import PG_URL, drop_pg, pg_database

EXAMPLES = int(os.environ.get("BEFFROI_FUZZ_EXAMPLES", "3"))
REGISTRY = load_registry()
# The document only: the app that serves it never opens its (in-memory) database.
schema = schemathesis.openapi.from_dict(create_app(Database("sqlite://"), REGISTRY).openapi())


def _territory(db: Database, name: str, insee: str, siren: str) -> dict:
    """A territory with one object of each sort a path can name; the pools of real values."""
    square = {"type": "Polygon", "coordinates": [[[6.5, 48.0], [6.6, 48.0], [6.6, 48.1],
                                                   [6.5, 48.1], [6.5, 48.0]]]}
    point = {"type": "Point", "coordinates": [6.55, 48.05]}
    with db.write() as conn:
        t = tenants.create_tenant(db, conn, CLI, name=name, siren=siren, registry=REGISTRY)
        scope = open_scope(db, conn, CLI, t["id"])
        tenants.create_commune(scope, conn, {"insee": insee, "name": f"{name} commune"})

        def asset(ref, kind, geometry, **extra):
            return assets.create_asset(scope, conn, REGISTRY, {
                "ref": ref, "kind": kind, "name": f"{name} {ref}", "commune": insee,
                "geometry": geometry, **extra})

        site = asset(f"SITE-{insee}", "generic.site", point)
        cabinet = asset(f"ARM-{insee}", "lighting.cabinet", point)
        service = asset(f"AEP-{insee}", "water.service", square)
        sector = asset(f"SECT-{insee}", "water.sector", square, parent_id=service.id)
        stream = streams.create_stream(scope, conn, REGISTRY,
                                       {"asset_id": site.id, "metric": "generic.value"})
        device = devices.create_device(scope, conn, {"name": f"{name} capteur",
                                                     "asset_id": site.id})
        controller = devices.create_device(scope, conn, {"name": f"{name} contrôleur",
                                                         "asset_id": cabinet.id})
        command = commands.create_command(scope, conn, REGISTRY, {
            "asset_id": cabinet.id, "action": "lighting.switch", "params": {"state": "on"}})
        integration, _ = integrations.create_integration(
            scope, conn, {"kind": "chirpstack", "name": f"{name} ChirpStack"})
        rule = rules.create_rule(scope, conn, REGISTRY, {
            "name": f"{name} règle", "kind": "threshold", "stream_id": stream.id,
            "params": {"operator": "above", "value": 100}})
        alert = alerts.raise_alert(db, conn, REGISTRY, t["id"], alerts.Trigger(
            key=alerts.rule_key(rule.id, site.id), severity="warning", title=f"{name} alerte",
            at=1_790_000_000_000, asset_id=site.id, stream_id=stream.id, rule_id=rule.id))
        # No password: no argon2 hashing at set-up; the session token is issued directly.
        admin = users.create_user(db, conn, email=f"admin-{insee}@beffroi.test")
        users.grant_membership(conn, t["id"], admin["id"], "tenant_admin", None)
        admin_scope = open_scope(db, conn, load_principal(conn, admin["id"]), t["id"])
        subscription = subscriptions.create_subscription(admin_scope, conn, REGISTRY, {})
        webhook, _ = webhooks.create_webhook(admin_scope, conn, REGISTRY,
                                             {"url": "https://hooks.example.fr/beffroi"})
        token_id, token = auth.issue_token(db, conn, "session", user_id=admin["id"])
    return {"token": token, "pools": {
        "tenant": [str(t["id"]), siren], "insee": [insee],
        "asset_id": [site.id, cabinet.id, service.id, sector.id],
        "stream_id": [stream.id], "device_id": [device.id, controller.id],
        "user_id": [admin["id"]], "integration_id": [integration.id],
        "integration": [str(integration.id)], "rule_id": [rule.id], "alert_id": [alert.id],
        "subscription_id": [subscription.id], "webhook_id": [webhook.id],
        "command_id": [command.id], "token_id": [token_id], "week_start": ["2026-03-09"],
        "year": ["2025"]}}


def _seed(db: Database) -> dict:
    _territory(db, "Territoire A", "88383", "100000001")
    second = _territory(db, "Territoire B", "51237", "100000002")
    with db.write() as conn:
        operator = users.create_user(db, conn, email="op@beffroi.test", is_operator_admin=True)
        _, op_token = auth.issue_token(db, conn, "session", user_id=operator["id"])
    return {"operator": op_token, "admin": second["token"], "pools": second["pools"]}


_templates: dict[str, tuple[str, dict]] = {}


@pytest.fixture(scope="session")
def _pg_fuzz_template() -> Iterator[None]:
    yield
    if "postgresql" in _templates:
        drop_pg(_templates.pop("postgresql")[0])


# (a fixture parametrized, even by one value: without it, under pytest-xdist, Schemathesis
# collects the operations as a single test that runs none of them)
@pytest.fixture(params=["postgresql"])
def fuzz_db(_pg_fuzz_template) -> Iterator[tuple]:
    """A fresh database holding the seeded territories (cloned from a per-process template),
    and the world: tokens and pools of real path values."""
    if not PG_URL:
        pytest.skip("PostgreSQL not started (run the suite through `make test`)")
    if "postgresql" not in _templates:
        url = pg_database()
        seeding = Database(url)
        _templates["postgresql"] = (url, _seed(seeding))
        seeding.dispose()
    template_url, world = _templates["postgresql"]
    url = pg_database(template=template_url.rsplit("/", 1)[1])
    database = Database(url)
    yield database, world
    database.dispose()
    drop_pg(url)


@pytest.fixture
def fuzz_app(fuzz_db):
    db, world = fuzz_db
    return fresh_app(db, REGISTRY), world


def edge_checked(ctx, response, case) -> None:
    """The value was refused by an edge check naming its field, not by the database
    (problems.py only catches those as a safety net)."""
    if response.status_code == 422 and UNSTORABLE_SLUG in response.text:
        body = response.json()
        assert body.get("type") != PROBLEM_BASE + UNSTORABLE_SLUG, (
            "a value reached the database unchecked: add an edge check (core/storable.py)")


def _aimed(path_parameters: dict, pools: dict) -> dict:
    """Path parameters replaced by real values, each picked from the generated one (so the
    choice is as deterministic as the generation); names without a pool keep theirs."""
    return {name: pools[name][zlib.crc32(repr(value).encode()) % len(pools[name])]
            if name in pools else value for name, value in path_parameters.items()}


@schema.parametrize()
@settings(max_examples=EXAMPLES, derandomize=True, database=None, deadline=None,
          phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck),
          print_blob=False)
def test_no_server_error(case, fuzz_app, mailbox):
    app, world = fuzz_app
    checks = [not_a_server_error, edge_checked, status_code_conformance, content_type_conformance,
              response_schema_conformance, unsupported_method]
    as_operator = {"Authorization": f"Bearer {world['operator']}"}
    as_admin = {"Authorization": f"Bearer {world['admin']}"}
    send_as_generated, send_aimed = True, True
    if case.meta is not None and case.meta.phase.name == TestPhase.COVERAGE:
        # The coverage phase (boundary values, one per parameter: most of the cases) sends
        # each case once: as generated when it mutates the path (2**63, text for an id…),
        # else aimed at the real objects (which its body or query then reaches); without
        # path, as one caller or the other (picked from the case).
        if case.path_parameters:
            path = case.meta.components.get(ParameterLocation.PATH)
            send_aimed = path is None or not path.mode.is_negative
        else:
            send_aimed = zlib.crc32(repr((case.query, case.body)).encode()) % 2 == 0
        send_as_generated = not send_aimed
    if send_as_generated:
        case.call_and_validate(app=app, headers=as_operator, checks=checks)
    if send_aimed:
        if case.path_parameters:
            case.path_parameters = _aimed(case.path_parameters, world["pools"])
        case.call_and_validate(app=app, headers=as_admin, checks=checks)
