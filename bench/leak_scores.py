"""Matching and scores of the leak benchmark (``leaks.py``): true leaks, detected leaks,
the one-to-one matching, the figures per category, the targets and the French table."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

DAYS = 365
DAY_S = 86_400
SIZES = (0.01, 0.02, 0.03, 0.05, 0.07, 0.10, 0.14, 0.20)  # share of the mean inflow
MATCH_SLACK_S = 3 * DAY_S
FOUND_WITHIN_DAYS = 30
CLOSED_AFTER_REPAIR_S = 7 * DAY_S
NOISE_NIGHTS = 28
VISIBLE_SIGMA = 2.5  # the new detector's smallest step (``LeakParams.min_excess``)


@dataclass(frozen=True)
class TrueLeak:
    onset_s: float
    repair_s: float  # the end of the data when never repaired
    share: float  # of the mean inflow
    kind: str  # "abrupt" | "incipient"
    ramp_days: float = 0.0
    repaired: bool = True
    stacked: bool = False


@dataclass(frozen=True)
class Sector:
    name: str
    network: str
    seed: int
    leaks: tuple[TrueLeak, ...]
    watering: float = 0.0  # garden timers: mean night flow on watering nights / mean inflow


@dataclass(frozen=True)
class Found:
    """A leak as a detector reported it (epoch s)."""

    onset_s: float
    detected_s: float
    resolved_s: float | None


def found_leaks(scan) -> list[Found]:
    """The leaks of a detector's scan (``LeakScan``: ``.leaks`` with ``onset_s``,
    ``detected_s``, ``resolved_s``) as the scorer's ``Found``."""
    return [Found(leak.onset_s, leak.detected_s, leak.resolved_s) for leak in scan.leaks]


def night_step_sigma(end_s: np.ndarray, minimum_m3h: np.ndarray, leak: TrueLeak) -> float:
    """How far a leak lifts the night flow, in units of the night-to-night noise: the
    median of its nights once at full size (after its ramp, for 30 days at most, until its
    repair) minus the median of the ``NOISE_NIGHTS`` nights before its onset, over their
    robust spread (1.4826 × MAD, as the new detector measures its sector's noise; an
    earlier leak starting in that window widens it). Independent of the detectors' output."""
    x = np.asarray(minimum_m3h, dtype=np.float64)
    onset = int(np.searchsorted(end_s, leak.onset_s))
    full = int(np.searchsorted(end_s, leak.onset_s + leak.ramp_days * DAY_S))
    end = int(np.searchsorted(end_s, min(leak.repair_s,
                                         leak.onset_s + leak.ramp_days * DAY_S
                                         + FOUND_WITHIN_DAYS * DAY_S)))
    before = x[max(onset - NOISE_NIGHTS, 0):onset]
    before = before[np.isfinite(before)]
    during = x[full:max(end, full + 1)]
    during = during[np.isfinite(during)]
    if len(before) < NOISE_NIGHTS // 2 or not len(during):
        return float("nan")
    level = float(np.median(before))
    noise = 1.4826 * float(np.median(np.abs(before - level)))
    step = float(np.median(during)) - level
    return step / noise if noise > 0 else float("nan")


def match(true: Sequence[TrueLeak], found: Sequence[Found]) -> dict[int, int]:
    """One-to-one {true leak index: detected leak index} (see ``leaks.py``'s docstring)."""
    pairs = sorted((abs(f.onset_s - leak.onset_s), i, j)
                   for i, leak in enumerate(true) for j, f in enumerate(found)
                   if f.onset_s - MATCH_SLACK_S <= f.detected_s
                   and leak.onset_s <= f.detected_s <= leak.repair_s + MATCH_SLACK_S)
    matched: dict[int, int] = {}
    for _, i, j in pairs:
        if i not in matched and j not in matched.values():
            matched[i] = j
    return matched


@dataclass(frozen=True)
class Outcome:
    """A true leak and the detected leak it matched, if any."""

    sector: Sector
    leak: TrueLeak
    found: Found | None
    step_sigma: float = float("nan")  # its step in the night flow / the night noise

    @property
    def visible(self) -> bool:
        return bool(self.step_sigma >= VISIBLE_SIGMA)

    @property
    def delay_days(self) -> float | None:
        return None if self.found is None else (self.found.detected_s - self.leak.onset_s) / DAY_S

    @property
    def in_time(self) -> bool:
        return self.found is not None and self.delay_days <= FOUND_WITHIN_DAYS

    @property
    def closed_while_leaking(self) -> bool:
        resolved = self.found.resolved_s if self.found else None
        return resolved is not None and resolved < self.leak.repair_s - DAY_S

    @property
    def closed_after_repair(self) -> bool:
        resolved = self.found.resolved_s if self.found else None
        return resolved is not None and (self.leak.repair_s - DAY_S <= resolved
                                         <= self.leak.repair_s + CLOSED_AFTER_REPAIR_S)


SIZE_CLASSES = {"ge5": lambda share: share >= 0.05,
                "2to5": lambda share: 0.02 <= share < 0.05,
                "lt2": lambda share: share < 0.02}
CATEGORIES: dict[str, tuple[str, Callable[[Outcome], bool]]] = {
    "never_repaired": ("jamais réparées", lambda o: not o.leak.repaired),
    "repaired": ("réparées", lambda o: o.leak.repaired),
    "stacked": ("superposées", lambda o: o.leak.stacked),
    "incipient": ("progressives", lambda o: o.leak.kind == "incipient"),
    "abrupt": ("brutales", lambda o: o.leak.kind == "abrupt"),
    "watering": ("secteurs arrosés la nuit", lambda o: o.sector.watering > 0),
}


def _rate(outcomes: list[Outcome], test: Callable[[Outcome], bool] = lambda o: o.in_time
          ) -> float | None:
    return round(sum(map(test, outcomes)) / len(outcomes), 3) if outcomes else None


def _sized(outcomes: list[Outcome], size_class: str) -> list[Outcome]:
    return [o for o in outcomes if SIZE_CLASSES[size_class](o.leak.share)]


def _figures(outcomes: list[Outcome]) -> dict:
    return {"leaks": len(outcomes), "leaks_ge5": len(_sized(outcomes, "ge5")),
            **{f"found30_{c}": _rate(_sized(outcomes, c)) for c in SIZE_CLASSES},
            "found30_all": _rate(outcomes),
            "found_all": _rate(outcomes, lambda o: o.found is not None),
            "closed_while_leaking": sum(o.closed_while_leaking for o in outcomes)}


def score(sectors: list[Sector], found: dict[str, list[Found]],
          steps: dict[str, list[float]] | None = None) -> dict:
    """The figures of a detector; ``steps``: per sector, each true leak's step in the night
    flow over the night noise (``night_step_sigma``), for the « visible » figures."""
    outcomes: list[Outcome] = []
    false_alarms: dict[str, int] = {}
    for sector in sectors:
        pairs = match(sector.leaks, found[sector.name])
        sigmas = (steps or {}).get(sector.name) or [float("nan")] * len(sector.leaks)
        outcomes += [Outcome(sector, leak, found[sector.name][pairs[i]] if i in pairs else None,
                             sigmas[i])
                     for i, leak in enumerate(sector.leaks)]
        false_alarms[sector.name] = len(found[sector.name]) - len(pairs)
    big = _sized(outcomes, "ge5")
    abrupt_big = [o for o in big if o.leak.kind == "abrupt"]
    delays = [o.delay_days for o in abrupt_big if o.found is not None]
    watering = [s.name for s in sectors if s.watering > 0]
    repaired_found = [o for o in outcomes if o.leak.repaired and o.found is not None]
    per_year = 365 / DAYS
    return {
        **_figures(outcomes),
        "found30_abrupt_ge5": _rate(abrupt_big),
        "found30_incipient_ge5": _rate([o for o in big if o.leak.kind == "incipient"]),
        "found30_stacked": _rate([o for o in outcomes if o.leak.stacked]),
        "found30_stacked_ge5": _rate([o for o in big if o.leak.stacked]),
        "found30_by_size": {f"{s:.0%}": _rate([o for o in outcomes if o.leak.share == s])
                            for s in SIZES},
        "median_delay_abrupt_ge5_days": round(float(np.median(delays)), 2) if delays else None,
        "false_alarms": sum(false_alarms.values()),
        "false_alarms_per_sector_year": round(sum(false_alarms.values()) / len(sectors)
                                              * per_year, 3),
        "false_alarms_watering_per_sector_year": round(
            sum(false_alarms[n] for n in watering) / len(watering) * per_year, 3)
        if watering else None,
        "repaired_closed_within_7d": _rate(repaired_found, lambda o: o.closed_after_repair),
        "visible": {c: int(sum(o.visible for o in _sized(outcomes, c))) for c in SIZE_CLASSES},
        "found30_visible": {c: _rate([o for o in _sized(outcomes, c) if o.visible])
                            for c in SIZE_CLASSES},
        "categories": {key: _figures([o for o in outcomes if test(o)])
                       for key, (_, test) in CATEGORIES.items()},
    }


TARGETS = (("found30_ge5", ">=", 0.95), ("found30_2to5", ">=", 0.70),
           ("median_delay_abrupt_ge5_days", "<=", 2.0),
           ("false_alarms_per_sector_year", "<=", 0.5), ("closed_while_leaking", "<=", 0),
           ("found30_stacked_ge5", ">=", 1.0))


def targets(scores: dict) -> dict:
    out = {}
    for key, op, goal in TARGETS:
        value = scores[key]
        met = value is not None and (value >= goal if op == ">=" else value <= goal)
        out[key] = {"target": f"{op} {goal:g}", "value": value, "ok": met}
    return out


# -- report -----------------------------------------------------------------------------------

def _cell(value) -> str:
    return "—" if value is None else f"{value:g}"


def table(sectors: list[Sector], scores: dict[str, dict], columns: list[str]) -> list[str]:
    """The French table: one column per detector (``columns``: their labels)."""
    first = next(iter(scores.values()))

    def row(label: str, get: Callable[[dict], object]) -> str:
        return f"{label:46}" + "".join(f"{_cell(get(s)):>12}" for s in scores.values())

    big, mid, small = (len(_sized_leaks(sectors, c)) for c in SIZE_CLASSES)
    watering = sum(s.watering > 0 for s in sectors)
    lines = [f"{len(sectors)} secteurs ({watering} arrosés la nuit, "
             f"{sum(not s.leaks for s in sectors)} sans fuite), {first['leaks']} fuites réelles "
             f"(≥ 5 % : {big} ; 2–5 % : {mid} ; < 2 % : {small})",
             f"{'':46}" + "".join(f"{c:>12}" for c in columns)]
    for label, key in (("trouvées en ≤ 30 j, fuites ≥ 5 %", "found30_ge5"),
                       ("trouvées en ≤ 30 j, fuites 2–5 %", "found30_2to5"),
                       ("trouvées en ≤ 30 j, fuites < 2 %", "found30_lt2"),
                       ("  brutales ≥ 5 %", "found30_abrupt_ge5"),
                       ("  progressives ≥ 5 %", "found30_incipient_ge5"),
                       ("  superposées ≥ 5 %, chacune la sienne", "found30_stacked_ge5"),
                       ("  superposées, toutes tailles", "found30_stacked"),
                       ("trouvées un jour ou l'autre (toutes)", "found_all"),
                       ("délai médian, brutales ≥ 5 % (j)", "median_delay_abrupt_ge5_days"),
                       ("fausses alarmes / secteur-an", "false_alarms_per_sector_year"),
                       ("  secteurs arrosés la nuit", "false_alarms_watering_per_sector_year"),
                       ("fuites closes alors qu'elles fuient", "closed_while_leaking"),
                       ("réparées : closes ≤ 7 j après réparation", "repaired_closed_within_7d")):
        lines.append(row(label, lambda s, key=key: s[key]))
    for key, (label, _) in CATEGORIES.items():
        figures = first["categories"][key]
        lines.append(f"{label} ({figures['leaks']} fuites, dont {figures['leaks_ge5']} ≥ 5 %)")
        for sub, field in (("  trouvées en ≤ 30 j, ≥ 5 %", "found30_ge5"),
                           ("  trouvées en ≤ 30 j, toutes", "found30_all"),
                           ("  closes alors qu'elles fuient", "closed_while_leaking")):
            lines.append(row(sub, lambda s, key=key, field=field: s["categories"][key][field]))
    visible = first["visible"]
    sigma = f"{VISIBLE_SIGMA:g}".replace(".", ",")
    lines.append(f"fuites visibles (marche ≥ {sigma} × le bruit des nuits) : "
                 f"≥ 5 % : {visible['ge5']}/{big} ; 2–5 % : {visible['2to5']}/{mid} ; "
                 f"< 2 % : {visible['lt2']}/{small}")
    for label, size_class in (("  trouvées en ≤ 30 j, visibles ≥ 5 %", "ge5"),
                              ("  trouvées en ≤ 30 j, visibles 2–5 %", "2to5")):
        lines.append(row(label, lambda s, c=size_class: s["found30_visible"][c]))
    lines.append("trouvées en ≤ 30 j, par taille")
    for size in first["found30_by_size"]:
        count = sum(f"{leak.share:.0%}" == size for s in sectors for leak in s.leaks)
        lines.append(row(f"  fuites de {size.rstrip('%')} % ({count})",
                         lambda s, size=size: s["found30_by_size"][size]))
    return lines


def _sized_leaks(sectors: list[Sector], size_class: str) -> list[TrueLeak]:
    return [leak for s in sectors for leak in s.leaks if SIZE_CLASSES[size_class](leak.share)]
