"""The follow-up of a leak alert (``Detector.follow_up`` of ``water.night_flow_leak``): the
steps the service records from the alert to the repair, and the repairs recorded on a
sector's alerts, which the detector reads to tell whether the following nights confirm them.

Steps: « recherche en cours » (``searching``), « fuite localisée » (``located``: on the main
or on a service connection, and where), « réparée » (``repaired``, final: the day, and what
the repair cost and concerned — material, diameter), « aucune fuite trouvée »
(``no_leak_found``, final: the sector was searched, the rise is a legitimate use; the
detector then resolves the alert, counts no water lost and does not raise it again for
that rise — a new rise on top of it is a new alert).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from zoneinfo import ZoneInfo

import orjson
from sqlalchemy import Connection, select

from ...core.alerting.detector_spec import DetailField, FollowUpStep
from ...core.clock import midnight_ms, parse_instant
from ...storage import schema

DETECTOR_KEY = "water.night_flow_leak"  # the detector whose alerts these steps follow
INTERVENTION = "intervention"  # kind of the alert_events rows holding the steps
SEARCHING, LOCATED, REPAIRED, NO_LEAK = "searching", "located", "repaired", "no_leak_found"
LOCATIONS = {"main": "conduite", "connection": "branchement"}
PIPE_MATERIALS = {"cast_iron": "fonte", "pvc": "PVC", "pehd": "PEHD", "steel": "acier",
                  "asbestos_cement": "amiante-ciment", "lead": "plomb", "other": "autre"}

LEAK_FOLLOW_UP = (
    FollowUpStep(SEARCHING, "Recherche en cours"),
    FollowUpStep(LOCATED, "Fuite localisée", fields=(
        DetailField("located_on", "Fuite sur", "choice", choices=LOCATIONS, required=True),
        DetailField("position", "Position de la fuite", "position", required=True),
    )),
    FollowUpStep(REPAIRED, "Réparée", final=True, fields=(
        DetailField("repaired_on", "Date de réparation", "date", required=True),
        DetailField("cost_eur", "Coût de la réparation", unit="EUR", digits=0, minimum=0),
        DetailField("pipe_material", "Matériau de la canalisation", "choice",
                    choices=PIPE_MATERIALS),
        DetailField("diameter_mm", "Diamètre", unit="mm", digits=0, minimum=10,
                    maximum=2000),
    )),
    FollowUpStep(NO_LEAK, "Aucune fuite trouvée", final=True),
)


@dataclass(frozen=True)
class RecordedRepair:
    alert_id: int
    onset_ms: int | None  # the alert's details["onset"], parsed
    repaired_ms: int  # the repaired step's repaired_on (start of that day, Europe/Paris → UTC ms) or its `at`


def repair_instant(details: dict, at: int, tz: ZoneInfo) -> int:
    """When a ``repaired`` step says the repair was done (epoch ms): the start of its
    ``repaired_on`` day in ``tz``, else the step's ``at``."""
    try:
        day = date.fromisoformat(details["repaired_on"])
    except (KeyError, TypeError, ValueError):
        return at
    return midnight_ms(day, tz)


def onset_instant(alert_details: str) -> int | None:
    onset = orjson.loads(alert_details).get("onset")
    try:
        return parse_instant(onset) if onset else None
    except ValueError:
        return None


def latest_steps(conn: Connection, tenant_id: int, alert_ids: list[int]
                 ) -> dict[str, dict[int, tuple[dict, int]]]:
    """step -> alert id -> (details, at) of the latest entry of that step on each alert: a
    later entry corrects an earlier one."""
    e = schema.alert_events
    out: dict[str, dict[int, tuple[dict, int]]] = {SEARCHING: {}, LOCATED: {}, REPAIRED: {},
                                                   NO_LEAK: {}}
    if not alert_ids:
        return out
    for row in conn.execute(select(e.c.alert_id, e.c.at, e.c.details).where(
            e.c.tenant_id == tenant_id, e.c.alert_id.in_(alert_ids), e.c.kind == INTERVENTION)
            .order_by(e.c.id)):
        details = orjson.loads(row.details)
        out.setdefault(details.get("step"), {})[row.alert_id] = (details, row.at)
    return out


def sector_follow_up(conn, tenant_id: int, sector_id: int
                     ) -> tuple[list[RecordedRepair], list[float]]:
    """What the service recorded on the night-flow leak alerts of one sector (any status),
    read once: the repairs, and the onsets (epoch s) of the alerts searched without
    finding a leak.

    The latest ``repaired`` step of each alert counts (a later entry corrects an earlier
    one, even after a new search); its day is read in Europe/Paris. By alert id. An alert
    counts as searched without a leak when its latest « aucune fuite trouvée » is later
    than its latest « réparée »."""
    a = schema.alerts
    alerts = {row.id: row for row in conn.execute(select(a.c.id, a.c.details).where(
        a.c.tenant_id == tenant_id, a.c.detector == DETECTOR_KEY, a.c.asset_id == sector_id))}
    steps = latest_steps(conn, tenant_id, list(alerts))
    tz = ZoneInfo("Europe/Paris")
    repairs = [RecordedRepair(alert_id, onset_instant(alerts[alert_id].details),
                              repair_instant(details, at, tz))
               for alert_id, (details, at) in sorted(steps[REPAIRED].items())]
    searched = []
    for alert_id, (_, at) in sorted(steps[NO_LEAK].items()):
        repaired = steps[REPAIRED].get(alert_id)
        onset = onset_instant(alerts[alert_id].details)
        if onset is not None and (repaired is None or repaired[1] < at):
            searched.append(onset / 1000)
    return repairs, searched


def recorded_repairs(conn, tenant_id: int, sector_id: int) -> list[RecordedRepair]:
    """Repairs recorded on the night-flow leak alerts of one sector (``sector_follow_up``)."""
    return sector_follow_up(conn, tenant_id, sector_id)[0]
