"""``beffroi import observations``, run in-process on a fresh database of each backend: exit
codes, the summary, dry runs, and the round trip of a territory's series through
``beffroi export`` into another instance."""

# The command-line fixtures (a fresh database of each backend, ``run``…) are test_cli's,
# imported here: the tests' parameters name them again.
# ruff: noqa: F811

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner
from sqlalchemy import select
from test_cli import (  # noqa: F401
    GEOJSON,
    SIREN,
    database,
    exported,
    generic_domain_only,
    run,
    tenant,
    url,
)

from beffroi.cli.main import cli
from beffroi.core import assets, observations, streams
from beffroi.core.access import CLI, open_scope
from beffroi.storage import schema
from beffroi.storage.database import Database

HEADER = "ref;metric;time;value;quality\n"


def readings(database: Database) -> list[tuple[str, str, int, float, int]]:
    """Every stored (asset ref, metric, time, value, quality), sorted."""
    o, s, a = schema.observations, schema.streams, schema.assets
    with database.read() as conn:
        return sorted(tuple(r) for r in conn.execute(
            select(a.c.ref, s.c.metric, o.c.t, o.c.value, o.c.quality)
            .join(s, (s.c.tenant_id == o.c.tenant_id) & (s.c.id == o.c.stream_id))
            .join(a, (a.c.tenant_id == s.c.tenant_id) & (a.c.id == s.c.asset_id))))


def with_inventory(run, tmp_path: Path) -> None:
    path = tmp_path / "inventaire.geojson"
    path.write_text(json.dumps(GEOJSON), encoding="utf-8")
    assert run("import", "assets", "--tenant", SIREN, str(path)).exit_code == 0


def history(tmp_path: Path, *lines: str, name: str = "historique.csv") -> str:
    path = tmp_path / name
    path.write_bytes((HEADER + "".join(line + "\n" for line in lines)).encode("cp1252"))
    return str(path)


GOOD = ("MAI-1;generic.value;05/01/2025 10:00;1,5;",
        "MAI-1;generic.value;05/01/2025 10:10;2;suspect",
        "EC-2;generic.temperature;2025-01-05T10:00:00Z;19,25;")


def test_an_import_stores_the_file_then_says_a_second_one_brings_nothing(run, tenant, tmp_path,
                                                                          database):
    with_inventory(run, tmp_path)
    path = history(tmp_path, *GOOD)
    result = run("import", "observations", "--tenant", SIREN, path)
    assert result.exit_code == 0, result.output
    assert "Encodage détecté : UTF-8" in result.stdout
    assert ("3 lignes lues, 3 valides, 0 refusées ; 3 enregistrées, 0 déjà présentes ; "
            "2 flux créés.") in result.stdout.splitlines()
    assert result.stderr == ""
    assert [(ref, metric, value, quality) for ref, metric, _, value, quality in
            readings(database)] == [("EC-2", "generic.temperature", 19.25, 0),
                                    ("MAI-1", "generic.value", 1.5, 0),
                                    ("MAI-1", "generic.value", 2.0, 1)]
    again = run("import", "observations", "--tenant", SIREN, path)
    assert again.exit_code == 0, again.output
    assert ("3 lignes lues, 3 valides, 0 refusées ; 0 enregistrées, 3 déjà présentes ; "
            "0 flux créés.") in again.stdout
    assert "Rien de nouveau : les mesures du fichier étaient déjà toutes enregistrées." \
        in again.stdout
    assert len(readings(database)) == 3


def test_refused_lines_write_nothing_unless_partial_and_exit_with_1(run, tenant, tmp_path,
                                                                    database):
    with_inventory(run, tmp_path)
    path = history(tmp_path, *GOOD, "MAI-9;generic.value;05/01/2025 10:00;1;",
                   "MAI-1;generic.value;30/03/2025 02:30;1;")
    dry = run("import", "observations", "--tenant", SIREN, "--dry-run", path)
    assert dry.exit_code == 1
    assert "Validation seule (--dry-run) : rien n'a été écrit." in dry.stdout
    refused = run("import", "observations", "--tenant", SIREN, path)
    assert refused.exit_code == 1
    assert ("5 lignes lues, 3 valides, 2 refusées ; 0 enregistrées, 0 déjà présentes ; "
            "2 flux à créer.") in refused.stdout
    errors = refused.stderr.splitlines()
    assert errors[0] == "  ligne 5 — ref « MAI-9 » : équipement inconnu dans ce territoire"
    assert errors[1].startswith("  ligne 6 — time « 30/03/2025 02:30 » : heure sautée au "
                                "passage à l'heure d'été (Europe/Paris)")
    assert errors[2] == ("Erreur : Import annulé : rien n'a été écrit (utilisez --partial pour "
                         "importer les lignes valides).")
    assert readings(database) == []
    with database.read() as conn:
        assert conn.execute(select(schema.streams)).all() == []

    partial = run("import", "observations", "--tenant", SIREN, "--partial", path)
    assert partial.exit_code == 1
    assert ("5 lignes lues, 3 valides, 2 refusées ; 3 enregistrées, 0 déjà présentes ; "
            "2 flux créés.") in partial.stdout
    assert ("Erreur : Import partiel : 2 ligne(s) refusée(s), non importées ; les lignes "
            "valides ont été écrites.") in partial.stderr
    assert len(readings(database)) == 3


def test_a_dry_run_of_a_valid_file_writes_nothing(run, tenant, tmp_path, database):
    with_inventory(run, tmp_path)
    dry = run("import", "observations", "--tenant", SIREN, "--dry-run", history(tmp_path, *GOOD))
    assert dry.exit_code == 0, dry.output
    assert ("3 lignes lues, 3 valides, 0 refusées ; 0 enregistrées, 0 déjà présentes ; "
            "2 flux à créer.") in dry.stdout
    assert "Validation seule (--dry-run) : rien n'a été écrit." in dry.stdout
    assert readings(database) == []


def test_at_most_twenty_refused_lines_are_shown(run, tenant, tmp_path):
    with_inventory(run, tmp_path)
    path = history(tmp_path, *(f"MAI-1;generic.value;{day:02d}/01/2025 10:00;n/a;"
                               for day in range(1, 26)))
    result = run("import", "observations", "--tenant", SIREN, path)
    assert result.exit_code == 1
    shown = [line for line in result.stderr.splitlines() if line.startswith("  ligne ")]
    assert len(shown) == 20 and shown[-1].startswith("  ligne 21 — value « n/a » : nombre")
    assert "  … et 5 autres" in result.stderr.splitlines()
    assert "25 lignes lues, 0 valides, 25 refusées" in result.stdout


def test_a_file_that_cannot_be_used_is_one_line_and_exit_code_2(run, tenant, tmp_path,
                                                                database):
    cases = {
        "flux.csv": ("stream_id,time,value\n12,2025-01-05T10:00:00Z,1\n",
                     "« stream_id » désigne un flux de l'instance d'où vient le fichier"),
        "vide.csv": ("", "Fichier CSV vide ou sans en-tête en ligne 1."),
        "entete.csv": ("ref,metric,time,value\n", "Fichier sans aucune ligne de données"),
        "colonnes.csv": ("ref,metric,value\nMAI-1,generic.value,1\n",
                         "colonne time manquante"),
    }
    for name, (text, message) in cases.items():
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        result = run("import", "observations", "--tenant", SIREN, str(path))
        assert result.exit_code == 2, (name, result.output)
        [line] = result.stderr.splitlines()
        assert line.startswith(f"Erreur : {path} : ") and message in line, line
    missing = run("import", "observations", "--tenant", SIREN, str(tmp_path / "absent.csv"))
    assert missing.exit_code == 2
    unknown = run("import", "observations", "--tenant", "999", history(tmp_path, *GOOD))
    assert unknown.exit_code == 1 and "Territoire « 999 » introuvable." in unknown.output
    assert readings(database) == []


def test_export_then_import_into_another_instance_gives_the_same_series(
        run, tenant, tmp_path, database, registry):
    with_inventory(run, tmp_path)
    values = {("MAI-1", "generic.value"): [("2025-01-05T10:00:00Z", 0.1 + 0.2, None),
                                           ("2025-01-05T10:15:00.250Z", -2.25, "suspect"),
                                           ("2025-01-06T23:30:00Z", 1e-3, "bad")],
              ("MAI-1", "generic.temperature"): [("2025-01-05T10:00:00Z", 19.5, None)],
              ("EC-2", "generic.counter"): [("2024-10-27T00:30:00Z", 123456.789, None),
                                            ("2024-10-27T01:30:00Z", 123457.0, None)]}
    with database.write() as conn:
        scope = open_scope(database, conn, CLI, SIREN)
        ids = {a.ref: a.id for a in assets.list_assets(scope, conn, assets.AssetFilter())[0]}
        for (ref, metric), points in values.items():
            sid = streams.create_stream(scope, conn, registry,
                                        {"asset_id": ids[ref], "metric": metric}).id
            report = observations.ingest(scope, conn, registry, [
                {"stream_id": sid, "time": t, "value": v} | ({"quality": q} if q else {})
                for t, v, q in points])
            assert report.stored == len(points)
    source = readings(database)
    assert len(source) == 6
    out = exported(run, tmp_path)["dir"]
    with open(out / "observations.csv", encoding="utf-8") as fh:
        assert fh.readline() == "stream_id,asset_ref,metric,time,value,quality\n"

    target = str(tmp_path / "autre-instance" / "beffroi.db")
    runner = CliRunner()

    def run_there(*args: str):
        result = runner.invoke(cli, [*args, "--db", target], prog_name="beffroi")
        assert result.exit_code == 0, result.output
        return result

    run_there("tenant", "create", "--epci", SIREN)
    run_there("import", "assets", "--tenant", SIREN, str(out / "assets.geojson"))
    result = run_there("import", "observations", "--tenant", SIREN,
                       str(out / "observations.csv"))
    assert ("6 lignes lues, 6 valides, 0 refusées ; 6 enregistrées, 0 déjà présentes ; "
            "3 flux créés.") in result.stdout
    there = Database(target)
    try:
        assert readings(there) == source
    finally:
        there.dispose()
