"""Commands: state machine, validation, schedules, expiry, retries, rights, isolation."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import orjson
import pytest
from sqlalchemy import select, update

from beffroi.core import assets, commands, devices, tenants, users
from beffroi.core.access import CLI, load_principal, open_scope
from beffroi.core.clock import now_ms, parse_instant
from beffroi.core.commands import (
    FINISHED,
    STATUSES,
    TRANSITIONS,
    InvalidTransition,
    next_occurrence,
    next_status,
)
from beffroi.core.errors import Forbidden, Invalid, NotFound
from beffroi.core.registry import load_registry
from beffroi.storage import schema

PARIS = ZoneInfo("Europe/Paris")
EVENTS = ("activate", "send", "acknowledge", "retry", "fail", "expire", "cancel")
POINT = {"type": "Point", "coordinates": [6.59, 48.02]}


@pytest.fixture(scope="module")
def registry():
    """Lighting declares real commands; the generic domain declares none."""
    return load_registry(["generic", "lighting"])


def _tenant(db, registry, name, insee, password=None):
    with db.write() as conn:
        t = tenants.create_tenant(db, conn, CLI, name=name, registry=registry)
        scope = open_scope(db, conn, CLI, t["id"])
        tenants.create_commune(scope, conn, {"insee": insee, "name": f"{name} commune"})
        tenants.create_commune(scope, conn, {"insee": "88999", "name": "Autre commune"})
        cabinet = assets.create_asset(scope, conn, registry, {
            "ref": "ARM-1", "kind": "lighting.cabinet", "name": "Armoire 1", "commune": insee,
            "geometry": POINT})
        site = assets.create_asset(scope, conn, registry, {
            "ref": "SITE-1", "kind": "generic.site", "name": "Site", "commune": insee,
            "geometry": POINT})
        bare = assets.create_asset(scope, conn, registry, {
            "ref": "LUM-1", "kind": "lighting.luminaire", "name": "Point lumineux",
            "commune": insee, "geometry": POINT})
        device = devices.create_device(scope, conn, {"name": "Contrôleur", "asset_id": cabinet.id})
        devices.create_device(scope, conn, {"name": "Capteur site", "asset_id": site.id})
        ids = {}
        for email, role, communes in ((f"agent@{insee}.fr", "agent", None),
                                      (f"viewer@{insee}.fr", "viewer", None),
                                      (f"far@{insee}.fr", "agent", ["88999"])):
            member = users.add_member(scope, conn, {"email": email, "role": role,
                                                    "password": password,
                                                    "communes": communes})
            ids[email.split("@")[0]] = member["id"]
    return {"tenant": t["id"], "cabinet": cabinet.id, "site": site.id, "bare": bare.id,
            "device": device.id, **ids}


@pytest.fixture
def world(db, registry):
    """Members without passwords (no slow hashing); ``api_world`` has them."""
    return {"a": _tenant(db, registry, "Territoire A", "88383"),
            "b": _tenant(db, registry, "Territoire B", "51237")}


@pytest.fixture
def api_world(db, registry):
    return {"a": _tenant(db, registry, "Territoire A", "88383", "password-123"),
            "b": _tenant(db, registry, "Territoire B", "51237", "password-123")}


def bearer(client, email, password):
    # Not imported from the root conftest: another directory's conftest.py can shadow it.
    response = client.post("/api/v1/auth/token", json={"email": email, "password": password})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def as_user(db, conn, tenant_id, user_id):
    return open_scope(db, conn, load_principal(conn, user_id), tenant_id)


def create(db, registry, t, user="agent", **data):
    doc = {"asset_id": t["cabinet"], "action": "lighting.set_dimming",
           "params": {"level": 40}} | data
    with db.write() as conn:
        return commands.create_command(as_user(db, conn, t["tenant"], t[user]), conn, registry, doc)


def load(db, t, command_id):
    c = schema.commands
    with db.read() as conn:
        return conn.execute(select(c).where(c.c.tenant_id == t["tenant"],
                                            c.c.id == command_id)).first()


def force(db, t, command_id, **values):
    c = schema.commands
    with db.write() as conn:
        conn.execute(update(c).where(c.c.tenant_id == t["tenant"], c.c.id == command_id)
                     .values(**values))
    return load(db, t, command_id)


def audit_of(db, t, command_id):
    a = schema.audit_log
    with db.read() as conn:
        return [(r.action, r.user_id, orjson.loads(r.details)) for r in conn.execute(
            select(a).where(a.c.tenant_id == t["tenant"], a.c.entity == "command",
                            a.c.entity_id == str(command_id)).order_by(a.c.id))]


# -- the state machine, as a table -------------------------------------------------------------
EXPECTED = {
    ("scheduled", "activate"): "requested", ("scheduled", "expire"): "expired",
    ("scheduled", "cancel"): "cancelled",
    ("requested", "send"): "sent", ("requested", "acknowledge"): "acknowledged",
    ("requested", "retry"): "requested", ("requested", "fail"): "failed",
    ("requested", "expire"): "expired", ("requested", "cancel"): "cancelled",
    ("sent", "acknowledge"): "acknowledged", ("sent", "retry"): "requested",
    ("sent", "fail"): "failed", ("sent", "expire"): "expired",
}


@pytest.mark.parametrize("status, event", list(itertools.product(STATUSES, EVENTS)))
def test_every_transition_is_explicitly_allowed_or_refused(status, event):
    if (status, event) in EXPECTED:
        assert next_status(status, event) == EXPECTED[(status, event)]
    else:
        with pytest.raises(InvalidTransition) as info:
            next_status(status, event)
        assert "ne peut pas être" in info.value.detail
        assert info.value.status == 409


def test_finished_states_are_final():
    assert TRANSITIONS == EXPECTED
    assert not [key for key in TRANSITIONS if key[0] in FINISHED]


# -- creation, validation, rights ------------------------------------------------------------------
def test_create_records_a_requested_command_with_its_device_and_audit(db, registry, world):
    a = world["a"]
    before = now_ms()
    row = create(db, registry, a)
    assert row.status == "requested" and row.device_id == a["device"]
    assert orjson.loads(row.params) == {"level": 40}
    assert row.requested_by == a["agent"] and row.attempts == 0 and row.max_attempts == 3
    assert before <= row.created_at <= now_ms()
    assert row.expires_at == row.created_at + 3_600_000  # the spec's ttl_s
    assert row.next_attempt_at == row.created_at
    public = commands.command_public(row, registry)
    assert public["action_label"] == "Régler la gradation"
    assert public["status_label"] == "demandée"
    [(action, user_id, details)] = audit_of(db, a, row.id)
    assert (action, user_id) == ("create", a["agent"])
    assert details["params"] == {"level": 40} and details["action"] == "lighting.set_dimming"


@pytest.mark.parametrize("data, field, fragment", [
    ({"params": {"level": "fort"}}, "params.level", "entier attendu"),
    ({"params": {"level": 40.5}}, "params.level", "entier attendu"),
    ({"params": {"level": 150}}, "params.level", "supérieur au maximum 100"),
    ({"params": {"level": -1}}, "params.level", "inférieur au minimum 0"),
    ({"params": {}}, "params.level", "obligatoire (Niveau de gradation, entier en %)"),
    ({"params": {"level": 40, "speed": 2}}, "params.speed", "paramètre inconnu (attendus : level)"),
    ({"params": [40]}, "params", "objet attendu"),
    ({"action": "lighting.switch", "params": {"state": "allumé"}}, "params.state", "hors liste"),
    ({"action": "lighting.explode"}, "action", "inconnue"),
    ({"action": None}, "action", "obligatoire"),
    ({"asset_id": "ARM-1"}, "asset_id", "entier"),
    ({"asset_id": 999999}, "asset_id", "introuvable"),
    ({"asset_id": "site"}, "action", "ne s'applique pas à un équipement de type « Site »"),
    ({"asset_id": "bare"}, "asset_id", "Aucun contrôleur télégéré n'est rattaché"),
    ({"device_id": 999999}, "device_id", "n'est pas rattaché"),
    ({"not_before": "2026-12-01 21:30"}, "not_before", "sans fuseau horaire"),
    ({"recurrence": "tous les soirs"}, "recurrence", "illisible"),
    ({"recurrence": "daily 25:00"}, "recurrence", "invalide"),
    ({"recurrence": "weekly XYZ 06:00"}, "recurrence", "inconnu"),
    ({"priority": "haute"}, "priority", "champ inconnu"),
])
def test_invalid_commands_are_refused_precisely_in_french(db, registry, world, data, field,
                                                          fragment):
    a = world["a"]
    if data.get("asset_id") in ("site", "bare"):
        data = data | {"asset_id": a[data["asset_id"]]}
    with pytest.raises(Invalid) as info:
        create(db, registry, a, **data)
    errors = {e["field"]: e["message"] for e in info.value.errors}
    assert field in errors and fragment in errors[field], errors
    with db.read() as conn:
        assert conn.execute(select(schema.commands)).first() is None


def test_other_tenants_asset_is_not_found(db, registry, world):
    with pytest.raises(Invalid) as info:
        create(db, registry, world["a"], asset_id=world["b"]["cabinet"])
    assert "introuvable" in info.value.errors[0]["message"]


def test_viewer_cannot_create_nor_cancel(db, registry, world):
    a = world["a"]
    with pytest.raises(Forbidden) as info:
        create(db, registry, a, user="viewer")
    assert "élu / lecteur" in info.value.detail
    row = create(db, registry, a)
    with db.write() as conn, pytest.raises(Forbidden):
        commands.cancel_command(as_user(db, conn, a["tenant"], a["viewer"]), conn, row.id)
    with db.read() as conn:  # but may follow it
        scope = as_user(db, conn, a["tenant"], a["viewer"])
        assert [r.id for r in commands.list_commands(scope, conn)] == [row.id]


def test_other_tenant_and_other_communes_cannot_see(db, registry, world):
    a, b = world["a"], world["b"]
    row = create(db, registry, a)
    with db.read() as conn:
        with pytest.raises(NotFound):  # B's agent addressing A
            open_scope(db, conn, load_principal(conn, b["agent"]), a["tenant"])
        b_scope = as_user(db, conn, b["tenant"], b["agent"])
        assert commands.list_commands(b_scope, conn) == []
        with pytest.raises(NotFound):  # A's command id smuggled into B's scope
            commands.get_command(b_scope, conn, row.id)
        far = as_user(db, conn, a["tenant"], a["far"])  # agent of another commune of A
        assert commands.list_commands(far, conn) == []
        with pytest.raises(NotFound):
            commands.get_command(far, conn, row.id)
    with db.write() as conn, pytest.raises(NotFound):
        commands.cancel_command(as_user(db, conn, b["tenant"], b["agent"]), conn, row.id)
    assert load(db, a, row.id).status == "requested"


def test_list_filters_by_asset_and_status(db, registry, world):
    a = world["a"]
    first = create(db, registry, a)
    second = create(db, registry, a, action="lighting.switch", params={"state": "off"})
    force(db, a, first.id, status="sent")
    with db.read() as conn:
        scope = as_user(db, conn, a["tenant"], a["agent"])
        assert [r.id for r in commands.list_commands(scope, conn)] == [second.id, first.id]
        assert [r.id for r in commands.list_commands(scope, conn, status="sent")] == [first.id]
        assert commands.list_commands(scope, conn, asset_id=a["site"]) == []
        with pytest.raises(Invalid) as info:
            commands.list_commands(scope, conn, status="pending")
        assert "inconnu" in info.value.detail


# -- transitions on stored commands --------------------------------------------------------------
def test_send_then_acknowledge_timestamps_and_audits(db, registry, world):
    a = world["a"]
    row = create(db, registry, a)
    t0 = row.created_at + 1000
    with db.write() as conn:
        sent = commands.mark_sent(db, conn, row, t0, channel="mqtt", correlation="x")
        assert (sent.status, sent.sent_at, sent.channel, sent.correlation) == ("sent", t0, "mqtt",
                                                                                "x")
        done = commands.mark_acknowledged(db, conn, sent, t0 + 500)
    assert (done.status, done.acknowledged_at, done.finished_at) == ("acknowledged", t0 + 500,
                                                                     t0 + 500)
    trail = audit_of(db, a, row.id)
    assert [x[0] for x in trail] == ["create", "send", "acknowledge"]
    assert trail[1][1] is None and trail[1][2]["actor"] == "dispatcher"
    assert trail[2][2] == {"from": "sent", "to": "acknowledged", "actor": "device"}


@pytest.mark.parametrize("status", FINISHED)
def test_finished_commands_refuse_every_stored_transition(db, registry, world, status):
    a = world["a"]
    row = force(db, a, create(db, registry, a).id, status=status, finished_at=1)
    with db.write() as conn:
        for call in (lambda: commands.mark_sent(db, conn, row, 2, channel="mqtt"),
                     lambda: commands.mark_acknowledged(db, conn, row, 2),
                     lambda: commands.mark_failed(db, conn, row, 2, "x")):
            with pytest.raises(InvalidTransition):
                call()
    assert load(db, a, row.id) == row
    assert commands.expire_due(db, row.expires_at + 1) == 0


def test_a_concurrent_change_wins_over_a_stale_row(db, registry, world):
    a = world["a"]
    stale = create(db, registry, a)
    force(db, a, stale.id, status="sent")
    with db.write() as conn, pytest.raises(InvalidTransition) as info:
        commands.mark_sent(db, conn, stale, stale.created_at, channel="mqtt")
    assert "entre-temps" in info.value.detail


def test_failures_retry_with_exponential_backoff_then_fail(db, registry, world):
    a = world["a"]
    row = create(db, registry, a)
    now = row.created_at
    delays = []
    for attempt in (1, 2, 3):
        [claimed] = commands.claim_due(db, now)
        assert claimed.attempts == attempt
        assert commands.claim_due(db, now) == []  # leased: nobody else takes it
        with db.write() as conn:
            after = commands.mark_failed(db, conn, claimed, now, "serveur indisponible")
        if attempt < 3:
            assert after.status == "requested" and after.error == "serveur indisponible"
            delays.append(after.next_attempt_at - now)
            assert commands.claim_due(db, after.next_attempt_at - 1) == []
            now = after.next_attempt_at
    assert delays == [30_000, 60_000]
    assert after.status == "failed" and after.finished_at == now
    assert after.error == "Échec après 3 tentatives : serveur indisponible"
    assert [x[0] for x in audit_of(db, a, row.id)] == ["create", "retry", "retry", "fail"]


def test_permanent_failure_does_not_retry(db, registry, world):
    a = world["a"]
    row = create(db, registry, a)
    [claimed] = commands.claim_due(db, row.created_at)
    with db.write() as conn:
        after = commands.mark_failed(db, conn, claimed, row.created_at, "clé refusée",
                                     retryable=False)
    assert (after.status, after.error, after.attempts) == ("failed", "clé refusée", 1)


def test_a_sender_that_died_on_the_last_attempt_leaves_a_failed_command(db, registry, world):
    a = world["a"]
    row = force(db, a, create(db, registry, a).id, attempts=3)
    assert commands.claim_due(db, row.created_at) == []
    after = load(db, a, row.id)
    assert after.status == "failed" and "Échec après 3 tentatives" in after.error


# -- expiry ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("status, fragment", [
    ("requested", "non transmise"),
    ("sent", "Aucun acquittement de l'équipement"),
])
def test_pending_commands_expire_with_a_french_error(db, registry, world, status, fragment):
    a = world["a"]
    row = force(db, a, create(db, registry, a).id, status=status)
    assert commands.expire_due(db, row.expires_at - 1) == 0
    assert commands.expire_due(db, row.expires_at) == 1
    after = load(db, a, row.id)
    assert after.status == "expired" and after.finished_at == row.expires_at
    assert fragment in after.error
    assert audit_of(db, a, row.id)[-1][0] == "expire"


def test_expiry_keeps_the_last_transport_error(db, registry, world):
    a = world["a"]
    row = force(db, a, create(db, registry, a).id, error="ChirpStack indisponible (HTTP 503).")
    commands.expire_due(db, row.expires_at)
    assert load(db, a, row.id).error.endswith("Dernière erreur : ChirpStack indisponible (HTTP 503).")


# -- cancel ----------------------------------------------------------------------------------------
def test_cancel_rules(db, registry, world):
    a = world["a"]
    future = datetime.fromtimestamp(now_ms() / 1000 + 86_400, tz=UTC).isoformat()
    scheduled = create(db, registry, a, not_before=future)
    requested = create(db, registry, a)
    sent = force(db, a, create(db, registry, a).id, status="sent")
    done = force(db, a, create(db, registry, a).id, status="acknowledged")
    with db.write() as conn:
        scope = as_user(db, conn, a["tenant"], a["agent"])
        first = commands.cancel_command(scope, conn, scheduled.id, "travaux")
        second = commands.cancel_command(scope, conn, requested.id)
        with pytest.raises(InvalidTransition) as refused_sent:
            commands.cancel_command(scope, conn, sent.id)
        with pytest.raises(InvalidTransition) as refused_done:
            commands.cancel_command(scope, conn, done.id)
    assert (first.status, first.error) == ("cancelled", "Annulée : travaux")
    assert first.finished_at is not None and second.status == "cancelled"
    assert "déjà été transmise" in refused_sent.value.detail
    assert "déjà acquittée" in refused_done.value.detail
    assert load(db, a, sent.id).status == "sent"
    action, user_id, details = audit_of(db, a, scheduled.id)[-1]
    assert (action, user_id, details["reason"]) == ("cancel", a["agent"], "travaux")


# -- schedules and recurrence ------------------------------------------------------------------------
def test_next_occurrence_keeps_local_time_across_dst():
    spring = parse_instant("2026-03-28T21:30:00+01:00")  # Saturday before the change
    sunday = next_occurrence("daily 21:30", spring, PARIS)
    assert sunday == parse_instant("2026-03-29T21:30:00+02:00")
    assert sunday - spring == 23 * 3_600_000
    autumn = parse_instant("2026-10-24T21:30:00+02:00")
    assert next_occurrence("daily 21:30", autumn, PARIS) - autumn == 25 * 3_600_000
    # 02:30 does not exist on 29 March 2026: it runs at 03:30 CEST.
    assert next_occurrence("daily 02:30", parse_instant("2026-03-29T00:00:00+01:00"),
                           PARIS) == parse_instant("2026-03-29T03:30:00+02:00")
    # 02:30 happens twice on 25 October 2026: the first one.
    assert next_occurrence("daily 02:30", parse_instant("2026-10-25T00:00:00+02:00"),
                           PARIS) == parse_instant("2026-10-25T02:30:00+02:00")


def test_weekly_recurrence_and_its_spellings():
    wednesday = parse_instant("2026-11-25T12:00:00+01:00")
    monday = parse_instant("2026-11-30T06:00:00+01:00")
    assert next_occurrence("weekly MON 06:00", wednesday, PARIS) == monday
    assert next_occurrence("weekly lun 6:00", wednesday, PARIS) == monday
    assert next_occurrence("weekly MON 06:00", monday, PARIS) == monday + 7 * 86_400_000
    assert next_occurrence("daily 12:00", wednesday, PARIS) == wednesday + 86_400_000
    assert commands.normalise_recurrence(" Weekly dim 7:05 ") == "weekly SUN 07:05"


def test_scheduled_command_waits_then_becomes_requested(db, registry, world):
    a = world["a"]
    at = now_ms() + 3_600_000
    row = create(db, registry, a, not_before=datetime.fromtimestamp(at / 1000, tz=UTC).isoformat())
    assert (row.status, row.not_before, row.next_attempt_at) == ("scheduled", at, at)
    assert row.expires_at == at + 3_600_000
    assert commands.claim_due(db, at) == []  # scheduled commands are never sent as they are
    assert commands.activate_due(db, at - 1) == 0
    assert commands.activate_due(db, at) == 1
    after = load(db, a, row.id)
    assert (after.status, after.next_attempt_at) == ("requested", at)
    with db.read() as conn:
        assert len(list(conn.execute(select(schema.commands)))) == 1  # not recurring


def test_recurring_command_creates_its_next_occurrence(db, registry, world):
    a = world["a"]
    row = create(db, registry, a, recurrence="daily 21:30")
    assert row.status == "scheduled" and row.recurrence == "daily 21:30"
    local = datetime.fromtimestamp(row.not_before / 1000, tz=PARIS)
    assert (local.hour, local.minute) == (21, 30) and row.not_before > row.created_at
    commands.activate_due(db, row.not_before)
    c = schema.commands
    with db.read() as conn:
        rows = list(conn.execute(select(c).order_by(c.c.id)))
    assert [r.status for r in rows] == ["requested", "scheduled"]
    nxt = rows[1]
    assert nxt.not_before == next_occurrence("daily 21:30", row.not_before, PARIS)
    assert (nxt.action, nxt.params, nxt.recurrence) == (row.action, row.params, row.recurrence)
    assert nxt.expires_at - nxt.not_before == 3_600_000
    assert nxt.requested_by == a["agent"]
    assert audit_of(db, a, nxt.id)[0][2]["actor"] == "schedule"
    # Cancelling the pending occurrence stops the series.
    with db.write() as conn:
        commands.cancel_command(as_user(db, conn, a["tenant"], a["agent"]), conn, nxt.id)
    commands.activate_due(db, nxt.not_before)
    with db.read() as conn:
        assert len(list(conn.execute(select(c)))) == 2


def test_a_missed_recurring_occurrence_expires_and_the_series_goes_on(db, registry, world):
    a = world["a"]
    row = create(db, registry, a, recurrence="weekly MON 06:00")
    late = row.expires_at + 10 * 86_400_000  # the dispatcher was down for ten days
    assert commands.expire_due(db, late) == 1
    assert load(db, a, row.id).status == "expired"
    c = schema.commands
    with db.read() as conn:
        nxt = conn.execute(select(c).where(c.c.status == "scheduled")).first()
    assert nxt.not_before == next_occurrence("weekly MON 06:00", late, PARIS)
    assert nxt.not_before > late


def test_recurrence_follows_the_tenant_time_zone(db, registry, world):
    a = world["a"]
    with db.write() as conn:
        tenants.update_tenant(open_scope(db, conn, CLI, a["tenant"]), conn,
                              {"settings": {"timezone": "America/Cayenne"}}, registry)
    row = create(db, registry, a, recurrence="daily 06:00")
    local = datetime.fromtimestamp(row.not_before / 1000, tz=ZoneInfo("America/Cayenne"))
    assert (local.hour, local.minute) == (6, 0)


# -- API ---------------------------------------------------------------------------------------------
def test_api_create_follow_and_cancel(client, db, registry, api_world):
    a, b = api_world["a"], api_world["b"]
    h = bearer(client, "agent@88383.fr", "password-123")
    base = f"/api/v1/tenants/{a['tenant']}/commands"
    created = client.post(base, headers=h, json={"asset_id": a["cabinet"],
                                                 "action": "lighting.switch",
                                                 "params": {"state": "on"}})
    assert created.status_code == 201, created.text
    doc = created.json()
    assert doc["status"] == "requested" and doc["action_label"] == "Allumer ou éteindre"
    assert doc["created_at"].endswith("Z") and doc["params"] == {"state": "on"}
    listed = client.get(f"{base}?asset_id={a['cabinet']}&status=requested", headers=h).json()
    assert [c["id"] for c in listed] == [doc["id"]]
    assert client.get(f"{base}/{doc['id']}", headers=h).json()["id"] == doc["id"]
    cancelled = client.post(f"{base}/{doc['id']}/cancel", headers=h)
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    again = client.post(f"{base}/{doc['id']}/cancel", headers=h, json={"reason": "x"})
    assert again.status_code == 409
    assert again.headers["content-type"] == "application/problem+json"
    bad = client.post(base, headers=h, json={"asset_id": a["cabinet"],
                                             "action": "lighting.set_dimming",
                                             "params": {"level": 101}})
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "params.level"
    # B's members see nothing of A, whichever path they take.
    hb = bearer(client, "agent@51237.fr", "password-123")
    assert client.get(base, headers=hb).status_code == 404
    b_base = f"/api/v1/tenants/{b['tenant']}/commands"
    assert client.get(f"{b_base}/{doc['id']}", headers=hb).status_code == 404
    assert client.post(f"{b_base}/{doc['id']}/cancel", headers=hb).status_code == 404
    assert client.get(b_base, headers=hb).json() == []
    hv = bearer(client, "viewer@88383.fr", "password-123")
    assert client.post(base, headers=hv, json={"asset_id": a["cabinet"],
                                               "action": "lighting.switch",
                                               "params": {"state": "on"}}).status_code == 403


def test_api_lists_the_declared_actions(client):
    actions = {a["key"]: a for a in client.get("/api/v1/commands/actions").json()}
    dimming = actions["lighting.set_dimming"]
    assert dimming["domain"] == "lighting" and dimming["encodings"] == ["lorawan"]
    assert dimming["asset_kinds"] == ["lighting.cabinet", "lighting.luminaire"]
    assert dimming["params"]["properties"]["level"] == {
        "type": "integer", "title": "Niveau de gradation", "x-unit": "%", "minimum": 0,
        "maximum": 100}
    assert actions["lighting.switch"]["params"]["properties"]["state"]["enum"] == ["on", "off"]
