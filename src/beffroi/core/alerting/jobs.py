"""The alerting engine's periodic jobs, run by the scheduler of ``beffroi serve``."""

from __future__ import annotations

from ..jobs import Job
from .detectors import run_detectors
from .evaluation import check_no_data

JOBS = (
    Job("alerting.no_data", 60, lambda db, registry, now: check_no_data(db, registry, now)),
    Job("alerting.detectors", 30, lambda db, registry, now: run_detectors(db, registry, now),
        ttl_s=900),
)
