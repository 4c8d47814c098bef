"""A property whose stored form is a code (a building's opening-hours rule, a cabinet's
lighting programme) is read in French by its kind (``PropertySpec.describe``): the asset's
API answer carries that reading (``property_texts``) and its page shows it instead of the
code; a value the kind cannot read gets none."""

from __future__ import annotations

import pytest

from beffroi.core import tenants
from beffroi.core.access import CLI
from beffroi.core.properties import property_texts
from beffroi.core.registry import AssetKind, PropertySpec, load_registry
from beffroi.domains.lighting.programmes import PRESETS

POINT = {"type": "Point", "coordinates": [6.59, 48.02]}
HOURS = "MON,TUE,THU,FRI 08:30-11:30,13:30-16:30; WED 08:30-11:30"


@pytest.fixture(scope="module")
def registry():
    return load_registry(["generic", "lighting", "buildings"])


@pytest.fixture
def base(db, registry) -> str:
    with db.write() as conn:
        tenant = tenants.create_tenant(db, conn, CLI, siren="200068377", registry=registry)
    return f"/api/v1/tenants/{tenant['id']}"


def test_only_what_the_kind_describes_and_can_read():
    # Days written as codes, read as their French names; anything else not read.
    names = {"L": "lundi", "J": "jeudi"}

    def days(value):
        parts = value.split(",")
        return ", ".join(names[p] for p in parts) if all(p in names for p in parts) else None

    kind = AssetKind("bin.box", "Bac", properties=(
        PropertySpec("days", "string", "Jours", describe=days),
        PropertySpec("note", "string", "Note")))
    assert property_texts(kind, {"days": "L,J", "note": "L,J"}) == {"days": "lundi, jeudi"}
    assert property_texts(kind, {"days": "L,X"}) == {}
    assert property_texts(kind, {"days": ""}) == {}
    assert property_texts(kind, {"note": "x"}) == {}
    assert property_texts(None, {"days": "L"}) == {}


def test_the_api_reads_opening_hours_and_programmes_in_french(client, op_headers, base):
    school = client.post(f"{base}/assets", headers=op_headers, json={
        "ref": "BAT-1", "kind": "buildings.building", "name": "École", "commune": "88383",
        "geometry": POINT, "properties": {"usage": "ecole", "opening_hours": HOURS}})
    assert school.status_code == 201, school.text
    expected = ("lundi, mardi, jeudi, vendredi de 08 h 30 à 11 h 30 et de 13 h 30 à 16 h 30 ; "
                "mercredi de 08 h 30 à 11 h 30")
    assert school.json()["property_texts"] == {"opening_hours": expected}
    got = client.get(f"{base}/assets/{school.json()['id']}", headers=op_headers).json()
    assert got["properties"]["opening_hours"] == HOURS  # the stored code stays as given
    assert got["property_texts"] == {"opening_hours": expected}

    cabinet = client.post(f"{base}/assets", headers=op_headers, json={
        "ref": "ARM-1", "kind": "lighting.cabinet", "name": "Armoire", "commune": "88383",
        "geometry": POINT, "properties": {"programme": {"preset": "cut_23_5"}}}).json()
    assert cabinet["property_texts"] == {"programme": PRESETS["cut_23_5"].label}
    # Its own programme: its own name; a PATCH answers with the new reading.
    own = {"label": "Abaissement de la fête", "steps": [
        {"at": "sunset", "level": 100}, {"at": "23:00", "level": 50},
        {"at": "sunrise", "level": 0}]}
    patched = client.patch(f"{base}/assets/{cabinet['id']}", headers=op_headers,
                           json={"properties": {"programme": own}})
    assert patched.status_code == 200, patched.text
    assert patched.json()["property_texts"] == {"programme": "Abaissement de la fête"}
    # A site of the generic domain describes nothing.
    site = client.post(f"{base}/assets", headers=op_headers, json={
        "ref": "S1", "kind": "generic.site", "name": "Site", "commune": "88383",
        "geometry": POINT}).json()
    assert site["property_texts"] == {}
