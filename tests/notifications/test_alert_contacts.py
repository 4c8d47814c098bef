"""Issue #18: a school's air referent (``air_referent``, an e-mail property of the building,
declared as an ``AlertContact`` of the kind) is told of the CO2 alerts of the building's
rooms by the demo's « Air confiné » threshold rule, without an account; not of other
alerts; another building's or another tenant's referent never is."""

from __future__ import annotations

import pytest

from beffroi.core import assets, tenants
from beffroi.core.access import CLI, open_scope
from beffroi.core.alerting import rules
from beffroi.core.clock import now_ms
from beffroi.core.observations import store_rows
from beffroi.core.registry import (
    AssetKind,
    Domain,
    PropertySpec,
    RegistryError,
    build_registry,
    load_registry,
)
from beffroi.core.streams import ensure_stream
from beffroi.domains.buildings import DEMO_RULES
from beffroi.notifications.contacts import addresses
from beffroi.plugin import AlertContact
from beffroi.storage import schema

from .conftest import PARIS, POINT, deliver, notifications, rows

MINUTE = 60_000


@pytest.fixture(scope="module")
def air_registry():
    return load_registry(["generic", "buildings"])


def school(db, registry, name: str, referent: str | None) -> dict:
    """A tenant with the « Air confiné » rule, a school (referent given) and a classroom,
    a town hall with a referent of its own, and a temperature rule on the classroom."""
    with db.write() as conn:
        t = tenants.create_tenant(db, conn, CLI, name=name, registry=registry)
        scope = open_scope(db, conn, CLI, t["id"])
        tenants.create_commune(scope, conn, {"insee": "88383", "name": "Remiremont"})
        props = {"usage": "ecole"} | ({"air_referent": referent} if referent else {})
        building = assets.create_asset(scope, conn, registry, {
            "ref": "ECOLE", "kind": "buildings.building", "name": f"École de {name}",
            "commune": "88383", "geometry": POINT, "properties": props})
        room = assets.create_asset(scope, conn, registry, {
            "ref": "CP", "kind": "buildings.room", "name": "Classe CP", "commune": "88383",
            "parent_id": building.id, "geometry": POINT})
        hall = assets.create_asset(scope, conn, registry, {
            "ref": "MAIRIE", "kind": "buildings.building", "name": "Mairie",
            "commune": "88383", "geometry": POINT,
            "properties": {"usage": "mairie", "air_referent": f"mairie@{name}.fr"}})
        hall_room = assets.create_asset(scope, conn, registry, {
            "ref": "SALLE", "kind": "buildings.room", "name": "Salle du conseil",
            "commune": "88383", "parent_id": hall.id, "geometry": POINT})
        rules.create_rule(scope, conn, registry, dict(DEMO_RULES[0]))
        rules.create_rule(scope, conn, registry, {
            "name": "Trop chaud", "kind": "threshold", "metric": "air.temperature",
            "severity": "warning", "params": {"operator": "above", "value": 28}})
        streams = {key: ensure_stream(scope, conn, registry, asset.id, metric)
                   for key, asset, metric in (("co2", room, "air.co2"),
                                              ("temp", room, "air.temperature"),
                                              ("hall_co2", hall_room, "air.co2"))}
    return {"tenant": t["id"], "streams": streams}


def measure(db, registry, world: dict, stream: str, values: list[float], start: int) -> None:
    """One reading every 10 minutes from ``start``, the tenant's rules evaluated."""
    with db.write() as conn:
        scope = open_scope(db, conn, CLI, world["tenant"])
        store_rows(scope, conn, [(world["tenant"], world["streams"][stream],
                                  start + 10 * MINUTE * i, v, 0)
                                 for i, v in enumerate(values)], PARIS, registry)


def told(db, tenant_id: int) -> list[tuple[str, str]]:
    return sorted((n.target, n.subject) for n in notifications(db, tenant_id=tenant_id)
                  if n.channel == "email")


def test_the_referent_gets_the_co2_alerts_of_the_school_rooms(db, air_registry, mailbox):
    registry = air_registry
    a = school(db, registry, "Plombieres", "Direction@ecole-a.fr ; infirmerie@ecole-a.fr, "
                                           "pas une adresse")
    b = school(db, registry, "Vagney", "direction@ecole-b.fr")
    start = now_ms() - 3 * 3_600_000
    # 40 minutes at 1,600 ppm: above 1,500 for more than the rule's 30 minutes.
    measure(db, registry, a, "co2", [900, 1600, 1600, 1600, 1600, 1600], start)
    measure(db, registry, a, "temp", [22, 29, 29], start)  # another alert of the same room
    measure(db, registry, b, "co2", [600, 700, 650, 600, 700, 650], start)  # fine
    deliver(db, registry, start + 3_600_000)
    [co2_alert] = [r for r in rows(db, schema.alerts, tenant_id=a["tenant"])
                   if r.stream_id == a["streams"]["co2"]]
    assert co2_alert.title.startswith("Air confiné")
    assert any(r.stream_id == a["streams"]["temp"]  # raised, and not for the referent
               for r in rows(db, schema.alerts, tenant_id=a["tenant"]))
    sent = told(db, a["tenant"])
    assert [target for target, _ in sent] == ["direction@ecole-a.fr", "infirmerie@ecole-a.fr"]
    assert all("Air confiné" in subject for _, subject in sent)
    # Really e-mailed, to them only: not the town hall's referent, not the other tenant's.
    recipients = sorted(r for rcpts, _ in mailbox.messages for r in rcpts)
    assert recipients == ["direction@ecole-a.fr", "infirmerie@ecole-a.fr"]
    assert told(db, b["tenant"]) == []
    [event] = rows(db, schema.alert_events, tenant_id=a["tenant"], alert_id=co2_alert.id,
                   kind="notified")
    assert '"contacts":["direction@ecole-a.fr","infirmerie@ecole-a.fr"]' in event.details
    # The other tenant's school gets its own alert: its referent only.
    measure(db, registry, b, "co2", [1700] * 5, start + 3_600_000)
    deliver(db, registry, start + 2 * 3_600_000)
    assert [target for target, _ in told(db, b["tenant"])] == ["direction@ecole-b.fr"]
    assert [target for target, _ in told(db, a["tenant"])] == [
        "direction@ecole-a.fr", "infirmerie@ecole-a.fr"]


def test_the_town_hall_referent_gets_its_own_rooms_and_a_school_without_one_nobody(
        db, air_registry):
    registry = air_registry
    a = school(db, registry, "Remiremont", None)
    start = now_ms() - 3 * 3_600_000
    measure(db, registry, a, "co2", [1600] * 5, start)
    measure(db, registry, a, "hall_co2", [1600] * 5, start)
    deliver(db, registry, start + 3_600_000)
    assert [target for target, _ in told(db, a["tenant"])] == ["mairie@remiremont.fr"]


def test_addresses_keep_only_well_formed_ones():
    assert addresses("a@b.fr, c@d.fr;e@f.org") == ["a@b.fr", "c@d.fr", "e@f.org"]
    assert addresses("x@y.fr\nBcc: z@w.fr") == []  # one part, with a line break: refused
    assert addresses("nom <a@b.fr>") == [] and addresses(42) == [] and addresses("") == []


@pytest.mark.parametrize("contact, fragment", [
    (AlertContact("referent"), r"alert_contacts\[0\]\.property\) : « referent » n'est pas "
                               r"une propriété texte"),
    (AlertContact("capacity"), r"alert_contacts\[0\]\.property\) : « capacity » n'est pas"),
    (AlertContact("email", metrics=("air.radon",)),
     r"alert_contacts\[0\]\.metrics\[0\]\) : mesure inconnue « air\.radon »"),
])
def test_a_wrong_alert_contact_is_refused_at_registration(contact, fragment):
    kind = AssetKind(key="school.site", label="École", alert_contacts=(contact,),
                     properties=(PropertySpec("email", "string", "Courriel"),
                                 PropertySpec("capacity", "integer", "Places")))
    domain = Domain(key="school", label="Écoles", asset_kinds=(kind,))
    with pytest.raises(RegistryError, match=fragment):
        build_registry([domain])
