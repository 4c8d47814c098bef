"""Observation histories imported from files (``core.observation_import``), on both backends:
rows naming equipment by ref and measure by metric, French spreadsheets, local times across
the daylight-saving changes, every refused line located, all-or-nothing or partial."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from beffroi.core import assets, observation_import, tenants
from beffroi.core.access import CLI, open_scope
from beffroi.core.errors import Invalid
from beffroi.core.observation_import import CHUNK_ROWS, LineError
from beffroi.storage import schema

PARIS = ZoneInfo("Europe/Paris")
SIREN = "200068377"
# The clock of every check: a fixed instant, the files' times lie before it.
NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
NOW_MS = int(NOW.timestamp() * 1000)


@pytest.fixture
def territory(db, registry):
    """A territory with two sites, and another territory with a site of its own."""
    with db.write() as conn:
        mine = tenants.create_tenant(db, conn, CLI, siren=SIREN, registry=registry)
        other = tenants.create_tenant(db, conn, CLI, name="Régie voisine", registry=registry)
        for tenant, ref in ((mine, "MAI-1"), (mine, "ÉCOLE-2"), (other, "AUTRE-1")):
            scope = open_scope(db, conn, CLI, tenant["id"])
            if tenant is other:
                tenants.create_commune(scope, conn, {"insee": "88383", "name": "Remiremont"})
            assets.create_asset(scope, conn, registry, {
                "ref": ref, "kind": "generic.site", "name": ref, "commune": "88383",
                "geometry": {"type": "Point", "coordinates": [6.59, 48.02]}})
    return {"id": mine["id"], "other": other["id"]}


def run(db, registry, tenant_id, raw: bytes | str, *, partial=False, dry_run=False):
    """The import as the CLI runs it: read, check, then write (unless ``dry_run``)."""
    history = observation_import.read_history(raw.encode() if isinstance(raw, str) else raw)
    with db.read() as conn:
        scope = open_scope(db, conn, CLI, tenant_id)
        checked = observation_import.check_history(scope, conn, registry, history, now=NOW_MS)
    if dry_run:
        return checked.report
    return observation_import.write_history(db, CLI, registry, checked, partial=partial)


def stored(db, tenant_id) -> dict[tuple[str, str], list[tuple[str, float, int]]]:
    """(asset ref, metric) -> [(UTC time, value, quality)] of every stored observation."""
    o, s, a = schema.observations, schema.streams, schema.assets
    out = defaultdict(list)
    with db.read() as conn:
        for ref, metric, t, value, quality in conn.execute(
                select(a.c.ref, s.c.metric, o.c.t, o.c.value, o.c.quality)
                .join(s, (s.c.tenant_id == o.c.tenant_id) & (s.c.id == o.c.stream_id))
                .join(a, (a.c.tenant_id == s.c.tenant_id) & (a.c.id == s.c.asset_id))
                .where(o.c.tenant_id == tenant_id).order_by(a.c.ref, s.c.metric, o.c.t)):
            out[(ref, metric)].append((utc(t), value, quality))
    return dict(out)


def utc(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def count_rows(db, table, tenant_id) -> int:
    with db.read() as conn:
        return len(conn.execute(select(table).where(table.c.tenant_id == tenant_id)).all())


def test_rows_named_by_ref_and_metric_are_stored_with_their_rollups(db, registry, territory):
    start = datetime(2024, 11, 3, 21, 0, tzinfo=UTC)  # 22:00 in Paris: two local days
    points = [(start + timedelta(minutes=10 * i), round(0.5 * i - 3, 2)) for i in range(30)]
    qualities = {4: "suspect", 7: "bad"}
    lines = ["asset_ref,metric,time,value,quality"]
    for i, (t, v) in enumerate(points):
        lines.append(f"MAI-1,generic.value,{t:%Y-%m-%dT%H:%M:%SZ},{v},{qualities.get(i, '')}")
    lines.append("ÉCOLE-2,generic.temperature,2024-11-03T21:00:00+01:00,19.5,good")
    report = run(db, registry, territory["id"], "\n".join(lines) + "\n")
    assert (report.read, report.valid, report.refused, report.stored, report.already,
            report.streams_created, report.written, report.errors) == (
        31, 31, 0, 31, 0, 2, True, [])
    code = {"": 0, "good": 0, "suspect": 1, "bad": 2}
    assert stored(db, territory["id"]) == {
        ("MAI-1", "generic.value"): [(f"{t:%Y-%m-%dT%H:%M:%SZ}", v, code[qualities.get(i, "")])
                                     for i, (t, v) in enumerate(points)],
        ("ÉCOLE-2", "generic.temperature"): [("2024-11-03T20:00:00Z", 19.5, 0)]}

    # The daily rollups, against sums made here by local day (bad readings never count).
    by_day = defaultdict(list)
    for i, (t, v) in enumerate(points):
        if qualities.get(i) != "bad":
            by_day[t.astimezone(PARIS).date()].append(v)
    r, s = schema.rollups_daily, schema.streams
    with db.read() as conn:
        sid = conn.execute(select(s.c.id).where(s.c.tenant_id == territory["id"],
                                                s.c.metric == "generic.value")).scalar_one()
        daily = conn.execute(select(r.c.bucket, r.c.count, r.c.sum, r.c.min, r.c.max)
                             .where(r.c.tenant_id == territory["id"], r.c.stream_id == sid)
                             .order_by(r.c.bucket)).all()
    assert len(by_day) == 2
    assert [tuple(row) for row in daily] == [
        (int(datetime(d.year, d.month, d.day, tzinfo=PARIS).timestamp() * 1000), len(vs),
         pytest.approx(sum(vs)), min(vs), max(vs)) for d, vs in sorted(by_day.items())]

    # The same file again: nothing new, said so; nothing changed.
    again = run(db, registry, territory["id"], "\n".join(lines) + "\n")
    assert (again.read, again.valid, again.stored, again.already, again.streams_created) == (
        31, 31, 0, 31, 0)
    assert count_rows(db, schema.observations, territory["id"]) == 31
    with db.read() as conn:
        assert conn.execute(select(r.c.bucket, r.c.count, r.c.sum, r.c.min, r.c.max).where(
            r.c.tenant_id == territory["id"], r.c.stream_id == sid).order_by(r.c.bucket)
        ).all() == daily


def test_a_french_spreadsheet_with_local_times_across_the_clock_changes(db, registry,
                                                                         territory):
    text = ("ref;metric;time;value;quality\r\n"                               # 1
            "ÉCOLE-2;generic.temperature;27/10/2024 01:30;18,5;\r\n"          # 2 summer time
            "ÉCOLE-2;generic.temperature;27/10/2024 02:30;18,25;\r\n"         # 3 twice: refused
            "ÉCOLE-2;generic.temperature;2024-10-27T02:30:00+01:00;18;\r\n"   # 4 the second one
            "ÉCOLE-2;generic.temperature;27/10/2024 03:00:00;17,75;suspect\r\n"  # 5 winter time
            "ÉCOLE-2;generic.temperature;31/03/2024 01:59;-2,5;\r\n"          # 6 winter time
            "ÉCOLE-2;generic.temperature;31/03/2024 02:15;-2;\r\n"            # 7 never: refused
            "ÉCOLE-2;generic.temperature;2024-03-31 03:00;-1,5;\r\n")         # 8 summer time
    raw = text.encode("cp1252")
    refused = run(db, registry, territory["id"], raw)
    assert (refused.encoding, refused.read, refused.valid, refused.refused, refused.written) \
        == ("windows-1252", 7, 5, 2, False)
    assert [(e.line, e.column, e.value) for e in refused.errors] == [
        (3, "time", "27/10/2024 02:30"), (7, "time", "31/03/2024 02:15")]
    repeated, skipped = (e.message for e in refused.errors)
    assert repeated.startswith("heure répétée au retour à l'heure d'hiver (Europe/Paris)")
    assert ("2024-10-27T02:30:00+02:00 la première fois, 2024-10-27T02:30:00+01:00 la seconde"
            in repeated and "UTC" in repeated)
    assert skipped.startswith("heure sautée au passage à l'heure d'été (Europe/Paris)")
    assert "2024-03-31T02:15:00+01:00" in skipped and "UTC" in skipped
    assert stored(db, territory["id"]) == {}  # a line refused: nothing written

    partial = run(db, registry, territory["id"], raw, partial=True)
    assert (partial.stored, partial.refused, partial.written) == (5, 2, True)
    assert stored(db, territory["id"]) == {("ÉCOLE-2", "generic.temperature"): [
        ("2024-03-31T00:59:00Z", -2.5, 0), ("2024-03-31T01:00:00Z", -1.5, 0),
        ("2024-10-26T23:30:00Z", 18.5, 0), ("2024-10-27T01:30:00Z", 18.0, 0),
        ("2024-10-27T02:00:00Z", 17.75, 1)]}


def test_every_refused_line_is_located_and_nothing_is_written_without_partial(
        db, registry, territory):
    future = (NOW + timedelta(minutes=11)).strftime("%Y-%m-%dT%H:%M:%SZ")
    text = ("Ref;Metric;Time;Value\n"                                      # 1 (any case)
            "MAI-1;generic.value;2024-05-01T10:00:00Z;1\n"                # 2 valid
            "MAI-404;generic.value;2024-05-01T10:00:00Z;1\n"              # 3 unknown ref
            "MAI-1;generic.valeur;2024-05-01T10:00:00Z;1\n"               # 4 unknown metric
            "MAI-1;generic.value;2024-05-01T10:10:00Z;douze\n"            # 5 unreadable value
            "MAI-1;generic.value;1999-12-31T22:00:00Z;1\n"                # 6 before 2000
            f"MAI-1;generic.value;{future};1\n"                           # 7 in the future
            "MAI-1;generic.temperature;2024-05-01T10:00:00Z;150\n"        # 8 out of range
            "MAI-1;generic.value;2024-05-01T10:20:00Z;1;2\n"              # 9 a field too many
            "MAI-1;generic.value;hier;1\n"                                # 10 unreadable time
            "MAI-1;generic.value;2024-05-01T10:30:00Z;2,5\n")             # 11 valid
    report = run(db, registry, territory["id"], text)
    assert (report.read, report.valid, report.refused, report.stored, report.written) == (
        10, 2, 8, 0, False)
    assert [(e.line, e.column, e.value) for e in report.errors] == [
        (3, "Ref", "MAI-404"), (4, "Metric", "generic.valeur"), (5, "Value", "douze"),
        (6, "Time", "1999-12-31T22:00:00Z"), (7, "Time", future),
        (8, "Value", "150"), (9, "", ""), (10, "Time", "hier")]
    messages = [e.message for e in report.errors]
    assert messages[0] == "équipement inconnu dans ce territoire"
    assert messages[1] == "mesure inconnue (voulez-vous dire « generic.value » ?)"
    assert messages[2].startswith("nombre attendu")
    assert messages[3] == "horodatage antérieur au 01/01/2000 (année mal saisie ?)"
    assert messages[4].startswith("horodatage dans le futur (plus de 10 minutes")
    assert messages[5] == "valeur 150 hors de la plage plausible [-60 ; 90] Cel"
    assert messages[6].startswith("5 champs au lieu de 4")
    assert messages[7].startswith("horodatage illisible")
    assert count_rows(db, schema.observations, territory["id"]) == 0
    assert count_rows(db, schema.streams, territory["id"]) == 0  # none created either

    dry = run(db, registry, territory["id"], text, partial=True, dry_run=True)
    assert (dry.valid, dry.written, dry.streams_created) == (2, False, 1)
    assert count_rows(db, schema.streams, territory["id"]) == 0

    partial = run(db, registry, territory["id"], text, partial=True)
    assert (partial.stored, partial.refused, partial.written) == (2, 8, True)
    assert stored(db, territory["id"]) == {("MAI-1", "generic.value"): [
        ("2024-05-01T10:00:00Z", 1.0, 0), ("2024-05-01T10:30:00Z", 2.5, 0)]}


def test_an_instant_given_twice_counts_once_or_is_refused_when_values_differ(
        db, registry, territory):
    text = ("asset_ref,metric,time,value\n"
            "MAI-1,generic.value,2024-05-01T10:00:00Z,1\n"       # 2
            "MAI-1,generic.value,2024-05-01T12:00:00+02:00,1\n"  # 3 the same reading again
            "MAI-1,generic.value,2024-05-01T10:00:00Z,7\n"       # 4 another value: refused
            "MAI-1,generic.counter,2024-05-01T10:00:00Z,7\n")    # 5 another stream
    report = run(db, registry, territory["id"], text, partial=True)
    assert (report.read, report.valid, report.refused, report.stored, report.already) == (
        4, 3, 1, 2, 1)
    assert report.errors == [LineError(4, "value", "7", "autre valeur pour l'instant de la "
                                       "ligne 2 (même équipement « MAI-1 », même mesure "
                                       "« generic.value »)")]
    assert stored(db, territory["id"]) == {
        ("MAI-1", "generic.counter"): [("2024-05-01T10:00:00Z", 7.0, 0)],
        ("MAI-1", "generic.value"): [("2024-05-01T10:00:00Z", 1.0, 0)]}


def test_another_territorys_equipment_is_never_reached(db, registry, territory):
    text = ("ref,metric,time,value\n"
            "AUTRE-1,generic.value,2024-05-01T10:00:00Z,1\n"
            "MAI-1,generic.value,2024-05-01T10:00:00Z,2\n")
    report = run(db, registry, territory["id"], text, partial=True)
    assert report.errors == [LineError(2, "ref", "AUTRE-1",
                                       "équipement inconnu dans ce territoire")]
    assert report.stored == 1
    assert count_rows(db, schema.streams, territory["other"]) == 0
    assert count_rows(db, schema.observations, territory["other"]) == 0
    assert stored(db, territory["id"]) == {("MAI-1", "generic.value"): [
        ("2024-05-01T10:00:00Z", 2.0, 0)]}


def test_an_export_file_is_read_by_ref_and_metric_its_stream_ids_ignored(db, registry,
                                                                         territory):
    text = ("stream_id,asset_ref,metric,time,value,quality\n"
            "987654,MAI-1,generic.value,2024-05-01T10:00:00Z,1.25,suspect\n")
    report = run(db, registry, territory["id"], text)
    assert (report.stored, report.refused) == (1, 0)
    assert stored(db, territory["id"]) == {("MAI-1", "generic.value"): [
        ("2024-05-01T10:00:00Z", 1.25, 1)]}


@pytest.mark.parametrize("text, message", [
    ("stream_id,time,value\n1,2024-05-01T10:00:00Z,1\n",
     "« stream_id » désigne un flux de l'instance d'où vient le fichier, inconnu ici ; il "
     "faut aussi les colonnes asset_ref (référence de l'équipement) et metric"),
    ("ref,time,value\nMAI-1,2024-05-01T10:00:00Z,1\n", "colonne metric manquante"),
    ("ref,metric,time,value,unit\n", "colonne inconnue « unit »"),
    ("ref,asset_ref,metric,time,value\n", "les colonnes « ref » et « asset_ref » désignent "
                                          "toutes deux « asset_ref »"),
    ("", "Fichier CSV vide"),
    (b"ref;metric;time;value\r\nMAI-1;generic.value;\x81;1\r\n",
     "inconnu en UTF-8 comme en Windows-1252"),
])
def test_a_file_that_cannot_be_used_is_refused_whole(text, message):
    with pytest.raises(Invalid) as refused:
        observation_import.read_history(text if isinstance(text, bytes) else text.encode())
    assert message in refused.value.detail


def test_a_header_without_data_lines_is_refused(db, registry, territory):
    with pytest.raises(Invalid, match="aucune ligne de données"):
        run(db, registry, territory["id"], "ref,metric,time,value\n\n")


def test_a_long_history_is_written_in_chunks_with_progress(db, registry, territory):
    start = datetime(2024, 1, 1, tzinfo=UTC)
    count = CHUNK_ROWS + 1500
    text = "ref,metric,time,value\n" + "".join(
        f"MAI-1,generic.counter,{start + timedelta(minutes=10 * i):%Y-%m-%dT%H:%M:%SZ},{i}\n"
        for i in range(count))
    history = observation_import.read_history(text.encode())
    read, written = [], []
    with db.read() as conn:
        scope = open_scope(db, conn, CLI, territory["id"])
        checked = observation_import.check_history(scope, conn, registry, history,
                                                   now=NOW_MS, progress=read.append)
    report = observation_import.write_history(db, CLI, registry, checked,
                                              progress=written.append)
    assert sum(read) == history.csv.line_count == count
    assert written == [CHUNK_ROWS, 1500] and report.stored == count
    r = schema.rollups_daily
    with db.read() as conn:
        days = conn.execute(select(r.c.count, r.c.sum).where(r.c.tenant_id == territory["id"])
                            ).all()
    assert sum(n for n, _ in days) == count and sum(s for _, s in days) == sum(range(count))


def test_every_refused_line_is_counted_the_first_thousand_described(db, registry, territory):
    count = observation_import.KEPT_ERRORS + 200
    text = "ref,metric,time,value\n" + "MAI-1,generic.value,2024-05-01T10:00:00Z,x\n" * count
    report = run(db, registry, territory["id"], text)
    assert (report.read, report.refused, report.error_count) == (count, count, count)
    assert len(report.errors) == observation_import.KEPT_ERRORS
    assert report.errors[-1].line == observation_import.KEPT_ERRORS + 1
