"""What the water service did during the demo year (``DemoSpec.story``).

The spring leak of ``REPAIRED_LEAK``: the night-flow detector raised it ten days after its
onset; the fontainier searched, located it on the main and had it repaired; the nights
after the repair confirmed it and the alert was resolved. The leak still running at the end
(``INJECTED_LEAK``): its alert is being followed — search under way, then located on a
service connection. Each step is recorded through the same function as the API's.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import select

from ....core.access import CLI, open_scope
from ....core.alerting.detectors import run_detector
from ....core.alerting.interventions import record_intervention
from ....core.clock import PARIS, format_instant
from ....core.registry import Registry
from ....storage import schema
from ....storage.database import Database
from ..interventions import DETECTOR_KEY
from .simulator import INJECTED_LEAK, REPAIRED_LEAK, leak_onset_s, repaired_leak_s

DAY_MS = 86_400_000


def _sector_ref(inlet: str) -> str:
    """CPT-88383-S1 → SEC-88383-1 (the inventory's naming)."""
    insee, _, number = inlet.removeprefix("CPT-").partition("-S")
    return f"SEC-{insee}-{number}"


def _leak_alert(db: Database, tenant_id: int, sector_ref: str) -> Any | None:
    a, al = schema.assets, schema.alerts
    with db.read() as conn:
        sector = conn.execute(select(a.c.id).where(
            a.c.tenant_id == tenant_id, a.c.ref == sector_ref)).first()
        if sector is None:
            return None
        return conn.execute(select(al.c.id, al.c.status).where(
            al.c.tenant_id == tenant_id, al.c.asset_id == sector.id,
            al.c.detector == DETECTOR_KEY).order_by(al.c.id.desc())).first()


def _position(db: Database, tenant_id: int, inlet: str, shift: float) -> dict:
    """A point of the sector: its inlet meter's, moved a little."""
    a = schema.assets
    with db.read() as conn:
        geometry = conn.execute(select(a.c.geometry).where(
            a.c.tenant_id == tenant_id, a.c.ref == inlet)).scalar()
    lon, lat = orjson.loads(geometry)["coordinates"] if geometry else (6.59, 48.02)
    return {"lon": round(lon + shift, 5), "lat": round(lat - shift / 2, 5)}


def _record(db: Database, registry: Registry, tenant_id: int, alert_id: int,
            body: dict[str, Any]) -> None:
    with db.write() as conn:
        scope = open_scope(db, conn, CLI, tenant_id)
        record_intervention(scope, conn, registry, alert_id, body)


def tell(db: Database, registry: Registry, tenant_id: int, end_ms: int) -> None:
    last_s = end_ms / 1000 - 900  # the history's last step
    for inlet in REPAIRED_LEAK:
        sector = _sector_ref(inlet)
        onset_s, repair_s = repaired_leak_s(inlet, last_s)
        run_detector(db, registry, tenant_id, DETECTOR_KEY,
                     int((onset_s + 10 * 86_400) * 1000))
        alert = _leak_alert(db, tenant_id, sector)
        if alert is None:  # the detector did not see it: nothing to tell
            continue
        repaired_on = datetime.fromtimestamp(repair_s, PARIS).date().isoformat()
        for at_s, body in (
                (onset_s + 11 * 86_400, {"step": "searching", "comment":
                                         "Écoute au sol des vannes du secteur la nuit."}),
                (repair_s - 2 * 86_400, {"step": "located", "located_on": "main",
                                         "position": _position(db, tenant_id, inlet, 0.002),
                                         "comment": "Corrélation acoustique : casse "
                                                    "circulaire sur la conduite rue du Moulin."}),
                (repair_s + 3600, {"step": "repaired", "repaired_on": repaired_on,
                                   "cost_eur": 2350, "pipe_material": "cast_iron",
                                   "diameter_mm": 100, "comment": "Manchon de réparation posé."})):
            _record(db, registry, tenant_id, alert.id,
                    {**body, "at": format_instant(int(at_s * 1000))})
        # The day after, the loss counted up to the repair; the nights after confirm it,
        # and the detector resolves the alert.
        for days in (2, 8):
            run_detector(db, registry, tenant_id, DETECTOR_KEY,
                         int((repair_s + days * 86_400) * 1000))
    run_detector(db, registry, tenant_id, DETECTOR_KEY, end_ms)  # back to today
    for inlet in INJECTED_LEAK:
        sector = _sector_ref(inlet)
        alert = _leak_alert(db, tenant_id, sector)
        if alert is None or alert.status == "resolved":
            continue
        onset_s = leak_onset_s(inlet, [last_s])
        for at_s, body in (
                (max(onset_s + 5 * 86_400, last_s - 6 * 86_400),
                 {"step": "searching", "comment": "Sectorisation de nuit en cours."}),
                (last_s - 2 * 86_400, {"step": "located", "located_on": "connection",
                                       "position": _position(db, tenant_id, inlet, -0.0015),
                                       "comment": "Branchement en plomb fuyard, réparation "
                                                  "programmée."})):
            _record(db, registry, tenant_id, alert.id,
                    {**body, "at": format_instant(int(at_s * 1000))})
