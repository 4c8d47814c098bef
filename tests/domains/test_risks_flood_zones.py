"""Flood zones: a GeoJSON import whose bad features are refused one by one in French while
the valid ones are written; the assets inside a zone (points, a building that meets it);
the zones flooded at a station level; the routes' isolation."""

from __future__ import annotations

import orjson
import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient
from suite_apps import fresh_app

from beffroi.core import assets, tenants, users
from beffroi.core.access import CLI, open_scope
from beffroi.core.registry import load_registry
from beffroi.domains.risks.cli import risks
from beffroi.domains.risks.flood_zones import (
    assets_in_zone,
    import_flood_zones,
    zones_at_level,
)
from beffroi.storage import schema
from suite_accounts import bearer


def square(x0, y0, x1, y1):
    return {"type": "Polygon", "coordinates": [[[x0, y0], [x1, y0], [x1, y1], [x0, y1],
                                                [x0, y0]]]}


def point(x, y):
    return {"type": "Point", "coordinates": [x, y]}


def feature(props, geometry):
    return {"type": "Feature", "properties": props, "geometry": geometry}


Z1 = square(6.58, 48.00, 6.60, 48.02)
Z2 = square(6.57, 47.99, 6.61, 48.03)
FILE = {"type": "FeatureCollection", "features": [
    feature({"ref": "PPRI-1", "nom": "Quartier de la gare", "alea": "Fort",
             "station": "A4050620", "cote_inondation_m": 2.5, "commune": "88383",
             "source": "PPRi"}, Z1),
    feature({"ref": "PPRI-2", "nom": "Basse ville", "alea": "modéré", "station": "HYD-1",
             "cote_inondation_m": 3.2, "commune": "88383"}, Z2),
    feature({"ref": "AZI-3", "nom": "Prés d'Éloyes", "alea": "faible", "station": "HYD-2",
             "cote_inondation_m": 1.0, "commune": "88158"}, square(6.62, 48.08, 6.64, 48.1)),
    feature({"ref": "BAD-4", "nom": "Station inconnue", "station": "X9999999",
             "cote_inondation_m": 2.0}, square(6.5, 48.0, 6.51, 48.01)),
    feature({"ref": "BAD-5", "nom": "Un point"}, point(6.59, 48.01)),
    feature({"ref": "BAD-6", "nom": "Aléa inconnu", "alea": "énorme"},
            square(6.5, 48.0, 6.51, 48.01)),
    feature({"ref": "BAD-7", "nom": "Cote illisible", "station": "HYD-1",
             "cote_inondation_m": "haut"}, square(6.5, 48.0, 6.51, 48.01)),
    "texte",
]}


@pytest.fixture
def site(db):
    registry = load_registry(["generic", "risks"])
    with db.write() as conn:
        tenant = tenants.create_tenant(db, conn, CLI, name="CC Remiremont", registry=registry)
        scope = open_scope(db, conn, CLI, tenant["id"])
        for insee, name in (("88383", "Remiremont"), ("88158", "Éloyes")):
            tenants.create_commune(scope, conn, {"insee": insee, "name": name})
        ids = {}
        for ref, kind, commune, geometry, props in (
                ("HYD-1", "risks.gauge", "88383", point(6.59, 48.015),
                 {"station_code": "A4050620"}),
                ("HYD-2", "risks.gauge", "88158", point(6.63, 48.09), {}),
                ("MAIRIE", "generic.site", "88383", point(6.585, 48.005), {}),  # in Z1
                ("EDGE", "generic.site", "88383", point(6.60, 48.01), {}),  # on Z1's edge
                ("ECOLE", "generic.site", "88383", square(6.595, 48.015, 6.605, 48.025), {}),
                ("LOIN", "generic.site", "88383", point(6.65, 48.05), {}),  # outside
                ("BAS", "generic.site", "88383", point(6.605, 48.025), {}),  # Z2 only
                ("ELOYES", "generic.site", "88158", point(6.59, 48.012), {})):  # in Z1
            ids[ref] = assets.create_asset(scope, conn, registry, {
                "ref": ref, "kind": kind, "name": ref.title(), "commune": commune,
                "geometry": geometry, "properties": props}).id
        for email, role, communes in (("agent@cc.fr", "agent", None),
                                      ("lecteur@cc.fr", "viewer", None),
                                      ("rem@cc.fr", "viewer", ["88383"])):
            users.add_member(scope, conn, {"email": email, "role": role,
                                           "password": "password-123", "communes": communes})
        other = tenants.create_tenant(db, conn, CLI, name="Autre", registry=registry)
        users.add_member(open_scope(db, conn, CLI, other["id"]), conn, {
            "email": "autre@ailleurs.fr", "role": "tenant_admin", "password": "password-123"})
    return {"db": db, "registry": registry, "tenant": tenant["id"], "ids": ids,
            "other": other["id"]}


def _import(site):
    db = site["db"]
    with db.write() as conn:
        scope = open_scope(db, conn, CLI, site["tenant"])
        return import_flood_zones(scope, conn, site["registry"], orjson.dumps(FILE),
                                  "application/geo+json")


def _zone_ids(site) -> dict[str, int]:
    a = schema.assets
    with site["db"].read() as conn:
        return {r.ref: r.id for r in conn.execute(
            a.select().where(a.c.tenant_id == site["tenant"], a.c.kind == "risks.flood_zone"))}


def test_import_keeps_the_valid_zones_and_explains_the_others(site):
    report = _import(site)
    assert (report["total"], report["created"], report["written"]) == (8, 3, True)
    by_row = {}
    for e in report["errors"]:
        by_row.setdefault(e["row"], []).append(e)
    assert sorted(by_row) == [4, 5, 6, 7, 8]
    assert "station « X9999999 » inconnue" in by_row[4][0]["message"]
    assert by_row[5][0]["field"] == "geometry"
    assert by_row[6][0]["field"] == "properties.hazard"
    assert by_row[7][0]["field"] == "properties.flood_level_m"
    assert "Feature" in by_row[8][0]["message"]
    zones = _zone_ids(site)
    assert set(zones) == {"PPRI-1", "PPRI-2", "AZI-3"}
    a = schema.assets
    with site["db"].read() as conn:
        row = conn.execute(a.select().where(a.c.id == zones["PPRI-1"],
                                            a.c.tenant_id == site["tenant"])).one()
    assert orjson.loads(row.properties) == {"hazard": "fort", "reference_station": "A4050620",
                                            "flood_level_m": 2.5, "source": "PPRi"}
    assert row.name == "Quartier de la gare"


def test_a_zone_without_geometry_is_refused_and_the_others_kept(site):
    """A feature with ``"geometry": null`` (or a CSV line without one) was a valid zone that
    nothing could ever lie in."""
    body = orjson.dumps({"type": "FeatureCollection", "features": [
        feature({"ref": "PPRI-1", "nom": "Quartier de la gare", "commune": "88383"}, Z1),
        feature({"ref": "VIDE-2", "nom": "Sans contour", "commune": "88383"}, None),
        feature({"ref": "VIDE-3", "nom": "Sans contour ni commune"}, None)]})
    refused = {"row": 2, "ref": "VIDE-2", "field": "geometry", "message": "géométrie "
               "obligatoire pour « Zone inondable » (Polygon ou MultiPolygon)"}
    with TestClient(fresh_app(site["db"], site["registry"])) as c:
        h = {**bearer(c, "agent@cc.fr", "password-123"),
             "Content-Type": "application/geo+json"}
        url = f"/api/v1/tenants/{site['tenant']}/risks/flood-zones/import"
        dry = c.post(f"{url}?dry_run=true", content=body, headers=h).json()
        assert (dry["total"], dry["valid"], dry["written"]) == (3, 1, False)
        assert refused in dry["errors"]
        assert [(e["row"], e["field"]) for e in dry["errors"]] == [(2, "geometry"),
                                                                   (3, "geometry")]
        done = c.post(url, content=body, headers=h).json()
        assert (done["created"], done["written"], done["valid"]) == (1, True, 1)
        assert refused in done["errors"]
    assert set(_zone_ids(site)) == {"PPRI-1"}
    # The same through a CSV file whose geometry cell is empty.
    csv_body = ("ref;nom;commune;geometry\nCSV-1;Sans contour;88383;\n"
                f"CSV-2;Contour;88383;{orjson.dumps(Z2).decode()}\n").encode()
    with site["db"].write() as conn:
        report = import_flood_zones(open_scope(site["db"], conn, CLI, site["tenant"]), conn,
                                    site["registry"], csv_body, "text/csv", "zones.csv")
    assert [(e["ref"], e["field"]) for e in report["errors"]] == [("CSV-1", "geometry")]
    assert set(_zone_ids(site)) == {"PPRI-1", "CSV-2"}


def test_the_asset_api_refuses_a_zone_without_geometry_too(site):
    """Not only the import: a zone kind declares ``geometry_required``, core checks it on
    every write (a room or a meter may have no geometry; a zone cannot)."""
    message = "géométrie obligatoire pour « Zone inondable » (Polygon ou MultiPolygon)"
    with TestClient(fresh_app(site["db"], site["registry"])) as c:
        h = bearer(c, "agent@cc.fr", "password-123")
        url = f"/api/v1/tenants/{site['tenant']}/assets"
        body = {"ref": "ZI-API", "kind": "risks.flood_zone", "name": "Zone", "commune": "88383"}
        refused = c.post(url, headers=h, json=body)
        assert refused.status_code == 422
        assert {"field": "geometry", "message": message} in refused.json()["errors"]
        created = c.post(url, headers=h, json={**body, "geometry": Z1})
        assert created.status_code == 201, created.json()
        zone = created.json()["id"]
        emptied = c.patch(f"{url}/{zone}", headers=h, json={"geometry": None})
        assert emptied.status_code == 422
        assert {"field": "geometry", "message": message} in emptied.json()["errors"]
        assert c.get(f"{url}/{zone}", headers=h).json()["geometry"] == Z1
        renamed = c.patch(f"{url}/{zone}", headers=h, json={"name": "Zone du centre"})
        assert renamed.status_code == 200  # a change that leaves the outline alone
        point_kind = c.post(url, headers=h, json={"ref": "SITE-X", "kind": "generic.site",
                                                  "name": "Site", "commune": "88383"})
        assert point_kind.status_code == 201  # kinds whose geometry may stay empty


def test_assets_inside_a_zone(site):
    _import(site)
    zones, ids, db = _zone_ids(site), site["ids"], site["db"]
    with db.read() as conn:
        scope = open_scope(db, conn, CLI, site["tenant"])
        inside = {x["ref"] for x in assets_in_zone(scope, conn, zones["PPRI-1"])}
        # Independently: Z1 spans 6.58–6.60 E, 48.00–48.02 N.
        assert inside == {"MAIRIE", "EDGE", "ECOLE", "ELOYES", "HYD-1"}
        inside2 = {x["ref"] for x in assets_in_zone(scope, conn, zones["PPRI-2"])}
        assert inside2 == inside | {"BAS"}
        with pytest.raises(Exception, match="introuvable"):
            assets_in_zone(scope, conn, ids["MAIRIE"])  # not a zone


def test_zones_flooded_at_a_level(site):
    _import(site)
    ids, db = site["ids"], site["db"]
    with db.read() as conn:
        scope = open_scope(db, conn, CLI, site["tenant"])
        at = lambda station, level: [z["ref"] for z in zones_at_level(  # noqa: E731
            scope, conn, ids[station], level)]
        assert at("HYD-1", 2.49) == []
        assert at("HYD-1", 2.5) == ["PPRI-1"]
        assert at("HYD-1", 4.0) == ["PPRI-1", "PPRI-2"]
        assert at("HYD-2", 4.0) == ["AZI-3"]


def test_routes_and_isolation(site):
    with TestClient(fresh_app(site["db"], site["registry"])) as c:
        h = {e: bearer(c, e, "password-123") for e in
             ("agent@cc.fr", "lecteur@cc.fr", "rem@cc.fr", "autre@ailleurs.fr")}
        base = f"/api/v1/tenants/{site['tenant']}/risks"
        body = orjson.dumps(FILE)
        geo = {"Content-Type": "application/geo+json"}
        assert c.post(f"{base}/flood-zones/import", content=body,
                      headers={**h["lecteur@cc.fr"], **geo}).status_code == 403
        assert c.post(f"{base}/flood-zones/import", content=body,
                      headers={**h["autre@ailleurs.fr"], **geo}).status_code == 404
        r = c.post(f"{base}/flood-zones/import?dry_run=true", content=body,
                   headers={**h["agent@cc.fr"], **geo})
        assert r.status_code == 200 and r.json()["written"] is False
        r = c.post(f"{base}/flood-zones/import", content=body,
                   headers={**h["agent@cc.fr"], **geo})
        assert r.status_code == 200 and r.json()["created"] == 3
        zones, ids = _zone_ids(site), site["ids"]
        everything = c.get(f"{base}/flood-zones/{zones['PPRI-1']}/assets",
                           headers=h["lecteur@cc.fr"]).json()
        assert everything["count"] == 5
        mine = c.get(f"{base}/flood-zones/{zones['PPRI-1']}/assets", headers=h["rem@cc.fr"])
        assert {x["ref"] for x in mine.json()["items"]} == {"MAIRIE", "EDGE", "ECOLE", "HYD-1"}
        assert c.get(f"{base}/flood-zones/{zones['AZI-3']}/assets",
                     headers=h["rem@cc.fr"]).status_code == 404  # Éloyes' zone
        assert c.get(f"{base}/flood-zones/{zones['PPRI-1']}/assets",
                     headers=h["autre@ailleurs.fr"]).status_code == 404
        flooded = c.get(f"{base}/stations/{ids['HYD-1']}/flooded-zones?level_m=3,5",
                        headers=h["lecteur@cc.fr"]).json()
        assert [z["ref"] for z in flooded["zones"]] == ["PPRI-1", "PPRI-2"]
        assert flooded["asset_count"] == 6
        for bad in ("haut", "99", ""):
            r = c.get(f"{base}/stations/{ids['HYD-1']}/flooded-zones?level_m={bad}",
                      headers=h["lecteur@cc.fr"])
            assert r.status_code == 422 and r.json()["errors"][0]["field"] == "level_m"
        assert c.get(f"{base}/stations/{ids['HYD-1']}/flooded-zones?level_m=3",
                     headers=h["autre@ailleurs.fr"]).status_code == 404


@pytest.mark.parametrize("db", ["sqlite"], indirect=True)  # the command line, once
def test_cli_import(site, tmp_path):
    path = tmp_path / "ppri.geojson"
    path.write_bytes(orjson.dumps(FILE))
    result = CliRunner().invoke(risks, ["import-flood-zones", "--tenant", str(site["tenant"]),
                                        str(path), "--db", site["db"].url])
    assert result.exit_code == 1, result.output  # zones refused: said by the exit code
    assert "8 zones lues, 3 valides ; 3 créées" in result.output
    assert "inconnue" in result.output
    assert ("Import partiel : 5 ligne(s) refusée(s), non importées ; les lignes valides ont "
            "été écrites.") in result.output
    valid = tmp_path / "valides.geojson"  # the valid ones alone: nothing refused, exit 0
    valid.write_bytes(orjson.dumps({**FILE, "features": [
        f for f in FILE["features"] if isinstance(f, dict)
        and not f["properties"]["ref"].startswith("BAD-")]}))  # (and not the bare text)
    again = CliRunner().invoke(risks, ["import-flood-zones", "--tenant", str(site["tenant"]),
                                       str(valid), "--db", site["db"].url])
    assert again.exit_code == 0, again.output
    assert "3 zones lues, 3 valides ; 0 créées, 3 mises à jour." in again.output
