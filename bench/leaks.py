"""Leak detection by minimum night flow, scored on a year of hydraulic simulation (#15).

What a water operator (fontainier) needs from the detector, measured on sectors whose truth
is known.

**Hydraulics.** Sectors are public EPANET networks bundled with wntr (Net1, Net3 and ky4, a
959-junction Kentucky network), each simulated by EPANET (through wntr) over one year at
15-minute steps with its own demand: daily profiles (weekday/weekend, households and
businesses), a summer rise, weather (day-to-day autocorrelated factor), holidays, heat waves
with a little night watering everywhere, one-off night uses (a pool filled, a hydrant
flushed), a large night user and 15-minute noise. Background losses are pressure-dependent
emitters at every consumer node (15 % of consumption). A leak is an emitter on a new node,
connected by a pipe that a control opens at the onset and closes at the repair; an incipient
leak is twelve such emitters opening one after the other over its ramp. The sector's net
inflow is the sum of the demands its junctions draw (consumers, losses, leaks, watering),
read as what its reservoirs and tanks give: inflow minus storage change, as a district
meter balance gives.

**Scenarios** (``scenarios``; each a flag on the true leak or on the sector), e.g. 30 sectors:

- leak sizes 1, 2, 3, 5, 7, 10, 14 and 20 % of the sector's mean inflow (leak-free run),
  drawn from a balanced pool; **abrupt** leaks, and **incipient** ones growing over 30–60 days;
- **repaired** leaks, 2–8 weeks after their onset (after the ramp for incipient ones), and
  leaks **never repaired**, running to the end of the year;
- **stacked** leaks: a fifth of the sectors have 2 or 3 abrupt leaks overlapping, each
  starting 4–12 days after the previous one while it still runs, each with its own size and
  repair (a quarter never repaired);
- **summer night watering**: a quarter of the sectors have garden timers (20–60 gardens, each
  30–90 minutes between 22:00 and 06:00, some every other night) from June to September,
  none on the night after a rainy day (a Markov chain of wet and dry days), one and a half
  times longer during heat waves; on a watering night they draw on average 5–15 % of the
  sector's mean inflow over 22:00–06:00. Half of these sectors have no leak (they measure
  false alarms), half a sequence of leaks;
- the other sectors: about 15 % stay leak-free, the rest have a sequence of leaks, one at a
  time from mid-February, each 25–70 days after the previous repair; a fifth of the leaks of
  a sequence are never repaired (and end it).

With 30 sectors: 53 true leaks on seed 7, 57 on seed 11, 54 on seed 3, 52 on seed 5.

**Detectors**, on the same series in the same run, all through the same code as the live
detector (``night_flow.night_minima_from_flow``, then the detector on ``nights.end_s``):

- *nouveau*: ``beffroi.domains.water.leaks.detect_leaks`` as it is in the tree. When it
  takes repair records (``repairs=``), the simulated operator records the repair of a
  repaired leak at its true repair time on the detected leak it matches, only if that leak
  was raised before the repair. Records are built in time order, each from a run with the
  previous ones: the detector is causal, so a run shows what the operator saw then. On the
  sectors with garden timers, the operator has declared the watering season (a yearly use,
  June to September, ``seasonal=``, read by ``exceptional_uses.seasonal_ranges``);
- *sans saisie*: the same detector with no repair ever recorded and no season declared (as
  on a benchmark that tells the detector nothing): only the night flow ends a leak;
- *précédent*: the pre-#15 detector (``previous_leak_detector.py``), without repairs;
- *seuil fixe*: an alarm while the night flow is more than 10 % above its median over the
  first 30 nights, resolved when it falls back below.

**Matching** (``leak_scores.py``, with the scores and the table), one to one in each
sector: a detected leak can match a true leak when it was raised between the true onset and
the repair + 3 days (the end of the data for a leak never repaired), with its estimated
onset at most 3 days after it was raised; pairs are taken greedily, the detected onset
closest to the true onset first. So two stacked leaks need two detected leaks. A detected
leak matching no true leak is a false alarm.

**Scores**, per detector, overall and per category (never repaired, repaired, stacked,
incipient, abrupt, leaks of watering sectors): the share of leaks found within 30 days of
their onset, for leaks ≥ 5 %, 2–5 % and < 2 % of the mean inflow, per size, per kind and
for stacked leaks; the median delay (days ≈ nights) of abrupt leaks ≥ 5 %; false alarms
per sector-year, overall and on watering sectors; leaks **closed while still leaking** (a
matched detected leak resolved more than a day before the true repair); for repaired
leaks found, the share closed within 7 days after the repair. **Visible leaks**: how many
leaks lift the sector's night flow by at least 2.5 × its night-to-night noise (the new
detector's smallest step; ``leak_scores.night_step_sigma``, computed from the series, not
from any detector), and the share of those found — on these sectors the night flow moves by
3–5 % from one night to the next, so most leaks of 2–5 % of the mean inflow lift it by
less than 2.5 × that noise.

**Targets** of the new detector (``targets`` and ``ok`` in the JSON): ≥ 95 % of leaks ≥ 5 %
found within 30 days, ≥ 70 % of leaks of 2–5 %, a median delay ≤ 2 days for abrupt leaks
≥ 5 %, ≤ 0.5 false alarm per sector-year, no leak closed while still leaking, every stacked
leak ≥ 5 % found as its own leak within 30 days. Detectors are tuned on seed 7 and reported
on seed 11 (the default); seeds 3 and 5 are controls, simulated after the settings were chosen.

**Readings.** The detectors see the simulated quarter-hourly flows; ``--step-minutes 60``
shows them hourly means instead (a meter read every hour: the nights then have no
variability, and garden timers covering the night window cannot be told from a leak).
``--night-shift SHARE`` adds to every sector a large user working weekday nights: SHARE ×
its mean inflow from 00:00 to 06:00 on the nights from Monday to Saturday morning (± 10 %
per step), on top of the simulated inflow (its pressure effect left out): a weekly pattern
in the night flow.

**Runs.** ``PYTHONPATH=src python bench/leaks.py [--seed 11] [--sectors 30]``. Simulating
needs the ``bench`` extra (wntr); scoring cached series needs numpy only. Series are cached
in ``--cache-dir`` (default /tmp/beffroi-leaks-cache), one file per seed, sector count and
``SCENARIO_VERSION`` (bump it when scenarios or the simulation change; a file whose
scenarios differ is simulated again), or in ``--cache FILE.npz``. On the 2-CPU machine, 30
sectors take ~3.5 min of CPU to simulate (two workers: ~2 min; the ky4 sectors most of it;
5–9 min measured while other jobs loaded the machine), and ~2 s to score from the cache.
Prints the table on stderr, then one JSON line on stdout.
"""

from __future__ import annotations

import argparse
import hashlib
import inspect
import os
import tempfile
import time
from collections import namedtuple
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed

import numpy as np
import previous_leak_detector
from harness import emit, log
from leak_scores import (
    DAY_S,
    DAYS,
    SIZES,
    Found,
    Sector,
    TrueLeak,
    found_leaks,
    match,
    night_step_sigma,
    score,
    table,
    targets,
)

from beffroi.core.clock import local_time
from beffroi.domains.water import leaks as live
from beffroi.domains.water.night_flow import Nights, night_minima_from_flow

try:
    from beffroi.domains.water.leaks import Repair
except ImportError:  # the detector before repair records: never called with them
    Repair = namedtuple("Repair", "onset_s repaired_s")
try:
    from beffroi.domains.water.exceptional_uses import seasonal_ranges
except ImportError:  # the product before seasonal uses: never called (TAKES_SEASONAL)
    seasonal_ranges = None

SCENARIO_VERSION = "15.1"
STEP_S = 900
START_S = float(np.datetime64("2025-01-01T00:00:00", "s").astype(np.int64))
END_S = START_S + DAYS * DAY_S
NETWORKS = ("Net1.inp", "Net3.inp", "ky4.inp")
COST_S = {"Net1.inp": 1, "Net3.inp": 2, "ky4.inp": 17}  # one sector-year, one CPU
BACKGROUND_SHARE = 0.15  # background losses / consumption
RAMP_STAGES = 12
NEVER_REPAIRED = 0.2  # share of the leaks of a sequence never repaired
STACKED_NEVER_REPAIRED = 0.25
WET_AFTER_DRY, WET_AFTER_WET = 0.15, 0.45  # summer rain, day to day
NAIVE_MARGIN, NAIVE_NIGHTS = 0.10, 30


# -- demand ---------------------------------------------------------------------------------

_HOUSEHOLDS = np.array([0.45, 0.38, 0.34, 0.33, 0.36, 0.55, 1.00, 1.55, 1.65, 1.35, 1.15, 1.10,
                        1.20, 1.10, 0.95, 0.90, 0.95, 1.10, 1.35, 1.50, 1.40, 1.15, 0.85, 0.60])
_BUSINESS = np.array([0.15, 0.15, 0.15, 0.15, 0.15, 0.3, 0.8, 1.6, 2.0, 2.0, 2.0, 1.8,
                      1.5, 1.8, 2.0, 2.0, 1.8, 1.4, 0.8, 0.4, 0.25, 0.2, 0.15, 0.15])


def _ar1(n: int, rng: np.random.Generator, sigma: float, memory: float) -> np.ndarray:
    out = np.zeros(n)
    e = rng.normal(0, sigma * np.sqrt(1 - memory ** 2), n)
    for i in range(1, n):
        out[i] = memory * out[i - 1] + e[i]
    return out


def demand_patterns(t_s: np.ndarray, rng: np.random.Generator
                    ) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Multipliers (mean ≈ 1) of households, businesses and one night user, per step; and
    the heat-wave intensity per step (0 outside heat waves)."""
    lt = local_time(t_s)
    hour, weekend = lt.hour, lt.weekday >= 5
    days = lt.day - lt.day[0]
    n_days = int(days[-1]) + 1
    shift = rng.uniform(-0.5, 0.5)
    house = np.interp((hour - shift - 1.0 * weekend) % 24, np.arange(25),
                      np.append(_HOUSEHOLDS, _HOUSEHOLDS[0])) / _HOUSEHOLDS.mean()
    business = np.interp(hour, np.arange(25), np.append(_BUSINESS, _BUSINESS[0]))
    business = business / _BUSINESS.mean() * np.where(weekend, 0.3, 1.2)
    # Season, weather, holidays and heat move discretionary (daytime) use more than the
    # night's: their effect is weighted by the hour's share of the daily profile.
    weight = np.clip(house, 0.2, None)
    summer = 1 + rng.uniform(0.06, 0.18) * weight * np.cos(
        2 * np.pi * (lt.day_of_year - 200) / 365)
    weather = 1 + (np.exp(_ar1(n_days, rng, 0.04, 0.7))[days] - 1) * weight
    holiday = 1 - 0.10 * weight * ((lt.day_of_year >= 212) & (lt.day_of_year < 233))
    # Heat waves: more use, and a few gardens watered by hand at night.
    heat = np.zeros(len(t_s))
    for _ in range(int(rng.integers(1, 4))):
        first = rng.integers(150, 240)
        during = (lt.day_of_year >= first) & (lt.day_of_year < first + rng.integers(4, 10))
        heat += during * rng.uniform(0.05, 0.15)
    night_watering = heat * 0.1 * ((hour >= 1) & (hour < 5))
    noise = np.exp(_ar1(len(t_s), rng, 0.06, 0.7))
    households = house * summer * weather * holiday * (1 + heat * weight) * noise \
        + night_watering
    businesses = business * weather * np.exp(_ar1(len(t_s), rng, 0.08, 0.7))
    # One-off night uses: ~ one night in thirty, 1–3 hours.
    one_off = np.zeros(len(t_s))
    for night in np.flatnonzero(rng.random(n_days) < 1 / 30):
        begin = night * 86_400 + rng.uniform(0, 4) * 3600 + t_s[0]
        one_off[(t_s >= begin) & (t_s < begin + rng.uniform(1, 3) * 3600)] += rng.uniform(2, 6)
    night_user = np.where(rng.random(n_days)[days] < 0.9, 1.0, 0.2) * (
        1 + 0.1 * rng.normal(size=len(t_s)))
    return {"households": households, "businesses": businesses,
            "night_user": np.clip(night_user, 0, None), "one_off": one_off}, heat


def watering_pattern(t_s: np.ndarray, heat: np.ndarray, amplitude: float,
                     rng: np.random.Generator) -> np.ndarray:
    """Garden timers of a sector, June to September, as a share of its mean inflow per step.

    Each garden's timer runs at the same hours every night (some every other night), none
    on the night after a wet day, 1.5 × longer during heat waves; on a watering night the
    timers draw on average ``amplitude`` × mean inflow over 22:00–06:00."""
    lt = local_time(t_s)
    days = lt.day - lt.day[0]
    n_days = int(days[-1]) + 1
    wet = np.zeros(n_days, dtype=bool)
    for d in range(1, n_days):
        wet[d] = rng.random() < (WET_AFTER_WET if wet[d - 1] else WET_AFTER_DRY)
    hot = np.zeros(n_days, dtype=bool)
    hot[days[heat > 0]] = True
    day_of_year = np.zeros(n_days, dtype=np.int64)
    day_of_year[days] = lt.day_of_year
    since = (lt.hour - 22) % 24  # hours since 22:00
    night = np.clip(days - (lt.hour < 22), 0, None)  # the day the night starts on
    summer = (day_of_year >= 151) & (day_of_year < 273)  # June to September
    waters = (summer & (~wet | hot))[night] & (days - (lt.hour < 22) >= 0)
    gardens = int(rng.integers(20, 61))
    lengths = rng.uniform(0.5, 1.5, gardens)  # hours
    starts = rng.uniform(0, 8 - lengths)
    alternate = rng.random(gardens) < 0.3
    flow = amplitude * 8 / np.sum(lengths * np.where(alternate, 0.5, 1.0))
    stretch = np.where(hot[night], 1.5, 1.0)
    out = np.zeros(len(t_s))
    for g in range(gardens):
        on = waters & (since >= starts[g]) & (since < starts[g] + lengths[g] * stretch)
        if alternate[g]:
            on &= (night + g) % 2 == 0
        out += on * flow
    return out


# -- hydraulics -----------------------------------------------------------------------------

def _network(name: str):
    import wntr

    path = os.path.join(os.path.dirname(wntr.__file__), "library", "networks", name)
    wn = wntr.network.WaterNetworkModel(path)
    # Time-of-day controls of the weekly examples would fire once: keep level controls only.
    for cname, control in list(wn.controls()):
        if "Time" in type(control.condition).__name__:
            wn.remove_control(cname)
    return wn


def _set_times(wn, days: float) -> None:
    wn.options.time.duration = int(days * 86_400) - STEP_S
    wn.options.time.hydraulic_timestep = STEP_S
    wn.options.time.report_timestep = STEP_S
    wn.options.time.pattern_timestep = STEP_S
    wn.options.time.quality_timestep = STEP_S
    wn.options.quality.parameter = "NONE"


def _run(wn, days: float, prefix: str) -> tuple[np.ndarray, dict]:
    """Demands and pressures of every node (wntr's EpanetSimulator, its results file)."""
    import wntr

    _set_times(wn, days)
    results = wntr.sim.EpanetSimulator(wn).run_sim(file_prefix=prefix)
    return results.node["demand"], results.node["pressure"]


def _net_inflow(wn, days: float, prefix: str) -> np.ndarray:
    """Σ junction demands (consumers, emitters) in m³/h at each step: −Σ demands of the
    reservoirs and tanks, i.e. the sector's inflow minus its storage change. Read through
    the EPANET toolkit step by step, so that no results file of every node is written and
    read back (ky4: ~2 GB a year)."""
    from wntr.epanet.toolkit import ENepanet
    from wntr.epanet.util import EN
    from wntr.network.io import write_inpfile

    _set_times(wn, days)
    write_inpfile(wn, f"{prefix}.inp", units="CMH")
    en = ENepanet()
    en.ENopen(f"{prefix}.inp", f"{prefix}.rpt", f"{prefix}.bin")
    sources = [en.ENgetnodeindex(n) for n in wn.reservoir_name_list + wn.tank_name_list]
    en.ENopenH()
    en.ENinitH(0)
    inflow = []
    while True:
        if en.ENrunH() % STEP_S == 0:  # report instants; skip intermediate events
            inflow.append(-sum(en.ENgetnodevalue(i, EN.DEMAND) for i in sources))
        if en.ENnextH() <= 0:
            break
    en.ENcloseH()
    en.ENclose()
    return np.array(inflow)


def simulate_sector(sector: Sector) -> tuple[np.ndarray, np.ndarray, float]:
    """(epoch s, net inflow m³/h, mean leak-free inflow m³/h) of one sector-year."""
    from wntr.network.controls import Control, ControlAction, SimTimeCondition

    rng = np.random.default_rng(sector.seed)
    t_s = np.arange(START_S, END_S, STEP_S, dtype=np.float64)
    patterns, heat = demand_patterns(t_s, rng)
    wn = _network(sector.network)
    consumers = [n for n, j in wn.junctions() if j.base_demand > 0]
    total = sum(wn.get_node(n).base_demand for n in consumers)
    for key, values in patterns.items():
        wn.add_pattern(key, values.tolist())
    night_node, one_off_node = rng.choice(consumers, 2)
    for n in consumers:
        j = wn.get_node(n)
        base = j.base_demand
        j.demand_timeseries_list.clear()
        share_business = 0.15 if rng.random() < 0.3 else 0.0
        j.add_demand(base * (1 - share_business), "households")
        if share_business:
            j.add_demand(base * share_business, "businesses")
    wn.get_node(night_node).add_demand(0.03 * total, "night_user")
    wn.get_node(one_off_node).add_demand(0.01 * total, "one_off")

    with tempfile.TemporaryDirectory(prefix="beffroi-leaks-") as tmp:
        # A week without losses sets the emitters: background losses ∝ √pressure.
        demand, pressure = _run(wn, 7, os.path.join(tmp, "calib"))
        mean_p = pressure[consumers].clip(lower=1.0).mean()
        consumption = float(demand[consumers].sum(axis=1).mean())
        weights = np.array([wn.get_node(n).base_demand for n in consumers]) / total
        for n, w in zip(consumers, weights, strict=True):
            wn.get_node(n).emitter_coefficient = (BACKGROUND_SHARE * consumption * w
                                                  / np.sqrt(mean_p[n]))
        mean_inflow = consumption * (1 + BACKGROUND_SHARE)
        if sector.watering:
            garden_rng = np.random.default_rng([sector.seed, 1])
            wn.add_pattern("watering", watering_pattern(t_s, heat, sector.watering,
                                                        garden_rng).tolist())
            gardens_at = garden_rng.choice(consumers, min(3, len(consumers)), replace=False)
            for n in gardens_at:
                wn.get_node(n).add_demand(mean_inflow / len(gardens_at), "watering")
        for i, leak in enumerate(sector.leaks):
            at = str(rng.choice(consumers))
            node = wn.get_node(at)
            stages = RAMP_STAGES if leak.kind == "incipient" else 1
            for s in range(stages):
                name = f"L{i}_{s}"
                wn.add_junction(name, base_demand=0.0, elevation=node.elevation,
                                coordinates=node.coordinates)
                wn.get_node(name).emitter_coefficient = (
                    leak.share * mean_inflow / stages / np.sqrt(mean_p[at]))
                wn.add_pipe(f"P{name}", at, name, length=1.0, diameter=0.3, roughness=120,
                            initial_status="CLOSED")
                pipe = wn.get_link(f"P{name}")
                opens = leak.onset_s + leak.ramp_days * 86_400 * s / stages - START_S
                for label, when, status in (("open", opens, 1),
                                            ("close", leak.repair_s - START_S, 0)):
                    wn.add_control(f"{label}{name}", Control(
                        SimTimeCondition(wn, "=", int(when)),
                        ControlAction(pipe, "status", status)))
        inflow = _net_inflow(wn, DAYS, os.path.join(tmp, "year"))
    n = min(len(inflow), len(t_s))
    return t_s[:n], inflow[:n], mean_inflow * 3600


def _simulate(sector: Sector):
    return sector.name, *simulate_sector(sector)


# -- scenarios ------------------------------------------------------------------------------

def _leak_sequence(rng: np.random.Generator, sizes: list[float], kinds: list[str]
                   ) -> list[TrueLeak]:
    """Leaks one at a time from mid-February; a leak never repaired ends the sequence."""
    leaks = []
    day = rng.uniform(45, 70)
    while day < DAYS - 40:
        kind = kinds.pop()
        ramp = float(rng.uniform(30, 60)) if kind == "incipient" else 0.0
        onset = day + rng.uniform(0, 1)
        repair = onset + ramp + rng.uniform(14, 56)
        repaired = rng.random() >= NEVER_REPAIRED and repair < DAYS
        leaks.append(TrueLeak(START_S + onset * DAY_S,
                              START_S + repair * DAY_S if repaired else END_S,
                              sizes.pop(), kind, ramp, repaired))
        if not repaired:
            break
        day = repair + rng.uniform(25, 70)
    return leaks


def _stacked_leaks(rng: np.random.Generator, sizes: list[float]) -> list[TrueLeak]:
    """2 or 3 abrupt leaks, each starting 4–12 days after the previous one (which runs for
    at least 14 days), each repaired 2–8 weeks after its onset or never."""
    leaks = []
    onset = rng.uniform(50, 220)
    for j in range(int(rng.integers(2, 4))):
        onset += rng.uniform(4, 12) if j else 0.0
        repaired = rng.random() >= STACKED_NEVER_REPAIRED
        repair = onset + rng.uniform(14, 56)
        leaks.append(TrueLeak(START_S + onset * DAY_S,
                              START_S + repair * DAY_S if repaired else END_S,
                              sizes.pop(), "abrupt", 0.0, repaired, stacked=True))
    return leaks


def scenarios(count: int, seed: int) -> list[Sector]:
    """The sectors of a run (see the module docstring); deterministic in (count, seed)."""
    rng = np.random.default_rng(seed)
    watering = round(count / 4)
    roles = (["watering"] * (watering // 2) + ["watering+leaks"] * (watering - watering // 2)
             + ["leak-free"] * round(count * 0.15) + ["stacked"] * round(count / 5))
    roles = (roles + ["leaks"] * count)[:count]
    rng.shuffle(roles)
    sizes = list(SIZES) * (count * 2)
    rng.shuffle(sizes)
    kinds = ["abrupt", "incipient"] * (count * 3)
    rng.shuffle(kinds)
    sectors = []
    for i, role in enumerate(roles):
        leaks: list[TrueLeak] = []
        if role == "stacked":
            leaks = _stacked_leaks(rng, sizes)
        elif role in ("leaks", "watering+leaks"):
            leaks = _leak_sequence(rng, sizes, kinds)
        amplitude = float(rng.uniform(0.05, 0.15)) if role.startswith("watering") else 0.0
        sectors.append(Sector(f"S{i + 1:02d}", NETWORKS[i % len(NETWORKS)], seed * 1000 + i,
                              tuple(leaks), amplitude))
    return sectors


# -- simulated series, cached -----------------------------------------------------------------

Series = dict[str, tuple[np.ndarray, np.ndarray, float]]  # name: (t, inflow m³/h, mean)


def _fingerprint(sectors: list[Sector]) -> str:
    return SCENARIO_VERSION + ":" + hashlib.sha256(repr(sectors).encode()).hexdigest()[:16]


def load_series(path: str, sectors: list[Sector]) -> Series | None:
    """The cached series of these very scenarios, or None."""
    if not os.path.exists(path):
        return None
    with np.load(path) as data:
        if str(data["fingerprint"]) != _fingerprint(sectors):
            log(f"{path} : autres scénarios, simulation à refaire")
            return None
        return {s.name: (data["t"], data[s.name], float(data[f"{s.name}_mean"]))
                for s in sectors}


def save_series(path: str, sectors: list[Sector], series: Series) -> None:
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    partial = f"{path}.{os.getpid()}.tmp.npz"
    np.savez(partial, fingerprint=np.array(_fingerprint(sectors)),
             t=next(iter(series.values()))[0], **{k: v[1] for k, v in series.items()},
             **{f"{k}_mean": np.array(v[2]) for k, v in series.items()})
    os.replace(partial, path)


def simulate(sectors: list[Sector], workers: int) -> Series:
    """All sectors through EPANET in parallel, the slowest networks first."""
    log(f"simulation EPANET : {len(sectors)} secteurs × {DAYS} jours au pas de 15 min")
    series: Series = {}
    by_name = {s.name: s for s in sectors}
    with ProcessPoolExecutor(workers) as pool:
        jobs = [pool.submit(_simulate, s)
                for s in sorted(sectors, key=lambda s: -COST_S.get(s.network, 10))]
        for job in as_completed(jobs):
            name, t_s, inflow, mean = job.result()
            series[name] = (t_s, inflow, mean)
            sector = by_name[name]
            log(f"  {name} ({sector.network}) : {len(sector.leaks)} fuite(s)"
                + (f", arrosage {sector.watering:.0%}" if sector.watering else ""))
    return {s.name: series[s.name] for s in sectors}


def night_shift(t_s: np.ndarray, mean_m3h: float, share: float, seed: int) -> np.ndarray:
    """The flow (m³/h per step) of a large user working weekday nights: ``share`` × the
    sector's mean inflow, 00:00–06:00 local on the mornings from Tuesday to Saturday,
    ± 10 % per step."""
    lt = local_time(t_s)
    working = (lt.hour < 6) & np.isin(lt.weekday, (1, 2, 3, 4, 5))
    noise = np.random.default_rng(seed).normal(1.0, 0.1, len(t_s))
    return share * mean_m3h * working * noise


def coarser(t_s: np.ndarray, inflow: np.ndarray, factor: int) -> tuple[np.ndarray, np.ndarray]:
    """The series as a meter reading every ``factor`` steps would give it: the mean flow of
    each group of steps, dated at its start (the simulated flows are step means)."""
    if factor <= 1:
        return t_s, inflow
    whole = len(t_s) // factor * factor
    return t_s[:whole:factor], inflow[:whole].reshape(-1, factor).mean(axis=1)


# -- detectors --------------------------------------------------------------------------------

TAKES_REPAIRS = "repairs" in inspect.signature(live.detect_leaks).parameters
TAKES_VARIABILITY = "variability" in inspect.signature(live.detect_leaks).parameters
TAKES_SEASONAL = "seasonal" in inspect.signature(live.detect_leaks).parameters
TAKES_RESOLUTION = "resolution_m3h" in inspect.signature(live.detect_leaks).parameters
WATERING_SEASON = ("2025-06-01", "2025-09-30")  # the garden timers' months, declared


def _new_scan(nights: Nights, repairs: list, seasonal: list | None = None) -> list[Found]:
    """The live detector on a sector's nights, with these repair records and declared
    seasonal night uses."""
    extra = {"repairs": tuple(repairs)} if TAKES_REPAIRS else {}
    if TAKES_VARIABILITY:
        extra["variability"] = nights.variability_m3h
    if TAKES_SEASONAL and seasonal:
        extra["seasonal"] = seasonal
    if TAKES_RESOLUTION:
        extra["resolution_m3h"] = getattr(nights, "resolution_m3h", 0.0)
    return found_leaks(live.detect_leaks(nights.end_s, nights.minimum_m3h, **extra))


def declared_watering(sector: Sector, nights: Nights) -> list:
    """The watering season as the operator of a sector with garden timers declares it (a
    yearly use, June to September), through the product's own reading of it."""
    if not sector.watering or not TAKES_SEASONAL or not len(nights):
        return []
    use = {"start": WATERING_SEASON[0], "end": WATERING_SEASON[1],
           "label": "Arrosage des jardins", "yearly": True}
    return seasonal_ranges({"exceptional_uses": [use]}, float(nights.start_s[0]),
                           float(nights.end_s[-1]))


def new_detector(sector: Sector, nights: Nights) -> list[Found]:
    """The live detector, told of each repair of a leak it had raised and of the watering
    season of a sector with garden timers, as the operator would."""
    seasonal = declared_watering(sector, nights)
    found = _new_scan(nights, [], seasonal)
    if not TAKES_REPAIRS:
        return found
    repairs = []
    for i, leak in sorted(enumerate(sector.leaks), key=lambda p: p[1].repair_s):
        if not leak.repaired:
            continue
        j = match(sector.leaks, found).get(i)
        if j is not None and found[j].detected_s < leak.repair_s:
            repairs.append(Repair(onset_s=found[j].onset_s, repaired_s=leak.repair_s))
            found = _new_scan(nights, repairs, seasonal)
    return found


def new_unrecorded(sector: Sector, nights: Nights) -> list[Found]:
    """The live detector with no repair ever recorded and no season declared: only the
    night flow ends a leak."""
    return _new_scan(nights, [])


def previous_detector(sector: Sector, nights: Nights) -> list[Found]:
    return found_leaks(previous_leak_detector.detect_leaks(nights.end_s, nights.minimum_m3h))


def fixed_threshold(sector: Sector, nights: Nights) -> list[Found]:
    """An alarm each time the night flow rises above 110 % of its early median, resolved
    when it falls back below."""
    mnf = nights.minimum_m3h
    threshold = np.nanmedian(mnf[:NAIVE_NIGHTS]) * (1 + NAIVE_MARGIN)
    found, raised = [], None
    for i in range(NAIVE_NIGHTS, len(mnf)):
        if not np.isfinite(mnf[i]):
            continue
        t = float(nights.end_s[i])
        if raised is None and mnf[i] > threshold:
            raised = t
        elif raised is not None and mnf[i] <= threshold:
            found.append(Found(raised, raised, t))
            raised = None
    return found + ([Found(raised, raised, None)] if raised is not None else [])


DETECTORS: dict[str, tuple[str, Callable[[Sector, Nights], list[Found]]]] = {
    "new": ("nouveau", new_detector),
    "new_unrecorded": ("sans saisie", new_unrecorded),
    "previous": ("précédent", previous_detector),
    "fixed_threshold": ("seuil fixe", fixed_threshold),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sectors", type=int, default=30)
    parser.add_argument("--seed", type=int, default=11,
                        help="11 : rapport (réglages : 7, contrôles : 3 et 5)")
    parser.add_argument("--workers", type=int, default=max(1, min(4, os.cpu_count() or 1)))
    parser.add_argument("--cache-dir", default="/tmp/beffroi-leaks-cache",
                        help="dossier des séries simulées, une par graine ('' : aucun)")
    parser.add_argument("--cache", help="fichier .npz des séries simulées (remplace --cache-dir)")
    parser.add_argument("--step-minutes", type=int, default=15, choices=(15, 30, 60),
                        help="pas des relevés vus par les détecteurs (moyennes des quarts "
                             "d'heure simulés ; 60 : index horaires, sans variabilité de nuit)")
    parser.add_argument("--night-shift", type=float, default=0.0, metavar="PART",
                        help="un gros consommateur qui travaille les nuits de semaine, cette "
                             "part du débit moyen de 0 h à 6 h (0 : aucun)")
    args = parser.parse_args()
    started = time.perf_counter()
    sectors = scenarios(args.sectors, args.seed)
    path = args.cache or (os.path.join(
        args.cache_dir, f"leaks-v{SCENARIO_VERSION}-seed{args.seed}-{args.sectors}.npz")
        if args.cache_dir else None)
    series = load_series(path, sectors) if path else None
    if series is not None:
        log(f"séries relues dans {path}")
    else:
        series = simulate(sectors, args.workers)
        if path:
            save_series(path, sectors, series)
            log(f"séries enregistrées dans {path}")
    simulated_s = time.perf_counter() - started

    found: dict[str, dict[str, list[Found]]] = {key: {} for key in DETECTORS}
    steps: dict[str, list[float]] = {}
    for number, sector in enumerate(sectors):
        t_s, inflow, mean_m3h = series[sector.name]
        if args.night_shift:
            inflow = inflow + night_shift(t_s, mean_m3h, args.night_shift, args.seed * 100 + number)
        t_s, inflow = coarser(t_s, inflow, args.step_minutes * 60 // STEP_S)
        nights = night_minima_from_flow(t_s, inflow)
        steps[sector.name] = [night_step_sigma(nights.end_s, nights.minimum_m3h, leak)
                              for leak in sector.leaks]
        for key, (_, detector) in DETECTORS.items():
            found[key][sector.name] = detector(sector, nights)
    scores = {key: score(sectors, found[key], steps) for key in DETECTORS}
    scored_s = time.perf_counter() - started - simulated_s

    for line in table(sectors, scores, [label for label, _ in DETECTORS.values()]):
        log(line)
    goals = targets(scores["new"])
    missed = [key for key, goal in goals.items() if not goal["ok"]]
    log("objectifs du nouveau détecteur : " + ("tous atteints" if not missed
                                               else "manqués : " + ", ".join(missed)))
    emit({"bench": "leaks", "seed": args.seed, "sectors": len(sectors), "days": DAYS,
          "step_s": STEP_S, "reading_step_s": args.step_minutes * 60,
          "night_shift_share": args.night_shift,
          "networks": list(NETWORKS), "scenario_version": SCENARIO_VERSION,
          "true_leaks": sum(len(s.leaks) for s in sectors),
          "watering_sectors": sum(s.watering > 0 for s in sectors),
          "new_takes_repairs": TAKES_REPAIRS, **scores, "targets": goals, "ok": not missed,
          "simulation_s": round(simulated_s, 1), "scoring_s": round(scored_s, 1),
          "total_s": round(time.perf_counter() - started, 1)})


if __name__ == "__main__":
    main()
