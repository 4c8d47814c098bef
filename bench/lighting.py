"""A year of switching times (sunrise, sunset, civil dawn and dusk) for 10,000 cabinets.

Cabinets are spread at random over the Vosges (bounding box of the department). The
baseline, in the same run, is astral's scalar function timed on a small sample and
extrapolated to the same size; the maximum deviation from astral is measured on a sample.
"""

from __future__ import annotations

import argparse
import time
from datetime import date

import numpy as np
from harness import emit, log

from beffroi.domains.lighting.sun import EVENTS, astral_events, sun_events

VOSGES = (5.39, 47.81, 7.20, 48.52)  # lon min, lat min, lon max, lat max


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cabinets", type=int, default=10_000)
    parser.add_argument("--year", type=int, default=2027)
    args = parser.parse_args()
    rng = np.random.default_rng(88)
    lon = rng.uniform(VOSGES[0], VOSGES[2], args.cabinets)
    lat = rng.uniform(VOSGES[1], VOSGES[3], args.cabinets)
    first, last = date(args.year, 1, 1), date(args.year, 12, 31)

    log(f"sun_events: {args.cabinets} cabinets × {args.year}")
    started = time.perf_counter()
    events = sun_events(lat, lon, first, last)
    vector_s = time.perf_counter() - started
    days = len(events.dates)

    sample_cabinets, sample_days = 20, 30
    log(f"astral: {sample_cabinets} cabinets × {sample_days} days, 4 events")
    cabinets = rng.choice(args.cabinets, sample_cabinets, replace=False)
    day_index = rng.choice(days, sample_days, replace=False)
    worst = 0.0
    started = time.perf_counter()
    for i in cabinets:
        for j in day_index:
            ref = astral_events(float(lat[i]), float(lon[i]), events.dates[j])
            for name in EVENTS:
                worst = max(worst, abs(float(getattr(events, name)[i, j]) - ref[name]))
    astral_s = time.perf_counter() - started
    extrapolated = astral_s * (args.cabinets * days) / (sample_cabinets * sample_days)
    emit({"bench": "lighting", "cabinets": args.cabinets, "days": days,
          "sun_events_s": round(vector_s, 2), "astral_extrapolated_s": round(extrapolated, 1),
          "speedup": round(extrapolated / vector_s, 1),
          "max_deviation_from_astral_s": round(worst, 3), "target_s": 10,
          "ok": vector_s < 10})


if __name__ == "__main__":
    main()
