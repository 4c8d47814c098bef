"""What the demo year's weather did to the territory (``DemoSpec.story``).

The winter flood of ``hydrology`` (mid-January, every gauge past its yellow then its orange
vigilance threshold): the gauges' level readings of the flood are run through the demo's
alert rules (the rapid-rise rule fires on the rising limb), and the river-vigilance
detector is run hour by hour over it (a yellow then orange flood alert per gauge, resolved
when the river is back under yellow). Core replays only the last weeks of history through
the rules; the flood is months back, so it is replayed here, on its own window, the rules'
running state of today being put back afterwards.

The July heat wave and the August fire-weather spell of ``simulator``: the heat-wave and
fire-danger detectors are run each evening over them, as the scheduler would have done
(an alert while the episode runs, resolved after it).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, insert, select

from ....core.alerting import evaluation
from ....core.alerting.detectors import run_detector
from ....core.clock import PARIS
from ....core.registry import Registry
from ....storage import schema
from ....storage.database import Database
from ..vigilance import GAUGE_KIND, LEVEL
from .hydrology import FLOOD_START_DOY
from .simulator import FIRE_SPELL_DAYS, HEAT_WAVE_DAYS

HOUR_MS = 3_600_000
DETECTOR_KEY = "risks.river_vigilance"
BEFORE_H, AFTER_H = 24, 6 * 24  # the flood window around the start of the rise


def flood_start_ms(end_ms: int) -> int:
    """The start of the flood's rise within the year before ``end_ms`` (18 January)."""
    end = datetime.fromtimestamp(end_ms / 1000, PARIS)
    for year in (end.year, end.year - 1):
        start = datetime(year, 1, 1, tzinfo=PARIS) + timedelta(days=FLOOD_START_DOY - 1)
        if start.timestamp() * 1000 < end_ms - AFTER_H * HOUR_MS:
            return int(start.timestamp() * 1000)
    raise ValueError("no flood in the history")


def evenings(end_ms: int, first_doy: int, last_doy: int, hour: int) -> list[int]:
    """Each day from day-of-year ``first_doy`` to ``last_doy`` at ``hour`` local, in the
    latest year where they all fall before ``end_ms`` and within the year of history."""
    end = datetime.fromtimestamp(end_ms / 1000, PARIS)
    for year in (end.year, end.year - 1):
        days = [datetime(year, 1, 1, hour, tzinfo=PARIS) + timedelta(days=d - 1)
                for d in range(first_doy, last_doy + 1)]
        ms = [int(d.timestamp() * 1000) for d in days]
        if ms[-1] < end_ms and ms[0] > end_ms - 365 * 24 * HOUR_MS:
            return ms
    return []


def _level_streams(db: Database, tenant_id: int) -> list[int]:
    a, s = schema.assets, schema.streams
    with db.read() as conn:
        return [r.id for r in conn.execute(
            select(s.c.id).join(a, (a.c.tenant_id == s.c.tenant_id) & (a.c.id == s.c.asset_id))
            .where(s.c.tenant_id == tenant_id, a.c.kind == GAUGE_KIND, s.c.metric == LEVEL)
            .order_by(s.c.id))]


def _replay_rules(db: Database, registry: Registry, tenant_id: int, streams: list[int],
                  since: int, until: int) -> None:
    st, o = schema.alert_rule_states, schema.observations
    with db.write() as conn:  # today's running state, put back after the flood's replay
        kept = [dict(r._mapping) for r in conn.execute(select(st).where(
            st.c.tenant_id == tenant_id, st.c.stream_id.in_(streams)))]
        conn.execute(delete(st).where(st.c.tenant_id == tenant_id,
                                      st.c.stream_id.in_(streams)))
    series: dict[int, tuple[list[int], list[float]]] = {sid: ([], []) for sid in streams}
    with db.read() as conn:
        for sid, t, value in conn.execute(
                select(o.c.stream_id, o.c.t, o.c.value)
                .where(o.c.tenant_id == tenant_id, o.c.stream_id.in_(streams),
                       o.c.t >= since, o.c.t < until).order_by(o.c.stream_id, o.c.t)):
            series[sid][0].append(t)
            series[sid][1].append(value)
    with db.write() as conn:
        evaluation.on_observations(db, conn, registry, tenant_id,
                                   {k: v for k, v in series.items() if v[0]}, {})
        conn.execute(delete(st).where(st.c.tenant_id == tenant_id,
                                      st.c.stream_id.in_(streams)))
        if kept:
            conn.execute(insert(st), kept)


def tell(db: Database, registry: Registry, tenant_id: int, end_ms: int) -> None:
    start = flood_start_ms(end_ms)
    since, until = start - BEFORE_H * HOUR_MS, start + AFTER_H * HOUR_MS
    streams = _level_streams(db, tenant_id)
    if streams:
        _replay_rules(db, registry, tenant_id, streams, since, until)
    for at in range(since, until + 1, HOUR_MS):
        run_detector(db, registry, tenant_id, DETECTOR_KEY, at)
    # The summer: each evening of the heat wave and of the fire-weather spell, and a few
    # after (the episode over, its alert resolved).
    for key, (first, last) in (("risks.heatwave", HEAT_WAVE_DAYS),
                               ("risks.fire_danger", FIRE_SPELL_DAYS)):
        for at in evenings(end_ms, first - 2, last + 4, 20):
            run_detector(db, registry, tenant_id, key, at)
