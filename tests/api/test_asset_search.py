"""Searching the assets by part of their name or reference (``GET …/assets?q=``): case and
accents ignored on both backends, the page limited while ``numberMatched`` counts them all,
``metric`` keeping those that have a stream of it, and never another territory's assets."""

from __future__ import annotations

import pytest

from beffroi.core import assets, streams, tenants, users
from beffroi.core.access import CLI, open_scope
from beffroi.storage.textsearch import FOLD_FROM, FOLD_TO, fold
from suite_accounts import bearer

POINT = {"type": "Point", "coordinates": [6.59, 48.02]}
NAMES = {
    "ECL-0001": "Luminaire rue de l'Église",
    "ECL-0002": "LUMINAIRE PLACE DE L’ÉGLISE",  # capitals, typographic apostrophe
    "ECL-0003": "Luminaire allée des Œillets",
    "ARM-NOËL": "Armoire Noël",
    "ECH-MOSELLE": "Échelle de la Moselle",
    "PCT-100%": "Poste 100% réseau",
    "PCT-1000": "Poste 1000 réseau",
}


def _add(scope, conn, registry, ref: str, name: str, commune: str = "88383"):
    return assets.create_asset(scope, conn, registry, {
        "ref": ref, "kind": "generic.site", "name": name, "commune": commune,
        "geometry": POINT})


@pytest.fixture
def t(db, registry, client, op_headers):
    """A territory with NAMES, and 30 « Lampadaire » of which the even ones measure
    generic.value; another territory with an « Église » and a « Lampadaire » of its own."""
    with db.write() as conn:
        tenant = tenants.create_tenant(db, conn, CLI, siren="200068377", registry=registry)
        scope = open_scope(db, conn, CLI, tenant["id"])
        ids = {ref: _add(scope, conn, registry, ref, name).id for ref, name in NAMES.items()}
        for i in range(30):
            row = _add(scope, conn, registry, f"LAMP-{i:03d}", f"Lampadaire n° {i}",
                       "88383" if i < 20 else "88429")
            ids[row.ref] = row.id
            if i % 2 == 0:
                streams.create_stream(scope, conn, registry,
                                      {"asset_id": row.id, "metric": "generic.value"})
        other = tenants.create_tenant(db, conn, CLI, name="Autre territoire", registry=registry)
        other_scope = open_scope(db, conn, CLI, other["id"])
        tenants.create_commune(other_scope, conn, {"insee": "51237", "name": "Esternay"})
        _add(other_scope, conn, registry, "AUTRE-1", "Luminaire rue de l'Église d'Esternay",
             "51237")
        _add(other_scope, conn, registry, "AUTRE-2", "Lampadaire secret", "51237")
    return {"base": f"/api/v1/tenants/{tenant['id']}", "h": op_headers, "id": tenant["id"],
            "other": f"/api/v1/tenants/{other['id']}", "ids": ids}


def search(client, t, headers=None, base=None, **params) -> dict:
    response = client.get(f"{base or t['base']}/assets", headers=headers or t["h"], params=params)
    assert response.status_code == 200, response.text
    return response.json()


def refs(found: dict) -> set[str]:
    return {f["properties"]["ref"] for f in found["features"]}


def test_a_part_of_the_name_in_any_case_and_with_or_without_accents(client, t):
    for term in ("eglise", "ÉGLISE", "Église", "église", "EGLISE", "l'eglise", "l’Église"):
        found = search(client, t, q=term)
        assert refs(found) == {"ECL-0001", "ECL-0002"}, term
        assert found["numberMatched"] == 2 and found["numberReturned"] == 2
    assert refs(search(client, t, q="noel")) == {"ARM-NOËL"}  # (by its name and its ref)
    assert refs(search(client, t, q="œillets")) == {"ECL-0003"}
    assert refs(search(client, t, q="  echelle de la ")) == {"ECH-MOSELLE"}  # (trimmed)
    assert refs(search(client, t, q="rue de l")) == {"ECL-0001"}


def test_a_part_of_the_reference(client, t):
    assert refs(search(client, t, q="ecl-000")) == {"ECL-0001", "ECL-0002", "ECL-0003"}
    assert refs(search(client, t, q="moselle")) == {"ECH-MOSELLE"}
    assert refs(search(client, t, q="lamp-02")) == {f"LAMP-{i:03d}" for i in range(20, 30)}


def test_like_wildcards_are_plain_characters(client, t):
    assert refs(search(client, t, q="100%")) == {"PCT-100%"}
    assert refs(search(client, t, q="lamp_0")) == set()
    assert search(client, t, q="%")["numberMatched"] == 1


def test_the_page_is_limited_and_number_matched_counts_them_all(client, t):
    found = search(client, t, q="lampadaire", limit=20)
    assert found["numberReturned"] == 20 and found["numberMatched"] == 30
    assert refs(found) <= {f"LAMP-{i:03d}" for i in range(30)}
    # the next page, then the end: the count is the same on each
    after = client.get(found["links"][0]["href"], headers=t["h"]).json()
    assert after["numberReturned"] == 10 and after["numberMatched"] == 30
    assert refs(found) | refs(after) == {f"LAMP-{i:03d}" for i in range(30)}
    # with the other filters
    assert search(client, t, q="lampadaire", commune="88429")["numberMatched"] == 10
    nothing = search(client, t, q="réverbère")
    assert (nothing["features"], nothing["numberMatched"]) == ([], 0)
    # no search, no count (a plain list pays no COUNT)
    assert "numberMatched" not in search(client, t, limit=5)
    assert "numberMatched" not in search(client, t, q="  ", limit=5)


def test_only_the_assets_that_have_a_stream_of_the_metric(client, t):
    found = search(client, t, q="lampadaire", metric="generic.value", limit=20)
    assert found["numberMatched"] == 15
    assert refs(found) == {f"LAMP-{i:03d}" for i in range(0, 30, 2)}
    assert search(client, t, q="lampadaire", metric="generic.temperature")["numberMatched"] == 0
    assert refs(search(client, t, metric="generic.value", limit=100)) == {
        f"LAMP-{i:03d}" for i in range(0, 30, 2)}


def test_another_territory_s_assets_are_never_found(client, t):
    found = search(client, t, q="eglise", limit=20)
    assert refs(found) == {"ECL-0001", "ECL-0002"} and found["numberMatched"] == 2
    secret = search(client, t, q="secret")
    assert (secret["features"], secret["numberMatched"]) == ([], 0)
    assert search(client, t, q="esternay")["numberMatched"] == 0
    assert search(client, t, q="lampadaire")["numberMatched"] == 30  # not 31
    # … and that territory's own search finds its own only
    assert refs(search(client, t, base=t["other"], q="lampadaire")) == {"AUTRE-2"}


def test_an_agent_of_one_commune_finds_that_commune_s_assets_only(db, client, t):
    with db.write() as conn:
        scope = open_scope(db, conn, CLI, t["id"])
        users.add_member(scope, conn, {"email": "agent@x.fr", "role": "agent",
                                       "communes": ["88429"], "password": "password-123"})
    h = bearer(client, "agent@x.fr", "password-123")
    found = search(client, t, headers=h, q="lampadaire", limit=5)
    assert found["numberMatched"] == 10 and found["numberReturned"] == 5
    assert refs(search(client, t, headers=h, q="eglise")) == set()
    assert client.get(f"{t['other']}/assets", headers=h, params={"q": "lampadaire"}
                      ).status_code in (403, 404)


def test_the_folding_table_is_one_to_one_and_lower_case():
    assert len(FOLD_FROM) == len(FOLD_TO)
    assert fold("ÀÉÎÕÜÇŒÆ àéîõüçœæ Ÿÿ l’a") == "aeioucœæ aeioucœæ yy l'a"
    assert fold(FOLD_TO) == FOLD_TO
    assert fold(None) is None
