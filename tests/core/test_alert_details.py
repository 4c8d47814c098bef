"""Issue #13: alert details carry French labels, units and local times. Core's rules declare
every detail key they write (``RULE_DETAILS``); the API and the e-mails show them through
one formatter; a key nobody declared is still shown under its raw name."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import orjson
import pytest
from sqlalchemy import select

from beffroi.core import assets, observations, streams, tenants, users
from beffroi.core.access import CLI, open_scope
from beffroi.core.alerting import rules
from beffroi.core.alerting.details import DetailField, details_display
from beffroi.core.alerting.detectors import Detector
from beffroi.core.alerting.evaluation import RULE_DETAILS, check_no_data
from beffroi.core.clock import format_instant
from beffroi.core.registry import Domain, RegistryError, build_registry
from beffroi.storage import schema
from suite_accounts import bearer

# 29 March 2026 at 00:00 UTC: Paris changes to summer time at 01:00 UTC that night.
BASE = int(datetime(2026, 3, 29, 0, 0, tzinfo=UTC).timestamp() * 1000)
MIN = 60_000
PARIS = ZoneInfo("Europe/Paris")


def at(minutes: float) -> int:
    return BASE + int(minutes * MIN)


@pytest.fixture
def site(db, registry):
    with db.write() as conn:
        t = tenants.create_tenant(db, conn, CLI, name="CC des essais", registry=registry)
        scope = open_scope(db, conn, CLI, t["id"])
        tenants.create_commune(scope, conn, {"insee": "88383", "name": "Remiremont"})
        asset = assets.create_asset(scope, conn, registry, {
            "ref": "SITE", "kind": "generic.site", "name": "Site", "commune": "88383",
            "geometry": {"type": "Point", "coordinates": [6.6, 48.0]}})
        made = {m: streams.create_stream(scope, conn, registry, {
            "asset_id": asset.id, "metric": m}).id
            for m in ("generic.value", "generic.temperature", "generic.state")}
        users.add_member(scope, conn, {"email": "agent@cc.fr", "role": "agent",
                                       "password": "password-123"})
    return {"tenant": t["id"], "streams": made}


def _rule(db, registry, site, metric, **body):
    with db.write() as conn:
        rules.create_rule(open_scope(db, conn, CLI, site["tenant"]), conn, registry,
                          {"name": body.pop("name", metric), "stream_id": site["streams"][metric],
                           "severity": "warning", **body})


def _feed(db, registry, site, metric, points):
    with db.write() as conn:
        report = observations.ingest(open_scope(db, conn, CLI, site["tenant"]), conn, registry, [
            {"stream_id": site["streams"][metric], "time": format_instant(at(m)), "value": v}
            for m, v in points])
    assert not report.rejected


def test_every_rule_kind_writes_declared_details_shown_in_french(db, registry, site, client):
    _rule(db, registry, site, "generic.temperature", kind="threshold", name="Chaleur",
          params={"operator": "above", "value": 30.0, "min_duration_s": 600})
    _rule(db, registry, site, "generic.value", kind="rate_of_change", name="Montée",
          params={"direction": "rise", "amount": 0.1, "window_s": 3600})
    _rule(db, registry, site, "generic.state", kind="state_change", name="Arrêt",
          params={"states": [0]})
    _rule(db, registry, site, "generic.value", kind="no_data", name="Silence",
          params={"after_s": 5400})
    _feed(db, registry, site, "generic.temperature", [(0, 29.0), (50, 31.5), (70, 32.25)])
    _feed(db, registry, site, "generic.value", [(0, 1.0), (30, 1.05), (60, 1.2)])
    _feed(db, registry, site, "generic.state", [(0, 1), (20, 0)])
    assert check_no_data(db, registry, at(60 + 91)) == 1
    al = schema.alerts
    with db.read() as conn:
        found = {r.title.split(" — ")[0]: orjson.loads(r.details)
                 for r in conn.execute(select(al).where(al.c.tenant_id == site["tenant"]))}
    assert set(found) == {"Chaleur", "Montée", "Arrêt", "Silence"}
    declared = {f.key for f in RULE_DETAILS}
    for title, details in found.items():
        assert set(details) <= declared, (title, set(details) - declared)
        shown = details_display(registry, details, None, 1, PARIS)
        assert all(d["label"] != d["key"] for d in shown), shown  # no raw key left

    h = bearer(client, "agent@cc.fr", "password-123")
    listed = client.get(f"/api/v1/tenants/{site['tenant']}/alerts", headers=h).json()
    by = {a["title"].split(" — ")[0]: {d["label"]: d["text"] for d in a["details_display"]}
          for a in listed}
    # 31.5 °C crossed 30 at 00:50 UTC (01:50 Paris, winter time) and held 10 minutes: the
    # alert is raised at 01:10 UTC, 03:10 in Paris, summer time.
    assert by["Chaleur"] == {
        "Mesure": "Température", "Valeur mesurée": "32,25\u00a0°C",
        "Instant de la mesure": "29/03/2026 03:10", "Seuil franchi": "au-dessus du seuil",
        "Seuil": "30\u00a0°C", "Seuil franchi depuis": "29/03/2026 01:50"}
    assert by["Montée"]["Sens de la variation"] == "hausse"
    assert by["Montée"]["Sur une durée de"] == "1\u00a0h"
    assert by["Montée"]["Variation"] == "0,2"  # generic.value has no unit
    assert by["Arrêt"]["État mesuré"] == "arrêt"
    assert by["Silence"]["Silence admis"] == "1\u00a0h 30\u00a0min"
    assert by["Silence"]["Dernière mesure reçue"] == "29/03/2026 03:00"
    assert "unit" not in {d["key"] for a in listed for d in a["details_display"]}
    # The meaning of each key is published for API clients.
    published = client.get("/api/v1/alert-rules/details").json()
    assert {d["key"] for d in published} == declared
    assert next(d for d in published if d["key"] == "since")["kind"] == "instant"


def test_undeclared_keys_are_shown_raw_and_declarations_are_checked(registry):
    shown = details_display(registry, {"value": 2.5, "surprise": [1, 2.5], "note": "x"},
                            None, 7, PARIS)
    assert [(d["label"], d["text"]) for d in shown] == [
        ("Valeur mesurée", "2,5"), ("surprise", "1, 2,5"), ("note", "x")]
    # Declarations are checked at registration: a key twice, an unknown kind.
    with pytest.raises(RegistryError, match=r"détail « a » déclaré deux fois"):
        build_registry([Domain("x", "X", detectors=(Detector(
            "x.y", "X", 60, lambda ctx: [], details=(DetailField("a", "A"),
                                                     DetailField("a", "B"))),))])
    with pytest.raises(RegistryError, match=r"details\[0\]\.kind.*'colour'"):
        build_registry([Domain("x", "X", detectors=(Detector(
            "x.y", "X", 60, lambda ctx: [], details=(DetailField("a", "A", "colour"),)),))])
