"""Inventory import (GeoJSON and CSV): upsert by ref, parents, validation report, modes."""

from __future__ import annotations

import json
import math

import pytest

from beffroi.core import importing, tenants, users
from beffroi.core.access import CLI, open_scope
from suite_accounts import bearer


@pytest.fixture
def t(db, registry, client, op_headers):
    with db.write() as conn:
        tenant = tenants.create_tenant(db, conn, CLI, siren="200068377", registry=registry)
    return {"base": f"/api/v1/tenants/{tenant['id']}", "h": op_headers, "id": tenant["id"]}


def feature(ref, lon=6.59, lat=48.02, geometry=None, **props):
    props = {"ref": ref, "kind": "generic.site", "commune": "88383"} | props
    return {"type": "Feature", "properties": {k: v for k, v in props.items() if v is not None},
            "geometry": geometry or {"type": "Point", "coordinates": [lon, lat]}}


def collection(*features):
    return {"type": "FeatureCollection", "features": list(features)}


def import_json(client, t, doc, **params):
    return client.post(f"{t['base']}/assets/import", headers=t["h"], json=doc, params=params)


def import_csv(client, t, data: bytes, **params):
    return client.post(f"{t['base']}/assets/import", content=data, params=params,
                       headers={**t["h"], "content-type": "text/csv"})


def stored(client, t) -> dict[str, dict]:
    """The tenant's assets by ref, as the API returns them (via the single-asset route)."""
    listing = client.get(f"{t['base']}/assets", headers=t["h"]).json()["features"]
    return {f["properties"]["ref"]: client.get(f"{t['base']}/assets/{f['id']}",
                                               headers=t["h"]).json() for f in listing}


def test_geojson_import_creates_then_upserts_by_ref(client, t):
    first = collection(
        # the child comes before its parent in the file
        feature("ARM-2", name="Armoire fille", parent_ref="ARM-1", floors=1,
                description="dans le local"),
        feature("ARM-1", 6.60, 48.03, name="Armoire mère", capacity=12.5, monitored=True,
                status="active", commissioned="2019-04-01", commune="88429"),
        # no ref property: the feature id is used
        {"type": "Feature", "id": 77, "geometry": {"type": "Point", "coordinates": [6.61, 48.0]},
         "properties": {"kind": "generic.site", "name": "Sans ref", "commune": "88383"}},
    )
    response = import_json(client, t, first)
    assert response.status_code == 200, response.text
    assert response.json() == {"total": 3, "valid": 3, "created": 3, "updated": 0,
                               "written": True, "encoding": "utf-8", "errors": [],
                               "warnings": []}
    assets = stored(client, t)
    assert sorted(assets) == ["77", "ARM-1", "ARM-2"]
    parent, child = assets["ARM-1"], assets["ARM-2"]
    assert child["parent_id"] == parent["id"] and parent["parent_id"] is None
    assert parent["name"] == "Armoire mère" and parent["commune"] == "88429"
    assert parent["geometry"] == {"type": "Point", "coordinates": [6.60, 48.03]}
    assert parent["properties"] == {"capacity": 12.5, "monitored": True, "status": "active",
                                    "commissioned": "2019-04-01"}
    assert child["properties"] == {"floors": 1, "description": "dans le local"}
    ids = {ref: a["id"] for ref, a in assets.items()}

    second = collection(
        feature("ARM-1", 6.62, 48.04, name="Armoire mère (rénovée)", capacity=20,
                commune="88429"),
        feature("ARM-3", name="Nouvelle", parent_ref="ARM-1"),
    )
    response = import_json(client, t, second)
    assert response.status_code == 200, response.text
    assert (response.json()["created"], response.json()["updated"]) == (1, 1)
    assets = stored(client, t)
    assert sorted(assets) == ["77", "ARM-1", "ARM-2", "ARM-3"]  # updated, not duplicated
    assert {ref: a["id"] for ref, a in assets.items() if ref != "ARM-3"} == ids
    assert assets["ARM-1"]["name"] == "Armoire mère (rénovée)"
    assert assets["ARM-1"]["geometry"]["coordinates"] == [6.62, 48.04]
    assert assets["ARM-1"]["properties"] == {"capacity": 20}  # the file replaces properties
    assert assets["ARM-3"]["parent_id"] == ids["ARM-1"]  # parent resolved from the database
    assert assets["ARM-2"]["parent_id"] == ids["ARM-1"]  # untouched row keeps its parent


def test_ref_with_spaces_updates_the_existing_asset(client, t):
    assert import_json(client, t, collection(feature("S1", name="Avant"))).status_code == 200
    response = import_json(client, t, collection(feature(" S1 ", name="Après"),
                                                 feature("S2", parent_ref=" S1")))
    assert response.status_code == 200, response.text
    assert (response.json()["created"], response.json()["updated"]) == (1, 1)
    assets = stored(client, t)
    assert sorted(assets) == ["S1", "S2"]
    assert assets["S1"]["name"] == "Après" and assets["S2"]["parent_id"] == assets["S1"]["id"]


CSV_ROWS = [
    "ref;name;commune;lon;lat;capacity;floors;monitored;status;commissioned;description",
    "MAI-1;Mairie de Saint-Étienne-lès-Remiremont;88415;6,6091;48,0241;12,5;2;oui;active;"
    "2019-04-01;Cœur du bourg – « l’historique »",
    "ECO-2;École élémentaire;88383;6.5912;48.0172;;1;non;inactive;;",
]


@pytest.mark.parametrize("encoding", ["cp1252", "utf-8", "utf-8-sig"])
def test_csv_import_semicolons_decimal_commas_and_encodings(client, t, encoding):
    data = "\r\n".join(CSV_ROWS).encode(encoding) + b"\r\n"
    response = import_csv(client, t, data, kind="generic.site")
    assert response.status_code == 200, response.text
    assert response.json()["created"] == 2 and response.json()["errors"] == []
    assets = stored(client, t)
    mairie, ecole = assets["MAI-1"], assets["ECO-2"]
    assert mairie["name"] == "Mairie de Saint-Étienne-lès-Remiremont"
    assert mairie["kind"] == "generic.site"  # from ?kind=, the file has no kind column
    assert mairie["commune"] == "88415"
    assert mairie["geometry"] == {"type": "Point", "coordinates": [6.6091, 48.0241]}
    assert mairie["properties"] == {"capacity": 12.5, "floors": 2, "monitored": True,
                                    "status": "active", "commissioned": "2019-04-01",
                                    "description": "Cœur du bourg – « l’historique »"}
    assert ecole["name"] == "École élémentaire"
    assert ecole["geometry"]["coordinates"] == [6.5912, 48.0172]
    # empty cells are absent, not empty strings
    assert ecole["properties"] == {"floors": 1, "monitored": False, "status": "inactive"}


def test_utf8_file_with_one_stray_byte_is_refused_whole_and_nothing_is_written(client, t):
    """Read as Latin-1, this file was imported as « Ã‰glise Saint-Pierre »."""
    head = "ref;kind;name;commune;lon;lat\n"
    raw = (head + "EGL-1;generic.site;Église Saint-Pierre;88383;6,59;48,02\n"
           "MAI-2;generic.site;Mairie annexe;88383;6,6;48,0\n").encode()
    raw = raw.replace(b"annexe", b"annex\xff")  # one stray byte on line 3
    for params in ({}, {"partial": "true"}, {"dry_run": "true"}):
        response = import_csv(client, t, raw, **params)
        assert response.status_code == 422, response.text
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["detail"] == (
            "Fichier UTF-8 contenant un octet invalide (0xFF) ligne 3, colonne 32 : "
            "corrigez-le ou réenregistrez le fichier en UTF-8")
        assert response.json()["errors"][0] | {"message": ""} == {
            "field": "encoding", "line": 3, "column": 32, "message": ""}
    assert stored(client, t) == {}


def test_genuine_windows_1252_file_is_imported_and_its_encoding_reported(client, t):
    text = ("ref;kind;name;commune;lon;lat;description\r\n"
            "EGL-1;generic.site;Église Saint-Étienne;88383;6,59;48,02;Cœur du bourg, don de 5 €\r\n")
    response = import_csv(client, t, text.encode("cp1252"))
    assert response.status_code == 200, response.text
    report = response.json()
    assert report["encoding"] == "windows-1252" and report["created"] == 1
    assert report["warnings"] == [{"row": None, "line": None, "field": "", "message": (
        "fichier lu en Windows-1252 (il n'est pas en UTF-8) : vérifiez les accents ; "
        "préférez l'enregistrement en UTF-8")}]
    asset = stored(client, t)["EGL-1"]
    assert asset["name"] == "Église Saint-Étienne"
    assert asset["properties"] == {"description": "Cœur du bourg, don de 5 €"}


MALFORMED_CSV = (
    "ref,kind,name,commune,lon,lat\r\n"                              # 1
    "A,generic.site,\"Mairie\r\nannexe\",88383,6.5,48.0\r\n"         # 2-3 quoted line break
    "B,generic.site,\"Salle \"\"des fêtes\"\"\"x,88383,6.5,48.0\r\n"   # 4 text after a quote
    "C,generic.site,Gare,88383,6.5,48.0,en trop\r\n"                 # 5 one field too many
    "D,generic.site,Poste,88383\r\n"                                 # 6 fields missing
    "E,generic.site,Nul\x00,88383,6.5,48.0\r\n"                      # 7 NUL
    "F,generic.site,\"Eglise,88383,6.5,48.0\r\n"                     # 8 quote never closed
    "G,generic.site,Ecole,88383,6.5,48.0\r\n"                        # 9
    "H,generic.site,\"Halle\rcouverte\",88383,6.5,48.0\r\n"         # 10-11 CR inside quotes
)


def test_malformed_csv_records_are_refused_with_their_line(client, t):
    response = import_csv(client, t, MALFORMED_CSV.encode())
    assert response.status_code == 422, response.text
    report = response.json()
    assert (report["total"], report["valid"], report["written"]) == (8, 3, False)
    assert [(e["row"], e["line"], e["message"]) for e in report["errors"]] == [
        (2, 4, "caractère après un guillemet fermant (un guillemet dans une valeur entre "
               "guillemets s'écrit \"\")"),
        (3, 5, "7 champs au lieu de 6 (en-tête ligne 1) ; une valeur contenant le séparateur "
               "doit être entre guillemets"),
        (4, 6, "4 champs au lieu de 6 (en-tête ligne 1) ; une valeur contenant le séparateur "
               "doit être entre guillemets"),
        (5, 7, "caractère de contrôle U+0000 (NUL) dans la colonne « name »"),
        (6, 8, "guillemet ouvert ligne 8 jamais refermé"),
    ]
    assert stored(client, t) == {}
    partial = import_csv(client, t, MALFORMED_CSV.encode(), partial="true")
    assert partial.status_code == 200 and partial.json()["errors"] == report["errors"]
    assets = stored(client, t)
    assert sorted(assets) == ["A", "G", "H"]
    assert assets["A"]["name"] == "Mairie\nannexe" and assets["H"]["name"] == "Halle\ncouverte"


def test_a_doubled_quote_far_into_the_file_is_one_quote(client, t):
    """csv.Sniffer judged the dialect on the first 4 KB and turned ``""`` off."""
    rows = "".join(f"R{i},generic.site,Site {i},88383,6.5,48.0\n" for i in range(120))
    text = ("ref,kind,name,commune,lon,lat\n" + rows
            + 'Q,generic.site,"Salle ""polyvalente""",88383,6.5,48.0\n')
    assert len(text) > 4096
    response = import_csv(client, t, text.encode())
    assert response.status_code == 200, response.text
    assert stored(client, t)["Q"]["name"] == 'Salle "polyvalente"'


def test_csv_upsert_and_header_check(client, t):
    head = "ref,kind,name,commune,lon,lat,floors\n"
    assert import_csv(client, t, (head + "C1,generic.site,Un,88383,6.5,48.0,1\n").encode()
                      ).json()["created"] == 1
    again = import_csv(client, t, (head + "C1,generic.site,Un bis,88383,6.5,48.0,4\n"
                                   "C2,generic.site,Deux,88383,6.6,48.1,\n").encode())
    assert (again.json()["created"], again.json()["updated"]) == (1, 1)
    assets = stored(client, t)
    assert assets["C1"]["name"] == "Un bis" and assets["C1"]["properties"] == {"floors": 4}
    assert len(assets) == 2
    no_ref = import_csv(client, t, b"name,lon,lat\nX,6.5,48\n")
    assert no_ref.status_code == 422 and "colonne « ref »" in no_ref.json()["detail"]


BAD_ROWS = [
    ("invalid geometry",
     feature("BAD", geometry={"type": "Polygon",
                              "coordinates": [[[6.5, 48.0], [6.6, 48.1], [6.6, 48.0], [6.5, 48.1],
                                               [6.5, 48.0]]]}),
     "geometry", "géométrie invalide : contour qui se recoupe près de la position [6.55, 48.05]"),
    ("coordinates outside WGS84", feature("BAD", 650000, 6800000), "geometry",
     "coordonnées invalides : position [650000, 6800000] hors WGS84 (longitude −180..180, "
     "latitude −90..90) ; des coordonnées projetées (Lambert 93…) doivent être converties"),
    ("latitude beyond the pole", feature("BAD", 6.5, 91), "geometry",
     "position [6.5, 91] hors WGS84"),
    ("unclosed ring",
     feature("BAD", geometry={"type": "Polygon", "coordinates": [
         [[6.5, 48.0], [6.6, 48.0], [6.6, 48.1], [6.5, 48.1]]]}),
     "geometry", "contour extérieur du polygone non fermé : la dernière position [6.5, 48.1] "
                 "doit répéter la première [6.5, 48]"),
    ("ring of three positions",
     feature("BAD", geometry={"type": "MultiPolygon", "coordinates": [
         [[[6.5, 48.0], [6.6, 48.0], [6.6, 48.1], [6.5, 48.0]]],
         [[[6.5, 48.0], [6.6, 48.0], [6.5, 48.0]]]]}),
     "geometry", "contour extérieur du polygone n° 2 de 3 position(s) : au moins 4 attendues"),
    ("hole outside its polygon",
     feature("BAD", geometry={"type": "Polygon", "coordinates": [
         [[6.5, 48.0], [6.6, 48.0], [6.6, 48.1], [6.5, 48.1], [6.5, 48.0]],
         [[6.7, 48.2], [6.71, 48.2], [6.71, 48.21], [6.7, 48.2]]]}),
     "geometry", "géométrie invalide : trou en dehors du contour extérieur près de la position "
                 "[6.7, 48.2]"),
    ("line of one position",
     feature("BAD", geometry={"type": "LineString", "coordinates": [[6.5, 48.0]]}),
     "geometry", "ligne de 1 position(s) : au moins 2 attendues"),
    ("non-numeric coordinate", feature("BAD", "6,59", 48.0), "geometry",
     'coordonnées invalides : position [longitude, latitude] attendue, reçu ["6,59",48.0]'),
    ("boolean coordinate", feature("BAD", True, 48.0), "geometry", "position [longitude, latitude]"),
    ("text for an integer", feature("BAD", floors="deux"), "properties.floors",
     "« deux » n'est pas un entier"),
    ("decimal for an integer", feature("BAD", floors=2.5), "properties.floors",
     "entier attendu, reçu « 2.5 » (nombre décimal)"),
    ("out of the list", feature("BAD", status="cassé"), "properties.status",
     "« cassé » hors liste (attendu : en service (active), hors service (inactive))"),
    ("below minimum", feature("BAD", capacity=-1), "properties.capacity",
     "-1 est inférieur au minimum 0"),
    ("unknown kind", feature("BAD", kind="lighting.nothing"), "kind",
     "type d'équipement inconnu « lighting.nothing »"),
    ("missing kind", feature("BAD", kind=None), "kind", "type d'équipement obligatoire"),
    ("missing ref", feature(None, name="Sans identifiant"), "ref", "identifiant obligatoire"),
    ("commune outside the tenant", feature("BAD", commune="75056"), "commune",
     "commune « 75056 » absente du territoire"),
    ("unknown parent", feature("BAD", parent_ref="NOPE"), "parent_ref",
     "parent « NOPE » introuvable"),
    ("duplicate ref", feature("OK-1"), "ref", "identifiant « OK-1 » en double dans le fichier"),
    ("not a feature", 42, "", "entité GeoJSON attendue"),
    ("properties not an object", {"type": "Feature", "properties": "x", "geometry": None}, "",
     "entité GeoJSON attendue"),
]


@pytest.mark.parametrize("label, bad, field, message", BAD_ROWS, ids=[r[0] for r in BAD_ROWS])
def test_each_bad_row_is_reported_with_its_row_and_nothing_is_written(client, t, label, bad,
                                                                      field, message):
    doc = collection(feature("OK-1"), feature("OK-2"), bad, feature("OK-3"))
    response = import_json(client, t, doc)
    assert response.status_code == 422, response.text
    report = response.json()
    assert report["written"] is False and (report["created"], report["updated"]) == (0, 0)
    assert (report["total"], report["valid"]) == (4, 3)
    assert [(e["row"], e["field"]) for e in report["errors"]] == [(3, field)], report["errors"]
    assert message in report["errors"][0]["message"], report["errors"][0]
    assert stored(client, t) == {}
    # the same file with partial=true writes the three valid rows, reports the same error
    partial = import_json(client, t, doc, partial="true")
    assert partial.status_code == 200
    assert partial.json()["errors"] == report["errors"]
    assert partial.json()["created"] == 3 and partial.json()["written"] is True
    assert sorted(stored(client, t)) == ["OK-1", "OK-2", "OK-3"]


def test_csv_bad_cells_are_reported_per_row(client, t):
    text = ("ref;kind;name;commune;lon;lat;floors;commissioned\n"
            "A;generic.site;Bon;88383;6,5;48,0;1;2020-01-01\n"
            "B;generic.site;Lon illisible;88383;abc;48,0;1;\n"
            "C;generic.site;Date;88383;6,5;48,0;;31/12/2020\n"
            "D;generic.site;Niveaux;88383;6,5;48,0;1,5;\n")
    response = import_csv(client, t, text.encode("cp1252"))
    assert response.status_code == 422
    errors = [(e["row"], e["ref"], e["field"], e["message"]) for e in response.json()["errors"]]
    assert errors == [
        (2, "B", "geometry",
         'coordonnées invalides : position [longitude, latitude] attendue, reçu ["abc","48,0"]'),
        (3, "C", "properties.commissioned", "date « 31/12/2020 » invalide (AAAA-MM-JJ attendu)"),
        (4, "D", "properties.floors", "« 1,5 » n'est pas un entier"),
    ]
    # Each field named in French for the report's reader (the page's « Champ » column):
    # the position, not « geometry »; a property by its label and its column.
    assert [e["field_label"] for e in response.json()["errors"]] == [
        "position", "Mise en service (commissioned)", "Nombre de niveaux (floors)"]
    assert stored(client, t) == {}


def test_the_core_fields_of_the_report_are_named_in_french(client, t):
    doc = collection(feature(None, name="Sans identifiant"), feature("B", commune="75056"),
                     feature("C", parent_ref="NOPE"), feature("D", kind="inconnu"),
                     feature("E", geometry={"type": "Point", "coordinates": [200, 48]}), 42)
    errors = import_json(client, t, doc, dry_run="true").json()["errors"]
    assert [(e["row"], e["field"], e.get("field_label")) for e in errors] == [
        (1, "ref", "identifiant (ref)"), (2, "commune", "commune"),
        (3, "parent_ref", "parent (parent_ref)"), (4, "kind", "type d'équipement (kind)"),
        (5, "geometry", "position"), (6, "", None)]  # (a row that is no feature: no field)


def test_non_finite_csv_coordinates_are_refused(client, t):
    text = ("ref;kind;name;commune;lon;lat\n"
            "A;generic.site;Nan;88383;nan;48,0\n"
            "B;generic.site;Infini;88383;6,5;inf\n")
    response = import_csv(client, t, text.encode())
    assert response.status_code == 422
    assert [(e["line"], e["field"], e["message"]) for e in response.json()["errors"]] == [
        (2, "geometry", "coordonnées invalides : position [nan, 48] non finie (NaN ou infini)"),
        (3, "geometry", "coordonnées invalides : position [6.5, inf] non finie (NaN ou infini)"),
    ]


def haversine_m(lon1, lat1, lon2, lat2) -> float:
    """Great-circle distance, independent of the import's local projection."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    a = (math.sin((p2 - p1) / 2) ** 2
         + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2)
    return 2 * 6_371_008.8 * math.asin(math.sqrt(a))


def test_positions_outside_the_stated_commune_are_warned_not_refused(db, client, t):
    square = {"type": "Polygon", "coordinates": [[[6.58, 48.01], [6.60, 48.01], [6.60, 48.03],
                                                  [6.58, 48.03], [6.58, 48.01]]]}
    with db.write() as conn:
        tenants.update_commune(open_scope(db, conn, CLI, t["id"]), conn, "88383",
                               {"boundary": square})
    far_lon, near_lon = 6.6135, 6.6003  # east of the square, on the parallel 48.02
    outside_poly = {"type": "Polygon", "coordinates": [[[6.62, 48.0], [6.63, 48.0],
                                                        [6.63, 48.01], [6.62, 48.0]]]}
    straddling = {"type": "Polygon", "coordinates": [[[6.57, 48.02], [6.59, 48.02],
                                                      [6.59, 48.025], [6.57, 48.02]]]}
    doc = collection(
        feature("IN", 6.59, 48.02),
        feature("NEAR", near_lon, 48.02),               # ≈ 22 m out: within the tolerance
        feature("FAR", far_lon, 48.02),                 # ≈ 1 km out
        feature("POLY-OUT", geometry=outside_poly),
        feature("POLY-ACROSS", geometry=straddling),    # its inner point is inside
        feature("OTHER", far_lon, 48.02, commune="88429"),  # no boundary known: no check
        feature("NO-COMMUNE", far_lon, 48.02, commune=None),
    )
    for params in ({"dry_run": "true"}, {}):
        response = import_json(client, t, doc, **params)
        assert response.status_code == 200, response.text
        report = response.json()
        assert report["errors"] == [] and report["valid"] == 7
        assert [(w["row"], w["ref"], w["field"]) for w in report["warnings"]] == [
            (3, "FAR", "commune"), (4, "POLY-OUT", "commune")]
        far = report["warnings"][0]
        expected = haversine_m(far_lon, 48.02, 6.60, 48.02)
        assert abs(far["distance_m"] - expected) < 2, (far, expected)
        assert far["message"] == (f"point à {expected / 1000:.1f} km hors de la commune 88383 "
                                  "(Remiremont) : vérifiez la commune ou les coordonnées"
                                  ).replace(".", ",", 1)
        assert report["warnings"][1]["message"].startswith(
            "point représentatif de la géométrie à ")
    assert report["written"] is True and len(stored(client, t)) == 7


def test_partial_import_does_not_leave_children_of_rejected_parents(client, t):
    doc = collection(
        feature("P", floors="x"),                    # 1: invalid parent
        feature("C", parent_ref="P"),                # 2: valid alone, but its parent is rejected
        feature("G", parent_ref="C"),                # 3: grandchild
        feature("OK"),                               # 4
        feature("K", parent_ref="OK"),               # 5
    )
    response = import_json(client, t, doc, partial="true")
    assert response.status_code == 200, response.text
    report = response.json()
    assert [(e["row"], e["field"], e["message"]) for e in report["errors"]] == [
        (1, "properties.floors", "« x » n'est pas un entier"),
        (2, "parent_ref", "parent « P » rejeté dans ce fichier"),
        (3, "parent_ref", "parent « C » rejeté dans ce fichier"),
    ]
    assert (report["created"], report["valid"]) == (2, 2)
    assets = stored(client, t)
    assert sorted(assets) == ["K", "OK"]
    assert assets["K"]["parent_id"] == assets["OK"]["id"]


def test_update_row_rejected_keeps_the_existing_parent_usable(client, t):
    assert import_json(client, t, collection(feature("P"))).status_code == 200
    response = import_json(client, t, collection(feature("P", floors="x"),
                                                 feature("C", parent_ref="P")), partial="true")
    assert [e["row"] for e in response.json()["errors"]] == [1]
    assets = stored(client, t)
    assert assets["C"]["parent_id"] == assets["P"]["id"] and assets["P"]["properties"] == {}


def test_self_parent_and_cycles_are_refused(client, t):
    response = import_json(client, t, collection(
        feature("SELF", parent_ref="SELF"),
        feature("X1", parent_ref="X2"), feature("X2", parent_ref="X1"),
        feature("ROOT"), feature("LEAF", parent_ref="ROOT")), partial="true")
    assert response.status_code == 200
    assert [(e["row"], e["field"], e["message"]) for e in response.json()["errors"]] == [
        (1, "parent_ref", "un équipement ne peut être son propre parent"),
        (2, "parent_ref", "rattachement circulaire entre équipements"),
        (3, "parent_ref", "rattachement circulaire entre équipements"),
    ]
    assert sorted(stored(client, t)) == ["LEAF", "ROOT"]
    # a cycle through an asset already in the database
    again = import_json(client, t, collection(feature("ROOT", parent_ref="LEAF")))
    assert again.status_code == 422
    assert again.json()["errors"][0]["message"] == "rattachement circulaire entre équipements"
    assert stored(client, t)["ROOT"]["parent_id"] is None


def test_dry_run_validates_without_writing(db, client, t):
    doc = collection(feature("D1"), feature("D2", parent_ref="D1"))
    dry = import_json(client, t, doc, dry_run="true")
    assert dry.status_code == 200
    assert dry.json() == {"total": 2, "valid": 2, "created": 0, "updated": 0, "written": False,
                          "encoding": "utf-8", "errors": [], "warnings": []}
    assert stored(client, t) == {}
    bad = import_json(client, t, collection(feature("D1"), feature("D3", commune="00000")),
                      dry_run="true", partial="true")
    assert bad.status_code == 422 and bad.json()["written"] is False
    assert [(e["row"], e["field"]) for e in bad.json()["errors"]] == [(2, "commune")]
    assert stored(client, t) == {}
    real = import_json(client, t, doc)
    assert real.json()["created"] == 2
    assets = stored(client, t)
    assert assets["D2"]["parent_id"] == assets["D1"]["id"]


def test_malformed_files_are_refused_with_a_french_reason(client, t):
    url, h = f"{t['base']}/assets/import", t["h"]
    cases = [
        (b"{not json", "application/json", "GeoJSON mal formé : nom de champ entre guillemets "
                                             "attendu, ligne 1, colonne 2."),
        (b'{"type": "FeatureCollection",\n "features": [', "application/json",
         "GeoJSON mal formé : le texte s'arrête avant la fin du document, ligne 2, colonne 15."),
        (b'{"type": "Feature"}', "application/json", "Une FeatureCollection GeoJSON est attendue."),
        (b'{"type": "FeatureCollection", "features": {"a": 1}}', "application/geo+json",
         "« features » doit être une liste"),
    ]
    for body, ctype, fragment in cases:
        response = client.post(url, content=body, headers={**h, "content-type": ctype})
        assert response.status_code == 422, body
        assert response.headers["content-type"] == "application/problem+json"
        assert fragment in response.json()["detail"], response.json()


def test_a_feature_naming_a_key_twice_is_refused_alone(client, t):
    """Which capacity counts would be the parser's choice: that feature is refused, as an
    invalid one is (the others written with partial=true)."""
    doc = collection(feature("OK-1"), feature("TWICE", capacity=1), feature("OK-3"))
    raw = json.dumps(doc).replace('"capacity": 1', '"capacity": 1, "capacity": 12').encode()
    response = client.post(f"{t['base']}/assets/import", content=raw, params={"partial": "true"},
                           headers={**t["h"], "content-type": "application/geo+json"})
    assert response.status_code == 200, response.text
    assert (response.json()["total"], response.json()["valid"]) == (3, 2)
    assert [(e["row"], e["field"], e["message"]) for e in response.json()["errors"]] == [
        (2, "properties.capacity", "clé « capacity » en double dans « properties »")]
    assert sorted(stored(client, t)) == ["OK-1", "OK-3"]
    # In the file's own object: the whole file is refused.
    twice = client.post(f"{t['base']}/assets/import", content=raw.replace(
        b'"type": "FeatureCollection"', b'"type": "FeatureCollection", "type": "Feature"'),
        headers={**t["h"], "content-type": "application/geo+json"})
    assert twice.status_code == 422
    assert twice.json()["detail"].startswith("JSON ambigu : clé « type » en double ;")
    # A CSV's JSON cells too: a geometry, a property of type list (here none: a text cell).
    text = ("ref;kind;commune;geometry\n"
            'G-1;generic.site;88383;"{""type"": ""Point"", ""coordinates"": [6.5, 48], '
            '""coordinates"": [7, 49]}"\n'
            'G-2;generic.site;88383;"{""type"": ""Point"", ""coordinates"": [6.5, 48]}"\n')
    csv = import_csv(client, t, text.encode(), partial="true")
    assert csv.status_code == 200, csv.text
    assert [(e["row"], e["field"], e["message"]) for e in csv.json()["errors"]] == [
        (1, "geometry", "JSON ambigu : clé « coordinates » en double")]
    assert sorted(stored(client, t)) == ["G-2", "OK-1", "OK-3"]


def test_import_respects_roles_and_commune_restrictions(db, client, t):
    assert import_json(client, t, collection(feature("OUT", commune="88429"))).status_code == 200
    with db.write() as conn:
        scope = open_scope(db, conn, CLI, t["id"])
        users.add_member(scope, conn, {"email": "agent@x.fr", "role": "agent",
                                       "communes": ["88383"], "password": "password-123"})
        users.add_member(scope, conn, {"email": "viewer@x.fr", "role": "viewer",
                                       "password": "password-123"})
    viewer = bearer(client, "viewer@x.fr", "password-123")
    denied = client.post(f"{t['base']}/assets/import", headers=viewer,
                         json=collection(feature("V")))
    assert denied.status_code == 403
    agent = {**t, "h": bearer(client, "agent@x.fr", "password-123")}
    response = import_json(client, agent, collection(
        feature("IN"), feature("NEW-OUT", commune="88429"), feature("OUT", commune="88383")))
    assert response.status_code == 422
    assert [(e["row"], e["field"], e["message"]) for e in response.json()["errors"]] == [
        (2, "commune", "votre accès ne couvre pas la commune 88429"),
        (3, "ref", "équipement existant hors de vos communes"),
    ]
    assert sorted(stored(client, t)) == ["OUT"]


def test_core_import_reports_progress_up_to_the_total(db, registry, t):
    inventory = importing.parse_inventory(
        ("ref,kind,name,commune,lon,lat\n" + "".join(
            f"R{i},generic.site,Site {i},88383,6.5,{48 + i / 1000}\n" for i in range(37))
         + "BAD,generic.site,x,99999,6.5,48\n").encode(), "text/csv")
    rows = inventory.rows
    calls: list[int] = []
    with db.write() as conn:
        scope = open_scope(db, conn, CLI, t["id"])
        report = importing.import_assets(scope, conn, registry, inventory, partial=True,
                                         progress=calls.append)
    assert calls == [1] * 38 and sum(calls) == report.total == 38
    assert (report.created, report.written) == (37, True)
    assert [(e["row"], e["ref"], e["field"]) for e in report.errors] == [(38, "BAD", "commune")]
    assert report.as_dict()["errors"][0]["line"] == 39  # the header is line 1
    # the same rows again: every valid one is an update
    calls.clear()
    with db.write() as conn:
        scope = open_scope(db, conn, CLI, t["id"])
        again = importing.import_assets(scope, conn, registry, rows[:37], progress=calls.append)
    assert sum(calls) == 37 and (again.created, again.updated) == (0, 37)


def test_imports_of_two_tenants_do_not_mix(db, registry, client, t):
    with db.write() as conn:
        other = tenants.create_tenant(db, conn, CLI, name="Autre", registry=registry)
        tenants.create_commune(open_scope(db, conn, CLI, other["id"]),
                               conn, {"insee": "88383", "name": "Remiremont"})
    o = {**t, "base": f"/api/v1/tenants/{other['id']}"}
    assert import_json(client, t, collection(feature("S1", name="Ici"))).status_code == 200
    assert import_json(client, o, collection(feature("S1", name="Là-bas"))).json()["created"] == 1
    assert stored(client, t)["S1"]["name"] == "Ici"
    assert stored(client, o)["S1"]["name"] == "Là-bas"
