"""Tenants: settings applied without restart, communes CRUD, boundary import, id or SIREN."""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from beffroi.core import assets, streams, tenants, users
from beffroi.core.access import CLI, open_scope
from beffroi.core.impact.settings import BY_KEY as IMPACT_SETTINGS
from beffroi.core.retention import BY_KEY as RETENTION_SETTINGS
from suite_accounts import bearer

DATA = Path(__file__).resolve().parents[2] / "src" / "beffroi" / "data"
POINT = {"type": "Point", "coordinates": [6.59, 48.02]}
# Settings of the notifications (on-call, digest), checked in tests/notifications, of the
# impact report (footprint, site visits), checked in tests/core, and of the public impact
# indicators (tests/reports).
ALERTING_DEFAULTS = {"working_hours": {"days": [1, 2, 3, 4, 5], "start": "08:00", "end": "18:00"},
                     "escalation_delay_min": 30, "digest_time": "07:30",
                     **{key: s.default for key, s in IMPACT_SETTINGS.items()},
                     **{key: s.default for key, s in RETENTION_SETTINGS.items()},
                     "impact.public_indicators": False, "public_banner": None}
SQUARE = {"type": "Polygon", "coordinates": [[[6.5, 48.0], [6.6, 48.0], [6.6, 48.1], [6.5, 48.1],
                                              [6.5, 48.0]]]}
BOWTIE = {"type": "Polygon", "coordinates": [[[6.5, 48.0], [6.6, 48.1], [6.6, 48.0], [6.5, 48.1],
                                              [6.5, 48.0]]]}


@pytest.fixture
def t(db, registry, client, op_headers):
    with db.write() as conn:
        tenant = tenants.create_tenant(db, conn, CLI, siren="200068377", registry=registry)
        scope = open_scope(db, conn, CLI, tenant["id"])
        asset = assets.create_asset(scope, conn, registry, {
            "ref": "SITE-1", "kind": "generic.site", "name": "Station", "commune": "88383",
            "geometry": POINT})
        stream = streams.create_stream(scope, conn, registry,
                                       {"asset_id": asset.id, "metric": "generic.value"})
        users.add_member(scope, conn, {"email": "agent@x.fr", "role": "agent",
                                       "password": "password-123"})
    return {"base": f"/api/v1/tenants/{tenant['id']}", "h": op_headers, "id": tenant["id"],
            "asset": asset.id, "stream": stream.id}


def patch(client, t, body, headers=None):
    return client.patch(t["base"], headers=t["h"] if headers is None else headers, json=body)


def settings_of(client, t) -> dict:
    return client.get(t["base"], headers=t["h"]).json()["settings"]


def test_publishing_a_kind_opens_it_to_anonymous_readers_at_once(client, t):
    base = t["base"]
    client.post(f"{base}/observations", headers=t["h"], json=[
        {"stream_id": t["stream"], "time": "2026-01-10T10:00:00Z", "value": 4.5}])
    anonymous = client.get(f"{base}/assets")
    assert anonymous.status_code == 401
    assert anonymous.json()["detail"] == "Connexion requise pour accéder à ce territoire."

    published = patch(client, t, {"settings": {"published_kinds": ["generic.site"]}})
    assert published.status_code == 200
    assert published.json()["settings"]["published_kinds"] == ["generic.site"]
    listing = client.get(f"{base}/assets")  # same app, no restart, no credentials
    assert listing.status_code == 200
    assert [f["properties"]["ref"] for f in listing.json()["features"]] == ["SITE-1"]
    assert client.get(f"{base}/assets/{t['asset']}").json()["name"] == "Station"
    series = client.get(f"{base}/streams/{t['stream']}/series", params={
        "start": "2026-01-10T00:00:00Z", "end": "2026-01-11T00:00:00Z"})
    assert series.json()["points"] == [["2026-01-10T10:00:00Z", 4.5, "good"]]
    # reading is all the public gets
    assert client.post(f"{base}/assets", json={"ref": "X", "kind": "generic.site"}).status_code == 401
    assert client.patch(base, json={"name": "Piraté"}).status_code == 401
    assert client.get(f"{base}/storage").status_code == 401
    assert client.post(f"{base}/observations", json=[]).status_code == 401

    hidden = patch(client, t, {"settings": {"published_kinds": []}})
    assert hidden.json()["settings"]["published_kinds"] == []
    assert client.get(f"{base}/assets").status_code == 401
    assert client.get(f"{base}/assets/{t['asset']}").status_code == 401
    assert client.get(f"{base}/assets", headers=t["h"]).json()["numberReturned"] == 1


def test_settings_are_merged_validated_and_left_untouched_on_error(client, t):
    assert patch(client, t, {"settings": {"raw_retention_days": 30}}).status_code == 200
    assert patch(client, t, {"settings": {"timezone": "America/Cayenne"}}).status_code == 200
    assert settings_of(client, t) == {"timezone": "America/Cayenne", "raw_retention_days": 30,
                                      "published_kinds": [], **ALERTING_DEFAULTS}
    bad = [
        ({"settings": {"timezone": "Mars/Olympus"}}, "timezone",
         "fuseau horaire inconnu « Mars/Olympus »"),
        ({"settings": {"raw_retention_days": 0}}, "raw_retention_days", "entier ≥ 1"),
        ({"settings": {"raw_retention_days": "30"}}, "raw_retention_days", "entier ≥ 1"),
        ({"settings": {"raw_retention_days": True}}, "raw_retention_days", "entier ≥ 1"),
        ({"settings": {"published_kinds": ["lighting.cabinet"]}}, "published_kinds",
         "types d'équipements inconnus : lighting.cabinet"),
        ({"settings": {"published_kinds": "generic.site"}}, "published_kinds",
         "liste de types d'équipements attendue"),
        ({"settings": {"colour": "bleu"}}, "colour", "paramètre inconnu"),
        ({"name": "  "}, "name", "texte non vide attendu"),
    ]
    for body, field, fragment in bad:
        response = patch(client, t, body)
        assert response.status_code == 422, body
        errors = {e["field"]: e["message"] for e in response.json()["errors"]}
        assert fragment in errors.get(field, ""), (body, errors)
    assert "Champs non modifiables : siren" in patch(client, t, {"siren": "1"}).json()["detail"]
    assert patch(client, t, {"settings": [1]}).status_code == 422
    # one invalid key refuses the whole change
    mixed = patch(client, t, {"settings": {"raw_retention_days": 5, "timezone": "Nowhere/X"}})
    assert mixed.status_code == 422
    assert settings_of(client, t) == {"timezone": "America/Cayenne", "raw_retention_days": 30,
                                      "published_kinds": [], **ALERTING_DEFAULTS}
    assert patch(client, t, {"settings": {"raw_retention_days": None}}).json()["settings"][
        "raw_retention_days"] is None
    # A key written twice is refused, not decided by the parser (nothing changes).
    twice = client.patch(t["base"], headers={**t["h"], "content-type": "application/json"},
                         content=b'{"settings": {"raw_retention_days": 7, '
                                 b'"raw_retention_days": 700}}')
    assert twice.status_code == 422
    assert twice.json()["detail"] == ("JSON ambigu : clé « raw_retention_days » en double dans "
                                      "« settings » ; une seule valeur est attendue par clé.")
    assert settings_of(client, t)["raw_retention_days"] is None
    agent = bearer(client, "agent@x.fr", "password-123")
    refused = patch(client, t, {"name": "Renommé"}, headers=agent)
    assert refused.status_code == 403 and "agent technique" in refused.json()["detail"]
    assert client.get(t["base"], headers=t["h"]).json()["name"] == (
        "CC de la Porte des Vosges Méridionales")


def _daily_reference(points, tz):
    sums, counts = defaultdict(float), defaultdict(int)
    for when, value in points:
        day = when.astimezone(tz).date()
        sums[day] += value
        counts[day] += 1
    return {datetime(d.year, d.month, d.day, tzinfo=tz).astimezone(UTC): (sums[d], counts[d])
            for d in sums}


def test_timezone_change_moves_the_daily_buckets_of_all_data(db, registry, client, t):
    with db.write() as conn:
        scope = open_scope(db, conn, CLI, t["id"])
        second = streams.create_stream(scope, conn, registry,
                                       {"asset_id": t["asset"], "metric": "generic.temperature"})
    start = datetime(2026, 1, 12, 0, 30, tzinfo=UTC)
    points = [(start + timedelta(hours=h), float(h % 17)) for h in range(72)]

    def send(stream_id):
        response = client.post(f"{t['base']}/observations", headers=t["h"], json=[
            {"stream_id": stream_id, "time": when.isoformat(), "value": v} for when, v in points])
        assert response.json()["stored"] == 72

    def daily(stream_id, agg):
        response = client.get(f"{t['base']}/streams/{stream_id}/series", headers=t["h"], params={
            "start": "2026-01-10T00:00:00Z", "end": "2026-01-20T00:00:00Z", "step": "1d",
            "agg": agg})
        return {datetime.fromisoformat(time): value for time, value in response.json()["points"]}

    send(t["stream"])
    paris = _daily_reference(points, ZoneInfo("Europe/Paris"))
    assert daily(t["stream"], "sum") == {k: s for k, (s, _) in paris.items()}
    assert patch(client, t, {"settings": {"timezone": "America/Cayenne"}}).status_code == 200
    send(second.id)  # the next batch already uses the new time zone, no restart
    later = [(when + timedelta(hours=72), v) for when, v in points]
    response = client.post(f"{t['base']}/observations", headers=t["h"], json=[
        {"stream_id": t["stream"], "time": when.isoformat(), "value": v} for when, v in later])
    assert response.json()["stored"] == 72
    # Stored days were rebuilt in the new zone, and new data merges into them exactly.
    cayenne = ZoneInfo("America/Cayenne")
    for stream_id, data in ((t["stream"], points + later), (second.id, points)):
        reference = _daily_reference(data, cayenne)
        assert daily(stream_id, "sum") == {k: s for k, (s, _) in reference.items()}
        assert daily(stream_id, "count") == {k: n for k, (_, n) in reference.items()}
    # Cayenne midnight is 03:00Z (Paris midnight was 23:00Z in January)
    assert {k.hour for k in daily(t["stream"], "sum")} == {3}


def test_communes_crud_through_the_api(db, registry, client, op_headers):
    created = client.post("/api/v1/tenants", headers=op_headers, json={"name": "Syndicat des eaux"})
    assert created.status_code == 201 and created.json()["siren"] is None
    base = f"/api/v1/tenants/{created.json()['id']}"
    assert client.get(f"{base}/communes", headers=op_headers).json() == []
    url = f"{base}/communes"
    first = client.post(url, headers=op_headers, json={"insee": "88383", "name": " Remiremont ",
                                                       "population": 7500, "boundary": SQUARE})
    assert first.status_code == 201
    assert first.json() == {"insee": "88383", "name": "Remiremont", "population": 7500,
                            "boundary": SQUARE}
    corsica = client.post(url, headers=op_headers, json={"insee": "2A004", "name": "Ajaccio"})
    assert corsica.status_code == 201 and corsica.json()["boundary"] is None
    duplicate = client.post(url, headers=op_headers, json={"insee": "88383", "name": "Bis"})
    assert duplicate.status_code == 409
    assert duplicate.json()["detail"] == "La commune 88383 existe déjà dans ce territoire."
    for body, field, message in [
        ({"insee": "8838", "name": "x"}, "insee", "code INSEE à 5 caractères attendu"),
        ({"insee": 88384, "name": "x"}, "insee", "code INSEE à 5 caractères attendu"),
        ({"insee": "88384"}, "name", "nom obligatoire"),
        ({"insee": "88384", "name": "x", "population": -1}, "population", "entier positif attendu"),
        ({"insee": "88384", "name": "x", "population": "12"}, "population",
         "entier positif attendu"),
        ({"insee": "88384", "name": "x", "boundary": POINT}, "boundary",
         "géométrie de type point refusée ici (attendu : polygone, multipolygone)"),
        ({"insee": "88384", "name": "x", "boundary": BOWTIE}, "boundary", "géométrie invalide"),
        ({"insee": "88384", "name": "x", "maire": "M. X"}, "maire", "champ inconnu"),
    ]:
        response = client.post(url, headers=op_headers, json=body)
        assert response.status_code == 422, body
        errors = {e["field"]: e["message"] for e in response.json()["errors"]}
        assert message in errors.get(field, ""), (body, errors)
    listed = client.get(url, headers=op_headers, params={"boundaries": "false"}).json()
    assert listed == [{"insee": "2A004", "name": "Ajaccio", "population": None},
                      {"insee": "88383", "name": "Remiremont", "population": 7500}]

    changed = client.patch(f"{url}/88383", headers=op_headers,
                           json={"population": 7600, "insee": "99999"})
    assert changed.status_code == 200
    assert changed.json() | {"boundary": None} == {"insee": "88383", "name": "Remiremont",
                                                   "population": 7600, "boundary": None}
    bad = client.patch(f"{url}/88383", headers=op_headers, json={"name": ""})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "name"
    cleared = client.patch(f"{url}/88383", headers=op_headers, json={"boundary": None})
    assert cleared.json()["boundary"] is None
    assert client.get(f"{url}/88383", headers=op_headers).json()["population"] == 7600
    missing = client.get(f"{url}/99999", headers=op_headers)
    assert missing.status_code == 404
    assert missing.json()["detail"] == "Commune 99999 introuvable dans ce territoire."
    assert client.patch(f"{url}/99999", headers=op_headers, json={"name": "x"}).status_code == 404

    asset = client.post(f"{base}/assets", headers=op_headers, json={
        "ref": "A", "kind": "generic.site", "commune": "88383", "geometry": POINT})
    assert asset.status_code == 201
    busy = client.delete(f"{url}/88383", headers=op_headers)
    assert busy.status_code == 409 and "porte encore des équipements" in busy.json()["detail"]
    assert client.delete(f"{base}/assets/{asset.json()['id']}", headers=op_headers).status_code == 204
    assert client.delete(f"{url}/88383", headers=op_headers).status_code == 204
    assert client.get(f"{url}/88383", headers=op_headers).status_code == 404
    assert [c["insee"] for c in client.get(url, headers=op_headers).json()] == ["2A004"]


def test_only_tenant_admins_manage_communes(client, t):
    url = f"{t['base']}/communes"
    agent = bearer(client, "agent@x.fr", "password-123")
    assert client.get(url, headers=agent).status_code == 200
    assert client.post(url, headers=agent, json={"insee": "88001", "name": "x"}).status_code == 403
    assert client.patch(f"{url}/88383", headers=agent, json={"population": 1}).status_code == 403
    assert client.delete(f"{url}/88409", headers=agent).status_code == 403
    assert len(client.get(url, headers=t["h"]).json()) == 10


def test_boundary_import_reports_each_rejected_feature(client, t):
    reference = json.loads((DATA / "demonstrator-communes.geojson").read_text(encoding="utf-8"))
    by_code = {f["properties"]["code"]: f for f in reference["features"]}
    url = f"{t['base']}/communes/boundaries"
    first = client.post(url, headers=t["h"], json={"type": "FeatureCollection",
                                                   "features": [by_code["88415"]]})
    assert first.json() == {"updated": ["88415"], "rejected": [], "encoding": "utf-8"}

    def feat(props, geometry):
        return {"type": "Feature", "properties": props, "geometry": geometry}

    body = {"type": "FeatureCollection", "features": [
        by_code["88383"],                                              # 0 ok (code)
        feat({"code": "75056", "nom": "Paris"}, SQUARE),               # 1 outside the tenant
        feat({"insee": "88429"}, BOWTIE),                              # 2 self-intersecting
        feat({"INSEE_COM": "88487"}, POINT),                           # 3 not a polygon
        feat({"code": "88415"}, None),                                 # 4 no geometry
        3,                                                             # 5 not a feature
        feat({"code": "88158"}, {"type": "Polygon", "coordinates": [[["6,5", 48]]]}),  # 6
        feat({"nom": "Sans code"}, SQUARE),                            # 7 no INSEE
        feat({"insee": "88409"}, SQUARE),                              # 8 ok (insee)
    ]}
    response = client.post(url, headers=t["h"], json=body)
    assert response.status_code == 200, response.text
    out = response.json()
    assert out["updated"] == ["88383", "88409"]
    reasons = {r["index"]: r["reason"] for r in out["rejected"]}
    assert reasons == {
        1: "commune « 75056 » absente du territoire",
        2: "géométrie invalide : contour qui se recoupe près de la position [6.55, 48.05]",
        3: "géométrie de type point refusée ici (attendu : polygone, multipolygone)",
        4: "géométrie absente pour la commune 88415",
        5: "entité GeoJSON attendue : objet « Feature » avec un objet « properties »",
        6: 'coordonnées invalides : position [longitude, latitude] attendue, reçu ["6,5",48]',
        7: "code INSEE absent (propriété « code », « insee » ou « INSEE_COM »)",
    }
    communes = {c["insee"]: c for c in client.get(f"{t['base']}/communes", headers=t["h"]).json()}
    assert communes["88383"]["boundary"] == by_code["88383"]["geometry"]
    assert communes["88409"]["boundary"] == SQUARE
    assert communes["88415"]["boundary"] == by_code["88415"]["geometry"]  # not erased
    assert communes["88429"]["boundary"] is None and communes["88487"]["boundary"] is None
    for bad in ({"type": "Feature"}, [1], {"type": "FeatureCollection", "features": "x"}):
        refused = client.post(url, headers=t["h"], json=bad)
        assert refused.status_code == 422, bad
        assert "FeatureCollection" in refused.json()["detail"] or "features" in refused.json()[
            "detail"]


def test_a_boundary_naming_a_key_twice_is_refused_alone(client, t):
    url = f"{t['base']}/communes/boundaries"
    body = json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"code": "88409"}, "geometry": SQUARE},
        {"type": "Feature", "properties": {"code": "88383"}, "geometry": SQUARE}]})
    # Which commune is it, 88383 or 88415? The feature is refused, the other one imported.
    raw = body.replace('"code": "88383"', '"code": "88383", "code": "88415"').encode()
    response = client.post(url, headers={**t["h"], "content-type": "application/geo+json"},
                           content=raw)
    assert response.status_code == 200, response.text
    assert response.json()["updated"] == ["88409"]
    assert response.json()["rejected"] == [
        {"index": 1, "reason": "clé « code » en double dans « properties » de l'objet n° 1"}]
    communes = {c["insee"]: c for c in client.get(f"{t['base']}/communes", headers=t["h"]).json()}
    assert communes["88409"]["boundary"] == SQUARE
    assert communes["88383"]["boundary"] is None and communes["88415"]["boundary"] is None


def test_boundary_file_is_decoded_like_every_import(client, t):
    """The route parsed its body as UTF-8 JSON only; the CLI too."""
    url = f"{t['base']}/communes/boundaries"
    body = json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"code": "88409", "nom": "Éloyes – « bourg »"},
         "geometry": SQUARE}]}, ensure_ascii=False)
    legacy = client.post(url, headers={**t["h"], "content-type": "application/geo+json"},
                         content=body.encode("cp1252"))
    assert legacy.status_code == 200, legacy.text
    assert legacy.json() == {"updated": ["88409"], "rejected": [], "encoding": "windows-1252"}
    stray = body.encode().replace(b"bourg", b"bo\xffrg")
    refused = client.post(url, headers={**t["h"], "content-type": "application/geo+json"},
                          content=stray)
    assert refused.status_code == 422
    assert refused.json()["detail"].startswith("Fichier UTF-8 contenant un octet invalide (0xFF)")


def test_tenant_is_addressed_by_id_or_by_siren(db, client, t, op_headers):
    by_id = client.get(t["base"], headers=op_headers)
    by_siren = client.get("/api/v1/tenants/200068377", headers=op_headers)
    assert by_id.status_code == by_siren.status_code == 200
    assert by_id.json() == by_siren.json()
    assert by_id.json()["id"] == t["id"] and by_id.json()["kind"] == "CC"
    assert client.patch("/api/v1/tenants/200068377", headers=op_headers,
                        json={"name": "CCPVM"}).status_code == 200
    assert client.get(t["base"], headers=op_headers).json()["name"] == "CCPVM"
    assert client.get(f"/api/v1/tenants/200068377/assets/{t['asset']}",
                      headers=op_headers).json()["ref"] == "SITE-1"
    for ref in ("999999999", "4242", "abc"):
        missing = client.get(f"/api/v1/tenants/{ref}", headers=op_headers)
        assert missing.status_code == 404
        assert missing.json()["detail"] == f"Territoire « {ref} » introuvable."
    # a person with no role in the tenant does not learn that it exists
    with db.write() as conn:
        users.create_user(db, conn, email="stranger@x.fr",
                          password_hash=users.new_password_hash("password-123"))
    stranger = bearer(client, "stranger@x.fr", "password-123")
    assert client.get("/api/v1/tenants/200068377", headers=stranger).status_code == 404
    assert client.get(t["base"], headers=stranger).status_code == 404


def test_tenant_creation_through_the_api(client, op_headers):
    for body, status, fragment in [
        ({"siren": "123456789"}, 404, "absent du référentiel des EPCI"),
        ({"siren": "12345"}, 422, "SIREN invalide : 9 chiffres attendus."),
        ({}, 422, "Nom du territoire obligatoire."),
        ({"name": "X", "settings": {"timezone": "Nowhere"}}, 422, "Paramètres du territoire"),
        ({"name": "X", "colour": "bleu"}, 422, "Champs inconnus : colour"),
    ]:
        response = client.post("/api/v1/tenants", headers=op_headers, json=body)
        assert response.status_code == status, body
        assert fragment in response.json()["detail"], response.json()
    assert client.get("/api/v1/tenants", headers=op_headers).json() == []
    org = client.post("/api/v1/tenants", headers=op_headers,
                      json={"siren": "123456789", "name": "Régie", "settings": {
                          "raw_retention_days": 90}})
    assert org.status_code == 201
    assert org.json() | {"id": 0} == {"id": 0, "siren": "123456789", "name": "Régie",
                                      "kind": "organisation", "settings": {
                                          "timezone": "Europe/Paris", "raw_retention_days": 90,
                                          "published_kinds": [], **ALERTING_DEFAULTS}}
    again = client.post("/api/v1/tenants", headers=op_headers, json={"siren": "123456789",
                                                                     "name": "Régie"})
    assert again.status_code == 409
    assert client.get("/api/v1/tenants/123456789/communes", headers=op_headers).json() == []
