"""What the buildings' detectors saw during the demo year (``DemoSpec.story``).

The school heated through the February holidays (``simulator.HEATED_SCHOOL``): the waste
detectors are run on the morning classes resumed, as the hourly scheduler would have run
them then (the overheating alert opens, with the week's kWh and €), and a week later (the
rooms back to their setpoints: the alert is resolved). The anomalies still running at the
end (the gymnasium lit every night, the leaking cistern) are found by the builder's final
run of every detector.
"""

from __future__ import annotations

from sqlalchemy import func, select

from ....core.alerting.detectors import run_detector
from ....core.registry import Registry
from ....storage import schema
from ....storage.database import Database
from ..waste_detectors import DETECTORS
from .simulator import heated_holiday

HOUR_MS = 3_600_000


def _first_reading_s(db: Database, tenant_id: int) -> float | None:
    """Start of the simulated history: the first reading of a classroom's temperature."""
    s, o = schema.streams, schema.observations
    with db.read() as conn:
        stream = conn.execute(select(s.c.id).where(
            s.c.tenant_id == tenant_id, s.c.metric == "air.temperature").order_by(s.c.id)
            .limit(1)).scalar()
        if stream is None:
            return None
        first = conn.execute(select(func.min(o.c.t)).where(
            o.c.tenant_id == tenant_id, o.c.stream_id == stream)).scalar()
    return None if first is None else first / 1000


def tell(db: Database, registry: Registry, tenant_id: int, end_ms: int) -> None:
    first_s = _first_reading_s(db, tenant_id)
    holiday = None if first_s is None else heated_holiday(first_s, end_ms / 1000 - 1)
    if holiday is None:
        return
    resumed_ms = int(holiday[1] * 1000) + 8 * HOUR_MS  # 08:00 the morning classes resume
    for at in (resumed_ms, resumed_ms + 7 * 24 * HOUR_MS):
        for detector in DETECTORS:
            run_detector(db, registry, tenant_id, detector.key, at)
