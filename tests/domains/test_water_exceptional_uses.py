"""Planned exceptional night uses of a sector (issue #15): declared, listed and removed over
HTTP within the tenant's rights, audited, refused in French naming the field with nothing
stored; the same rules through the generic asset PATCH; and the UTC intervals the leak
detector leaves out, local midnight to local midnight, across the changes of time."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import orjson
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from suite_apps import fresh_app

from beffroi.core import assets, tenants, users
from beffroi.core.access import CLI, open_scope
from beffroi.core.registry import load_registry
from beffroi.domains.water import exceptional_uses
from beffroi.domains.water.exceptional_uses import (
    MAX_DAYS,
    MAX_YEARLY_DAYS,
    excluded_ranges,
    seasonal_ranges,
    stored_uses,
)
from beffroi.storage import schema
from suite_accounts import bearer

PARIS = ZoneInfo("Europe/Paris")
PASSWORD = "password-123"
POOL = {"start": "2025-06-14", "end": "2025-06-16", "label": "Remplissage de la piscine",
        "flow_m3h": 12.5}
SEASON = {"start": "2025-06-01", "end": "2025-09-30", "label": "Arrosage des jardins",
          "yearly": True}
SQUARE = {"type": "Polygon", "coordinates": [[[6.6, 48.0], [6.61, 48.0], [6.61, 48.01],
                                              [6.6, 48.01], [6.6, 48.0]]]}


@pytest.fixture
def water(db):
    """A tenant with a service and a sector, its agent, viewer and administrator; another
    tenant with its own administrator."""
    registry = load_registry(["generic", "water"])
    with db.write() as conn:
        ids = {}
        for key, name in (("t", "Syndicat des eaux"), ("other", "Autre syndicat")):
            tenant = tenants.create_tenant(db, conn, CLI, name=name, registry=registry)
            ids[key] = tenant["id"]
            scope = open_scope(db, conn, CLI, tenant["id"])
            tenants.create_commune(scope, conn, {"insee": "88383", "name": "Remiremont"})
            users.add_member(scope, conn, {"email": f"admin@{key}.fr", "role": "tenant_admin",
                                           "password": PASSWORD})
        scope = open_scope(db, conn, CLI, ids["t"])
        service = assets.create_asset(scope, conn, registry, {
            "ref": "SVC-1", "kind": "water.service", "name": "Régie", "commune": "88383",
            "geometry": {"type": "Point", "coordinates": [6.6, 48.0]}})
        sector = assets.create_asset(scope, conn, registry, {
            "ref": "SEC-A", "kind": "water.sector", "name": "Secteur A", "commune": "88383",
            "geometry": SQUARE, "parent_id": service.id, "properties": {"connections": 800}})
        for email, role in (("agent@t.fr", "agent"), ("elu@t.fr", "viewer")):
            users.add_member(scope, conn, {"email": email, "role": role, "password": PASSWORD})
    with TestClient(fresh_app(db, registry)) as client:
        yield {"client": client, "db": db, "tenant": ids["t"], "service": service.id,
               "sector": sector.id,
               "url": f"/api/v1/tenants/{ids['t']}/water/sectors/{sector.id}/exceptional-uses",
               "asset_url": f"/api/v1/tenants/{ids['t']}/assets/{sector.id}",
               **{who: bearer(client, email, PASSWORD) for who, email in (
                   ("agent", "agent@t.fr"), ("viewer", "elu@t.fr"), ("admin", "admin@t.fr"),
                   ("stranger", "admin@other.fr"))}}


def _properties(w) -> dict:
    a = schema.assets
    with w["db"].read() as conn:
        return orjson.loads(conn.execute(select(a.c.properties).where(
            a.c.tenant_id == w["tenant"], a.c.id == w["sector"])).scalar())


def _audits(w) -> list:
    log = schema.audit_log
    with w["db"].read() as conn:
        return conn.execute(select(log).where(
            log.c.tenant_id == w["tenant"], log.c.entity == "asset",
            log.c.entity_id == str(w["sector"]), log.c.action == "update")
            .order_by(log.c.id)).all()


def test_an_agent_declares_lists_and_removes_a_use(water):
    client, url = water["client"], water["url"]
    assert client.get(url, headers=water["agent"]).json()["uses"] == []
    answer = client.post(url, headers=water["agent"], json=POOL)
    assert answer.status_code == 201, answer.text
    body = answer.json()
    use = body["use"]
    assert {k: use[k] for k in POOL} == POOL
    assert len(use["id"]) == 8 and body["uses"] == [use]
    assert "du 14/06/2025 au 16/06/2025 (3 nuits ignorées" in body["message"]
    flush = client.post(url, headers=water["admin"], json={
        "start": "2025-03-02", "end": "2025-03-02", "label": "  Purge des\ncanalisations ",
        "flow_m3h": None}).json()["use"]
    assert flush["label"] == "Purge des canalisations" and flush["flow_m3h"] is None

    listed = client.get(url, headers=water["viewer"]).json()  # a viewer reads
    assert [u["id"] for u in listed["uses"]] == [flush["id"], use["id"]]  # by first day
    assert listed["limits"]["max_days"] == MAX_DAYS
    assert listed["sector"] == {"id": water["sector"], "ref": "SEC-A", "name": "Secteur A"}
    stored = _properties(water)
    assert stored["connections"] == 800  # the other properties are kept
    assert flush["yearly"] is False and use["yearly"] is False  # one-off uses
    assert stored["exceptional_uses"][0] == {k: v for k, v in flush.items()
                                             if v is not None and k != "yearly"}
    audits = _audits(water)
    assert len(audits) == 2
    assert orjson.loads(audits[0].details)["properties"]["exceptional_uses"][0]["label"] == \
        POOL["label"]

    removed = client.delete(f"{url}/{use['id']}", headers=water["agent"])
    assert removed.status_code == 200, removed.text
    assert removed.json()["deleted"] == use and removed.json()["uses"] == [flush]
    assert client.get(url, headers=water["agent"]).json()["uses"] == [flush]
    assert len(_audits(water)) == 3
    again = client.delete(f"{url}/{use['id']}", headers=water["agent"])
    assert again.status_code == 404 and "introuvable" in again.json()["detail"]
    client.delete(f"{url}/{flush['id']}", headers=water["agent"])
    assert "exceptional_uses" not in _properties(water)


@pytest.mark.parametrize("body, field, fragment", [
    ({"start": "2025-06-14", "end": "2025-06-16"}, "label", "obligatoire (Motif)"),
    ({**POOL, "label": " \n "}, "label", "obligatoire (Motif)"),
    ({**POOL, "label": "x" * 201}, "label", "200 caractères au plus (reçu 201)"),
    ({**POOL, "label": 12}, "label", "Motif : texte attendu"),
    ({**POOL, "end": "2025-06-13"}, "end",
     "Dernier jour : le 13/06/2025 est avant le premier jour (14/06/2025)"),
    ({**POOL, "end": "2025-09-14"}, "end", f"période de 93 jours, {MAX_DAYS} au plus"),
    ({**POOL, "start": "14/06/2025"}, "start", "Premier jour : date « 14/06/2025 » invalide"),
    ({**POOL, "start": "2025-02-30"}, "start", "date « 2025-02-30 » invalide"),
    ({**POOL, "start": "20250614"}, "start", "AAAA-MM-JJ attendu"),
    ({**POOL, "end": None}, "end", "obligatoire (Dernier jour)"),
    ({**POOL, "flow_m3h": -1}, "flow_m3h", "Débit prévu : -1 est inférieur au minimum 0"),
    ({**POOL, "flow_m3h": "beaucoup"}, "flow_m3h", "Débit prévu : nombre attendu"),
    ({**POOL, "colour": "bleu"}, "colour", "champ inconnu"),
    ({**POOL, "id": "abc"}, "id", "attribué par Beffroi"),
    (["2025-06-14"], "", "objet attendu"),
])
def test_a_bad_use_is_refused_naming_the_field_and_nothing_is_stored(water, body, field,
                                                                     fragment):
    client, url = water["client"], water["url"]
    client.post(url, headers=water["agent"], json=POOL)
    before, audits = _properties(water), len(_audits(water))
    answer = client.post(url, headers=water["agent"], json=body)
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    problem = answer.json()
    assert [e["field"] for e in problem["errors"]] == [field], problem
    assert fragment in problem["errors"][0]["message"]
    assert "rien n'a été enregistré" in problem["detail"]
    assert _properties(water) == before and len(_audits(water)) == audits


def test_a_seasonal_use_is_declared_for_up_to_half_a_year(water):
    client, url = water["client"], water["url"]
    answer = client.post(url, headers=water["agent"], json=SEASON)
    assert answer.status_code == 201, answer.text
    use = answer.json()["use"]
    assert {k: use[k] for k in SEASON} == SEASON
    assert "Usage saisonnier enregistré : « Arrosage des jardins », du 01/06/2025 au " \
        "30/09/2025 et aux mêmes dates chaque année (122 nuits surveillées avec prudence" \
        in answer.json()["message"]
    assert _properties(water)["exceptional_uses"][0]["yearly"] is True
    listed = client.get(url, headers=water["viewer"]).json()
    assert listed["uses"] == [use]
    assert listed["limits"]["max_yearly_days"] == MAX_YEARLY_DAYS == 184

    # Half a year at most; a one-off use that long is told it could be a seasonal one.
    for body, message in (
            ({**SEASON, "end": "2025-12-02"},
             "période de 185 jours, 184 au plus pour un usage saisonnier"),
            ({**SEASON, "yearly": False},
             "période de 122 jours, 92 au plus (184 pour un usage saisonnier, chaque année)"),
            ({**SEASON, "yearly": "oui"}, None)):
        refused = client.post(url, headers=water["agent"], json=body)
        assert refused.status_code == 422, refused.text
        error, = refused.json()["errors"]
        if message is None:
            assert error["field"] == "yearly"
        else:
            assert error["field"] == "end" and message in error["message"]
    assert client.get(url, headers=water["agent"]).json()["uses"] == [use]


def test_a_use_lies_from_2000_to_two_years_ahead(water, monkeypatch):
    """A year mistyped (« 20260 » typed in a date picker gives 0260) is refused on its field,
    before 2000 or more than two years ahead of today (pinned here: 1 March 2026, so two
    years ahead is 1 March 2028); seasonal uses of any year since 2000 stay accepted."""
    monkeypatch.setattr(exceptional_uses, "today", lambda: date(2026, 3, 1))
    client, url, agent = water["client"], water["url"], water["agent"]
    for body, errors in (
            ({**POOL, "start": "0260-07-01", "end": "0260-07-03"}, {
                "start": "Premier jour : le 01/07/0260 est trop ancien, le 01/01/2000 au plus "
                         "tôt (année mal saisie ?)",
                "end": "Dernier jour : le 03/07/0260 est trop ancien"}),
            ({**POOL, "start": "1999-12-31", "end": "2000-01-02"}, {"start": "01/01/2000"}),
            ({**POOL, "start": "2028-03-01", "end": "2028-03-02"}, {
                "end": "Dernier jour : le 02/03/2028 est à plus de deux ans, le 01/03/2028 "
                       "au plus tard"}),
            ({**POOL, "start": "20260-07-01"}, {"start": "date « 20260-07-01 » invalide"}),
            ({**SEASON, "start": "2260-06-01", "end": "2260-09-30"}, {
                "start": "à plus de deux ans", "end": "à plus de deux ans"})):
        refused = client.post(url, headers=agent, json=body)
        assert refused.status_code == 422, refused.text
        found = {e["field"]: e["message"] for e in refused.json()["errors"]}
        assert set(found) == set(errors), found
        for field, fragment in errors.items():
            assert fragment in found[field], found
    assert "exceptional_uses" not in _properties(water)
    for body in ({**POOL, "start": "2028-02-28", "end": "2028-03-01"},
                 {**POOL, "start": "2000-01-01", "end": "2000-01-01"},
                 {**SEASON, "start": "2001-06-01", "end": "2001-09-30"}):
        accepted = client.post(url, headers=agent, json=body)
        assert accepted.status_code == 201, accepted.text
    # The generic PATCH applies the same rules.
    patched = client.patch(water["asset_url"], headers=agent, json={"properties": {
        "exceptional_uses": [{**POOL, "start": "0260-07-01", "end": "0260-07-03"}]}})
    assert patched.status_code == 422
    assert "properties.exceptional_uses[0].start" in {
        e["field"] for e in patched.json()["errors"]}
    # One stored before these rules is left out: it never covered a night of the data.
    assert stored_uses({"exceptional_uses": [
        POOL, {**POOL, "start": "0260-07-01", "end": "0260-07-03"}]})[0]["start"] == \
        POOL["start"]
    assert len(stored_uses({"exceptional_uses": [
        {**POOL, "start": "0260-07-01", "end": "0260-07-03"}]})) == 0


def test_a_viewer_reads_but_does_not_write(water):
    client, url = water["client"], water["url"]
    use = client.post(url, headers=water["agent"], json=POOL).json()["use"]
    assert client.get(url, headers=water["viewer"]).status_code == 200
    for answer in (client.post(url, headers=water["viewer"], json=POOL),
                   client.delete(f"{url}/{use['id']}", headers=water["viewer"])):
        assert answer.status_code == 403
        assert "élu / lecteur" in answer.json()["detail"]
    assert len(client.get(url, headers=water["agent"]).json()["uses"]) == 1


def test_another_tenants_administrator_gets_404(water):
    client, url = water["client"], water["url"]
    use = client.post(url, headers=water["agent"], json=POOL).json()["use"]
    for answer in (client.get(url, headers=water["stranger"]),
                   client.post(url, headers=water["stranger"], json=POOL),
                   client.delete(f"{url}/{use['id']}", headers=water["stranger"])):
        assert answer.status_code == 404
    assert len(client.get(url, headers=water["agent"]).json()["uses"]) == 1
    assert client.get(url).status_code == 401  # nobody


def test_only_a_sector_has_exceptional_uses(water):
    client = water["client"]
    base = f"/api/v1/tenants/{water['tenant']}/water/sectors"
    answer = client.post(f"{base}/{water['service']}/exceptional-uses",
                         headers=water["agent"], json=POOL)
    assert answer.status_code == 404 and "n'est pas un secteur" in answer.json()["detail"]
    assert client.get(f"{base}/999999/exceptional-uses", headers=water["agent"]).status_code \
        == 404


def test_the_generic_asset_patch_checks_the_same_rules(water):
    client = water["client"]
    bad = client.patch(water["asset_url"], headers=water["agent"], json={"properties": {
        "exceptional_uses": [POOL, {**POOL, "start": "2025-07-01", "end": "2025-06-01"}]}})
    assert bad.status_code == 422
    assert bad.json()["errors"] == [{
        "field": "properties.exceptional_uses[1].end",
        "message": "Dernier jour : le 01/06/2025 est avant le premier jour (01/07/2025)"}]
    missing = client.patch(water["asset_url"], headers=water["agent"], json={"properties": {
        "exceptional_uses": [{"start": "2025-06-14", "end": "2025-06-14", "flow": 3}]}})
    assert {e["field"] for e in missing.json()["errors"]} == {
        "properties.exceptional_uses[0].flow", "properties.exceptional_uses[0].label"}
    assert client.patch(water["asset_url"], headers=water["agent"], json={"properties": {
        "exceptional_uses": {"start": "2025-06-14"}}}).status_code == 422
    assert "exceptional_uses" not in _properties(water)

    # Written without ids: each gets one derived from its content, the same at each reading,
    # by which it can be removed.
    ok = client.patch(water["asset_url"], headers=water["agent"], json={"properties": {
        "exceptional_uses": [POOL, {**POOL, "label": "Exercice incendie"}]}})
    assert ok.status_code == 200, ok.text
    first = client.get(water["url"], headers=water["agent"]).json()["uses"]
    assert first == client.get(water["url"], headers=water["agent"]).json()["uses"]
    assert len({u["id"] for u in first}) == 2
    gone = next(u for u in first if u["label"] == "Exercice incendie")
    left = client.delete(f"{water['url']}/{gone['id']}", headers=water["agent"]).json()["uses"]
    assert [u["label"] for u in left] == [POOL["label"]]
    assert _properties(water)["exceptional_uses"][0]["id"] == left[0]["id"]  # now stored

    schema_ = next(k for d in client.get("/api/v1/domains").json() if d["key"] == "water"
                   for k in d["asset_kinds"] if k["key"] == "water.sector")["schema"]
    items = schema_["properties"]["exceptional_uses"]["items"]
    assert schema_["properties"]["exceptional_uses"]["type"] == "array"
    assert items["required"] == ["start", "end", "label"]
    assert items["properties"]["flow_m3h"]["minimum"] == 0


def test_stored_uses_leave_out_what_is_malformed():
    properties = {"exceptional_uses": [
        POOL, "texte", {**POOL, "end": "2025-06-01"}, {**POOL, "label": ""},
        {**POOL, "start": "2025-6-14"}, {**POOL, "flow_m3h": -2}, {**POOL, "extra": 1}]}
    uses = stored_uses(properties)
    assert [{k: u[k] for k in POOL} for u in uses] == [POOL]
    assert stored_uses({"exceptional_uses": "non"}) == [] == stored_uses(None)


# -- what the detector reads ------------------------------------------------------------------
def _midnight(day: str, tz: ZoneInfo = PARIS) -> float:
    return datetime.fromisoformat(day).replace(tzinfo=tz).timestamp()


def test_excluded_ranges_run_from_local_midnight_to_the_midnight_after_the_last_day():
    # 14 June 2025, summer time (UTC+2): 13 June 22:00 UTC to 16 June 22:00 UTC.
    assert excluded_ranges({"exceptional_uses": [POOL]}) == [(1749852000.0, 1750111200.0)]
    assert excluded_ranges({"exceptional_uses": [POOL]}) == [
        (_midnight("2025-06-14"), _midnight("2025-06-17"))]
    utc = ZoneInfo("UTC")
    assert excluded_ranges({"exceptional_uses": [POOL]}, "UTC") == [
        (_midnight("2025-06-14", utc), _midnight("2025-06-17", utc))]


@pytest.mark.parametrize("day, hours, start_utc", [
    ("2025-03-30", 23, 1743289200.0),  # spring forward: 29 March 23:00 UTC, a 23-hour day
    ("2025-10-26", 25, 1761429600.0),  # fall back: 25 October 22:00 UTC, a 25-hour day
])
def test_excluded_ranges_across_a_change_of_time(day, hours, start_utc):
    [(start, end)] = excluded_ranges({"exceptional_uses": [
        {"start": day, "end": day, "label": "Purge"}]})
    assert start == start_utc == _midnight(day)
    next_day = datetime.fromisoformat(day).replace(tzinfo=PARIS).date().toordinal() + 1
    assert end == _midnight(datetime.fromordinal(next_day).date().isoformat())
    assert end - start == hours * 3600


def test_seasonal_ranges_come_back_every_year_and_are_never_left_out():
    properties = {"exceptional_uses": [SEASON, POOL]}
    assert seasonal_ranges(properties, _midnight("2024-01-01"), _midnight("2026-12-31")) == [
        (_midnight(f"{year}-06-01"), _midnight(f"{year}-10-01")) for year in (2024, 2025, 2026)]
    # (local midnights: 1 June 2025 begins on 31 May at 22:00 UTC)
    assert seasonal_ranges(properties, _midnight("2025-01-01"), _midnight("2025-12-31")) == [
        (1748728800.0, 1759269600.0)]
    assert excluded_ranges(properties) == [(_midnight("2025-06-14"), _midnight("2025-06-17"))]
    assert seasonal_ranges({"exceptional_uses": [POOL]}, 0.0, 2e9) == []
    # Only the years the series meets.
    assert seasonal_ranges(properties, _midnight("2025-09-15"), _midnight("2026-03-01")) == [
        (_midnight("2025-06-01"), _midnight("2025-10-01"))]
    # Across New Year: the winter that began the year before.
    winter = {"exceptional_uses": [{"start": "2025-12-20", "end": "2026-01-10",
                                    "label": "Station de ski", "yearly": True}]}
    assert seasonal_ranges(winter, _midnight("2027-01-05"), _midnight("2027-02-01")) == [
        (_midnight("2026-12-20"), _midnight("2027-01-11"))]
    # 29 February: the 28th in a common year.
    leap = {"exceptional_uses": [{"start": "2024-02-29", "end": "2024-03-31",
                                  "label": "Vidange", "yearly": True}]}
    assert seasonal_ranges(leap, _midnight("2025-01-01"), _midnight("2025-12-31")) == [
        (_midnight("2025-02-28"), _midnight("2025-04-01"))]
    # Malformed or too long: skipped, never raised.
    for odd in ({**SEASON, "end": "2025-12-31"}, {**SEASON, "start": "juin"},
                {**SEASON, "yearly": "oui"}, "x"):
        assert seasonal_ranges({"exceptional_uses": [odd]}, 0.0, 2e9) == []
    assert seasonal_ranges(None, 0.0, 2e9) == []


def test_excluded_ranges_skip_malformed_entries_and_never_raise():
    good = {"start": "2025-03-29", "end": "2025-03-31", "label": "Réservoir"}
    properties = {"exceptional_uses": [
        None, 3, "2025-01-01", [], {}, {"start": "2025-01-05"},
        {"start": "2025-01-05", "end": "2025-01-01", "label": "à l'envers"},
        {"start": "2025-01-01", "end": "2025-12-31", "label": "trop long"},
        {"start": "2025-02-30", "end": "2025-03-01", "label": "30 février"},
        {"start": 20250101, "end": "2025-01-02", "label": "nombre"},
        {"start": "20250101", "end": "2025-01-02", "label": "compact"},
        good, POOL]}
    assert excluded_ranges(properties) == [
        (_midnight("2025-03-29"), _midnight("2025-04-01")),
        (_midnight("2025-06-14"), _midnight("2025-06-17"))]
    # 29 March + 30 March (23 h) + 31 March.
    assert excluded_ranges(properties)[0][1] - excluded_ranges(properties)[0][0] == 71 * 3600
    for odd in (None, {}, [], "x", {"exceptional_uses": None}, {"exceptional_uses": {"a": 1}},
                {"exceptional_uses": "2025-01-01"}):
        assert excluded_ranges(odd) == []
    assert excluded_ranges({"exceptional_uses": [good]}, "Nulle/Part") == \
        excluded_ranges({"exceptional_uses": [good]})  # an unknown zone: Paris
    assert excluded_ranges({"exceptional_uses": [good]}, None) == \
        excluded_ranges({"exceptional_uses": [good]})
