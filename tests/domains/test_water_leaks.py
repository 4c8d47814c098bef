"""Leak detection on night-flow series whose leaks are known: abrupt and slowly growing
leaks found with their onset and size, leak-free sectors left alone, repairs resolving the
leak; and the offline command on CSV files, good and bad."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import numpy as np
import pytest
from click.testing import CliRunner

from beffroi.domains.water.cli import water
from beffroi.domains.water.leaks import detect_leaks
from beffroi.domains.water.night_flow import night_minima

from .night_series import DAY, T0, leak, nights, village_index


@pytest.mark.parametrize("seed", range(8))
def test_leak_free_sectors_raise_nothing(seed):
    t, flow = nights(seed)
    assert detect_leaks(t, flow).leaks == []


@pytest.mark.parametrize("seed", range(5))
def test_abrupt_leak_found_within_three_nights_with_onset_and_size(seed):
    # The extra flow is measured against the pre-leak reference: a month after the onset,
    # as in the demo (over months the season moves the legitimate night use too).
    t, flow = nights(seed, count=230)
    onset = 200.4  # a leak that starts at 12:36 the day before night 201 (true onset)
    size = 3.0  # m³/h, 15 % of the night flow
    found = detect_leaks(t, flow + leak(t, onset, size)).leaks
    assert len(found) == 1
    f = found[0]
    true_onset = T0 + onset * DAY
    assert 0 < f.detected_s - true_onset <= 3 * DAY
    assert abs(f.onset_s - true_onset) <= 1.5 * DAY
    assert f.extra_flow_m3h == pytest.approx(size, rel=0.3)
    assert f.active
    # water lost since onset: ~ size × time since onset (detector's last night)
    assert f.lost_m3 == pytest.approx(size * (t[-1] - true_onset) / 3600, rel=0.3)


@pytest.mark.parametrize("seed", range(5))
def test_slowly_growing_leak_is_found_and_back_dated(seed):
    t, flow = nights(seed, count=200)
    start, ramp, size = 150, 30, 4.0  # 0 → 4 m³/h (20 % of the night flow) over a month
    found = detect_leaks(t, flow + leak(t, start, size, ramp)).leaks
    assert len(found) == 1
    f = found[0]
    assert T0 + start * DAY <= f.detected_s <= T0 + (start + ramp + 7) * DAY
    assert T0 + (start - 3) * DAY <= f.onset_s < f.detected_s
    assert f.onset_s <= T0 + (start + 0.6 * ramp) * DAY  # back-dated into the ramp
    assert f.extra_flow_m3h == pytest.approx(size, rel=0.3)  # fully grown by the end


@pytest.mark.parametrize("seed", range(5))
def test_repair_resolves_the_leak_and_the_detector_starts_afresh(seed):
    t, flow = nights(seed)
    found = detect_leaks(t, flow + leak(t, 120.5, 4.0, repair_night=170)).leaks
    assert len(found) == 1
    f = found[0]
    assert not f.active
    assert T0 + 170 * DAY <= f.resolved_s <= T0 + 175 * DAY
    assert f.lost_m3 == pytest.approx(4.0 * (170 - 120.5) * 24, rel=0.2)


@pytest.mark.parametrize("onset", [3.5, 7.5, 10.5])
def test_a_leak_among_the_first_nights_is_found_as_they_end_dated_at_its_own(onset):
    # The first 14 nights build the reference. A leak of 3 m³/h (15 % of the night flow)
    # starting among them was half taken into it: found weeks late or never, and dated at
    # the end of them. Those nights are split where they step up: it is found on the next
    # night, dated at its own, measured from the nights before it (its extra flow: 3 m³/h
    # and the spring's rise of the leak-free series since; the median of the few nights
    # before it has a standard error of 0.4 m³/h).
    for seed in range(6):
        t, clean = nights(seed, count=120)
        found = detect_leaks(t, clean + leak(t, onset, 3.0)).leaks
        assert len(found) == 1
        f = found[0]
        assert (f.detected_s - T0) / DAY <= 15
        assert (f.onset_s - T0) / DAY == pytest.approx(onset, abs=1.0)
        rise = np.median(clean[-7:]) - np.median(clean[:int(onset) + 1])
        assert f.extra_flow_m3h == pytest.approx(3.0 + rise, abs=1.0)
        assert f.active


@pytest.mark.parametrize("seed", range(8))
def test_one_off_night_uses_among_the_first_nights_raise_nothing(seed):
    # Two pools filled at night (8 m³/h, 40 % of the night flow) on the 6th and 10th
    # nights: no step among the first nights, no leak.
    t, flow = nights(seed, count=120)
    flow[[5, 9]] += 8.0
    assert detect_leaks(t, flow).leaks == []


def village_night_flows(seed: int, leak_m3h: float = 0.0, shift_s: float = 0.0):
    """The nights of a village sector whose meter's index is read to 0.1 m³ every quarter
    hour (from ``shift_s`` past the quarter), over 240 days; a leak from day 150.5."""
    t = T0 + shift_s + np.arange(0, 240 * DAY, 900.0)
    return night_minima(t, village_index(t, seed, 0.1, leak_m3h, T0 + 150.5 * DAY))


@pytest.mark.parametrize("shift_s", [0.0, 300.0])
def test_a_small_sector_read_to_100_litres_raises_nothing_and_its_leak_is_found(shift_s):
    # Quiet nights at 0.9 or 1.0 m³/h: their MAD is 0 (a step up stood many spreads
    # above: a false alarm in most series) or a whole step (a 0.3 m³/h leak stood two
    # spreads up); their spread now holds the meter's resolution, the values spread over
    # their steps. A leak of three steps is found within days.
    for seed in range(6):
        nights = village_night_flows(seed, shift_s=shift_s)
        assert nights.resolution_m3h == pytest.approx(0.1)
        assert detect_leaks(nights.end_s, nights.minimum_m3h,
                            resolution_m3h=nights.resolution_m3h).leaks == []
        nights = village_night_flows(seed, leak_m3h=0.3, shift_s=shift_s)
        found = detect_leaks(nights.end_s, nights.minimum_m3h,
                             resolution_m3h=nights.resolution_m3h).leaks
        assert len(found) == 1
        assert 0 < (found[0].detected_s - T0) / DAY - 150.5 <= 14
        assert (found[0].onset_s - T0) / DAY == pytest.approx(150.5, abs=1.5)


def test_missing_nights_are_skipped():
    t, flow = nights(1)
    flow = flow + leak(t, 200.5, 3.0)
    flow[150:180] = np.nan
    flow[201] = np.nan
    found = detect_leaks(t, flow).leaks
    assert len(found) == 1 and abs(found[0].onset_s - (T0 + 200.5 * DAY)) <= 2 * DAY


# -- beffroi water detect --csv ------------------------------------------------------------

def inflow_csv(path, days: int = 120, onset_day: float | None = 90.3, size: float = 3.0,
               step_s: int = 900, repair_day: float | None = None,
               extra: list[tuple[float, float, float]] = ()) -> float:
    """A 15-minute inflow series: daily shape with its minimum at night, noise, a leak
    (repaired on ``repair_day``), and ``extra`` flows (first day, last day, m³/h)."""
    rng = np.random.default_rng(5)
    t = np.arange(datetime(2025, 2, 1, tzinfo=UTC).timestamp(),
                  datetime(2025, 2, 1, tzinfo=UTC).timestamp() + days * DAY, step_s)
    hour = (t / 3600 + 1) % 24
    flow = 30 + 25 * np.sin(np.pi * np.clip(hour - 5, 0, 18) / 18) \
        * rng.normal(1, 0.05, len(t)) + rng.normal(0, 0.4, len(t))
    onset = t[0] + onset_day * DAY if onset_day is not None else np.inf
    repair = t[0] + repair_day * DAY if repair_day is not None else np.inf
    flow = flow + np.where((t >= onset) & (t < repair), size, 0.0)
    for first, last, m3h in extra:
        flow = flow + np.where((t >= t[0] + first * DAY) & (t < t[0] + last * DAY), m3h, 0.0)
    with open(path, "w") as f:
        f.write("time_utc,inflow_m3h\n")
        for ti, q in zip(t, flow, strict=True):
            f.write(f"{datetime.fromtimestamp(ti, UTC).strftime('%Y-%m-%dT%H:%M:%SZ')},"
                    f"{q:.3f}\n")
    return onset


def run(*args: str):
    result = CliRunner().invoke(water, ["detect", *args])
    lines = [json.loads(line) for line in result.stdout.splitlines() if line.strip()]
    return result, lines


def test_cli_prints_the_leak_then_a_summary(tmp_path):
    path = tmp_path / "secteur.csv"
    onset = inflow_csv(path)
    result, lines = run("--csv", str(path))
    assert result.exit_code == 0, result.output
    *found, summary = lines
    assert len(found) == 1
    assert set(found[0]) >= {"onset_utc", "detected_utc", "extra_flow_m3h", "resolved_utc"}
    got_onset = datetime.fromisoformat(found[0]["onset_utc"].replace("Z", "+00:00"))
    assert abs(got_onset.timestamp() - onset) <= 1.5 * DAY
    assert found[0]["extra_flow_m3h"] == pytest.approx(3.0, rel=0.3)
    assert found[0]["resolved_utc"] is None
    assert summary["summary"] is True and summary["leaks"] == 1 and summary["active_leak"]
    assert summary["rows"] == 120 * 96 and summary["rejected_rows"] == 0
    # (flows written to the thousandth: volumes by steps of 0.125 L, nothing that matters)
    assert summary["night_flow_resolution_m3h"] < 0.001
    assert summary["weekly_pattern"] is False


def test_cli_takes_out_a_factorys_weekday_nights(tmp_path):
    # 120 days of a sector (30 m³/h at night) whose factory draws 8 m³/h from 00:00 to
    # 06:00 UTC on the mornings from Tuesday to Saturday: no leak, the pattern said.
    path = tmp_path / "usine.csv"
    rng = np.random.default_rng(8)
    t = np.arange(datetime(2025, 2, 1, tzinfo=UTC).timestamp(),
                  datetime(2025, 6, 1, tzinfo=UTC).timestamp(), 900.0)
    hour = (t / 3600) % 24
    weekday = (np.floor(t / DAY).astype(int) + 3) % 7  # 1970-01-01 was a Thursday
    flow = 30 + 25 * np.sin(np.pi * np.clip(hour - 5, 0, 18) / 18) * rng.normal(1, 0.05, len(t))
    flow += 8.0 * ((hour < 6) & np.isin(weekday, (1, 2, 3, 4, 5))) + rng.normal(0, 0.4, len(t))
    with open(path, "w") as f:
        f.write("time_utc,inflow_m3h\n")
        for ti, q in zip(t, flow, strict=True):
            f.write(f"{datetime.fromtimestamp(ti, UTC).strftime('%Y-%m-%dT%H:%M:%SZ')},{q:.3f}\n")
    result, lines = run("--csv", str(path))
    assert result.exit_code == 0, result.output
    *found, summary = lines
    assert found == [] and summary["weekly_pattern"] is True


def test_cli_leak_free_series(tmp_path):
    path = tmp_path / "secteur.csv"
    inflow_csv(path, onset_day=None, step_s=600)
    result, lines = run("--csv", str(path))
    assert result.exit_code == 0
    assert len(lines) == 1 and lines[0]["leaks"] == 0


def test_cli_rejects_a_wrong_header(tmp_path):
    path = tmp_path / "mauvais.csv"
    path.write_text("date,debit\n2025-01-01T00:00:00Z,3\n")
    result, _ = run("--csv", str(path))
    assert result.exit_code == 1
    assert "ligne 1" in result.output and "time_utc,inflow_m3h" in result.output


def test_cli_reports_bad_lines_and_keeps_the_others(tmp_path):
    path = tmp_path / "secteur.csv"
    onset = inflow_csv(path)
    lines = path.read_text().splitlines()
    lines[10] = "2025-02-30T02:00:00Z,12.0"  # no such date
    lines[20] = "hier,12.0"
    lines[30] = lines[30].split(",")[0] + ",douze"
    lines[40] = lines[40].split(",")[0] + ",nan"
    lines[50] = "2025-02-01T12:00:00Z"
    lines[60] = lines[60].split(",")[0] + ",-4"  # a meter cannot read a negative inflow
    lines[70] = lines[70].split(",")[0] + ",1e6"
    path.write_text("\n".join(lines) + "\n")
    result, out = run("--csv", str(path))
    assert result.exit_code == 0
    for line in (11, 21, 31, 41, 51, 61, 71):
        assert f"ligne {line} " in result.stderr
    assert "« 2025-02-30T02:00:00Z »" in result.stderr and "« douze »" in result.stderr
    assert ("ligne 61 : débit -4 m³/h hors de la plage plausible d'un débit entrant (0 à "
            "5000 m³/h)") in result.stderr
    *found, summary = out
    assert summary["rejected_rows"] == 7 and summary["rows"] == 120 * 96 - 7
    assert len(found) == 1
    got = datetime.fromisoformat(found[0]["onset_utc"].replace("Z", "+00:00")).timestamp()
    assert abs(got - onset) <= 1.5 * DAY


def test_cli_reads_the_file_with_the_shared_strict_reader(tmp_path):
    """Line numbers are the file's even after a quoted line break; a quote never closed
    no longer swallows the rest; a stray byte is named instead of « illisible »."""
    path = tmp_path / "secteur.csv"
    path.write_text('time_utc,inflow_m3h\r\n"2025-02-01T00:00:00Z",3\r\n'
                    '"2025-02-01\r\nT00:15:00Z",4\r\n'      # lines 3-4
                    '2025-02-01T00:30:00Z,"5\r\n'            # line 5, never closed
                    "2025-02-01T00:45:00Z,6\r\n", newline="")
    result, out = run("--csv", str(path))
    assert result.exit_code == 0, result.output
    assert "secteur.csv ligne 3 : date « 2025-02-01\nT00:15:00Z » invalide" in result.stderr
    assert "secteur.csv ligne 5 : guillemet ouvert ligne 5 jamais refermé." in result.stderr
    assert out[-1]["rows"] == 2 and out[-1]["rejected_rows"] == 2
    assert out[-1]["encoding"] == "utf-8"
    path.write_bytes(b"\xef\xbb\xbftime_utc,inflow_m3h\n2025-02-01T00:00:00Z,3\xb3\n")
    result, _ = run("--csv", str(path))
    assert result.exit_code == 1
    assert "UTF-8 contenant un octet invalide (0xB3) ligne 2, colonne 23" in result.output


def test_cli_strict_refuses_a_file_with_bad_lines(tmp_path):
    path = tmp_path / "secteur.csv"
    path.write_text("time_utc,inflow_m3h\n2025-02-01T00:00:00Z,3\n2025-02-01T00:15:00Z,x\n")
    result, out = run("--csv", str(path), "--strict")
    assert result.exit_code == 1 and out == []
    assert "ligne 3" in result.output and "--strict" in result.output


def test_cli_bad_options_and_files(tmp_path):
    result, _ = run("--csv", str(tmp_path / "absent.csv"))
    assert result.exit_code == 1 and "lecture impossible" in result.output
    path = tmp_path / "secteur.csv"
    inflow_csv(path, days=3)
    result, _ = run("--csv", str(path), "--night-start", "25:00")
    assert result.exit_code == 2 and "début de la nuit « 25:00 » invalide" in result.output
    result, _ = run("--csv", str(path), "--timezone", "Europe/Paname")
    assert result.exit_code == 2 and "fuseau horaire" in result.output


def utc(day: float) -> str:
    """The instant ``day`` days after the test series' first reading, ISO 8601 UTC."""
    at = datetime(2025, 2, 1, tzinfo=UTC).timestamp() + day * DAY
    return datetime.fromtimestamp(at, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def test_cli_takes_the_repairs_the_operator_recorded(tmp_path):
    # A leak from day 40.3, repaired on day 80.5 (the flow drops then). Recorded: it ends
    # at the repair once the next nights confirm it. Recorded while the flow did not drop
    # (day 60.5): refuted, the leak stays open until the real repair — then, unrecorded,
    # only the night flow back at its reference ends it, later.
    path = tmp_path / "secteur.csv"
    inflow_csv(path, onset_day=40.3, repair_day=80.5)
    result, lines = run("--csv", str(path), "--repair", utc(80.5))
    assert result.exit_code == 0, result.output
    (found, summary) = lines
    assert found["ended_by"] == "repair" and found["resolved_utc"] == utc(80.5)
    assert summary["repairs"] == 1
    result, lines = run("--csv", str(path), "--repair", utc(60.5))
    (found, _) = lines
    assert found["refuted_repair_utc"] == utc(60.5)
    assert found["ended_by"] != "repair"
    assert found["resolved_utc"] is None or found["resolved_utc"] > utc(80.5)


def test_cli_takes_the_declared_uses_as_the_live_detector_does(tmp_path):
    # Three nights of a pool filled (+6 m³/h, days 50 to 53): a « leak » unless declared.
    # Declared in a --uses file (the sector's exceptional_uses, as on its page), its nights
    # are left out. A yearly use is counted as seasonal.
    path = tmp_path / "secteur.csv"
    inflow_csv(path, onset_day=None, extra=[(50.0, 53.0, 6.0)])
    result, lines = run("--csv", str(path))
    assert lines[-1]["leaks"] == 1
    uses = tmp_path / "usages.json"
    uses.write_text(json.dumps([
        {"start": "2025-03-23", "end": "2025-03-25", "label": "Remplissage de la piscine"},
        {"start": "2025-06-01", "end": "2025-09-30", "label": "Arrosage", "yearly": True}]))
    result, lines = run("--csv", str(path), "--uses", str(uses))
    assert result.exit_code == 0, result.output
    assert lines == [lines[-1]] and lines[-1]["leaks"] == 0
    assert lines[-1]["exceptional_uses"] == 1 and lines[-1]["seasonal_uses"] == 1
    # (the sector's properties as exported work too)
    uses.write_text(json.dumps({"exceptional_uses": [
        {"start": "2025-03-23", "end": "2025-03-25", "label": "Remplissage de la piscine"}]}))
    result, lines = run("--csv", str(path), "--uses", str(uses))
    assert lines[-1]["leaks"] == 0 and lines[-1]["exceptional_uses"] == 1


def test_cli_reports_bad_uses_and_repairs_and_keeps_the_rest(tmp_path):
    path = tmp_path / "secteur.csv"
    inflow_csv(path, onset_day=None, extra=[(50.0, 53.0, 6.0)])
    uses = tmp_path / "usages.json"
    uses.write_text(json.dumps([
        {"start": "2025-03-25", "end": "2025-03-23", "label": "À l'envers"},
        {"start": "2025-03-23", "end": "2025-03-25", "label": "Piscine", "debit": 3},
        {"start": "2025-03-23", "end": "2025-03-25", "label": "Remplissage de la piscine"}]))
    result, lines = run("--csv", str(path), "--uses", str(uses))
    assert result.exit_code == 0, result.output
    assert "usage n° 1 : Dernier jour : le 23/03/2025 est avant le premier jour" \
        in result.stderr
    assert "usage n° 2 : champ inconnu" in result.stderr
    assert lines[-1]["rejected_uses"] == 2 and lines[-1]["exceptional_uses"] == 1
    assert lines[-1]["leaks"] == 0  # the valid one applied
    result, lines = run("--csv", str(path), "--uses", str(uses), "--strict")
    assert result.exit_code == 1 and lines == [] and "--strict" in result.output
    # A use naming a key twice: which end counts? Refused alone, the valid one applied.
    uses.write_text('{"exceptional_uses": [{"start": "2025-03-23", "end": "2025-03-25", '
                    '"end": "2025-12-31", "label": "Piscine"}, {"start": "2025-03-23", '
                    '"end": "2025-03-25", "label": "Remplissage de la piscine"}]}')
    result, lines = run("--csv", str(path), "--uses", str(uses))
    assert result.exit_code == 0, result.output
    assert "usage n° 1 : clé « end » en double — usage ignoré." in result.stderr
    assert lines[-1]["rejected_uses"] == 1 and lines[-1]["exceptional_uses"] == 1
    assert lines[-1]["leaks"] == 0
    uses.write_text('{"exceptional_uses": [], "exceptional_uses": []}')
    result, _ = run("--csv", str(path), "--uses", str(uses))
    assert result.exit_code == 1
    assert "JSON ambigu : clé « exceptional_uses » en double ; une seule valeur est attendue " \
        "par clé." in result.output
    uses.write_text('[{"start": "2025-03-23",\n "end": }]')
    result, _ = run("--csv", str(path), "--uses", str(uses))
    assert result.exit_code == 1
    assert "JSON invalide : caractère inattendu, ligne 2, colonne 9." in result.output
    uses.write_text('{"start": "2025-03-23"}')
    result, lines = run("--csv", str(path), "--uses", str(uses))
    assert result.exit_code == 0 and "liste d'usages attendue" in result.stderr
    assert lines[-1]["rejected_uses"] == 1 and lines[-1]["leaks"] == 1
    result, _ = run("--csv", str(path), "--uses", str(tmp_path / "absent.json"))
    assert result.exit_code == 1 and "lecture impossible" in result.output
    result, _ = run("--csv", str(path), "--repair", "hier")
    assert result.exit_code == 2 and "date « hier » invalide" in result.output


def test_cli_watches_a_declared_seasonal_use_with_caution(tmp_path):
    # Watering all summer (+6 m³/h three nights in four, from June 1st): undeclared, its
    # first nights raise a « leak »; declared as a yearly use in --uses, its nights are
    # watched with caution (a leak must outlast the pauses) and nothing is raised.
    path = tmp_path / "secteur.csv"
    inflow_csv(path, days=240, onset_day=None,
               extra=[(day, day + 3, 6.0) for day in range(120, 200, 4)])
    result, lines = run("--csv", str(path))
    assert result.exit_code == 0 and lines[-1]["leaks"] == 1
    assert lines[0]["onset_utc"][:10] in ("2025-05-31", "2025-06-01")
    uses = tmp_path / "usages.json"
    uses.write_text(json.dumps([{"start": "2025-06-01", "end": "2025-08-31",
                                 "label": "Arrosage des jardins", "yearly": True}]))
    result, lines = run("--csv", str(path), "--uses", str(uses))
    assert result.exit_code == 0, result.output
    assert lines == [lines[-1]] and lines[-1]["seasonal_uses"] == 1
