"""The waste domain through Beffroi's API, on both backends: containers declared, distances
posted, fill levels derived by core, the round suggestion and the dashboard's list at a
pinned instant, alerts of the full-container and fire detectors and their resolution, the
settings that tune them. Readings are dated in October 2025: always in the past, whatever
the date the suite runs at, and every expected value is computed from them by hand."""

from __future__ import annotations

import statistics
from datetime import datetime

import pytest

from beffroi.core.alerting.detectors import run_detectors

HEIGHT = 1.8
AT = "2025-10-08T08:00:00+02:00"  # a Wednesday
MON = "2025-10-06"


def ms(text: str) -> int:
    return int(datetime.fromisoformat(text).timestamp() * 1000)


def distance(fill: float, height: float = HEIGHT) -> float:
    return round(height * (1 - fill / 100), 6)


def create(client, territory, body) -> int:
    answer = client.post(f"{territory['base']}/assets", headers=territory["headers"], json={
        "geometry": {"type": "Point", "coordinates": [6.6, 48.02]}, **body})
    assert answer.status_code == 201, answer.text
    return answer.json()["id"]


def container(client, territory, ref, stream, *, parent=None, commune="88383", height=HEIGHT,
              days=None) -> int:
    props = {"waste_stream": stream, "volume_l": 4000, "height_m": height}
    if days is not None:
        props["collection_days"] = days
    return create(client, territory, {"ref": ref, "kind": "waste.container", "name": ref,
                                      "commune": commune, "parent_id": parent,
                                      "properties": props})


def post(client, territory, items) -> dict:
    answer = client.post(f"{territory['base']}/observations", headers=territory["headers"],
                         json=[{"asset": ref, "metric": metric, "time": time, "value": value}
                               for ref, metric, time, value in items])
    assert answer.status_code == 200, answer.text
    return answer.json()


def distances(ref, fills, times, height=HEIGHT):
    return [(ref, "waste.distance", t, distance(f, height)) for t, f in zip(times, fills,
                                                                            strict=True)]


TWICE_A_DAY = [f"{MON}T08:00:00+02:00", f"{MON}T20:00:00+02:00", "2025-10-07T08:00:00+02:00",
               "2025-10-07T20:00:00+02:00", "2025-10-08T08:00:00+02:00"]


@pytest.fixture
def containers(client, territory) -> dict:
    point = create(client, territory, {
        "ref": "PAV-1", "kind": "waste.collection_point", "name": "Point de la gare",
        "commune": "88383", "properties": {"collection_days": "lun,jeu"}})
    ids = {
        # household waste, collected with its point on Mondays and Thursdays
        "A": container(client, territory, "CTR-A", "ordures_menageres", parent=point),
        # packaging, its own day: Fridays
        "B": container(client, territory, "CTR-B", "emballages", parent=point, days="ven"),
        "C": container(client, territory, "CTR-C", "verre", parent=point, height=1.6),
        # on demand (no collection days anywhere): every morning
        "D": container(client, territory, "CTR-D", "papier", commune="88415"),
        "E": container(client, territory, "CTR-E", "papier", commune="88415"),
    }
    for ref in ("CTR-A", "CTR-B", "CTR-C", "CTR-D", "CTR-E"):
        for metric in ("waste.distance", "waste.temperature"):
            client.post(f"{territory['base']}/streams", headers=territory["headers"], json={
                "asset_id": ids[ref[-1]], "metric": metric})
    post(client, territory,
         distances("CTR-A", [10, 20, 30, 40, 50], TWICE_A_DAY)
         + distances("CTR-B", [30, 40, 50, 60, 70], TWICE_A_DAY)
         + distances("CTR-C", [84, 85], TWICE_A_DAY[-2:], height=1.6)
         + distances("CTR-D", [40, 52.5, 65], TWICE_A_DAY[-3:])
         + distances("CTR-E", [60], ["2025-10-05T08:00:00+02:00"]))
    return {"point": point, **ids}


def test_fill_levels_are_derived_from_the_distance_and_the_height(client, territory,
                                                                  containers):
    latest = client.get(f"{territory['base']}/assets/{containers['C']}/latest",
                        headers=territory["headers"]).json()
    values = {x["metric"]: x["value"] for x in latest}
    # 85 % of a 1.6 m container: the surface 0.24 m below the sensor, by hand.
    assert values["waste.distance"] == pytest.approx(0.24)
    assert values["waste.fill_level"] == pytest.approx(85.0)


def test_round_suggestion_per_commune_with_trends(client, territory, containers):
    answer = client.get(f"{territory['base']}/waste/round", headers=territory["headers"],
                        params={"at": AT})
    assert answer.status_code == 200, answer.text
    out = answer.json()
    assert (out["threshold_percent"], out["considered"], out["suggested"], out["unmeasured"]) \
        == (80, 4, 3, 1)
    # The trend of A and B, by the standard library's regression over hours since Monday 8:00.
    hours = [(ms(t) - ms(TWICE_A_DAY[0])) / 3_600_000 for t in TWICE_A_DAY]
    b = statistics.linear_regression(hours, [30, 40, 50, 60, 70])
    assert b.slope * 24 == pytest.approx(20.0)
    # A: 10 + 20 × 70 h / 24 h = 68.3 % at Thursday 06:00: not suggested.
    # B: 30 + 20 × 94 h / 24 h > 100 % at Friday 06:00: suggested, full.
    # C: 85 % with two readings only (no trend): suggested as it is, Thursday.
    # D: 25 points a day; 65 + 25 × 22 h / 24 h = 87.9 % at Thursday 06:00, on demand.
    d = statistics.linear_regression(hours[-3:], [40, 52.5, 65])
    d_expected = 65 + d.slope * 22
    assert d_expected == pytest.approx(87.9166, abs=1e-3)
    remiremont, saint_etienne = out["communes"]
    assert (remiremont["insee"], remiremont["name"]) == ("88383", "Remiremont")
    assert [(c["ref"], c["next_collection"], c["predicted_percent"], c["trend"],
             c["trend_percent_per_day"]) for c in remiremont["containers"]] == [
        ("CTR-C", "2025-10-09", 85.0, "unknown", None),
        ("CTR-B", "2025-10-10", 100.0, "rise", 20.0)]
    assert remiremont["unmeasured"] == []
    assert saint_etienne["name"] == "Saint-Étienne-lès-Remiremont"
    [d_item] = saint_etienne["containers"]
    assert (d_item["ref"], d_item["next_collection"], d_item["fill_percent"]) == (
        "CTR-D", "2025-10-09", 65.0)
    assert d_item["predicted_percent"] == round(d_expected, 1)
    assert d_item["measured_at"] == "2025-10-08T06:00:00Z"
    assert [c["ref"] for c in saint_etienne["unmeasured"]] == ["CTR-E"]
    # One commune only.
    only = client.get(f"{territory['base']}/waste/round", headers=territory["headers"],
                      params={"at": AT, "commune": "88415"}).json()
    assert [g["insee"] for g in only["communes"]] == ["88415"]


def test_the_containers_list_of_the_dashboard(client, territory, containers):
    out = client.get(f"{territory['base']}/waste/containers", headers=territory["headers"],
                     params={"at": AT}).json()
    rows = {r["ref"]: r for r in out["containers"]}
    assert set(rows) == {"CTR-A", "CTR-B", "CTR-C", "CTR-D", "CTR-E"}
    a = rows["CTR-A"]
    assert (a["collection_days"], a["next_collection"], a["fill_percent"], a["trend"],
            a["waste_stream_label"]) == ("lundi, jeudi", "2025-10-09", 50.0, "rise",
                                         "Ordures ménagères")
    assert a["predicted_percent"] == round(10 + 20 * 70 / 24, 1)
    assert a["collection_point"] == {"id": containers["point"], "name": "Point de la gare"}
    assert rows["CTR-B"]["collection_days"] == "vendredi"  # its own days override the point's
    assert rows["CTR-D"]["collection_days"] == "tous les jours"
    for at in ("mercredi", "9999-12-31T23:59:59+00:00", "1969-12-31T23:59:59+00:00"):
        for route in ("round", "containers"):
            bad = client.get(f"{territory['base']}/waste/{route}", headers=territory["headers"],
                             params={"at": at})
            assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "at", at


def test_a_container_is_refused_without_height_or_with_unreadable_days(client, territory):
    answer = client.post(f"{territory['base']}/assets", headers=territory["headers"], json={
        "ref": "CTR-X", "kind": "waste.container", "name": "X", "commune": "88383",
        "geometry": {"type": "Point", "coordinates": [6.6, 48.02]},
        "properties": {"waste_stream": "verre", "collection_days": "lundi et jeudi"}})
    assert answer.status_code == 422
    errors = {e["field"]: e["message"] for e in answer.json()["errors"]}
    assert "obligatoire" in errors["properties.height_m"]
    assert "« lundi et jeudi »" in errors["properties.collection_days"]
    assert "lun,jeu" in errors["properties.collection_days"]


def alerts(client, territory) -> dict[str, dict]:
    found = client.get(f"{territory['base']}/alerts", headers=territory["headers"],
                       params={"status": "active", "domain": "waste"}).json()
    return {f"{a['detector']}:{a['asset_ref']}": a for a in found}


def test_full_and_fire_detectors_open_and_resolve_alerts(client, db, registry, territory,
                                                         containers):
    t = lambda clock: f"2025-10-08T{clock}:00+02:00"  # noqa: E731
    post(client, territory, distances("CTR-A", [92], [t("09:00")])
         + [("CTR-A", "waste.temperature", t(c), v) for c, v in
            (("07:00", 12.0), ("07:15", 14.0), ("07:35", 36.0))]
         + [("CTR-C", "waste.temperature", t("07:30"), 65.0)])
    now = ms(t("09:30"))
    run_detectors(db, registry, now)
    found = alerts(client, territory)
    assert set(found) == {"waste.full:CTR-A", "waste.fire:CTR-A", "waste.fire:CTR-C"}
    full = found["waste.full:CTR-A"]
    assert full["severity"] == "warning" and full["details"]["fill_percent"] == pytest.approx(92)
    assert full["details"]["threshold_percent"] == 90
    # A: +22 °C between 07:15 and 07:35 (within 30 min), still below 60 °C: the rise sign.
    fire_a = found["waste.fire:CTR-A"]
    assert fire_a["severity"] == "critical"
    assert (fire_a["details"]["reason"], fire_a["details"]["rise_c"]) == ("rise", 22.0)
    # C: 65 °C, above the threshold.
    assert found["waste.fire:CTR-C"]["details"]["reason"] == "threshold"
    assert "65 °C" in found["waste.fire:CTR-C"]["title"]

    # Emptied, cooled down; C's sensor reads 40 °C: every alert is resolved by itself.
    post(client, territory, distances("CTR-A", [3], [t("10:00")])
         + [("CTR-A", "waste.temperature", t("10:00"), 18.0),
            ("CTR-C", "waste.temperature", t("10:00"), 40.0)])
    run_detectors(db, registry, now + 3_600_000)
    assert alerts(client, territory) == {}


def test_the_thresholds_are_the_territorys_settings(client, db, registry, territory,
                                                    containers):
    post(client, territory, distances("CTR-A", [92], ["2025-10-08T09:00:00+02:00"])
         + [("CTR-C", "waste.temperature", "2025-10-08T09:00:00+02:00", 55.0)])
    answer = client.patch(territory["base"], headers=territory["headers"], json={"settings": {
        "waste.fill_alert_percent": 95, "waste.fire_temperature_c": 50,
        "waste.round_threshold_percent": 90}})
    assert answer.status_code == 200, answer.text
    run_detectors(db, registry, ms("2025-10-08T09:30:00+02:00"))
    assert set(alerts(client, territory)) == {"waste.fire:CTR-C"}  # 92 % < 95 %; 55 ≥ 50 °C
    # At 09:30, A (92 % and rising) and B (100 % by Friday) reach 90 %; D (87.9 %) no more.
    out = client.get(f"{territory['base']}/waste/round", headers=territory["headers"],
                     params={"at": "2025-10-08T09:30:00+02:00"}).json()
    assert out["threshold_percent"] == 90
    assert [c["ref"] for g in out["communes"] for c in g["containers"]] == ["CTR-A", "CTR-B"]
    # Asked at 08:00, the reading of 09:00 is not seen yet: A is not suggested.
    before = client.get(f"{territory['base']}/waste/round", headers=territory["headers"],
                        params={"at": AT}).json()
    assert [c["ref"] for g in before["communes"] for c in g["containers"]] == ["CTR-B"]
    refused = client.patch(territory["base"], headers=territory["headers"], json={
        "settings": {"waste.fill_alert_percent": 150}})
    assert refused.status_code == 422
