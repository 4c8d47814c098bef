"""Leak detection on a sector's minimum night flow: steps and trends against the sector's
own history, each leak judged against the reference frozen before its onset.

Input: one value per night (``night_flow.night_minima``), the minimum rolling-hour inflow
of the sector, NaN for nights without data; the repairs the operator recorded; the date
ranges of declared exceptional uses (their nights are left out) and of declared seasonal
night uses (garden watering every summer: their nights are watched with caution). The same
pure function serves the live detector (``detectors``), the sector's chart
(``night_flow_routes``) and the offline command (``beffroi water detect --csv``).

Night after night:

1. **Reference.** Without an open leak: the median of the sector's last
   ``reference_nights`` *normal* nights, with a robust spread ``scale`` = 1.4826 × MAD of
   the same nights, floored at ``min_scale_share`` of the reference and at
   ``quantum_scale`` × the resolution of the night flows (a meter whose index moves by
   steps: ``resolution_m3h``, or the lattice the nights lie on; such nights are spread
   over their steps first, ``_level``). Where the nights follow a weekly pattern (a
   factory's night work on weekdays), each night's usual offset for its day of the week is
   taken out first (``weekly_pattern``). The first
   ``min_reference_nights`` nights only build it — unless they step up: a leak that
   began among them is split off (``_warm_up_step``), the nights before it the
   reference, its own a run above it. With a year of history, the reference
   follows the season the sector had a year before (``_seasonal_shift``: how much its
   normal nights moved between the two dates then), so that summer night watering seen
   last year is expected this year. Out of a declared seasonal use, once
   ``after_season_nights`` nights have passed since its last one, only those nights make
   the reference: the season's nights (watering on most of them) would hold it above the
   sector's level of the autumn, and a leak of that size after the season would be unseen.
   With open leaks, new steps are measured against the sector's level since the latest
   leak (the median of the nights after its onset), with the spread of before the first
   one: a second leak on top of an open one is a step of its own — a step also above the
   level of the week before it (``_a_step``): that median lags a leak still growing after
   it was found, and its growth is not a leak of its own.
2. **CUSUM.** z = (night − reference) / scale, capped at ``cap`` so that one exceptional
   night (a pool filled, a hydrant flushed) never raises an alert by itself; the upper
   CUSUM S = max(0, S + z − ``k``) accumulates nights persistently above the reference.
   While S > 0 the run's nights stay out of the reference (a growing leak is never
   absorbed into its own reference). A run that falls back to 0 was noise and its nights
   join the normal ones. A run longer than ``max_pending_nights`` whose excess is still
   below what makes a leak lets its oldest night in: the reference follows a slow drift,
   with that lag — a leak growing over weeks reaches ``min_excess`` before its early
   nights are let in.
3. **Alarm.** When S ≥ ``h`` and the ``low_percentile`` of the run's last
   ``recent_nights`` nights is at least ``min_excess`` × scale above the reference, a leak
   is declared (its low nights must be up too: a leak never pauses). Where intermittent
   night use was seen lately — within ``intermittent_days``, ``intermittent_dips`` nights
   back at the reference right after an elevated one (or a « leak » gone by itself within
   ``brief_days``) and ``intermittent_share`` of the nights well up — the last
   ``cautious_nights`` nights, run or not, must all be up (``cautious_percentile``):
   night watering stops on rainy nights, a night shift at weekends. That window is longer
   than the longest run of elevated nights that ended by itself (a pause) within
   ``intermittent_days``: garden timers that ran three dry weeks unbroken can do it again,
   and a leak is told from them by outlasting them (``_cautious_span``). It holds too on
   the nights of a declared seasonal night use (``seasonal``: the operator knows that
   gardens are watered at night every summer), from the first one — the sector's history
   cannot announce the first watering nights of a year —, a night counting as up from
   (``min_excess`` + ``seasonal_margin``) × scale there: a rainy night's pause comes back
   to the reference with the noise and the season's own rise on top, a leak lifts it
   farther. The same caution holds for a run
   whose nights vary inside their window (``Nights.variability_m3h``, the spread of the
   window's quarter-hour flows) ``use_variability`` times as much as the
   reference's nights (each night as those of its day of the week: weekend nights can vary
   more), its first night left out: a leak is a steady flow and leaves that
   variability as it was (+35 % at most on the benchmark), while garden timers switching
   on and off double or triple it — the first watering nights of a summer, which the
   sector's own history cannot announce without a year of data, are held until the
   watering pauses (a rainy night) or a leak outlasts the span. A held run's nights never
   join the reference (the watering season does not become the sector's level); when its
   last ``use_over_nights`` nights are back at the reference the use is over and the run
   is forgotten. A leak found in such a run (or under the intermittent-use caution) began
   after the run's last night back at the reference: a leak never pauses. Its **onset** is
   back-dated to the start of the run (the CUSUM change-point estimate): midway between the
   last night before the run and the first elevated one; for a step of at least twice
   ``min_excess`` × scale, the run's first nights nearer the reference than its level (its
   last ``level_nights``) were not the leak yet (noise; a smaller leak under it) and are
   left out. Its **reference** (the level before it) is frozen for good: the leak is always
   judged against it.
   **Long run.** A small leak (a step of 2–2.5 × the spread) seldom lifts its low nights
   to ``min_excess``; with no leak open, a run whose last ``long_run_nights`` nights
   stand ``long_run_sigma`` × scale above a reference of the sector's own nights (their
   median, and the median of the last ``long_run_last``), its low nights
   ``long_run_low`` × scale up, is one too (``_long_run``): a median of ten nights has a
   standard error of 0.4 × scale, and a heat wave's night use or a week of night work
   ends before. Not where the caution above holds (night use switching on and off).
   **Trend.** A leak growing over weeks may stay under the step test while the reference
   follows it part of the way: when the last ``trend_recent`` nights (their median and
   their low nights) are well above the reference of ``trend_nights`` before and still
   rising, it is a growing (incipient) leak, back-dated to when the level left that
   reference. « Well above » is measured in the spread of today's reference — unless it
   grew more than ``trend_spread_growth`` times since that old one: the rise's first
   nights, let into the reference one by one (each too little above it for the step
   test), widened it, and a leak would raise its own bar; then in the old one's spread.
   Not under the caution above (a night use switching on and off, a declared season):
   there the use's own nights widen it.
   Where the nights' variability is known (readings every quarter hour or
   finer) and nothing switched on and off lately (no caution, no declared season) and no
   leak is open, the thresholds are lower (``steady_trend_sigma``,
   ``steady_trend_low_sigma``): the higher ones are for the slow rise of a watering season,
   which only the variability tells from a slow leak. Where intermittent night use was seen
   lately, every one of those last nights must be up (the trend does not wait for the
   caution's longer span: a leak growing after a summer of watering is found on its way
   up, not weeks after its full size) — on the nights of a declared seasonal use, as far
   up as a step's there (the use's own rise through its season is slow too); a rise whose
   nights vary inside their window ``use_variability`` times as much as the reference's is
   night use switching on and off, not a leak. On an open leak, the level since that leak
   follows a slow rise the same way (a rise slower than a step is that leak growing): once
   the open leak had stopped growing — its level over the four weeks
   up to ``trend_nights`` before flat within ``stacked_trend_settled`` × scale, after its
   first ``step_nights`` — the same trend from that settled level is a slow leak of its
   own, stacked on it (``_stacked_trend``), under the same conditions. On the nights of a
   declared seasonal use that level never settles (the use comes and goes on top of it):
   the trend is measured from its ``low_percentile`` over those four weeks, its nights
   without the use (``seasonal_stacked_floor``).
   **After a declared season.** A leak that began during a declared seasonal use can stay
   hidden under it to the end (its nights let in one by one, the reference has risen with
   the watering; then the reference is made of the nights after the season, the leak's
   own), and so can one that begins in the first nights after it. From the
   ``after_season_nights``-th night after the season to twice that, the last
   ``after_season_nights`` nights are set against the level of before the season (the
   reference, or the open leak's level, moved as the sector's level moved a year before):
   ``min_excess`` × scale up, their low nights ``trend_low_sigma``, it is a leak
   (``season_end_check``). It began where the nights after the season are best split
   between the two levels (least absolute deviations); if they all stand at the leak's,
   in the season (kind ``in_season``), after its last night nearer that level than the
   leak's, not alone (another within ``season_back_days`` before it) — a leak never
   pauses, and rainy nights without watering showed the sector's own level until then.
   Not when a leak was found or ended meanwhile: that one was measured from its own level.
   **A seasonal use seen in the nights.** Undeclared, garden timers show in the nights'
   variability: from the night ``infer_share`` of the last ``infer_nights`` nights vary
   ``use_variability`` times as much as the usual ones (out of any season), the nights are
   those of a seasonal use as if declared (``infer_season``: caution, the reference after
   it, the look back at the level of before it, repairs judged over two weeks), until
   ``infer_exit_nights`` nights in a row vary as usual — a rainy week does not end a summer
   —; it ended with the last night that varied. Without the nights' variability (readings
   sparser than a quarter hour), nothing is inferred.
4. **Extra flow**: for the latest leak, the median of its recent nights − its reference
   (over months the season moves the legitimate night use too: the figure drifts with
   it); for a leak with another on top, the step it made (the next one's reference − its
   own), frozen. **Water lost** = Σ over its nights of the extra flow that night (3-night
   running median for the latest leak) × the time since the previous night (since the
   onset for the first); it keeps counting while the leak is open.
5. **End of a leak.** Only these end it:
   - a **repair recorded** by the operator (``Repair``): over the ``confirm_nights``
     nights after it, the night flow must drop by at least ``confirm_share`` of the
     leak's extra flow (and ``confirm_sigma`` × scale) below its level of the week before
     the repair. Then the leak ends at the repair (no more m³ lost after it); else the
     repair is refuted (« fuite persistante ») and the leak stays open, with how far the
     night flow fell meanwhile (``repair_drop_m3h``: a clear fall, ``partly_repaired``, is
     the repair of one of two leaks seen as one; the other goes on). A repair made on
     the nights of a declared seasonal use is judged over ``seasonal_confirm_nights``
     nights each side (the median of five nights would tell rainy nights from dry ones
     rather than the repair), and against the leak's step, not its extra flow of the
     moment (the season's use has come on top of it). In the season's first nights (the
     nights before the repair mostly out of it), the nights after it by their
     ``low_percentile`` (``seasonal_confirm_low``): the rainy ones, without watering, are
     the sector's own level, while their median holds the watering the nights before
     the repair did not have.
   - the night flow **back at the leak's frozen reference** (nothing else: a leak is
     never judged against a level that has absorbed it): the median of its last N nights
     within a band above that reference — the smaller of ``gone_share`` × its step (its
     extra flow over the week ``step_nights`` after it was found — the night that raised
     the alarm was a high one: nearer the reference than the leak; a measure fallen under
     ``step_kept_share`` of the one before is a drop under it, and kept out) and
     ``gone_sigma`` × the reference's robust spread (where ~95 % of leak-free nights lie:
     a leak-free night flow that the season has moved a little still ends it). N is what
     the noise demands: enough nights for their median to tell the leak's level from the
     band's edge at ``gone_z`` standard errors (a median's is 1.2533 × spread / √N), at least
     ``gone_nights`` and at most ``gone_max_nights`` — a small leak, near the noise, needs
     weeks back at its reference, a large one a week. A leak whose step is under
     ``gone_min_sigma`` × spread, and any leak open longer than ``gone_step_after_days``
     (the autumn after a summer can bring the night flow back to a reference frozen in
     July while it still leaks), ends this way only after at least two weeks back and a
     step down: from the median of the week (``recent_nights``) before those nights to
     theirs, a drop of at least (1 − ``gone_share``) × its step and ``gone_z`` standard
     errors of that difference (1.2533 × spread × √(1/7 + 1/N)); it ended at that step
     (the CUSUM change point of those nights since the last leak ended). A drop of its
     whole step (within the band) ends it with the night flow up to ``whole_step_bands``
     bands above its reference: the season has moved since, or a small leak came
     meanwhile, but no season drops that much in a week. A leak-free night flow wanders
     over ±2 spreads in a year (season, weather): a slow return to the reference can be
     the season hiding a leak, while a repair (or the end of the heat wave whose watering
     raised a false alarm) is abrupt. A leak ends with the leaks stacked on it (those
     found before the drop); a leak on top of another ends alone when the level falls
     back to its own reference (the level of before it) — unless an older open leak,
     found within ``older_first_days`` before it, made a step of the same size (within
     that band) and the drop (the median of the week before its change point − the
     median after) matches it too: the drop could be either one's repair, and leaks found
     together are repaired in the order they were found, so the older one ends, alone.
     Where a leak below made a larger step (by more than that band), the level back at
     the top leak's reference does not tell which one was repaired: a larger leak
     repaired under a smaller one that still runs brings the level there too, and so
     does the repair of one of several leaks that grew together under one alarm. The
     drop then ends the one leak below whose step it matches (within that leak's band),
     if no other open leak could hold it; otherwise nothing ends until a repair is
     recorded. A level fallen well below a stacked leak's reference (by more than
     ``gone_sigma`` × scale) says that a leak under it ended too (two leaks repaired
     within days): the open leaks in no set whose steps add up to what stands above the
     sector's reference (within that much) end; the others, one of which may still run,
     stay open — unless one was found growing over weeks: it may hold several leaks that
     grew together and end in part; then, and when no leak is left out of every set, the
     rules above apply.
   A drop that the noise or the season explains never closes a leak: a slow decline, night
   watering ending, or a drop that leaves the night flow above the band (a partial
   repair; a leak found while the watering ran, still leaking after it stopped) leaves it
   open until a repair is recorded and confirmed. Nothing else resolves one. An open leak
   whose night flow has stayed back near its reference (every week's median within its
   band) says since when (``back_since_s``): the operator is asked to settle it, by the
   repair's record or « aucune fuite trouvée ».
6. **Sensitivity**: the smallest step the sector can show in a few nights, ``min_excess``
   × scale (m³/h, and as a share of its night flow), and the smallest it shows when it
   lasts ``long_run_nights``, ``long_run_sigma`` × scale: where they are large, a meter or
   a smaller sector is needed.

Defaults were tuned on the hydraulic benchmark ``bench/leaks.py`` (EPANET networks Net1,
Net3, ky4 under realistic demand, summer night watering, stacked, slow and unrepaired
leaks; tuned on seed 7, reported on seed 11, figures in ``docs/eau.md``). Without the
variability (readings sparser than a quarter hour, e.g. hourly indexes), night watering
that covers the night window on every dry night still looks like a leak until it rains.
"""

from __future__ import annotations

from bisect import bisect_left, insort
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from .night_flow import MAD_TO_SD, MEDIAN_SE, lattice_step
from .weekly_pattern import night_weekday, weekly_offsets

DAY_S = 86_400.0
YEAR_S = 365 * DAY_S


@dataclass(frozen=True)
class LeakParams:
    reference_nights: int = 28
    min_reference_nights: int = 14
    # A step among those first nights (``_warm_up_step``): this many nights each side at
    # least (0: not looked for), the two levels this many standard errors apart.
    warm_up_side: int = 3
    warm_up_z: float = 4.0
    # Each night's usual offset for its day of the week taken out first (``weekly_pattern``:
    # a factory's night work on weekdays), where the sector shows one.
    weekly_pattern: bool = True
    min_scale_share: float = 0.03
    # …and at this × the step of the lattice the night flows lie on (a meter's resolution):
    # one step up then stands under 2 spreads (under the long-run rule's), two 3.3.
    quantum_scale: float = 0.6
    k: float = 1.5
    h: float = 5.0
    cap: float = 4.0
    min_excess: float = 2.5
    low_percentile: float = 20.0
    dip_z: float = 1.0  # a night this close to the reference after an elevated one: a pause
    intermittent_days: float = 60.0  # that many pauses that recent make the alarm wait
    intermittent_dips: int = 2  # for a week of low nights up
    cautious_nights: int = 14  # the nights whose low ones must be up then
    cautious_percentile: float = 0.0  # …all of them, then (a leak never pauses)
    intermittent_share: float = 0.3  # of the nights well up lately, with the pauses
    brief_days: float = 30.0  # a « leak » gone by itself that soon was a night use
    trend_nights: int = 42  # a slow leak: the reference of that many nights ago…
    trend_recent: int = 14  # …against the level of the last nights
    trend_sigma: float = 2.5
    trend_low_sigma: float = 1.5
    # The same where the nights' variability shows nothing switching (0: not lowered):
    steady_trend_sigma: float = 1.75
    steady_trend_low_sigma: float = 1.25
    # A spread grown more than this many times since the trend's reference (``trend_nights``
    # before) held the rise's own nights: the rise is measured in the spread of then (0: no).
    trend_spread_growth: float = 1.4
    recent_nights: int = 7
    max_pending_nights: int = 45
    level_nights: int = 3  # nights after a leak's onset before the next step is measured
    stack_run_nights: int = 4  # a rise on an open leak slower than this is its growth
    split_first: int = 3  # a run found holding two steps: nights of the first, at least
    split_last: int = 2  # …and of the second
    split_sigma: float = 2.5  # (× scale) the first part's median above the reference
    confirm_nights: int = 5
    confirm_share: float = 0.5
    confirm_sigma: float = 1.0
    gone_nights: int = 7
    step_nights: int = 14  # a leak's step is its extra flow this many nights after the alarm
    step_kept_share: float = 0.3  # …unless it fell under this share of it: a drop under it
    gone_share: float = 0.3
    gone_sigma: float = 2.0  # (× scale) « back at the reference »: where ~95 % of nights lie
    gone_z: float = 3.0  # standard errors between the leak's level and the band
    gone_min_sigma: float = 4.0  # (× scale) a smaller leak ends only by a step down
    gone_max_nights: int = 56  # at most eight weeks back at the reference
    gone_step_after_days: float = 30.0  # a leak open longer ends only by a step down too
    older_first_days: float = 30.0  # two leaks of one size found this close: older ends first
    whole_step_bands: float = 1.5  # a step down of a leak's whole step ends it up to this
    # many gone bands above its reference (the season moved since, a small leak came)
    season_window_days: float = 14.0
    season_min_nights: int = 10
    repair_match_days: float = 3.0
    use_variability: float = 2.0  # a run varying that much more inside its nights: a use
    use_over_nights: int = 7  # a held use back at the reference that long is over
    trim_pauses: bool = True  # a leak found in an intermittent run began after its last pause
    long_run_nights: int = 10  # a run up that long (no leak open)…
    long_run_sigma: float = 2.0  # …its median and its last nights' that far up: a leak
    long_run_last: int = 3  # (those last nights)
    long_run_low: float = 1.0  # (× scale) the run's low nights up too: all of it a rise
    # A slow leak on an open one: that one had stopped growing (its level moved less than
    # this × scale over the two weeks before the trend's reference); 0: not looked for.
    stacked_trend_settled: float = 1.0
    # On the nights of a declared seasonal use, a night is « up » from (min_excess + this) ×
    # scale: its pauses come back to the reference with the season's noise on top.
    seasonal_margin: float = 0.5
    seasonal_confirm_nights: int = 14  # a repair in a declared season: nights each side
    # …in its first nights (those before it mostly out of it), by the low nights after it
    seasonal_confirm_low: bool = True
    after_season_nights: int = 7  # then the reference is made of the nights after it alone
    # A slow leak on an open one in a declared season: from that leak's low nights
    # (``low_percentile``), the season's use comes and goes on top of its level.
    seasonal_stacked_floor: bool = True
    # After a declared season, its nights against the reference of before it: a leak that
    # began in it (hidden by the use) or just after it is up from there.
    season_end_check: bool = True
    season_back_days: float = 21.0  # (its onset: a night back at that level not alone)
    # Undeclared, a seasonal night use seen in the nights' variability is taken as declared:
    infer_season: bool = True
    infer_nights: int = 14  # from the night this share of the last nights switch…
    infer_share: float = 0.4
    infer_exit_nights: int = 10  # …to the last that did, once this many in a row did not
    infer_min_nights: int = 7  # (shorter, a few one-off uses close together: no season)


@dataclass(frozen=True)
class Repair:
    """A repair the operator recorded on a leak (its alert): ``onset_s`` of that leak as
    the alert gave it (None: the sector's latest open leak), ``repaired_s`` when done."""

    onset_s: float | None
    repaired_s: float


@dataclass
class Leak:
    """One leak found in a night series (times in epoch seconds UTC)."""

    onset_s: float
    detected_s: float
    reference_m3h: float  # the level before it, frozen
    scale_m3h: float
    extra_flow_m3h: float = 0.0
    current_m3h: float = 0.0  # median of the recent nights
    lost_m3: float = 0.0
    resolved_s: float | None = None
    nights: list[int] = field(default_factory=list)  # indexes in the night series
    # or "incipient": growing over more than a week before detection; "in_season": found
    # after a seasonal night use (declared or seen in the nights) that hid it
    kind: str = "abrupt"
    ended_by: str | None = None  # "repair" (confirmed) | "gone" (back to its reference)
    repair_s: float | None = None  # the confirmed repair
    refuted_repair_s: float | None = None  # a repair the following nights did not confirm
    # How far the night flow fell after that repair (the week before it − the confirming
    # nights): a part of the leak, when it is well above the noise (another leak goes on).
    repair_drop_m3h: float | None = None
    awaiting_repair_s: float | None = None  # a repair whose confirming nights are not all in
    # Open, with the night flow back near its reference (``_back_since``) since then.
    back_since_s: float | None = None
    stacked: bool = False  # found while another leak was open
    peak_m3h: float = 0.0  # the largest extra flow it showed
    step_m3h: float = 0.0  # its extra flow ``step_nights`` after found (or its step under
    # the next leak)
    losses: list[tuple[float, float, float]] = field(default_factory=list, repr=False)

    @property
    def partly_repaired(self) -> bool:
        """Whether the nights after a refuted repair fell by 1.5 times the sector's noise
        or more (a fall the noise alone makes once in fifty repairs that changed nothing:
        the median of five nights against that of the week before): the repair stopped a
        part of the flow, another leak goes on (two leaks seen as one)."""
        return self.repair_drop_m3h is not None \
            and self.repair_drop_m3h >= 1.5 * self.scale_m3h

    @property
    def active(self) -> bool:
        return self.resolved_s is None


@dataclass(frozen=True)
class NightUse:
    """A rise of the night flow held as a night use switching on and off: the run of
    nights since ``since_s`` varies ``variability_ratio`` times as much inside its window
    as the reference's nights."""

    since_s: float
    variability_ratio: float


@dataclass(frozen=True)
class LeakScan:
    """The leaks of a series and, night by night, what the detector saw."""

    leaks: list[Leak]
    # Night by night, the sector's reference (frozen at its value before the first leak
    # still open) and its robust spread; NaN during the warm-up.
    reference_m3h: np.ndarray
    scale_m3h: np.ndarray
    sensitivity_m3h: float | None = None  # smallest step it can see now
    sensitivity_share: float | None = None  # the same, as a share of the night flow
    # The smallest step it sees when it lasts ``long_run_nights`` (the long-run rule).
    lasting_sensitivity_m3h: float | None = None
    lasting_sensitivity_share: float | None = None
    # The meter's resolution (m³ per step of its index, as ``detect_leaks`` was given it)
    # when it sets the spread, and so the smallest leak seen, now; else None.
    limiting_resolution_m3: float | None = None
    night_use: NightUse | None = None  # a rise held as a switching night use, at the end
    # Seasonal night uses seen in the nights (``infer_season``): (first night's end, last
    # switching night's end — None while it goes on), epoch s.
    seen_seasons: list[tuple[float, float | None]] = field(default_factory=list)
    # Night by night, the usual offset for its day of the week taken out before the scan
    # (``weekly_pattern``); None when the sector showed no weekly pattern.
    weekly_offset_m3h: np.ndarray | None = None

    @property
    def open_leaks(self) -> list[Leak]:
        return [leak for leak in self.leaks if leak.active]


def _median(values: np.ndarray) -> float:
    """The median of a 1-D array of finite values (``np.median``'s result, without its
    NaN checks: the detector calls it some 15 times a night on a week or a month of
    nights, where those checks cost most of the time)."""
    a = np.asarray(values, dtype=np.float64)
    half = len(a) // 2
    if len(a) % 2:
        return float(np.partition(a, half)[half])
    low, high = np.partition(a, (half - 1, half))[half - 1:half + 1]
    return float((low + high) / 2)


def _spread(values: np.ndarray, ref: float, p: LeakParams, step: float = 0.0) -> float:
    """Robust spread of ``values`` around ``ref`` (1.4826 × MAD), floored at
    ``min_scale_share`` of the reference and at ``quantum_scale`` × ``step``, the
    resolution of the night flows (``_level``)."""
    mad = _median(np.abs(values - ref)) * MAD_TO_SD
    return max(mad, p.min_scale_share * abs(ref), p.quantum_scale * step, 1e-6)


def _level(values: np.ndarray, p: LeakParams, resolution: float) -> tuple[float, float]:
    """The median of nights and their spread, with the resolution of the night flows:
    the meter's (``resolution``: rolling-hour flows from an index read to 100 L are in
    steps of 0.1 m³/h, give or take its interpolation between readings) or the step of
    the lattice the nights lie on (``lattice_step``); nights on a lattice are spread over
    their steps first (``_unstepped``)."""
    step = lattice_step(values)
    values = _unstepped(values, step)
    ref = _median(values)
    return ref, _spread(values, ref, p, max(step, resolution))


def _unstepped(values: np.ndarray, step: float, points: int = 8) -> np.ndarray:
    """Each value of a lattice spread evenly over its step (the flows it stands for):
    half the quiet nights at 0.9 m³/h and half at 1.0 lie around 0.95 with a spread of
    0.05, where their median and MAD said 0.9 or 1.0 and 0 or 0.1. Without a lattice
    (``step`` 0), the values as they are."""
    if not step:
        return values
    offsets = step * ((np.arange(points) + 0.5) / points - 0.5)
    return (np.asarray(values, dtype=np.float64)[:, None] + offsets).ravel()


def _in_ranges(t: np.ndarray, ranges: Sequence[tuple[float, float]]) -> np.ndarray:
    """Nights (dated by their end) that fall in a declared range."""
    out = np.zeros(len(t), dtype=bool)
    for start, end in ranges:
        out |= (t > start) & (t <= end + 6 * 3600)  # a night ending the morning after
    return out


class _Scan:
    """The detector's state over one series (``detect_leaks`` runs it)."""

    def __init__(self, t: np.ndarray, x: np.ndarray, p: LeakParams,
                 repairs: Sequence[Repair], variability: np.ndarray | None = None,
                 seasonal: np.ndarray | None = None, resolution: float = 0.0) -> None:
        self.t, self.x, self.p = t, x, p
        self.resolution = resolution  # of the night flows (m³/h), 0 when continuous
        self.variability = variability
        # Nights of a declared seasonal night use: watched with caution.
        self.seasonal = np.zeros(len(x), dtype=bool) if seasonal is None else seasonal
        # Each night's day of the week (``night_weekday``: steady across seasons).
        self.weekday = night_weekday(t)
        # A run held as a switching night use: its first night, its variability ratio,
        # the reference and spread it rose from.
        self.held: tuple[int, float, float, float] | None = None
        self.reference = np.full(len(x), np.nan)
        self.spread = np.full(len(x), np.nan)
        self.usable = np.zeros(len(x), dtype=bool)  # leak-free nights, for the season
        self.repairs = sorted(repairs, key=lambda r: r.repaired_s)
        self.leaks: list[Leak] = []
        self.open: list[Leak] = []
        self.normal: list[int] = []  # night indexes of the reference, no leak open
        self.level: list[int] = []  # nights since the latest open leak's onset
        self.pending: list[int] = []
        self.s = 0.0
        self.last_calm: int | None = None  # last night before the current run
        # (leak, repair, level before, judged as in a declared season: ``_in_season``, by
        # the low nights after it: ``_season_began``)
        self.awaiting: list[tuple[Leak, float, float, bool, bool]] = []
        self.floor: tuple[float, float] | None = None  # reference to start again from
        self.seen: list[int] = []  # nights measured against a reference
        self.nights_seen: list[int] = []  # every night with data
        self.last_z = 0.0
        self.last_z0 = 0.0  # the same against the reference before the open leaks
        self.dips: list[int] = []  # nights back down right after an elevated one
        self.elevated: list[int] = []  # nights well above the reference before any leak
        self.calm_since = 0  # first night since the last leak ended (trend test)
        self.ended_s = -np.inf  # when the last leak ended
        # The reference before the current declared season (the level of the open leak then,
        # if any): its value, spread, nights, the season's first night and that open leak;
        # and the season's last night seen.
        self.pre_season: tuple[float, float, list[int], int, Leak | None] | None = None
        self.season_last: int | None = None
        self.last_switching: int | None = None  # in a seasonal use seen in the nights
        self.season_before: int | None = None  # the season's last night before that one
        self.seen_seasons: list[tuple[float, float | None]] = []

    # -- reference -------------------------------------------------------------------------
    def _seasonal_shift(self, n: int, nights: list[int]) -> float:
        """How much the sector's normal night flow moved, a year before, between the
        reference's nights and night ``n`` (0 without a year of usable history)."""
        if not nights or self.t[n] - self.t[0] < YEAR_S - self.p.season_window_days * DAY_S:
            return 0.0
        then = self._season_level(self.t[n] - YEAR_S)
        before = self._season_level(_median(self.t[nights]) - YEAR_S)
        return then - before if then is not None and before is not None else 0.0

    def _season_level(self, at: float) -> float | None:
        half = self.p.season_window_days * DAY_S
        lo, hi = np.searchsorted(self.t, [at - half, at + half])
        idx = np.arange(lo, hi)[self.usable[lo:hi]]
        return _median(self.x[idx]) if len(idx) >= self.p.season_min_nights else None

    def _current_reference(self, n: int) -> tuple[float, float] | None:
        p = self.p
        if self.open:
            if len(self.level) < p.level_nights:
                return None
            # The level since the latest leak; while that leak is still growing, the
            # level of the last week (its growth is its own). A new step stays out of it
            # (pending) until found.
            window = self.level[-p.reference_nights:]
            if len(window) >= 2 * p.recent_nights:
                last = _median(self.x[window[-p.recent_nights:]])
                week_before = _median(self.x[window[-2 * p.recent_nights:-p.recent_nights]])
                if last - week_before > self.open[0].scale_m3h:
                    window = window[-p.recent_nights:]
            else:
                window = window[-p.recent_nights:]
            ref = _median(self.x[window])
            return ref + self._seasonal_shift(n, window), self.open[0].scale_m3h
        if len(self.normal) < p.min_reference_nights:
            if self.floor is None:
                return None
            return self.floor
        window = self.normal[-p.reference_nights:]
        if p.after_season_nights and not self.seasonal[n]:
            since = next((k for k in range(len(window), 0, -1)
                          if self.seasonal[window[k - 1]]), 0)  # after the season's last
            if since and len(window) - since >= p.after_season_nights:
                window = window[since:]
        ref, scale = _level(self.x[window], p, self.resolution)
        return ref + self._seasonal_shift(n, window), scale

    # -- a night ---------------------------------------------------------------------------
    def night(self, n: int) -> None:
        p, x = self.p, self.x
        self.nights_seen.append(n)
        self._take_repairs(n)
        for leak in self.open:
            leak.nights.append(n)
        if self._confirm_repairs(n) or self._check_gone(n):
            return  # the nights after a leak's end start a level of their own
        self._account(n)
        if self.open:
            bottom = self.open[0]
            # Shown: the reference the sector had before its leaks, frozen.
            self.reference[n], self.spread[n] = bottom.reference_m3h, bottom.scale_m3h
            # An open « leak » back at that reference for a night: a night use.
            z0 = (x[n] - bottom.reference_m3h) / bottom.scale_m3h
            if self.last_z0 >= p.min_excess and z0 <= p.dip_z:
                self.dips.append(n)
            self.last_z0 = z0
        current = self._current_reference(n)
        if current is None:
            if self.open:
                self.level.append(n)
            else:
                self.normal.append(n)
                self.usable[n] = True
                self.last_calm = n
                if len(self.normal) == p.min_reference_nights and self.floor is None:
                    self._warm_up_step()
            return
        ref, scale = current
        if self.seasonal[n]:
            if not any(self.seasonal[i] for i in self.nights_seen[-p.recent_nights - 1:-1]):
                # (the season's first night: the level of before it, the leak open then)
                before = self.level if self.open else self.normal
                self.pre_season = (ref, scale, list(before[-p.reference_nights:]), n,
                                   self.open[-1] if self.open else None)
            self.season_last = n
        elif self._season_end_leak(n):
            return
        if not self.open:
            self.reference[n], self.spread[n] = ref, scale
        z = min((x[n] - ref) / scale, p.cap)
        if self.last_z >= p.min_excess and z <= p.dip_z:
            self.dips.append(n)  # up one night, back the next: an intermittent night use
        self.last_z = z
        base, base_scale = (self.open[0].reference_m3h, self.open[0].scale_m3h) if self.open \
            else (ref, scale)
        if x[n] - base >= p.min_excess * base_scale:
            self.elevated.append(n)
        self.seen.append(n)
        top = self.open[-1] if self.open else None  # (a leak found tonight is no trend)
        self.s = max(0.0, self.s + z - p.k)
        if self._held_run() and p.use_over_nights and len(self.seen) >= p.use_over_nights and all(
                self.x[i] - ref <= p.dip_z * scale for i in self.seen[-p.use_over_nights:]):
            # The switching use is over: its nights were neither a leak nor the sector's
            # usual level; forget them.
            self.pending, self.s, self.held, self.last_calm = [], 0.0, None, n
            return
        # The run's low nights must be up too: a leak never pauses, night watering stops
        # on rainy nights and a night shift at weekends (UKWIR's low percentile). Where
        # such pauses were seen lately, every night of the last two weeks, run or not.
        recent_dips = [d for d in self.dips[-p.intermittent_dips:]
                       if self.t[n] - self.t[d] <= p.intermittent_days * DAY_S]
        since = self.t[n] - p.intermittent_days * DAY_S
        cautious = bool(self.seasonal[n]) or (len(recent_dips) >= p.intermittent_dips and sum(
            1 for e in self.elevated[-int(p.intermittent_days):] if self.t[e] > since)
            >= p.intermittent_share * p.intermittent_days)
        if self.s == 0.0:
            self._calm(self.pending + [n])
            self.pending = []
            if top is not None:
                self._stacked_trend(n, scale, cautious)
            return
        self.pending.append(n)
        ratio = None if cautious else self._variability_ratio(self.pending[-p.recent_nights:])
        if ratio is not None and ratio >= p.use_variability:
            cautious = True
            self.held = (self.pending[0], ratio, ref, scale)
        span = self._cautious_span(n) if cautious else 0
        window = self.seen[-span:] if cautious else self.pending[-p.recent_nights:]
        excess = float(np.percentile(x[window], p.cautious_percentile if cautious
                                     else p.low_percentile)) - ref
        if self.seasonal[n]:  # a night of a declared seasonal use is up from higher
            excess -= p.seasonal_margin * scale
        if self.s >= p.h and self._a_step(ref, scale, excess) and (
                excess >= p.min_excess * scale or (not cautious and self._long_run(ref, scale))):
            split = None if cautious or recent_dips else self._split(ref, scale)
            if (cautious or self._held_run()) and p.trim_pauses:
                # A leak never pauses: it began after the run's last night back at the
                # reference (the nights before were the intermittent use).
                pauses = [j for j, i in enumerate(self.pending)
                          if x[i] - ref <= p.dip_z * scale]
                if pauses and pauses[-1] + 1 < len(self.pending):
                    self.last_calm = self.pending[pauses[-1]]
                    self.pending = self.pending[pauses[-1] + 1:]
            if split is None:
                self._declare(n, ref, scale)
            else:  # two steps in the run: two leaks, the second on the first
                first, second = self.pending[:split], self.pending[split:]
                self.pending = first
                self._declare(n, ref, scale)
                below = self.open[-1]
                self.last_calm, self.pending = first[-1], second
                self._declare(n, _median(x[self.level]), scale)
                previous = float(self.t[first[-1]])  # its nights under the second
                for i in second:
                    below.nights.append(i)
                    self._lose(below, float(self.t[i]), previous, below.extra_flow_m3h)
                    previous = float(self.t[i])
        elif self.open and len(self.pending) > (span if cautious else p.stack_run_nights):
            # On an open leak only a step is a new leak: a slow rise is that leak growing.
            self._calm(self.pending)
            self.pending, self.s = [], 0.0
        elif len(self.pending) > p.max_pending_nights and not self._held_run():
            self._calm([self.pending.pop(0)])  # a slow drift: let it in
        if not self.open:  # (tested on the nights above the reference)
            self._trend(n, scale, cautious)
        elif top is not None and self.open[-1] is top:
            self._stacked_trend(n, scale, cautious)

    def _warm_up_step(self) -> None:
        """The first ``min_reference_nights`` nights of a series build its reference; a
        leak that began among them would be taken into it (half a step in the reference,
        the leak found weeks late or never, dated at the end of them). So they are split
        where they are best told apart into two levels (least absolute deviations, at
        least ``warm_up_side`` nights each side): where the later ones stand a step up —
        their low nights ``min_excess`` × the spread of both levels' nights above the
        earlier ones' median, none of them back at it (``dip_z``: a leak never pauses, a
        factory's weekend nights do), the two medians ``warm_up_z`` standard errors
        apart —, the earlier nights alone are the reference and the later ones a run
        above it, judged from the next night as any (the leak dated at its first night)."""
        p, x = self.p, self.x
        nights = self.normal
        side = p.warm_up_side
        if not side or len(nights) < 2 * side or self.seasonal[nights].any():
            return  # (a declared season's use may start among them: it is no leak)
        values = x[nights]
        best = None
        for k in range(side, len(values) - side + 1):
            before, after = values[:k], values[k:]
            b, a = _median(before), _median(after)
            cost = float(np.abs(before - b).sum() + np.abs(after - a).sum())
            if best is None or cost < best[0]:
                best = (cost, k, b, a)
        k = best[1]
        step = lattice_step(values)  # (as ``_level``)
        before, after = _unstepped(values[:k], step), _unstepped(values[k:], step)
        b, a = _median(before), _median(after)
        residuals = np.concatenate([before - b, after - a])
        # (the spread of both levels' nights)
        scale = _spread(residuals + b, b, p, max(step, self.resolution))
        noise = p.warm_up_z * MEDIAN_SE * scale * np.sqrt(1 / k + 1 / (len(values) - k))
        low = float(np.percentile(values[k:], p.low_percentile))
        if (a - b < noise or low - b < p.min_excess * scale
                or (values[k:] <= b + p.dip_z * scale).any()):  # (a leak never pauses:
            return  # a night back at the earlier level is a use's — a factory's weekend)
        run = nights[k:]
        self.normal = nights[:k]
        self.usable[run] = False
        self.floor = (b, scale)
        self.last_calm = nights[k - 1]
        self.s = 0.0
        for i in run:
            self.last_z = min((x[i] - b) / scale, p.cap)
            self.s = max(0.0, self.s + self.last_z - p.k)
            self.seen.append(i)
            self.elevated.append(i)
        self.pending = list(run)

    def _season_end_leak(self, n: int) -> bool:
        """A leak that began during a declared seasonal use, hidden by it, or in the first
        nights after it: from the ``after_season_nights``-th night after the season to
        twice that, the last ``after_season_nights`` nights stand ``min_excess`` × scale
        above the level of before the season (the reference, or the open leak's level;
        moved as the sector's level moved a year before), their low nights
        ``trend_low_sigma`` × scale (as a trend's: that level is months old). Not when a
        leak was found or ended meanwhile. Its onset: where the nights after the season
        are best split between the two levels; if they all stand at the leak's, after the
        season's last night nearer that level than the leak's (a leak never pauses; rainy
        nights, without watering, show the sector's own level) — one with another within
        ``season_back_days`` before it (one alone, weeks after any, is the noise under the
        leak) —, else with the season."""
        p, t, x = self.p, self.t, self.x
        if not p.season_end_check or self.pre_season is None:
            return False
        after = self._between(self.nights_seen, t[self.season_last], np.inf)
        if len(after) < p.after_season_nights:
            return False
        ref, scale, window, first, top = self.pre_season
        if len(after) > 2 * p.after_season_nights \
                or (self.open[-1] if self.open else None) is not top:
            self.pre_season = None  # (a leak found or ended since: measured from elsewhere)
            return False
        ref += self._seasonal_shift(n, window)
        last = after[-p.after_season_nights:]
        level = _median(x[last])
        if (level - ref < p.min_excess * scale
                or float(np.percentile(x[last], p.low_percentile)) - ref
                < p.trend_low_sigma * scale):
            return False
        self.pre_season = None
        # After the season, the nights have no watering: the step from that level to the
        # leak's is where they are best split between the two (least absolute deviations).
        costs = [np.abs(x[after[:k]] - ref).sum() + np.abs(x[after[k:]] - level).sum()
                 for k in range(len(after))]
        k = int(np.argmin(costs))
        if k:
            onset = float((t[after[k - 1]] + t[after[k]]) / 2)
        else:  # there from the season's end: it began in the season
            season = [i for i in self.nights_seen if first <= i <= self.season_last]
            # (nights back at that level come every week or two, with the rain; one alone
            # after weeks without any is the noise under the leak)
            back = [i for i in window[-1:] + season if x[i] < (ref + level) / 2]
            company = p.season_back_days * DAY_S
            back = [b for a, b in zip(back, back[1:], strict=False)
                    if t[b] - t[a] <= company] or back[-1:]
            later = [i for i in season if back and i > back[-1]]
            onset = float((t[back[-1]] + t[later[0]]) / 2) if later else float(t[first])
        if not self.open:
            self.normal = [i for i in self.normal if t[i] < onset]
            self.usable[[i for i in self.nights_seen if t[i] > onset]] = False
            self.reference[n], self.spread[n] = ref, scale
        self.seen.append(n)
        self.pending, self.held = [i for i in after if t[i] > onset], None
        self._declare(n, ref, scale, onset=onset, kind=None if k else "in_season")
        return True

    def _long_run(self, ref: float, scale: float) -> bool:
        """A small leak, whose low nights stay under ``min_excess`` × scale (a step of
        2–2.5 × the noise): the run has lasted ``long_run_nights`` with no leak open, the
        median of those nights is ``long_run_sigma`` × scale above a reference of the
        sector's own nights (not the one it had before its last leak) and so is the median
        of its last ``long_run_last`` nights (still there). A heat wave's nights, or a
        week of night use, end before; the median of ten nights has a standard error of
        0.4 × scale."""
        p, x = self.p, self.x
        run = self.pending[-p.long_run_nights:]
        if (not p.long_run_nights or self.open or self._held_run()
                or len(self.normal) < p.min_reference_nights
                or len(run) < p.long_run_nights):
            return False
        least = ref + p.long_run_sigma * scale
        return (_median(x[run]) >= least
                and _median(x[run[-p.long_run_last:]]) >= least
                and float(np.percentile(x[run], p.low_percentile)) - ref
                >= p.long_run_low * scale)

    def _a_step(self, ref: float, scale: float, excess: float) -> bool:
        """On an open leak, a new one is a step: its low nights stand ``min_excess`` ×
        scale above the level of the week before the run too, not only above the level
        since the leak (that median lags a leak still growing: its growth is not a leak
        of its own)."""
        p = self.p
        if not self.open or len(self.level) < p.recent_nights:
            return True
        before = _median(self.x[self.level[-p.recent_nights:]])
        return ref + excess - before >= p.min_excess * scale

    def _held_run(self) -> bool:
        return self.held is not None and bool(self.pending) and self.held[0] in self.pending

    def _variability_ratio(self, nights: list[int]) -> float | None:
        """How many times as much the run's nights vary inside their window as the
        reference's (None when unknown): ``use_variability`` or more is a night use
        switching on and off, not a steady leak. The run's first night is left out (a leak
        starting inside the window makes it vary). Each night is set against the nights of
        its day of the week among the last ``2 × reference_nights`` normal ones (three at
        least; else against them all): weekend nights can vary more — people up later —
        and a leak starting on a Friday is no night use."""
        p, v = self.p, self.variability
        if v is None:
            return None
        base = [i for i in self.normal[-p.reference_nights:] if np.isfinite(v[i])]
        now = [i for i in nights[1:] if np.isfinite(v[i])]
        if len(base) < p.min_reference_nights // 2 or not now:
            return None
        usual = _median(v[base])
        if usual <= 0:
            return None
        wide = np.array([i for i in self.normal[-2 * p.reference_nights:]
                         if np.isfinite(v[i])], dtype=np.int64)
        usual_by_day = np.full(len(now), usual)
        days = self.weekday[now]
        for day in np.unique(days):
            same = v[wide[self.weekday[wide] == day]]
            if len(same) >= 3 and (of_day := _median(same)) > 0:
                usual_by_day[days == day] = of_day
        return _median(v[now] / usual_by_day)

    def _split(self, ref: float, scale: float) -> int | None:
        """Where the run holds two steps (a leak on a leak that started a few nights
        before, found together): the split of the run whose last ``split_last`` or more
        nights all stand above every night of its first part (``split_first`` or more),
        both steps (medians) at least ``min_excess`` × scale, the second larger than the
        range of the first part (a flat level, not the start of one step); None when
        there is none."""
        p, x = self.p, self.x
        run = self.pending
        best, gain = None, 0.0
        for j in range(p.split_first, len(run) - p.split_last + 1):
            a, b = x[run[:j]], x[run[j:]]
            low, high = _median(a), _median(b)
            step = high - low
            if (b.min() > a.max() and low - ref >= p.split_sigma * scale
                    and step >= max(p.min_excess * scale, float(np.ptp(a))) and step > gain):
                best, gain = j, high - low
        return best

    def _cautious_span(self, n: int) -> int:
        """The nights whose low ones must all be up where intermittent night use was seen:
        ``cautious_nights``, or more than the longest run of elevated nights that ended
        by itself (a pause) seen within ``intermittent_days`` (a use that ran that long
        unbroken can do it again; a leak is told from it by outlasting it)."""
        p = self.p
        since = self.t[n] - p.intermittent_days * DAY_S
        elevated = {e for e in self.elevated[-int(p.intermittent_days):] if self.t[e] > since}
        dips = set(self.dips[-int(p.intermittent_days):])
        longest = run = 0
        for i in self.seen[-int(p.intermittent_days):]:
            if i in dips:  # a run that stopped by itself: a use
                longest = max(longest, run)
            run = run + 1 if i in elevated else 0
        return max(p.cautious_nights, longest + 1)

    def _trend(self, n: int, scale: float, cautious: bool) -> None:
        """A leak growing over weeks: the last ``trend_recent`` nights well above the
        reference of ``trend_nights`` before (its low nights too; every one of them where
        intermittent night use was seen lately) and still rising — the reference since has
        followed it part of the way, which the step test cannot see. Measured in today's
        spread, or in that reference's where today's grew more than
        ``trend_spread_growth`` times since (the rise's own nights widened it) — not
        under the caution (``cautious``: there a night use's own nights widen it)."""
        p = self.p
        m = int(np.searchsorted(self.t, self.t[n] - p.trend_nights * DAY_S))
        if m < self.calm_since or not np.isfinite(self.reference[m]):
            return
        old = float(self.reference[m])
        then = float(self.spread[m])
        judged = then if (p.trend_spread_growth and not cautious
                          and scale > p.trend_spread_growth * then) else scale
        start = self._rise_start(m, old, judged, cautious)
        if start is None:
            return
        run = [i for i in self.seen if self.t[i] > start]
        self.normal = [i for i in self.normal if self.t[i] < start]
        self.usable[run] = False
        self.pending = run
        self._declare(n, old, judged, onset=start)

    def _stacked_trend(self, n: int, scale: float, cautious: bool) -> None:
        """A slow leak on an open one: the same trend, from the level the sector had
        ``trend_nights`` before, once the open leak had stopped growing then (its level
        moved less than ``stacked_trend_settled`` × scale over the two weeks before): a
        leak still growing is one leak, a new rise after it had settled is another."""
        p, t = self.p, self.t
        m = int(np.searchsorted(t, t[n] - p.trend_nights * DAY_S))
        old = self._settled_level(float(t[m]), scale, n)
        if old is None:
            return
        start = self._rise_start(m, old, scale, cautious)
        if start is None:
            return
        self.pending = [i for i in self.seen if t[i] > start]
        self._declare(n, old, scale, onset=start)

    def _settled_level(self, at: float, scale: float, now: int) -> float | None:
        """The level of the latest open leak over the four weeks up to ``at`` if it had
        stopped growing by then (its last two weeks less than ``stacked_trend_settled`` ×
        scale above the two before, all after its first ``step_nights``), as expected on
        night ``now``; else None. On a night of a declared seasonal use, the
        ``low_percentile`` of those weeks' nights (``seasonal_stacked_floor``)."""
        p, t, x = self.p, self.t, self.x
        top = self.open[-1]
        if not p.stacked_trend_settled or at - p.step_nights * DAY_S < top.detected_s:
            return None
        weeks = p.trend_recent * DAY_S
        then = self._between(top.nights, at - weeks, at)
        before = self._between(top.nights, at - 2 * weeks, at - weeks)
        if p.seasonal_stacked_floor and self.seasonal[now] \
                and len(before) + len(then) >= p.trend_recent:
            # (in a declared season the level never settles: watering comes and goes on
            # top of it; its low nights, rainy ones, are the open leak's own level)
            return float(np.percentile(x[before + then], p.low_percentile)) \
                + self._seasonal_shift(now, before + then)
        if (min(len(then), len(before)) < p.trend_recent // 2 or t[before[0]] <= top.detected_s
                or _median(x[then]) - _median(x[before])
                > p.stacked_trend_settled * scale):
            return None
        # (with a year of history, moved as the sector's level moved a year before)
        return _median(x[before + then]) + self._seasonal_shift(now, before + then)

    def _between(self, nights: list[int], start: float, end: float) -> list[int]:
        """The nights of an ascending list of night indexes dated after ``start``, up to
        ``end``."""
        first, last = np.searchsorted(self.t, [start, end], side="right")
        return nights[bisect_left(nights, first):bisect_left(nights, last)]

    def _rise_start(self, m: int, old: float, scale: float, cautious: bool) -> float | None:
        """When a slow rise from level ``old`` (night ``m``) began, if the last
        ``trend_recent`` nights stand ``trend_sigma`` × scale above it (their low nights
        ``trend_low_sigma``; all of them where intermittent night use was seen lately,
        ``cautious``) and still rise (their second half above the first), varying
        inside their window as the reference's nights did (a night use switching on and
        off, watering, rising too is no leak); else None. Where that variability is known
        and shows nothing switching, with no such use seen lately, no declared season and
        no leak open, ``steady_trend_sigma`` and ``steady_trend_low_sigma`` instead: the
        higher thresholds keep the slow rise of a watering season from being read as a
        slow leak where nothing else tells them apart. The onset is the last night the
        level (5-night median) was still at ``old``."""
        p, t, x = self.p, self.t, self.x
        recent = self.seen[-p.trend_recent:]
        if len(recent) < p.trend_recent:
            return None
        rise = _median(x[recent]) - old
        if rise < min(p.trend_sigma, p.steady_trend_sigma or p.trend_sigma) * scale:
            return None  # (most nights: the variability is not looked at)
        ratio = self._variability_ratio(self.seen[-p.trend_recent - 1:])
        if ratio is not None and ratio >= p.use_variability:
            return None
        half = p.trend_recent // 2
        low = p.cautious_percentile if cautious else p.low_percentile
        median_sigma, low_sigma = p.trend_sigma, p.trend_low_sigma
        if self.seasonal[recent[-1]]:
            # (on the nights of a declared seasonal use, as far up as a step's: the use's
            # own rise through its season is slow too)
            low_sigma = p.min_excess + p.seasonal_margin
        elif ratio is not None and not cautious and not self.open and p.steady_trend_sigma:
            median_sigma, low_sigma = p.steady_trend_sigma, p.steady_trend_low_sigma
        if (rise < median_sigma * scale
                or float(np.percentile(x[recent], low)) - old < low_sigma * scale
                or _median(x[recent[half:]]) <= _median(x[recent[:half]])):
            return None
        since = self.seen[bisect_left(self.seen, m):]
        for j in range(len(since) - 1, 3, -1):
            if _median(x[since[j - 4:j + 1]]) <= old + 0.5 * scale:
                return float(t[since[j]])
        return float(t[since[0]])

    def _calm(self, nights: list[int]) -> None:
        if self.open:
            self.level += nights
        else:
            self.normal += nights
            self.usable[nights] = True
        self.last_calm = nights[-1]

    def _declare(self, n: int, ref: float, scale: float, onset: float | None = None,
                 kind: str | None = None) -> None:
        p, t, x = self.p, self.t, self.x
        run = self.pending
        level = _median(x[run[-p.level_nights:]]) if onset is None else ref
        if level - ref >= 2 * p.min_excess * scale:
            # A large step: the run's first nights nearer the reference than its level were
            # not this leak yet (noise, or a smaller leak under it); it began after them.
            # (A smaller rise may be a leak still growing, dated from its first nights.)
            middle = (ref + level) / 2
            lead = 0
            while lead < len(run) - 1 and x[run[lead]] < middle:
                lead += 1
            if lead:
                self.last_calm, run = run[lead - 1], run[lead:]
                self.pending = run
        first = run[0]
        if onset is None:
            before = t[self.last_calm] if self.last_calm is not None else t[first] - DAY_S
            onset = float((before + t[first]) / 2)
        leak = Leak(onset_s=onset, detected_s=float(t[n]), reference_m3h=ref,
                    scale_m3h=scale, nights=list(run),
                    kind=kind or ("incipient" if t[n] - onset > p.recent_nights * DAY_S
                                  else "abrupt"),
                    stacked=bool(self.open))
        if self.open:  # the leak below now has its step: from its reference to this one's
            below = self.open[-1]
            below.extra_flow_m3h = max(ref - below.reference_m3h, 0.0)
            below.peak_m3h = max(below.peak_m3h, below.extra_flow_m3h)
            below.step_m3h = below.extra_flow_m3h or below.step_m3h
        previous = onset
        values = x[run]
        padded = np.concatenate([[values[0]], values, [values[-1]]])
        smooth = np.median(np.lib.stride_tricks.sliding_window_view(padded, 3), axis=1)
        for i, v in zip(run, smooth, strict=True):
            self._lose(leak, float(t[i]), previous, max(float(v) - ref, 0.0))
            previous = float(t[i])
        self._measure(leak, top=True)
        leak.step_m3h = leak.extra_flow_m3h
        self.leaks.append(leak)
        self.open.append(leak)
        self.level = run[-p.level_nights:]  # its level now (a growing leak's latest)
        self.pending, self.s, self.last_z = [], 0.0, 0.0

    # -- accounting ------------------------------------------------------------------------
    @staticmethod
    def _lose(leak: Leak, at: float, previous: float, extra_m3h: float) -> None:
        leak.losses.append((previous, at, extra_m3h))

    def _measure(self, leak: Leak, top: bool) -> None:
        """Its level now; the latest leak's extra flow is that level above its reference
        (a leak with another on top keeps the step it made)."""
        leak.current_m3h = _median(self.x[leak.nights[-self.p.recent_nights:]])
        if top:
            leak.extra_flow_m3h = max(leak.current_m3h - leak.reference_m3h, 0.0)
        leak.peak_m3h = max(leak.peak_m3h, leak.extra_flow_m3h)

    def _account(self, n: int) -> None:
        """Each open leak's extra flow tonight, and the water it lost since last night."""
        p, x, t = self.p, self.x, self.t
        for leak in self.open:
            if len(leak.nights) < 2 or leak.nights[-1] != n:
                continue
            previous = float(t[leak.nights[-2]])
            top = leak is self.open[-1]
            self._measure(leak, top)
            if top and t[n] - leak.detected_s <= p.step_nights * DAY_S:
                # Its step: measured again over its first nights after the alarm (the night
                # that raised it was high: the step then overstates the leak) — unless it
                # collapsed: that is a drop under it (a leak below repaired), no high night.
                if leak.extra_flow_m3h >= p.step_kept_share * leak.step_m3h:
                    leak.step_m3h = leak.extra_flow_m3h
            extra = max(_median(x[leak.nights[-3:]]) - leak.reference_m3h, 0.0) \
                if top else leak.extra_flow_m3h
            self._lose(leak, float(t[n]), previous, extra)

    def _close(self, leak: Leak, at: float, by: str) -> None:
        """End a leak at ``at``: the water it lost stops there (``_lost``)."""
        leak.nights = [i for i in leak.nights if self.t[i] <= at]
        if leak is self.open[-1] and leak.nights:  # its level until the end, not after
            self._measure(leak, top=True)
        leak.resolved_s, leak.ended_by = at, by
        if by == "repair":
            leak.repair_s = at
        for above in self.open[self.open.index(leak) + 1:]:
            if above.onset_s < at:  # its level stood on it
                above.reference_m3h -= leak.extra_flow_m3h
        self.open.remove(leak)
        self.awaiting = [a for a in self.awaiting if a[0] is not leak]

    def _restart_after(self, closed: Leak, n: int, since: list[int]) -> None:
        """After a leak ended: the level is measured again from the nights after its end;
        with no leak left open, the sector starts afresh from the reference it had."""
        self.ended_s = float(closed.resolved_s)
        self.pending, self.s, self.last_z = [], 0.0, 0.0
        if self.open:
            self.level = [i for i in since if i <= n]
        else:
            self.normal = [i for i in since if i <= n]
            self.usable[self.normal] = True
            self.floor = (closed.reference_m3h, closed.scale_m3h)
            self.level = []
            self.calm_since = n
        self.last_calm = n

    # -- the end of a leak -----------------------------------------------------------------
    def _take_repairs(self, n: int) -> None:
        p, t = self.p, self.t
        while self.repairs and self.repairs[0].repaired_s <= t[n]:
            repair = self.repairs.pop(0)
            target = self._repaired_leak(repair)
            if target is None:
                continue
            before = [i for i in target.nights if t[i] <= repair.repaired_s]
            in_season = self._in_season(before)
            span = p.seasonal_confirm_nights if in_season else p.recent_nights
            level = _median(self.x[before[-span:]]) if before \
                else target.current_m3h
            self.awaiting = [a for a in self.awaiting if a[0] is not target]
            self.awaiting.append((target, repair.repaired_s, level, in_season,
                                  in_season and self._season_began(before[-span:])))

    def _in_season(self, before: list[int]) -> bool:
        """Whether a repair after these nights of a leak is judged as one in a declared
        seasonal use (its last night before the repair in one): over
        ``seasonal_confirm_nights`` each side, against the leak's step."""
        return bool(self.p.seasonal_confirm_nights and before and self.seasonal[before[-1]])

    def _season_began(self, before: list[int]) -> bool:
        """Whether a repair in a declared season came in its first nights: most of the
        nights before it (``before``) out of the season. Those after it then have the
        season's use on top, those before had none: the nights after are judged by their
        ``low_percentile`` (the rainy ones, without watering: the sector's own level), not
        their median (``seasonal_confirm_low``)."""
        return bool(self.p.seasonal_confirm_low
                    and self.seasonal[before].sum() * 2 < len(before))

    def _repaired_leak(self, repair: Repair) -> Leak | None:
        candidates = [leak for leak in self.open if leak.onset_s <= repair.repaired_s]
        if not candidates:
            return None
        if repair.onset_s is None:
            return candidates[-1]
        best = min(candidates, key=lambda leak: abs(leak.onset_s - repair.onset_s))
        if abs(best.onset_s - repair.onset_s) <= self.p.repair_match_days * DAY_S:
            return best
        return None

    def _confirm_repairs(self, n: int) -> bool:
        p, t, x = self.p, self.t, self.x
        for awaited in list(self.awaiting):
            leak, repaired, level, in_season, low_after = awaited
            after = [i for i in leak.nights if t[i] > repaired]
            span = p.seasonal_confirm_nights if in_season else p.confirm_nights
            if len(after) < span:
                continue
            self.awaiting.remove(awaited)
            recent = float(np.percentile(x[after[:span]], p.low_percentile)) if low_after \
                else _median(x[after[:span]])
            extra = leak.extra_flow_m3h
            if in_season and leak.step_m3h > 0:
                extra = min(extra, leak.step_m3h)
            drop = max(p.confirm_share * extra, p.confirm_sigma * leak.scale_m3h)
            if level - recent >= drop:
                self._close(leak, repaired, "repair")
                self._restart_after(leak, n, after)
                return True
            leak.refuted_repair_s, leak.repair_drop_m3h = repaired, max(level - recent, 0.0)
        return False

    def _needs_step_down(self, leak: Leak, now_s: float) -> bool:
        """Whether only a step down of the night flow ends the leak (no repair recorded):
        a small one (under ``gone_min_sigma`` × scale), which the season could hide, and
        one open longer than ``gone_step_after_days``: over weeks the season (the autumn
        after a summer) can bring the night flow back to its frozen reference while it
        still leaks."""
        p = self.p
        return (leak.step_m3h < p.gone_min_sigma * leak.scale_m3h
                or now_s - leak.onset_s > p.gone_step_after_days * DAY_S)

    def _step_down_night(self, nights: list[int]) -> float:
        """When the step down happened in ``nights``: the CUSUM change point, the split
        where the sum of the nights before it stands highest above its share of the
        total (the largest drop of the mean, weighted by the nights on each side)."""
        values = self.x[nights]
        split = np.arange(1, len(values))
        excess = np.cumsum(values)[:-1] - split / len(values) * float(values.sum())
        return float(self.t[nights[int(split[np.argmax(excess)])]])

    def _gone_band(self, leak: Leak) -> float:
        """How far above its reference the night flow may be for a leak to be gone: within
        the noise of that reference, and nearer it than the leak's level."""
        return min(self.p.gone_share * leak.step_m3h, self.p.gone_sigma * leak.scale_m3h)

    def _gone_nights(self, leak: Leak, stepped: bool) -> int:
        """The nights back at its reference that end a leak with no recorded repair: enough
        for their median to tell the reference from the leak's level at ``gone_z`` standard
        errors (1.2533 × scale / √nights for a median), at least ``gone_nights`` — twice as
        many for a leak that needs a step down too (``stepped``, ``_needs_step_down``)."""
        p = self.p
        least = p.gone_nights * (2 if stepped else 1)
        gap = leak.step_m3h - self._gone_band(leak)
        if gap <= 0:
            return p.gone_max_nights
        needed = (p.gone_z * MEDIAN_SE * leak.scale_m3h / gap) ** 2
        return int(min(max(np.ceil(needed), least), p.gone_max_nights))

    def _check_gone(self, n: int) -> bool:
        """Whether a leak ended without a recorded repair: its night flow has stayed back
        at its reference (``_gone_band``) for ``_gone_nights`` nights; it ends with the
        leaks on top of it. Never while a recorded repair awaits its confirmation: that
        repair explains the drop. A drop that leaves the night flow above that band (the
        season, night watering ending, a repair of part of the leaks) ends nothing."""
        p, x, t = self.p, self.x, self.t
        if self.awaiting or not self.open:
            return False
        for depth, leak in enumerate(self.open):
            stepped = self._needs_step_down(leak, float(t[n]))
            count = self._gone_nights(leak, stepped)
            low = leak.nights[-count:]  # (seen since it was declared)
            if len(low) < count or t[low[0]] <= leak.detected_s:
                continue
            band = self._gone_band(leak)
            back = leak.reference_m3h + band
            level = _median(x[low])
            whole = False
            if stepped:
                # A leak the season could hide: only a step down ends it, from its level
                # of the week before (the season never moves that fast): a drop of most of
                # its step, and significant at ``gone_z`` standard errors. (That week may
                # hold the nights before the alarm: a rise of a few nights that raised one
                # ends as soon as it is over.)
                week = leak.nights[-count - p.recent_nights:-count]
                if len(week) < p.recent_nights or t[week[0]] <= leak.onset_s:
                    continue
                drop = _median(x[week]) - level
                noise = p.gone_z * MEDIAN_SE * leak.scale_m3h * np.sqrt(1 / len(week)
                                                                        + 1 / len(low))
                if drop < max((1 - p.gone_share) * leak.step_m3h, noise):
                    continue
                # A drop of its whole step: it ended, though the level stays a little
                # above the band (the season moved since, or a small leak came meanwhile).
                whole = (drop >= leak.step_m3h - band
                         and level <= leak.reference_m3h + p.whole_step_bands * band)
            if level <= back or whole:
                if stepped:  # it ended at the step down, not at the first low night
                    # (among the nights since the last leak ended: not at that end)
                    since = [i for i in week + low if t[i] > self.ended_s]
                    at = self._step_down_night(since if len(since) >= 2 else week + low)
                    low = [i for i in week + low if t[i] >= at]
                else:
                    at = float(t[next((i for i in low if x[i] <= back), low[0])])
                # Well below its reference (the nights since the step down, if stepped): a
                # leak under it ended too (``_surely_ended``).
                if depth and (after := _median(x[low])) < (leak.reference_m3h
                                                           - p.gone_sigma * leak.scale_m3h):
                    ended = self._surely_ended(after)
                    if ended:
                        for gone in ended[::-1]:
                            self._close(gone, at, "gone")
                        self._restart_after(ended[0], n, low)
                        return True
                if 0 < depth == len(self.open) - 1:  # the latest leak, on others
                    ended = self._dropped_leak(leak, leak.nights[-count - p.recent_nights:])
                    if ended is None:
                        continue  # a drop a larger leak below could hold: nothing ends
                    if ended is not leak:  # it ends alone, the latest leak goes on
                        self._close(ended, at, "gone")
                        self._restart_after(ended, n, low)
                        return True
                for above in self.open[depth:][::-1]:
                    if above is not leak and above.onset_s >= at:
                        continue  # found on the level after that drop: never stood on it
                    self._close(above, at, "gone")
                    if at - above.onset_s <= p.brief_days * DAY_S:  # came and went: a use
                        self.dips += [n] * p.intermittent_dips
                self._restart_after(leak, n, low)
                return True
        return False

    def _surely_ended(self, level: float) -> list[Leak] | None:
        """The night flow fell to ``level``, below a stacked leak's reference: the open
        leaks that must have ended — those in no set of open leaks whose steps add up to
        what stands above the sector's reference (within ``gone_sigma`` × scale); the
        others may still run. None when no set matches, or when an open leak was found
        growing over weeks: it may hold several leaks that grew together, one of which
        may have been repaired, and no set tells it (the other rules then decide, as
        they do when every leak is in some set)."""
        if any(leak.kind == "incipient" for leak in self.open):
            return None
        base = self.open[0]
        extra = level - base.reference_m3h
        steps = [leak.step_m3h for leak in self.open]
        kept = None  # the leaks some matching set holds
        for chosen in range(1 << len(steps)):
            held = sum(step for i, step in enumerate(steps) if chosen >> i & 1)
            if abs(held - extra) <= self.p.gone_sigma * base.scale_m3h:
                kept = chosen | (kept or 0)
        if kept is None:
            return None
        return [leak for i, leak in enumerate(self.open) if not kept >> i & 1]

    def _dropped_leak(self, latest: Leak, nights: list[int]) -> Leak | None:
        """The latest leak, on others, is back at its reference: the leak that drop ended.
        An older one of the same size found shortly before it (``_older_twin``), if the
        drop (``_drop`` in ``nights``, when it can be measured) matches its step too; where
        a leak below made a step larger than the latest's by more than its band — it may
        hold several leaks that grew together, one of which was repaired, or the latest
        may still run on a larger one repaired —, the one leak below whose step the drop
        matches within its band, if no other open leak could hold that drop; else None:
        nothing ends, the operator's repair record settles it. Otherwise the latest."""
        drop = self._drop(nights)
        twin = self._older_twin(latest)
        if twin is not None and (drop is None
                                 or abs(twin.step_m3h - drop) <= self._gone_band(twin)):
            return twin
        below = self.open[:-1]
        if not any(b.step_m3h >= latest.step_m3h + self._gone_band(latest) for b in below):
            return latest
        if drop is None:
            return None
        match = [b for b in below if abs(b.step_m3h - drop) <= self._gone_band(b)]
        if len(match) != 1 or any(b is not match[0]
                                  and b.step_m3h >= drop + self._gone_band(match[0])
                                  for b in self.open):
            return None
        return match[0]

    def _drop(self, nights: list[int]) -> float | None:
        """How far the night flow fell at its step down in ``nights`` (``_step_down_night``):
        the median of the week before it − the median of the nights after; None with fewer
        than three nights on a side."""
        at = self._step_down_night(nights)
        before = [i for i in nights if self.t[i] < at][-self.p.recent_nights:]
        after = [i for i in nights if self.t[i] >= at]
        if min(len(before), len(after)) < 3:
            return None
        return _median(self.x[before]) - _median(self.x[after])

    def _older_twin(self, latest: Leak) -> Leak | None:
        """The latest leak's step is gone: the oldest open leak below it of the same size
        (within its gone band), found within ``older_first_days`` before it, if any — the
        drop may be that one's repair, and leaks found together are repaired in the order
        they were found."""
        return next((below for below in self.open[:-1]
                     if abs(below.step_m3h - latest.step_m3h) <= self._gone_band(latest)
                     and latest.detected_s - below.detected_s
                     <= self.p.older_first_days * DAY_S), None)

    def _back_since(self, leak: Leak) -> float | None:
        """Since when an open leak's night flow has been back near its reference (the
        first night back in the first of the weeks since then whose median is within its
        gone band, ``_gone_band``), though nothing ended it: no repair recorded, and a drop
        the rules cannot tell from the season or from another leak's repair. None when its
        last week is above, or before a week of nights since it was found. The operator is
        asked to settle it (« réparée » or « aucune fuite trouvée »)."""
        nights = [i for i in leak.nights if self.t[i] > leak.detected_s]
        week = self.p.recent_nights
        if len(nights) < week:
            return None
        x = self.x[nights]
        back = leak.reference_m3h + self._gone_band(leak)
        medians = np.median(np.lib.stride_tricks.sliding_window_view(x, week), axis=1)
        above = np.flatnonzero(medians > back)
        first = 0 if not len(above) else int(above[-1]) + 1  # the first week back
        if first == len(medians):
            return None
        low = first + int(np.argmax(x[first:first + week] <= back))  # its first night back
        return float(self.t[nights[low]])

    def _infer_season(self, n: int) -> None:
        """Undeclared, a seasonal night use shows in the nights' variability (garden timers
        switching on and off inside the window): from the night ``infer_share`` of the
        last ``infer_nights`` nights vary ``use_variability`` times as much as the usual
        ones (the median of the last ``2 × reference_nights`` out of any season), the
        nights are those of a seasonal use, as if declared, until ``infer_exit_nights``
        nights in a row vary as usual (a rainy week does not end a summer); it ended with
        the last night that varied, the nights after it were the sector's own. Less than
        ``infer_min_nights`` from its first night to that one, it was a few one-off uses
        close together: no season (the after-season rules do not follow it)."""
        p, v = self.p, self.variability
        if not p.infer_season or v is None or self.seasonal[n] or not np.isfinite(v[n]):
            return
        base = np.asarray(self.nights_seen[-6 * p.reference_nights:], dtype=np.int64)
        base = base[~self.seasonal[base] & np.isfinite(v[base])][-2 * p.reference_nights:]
        if len(base) < p.min_reference_nights:
            return
        usual = p.use_variability * _median(v[base])
        if self.last_switching is None:  # out of an inferred season
            window = [i for i in self.nights_seen[-(p.infer_nights - 1):]
                      if np.isfinite(v[i])] + [n]
            if sum(1 for i in window if v[i] >= usual) < p.infer_share * len(window):
                return
            self.last_switching, self.season_before = n, self.season_last
            self.seen_seasons.append((float(self.t[n]), None))
        elif v[n] >= usual:
            self.last_switching = n
        else:
            quiet = self._between(self.nights_seen, self.t[self.last_switching], np.inf)
            if len(quiet) + 1 >= p.infer_exit_nights:
                since = self.seen_seasons[-1][0]
                if self.t[self.last_switching] - since < p.infer_min_nights * DAY_S:
                    # (a few one-off uses close together: no season)
                    self.seasonal[[i for i in self.nights_seen if self.t[i] >= since]] = False
                    self.seen_seasons.pop()
                    self.season_last = self.season_before
                    if self.pre_season is not None and self.t[self.pre_season[3]] >= since:
                        self.pre_season = None  # (taken at its start; else a declared one's)
                else:
                    self.seasonal[quiet] = False
                    self.seen_seasons[-1] = (since, float(self.t[self.last_switching]))
                    self.season_last = self.last_switching
                self.last_switching = None
                return
        self.seasonal[n] = True

    def scan(self, skip: np.ndarray) -> LeakScan:
        for n in range(len(self.x)):
            if np.isfinite(self.x[n]) and not skip[n]:
                self._infer_season(n)
                self.night(n)
        for leak, repaired, *_ in self.awaiting:  # the loss stops there if confirmed
            leak.awaiting_repair_s = repaired
        for leak in self.open:
            leak.back_since_s = self._back_since(leak)
        for leak in self.leaks:
            until = next((s for s in (leak.resolved_s, leak.awaiting_repair_s)
                          if s is not None), np.inf)
            leak.lost_m3 = sum(extra * max(min(end, until) - start, 0.0) / 3600
                               for start, end, extra in leak.losses)
            leak.losses = []
        sensitivity = share = lasting = lasting_share = limiting = None
        known = np.flatnonzero(np.isfinite(self.spread))
        if len(known):
            last = known[-1]
            floor = self.p.quantum_scale * self.resolution
            if floor and float(self.spread[last]) <= floor * (1 + 1e-9):
                limiting = self.resolution
            base = self.open[0].reference_m3h if self.open else self.reference[last]
            sensitivity = self.p.min_excess * float(self.spread[last])
            share = sensitivity / base if base > 0 else None
            if self.p.long_run_nights:
                lasting = self.p.long_run_sigma * float(self.spread[last])
                lasting_share = lasting / base if base > 0 else None
        night_use = None
        if self._held_run():  # still that run…
            first, ratio, ref, scale = self.held
            recent = self.pending[-self.p.level_nights:]
            if _median(self.x[recent]) - ref >= self.p.min_excess * scale:  # …up
                night_use = NightUse(float(self.t[first]), ratio)
        return LeakScan(self.leaks, self.reference, self.spread, sensitivity, share,
                        lasting, lasting_share, limiting, night_use, self.seen_seasons)


def _switching(variability: np.ndarray | None, p: LeakParams, count: int) -> np.ndarray:
    """Nights that vary inside their window ``use_variability`` times as much as the
    median of the last ``2 × reference_nights`` nights before them that did not (a use
    switching on and off: garden timers, whose dry spells and rainy nights may follow
    the week too)."""
    out = np.zeros(count, dtype=bool)
    if variability is None:
        return out
    recent: deque[float] = deque()  # the last usual nights' variability…
    ordered: list[float] = []  # …sorted (a running median)
    for n, value in enumerate(variability.tolist()):
        if not np.isfinite(value):
            continue
        size = len(ordered)
        usual = (ordered[(size - 1) // 2] + ordered[size // 2]) / 2 if size else 0.0
        out[n] = size >= p.min_reference_nights and usual > 0 \
            and value >= p.use_variability * usual  # (steady nights: 0, no ratio)
        if not out[n]:
            recent.append(value)
            insort(ordered, value)
            if len(recent) > 2 * p.reference_nights:
                del ordered[bisect_left(ordered, recent.popleft())]
    return out


def detect_leaks(night_s: np.ndarray, flow_m3h: np.ndarray,
                 params: LeakParams = LeakParams(), *, repairs: Sequence[Repair] = (),
                 excluded: Sequence[tuple[float, float]] = (),
                 variability: np.ndarray | None = None,
                 seasonal: Sequence[tuple[float, float]] = (),
                 resolution_m3h: float = 0.0) -> LeakScan:
    """Leaks in a series of nightly minimum flows dated ``night_s`` (see module docstring);
    ``excluded``: (start, end) epoch-second ranges of declared exceptional uses;
    ``seasonal``: those of declared seasonal night uses, watched with caution;
    ``variability``: each night's variability inside its window (``Nights``), if known;
    ``resolution_m3h``: the resolution of the night flows (``Nights``), 0 if continuous.
    Where the nights follow a weekly pattern (``weekly_pattern.weekly_offsets``), each
    night's usual offset for its day of the week is taken out before the scan; the leaks'
    levels are then without it, the reference returned night by night with it (around the
    nights as measured)."""
    t = np.asarray(night_s, dtype=np.float64)
    x = np.asarray(flow_m3h, dtype=np.float64)
    v = None if variability is None else np.asarray(variability, dtype=np.float64)
    skip, in_season = _in_ranges(t, excluded), _in_ranges(t, seasonal)
    offsets = np.zeros(len(t))
    if params.weekly_pattern:  # (learnt from none of a declared or switching use's nights)
        unused = ~(skip | in_season | _switching(v, params, len(t)))
        offsets = weekly_offsets(t, np.where(unused, x, np.nan))
    scan = _Scan(t, x - offsets, params, repairs, v, in_season, resolution_m3h).scan(skip)
    if not offsets.any():
        return scan
    return replace(scan, reference_m3h=scan.reference_m3h + offsets,  # (around the nights
                   weekly_offset_m3h=offsets)  # as measured)
