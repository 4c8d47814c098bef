"""The vulnerable-persons register: only its referents read or write it (every other role,
administrators included, gets 403 on every route), every read is in the audit log, another
territory's register is unreachable, commune-restricted referents see their communes only;
enrolment validation, call list priority and follow-up, export for the préfet, deletion on
request and purge of unconfirmed records (pinned clock)."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import orjson
import pytest
from sqlalchemy import select

from beffroi.core import clock, tenants, users
from beffroi.core.access import CLI, open_scope
from beffroi.core.registry import load_registry
from beffroi.domains.risks.register.persons import CONSENT_VERSION
from beffroi.domains.risks.register.retention import purge_unconfirmed
from beffroi.storage import schema
from suite_accounts import bearer

NOW = int(datetime(2026, 7, 20, 10, tzinfo=UTC).timestamp() * 1000)
PASSWORD = "password-123"
EPINAL, GOLBEY = "88160", "88209"


@pytest.fixture
def registry():
    return load_registry(["generic", "risks"])


@pytest.fixture(autouse=True)
def pinned(monkeypatch):
    now = {"ms": NOW}
    monkeypatch.setattr(clock, "now_ms", lambda: now["ms"])
    return now


def person_body(**changes):
    body = {"last_name": "Fictive", "first_name": "Jeanne", "birth_date": "1938-04-02",
            "category": "senior", "commune": EPINAL, "address": "3 rue des Tilleuls",
            "location": {"type": "Point", "coordinates": [6.45, 48.17]},
            "phones": ["03 29 00 00 01"], "needs": [], "lives_alone": False,
            "contacts": [{"name": "Paul Fictif", "relation": "family",
                          "phone": "06 00 00 00 02"}],
            "consent": {"given": True, "enrolled_by": "self", "request_date": "2026-05-12",
                        "version": CONSENT_VERSION}}
    body.update(changes)
    return body


def _members(db, tenant_id, specs):
    ids = {}
    with db.write() as conn:
        scope = open_scope(db, conn, CLI, tenant_id)
        for email, role, communes in specs:
            body = {"email": email, "role": role, "password": PASSWORD}
            if communes:
                body["communes"] = communes
            ids[email] = users.add_member(scope, conn, body)["id"]
    return ids


@pytest.fixture
def world(db, registry, client, operator):
    out = {}
    with db.write() as conn:
        for key, name, communes in (("a", "Territoire A", (EPINAL, GOLBEY)),
                                    ("b", "SECRET-DE-B", ("51237",))):
            t = tenants.create_tenant(db, conn, CLI, name=name, registry=registry)
            scope = open_scope(db, conn, CLI, t["id"])
            for insee in communes:
                tenants.create_commune(scope, conn, {"insee": insee, "name": f"C {insee}"})
            out[key] = t["id"]
    ids = _members(db, out["a"], [
        ("ref@a.fr", "agent", None), ("ref-golbey@a.fr", "viewer", [GOLBEY]),
        ("admin@a.fr", "tenant_admin", None), ("agent@a.fr", "agent", None),
        ("viewer@a.fr", "viewer", None)])
    ids |= _members(db, out["b"], [("ref@b.fr", "agent", None)])
    h = {email: bearer(client, email, PASSWORD) for email in ids}
    h["op"] = bearer(client, operator["email"], operator["password"])
    for tenant, referent in ((out["a"], "ref@a.fr"), (out["a"], "ref-golbey@a.fr"),
                             (out["b"], "ref@b.fr")):
        r = client.put(f"/api/v1/tenants/{tenant}/risks/register/referents/{ids[referent]}",
                       headers=h["admin@a.fr" if tenant == out["a"] else "op"])
        assert r.status_code == 200, r.text
    return {"tenant": out, "ids": ids, "h": h}


def url(world, key="a", path="persons"):
    return f"/api/v1/tenants/{world['tenant'][key]}/risks/register/{path}"


def enrol(client, world, key="a", who="ref@a.fr", **changes):
    h = world["h"]["ref@b.fr" if key == "b" else who]
    r = client.post(url(world, key), headers=h, json=person_body(**changes))
    assert r.status_code == 201, r.text
    return r.json()


def audit_rows(db, tenant_id, action=None):
    a = schema.audit_log
    q = select(a).where(a.c.tenant_id == tenant_id, a.c.entity == "register_person")
    if action:
        q = q.where(a.c.action == action)
    return [(r.user_id, r.action, r.entity_id, orjson.loads(r.details))
            for r in db.engine.connect().execute(q.order_by(a.c.id))]


def register_routes(app):
    for path, operations in app.openapi()["paths"].items():
        if "/risks/register/" in path and "/referents" not in path:
            for method in operations:
                yield method.upper(), path


def test_every_route_refuses_every_role_but_the_referent(app, client, db, world):
    person = enrol(client, world)
    routes = list(register_routes(app))
    assert len(routes) >= 9
    bodies = {"/persons": person_body(), "/persons/{person_id}": person_body(),
              "/persons/within": {"type": "Polygon", "coordinates": [
                  [[6, 48], [7, 48], [7, 49], [6, 48]]]},
              "/persons/{person_id}/calls": {"state": "called"}}
    before = audit_rows(db, world["tenant"]["a"])
    refused = 0
    for method, path in routes:
        target = path.replace("{tenant}", str(world["tenant"]["a"])).replace(
            "{person_id}", str(person["id"]))
        body = bodies.get(path.split("/risks/register")[1]) if method in ("POST", "PUT") else None
        for who in ("admin@a.fr", "agent@a.fr", "viewer@a.fr", "op"):
            r = client.request(method, target, headers=world["h"][who], json=body)
            assert r.status_code == 403, (who, method, path, r.text)
            assert "référents du registre" in r.json()["detail"]
            assert "Fictive" not in r.text
            refused += 1
        anonymous = client.request(method, target, json=body)
        assert anonymous.status_code in (401, 404), (method, path)
    assert refused == 4 * len(routes)
    assert audit_rows(db, world["tenant"]["a"]) == before  # nothing was read nor written
    # The referent passes on the reads.
    assert client.get(url(world), headers=world["h"]["ref@a.fr"]).status_code == 200


def test_only_administrators_designate_referents(client, world):
    a, ids = world["tenant"]["a"], world["ids"]
    target = f"/api/v1/tenants/{a}/risks/register/referents/{ids['agent@a.fr']}"
    assert client.put(target, headers=world["h"]["ref@a.fr"]).status_code == 403
    assert client.put(target, headers=world["h"]["agent@a.fr"]).status_code == 403
    # A user of another territory cannot be designated here.
    other = f"/api/v1/tenants/{a}/risks/register/referents/{ids['ref@b.fr']}"
    assert client.put(other, headers=world["h"]["admin@a.fr"]).status_code == 404
    assert client.put(target, headers=world["h"]["admin@a.fr"]).status_code == 200
    assert client.get(url(world), headers=world["h"]["agent@a.fr"]).status_code == 200
    assert client.delete(target, headers=world["h"]["admin@a.fr"]).status_code == 200
    assert client.get(url(world), headers=world["h"]["agent@a.fr"]).status_code == 403


def test_every_read_is_audited_with_who_and_what(client, db, world):
    a, h, ids = world["tenant"]["a"], world["h"], world["ids"]
    first = enrol(client, world)
    second = enrol(client, world, last_name="Imaginaire", commune=GOLBEY)
    reader = ids["ref@a.fr"]
    before = len(audit_rows(db, a, "register.read"))
    client.get(url(world), headers=h["ref@a.fr"])
    client.get(url(world, path=f"persons/{first['id']}"), headers=h["ref@a.fr"])
    client.get(url(world, path="calls"), headers=h["ref@a.fr"])
    client.post(url(world, path="persons/within"), headers=h["ref@a.fr"], json={
        "type": "Polygon", "coordinates": [[[6.4, 48.1], [6.5, 48.1], [6.5, 48.2],
                                            [6.4, 48.2], [6.4, 48.1]]]})
    client.get(url(world, path="export.csv"), headers=h["ref@a.fr"])
    reads = audit_rows(db, a, "register.read")[before:]
    both = sorted([first["id"], second["id"]])
    assert [(u, e, d["view"], sorted(d["ids"])) for u, _, e, d in reads] == [
        (reader, None, "list", both),
        (reader, str(first["id"]), "person", [first["id"]]),
        (reader, None, "call_list", both),
        (reader, None, "polygon", both),
    ]
    exports = audit_rows(db, a, "register.export")
    assert [(u, sorted(d["ids"])) for u, _, _, d in exports] == [(reader, both)]
    # No name in the audit log.
    assert "Fictive" not in str(audit_rows(db, a)) and "Imaginaire" not in str(audit_rows(db, a))


def test_another_territory_register_is_unreachable(client, world):
    b_person = enrol(client, world, key="b", commune="51237", last_name="SECRET-DE-B")
    h = world["h"]["ref@a.fr"]
    for method, path in (("GET", "persons"), ("GET", f"persons/{b_person['id']}"),
                         ("GET", "calls"), ("GET", "export.csv"),
                         ("DELETE", f"persons/{b_person['id']}")):
        r = client.request(method, url(world, "b", path), headers=h)
        assert r.status_code == 404 and "SECRET-DE-B" not in r.text, (method, path)
        # B's person through A's register: not there.
        r = client.request(method, url(world, "a", path), headers=h)
        assert "SECRET-DE-B" not in r.text
    assert client.get(url(world, "a", f"persons/{b_person['id']}"),
                      headers=h).status_code == 404
    assert client.get(url(world, "b", f"persons/{b_person['id']}"),
                      headers=world["h"]["ref@b.fr"]).status_code == 200


def test_commune_restricted_referent_sees_only_their_communes(client, world):
    epinal = enrol(client, world)
    golbey = enrol(client, world, last_name="Imaginaire", commune=GOLBEY)
    h = world["h"]["ref-golbey@a.fr"]
    assert [p["id"] for p in client.get(url(world), headers=h).json()] == [golbey["id"]]
    assert client.get(url(world, path=f"persons/{epinal['id']}"), headers=h).status_code == 404
    assert [p["id"] for p in client.get(url(world, path="calls"), headers=h).json()] == [
        golbey["id"]]
    rows = list(csv.reader(io.StringIO(
        client.get(url(world, path="export.csv"), headers=h).text.lstrip("\ufeff")),
        delimiter=";"))
    assert [r[1] for r in rows[1:]] == ["Imaginaire"]
    refused = client.post(url(world), headers=h, json=person_body())  # Épinal
    assert refused.status_code == 403
    assert client.delete(url(world, path=f"persons/{epinal['id']}"),
                         headers=h).status_code == 404


@pytest.mark.parametrize(("changes", "field"), [
    ({"last_name": ""}, "last_name"),
    ({"category": "child"}, "category"),
    ({"commune": "99999"}, "commune"),
    ({"location": {"type": "Point", "coordinates": [200, 48]}}, "location"),
    ({"location": None}, "location"),
    ({"phones": []}, "phones"),
    ({"phones": ["12345"]}, "phones[0]"),
    ({"needs": ["flying"]}, "needs"),
    ({"lives_alone": "oui"}, "lives_alone"),
    ({"birth_date": "02/04/1938"}, "birth_date"),
    ({"contacts": [{"name": "X", "relation": "cousin", "phone": "06 00 00 00 02"}]},
     "contacts[0].relation"),
    ({"consent": {"given": False, "enrolled_by": "self", "request_date": "2026-05-12",
                  "version": CONSENT_VERSION}}, "consent.given"),
    ({"consent": {"given": True, "enrolled_by": "third_party", "request_date": "2026-05-12",
                  "version": CONSENT_VERSION}}, "consent.requester"),
    ({"consent": {"given": True, "enrolled_by": "self", "request_date": "2026-08-01",
                  "version": CONSENT_VERSION}}, "consent.request_date"),
    ({"consent": {"given": True, "enrolled_by": "self", "request_date": "2026-05-12",
                  "version": "1999"}}, "consent.version"),
    ({"hobby": "pêche"}, "hobby"),
    # Wrong JSON types are refused like wrong values (they were a server error).
    ({"category": ["senior"]}, "category"),
    ({"category": {}}, "category"),
    ({"category": []}, "category"),
    ({"needs": [["mobility"]]}, "needs"),
    ({"needs": [{"mobility": True}]}, "needs"),
    ({"contacts": [{"name": "X", "relation": ["family"], "phone": "0329000000"}]},
     "contacts[0].relation"),
    ({"consent": {"given": True, "enrolled_by": {"a": 1}, "request_date": "2026-05-12",
                  "version": CONSENT_VERSION}}, "consent.enrolled_by"),
    # A birth date in the future, or more than 120 years before today (2026-07-20).
    ({"birth_date": "2090-05-01"}, "birth_date"),
    ({"birth_date": "2026-07-21"}, "birth_date"),
    ({"birth_date": "1800-05-01"}, "birth_date"),
    ({"birth_date": "1906-07-19"}, "birth_date"),
    # « 65 ans ou plus » (art. L121-6-1 CASF) for a person who is 64 by their birth date.
    ({"birth_date": "1961-07-21"}, "category"),
    # « plus de 60 ans, inapte au travail » for a person who is 59 (and 58) by their birth date.
    ({"category": "unfit_60", "birth_date": "1966-07-21"}, "category"),
    ({"category": "unfit_60", "birth_date": "1967-07-21"}, "category"),
])
@pytest.mark.parametrize("db", ["sqlite"], indirect=True)  # refused before any storage
def test_bad_enrolments_are_refused_with_french_field_errors(client, db, world, changes,
                                                             field):
    r = client.post(url(world), headers=world["h"]["ref@a.fr"], json=person_body(**changes))
    assert r.status_code == 422, r.text
    errors = {e["field"]: e["message"] for e in r.json()["errors"]}
    assert field in errors, errors
    assert "rien n'a été enregistré" in r.json()["detail"]
    with db.read() as conn:
        assert conn.execute(select(schema.register_persons)).first() is None


@pytest.mark.parametrize(("changes", "field"), [
    ({"category": ["senior"]}, "category"),
    ({"needs": [["mobility"]]}, "needs"),
    ({"contacts": [{"name": "X", "relation": {}, "phone": "0329000000"}]},
     "contacts[0].relation"),
    ({"birth_date": "2090-05-01"}, "birth_date"),
    ({"birth_date": "1970-01-01"}, "category"),  # 56, not « 65 ans ou plus »
])
@pytest.mark.parametrize("db", ["sqlite"], indirect=True)  # refused before any storage
def test_a_rectification_is_checked_like_an_enrolment(client, world, changes, field):
    person = enrol(client, world)
    r = client.put(url(world, path=f"persons/{person['id']}"),
                   headers=world["h"]["ref@a.fr"], json=person_body(**changes))
    assert r.status_code == 422, r.text
    assert r.headers["content-type"] == "application/problem+json"
    errors = {e["field"]: e["message"] for e in r.json()["errors"]}
    assert field in errors, errors
    kept = client.get(url(world, path=f"persons/{person['id']}"),
                      headers=world["h"]["ref@a.fr"]).json()
    assert (kept["category"], kept["birth_date"], kept["needs"]) == ("senior", "1938-04-02", [])


def test_birth_date_limits_follow_the_clock(client, world, pinned):
    """Exactly 120 years, 65 years (60 for « inapte au travail ») on the day, pass; the limits
    move with today."""
    h = world["h"]["ref@a.fr"]
    oldest = enrol(client, world, birth_date="1906-07-20")  # 120 today (2026-07-20)
    assert oldest["birth_date"] == "1906-07-20"
    assert enrol(client, world, birth_date="1961-07-20")["category"] == "senior"  # 65 today
    assert enrol(client, world, birth_date="1966-07-20", category="unfit_60")  # 60 today
    enrol(client, world, birth_date="1990-01-01", category="disabled")  # no age for this one
    young = client.post(url(world), headers=h, json=person_body(birth_date="1990-01-01",
                                                                category="unfit_60"))
    message = {e["field"]: e["message"] for e in young.json()["errors"]}["category"]
    assert "plus de 60 ans, inapte au travail" in message and "36 ans" in message
    assert enrol(client, world, birth_date="2026-07-20", category="disabled")
    refused = client.post(url(world), headers=h, json=person_body(birth_date="1961-07-21"))
    message = {e["field"]: e["message"] for e in refused.json()["errors"]}["category"]
    assert "65 ans ou plus" in message and "64 ans" in message
    future = client.post(url(world), headers=h, json=person_body(birth_date="2026-07-21"))
    assert {e["field"]: e["message"] for e in future.json()["errors"]} == {
        "birth_date": "Date de naissance : dans le futur."}
    pinned["ms"] += 86_400_000  # 2026-07-21: born 1961-07-21 is now 65, 1906-07-20 too old
    assert enrol(client, world, birth_date="1961-07-21")["birth_date"] == "1961-07-21"
    old = client.post(url(world), headers=h, json=person_body(birth_date="1906-07-20"))
    assert old.status_code == 422
    assert "120 ans" in {e["field"]: e["message"] for e in old.json()["errors"]}["birth_date"]


def test_an_empty_form_gets_the_words_of_the_form(client, world):
    """What /risques/registre sends when « Inscrire » is pressed on an empty form: each
    missing field is « obligatoire », in the words of its label — no Python None, no internal
    code, no GeoJSON jargon."""
    empty = {"last_name": "", "first_name": "", "category": None, "commune": None,
             "address": "", "location": None, "phones": [], "contacts": [], "needs": [],
             "lives_alone": False, "consent": {"given": False, "enrolled_by": "self",
                                               "request_date": None,
                                               "version": CONSENT_VERSION}}
    r = client.post(url(world), headers=world["h"]["ref@a.fr"], json=empty)
    assert r.status_code == 422, r.text
    errors = {e["field"]: e["message"] for e in r.json()["errors"]}
    assert errors == {
        "last_name": "Nom : obligatoire.",
        "first_name": "Prénom : obligatoire.",
        "category": "Situation : obligatoire (art. L121-6-1 CASF).",
        "commune": "Commune : obligatoire.",
        "address": "Adresse : obligatoire.",
        "location": "Position du domicile : obligatoire (placez le point sur la carte ou "
                    "saisissez longitude et latitude).",
        "phones": "Téléphone principal : obligatoire.",
        "consent.given": "Le consentement explicite de la personne (ou de son représentant) "
                         "est obligatoire.",
        "consent.request_date": "Date de la demande écrite : obligatoire."}
    # A wrong situation is named by the labels the form shows, not by its codes.
    wrong = client.post(url(world), headers=world["h"]["ref@a.fr"],
                        json=person_body(category="child"))
    message = {e["field"]: e["message"] for e in wrong.json()["errors"]}["category"]
    assert message == ("Situation : choisissez « 65 ans ou plus », « plus de 60 ans, inapte "
                       "au travail » ou « adulte handicapé » (art. L121-6-1 CASF).")
    # A commune code that is not a text, or unknown, is still told apart.
    odd = client.post(url(world), headers=world["h"]["ref@a.fr"],
                      json=person_body(commune=88160))
    assert {e["field"]: e["message"] for e in odd.json()["errors"]} == {
        "commune": "Commune : code INSEE attendu (texte)."}
    unknown = client.post(url(world), headers=world["h"]["ref@a.fr"],
                          json=person_body(commune="99999"))
    assert {e["field"]: e["message"] for e in unknown.json()["errors"]} == {
        "commune": "Commune : code INSEE « 99999 » inconnu dans ce territoire."}


def test_enrolment_by_a_third_party_keeps_who_when_and_the_consent_version(client, world):
    body = person_body(consent={"given": True, "enrolled_by": "third_party",
                                "requester": "Paul Fictif, fils", "request_date": "2026-06-01",
                                "version": CONSENT_VERSION})
    r = client.post(url(world), headers=world["h"]["ref@a.fr"], json=body)
    assert r.status_code == 201, r.text
    consent = r.json()["consent"]
    assert consent == {"enrolled_by": "third_party", "requester": "Paul Fictif, fils",
                       "request_date": "2026-06-01", "version": CONSENT_VERSION,
                       "recorded_by": world["ids"]["ref@a.fr"]}
    assert r.json()["created_at"] == "2026-07-20T10:00:00Z"
    assert r.json()["contacts"] == body["contacts"]


def test_call_list_by_priority_with_follow_up(client, world, pinned):
    h = world["h"]["ref@a.fr"]
    plain = enrol(client, world, last_name="Aucun")
    needs = enrol(client, world, last_name="Besoins", needs=["mobility"])
    alone = enrol(client, world, last_name="Seule", lives_alone=True)
    both = enrol(client, world, last_name="Zoé", lives_alone=True,
                 needs=["medical_device", "sight"])
    listed = client.get(url(world, path="calls"), headers=h).json()
    assert [(p["id"], p["priority"]) for p in listed] == [
        (both["id"], 1), (needs["id"], 2), (alone["id"], 2), (plain["id"], 3)]
    # Follow-up, timestamped and signed.
    r = client.post(url(world, path=f"persons/{alone['id']}/calls"), headers=h,
                    json={"state": "called"})
    assert r.status_code == 201
    pinned["ms"] = NOW + 600_000
    r = client.post(url(world, path=f"persons/{alone['id']}/calls"), headers=h,
                    json={"state": "visit_needed", "note": "Ne répond pas"})
    assert r.json()["state"] == "visit_needed"
    listed = {p["id"]: p for p in client.get(url(world, path="calls"), headers=h).json()}
    assert [(c["state"], c["at"], c["by"]) for c in listed[alone["id"]]["calls"]] == [
        ("called", "2026-07-20T10:00:00Z", "ref@a.fr"),
        ("visit_needed", "2026-07-20T10:10:00Z", "ref@a.fr")]
    assert listed[alone["id"]]["state"] == "visit_needed"
    # An episode starting after the first call shows only the second.
    since = client.get(url(world, path="calls"), headers=h,
                       params={"since": "2026-07-20T10:05:00Z"}).json()
    assert [c["state"] for c in {p["id"]: p for p in since}[alone["id"]]["calls"]] == [
        "visit_needed"]
    for state in ("lost", ["called"], {"called": True}, None):
        bad = client.post(url(world, path=f"persons/{alone['id']}/calls"), headers=h,
                          json={"state": state})
        assert bad.status_code == 422, (state, bad.text)
        assert bad.json()["errors"][0]["field"] == "state"
    assert client.get(url(world, path="calls"), headers=h,
                      params={"since": "hier"}).status_code == 422


def test_persons_in_polygon(client, db, world, registry):
    from beffroi.domains.risks.register.persons import persons_in_polygon

    inside = enrol(client, world, location={"type": "Point", "coordinates": [6.45, 48.17]})
    enrol(client, world, last_name="Dehors",
          location={"type": "Point", "coordinates": [6.60, 48.17]})
    zone = {"type": "Polygon", "coordinates": [[[6.4, 48.1], [6.5, 48.1], [6.5, 48.2],
                                                [6.4, 48.2], [6.4, 48.1]]]}
    with db.write() as conn:
        from beffroi.core.access import load_principal
        scope = open_scope(db, conn, load_principal(conn, world["ids"]["ref@a.fr"]),
                           world["tenant"]["a"])
        assert [p["id"] for p in persons_in_polygon(scope, conn, zone)] == [inside["id"]]
    bad = client.post(url(world, path="persons/within"), headers=world["h"]["ref@a.fr"],
                      json={"type": "Point", "coordinates": [6.4, 48.1]})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "geometry"


def test_export_for_the_prefet(client, world):
    enrol(client, world, last_name="Fictive", needs=["mobility", "medical_device"],
          lives_alone=True)
    r = client.get(url(world, path="export.csv"), headers=world["h"]["ref@a.fr"])
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert r.headers["cache-control"] == "no-store"
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][:3] == ["Commune (INSEE)", "Nom", "Prénom"]
    assert rows[1][:3] == [EPINAL, "Fictive", "Jeanne"]
    assert "appareil médical à domicile" in rows[1][10] and rows[1][9] == "oui"
    assert rows[1][11] == "Paul Fictif (famille) 06 00 00 00 02"


def test_deletion_on_request_keeps_only_the_fact_and_the_id(client, db, world):
    h = world["h"]["ref@a.fr"]
    person = enrol(client, world)
    client.post(url(world, path=f"persons/{person['id']}/calls"), headers=h,
                json={"state": "reached"})
    r = client.delete(url(world, path=f"persons/{person['id']}"), headers=h)
    assert r.status_code == 200 and r.json() == {"deleted": person["id"]}
    with db.read() as conn:
        for table in (schema.register_persons, schema.register_contacts,
                      schema.register_calls):
            assert conn.execute(select(table)).first() is None, table.name
    deleted = audit_rows(db, world["tenant"]["a"], "register.delete")
    assert deleted == [(world["ids"]["ref@a.fr"], "register.delete", str(person["id"]),
                        {"reason": "request"})]
    assert client.get(url(world, path=f"persons/{person['id']}"), headers=h).status_code == 404


def test_unconfirmed_records_are_purged_after_the_setting(client, db, world, registry, pinned):
    h = world["h"]["ref@a.fr"]
    old = enrol(client, world, last_name="Ancienne")  # 2026-07-20
    pinned["ms"] = int(datetime(2027, 3, 1, 10, tzinfo=UTC).timestamp() * 1000)
    confirmed = enrol(client, world, last_name="Récente")
    # 2028-07-20 09:00 UTC: 24 months minus one hour after the first enrolment: kept.
    pinned["ms"] = NOW + (366 + 365) * 86_400_000 - 3_600_000
    assert purge_unconfirmed(db, registry, pinned["ms"]) == 0
    pinned["ms"] += 2 * 3_600_000  # 24 months and one hour later
    assert purge_unconfirmed(db, registry, pinned["ms"]) == 1
    with db.read() as conn:
        left = [r.id for r in conn.execute(select(schema.register_persons))]
        assert left == [confirmed["id"]]
        assert conn.execute(select(schema.register_contacts).where(
            schema.register_contacts.c.person_id == old["id"])).first() is None
    purged = audit_rows(db, world["tenant"]["a"], "register.purge")
    assert [(u, e, d) for u, _, e, d in purged] == [
        (None, str(old["id"]), {"reason": "not_confirmed", "months": 24, "actor": "system"})]
    # A confirmation restarts the period; a shorter setting purges sooner.
    assert client.post(url(world, path=f"persons/{confirmed['id']}/confirm"),
                       headers=h).json()["confirmed_at"] == clock.format_instant(pinned["ms"])
    with db.write() as conn:
        t = schema.tenants
        conn.execute(t.update().where(t.c.id == world["tenant"]["a"]).values(
            settings=orjson.dumps({"risks.register_reconfirm_months": 6}).decode()))
    assert purge_unconfirmed(db, registry, pinned["ms"] + 180 * 86_400_000) == 0
    assert purge_unconfirmed(db, registry, pinned["ms"] + 186 * 86_400_000) == 1


def test_consent_text_for_the_form(client, world):
    """The enrolment form shows the consent text in force and sends back its version."""
    from beffroi.domains.risks.register.persons import CONSENT_TEXT

    r = client.get(url(world, path="consent"), headers=world["h"]["ref@a.fr"])
    assert r.status_code == 200
    assert r.json() == {"version": CONSENT_VERSION, "text": CONSENT_TEXT}
    assert "L121-6-1" in r.json()["text"]
    refused = client.get(url(world, path="consent"), headers=world["h"]["admin@a.fr"])
    assert refused.status_code == 403
    other = client.get(url(world, "b", path="consent"), headers=world["h"]["ref@a.fr"])
    assert other.status_code in (403, 404)
