"""The ``beffroi`` command line, run in-process on a fresh database of each backend."""

from __future__ import annotations

import csv
import json
import sqlite3
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from click.testing import CliRunner, Result
from sqlalchemy import select

import beffroi.cli.data
import beffroi.cli.main
import beffroi.cli.tenants
from beffroi.cli.main import cli
from beffroi.core import assets, observations, streams
from beffroi.core.access import CLI, open_scope
from beffroi.core.auth import issue_token, verify_password
from beffroi.core.impact.settings import BY_KEY as IMPACT_SETTINGS
from beffroi.core.retention import BY_KEY as RETENTION_SETTINGS
from beffroi.storage import schema
from beffroi.storage.database import Database
from beffroi.storage.migrate import head_revision
from suite_databases import PG_URL, drop_pg

DATA = Path(__file__).resolve().parents[2] / "src" / "beffroi" / "data"
SIREN = "200068377"
# Settings of the notifications (on-call, digest), checked in tests/notifications, of the
# impact report (footprint, site visits), checked in tests/core, and of the public impact
# indicators (tests/reports).
ALERTING_DEFAULTS = {"working_hours": {"days": [1, 2, 3, 4, 5], "start": "08:00", "end": "18:00"},
                     "escalation_delay_min": 30, "digest_time": "07:30",
                     **{key: s.default for key, s in IMPACT_SETTINGS.items()},
                     **{key: s.default for key, s in RETENTION_SETTINGS.items()},
                     "impact.public_indicators": False, "public_banner": None}


@pytest.fixture(autouse=True)
def generic_domain_only(monkeypatch, registry):
    """The CLI loads every installed domain; these tests run with the generic one alone."""
    for module in (beffroi.cli.main, beffroi.cli.tenants, beffroi.cli.data):
        monkeypatch.setattr(module, "load_registry", lambda *args, **kwargs: registry)


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request, tmp_path) -> Iterator[str]:
    """A fresh, empty (never migrated) database, as given to ``--db``."""
    if request.param == "sqlite":
        yield str(tmp_path / "var" / "beffroi.db")  # the folder does not exist yet
        return
    if not PG_URL:
        pytest.skip("PostgreSQL not started (run the suite through `make test`)")
    name = "c_" + uuid.uuid4().hex[:12]
    with psycopg.connect(PG_URL, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    target = f"{PG_URL.rsplit('/', 1)[0]}/{name}"
    yield target
    drop_pg(target)


@pytest.fixture
def run(url):
    runner = CliRunner()

    def invoke(*args: str, input: str | None = None) -> Result:
        return runner.invoke(cli, [*args, "--db", url], prog_name="beffroi", input=input)

    return invoke


@pytest.fixture
def database(url) -> Iterator[Database]:
    """A handle opened by the test itself to check what the commands wrote."""
    handle = Database(url)
    yield handle
    handle.dispose()


@pytest.fixture
def tenant(run) -> str:
    result = run("tenant", "create", "--epci", SIREN)
    assert result.exit_code == 0, result.output
    return SIREN


def rows(database: Database, table) -> list:
    with database.read() as conn:
        return list(conn.execute(select(table)))


def test_db_upgrade_migrates_a_fresh_database(run, url, database):
    result = run("db", "upgrade")
    assert result.exit_code == 0, result.output
    assert result.output == f"Schéma à jour ({head_revision()}) sur {url}.\n"
    assert database.schema_revision() == head_revision()
    assert rows(database, schema.tenants) == []
    again = run("db", "upgrade")  # idempotent
    assert again.exit_code == 0 and database.schema_revision() == head_revision()


def test_tenant_create_from_the_epci_reference(run, database):
    reference = {e["siren"]: e for e in json.loads(
        (DATA / "grand-est-epci.json").read_text(encoding="utf-8"))}[SIREN]
    result = run("tenant", "create", "--epci", SIREN)
    assert result.exit_code == 0, result.output
    assert result.output == (f"Territoire créé : {reference['name']} (id 1, "
                             f"{len(reference['communes'])} communes).\n")
    assert len(reference["communes"]) == 10
    [tenant] = rows(database, schema.tenants)
    assert (tenant.siren, tenant.name, tenant.kind) == (SIREN, reference["name"], reference["type"])
    communes = {(c.insee, c.name, c.population) for c in rows(database, schema.communes)}
    assert communes == {(c["insee"], c["name"], c["population"]) for c in reference["communes"]}
    assert all(c.tenant_id == tenant.id for c in rows(database, schema.communes))
    duplicate = run("tenant", "create", "--epci", SIREN)
    assert duplicate.exit_code == 1
    assert f"Un territoire de SIREN {SIREN} existe déjà." in duplicate.output
    assert len(rows(database, schema.tenants)) == 1 and len(rows(database, schema.communes)) == 10


@pytest.mark.parametrize("siren, message", [
    ("123456789", "SIREN 123456789 absent du référentiel des EPCI ; indiquez un nom pour créer "
                  "une organisation."),
    ("12345", "SIREN invalide : 9 chiffres attendus.\n  - siren : 9 chiffres attendus"),
    ("20006837A", "SIREN invalide : 9 chiffres attendus."),
])
def test_tenant_create_with_an_unknown_or_invalid_siren_creates_nothing(run, database, siren,
                                                                       message):
    result = run("tenant", "create", "--epci", siren)
    assert result.exit_code == 1
    assert f"Erreur : {message}" in result.output
    assert rows(database, schema.tenants) == [] and rows(database, schema.communes) == []


def test_tenant_create_without_reference_needs_a_name(run, database):
    usage = run("tenant", "create")
    assert usage.exit_code == 2 and "indiquez --epci SIREN ou --name NOM" in usage.output
    org = run("tenant", "create", "--epci", "123456789", "--name", "Régie des eaux",
              "--retention-days", "400")
    assert org.exit_code == 0, org.output
    assert org.output == "Territoire créé : Régie des eaux (id 1, 0 communes).\n"
    [tenant] = rows(database, schema.tenants)
    assert tenant.kind == "organisation"
    assert json.loads(tenant.settings) == {"raw_retention_days": 400}
    bad = run("tenant", "create", "--name", "Autre", "--retention-days", "-5")
    assert bad.exit_code == 1 and "raw_retention_days : nombre de jours entier ≥ 1" in bad.output
    assert len(rows(database, schema.tenants)) == 1


def test_tenant_list_show_and_set(run, tenant):
    assert run("tenant", "create", "--name", "Syndicat").exit_code == 0
    listed = run("tenant", "list")
    assert listed.exit_code == 0
    assert listed.output.splitlines() == [
        f"   1  {SIREN}  CC de la Porte des Vosges Méridionales",
        "   2  —          Syndicat",
    ]
    shown = run("tenant", "show", SIREN)
    assert shown.exit_code == 0, shown.output
    info = json.loads(shown.output)
    assert info["id"] == 1 and info["name"] == "CC de la Porte des Vosges Méridionales"
    assert info["settings"] == {"timezone": "Europe/Paris", "raw_retention_days": None,
                                "published_kinds": [], **ALERTING_DEFAULTS}
    assert info["storage"]["raw_observations"] == 0
    assert json.loads(run("tenant", "show", "1").output) == info  # by id or SIREN

    changed = run("tenant", "set", SIREN, "--retention-days", "30", "--publish", "generic.site",
                  "--timezone", "America/Cayenne", "--name", "CCPVM")
    assert changed.exit_code == 0, changed.output
    expected = {"timezone": "America/Cayenne", "raw_retention_days": 30,
                "published_kinds": ["generic.site"], **ALERTING_DEFAULTS}
    assert json.loads(changed.output)["settings"] == expected
    assert json.loads(run("tenant", "show", "1").output)["settings"] == expected
    assert json.loads(run("tenant", "show", "1").output)["name"] == "CCPVM"

    for args, code, message in [
        (("--retention-days", "abc"), 2, "nombre de jours ou « aucune »"),
        (("--retention-days", "-3"), 2, "nombre de jours ou « aucune »"),
        (("--timezone", "Mars/Olympus"), 1, "timezone : fuseau horaire inconnu « Mars/Olympus »"),
        (("--publish", "lighting.cabinet"), 1,
         "published_kinds : types d'équipements inconnus : lighting.cabinet"),
        (("--name", "  "), 1, "Nom du territoire invalide."),
    ]:
        result = run("tenant", "set", SIREN, *args)
        assert result.exit_code == code, (args, result.output)
        assert message in result.output, (args, result.output)
    after = json.loads(run("tenant", "show", SIREN).output)
    assert after["settings"] == expected and after["name"] == "CCPVM"  # nothing changed
    unknown = run("tenant", "set", "999", "--name", "x")
    assert unknown.exit_code == 1 and "Territoire « 999 » introuvable." in unknown.output
    assert run("tenant", "show", "424242424").exit_code == 1

    kept = run("tenant", "set", SIREN, "--retention-days", "aucune")
    assert json.loads(kept.output)["settings"]["raw_retention_days"] is None


def test_tenant_boundaries_from_the_demonstrator_file(run, tenant, database, tmp_path):
    path = DATA / "demonstrator-communes.geojson"
    reference = json.loads(path.read_text(encoding="utf-8"))
    result = run("tenant", "boundaries", SIREN, str(path))
    assert result.exit_code == 0, result.output
    outside = [(i, f["properties"]["code"]) for i, f in enumerate(reference["features"])
               if f["properties"]["code"] not in {"88383", "88429", "88487", "88415", "88158",
                                                  "88409", "88148", "88351", "88498", "88205"}]
    assert len(outside) == 2
    assert result.stdout == ("Encodage détecté : UTF-8\n"
                             f"10 contours importés, {len(outside)} rejetés.\n")
    assert result.stderr.splitlines() == [
        f"  - entité {i} : commune « {code} » absente du territoire" for i, code in outside]
    boundaries = {c.insee: json.loads(c.boundary) for c in rows(database, schema.communes)}
    assert boundaries == {f["properties"]["code"]: f["geometry"] for f in reference["features"]
                          if f["properties"]["code"] in boundaries}
    for c in rows(database, schema.communes):  # bounding boxes for bbox queries
        ring = json.loads(c.boundary)["coordinates"][0]
        assert (c.minx, c.maxy) == (min(p[0] for p in ring), max(p[1] for p in ring))

    broken = tmp_path / "broken.geojson"
    broken.write_text('{"type": "FeatureCollection", "features": [', encoding="utf-8")
    bad = run("tenant", "boundaries", SIREN, str(broken))
    assert bad.exit_code == 1 and "GeoJSON mal formé" in bad.output
    assert not isinstance(bad.exception, ValueError)  # a message, not a traceback
    wrong = tmp_path / "feature.geojson"
    wrong.write_text('{"type": "Feature"}', encoding="utf-8")
    refused = run("tenant", "boundaries", SIREN, str(wrong))
    assert refused.exit_code == 1
    assert "Une FeatureCollection GeoJSON est attendue." in refused.output


def test_user_create(run, tenant, database):
    created = run("user", "create", "--email", "Ada@Beffroi.test", "--name", "Ada",
                  "--password", "secret-123", "--operator-admin")
    assert created.exit_code == 0, created.output
    assert created.output == "Compte créé : ada@beffroi.test (id 1).\n"
    [user] = rows(database, schema.users)
    assert (user.email, user.name, bool(user.is_operator_admin)) == ("ada@beffroi.test", "Ada", True)
    assert verify_password(user.password_hash, "secret-123")
    assert not verify_password(user.password_hash, "secret-124")

    for args, message in [
        (("--email", "ADA@beffroi.test", "--password", "secret-123"),
         "Un compte existe déjà pour ada@beffroi.test."),
        (("--email", "bob@beffroi.test", "--password", "court"),
         "Mot de passe trop court : 8 caractères au moins."),
        (("--email", "pas-une-adresse", "--password", "secret-123"),
         "Adresse e-mail invalide « pas-une-adresse »."),
        (("--email", "bob@beffroi.test", "--password", "secret-123", "--tenant", SIREN,
          "--role", "agent", "--commune", "75056"),
         "communes : communes absentes du territoire : 75056"),
    ]:
        result = run("user", "create", *args)
        assert result.exit_code == 1, (args, result.output)
        assert message in result.output, (args, result.output)
    assert run("user", "create", "--email", "bob@beffroi.test", "--password", "secret-123",
               "--tenant", SIREN).exit_code == 2  # --tenant without --role
    assert [u.email for u in rows(database, schema.users)] == ["ada@beffroi.test"]

    agent = run("user", "create", "--email", "agent@beffroi.test", "--tenant", SIREN, "--role",
                "agent", "--commune", "88383", "--commune", "88429",
                input="password-123\npassword-123\n")  # prompted twice, hidden
    assert agent.exit_code == 0, agent.output
    assert "Compte créé : agent@beffroi.test (id 2) — agent sur 200068377." in agent.output
    assert "password-123" not in agent.output
    [membership] = rows(database, schema.memberships)
    assert (membership.user_id, membership.role) == (2, "agent")
    assert json.loads(membership.communes) == ["88383", "88429"]
    # a confirmation that differs is asked again; the password kept is the confirmed one
    retyped = run("user", "create", "--email", "carl@beffroi.test",
                  input="password-123\npassword-321\npassword-456\npassword-456\n")
    assert retyped.exit_code == 0, retyped.output
    carl = next(u for u in rows(database, schema.users) if u.email == "carl@beffroi.test")
    assert verify_password(carl.password_hash, "password-456")
    assert not verify_password(carl.password_hash, "password-123")


def test_user_deactivate_and_activate(run, database):
    assert run("user", "create", "--email", "eve@beffroi.test",
               "--password", "secret-123").exit_code == 0
    with database.write() as conn:
        issue_token(database, conn, "personal", user_id=1, name="script")
    off = run("user", "deactivate", "Eve@beffroi.test")
    assert off.exit_code == 0, off.output
    assert off.output == ("Compte désactivé : eve@beffroi.test ; ses sessions et jetons sont "
                          "révoqués.\n")
    [user] = rows(database, schema.users)
    assert not user.active and rows(database, schema.tokens) == []
    assert run("user", "activate", "eve@beffroi.test").output == \
        "Compte réactivé : eve@beffroi.test.\n"
    assert rows(database, schema.users)[0].active
    missing = run("user", "deactivate", "personne@beffroi.test")
    assert missing.exit_code == 1 and "introuvable" in missing.output


GEOJSON = {"type": "FeatureCollection", "features": [
    {"type": "Feature", "geometry": {"type": "Point", "coordinates": [6.6, 48.05]},
     "properties": {"ref": "EC-2", "kind": "generic.site", "name": "École maternelle",
                    "commune": "88429", "parent_ref": "MAI-1", "floors": 1}},
    {"type": "Feature", "geometry": {"type": "Point", "coordinates": [6.5912, 48.0172]},
     "properties": {"ref": "MAI-1", "kind": "generic.site", "name": "Hôtel de ville",
                    "commune": "88383", "capacity": 120.5, "monitored": True,
                    "commissioned": "1901-05-14"}},
    {"type": "Feature", "geometry": {"type": "LineString",
                                     "coordinates": [[6.58, 48.01], [6.6, 48.03]]},
     "properties": {"ref": "RES-3", "kind": "generic.site", "name": "Réseau", "commune": "88383",
                    "status": "inactive"}},
]}


def exported(run, tmp_path, *extra) -> dict:
    out = tmp_path / f"export-{uuid.uuid4().hex[:6]}"
    result = run("export", "--tenant", SIREN, "--out", str(out), *extra)
    assert result.exit_code == 0, result.output
    doc = json.loads((out / "assets.geojson").read_text(encoding="utf-8"))
    return {"result": result, "dir": out,
            "assets": {f["properties"]["ref"]: f for f in doc["features"]}}


def test_import_geojson_then_export_gives_it_back(run, tenant, tmp_path, database):
    path = tmp_path / "inventaire.geojson"
    path.write_text(json.dumps(GEOJSON, ensure_ascii=False), encoding="utf-8")
    result = run("import", "assets", "--tenant", SIREN, str(path))
    assert result.exit_code == 0, result.output
    assert "3 lignes lues, 3 valides, 0 en erreur ; 3 créées, 0 mises à jour." in result.stdout
    out = exported(run, tmp_path)
    assert "10 communes, 3 équipements, 0 flux, 0 mesures" in out["result"].stdout
    assert sorted(out["assets"]) == ["EC-2", "MAI-1", "RES-3"]
    for feature in GEOJSON["features"]:
        props = dict(feature["properties"])
        got = out["assets"][props["ref"]]
        assert got["geometry"] == feature["geometry"]
        for key in ("kind", "name", "commune"):
            assert got["properties"][key] == props.pop(key)
        props.pop("ref"), props.pop("parent_ref", None)
        assert got["properties"]["properties"] == props
    assert out["assets"]["EC-2"]["properties"]["parent_id"] == out["assets"]["MAI-1"]["id"]
    # parents are also named by ref, so the export imports again into another tenant
    assert out["assets"]["EC-2"]["properties"]["parent_ref"] == "MAI-1"
    assert out["assets"]["MAI-1"]["properties"]["parent_ref"] is None
    communes = json.loads((out["dir"] / "communes.geojson").read_text(encoding="utf-8"))
    assert len(communes["features"]) == 10

    again = run("import", "assets", "--tenant", SIREN, str(path))
    assert "3 créées" not in again.stdout and "0 créées, 3 mises à jour." in again.stdout
    assert len(rows(database, schema.assets)) == 3


CSV_TEXT = (
    "ref;name;commune;lon;lat;capacity;floors;monitored;description\r\n"
    "MAI-1;Mairie de Saint-Étienne-lès-Remiremont;88415;6,6091;48,0241;12,5;2;oui;"
    "Cœur du bourg – « l’ancienne halle »\r\n"
    "ECO-2;École élémentaire Jules-Ferry;88383;6,5912;48,0172;;1;non;\r\n"
    "GYM-3;Gymnase;88383;6,59;48,01;beaucoup;1;oui;\r\n"
    "PIS-4;Piscine;88429;6,62;48,04;300;;oui;\r\n"
)


@pytest.fixture
def csv_file(tmp_path) -> Path:
    path = tmp_path / "export-sig.csv"
    path.write_bytes(CSV_TEXT.encode("cp1252"))  # what a French Windows GIS writes
    return path


def test_csv_import_is_all_or_nothing_by_default(run, tenant, csv_file, database):
    result = run("import", "assets", "--tenant", SIREN, "--kind", "generic.site", str(csv_file))
    assert result.exit_code == 1
    assert ("  ligne 4 (GYM-3) — properties.capacity : « beaucoup » n'est pas un nombre"
            in result.stderr.splitlines())
    assert "Encodage détecté : Windows-1252" in result.stdout
    assert "4 lignes lues, 3 valides, 1 en erreur ; 0 créées, 0 mises à jour." in result.stdout
    assert "Import annulé : rien n'a été écrit (utilisez --partial" in result.stderr
    assert rows(database, schema.assets) == []
    dry = run("import", "assets", "--tenant", SIREN, "--kind", "generic.site", "--dry-run",
              str(csv_file))
    assert dry.exit_code == 1 and "ligne 4 (GYM-3)" in dry.stderr
    assert rows(database, schema.assets) == []


def test_csv_import_dry_run_writes_nothing(run, tenant, csv_file, database):
    good = csv_file.read_bytes().decode("cp1252").replace(";beaucoup;", ";;")
    csv_file.write_bytes(good.encode("cp1252"))
    dry = run("import", "assets", "--tenant", SIREN, "--kind", "generic.site", "--dry-run",
              str(csv_file))
    assert dry.exit_code == 0, dry.output
    assert "4 lignes lues, 4 valides, 0 en erreur" in dry.stdout
    assert "Validation seule (--dry-run) : rien n'a été écrit." in dry.stdout
    assert rows(database, schema.assets) == []
    assert run("import", "assets", "--tenant", SIREN, "--kind", "generic.site",
               str(csv_file)).exit_code == 0
    assert len(rows(database, schema.assets)) == 4


def test_csv_import_partial_keeps_valid_rows_with_their_accents(run, tenant, csv_file,
                                                                tmp_path):
    result = run("import", "assets", "--tenant", SIREN, "--kind", "generic.site", "--partial",
                 str(csv_file))
    assert result.exit_code == 1, result.output  # a row was refused: said by the exit code
    assert ("Erreur : Import partiel : 1 ligne(s) refusée(s), non importées ; les lignes "
            "valides ont été écrites.") in result.stderr
    assert "ligne 4 (GYM-3) — properties.capacity" in result.stderr
    assert "4 lignes lues, 3 valides, 1 en erreur ; 3 créées, 0 mises à jour." in result.stdout
    got = exported(run, tmp_path)["assets"]
    assert sorted(got) == ["ECO-2", "MAI-1", "PIS-4"]
    mairie = got["MAI-1"]
    assert mairie["properties"]["name"] == "Mairie de Saint-Étienne-lès-Remiremont"
    assert mairie["properties"]["commune"] == "88415"
    assert mairie["geometry"] == {"type": "Point", "coordinates": [6.6091, 48.0241]}
    assert mairie["properties"]["properties"] == {
        "capacity": 12.5, "floors": 2, "monitored": True,
        "description": "Cœur du bourg – « l’ancienne halle »"}
    assert got["ECO-2"]["properties"]["name"] == "École élémentaire Jules-Ferry"
    assert got["ECO-2"]["properties"]["properties"] == {"floors": 1, "monitored": False}
    assert got["PIS-4"]["properties"]["properties"] == {"capacity": 300.0, "monitored": True}


def test_import_refuses_bad_input_with_a_message(run, tenant, tmp_path, csv_file):
    unknown = run("import", "assets", "--tenant", "999", str(csv_file))
    assert unknown.exit_code == 1 and "Territoire « 999 » introuvable." in unknown.output
    no_kind = run("import", "assets", "--tenant", SIREN, str(csv_file))  # no kind column
    assert no_kind.exit_code == 1
    assert "ligne 2 (MAI-1) — kind : type d'équipement obligatoire" in no_kind.stderr
    headerless = tmp_path / "sans-entete.csv"
    headerless.write_text("nom;lon;lat\nA;6;48\n", encoding="utf-8")
    result = run("import", "assets", "--tenant", SIREN, str(headerless))
    assert result.exit_code == 1 and "En-tête CSV attendu" in result.output
    broken = tmp_path / "casse.geojson"
    broken.write_text("{", encoding="utf-8")
    result = run("import", "assets", "--tenant", SIREN, str(broken))
    assert result.exit_code == 1 and "GeoJSON mal formé" in result.output
    missing = run("import", "assets", "--tenant", SIREN, str(tmp_path / "absent.csv"))
    assert missing.exit_code == 2


def test_export_includes_streams_and_observations(run, tenant, tmp_path, database, registry):
    path = tmp_path / "inventaire.geojson"
    path.write_text(json.dumps(GEOJSON), encoding="utf-8")
    assert run("import", "assets", "--tenant", SIREN, str(path)).exit_code == 0
    values = [("2026-01-05T10:00:00Z", 1.5), ("2026-01-05T10:15:00Z", -2.25),
              ("2026-01-06T00:00:00Z", 1e-3)]
    with database.write() as conn:
        scope = open_scope(database, conn, CLI, SIREN)
        asset = next(a for a in assets.list_assets(scope, conn, assets.AssetFilter())[0]
                     if a.ref == "MAI-1")
        stream = streams.create_stream(scope, conn, registry,
                                       {"asset_id": asset.id, "metric": "generic.value"})
        report = observations.ingest(scope, conn, registry, [
            {"stream_id": stream.id, "time": t, "value": v} for t, v in values])
        assert report.stored == 3
    out = exported(run, tmp_path)
    assert "1 flux, 3 mesures" in out["result"].stdout
    with open(out["dir"] / "streams.csv", encoding="utf-8", newline="") as fh:
        assert list(csv.reader(fh)) == [["stream_id", "asset_ref", "metric", "unit", "kind"],
                                        [str(stream.id), "MAI-1", "generic.value", "1", "gauge"]]
    with open(out["dir"] / "observations.csv", encoding="utf-8", newline="") as fh:
        header, *lines = list(csv.reader(fh))
    # stream_id first as ever; the equipment's ref and the metric name the stream elsewhere
    assert header == ["stream_id", "asset_ref", "metric", "time", "value", "quality"]
    assert [(int(r[0]), r[1], r[2], r[3], float(r[4]), r[5]) for r in lines] == [
        (stream.id, "MAI-1", "generic.value", t, v, "good") for t, v in values]
    bare = exported(run, tmp_path, "--no-observations")
    assert "1 flux, 0 mesures" in bare["result"].stdout
    assert not (bare["dir"] / "observations.csv").exists()


def test_integration_create_prints_its_id_and_secret_once(run, tenant, database):
    from beffroi.connectivity.integrations import authenticate

    result = run("integration", "create", "--tenant", SIREN, "--kind", "tts",
                 "--api-url", "https://eu1.cloud.thethings.network", "--api-key", "NNSXS.KEY",
                 "--application-id", "eclairage", "--webhook-id", "beffroi")
    assert result.exit_code == 0, result.output
    lines = dict(line.split(": ", 1) for line in result.output.splitlines()
                 if line.startswith(("id: ", "secret: ")))
    with database.read() as conn:
        row = authenticate(conn, lines["id"], lines["secret"])
    assert row.kind == "tts" and row.name == "The Things Stack v3"
    assert json.loads(row.config)["webhook_id"] == "beffroi"
    listed = run("integration", "list", "--tenant", SIREN)
    assert listed.exit_code == 0
    [shown] = [json.loads(line) for line in listed.output.splitlines()]
    assert shown["id"] == int(lines["id"]) and shown["downlinks_ready"] is True
    assert lines["secret"] not in listed.output and "NNSXS.KEY" not in listed.output


def test_integration_create_for_thingpark_takes_its_keys_with_config(run, tenant, database):
    result = run("integration", "create", "--tenant", SIREN, "--kind", "thingpark",
                 "--api-url", "https://api.thingpark.com", "--config", "as_id=TWA_1.2.AS",
                 "--config", "as_key=46ab678cd45df4a4e4b375Eacd096acc")
    assert result.exit_code == 0, result.output
    assert "Intégration 1 créée : Actility ThingPark" in result.output
    assert "POST /api/v1/integrations/1/thingpark, en-tête « Authorization: Bearer" \
        in result.output
    [row] = rows(database, schema.integrations)
    assert (row.kind, json.loads(row.config)) == ("thingpark", {
        "api_url": "https://api.thingpark.com", "as_id": "TWA_1.2.AS",
        "as_key": "46ab678cd45df4a4e4b375Eacd096acc"})
    listed = run("integration", "list", "--tenant", SIREN)
    assert "46ab678cd45df4a4e4b375Eacd096acc" not in listed.output
    assert json.loads(listed.output)["as_key_set"] is True
    bad_key = run("integration", "create", "--tenant", SIREN, "--kind", "thingpark",
                  "--config", "as_key=court")
    assert bad_key.exit_code == 1 and "config.as_key : clé d'authentification" in bad_key.output
    malformed = run("integration", "create", "--tenant", SIREN, "--kind", "thingpark",
                    "--config", "as_id")
    assert malformed.exit_code == 2 and "CLÉ=VALEUR attendu" in malformed.output
    assert len(rows(database, schema.integrations)) == 1


def test_integration_create_refuses_bad_input(run, tenant, database):
    wrong_kind = run("integration", "create", "--tenant", SIREN, "--kind", "lorawan")
    assert wrong_kind.exit_code == 2 and "chirpstack" in wrong_kind.output
    bad_url = run("integration", "create", "--tenant", SIREN, "--kind", "chirpstack",
                  "--api-url", "chirpstack.local")
    assert bad_url.exit_code == 1
    assert "config.api_url : adresse http(s)://… du serveur réseau attendue" in bad_url.output
    unknown = run("integration", "create", "--tenant", "999", "--kind", "chirpstack")
    assert unknown.exit_code == 1 and "Territoire « 999 » introuvable." in unknown.output
    assert rows(database, schema.integrations) == []


def test_a_missing_or_foreign_database_is_refused_in_french_and_never_created(tmp_path):
    runner = CliRunner()

    def run_on(target: str, *args: str) -> Result:
        return runner.invoke(cli, [*args, "--db", target], prog_name="beffroi")

    typo = tmp_path / "typo" / "beffroi.db"
    result = run_on(str(typo), "tenant", "list")
    assert result.exit_code == 1
    assert f"Erreur : Base de données introuvable : {typo}" in result.output
    assert not typo.parent.exists()  # a mistyped path never becomes a new database
    not_a_db = tmp_path / "mesures.csv"
    not_a_db.write_text("a,b\n1,2\n" * 100, encoding="utf-8")
    result = run_on(str(not_a_db), "tenant", "list")
    assert (result.exit_code, result.output) == (1, f"Erreur : {not_a_db} n'est pas une base "
                                                    "SQLite.\n")
    result = run_on(str(tmp_path), "tenant", "list")
    assert "c'est un dossier" in result.output and result.exit_code == 1
    result = run_on("mysql://u:secret@db/beffroi", "tenant", "list")
    assert result.exit_code == 1 and "adresse non reconnue" in result.output
    assert "secret" not in result.output and "u:***@db" in result.output
    result = run_on("postgresql://u:secret@127.0.0.1:1/beffroi", "tenant", "list")
    assert result.exit_code == 1 and "Erreur : Base de données inaccessible" in result.output
    assert "secret" not in result.output and "Traceback" not in result.output
    empty = tmp_path / "vide.db"
    with sqlite3.connect(empty) as other:  # an SQLite file without Beffroi's schema
        other.execute("CREATE TABLE notes (x TEXT)")
    result = run_on(str(empty), "tenant", "list")
    assert result.exit_code == 1
    assert "n'a pas le schéma de Beffroi : lancez « beffroi db upgrade" in result.output


def test_commands_that_start_an_instance_create_its_database(run, url, database):
    """« tenant create » and « user create » are a new instance's first commands."""
    assert run("tenant", "list").exit_code == 1  # nothing to list: no database yet
    if "://" not in url:
        assert not Path(url).exists()
    assert run("tenant", "create", "--epci", SIREN).exit_code == 0
    assert database.schema_revision() == head_revision()
    assert run("tenant", "list").exit_code == 0


def test_click_usage_errors_are_said_in_french(run, tenant, database):
    cases = [
        (("tenant", "show"), "argument TENANT manquant"),
        (("tenant", "list", "--dbb", "x"), "option inconnue : --dbb (vouliez-vous dire --db ?)"),
        (("tenants", "list"), "commande inconnue : tenants (vouliez-vous dire tenant ?)"),
        (("tenant", "list", "en-trop"), "argument en trop : en-trop"),
        (("user", "create", "--email", "x@y.fr", "--tenant", SIREN, "--role", "chef"),
         "valeur invalide pour --role : 'chef' n'est pas parmi 'tenant_admin', 'agent', "
         "'viewer'"),
        (("tenant", "create", "--name", "X", "--retention-days", "trois"),
         "valeur invalide pour --retention-days : 'trois' n'est pas un nombre entier"),
        (("user", "create", "--email", "x@y.fr", "--password", "motdepasse-long",
          "--commune", "88383"),
         "--commune limite un membre d'un territoire : indiquez aussi --tenant et --role"),
    ]
    for args, message in cases:
        result = run(*args)
        assert result.exit_code == 2, (args, result.output)
        assert f"Erreur : {message}\n" in result.output, (args, result.output)
        assert "Utilisation : beffroi " in result.output and "Usage:" not in result.output
        assert "Error" not in result.output
    assert run("user", "create", "--email", "x@y.fr", "--password", "motdepasse-long",
               "--tenant", SIREN).exit_code == 2  # --tenant without --role
    assert rows(database, schema.users) == []


@pytest.mark.parametrize("args", [(), ("water",), ("db", "upgrade"), ("tenant", "create")])
def test_help_pages_are_written_in_french(args):
    """Click writes its help's headings and own texts in English; every command's help, a
    domain's group's too, is in French."""
    result = CliRunner().invoke(beffroi.cli.main.add_domain_commands(cli), [*args, "--help"],
                                prog_name="beffroi")
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"Utilisation : {' '.join(('beffroi', *args))} [OPTIONS]")
    assert "\nOptions :\n" in result.output
    assert "--help" in result.output and "Affiche cette aide et s'arrête." in result.output
    group = args in ((), ("water",))
    assert ("\nCommandes :\n" in result.output) == group
    assert ("[OPTIONS] COMMANDE [ARGUMENTS]...\n" in result.output.splitlines(True)[0]) == group
    for english in ("Usage:", "Options:", "Commands:", "Show this message", "[default:",
                    "[required]"):
        assert english not in result.output


@pytest.mark.parametrize("command", ["serve", "demo"])
def test_a_malformed_legal_setting_stops_the_server_before_anything(command, tmp_path,
                                                                     monkeypatch):
    """Not taken in silence: one French line naming the variable, no database made."""
    monkeypatch.setenv("BEFFROI_RGAA_AUDIT", "15/11/2026 87,5")
    target = tmp_path / "beffroi.db"
    result = CliRunner().invoke(cli, [command, "--db", str(target)], prog_name="beffroi")
    assert result.exit_code == 1
    assert result.output.splitlines() == [
        "Erreur : BEFFROI_RGAA_AUDIT invalide : « 15/11/2026 » n'est pas une date AAAA-MM-JJ "
        "(attendu : date de l'audit, part des critères RGAA respectés en %, auditeur "
        "facultatif, par exemple « 2026-11-15 87,5 Cabinet Exemple »)."]
    assert not target.exists()
