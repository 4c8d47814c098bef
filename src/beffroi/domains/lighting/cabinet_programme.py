"""The programme a cabinet runs: stored on the cabinet, pushed to its controller, and read
back wherever its schedule matters (simulation, failure detection, energy, compliance).

A cabinet's programme is its ``programme`` property: a preset (``{"preset": "cut_23_5"}``)
or a programme in full (see ``programmes.parse_programme``). Inventories imported before
programmes existed describe a night cut with ``night_cut``/``cut_start``/``cut_end``; those
read as "sunset → cut_start off → cut_end on → sunrise". A cabinet with neither burns
from dusk to dawn.

Remote-managed cabinets (``switching == "remote"``) receive their programme through the
command pipeline (``lighting.set_programme``). A controller holds one list of steps, so
Beffroi pushes the steps of the night to come and, when a seasonal variant starts or ends,
pushes again (``push_seasonal_steps``, a periodic job). Other cabinets get the settings
to make by hand on their clock.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import Any

import numpy as np
import orjson
from sqlalchemy import Connection, and_, select

from ...core import assets, commands
from ...core.access import SYSTEM, TenantScope, open_scope
from ...core.clock import PARIS
from ...core.errors import Invalid, NotFound
from ...core.registry import Registry
from ...storage import schema
from ...storage.database import Database
from .inventory_values import as_bool, as_clock, clock_text
from .programmes import (
    PRESETS,
    SUN_LABELS,
    Programme,
    ProgrammeError,
    Step,
    night_plan,
    parse_programme,
    programme_public,
)

CABINET_KIND = "lighting.cabinet"
PUSH_ACTION = "lighting.set_programme"
MAX_STEPS = 8  # what one LoRaWAN downlink carries (4 bytes a step, 51-byte payloads)


# -- which programme ------------------------------------------------------------------------------
def cabinet_programme(props: Mapping[str, Any]) -> tuple[Programme, str]:
    """(programme, source): source is "stored", "night_cut" or "default"."""
    doc = props.get("programme")
    if doc:
        try:
            return parse_programme(doc), "stored"
        except ProgrammeError:
            pass  # written before validation existed: fall back on the night-cut fields
    start, end = as_clock(props.get("cut_start")), as_clock(props.get("cut_end"))
    if as_bool(props.get("night_cut")) and start is not None and end is not None:
        a, b = clock_text(start), clock_text(end)
        return Programme("night_cut", f"Extinction de {a} à {b}", (
            Step("sunset", 100), Step(a, 0), Step(b, 100), Step("sunrise", 0))), "night_cut"
    return PRESETS["dusk_to_dawn"], "default"


# -- what it does, vectorised ---------------------------------------------------------------------
@lru_cache(maxsize=4096)
def _changes(programme: Programme, lat: float, lon: float, first: date,
             last: date) -> tuple[np.ndarray, np.ndarray]:
    times: list[int] = []
    levels: list[int] = []
    day = first
    while day <= last:
        for t, level in night_plan(programme, day, lat, lon):
            times.append(t)
            levels.append(level)
        day += timedelta(days=1)
    return np.asarray(times, dtype=np.float64) / 1000, np.asarray(levels, dtype=np.float64)


def programme_levels(programme: Programme, t_s: np.ndarray, lat: float, lon: float) -> np.ndarray:
    """Level (0–100) the programme sets at each epoch second of ``t_s``.

    Sun events vary by seconds within a kilometre: positions are rounded to 0.01° so that
    the cabinets of a village share one computation."""
    if len(t_s) == 0:
        return np.zeros(0)
    first = datetime.fromtimestamp(float(t_s.min()), UTC).astimezone(PARIS).date()
    last = datetime.fromtimestamp(float(t_s.max()), UTC).astimezone(PARIS).date()
    times, levels = _changes(programme, round(lat, 2), round(lon, 2),
                             first - timedelta(days=1), last)
    index = np.searchsorted(times, t_s, side="right") - 1
    return np.where(index >= 0, levels[np.clip(index, 0, None)], 0.0)


# -- what goes to the controller ------------------------------------------------------------------
def steps_text(steps: tuple[Step, ...]) -> str:
    """Compact form of steps for the controller: ``sunset=100 23:00=0 sunrise-10=0``."""
    parts = []
    for s in steps:
        offset = f"{s.offset_min:+d}" if s.offset_min else ""
        parts.append(f"{s.at}{offset}={s.level}")
    return " ".join(parts)


_STEP = re.compile(r"^(?P<at>[a-z_]+|\d\d:\d\d)(?P<offset>[+-]\d{1,3})?=(?P<level>\d{1,3})$")


def parse_steps_text(text: str) -> tuple[Step, ...]:
    """The inverse of ``steps_text``; ProgrammeError naming what is wrong."""
    raw = []
    for i, part in enumerate(text.split()):
        match = _STEP.match(part)
        if match is None:
            raise ProgrammeError([{"field": f"steps[{i}]", "message": f"« {part} » : étape "
                                   "« moment=niveau » attendue (ex. sunset-10=100, 23:00=0)"}])
        raw.append({"at": match["at"], "level": int(match["level"]),
                    "offset_min": int(match["offset"] or 0)})
    if len(raw) > MAX_STEPS:
        raise ProgrammeError([{"field": "steps", "message": f"{MAX_STEPS} étapes au plus"}])
    return parse_programme({"steps": raw}).steps


def manual_settings(programme: Programme) -> list[str]:
    """The settings an agent makes by hand on a plain or astronomical clock (French)."""
    def line(steps: tuple[Step, ...]) -> str:
        out = []
        for s in steps:
            when = SUN_LABELS.get(s.at, s.at)
            if s.offset_min:
                when += f" {s.offset_min:+d} min"
            what = "extinction" if s.level == 0 else (
                "pleine puissance" if s.level == 100 else f"abaissement à {s.level} %")
            out.append(f"{when} : {what}")
        return " ; ".join(out)

    lines = [f"Toute l'année : {line(programme.steps)}"]
    for v in programme.variants:
        days = f", jours {','.join(map(str, v.weekdays))}" if v.weekdays else ""
        lines.append(f"Du {v.start[3:]}/{v.start[:2]} au {v.end[3:]}/{v.end[:2]}{days} "
                     f"({v.label}) : {line(v.steps)}")
    return lines


# -- stored on the cabinet, pushed when remote ----------------------------------------------------
def _cabinet(scope: TenantScope, conn: Connection, asset_id: int) -> Any:
    row = scope.asset(conn, asset_id)
    if row.kind != CABINET_KIND:
        raise NotFound(f"L'équipement {asset_id} n'est pas une armoire d'éclairage.")
    return row


def _last_push(conn: Connection, tenant_id: int, asset_id: int) -> Any:
    c = schema.commands
    return conn.execute(select(c).where(and_(
        c.c.tenant_id == tenant_id, c.c.asset_id == asset_id, c.c.action == PUSH_ACTION,
        c.c.status.notin_(("failed", "expired", "cancelled"))))
        .order_by(c.c.id.desc()).limit(1)).first()


def _local_today(now_ms: int | None = None) -> date:
    moment = datetime.now(UTC) if now_ms is None else datetime.fromtimestamp(now_ms / 1000, UTC)
    return moment.astimezone(PARIS).date()


def programme_status(scope: TenantScope, conn: Connection, asset_id: int,
                     today: date | None = None) -> dict[str, Any]:
    """The cabinet's programme, where it comes from, tonight's steps and the last push."""
    scope.require("read")
    cabinet = _cabinet(scope, conn, asset_id)
    props = orjson.loads(cabinet.properties or "{}")
    programme, source = cabinet_programme(props)
    today = today or _local_today()
    remote = props.get("switching") == "remote"
    push = _last_push(conn, scope.tenant_id, asset_id)
    tonight = steps_text(programme.steps_for(today))
    pushed = orjson.loads(push.params).get("steps") if push is not None else None
    return {"asset_id": cabinet.id, "ref": cabinet.ref, "source": source,
            "programme": programme_public(programme), "remote": remote,
            "tonight": tonight,
            "last_push": None if push is None else {
                "command_id": push.id, "status": push.status, "steps": pushed,
                "up_to_date": pushed == tonight},
            "manual_settings": [] if remote else manual_settings(programme)}


def set_programme(scope: TenantScope, conn: Connection, registry: Registry, asset_id: int,
                  data: Any) -> dict[str, Any]:
    """Store a cabinet's programme; push tonight's steps when the cabinet is remote-managed
    (``{"programme": …, "push": true}``)."""
    scope.require("write")
    if not isinstance(data, dict):
        raise Invalid("Objet JSON attendu.")
    errors = [{"field": k, "message": "champ inconnu"}
              for k in sorted(set(data) - {"programme", "push"})]
    try:
        programme = parse_programme(data.get("programme"))
    except ProgrammeError as exc:
        errors += [{**e, "field": f"programme.{e['field']}"} for e in exc.errors]
        programme = None
    if programme is not None and any(len(s) > MAX_STEPS for s in (
            programme.steps, *(v.steps for v in programme.variants))):
        errors.append({"field": "programme.steps",
                       "message": f"{MAX_STEPS} étapes par nuit au plus (capacité du contrôleur)"})
    push = data.get("push", True)
    if not isinstance(push, bool):
        errors.append({"field": "push", "message": "booléen attendu"})
    if errors:
        raise Invalid("Programme invalide.", errors=errors)
    cabinet = _cabinet(scope, conn, asset_id)
    assets.update_asset(scope, conn, registry, asset_id,
                        {"properties": {"programme": data["programme"]}})
    remote = orjson.loads(cabinet.properties or "{}").get("switching") == "remote"
    if remote and push:
        push_steps(scope, conn, registry, cabinet.id, steps_text(
            programme.steps_for(_local_today())))
    return programme_status(scope, conn, asset_id)


def push_steps(scope: TenantScope, conn: Connection, registry: Registry, asset_id: int,
               text: str) -> Any:
    return commands.create_command(scope, conn, registry, {
        "asset_id": asset_id, "action": PUSH_ACTION, "params": {"steps": text}})


def push_seasonal_steps(db: Database, registry: Registry, now: int) -> int:
    """Push tonight's steps to every remote cabinet whose controller holds other ones (a
    seasonal variant starts or ends). Returns the number of pushes."""
    a = schema.assets
    today = _local_today(now)
    pushed = 0
    with db.write() as conn:
        rows = list(conn.execute(select(a.c.tenant_id, a.c.id, a.c.properties).where(
            a.c.kind == CABINET_KIND)))
        for row in rows:
            props = orjson.loads(row.properties or "{}")
            if props.get("switching") != "remote" or not props.get("programme"):
                continue
            programme, source = cabinet_programme(props)
            if source != "stored" or not programme.variants:
                continue
            last = _last_push(conn, row.tenant_id, row.id)
            text = steps_text(programme.steps_for(today))
            if last is not None and orjson.loads(last.params).get("steps") == text:
                continue
            scope = open_scope(db, conn, SYSTEM, row.tenant_id)
            try:
                push_steps(scope, conn, registry, row.id, text)
            except (Invalid, NotFound):
                continue  # no controller attached: the cabinet page says so
            pushed += 1
    return pushed
