"""Overlapping leaks in one metered sector over a year (#15): the BattLeDIM 2019 schedule.

The Battle of the Leakage Detection and Isolation Methods (BattLeDIM 2020, Vrachimis et
al., KIOS Research Center) simulated the L-Town network over 2019 with 23 leaks (its
« evaluation » dataset configuration, published with the competition): 4 already running on
1 January, 19 new ones — abrupt, or incipient growing linearly to their full size over 3 to
11 weeks —, 12 never repaired, up to twelve of them running at once (sixteen with the first
four). That is the kind of year of the issue's third complaint: a detector that sees a new
leak only as a step on a quiet night flow finds a handful.

This bench lays that schedule (``SCHEDULE``: pipe, start, end, orifice diameter, kind, time
of full size) on one synthetic metered sector — no hydraulics, only what an operator with an
inflow meter has:

- a quarter-hourly inflow of mean ``--mean`` m³/h (300): a daily profile, weekend mornings
  later, a summer rise of 10 %, weather (a day-to-day autocorrelated factor, 3 %), 4 %
  quarter-hour noise, background losses of 10 % of the mean;
- each leak an orifice, ``Cd × A × √(2 g h)`` with Cd 0.75 and 40 m of pressure: the
  diameters (8.8 to 20.2 mm) give 4.6 to 24 m³/h, 3 to 15 % of the night flow.

The night minima come from ``night_minima_from_flow`` and the detector runs on them as the
live one does (``detect_leaks`` with the nights' variability), without repair records
(BattLeDIM's repairs are not told to the competitors). Detectors in the same run: *nouveau*
(the tree's), *sans tendance superposée* (the same with ``stacked_trend_settled=0``: no slow
leak is seen on an open one) and *précédent* (the pre-#15 detector).

**Scores** over ``--seeds`` noise draws (8): matching is ``leak_scores.match`` (one to one,
raised between the onset and the end + 3 days, closest onset first), for the 19 new leaks;
the 4 running on 1 January are in every night of the series and no history can show them.
Per detector: new leaks found (as leaks of their own), found within 30 days, per kind;
median delay of the abrupt ones; false alarms per year; leaks closed while still leaking.

``PYTHONPATH=src:bench python bench/overlapping_leaks.py [--seeds 8]``: about 10 s. The
table on stderr, one JSON line on stdout.
"""

from __future__ import annotations

import argparse
import time
from datetime import UTC, datetime

import numpy as np
import previous_leak_detector
from harness import emit, log
from leak_scores import DAY_S, Found, Outcome, Sector, TrueLeak, found_leaks, match

from beffroi.domains.water.leaks import LeakParams, detect_leaks
from beffroi.domains.water.night_flow import night_minima_from_flow

STEP_S = 900
START_S = datetime(2019, 1, 1, tzinfo=UTC).timestamp()
DAYS = 365
CD, HEAD_M, G = 0.75, 40.0, 9.81
FOUND_WITHIN_S = 30 * DAY_S

# BattLeDIM 2019 (evaluation): pipe, start, end, diameter (m), kind, full size at (UTC).
SCHEDULE = """\
p257 2019-01-01T00:00 2019-12-31T23:55 0.011843 incipient 2019-01-01T00:00
p427 2019-01-01T00:00 2019-12-31T23:55 0.0090731 incipient 2019-01-01T00:00
p810 2019-01-01T00:00 2019-12-31T23:55 0.010028 incipient 2019-01-01T00:00
p654 2019-01-01T00:00 2019-12-31T23:55 0.0087735 incipient 2019-01-01T00:00
p523 2019-01-15T23:00 2019-02-01T09:50 0.020246 abrupt 2019-01-15T23:00
p827 2019-01-24T18:30 2019-02-07T09:05 0.02025 abrupt 2019-01-24T18:30
p280 2019-02-10T13:05 2019-12-31T23:55 0.0095008 abrupt 2019-02-10T13:05
p653 2019-03-03T13:10 2019-05-05T12:10 0.016035 incipient 2019-04-21T19:00
p710 2019-03-24T14:15 2019-12-31T23:55 0.0092936 abrupt 2019-03-24T14:15
p514 2019-04-02T20:40 2019-05-23T14:55 0.014979 abrupt 2019-04-02T20:40
p331 2019-04-20T10:10 2019-12-31T23:55 0.014053 abrupt 2019-04-20T10:10
p193 2019-05-19T10:40 2019-12-31T23:55 0.01239 incipient 2019-07-25T03:20
p277 2019-05-30T21:55 2019-12-31T23:55 0.012089 incipient 2019-08-11T15:05
p142 2019-06-12T19:55 2019-07-17T09:25 0.019857 abrupt 2019-06-12T19:55
p680 2019-07-10T08:45 2019-12-31T23:55 0.0097197 abrupt 2019-07-10T08:45
p586 2019-07-26T14:40 2019-09-16T03:20 0.017184 incipient 2019-08-28T07:55
p721 2019-08-02T03:00 2019-12-31T23:55 0.01408 incipient 2019-09-23T05:40
p800 2019-08-16T14:00 2019-10-01T16:35 0.018847 incipient 2019-09-07T21:05
p123 2019-09-13T20:05 2019-12-31T23:55 0.011906 incipient 2019-11-29T22:10
p455 2019-10-03T14:00 2019-12-31T23:55 0.012722 incipient 2019-12-16T05:25
p762 2019-10-09T10:15 2019-12-31T23:55 0.01519 incipient 2019-12-03T01:15
p426 2019-10-25T13:25 2019-12-31T23:55 0.015008 abrupt 2019-10-25T13:25
p879 2019-11-20T11:55 2019-12-31T23:55 0.013195 incipient 2019-12-31T23:55
"""

# Share of the daily mean drawn in each hour (local time ≈ UTC + 1 in winter).
PROFILE = np.array([0.50, 0.42, 0.38, 0.37, 0.40, 0.60, 1.05, 1.50, 1.55, 1.30, 1.15, 1.10,
                    1.20, 1.10, 0.98, 0.92, 0.98, 1.12, 1.32, 1.45, 1.35, 1.12, 0.85, 0.65])


def _seconds(stamp: str) -> float:
    return datetime.fromisoformat(stamp).replace(tzinfo=UTC).timestamp()


def schedule() -> list[tuple[str, float, float, float, str, float]]:
    """(pipe, start s, end s, diameter m, kind, full size s) of each leak."""
    out = []
    for line in SCHEDULE.splitlines():
        pipe, start, end, diameter, kind, full = line.split()
        out.append((pipe, _seconds(start), _seconds(end), float(diameter), kind, _seconds(full)))
    return out


def orifice_m3h(diameter_m: float) -> float:
    return CD * np.pi / 4 * diameter_m ** 2 * np.sqrt(2 * G * HEAD_M) * 3600


def true_leaks() -> tuple[list[TrueLeak], int]:
    """The schedule's leaks as the scorer's true leaks (shares of the sector's mean are
    not used here), and how many ran from the first night (never scored)."""
    leaks, running = [], 0
    end_of_data = START_S + DAYS * DAY_S
    for _, start, end, _, kind, full in schedule():
        if start <= START_S:
            running += 1
            continue
        repaired = end < end_of_data - DAY_S
        leaks.append(TrueLeak(start, end if repaired else end_of_data, 0.0, kind,
                              (full - start) / DAY_S, repaired))
    return leaks, running


def leak_flow(t_s: np.ndarray) -> np.ndarray:
    """Sum of the leaks' flows (m³/h) at each time."""
    total = np.zeros(len(t_s))
    for _, start, end, diameter, _, full in schedule():
        on = (t_s >= start) & (t_s < end)
        grown = np.clip((t_s - start) / (full - start), 0, 1) if full > start else 1.0
        total += orifice_m3h(diameter) * on * grown
    return total


def sector_inflow(seed: int, mean_m3h: float) -> tuple[np.ndarray, np.ndarray]:
    """A year of quarter-hourly inflow of a sector with the schedule's leaks."""
    rng = np.random.default_rng(seed)
    t = START_S + np.arange(DAYS * 86_400 // STEP_S) * STEP_S
    day = ((t - START_S) // DAY_S).astype(int)
    hour = ((t + 3600) % DAY_S) / 3600  # local winter time, for the profile
    weekend = ((day + 1) % 7) >= 5  # 1 January 2019 was a Tuesday
    shifted = np.where(weekend, (hour - 1.5) % 24, hour)  # later mornings
    profile = np.interp(shifted, np.arange(25), np.append(PROFILE, PROFILE[0]))
    weather = np.zeros(DAYS)
    for d in range(1, DAYS):
        weather[d] = 0.5 * weather[d - 1] + rng.normal(0, 0.03 * np.sqrt(0.75))
    summer = 1 + 0.10 * np.clip(np.cos(2 * np.pi * (day - 196) / DAYS), 0, None)
    use = 0.9 * mean_m3h * profile * summer * (1 + weather[day]) * rng.normal(1, 0.04, len(t))
    return t, use + 0.1 * mean_m3h + leak_flow(t)


def scores(true: list[TrueLeak], runs: list[list[Found]]) -> dict:
    sector = Sector("overlapping", "synthetic", 0, tuple(true))
    outcomes: list[Outcome] = []
    false_alarms = 0
    for found in runs:
        pairs = match(true, found)
        outcomes += [Outcome(sector, leak, found[pairs[i]] if i in pairs else None)
                     for i, leak in enumerate(true)]
        false_alarms += len(found) - len(pairs)

    def share(test, among=None) -> float | None:
        group = [o for o in outcomes if among is None or among(o)]
        return round(sum(map(test, group)) / len(group), 3) if group else None

    abrupt = [o.delay_days for o in outcomes if o.leak.kind == "abrupt" and o.found]
    return {
        "found_per_year": round(sum(o.found is not None for o in outcomes) / len(runs), 2),
        "found": share(lambda o: o.found is not None),
        "found30": share(lambda o: o.in_time),
        "found_abrupt": share(lambda o: o.found is not None, lambda o: o.leak.kind == "abrupt"),
        "found_incipient": share(lambda o: o.found is not None,
                                 lambda o: o.leak.kind == "incipient"),
        "median_delay_abrupt_days": round(float(np.median(abrupt)), 2) if abrupt else None,
        "false_alarms_per_year": round(false_alarms / len(runs), 2),
        "closed_while_leaking": sum(o.closed_while_leaking for o in outcomes),
        "found_by_leak": {f"{o_start:%m-%d}": sum(
            1 for o in outcomes if o.leak.onset_s == leak.onset_s and o.found is not None)
            for leak in true
            for o_start in [datetime.fromtimestamp(leak.onset_s, UTC)]},
    }


DETECTORS = {
    "new": ("nouveau", lambda n: found_leaks(detect_leaks(
        n.end_s, n.minimum_m3h, variability=n.variability_m3h,
        resolution_m3h=n.resolution_m3h))),
    "no_stacked_trend": ("sans tendance superposée", lambda n: found_leaks(detect_leaks(
        n.end_s, n.minimum_m3h, LeakParams(stacked_trend_settled=0),
        variability=n.variability_m3h, resolution_m3h=n.resolution_m3h))),
    "previous": ("précédent", lambda n: found_leaks(
        previous_leak_detector.detect_leaks(n.end_s, n.minimum_m3h))),
}

ROWS = (("found_per_year", "nouvelles fuites trouvées (sur {new} par an)"),
        ("found", "  part trouvée"), ("found30", "  trouvées en ≤ 30 j"),
        ("found_abrupt", "  brutales ({abrupt})"), ("found_incipient", "  progressives ({incipient})"),
        ("median_delay_abrupt_days", "délai médian, brutales (j)"),
        ("false_alarms_per_year", "fausses alarmes par an"),
        ("closed_while_leaking", "fuites closes alors qu'elles fuient (toutes graines)"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=8, help="tirages du bruit")
    parser.add_argument("--mean", type=float, default=300.0, help="débit moyen du secteur (m³/h)")
    args = parser.parse_args()
    started = time.perf_counter()
    true, running = true_leaks()
    runs: dict[str, list[list[Found]]] = {key: [] for key in DETECTORS}
    night_flow = []
    for seed in range(args.seeds):
        t, inflow = sector_inflow(seed, args.mean)
        nights = night_minima_from_flow(t, inflow)
        night_flow.append(float(np.nanmedian(nights.minimum_m3h[:10])))
        for key, (_, detector) in DETECTORS.items():
            runs[key].append(detector(nights))
        log(f"tirage {seed + 1}/{args.seeds}")
    figures = {key: scores(true, found) for key, found in runs.items()}
    sizes = [orifice_m3h(d) for _, _, _, d, _, _ in schedule()]
    log(f"un secteur, {len(true)} nouvelles fuites ({running} déjà là le 1er janvier), "
        f"débit de nuit ≈ {np.mean(night_flow):.0f} m³/h, fuites de "
        f"{min(sizes):.1f} à {max(sizes):.1f} m³/h".replace(".", ","))
    counts = {"new": len(true), "abrupt": sum(leak.kind == "abrupt" for leak in true),
              "incipient": sum(leak.kind == "incipient" for leak in true)}
    log(" " * 52 + "".join(f"{label[:24]:>26}" for label, _ in DETECTORS.values()))
    for key, label in ROWS:
        cells = "".join(f"{figures[d][key]!s:>26}" for d in DETECTORS)
        log(f"{label.format(**counts):<52}{cells}")
    log("trouvées par fuite (début, sur " + str(args.seeds) + " tirages) : " + ", ".join(
        f"{day} {n}" for day, n in figures["new"]["found_by_leak"].items()))
    emit({"bench": "overlapping_leaks", "seeds": args.seeds, "mean_m3h": args.mean,
          "night_flow_m3h": round(float(np.mean(night_flow)), 1), "new_leaks": len(true),
          "running_at_start": running, **figures,
          "total_s": round(time.perf_counter() - started, 1)})


if __name__ == "__main__":
    main()
