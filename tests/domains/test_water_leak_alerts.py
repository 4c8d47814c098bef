"""The live leak detector on a small tenant: stacked leaks are alerts of their own (with the
sector's count and total), an alert keeps its identity while the onset estimate moves, the
sector's acoustic loggers back its open leak instead of raising alerts of their own, and a
« fuite probable » heard with no leak in the night flow is one alert on the sector."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import numpy as np
import orjson
import pytest
from sqlalchemy import select

from beffroi.core import importing, tenants
from beffroi.core.access import CLI, open_scope
from beffroi.core.alerting.detectors import run_detector
from beffroi.core.observations import store_rows
from beffroi.core.registry import load_registry
from beffroi.core.streams import ensure_stream
from beffroi.storage import schema

from .night_series import sector_flow, square

DAY = 86_400
PARIS = ZoneInfo("Europe/Paris")
T0 = datetime(2025, 9, 1, tzinfo=ZoneInfo("UTC")).timestamp()
KEY = "water.night_flow_leak"
ACOUSTIC = "water.acoustic_leak"


@pytest.fixture
def sector(db):
    """Sector A (inlet flow meter, two acoustic loggers) and sector B (inlet, one logger)."""
    registry = load_registry(["generic", "water"])
    point = {"type": "Point", "coordinates": [6.6, 48.005]}
    with db.write() as conn:
        tenant = tenants.create_tenant(db, conn, CLI, name="Syndicat", registry=registry)
        scope = open_scope(db, conn, CLI, tenant["id"])
        rows = [{"ref": f"SEC-{k}", "kind": "water.sector", "name": f"Secteur {k}",
                 "geometry": square(x), "properties": {"connections": 1000}}
                for k, x in (("A", 6.6), ("B", 6.7))]
        rows += [{"ref": f"CPT-{k}", "kind": "water.meter", "name": f"Entrée {k}",
                  "parent_ref": f"SEC-{k}", "geometry": point,
                  "properties": {"role": "sector_inlet"}} for k in "AB"]
        rows += [{"ref": ref, "kind": "water.acoustic_logger", "name": name,
                  "parent_ref": parent, "geometry": point}
                 for ref, name, parent in (("ACO-1", "Prélocalisateur rue Haute", "SEC-A"),
                                           ("ACO-2", "Prélocalisateur église", "SEC-A"),
                                           ("ACO-3", "Prélocalisateur stade", "SEC-B"))]
        report = importing.import_assets(scope, conn, registry, rows)
        assert not report.errors, report.errors
        a = schema.assets
        ids = {r.ref: r.id for r in conn.execute(select(a.c.ref, a.c.id))}
        streams = {ref: ensure_stream(scope, conn, registry, ids[ref], metric) for ref, metric in (
            ("CPT-A", "water.flow"), ("CPT-B", "water.flow"), ("ACO-1", "water.leak_alarm"),
            ("ACO-2", "water.leak_alarm"), ("ACO-3", "water.leak_alarm"))}

    def store(ref: str, t: np.ndarray, values: np.ndarray) -> None:
        with db.write() as conn:
            scope = open_scope(db, conn, CLI, tenant["id"])
            store_rows(scope, conn, [(tenant["id"], streams[ref], int(ti * 1000),
                                      round(float(v), 3), 0)
                                     for ti, v in zip(t, values, strict=True)], PARIS)

    def alerts(detector: str = KEY):
        al = schema.alerts
        with db.read() as conn:
            return [(r.asset_id, r.status, r.key, orjson.loads(r.details), r.title)
                    for r in conn.execute(select(al).where(al.c.detector == detector)
                                          .order_by(al.c.id))]

    def run(at: float) -> None:
        for key in (KEY, ACOUSTIC):
            assert run_detector(db, registry, tenant["id"], key, int(at * 1000)) == "ok"

    def events(kind: str) -> list[tuple[int, dict]]:
        """(alert id, details) of the events of ``kind`` on the leak alerts, oldest first."""
        e, al = schema.alert_events, schema.alerts
        with db.read() as conn:
            return [(r.alert_id, orjson.loads(r.details)) for r in conn.execute(
                select(e.c.alert_id, e.c.details).join(al, al.c.id == e.c.alert_id)
                .where(e.c.kind == kind, al.c.detector == KEY).order_by(e.c.id))]

    return {"store": store, "alerts": alerts, "run": run, "ids": ids, "events": events,
            "db": db}


def test_stacked_leaks_are_alerts_of_their_own_with_the_sector_total(sector):
    end = T0 + 120 * DAY
    t = np.arange(T0, end, 900.0)
    first, second = T0 + 60.4 * DAY, T0 + 95.4 * DAY
    inlet = (sector_flow(t, 1, 10.0) + np.where(t >= first, 2.0, 0.0)
             + np.where(t >= second, 1.5, 0.0))
    sector["store"]("CPT-A", t, inlet)
    sector["store"]("CPT-B", t, sector_flow(t, 2, 6.0))
    sector["run"](T0 + 80 * DAY)  # the first leak only
    (_, status, key1, details, _), = sector["alerts"]()
    assert status == "open" and details["open_leaks_in_sector"] == 1
    sector["run"](end - 3600)
    found = sector["alerts"]()
    assert [a[1] for a in found] == ["open", "open"]
    assert found[0][2] == key1  # the first leak's alert is the same one, still open
    a, b = (f[3] for f in found)
    assert abs(datetime.fromisoformat(a["onset"]).timestamp() - first) <= 1.5 * DAY
    assert abs(datetime.fromisoformat(b["onset"]).timestamp() - second) <= 1.5 * DAY
    assert a["extra_flow_m3h"] == pytest.approx(2.0, rel=0.3)
    assert b["extra_flow_m3h"] == pytest.approx(1.5, rel=0.3)
    for d in (a, b):
        assert d["open_leaks_in_sector"] == 2
        assert d["sector_extra_flow_m3h"] == pytest.approx(
            a["extra_flow_m3h"] + b["extra_flow_m3h"], abs=0.02)
        assert d["confidence"] == "medium" and "acoustic_alarms" not in d
        assert d["repair_status"] == "none"
    assert b["lost_m3"] == pytest.approx(1.5 * (end - second) / 3600, rel=0.3)
    assert a["lost_m3"] == pytest.approx(2.0 * (end - first) / 3600, rel=0.3)


def test_an_open_leak_back_near_its_reference_asks_the_operator_to_settle_it(sector):
    # Two leaks grow together from days 60.4 and 70.4 (1.5 m³/h each over 40 days), found
    # as one; 1 m³/h comes on top on day 150.4. On day 200.4 one of the first two is
    # repaired and nobody records it: the night flow falls back to the third one's
    # reference, which no leak's step tells apart (the third still runs). Nothing ends; the
    # alert on top says since when the night flow is back there and asks for the record.
    end = T0 + 240 * DAY
    t = np.arange(T0, end, 900.0)
    day = (t - T0) / DAY

    def ramp(start: float) -> np.ndarray:
        return 1.5 * np.clip((day - start) / 40, 0, 1)

    sector["store"]("CPT-A", t, sector_flow(t, 1, 10.0) + ramp(60.4) * (day < 200.4)
                    + ramp(70.4) + np.where(day >= 150.4, 1.0, 0.0))
    sector["store"]("CPT-B", t, sector_flow(t, 2, 6.0))
    sector["run"](T0 + 195 * DAY)  # before the repair: two leaks, nothing to settle
    assert [(a[1], a[3]["repair_status"]) for a in sector["alerts"]()] == [
        ("open", "none"), ("open", "none")]
    assert not any("back_near_reference_since" in a[3] for a in sector["alerts"]())
    sector["run"](end - 3600)
    (_, s1, _, below, _), (_, s2, _, top, title) = sector["alerts"]()
    assert (s1, s2) == ("open", "open")
    assert below["repair_status"] == "none" and "back_near_reference_since" not in below
    assert top["repair_status"] == "back"
    back = datetime.fromisoformat(top["back_near_reference_since"]).timestamp()
    assert T0 + 200.4 * DAY <= back <= T0 + 202.4 * DAY  # its first night back
    assert title.startswith("Fuite à confirmer — Secteur A : fuite du ")
    assert "sans réparation consignée" in title
    # People are told once (the detector declares « à confirmer » worth telling); the alert
    # below, updated too, and the next runs stay quiet.
    top_id = _alert_ids(sector)[1]
    assert [(i, d["notify"], d["changed"]) for i, d in sector["events"]("changed")] == [
        (top_id, True, ["repair_status"])]
    sector["run"](end - 1800)
    assert len(sector["events"]("changed")) == 1


def _alert_ids(sector) -> list[int]:
    al = schema.alerts
    with sector["db"].read() as conn:
        return [r.id for r in conn.execute(select(al.c.id).where(al.c.detector == KEY)
                                           .order_by(al.c.id))]


def test_acoustic_alarms_back_the_open_leak_instead_of_alerts_of_their_own(sector):
    end = T0 + 90 * DAY
    t = np.arange(T0, end, 900.0)
    onset = T0 + 70.4 * DAY
    sector["store"]("CPT-A", t, sector_flow(t, 1, 10.0) + np.where(t >= onset, 2.0, 0.0))
    sector["store"]("CPT-B", t, sector_flow(t, 2, 6.0))
    nights = np.arange(T0 + 2 * 3600, end, DAY)
    sector["store"]("ACO-1", nights, np.where(nights >= onset, 2, 0))
    sector["store"]("ACO-2", nights, np.where(nights >= onset, 1, 0))
    sector["store"]("ACO-3", nights, np.zeros(len(nights)))
    sector["run"](end - 3600)
    (asset, status, _, details, _), = sector["alerts"]()  # one alert: the leak
    assert sector["alerts"](ACOUSTIC) == []  # the loggers' alarms raise none of their own
    assert asset == sector["ids"]["SEC-A"] and status == "open"
    assert details["confidence"] == "high"
    assert details["acoustic_alarms"] == ["Prélocalisateur rue Haute (fuite probable)",
                                          "Prélocalisateur église (fuite possible)"]


def test_a_probable_leak_heard_with_no_leak_in_the_night_flow_is_one_sector_alert(sector):
    end = T0 + 90 * DAY
    t = np.arange(T0, end, 900.0)
    sector["store"]("CPT-A", t, sector_flow(t, 1, 10.0))
    sector["store"]("CPT-B", t, sector_flow(t, 2, 6.0))
    nights = np.arange(T0 + 2 * 3600, end, DAY)
    sector["store"]("ACO-3", nights, np.where(nights >= end - 5 * DAY, 2, 0))
    sector["store"]("ACO-1", nights, np.where(nights >= end - 5 * DAY, 1, 0))  # possible only
    sector["run"](end - 3600)
    assert sector["alerts"]() == []
    (asset, status, key, details, title), = sector["alerts"](ACOUSTIC)
    assert asset == sector["ids"]["SEC-B"] and status == "open"
    assert details["acoustic_alarms"] == ["Prélocalisateur stade (fuite probable)"]
    assert title.startswith("Bruit de fuite — Secteur B")
    # An old alarm (the logger silent for a week since) backs nothing.
    sector["store"]("ACO-3", nights[-1:] + 8 * DAY, np.array([0]))
    sector["run"](end + 8 * DAY)
    assert [a[1] for a in sector["alerts"](ACOUSTIC)] == ["resolved"]


def test_a_confirmed_repair_resolves_the_alert_with_the_loss_up_to_the_repair(sector, db):
    from beffroi.domains.water.night_flow_routes import sector_night_flow

    registry = load_registry(["generic", "water"])
    onset = T0 + 60.4 * DAY
    repaired_on = datetime(2025, 11, 10, tzinfo=PARIS)  # day 70 (local midnight)
    repaired = repaired_on.timestamp()
    end = T0 + 90 * DAY
    t = np.arange(T0, end, 900.0)
    leak = np.where((t >= onset) & (t < repaired + 10 * 3600), 2.0, 0.0)  # fixed that day
    sector["store"]("CPT-A", t, sector_flow(t, 1, 10.0) + leak)
    sector["store"]("CPT-B", t, sector_flow(t, 2, 6.0))
    sector["run"](repaired - 3600)
    (_, status, key, details, _), = sector["alerts"]()
    assert status == "open"
    _record_repair(db, registry, key, repaired_on)
    sector["run"](repaired + 3 * DAY)  # three nights after: not confirmed yet
    (_, status, _, details, _), = sector["alerts"]()
    assert status == "acknowledged" and details["repair_status"] == "awaiting"
    sector["run"](repaired + 8 * DAY)  # the five nights after confirm it
    (_, status, _, details, title), = sector["alerts"]()
    assert status == "resolved" and details["repair_status"] == "confirmed"
    assert title.startswith("Fuite terminée — Secteur A : +2")
    assert details["extra_flow_m3h"] == pytest.approx(2.0, rel=0.3)
    assert details["lost_m3"] == pytest.approx(2.0 * (repaired - onset) / 3600, rel=0.25)
    with db.read() as conn:  # the sector's chart tells a repaired leak
        scope = open_scope(db, conn, CLI, next(iter(_tenants(db))))
        chart = sector_night_flow(db, scope, conn, registry, sector["ids"]["SEC-A"], 60,
                                  now=int((repaired + 8 * DAY) * 1000))
    item, = chart["leaks"]
    assert item["ended_by"] == "repair" and not item["active"] and not item["no_leak_found"]


def test_a_repair_that_stops_a_part_of_the_flow_tells_how_much_fell(sector, db):
    # Two leaks from the same days, one alert of 3 m³/h: the repair stops 1 m³/h of it.
    # The alert stays (« fuite persistante »), says how far the night flow fell after the
    # repair and that another leak goes on; its flow is what still leaks.
    registry = load_registry(["generic", "water"])
    onset = T0 + 60.4 * DAY
    repaired_on = datetime(2025, 11, 10, tzinfo=PARIS)  # day 70 (local midnight)
    repaired = repaired_on.timestamp()
    t = np.arange(T0, T0 + 90 * DAY, 900.0)
    leaks = np.where(t >= onset, 2.0, 0.0) + np.where(
        (t >= onset) & (t < repaired + 10 * 3600), 1.0, 0.0)  # the one fixed that day
    sector["store"]("CPT-A", t, sector_flow(t, 1, 10.0) + leaks)
    sector["store"]("CPT-B", t, sector_flow(t, 2, 6.0))
    sector["run"](repaired - 3600)
    (_, _, key, details, _), = sector["alerts"]()
    assert details["extra_flow_m3h"] == pytest.approx(3.0, rel=0.2)
    _record_repair(db, registry, key, repaired_on)
    sector["run"](repaired + 8 * DAY)
    (_, status, _, details, title), = sector["alerts"]()
    assert status == "acknowledged" and details["repair_status"] == "refuted"
    assert details["repair_drop_m3h"] == pytest.approx(1.0, abs=0.3)
    assert details["extra_flow_m3h"] == pytest.approx(2.0, rel=0.2)
    drop = f"{details['repair_drop_m3h']:.1f}".replace(".", ",")
    assert title.startswith("Fuite persistante après réparation — Secteur A : +2")
    assert title.endswith(f"; après la réparation du 10/11/2025, le débit de nuit n'a baissé "
                          f"que de {drop} m³/h (une autre fuite ?)"), title


def test_a_second_repair_that_is_confirmed_drops_the_first_repairs_fall(sector, db):
    # As above, then the leak that went on is repaired too and its nights confirm it: the
    # ended alert tells that repair, and no longer the fall after the first one (under its
    # label « Baisse du débit de nuit après la réparation » it would read as about the
    # confirmed repair). The alert's latest « réparée » is the repair the detector reads.
    registry = load_registry(["generic", "water"])
    onset = T0 + 60.4 * DAY
    first_on = datetime(2025, 11, 10, tzinfo=PARIS)  # day 70 (local midnight)
    second_on = datetime(2025, 11, 25, tzinfo=PARIS)  # day 85
    first, second = first_on.timestamp(), second_on.timestamp()
    t = np.arange(T0, T0 + 100 * DAY, 900.0)
    leaks = np.where((t >= onset) & (t < second + 10 * 3600), 2.0, 0.0) + np.where(
        (t >= onset) & (t < first + 10 * 3600), 1.0, 0.0)
    sector["store"]("CPT-A", t, sector_flow(t, 1, 10.0) + leaks)
    sector["store"]("CPT-B", t, sector_flow(t, 2, 6.0))
    sector["run"](first - 3600)
    (_, _, key, _, _), = sector["alerts"]()
    _record_repair(db, registry, key, first_on)
    sector["run"](first + 8 * DAY)
    (_, _, _, details, _), = sector["alerts"]()
    assert details["repair_status"] == "refuted" and "repair_drop_m3h" in details
    _record_repair(db, registry, key, second_on)
    sector["run"](second + 8 * DAY)
    (_, status, _, details, title), = sector["alerts"]()
    assert status == "resolved" and details["repair_status"] == "confirmed"
    assert "repair_drop_m3h" not in details
    assert title.startswith("Fuite terminée — Secteur A : +") and "25/11/2025" in title


def test_a_rise_searched_without_finding_a_leak_is_resolved_and_not_raised_again(sector,
                                                                                   db):
    from beffroi.core.alerting.interventions import record_intervention
    from beffroi.domains.water.night_flow_routes import sector_night_flow

    registry = load_registry(["generic", "water"])
    rise, leak = T0 + 60.4 * DAY, T0 + 95.4 * DAY
    end = T0 + 120 * DAY
    t = np.arange(T0, end, 900.0)
    # A rise of 2 m³/h that is a legitimate use (a new night user), then a true leak of
    # 3 m³/h on top of it.
    inlet = (sector_flow(t, 1, 10.0) + np.where(t >= rise, 2.0, 0.0)
             + np.where(t >= leak, 3.0, 0.0))
    sector["store"]("CPT-A", t, inlet)
    sector["store"]("CPT-B", t, sector_flow(t, 2, 6.0))
    sector["run"](T0 + 80 * DAY)
    (_, status, key, details, _), = sector["alerts"]()
    assert status == "open" and details["lost_m3"] > 0
    searched = datetime.fromtimestamp(T0 + 81 * DAY, PARIS)
    with db.write() as conn:
        scope = open_scope(db, conn, CLI, next(iter(_tenants(db))))
        record_intervention(scope, conn, registry, _alert_id(db, key), {
            "step": "no_leak_found", "at": searched.isoformat()})
    sector["run"](T0 + 82 * DAY)
    (_, status, _, details, title), = sector["alerts"]()
    assert status == "resolved" and details["repair_status"] == "no_leak"
    assert (details["lost_m3"], details["lost_eur"]) == (0, 0)
    assert title.startswith("Aucune fuite trouvée — Secteur A : hausse de +")
    assert title.endswith("m³/h la nuit depuis le 31/10/2025, tenue pour un usage légitime")
    assert details["extra_flow_m3h"] == pytest.approx(2.0, rel=0.3)
    sector["run"](T0 + 90 * DAY)  # the rise is still there: not raised again
    assert [a[1] for a in sector["alerts"]()] == ["resolved"]
    with db.read() as conn:  # the sector's chart says so too
        scope = open_scope(db, conn, CLI, next(iter(_tenants(db))))
        chart = sector_night_flow(db, scope, conn, registry, sector["ids"]["SEC-A"], 60,
                                  now=int((T0 + 90 * DAY) * 1000))
    item, = chart["leaks"]
    assert item["no_leak_found"] and not item["active"]
    assert (item["lost_m3"], item["lost_eur"]) == (0, 0)
    sector["run"](end - 3600)  # the leak on top of it is an alert of its own
    (_, first, _, _, _), (_, status, _, details, _) = sector["alerts"]()
    assert first == "resolved" and status == "open"
    assert abs(datetime.fromisoformat(details["onset"]).timestamp() - leak) <= 1.5 * DAY
    assert details["extra_flow_m3h"] == pytest.approx(3.0, rel=0.3)
    assert details["open_leaks_in_sector"] == 1  # the searched rise is not a leak
    assert details["sector_extra_flow_m3h"] == details["extra_flow_m3h"]


def _record_repair(db, registry, key: str, day: datetime) -> None:
    """« Réparée » on the alert ``key``: the repair done on ``day``, entered at noon."""
    from beffroi.core.alerting.interventions import record_intervention

    with db.write() as conn:
        scope = open_scope(db, conn, CLI, next(iter(_tenants(db))))
        record_intervention(scope, conn, registry, _alert_id(db, key), {
            "step": "repaired", "repaired_on": day.date().isoformat(),
            "at": datetime.fromtimestamp(day.timestamp() + 12 * 3600, PARIS).isoformat()})


def _alert_id(db, key: str) -> int:
    al = schema.alerts
    with db.read() as conn:
        return conn.execute(select(al.c.id).where(al.c.key == key)).scalar_one()


def _tenants(db) -> list[int]:
    with db.read() as conn:
        return [r.id for r in conn.execute(select(schema.tenants.c.id))]


def test_a_declared_watering_season_raises_no_alert_where_the_same_watering_undeclared_does(
        sector, db):
    from beffroi.domains.water.exceptional_uses import add_use

    # Both sectors water their gardens every night from day 30 to day 90 (the whole night,
    # 2 m³/h), but the eleventh (rain); sector A's operator declared it as a seasonal use.
    end = T0 + 100 * DAY
    t = np.arange(T0, end, 900.0)
    day = np.floor((t - T0) / DAY)
    hour = (t - T0) / 3600 % 24
    watering = 2.0 * ((day >= 30) & (day < 90) & ((day - 30) % 11 != 10)
                      & (hour < 6))
    sector["store"]("CPT-A", t, sector_flow(t, 1, 10.0) + watering)
    sector["store"]("CPT-B", t, sector_flow(t, 2, 10.0) + watering)
    registry = load_registry(["generic", "water"])
    with db.write() as conn:
        scope = open_scope(db, conn, CLI, next(iter(_tenants(db))))
        answer = add_use(scope, conn, registry, sector["ids"]["SEC-A"], {
            "start": "2025-09-30", "end": "2025-11-30", "label": "Arrosage des jardins",
            "yearly": True})
        assert answer["use"]["yearly"] is True
    sector["run"](T0 + 60 * DAY)  # mid-season
    raised = sector["alerts"]()
    assert [(asset, status) for asset, status, *_ in raised] == [
        (sector["ids"]["SEC-B"], "open")]
    sector["run"](end - 3600)  # (B's « leak » gone when the watering stopped)
    assert [(asset, status) for asset, status, *_ in sector["alerts"]()] == [
        (sector["ids"]["SEC-B"], "resolved")]
