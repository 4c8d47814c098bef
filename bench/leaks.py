"""Leak detection by minimum night flow, evaluated on a year of hydraulic simulation.

Sectors are public EPANET networks bundled with wntr (Net1, Net3), each simulated by
EPANET (wntr's EpanetSimulator) over one year at 15-minute steps with its own demand:
daily profiles (weekday/weekend, households and businesses), a summer rise, weather
(day-to-day autocorrelated factor), holidays, heat waves with some night watering,
one-off night uses (a pool filled, a hydrant flushed) and 15-minute noise. Background
losses are pressure-dependent emitters at every consumer node. Leaks are emitters on a
new node, connected by a pipe that a control opens at the onset and closes at the repair;
an incipient leak is eight such emitters opening one after the other (a staircase ramp).
Leak sizes run from 2 % to 20 % of the sector's mean inflow (leak-free run); a quarter
of the sectors stay leak-free.

The sector's net inflow is the sum of the demands its junctions draw (consumers,
background losses, leaks): inflow minus storage change, as a district meter balance
gives. Each series goes through the same code as the live detector
(``night_flow.night_minima_from_flow`` then ``leaks.detect_leaks`` with its defaults),
and through a naive baseline in the same run: an alarm while the night flow is more
than 10 % above its median over the first 30 nights.

Scores: a leak is detected when an alarm is raised between its onset and its repair
(+ 3 days); delay = detection − onset. An alarm matching no leak is a false alarm.
Prints a table on stderr, then one JSON line on stdout.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

import numpy as np
from harness import emit, log

from beffroi.domains.water.leaks import detect_leaks
from beffroi.domains.water.night_flow import night_minima_from_flow

STEP_S = 900
DAYS = 365
START = "2025-01-01T00:00:00"
SIZES = (0.02, 0.03, 0.05, 0.07, 0.10, 0.14, 0.20)  # share of the mean inflow
NETWORKS = ("Net1.inp", "Net3.inp")
BACKGROUND_SHARE = 0.15  # background losses / consumption
NAIVE_MARGIN, NAIVE_NIGHTS = 0.10, 30
MATCH_AFTER_S = 3 * 86_400
RAMP_STAGES = 8


@dataclass(frozen=True)
class TrueLeak:
    onset_s: float
    repair_s: float
    share: float  # of the mean inflow
    kind: str  # "abrupt" | "incipient"
    ramp_days: float = 0.0


@dataclass(frozen=True)
class Sector:
    name: str
    network: str
    seed: int
    leaks: tuple[TrueLeak, ...]


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


def demand_patterns(t_s: np.ndarray, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Multipliers (mean ≈ 1) of households, businesses and one night user, per step."""
    from beffroi.demo.calendar import local_time

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
    # Heat waves: more use, and a few gardens watered by timers at night.
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
            "night_user": np.clip(night_user, 0, None), "one_off": one_off}


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


def _run(wn, days: float, prefix: str) -> tuple[np.ndarray, dict]:
    import wntr

    wn.options.time.duration = int(days * 86_400) - STEP_S
    wn.options.time.hydraulic_timestep = STEP_S
    wn.options.time.report_timestep = STEP_S
    wn.options.time.pattern_timestep = STEP_S
    wn.options.time.quality_timestep = STEP_S
    wn.options.quality.parameter = "NONE"
    results = wntr.sim.EpanetSimulator(wn).run_sim(file_prefix=prefix)
    return results.node["demand"], results.node["pressure"]


def simulate_sector(sector: Sector) -> tuple[np.ndarray, np.ndarray, float]:
    """(epoch s, net inflow m³/h, mean leak-free inflow m³/h) of one sector-year."""
    from wntr.network.controls import Control, ControlAction, SimTimeCondition

    rng = np.random.default_rng(sector.seed)
    t0 = np.datetime64(START, "s").astype(np.int64)
    t_s = np.arange(t0, t0 + DAYS * 86_400, STEP_S, dtype=np.float64)
    patterns = demand_patterns(t_s, rng)
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
                opens = leak.onset_s + leak.ramp_days * 86_400 * s / stages - t0
                for label, when, status in (("open", opens, 1), ("close", leak.repair_s - t0, 0)):
                    wn.add_control(f"{label}{name}", Control(
                        SimTimeCondition(wn, "=", int(when)),
                        ControlAction(pipe, "status", status)))
        demand, _ = _run(wn, DAYS, os.path.join(tmp, "year"))
    nodes = consumers + [n for n in demand.columns if str(n).startswith("L")]
    inflow = demand[nodes].sum(axis=1).to_numpy() * 3600
    n = min(len(inflow), len(t_s))
    return t_s[:n], inflow[:n], mean_inflow * 3600


# -- scenarios and scoring ------------------------------------------------------------------

def scenarios(count: int, seed: int) -> list[Sector]:
    rng = np.random.default_rng(seed)
    t0 = float(np.datetime64(START, "s").astype(np.int64))
    sectors = []
    sizes = list(SIZES) * 10
    rng.shuffle(sizes)
    kinds = ["abrupt", "incipient"] * 40
    for i in range(count):
        leaks = []
        if i % 6 < 4:  # a third of the sectors stay leak-free
            day = rng.uniform(45, 70)
            while day < DAYS - 40:
                kind = kinds.pop()
                ramp = float(rng.uniform(7, 45)) if kind == "incipient" else 0.0
                length = ramp + rng.uniform(25, 60)
                onset = t0 + day * 86_400 + rng.uniform(0, 86_400)
                leaks.append(TrueLeak(onset, min(onset + length * 86_400, t0 + DAYS * 86_400),
                                      sizes.pop(), kind, ramp))
                day += length + rng.uniform(25, 70)
        sectors.append(Sector(f"S{i + 1:02d}", NETWORKS[i % len(NETWORKS)], seed * 1000 + i,
                              tuple(leaks)))
    return sectors


def naive_alarms(night_s: np.ndarray, mnf: np.ndarray) -> list[float]:
    """Fixed threshold: an alarm each time the night flow crosses 110 % of its early median."""
    threshold = np.nanmedian(mnf[:NAIVE_NIGHTS]) * (1 + NAIVE_MARGIN)
    above = np.nan_to_num(mnf, nan=-np.inf) > threshold
    starts = np.flatnonzero(above & ~np.concatenate([[False], above[:-1]]))
    return [float(night_s[i]) for i in starts if i >= NAIVE_NIGHTS]


def score(sectors: list[Sector], alarms: dict[str, list[float]]) -> dict:
    rows, false_alarms = [], 0
    for sector in sectors:
        used = set()
        for leak in sector.leaks:
            hit = [a for a in alarms[sector.name]
                   if leak.onset_s <= a <= leak.repair_s + MATCH_AFTER_S]
            used.update(hit)
            rows.append((leak, (min(hit) - leak.onset_s) / 86_400 if hit else None))
        false_alarms += len([a for a in alarms[sector.name] if a not in used])

    def rate(selected):
        return round(sum(d is not None for _, d in selected) / len(selected), 3) if selected \
            else None

    def median_delay(selected):
        delays = [d for _, d in selected if d is not None]
        return round(float(np.median(delays)), 2) if delays else None

    big = [r for r in rows if r[0].share >= 0.05]
    return {
        "leaks": len(rows), "leaks_ge5": len(big),
        "detection_rate_ge5": rate(big),
        "detection_rate_lt5": rate([r for r in rows if r[0].share < 0.05]),
        "detection_rate_abrupt_ge5": rate([r for r in big if r[0].kind == "abrupt"]),
        "detection_rate_incipient_ge5": rate([r for r in big if r[0].kind == "incipient"]),
        "median_delay_abrupt_days": median_delay([r for r in rows if r[0].kind == "abrupt"]),
        "median_delay_incipient_days": median_delay([r for r in rows
                                                     if r[0].kind == "incipient"]),
        "false_alarms": false_alarms,
        "false_alarms_per_sector_year": round(false_alarms / len(sectors) * 365 / DAYS, 3),
        "by_size": {f"{s:.0%}": rate([r for r in rows if r[0].share == s]) for s in SIZES},
    }


def evaluate(sector: Sector, t_s: np.ndarray, inflow: np.ndarray) -> tuple[list, list]:
    nights = night_minima_from_flow(t_s, inflow)
    scan = detect_leaks(nights.end_s, nights.minimum_m3h)
    return ([leak.detected_s for leak in scan.leaks],
            naive_alarms(nights.end_s, nights.minimum_m3h))


def _simulate(sector: Sector):
    return sector, *simulate_sector(sector)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sectors", type=int, default=24)
    parser.add_argument("--seed", type=int, default=11)  # tuned on seed 7
    parser.add_argument("--workers", type=int, default=max(1, min(4, os.cpu_count() or 1)))
    parser.add_argument("--cache", help="fichier .npz : séries simulées (réutilisées si présent)")
    args = parser.parse_args()
    started = time.perf_counter()
    sectors = scenarios(args.sectors, args.seed)
    series: dict[str, tuple[np.ndarray, np.ndarray, float]] = {}
    if args.cache and os.path.exists(args.cache):
        data = np.load(args.cache)
        series = {s.name: (data["t"], data[s.name], float(data[f"{s.name}_mean"]))
                  for s in sectors}
        log(f"séries relues dans {args.cache}")
    else:
        log(f"simulation EPANET : {len(sectors)} secteurs × {DAYS} jours au pas de 15 min")
        with ProcessPoolExecutor(args.workers) as pool:
            for sector, t_s, inflow, mean in pool.map(_simulate, sectors):
                series[sector.name] = (t_s, inflow, mean)
                log(f"  {sector.name} ({sector.network}) : {len(sector.leaks)} fuite(s)")
        if args.cache:
            np.savez(args.cache, t=next(iter(series.values()))[0],
                     **{k: v[1] for k, v in series.items()},
                     **{f"{k}_mean": v[2] for k, v in series.items()})
    simulated_s = time.perf_counter() - started

    detector, naive = {}, {}
    for sector in sectors:
        t_s, inflow, _ = series[sector.name]
        detector[sector.name], naive[sector.name] = evaluate(sector, t_s, inflow)
    ours, base = score(sectors, detector), score(sectors, naive)

    lines = [f"{'':34}{'CUSUM nuit':>12}{'seuil fixe':>12}",
             f"{'fuites (≥ 5 % du débit moyen)':34}{ours['leaks']:>6} ({ours['leaks_ge5']})"]
    for label, key in (("détection, fuites ≥ 5 %", "detection_rate_ge5"),
                       ("  dont brutales", "detection_rate_abrupt_ge5"),
                       ("  dont progressives", "detection_rate_incipient_ge5"),
                       ("détection, fuites < 5 %", "detection_rate_lt5"),
                       ("délai médian, brutales (j)", "median_delay_abrupt_days"),
                       ("délai médian, progressives (j)", "median_delay_incipient_days"),
                       ("fausses alarmes / secteur-an", "false_alarms_per_sector_year")):
        lines.append(f"{label:34}{_cell(ours[key]):>12}{_cell(base[key]):>12}")
    for size in ours["by_size"]:
        lines.append(f"{'  détection, fuites de ' + size:34}{_cell(ours['by_size'][size]):>12}"
                     f"{_cell(base['by_size'][size]):>12}")
    for line in lines:
        log(line)
    ok = ((ours["detection_rate_ge5"] or 0) >= 0.9
          and (ours["median_delay_abrupt_days"] or 99) <= 3
          and ours["false_alarms_per_sector_year"] <= 1)
    emit({"bench": "leaks", "sectors": len(sectors), "days": DAYS, "step_s": STEP_S,
          "networks": list(NETWORKS), "detector": ours, "naive_threshold": base,
          "targets": {"detection_rate_ge5": 0.9, "median_delay_abrupt_days": 3,
                      "false_alarms_per_sector_year": 1},
          "simulation_s": round(simulated_s, 1),
          "total_s": round(time.perf_counter() - started, 1), "ok": ok})


def _cell(value) -> str:
    return "—" if value is None else f"{value:g}"


if __name__ == "__main__":
    main()
