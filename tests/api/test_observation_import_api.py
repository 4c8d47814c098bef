"""A history of readings imported through the API (``POST …/observations/import``), as the
command line imports it and with the same rules (``core.observation_import``), on both
backends: a dry run writes nothing, refused lines are located and said in French, the import
is all-or-nothing unless ``partial``, idempotent, confined to the tenant of the path, refused
to viewers."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from beffroi.core import assets, observation_import, tenants, users
from beffroi.core.access import CLI, open_scope
from beffroi.storage import schema
from suite_accounts import bearer

# The clock of every check: a fixed instant; the files' times lie before it.
NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
NOW_MS = int(NOW.timestamp() * 1000)
START = datetime(2024, 11, 3, 21, 0, tzinfo=UTC)
PASSWORD = "password-123"
HEADER = "asset_ref,metric,time,value,quality\n"


@pytest.fixture
def territory(db, registry, client, monkeypatch):
    """A territory with two sites and three members; another with a site of its own."""
    monkeypatch.setattr(observation_import, "now_ms", lambda: NOW_MS)
    with db.write() as conn:
        mine = tenants.create_tenant(db, conn, CLI, name="CC des Ballons", registry=registry)
        other = tenants.create_tenant(db, conn, CLI, name="Régie voisine", registry=registry)
        for tenant in (mine, other):
            tenants.create_commune(open_scope(db, conn, CLI, tenant["id"]), conn,
                                   {"insee": "88383", "name": "Remiremont"})
        for tenant, ref in ((mine, "MAI-1"), (mine, "ÉCOLE-2"), (other, "AUTRE-1")):
            scope = open_scope(db, conn, CLI, tenant["id"])
            assets.create_asset(scope, conn, registry, {
                "ref": ref, "kind": "generic.site", "name": ref, "commune": "88383",
                "geometry": {"type": "Point", "coordinates": [6.59, 48.02]}})
        scope = open_scope(db, conn, CLI, mine["id"])
        for email, role in (("admin@x.fr", "tenant_admin"), ("agent@x.fr", "agent"),
                            ("elu@x.fr", "viewer")):
            users.add_member(scope, conn, {"email": email, "role": role, "password": PASSWORD})
    return {"id": mine["id"], "other": other["id"],
            "url": f"/api/v1/tenants/{mine['id']}/observations/import",
            "admin": bearer(client, "admin@x.fr", PASSWORD),
            "agent": bearer(client, "agent@x.fr", PASSWORD),
            "viewer": bearer(client, "elu@x.fr", PASSWORD)}


def post(client, territory, body: str | bytes, who="admin", **params):
    return client.post(territory["url"], params={k: str(v).lower() for k, v in params.items()},
                       headers={**territory[who], "Content-Type": "text/csv"},
                       content=body.encode() if isinstance(body, str) else body)


def iso(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def stored(db, tenant_id) -> dict[tuple[str, str], list[tuple[str, float]]]:
    """(asset ref, metric) -> [(UTC time, value)] of every stored observation."""
    o, s, a = schema.observations, schema.streams, schema.assets
    out = defaultdict(list)
    with db.read() as conn:
        for ref, metric, t, value in conn.execute(
                select(a.c.ref, s.c.metric, o.c.t, o.c.value)
                .join(s, (s.c.tenant_id == o.c.tenant_id) & (s.c.id == o.c.stream_id))
                .join(a, (a.c.tenant_id == s.c.tenant_id) & (a.c.id == s.c.asset_id))
                .where(o.c.tenant_id == tenant_id).order_by(a.c.ref, s.c.metric, o.c.t)):
            out[(ref, metric)].append((iso(datetime.fromtimestamp(t / 1000, UTC)), value))
    return dict(out)


def count(db, table, tenant_id) -> int:
    with db.read() as conn:
        return conn.execute(select(func.count()).select_from(table)
                            .where(table.c.tenant_id == tenant_id)).scalar_one()


def good_rows() -> list[tuple[str, str, datetime, float]]:
    """Twelve temperatures of MAI-1 every 10 minutes, six values of ÉCOLE-2 every hour."""
    rows = [("MAI-1", "generic.temperature", START + timedelta(minutes=10 * i), 12.5 + i)
            for i in range(12)]
    rows += [("ÉCOLE-2", "generic.value", START + timedelta(hours=i), float(i * 3))
             for i in range(6)]
    return rows


def csv_of(rows) -> str:
    return HEADER + "".join(f"{ref},{metric},{iso(t)},{value},\n" for ref, metric, t, value in rows)


def test_a_dry_run_reports_everything_and_writes_nothing(client, db, territory):
    rows = good_rows()
    answer = post(client, territory, csv_of(rows), dry_run=True)
    assert answer.status_code == 200, answer.text
    report = answer.json()
    assert (report["read"], report["valid"], report["refused"], report["stored"],
            report["written"], report["dry_run"]) == (len(rows), len(rows), 0, 0, False, True)
    assert report["streams_created"] == 2 and report["errors"] == []
    assert report["encoding"] == "utf-8"
    times = [t for _, _, t, _ in rows]
    assert report["period"] == {"start": iso(min(times)), "end": iso(max(times))}
    by_stream = defaultdict(list)
    for ref, metric, t, _ in rows:
        by_stream[(ref, metric)].append(t)
    assert [(s["asset_ref"], s["metric"], s["count"], s["start"], s["end"], s["new_stream"])
            for s in report["series"]] == [
        (ref, metric, len(ts), iso(min(ts)), iso(max(ts)), True)
        for (ref, metric), ts in sorted(by_stream.items())]
    assert report["series"][0]["label"] == "Température" and report["series"][0]["unit"] == "Cel"
    assert count(db, schema.observations, territory["id"]) == 0
    assert count(db, schema.streams, territory["id"]) == 0


def test_bad_lines_are_located_and_refuse_the_file_unless_partial(client, db, territory):
    rows = good_rows()
    bad = [  # (line content, column, French reason), each after the good rows
        (f"INCONNU-9,generic.value,{iso(START)},1,", "asset_ref",
         "équipement inconnu dans ce territoire"),
        (f"MAI-1,generic.valeur,{iso(START)},1,", "metric",
         "mesure inconnue (voulez-vous dire « generic.value » ?)"),
        ("MAI-1,generic.value,hier à midi,1,", "time", "horodatage illisible"),
        (f"MAI-1,generic.temperature,{iso(START + timedelta(days=1))},150,", "value",
         "valeur 150 hors de la plage plausible [-60 ; 90] Cel"),
        (f"MAI-1,generic.temperature,{iso(rows[0][2])},{rows[0][3] + 1},", "value",
         "autre valeur pour l'instant de la ligne 2 (même équipement « MAI-1 », même mesure "
         "« generic.temperature »)"),
    ]
    body = csv_of(rows) + "".join(line + "\n" for line, _, _ in bad)
    first_bad = len(rows) + 2  # the header is line 1

    refused = post(client, territory, body)
    assert refused.status_code == 422
    assert refused.headers["content-type"] == "application/problem+json"
    problem = refused.json()
    assert problem["title"] == "Import refusé"
    assert problem["detail"] == (f"{len(bad)} ligne(s) refusée(s) sur {len(rows) + len(bad)} : "
                                 "aucune mesure n'a été enregistrée.")
    assert (problem["read"], problem["valid"], problem["refused"], problem["written"]) == (
        len(rows) + len(bad), len(rows), len(bad), False)
    got = [(e["line"], e["column"], e["message"]) for e in problem["errors"]]
    assert [(line, column) for line, column, _ in got] == [
        (first_bad + i, column) for i, (_, column, _) in enumerate(bad)]
    for (_, _, message), (_, _, reason) in zip(got, bad, strict=True):
        assert message.startswith(reason), (message, reason)
    assert problem["errors"][0]["value"] == "INCONNU-9"
    assert count(db, schema.observations, territory["id"]) == 0

    dry = post(client, territory, body, dry_run=True)
    assert dry.status_code == 422 and dry.json()["detail"].endswith(
        "aucune mesure ne serait enregistrée.")
    assert post(client, territory, body, dry_run=True, partial=True).status_code == 200
    assert count(db, schema.observations, territory["id"]) == 0

    kept = post(client, territory, body, partial=True)
    assert kept.status_code == 200, kept.text
    report = kept.json()
    assert (report["stored"], report["refused"], report["written"], report["partial"]) == (
        len(rows), len(bad), True, True)
    expected = defaultdict(list)
    for ref, metric, t, value in rows:
        expected[(ref, metric)].append((iso(t), value))
    assert stored(db, territory["id"]) == dict(expected)


def test_importing_again_stores_nothing_new_and_says_so(client, db, territory):
    rows = good_rows()
    first = post(client, territory, csv_of(rows))
    assert first.status_code == 200 and first.json()["stored"] == len(rows)
    again = post(client, territory, csv_of(rows))
    assert again.status_code == 200
    report = again.json()
    assert (report["stored"], report["already"], report["streams_created"]) == (0, len(rows), 0)
    assert not any(s["new_stream"] for s in report["series"])
    # One more reading beside those already there: only it is stored.
    extra = ("MAI-1", "generic.temperature", START + timedelta(hours=5), 20.0)
    more = post(client, territory, csv_of([*rows, extra])).json()
    assert (more["stored"], more["already"]) == (1, len(rows))
    assert count(db, schema.observations, territory["id"]) == len(rows) + 1


def test_another_territorys_equipment_cannot_be_named(client, db, territory):
    body = HEADER + f"AUTRE-1,generic.value,{iso(START)},1,\nMAI-1,generic.value,{iso(START)},2,\n"
    refused = post(client, territory, body, partial=True)
    assert refused.status_code == 200
    assert [(e["line"], e["value"], e["message"]) for e in refused.json()["errors"]] == [
        (2, "AUTRE-1", "équipement inconnu dans ce territoire")]
    assert stored(db, territory["id"]) == {("MAI-1", "generic.value"): [(iso(START), 2.0)]}
    assert count(db, schema.streams, territory["other"]) == 0
    assert count(db, schema.observations, territory["other"]) == 0
    # Alone in its file, even with ``partial``: nothing valid, the file is refused.
    alone = post(client, territory, HEADER + f"AUTRE-1,generic.value,{iso(START)},1,\n",
                 partial=True)
    assert alone.status_code == 422 and alone.json()["valid"] == 0
    assert alone.json()["detail"] == "1 ligne(s) refusée(s) sur 1 : aucune mesure n'a été enregistrée."
    # Nor reached by naming the other territory in the path.
    other = client.post(f"/api/v1/tenants/{territory['other']}/observations/import",
                        headers={**territory["admin"], "Content-Type": "text/csv"},
                        content=f"ref,metric,time,value\nAUTRE-1,generic.value,{iso(START)},1\n")
    assert other.status_code in (403, 404)
    assert count(db, schema.observations, territory["other"]) == 0


def test_a_viewer_is_refused_an_agent_may_import(client, db, territory):
    body = csv_of(good_rows())
    for dry_run in (True, False):
        refused = post(client, territory, body, who="viewer", dry_run=dry_run)
        assert refused.status_code == 403, refused.text
        assert refused.headers["content-type"] == "application/problem+json"
    # Refused before the file is read: a viewer learns nothing of what it holds.
    assert post(client, territory, "pas un CSV", who="viewer").status_code == 403
    assert count(db, schema.observations, territory["id"]) == 0
    assert post(client, territory, body, who="agent").json()["stored"] == len(good_rows())


def test_a_french_spreadsheet_latin1_semicolons_decimal_commas(client, db, territory):
    rows = [("ÉCOLE-2", "generic.temperature", START + timedelta(hours=i), 19.5 + i / 4)
            for i in range(4)]
    text = "ref;metric;time;value\r\n" + "".join(
        f"{ref};{metric};{iso(t)};{str(value).replace('.', ',')}\r\n"
        for ref, metric, t, value in rows)
    answer = post(client, territory, text.encode("cp1252"))
    assert answer.status_code == 200, answer.text
    report = answer.json()
    assert (report["encoding"], report["stored"], report["refused"]) == (
        "windows-1252", len(rows), 0)
    assert stored(db, territory["id"]) == {("ÉCOLE-2", "generic.temperature"): [
        (iso(t), value) for _, _, t, value in rows]}


@pytest.mark.parametrize("body, message", [
    ("", "Fichier CSV vide"),
    (HEADER, "Fichier sans aucune ligne de données"),
    ("ref,metric,time\n", "colonne value manquante"),
])
def test_an_unusable_file_is_a_problem_in_french(client, territory, body, message):
    answer = post(client, territory, body)
    assert answer.status_code == 422
    assert message in answer.json()["detail"]
