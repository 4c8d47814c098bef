"""Indoor air of schools: ICONE (CSTB) and the CO2 classes of the arrêté of 27 December
2022, as plain functions, and ``beffroi buildings icone`` on CSV files.

Expected values are computed here from the published formula written in its own form,
(2.5 / log10 2) × log10(1 + f1 + 3·f2), with the shares counted by hand."""

from __future__ import annotations

import math
from datetime import datetime
from zoneinfo import ZoneInfo

import orjson
import pytest
from click.testing import CliRunner

from beffroi.domains.buildings.cli import buildings
from beffroi.domains.buildings.indoor_air import (
    ICONE_LABELS,
    Thresholds,
    co2_class,
    icone,
    room_air,
)

PARIS = ZoneInfo("Europe/Paris")


def published(f1: float, f2: float) -> float:
    return 2.5 / math.log10(2) * math.log10(1 + f1 + 3 * f2)


def readings(low: int, band: int, high: int) -> list[float]:
    """``low`` readings under 1,000 ppm, ``band`` from 1,000 to 1,700, ``high`` above."""
    return [650.0] * low + [1350.0] * band + [2100.0] * high


@pytest.mark.parametrize(("low", "band", "high", "expected"), [
    (10, 0, 0, 0),  # never above 1,000 ppm: no confinement
    (7, 2, 1, 1),  # f1 0.2, f2 0.1: 1.46
    (5, 3, 2, 2),  # f1 0.3, f2 0.2: 2.31
    (5, 0, 5, 3),  # f2 0.5: 3.30
    (0, 3, 7, 4),  # f1 0.3, f2 0.7: 4.41
    (0, 10, 0, 3),  # f1 1: exactly 2.5, the only tie, rounded half up
    (0, 0, 10, 5),  # always above 1,700 ppm: 5, the top of the scale
])
def test_icone_is_the_published_formula_rounded_to_the_nearest_integer(low, band, high,
                                                                        expected):
    result = icone(readings(low, band, high))
    n = low + band + high
    assert result.readings == n and result.f1 == band / n and result.f2 == high / n
    assert result.raw == pytest.approx(published(band / n, high / n), abs=1e-12)
    assert result.index == expected
    assert result.label == ICONE_LABELS[expected]


def test_icone_bands_edges_and_no_reading():
    # « inférieures ou égales à 1000 ppm » count in neither band, « entre 1000 et 1700 ppm
    # inclus » in the middle one, 1,700.1 above it.
    result = icone([999.9, 1000.0, 1000.1, 1700.0, 1700.1])
    assert (result.n1, result.n2) == (2, 1)
    assert result.raw == pytest.approx(published(2 / 5, 1 / 5))
    assert icone([]) is None
    assert icone([1200.0] * 3).public() == {"icone": 3, "f1": 1.0, "f2": 0.0, "readings": 3}


def test_co2_classes_of_the_arrete_and_tenant_thresholds():
    default = Thresholds()
    assert [co2_class(v, default) for v in (420, 800, 800.1, 1500, 1500.1)] == [
        "satisfaisant", "satisfaisant", "action", "action", "urgent"]
    stricter = Thresholds(700, 1200)
    assert [co2_class(v, stricter) for v in (700, 701, 1201)] == [
        "satisfaisant", "action", "urgent"]
    assert Thresholds(1500, 800).check()[0]["field"] == "buildings.co2_urgent_ppm"


def test_room_air_classes_the_highest_reading_and_gives_the_shares():
    values = [600.0, 700.0, 900.0, 1600.0]
    air = room_air(values, Thresholds())
    assert air["co2_class"] == "urgent" and air["max_ppm"] == 1600.0
    assert air["mean_ppm"] == sum(values) / 4
    assert air["shares"] == {"satisfaisant": 0.5, "action": 0.25, "urgent": 0.25}
    assert air["icone"] == round(published(0.25, 0))  # 0.80 -> 1
    assert room_air([], Thresholds())["icone"] is None


# -- beffroi buildings icone ------------------------------------------------------------------
SCHOOL = "MON,TUE,THU,FRI 08:30-11:30,13:30-16:30"


def utc(local: str) -> str:
    """UTC ISO time of a Paris wall-clock time (the file's column is UTC)."""
    moment = datetime.fromisoformat(local).replace(tzinfo=PARIS)
    return moment.astimezone(ZoneInfo("UTC")).strftime("%Y-%m-%dT%H:%M:%SZ")


def run(tmp_path, lines: list[str], occupancy: str = SCHOOL):
    path = tmp_path / "co2.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return CliRunner().invoke(buildings, ["icone", "--csv", str(path),
                                          "--occupancy", occupancy])


def test_cli_counts_only_occupied_readings_in_paris_time(tmp_path):
    rows = [
        # Monday 13 January 2025 (UTC+1): before opening, in class, at lunch, in class.
        (utc("2025-01-13T08:20"), 2500), (utc("2025-01-13T08:30"), 1100),
        (utc("2025-01-13T10:00"), 1800), (utc("2025-01-13T12:00"), 2400),
        (utc("2025-01-13T16:29"), 900),
        # Wednesday: no class.
        (utc("2025-01-15T10:00"), 3000),
        # Monday 16 June 2025 (UTC+2, daylight saving): in class, after class.
        (utc("2025-06-16T09:00"), 1750), (utc("2025-06-16T16:30"), 2000),
    ]
    answer = run(tmp_path, ["time_utc,co2_ppm"] + [f"{t},{v}" for t, v in rows])
    assert answer.exit_code == 0, answer.output
    # Occupied: 1100 (band), 1800 (above), 900, 1750 (above): n 4, f1 1/4, f2 2/4.
    assert orjson.loads(answer.output) == {
        "icone": round(published(0.25, 0.5)), "f1": 0.25, "f2": 0.5, "readings": 4}
    assert round(published(0.25, 0.5)) == 4  # 4.05


def test_cli_refuses_bad_files_naming_the_lines(tmp_path):
    answer = run(tmp_path, ["time,co2", "2025-01-13T08:40:00Z,900"])
    assert answer.exit_code == 2 and "ligne 1" in answer.output \
        and "time_utc,co2_ppm" in answer.output
    answer = run(tmp_path, ["time_utc,co2_ppm", "2025-01-13T08:40:00Z,900",
                            "hier,900", "2025-01-13T08:50:00Z,beaucoup",
                            "2025-01-13T09:00:00Z,-4"])
    assert answer.exit_code == 2
    assert "3 ligne(s) invalide(s)" in answer.output
    assert "ligne 3 : horodatage « hier » illisible" in answer.output
    assert "ligne 4 : co2_ppm « beaucoup » invalide" in answer.output
    assert "ligne 5 : co2_ppm -4 ppm hors de l'intervalle plausible" in answer.output
    answer = run(tmp_path, ["time_utc,co2_ppm", "2025-01-13T08:40:00Z,900",
                            "2025-01-13T09:40:00+01:00,950"])
    assert answer.exit_code == 2 and "ligne 3 : horodatage déjà donné ligne 2" in answer.output
    answer = run(tmp_path, ["time_utc,co2_ppm", "2025-01-15T09:40:00Z,900"])
    assert answer.exit_code == 2 and "aucune des 1 mesures" in answer.output
    answer = run(tmp_path, ["time_utc,co2_ppm", "2025-01-13T08:40:00Z,900"],
                 occupancy="LUNDI 08:30-11:30")
    assert answer.exit_code == 2 and "--occupancy" in answer.output \
        and "jour « LUNDI » inconnu" in answer.output
