"""Issue #17, heat waves: IBMn/IBMx (means of D-2, D-1, D) and episodes (maximal runs of
days where both reach their thresholds), from a series built here; the expected episodes
are derived in the test by its own reading of the definition, and a few written out by
hand (exactly at the threshold, gaps, a one-day episode, unsorted input). The CLI
``beffroi risks heatwave`` on files, good and bad."""

from __future__ import annotations

import json
import random
from datetime import date, timedelta

import pytest
from click.testing import CliRunner

from beffroi.domains.risks.cli import risks
from beffroi.domains.risks.heatwave import (
    DayTemperatures,
    Thresholds,
    find_episodes,
    ibm_series,
)

START = date(2025, 6, 1)


def expected_episodes(series: dict[date, tuple[float, float]], ibmn: float, ibmx: float):
    """The definition, written again: IBM of D needs D-2, D-1 and D; an episode is a
    maximal run of consecutive days with both means at or above their thresholds."""
    hot = {}
    for d in series:
        window = [series.get(d - timedelta(days=k)) for k in range(3)]
        if None in window:
            continue
        n = sum(w[0] for w in window) / 3
        x = sum(w[1] for w in window) / 3
        if n >= ibmn - 1e-9 and x >= ibmx - 1e-9:
            hot[d] = (n, x)
    out, day = [], min(series)
    while day <= max(series):
        if day in hot:
            run = [day]
            while run[-1] + timedelta(days=1) in hot:
                run.append(run[-1] + timedelta(days=1))
            out.append((run[0], run[-1], max(hot[r][0] for r in run),
                        max(hot[r][1] for r in run)))
            day = run[-1]
        day += timedelta(days=1)
    return out


def days_of(series: dict[date, tuple[float, float]]) -> list[DayTemperatures]:
    return [DayTemperatures(d, n, x) for d, (n, x) in series.items()]


def found(series, ibmn=18.0, ibmx=34.0):
    return [(e.start, e.end, e.peak_ibmn_c, e.peak_ibmx_c)
            for e in find_episodes(ibm_series(days_of(series)), Thresholds(ibmn, ibmx))]


def test_a_summer_with_heat_spells_and_gaps_gives_the_episodes_of_the_definition():
    rng = random.Random(17)
    series = {}
    for i in range(107):  # 1 June - 15 September
        d = START + timedelta(days=i)
        hot = 20 <= i < 30 or 45 <= i < 49 or 70 <= i < 82
        base_n, base_x = (20.5, 36.0) if hot else (13.0, 26.0)
        series[d] = (base_n + rng.uniform(-2.5, 2.5), base_x + rng.uniform(-3, 3))
    for i in (25, 76):  # two missing days, inside two spells
        del series[START + timedelta(days=i)]
    expected = expected_episodes(series, 18.0, 34.0)
    assert len(expected) >= 4  # the gaps split two spells: more episodes than spells
    got = found(series)
    assert [(s, e) for s, e, _, _ in got] == [(s, e) for s, e, _, _ in expected]
    for g, x in zip(got, expected, strict=True):
        assert g[2] == pytest.approx(x[2]) and g[3] == pytest.approx(x[3])


def test_exactly_at_the_thresholds_counts_and_one_tenth_below_does_not():
    # Means of three equal days are the day's values.
    series = {START + timedelta(days=i): (18.0, 34.0) for i in range(5)}
    assert found(series) == [(START + timedelta(days=2), START + timedelta(days=4), 18.0, 34.0)]
    # 17.9+18+18.1 = 54 -> 18.0 reached despite floating point.
    series = {START: (17.9, 34.0), START + timedelta(days=1): (18.0, 34.0),
              START + timedelta(days=2): (18.1, 34.0)}
    assert [(s, e) for s, e, _, _ in found(series)] == [(START + timedelta(days=2),) * 2]
    below = {d: (n, x - 0.1) for d, (n, x) in series.items()}
    assert found(below) == []


def test_one_day_episode_and_both_thresholds_needed():
    d = [START + timedelta(days=i) for i in range(6)]
    series = {d[0]: (15, 30), d[1]: (15, 30), d[2]: (24, 42), d[3]: (15, 30),
              d[4]: (15, 30), d[5]: (15, 30)}
    # IBM(d2) = (18, 34), IBM(d3) = (18, 34): a 2-day run; IBM(d4) = (18, 34) too!
    assert [(s, e) for s, e, _, _ in found(series)] == [(d[2], d[4])]
    series[d[3]] = (14.9, 30)  # IBMn of d3 and d4 just below: one-day episode on d2
    assert found(series) == [(d[2], d[2], 18.0, 34.0)]
    # Hot days but cool nights: IBMx only, no episode.
    assert found({k: (12.0, 38.0) for k in d}) == []


def test_a_missing_day_breaks_the_episode_for_the_three_days_it_touches():
    d = [START + timedelta(days=i) for i in range(10)]
    series = {k: (20.0, 36.0) for k in d}
    del series[d[5]]
    ibm_days = {i.day for i in ibm_series(days_of(series))}
    assert ibm_days == {d[2], d[3], d[4], d[8], d[9]}  # not d5, d6, d7
    assert [(s, e) for s, e, _, _ in found(series)] == [(d[2], d[4]), (d[8], d[9])]


def test_unsorted_input_is_sorted_and_a_date_twice_refused():
    d = [START + timedelta(days=i) for i in range(4)]
    series = {k: (20.0, 36.0) for k in d}
    shuffled = list(reversed(days_of(series)))
    assert [(e.start, e.end) for e in find_episodes(ibm_series(shuffled),
                                                    Thresholds(18, 34))] == [(d[2], d[3])]
    with pytest.raises(ValueError, match="2025-06-02 est donnée deux fois"):
        ibm_series([*shuffled, DayTemperatures(d[1], 10, 20)])


# -- the CLI --------------------------------------------------------------------------

def _file(tmp_path, lines: list[str], name="serie.csv"):
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return str(path)


def run(*args):
    return CliRunner().invoke(risks, ["heatwave", *args])


def test_cli_prints_one_json_line_per_episode_then_a_summary(tmp_path):
    rows = ["date,tmin_c,tmax_c"]
    temps = [(12, 25), (14, 28), (19, 35), (19.5, 36), (20, 37), (13, 26), (12, 24),
             (19, 34), (19, 34), (19, 34)]
    # Moselle: IBMn 19. IBM: d2 (15, 29.3) no; d3 (17.5, 33) no; d4 (19.5, 36) yes;
    # d5 (17.5, 33) no; d6 no; d7 (14.67) no; d8 (16.67) no; d9 (19, 34) yes.
    for i, (n, x) in reversed(list(enumerate(temps))):  # unsorted on purpose
        rows.append(f"{(START + timedelta(days=i)).isoformat()},{n},{x}")
    result = run("--csv", _file(tmp_path, rows), "--department", "57")
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.output.splitlines()]
    assert lines[:-1] == [
        {"start": "2025-06-05", "end": "2025-06-05", "peak_ibmn": 19.5, "peak_ibmx": 36.0},
        {"start": "2025-06-10", "end": "2025-06-10", "peak_ibmn": 19.0, "peak_ibmx": 34.0}]
    summary = lines[-1]
    assert summary["episodes"] == 2 and summary["episode_days"] == 2
    assert summary["days"] == 10 and summary["missing_days"] == 0
    assert summary["thresholds"] == {"ibmn": 19.0, "ibmx": 34.0, "department": "57",
                                     "verified": True}
    # Vosges (18/34): d4 and d9, but also... IBMn 18 does not change d3 (17.5).
    result = run("--csv", _file(tmp_path, rows), "--ibmn", "17.5", "--ibmx", "33")
    lines = [json.loads(line) for line in result.output.splitlines()]
    assert [(e["start"], e["end"]) for e in lines[:-1]] == [("2025-06-04", "2025-06-06"),
                                                            ("2025-06-10", "2025-06-10")]
    assert lines[-1]["thresholds"] == {"ibmn": 17.5, "ibmx": 33.0}


def test_cli_marne_thresholds_are_marked_to_verify(tmp_path):
    rows = ["date,tmin_c,tmax_c", "2025-07-01,10,20"]
    result = run("--csv", _file(tmp_path, rows), "--department", "51")
    summary = json.loads(result.output.splitlines()[-1])
    assert summary["thresholds"]["verified"] is False
    assert summary["thresholds"]["note"] == "seuils à vérifier"
    assert summary["episodes"] == 0


@pytest.mark.parametrize("lines, message", [
    (["date,tmin,tmax", "2025-07-01,10,20"], "ligne 1 : en-tête « date,tmin,tmax » inattendu"),
    (["date,tmin_c,tmax_c", "2025-07-01,10,20", "2025-07-32,10,20"],
     "ligne 3 : date « 2025-07-32 » invalide"),
    (["date,tmin_c,tmax_c", "2025-07-01,dix,20"], "ligne 2 : tmin_c « dix » invalide"),
    (["date,tmin_c,tmax_c", "2025-07-01,10,99"], "ligne 2 : tmax_c 99 °C hors de"),
    (["date,tmin_c,tmax_c", "2025-07-01,25,20"], "ligne 2 : tmin_c 25 °C supérieure"),
    (["date,tmin_c,tmax_c", "2025-07-01,10,20", "2025-07-01,11,21"],
     "la date 2025-07-01 est donnée deux fois"),
    (["date,tmin_c,tmax_c"], "aucune ligne de données"),
])
def test_cli_refuses_an_unusable_file_with_exit_code_2(tmp_path, lines, message):
    result = run("--csv", _file(tmp_path, lines), "--department", "88")
    assert result.exit_code == 2
    assert message in result.output
    assert "{" not in result.output  # nothing printed as if it were a result


def test_cli_needs_thresholds_and_a_known_department(tmp_path):
    path = _file(tmp_path, ["date,tmin_c,tmax_c", "2025-07-01,10,20"])
    result = run("--csv", path, "--ibmn", "18")
    assert result.exit_code == 2 and "--department, ou les deux seuils" in result.output
    result = run("--csv", path, "--department", "13")
    assert result.exit_code == 2 and "département « 13 » sans seuils connus" in result.output
    result = run("--csv", str(tmp_path / "absent.csv"), "--department", "88")
    assert result.exit_code == 2 and "lecture impossible" in result.output
